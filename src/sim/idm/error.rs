//! The TM Forum Open API `Error` object the userManagement API answers with
//! (REFERENCE.md §5.3, OD-14): `code` = `status` = the HTTP status as a string.

use serde_json::{Value, json};

use crate::sim::{SimBody, SimResponse};

/// Media type of every userManagement response.
pub const JSON: &str = "application/json";

/// The documented `reason` of the 405 answered when the target lacks PATCH.
pub const PATCH_UNSUPPORTED: &str = "PATCH Operation is not supported in target IDP.";

/// A failed request: status, `reason`, `message` and extra headers.
#[derive(Clone, Debug, PartialEq)]
pub struct IdmError {
    /// HTTP status.
    pub status: u16,
    /// `reason`: the documented text for the status.
    pub reason: &'static str,
    /// `message`: what exactly is wrong.
    pub message: String,
    /// Headers to send with it (`WWW-Authenticate`, `Allow`).
    pub headers: Vec<(String, String)>,
}

impl IdmError {
    /// An error with the default reason for `status`.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        IdmError {
            status,
            reason: reason_for(status),
            message: message.into(),
            headers: Vec::new(),
        }
    }

    /// 400 "Request validation failed".
    pub fn bad_request(message: impl Into<String>) -> Self {
        IdmError::new(400, message)
    }

    /// 401 with `WWW-Authenticate: Bearer`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        IdmError::new(401, message)
            .with_header("WWW-Authenticate", "Bearer realm=\"userManagement\"")
    }

    /// 405 "PATCH Operation is not supported in target IDP." (OD-15).
    pub fn patch_unsupported(message: impl Into<String>) -> Self {
        IdmError {
            reason: PATCH_UNSUPPORTED,
            ..IdmError::new(405, message)
        }
    }

    /// 405 for a method the route does not serve, with `Allow`.
    pub fn method_not_allowed(method: &str, allow: &str) -> Self {
        IdmError {
            reason: "Method not allowed",
            ..IdmError::new(
                405,
                format!("{method} is not supported on this resource; allowed: {allow}"),
            )
        }
        .with_header("Allow", allow)
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The HTTP response carrying this error.
    pub fn into_response(self) -> SimResponse {
        SimResponse {
            status: self.status,
            headers: self.headers,
            content_type: JSON,
            body: Some(SimBody::Json(error_body(
                self.status,
                self.reason,
                &self.message,
            ))),
        }
    }
}

/// The `Error` object for `status`.
pub fn error_body(status: u16, reason: &str, message: &str) -> Value {
    json!({
        "code": status.to_string(),
        "reason": reason,
        "message": message,
        "status": status.to_string(),
        "@type": "Error",
    })
}

/// The documented `reason` (REFERENCE.md §5.3); undocumented statuses get the HTTP text.
pub fn reason_for(status: u16) -> &'static str {
    match status {
        400 => "Request validation failed",
        401 => "Authorization failure. The authorization header is invalid or missing",
        403 => "Operation is not permitted based on the supplied authorization.",
        404 => "Resource not found",
        405 => PATCH_UNSUPPORTED,
        409 => "User already exists",
        413 => "Payload too large",
        429 => "Too many requests",
        500 => "Internal Server Error",
        501 => "Not implemented",
        502 => "Bad gateway",
        503 => "Service unavailable",
        504 => "Gateway timeout",
        402..=499 => "Client error",
        _ => "Internal Server Error",
    }
}
