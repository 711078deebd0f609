//! The userManagement PATCH envelope: `{profile, Operations: [{operation, path, value}]}`
//! validated into operations on one of two namespaces (REFERENCE.md §5.2, OD-02..OD-11,
//! OD-16). The `scimAttributes:` part uses the `crate::patch` path grammar.

use serde_json::{Map, Value};

use crate::patch::filter::MAX_EXPRESSION_BYTES;
use crate::patch::schema::USER_URN;
use crate::patch::{OpKind, PatchError, Path, parse_path};
use crate::sim::idm::custom;
use crate::sim::idm::error::IdmError;

/// Namespace of core SCIM attributes.
pub const SCIM_NAMESPACE: &str = "scimAttributes";
/// Namespace of target-specific custom attributes.
pub const CUSTOM_NAMESPACE: &str = "customAttributes";

/// What an operation's `path` points at.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// `scimAttributes:<SCIM path>`.
    Scim(Box<Path>),
    /// `customAttributes:<name>`.
    Custom(String),
}

/// One validated operation.
#[derive(Clone, Debug, PartialEq)]
pub struct FabricOp {
    /// Position in `Operations`.
    pub index: usize,
    /// The operation kind.
    pub op: OpKind,
    /// The `path` as sent, for messages.
    pub raw_path: String,
    /// The parsed target.
    pub target: Target,
    /// The value (`None` for remove: a value sent with remove is ignored, OD-09).
    pub value: Option<Value>,
}

impl FabricOp {
    /// `Operations[i] (op path)`, the prefix of every message about this operation.
    pub fn label(&self) -> String {
        label(self.index, op_name(self.op), &self.raw_path)
    }
}

/// The wire name of an operation kind.
pub fn op_name(op: OpKind) -> &'static str {
    match op {
        OpKind::Add => "add",
        OpKind::Remove => "remove",
        OpKind::Replace => "replace",
    }
}

fn label(index: usize, operation: &str, path: &str) -> String {
    format!("Operations[{index}] ({operation} {path})")
}

/// Validates `Operations` of a PATCH body.
pub fn parse_operations(body: &Map<String, Value>) -> Result<Vec<FabricOp>, IdmError> {
    let operations = match body.get("Operations") {
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(IdmError::bad_request(
                "Operations must be an array of operations",
            ));
        }
        None => {
            let hint = body
                .keys()
                .find(|k| k.eq_ignore_ascii_case("Operations"))
                .map(|k| format!(" (member names are case-sensitive: got `{k}`)"))
                .unwrap_or_default();
            return Err(IdmError::bad_request(format!(
                "Operations is required{hint}"
            )));
        }
    };
    if operations.is_empty() {
        return Err(IdmError::bad_request(
            "Operations must contain at least one operation",
        ));
    }
    operations
        .iter()
        .enumerate()
        .map(|(index, item)| parse_operation(index, item))
        .collect()
}

fn parse_operation(index: usize, item: &Value) -> Result<FabricOp, IdmError> {
    let at = format!("Operations[{index}]");
    let fields = item
        .as_object()
        .ok_or_else(|| IdmError::bad_request(format!("{at} must be an object")))?;
    for key in fields.keys() {
        match key.as_str() {
            "operation" | "path" | "value" => {}
            "op" => {
                return Err(IdmError::bad_request(format!(
                    "{at}: the member is `operation`, not `op`"
                )));
            }
            other => {
                return Err(IdmError::bad_request(format!(
                    "{at}: unknown member `{other}` (expected operation, path, value)"
                )));
            }
        }
    }
    let operation = match fields.get("operation") {
        Some(Value::String(s)) => s.as_str(),
        Some(_) => {
            return Err(IdmError::bad_request(format!(
                "{at}.operation must be a string"
            )));
        }
        None => return Err(IdmError::bad_request(format!("{at}.operation is required"))),
    };
    let op = match operation {
        "add" => OpKind::Add,
        "replace" => OpKind::Replace,
        "remove" => OpKind::Remove,
        other => {
            return Err(IdmError::bad_request(format!(
                "{at}.operation `{other}` is not one of add, replace, remove"
            )));
        }
    };
    let raw_path = match fields.get("path") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(IdmError::bad_request(format!("{at}.path must be a string"))),
        None => return Err(IdmError::bad_request(format!("{at}.path is required"))),
    };
    // Every message about the operation quotes its path: a huge one is refused unquoted.
    if raw_path.len() > MAX_EXPRESSION_BYTES {
        return Err(IdmError::bad_request(format!(
            "{at}.path is {} bytes long; at most {MAX_EXPRESSION_BYTES} are accepted",
            raw_path.len()
        )));
    }
    let here = label(index, operation, &raw_path);
    let value = match (op, fields.get("value")) {
        (OpKind::Remove, _) => None,
        (_, None | Some(Value::Null)) => {
            return Err(IdmError::bad_request(format!(
                "{here}: value is required for {operation}"
            )));
        }
        (_, Some(value)) => Some(value.clone()),
    };
    let target = parse_target(op, &raw_path)
        .map_err(|message| IdmError::bad_request(format!("{here}: {message}")))?;
    Ok(FabricOp {
        index,
        op,
        raw_path,
        target,
        value,
    })
}

fn parse_target(op: OpKind, raw_path: &str) -> Result<Target, String> {
    let Some((namespace, rest)) = raw_path.split_once(':') else {
        return Err(format!(
            "path needs a namespace: {SCIM_NAMESPACE}:<attribute path> or {CUSTOM_NAMESPACE}:<name>"
        ));
    };
    match namespace {
        SCIM_NAMESPACE => {
            if rest.is_empty() {
                return Err(format!(
                    "an attribute path is required after {SCIM_NAMESPACE}:"
                ));
            }
            let path = parse_path(rest).map_err(|e| engine_message(&e))?;
            check_managed(op, &path)?;
            Ok(Target::Scim(Box::new(path)))
        }
        CUSTOM_NAMESPACE => {
            custom::check_name(rest)?;
            Ok(Target::Custom(rest.to_string()))
        }
        other => Err(format!(
            "unknown namespace `{other}`; expected {SCIM_NAMESPACE} or {CUSTOM_NAMESPACE}"
        )),
    }
}

/// OD-16: `id`, `meta` and `schemas` belong to the target; `userName` is required.
fn check_managed(op: OpKind, path: &Path) -> Result<(), String> {
    let core = path
        .attr
        .urn
        .as_deref()
        .is_none_or(|urn| urn.eq_ignore_ascii_case(USER_URN));
    if !core {
        return Ok(());
    }
    let name = path.attr.name.as_str();
    if ["id", "meta", "schemas"]
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name))
    {
        return Err(format!(
            "mutability: `{name}` is managed by the target IDM and cannot be changed"
        ));
    }
    let whole = path.filter.is_none() && path.attr.sub.is_none() && path.value_sub.is_none();
    if op == OpKind::Remove && whole && name.eq_ignore_ascii_case("userName") {
        return Err("mutability: userName is required and cannot be removed".to_string());
    }
    Ok(())
}

/// A patch-engine error as message text: `scimType: detail` (engine detail unchanged
/// except for its own `Operations[n] (...)` prefix, which names a one-operation batch).
pub fn engine_message(error: &PatchError) -> String {
    let detail = strip_engine_prefix(&error.detail);
    match error.scim_type {
        Some(scim_type) => format!("{scim_type}: {detail}"),
        None => detail.to_string(),
    }
}

fn strip_engine_prefix(detail: &str) -> &str {
    if !detail.starts_with("Operations[") {
        return detail;
    }
    match detail.find("): ") {
        Some(end) => &detail[end + 3..],
        None => detail.split_once(": ").map_or(detail, |(_, rest)| rest),
    }
}
