//! Graph's own rules, as the emulator must enforce them: refusals for synced users and
//! privileged targets, the long-running methods-API password reset, authentication-method
//! deletion order, Temporary Access Pass policy, group membership errors, OData query rules
//! (literal escaping, unsupported options, advanced queries, page sizes, opaque page tokens),
//! app permissions, access tokens, the token endpoint (secrets and certificate assertions) and
//! JSON batching.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Emu, KEYDESK, LIMITED, READONLY, SCOPE, upn};

const PASSWORD_METHOD: &str = "28c10230-6103-485e-b985-444c60001490";
const SYNCED_MESSAGE: &str = "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.";

#[tokio::test]
async fn odata_type_annotations_in_bodies_are_accepted() {
    // Microsoft's SDKs send "@odata.type" with every entity they write.
    let emu = Emu::start().await;
    let path = format!("/users/{}", upn("LidiaH"));
    emu.patch_json(
        &path,
        &json!({"@odata.type": "#microsoft.graph.user", "jobTitle": "Staff Engineer"}),
    )
    .await
    .expect(204);
    assert_eq!(
        emu.get(&path).await.expect(200).body["jobTitle"],
        "Staff Engineer"
    );
    let profile = json!({"@odata.type": "#microsoft.graph.user", "passwordProfile":
        {"@odata.type": "#microsoft.graph.passwordProfile", "password": "Xq9!vT2#pLm"}});
    emu.patch_json(&path, &profile).await.expect(204);
    // An unknown property is still refused.
    emu.patch_json(&path, &json!({"jobTitel": "typo"}))
        .await
        .expect_error(400, "Request_BadRequest");
}

#[tokio::test]
async fn synced_user_refuses_enable_and_password_changes() {
    let emu = Emu::start().await;
    let path = format!("/users/{}", upn("GradyA"));
    for body in [
        json!({"accountEnabled": false}),
        json!({"passwordProfile": {"password": "Xq9!vT2#pLm", "forceChangePasswordNextSignIn": true}}),
    ] {
        let refused = emu
            .patch_json(&path, &body)
            .await
            .expect_error(400, "Request_BadRequest");
        assert_eq!(refused.message(), SYNCED_MESSAGE);
    }
    let after = emu
        .get(&format!("{path}?$select=accountEnabled"))
        .await
        .expect(200);
    assert_eq!(after.body["accountEnabled"], true, "nothing changed");
    // A cloud-only user takes the same change.
    emu.patch_json(
        &format!("/users/{}", upn("LidiaH")),
        &json!({"accountEnabled": false}),
    )
    .await
    .expect(204);
}

#[tokio::test]
async fn user_administrator_app_cannot_reset_a_global_administrator() {
    let emu = Emu::start().await;
    let limited = emu.as_app(LIMITED).await;
    let profile = json!({"passwordProfile": {"password": "Xq9!vT2#pLm", "forceChangePasswordNextSignIn": true}});
    let refused = limited
        .patch_json(&format!("/users/{}", upn("NestorW")), &profile)
        .await
        .expect_error(403, "Authorization_RequestDenied");
    assert_eq!(
        refused.message(),
        "Insufficient privileges to complete the operation."
    );
    // The same app may reset an ordinary user.
    limited
        .patch_json(&format!("/users/{}", upn("LidiaH")), &profile)
        .await
        .expect(204);
    let signed_in = emu.sign_in("LidiaH", "Xq9!vT2#pLm", "52.183.40.21").await;
    assert_eq!(
        signed_in.body["errorCode"], 0,
        "the new password works: {}",
        signed_in.text
    );
}

#[tokio::test]
async fn privileged_authentication_administrator_resets_through_the_methods_api() {
    let emu = Emu::start().await;
    let id = emu.user_id("NestorW").await;
    let new_password = "Rz7#kQ2!wVn";
    let started = emu
        .post_json(
            &format!("/users/{id}/authentication/methods/{PASSWORD_METHOD}/resetPassword"),
            &json!({"newPassword": new_password}),
        )
        .await
        .expect(202);
    let location = started
        .header("Location")
        .expect("a Location header")
        .to_string();
    assert!(
        location.contains(&format!("/users/{id}/authentication/operations/")),
        "{location}"
    );
    let mut status = String::new();
    for _ in 0..10 {
        let operation = emu.get(&location).await.expect(200);
        status = operation.str("/status").to_string();
        if status == "succeeded" || status == "failed" {
            break;
        }
        assert!(
            ["notStarted", "running"].contains(&status.as_str()),
            "{}",
            operation.text
        );
        emu.advance_clock(1).await;
    }
    assert_eq!(status, "succeeded");
    // The new password is the one that works now.
    let old = emu
        .sign_in(
            "NestorW",
            &keydesk_graph_emu::seed::demo_password("NestorW"),
            "52.183.40.21",
        )
        .await;
    assert_eq!(old.body["errorCode"], 50126);
    let new = emu.sign_in("NestorW", new_password, "52.183.40.21").await;
    assert_eq!(new.body["errorCode"], 0, "{}", new.text);

    // Without newPassword Graph generates one (cloud-only users) and returns it once.
    let generated = emu
        .send(emu.request(
            Method::POST,
            &format!(
                "/users/{}/authentication/methods/{PASSWORD_METHOD}/resetPassword",
                upn("LidiaH")
            ),
        ))
        .await
        .expect(202);
    assert!(generated.header("Location").is_some());
    let password = generated.str("/newPassword").to_string();
    assert!(password.len() >= 8, "{password}");
    let signed_in = emu.sign_in("LidiaH", &password, "52.183.40.21").await;
    assert_eq!(signed_in.body["errorCode"], 0, "{}", signed_in.text);
    // The User Administrator app holds no role that may use the methods API on an admin.
    let limited = emu.as_app(LIMITED).await;
    let refused = limited
        .post_json(
            &format!("/users/{id}/authentication/methods/{PASSWORD_METHOD}/resetPassword"),
            &json!({"newPassword": new_password}),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text);
}

#[tokio::test]
async fn default_mfa_method_is_deleted_last() {
    let emu = Emu::start().await;
    let path = format!("/users/{}/authentication", upn("TomB"));
    let authenticator = emu
        .get(&format!("{path}/microsoftAuthenticatorMethods"))
        .await
        .expect(200)
        .values()[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let phone = emu
        .get(&format!("{path}/phoneMethods"))
        .await
        .expect(200)
        .values()[0]["id"]
        .as_str()
        .expect("id")
        .to_string();

    let refused = emu
        .delete(&format!(
            "{path}/microsoftAuthenticatorMethods/{authenticator}"
        ))
        .await
        .expect_error(400, "badRequest");
    let inner = refused
        .body
        .pointer("/error/innerError/message")
        .and_then(Value::as_str)
        .expect("innerError.message");
    assert!(inner.contains("default"), "{inner}");
    assert!(
        refused.message().contains("default authentication method"),
        "{}",
        refused.message()
    );

    emu.delete(&format!("{path}/phoneMethods/{phone}"))
        .await
        .expect(204);
    emu.delete(&format!(
        "{path}/microsoftAuthenticatorMethods/{authenticator}"
    ))
    .await
    .expect(204);
    let left = emu.get(&format!("{path}/methods")).await.expect(200);
    let types: Vec<&str> = left
        .values()
        .iter()
        .filter_map(|m| m["@odata.type"].as_str())
        .collect();
    assert_eq!(types, vec!["#microsoft.graph.passwordAuthenticationMethod"]);
    // Deleting what is gone is a 404.
    emu.delete(&format!("{path}/phoneMethods/{phone}"))
        .await
        .expect(404);
}

#[tokio::test]
async fn the_password_method_cannot_be_deleted() {
    let emu = Emu::start().await;
    let path = format!("/users/{}/authentication", upn("LidiaH"));
    let refused = emu
        .delete(&format!("{path}/passwordMethods/{PASSWORD_METHOD}"))
        .await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    // The generic collection has no DELETE.
    emu.delete(&format!("{path}/methods/{PASSWORD_METHOD}"))
        .await
        .expect(405);
    let methods = emu
        .get(&format!("{path}/passwordMethods"))
        .await
        .expect(200);
    assert_eq!(methods.values().len(), 1);
    assert!(
        methods.values()[0]["password"].is_null(),
        "the password is never returned"
    );
}

#[tokio::test]
async fn temporary_access_pass_is_shown_once_follows_policy_and_replaces_the_previous_one() {
    let emu = Emu::start().await;
    let path = format!(
        "/users/{}/authentication/temporaryAccessPassMethods",
        upn("TomB")
    );
    let created = emu
        .post_json(
            &path,
            &json!({"lifetimeInMinutes": 60, "isUsableOnce": true}),
        )
        .await
        .expect(201);
    let pass = created.str("/temporaryAccessPass").to_string();
    assert!(pass.len() >= 8, "{pass}");
    assert_eq!(created.body["lifetimeInMinutes"], 60);
    assert_eq!(created.body["isUsableOnce"], true);
    let first = created.str("/id").to_string();

    let listed = emu.get(&path).await.expect(200);
    assert_eq!(listed.values().len(), 1);
    assert!(
        listed.values()[0]["temporaryAccessPass"].is_null(),
        "the pass is only in the create response"
    );
    let one = emu.get(&format!("{path}/{first}")).await.expect(200);
    assert!(one.body["temporaryAccessPass"].is_null());
    assert!(!one.text.contains(&pass));

    for lifetime in [5, 9, 481, 50_000] {
        let refused = emu
            .post_json(&path, &json!({"lifetimeInMinutes": lifetime}))
            .await;
        assert_eq!(refused.status, 400, "lifetime {lifetime}: {}", refused.text);
    }

    let second = emu.post_json(&path, &json!({})).await.expect(201);
    let second_id = second.str("/id");
    assert_ne!(second_id, first);
    let listed = emu.get(&path).await.expect(200);
    let ids: Vec<&str> = listed
        .values()
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        vec![second_id],
        "one TAP per user: the new one replaced the old"
    );
}

async fn add_member(emu: &Emu, group: &str, user_id: &str) -> crate::harness::Response {
    emu.post_json(
        &format!("/groups/{group}/members/$ref"),
        &json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{user_id}")}),
    )
    .await
}

#[tokio::test]
async fn group_membership_errors_are_graphs() {
    let emu = Emu::start().await;
    let it_support = emu.group_id("IT Support").await;
    let lee = emu.user_id("LeeG").await;
    let sarah = emu.user_id("SarahL").await;

    let duplicate = add_member(&emu, &it_support, &lee)
        .await
        .expect_error(400, "Request_BadRequest");
    assert_eq!(
        duplicate.message(),
        "One or more added object references already exist for the following modified properties: 'members'."
    );

    let dynamic = emu.group_id("Dynamic-All-Users").await;
    add_member(&emu, &dynamic, &sarah)
        .await
        .expect_error(400, "Request_BadRequest");
    let synced = emu.group_id("On-Prem-VPN-Users").await;
    let refused = add_member(&emu, &synced, &sarah)
        .await
        .expect_error(400, "Request_BadRequest");
    assert_eq!(refused.message(), SYNCED_MESSAGE);

    emu.delete(&format!("/groups/{it_support}/members/{sarah}/$ref"))
        .await
        .expect(404);
    add_member(&emu, &it_support, "00000000-0000-0000-0000-000000000000")
        .await
        .expect_error(404, "Request_ResourceNotFound");

    // The ordinary path works both ways.
    add_member(&emu, &it_support, &sarah).await.expect(204);
    emu.delete(&format!("/groups/{it_support}/members/{sarah}/$ref"))
        .await
        .expect(204);
}

#[tokio::test]
async fn filter_string_literals_double_their_quotes() {
    let emu = Emu::start().await;
    // Percent-encoded by hand, as a client building the URL itself would send it.
    let found = emu
        .get("/users?$filter=displayName%20eq%20%27Shane%20O%27%27Brien%27")
        .await
        .expect(200);
    assert_eq!(found.values().len(), 1);
    let unescaped = emu
        .get_with(
            "/users",
            &[("$filter", "displayName eq 'Shane O'Brien'")],
            &[],
        )
        .await;
    assert_eq!(unescaped.status, 400, "{}", unescaped.text);
    let unterminated = emu
        .get_with("/users", &[("$filter", "displayName eq 'Shane")], &[])
        .await;
    assert_eq!(unterminated.status, 400, "{}", unterminated.text);
}

#[tokio::test]
async fn unsupported_query_options_and_functions_are_refused() {
    let emu = Emu::start().await;
    for query in [
        ("$filter", "contains(displayName,'a')"),
        ("$skip", "5"),
        ("$foo", "1"),
        ("$filter", "nosuchProperty eq 'x'"),
        ("$select", "nosuchProperty"),
        ("$orderby", "jobTitle"),
    ] {
        let refused = emu.get_with("/users", &[query], &[]).await;
        assert_eq!(refused.status, 400, "{query:?}: {}", refused.text);
        assert!(
            refused.code().starts_with("Request_") || refused.code() == "BadRequest",
            "{query:?}: {}",
            refused.text
        );
    }
    // Custom (non-$) parameters are ignored, as Graph does.
    emu.get_with("/users", &[("$top", "1"), ("custom", "x")], &[])
        .await
        .expect(200);
}

#[tokio::test]
async fn advanced_queries_need_eventual_consistency() {
    let emu = Emu::start().await;
    let eventual = [("ConsistencyLevel", "eventual")];
    let queries: [&[(&str, &str)]; 4] = [
        &[("$filter", "department ne 'Sales'"), ("$count", "true")],
        &[
            ("$filter", "endswith(mail,'@contoso.onmicrosoft.com')"),
            ("$count", "true"),
        ],
        &[("$count", "true")],
        &[("$search", "\"displayName:Alex\"")],
    ];
    for query in queries {
        emu.get_with("/users", query, &[])
            .await
            .expect_error(400, "Request_UnsupportedQuery");
        let answered = emu.get_with("/users", query, &eventual).await.expect(200);
        if query.iter().any(|(k, _)| *k == "$count") {
            assert!(
                answered.body["@odata.count"].as_u64().is_some(),
                "{query:?}: {}",
                answered.text
            );
        }
    }
    let total = emu
        .get_with("/users/$count", &[], &eventual)
        .await
        .expect(200);
    let total: u64 = total.text.trim().parse().expect("a number");
    let ends = emu
        .get_with(
            "/users",
            &[
                ("$filter", "endswith(mail,'@contoso.onmicrosoft.com')"),
                ("$count", "true"),
            ],
            &eventual,
        )
        .await
        .expect(200);
    assert_eq!(
        ends.body["@odata.count"].as_u64(),
        Some(total),
        "every user has a contoso mail"
    );
    let not_sales = emu
        .get_with(
            "/users",
            &[
                ("$filter", "department ne 'Sales'"),
                ("$count", "true"),
                ("$select", "department"),
            ],
            &eventual,
        )
        .await
        .expect(200);
    assert!(
        not_sales
            .values()
            .iter()
            .all(|u| u["department"] != "Sales")
    );
    assert!(not_sales.body["@odata.count"].as_u64().expect("count") < total);
    emu.get("/users/$count")
        .await
        .expect_error(400, "Request_UnsupportedQuery");
}

#[tokio::test]
async fn page_size_is_capped() {
    let emu = Emu::start().await;
    emu.get_with("/users", &[("$top", "1000")], &[])
        .await
        .expect(400);
    emu.get_with("/users", &[("$top", "0")], &[])
        .await
        .expect(400);
    emu.get_with("/users", &[("$top", "abc")], &[])
        .await
        .expect(400);
    let page = emu
        .get_with("/users", &[("$top", "999")], &[])
        .await
        .expect(200);
    assert!(page.values().len() <= 999);
    let default = emu.get("/users").await.expect(200);
    assert_eq!(default.values().len(), 100, "default page size");
    assert!(default.body["@odata.nextLink"].is_string());
}

#[tokio::test]
async fn paging_visits_every_user_exactly_once() {
    let emu = Emu::start().await;
    let users = emu
        .all(
            "/users",
            &[("$top", "37"), ("$select", "id,displayName")],
            &[],
        )
        .await;
    let ids: BTreeSet<&str> = users.iter().filter_map(|u| u["id"].as_str()).collect();
    assert_eq!(ids.len(), users.len(), "no user twice");
    let total = emu
        .get_with("/users/$count", &[], &[("ConsistencyLevel", "eventual")])
        .await
        .expect(200);
    assert_eq!(
        users.len(),
        total.text.trim().parse::<usize>().expect("count"),
        "every user once"
    );
    assert!(
        users
            .iter()
            .all(|u| u.get("displayName").is_some() && u.get("mail").is_none()),
        "$select is kept across pages"
    );

    // The same with a filter and an order.
    let sales = emu
        .all(
            "/users",
            &[
                ("$top", "3"),
                ("$filter", "department eq 'Sales'"),
                ("$orderby", "displayName"),
                ("$count", "true"),
            ],
            &[("ConsistencyLevel", "eventual")],
        )
        .await;
    let names: Vec<&str> = sales
        .iter()
        .filter_map(|u| u["displayName"].as_str())
        .collect();
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted, "ordered across pages");
    assert!(names.contains(&"Alex Wilber") && names.contains(&"Shane O'Brien"));
}

#[tokio::test]
async fn forged_page_tokens_are_refused() {
    let emu = Emu::start().await;
    let first = emu
        .get_with("/users", &[("$top", "5")], &[])
        .await
        .expect(200);
    let next = first.str("/@odata.nextLink").to_string();
    emu.get(&next).await.expect(200);
    let (head, token) = next.split_once("$skiptoken=").expect("a skiptoken");
    for forged in ["MTA", "garbage", "NTAuMDAwMDAwMDAwMDAwMDAwMA"] {
        assert_ne!(forged, token);
        let refused = emu.get(&format!("{head}$skiptoken={forged}")).await;
        assert_eq!(refused.status, 400, "{forged}: {}", refused.text);
    }
    // A flipped character in a real token.
    let mut tampered: Vec<char> = token.chars().collect();
    let index = tampered.len() / 2;
    tampered[index] = if tampered[index] == 'A' { 'B' } else { 'A' };
    let tampered: String = tampered.into_iter().collect();
    emu.get(&format!("{head}$skiptoken={tampered}"))
        .await
        .expect(400);
}

#[tokio::test]
async fn the_readonly_app_cannot_write() {
    let emu = Emu::start().await;
    let readonly = emu.as_app(READONLY).await;
    readonly
        .get(&format!("/users/{}", upn("AlexW")))
        .await
        .expect(200);
    let user = format!("/users/{}", upn("LidiaH"));
    readonly
        .patch_json(&user, &json!({"jobTitle": "Reader"}))
        .await
        .expect_error(403, "Authorization_RequestDenied");
    let group = emu.group_id("IT Support").await;
    let lidia = emu.user_id("LidiaH").await;
    readonly
        .post_json(&format!("/groups/{group}/members/$ref"), &json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{lidia}")}))
        .await
        .expect_error(403, "Authorization_RequestDenied");
    readonly
        .post_json(&format!("{user}/revokeSignInSessions"), &json!({}))
        .await
        .expect(403);
    let after = emu
        .get(&format!("{user}?$select=jobTitle"))
        .await
        .expect(200);
    assert_ne!(after.body["jobTitle"], "Reader");
}

#[tokio::test]
async fn missing_garbage_and_expired_tokens_are_refused() {
    let emu = Emu::start().await;
    let anonymous = emu.graph.with_token(None);
    let refused = anonymous
        .get("/users")
        .await
        .expect_error(401, "InvalidAuthenticationToken");
    assert_eq!(refused.message(), "Access token is empty.");
    emu.graph
        .with_token(Some("garbage".into()))
        .get("/users")
        .await
        .expect_error(401, "InvalidAuthenticationToken");
    // A well-formed token signed by someone else.
    let forged = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJodHRwczovL2dyYXBoLm1pY3Jvc29mdC5jb20ifQ.c2lnbmF0dXJl";
    emu.graph
        .with_token(Some(forged.into()))
        .get("/users")
        .await
        .expect_error(401, "InvalidAuthenticationToken");

    emu.get("/users?$top=1").await.expect(200);
    emu.advance_clock(3600).await;
    let expired = emu
        .get("/users?$top=1")
        .await
        .expect_error(401, "InvalidAuthenticationToken");
    assert!(expired.message().contains("expired"), "{}", expired.text);
    // A fresh token works again.
    let fresh = emu.token_for(KEYDESK).await;
    emu.graph
        .with_token(Some(fresh))
        .get("/users?$top=1")
        .await
        .expect(200);
}

#[tokio::test]
async fn wrong_client_secret_is_refused_in_the_token_endpoints_dialect() {
    let emu = Emu::start().await;
    let refused = emu
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", KEYDESK),
            ("client_secret", "not-the-secret"),
            ("scope", SCOPE),
        ])
        .await
        .expect(401);
    assert_eq!(refused.body["error"], "invalid_client");
    assert!(
        refused
            .str("/error_description")
            .starts_with("AADSTS7000215"),
        "{}",
        refused.text
    );
    assert_eq!(refused.body["error_codes"], json!([7000215]));
    for field in ["timestamp", "trace_id", "correlation_id"] {
        assert!(refused.body[field].is_string(), "{field}: {}", refused.text);
    }
    // Not Graph's envelope.
    assert!(refused.body.pointer("/error/code").is_none());

    let secret = emu
        .control(
            Method::POST,
            &format!("/apps/{KEYDESK}/secrets"),
            Some(json!({})),
        )
        .await
        .expect(200);
    let secret = secret.str("/secretText").to_string();
    let ok = emu
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", KEYDESK),
            ("client_secret", &secret),
            ("scope", SCOPE),
        ])
        .await
        .expect(200);
    assert_eq!(ok.body["token_type"], "Bearer");
    assert!(ok.body["expires_in"].as_i64().is_some_and(|s| s > 0));
    let bad_scope = emu
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", KEYDESK),
            ("client_secret", &secret),
            ("scope", "User.Read"),
        ])
        .await;
    assert_eq!(bad_scope.status, 400);
    assert_eq!(bad_scope.body["error"], "invalid_scope");
}

#[derive(serde::Serialize)]
struct Assertion {
    aud: String,
    iss: String,
    sub: String,
    jti: String,
    nbf: i64,
    iat: i64,
    exp: i64,
}

fn sign_assertion(emu: &Emu, key_pem: &str, cert_der: &[u8], audience: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let now = emu.emulator().now().unix_timestamp();
    let claims = Assertion {
        aud: audience.to_string(),
        iss: KEYDESK.into(),
        sub: KEYDESK.into(),
        jti: uuid::Uuid::new_v4().to_string(),
        nbf: now,
        iat: now,
        exp: now + 600,
    };
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.x5t_s256 = Some(
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(cert_der)),
    );
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(key_pem.as_bytes()).expect("RSA key");
    jsonwebtoken::encode(&header, &claims, &key).expect("signed assertion")
}

async fn assertion_login(emu: &Emu, assertion: &str) -> crate::harness::Response {
    emu.token_request(&[
        ("grant_type", "client_credentials"),
        ("client_id", KEYDESK),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", assertion),
        ("scope", SCOPE),
    ])
    .await
}

#[tokio::test]
async fn certificate_assertions_log_in_and_wrong_keys_are_refused() {
    let emu = Emu::start().await;
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("RSA key generation");
    let certificate = rcgen::CertificateParams::new(vec!["keydesk-test".to_string()])
        .expect("params")
        .self_signed(&key)
        .expect("self-signed certificate");
    emu.control(
        Method::POST,
        &format!("/apps/{KEYDESK}/certificates"),
        Some(json!({"certificatePem": certificate.pem()})),
    )
    .await
    .expect(200);
    let audience = emu.token_url();

    let good = sign_assertion(&emu, &key.serialize_pem(), certificate.der(), &audience);
    let token = assertion_login(&emu, &good).await.expect(200);
    let graph = emu
        .graph
        .with_token(Some(token.str("/access_token").to_string()));
    graph.get("/users?$top=1").await.expect(200);

    // Signed with another key but claiming the registered certificate.
    let other = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("RSA key generation");
    let forged = sign_assertion(&emu, &other.serialize_pem(), certificate.der(), &audience);
    let refused = assertion_login(&emu, &forged).await.expect(401);
    assert_eq!(refused.body["error"], "invalid_client");
    assert!(
        refused
            .str("/error_description")
            .starts_with("AADSTS700027"),
        "{}",
        refused.text
    );

    // The right key for the wrong audience.
    let wrong_audience = sign_assertion(
        &emu,
        &key.serialize_pem(),
        certificate.der(),
        "https://login.microsoftonline.com/other/oauth2/v2.0/token",
    );
    let refused = assertion_login(&emu, &wrong_audience).await;
    assert!(
        refused.status == 400 || refused.status == 401,
        "{}",
        refused.text
    );
    assert_eq!(refused.body["error"], "invalid_client");
}

#[tokio::test]
async fn batch_runs_dependencies_and_fails_dependents_with_424() {
    let emu = Emu::start().await;
    let lidia = emu.user_id("LidiaH").await;
    let batch = json!({"requests": [
        {"id": "1", "method": "PATCH", "url": format!("/users/{lidia}"), "headers": {"Content-Type": "application/json"}, "body": {"jobTitle": "Staff Engineer"}},
        {"id": "2", "method": "GET", "url": "/users/00000000-0000-0000-0000-000000000000"},
        {"id": "3", "dependsOn": ["2"], "method": "POST", "url": format!("/users/{lidia}/revokeSignInSessions"), "headers": {"Content-Type": "application/json"}, "body": {}},
        {"id": "4", "dependsOn": ["1"], "method": "GET", "url": format!("/users/{lidia}?$select=jobTitle")}
    ]});
    let response = emu.post_json("/$batch", &batch).await.expect(200);
    let items = response.body["responses"].as_array().expect("responses");
    assert_eq!(items.len(), 4);
    let item = |id: &str| {
        items
            .iter()
            .find(|i| i["id"] == id)
            .unwrap_or_else(|| panic!("response {id}"))
    };
    assert_eq!(item("1")["status"], 204);
    assert_eq!(item("2")["status"], 404);
    assert_eq!(
        item("2")["body"]["error"]["code"],
        "Request_ResourceNotFound"
    );
    assert_eq!(item("3")["status"], 424);
    assert_eq!(item("4")["status"], 200);
    assert_eq!(
        item("4")["body"]["jobTitle"],
        "Staff Engineer",
        "4 ran after 1"
    );
    // The failed dependency kept 3 from running: no session revocation happened.
    let audits = emu
        .all(
            "/auditLogs/directoryAudits",
            &[("$filter", &format!("activityDisplayName eq 'Update StsRefreshTokenValidFrom Timestamp' and targetResources/any(t: t/id eq '{lidia}')"))],
            &[],
        )
        .await;
    assert!(audits.is_empty(), "{audits:?}");
}

#[tokio::test]
async fn malformed_batches_are_refused_whole() {
    let emu = Emu::start().await;
    let duplicate = json!({"requests": [
        {"id": "1", "method": "GET", "url": "/users?$top=1"},
        {"id": "1", "method": "GET", "url": "/groups"}
    ]});
    emu.post_json("/$batch", &duplicate)
        .await
        .expect_error(400, "Request_BadRequest");
    let too_many: Vec<Value> = (1..=21)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/users?$top=1"}))
        .collect();
    emu.post_json("/$batch", &json!({"requests": too_many}))
        .await
        .expect(400);
    let twenty: Vec<Value> = (1..=20)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/users?$top=1"}))
        .collect();
    let ok = emu
        .post_json("/$batch", &json!({"requests": twenty}))
        .await
        .expect(200);
    assert_eq!(ok.body["responses"].as_array().map(Vec::len), Some(20));
    emu.post_json(
        "/$batch",
        &json!({"requests": [{"id": "1", "method": "GET", "url": "/users", "dependsOn": ["9"]}]}),
    )
    .await
    .expect(400);
    emu.post_json("/$batch", &json!({"nothing": []}))
        .await
        .expect(400);
}
