//! SCIM wire details shared by the endpoints: error bodies, media types, ETags, time.

use serde_json::{Value, json};

use crate::patch::{PatchError, ScimType};
use crate::sim::SimResponse;

/// Media type of every SCIM response body.
pub const SCIM_JSON: &str = "application/scim+json";
/// RFC 7644 §3.12 error message URN.
pub const ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// RFC 7644 §3.4.2 list response URN.
pub const LIST_URN: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// An RFC 7644 §3.12 error response (`status` as a string, `scimType` when given).
pub fn scim_error(status: u16, scim_type: Option<ScimType>, detail: &str) -> SimResponse {
    let mut body = serde_json::Map::new();
    body.insert("schemas".into(), json!([ERROR_URN]));
    if let Some(scim_type) = scim_type {
        body.insert("scimType".into(), json!(scim_type.as_str()));
    }
    body.insert("detail".into(), json!(detail));
    body.insert("status".into(), json!(status.to_string()));
    json_response(status, Value::Object(body))
}

/// The SCIM error for a PATCH engine failure.
pub fn patch_error(error: &PatchError) -> SimResponse {
    scim_error(error.status, error.scim_type, &error.detail)
}

/// A `application/scim+json` response with a body.
pub fn json_response(status: u16, body: Value) -> SimResponse {
    SimResponse {
        status,
        headers: Vec::new(),
        content_type: SCIM_JSON,
        body: Some(body),
    }
}

/// A response without a body (204, 304).
pub fn empty_response(status: u16) -> SimResponse {
    SimResponse {
        status,
        headers: Vec::new(),
        content_type: SCIM_JSON,
        body: None,
    }
}

/// Whether a request `Content-Type` names a JSON media type SCIM accepts (§3.8):
/// `application/scim+json` or `application/json`, parameters such as charset allowed.
pub fn is_scim_media_type(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/scim+json")
        || essence.eq_ignore_ascii_case("application/json")
}

/// The weak entity tag for a resource version.
pub fn etag(version: u64) -> String {
    format!("W/\"{version}\"")
}

/// Whether an `If-Match`/`If-None-Match` value (a list of tags or `*`) names `current`.
/// The comparison is weak (RFC 7232 §2.3.2): SCIM versions are weak tags and the RFC's
/// own `If-Match` example sends one, so `"n"` and `W/"n"` both match `W/"n"`.
pub fn etag_list_matches(header: &str, current: &str) -> bool {
    let opaque = |tag: &str| -> String {
        let tag = tag.trim();
        tag.strip_prefix("W/").unwrap_or(tag).to_string()
    };
    let current = opaque(current);
    header
        .split(',')
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
        .any(|tag| tag == "*" || opaque(tag) == current)
}

/// Milliseconds since the Unix epoch, as RFC 3339 UTC with milliseconds.
pub fn rfc3339_millis(epoch_ms: u64) -> String {
    let secs = epoch_ms / 1000;
    let millis = epoch_ms % 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Gregorian date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Percent-encodes one path segment (everything but RFC 3986 unreserved characters).
pub fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_millis_known_instants() {
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_millis(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(
            rfc3339_millis(1_700_000_000_123),
            "2023-11-14T22:13:20.123Z"
        );
        assert_eq!(
            rfc3339_millis(1_709_251_199_999),
            "2024-02-29T23:59:59.999Z"
        );
    }

    #[test]
    fn e04_etag_comparison_is_weak_and_star_matches() {
        assert!(etag_list_matches("W/\"3\"", "W/\"3\""));
        assert!(etag_list_matches("\"3\"", "W/\"3\""));
        assert!(etag_list_matches("W/\"1\", W/\"3\"", "W/\"3\""));
        assert!(etag_list_matches("*", "W/\"3\""));
        assert!(!etag_list_matches("W/\"2\"", "W/\"3\""));
        assert!(!etag_list_matches("", "W/\"3\""));
    }

    #[test]
    fn media_types_accepted_with_parameters() {
        assert!(is_scim_media_type("application/scim+json"));
        assert!(is_scim_media_type("Application/JSON; charset=utf-8"));
        assert!(!is_scim_media_type("text/plain"));
        assert!(!is_scim_media_type("application/x-www-form-urlencoded"));
    }

    #[test]
    fn p14_error_body_has_string_status() {
        let response = scim_error(400, Some(ScimType::InvalidPath), "bad");
        assert_eq!(
            response.body,
            Some(
                json!({"schemas":[ERROR_URN],"scimType":"invalidPath","detail":"bad","status":"400"})
            )
        );
    }

    #[test]
    fn encode_segment_keeps_unreserved() {
        assert_eq!(encode_segment("my-tenant_1.x~"), "my-tenant_1.x~");
        assert_eq!(encode_segment("a b/é"), "a%20b%2F%C3%A9");
    }
}
