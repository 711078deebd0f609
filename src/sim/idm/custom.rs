//! Custom attributes (the `customAttributes` namespace): typing, the FORWARD / SWALLOW /
//! MAP modes and `required` (REFERENCE.md §5.5, OD-03, OD-06, OD-19).
//!
//! The store keeps values under the name the target knows (the MAP target for mapped
//! ones); clients always see the Fabric name.

use serde_json::{Map, Value};

use crate::sim::idm::config::{
    CustomAttrMapping, CustomAttrMode, CustomAttrType, ProfileConfig, is_flat_name,
};

/// Custom attributes as the target stores them.
pub type CustomStore = Map<String, Value>;

/// Checks that `name` is a flat custom attribute name (OD-03).
pub fn check_name(name: &str) -> Result<(), String> {
    if is_flat_name(name) {
        Ok(())
    } else if name.is_empty() {
        Err("customAttributes: an attribute name is required after the namespace".to_string())
    } else {
        Err(format!(
            "customAttributes:{name}: custom attribute names are flat (letters, digits, `_`, `-`); \
             sub-attributes and filters are not supported"
        ))
    }
}

/// Sets `name` to `value` as the profile says (add and replace alike: values are whole).
pub fn set(
    profile: &ProfileConfig,
    store: &mut CustomStore,
    name: &str,
    value: &Value,
) -> Result<(), String> {
    check_name(name)?;
    match profile.custom(name) {
        Some((key, mapping)) => {
            check_type(key, mapping, value)?;
            if let Some(stored) = stored_name(key, mapping) {
                insert_ci(store, stored, value.clone());
            }
        }
        None => insert_ci(store, name, value.clone()),
    }
    Ok(())
}

/// Removes `name`; a `required` attribute cannot be removed. Removing an absent one is a
/// no-op.
pub fn remove(profile: &ProfileConfig, store: &mut CustomStore, name: &str) -> Result<(), String> {
    check_name(name)?;
    let stored = match profile.custom(name) {
        Some((key, mapping)) if mapping.required => {
            return Err(format!(
                "customAttributes:{key} is required by the profile and cannot be removed"
            ));
        }
        Some((key, mapping)) => match stored_name(key, mapping) {
            Some(stored) => stored,
            None => return Ok(()),
        },
        None => name,
    };
    remove_ci(store, stored);
    Ok(())
}

/// The target's custom attributes for a POST/PUT `customAttributes` object: typed,
/// swallowed or renamed, with every `required` one present. `null` counts as absent.
pub fn build(
    profile: &ProfileConfig,
    given: Option<&Map<String, Value>>,
) -> Result<CustomStore, String> {
    let mut store = CustomStore::new();
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in given.into_iter().flatten() {
        if let Some(other) = seen.iter().find(|s| s.eq_ignore_ascii_case(name)) {
            return Err(format!(
                "customAttributes: `{name}` and `{other}` differ only in case"
            ));
        }
        seen.push(name);
        if !value.is_null() {
            set(profile, &mut store, name, value)?;
        }
    }
    for (key, mapping) in &profile.scim_custom_attr_mapping {
        let present = given
            .into_iter()
            .flatten()
            .any(|(name, value)| name.eq_ignore_ascii_case(key) && !value.is_null());
        if mapping.required && !present {
            return Err(format!("customAttributes.{key} is required by the profile"));
        }
    }
    Ok(store)
}

/// The custom attributes as clients see them: MAP targets renamed back to Fabric names.
pub fn report(profile: &ProfileConfig, store: &CustomStore) -> Map<String, Value> {
    store
        .iter()
        .map(|(stored, value)| {
            let fabric = profile
                .scim_custom_attr_mapping
                .iter()
                .find(|(key, mapping)| {
                    stored_name(key, mapping).is_some_and(|s| s.eq_ignore_ascii_case(stored))
                })
                .map(|(key, _)| key.clone())
                .unwrap_or_else(|| stored.clone());
            (fabric, value.clone())
        })
        .collect()
}

/// Where the target keeps a mapped attribute; `None` when it is swallowed.
fn stored_name<'a>(key: &'a str, mapping: &'a CustomAttrMapping) -> Option<&'a str> {
    match mapping.mode {
        CustomAttrMode::Forward => Some(key),
        CustomAttrMode::Swallow => None,
        CustomAttrMode::Map => mapping.target_attribute_name.as_deref(),
    }
}

fn check_type(key: &str, mapping: &CustomAttrMapping, value: &Value) -> Result<(), String> {
    let ok = match mapping.attribute_type {
        CustomAttrType::String => value.is_string(),
        CustomAttrType::Number => value.is_number(),
        CustomAttrType::Integer => value.is_i64() || value.is_u64(),
        CustomAttrType::Boolean => value.is_boolean(),
        CustomAttrType::DateTimeString => value.as_str().is_some_and(is_date_time),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "customAttributes:{key} must be {}, got {value}",
            describe(mapping.attribute_type)
        ))
    }
}

fn describe(ty: CustomAttrType) -> &'static str {
    match ty {
        CustomAttrType::String => "a STRING (JSON string)",
        CustomAttrType::Number => "a NUMBER (JSON number)",
        CustomAttrType::Integer => "an INTEGER (JSON number without fraction)",
        CustomAttrType::Boolean => "a BOOLEAN (JSON true or false)",
        CustomAttrType::DateTimeString => {
            "a DATETIMESTRING (RFC 3339 date-time, e.g. 2026-01-31T12:00:00Z)"
        }
    }
}

/// Is `text` an RFC 3339 date-time with in-range fields? (The engine's one check.)
pub use crate::patch::value::is_date_time;

fn insert_ci(store: &mut CustomStore, name: &str, value: Value) {
    // Same spelling: replaced in place, so the attribute keeps its position.
    if !store.contains_key(name) {
        remove_ci(store, name);
    }
    store.insert(name.to_string(), value);
}

fn remove_ci(store: &mut CustomStore, name: &str) {
    let existing: Vec<String> = store
        .keys()
        .filter(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .collect();
    for key in existing {
        store.shift_remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::is_date_time;

    #[test]
    fn datetimestring_accepts_rfc3339_only() {
        for ok in [
            "2026-01-31T12:00:00Z",
            "2026-01-31t12:00:00.5z",
            "2026-12-31T23:59:60+05:30",
            "2026-01-01T00:00:00-00:00",
        ] {
            assert!(is_date_time(ok), "{ok}");
        }
        for bad in [
            "2026-01-31",
            "2026-01-31 12:00:00Z",
            "2026-00-10T00:00:00Z",
            "2026-01-32T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:00:00",
            "2026-01-01T00:00:00+25:00",
            "tomorrow",
            "",
        ] {
            assert!(!is_date_time(bad), "{bad}");
        }
    }
}
