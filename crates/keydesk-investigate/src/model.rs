//! The evidence model: sign-ins (interactive and non-interactive), risky-user state, risk
//! detections, authentication methods, directory audits and delegated grants with their service
//! principals, all in Graph's JSON shape (camelCase) and all lenient: unknown fields are ignored,
//! missing fields default, unparseable timestamps become `None`.
//!
//! [`SignIn`] keeps the fields detections use; repeated strings are shared `Arc<str>` so a
//! million records fit in memory. [`HuntSignIn`] is the leaner projection tenant-wide hunting
//! needs. Parsing of export files lives in [`crate::load`]; this module only defines types.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A point in time, milliseconds since the Unix epoch (UTC). Serialized as RFC 3339.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// One minute in milliseconds.
    pub const MINUTE: i64 = 60_000;
    /// One hour in milliseconds.
    pub const HOUR: i64 = 3_600_000;
    /// One day in milliseconds.
    pub const DAY: i64 = 86_400_000;

    /// From an [`OffsetDateTime`].
    pub fn from_datetime(at: OffsetDateTime) -> Self {
        let millis = at.unix_timestamp_nanos() / 1_000_000;
        Timestamp(i64::try_from(millis).unwrap_or(i64::MAX))
    }

    /// As an [`OffsetDateTime`] (the epoch when out of range).
    pub fn to_datetime(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// Milliseconds since the epoch.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// This time plus `millis`.
    pub fn plus(self, millis: i64) -> Self {
        Timestamp(self.0.saturating_add(millis))
    }

    /// Parses Graph's RFC 3339 (`2024-05-01T12:00:00.1234567Z`, or with an offset, or without
    /// one, taken as UTC). A fast path handles the common `...Z` form without allocation.
    pub fn parse(text: &str) -> Option<Self> {
        fast_parse(text.as_bytes()).or_else(|| {
            OffsetDateTime::parse(text, &Rfc3339)
                .ok()
                .map(Timestamp::from_datetime)
        })
    }

    /// [`Timestamp::parse`]'s allocation-free path on raw bytes: `Some` only for the common
    /// `...Z` form (all ASCII), with the value `parse` gives for the same text.
    pub(crate) fn parse_ascii(bytes: &[u8]) -> Option<Self> {
        fast_parse(bytes)
    }

    /// RFC 3339 in UTC, with milliseconds only when they are not zero.
    pub fn to_rfc3339(self) -> String {
        let at = self.to_datetime();
        let (year, month, day) = (at.year(), u8::from(at.month()), at.day());
        let (hour, minute, second) = (at.hour(), at.minute(), at.second());
        let millis = at.millisecond();
        if millis == 0 {
            format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
        } else {
            format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{millis:03}Z")
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Timestamp::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 time: {text:?}")))
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fffffff](Z|+00:00)` without allocation; `None` for anything else.
fn fast_parse(b: &[u8]) -> Option<Timestamp> {
    fn num(b: &[u8]) -> Option<i64> {
        let mut value = 0i64;
        for &c in b {
            if !c.is_ascii_digit() {
                return None;
            }
            value = value * 10 + i64::from(c - b'0');
        }
        Some(value)
    }
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' {
        return None;
    }
    let year = num(&b[0..4])?;
    let month = num(&b[5..7])?;
    let day = num(&b[8..10])?;
    let hour = num(&b[11..13])?;
    let minute = num(&b[14..16])?;
    let second = num(&b[17..19])?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let mut rest = &b[19..];
    let mut millis = 0i64;
    if let Some((&b'.', fraction)) = rest.split_first() {
        let digits = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        let mut scale = 100;
        for &c in fraction.iter().take(digits.min(3)) {
            millis += i64::from(c - b'0') * scale;
            scale /= 10;
        }
        rest = &fraction[digits..];
    }
    if rest != b"Z" && rest != b"z" && rest != b"+00:00" {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second;
    Some(Timestamp(secs * 1000 + millis))
}

/// Deserializes an optional timestamp leniently: anything unparseable is `None`.
pub(crate) fn lenient_time<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Timestamp>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(value
        .as_ref()
        .and_then(serde_json::Value::as_str)
        .and_then(Timestamp::parse))
}

/// The investigated period, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// Start.
    pub from: Timestamp,
    /// End ("now").
    pub to: Timestamp,
}

impl Window {
    /// The `days` before `to`.
    pub fn last_days(to: Timestamp, days: u32) -> Self {
        Window {
            from: to.plus(-i64::from(days) * Timestamp::DAY),
            to,
        }
    }

    /// Whether `at` is inside.
    pub fn contains(&self, at: Timestamp) -> bool {
        at >= self.from && at <= self.to
    }
}

/// A shared string (interned by the loader).
pub type Text = Arc<str>;

/// `signIn.status`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Status {
    /// AADSTS code; 0 is success. `None` when the record had none.
    pub error_code: Option<i64>,
    /// Failure reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<Text>,
    /// Extra detail (MFA result texts live here).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_details: Option<Text>,
}

/// Latitude and longitude in degrees.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GeoCoordinates {
    /// Latitude.
    pub latitude: Option<f64>,
    /// Longitude.
    pub longitude: Option<f64>,
}

/// `signIn.location`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Location {
    /// City.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<Text>,
    /// State or region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<Text>,
    /// Two-letter country or region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_or_region: Option<Text>,
    /// Coordinates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geo_coordinates: Option<GeoCoordinates>,
}

impl Location {
    /// `(latitude, longitude)` when both are present and in range.
    pub fn point(&self) -> Option<(f64, f64)> {
        let geo = self.geo_coordinates?;
        let (lat, lon) = (geo.latitude?, geo.longitude?);
        let valid = lat.is_finite()
            && lon.is_finite()
            && (-90.0..=90.0).contains(&lat)
            && (-180.0..=180.0).contains(&lon);
        valid.then_some((lat, lon))
    }

    /// `City, CC` (or whichever parts exist; `unknown` when none).
    pub fn place(&self) -> String {
        match (self.city.as_deref(), self.country_or_region.as_deref()) {
            (Some(city), Some(country)) if !city.is_empty() => format!("{city}, {country}"),
            (_, Some(country)) if !country.is_empty() => country.to_owned(),
            (Some(city), _) if !city.is_empty() => city.to_owned(),
            _ => "unknown".to_owned(),
        }
    }
}

/// `signIn.deviceDetail`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DeviceDetail {
    /// Entra device id; empty or absent for unknown devices.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<Text>,
    /// Device name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<Text>,
    /// Operating system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operating_system: Option<Text>,
    /// Browser.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub browser: Option<Text>,
    /// Intune compliant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_compliant: Option<bool>,
    /// Managed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_managed: Option<bool>,
    /// Join type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_type: Option<Text>,
}

impl DeviceDetail {
    /// The device id when it is a real one (not empty, not the all-zero GUID).
    pub fn known_id(&self) -> Option<&str> {
        self.device_id
            .as_deref()
            .filter(|id| !id.is_empty() && !id.bytes().all(|c| c == b'0' || c == b'-'))
    }

    /// `(os, browser family)` lower-cased, the fingerprint of a browser-only device.
    pub fn fingerprint(&self) -> String {
        let os = self
            .operating_system
            .as_deref()
            .unwrap_or("")
            .to_lowercase();
        let browser = self.browser.as_deref().unwrap_or("");
        let family = browser
            .split(|c: char| c.is_ascii_digit())
            .next()
            .unwrap_or("")
            .trim()
            .to_lowercase();
        format!("{os}/{family}")
    }
}

/// One `authenticationDetails` step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AuthStep {
    /// `Password`, `Mobile app notification`, `Previously satisfied`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_method: Option<Text>,
    /// Whether the step succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub succeeded: Option<bool>,
    /// `MFA denied; user declined the authentication`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_step_result_detail: Option<Text>,
    /// `Primary authentication`, `Multi-factor authentication`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_step_requirement: Option<Text>,
}

/// One sign-in, interactive or not, with the fields the detections use.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SignIn {
    /// Sign-in (request) id.
    pub id: Text,
    /// When it happened.
    pub created_date_time: Timestamp,
    /// UPN, lower-cased (sign-in logs are).
    pub user_principal_name: Text,
    /// User object id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Text>,
    /// Client app name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_display_name: Option<Text>,
    /// Client app id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<Text>,
    /// `Browser`, `Mobile Apps and Desktop clients`, legacy protocol names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_app_used: Option<Text>,
    /// Source address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<Text>,
    /// Autonomous system of the source (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autonomous_system_number: Option<u32>,
    /// Where.
    pub location: Location,
    /// Outcome.
    pub status: Status,
    /// Device.
    pub device_detail: DeviceDetail,
    /// User agent (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<Text>,
    /// `none`, `low`, `medium`, `high`, `hidden`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_level_during_sign_in: Option<Text>,
    /// Aggregated risk level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_level_aggregated: Option<Text>,
    /// `none`, `atRisk`, `confirmedCompromised`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_state: Option<Text>,
    /// Risk event types.
    #[serde(rename = "riskEventTypes_v2", skip_serializing_if = "Vec::is_empty")]
    pub risk_event_types_v2: Vec<Text>,
    /// `singleFactorAuthentication` or `multiFactorAuthentication`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_requirement: Option<Text>,
    /// Each authentication step (beta).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authentication_details: Vec<AuthStep>,
    /// `success`, `failure`, `notApplied`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditional_access_status: Option<Text>,
    /// Interactive (absent in some exports; see [`SignIn::interactive`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_interactive: Option<bool>,
    /// `none`, `oAuth2`, `ropc`, `deviceCode`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_protocol: Option<Text>,
    /// `none`, `deviceCodeFlow`, `authenticationTransfer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_transfer_method: Option<Text>,
    /// `none`, `primaryRefreshToken`, `refreshToken`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incoming_token_type: Option<Text>,
    /// Session id (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<Text>,
    /// Correlation id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<Text>,
    /// Unique token identifier (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unique_token_identifier: Option<Text>,
    /// `interactiveUser`, `nonInteractiveUser` (beta).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sign_in_event_types: Vec<Text>,
}

impl SignIn {
    /// The error code (`-1` when the record had none, which no rule matches).
    pub fn error_code(&self) -> i64 {
        self.status.error_code.unwrap_or(-1)
    }

    /// Error code 0.
    pub fn succeeded(&self) -> bool {
        self.status.error_code == Some(0)
    }

    /// Interactive: `isInteractive`, else the event types, else assumed interactive (v1.0 lists
    /// only interactive sign-ins).
    pub fn interactive(&self) -> bool {
        if let Some(flag) = self.is_interactive {
            return flag;
        }
        !self
            .sign_in_event_types
            .iter()
            .any(|kind| kind.eq_ignore_ascii_case("nonInteractiveUser"))
    }

    /// The address, or `""`.
    pub fn ip(&self) -> &str {
        self.ip_address.as_deref().unwrap_or("")
    }

    /// The country, or `""`.
    pub fn country(&self) -> &str {
        self.location.country_or_region.as_deref().unwrap_or("")
    }

    /// Whether MFA (or the first factor) was satisfied only by a claim in an existing token.
    pub fn token_satisfied(&self) -> bool {
        let in_details = self
            .status
            .additional_details
            .as_deref()
            .is_some_and(|d| contains_ci(d, "satisfied by claim in the token"));
        in_details
            || self.authentication_details.iter().any(|step| {
                step.authentication_method
                    .as_deref()
                    .is_some_and(|m| m.eq_ignore_ascii_case("Previously satisfied"))
            })
    }

    /// Whether an MFA step completed (not a token claim).
    pub fn mfa_performed(&self) -> bool {
        self.authentication_details.iter().any(|step| {
            step.succeeded == Some(true)
                && step
                    .authentication_step_result_detail
                    .as_deref()
                    .is_some_and(|d| contains_ci(d, "MFA successfully completed"))
        }) || self
            .status
            .additional_details
            .as_deref()
            .is_some_and(|d| contains_ci(d, "MFA completed") || contains_ci(d, "MFA successfully"))
    }
}

/// Case-insensitive ASCII substring test.
pub fn contains_ci(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return true;
    }
    if n.len() > h.len() {
        return false;
    }
    h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// The lean projection of a sign-in that tenant-wide hunting needs.
#[derive(Debug, Clone, PartialEq)]
pub struct HuntSignIn {
    /// Sign-in id.
    pub id: Text,
    /// When.
    pub at: Timestamp,
    /// UPN, lower-cased.
    pub user: Text,
    /// Source address.
    pub ip: Option<Text>,
    /// Error code (`-1` when absent).
    pub error_code: i32,
    /// `authenticationRequirement` was `singleFactorAuthentication` (or absent).
    pub single_factor: bool,
    /// User agent.
    pub user_agent: Option<Text>,
}

/// The investigated user as the directory shows them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UserInfo {
    /// Object id.
    pub id: String,
    /// UPN.
    pub user_principal_name: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Enabled.
    pub account_enabled: Option<bool>,
    /// Synced from on-premises.
    pub on_premises_sync_enabled: Option<bool>,
}

/// `identityProtection/riskyUsers/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RiskyUser {
    /// User id.
    pub id: String,
    /// `low`, `medium`, `high`, `none`, `hidden`.
    pub risk_level: Option<String>,
    /// `atRisk`, `confirmedCompromised`, `remediated`, ...
    pub risk_state: Option<String>,
    /// Provenance of the state.
    pub risk_detail: Option<String>,
    /// Last update.
    #[serde(deserialize_with = "lenient_time")]
    pub risk_last_updated_date_time: Option<Timestamp>,
}

/// `identityProtection/riskDetections` entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RiskDetection {
    /// Detection id.
    pub id: String,
    /// Open string (`leakedCredentials`, `unlikelyTravel`, ...).
    pub risk_event_type: Option<String>,
    /// Level.
    pub risk_level: Option<String>,
    /// State.
    pub risk_state: Option<String>,
    /// `signin` or `user`.
    pub activity: Option<String>,
    /// Related sign-in's id.
    pub request_id: Option<String>,
    /// Source address.
    pub ip_address: Option<String>,
    /// When the risky activity happened.
    #[serde(deserialize_with = "lenient_time")]
    pub activity_date_time: Option<Timestamp>,
    /// When it was detected.
    #[serde(deserialize_with = "lenient_time")]
    pub detected_date_time: Option<Timestamp>,
    /// User id.
    pub user_id: Option<String>,
}

/// One entry of `users/{id}/authentication/methods`, kept generic (any `@odata.type`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AuthMethod {
    /// Method id.
    pub id: String,
    /// `#microsoft.graph.phoneAuthenticationMethod`, ...
    #[serde(rename = "@odata.type")]
    pub odata_type: Option<String>,
    /// Registration time, when the type has one.
    #[serde(deserialize_with = "lenient_time")]
    pub created_date_time: Option<Timestamp>,
    /// Display name (authenticator device, FIDO2 key, ...).
    pub display_name: Option<String>,
    /// Phone number (phone methods).
    pub phone_number: Option<String>,
    /// `mobile`, `alternateMobile`, `office`.
    pub phone_type: Option<String>,
}

impl AuthMethod {
    /// The type without the `#microsoft.graph.` prefix and `AuthenticationMethod` suffix
    /// (`phone`, `microsoftAuthenticator`, ...).
    pub fn kind(&self) -> &str {
        let name = self
            .odata_type
            .as_deref()
            .unwrap_or("unknown")
            .trim_start_matches("#microsoft.graph.");
        name.strip_suffix("AuthenticationMethod").unwrap_or(name)
    }
}

/// A directory audit entry (the parts investigations read).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DirectoryAudit {
    /// Entry id.
    pub id: String,
    /// `User registered security info`, `Consent to application`, ...
    pub activity_display_name: Option<String>,
    /// When.
    #[serde(deserialize_with = "lenient_time")]
    pub activity_date_time: Option<Timestamp>,
    /// `success`, `failure`.
    pub result: Option<String>,
    /// Reason (e.g. `User registered Mobile Phone SMS`).
    pub result_reason: Option<String>,
    /// `Authentication Methods`, `Core Directory`, ...
    pub logged_by_service: Option<String>,
    /// Who.
    pub initiated_by: Option<serde_json::Value>,
    /// What.
    pub target_resources: Vec<serde_json::Value>,
    /// Extra key/value pairs.
    pub additional_details: Vec<KeyValue>,
}

impl DirectoryAudit {
    /// The initiating user's address, if logged.
    pub fn initiator_ip(&self) -> Option<&str> {
        self.initiated_by
            .as_ref()?
            .pointer("/user/ipAddress")?
            .as_str()
            .filter(|ip| !ip.is_empty())
    }

    /// The initiating user's UPN, if a user did it.
    pub fn initiator_upn(&self) -> Option<&str> {
        self.initiated_by
            .as_ref()?
            .pointer("/user/userPrincipalName")?
            .as_str()
    }

    /// The value of an `additionalDetails` key.
    pub fn detail(&self, key: &str) -> Option<&str> {
        self.additional_details
            .iter()
            .find(|kv| {
                kv.key
                    .as_deref()
                    .is_some_and(|k| k.eq_ignore_ascii_case(key))
            })
            .and_then(|kv| kv.value.as_deref())
    }
}

/// A key/value pair.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct KeyValue {
    /// Key.
    pub key: Option<String>,
    /// Value.
    pub value: Option<String>,
}

/// `oAuth2PermissionGrant`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Grant {
    /// Grant id.
    pub id: String,
    /// Client service principal's object id.
    pub client_id: String,
    /// `AllPrincipals` or `Principal`.
    pub consent_type: Option<String>,
    /// The user, for `Principal`.
    pub principal_id: Option<String>,
    /// Resource service principal's object id.
    pub resource_id: String,
    /// Space-separated scopes.
    pub scope: Option<String>,
}

impl Grant {
    /// The scopes, split exactly on whitespace.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.as_deref().unwrap_or("").split_whitespace()
    }
}

/// A service principal (the parts consent review needs).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServicePrincipal {
    /// Object id.
    pub id: String,
    /// Application id.
    pub app_id: Option<String>,
    /// Name.
    pub display_name: Option<String>,
    /// Tenant owning the app registration.
    pub app_owner_organization_id: Option<String>,
    /// Publisher tenant name.
    pub publisher_name: Option<String>,
    /// Verified publisher (empty id = unverified).
    pub verified_publisher: Option<VerifiedPublisher>,
    /// Enabled.
    pub account_enabled: Option<bool>,
    /// Redirect URIs.
    pub reply_urls: Vec<String>,
    /// Sign-in audience.
    pub sign_in_audience: Option<String>,
    /// Created (beta).
    #[serde(deserialize_with = "lenient_time")]
    pub created_date_time: Option<Timestamp>,
}

impl ServicePrincipal {
    /// Whether a verified publisher id is present.
    pub fn publisher_verified(&self) -> bool {
        self.verified_publisher
            .as_ref()
            .and_then(|p| p.verified_publisher_id.as_deref())
            .is_some_and(|id| !id.trim().is_empty())
    }
}

/// `servicePrincipal.verifiedPublisher`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct VerifiedPublisher {
    /// Publisher name.
    pub display_name: Option<String>,
    /// MPN id.
    pub verified_publisher_id: Option<String>,
}

/// A delegated grant with its client app and how many users granted that app.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GrantEvidence {
    /// The grant.
    pub grant: Grant,
    /// The client's service principal (when it could be read).
    pub client: Option<ServicePrincipal>,
    /// Users holding a `Principal` grant to the same client (the "single consenting user"
    /// signal); `None` when unknown.
    pub consenting_users: Option<usize>,
}

/// Everything gathered about one user for one window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Evidence {
    /// The user (UPN as given when only a file was read).
    pub user: UserInfo,
    /// The investigated window.
    pub window: Option<Window>,
    /// Sign-ins of the window and the baseline period before it, any order.
    pub sign_ins: Vec<SignIn>,
    /// Identity Protection's view of the user.
    pub risky_user: Option<RiskyUser>,
    /// Risk detections for the user.
    pub risk_detections: Vec<RiskDetection>,
    /// Registered authentication methods.
    pub auth_methods: Vec<AuthMethod>,
    /// Directory audits that targeted or were initiated by the user.
    pub directory_audits: Vec<DirectoryAudit>,
    /// Delegated grants the user holds, with their apps.
    pub grants: Vec<GrantEvidence>,
    /// What could not be collected (missing licence, permission), as sentences.
    pub gaps: Vec<String>,
}
