//! JSON Schema validation of response bodies: every schema in `schemas/` is compiled
//! once at start-up and looked up by file stem.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The file in `schemas/` that describes case files, not responses.
pub const CASE_SCHEMA_FILE: &str = "case.schema.json";

/// Compiled response schemas by name.
pub struct SchemaRegistry {
    validators: BTreeMap<String, jsonschema::Validator>,
}

/// Why the schema directory could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// Unreadable file or directory.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Not JSON.
    #[error("{path} is not JSON: {source}")]
    Json {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// Not a valid JSON Schema.
    #[error("{path} is not a valid JSON Schema: {message}")]
    Invalid {
        /// The path.
        path: PathBuf,
        /// What the compiler said.
        message: String,
    },
}

impl SchemaRegistry {
    /// An empty registry (no schema names are known).
    pub fn empty() -> Self {
        SchemaRegistry {
            validators: BTreeMap::new(),
        }
    }

    /// Compiles every `*.json` in `dir` except the case-file schema.
    pub fn load_dir(dir: &Path) -> Result<Self, SchemaError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| SchemaError::Io { path, source }
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io(dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .filter(|p| p.file_name().is_some_and(|n| n != CASE_SCHEMA_FILE))
            .collect();
        files.sort();
        let mut registry = SchemaRegistry::empty();
        for path in files {
            let text = std::fs::read_to_string(&path).map_err(io(&path))?;
            let schema: Value =
                serde_json::from_str(&text).map_err(|source| SchemaError::Json {
                    path: path.clone(),
                    source,
                })?;
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            registry
                .insert(&name, &schema)
                .map_err(|message| SchemaError::Invalid {
                    path: path.clone(),
                    message,
                })?;
        }
        Ok(registry)
    }

    /// Compiles and adds one schema under `name`.
    pub fn insert(&mut self, name: &str, schema: &Value) -> Result<(), String> {
        let validator = jsonschema::validator_for(schema).map_err(|e| e.to_string())?;
        self.validators.insert(name.to_string(), validator);
        Ok(())
    }

    /// The names of the known schemas.
    pub fn names(&self) -> BTreeSet<String> {
        self.validators.keys().cloned().collect()
    }

    /// Whether `name` is known.
    pub fn contains(&self, name: &str) -> bool {
        self.validators.contains_key(name)
    }

    /// Validates `instance`; each violation as `<instance path>: <message>`. An unknown
    /// name is itself a violation (loading rejects those earlier).
    pub fn violations(&self, name: &str, instance: &Value) -> Vec<String> {
        let Some(v) = self.validators.get(name) else {
            return vec![format!("unknown schema `{name}`")];
        };
        v.iter_errors(instance)
            .map(|e| {
                let path = e.instance_path().to_string();
                let path = if path.is_empty() {
                    "/".to_string()
                } else {
                    path
                };
                format!("{path}: {e}")
            })
            .collect()
    }
}

/// The schema every response of `api` with `status` and `body` must satisfy when the
/// step names none: errors by the API's error shape, users by the user shape.
pub fn default_schema(api: crate::api::Api, status: u16, body: &Value) -> Option<&'static str> {
    use crate::api::Api;
    let has_schema = |urn: &str| {
        body.get("schemas")
            .and_then(Value::as_array)
            .is_some_and(|s| s.iter().any(|u| u.as_str() == Some(urn)))
    };
    match (api, status) {
        (Api::Scim, 400..=599) => Some("scim-error"),
        (Api::Scim, 200..=299) if has_schema("urn:ietf:params:scim:schemas:core:2.0:User") => {
            Some("scim-user")
        }
        (Api::Scim, 200..=299)
            if has_schema("urn:ietf:params:scim:api:messages:2.0:ListResponse") =>
        {
            Some("scim-list")
        }
        (Api::Idm, 400..=599) => Some("tmf-error"),
        (Api::Idm, 200..=299) if body.is_array() => Some("idm-user-list"),
        (Api::Idm, 200..=299) if body.get("scimAttributes").is_some() => Some("idm-user"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_instance_path_of_violations() {
        let mut r = SchemaRegistry::empty();
        r.insert(
            "t",
            &json!({"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}}),
        )
        .unwrap();
        assert!(r.violations("t", &json!({"status": "400"})).is_empty());
        let v = r.violations("t", &json!({"status": 400}));
        assert_eq!(v.len(), 1);
        assert!(v[0].starts_with("/status: "), "{v:?}");
    }

    #[test]
    fn unknown_name_is_a_violation() {
        assert_eq!(
            SchemaRegistry::empty().violations("nope", &json!({})).len(),
            1
        );
    }
}
