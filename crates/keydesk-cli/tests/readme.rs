//! README.md documents the Graph application permissions each action needs. The table is
//! generated from `keydesk_ops::doctor::ACTION_REQUIREMENTS` (the one place keydesk keeps it), and
//! this test fails when the two drift apart. `UPDATE_EXPECT=1 cargo test -p keydesk-cli --test
//! readme` rewrites the README block.

use keydesk_ops::doctor::{ACTION_REQUIREMENTS, License};

const START: &str = "<!-- permissions:start -->";
const END: &str = "<!-- permissions:end -->";

fn table() -> String {
    let mut text = String::from(
        "| action | application permissions (any of each group; first is least privileged) | directory role of keydesk's app | licence |\n|---|---|---|---|\n",
    );
    for requirement in ACTION_REQUIREMENTS {
        let permissions: Vec<String> = requirement
            .permissions
            .iter()
            .map(|group| {
                group
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            })
            .collect();
        let mut roles: Vec<String> = requirement
            .role
            .iter()
            .map(|r| r.name.to_string())
            .collect();
        if !requirement.admin_targets.is_empty() {
            let admin: Vec<&str> = requirement.admin_targets.iter().map(|r| r.name).collect();
            roles.push(format!("for administrator targets: {}", admin.join(" or ")));
        }
        let license = match requirement.license {
            License::Free => "any",
            License::P1 => "Entra ID P1",
            License::P2 => "Entra ID P2",
        };
        text.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            requirement.action,
            if permissions.is_empty() {
                "—".to_string()
            } else {
                permissions.join("; and ")
            },
            if roles.is_empty() {
                "—".to_string()
            } else {
                roles.join("; ")
            },
            license
        ));
    }
    text
}

#[test]
fn readme_lists_every_action_with_its_permissions() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md is readable");
    let (Some(start), Some(end)) = (readme.find(START), readme.find(END)) else {
        panic!("README.md lacks the {START} … {END} block");
    };
    let current = &readme[start + START.len()..end];
    let expected = format!("\n{}", table());
    if current != expected {
        if std::env::var_os("UPDATE_EXPECT").is_some() {
            let updated = format!("{}{START}{expected}{}", &readme[..start], &readme[end..]);
            std::fs::write(&path, updated).expect("README.md is writable");
        } else {
            panic!(
                "README.md's permission table is out of date; run UPDATE_EXPECT=1 cargo test -p keydesk-cli --test readme"
            );
        }
    }
}

/// Every `keydesk ...` command in the README's "Connect your tenant" section is one the CLI
/// accepts, so the flow a new admin follows cannot drift from the binary.
#[test]
fn the_connect_your_tenant_flow_runs_as_written() {
    use clap::Parser;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md is readable");
    let start = readme
        .find("## Connect your tenant")
        .expect("README.md has a Connect your tenant section");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let mut in_code = false;
    let commands: Vec<String> = section
        .lines()
        .map(str::trim)
        .filter(|line| {
            if line.starts_with("```") {
                in_code = !in_code;
            }
            in_code
        })
        .filter(|line| line.starts_with("keydesk "))
        .map(|line| line.split(" # ").next().unwrap_or(line).trim().to_string())
        .collect();
    assert!(commands.len() >= 7, "{commands:?}");
    for subcommand in ["connect", "discover", "doctor"] {
        assert!(
            commands
                .iter()
                .any(|c| c.split_whitespace().nth(1) == Some(subcommand)),
            "the flow runs {subcommand}: {commands:?}"
        );
    }
    for command in &commands {
        // Placeholders stand for values the admin fills in.
        let argv: Vec<String> = command
            .split_whitespace()
            .map(|word| word.replace(['<', '>'], ""))
            .collect();
        if let Err(error) = keydesk_cli::Cli::try_parse_from(&argv) {
            panic!("README command `{command}` does not parse: {error}");
        }
    }
}
