//! SCIM wire details shared by the endpoints: error bodies, media types, ETags, time.

use serde_json::{Value, json};

use crate::patch::{PatchError, ScimType};
use crate::sim::{SimBody, SimResponse};

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
        body: Some(SimBody::Json(body)),
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
    // Digit by digit: every answer about a user carries one, and `format!` costs
    // several times more.
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    let mut rest = version;
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let mut tag = String::with_capacity(4 + digits.len() - start);
    tag.push_str("W/\"");
    tag.extend(digits[start..].iter().map(|&digit| char::from(digit)));
    tag.push('"');
    tag
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn etag_is_the_weak_tag_of_the_version() {
        for version in [0, 1, 9, 10, 4711, u64::MAX] {
            assert_eq!(etag(version), format!("W/\"{version}\""));
        }
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
            response.json(),
            Some(
                json!({"schemas":[ERROR_URN],"scimType":"invalidPath","detail":"bad","status":"400"})
            )
        );
    }
}
