//! `show_user`, `search_users`, `create_user`, `update_user_profile` and `update_photo` on the
//! demo cast, including the rule that a new account's password never reaches a report or a log.

use keydesk_ops::delivery::Delivery;
use keydesk_ops::directory::{
    NewUserRequest, ProfileUpdate, SearchCriteria, create_user, search_users, show_user,
    update_photo, update_user_profile,
};
use keydesk_ops::{Error, Mode, Outcome, StepStatus};
use keydesk_policy::Action;
use serde_json::Value;

use crate::harness::{World, noa, upn};

fn names(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .filter_map(|item| item[field].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn alice_shows_her_groups_but_not_it_support() {
    let world = World::start().await;
    let report = show_user(&world.ops, "AliceC").await.expect("show runs");
    assert_eq!(report.action, "show_user");
    assert_eq!(
        report.target.as_deref(),
        Some(upn("AliceC").to_lowercase().as_str())
    );
    assert_eq!(report.outcome, Outcome::Info);
    let details = &report.details;
    assert_eq!(details["profile"]["department"], "R&D");
    assert_eq!(details["profile"]["jobTitle"], "Engineer");
    assert_eq!(details["profile"]["accountEnabled"], true);
    assert_eq!(
        details["manager"]["userPrincipalName"],
        upn("DavidP").to_lowercase()
    );
    let groups = names(&details["groups"], "displayName");
    assert!(
        groups.contains(&"All-Engineering".to_string()),
        "{groups:?}"
    );
    assert!(groups.contains(&"Sales Team".to_string()), "{groups:?}");
    assert!(!groups.contains(&"IT Support".to_string()), "{groups:?}");
    assert_eq!(details["roles"].as_array().map(Vec::len), Some(0));
    assert!(
        details["methods"]["types"]
            .as_array()
            .is_some_and(|t| !t.is_empty())
    );
    assert_eq!(details["risk"]["level"], "none");
}

#[tokio::test]
async fn nestor_shows_a_privileged_role() {
    let world = World::start().await;
    let report = show_user(&world.ops, "nestorw@contoso.onmicrosoft.com")
        .await
        .expect("show runs");
    let roles = report.details["roles"].as_array().expect("roles").clone();
    let ga = roles
        .iter()
        .find(|r| r["name"] == "Global Administrator")
        .expect("GA listed");
    assert_eq!(ga["privileged"], true);
    assert!(
        report.summary.contains("privileged: Global Administrator"),
        "{}",
        report.summary
    );
}

#[tokio::test]
async fn diego_shows_his_risk_and_grady_his_sync() {
    let world = World::start().await;
    let diego = show_user(&world.ops, "DiegoS").await.expect("show runs");
    assert_eq!(diego.details["risk"]["level"], "high");
    assert_eq!(diego.details["risk"]["state"], "atRisk");
    let grady = show_user(&world.ops, "GradyA").await.expect("show runs");
    assert_eq!(grady.details["profile"]["synced"], true);
    assert!(
        grady.notes.iter().any(|n| n.contains("on-premises")),
        "{:?}",
        grady.notes
    );
}

#[tokio::test]
async fn john_smith_is_ambiguous() {
    let world = World::start().await;
    let error = show_user(&world.ops, "John Smith")
        .await
        .expect_err("two people match");
    let Error::AmbiguousUser { candidates, .. } = error else {
        panic!("expected AmbiguousUser, got {error:?}");
    };
    let mut ids: Vec<String> = candidates.iter().map(|c| c.id.to_lowercase()).collect();
    ids.sort();
    assert_eq!(
        ids,
        vec![
            upn("john.smith").to_lowercase(),
            upn("jsmith").to_lowercase()
        ]
    );
}

#[tokio::test]
async fn sales_department_search() {
    let world = World::start().await;
    let criteria = SearchCriteria {
        department: Some("Sales".into()),
        ..SearchCriteria::default()
    };
    let report = search_users(&world.ops, &criteria)
        .await
        .expect("search runs");
    assert_eq!(report.action, "search_users");
    let found = names(&report.details["users"], "userPrincipalName");
    for nick in ["MiriamG", "AlexW", "AdeleV", "DiegoS", "IsaiahL", "ShaneO"] {
        assert!(
            found.contains(&upn(nick).to_lowercase()),
            "{nick} missing from {found:?}"
        );
    }
    let departments: Vec<String> = names(&report.details["users"], "department");
    assert!(departments.iter().all(|d| d == "Sales"), "{departments:?}");

    let disabled = SearchCriteria {
        department: Some("Sales".into()),
        enabled: Some(false),
        ..SearchCriteria::default()
    };
    let report = search_users(&world.ops, &disabled)
        .await
        .expect("search runs");
    assert!(
        names(&report.details["users"], "userPrincipalName")
            .contains(&upn("AdeleV").to_lowercase())
    );
    assert!(
        !names(&report.details["users"], "userPrincipalName")
            .contains(&upn("AlexW").to_lowercase())
    );
}

#[tokio::test]
async fn apostrophe_search_finds_only_shane() {
    let world = World::start().await;
    for text in ["O'Brien", "Shane O'Brien", "o'b"] {
        let criteria = SearchCriteria {
            text: Some(text.into()),
            ..SearchCriteria::default()
        };
        let report = search_users(&world.ops, &criteria)
            .await
            .expect("search runs");
        assert_eq!(
            names(&report.details["users"], "userPrincipalName"),
            vec![upn("ShaneO").to_lowercase()],
            "{text}"
        );
    }
    let injection = SearchCriteria {
        text: Some("x') or startswith(displayName,'".into()),
        ..SearchCriteria::default()
    };
    let report = search_users(&world.ops, &injection)
        .await
        .expect("search runs");
    assert_eq!(
        report.details["count"], 0,
        "the quote stays inside the literal"
    );
    let empty = search_users(&world.ops, &SearchCriteria::default())
        .await
        .expect_err("nothing to search for");
    assert!(matches!(empty, Error::InvalidInput(_)), "{empty:?}");
}

#[tokio::test]
async fn create_user_dry_run_and_bad_input() {
    let world = World::start().await;
    let request = NewUserRequest {
        upn: None,
        mail_nickname: Some("noa.levi".into()),
        ..noa()
    };
    let report = create_user(&world.ops, &request, &Delivery::Manager, &Mode::DryRun)
        .await
        .expect("plan");
    assert_eq!(report.outcome, Outcome::Planned);
    assert!(report.steps.iter().all(|s| s.status == StepStatus::Planned));
    assert_eq!(
        report.target.as_deref(),
        Some(upn("noa.levi").to_lowercase().as_str())
    );
    assert!(world.outbox().await.is_empty());
    assert!(
        world
            .emulator
            .with_tenant(|t| t.user(&upn("noa.levi")).is_err()),
        "a dry run creates nothing"
    );

    let no_manager = NewUserRequest {
        manager: None,
        ..noa()
    };
    let error = create_user(
        &world.ops,
        &no_manager,
        &Delivery::Manager,
        &world
            .execute(
                Action::CreateUser,
                no_manager.upn.as_deref().unwrap_or_default(),
            )
            .await,
    )
    .await
    .expect_err("nobody to deliver to");
    assert!(matches!(error, Error::Refused { .. }), "{error:?}");
    let bad_upn = NewUserRequest {
        upn: Some("noa levi@contoso.onmicrosoft.com".into()),
        ..noa()
    };
    assert!(matches!(
        create_user(
            &world.ops,
            &bad_upn,
            &Delivery::Reveal,
            &world
                .execute(
                    Action::CreateUser,
                    bad_upn.upn.as_deref().unwrap_or_default()
                )
                .await
        )
        .await,
        Err(Error::InvalidInput(_))
    ));
    let foreign = NewUserRequest {
        upn: Some("noa@fabrikam.com".into()),
        ..noa()
    };
    assert!(matches!(
        create_user(
            &world.ops,
            &foreign,
            &Delivery::Reveal,
            &world
                .execute(
                    Action::CreateUser,
                    foreign.upn.as_deref().unwrap_or_default()
                )
                .await
        )
        .await,
        Err(Error::InvalidInput(_))
    ));
    assert!(
        world
            .emulator
            .with_tenant(|t| t.user(&upn("noa.levi")).is_err()),
        "nothing was created"
    );
}

#[tokio::test]
async fn profile_update_changes_only_what_differs() {
    let world = World::start().await;
    let update = ProfileUpdate {
        mobile_phone: Some("+1 415 555 0123".into()),
        office_location: Some("SF HQ - Floor 4".into()),
        department: Some("R&D".into()),
        ..ProfileUpdate::default()
    };
    let plan = update_user_profile(&world.ops, "AliceC", &update, &Mode::DryRun)
        .await
        .expect("plan");
    assert_eq!(plan.outcome, Outcome::Planned);
    assert_ne!(
        world
            .user_state("AliceC", |u| u.user.mobile_phone.clone())
            .as_deref(),
        Some("+1 415 555 0123")
    );

    let report = update_user_profile(
        &world.ops,
        "AliceC",
        &update,
        &world.execute(Action::UpdateUserProfile, "AliceC").await,
    )
    .await
    .expect("update runs");
    assert_eq!(report.outcome, Outcome::Done, "{report:#?}");
    let changed: Vec<String> = names(&report.details["changes"], "property");
    assert_eq!(
        changed,
        vec!["officeLocation", "mobilePhone"],
        "department was already R&D"
    );
    assert_eq!(report.verified.len(), 2, "{:?}", report.verified);
    assert_eq!(
        world
            .user_state("AliceC", |u| u.user.mobile_phone.clone())
            .as_deref(),
        Some("+1 415 555 0123")
    );
    assert_eq!(
        world
            .user_state("AliceC", |u| u.user.office_location.clone())
            .as_deref(),
        Some("SF HQ - Floor 4")
    );

    let again = update_user_profile(
        &world.ops,
        "AliceC",
        &update,
        &world.execute(Action::UpdateUserProfile, "AliceC").await,
    )
    .await
    .expect("update runs");
    assert_eq!(again.outcome, Outcome::NothingToDo);
    let two_phones = ProfileUpdate {
        business_phones: Some(vec!["+1 1".into(), "+1 2".into()]),
        ..ProfileUpdate::default()
    };
    assert!(matches!(
        update_user_profile(
            &world.ops,
            "AliceC",
            &two_phones,
            &world.execute(Action::UpdateUserProfile, "AliceC").await
        )
        .await,
        Err(Error::InvalidInput(_))
    ));
}

#[tokio::test]
async fn synced_grady_is_refused_with_guidance() {
    let world = World::start().await;
    let update = ProfileUpdate {
        job_title: Some("Senior Engineer".into()),
        ..ProfileUpdate::default()
    };
    let error = update_user_profile(
        &world.ops,
        "GradyA",
        &update,
        &world.execute(Action::UpdateUserProfile, "GradyA").await,
    )
    .await
    .expect_err("synced");
    let Error::Refused { reason, guidance } = error else {
        panic!("expected a refusal, got {error:?}");
    };
    assert!(reason.contains("on-premises"), "{reason}");
    assert!(guidance.contains("Active Directory"), "{guidance}");
    assert_eq!(
        world
            .user_state("GradyA", |u| u.user.job_title.clone())
            .as_deref(),
        Some("Engineer")
    );
}

/// A real (uncompressed) PNG of `size`×`size` grey pixels.
fn png(size: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for byte in bytes {
            crc ^= u32::from(*byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).expect("small").to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    let mut raw = Vec::new();
    for _ in 0..size {
        raw.push(0); // filter: none
        raw.extend(std::iter::repeat_n(0x80u8, size as usize));
    }
    let (mut a, mut b) = (1u32, 0u32);
    for byte in &raw {
        a = (a + u32::from(*byte)) % 65521;
        b = (b + a) % 65521;
    }
    let length = u16::try_from(raw.len()).expect("one stored block");
    let mut zlib = vec![0x78, 0x01, 0x01];
    zlib.extend_from_slice(&length.to_le_bytes());
    zlib.extend_from_slice(&(!length).to_le_bytes());
    zlib.extend_from_slice(&raw);
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut header = Vec::new();
    header.extend_from_slice(&size.to_be_bytes());
    header.extend_from_slice(&size.to_be_bytes());
    header.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit greyscale
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &header);
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[tokio::test]
async fn photo_png_is_accepted_and_text_refused() {
    let world = World::start().await;
    let image = png(48);
    let report = update_photo(
        &world.ops,
        "LidiaH",
        image.clone(),
        "me.png",
        &world.execute(Action::UpdatePhoto, "LidiaH").await,
    )
    .await
    .expect("upload runs");
    assert_eq!(report.outcome, Outcome::Done, "{report:#?}");
    assert_eq!(report.details["width"], 48);
    assert!(
        report.verified.iter().any(|v| v.contains("as uploaded")),
        "{:?}",
        report.verified
    );
    let stored = world.user_state("LidiaH", |u| {
        u.photo.as_ref().map(|p| (p.content_type.clone(), p.width))
    });
    assert_eq!(stored, Some(("image/png".to_string(), 48)));

    let mislabelled = update_photo(
        &world.ops,
        "LidiaH",
        image.clone(),
        "image/jpeg",
        &Mode::DryRun,
    )
    .await
    .expect("plan");
    assert_eq!(mislabelled.outcome, Outcome::Planned);
    assert!(
        mislabelled
            .notes
            .iter()
            .any(|n| n.contains("declared as image/jpeg")),
        "{:?}",
        mislabelled.notes
    );

    let text = b"Dear helpdesk, here is my photo. ".repeat(20);
    let error = update_photo(
        &world.ops,
        "AliceC",
        text,
        "photo.png",
        &world.execute(Action::UpdatePhoto, "AliceC").await,
    )
    .await
    .expect_err("text is no photo");
    assert!(
        matches!(&error, Error::InvalidInput(why) if why.contains("text")),
        "{error:?}"
    );
    let truncated = image[..image.len() - 12].to_vec();
    assert!(matches!(
        update_photo(
            &world.ops,
            "AliceC",
            truncated,
            "me.png",
            &world.execute(Action::UpdatePhoto, "AliceC").await
        )
        .await,
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        update_photo(
            &world.ops,
            "AliceC",
            Vec::new(),
            "me.png",
            &world.execute(Action::UpdatePhoto, "AliceC").await
        )
        .await,
        Err(Error::InvalidInput(_))
    ));
    let huge = [image.as_slice(), &vec![0u8; 4 * 1024 * 1024]].concat();
    assert!(matches!(
        update_photo(
            &world.ops,
            "AliceC",
            huge,
            "me.png",
            &world.execute(Action::UpdatePhoto, "AliceC").await
        )
        .await,
        Err(Error::InvalidInput(_))
    ));
    assert!(
        world.user_state("AliceC", |u| u.photo.is_none()),
        "nothing was uploaded for AliceC"
    );
}
