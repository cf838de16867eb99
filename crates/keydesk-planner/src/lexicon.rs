//! The planner's vocabulary: which written words mean which concept ([`lemma`]), with typo
//! tolerance for the words that carry a request (verbs and the nouns they act on), and the
//! everyday words that are never a person's name ([`is_common`]).
//!
//! It knows words, not grammar: `understand` decides what a sequence of concepts asks for.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use crate::text::{edit_distance, typo_budget};

/// Surface forms, grouped by the concept (lemma) they mean. Forms marked with a leading `~`
/// are exact only (too short or too close to a name to correct typos towards).
static FORMS: &[(&str, &str)] = &[
    (
        "reset",
        "reset resets reseting resetting reissue regenerate rotate recover redo",
    ),
    (
        "change",
        "change changes changing changed modify edit alter correct swap switch replace",
    ),
    ("set", "~set setting"),
    ("update", "update updates updating updated"),
    ("new", "~new fresh another"),
    ("forgot", "forgot forgotten forget forgets ~lost"),
    ("expired", "expired expire expires expiring"),
    (
        "password",
        "password passwords ~pw ~pwd passwd passphrase ~pword",
    ),
    (
        "mfa",
        "mfa ~2fa authenticator authentication multi-factor multifactor two-factor ~otp 2-step ~2sv",
    ),
    (
        "reregister",
        "reregister re-register re-registration reregistration re-enroll reenroll re-setup",
    ),
    (
        "phone",
        "phone phones cellphone handset iphone android smartphone",
    ),
    ("unlock", "unlock unlocks unlocking"),
    ("locked", "locked lockout lockouts locked-out"),
    ("tap", "~tap ~taps"),
    ("temporary", "temporary ~temp"),
    ("access", "access"),
    ("pass", "~pass ~passcode"),
    ("unblock", "unblock unblocking un-block"),
    ("blocked", "blocked"),
    ("block", "~block"),
    ("risk", "risk risky risks"),
    ("dismiss", "dismiss ~clear"),
    ("revoke", "revoke revoking invalidate ~kill terminate"),
    ("session", "session sessions ~token tokens"),
    (
        "signin",
        "sign-in signin sign-ins signins login logins logon log-in signing logging",
    ),
    ("sign", "~sign ~log"),
    ("everywhere", "everywhere"),
    ("disable", "disable disabling deactivate suspend"),
    ("enable", "enable re-enable reenable reactivate"),
    ("create", "create creating provision onboard ~make"),
    (
        "user",
        "user users account accounts employee employees ~hire starter",
    ),
    ("show", "show display ~view pull fetch"),
    ("profile", "profile details info information"),
    ("find", "find search lookup locate"),
    ("list", "~list"),
    ("add", "~add adding ~grant ~give ~put include enroll"),
    ("remove", "remove removing ~drop ~kick exclude"),
    ("delete", "delete deleting ~erase ~wipe purge destroy ~nuke"),
    ("request", "request requesting"),
    ("need", "~need ~want"),
    ("join", "~join joining"),
    (
        "member",
        "member members membership memberships belong belongs belonging",
    ),
    ("group", "group groups ~team ~teams ~dl"),
    (
        "role",
        "~role roles admin admins administrator administrators",
    ),
    ("approve", "approve approver approvers approval approvals"),
    ("privileged", "privileged"),
    ("investigate", "investigate investigation examine forensics"),
    (
        "compromised",
        "compromised compromise hacked breached ~pwned phished hijacked takeover",
    ),
    ("suspicious", "suspicious unusual"),
    ("diagnose", "diagnose diagnosis troubleshoot ~debug"),
    (
        "cannot",
        "can't cant cannot unable couldn't ~cant isn't doesn't",
    ),
    (
        "trouble",
        "trouble problem problems ~issue issues failing ~fails failed",
    ),
    ("photo", "photo photos picture ~pic avatar headshot ~image"),
    ("mobile", "mobile ~cell"),
    ("number", "number"),
    ("office", "office"),
    ("title", "title position"),
    ("job", "~job"),
    ("department", "department ~dept"),
    ("name", "~name"),
    ("named", "named called"),
    ("manager", "manager boss supervisor"),
    ("send", "send deliver ~email ~mail forward ~text"),
    ("credentials", "credentials credential"),
    ("everyone", "everyone everybody"),
    ("all", "~all ~every ~whole entire"),
    ("directory", "directory tenant"),
    ("check", "~check verify"),
    ("contain", "contain containment"),
    ("consent", "consent consents oauth ~grants ~apps"),
    ("issue", "~issue"),
    ("generate", "generate"),
    ("business", "business work ~desk"),
];

/// Everyday words (and the planner's own vocabulary) that are never read as a person's name.
static COMMON: &str = "
a an the this that these those there here it its is are was were be been being am do does did
done has have had having of to in on at by for from with without into onto about as and or but
nor so if then than also too very just only please pls plz thanks thank thx kindly hi hello hey
dear team i me my mine myself we us our you your he him his she her they them their who whom
whose which what when where why how can could would should will shall may might must need
needs want wants like let lets let's i'm i've i'd he's she's it's they're we're you're don't
dont didn't won't cannot can't not no yes ok okay sure asap now today yesterday tomorrow
morning afternoon evening week weeks day days month months hour hours minute minutes min mins
again still already since ago last past next first one two three four five six seven eight nine
ten some any each both other others all every everyone everybody someone somebody anyone
anybody whole entire new old got get gets getting go going went called call calls calling
helpdesk help support ticket tickets urgent quick quickly right away back up down out off over
under after before while because so that user users account accounts person people employee
employees colleague colleagues coworker coworker's teammate staff guy lady man woman member
members group groups microsoft entra azure ad 365 m365 o365 office outlook teams windows
security sign sign-in signin log login phone phones device devices laptop computer app apps
application applications password passwords mfa authenticator code codes number numbers
access profile profiles picture photo details info information activity activities ip ips
location locations risky risk detection detections incident summary evidence report
suspicious unfamiliar identify review generate strong force forced change changes next
session sessions token tokens active remove require required registration re-registration
consents consent oauth directory role roles exist exists approve privileged resets reset
locked unlock list file attached attachment ones following set setup setting
work works working job title office location mobile manager department dept name named
pass temporary tap minutes valid good fine done complete completed make sure case regarding
him/her his/her new-phone everything everywhere nothing something thing things stuff way
lost broke broken stolen replaced replace bought upgraded upgrade just keep keeps trying tried
try says said saying see seen look looks looking error errors message messages
salesforce zoom slack sharepoint onedrive excel word powerpoint dynamics workday jira github
google chrome edge iphone android mac macbook linux okta duo contoso fabrikam intune exchange
vpn wifi email e-mail mail inbox portal browser website site web system systems network
cheers regards best kind kindly chance bother sorry advance appreciate appreciated possible
sometime soon whenever when where while mr mrs ms dr sir madam boss folks everyone's there's
right also afraid think believe tell about use move transfer take going seems seem maybe probably might again morning tonight
";

static LEXICON: LazyLock<Lexicon> = LazyLock::new(Lexicon::build);

struct Lexicon {
    exact: HashMap<&'static str, &'static str>,
    /// Forms typos may be corrected towards, with their lemma.
    fuzzy: Vec<(&'static str, &'static str, usize)>,
    common: HashSet<&'static str>,
}

impl Lexicon {
    fn build() -> Lexicon {
        let mut exact = HashMap::new();
        let mut fuzzy = Vec::new();
        for (lemma, forms) in FORMS {
            for form in forms.split_whitespace() {
                let (form, fuzzable) = match form.strip_prefix('~') {
                    Some(rest) => (rest, false),
                    None => (form, true),
                };
                exact.insert(form, *lemma);
                if fuzzable && form.chars().count() >= 5 {
                    fuzzy.push((form, *lemma, form.chars().count()));
                }
            }
        }
        let common = COMMON.split_whitespace().collect();
        Lexicon {
            exact,
            fuzzy,
            common,
        }
    }
}

/// The concept a lower-case word means, if any, correcting typos in longer words.
pub fn lemma(word: &str) -> Option<&'static str> {
    let lexicon = &*LEXICON;
    if let Some(lemma) = lexicon.exact.get(word) {
        return Some(lemma);
    }
    if lexicon.common.contains(word) || !word.chars().all(|c| c.is_alphabetic() || c == '-') {
        return None;
    }
    let len = word.chars().count();
    let budget = typo_budget(len);
    if budget == 0 || len < 5 {
        return None;
    }
    let mut best: Option<(usize, &'static str)> = None;
    let mut tie = false;
    for &(form, lemma, form_len) in &lexicon.fuzzy {
        if form_len.abs_diff(len) > budget {
            continue;
        }
        let distance = edit_distance(word, form);
        if distance > budget {
            continue;
        }
        match best {
            Some((d, l)) if d == distance && l != lemma => tie = true,
            Some((d, _)) if d <= distance => {}
            _ => {
                best = Some((distance, lemma));
                tie = false;
            }
        }
    }
    match (best, tie) {
        (Some((_, lemma)), false) => Some(lemma),
        _ => None,
    }
}

/// Whether `word` (lower-case) is an everyday word or one of the planner's own, so never a name.
pub fn is_common(word: &str) -> bool {
    let lexicon = &*LEXICON;
    lexicon.common.contains(word) || lexicon.exact.contains_key(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_reach_their_concept() {
        assert_eq!(lemma("pasword"), Some("password"));
        assert_eq!(lemma("unlcok"), Some("unlock"));
        assert_eq!(lemma("resset"), Some("reset"));
        assert_eq!(lemma("disbale"), Some("disable"));
        assert_eq!(lemma("investgate"), Some("investigate"));
        assert_eq!(lemma("tap"), Some("tap"));
        assert_eq!(lemma("tape"), None);
    }

    #[test]
    fn names_are_not_words() {
        for name in [
            "megan",
            "lee",
            "patti",
            "nestor",
            "miriam",
            "alex",
            "adele",
            "diego",
            "isaiah",
            "shane",
            "johanna",
            "grady",
            "henrietta",
            "david",
            "alice",
            "lidia",
            "john",
            "irvin",
            "sarah",
            "tom",
            "lynne",
            "joni",
            "bowen",
            "wilber",
            "vance",
            "siciliani",
            "langer",
            "lorenz",
            "archie",
            "mueller",
            "park",
            "chen",
            "holloway",
            "smith",
            "sayers",
            "baker",
            "robbins",
            "sherman",
            "fernandez",
            "wilke",
            "graham",
            "noa",
            "levi",
        ] {
            assert_eq!(lemma(name), None, "{name}");
            assert!(!is_common(name), "{name}");
        }
    }
}
