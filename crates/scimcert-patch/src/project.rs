//! `attributes` / `excludedAttributes` projection (RFC 7644 §3.9, RFC 7643 §2.2).

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::error::{PatchError, ScimType};
use crate::path::{AttrPath, parse_path};
use crate::schema::{AttrDef, Returned, Schema};

/// A requested projection.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Projection {
    /// Default attribute set.
    #[default]
    Default,
    /// `attributes=...`: minimum set plus exactly these.
    Attributes(Vec<String>),
    /// `excludedAttributes=...`: defaults minus these.
    Excluded(Vec<String>),
}

impl Projection {
    /// From the raw query values (comma-separated lists of attribute paths such as
    /// `name.givenName` or `urn:…:enterprise:2.0:User:department`). Both given is 400
    /// `invalidValue` (Q-06: the RFC calls them mutually exclusive but names no error);
    /// a name that is not an attribute path is 400 `invalidValue` too. Empty values
    /// count as absent.
    pub fn from_query(
        attributes: Option<&str>,
        excluded: Option<&str>,
    ) -> Result<Projection, PatchError> {
        let list = |raw: &str| -> Result<Vec<String>, PatchError> {
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|name| match parse_path(name) {
                    Ok(path) if path.filter.is_none() => Ok(name.to_string()),
                    _ => Err(PatchError::bad_request(
                        ScimType::InvalidValue,
                        format!("`{name}` is not an attribute name"),
                    )),
                })
                .collect()
        };
        let attributes = attributes.map(list).transpose()?.filter(|l| !l.is_empty());
        let excluded = excluded.map(list).transpose()?.filter(|l| !l.is_empty());
        match (attributes, excluded) {
            (Some(_), Some(_)) => Err(PatchError::bad_request(
                ScimType::InvalidValue,
                "attributes and excludedAttributes are mutually exclusive (Q-06)",
            )),
            (Some(a), None) => Ok(Projection::Attributes(a)),
            (None, Some(e)) => Ok(Projection::Excluded(e)),
            (None, None) => Ok(Projection::Default),
        }
    }
}

/// How a listed name selects one attribute: whole, or some of its sub-attributes.
#[derive(Default)]
struct Selection {
    whole: bool,
    subs: Vec<String>,
}

fn select(entries: &[AttrPath], urn: &str, def: &AttrDef) -> Selection {
    let mut selection = Selection::default();
    for entry in entries {
        // `attributes=urn:…:enterprise:2.0:User` names the whole extension.
        let whole_schema = entry.sub.is_none()
            && entry
                .urn
                .as_ref()
                .is_some_and(|u| format!("{u}:{}", entry.name).eq_ignore_ascii_case(urn));
        let named = entry.name.eq_ignore_ascii_case(&def.name)
            && entry
                .urn
                .as_ref()
                .is_none_or(|u| u.eq_ignore_ascii_case(urn));
        match (&entry.sub, named || whole_schema) {
            (_, true) if whole_schema => selection.whole = true,
            (None, true) => selection.whole = true,
            (Some(sub), true) => selection.subs.push(sub.clone()),
            (_, false) => {}
        }
    }
    selection
}

/// Keeps (or drops, when `keep` is false) the listed sub-attributes of a complex value,
/// always dropping `returned: never` ones.
fn filter_subs(def: &AttrDef, value: &Value, subs: &[String], keep: bool) -> Option<Value> {
    let one = |v: &Value| -> Option<Value> {
        let Value::Object(obj) = v else {
            // Simple values have no sub-attributes: the attribute-level choice stands.
            return Some(v.clone());
        };
        // The full value with nothing to drop (the common case of every answer): a clone
        // copies the map without hashing each key again.
        if !keep && subs.is_empty() && !obj.is_empty() && !hides_never_subs(def, obj) {
            return Some(v.clone());
        }
        let out: Map<String, Value> = obj
            .iter()
            .filter(|(k, _)| {
                let sub = def.sub(k);
                if sub.is_some_and(|s| s.returned == Returned::Never) {
                    return false;
                }
                let listed = subs.iter().any(|s| s.eq_ignore_ascii_case(k));
                let always = sub.is_some_and(|s| s.returned == Returned::Always);
                always || listed == keep
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        (!out.is_empty()).then_some(Value::Object(out))
    };
    match value {
        Value::Array(items) => {
            let kept: Vec<Value> = items.iter().filter_map(one).collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        other => one(other),
    }
}

fn project_attribute(
    def: &AttrDef,
    urn: &str,
    value: &Value,
    projection: &Projection,
    entries: &[AttrPath],
) -> Option<Value> {
    let full = || filter_subs(def, value, &[], false);
    if def.returned == Returned::Never {
        return None;
    }
    if def.returned == Returned::Always {
        return full();
    }
    let selection = select(entries, urn, def);
    match projection {
        Projection::Default => (def.returned != Returned::Request).then(full).flatten(),
        Projection::Attributes(_) if selection.whole => full(),
        Projection::Attributes(_) if !selection.subs.is_empty() => {
            filter_subs(def, value, &selection.subs, true)
        }
        Projection::Attributes(_) => None,
        Projection::Excluded(_) if selection.whole || def.returned == Returned::Request => None,
        Projection::Excluded(_) => filter_subs(def, value, &selection.subs, false),
    }
}

fn project_object(
    obj: &Map<String, Value>,
    defs: &[AttrDef],
    urn: &str,
    projection: &Projection,
    entries: &[AttrPath],
) -> Map<String, Value> {
    obj.iter()
        .filter_map(|(key, value)| {
            project_member(key, value, defs, urn, projection, entries).map(|v| (key.clone(), v))
        })
        .collect()
}

/// One member of an object of schema `urn` as projected, or `None` when it is left out.
fn project_member(
    key: &str,
    value: &Value,
    defs: &[AttrDef],
    urn: &str,
    projection: &Projection,
    entries: &[AttrPath],
) -> Option<Value> {
    match defs.iter().find(|d| d.name.eq_ignore_ascii_case(key)) {
        Some(def) => project_attribute(def, urn, value, projection, entries),
        // Members the schema does not know are only shown in the default view.
        None => matches!(projection, Projection::Default).then(|| value.clone()),
    }
}

/// Returns the resource as a client sees it: `returned: never` removed always,
/// `request` only when listed, `always` always, the projection applied.
pub fn project(resource: &Value, schema: &Schema, projection: &Projection) -> Value {
    project_view(resource, schema, projection).into_owned()
}

/// [`project`], borrowing the resource when the view is all of it (the default view
/// of a resource with nothing to leave out, as most answers are): it can then be
/// written out without a copy.
pub fn project_view<'r>(
    resource: &'r Value,
    schema: &Schema,
    projection: &Projection,
) -> Cow<'r, Value> {
    let Some(obj) = resource.as_object() else {
        return Cow::Borrowed(resource);
    };
    if matches!(projection, Projection::Default) && default_view_is_whole(obj, schema) {
        return Cow::Borrowed(resource);
    }
    Cow::Owned(project_members(obj, schema, projection))
}

/// [`project`] member by member.
fn project_members(obj: &Map<String, Value>, schema: &Schema, projection: &Projection) -> Value {
    let entries: Vec<AttrPath> = match projection {
        Projection::Default => Vec::new(),
        Projection::Attributes(names) | Projection::Excluded(names) => names
            .iter()
            .filter_map(|n| parse_path(n).ok())
            .map(|p| p.attr)
            .collect(),
    };
    let mut out = Map::new();
    for (key, value) in obj {
        if key.eq_ignore_ascii_case("schemas") {
            out.insert(key.clone(), value.clone());
        } else if let Some(ext) = schema.extension_urn(key) {
            let defs = schema.attributes_of(ext).unwrap_or_default();
            if let Some(inner) = value.as_object() {
                let projected = project_object(inner, defs, ext, projection, &entries);
                if !projected.is_empty() {
                    out.insert(key.clone(), Value::Object(projected));
                }
            }
        } else if let Some(projected) = project_member(
            key,
            value,
            &schema.core,
            &schema.core_urn,
            projection,
            &entries,
        ) {
            out.insert(key.clone(), projected);
        }
    }
    Value::Object(out)
}

/// Whether the default projection keeps every member of `obj` as it is: exactly when
/// `project` would copy each member unchanged (nothing `returned: never` or `request`,
/// no empty value it drops, every extension an object it keeps whole).
fn default_view_is_whole(obj: &Map<String, Value>, schema: &Schema) -> bool {
    obj.iter().all(|(key, value)| {
        if key.eq_ignore_ascii_case("schemas") {
            return true;
        }
        if let Some(ext) = schema.extension_urn(key) {
            let defs = schema.attributes_of(ext).unwrap_or_default();
            return value
                .as_object()
                .is_some_and(|inner| !inner.is_empty() && members_whole(inner, defs));
        }
        members_whole(std::iter::once((key, value)), &schema.core)
    })
}

/// Whether `obj`, a value of the complex attribute `def`, holds a `returned: never`
/// sub-attribute. Most complex attributes have none, and then no key is looked up.
fn hides_never_subs(def: &AttrDef, obj: &Map<String, Value>) -> bool {
    def.sub_attributes
        .iter()
        .any(|s| s.returned == Returned::Never)
        && obj
            .keys()
            .any(|k| def.sub(k).is_some_and(|s| s.returned == Returned::Never))
}

fn members_whole<'a>(
    members: impl IntoIterator<Item = (&'a String, &'a Value)>,
    defs: &[AttrDef],
) -> bool {
    members.into_iter().all(|(key, value)| {
        let Some(def) = defs.iter().find(|d| d.name.eq_ignore_ascii_case(key)) else {
            // Members the schema does not know are kept in the default view.
            return true;
        };
        if matches!(def.returned, Returned::Never | Returned::Request) {
            return false;
        }
        // As `filter_subs` keeps a value whole: a non-empty object without
        // `returned: never` sub-attributes, any simple value, a non-empty array of those.
        let whole = |v: &Value| match v {
            Value::Object(o) => !o.is_empty() && !hides_never_subs(def, o),
            _ => true,
        };
        match value {
            Value::Array(items) => !items.is_empty() && items.iter().all(whole),
            other => whole(other),
        }
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::schema::{ENTERPRISE_URN, USER_URN};

    fn user() -> Value {
        json!({
            "schemas": [USER_URN, ENTERPRISE_URN],
            "id": "u1",
            "userName": "bjensen",
            "password": "t1meMa$heen",
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "emails": [{"value": "b@x", "type": "work"}, {"value": "c@x", "type": "home"}],
            "meta": {"resourceType": "User", "version": "W/\"1\""},
            ENTERPRISE_URN: {"department": "Tour Operations", "employeeNumber": "701984"}
        })
    }

    fn projected(attributes: Option<&str>, excluded: Option<&str>) -> Value {
        let projection = Projection::from_query(attributes, excluded).expect("valid query");
        project(&user(), &Schema::rfc7643_user(), &projection)
    }

    #[test]
    fn default_view_shortcut_equals_member_by_member() {
        let ext = serde_json::json!({"department": "Tour"});
        let samples = [
            user(),
            json!({"schemas": [USER_URN], "id": "u1", "userName": "b", "nickName": "n"}),
            json!({"id": "u1", "emails": [], "name": {}, "x-unknown": {"a": 1}}),
            json!({"id": "u1", "emails": [{}], "phoneNumbers": [{"value": "1"}]}),
            json!({"id": "u1", ENTERPRISE_URN: {}}),
            json!({"id": "u1", ENTERPRISE_URN: "not an object"}),
            json!({"id": "u1", ENTERPRISE_URN: ext, "Password": "x"}),
            json!({"id": "u1", "groups": [{"value": "g", "display": "G"}], "active": true}),
        ];
        let schema = Schema::rfc7643_user();
        for sample in samples {
            let obj = sample.as_object().expect("an object");
            // As text: map equality would not see a change of member order.
            assert_eq!(
                project(&sample, &schema, &Projection::Default).to_string(),
                project_members(obj, &schema, &Projection::Default).to_string(),
            );
        }
    }

    #[test]
    fn q07_password_never_returned() {
        let out = projected(None, None);
        assert!(out.get("password").is_none());
        assert_eq!(out["meta"]["version"], "W/\"1\"");
        assert_eq!(projected(Some("password"), None).get("password"), None);
    }

    #[test]
    fn q03_attributes_minimum_set_plus_listed() {
        assert_eq!(
            projected(Some("userName"), None),
            json!({"schemas": [USER_URN, ENTERPRISE_URN], "id": "u1", "userName": "bjensen"})
        );
        let subs = projected(Some("name.givenName,emails.value"), None);
        assert_eq!(subs["name"], json!({"givenName": "Barbara"}));
        assert_eq!(subs["emails"], json!([{"value": "b@x"}, {"value": "c@x"}]));
        let ext = projected(Some(&format!("{ENTERPRISE_URN}:department")), None);
        assert_eq!(
            ext[ENTERPRISE_URN],
            json!({"department": "Tour Operations"})
        );
        let whole = projected(Some(ENTERPRISE_URN), None);
        assert_eq!(whole[ENTERPRISE_URN]["employeeNumber"], "701984");
        let unqualified = projected(Some("DEPARTMENT"), None);
        assert_eq!(
            unqualified[ENTERPRISE_URN],
            json!({"department": "Tour Operations"})
        );
    }

    #[test]
    fn q04_excluded_attributes_never_remove_always() {
        let out = projected(None, Some("emails,name.givenName,id,meta"));
        assert!(out.get("emails").is_none() && out.get("meta").is_none());
        assert_eq!(out["id"], "u1");
        assert_eq!(out["name"], json!({"familyName": "Jensen"}));
        assert_eq!(out["userName"], "bjensen");
    }

    #[test]
    fn q06_both_lists_are_invalid_value() {
        let err = Projection::from_query(Some("userName"), Some("emails")).expect_err("exclusive");
        assert_eq!(err.scim_type, Some(ScimType::InvalidValue));
        assert_eq!(
            Projection::from_query(Some(""), None),
            Ok(Projection::Default)
        );
        assert!(Projection::from_query(Some("emails[type eq \"work\"]"), None).is_err());
    }
}
