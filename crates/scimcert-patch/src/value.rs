//! Type checking of attribute values against their definitions, and the small JSON
//! helpers (case-insensitive keys, "unassigned") the engine shares.

use std::sync::OnceLock;

use regex::Regex;
use serde_json::{Map, Value};

use crate::error::{PatchError, ScimType};
use crate::leniency::Leniency;
use crate::schema::{AttrDef, AttrType, Mutability, Schema};

/// The key of `obj` equal to `name` ignoring ASCII case (attribute names are
/// case-insensitive, RFC 7643 §2.1).
pub fn find_key<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a String> {
    obj.keys().find(|k| k.eq_ignore_ascii_case(name))
}

/// The value under `name` (case-insensitive key).
pub fn get_ci<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    // One scan of the entries: looking the found key up again would hash it.
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// Unassigned per RFC 7643 §2.5: `null`, `[]` or `{}`.
pub fn is_unassigned(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

fn invalid_value(msg: String) -> PatchError {
    PatchError::bad_request(ScimType::InvalidValue, msg)
}

/// Checks `value` against `def` as a whole (an array for multi-valued attributes) and
/// returns it coerced: sub-attribute keys in the schema's spelling, leniency applied.
/// Nulls inside complex values are kept: they mean "unassign this sub-attribute".
/// Takes the value: what passes is returned as it came, without a copy.
pub fn check_value(def: &AttrDef, value: Value, leniency: &Leniency) -> Result<Value, PatchError> {
    if def.multi_valued {
        match value {
            Value::Array(items) => items
                .into_iter()
                .map(|v| check_single(def, v, leniency))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            Value::Null => Ok(Value::Null),
            other => Err(invalid_value(format!(
                "{} is multi-valued: expected an array, got {}",
                def.name,
                kind_of(&other)
            ))),
        }
    } else {
        check_single(def, value, leniency)
    }
}

/// Checks one value (one element of a multi-valued attribute, or a singular value);
/// takes it, as [`check_value`] does.
pub fn check_single(def: &AttrDef, value: Value, leniency: &Leniency) -> Result<Value, PatchError> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    // Named after the value as given, before any leniency reshaped it.
    let kind = kind_of(&value);
    let mismatch = || {
        invalid_value(format!(
            "{} expects a {} value, got {kind}",
            def.name,
            def.ty.as_str(),
        ))
    };
    match def.ty {
        AttrType::Complex => {
            let value = if leniency.manager_as_string && def.name.eq_ignore_ascii_case("manager") {
                manager_shape(value)
            } else {
                value
            };
            let Value::Object(members) = value else {
                return Err(mismatch());
            };
            check_members(def, members, leniency).map(Value::Object)
        }
        AttrType::Boolean => match &value {
            Value::Bool(_) => Ok(value),
            Value::String(s) if leniency.string_booleans && s.eq_ignore_ascii_case("true") => {
                Ok(Value::Bool(true))
            }
            Value::String(s) if leniency.string_booleans && s.eq_ignore_ascii_case("false") => {
                Ok(Value::Bool(false))
            }
            _ => Err(mismatch()),
        },
        AttrType::Integer => match &value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(value),
            _ => Err(mismatch()),
        },
        AttrType::Decimal => match &value {
            Value::Number(_) => Ok(value),
            _ => Err(mismatch()),
        },
        AttrType::String | AttrType::Reference => match &value {
            Value::String(_) => Ok(value),
            _ => Err(mismatch()),
        },
        AttrType::DateTime => match &value {
            Value::String(s) if is_date_time(s) => Ok(value),
            _ => Err(mismatch()),
        },
        AttrType::Binary => match &value {
            Value::String(s) if binary_re().is_match(s) => Ok(value),
            _ => Err(mismatch()),
        },
    }
}

/// The members of a complex value of `def`, each checked against its sub-attribute, in
/// the order given. Checked in place: the map is built again only when a key is spelled
/// otherwise than the schema spells it (`GIVENNAME`), as a map of the schema's spellings
/// where a later member of the same name takes the place of the first.
fn check_members(
    def: &AttrDef,
    mut members: Map<String, Value>,
    leniency: &Leniency,
) -> Result<Map<String, Value>, PatchError> {
    let mut respelled = false;
    for (key, member) in members.iter_mut() {
        let sub = def.sub(key).ok_or_else(|| {
            PatchError::bad_request(
                ScimType::InvalidPath,
                format!("`{key}` is not a sub-attribute of {}", def.name),
            )
        })?;
        respelled |= sub.name != *key;
        *member = check_value(sub, std::mem::take(member), leniency)?;
    }
    if !respelled {
        return Ok(members);
    }
    Ok(members
        .into_iter()
        .map(|(key, member)| match def.sub(&key) {
            Some(sub) => (sub.name.clone(), member),
            None => (key, member),
        })
        .collect())
}

/// E9/E10: `manager` as a bare id string or a one-element array of `{value, $ref}`.
fn manager_shape(value: Value) -> Value {
    match value {
        Value::String(id) => serde_json::json!({ "value": id }),
        Value::Array(mut items) if items.len() == 1 && items[0].is_object() => {
            items.pop().unwrap_or_default()
        }
        other => other,
    }
}

/// Whether `text` is an RFC 3339 `date-time` (RFC 7643 §2.3.5) with every field in
/// range: `2024-05-01T12:00:00Z`, a fraction and an offset allowed, `T`/`Z` in either
/// case, a leap second allowed. The one date-time check of scimcert.
pub fn is_date_time(text: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$",
        )
        .expect("static regex")
    })
    .is_match(text)
}

fn binary_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^[A-Za-z0-9+/_\-\s]*={0,2}\s*$").expect("static regex"))
}

/// A short name for a JSON value's kind, for error details.
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Removes null members (unassigned sub-attributes) from a stored value.
pub fn drop_nulls(value: Value) -> Value {
    match value {
        Value::Object(obj) => {
            Value::Object(obj.into_iter().filter(|(_, v)| !v.is_null()).collect())
        }
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(drop_nulls)
                .filter(|v| !is_unassigned(v))
                .collect(),
        ),
        other => other,
    }
}

impl Schema {
    /// Validates a whole resource for POST/PUT: types, required attributes, unknown
    /// attributes; `readOnly` attributes given by the client are ignored (stripped).
    /// Returns the cleaned resource or a 400 (`invalidValue`/`invalidSyntax`).
    ///
    /// Takes the resource: its members are moved into the result, in the order given,
    /// rather than copied.
    pub fn validate_resource(&self, resource: Value) -> Result<Value, crate::PatchError> {
        let invalid = |msg: String| PatchError::bad_request(ScimType::InvalidValue, msg);
        let Value::Object(body) = resource else {
            return Err(PatchError::bad_request(
                ScimType::InvalidSyntax,
                "the resource must be a JSON object",
            ));
        };
        let mut extensions = Map::new();
        let mut core = Vec::with_capacity(body.len());
        let mut extensions_present: Vec<String> = Vec::new();
        for (key, value) in body {
            if key.eq_ignore_ascii_case("schemas") {
                let urns = value
                    .as_array()
                    .filter(|a| a.iter().all(Value::is_string))
                    .ok_or_else(|| invalid("schemas must be an array of URN strings".into()))?;
                for urn in urns.iter().filter_map(Value::as_str) {
                    if self.attributes_of(urn).is_none() {
                        return Err(invalid(format!("schemas lists the unknown schema `{urn}`")));
                    }
                }
                continue;
            }
            if let Some(ext) = self.extension_urn(&key) {
                let defs = self.attributes_of(ext).expect("extension_urn found it");
                let members = match value {
                    Value::Null => continue,
                    Value::Object(members) => members,
                    _ => return Err(invalid(format!("{ext} must be an object of attributes"))),
                };
                let cleaned = validate_attributes(members, defs, ext)?;
                if !cleaned.is_empty() {
                    extensions_present.push(ext.to_string());
                    extensions.insert(ext.to_string(), Value::Object(cleaned));
                }
                continue;
            }
            core.push((key, value));
        }
        let mut ordered = validate_attributes(core, &self.core, &self.core_urn)?;
        match ordered.get("userName") {
            Some(Value::String(s)) if !s.trim().is_empty() => {}
            _ => {
                return Err(invalid(
                    "userName is required and must be a non-empty string".into(),
                ));
            }
        }
        // `schemas` first, then the core attributes, then the extensions. No core key
        // reads as an extension URN: a member named so (in any case) went to the
        // extensions above, and a core key is the spelling of a member's name.
        let mut schemas = vec![Value::String(self.core_urn.clone())];
        schemas.extend(extensions_present.into_iter().map(Value::String));
        ordered.shift_insert(0, "schemas".into(), Value::Array(schemas));
        ordered.extend(extensions);
        Ok(Value::Object(ordered))
    }
}

/// Validates the attributes of one schema (core or one extension) for POST/PUT, moving
/// each kept value into the result under the schema's spelling of its name.
fn validate_attributes(
    members: impl IntoIterator<Item = (String, Value)>,
    defs: &[AttrDef],
    urn: &str,
) -> Result<Map<String, Value>, PatchError> {
    let invalid = |msg: String| PatchError::bad_request(ScimType::InvalidValue, msg);
    let mut out = Map::new();
    for (key, value) in members {
        let def = defs
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(&key))
            .ok_or_else(|| invalid(format!("`{key}` is not an attribute of {urn}")))?;
        if def.mutability == Mutability::ReadOnly || is_unassigned(&value) {
            continue;
        }
        let checked =
            check_value(def, value, &Leniency::strict()).map_err(|e| invalid(e.detail))?;
        let cleaned = strip_read_only(def, checked);
        if is_unassigned(&cleaned) {
            continue;
        }
        if def.multi_valued && def.sub("primary").is_some() {
            let primaries = cleaned
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter(|e| e.get("primary") == Some(&Value::Bool(true)))
                        .count()
                })
                .unwrap_or(0);
            if primaries > 1 {
                return Err(invalid(format!(
                    "{}: primary true MUST appear no more than once",
                    def.name
                )));
            }
        }
        out.insert(def.name.clone(), cleaned);
    }
    for def in defs.iter().filter(|d| d.required) {
        if find_key(&out, &def.name).is_none() {
            return Err(invalid(format!("{} is required", def.name)));
        }
    }
    Ok(out)
}

/// Removes readOnly sub-attributes and nulls from a checked value.
fn strip_read_only(def: &AttrDef, value: Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| strip_read_only_single(def, v))
                .filter(|v| !is_unassigned(v))
                .collect(),
        ),
        other => strip_read_only_single(def, other),
    }
}

fn strip_read_only_single(def: &AttrDef, value: Value) -> Value {
    match value {
        // In place: the members kept stay where they are, without hashing them again.
        Value::Object(mut obj) if def.ty == AttrType::Complex => {
            obj.retain(|k, v| {
                !v.is_null()
                    && def
                        .sub(k)
                        .is_some_and(|s| s.mutability != Mutability::ReadOnly)
            });
            Value::Object(obj)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::schema::Schema;

    fn def(name: &str) -> AttrDef {
        Schema::rfc7643_user()
            .find(None, name)
            .map(|(_, d)| d.clone())
            .expect("known attribute")
    }

    #[test]
    fn types_are_checked() {
        let strict = Leniency::strict();
        assert!(check_value(&def("active"), json!(true), &strict).is_ok());
        assert!(check_value(&def("active"), json!("False"), &strict).is_err());
        assert!(check_value(&def("userName"), json!(5), &strict).is_err());
        assert!(check_value(&def("emails"), json!({"value": "a"}), &strict).is_err());
        assert!(
            check_value(
                &def("x509Certificates"),
                json!([{"value": "TUlJ"}]),
                &strict
            )
            .is_ok()
        );
        assert!(
            check_value(
                &def("x509Certificates"),
                json!([{"value": "not base64!"}]),
                &strict
            )
            .is_err()
        );
        let meta = def("meta");
        assert!(check_value(&meta, json!({"created": "2024-01-02T03:04:05Z"}), &strict).is_ok());
        assert!(check_value(&meta, json!({"created": "yesterday"}), &strict).is_err());
    }

    #[test]
    fn complex_keys_take_schema_spelling() {
        let checked = check_value(
            &def("name"),
            json!({"GIVENNAME": "Barbara"}),
            &Leniency::strict(),
        );
        assert_eq!(checked, Ok(json!({"givenName": "Barbara"})));
    }

    #[test]
    fn e2_string_booleans_only_when_lenient() {
        let lenient = Leniency {
            string_booleans: true,
            ..Leniency::strict()
        };
        assert_eq!(
            check_value(&def("active"), json!("False"), &lenient),
            Ok(json!(false))
        );
        assert!(check_value(&def("active"), json!("maybe"), &lenient).is_err());
    }
}
