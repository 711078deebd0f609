//! The PatchOp request envelope (RFC 7644 §3.5.2): `schemas`, `Operations`, `op`,
//! `path`, `value`.

use std::fmt;

use serde_json::Value;

use crate::error::{PatchError, ScimType};
use crate::leniency::Leniency;
use crate::path::{Path, parse_path};
use crate::schema::PATCH_OP_URN;
use crate::value::kind_of;

/// `op` of an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// add
    Add,
    /// remove
    Remove,
    /// replace
    Replace,
}

impl OpKind {
    /// The RFC spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Add => "add",
            OpKind::Remove => "remove",
            OpKind::Replace => "replace",
        }
    }
}

impl fmt::Display for OpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One validated operation.
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    /// The operation kind.
    pub op: OpKind,
    /// The parsed path, if given.
    pub path: Option<Path>,
    /// The value, if given.
    pub value: Option<Value>,
}

impl Operation {
    /// Builds an operation from parts, parsing `path` (a bad path is the usual 400).
    pub fn new(
        op: OpKind,
        path: Option<&str>,
        value: Option<Value>,
    ) -> Result<Operation, PatchError> {
        let path = path.map(parse_path).transpose()?;
        Ok(Operation { op, path, value })
    }

    /// `Operations[i] (op path)`, the prefix of every error detail about this operation.
    pub fn label(&self, index: usize) -> String {
        match &self.path {
            Some(p) => format!("Operations[{index}] ({} {p})", self.op),
            None => format!("Operations[{index}] ({})", self.op),
        }
    }
}

fn syntax(msg: impl Into<String>) -> PatchError {
    PatchError::bad_request(ScimType::InvalidSyntax, msg)
}

/// Prefixes an error's detail with where it happened.
pub(crate) fn in_context(mut err: PatchError, context: &str) -> PatchError {
    err.detail = format!("{context}: {}", err.detail);
    err
}

/// Validates a PatchOp body into operations (P-02..P-07, P-20, P-27): 400 with
/// `invalidSyntax`/`invalidValue`/`invalidPath`/`invalidFilter` as REFERENCE.md says.
/// Member names match case-insensitively (RFC 7643 §2.1 makes attribute names so).
pub fn parse_patch_request(
    body: &Value,
    leniency: &Leniency,
) -> Result<Vec<Operation>, PatchError> {
    let Some(envelope) = body.as_object() else {
        return Err(syntax(format!(
            "the PatchOp body must be a JSON object, got {}",
            kind_of(body)
        )));
    };
    let mut schemas = None;
    let mut operations = None;
    for (key, value) in envelope {
        if key.eq_ignore_ascii_case("schemas") {
            schemas = Some(value);
        } else if key.eq_ignore_ascii_case("Operations") {
            operations = Some(value);
        } else if leniency.extra_members
            && ["id", "externalId", "meta"]
                .iter()
                .any(|m| m.eq_ignore_ascii_case(key))
        {
            continue;
        } else {
            return Err(syntax(format!("unknown PatchOp member `{key}`")));
        }
    }
    match schemas {
        None if leniency.schemas_optional => {}
        None => {
            return Err(syntax(format!(
                "schemas is missing: it must contain \"{PATCH_OP_URN}\" (P-03)"
            )));
        }
        Some(Value::Array(urns))
            if urns.iter().any(|u| {
                u.as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(PATCH_OP_URN))
            }) => {}
        Some(_) => {
            return Err(syntax(format!(
                "schemas must be an array containing \"{PATCH_OP_URN}\" (P-03)"
            )));
        }
    }
    let items = match operations {
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(syntax(format!(
                "Operations must be an array, got {} (P-04)",
                kind_of(other)
            )));
        }
        None => return Err(syntax("Operations is missing (P-04)")),
    };
    if items.is_empty() && !leniency.empty_operations {
        return Err(syntax("Operations must hold one or more operations (P-04)"));
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| parse_operation(index, item, leniency))
        .collect()
}

// Long: one check per member of an operation (RFC 7644 §3.5.2), in the RFC's order.
fn parse_operation(
    index: usize,
    item: &Value,
    leniency: &Leniency,
) -> Result<Operation, PatchError> {
    // Where the operation is, for error details only: made when one is needed.
    let at = || format!("Operations[{index}]");
    let Some(members) = item.as_object() else {
        return Err(syntax(format!(
            "{}: an operation must be an object, got {}",
            at(),
            kind_of(item)
        )));
    };
    let (mut op, mut path, mut value) = (None, None, None);
    for (key, member) in members {
        if key.eq_ignore_ascii_case("op") {
            op = Some(member);
        } else if key.eq_ignore_ascii_case("path") {
            path = Some(member);
        } else if key.eq_ignore_ascii_case("value") {
            value = Some(member);
        } else {
            return Err(syntax(format!(
                "{}: unknown operation member `{key}`",
                at()
            )));
        }
    }
    let op_name = match op {
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(syntax(format!(
                "{}: op must be a string, got {}",
                at(),
                kind_of(other)
            )));
        }
        None => return Err(syntax(format!("{}: op is missing (P-05)", at()))),
    };
    let kind = [OpKind::Add, OpKind::Remove, OpKind::Replace]
        .into_iter()
        .find(|k| {
            k.as_str() == op_name
                || (leniency.op_any_case && k.as_str().eq_ignore_ascii_case(op_name))
        })
        .ok_or_else(|| {
            syntax(format!(
                "{}: op `{op_name}` is not add, remove or replace (P-02, P-05)",
                at()
            ))
        })?;
    let at = || format!("Operations[{index}] ({kind})");
    let path = match path {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) => Some(parse_path(p).map_err(|e| in_context(e, &at()))?),
        Some(other) => {
            return Err(PatchError::bad_request(
                ScimType::InvalidPath,
                format!("{}: path must be a string, got {}", at(), kind_of(other)),
            ));
        }
    };
    if kind == OpKind::Remove && path.is_none() {
        return Err(PatchError::bad_request(
            ScimType::NoTarget,
            format!("{}: remove requires a path (R-01)", at()),
        ));
    }
    let value = value.cloned();
    if kind != OpKind::Remove {
        let missing = match (&value, &path) {
            (None, _) => true,
            // Replace with null is a remove (RFC 7643 §2.5); add of null adds nothing.
            (Some(Value::Null), _) => kind == OpKind::Add || path.is_none(),
            (Some(v), None) => !v.is_object(),
            _ => false,
        };
        if missing {
            let what = if path.is_none() {
                "an object of attributes"
            } else {
                "a value"
            };
            return Err(PatchError::bad_request(
                ScimType::InvalidValue,
                format!("{}: value must be {what} (P-07, A-01, X-01)", at()),
            ));
        }
    }
    Ok(Operation {
        op: kind,
        path,
        value,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn kind(body: Value, leniency: Leniency) -> Option<ScimType> {
        parse_patch_request(&body, &leniency)
            .err()
            .and_then(|e| e.scim_type)
    }

    fn envelope(ops: Value) -> Value {
        json!({"schemas": [PATCH_OP_URN], "Operations": ops})
    }

    #[test]
    fn valid_request_parses_in_order() {
        let ops = parse_patch_request(
            &envelope(json!([
                {"op": "add", "path": "title", "value": "A"},
                {"op": "replace", "path": "title", "value": "B"},
                {"op": "remove", "path": "nickName"},
            ])),
            &Leniency::strict(),
        )
        .expect("valid");
        assert_eq!(
            ops.iter().map(|o| o.op).collect::<Vec<_>>(),
            [OpKind::Add, OpKind::Replace, OpKind::Remove]
        );
        assert_eq!(ops[2].label(2), "Operations[2] (remove nickName)");
    }

    #[test]
    fn p03_schemas_required_unless_vd02() {
        let body = json!({"Operations": [{"op": "add", "path": "title", "value": "A"}]});
        assert_eq!(
            kind(body.clone(), Leniency::strict()),
            Some(ScimType::InvalidSyntax)
        );
        let vd02 = Leniency {
            schemas_optional: true,
            ..Leniency::strict()
        };
        assert_eq!(kind(body, vd02), None);
        let wrong = json!({"schemas": ["urn:x"], "Operations": [{"op": "add", "path": "title", "value": "A"}]});
        assert_eq!(kind(wrong, vd02), Some(ScimType::InvalidSyntax));
    }

    #[test]
    fn p04_operations_one_or_more() {
        assert_eq!(
            kind(json!({"schemas": [PATCH_OP_URN]}), Leniency::strict()),
            Some(ScimType::InvalidSyntax)
        );
        assert_eq!(
            kind(envelope(json!({})), Leniency::strict()),
            Some(ScimType::InvalidSyntax)
        );
        assert_eq!(
            kind(envelope(json!([])), Leniency::strict()),
            Some(ScimType::InvalidSyntax)
        );
        assert_eq!(
            kind(json!("x"), Leniency::strict()),
            Some(ScimType::InvalidSyntax)
        );
    }

    #[test]
    fn e17_empty_operations_when_lenient() {
        let e17 = Leniency {
            empty_operations: true,
            ..Leniency::strict()
        };
        assert_eq!(
            parse_patch_request(&envelope(json!([])), &e17),
            Ok(Vec::new())
        );
    }

    #[test]
    fn p05_op_exact_spelling() {
        for op in ["move", "copy", "test", "Add", "REPLACE", ""] {
            let body = envelope(json!([{"op": op, "path": "title", "value": "A"}]));
            assert_eq!(
                kind(body, Leniency::strict()),
                Some(ScimType::InvalidSyntax),
                "{op}"
            );
        }
        assert_eq!(
            kind(
                envelope(json!([{"path": "title", "value": "A"}])),
                Leniency::strict()
            ),
            Some(ScimType::InvalidSyntax)
        );
    }

    #[test]
    fn e1_op_any_case_when_lenient() {
        let e1 = Leniency {
            op_any_case: true,
            ..Leniency::strict()
        };
        let ops = parse_patch_request(
            &envelope(json!([{"op": "Replace", "path": "title", "value": "A"}])),
            &e1,
        )
        .expect("lenient");
        assert_eq!(ops[0].op, OpKind::Replace);
        let body = envelope(json!([{"op": "Move", "path": "title", "value": "A"}]));
        assert_eq!(kind(body, e1), Some(ScimType::InvalidSyntax));
    }

    #[test]
    fn r01_p06_remove_without_path_is_no_target() {
        let err = parse_patch_request(&envelope(json!([{"op": "remove"}])), &Leniency::strict())
            .expect_err("no path");
        assert_eq!(err.scim_type, Some(ScimType::NoTarget));
        assert!(
            err.detail.starts_with("Operations[0] (remove)"),
            "{}",
            err.detail
        );
    }

    #[test]
    fn p07_value_required_for_add_and_replace() {
        for op in [
            json!({"op": "add", "path": "title"}),
            json!({"op": "add", "path": "title", "value": null}),
            json!({"op": "add", "value": "x"}),
            json!({"op": "replace"}),
            json!({"op": "replace", "value": null}),
        ] {
            assert_eq!(
                kind(envelope(json!([op.clone()])), Leniency::strict()),
                Some(ScimType::InvalidValue),
                "{op}"
            );
        }
        let null_replace = envelope(json!([{"op": "replace", "path": "title", "value": null}]));
        assert_eq!(kind(null_replace, Leniency::strict()), None);
    }

    #[test]
    fn vd03_e18_extra_members() {
        let body = json!({
            "schemas": [PATCH_OP_URN], "id": "u1", "externalId": "e", "meta": {},
            "Operations": [{"op": "add", "path": "title", "value": "A"}],
        });
        assert_eq!(
            kind(body.clone(), Leniency::strict()),
            Some(ScimType::InvalidSyntax)
        );
        let vd03 = Leniency {
            extra_members: true,
            ..Leniency::strict()
        };
        assert_eq!(kind(body, vd03), None);
        let other = json!({"schemas": [PATCH_OP_URN], "foo": 1, "Operations": [{"op": "add", "path": "title", "value": "A"}]});
        assert_eq!(kind(other, vd03), Some(ScimType::InvalidSyntax));
    }

    #[test]
    fn p20_p27_path_errors_carry_operation_index() {
        let err = parse_patch_request(
            &envelope(json!([{"op": "add", "path": "title", "value": "A"}, {"op": "remove", "path": "emails[type zz \"x\"]"}])),
            &Leniency::strict(),
        )
        .expect_err("bad filter");
        assert_eq!(err.scim_type, Some(ScimType::InvalidFilter));
        assert!(
            err.detail.starts_with("Operations[1] (remove): "),
            "{}",
            err.detail
        );
        let bad_path = envelope(json!([{"op": "remove", "path": "name..x"}]));
        assert_eq!(
            kind(bad_path, Leniency::strict()),
            Some(ScimType::InvalidPath)
        );
    }
}
