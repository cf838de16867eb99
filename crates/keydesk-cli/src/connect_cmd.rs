//! `keydesk connect`: from "I have a tenant" to a saved, working configuration. It prints what
//! keydesk's app registration needs for the chosen actions (permissions, directory role, the
//! admin-consent link), optionally generates a self-signed certificate to upload, **validates the
//! credential with real Graph calls**, and only then saves `config.json` — with the secret kept
//! out of it (an owner-only file beside it, or a reference to an environment variable).
//!
//! `keydesk discover` reads the tenant and proposes the tenant profile (the helpdesk group and
//! the protected accounts) as a diff against the one in force; `--accept` keeps it.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use keydesk_audit::{AuditEvent, Outcome, OutcomeStatus};
use keydesk_graph::{CertificateCredential, Credential, GraphClient, GraphConfig, Secret};
use keydesk_ops::discover::TenantProfile;
use keydesk_ops::onboarding::{self, PermissionPlan};
use serde_json::json;

use crate::home::Home;
use crate::render;

/// Who may accept a tenant profile: it changes who counts as an operator.
const PROFILE_ROLES: &[&str] = &["Global Administrator", "Privileged Role Administrator"];

const DEFAULT_AUTHORITY_HOST: &str = "https://login.microsoftonline.com";

#[derive(Debug, clap::Args)]
pub struct ConnectArgs {
    /// The tenant: its id (GUID) or a verified domain.
    #[arg(long, env = "KEYDESK_CONNECT_TENANT", value_name = "TENANT")]
    pub tenant: Option<String>,
    /// The application (client) id of keydesk's app registration.
    #[arg(long, env = "KEYDESK_CONNECT_CLIENT_ID", value_name = "APP_ID")]
    pub client_id: Option<String>,
    /// Read the client secret from this environment variable.
    #[arg(long, value_name = "VAR", conflicts_with_all = ["secret_stdin", "certificate", "generate_certificate"])]
    pub secret_env: Option<String>,
    /// Read the client secret from standard input (one line).
    #[arg(long, conflicts_with_all = ["certificate", "generate_certificate"])]
    pub secret_stdin: bool,
    /// Keep the secret in the environment variable: the configuration names the variable
    /// instead of keeping the secret in an owner-only file.
    #[arg(long, requires = "secret_env")]
    pub keep_in_env: bool,
    /// A PEM certificate registered on the app, with its private key (or with --key).
    #[arg(long, value_name = "PEM", conflicts_with = "generate_certificate")]
    pub certificate: Option<PathBuf>,
    /// The certificate's private key (PEM), when it is not in the certificate file.
    #[arg(long, value_name = "PEM", requires = "certificate")]
    pub key: Option<PathBuf>,
    /// Generate a self-signed certificate (RSA 2048) whose public part you upload to the app
    /// registration; then run connect again with --certificate and --key.
    #[arg(long)]
    pub generate_certificate: bool,
    /// Validity of a generated certificate, in days.
    #[arg(long, default_value_t = 365, value_name = "DAYS")]
    pub certificate_days: u32,
    /// The actions to enable (comma-separated; default: all). They decide the permissions asked
    /// for and checked.
    #[arg(long, value_delimiter = ',', value_name = "ACTIONS")]
    pub actions: Vec<String>,
    /// The identity platform (national clouds, or an emulator).
    #[arg(long, value_name = "URL")]
    pub authority_host: Option<url::Url>,
    /// Microsoft Graph's v1.0 base (national clouds, or an emulator).
    #[arg(long, value_name = "URL")]
    pub graph_base: Option<url::Url>,
    /// Print what the app registration needs and the consent link; validate and save nothing.
    #[arg(long)]
    pub plan_only: bool,
}

#[derive(Debug, clap::Args)]
pub struct DiscoverArgs {
    /// Keep the proposed tenant profile (helpdesk group, protected accounts).
    #[arg(long)]
    pub accept: bool,
}

/// The files `connect` writes in the data directory.
pub fn config_path(home: &Home) -> PathBuf {
    home.root().join("config.json")
}

fn secret_path(home: &Home) -> PathBuf {
    home.root().join("client-secret")
}

/// Where the accepted tenant profile is kept.
pub fn profile_path(home: &Home) -> PathBuf {
    home.root().join("tenant-profile.json")
}

/// The accepted tenant profile, when there is one. A profile that does not parse is an error:
/// it decides who is an operator, so keydesk does not guess.
pub fn load_profile(home: &Home) -> anyhow::Result<Option<TenantProfile>> {
    let path = profile_path(home);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .with_context(|| format!("{} is not a valid tenant profile", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("reading {}", path.display())),
    }
}

enum Provided {
    Secret {
        secret: Secret,
        env: Option<String>,
    },
    Certificate {
        certificate: PathBuf,
        key: Option<PathBuf>,
    },
}

pub async fn connect(home: &Home, args: &ConnectArgs, json_output: bool) -> anyhow::Result<u8> {
    let interactive = std::io::stdin().is_terminal() && !json_output;
    let plan = match onboarding::plan(&args.actions) {
        Ok(plan) => plan,
        Err(error) => return Ok(render::error(&error, json_output)),
    };
    let authority_host = match &args.authority_host {
        Some(host) => host.clone(),
        None => DEFAULT_AUTHORITY_HOST.parse().context("authority host")?,
    };
    let tenant = required(args.tenant.clone(), interactive, "Tenant (id or domain)")?;
    let client_id = required(
        args.client_id.clone(),
        interactive,
        "Application (client) id",
    )?;
    let consent_url = onboarding::admin_consent_url(&authority_host, &tenant, &client_id);
    if !json_output {
        print_plan(&plan, &consent_url);
    }
    if args.plan_only {
        if json_output {
            render::print_json(&json!({"plan": plan, "adminConsentUrl": consent_url}));
        }
        return Ok(0);
    }
    if args.generate_certificate {
        return generate_certificate(home, args, &tenant, &client_id, json_output);
    }

    let provided = provided_credential(args, interactive)?;
    let credential = match &provided {
        Provided::Secret { secret, .. } => Credential::Secret(secret.clone()),
        Provided::Certificate { certificate, key } => {
            match certificate_credential(certificate, key.as_deref()) {
                Ok(credential) => Credential::Certificate(credential),
                Err(error) => {
                    return Ok(render::error(
                        &keydesk_ops::Error::refused(
                            format!("the certificate cannot be used: {error:#}"),
                            "nothing was saved",
                        ),
                        json_output,
                    ));
                }
            }
        }
    };
    let mut config = GraphConfig::new(&tenant, &client_id, credential)?
        .with_authority_host(authority_host.clone())?;
    if let Some(base) = &args.graph_base {
        config = config.with_graph_base(base.clone())?;
    }
    let graph = GraphClient::new(config).context("building the Graph client")?;
    let validation = match onboarding::validate(&graph, &plan).await {
        Ok(validation) => validation,
        Err(error) => return Ok(render::error(&error, json_output)),
    };

    // The credential works: save. The secret goes to an owner-only file (or stays in the
    // environment), never into config.json.
    std::fs::create_dir_all(home.root())
        .with_context(|| format!("creating {}", home.root().display()))?;
    let mut saved = json!({
        "tenant_id": tenant,
        "client_id": client_id,
    });
    if args.authority_host.is_some() {
        saved["authority_host"] = json!(authority_host.as_str());
    }
    if let Some(base) = &args.graph_base {
        saved["graph_base"] = json!(base.as_str());
    }
    let credential_kind = match &provided {
        Provided::Secret {
            env: Some(name), ..
        } if args.keep_in_env => {
            saved["client_secret_env"] = json!(name);
            format!("the client secret, read from ${name} when keydesk runs")
        }
        Provided::Secret { secret, .. } => {
            write_private(&secret_path(home), secret.expose().as_bytes())?;
            saved["client_secret_file"] = json!("client-secret");
            format!(
                "the client secret, in {} (owner-only)",
                secret_path(home).display()
            )
        }
        Provided::Certificate { certificate, key } => {
            saved["cert_path"] = json!(absolute(certificate)?);
            if let Some(key) = key {
                saved["key_path"] = json!(absolute(key)?);
            }
            format!("the certificate {}", certificate.display())
        }
    };
    let text = serde_json::to_string_pretty(&saved)? + "\n";
    // The saved file must load exactly as keydesk will load it later.
    GraphConfig::from_json_value(saved.clone(), Some(home.root()))
        .context("the configuration keydesk would save does not load back")?;
    write_private(&config_path(home), text.as_bytes())?;

    let organization = validation.organization.as_ref();
    let summary = format!(
        "Connected to {} ({}): the credential works and the configuration is saved in {}.",
        organization
            .and_then(|o| o.display_name.clone())
            .unwrap_or_else(|| tenant.clone()),
        organization.map_or(tenant.as_str(), |o| o.id.as_str()),
        config_path(home).display()
    );
    if json_output {
        render::print_json(&json!({
            "connected": true,
            "tenant": organization.map(|o| json!({"id": o.id, "displayName": o.display_name})),
            "config": config_path(home),
            "credential": credential_kind,
            "granted": validation.granted,
            "missingPermissions": validation.missing,
            "missingOptionalPermissions": validation.missing_optional,
            "adminConsentUrl": consent_url,
            "plan": plan,
        }));
        return Ok(0);
    }
    println!("{summary}");
    println!("  credential: {credential_kind}");
    println!(
        "  granted:    {}",
        if validation.granted.is_empty() {
            "no application permissions yet".to_string()
        } else {
            validation.granted.join(", ")
        }
    );
    if validation.missing.is_empty() {
        println!("  consent:    every required permission is granted");
    } else {
        println!(
            "  consent:    MISSING {} — add them to the app registration and have a Global Administrator open\n              {consent_url}",
            validation.missing.join(", ")
        );
    }
    if !validation.missing_optional.is_empty() {
        println!(
            "  optional:   not granted: {}",
            validation.missing_optional.join(", ")
        );
    }
    if let Some(error) = &validation.organization_error {
        println!("  note:       the tenant could not be read yet: {error}");
    }
    println!(
        "Next: `keydesk discover` (roles, groups, apps, licences, the proposed profile) and `keydesk doctor`."
    );
    Ok(0)
}

fn print_plan(plan: &PermissionPlan, consent_url: &str) {
    println!(
        "keydesk's app registration needs, for {} action(s):",
        plan.actions.len()
    );
    println!(
        "  Microsoft Graph application permissions: {}",
        plan.required.join(", ")
    );
    if !plan.optional.is_empty() {
        println!(
            "  optional (features):                     {}",
            plan.optional.join(", ")
        );
    }
    if !plan.roles.is_empty() {
        println!(
            "  directory role for its service principal: {}",
            plan.roles.join(", ")
        );
    }
    println!("  admin consent: {consent_url}");
}

fn required(value: Option<String>, interactive: bool, prompt: &str) -> anyhow::Result<String> {
    if let Some(value) = value.filter(|v| !v.trim().is_empty()) {
        return Ok(value.trim().to_string());
    }
    if !interactive {
        anyhow::bail!("{prompt} is required (see keydesk connect --help)");
    }
    eprint!("{prompt}: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let line = line.trim().to_string();
    if line.is_empty() {
        anyhow::bail!("{prompt} is required");
    }
    Ok(line)
}

fn provided_credential(args: &ConnectArgs, interactive: bool) -> anyhow::Result<Provided> {
    if let Some(certificate) = &args.certificate {
        return Ok(Provided::Certificate {
            certificate: certificate.clone(),
            key: args.key.clone(),
        });
    }
    if let Some(name) = &args.secret_env {
        let value = std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .with_context(|| format!("the environment variable {name} holds no secret"))?;
        return Ok(Provided::Secret {
            secret: Secret::new(value.trim().to_string()),
            env: Some(name.clone()),
        });
    }
    if args.secret_stdin || !interactive {
        if !args.secret_stdin {
            anyhow::bail!(
                "say how keydesk gets the credential: --secret-env VAR, --secret-stdin, --certificate PEM or --generate-certificate"
            );
        }
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        let secret = Secret::new(line.trim().to_string());
        if secret.expose().is_empty() {
            anyhow::bail!("no secret on standard input");
        }
        return Ok(Provided::Secret { secret, env: None });
    }
    let secret =
        rpassword::prompt_password("Client secret (not echoed): ").context("reading the secret")?;
    if secret.trim().is_empty() {
        anyhow::bail!("no secret given");
    }
    Ok(Provided::Secret {
        secret: Secret::new(secret.trim().to_string()),
        env: None,
    })
}

fn certificate_credential(
    certificate: &Path,
    key: Option<&Path>,
) -> anyhow::Result<CertificateCredential> {
    match key {
        None => Ok(CertificateCredential::from_pem_file(certificate)?),
        Some(key) => {
            let certificate = std::fs::read_to_string(certificate)
                .with_context(|| format!("reading {}", certificate.display()))?;
            let key = Secret::new(
                std::fs::read_to_string(key)
                    .with_context(|| format!("reading {}", key.display()))?,
            );
            Ok(CertificateCredential::from_parts(
                &certificate,
                key.expose(),
            )?)
        }
    }
}

/// Generates an RSA key and a self-signed certificate in `credentials/`: the key owner-only,
/// the certificate ready to upload. Nothing is validated or saved as configuration yet.
fn generate_certificate(
    home: &Home,
    args: &ConnectArgs,
    tenant: &str,
    client_id: &str,
    json_output: bool,
) -> anyhow::Result<u8> {
    let key =
        rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).context("generating an RSA key")?;
    let mut params =
        rcgen::CertificateParams::new(Vec::<String>::new()).context("certificate parameters")?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("keydesk {client_id}"));
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::minutes(5);
    params.not_after = now + time::Duration::days(i64::from(args.certificate_days.max(1)));
    let certificate = params
        .self_signed(&key)
        .context("signing the certificate")?;
    let directory = home.root().join("credentials");
    std::fs::create_dir_all(&directory)
        .with_context(|| format!("creating {}", directory.display()))?;
    let stamp = now.unix_timestamp();
    let certificate_path = directory.join(format!("keydesk-{stamp}.crt"));
    let key_path = directory.join(format!("keydesk-{stamp}.key"));
    let private = Secret::new(key.serialize_pem());
    write_private(&key_path, private.expose().as_bytes())?;
    std::fs::write(&certificate_path, certificate.pem())
        .with_context(|| format!("writing {}", certificate_path.display()))?;
    let thumbprint = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
        certificate.der(),
    )
    .as_ref()
    .iter()
    .map(|b| format!("{b:02X}"))
    .collect::<String>();
    let next = format!(
        "keydesk connect --tenant {tenant} --client-id {client_id} --certificate {} --key {}",
        certificate_path.display(),
        key_path.display()
    );
    if json_output {
        render::print_json(&json!({
            "certificate": certificate_path,
            "key": key_path,
            "thumbprint": thumbprint,
            "notAfter": params.not_after.unix_timestamp(),
            "next": next,
        }));
    } else {
        println!(
            "Generated a self-signed certificate (RSA 2048, {} days):",
            args.certificate_days
        );
        println!(
            "  certificate (upload this one): {}",
            certificate_path.display()
        );
        println!("  private key (owner-only):      {}", key_path.display());
        println!("  thumbprint:                    {thumbprint}");
        println!(
            "Upload the certificate under the app registration's \"Certificates & secrets\", then run:\n  {next}"
        );
    }
    Ok(0)
}

fn absolute(path: &Path) -> anyhow::Result<String> {
    let path =
        std::path::absolute(path).with_context(|| format!("resolving {}", path.display()))?;
    Ok(path.display().to_string())
}

/// Writes a file readable by its owner only, replacing it atomically.
fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let directory = path.parent().unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(directory)
        .with_context(|| format!("creating a file in {}", directory.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("restricting {}", path.display()))?;
    }
    file.write_all(contents)?;
    file.as_file().sync_all()?;
    file.persist(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// `discover`: the report, then the proposed profile as a diff against the one in force, kept
/// with `--accept` (or a yes at the prompt). Accepting is recorded in the audit log first.
pub async fn discover(
    home: &Home,
    ops: &keydesk_ops::Ops,
    guard: &keydesk_guard::Guard,
    actor: &keydesk_ops::guarded::Actor,
    args: &DiscoverArgs,
    json_output: bool,
) -> anyhow::Result<u8> {
    let (report, proposed) = match keydesk_ops::discover::discover(ops).await {
        Ok(discovered) => discovered,
        Err(error) => return Ok(render::error(&error, json_output)),
    };
    let current = TenantProfile::of(&ops.settings);
    let diff = profile_diff(&current, &proposed);
    let interactive = std::io::stdin().is_terminal() && !json_output;
    let may_accept = actor
        .principal
        .directory_roles
        .iter()
        .any(|role| PROFILE_ROLES.contains(&role.as_str()));
    if args.accept && !may_accept && current != proposed {
        return Ok(render::error(
            &keydesk_ops::Error::refused(
                format!(
                    "{} may not change the tenant profile: it decides who is a helpdesk operator and which accounts are protected",
                    actor.principal.upn
                ),
                format!("ask a {} to accept it", PROFILE_ROLES.join(" or ")),
            ),
            json_output,
        ));
    }
    if json_output {
        let mut value = serde_json::to_value(&report)?;
        value["profileDiff"] = json!(diff);
        if !args.accept {
            render::print_json(&value);
            return Ok(0);
        }
        let accepted = accept(home, ops, guard, &proposed, &current).await?;
        value["profileAccepted"] = json!(accepted);
        render::print_json(&value);
        return Ok(0);
    }
    render::report(&report, false);
    if current == proposed {
        println!("\nThe tenant profile in force already matches the proposal.");
        return Ok(0);
    }
    println!(
        "\nProposed tenant profile ({}):",
        profile_path(home).display()
    );
    print!("{diff}");
    let yes = args.accept
        || (interactive && render::confirm("Accept this profile? [y/N] ").unwrap_or(false));
    if !yes {
        println!("Not accepted; run `keydesk discover --accept` to keep it.");
        return Ok(0);
    }
    accept(home, ops, guard, &proposed, &current).await?;
    println!(
        "Accepted: {} now decides the helpdesk group and the protected accounts.",
        profile_path(home).display()
    );
    Ok(0)
}

async fn accept(
    home: &Home,
    ops: &keydesk_ops::Ops,
    guard: &keydesk_guard::Guard,
    proposed: &TenantProfile,
    current: &TenantProfile,
) -> anyhow::Result<bool> {
    if proposed == current && profile_path(home).exists() {
        return Ok(false);
    }
    let mut intent = AuditEvent::intent(ops.actor.to_lowercase(), "accept_tenant_profile");
    intent.details = json!({"from": current, "to": proposed});
    let record = guard
        .audit()
        .append(&intent)
        .await
        .context("the audit record could not be written; the profile was not changed")?;
    std::fs::create_dir_all(home.root())?;
    let written = write_private(&profile_path(home), proposed.to_pretty_json().as_bytes());
    let outcome = match &written {
        Ok(()) => Outcome {
            status: OutcomeStatus::Done,
            summary: format!(
                "tenant profile accepted: helpdesk group \"{}\", {} protected accounts",
                proposed.helpdesk_group,
                proposed.protected_accounts.len()
            ),
        },
        Err(error) => Outcome {
            status: OutcomeStatus::Failed,
            summary: format!("the tenant profile could not be written: {error}"),
        },
    };
    guard
        .audit()
        .append(&AuditEvent::outcome_of(&record, outcome))
        .await
        .context("writing the audit outcome")?;
    written?;
    Ok(true)
}

/// A unified diff of the two profiles' JSON.
pub fn profile_diff(current: &TenantProfile, proposed: &TenantProfile) -> String {
    let before = current.to_pretty_json();
    let after = proposed.to_pretty_json();
    similar::TextDiff::from_lines(&before, &after)
        .unified_diff()
        .header("tenant profile in force", "proposed")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_diff_shows_added_protected_accounts() {
        let current = TenantProfile {
            helpdesk_group: "Helpdesk Operators".into(),
            protected_accounts: vec![],
        };
        let proposed = TenantProfile {
            helpdesk_group: "Helpdesk Operators".into(),
            protected_accounts: vec!["admin@contoso.com".into()],
        };
        let diff = profile_diff(&current, &proposed);
        assert!(diff.contains("+    \"admin@contoso.com\""), "{diff}");
        assert!(diff.contains("-  \"protectedAccounts\": []"), "{diff}");
        assert!(profile_diff(&current, &current).is_empty());
    }

    #[test]
    fn a_saved_configuration_names_the_secret_file_not_the_secret() -> anyhow::Result<()> {
        let home = tempfile::tempdir()?;
        let home = Home::at(home.path());
        write_private(&secret_path(&home), b"s3cr3t-value")?;
        let saved =
            json!({"tenant_id": "t", "client_id": "c", "client_secret_file": "client-secret"});
        let config = GraphConfig::from_json_value(saved.clone(), Some(home.root()))?;
        assert!(
            matches!(config.credential, Credential::Secret(ref s) if s.expose() == "s3cr3t-value")
        );
        assert!(!saved.to_string().contains("s3cr3t"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(secret_path(&home))?.permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        Ok(())
    }
}
