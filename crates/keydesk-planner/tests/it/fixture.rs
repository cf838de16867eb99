//! The Contoso demo tenant as a planner directory, built once per test binary from
//! `keydesk-graph-emu`'s seed (the same cast, background users, departments and groups the
//! emulator serves), and the compact step notation the corpus uses.

use std::sync::OnceLock;

use keydesk_graph_emu::SeedConfig;
use keydesk_planner::{GroupEntry, MemoryDirectory, Person};

pub const DOMAIN: &str = "contoso.onmicrosoft.com";

/// The demo tenant's people and groups.
pub fn directory() -> &'static MemoryDirectory {
    static DIRECTORY: OnceLock<MemoryDirectory> = OnceLock::new();
    DIRECTORY.get_or_init(|| {
        let now = time::macros::datetime!(2026-03-02 09:00 UTC);
        let tenant = keydesk_graph_emu::seed::contoso(&SeedConfig::default(), now);
        let people = tenant
            .users
            .values()
            .map(|record| {
                let user = &record.user;
                Person {
                    upn: user.user_principal_name.clone(),
                    display_name: user.display_name.clone(),
                    given_name: user.given_name.clone(),
                    surname: user.surname.clone(),
                    mail: user.mail.clone(),
                    mail_nickname: Some(user.mail_nickname.clone()),
                    department: user.department.clone(),
                    job_title: user.job_title.clone(),
                    city: user.city.clone(),
                }
            })
            .collect();
        let groups = tenant
            .groups
            .values()
            .map(|record| GroupEntry {
                display_name: record.group.display_name.clone(),
                mail_nickname: Some(record.group.mail_nickname.clone()),
            })
            .collect();
        MemoryDirectory::new(people, groups)
    })
}

/// `alexw` → `alexw@contoso.onmicrosoft.com`; full UPNs are lower-cased.
pub fn upn(local: &str) -> String {
    let local = local.to_lowercase();
    if local.contains('@') {
        local
    } else {
        format!("{local}@{DOMAIN}")
    }
}
