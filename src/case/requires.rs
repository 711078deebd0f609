//! What a case needs from a server beyond the RFC's minimum: optional features (ETags,
//! the enterprise User extension) and optional User attributes. A case declares them
//! with `requires:`; the runner skips a case whose needs the server's discovery
//! documents say it does not meet, and a corpus lint checks that every optional feature
//! a case uses is declared.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;
use serde_saphyr::Location;

use crate::api::Api;
use crate::case::model::{Case, Expect, Step};
use crate::patch::{ENTERPRISE_URN, USER_URN};

/// Every attribute of the RFC 7643 §4.1 User schema (plus the common `externalId`), as
/// spelt there.
pub const USER_ATTRIBUTES: [&str; 22] = [
    "userName",
    "name",
    "displayName",
    "nickName",
    "profileUrl",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "active",
    "password",
    "emails",
    "phoneNumbers",
    "ims",
    "photos",
    "addresses",
    "groups",
    "entitlements",
    "roles",
    "x509Certificates",
    "externalId",
];

/// User attributes that nearly every SCIM server offers, so a case may use them without
/// declaring them. The others (`roles`, `ims`, `x509Certificates`, ...) must be declared
/// as `attr:<name>`. Discovery still checks every attribute a case uses.
pub const COMMON_USER_ATTRIBUTES: [&str; 10] = [
    "userName",
    "name",
    "displayName",
    "nickName",
    "title",
    "active",
    "emails",
    "phoneNumbers",
    "addresses",
    "externalId",
];

/// One thing a case needs from the server.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Requirement {
    /// ETags: `If-Match`, an `ETag` header, `meta.version` (RFC 7644 §3.14, OPTIONAL).
    Etag,
    /// The enterprise User extension (RFC 7643 §4.3).
    EnterpriseUser,
    /// Filtering a list: `GET /Users?filter=` or a search (RFC 7644 §3.4.2.2; the
    /// ServiceProviderConfig's `filter.supported`).
    Filter,
    /// Sorting a list: `sortBy` (RFC 7644 §3.4.2.3, OPTIONAL).
    Sort,
    /// A User attribute of RFC 7643 §4.1 (the canonical spelling).
    Attribute(&'static str),
}

impl Requirement {
    /// Reads `etag`, `enterprise-user` or `attr:<User attribute>` (case-insensitive).
    pub fn parse(text: &str) -> Result<Requirement, String> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("etag") {
            return Ok(Requirement::Etag);
        }
        if t.eq_ignore_ascii_case("enterprise-user") {
            return Ok(Requirement::EnterpriseUser);
        }
        if t.eq_ignore_ascii_case("filter") {
            return Ok(Requirement::Filter);
        }
        if t.eq_ignore_ascii_case("sort") {
            return Ok(Requirement::Sort);
        }
        if let Some(name) = t.strip_prefix("attr:") {
            return user_attribute(name)
                .map(Requirement::Attribute)
                .ok_or_else(|| {
                    format!("`{name}` is not an attribute of the RFC 7643 User schema")
                });
        }
        Err(format!(
            "unknown requirement `{t}` (known: etag, enterprise-user, filter, sort, attr:<User attribute>)"
        ))
    }

    /// Whether a case must declare this requirement when it uses it (the lint's rule):
    /// every optional feature, and every attribute outside `COMMON_USER_ATTRIBUTES`.
    pub fn must_be_declared(&self) -> bool {
        match self {
            Requirement::Etag
            | Requirement::EnterpriseUser
            | Requirement::Filter
            | Requirement::Sort => true,
            Requirement::Attribute(name) => !COMMON_USER_ATTRIBUTES.contains(name),
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Requirement::Etag => f.write_str("etag"),
            Requirement::EnterpriseUser => f.write_str("enterprise-user"),
            Requirement::Filter => f.write_str("filter"),
            Requirement::Sort => f.write_str("sort"),
            Requirement::Attribute(name) => write!(f, "attr:{name}"),
        }
    }
}

/// The canonical spelling of a User attribute name, matched case-insensitively
/// (RFC 7643 §2.1).
pub fn user_attribute(name: &str) -> Option<&'static str> {
    USER_ATTRIBUTES
        .iter()
        .find(|a| a.eq_ignore_ascii_case(name))
        .copied()
}

/// What a case uses, found by reading its requests and expectations, with the position
/// of the first use of each. Only SCIM cases use discoverable features.
pub fn used(case: &Case) -> BTreeMap<Requirement, Location> {
    let mut uses = BTreeMap::new();
    if case.api != Api::Scim {
        return uses;
    }
    let steps = case.setup.iter().chain(&case.steps).chain(&case.cleanup);
    for step in steps {
        step_uses(step, &mut uses);
    }
    uses
}

fn step_uses(step: &Step, uses: &mut BTreeMap<Requirement, Location>) {
    let mut note = |req: Requirement, at: Location| {
        uses.entry(req).or_insert(at);
    };
    let r = &step.request;
    for (name, value) in &r.headers {
        if name.eq_ignore_ascii_case("if-match") || name.eq_ignore_ascii_case("if-none-match") {
            note(Requirement::Etag, value.referenced);
        }
    }
    for cap in step.capture.values() {
        let c = &cap.value;
        let etag_header = c
            .header
            .as_deref()
            .is_some_and(|h| h.eq_ignore_ascii_case("etag"));
        let version = c.body.as_deref().is_some_and(|p| p == "/meta/version");
        if etag_header || (version && !c.optional) {
            note(Requirement::Etag, cap.referenced);
        }
    }
    let expects = std::iter::once(&step.expect)
        .chain(step.should.iter())
        .chain(step.expect_profile.values());
    for e in expects {
        if let Some(at) = expect_uses_etag(e) {
            note(Requirement::Etag, at);
        }
    }
    for (name, value) in &r.query {
        if name.eq_ignore_ascii_case("filter") {
            note(Requirement::Filter, value.referenced);
        }
        if name.eq_ignore_ascii_case("sortBy") {
            note(Requirement::Sort, value.referenced);
        }
    }
    let path = r.path.value.split('?').next().unwrap_or_default();
    if let (true, Some(body)) = (path.ends_with("/.search"), &r.body) {
        for (member, req) in [
            ("filter", Requirement::Filter),
            ("sortBy", Requirement::Sort),
        ] {
            if body.value.get(member).is_some() {
                note(req, body.referenced);
            }
        }
    }
    let on_users = path.len() >= 6 && path[..6].eq_ignore_ascii_case("/Users");
    if let (true, Some(body)) = (on_users, &r.body) {
        let mut found = Vec::new();
        if r.method.value.eq_ignore_ascii_case("PATCH") {
            patch_body_uses(&body.value, &mut found);
        } else {
            resource_uses(&body.value, &mut found);
        }
        for req in found {
            note(req, body.referenced);
        }
    }
}

/// Where an expectation relies on the server's version: an `ETag` header that must be
/// there, or a `meta.version` held to anything but a captured (possibly absent) value.
fn expect_uses_etag(e: &Expect) -> Option<Location> {
    for (name, h) in &e.headers {
        let wanted = h.value.present == Some(true) || h.value.matches.is_some();
        if name.eq_ignore_ascii_case("etag") && wanted {
            return Some(h.referenced);
        }
    }
    let body = e.body.as_ref()?;
    let version = body.value.get("meta")?.get("version")?;
    let captured = version
        .as_str()
        .is_some_and(|s| s.trim().starts_with("{{") && s.trim().ends_with("}}"));
    let absent = version.as_str() == Some("#absent");
    (!captured && !absent).then_some(body.referenced)
}

/// The attributes and extensions named by a resource body (POST/PUT, or a pathless
/// PATCH value).
fn resource_uses(body: &Value, out: &mut Vec<Requirement>) {
    let Value::Object(members) = body else {
        return;
    };
    for (key, value) in members {
        if key.eq_ignore_ascii_case(ENTERPRISE_URN) {
            out.push(Requirement::EnterpriseUser);
        } else if key.eq_ignore_ascii_case(USER_URN) {
            resource_uses(value, out);
        } else {
            attribute_path_uses(key, out);
        }
    }
    if let Some(Value::Array(schemas)) = members.get("schemas")
        && schemas.iter().any(|s| {
            s.as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(ENTERPRISE_URN))
        })
    {
        out.push(Requirement::EnterpriseUser);
    }
}

/// The attributes a PatchOp body's operations touch.
fn patch_body_uses(body: &Value, out: &mut Vec<Requirement>) {
    let Some(Value::Array(ops)) = body.get("Operations") else {
        return;
    };
    for op in ops {
        match op.get("path").and_then(Value::as_str) {
            Some(path) => attribute_path_uses(path, out),
            None => {
                if let Some(value) = op.get("value") {
                    resource_uses(value, out);
                }
            }
        }
    }
}

/// The attribute (or extension) an attribute path starts with: `emails[type eq "x"]`,
/// `name.givenName`, `urn:…:core:2.0:User:nickName`, `urn:…:enterprise:2.0:User:manager`.
/// A name the User schema does not define is no requirement (cases use such names to
/// test `invalidPath`).
fn attribute_path_uses(path: &str, out: &mut Vec<Requirement>) {
    let lower = path.to_ascii_lowercase();
    if lower.starts_with(&ENTERPRISE_URN.to_ascii_lowercase()) {
        out.push(Requirement::EnterpriseUser);
        return;
    }
    let core = format!("{}:", USER_URN.to_ascii_lowercase());
    let rest = if lower.starts_with(&core) {
        &path[core.len()..]
    } else {
        path
    };
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    if let Some(name) = user_attribute(&rest[..end]) {
        out.push(Requirement::Attribute(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uses_of(yaml: &str) -> Vec<String> {
        let cases: Vec<Case> = serde_saphyr::from_str(yaml).expect("case parses");
        used(&cases[0]).keys().map(|r| r.to_string()).collect()
    }

    #[test]
    fn parses_the_three_forms_and_refuses_others() {
        assert_eq!(Requirement::parse("ETag"), Ok(Requirement::Etag));
        assert_eq!(
            Requirement::parse("enterprise-user"),
            Ok(Requirement::EnterpriseUser)
        );
        assert_eq!(
            Requirement::parse("attr:X509certificates"),
            Ok(Requirement::Attribute("x509Certificates"))
        );
        assert!(Requirement::parse("attr:shoeSize").is_err());
        assert!(Requirement::parse("bulk").is_err());
    }

    #[test]
    fn finds_etag_enterprise_and_attributes_in_requests() {
        let yaml = r#"
- id: a
  title: t
  level: MUST
  api: scim
  setup:
    - request:
        method: POST
        path: /Users
        body:
          schemas: [urn:ietf:params:scim:schemas:core:2.0:User]
          userName: u
          roles: [{value: r}]
      capture:
        version: {body: /meta/version, optional: true}
  steps:
    - request:
        method: PATCH
        path: /Users/1
        headers: {If-Match: 'W/"1"'}
        body:
          Operations:
            - {op: add, path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", value: {value: m}}
            - {op: add, path: 'IMS[type eq "x"].value', value: v}
            - {op: add, path: shoeSize, value: 1}
            - {op: add, value: {urn:ietf:params:scim:schemas:core:2.0:User: {photos: []}}}
"#;
        assert_eq!(
            uses_of(yaml),
            [
                "etag",
                "enterprise-user",
                "attr:ims",
                "attr:photos",
                "attr:roles",
                "attr:userName"
            ]
        );
    }

    #[test]
    fn an_optional_version_capture_needs_no_etag_but_a_required_one_does() {
        let base = |optional: &str| {
            format!(
                r#"
- id: a
  title: t
  level: MUST
  api: scim
  steps:
    - request: {{method: GET, path: /Users/1}}
      capture:
        version: {{body: /meta/version{optional}}}
"#
            )
        };
        assert!(uses_of(&base(", optional: true")).is_empty());
        assert_eq!(uses_of(&base("")), ["etag"]);
    }

    #[test]
    fn common_attributes_need_no_declaration() {
        assert!(!Requirement::Attribute("emails").must_be_declared());
        assert!(Requirement::Attribute("roles").must_be_declared());
        assert!(Requirement::Etag.must_be_declared());
    }
}
