//! The model-backed planner against a fake OpenAI-compatible endpoint on loopback: the tool
//! call is validated into the typed plan and resolved like the deterministic planner's;
//! invented people, unknown actions and transport errors are caught.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use serde_json::{Value, json};

use keydesk_planner::{ApiKeyHeader, Error, ModelConfig, ModelPlanner, Planner, Request};

use crate::fixture;

#[derive(Clone, Default)]
struct Seen {
    bodies: Arc<Mutex<Vec<Value>>>,
    keys: Arc<Mutex<Vec<String>>>,
}

/// Starts a fake endpoint whose `submit_plan` call carries `arguments`; returns its URL.
async fn fake_endpoint(arguments: Value, seen: Seen) -> anyhow::Result<String> {
    let handler = move |State(seen): State<Seen>, headers: HeaderMap, Json(body): Json<Value>| {
        let arguments = arguments.clone();
        async move {
            let key = headers
                .get("api-key")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            seen.keys.lock().map(|mut k| k.push(key)).ok();
            seen.bodies.lock().map(|mut b| b.push(body)).ok();
            Json(json!({
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "choices": [{
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {
                        "role": "assistant",
                        "content": null,
                        "tool_calls": [{
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "submit_plan", "arguments": arguments.to_string()}
                        }]
                    }
                }]
            }))
        }
    };
    let app = axum::Router::new()
        .route("/v1/chat/completions", post(handler))
        .with_state(seen);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    Ok(format!("http://{address}/v1/chat/completions"))
}

fn planner(url: String) -> anyhow::Result<ModelPlanner> {
    Ok(ModelPlanner::new(ModelConfig {
        url,
        model: "test-model".into(),
        api_key: Some("not-a-real-key".into()),
        api_key_header: ApiKeyHeader::AzureApiKey,
        timeout: Duration::from_secs(5),
    })?)
}

#[tokio::test]
async fn tool_calls_become_resolved_plans() -> anyhow::Result<()> {
    let seen = Seen::default();
    let url = fake_endpoint(
        json!({"steps": [
            {"action": "unlock_account", "target": "Alex Wilber", "params": {}},
            {"action": "grant_access", "target": "SarahL@contoso.onmicrosoft.com", "params": {"group": "finance admins"}},
            {"action": "password_reset", "target": "me", "params": {"deliver_to": "manager"}}
        ]}),
        seen.clone(),
    )
    .await?;
    let request = Request::new(
        "TomB@contoso.onmicrosoft.com",
        "Unlock Alex Wilber, add SarahL@contoso.onmicrosoft.com to Finance Admins, and reset my password",
    );
    let plan = planner(url)?.plan(&request, fixture::directory()).await?;
    let steps = serde_json::to_value(&plan.steps)?;
    assert_eq!(
        steps,
        json!([
            {"action": "unlock_account", "target": "alexw@contoso.onmicrosoft.com", "params": {}},
            {"action": "grant_access", "target": "sarahl@contoso.onmicrosoft.com", "params": {"group": "Finance-Admins"}},
            {"action": "password_reset", "target": "tomb@contoso.onmicrosoft.com", "params": {"deliver_to": "manager"}}
        ])
    );
    let bodies = seen.bodies.lock().map(|b| b.clone()).unwrap_or_default();
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["tools"][0]["function"]["name"], "submit_plan");
    assert!(
        bodies[0]["messages"][1]["content"]
            .as_str()
            .unwrap_or_default()
            .contains("Unlock Alex Wilber")
    );
    assert_eq!(
        seen.keys.lock().map(|k| k.clone()).unwrap_or_default(),
        ["not-a-real-key"]
    );
    Ok(())
}

#[tokio::test]
async fn ambiguous_names_from_the_model_still_ask() -> anyhow::Result<()> {
    let url = fake_endpoint(
        json!({"steps": [{"action": "password_reset", "target": "John Smith", "params": {}}]}),
        Seen::default(),
    )
    .await?;
    let request = Request::new(
        "MeganB@contoso.onmicrosoft.com",
        "Reset John Smith's password",
    );
    let plan = planner(url)?.plan(&request, fixture::directory()).await?;
    assert!(plan.steps.is_empty());
    let mut candidates = plan.clarification.map(|c| c.candidates).unwrap_or_default();
    candidates.sort();
    assert_eq!(
        candidates,
        [fixture::upn("john.smith"), fixture::upn("jsmith")]
    );
    Ok(())
}

#[tokio::test]
async fn the_model_cannot_introduce_people() -> anyhow::Result<()> {
    let url = fake_endpoint(
        json!({"steps": [{"action": "disable_account", "target": "NestorW", "params": {}}]}),
        Seen::default(),
    )
    .await?;
    let request = Request::new(
        "MeganB@contoso.onmicrosoft.com",
        "Disable Adele Vance's account",
    );
    let plan = planner(url)?.plan(&request, fixture::directory()).await?;
    assert!(plan.steps.is_empty(), "{plan:?}");
    assert!(plan.clarification.is_some());
    Ok(())
}

#[tokio::test]
async fn unknown_actions_and_keys_are_rejected() -> anyhow::Result<()> {
    for arguments in [
        json!({"steps": [{"action": "delete_user", "target": "AlexW", "params": {}}]}),
        json!({"steps": [{"action": "unlock_account", "target": "AlexW", "params": {"group": "IT Support"}}]}),
    ] {
        let url = fake_endpoint(arguments, Seen::default()).await?;
        let request = Request::new("MeganB@contoso.onmicrosoft.com", "Unlock AlexW");
        let result = planner(url)?.plan(&request, fixture::directory()).await;
        assert!(matches!(result, Err(Error::InvalidOutput(_))), "{result:?}");
    }
    Ok(())
}

#[tokio::test]
async fn local_refusals_apply_before_the_model_is_asked() -> anyhow::Result<()> {
    let seen = Seen::default();
    let url = fake_endpoint(json!({"steps": []}), seen.clone()).await?;
    let request = Request::new("MeganB@contoso.onmicrosoft.com", "Unlock AlexW' or 1 eq 1");
    let plan = planner(url)?.plan(&request, fixture::directory()).await?;
    assert!(plan.steps.is_empty() && plan.explanation.is_some());
    assert!(seen.bodies.lock().map(|b| b.is_empty()).unwrap_or(false));
    Ok(())
}

#[tokio::test]
async fn an_unreachable_endpoint_is_an_error() -> anyhow::Result<()> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/v1/chat/completions", listener.local_addr()?);
    drop(listener);
    let request = Request::new("MeganB@contoso.onmicrosoft.com", "Unlock AlexW");
    let result = planner(url)?.plan(&request, fixture::directory()).await;
    assert!(matches!(result, Err(Error::Transport(_))), "{result:?}");
    Ok(())
}
