//! Throttling as Graph's identity and access service does it: each request costs resource units
//! (RU) by kind, writes also cost a write, and each app+tenant pair has an RU budget per 10 s
//! (by tenant size) and a write budget per 2.5 min. Identity & access reports (audit logs) and
//! identity protection have their own, smaller budgets; identity protection sends no
//! `Retry-After`, as documented.
//!
//! Windows are fixed and can be compressed (`time_scale`) so that benchmarks finish in minutes
//! while keeping the budget ratios of the real service.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use http::Method;
use serde::{Deserialize, Serialize};

use crate::auth::Caller;
use crate::error::GraphError;
use crate::http::GraphRequest;
use crate::server::throttled_error;

/// Throttling settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ThrottleConfig {
    pub enabled: bool,
    /// Multiplies every window length (1.0 = Graph's; 0.1 = ten times faster).
    pub time_scale: f64,
    /// Override of the RU budget per 10 s (default: by tenant size, 3,500 / 5,000 / 8,000).
    pub resource_units_per_window: Option<u32>,
    /// Writes per 150 s per app+tenant (Graph: 3,000).
    pub writes_per_window: u32,
    /// Audit-log requests per 10 s per app+tenant (Graph: 5).
    pub reports_per_window: u32,
    /// Identity protection requests per second per tenant (Graph: 1).
    pub identity_protection_per_second: u32,
}

impl Default for ThrottleConfig {
    fn default() -> ThrottleConfig {
        ThrottleConfig {
            enabled: false,
            time_scale: 1.0,
            resource_units_per_window: None,
            writes_per_window: 3000,
            reports_per_window: 5,
            identity_protection_per_second: 1,
        }
    }
}

impl ThrottleConfig {
    /// Graph's RU budget per 10 s for a tenant of this many users.
    pub fn resource_units_for(&self, tenant_users: usize) -> u32 {
        self.resource_units_per_window
            .unwrap_or(match tenant_users {
                0..50 => 3500,
                50..=500 => 5000,
                _ => 8000,
            })
    }

    fn scaled(&self, seconds: f64) -> Duration {
        Duration::from_secs_f64((seconds * self.time_scale).max(0.001))
    }

    /// The lower bound on wall time for `writes` writes under the write budget, in seconds.
    pub fn write_bound_seconds(&self, writes: u64) -> f64 {
        let window = 150.0 * self.time_scale;
        let budget = f64::from(self.writes_per_window.max(1));
        let full_windows = (writes as f64 / budget).ceil() - 1.0;
        full_windows.max(0.0) * window
    }
}

/// What one request costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    pub resource_units: u32,
    pub writes: u32,
    pub service: Service,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Directory,
    Reports,
    IdentityProtection,
    Batch,
}

/// The RU cost table of Graph's throttling documentation.
pub fn cost(request: &GraphRequest<'_>) -> Cost {
    let segments: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    let service = match segments.first().copied() {
        Some("auditLogs") | Some("reports") => Service::Reports,
        Some("identityProtection") => Service::IdentityProtection,
        Some("$batch") => Service::Batch,
        _ => Service::Directory,
    };
    if service == Service::Batch {
        // Items are charged one by one.
        return Cost {
            resource_units: 0,
            writes: 0,
            service,
        };
    }
    let is_write = request.method != Method::GET;
    let mut units: i64 = match (request.method.as_str(), segments.as_slice()) {
        ("GET", ["users"]) | ("GET", ["applications"]) => 2,
        ("GET", ["groups", _, "members", ..]) => 3,
        ("GET", ["groups", _, "transitiveMembers", ..]) => 5,
        ("GET", ["users", _, "memberOf" | "transitiveMemberOf", ..]) => 2,
        ("POST", ["users", _, "checkMemberGroups" | "checkMemberObjects"]) => 4,
        ("POST", ["users", _, "getMemberGroups" | "getMemberObjects"]) => 2,
        ("POST", ["directoryObjects", "getByIds"]) => 3,
        ("GET", ["oauth2PermissionGrants", ..]) => 2,
        ("GET", ["servicePrincipals", _, "appRoleAssignments"]) => 2,
        ("GET", ["subscribedSkus", ..]) => 3,
        _ => 1,
    };
    let has = |name: &str| {
        request
            .pairs
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    };
    if has("$select") {
        units -= 1;
    }
    if has("$expand") {
        units += 1;
    }
    let small_top = request
        .pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("$top"))
        .and_then(|(_, v)| v.parse::<u32>().ok())
        .is_some_and(|top| top < 20);
    if small_top {
        units -= 1;
    }
    Cost {
        resource_units: units.max(1) as u32,
        writes: u32::from(is_write),
        service,
    }
}

/// Usage per app (and per tenant for identity protection) in the current windows.
#[derive(Debug, Default)]
pub struct Meter {
    windows: HashMap<(String, &'static str), Window>,
}

#[derive(Debug)]
struct Window {
    started: Instant,
    used: u32,
}

impl Meter {
    /// Charges a request, or refuses it with Graph's 429.
    #[allow(clippy::too_many_arguments)]
    pub fn charge(
        &mut self,
        config: &ThrottleConfig,
        caller: &Caller,
        _segments: &[String],
        _method: &Method,
        cost: Cost,
        tenant_users: usize,
        now: Instant,
    ) -> Result<(), GraphError> {
        let app = caller.app_id.clone();
        match cost.service {
            Service::Batch => Ok(()),
            Service::IdentityProtection => {
                let limit = config.identity_protection_per_second;
                self.take(("tenant".into(), "ip"), config.scaled(1.0), limit, 1, now)
                    // Identity protection sends no Retry-After.
                    .map_err(|_| {
                        let mut error =
                            throttled_error(0, "Tenant/ReadWrite", "ResourceUnitLimitExceeded");
                        error.headers.retain(|(name, _)| name != "Retry-After");
                        error
                    })
            }
            Service::Reports => {
                let limit = config.reports_per_window;
                self.take((app, "reports"), config.scaled(10.0), limit, 1, now)
                    .map_err(|retry| {
                        throttled_error(
                            retry,
                            "Tenant_Application/Read",
                            "ResourceUnitLimitExceeded",
                        )
                    })
            }
            Service::Directory => {
                let ru_limit = config.resource_units_for(tenant_users);
                if cost.writes > 0 {
                    let limit = config.writes_per_window;
                    self.take(
                        (app.clone(), "writes"),
                        config.scaled(150.0),
                        limit,
                        cost.writes,
                        now,
                    )
                    .map_err(|retry| {
                        throttled_error(retry, "Tenant_Application/Write", "WriteLimitExceeded")
                    })?;
                }
                self.take(
                    (app, "ru"),
                    config.scaled(10.0),
                    ru_limit,
                    cost.resource_units,
                    now,
                )
                .map_err(|retry| {
                    throttled_error(
                        retry,
                        "Tenant_Application/ReadWrite",
                        "ResourceUnitLimitExceeded",
                    )
                })
            }
        }
    }

    /// Takes `amount` from a fixed window; on refusal returns the seconds until it resets.
    fn take(
        &mut self,
        key: (String, &'static str),
        length: Duration,
        limit: u32,
        amount: u32,
        now: Instant,
    ) -> Result<(), u64> {
        let window = self.windows.entry(key).or_insert(Window {
            started: now,
            used: 0,
        });
        if now.duration_since(window.started) >= length {
            window.started = now;
            window.used = 0;
        }
        if window.used.saturating_add(amount) > limit {
            let remaining = length.saturating_sub(now.duration_since(window.started));
            return Err(remaining.as_secs_f64().ceil().max(1.0) as u64);
        }
        window.used += amount;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_budget_refuses_with_retry_after() {
        let config = ThrottleConfig {
            enabled: true,
            writes_per_window: 3,
            ..ThrottleConfig::default()
        };
        let caller = Caller {
            app_id: "app".into(),
            ..Caller::default()
        };
        let mut meter = Meter::default();
        let start = Instant::now();
        let write = Cost {
            resource_units: 1,
            writes: 1,
            service: Service::Directory,
        };
        for _ in 0..3 {
            assert!(
                meter
                    .charge(&config, &caller, &[], &Method::PATCH, write, 300, start)
                    .is_ok()
            );
        }
        let refused = meter
            .charge(&config, &caller, &[], &Method::PATCH, write, 300, start)
            .expect_err("the fourth write is over budget");
        assert_eq!(refused.status.as_u16(), 429);
        assert!(
            refused
                .headers
                .iter()
                .any(|(n, v)| n == "Retry-After" && v == "150")
        );
        assert!(
            refused
                .headers
                .iter()
                .any(|(n, v)| n == "x-ms-throttle-information" && v == "WriteLimitExceeded")
        );
        let later = start + Duration::from_secs(151);
        assert!(
            meter
                .charge(&config, &caller, &[], &Method::PATCH, write, 300, later)
                .is_ok()
        );
    }

    #[test]
    fn budget_depends_on_tenant_size() {
        let config = ThrottleConfig::default();
        assert_eq!(config.resource_units_for(10), 3500);
        assert_eq!(config.resource_units_for(300), 5000);
        assert_eq!(config.resource_units_for(200_000), 8000);
    }
}
