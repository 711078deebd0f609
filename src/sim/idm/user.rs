//! The `scimAttributes` half of a user: validation on the way in, derived and swallowed
//! attributes, and the view clients get back (OD-13).

use serde_json::{Map, Value, json};

use crate::patch::{Projection, Schema, project};
use crate::sim::idm::config::CoreAttrRef;
use crate::sim::idm::error::IdmError;

/// Sub-attributes of `name` whose change makes `name.formatted` stale.
const NAME_PARTS: [&str; 5] = [
    "givenName",
    "familyName",
    "middleName",
    "honorificPrefix",
    "honorificSuffix",
];

/// Members the target manages itself; never part of `scimAttributes` in responses.
const TARGET_MANAGED: [&str; 3] = ["id", "schemas", "meta"];

/// Validates a POST/PUT `scimAttributes` object as a strict SCIM server would and
/// returns the resource to store (without `id`; `schemas` computed from the keys), made
/// of the given values (moved, not copied).
pub fn prepare(given: Map<String, Value>, schema: &Schema) -> Result<Value, IdmError> {
    match get_ci(&given, "userName") {
        Some(Value::String(name)) if !name.trim().is_empty() => {}
        Some(Value::String(_)) => {
            return Err(IdmError::bad_request(
                "scimAttributes.userName must not be empty",
            ));
        }
        Some(other) => {
            return Err(IdmError::bad_request(format!(
                "scimAttributes.userName must be a string, got {other}"
            )));
        }
        None => return Err(IdmError::bad_request("scimAttributes.userName is required")),
    }
    // The Fabric layer builds `schemas` itself: the client sends attributes only.
    let mut resource = given;
    resource.retain(|k, _| !k.eq_ignore_ascii_case("schemas"));
    let mut schemas = vec![Value::String(schema.core_urn.clone())];
    for (urn, _) in &schema.extensions {
        if resource.keys().any(|k| k.eq_ignore_ascii_case(urn)) {
            schemas.push(Value::String(urn.clone()));
        }
    }
    resource.insert("schemas".to_string(), Value::Array(schemas));
    schema
        .validate_resource(Value::Object(resource))
        .map_err(|e| {
            IdmError::new(
                client_status(e.status),
                format!("scimAttributes: {}", scim_message(&e)),
            )
        })
}

/// Derives and drops what the target would: `name.formatted` when the name parts
/// changed without it (`before` = `None` at creation) and swallowed attributes.
pub fn finish(before: Option<&Value>, after: &mut Value, swallowed: &[CoreAttrRef]) {
    refresh_formatted(before, after);
    strip_swallowed(after, swallowed);
}

/// Adds the groups a profile allocates at creation (readOnly, OD-19: creation only).
pub fn assign_groups(resource: &mut Value, groups: &[String]) {
    if groups.is_empty() {
        return;
    }
    let values: Vec<Value> = groups
        .iter()
        .map(|g| json!({"value": g, "display": g, "type": "direct"}))
        .collect();
    if let Some(object) = resource.as_object_mut() {
        object.insert("groups".to_string(), Value::Array(values));
    }
}

/// `scimAttributes` as returned: RFC 7643 attributes as the default projection shows
/// them (no `password`), without `id`, `schemas` and `meta`.
pub fn render(resource: &Value, schema: &Schema) -> Value {
    let mut view = project(resource, schema, &Projection::Default);
    if let Some(object) = view.as_object_mut() {
        object.retain(|k, _| !TARGET_MANAGED.iter().any(|m| m.eq_ignore_ascii_case(k)));
    }
    view
}

/// The user's `userName`.
pub fn user_name(resource: &Value) -> Option<&str> {
    resource
        .as_object()
        .and_then(|o| get_ci(o, "userName"))
        .and_then(Value::as_str)
}

/// The key two colliding userNames share: [`same_user_name`] holds exactly when the
/// keys are equal (for ASCII names, as for others, it compares them lower-cased).
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// Do two userNames collide? (uniqueness `server`, caseExact false).
pub fn same_user_name(a: &str, b: &str) -> bool {
    // Every lookup compares against every stored user: ASCII names (nearly all) are
    // compared in place; others lower-cased whole (`str::to_lowercase` knows the final
    // sigma, which char by char would not).
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

/// Status of an engine error as a client error (the engine only produces 4xx).
pub fn client_status(status: u16) -> u16 {
    if (400..500).contains(&status) {
        status
    } else {
        400
    }
}

/// `scimType: detail` of an engine error.
pub fn scim_message(error: &crate::patch::PatchError) -> String {
    crate::sim::idm::request::engine_message(error)
}

fn get_ci<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn key_ci(object: &Map<String, Value>, key: &str) -> Option<String> {
    object.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned()
}

fn name_part<'a>(resource: Option<&'a Value>, part: &str) -> Option<&'a Value> {
    let name = resource?
        .as_object()
        .and_then(|o| get_ci(o, "name"))?
        .as_object()?;
    get_ci(name, part).filter(|v| !v.is_null())
}

fn refresh_formatted(before: Option<&Value>, after: &mut Value) {
    let parts_changed = NAME_PARTS
        .iter()
        .any(|part| name_part(before, part) != name_part(Some(after), part));
    let formatted_changed = name_part(before, "formatted") != name_part(Some(after), "formatted");
    if !parts_changed || formatted_changed {
        return;
    }
    let text = ["givenName", "familyName"]
        .iter()
        .filter_map(|part| name_part(Some(after), part).and_then(Value::as_str))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let Some(resource) = after.as_object_mut() else {
        return;
    };
    let Some(name_key) = key_ci(resource, "name") else {
        return;
    };
    let Some(Value::Object(name)) = resource.get_mut(&name_key) else {
        return;
    };
    let formatted_key = key_ci(name, "formatted").unwrap_or_else(|| "formatted".to_string());
    if text.is_empty() {
        name.shift_remove(&formatted_key);
    } else {
        name.insert(formatted_key, Value::String(text));
    }
}

fn strip_swallowed(resource: &mut Value, swallowed: &[CoreAttrRef]) {
    let Some(object) = resource.as_object_mut() else {
        return;
    };
    for attr in swallowed {
        match &attr.extension {
            None => object.retain(|k, _| !k.eq_ignore_ascii_case(&attr.name)),
            Some(urn) => {
                let Some(ext_key) = key_ci(object, urn) else {
                    continue;
                };
                let now_empty = match object.get_mut(&ext_key) {
                    Some(Value::Object(ext)) => {
                        ext.retain(|k, _| !k.eq_ignore_ascii_case(&attr.name));
                        ext.is_empty()
                    }
                    _ => false,
                };
                if now_empty {
                    object.shift_remove(&ext_key);
                }
            }
        }
    }
}
