//! The one-time reveal: the only place a temporary password or TAP is ever shown.
//!
//! A secret the requester asked to see is held in memory (never written anywhere) under a random
//! token, for the one person who asked, for a few minutes, and is removed on the first viewing.
//! A reveal link that leaks is useless to anyone else, and useless to the requester once used.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::Secret;

/// How long an unviewed secret waits.
pub const REVEAL_TTL: Duration = Duration::from_secs(10 * 60);
/// The most secrets waiting at once; the oldest is dropped past it.
const MAX_WAITING: usize = 10_000;

struct Waiting {
    owner: String,
    what: String,
    secret: Secret,
    at: Instant,
}

/// Secrets waiting for their one viewing.
#[derive(Default)]
pub struct Reveals {
    waiting: Mutex<HashMap<String, Waiting>>,
}

/// Why a reveal failed (one answer for all, so a token can't be probed).
#[derive(Debug, thiserror::Error)]
#[error("this secret was already shown, has expired, or is not yours")]
pub struct Gone;

impl Reveals {
    pub fn new() -> Reveals {
        Reveals::default()
    }

    /// Keeps `secret` for `owner` (lower-case UPN); returns the token of its one viewing.
    pub fn keep(&self, owner: &str, what: &str, secret: Secret) -> String {
        let token = crate::token("", 24);
        let mut waiting = self.waiting.lock();
        waiting.retain(|_, w| w.at.elapsed() < REVEAL_TTL);
        if waiting.len() >= MAX_WAITING
            && let Some(oldest) = waiting
                .iter()
                .min_by_key(|(_, w)| w.at)
                .map(|(k, _)| k.clone())
        {
            waiting.remove(&oldest);
        }
        waiting.insert(
            token.clone(),
            Waiting {
                owner: owner.to_lowercase(),
                what: what.to_string(),
                secret,
                at: Instant::now(),
            },
        );
        token
    }

    /// Whether `token` is waiting for `viewer` (without using it).
    pub fn is_waiting(&self, token: &str, viewer: &str) -> Option<String> {
        let waiting = self.waiting.lock();
        waiting
            .get(token)
            .filter(|w| w.owner.eq_ignore_ascii_case(viewer) && w.at.elapsed() < REVEAL_TTL)
            .map(|w| w.what.clone())
    }

    /// Takes the secret for `viewer`: the first viewing is the last.
    pub fn take(&self, token: &str, viewer: &str) -> Result<(String, Secret), Gone> {
        let mut waiting = self.waiting.lock();
        match waiting.get(token) {
            Some(w) if w.owner.eq_ignore_ascii_case(viewer) && w.at.elapsed() < REVEAL_TTL => {}
            _ => return Err(Gone),
        }
        let w = waiting.remove(token).ok_or(Gone)?;
        Ok((w.what, w.secret))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_shown_once_and_only_to_its_owner() {
        let reveals = Reveals::new();
        let token = reveals.keep(
            "Alex@contoso.com",
            "temporary password",
            Secret::new("Xy-1"),
        );
        assert!(reveals.take(&token, "eve@contoso.com").is_err());
        assert_eq!(
            reveals.is_waiting(&token, "alex@contoso.com").as_deref(),
            Some("temporary password")
        );
        let (what, secret) = reveals
            .take(&token, "alex@contoso.com")
            .expect("first view");
        assert_eq!(
            (what.as_str(), secret.expose()),
            ("temporary password", "Xy-1")
        );
        assert!(reveals.take(&token, "alex@contoso.com").is_err());
        assert!(reveals.take("not-a-token", "alex@contoso.com").is_err());
    }
}
