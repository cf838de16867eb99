//! Typed resource calls: paths, bodies and documented status codes.

use keydesk_graph::model::{AuthMethod, Message, UserPatch};
use keydesk_graph::{Error, SignInQuery};
use serde_json::json;
use time::macros::datetime;

use crate::fake::{Fake, Recorded, Reply};

fn reply_for(request: &Recorded) -> Reply {
    let path = request.path_and_query.as_str();
    match (request.method.as_str(), path) {
        ("POST", p) if p.ends_with("/revokeSignInSessions") => {
            Reply::json(200, json!({"@odata.context": "x", "value": true}))
        }
        ("POST", p) if p.ends_with("/members/$ref") => Reply::empty(204),
        ("DELETE", _) | ("PATCH", _) | ("PUT", _) => Reply::empty(204),
        ("POST", p) if p.ends_with("/temporaryAccessPassMethods") => Reply::json(
            201,
            json!({
            "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
            "id": "tap-1", "temporaryAccessPass": "+drkzqAD", "lifetimeInMinutes": 60, "isUsableOnce": true}),
        ),
        ("POST", p) if p.ends_with("/sendMail") => Reply::empty(202),
        ("POST", p) if p.ends_with("/checkMemberGroups") => {
            Reply::json(200, json!({"value": ["g1"]}))
        }
        ("GET", p) if p.ends_with("/manager") => Reply::graph_error(
            404,
            "Request_ResourceNotFound",
            "Resource 'manager' does not exist",
        ),
        ("GET", p) if p.contains("/auditLogs/signIns") => Reply::json(
            200,
            json!({"value": [{"id": "s1"}, {"id": "s2"}, {"id": "s3"}],
            "@odata.nextLink": "https://graph.microsoft.com/never-followed"}),
        ),
        ("GET", _) => Reply::json(200, json!({"id": "u1", "userPrincipalName": "x"})),
        _ => Reply::empty(500),
    }
}

#[tokio::test]
async fn user_calls_use_documented_paths_and_bodies() {
    let fake = Fake::start(|request, _| reply_for(request)).await;
    let client = fake.client();
    assert!(
        client
            .revoke_sign_in_sessions("alex@contoso.com")
            .await
            .unwrap()
    );
    client
        .get_user(
            "guest_gmail.com#EXT#@contoso.onmicrosoft.com",
            &["id", "accountEnabled"],
        )
        .await
        .unwrap();
    client
        .update_user(
            "u1",
            &UserPatch {
                department: Some("Finance".to_owned()),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    client
        .set_password_profile("u1", &keydesk_graph::Secret::new("Xq9!vT2#pL"), true)
        .await
        .unwrap();
    assert_eq!(client.get_manager("u1").await.unwrap(), None);
    client.set_manager("u1", "m1").await.unwrap();
    client
        .put_photo("u1", "image/jpeg", vec![0xff, 0xd8, 0xff])
        .await
        .unwrap();
    assert_eq!(
        client
            .check_member_groups("u1", &["g1", "g2"])
            .await
            .unwrap(),
        vec!["g1"]
    );

    let requests = fake.graph_requests();
    assert_eq!(
        requests[0].path_and_query,
        "/v1.0/users/alex@contoso.com/revokeSignInSessions"
    );
    assert_eq!(
        requests[1].path_and_query,
        "/v1.0/users/guest_gmail.com%23EXT%23@contoso.onmicrosoft.com?$select=id,accountEnabled"
    );
    assert_eq!(requests[2].json(), json!({"department": "Finance"}));
    assert_eq!(
        requests[3].json(),
        json!({"passwordProfile": {"password": "Xq9!vT2#pL", "forceChangePasswordNextSignIn": true}})
    );
    assert_eq!(requests[5].method, "PUT");
    assert_eq!(requests[5].path_and_query, "/v1.0/users/u1/manager/$ref");
    assert_eq!(
        requests[5].json(),
        json!({"@odata.id": format!("{}/v1.0/users/m1", fake.base)})
    );
    assert_eq!(requests[6].path_and_query, "/v1.0/users/u1/photo/$value");
    assert_eq!(requests[6].header("content-type"), Some("image/jpeg"));
    assert_eq!(requests[7].json(), json!({"groupIds": ["g1", "g2"]}));
}

#[tokio::test]
async fn group_membership_uses_directory_object_refs() {
    let fake = Fake::start(|request, _| reply_for(request)).await;
    let client = fake.client();
    client.add_group_member("g1", "u1").await.unwrap();
    client.remove_group_member("g1", "u1").await.unwrap();
    let requests = fake.graph_requests();
    assert_eq!(requests[0].path_and_query, "/v1.0/groups/g1/members/$ref");
    assert_eq!(
        requests[0].json(),
        json!({"@odata.id": format!("{}/v1.0/directoryObjects/u1", fake.base)})
    );
    assert_eq!(requests[1].method, "DELETE");
    assert_eq!(
        requests[1].path_and_query,
        "/v1.0/groups/g1/members/u1/$ref"
    );
}

#[tokio::test]
async fn methods_tap_and_mail() {
    let fake = Fake::start(|request, _| reply_for(request)).await;
    let client = fake.client();
    let phone: AuthMethod = serde_json::from_value(json!({
        "@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "id": "3179e48a-750b-4051-897c-87b9720928f7", "phoneType": "mobile"}))
    .unwrap();
    client.delete_method("u1", &phone).await.unwrap();
    let password: AuthMethod = serde_json::from_value(json!({
        "@odata.type": "#microsoft.graph.passwordAuthenticationMethod", "id": "28c10230-6103-485e-b985-444c60001490"}))
    .unwrap();
    assert!(matches!(
        client.delete_method("u1", &password).await,
        Err(Error::InvalidRequest(_))
    ));

    let tap = client.create_tap("u1", Some(60), true).await.unwrap();
    assert_eq!(
        tap.temporary_access_pass.as_ref().map(|pass| pass.expose()),
        Some("+drkzqAD")
    );
    client
        .send_mail(
            "helpdesk@contoso.com",
            &Message::text("TAP", "see portal", "m@contoso.com"),
            false,
        )
        .await
        .unwrap();

    let requests = fake.graph_requests();
    assert_eq!(requests.len(), 3, "the password method is refused locally");
    assert_eq!(
        requests[0].path_and_query,
        "/v1.0/users/u1/authentication/phoneMethods/3179e48a-750b-4051-897c-87b9720928f7"
    );
    assert_eq!(
        requests[1].json(),
        json!({"lifetimeInMinutes": 60, "isUsableOnce": true})
    );
    assert_eq!(requests[2].json()["saveToSentItems"], false);
    assert_eq!(
        requests[2].json()["message"]["toRecipients"][0]["emailAddress"]["address"],
        "m@contoso.com"
    );
}

#[tokio::test]
async fn sign_ins_beta_filter_and_limit() {
    let fake = Fake::start(|request, _| reply_for(request)).await;
    let query = SignInQuery::for_user("u1", datetime!(2024-05-01 00:00 UTC)).non_interactive();
    let sign_ins = fake.client().sign_ins_beta(&query, 2).await.unwrap();
    assert_eq!(sign_ins.len(), 2);
    let requests = fake.graph_requests();
    assert_eq!(requests.len(), 1, "the limit is reached on the first page");
    assert_eq!(
        requests[0].path_and_query,
        "/beta/auditLogs/signIns?$filter=userId%20eq%20%27u1%27%20and%20createdDateTime%20ge%202024-05-01T00:00:00Z%20and%20signInEventTypes/any(t:%20t%20eq%20%27nonInteractiveUser%27)&$top=2"
    );
}

#[tokio::test]
async fn password_reset_polls_the_operation() {
    let base = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let base_in_handler = std::sync::Arc::clone(&base);
    let fake = Fake::start(move |request, index| {
        let base = base_in_handler.get().unwrap();
        match index {
            0 => {
                assert_eq!(
                    request.path_and_query,
                    "/v1.0/users/u1/authentication/methods/28c10230-6103-485e-b985-444c60001490/resetPassword"
                );
                assert_eq!(request.json(), json!({}));
                Reply::json(202, json!({"newPassword": "Cuyo5459"}))
                    .header("Location", &format!("{base}/v1.0/users/u1/authentication/operations/op1?aadgdc=x"))
                    .header("Retry-After", "0")
            }
            1 => Reply::json(200, json!({"id": "op1", "status": "running"})).header("Retry-After", "0"),
            _ => {
                assert_eq!(request.path_and_query, "/v1.0/users/u1/authentication/operations/op1?aadgdc=x");
                Reply::json(200, json!({"id": "op1", "status": "succeeded"}))
            }
        }
    })
    .await;
    base.set(fake.base.clone()).unwrap();
    let reset = fake
        .client()
        .reset_password_via_methods("u1", None)
        .await
        .unwrap();
    assert_eq!(
        reset
            .generated_password
            .as_ref()
            .map(|secret| secret.expose()),
        Some("Cuyo5459")
    );
    assert_eq!(reset.operation.id, "op1");
    assert_eq!(fake.graph_requests().len(), 3);
}

#[tokio::test]
async fn failed_operation_and_synced_refusal_are_explained() {
    let base = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let base_in_handler = std::sync::Arc::clone(&base);
    let fake = Fake::start(move |request, _| {
        let base = base_in_handler.get().unwrap();
        if request.path_and_query.ends_with("/resetPassword") {
            return Reply::empty(202).header("Location", &format!("{base}/v1.0/op")).header("Retry-After", "0");
        }
        if request.path_and_query == "/v1.0/op" {
            return Reply::json(200, json!({"status": "failed", "statusDetail": "banned password"}));
        }
        Reply::graph_error(
            400,
            "Request_BadRequest",
            "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.",
        )
    })
    .await;
    base.set(fake.base.clone()).unwrap();
    let client = fake.client();
    let failed = client
        .reset_password_via_methods("u1", Some(&keydesk_graph::Secret::new("x")))
        .await
        .unwrap_err();
    assert_eq!(failed.explain(), "the operation failed: banned password");
    let synced = client.set_account_enabled("u1", false).await.unwrap_err();
    assert_eq!(
        synced.explain(),
        "this user is synced from on-premises AD; change it there"
    );
}
