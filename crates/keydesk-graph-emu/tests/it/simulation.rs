//! The simulation knobs of the control plane (`/_emulator`): smart lockout through simulated
//! sign-ins (threshold, repeated bad passwords, lock expiry, growing locks, the sign-in log),
//! throttling (429 with `Retry-After` and the throttle headers, per-item 429 in `$batch`,
//! identity protection without `Retry-After`), injected faults and latency, the outbox (mail
//! sent through Graph and the SMS gateway), the clock, and state export/import.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Emu, READONLY, upn};
use keydesk_graph_emu::SimulationConfig;
use keydesk_graph_emu::seed::demo_password;

/// An address none of the cast ever signed in from.
const UNFAMILIAR_IP: &str = "203.0.113.77";

async fn code(emu: &Emu, local: &str, password: &str) -> i64 {
    let answer = emu.sign_in(local, password, UNFAMILIAR_IP).await;
    answer.body["errorCode"]
        .as_i64()
        .unwrap_or_else(|| panic!("errorCode in {}", answer.text))
}

#[tokio::test]
async fn smart_lockout_locks_after_ten_distinct_bad_passwords_and_unlocks_after_the_lock() {
    let emu = Emu::start().await;
    // A repeated bad password counts once.
    for _ in 0..4 {
        assert_eq!(code(&emu, "LidiaH", "Wrong-0").await, 50126);
    }
    for attempt in 1..=8 {
        assert_eq!(
            code(&emu, "LidiaH", &format!("Wrong-{attempt}")).await,
            50126,
            "attempt {attempt} is not yet the tenth"
        );
    }
    assert_eq!(
        code(&emu, "LidiaH", "Wrong-9").await,
        50053,
        "the tenth distinct failure locks"
    );
    let right = demo_password("LidiaH");
    assert_eq!(
        code(&emu, "LidiaH", &right).await,
        50053,
        "locked even with the right password"
    );

    // The log shows it, as Graph's sign-ins.
    let sign_ins = emu.sign_ins_of("LidiaH").await;
    let from_attacker: Vec<&Value> = sign_ins
        .iter()
        .filter(|s| s["ipAddress"] == UNFAMILIAR_IP)
        .collect();
    assert_eq!(from_attacker.len(), 14);
    assert_eq!(
        from_attacker[0].pointer("/status/errorCode"),
        Some(&json!(50053)),
        "newest first"
    );

    emu.advance_clock(61).await;
    assert_eq!(code(&emu, "LidiaH", &right).await, 0, "the lock has passed");
}

#[tokio::test]
async fn smart_lockout_locks_again_for_longer() {
    let emu = Emu::start().await;
    for attempt in 0..10 {
        code(&emu, "ShaneO", &format!("Guess-{attempt}")).await;
    }
    let right = demo_password("ShaneO");
    assert_eq!(code(&emu, "ShaneO", &right).await, 50053);
    emu.advance_clock(61).await;
    // A failure right after the first lock locks again, for longer than the first minute.
    assert_eq!(code(&emu, "ShaneO", "Guess-10").await, 50053);
    emu.advance_clock(61).await;
    assert_eq!(
        code(&emu, "ShaneO", &right).await,
        50053,
        "the second lock lasts more than a minute"
    );
    emu.advance_clock(70).await;
    assert_eq!(code(&emu, "ShaneO", &right).await, 0, "and it ends");
}

#[tokio::test]
async fn simulated_sign_ins_follow_account_state() {
    let emu = Emu::start().await;
    assert_eq!(code(&emu, "AdeleV", &demo_password("AdeleV")).await, 50057);
    assert_eq!(
        code(&emu, "IsaiahL", &demo_password("IsaiahL")).await,
        50055
    );
    assert_eq!(
        code(&emu, "HenriettaM", &demo_password("HenriettaM")).await,
        50079
    );
    assert_eq!(code(&emu, "DiegoS", &demo_password("DiegoS")).await, 530032);
    let denied = emu
        .control(
            Method::POST,
            "/signin",
            Some(json!({"userPrincipalName": upn("TomB"), "password": demo_password("TomB"), "ipAddress": UNFAMILIAR_IP, "mfa": "deny"})),
        )
        .await
        .expect(200);
    assert_eq!(denied.body["errorCode"], 500121);
    let nobody = emu.sign_in("nobody", "x", UNFAMILIAR_IP).await;
    assert_eq!(nobody.body["errorCode"], 50034);
}

async fn set_simulation(emu: &Emu, config: Value) {
    emu.control(Method::PUT, "/simulation", Some(config))
        .await
        .expect(200);
}

#[tokio::test]
async fn write_throttling_answers_429_with_retry_after_then_recovers() {
    let emu = Emu::start().await;
    set_simulation(
        &emu,
        // A 6 s write window: long enough that six quick writes always share it on a busy machine.
        json!({"throttle": {"enabled": true, "writesPerWindow": 5, "timeScale": 0.04}}),
    )
    .await;
    let config = emu
        .control(Method::GET, "/simulation", None)
        .await
        .expect(200);
    assert_eq!(config.body["throttle"]["writesPerWindow"], 5);

    let path = format!("/users/{}", upn("LidiaH"));
    let mut throttled = None;
    for attempt in 0..20 {
        let response = emu
            .patch_json(&path, &json!({"jobTitle": format!("Engineer {attempt}")}))
            .await;
        if response.status == 429 {
            throttled = Some((attempt, response));
            break;
        }
        response.expect(204);
    }
    let (attempt, response) = throttled.expect("a 429 within the budget");
    assert_eq!(attempt, 5, "five writes fit the window");
    let response = response.expect_error(429, "TooManyRequests");
    let retry_after: u64 = response
        .header("Retry-After")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=6).contains(&retry_after), "{retry_after}");
    assert_eq!(
        response.header("x-ms-throttle-information"),
        Some("WriteLimitExceeded")
    );
    assert!(
        response
            .header("x-ms-throttle-scope")
            .is_some_and(|s| s.ends_with("/Write")),
        "{:?}",
        response.header("x-ms-throttle-scope")
    );
    // Reads are not writes.
    emu.get(&path).await.expect(200);

    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    emu.patch_json(&path, &json!({"jobTitle": "Engineer again"}))
        .await
        .expect(204);
}

#[tokio::test]
async fn batch_items_are_throttled_one_by_one() {
    let emu = Emu::start().await;
    set_simulation(
        &emu,
        json!({"throttle": {"enabled": true, "writesPerWindow": 2, "timeScale": 1.0}}),
    )
    .await;
    let lidia = emu.user_id("LidiaH").await;
    let requests: Vec<Value> = (1..=4)
        .map(|i| {
            json!({"id": i.to_string(), "method": "PATCH", "url": format!("/users/{lidia}"),
                   "headers": {"Content-Type": "application/json"}, "body": {"jobTitle": format!("Title {i}")}})
        })
        .collect();
    let response = emu
        .post_json("/$batch", &json!({"requests": requests}))
        .await
        .expect(200);
    let items = response.body["responses"].as_array().expect("responses");
    let statuses: Vec<u64> = items.iter().filter_map(|i| i["status"].as_u64()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 204).count(),
        2,
        "{statuses:?}"
    );
    let throttled: Vec<&Value> = items.iter().filter(|i| i["status"] == 429).collect();
    assert_eq!(throttled.len(), 2, "{statuses:?}");
    for item in throttled {
        assert!(item["headers"]["Retry-After"].is_string(), "{item}");
        assert_eq!(item["body"]["error"]["code"], "TooManyRequests");
    }
}

#[tokio::test]
async fn identity_protection_throttles_without_retry_after() {
    let emu = Emu::start().await;
    set_simulation(
        &emu,
        // One request per (30 s) "second": the second request is refused however slow the machine is.
        json!({"throttle": {"enabled": true, "identityProtectionPerSecond": 1, "timeScale": 30.0}}),
    )
    .await;
    emu.get("/identityProtection/riskyUsers").await.expect(200);
    let refused = emu.get("/identityProtection/riskyUsers").await.expect(429);
    assert!(
        refused.header("Retry-After").is_none(),
        "identity protection sends no Retry-After"
    );
}

#[tokio::test]
async fn injected_errors_come_as_graph_envelopes_and_stop_when_turned_off() {
    let emu = Emu::start().await;
    set_simulation(&emu, json!({"errorRate": 1.0})).await;
    let failed = emu.get("/users?$top=1").await.expect(503);
    assert!(!failed.code().is_empty(), "{}", failed.text);
    assert!(
        failed
            .body
            .pointer("/error/innerError/request-id")
            .is_some()
    );
    assert!(failed.header("request-id").is_some());
    // The control plane is not Graph and keeps working.
    emu.control(Method::GET, "/simulation", None)
        .await
        .expect(200);

    set_simulation(&emu, json!({"errorRate": 1.0, "errorStatus": 500})).await;
    emu.get("/users?$top=1").await.expect(500);

    set_simulation(&emu, json!({"throttleStormRate": 1.0})).await;
    let storm = emu
        .get("/users?$top=1")
        .await
        .expect_error(429, "TooManyRequests");
    assert!(storm.header("Retry-After").is_some());

    set_simulation(&emu, json!({})).await;
    emu.get("/users?$top=1").await.expect(200);
    emu.control(Method::PUT, "/simulation", Some(json!({"errorRate": 2.0})))
        .await
        .expect(400);
}

#[tokio::test]
async fn injected_latency_slows_graph_requests() {
    let emu = Emu::start_with(SimulationConfig {
        latency_ms: 300,
        ..SimulationConfig::default()
    })
    .await;
    let started = Instant::now();
    emu.get("/users?$top=1").await.expect(200);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    set_simulation(&emu, json!({"latencyMs": 0})).await;
    // No upper bound on timing here: the machine may be busy.
    emu.get("/users?$top=1").await.expect(200);
}

#[tokio::test]
async fn send_mail_lands_in_the_outbox() {
    let emu = Emu::start().await;
    let message = json!({"message": {
        "subject": "Temporary password for Alex Wilber",
        "body": {"contentType": "Text", "content": "Your new password is in the vault."},
        "toRecipients": [{"emailAddress": {"address": "MiriamG@contoso.onmicrosoft.com", "name": "Miriam Graham"}}],
        "ccRecipients": [{"emailAddress": {"address": "MeganB@contoso.onmicrosoft.com"}}]
    }, "saveToSentItems": false});
    let sent = emu
        .post_json(&format!("/users/{}/sendMail", upn("MeganB")), &message)
        .await
        .expect(202);
    assert!(sent.text.is_empty(), "202 with no body");

    let outbox = emu.control(Method::GET, "/outbox", None).await.expect(200);
    let messages = outbox.values();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["subject"], "Temporary password for Alex Wilber");
    assert_eq!(messages[0]["channel"], "mail");
    assert!(
        messages[0]["from"]
            .as_str()
            .is_some_and(|f| f.eq_ignore_ascii_case(&upn("MeganB")))
    );
    let to_miriam = emu
        .control(
            Method::GET,
            "/outbox?to=miriamg@contoso.onmicrosoft.com",
            None,
        )
        .await
        .expect(200);
    assert_eq!(to_miriam.values().len(), 1);
    let to_nobody = emu
        .control(Method::GET, "/outbox?to=nobody@example.com", None)
        .await
        .expect(200);
    assert!(to_nobody.values().is_empty());

    let no_recipients = json!({"message": {"subject": "x", "body": {"contentType": "Text", "content": "x"}, "toRecipients": []}});
    emu.post_json(
        &format!("/users/{}/sendMail", upn("MeganB")),
        &no_recipients,
    )
    .await
    .expect(400);
    let readonly = emu.as_app(READONLY).await;
    readonly
        .post_json(&format!("/users/{}/sendMail", upn("MeganB")), &message)
        .await
        .expect(403);

    emu.control(Method::DELETE, "/outbox", None)
        .await
        .expect(200);
    assert!(
        emu.control(Method::GET, "/outbox", None)
            .await
            .expect(200)
            .values()
            .is_empty()
    );
}

#[tokio::test]
async fn the_sms_gateway_queues_texts_in_the_outbox() {
    let emu = Emu::start().await;
    let queued = emu
        .control(
            Method::POST,
            "/sms",
            Some(json!({"to": "+14155550123", "body": "Your code is 123456"})),
        )
        .await
        .expect(200);
    assert_eq!(queued.body["status"], "queued");
    let outbox = emu
        .control(Method::GET, "/outbox?to=%2B14155550123", None)
        .await
        .expect(200);
    assert_eq!(outbox.values().len(), 1, "{}", outbox.text);
    assert_eq!(outbox.values()[0]["channel"], "sms");
    assert_eq!(outbox.values()[0]["body"], "Your code is 123456");
    emu.control(
        Method::POST,
        "/sms",
        Some(json!({"to": "4155550123", "body": "x"})),
    )
    .await
    .expect(400);
    emu.control(
        Method::POST,
        "/sms",
        Some(json!({"to": "+14155550123", "body": ""})),
    )
    .await
    .expect(400);
}

#[tokio::test]
async fn the_clock_moves_forward_only_and_time_based_state_follows_it() {
    let emu = Emu::start().await;
    let now = |r: &crate::harness::Response| {
        time::OffsetDateTime::parse(
            r.str("/now"),
            &time::format_description::well_known::Rfc3339,
        )
        .expect("RFC 3339")
    };
    let before = now(&emu.control(Method::GET, "/clock", None).await.expect(200));
    let tap = emu
        .post_json(
            &format!(
                "/users/{}/authentication/temporaryAccessPassMethods",
                upn("TomB")
            ),
            &json!({"lifetimeInMinutes": 60}),
        )
        .await
        .expect(201);
    assert_eq!(tap.body["isUsable"], true);
    let tap_id = tap.str("/id").to_string();

    let moved = emu
        .control(
            Method::POST,
            "/clock",
            Some(json!({"advanceSeconds": 3700})),
        )
        .await
        .expect(200);
    let after = now(&moved);
    assert!((after - before).whole_seconds() >= 3700);
    emu.control(Method::POST, "/clock", Some(json!({"advanceSeconds": -5})))
        .await
        .expect(400);

    let expired = emu
        .get(&format!(
            "/users/{}/authentication/temporaryAccessPassMethods/{tap_id}",
            upn("TomB")
        ))
        .await;
    // The main token was issued an hour ago by the emulator's clock: it has expired too.
    expired
        .clone()
        .expect_error(401, "InvalidAuthenticationToken");
    let fresh = emu
        .graph
        .with_token(Some(emu.token_for(crate::harness::KEYDESK).await));
    let tap = fresh
        .get(&format!(
            "/users/{}/authentication/temporaryAccessPassMethods/{tap_id}",
            upn("TomB")
        ))
        .await
        .expect(200);
    assert_eq!(tap.body["isUsable"], false);
    assert_eq!(tap.body["methodUsabilityReason"], "Expired");
}

#[tokio::test]
async fn state_export_and_import_round_trip() {
    let emu = Emu::start().await;
    let exported = emu
        .control(Method::GET, "/state", None)
        .await
        .expect(200)
        .body;
    assert!(exported["users"].as_object().is_some_and(|u| u.len() > 300));

    let path = format!("/users/{}", upn("LidiaH"));
    emu.patch_json(&path, &json!({"jobTitle": "Changed"}))
        .await
        .expect(204);
    assert_eq!(emu.get(&path).await.expect(200).body["jobTitle"], "Changed");

    emu.control(Method::PUT, "/state", Some(exported.clone()))
        .await
        .expect(200);
    assert_eq!(
        emu.get(&path).await.expect(200).body["jobTitle"],
        "Engineer",
        "the import restored the earlier state"
    );

    // Into another emulator: the same tenant comes back out.
    let other = Emu::start().await;
    other
        .control(Method::PUT, "/state", Some(exported.clone()))
        .await
        .expect(200);
    let mut again = other
        .control(Method::GET, "/state", None)
        .await
        .expect(200)
        .body;
    let mut original = exported;
    for state in [&mut again, &mut original] {
        state
            .as_object_mut()
            .expect("object")
            .remove("clockOffsetSeconds");
    }
    assert!(again == original, "export → import → export is lossless");
    let lidia = other.get(&path).await.expect(200);
    assert_eq!(lidia.body["displayName"], "Lidia Holloway");

    other
        .control(Method::PUT, "/state", Some(json!({"not": "a tenant"})))
        .await
        .expect(400);
}

#[tokio::test]
async fn an_imported_state_keeps_its_clock() {
    let emu = Emu::start().await;
    emu.advance_clock(86_400).await;
    let exported = emu
        .control(Method::GET, "/state", None)
        .await
        .expect(200)
        .body;
    let clock = |r: crate::harness::Response| {
        time::OffsetDateTime::parse(
            r.str("/now"),
            &time::format_description::well_known::Rfc3339,
        )
        .expect("RFC 3339")
    };
    let source_now = clock(emu.control(Method::GET, "/clock", None).await.expect(200));

    let other = Emu::start().await;
    other
        .control(Method::PUT, "/state", Some(exported))
        .await
        .expect(200);
    let imported_now = clock(other.control(Method::GET, "/clock", None).await.expect(200));
    let drift = (imported_now - source_now).whole_seconds().abs();
    assert!(
        drift < 60,
        "the imported tenant's clock is the exported one (drift {drift} s)"
    );
}
