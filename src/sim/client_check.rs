//! Grading a client's requests against the obligations the specifications place on the
//! client (REFERENCE.md §1.1): pure functions over one request, so every rule is
//! unit-testable without HTTP. `scimcert mock --client-report` records what they find
//! (`client_log`); `--strict-client` answers a `must` finding with 400.
//!
//! A finding never concerns the server: these are the rules a server may tolerate and
//! the suite therefore never fails a server for (P-03, P-04, P-05, ...).

use serde_json::{Map, Value};

use crate::api::{Api, Profile};
use crate::patch::ScimType;
use crate::patch::path::parse_path;
use crate::patch::schema::{AttrDef, AttrType, Mutability, PATCH_OP_URN, Schema};
use crate::patch::value::get_ci;

use super::SimRequest;

/// How much a finding weighs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientLevel {
    /// The client broke a MUST (or a field the API documents as required).
    Must,
    /// The client broke a SHOULD, or sent something the grammar does not define.
    Should,
    /// A known client shape: legal or not, some profiles tolerate it and others reject it.
    Info,
}

impl ClientLevel {
    /// Lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientLevel::Must => "must",
            ClientLevel::Should => "should",
            ClientLevel::Info => "info",
        }
    }
}

/// A client rule: id from the rule catalogue, the level it is graded at, what it asks.
#[derive(Clone, Copy, Debug)]
pub struct ClientRule {
    /// Rule id (`cases/rules.yaml`).
    pub id: &'static str,
    /// Level a breach is graded at.
    pub level: ClientLevel,
    /// The obligation, in one line, with its source.
    pub text: &'static str,
}

/// Every rule graded for SCIM clients, in report order.
pub const SCIM_RULES: &[ClientRule] = &[
    rule(
        "C-01",
        ClientLevel::Should,
        "a request with a body is sent as `application/scim+json` (or `application/json`) (RFC 7644 §3.1, §3.8)",
    ),
    rule(
        "C-02",
        ClientLevel::Should,
        "an `Accept` header, when sent, admits `application/scim+json` or `application/json` (RFC 7644 §3.8)",
    ),
    rule(
        "P-03",
        ClientLevel::Must,
        "a PatchOp body carries `\"schemas\": [\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"]` (RFC 7644 §3.5.2)",
    ),
    rule(
        "P-04",
        ClientLevel::Must,
        "a PatchOp body carries `Operations`, an array of one or more operations (RFC 7644 §3.5.2)",
    ),
    rule(
        "P-05",
        ClientLevel::Must,
        "each operation has exactly one `op`, one of `add`, `remove`, `replace` (RFC 7644 §3.5.2)",
    ),
    rule(
        "P-06",
        ClientLevel::Must,
        "`remove` carries a `path` (REQUIRED, RFC 7644 §3.5.2, §3.5.2.2)",
    ),
    rule(
        "P-07",
        ClientLevel::Must,
        "`add` and pathless `replace` carry a `value` (RFC 7644 §3.5.2.1, §3.5.2.3)",
    ),
    rule(
        "P-08",
        ClientLevel::Must,
        "operations fit the attribute's mutability and schema: no readOnly target, values of the declared type (RFC 7644 §3.5.2, RFC 7643 §2.2, §2.3)",
    ),
    rule(
        "P-29",
        ClientLevel::Should,
        "a `path` is an attribute path (Figure 7); a bare extension URN is not one (RFC 7644 §3.5.2)",
    ),
    rule(
        "C-03",
        ClientLevel::Must,
        "`primary: true` appears at most once in a multi-valued attribute (RFC 7643 §2.4)",
    ),
    rule(
        "C-04",
        ClientLevel::Must,
        "POST/PUT attribute values have the declared type (`\"False\"` is not a boolean) (RFC 7643 §2.3)",
    ),
    rule(
        "E-04",
        ClientLevel::Info,
        "a client that sends `If-Match` sends it on every PUT, PATCH and DELETE (RFC 7644 §3.14)",
    ),
    rule(
        "E1",
        ClientLevel::Info,
        "capitalised `op` (`Add`, `Replace`, `Remove`), as Entra sends: only the entra profile accepts it",
    ),
    rule(
        "E2",
        ClientLevel::Info,
        "boolean sent as a string (`\"False\"`), as Entra sends: only the entra profile coerces it",
    ),
    rule(
        "E5",
        ClientLevel::Info,
        "pathless `replace` with path-like keys (`\"name.givenName\"`), as Entra sends: only the entra profile reads them as paths",
    ),
    rule(
        "E6",
        ClientLevel::Info,
        "`remove` with a `value`, as Entra sends (erratum 7122, Held): the entra profile removes the listed values, the others all values",
    ),
];

/// Every rule graded for Fabric userManagement clients, in report order.
pub const IDM_RULES: &[ClientRule] = &[
    rule(
        "OD-17",
        ClientLevel::Must,
        "a request with a body is sent as `application/json`, the documented media type (REFERENCE §5.2)",
    ),
    rule(
        "OD-05",
        ClientLevel::Must,
        "POST, PUT and PATCH bodies carry `profile` (required, REFERENCE §5.2)",
    ),
    rule(
        "OD-11",
        ClientLevel::Must,
        "a PATCH body carries `Operations`, a non-empty array (required, REFERENCE §5.2)",
    ),
    rule(
        "OD-10",
        ClientLevel::Must,
        "each operation names `operation` (not `op`), one of `add`, `remove`, `replace` (REFERENCE §5.2)",
    ),
    rule(
        "OD-04",
        ClientLevel::Must,
        "each operation has a `path` in the `scimAttributes:` or `customAttributes:` namespace (required, REFERENCE §5.2)",
    ),
    rule(
        "OD-08",
        ClientLevel::Must,
        "`add` and `replace` carry a `value` (REFERENCE §5.7)",
    ),
];

const fn rule(id: &'static str, level: ClientLevel, text: &'static str) -> ClientRule {
    ClientRule { id, level, text }
}

/// The rules graded for clients of `api`.
pub fn rules_for(api: Api) -> &'static [ClientRule] {
    match api {
        Api::Scim => SCIM_RULES,
        Api::Idm => IDM_RULES,
    }
}

/// One breach found in one request.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// Rule id.
    pub rule: &'static str,
    /// Level it is graded at for this request (a profile may make a rule `info`).
    pub level: ClientLevel,
    /// What the request did, e.g. `Operations[1]: op "Replace"`.
    pub detail: String,
    /// The `scimType` a SCIM server refusing the request for this would answer with
    /// (RFC 7644 §3.12, Table 9), where one fits. Used by `--strict-client`; the
    /// client report names the rule instead.
    #[serde(skip)]
    pub scim_type: Option<ScimType>,
}

/// What the grader remembers of earlier requests of the same client.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClientHistory {
    /// The client sent `If-Match` on an earlier write.
    pub sent_if_match: bool,
}

/// Grades one request a mock of `api` under `profile` received.
pub fn grade(
    api: Api,
    profile: Profile,
    history: &ClientHistory,
    request: &SimRequest,
) -> Vec<Finding> {
    let mut findings = Findings::default();
    match api {
        Api::Scim => grade_scim(profile, history, request, &mut findings),
        Api::Idm => grade_idm(request, &mut findings),
    }
    findings.0
}

/// The findings of one request, in order.
#[derive(Default)]
struct Findings(Vec<Finding>);

impl Findings {
    fn push(&mut self, rule: &'static str, detail: impl Into<String>) {
        let level = SCIM_RULES
            .iter()
            .chain(IDM_RULES)
            .find(|r| r.id == rule)
            .map_or(ClientLevel::Info, |r| r.level);
        self.push_at(rule, level, detail);
    }

    fn push_at(&mut self, rule: &'static str, level: ClientLevel, detail: impl Into<String>) {
        self.0.push(Finding {
            rule,
            level,
            detail: detail.into(),
            scim_type: scim_type_of(rule),
        });
    }

    /// A P-08 breach that targets a readOnly attribute: `mutability`, not a wrong value.
    fn push_read_only(&mut self, rule: &'static str, detail: impl Into<String>) {
        self.push(rule, detail);
        if let Some(finding) = self.0.last_mut() {
            finding.scim_type = Some(ScimType::Mutability);
        }
    }
}

/// The `scimType` for a breach of `rule`, as the engine answers the same request
/// (`scimcert_patch`'s errors): the PatchOp's shape is `invalidSyntax`, a `remove`
/// without a path `noTarget`, a missing or ill-typed value `invalidValue`.
fn scim_type_of(rule: &str) -> Option<ScimType> {
    match rule {
        "P-03" | "P-04" | "P-05" => Some(ScimType::InvalidSyntax),
        "P-06" => Some(ScimType::NoTarget),
        "P-07" | "P-08" | "C-03" | "C-04" => Some(ScimType::InvalidValue),
        _ => None,
    }
}

fn has_body(request: &SimRequest) -> bool {
    matches!(request.method.as_str(), "POST" | "PUT" | "PATCH")
        && !request.body.iter().all(u8::is_ascii_whitespace)
}

/// The media type of `Content-Type`, lower case, without parameters.
fn media_type(request: &SimRequest) -> Option<String> {
    request.header("content-type").map(|value| {
        value
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    })
}

fn grade_scim(
    profile: Profile,
    history: &ClientHistory,
    request: &SimRequest,
    findings: &mut Findings,
) {
    let method = request.method.as_str();
    if has_body(request) {
        match media_type(request).as_deref() {
            Some("application/scim+json" | "application/json") => {}
            Some(other) => findings.push("C-01", format!("Content-Type `{other}`")),
            None => findings.push("C-01", "no Content-Type"),
        }
    }
    if let Some(accept) = request.header("accept") {
        let admits = accept.split(',').any(|item| {
            let media = item.split(';').next().unwrap_or_default().trim();
            [
                "application/scim+json",
                "application/json",
                "application/*",
                "*/*",
            ]
            .iter()
            .any(|ok| media.eq_ignore_ascii_case(ok))
        });
        if !admits {
            findings.push("C-02", format!("Accept `{accept}`"));
        }
    }
    let is_user = request.path.contains("/Users/") && !request.path.ends_with("/.search");
    if matches!(method, "PUT" | "PATCH" | "DELETE")
        && is_user
        && history.sent_if_match
        && request.header("if-match").is_none()
    {
        findings.push(
            "E-04",
            format!("{method} without If-Match after earlier requests sent one"),
        );
    }
    if !has_body(request) || !matches!(method, "POST" | "PUT" | "PATCH") {
        return;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
        // A body that is not JSON is the server's 400 to give; no client rule names it.
        return;
    };
    let schema = crate::sim::profile::user_schema(profile);
    if method == "PATCH" && is_user {
        grade_patch_op(profile, &schema, &body, findings);
    } else if matches!(method, "POST" | "PUT")
        && !request.path.ends_with("/.search")
        && let Some(resource) = body.as_object()
    {
        grade_resource(&schema, resource, "", "C-04", findings);
    }
}

// Long: one check per client obligation of RFC 7644 §3.5.2, in the RFC's order, so the rule list reads top to bottom.
fn grade_patch_op(profile: Profile, schema: &Schema, body: &Value, findings: &mut Findings) {
    let Some(envelope) = body.as_object() else {
        findings.push("P-04", "the body is not a JSON object");
        return;
    };
    let lists_patch_op = get_ci(envelope, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|urns| {
            urns.iter().any(|u| {
                u.as_str()
                    .is_some_and(|u| u.eq_ignore_ascii_case(PATCH_OP_URN))
            })
        });
    if !lists_patch_op {
        let detail = match get_ci(envelope, "schemas") {
            None => "no `schemas`".to_string(),
            Some(other) => format!("`schemas` is {other}"),
        };
        if profile == Profile::Vmware {
            // VD-02: VMware documents the PatchOp `schemas` as optional.
            findings.push_at(
                "P-03",
                ClientLevel::Info,
                format!("{detail} (VMware documents it as optional, VD-02)"),
            );
        } else {
            findings.push("P-03", detail);
        }
    }
    let operations = match get_ci(envelope, "Operations") {
        Some(Value::Array(ops)) if !ops.is_empty() => ops,
        Some(Value::Array(_)) => {
            findings.push("P-04", "`Operations` is empty (E17)");
            return;
        }
        Some(other) => {
            findings.push("P-04", format!("`Operations` is {other}"));
            return;
        }
        None => {
            findings.push("P-04", "no `Operations`");
            return;
        }
    };
    for (index, operation) in operations.iter().enumerate() {
        let at = format!("Operations[{index}]");
        let Some(operation) = operation.as_object() else {
            findings.push("P-05", format!("{at} is not an object"));
            continue;
        };
        let ops: Vec<&Value> = operation
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case("op"))
            .map(|(_, value)| value)
            .collect();
        let op = match ops.as_slice() {
            [Value::String(op)] => op.as_str(),
            [] => {
                findings.push("P-05", format!("{at} has no `op`"));
                continue;
            }
            [_] => {
                findings.push("P-05", format!("{at}: `op` is not a string"));
                continue;
            }
            _ => {
                findings.push("P-05", format!("{at} has {} `op` members", ops.len()));
                continue;
            }
        };
        let canonical = ["add", "remove", "replace"]
            .into_iter()
            .find(|known| known.eq_ignore_ascii_case(op));
        let Some(canonical) = canonical else {
            findings.push("P-05", format!("{at}: op \"{op}\""));
            continue;
        };
        if canonical != op {
            findings.push(
                "P-05",
                format!("{at}: op \"{op}\" (must be \"{canonical}\")"),
            );
            findings.push(
                "E1",
                format!("{at}: op \"{op}\" — tolerated by the entra profile"),
            );
        }
        let path = get_ci(operation, "path");
        let value = get_ci(operation, "value");
        let path_text = path.and_then(Value::as_str);
        if canonical == "remove" && path.is_none() {
            findings.push("P-06", format!("{at}: remove without `path`"));
        }
        if canonical == "remove" && value.is_some() {
            findings.push(
                "E6",
                format!(
                    "{at}: remove with a `value` — only the entra profile removes just those values"
                ),
            );
        }
        if (canonical == "add" || (canonical == "replace" && path.is_none())) && value.is_none() {
            findings.push("P-07", format!("{at}: {canonical} without `value`"));
        }
        if let Some(path) = path_text {
            if schema.extension_urn(path.trim()).is_some() {
                findings.push(
                    "P-29",
                    format!("{at}: path is the bare extension URN `{path}` — only the entra profile accepts it"),
                );
                if let (Some(Value::Object(attributes)), Some(urn)) =
                    (value, schema.extension_urn(path.trim()))
                {
                    grade_attributes_of(schema, urn, attributes, &at, "P-08", findings);
                }
                continue;
            }
            grade_path_target(schema, path, value, &at, findings);
        } else if path.is_none()
            && canonical != "remove"
            && let Some(Value::Object(attributes)) = value
        {
            grade_resource(schema, attributes, &format!("{at}: "), "P-08", findings);
            for key in attributes.keys() {
                let dotted = key.contains('.') && !key.to_ascii_lowercase().starts_with("urn:");
                let qualified = key.to_ascii_lowercase().starts_with("urn:")
                    && schema.extension_urn(key).is_none()
                    && !key.eq_ignore_ascii_case(&schema.core_urn);
                if dotted || qualified {
                    findings.push(
                        "E5",
                        format!("{at}: pathless value key `{key}` is a path — only the entra profile reads it as one"),
                    );
                }
            }
        }
    }
}

/// A `path` naming a simple attribute (or `attr.sub`): readOnly target and value type.
fn grade_path_target(
    schema: &Schema,
    path: &str,
    value: Option<&Value>,
    at: &str,
    findings: &mut Findings,
) {
    let Ok(parsed) = parse_path(path) else {
        // An invalid path is the server's invalidPath to give (P-20), not a client MUST.
        return;
    };
    let Some((_, def)) = schema.find(parsed.attr.urn.as_deref(), &parsed.attr.name) else {
        return;
    };
    let sub = parsed.attr.sub.as_deref().or(parsed.value_sub.as_deref());
    let target = match sub {
        Some(sub) => match def.sub(sub) {
            Some(sub_def) => sub_def,
            None => return,
        },
        None => def,
    };
    if def.mutability == Mutability::ReadOnly || target.mutability == Mutability::ReadOnly {
        findings.push_read_only("P-08", format!("{at}: `{path}` is readOnly"));
        return;
    }
    let Some(value) = value else {
        return;
    };
    let at = format!("{at}: `{path}`");
    // A multi-valued target without a filter or sub-attribute takes a list of values.
    if target.multi_valued && sub.is_none() && parsed.filter.is_none() {
        check_attribute(target, value, &at, "P-08", findings);
    } else {
        check_value(target, value, &at, "P-08", findings);
    }
}

/// Top-level attributes of a resource (POST/PUT body, pathless PATCH value).
fn grade_resource(
    schema: &Schema,
    resource: &Map<String, Value>,
    at: &str,
    rule: &'static str,
    findings: &mut Findings,
) {
    for (key, value) in resource {
        if let Some(urn) = schema.extension_urn(key) {
            if let Value::Object(attributes) = value {
                let at = format!("{at}{urn}:");
                grade_attributes_of(schema, urn, attributes, &at, rule, findings);
            }
            continue;
        }
        let Some((_, def)) = schema.find(None, key) else {
            continue;
        };
        // POST/PUT may carry readOnly attributes (the server ignores them, RFC 7643
        // §2.2); a PATCH operation must not target one.
        if rule == "P-08" && def.mutability == Mutability::ReadOnly {
            findings.push_read_only(rule, format!("{at}`{key}` is readOnly"));
            continue;
        }
        check_attribute(def, value, &format!("{at}`{key}`"), rule, findings);
    }
}

fn grade_attributes_of(
    schema: &Schema,
    urn: &str,
    attributes: &Map<String, Value>,
    at: &str,
    rule: &'static str,
    findings: &mut Findings,
) {
    for (key, value) in attributes {
        if let Some((_, def)) = schema.find(Some(urn), key) {
            check_attribute(def, value, &format!("{at}`{key}`"), rule, findings);
        }
    }
}

/// Type of a whole attribute value: a list for a multi-valued one, at most one primary.
fn check_attribute(
    def: &AttrDef,
    value: &Value,
    at: &str,
    rule: &'static str,
    findings: &mut Findings,
) {
    if def.multi_valued
        && let Value::Array(items) = value
    {
        let primaries = items
            .iter()
            .filter(|item| item.get("primary").is_some_and(is_true))
            .count();
        if primaries > 1 {
            findings.push(
                "C-03",
                format!("{at}: {primaries} values have primary true"),
            );
        }
        for item in items {
            check_value(def, item, at, rule, findings);
        }
        return;
    }
    check_value(def, value, at, rule, findings);
}

fn is_true(value: &Value) -> bool {
    value == &Value::Bool(true)
        || value
            .as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("true"))
}

/// One value against the attribute's declared type (sub-attributes one level down).
fn check_value(
    def: &AttrDef,
    value: &Value,
    at: &str,
    rule: &'static str,
    findings: &mut Findings,
) {
    if value.is_null() {
        return;
    }
    let fits = match def.ty {
        AttrType::Boolean => value.is_boolean(),
        AttrType::Integer => value.is_i64() || value.is_u64(),
        AttrType::Decimal => value.is_number(),
        AttrType::Complex => value.is_object(),
        AttrType::String | AttrType::DateTime | AttrType::Binary | AttrType::Reference => {
            value.is_string()
        }
    };
    if !fits {
        findings.push(rule, format!("{at}: {value} is not a {}", def.ty.as_str()));
        if def.ty == AttrType::Boolean && value.is_string() {
            findings.push(
                "E2",
                format!(
                    "{at}: boolean sent as the string {value} — coerced only by the entra profile"
                ),
            );
        }
        return;
    }
    if let Value::Object(sub_values) = value {
        for (key, sub_value) in sub_values {
            if let Some(sub_def) = def.sub(key) {
                check_value(sub_def, sub_value, &format!("{at}.{key}"), rule, findings);
            }
        }
    }
}

// Long: one check per client obligation of the Fabric API, in the seed document's order.
fn grade_idm(request: &SimRequest, findings: &mut Findings) {
    let method = request.method.as_str();
    if !has_body(request) {
        return;
    }
    match media_type(request).as_deref() {
        Some("application/json") => {}
        Some("application/scim+json") => findings.push_at(
            "OD-17",
            ClientLevel::Info,
            "Content-Type `application/scim+json`: the simulation accepts it, the API documents `application/json`",
        ),
        Some(other) => findings.push("OD-17", format!("Content-Type `{other}`")),
        None => findings.push("OD-17", "no Content-Type"),
    }
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&request.body) else {
        return;
    };
    match body.get("profile") {
        Some(Value::String(p)) if !p.trim().is_empty() => {}
        Some(other) => findings.push("OD-05", format!("`profile` is {other}")),
        None => findings.push("OD-05", "no `profile`"),
    }
    if method != "PATCH" {
        return;
    }
    let operations = match body.get("Operations") {
        Some(Value::Array(ops)) if !ops.is_empty() => ops,
        Some(Value::Array(_)) => {
            findings.push("OD-11", "`Operations` is empty");
            return;
        }
        Some(other) => {
            findings.push("OD-11", format!("`Operations` is {other}"));
            return;
        }
        None => {
            findings.push("OD-11", "no `Operations`");
            return;
        }
    };
    for (index, operation) in operations.iter().enumerate() {
        let at = format!("Operations[{index}]");
        let Some(operation) = operation.as_object() else {
            findings.push("OD-10", format!("{at} is not an object"));
            continue;
        };
        let name = match operation.get("operation") {
            Some(Value::String(op)) if ["add", "remove", "replace"].contains(&op.as_str()) => {
                Some(op.as_str())
            }
            Some(other) => {
                findings.push("OD-10", format!("{at}: operation {other}"));
                None
            }
            None if operation.contains_key("op") => {
                findings.push("OD-10", format!("{at}: `op` instead of `operation`"));
                None
            }
            None => {
                findings.push("OD-10", format!("{at} has no `operation`"));
                None
            }
        };
        match operation.get("path").and_then(Value::as_str) {
            Some(path)
                if path.split_once(':').is_some_and(|(namespace, rest)| {
                    ["scimAttributes", "customAttributes"].contains(&namespace) && !rest.is_empty()
                }) => {}
            Some(path) => findings.push(
                "OD-04",
                format!(
                    "{at}: path `{path}` has no `scimAttributes:`/`customAttributes:` namespace"
                ),
            ),
            None => findings.push("OD-04", format!("{at} has no `path`")),
        }
        if matches!(name, Some("add" | "replace")) && !operation.contains_key("value") {
            findings.push(
                "OD-08",
                format!("{at}: {} without `value`", name.unwrap_or("")),
            );
        }
    }
}

#[cfg(test)]
mod tests;
