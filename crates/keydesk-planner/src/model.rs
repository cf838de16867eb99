//! The optional model-backed planner: any OpenAI-compatible chat-completions endpoint with tool
//! calling (Azure OpenAI, Ollama, vLLM, OpenAI).
//!
//! The model only proposes intents through one tool, `submit_plan`; its arguments are validated
//! (known actions and parameter keys only) and then resolved by the same code as the
//! deterministic planner, so names go through the same ambiguity checks. A target the request
//! never named is refused, and the deterministic refusals (query fragments, prompt injection,
//! overlong text) apply before the model is asked. This module owns the wire format; it never
//! logs the API key.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::directory::Directory;
use crate::plan::{Action, PARAM_KEYS, Plan};
use crate::text::tokenize;
use crate::understand::{Intent, ParamValue, SelfRef, Subject, Understanding};
use crate::{Error, PlanFuture, Planner, Request};

/// How to reach the model.
#[derive(Clone)]
pub struct ModelConfig {
    /// The full chat-completions URL, e.g. `http://127.0.0.1:11434/v1/chat/completions` or
    /// `https://NAME.openai.azure.com/openai/deployments/DEPLOYMENT/chat/completions?api-version=2024-10-21`.
    pub url: String,
    /// The model name sent in the body (Azure ignores it; Ollama and vLLM need it).
    pub model: String,
    pub api_key: Option<String>,
    pub api_key_header: ApiKeyHeader,
    pub timeout: Duration,
}

/// How the API key is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyHeader {
    /// `Authorization: Bearer KEY` (OpenAI, vLLM, most gateways).
    Bearer,
    /// `api-key: KEY` (Azure OpenAI).
    AzureApiKey,
}

impl fmt::Debug for ModelConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModelConfig")
            .field("url", &self.url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("api_key_header", &self.api_key_header)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Plans through a chat-completions endpoint.
#[derive(Debug, Clone)]
pub struct ModelPlanner {
    config: ModelConfig,
    http: reqwest::Client,
}

impl ModelPlanner {
    /// A planner for `config`.
    pub fn new(config: ModelConfig) -> Result<ModelPlanner, Error> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| Error::Transport(e.to_string()))?;
        Ok(ModelPlanner { config, http })
    }

    async fn ask(&self, request: &Request) -> Result<ModelAnswer, Error> {
        let body = json!({
            "model": self.config.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": user_message(request)},
            ],
            "tools": [tool()],
            "tool_choice": {"type": "function", "function": {"name": "submit_plan"}},
        });
        let mut call = self.http.post(&self.config.url).json(&body);
        if let Some(key) = &self.config.api_key {
            call = match self.config.api_key_header {
                ApiKeyHeader::Bearer => call.bearer_auth(key),
                ApiKeyHeader::AzureApiKey => call.header("api-key", key),
            };
        }
        let response = call
            .send()
            .await
            .map_err(|e| Error::Transport(e.without_url().to_string()))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| Error::Transport(e.without_url().to_string()))?;
        if !status.is_success() {
            return Err(Error::Status {
                status: status.as_u16(),
                body: text.chars().take(300).collect(),
            });
        }
        parse_completion(&text)
    }
}

impl Planner for ModelPlanner {
    fn plan<'a>(
        &'a self,
        request: &'a Request,
        directory: &'a (dyn Directory + Sync),
    ) -> PlanFuture<'a> {
        Box::pin(async move {
            let requester = request.requester.to_lowercase();
            let local = crate::understand::understand(&request.text, &request.attachments);
            if let Some(reason) = &local.refusal
                && reason != &crate::refusal::off_topic()
            {
                return Ok(Plan::refuse(&requester, reason.clone()));
            }
            let answer = self.ask(request).await?;
            Ok(plan_from_answer(answer, request, local, directory))
        })
    }
}

const SYSTEM_PROMPT: &str = "You are keydesk, an identity helpdesk planner for Microsoft Entra ID. \
Turn the user's request into steps by calling submit_plan exactly once. Use only the listed actions \
and parameter keys. For each step, `target` is the person the step acts on exactly as the request \
names them (a UPN, a name, or \"me\" for the requester), or null for actions on nobody in \
particular. Never invent people who are not named. One step per person and per group. If the \
request is ambiguous, set `clarification`. If it is destructive, unsupported or not a helpdesk \
request, return no steps and set `refusal` to a one-sentence explanation.";

fn user_message(request: &Request) -> String {
    let mut message = format!(
        "Requester: {}\nRequest: {}",
        request.requester, request.text
    );
    for attachment in &request.attachments {
        let kind = match attachment.content {
            crate::AttachmentContent::Text(_) => "a text file listing people",
            crate::AttachmentContent::Image => "an image (a photo)",
            crate::AttachmentContent::Other => "a file",
        };
        message.push_str(&format!("\nAttached: {} ({kind})", attachment.path));
    }
    message
}

fn tool() -> Value {
    let actions: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
    json!({
        "type": "function",
        "function": {
            "name": "submit_plan",
            "description": "Submit the plan for the helpdesk request.",
            "parameters": {
                "type": "object",
                "properties": {
                    "steps": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "action": {"type": "string", "enum": actions},
                                "target": {"type": ["string", "null"]},
                                "params": {
                                    "type": "object",
                                    "properties": {
                                        "group": {"type": "string"},
                                        "department": {"type": "string"},
                                        "jobTitle": {"type": "string"},
                                        "officeLocation": {"type": "string"},
                                        "mobilePhone": {"type": "string"},
                                        "businessPhones": {"type": "array", "items": {"type": "string"}},
                                        "displayName": {"type": "string"},
                                        "manager": {"type": "string"},
                                        "deliver_to": {"type": "string"},
                                        "revoke_sessions": {"type": "boolean"},
                                        "lifetime_minutes": {"type": "integer"},
                                        "days": {"type": "integer"},
                                        "contain": {"type": "boolean"},
                                        "name": {"type": "string"}
                                    },
                                    "additionalProperties": false
                                }
                            },
                            "required": ["action", "target"]
                        }
                    },
                    "clarification": {
                        "type": ["object", "null"],
                        "properties": {
                            "question": {"type": "string"},
                            "candidates": {"type": "array", "items": {"type": "string"}}
                        }
                    },
                    "refusal": {"type": ["string", "null"]}
                },
                "required": ["steps"]
            }
        }
    })
}

/// What the model proposed, validated for shape.
#[derive(Debug, Deserialize)]
struct ModelAnswer {
    #[serde(default)]
    steps: Vec<ModelStep>,
    #[serde(default)]
    clarification: Option<ModelClarification>,
    #[serde(default)]
    refusal: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ModelStep {
    action: String,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    params: serde_json::Map<String, Value>,
}

#[derive(Debug, Deserialize)]
struct ModelClarification {
    question: String,
    #[serde(default)]
    candidates: Vec<String>,
}

/// Reads the `submit_plan` arguments out of a chat-completions response.
fn parse_completion(body: &str) -> Result<ModelAnswer, Error> {
    let completion: Value = serde_json::from_str(body)
        .map_err(|e| Error::InvalidOutput(format!("response is not JSON: {e}")))?;
    let message = completion
        .pointer("/choices/0/message")
        .ok_or_else(|| Error::InvalidOutput("no choices[0].message".into()))?;
    let call = message
        .get("tool_calls")
        .and_then(Value::as_array)
        .and_then(|calls| {
            calls.iter().find(|c| {
                c.pointer("/function/name").and_then(Value::as_str) == Some("submit_plan")
            })
        })
        .ok_or_else(|| Error::InvalidOutput("the model did not call submit_plan".into()))?;
    let arguments = call
        .pointer("/function/arguments")
        .ok_or_else(|| Error::InvalidOutput("submit_plan has no arguments".into()))?;
    let answer = match arguments {
        Value::String(text) => serde_json::from_str::<ModelAnswer>(text),
        other => serde_json::from_value::<ModelAnswer>(other.clone()),
    }
    .map_err(|e| Error::InvalidOutput(format!("submit_plan arguments: {e}")))?;
    for step in &answer.steps {
        let action: Action = step
            .action
            .parse()
            .map_err(|e: crate::UnknownAction| Error::InvalidOutput(e.to_string()))?;
        for key in step.params.keys() {
            if !PARAM_KEYS.contains(&key.as_str())
                || !action.allowed_params().contains(&key.as_str()) && key != "photo"
            {
                return Err(Error::InvalidOutput(format!(
                    "parameter {key:?} does not belong to {action}"
                )));
            }
        }
    }
    Ok(answer)
}

/// Resolves the model's proposal the deterministic way.
fn plan_from_answer(
    answer: ModelAnswer,
    request: &Request,
    local: Understanding,
    directory: &dyn Directory,
) -> Plan {
    let requester = request.requester.to_lowercase();
    if let Some(reason) = answer.refusal.filter(|r| !r.trim().is_empty())
        && answer.steps.is_empty()
    {
        return Plan::refuse(&requester, reason);
    }
    if let Some(clarification) = answer.clarification
        && answer.steps.is_empty()
    {
        return Plan::clarify(&requester, clarification.question, clarification.candidates);
    }
    let mut understanding = Understanding {
        list: local.list,
        photo: local.photo,
        ..Understanding::default()
    };
    for (index, step) in answer.steps.into_iter().enumerate() {
        let Ok(action) = step.action.parse::<Action>() else {
            continue;
        };
        let subject = subject_of(step.target.as_deref(), &requester);
        let mut params = Vec::new();
        for (key, value) in step.params {
            let Some(key) = PARAM_KEYS.iter().copied().find(|k| *k == key) else {
                continue;
            };
            let value = match (key, value) {
                ("group", Value::String(s)) => ParamValue::Group(s),
                ("department", Value::String(s)) => ParamValue::Department(s),
                ("manager", Value::String(s)) => {
                    ParamValue::Person(subject_of(Some(&s), &requester))
                }
                ("deliver_to", Value::String(s)) if s.eq_ignore_ascii_case("manager") => {
                    ParamValue::TargetsManager
                }
                ("deliver_to", Value::String(s)) => {
                    ParamValue::Person(subject_of(Some(&s), &requester))
                }
                ("photo", _) => continue,
                (_, Value::String(s)) => ParamValue::Text(s),
                (_, Value::Bool(b)) => ParamValue::Bool(b),
                (_, Value::Number(n)) => match n.as_i64() {
                    Some(n) => ParamValue::Number(n),
                    None => continue,
                },
                (_, Value::Array(items)) => ParamValue::Texts(
                    items
                        .into_iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect(),
                ),
                _ => continue,
            };
            params.push((key, value));
        }
        understanding.phrases.push(subject.phrase.clone());
        understanding.intents.push(Intent {
            action,
            segment: index,
            subject,
            params,
            symptom: false,
        });
    }
    let plan = crate::resolve::resolve(&understanding, &requester, directory);
    // The model may not introduce anyone the request did not name.
    for step in &plan.steps {
        if let Some(target) = &step.target
            && step.action != Action::CreateUser
            && !named_in_request(target, request, &understanding.list, directory)
        {
            return Plan::clarify(
                &requester,
                format!(
                    "The plan acts on {target}, whom your request doesn't name. Who do you mean?"
                ),
                Vec::new(),
            );
        }
    }
    plan
}

fn subject_of(target: Option<&str>, requester: &str) -> Subject {
    let Some(target) = target.map(str::trim).filter(|t| !t.is_empty()) else {
        return Subject::default();
    };
    let lower = target.to_lowercase();
    if matches!(
        lower.as_str(),
        "me" | "myself" | "i" | "requester" | "the requester"
    ) || lower == requester
    {
        return Subject {
            self_ref: SelfRef::Strong,
            ..Subject::default()
        };
    }
    Subject {
        phrase: tokenize(target),
        ..Subject::default()
    }
}

/// Whether the request names `upn` (or implies it: the requester, or a listed person).
fn named_in_request(
    upn: &str,
    request: &Request,
    list: &[String],
    directory: &dyn Directory,
) -> bool {
    if upn.eq_ignore_ascii_case(&request.requester) {
        return true;
    }
    let Some(person) = directory.person(upn) else {
        return false;
    };
    let mut texts: Vec<String> = vec![request.text.clone()];
    texts.extend(list.iter().cloned());
    texts.iter().any(|text| person.named_in(text))
}
