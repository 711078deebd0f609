//! Fabric SCIM configuration (REFERENCE.md §5.5): profiles with their custom-attribute
//! mappings, core-attribute forwarding, group assignment and PATCH support of the target.
//! Field names are the kebab-case ones of the `SCIMConfiguration` object.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::patch::{Schema, parse_path};
use crate::sim::SimError;

/// The configuration shipped with the binary (copy and edit it for `--config`).
pub const BUILTIN_CONFIG_JSON: &str = include_str!("../idm_default_config.json");

/// Fabric SCIM configuration: profiles with their custom-attribute mappings.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct IdmConfig {
    /// Identifier of the configuration (informational).
    #[serde(default)]
    pub id: Option<String>,
    /// Profiles by name; names match case-insensitively (OD-05).
    pub profiles: BTreeMap<String, ProfileConfig>,
    /// Link to the target connection descriptor (informational).
    #[serde(default)]
    pub target_connection_descriptor_href: Option<String>,
    /// Name of the target connection descriptor (informational).
    #[serde(default)]
    pub target_connection_descriptor_name: Option<String>,
    /// Namespace of the target connection descriptor (informational).
    #[serde(default)]
    pub target_connection_descriptor_namespace: Option<String>,
}

/// One profile ("User profile as per Buying").
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ProfileConfig {
    /// Groups allocated to a user at creation, stored as its readOnly `groups`.
    #[serde(default)]
    pub group_assignment: Vec<String>,
    /// Custom attributes by Fabric name.
    #[serde(default)]
    pub scim_custom_attr_mapping: BTreeMap<String, CustomAttrMapping>,
    /// Core attributes (top-level or URN-qualified extension names) and whether they
    /// are forwarded to the target or swallowed; unlisted ones are forwarded.
    #[serde(default)]
    pub scim_rfc7643_mapping: BTreeMap<String, CoreMode>,
    /// Whether the target IDM supports SCIM PATCH; without it every PATCH is 405 (OD-15).
    #[serde(default = "default_true")]
    pub target_supports_patch: bool,
}

fn default_true() -> bool {
    true
}

/// How one custom attribute is checked and forwarded.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CustomAttrMapping {
    /// The Fabric name; when given it must equal the map key (case-insensitively).
    #[serde(default)]
    pub attribute_name: Option<String>,
    /// JSON type the value must have.
    #[serde(default)]
    pub attribute_type: CustomAttrType,
    /// What happens to the value on its way to the target.
    #[serde(default)]
    pub mode: CustomAttrMode,
    /// Must be present at creation and may not be removed.
    #[serde(default)]
    pub required: bool,
    /// Name in the target for `MAP` mode.
    #[serde(default)]
    pub target_attribute_name: Option<String>,
}

/// `attribute-type` of a custom attribute.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum CustomAttrType {
    /// A JSON string.
    #[default]
    #[serde(rename = "STRING")]
    String,
    /// Any JSON number.
    #[serde(rename = "NUMBER")]
    Number,
    /// A JSON number without fraction or exponent.
    #[serde(rename = "INTEGER")]
    Integer,
    /// A JSON boolean.
    #[serde(rename = "BOOLEAN")]
    Boolean,
    /// An RFC 3339 date-time string.
    #[serde(rename = "DATETIMESTRING")]
    DateTimeString,
}

impl CustomAttrType {
    /// The configuration spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CustomAttrType::String => "STRING",
            CustomAttrType::Number => "NUMBER",
            CustomAttrType::Integer => "INTEGER",
            CustomAttrType::Boolean => "BOOLEAN",
            CustomAttrType::DateTimeString => "DATETIMESTRING",
        }
    }
}

/// `mode` of a custom attribute.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum CustomAttrMode {
    /// Stored under its Fabric name.
    #[default]
    Forward,
    /// Accepted and dropped.
    Swallow,
    /// Stored under `target-attribute-name`, reported under the Fabric name.
    Map,
}

/// Mode of a core (RFC 7643) attribute.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum CoreMode {
    /// Stored by the target.
    #[default]
    Forward,
    /// Accepted and not stored.
    Swallow,
}

/// A swallowed core attribute resolved against the schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoreAttrRef {
    /// Extension URN, `None` for the core schema.
    pub extension: Option<String>,
    /// Attribute name as the schema spells it.
    pub name: String,
}

/// Core attributes that may never be swallowed: the resource would lose its identity.
const UNSWALLOWABLE: [&str; 4] = ["id", "meta", "schemas", "userName"];

impl IdmConfig {
    /// The configuration shipped with the binary: `Subscriber` (the seed's profile),
    /// `Partner` (required custom attribute, group assignment) and `Guest` (no PATCH).
    pub fn builtin() -> IdmConfig {
        IdmConfig::from_json_str(BUILTIN_CONFIG_JSON)
            .expect("the embedded idm configuration is valid")
    }

    /// Parses and validates a configuration from JSON.
    pub fn from_json_str(json: &str) -> Result<IdmConfig, SimError> {
        let config: IdmConfig =
            serde_json::from_str(json).map_err(|e| SimError::Config(e.to_string()))?;
        config
            .validate(&Schema::rfc7643_user())
            .map_err(SimError::Config)?;
        Ok(config)
    }

    /// Reads, parses and validates a configuration file.
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<IdmConfig, SimError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| SimError::Config(format!("cannot read {}: {e}", path.display())))?;
        IdmConfig::from_json_str(&text).map_err(|e| match e {
            SimError::Config(msg) => SimError::Config(format!("{}: {msg}", path.display())),
            other => other,
        })
    }

    /// The profile called `name` (case-insensitive), with its configured spelling.
    pub fn profile(&self, name: &str) -> Option<(&str, &ProfileConfig)> {
        self.profiles
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(key, profile)| (key.as_str(), profile))
    }

    /// Checks what serde cannot: unique names, resolvable core attributes, MAP targets.
    pub fn validate(&self, schema: &Schema) -> Result<(), String> {
        if self.profiles.is_empty() {
            return Err("profiles: at least one profile is required".to_string());
        }
        let mut seen: Vec<&str> = Vec::new();
        for (name, profile) in &self.profiles {
            if name.trim().is_empty() {
                return Err("profiles: a profile name is empty".to_string());
            }
            if let Some(other) = seen.iter().find(|s| s.eq_ignore_ascii_case(name)) {
                return Err(format!(
                    "profiles: `{name}` and `{other}` differ only in case"
                ));
            }
            seen.push(name);
            profile
                .validate(schema)
                .map_err(|e| format!("profiles.{name}.{e}"))?;
        }
        Ok(())
    }
}

impl Default for IdmConfig {
    fn default() -> Self {
        IdmConfig::builtin()
    }
}

impl ProfileConfig {
    fn validate(&self, schema: &Schema) -> Result<(), String> {
        let mut groups: Vec<&str> = Vec::new();
        for group in &self.group_assignment {
            if group.trim().is_empty() {
                return Err("group-assignment: a group name is empty".to_string());
            }
            if groups.contains(&group.as_str()) {
                return Err(format!("group-assignment: `{group}` is listed twice"));
            }
            groups.push(group);
        }
        self.validate_custom()?;
        for (name, mode) in &self.scim_rfc7643_mapping {
            let resolved = resolve_core_attr(schema, name)
                .map_err(|e| format!("scim-rfc7643-mapping.{name}: {e}"))?;
            if *mode == CoreMode::Swallow
                && resolved.extension.is_none()
                && UNSWALLOWABLE
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(&resolved.name))
            {
                return Err(format!(
                    "scim-rfc7643-mapping.{name}: `{}` cannot be swallowed",
                    resolved.name
                ));
            }
        }
        Ok(())
    }

    fn validate_custom(&self) -> Result<(), String> {
        // Stored names must be unique so that a stored value maps back to one Fabric name.
        let mut stored: Vec<(String, &str)> = Vec::new();
        let mut names: Vec<&str> = Vec::new();
        for (name, mapping) in &self.scim_custom_attr_mapping {
            let at = format!("scim-custom-attr-mapping.{name}");
            if !is_flat_name(name) {
                return Err(format!(
                    "{at}: a custom attribute name is one word of letters, digits, `_` or `-`"
                ));
            }
            if let Some(other) = names.iter().find(|n| n.eq_ignore_ascii_case(name)) {
                return Err(format!("{at}: `{name}` and `{other}` differ only in case"));
            }
            names.push(name);
            if let Some(attr_name) = &mapping.attribute_name
                && !attr_name.eq_ignore_ascii_case(name)
            {
                return Err(format!(
                    "{at}.attribute-name: `{attr_name}` differs from its key `{name}`"
                ));
            }
            let target = match mapping.mode {
                CustomAttrMode::Swallow => continue,
                CustomAttrMode::Forward => name.clone(),
                CustomAttrMode::Map => match &mapping.target_attribute_name {
                    Some(target) if is_flat_name(target) => target.clone(),
                    Some(target) => {
                        return Err(format!(
                            "{at}.target-attribute-name: `{target}` is not a flat name"
                        ));
                    }
                    None => return Err(format!("{at}: mode MAP needs target-attribute-name")),
                },
            };
            if let Some((_, other)) = stored.iter().find(|(t, _)| t.eq_ignore_ascii_case(&target)) {
                return Err(format!("{at}: stored as `{target}`, like `{other}`"));
            }
            stored.push((target, name));
        }
        Ok(())
    }

    /// The core attributes this profile swallows, resolved against `schema`.
    pub fn swallowed_core(&self, schema: &Schema) -> Vec<CoreAttrRef> {
        self.scim_rfc7643_mapping
            .iter()
            .filter(|(_, mode)| **mode == CoreMode::Swallow)
            .filter_map(|(name, _)| resolve_core_attr(schema, name).ok())
            .collect()
    }

    /// The mapping of the custom attribute `name` (case-insensitive), with its key.
    pub fn custom(&self, name: &str) -> Option<(&str, &CustomAttrMapping)> {
        self.scim_custom_attr_mapping
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(key, mapping)| (key.as_str(), mapping))
    }
}

/// A custom attribute name: non-empty, letters, digits, `_` and `-` only (OD-03).
pub fn is_flat_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Resolves a top-level core or URN-qualified extension attribute name.
fn resolve_core_attr(schema: &Schema, name: &str) -> Result<CoreAttrRef, String> {
    let path = parse_path(name).map_err(|e| format!("not an attribute name: {}", e.detail))?;
    if path.filter.is_some() || path.value_sub.is_some() || path.attr.sub.is_some() {
        return Err("only top-level attributes can be mapped".to_string());
    }
    let (urn, def) = schema
        .find(path.attr.urn.as_deref(), &path.attr.name)
        .ok_or_else(|| "no such attribute in the RFC 7643 User schema".to_string())?;
    let extension = (!urn.eq_ignore_ascii_case(&schema.core_urn)).then(|| urn.to_string());
    Ok(CoreAttrRef {
        extension,
        name: def.name.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_config_has_documented_profiles() {
        let config = IdmConfig::builtin();
        let (name, subscriber) = config.profile("subscriber").expect("Subscriber");
        assert_eq!(name, "Subscriber");
        assert!(subscriber.target_supports_patch);
        for (attr, ty) in [
            ("userKey", CustomAttrType::String),
            ("loyaltyPoints", CustomAttrType::Integer),
            ("creditLimit", CustomAttrType::Number),
            ("marketingOptIn", CustomAttrType::Boolean),
            ("contractEnd", CustomAttrType::DateTimeString),
        ] {
            assert_eq!(
                subscriber.custom(attr).map(|(_, m)| m.attribute_type),
                Some(ty),
                "{attr}"
            );
        }
        assert_eq!(
            subscriber.custom("legacyCode").map(|(_, m)| m.mode),
            Some(CustomAttrMode::Swallow)
        );
        assert_eq!(
            subscriber.custom("crmRef").map(|(_, m)| m.mode),
            Some(CustomAttrMode::Map)
        );
        assert!(
            !config
                .profile("GUEST")
                .expect("Guest")
                .1
                .target_supports_patch
        );
        assert!(
            config
                .profile("Partner")
                .expect("Partner")
                .1
                .custom("accountType")
                .expect("accountType")
                .1
                .required
        );
        assert_eq!(IdmConfig::default(), config);
    }

    #[test]
    fn config_defaults_apply() {
        let config = IdmConfig::from_json_str(
            r#"{"profiles": {"Basic": {"scim-custom-attr-mapping": {"code": {}}}}}"#,
        )
        .expect("valid");
        let (_, basic) = config.profile("basic").expect("Basic");
        assert!(basic.target_supports_patch);
        assert!(basic.group_assignment.is_empty());
        let (_, code) = basic.custom("code").expect("code");
        assert_eq!(code.attribute_type, CustomAttrType::String);
        assert_eq!(code.mode, CustomAttrMode::Forward);
        assert!(!code.required);
    }

    #[test]
    fn config_errors_are_clear() {
        let cases = [
            ("{", "EOF"),
            (r#"{"profiles": {}}"#, "at least one profile"),
            (
                r#"{"profiles": {"A": {"scim-custom-attr-mapping": {"x": {"attribute-type": "TEXT"}}}}}"#,
                "TEXT",
            ),
            (
                r#"{"profiles": {"A": {"scim-custom-attr-mapping": {"x": {"mode": "MAP"}}}}}"#,
                "target-attribute-name",
            ),
            (
                r#"{"profiles": {"A": {"scim-custom-attr-mapping": {"x": {"atribute-type": "STRING"}}}}}"#,
                "atribute-type",
            ),
            (r#"{"profiles": {"A": {}, "a": {}}}"#, "differ only in case"),
            (
                r#"{"profiles": {"A": {"scim-rfc7643-mapping": {"userName": "SWALLOW"}}}}"#,
                "cannot be swallowed",
            ),
            (
                r#"{"profiles": {"A": {"scim-rfc7643-mapping": {"shoeSize": "FORWARD"}}}}"#,
                "shoeSize",
            ),
            (
                r#"{"profiles": {"A": {"scim-custom-attr-mapping": {"a.b": {}}}}}"#,
                "a.b",
            ),
            (
                r#"{"profiles": {"A": {"scim-custom-attr-mapping": {"x": {"mode": "MAP", "target-attribute-name": "y"}, "y": {}}}}}"#,
                "stored as",
            ),
            (
                r#"{"profiles": {"A": {"scim-custom-attr-mapping": {"x": {"attribute-name": "z"}}}}}"#,
                "differs from its key",
            ),
            (
                r#"{"profiles": {"A": {"group-assignment": ["g", "g"]}}}"#,
                "twice",
            ),
        ];
        for (json, expected) in cases {
            match IdmConfig::from_json_str(json) {
                Err(SimError::Config(message)) => {
                    assert!(message.contains(expected), "{json}: {message}")
                }
                other => panic!("{json}: expected a config error, got {other:?}"),
            }
        }
    }

    #[test]
    fn config_load_reads_a_file_and_names_it_in_errors() {
        let dir = std::env::temp_dir().join(format!("scimcert-idm-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let good = dir.join("good.json");
        std::fs::write(&good, BUILTIN_CONFIG_JSON).expect("write");
        assert_eq!(IdmConfig::load(&good).expect("loads"), IdmConfig::builtin());
        let bad = dir.join("bad.json");
        std::fs::write(&bad, "{\"profiles\": 3}").expect("write");
        match IdmConfig::load(&bad) {
            Err(SimError::Config(message)) => assert!(message.contains("bad.json"), "{message}"),
            other => panic!("expected a config error, got {other:?}"),
        }
        match IdmConfig::load(dir.join("missing.json")) {
            Err(SimError::Config(message)) => {
                assert!(message.contains("missing.json"), "{message}")
            }
            other => panic!("expected a config error, got {other:?}"),
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
