//! Authentication-method calls: list and delete methods, Temporary Access Passes, sign-in
//! preferences (beta), and the long-running admin password reset.
//!
//! The reset answers 202 with a `Location`; the operation is polled (honouring `Retry-After`,
//! otherwise once a second) until `succeeded` or `failed`, within the client's retry-policy
//! wait budget. The generated password, when Graph makes one, comes back as a [`Secret`].

use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;
use url::Url;

use crate::client::GraphClient;
use crate::error::{Error, Result};
use crate::model::{
    AuthMethod, AuthenticationOperation, OperationStatus, PASSWORD_METHOD_ID, SignInPreferences,
    Tap, TapPolicy, TapRequest,
};
use crate::odata::segment;
use crate::request::GraphRequest;
use crate::secret::Secret;
use crate::users::user_path;

/// Default pause between operation polls when Graph gives no `Retry-After`.
const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Outcome of [`GraphClient::reset_password_via_methods`].
#[derive(Debug, Clone)]
pub struct PasswordReset {
    /// The finished operation.
    pub operation: AuthenticationOperation,
    /// The password Graph generated, when none was supplied.
    pub generated_password: Option<Secret>,
}

#[derive(Deserialize)]
struct ResetAnswer {
    #[serde(default, rename = "newPassword")]
    new_password: Option<Secret>,
}

impl GraphClient {
    /// `GET users/{id}/authentication/methods`.
    pub async fn list_methods(&self, user: &str) -> Result<Vec<AuthMethod>> {
        self.collect_all(&format!("{}/authentication/methods", user_path(user)))
            .await
    }

    /// Deletes a method through its per-type collection
    /// (`users/{id}/authentication/phoneMethods/{methodId}`, ...). The password cannot be deleted.
    pub async fn delete_method(&self, user: &str, method: &AuthMethod) -> Result<()> {
        let collection = method
            .collection()
            .filter(|_| method.is_deletable())
            .ok_or_else(|| {
                Error::InvalidRequest(format!("a {} method cannot be deleted", method.kind()))
            })?;
        let path = format!(
            "{}/authentication/{collection}/{}",
            user_path(user),
            segment(method.id())
        );
        self.delete(&path).await
    }

    /// Creates a Temporary Access Pass (201). `lifetime_minutes` must be 10–43,200 and within
    /// policy; `None` uses the policy default. The pass is only visible in the answer.
    pub async fn create_tap(
        &self,
        user: &str,
        lifetime_minutes: Option<u32>,
        usable_once: bool,
    ) -> Result<Tap> {
        let request = TapRequest {
            start_date_time: None,
            lifetime_in_minutes: lifetime_minutes,
            is_usable_once: usable_once,
        };
        self.create_tap_with(user, &request).await
    }

    /// Creates a Temporary Access Pass from a full request (start time included).
    pub async fn create_tap_with(&self, user: &str, request: &TapRequest) -> Result<Tap> {
        self.post(
            &format!(
                "{}/authentication/temporaryAccessPassMethods",
                user_path(user)
            ),
            request,
        )
        .await
    }

    /// The tenant's Temporary Access Pass policy.
    pub async fn tap_policy(&self) -> Result<TapPolicy> {
        self.get("policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass").await
    }

    /// Beta `GET users/{id}/authentication/signInPreferences` (the default MFA method).
    pub async fn get_sign_in_preferences(&self, user: &str) -> Result<SignInPreferences> {
        self.beta()
            .get(&format!(
                "{}/authentication/signInPreferences",
                user_path(user)
            ))
            .await
    }

    /// Beta `PATCH users/{id}/authentication/signInPreferences` setting the default MFA method
    /// (`push`, `sms`, `voiceMobile`, `oath`, ...).
    pub async fn set_preferred_method(&self, user: &str, method: &str) -> Result<()> {
        let body = json!({ "userPreferredMethodForSecondaryAuthentication": method });
        self.beta()
            .patch_no_content(
                &format!("{}/authentication/signInPreferences", user_path(user)),
                &body,
            )
            .await
    }

    /// Admin password reset through the methods API (delegated-only in Graph). Sends
    /// `newPassword` when given, otherwise lets Graph generate one; then polls the operation.
    pub async fn reset_password_via_methods(
        &self,
        user: &str,
        new_password: Option<&Secret>,
    ) -> Result<PasswordReset> {
        let path = format!(
            "{}/authentication/methods/{PASSWORD_METHOD_ID}/resetPassword",
            user_path(user)
        );
        let body = match new_password {
            Some(password) => json!({ "newPassword": password.expose() }),
            None => json!({}),
        };
        let answer = self.send(GraphRequest::post(&path).json(&body)?).await?;
        let generated_password = answer
            .json::<Option<ResetAnswer>>()?
            .and_then(|reset| reset.new_password);
        let location = answer.header("Location").ok_or_else(|| {
            Error::UnexpectedResponse(format!(
                "resetPassword answered {} without Location",
                answer.status
            ))
        })?;
        let location = Url::parse(&location).map_err(|error| {
            Error::UnexpectedResponse(format!("bad operation location {location:?}: {error}"))
        })?;
        let operation = self.poll_operation(location, answer.retry_after()).await?;
        Ok(PasswordReset {
            operation,
            generated_password,
        })
    }

    /// Polls a long-running authentication operation until it is terminal.
    pub async fn poll_operation(
        &self,
        location: Url,
        first_wait: Option<Duration>,
    ) -> Result<AuthenticationOperation> {
        let budget = self.retry_policy().max_total_wait;
        let mut waited = Duration::ZERO;
        let mut wait = first_wait.unwrap_or(DEFAULT_POLL_INTERVAL);
        loop {
            if waited + wait > budget {
                return Err(Error::OperationTimedOut(budget));
            }
            tokio::time::sleep(wait).await;
            waited += wait;
            let answer = self
                .send(GraphRequest::absolute(Method::GET, location.clone()))
                .await?;
            let operation: AuthenticationOperation = answer.json()?;
            match operation.status {
                OperationStatus::Succeeded => return Ok(operation),
                OperationStatus::Failed => {
                    return Err(Error::OperationFailed {
                        detail: operation.status_detail,
                    });
                }
                _ => wait = answer.retry_after().unwrap_or(DEFAULT_POLL_INTERVAL),
            }
        }
    }
}
