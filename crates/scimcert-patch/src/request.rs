//! The PatchOp request envelope (RFC 7644 §3.5.2): `schemas`, `Operations`, `op`,
//! `path`, `value`.

use std::borrow::Cow;
use std::fmt;

use serde_json::Value;

use crate::error::{PatchError, ScimType};
use crate::leniency::Leniency;
use crate::path::{Path, parse_path};
use crate::schema::PATCH_OP_URN;
use crate::value::kind_of;

mod fast;

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
            && EXTRA_MEMBERS.iter().any(|m| m.eq_ignore_ascii_case(key))
        {
            continue;
        } else {
            return Err(syntax(format!("unknown PatchOp member `{key}`")));
        }
    }
    let names_patch_op = schemas.map(|schemas| match schemas {
        Value::Array(urns) => urns.iter().any(|u| u.as_str().is_some_and(is_patch_op_urn)),
        _ => false,
    });
    let items = match operations {
        Some(Value::Array(items)) => Some(Ok(items)),
        Some(other) => Some(Err(kind_of(other))),
        None => None,
    };
    check_envelope(
        names_patch_op,
        items.map(|items| items.map(Vec::len)),
        leniency,
    )?;
    // check_envelope refused every shape of `Operations` but an array.
    let items: &[Value] = match items {
        Some(Ok(items)) => items,
        _ => &[],
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| parse_operation(index, item, leniency))
        .collect()
}

/// [`parse_patch_request`] on a body given as bytes, for the bodies nearly every client
/// sends: `None` when the body is outside what the fast reader is sure of (not UTF-8, not
/// JSON, or not quite the usual shape; see `request/fast.rs`), and the caller then parses
/// the body to a `Value` and asks [`parse_patch_request`], for its result or its error.
/// Otherwise it answers what that would, error texts included, by the same rules, and
/// costs a fraction: the strings are borrowed from the body and only each `value` is
/// made into a `Value`.
pub fn parse_patch_fast(
    body: &[u8],
    leniency: &Leniency,
) -> Option<Result<Vec<Operation>, PatchError>> {
    let envelope = fast::read(std::str::from_utf8(body).ok()?)?;
    // The general reader names the first unknown member; the fast one did not keep it.
    if envelope.extra && !leniency.extra_members {
        return None;
    }
    let operations = envelope.operations;
    let counted = operations.as_ref().map(|ops| Ok(ops.len()));
    if let Err(error) = check_envelope(envelope.names_patch_op, counted, leniency) {
        return Some(Err(error));
    }
    // check_envelope refused a missing `Operations`.
    let operations = operations.unwrap_or_default();
    Some(
        operations
            .into_iter()
            .enumerate()
            .map(|(index, fast::Op { op, path, value })| {
                let op = op.as_deref().map_or(Member::Absent, Member::Str);
                let path = match &path {
                    None => Member::Absent,
                    Some(None) => Member::Null,
                    Some(Some(path)) => Member::Str(path),
                };
                operation(index, op, path, value.map(Cow::Owned), leniency)
            })
            .collect(),
    )
}

/// The envelope members VD-03/E18 lets a client send, and `extra_members` ignores.
const EXTRA_MEMBERS: [&str; 3] = ["id", "externalId", "meta"];

/// Whether a `schemas` entry is the PatchOp URN (URNs compare case-insensitively).
fn is_patch_op_urn(urn: &str) -> bool {
    urn.eq_ignore_ascii_case(PATCH_OP_URN)
}

/// The envelope's rules (P-03, P-04, VD-02, E17), on its members as whichever reader
/// found them: `names_patch_op` is whether `schemas`, if present, is an array naming the
/// PatchOp URN; `operations` is how many operations there are, or the JSON kind of an
/// `Operations` that is not an array. The operations themselves are [`operation`]'s.
fn check_envelope(
    names_patch_op: Option<bool>,
    operations: Option<Result<usize, &'static str>>,
    leniency: &Leniency,
) -> Result<(), PatchError> {
    match names_patch_op {
        None if leniency.schemas_optional => {}
        None => {
            return Err(syntax(format!(
                "schemas is missing: it must contain \"{PATCH_OP_URN}\" (P-03)"
            )));
        }
        Some(true) => {}
        Some(false) => {
            return Err(syntax(format!(
                "schemas must be an array containing \"{PATCH_OP_URN}\" (P-03)"
            )));
        }
    }
    match operations {
        Some(Ok(0)) if !leniency.empty_operations => {
            Err(syntax("Operations must hold one or more operations (P-04)"))
        }
        Some(Ok(_)) => Ok(()),
        Some(Err(kind)) => Err(syntax(format!(
            "Operations must be an array, got {kind} (P-04)"
        ))),
        None => Err(syntax("Operations is missing (P-04)")),
    }
}

/// A string member of an operation (`op`, `path`) as the rules see it, whichever reader
/// found it.
#[derive(Clone, Copy, Debug)]
enum Member<'a> {
    /// Not in the operation.
    Absent,
    /// `null`.
    Null,
    /// A string.
    Str(&'a str),
    /// Anything else, by its JSON kind ([`kind_of`]).
    Other(&'static str),
}

impl<'a> Member<'a> {
    /// The member as a `Value` reader found it.
    fn of(value: Option<&'a Value>) -> Self {
        match value {
            None => Member::Absent,
            Some(Value::Null) => Member::Null,
            Some(Value::String(s)) => Member::Str(s),
            Some(other) => Member::Other(kind_of(other)),
        }
    }

    /// The JSON kind as [`kind_of`] names it, for an error saying it is not a string.
    fn kind(self) -> &'static str {
        match self {
            // Never asked: an absent member has an error of its own.
            Member::Absent => "nothing",
            Member::Null => kind_of(&Value::Null),
            Member::Str(_) => kind_of(&Value::String(String::new())),
            Member::Other(kind) => kind,
        }
    }
}

/// Reads one operation of a `Value` body: an object whose members are `op`, `path` and
/// `value` in any case; [`operation`] checks them.
fn parse_operation(
    index: usize,
    item: &Value,
    leniency: &Leniency,
) -> Result<Operation, PatchError> {
    let Some(members) = item.as_object() else {
        return Err(syntax(format!(
            "Operations[{index}]: an operation must be an object, got {}",
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
                "Operations[{index}]: unknown operation member `{key}`"
            )));
        }
    }
    operation(
        index,
        Member::of(op),
        Member::of(path),
        value.map(Cow::Borrowed),
        leniency,
    )
}

/// The rules of one operation (P-02, P-05..P-07, R-01, E1) on its members as whichever
/// reader found them. A borrowed `value` is copied only once the operation is good.
// Long: one check per member of an operation (RFC 7644 §3.5.2), in the RFC's order.
fn operation(
    index: usize,
    op: Member<'_>,
    path: Member<'_>,
    value: Option<Cow<'_, Value>>,
    leniency: &Leniency,
) -> Result<Operation, PatchError> {
    // Where the operation is, for error details only: made when one is needed.
    let at = || format!("Operations[{index}]");
    let op_name = match op {
        Member::Str(s) => s,
        Member::Absent => return Err(syntax(format!("{}: op is missing (P-05)", at()))),
        other => {
            return Err(syntax(format!(
                "{}: op must be a string, got {}",
                at(),
                other.kind()
            )));
        }
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
        Member::Absent | Member::Null => None,
        Member::Str(p) => Some(parse_path(p).map_err(|e| in_context(e, &at()))?),
        other => {
            return Err(PatchError::bad_request(
                ScimType::InvalidPath,
                format!("{}: path must be a string, got {}", at(), other.kind()),
            ));
        }
    };
    if kind == OpKind::Remove && path.is_none() {
        return Err(PatchError::bad_request(
            ScimType::NoTarget,
            format!("{}: remove requires a path (R-01)", at()),
        ));
    }
    if kind != OpKind::Remove {
        let missing = match (value.as_deref(), &path) {
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
        value: value.map(Cow::into_owned),
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
