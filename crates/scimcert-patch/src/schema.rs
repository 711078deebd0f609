//! RFC 7643 attribute characteristics for the User resource and its extensions.

use std::sync::OnceLock;

use serde_json::{Value, json};

/// The RFC 7643 core User schema URN.
pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The RFC 7643 Enterprise User extension URN.
pub const ENTERPRISE_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// The PatchOp message URN.
pub const PATCH_OP_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// The URN of `/Schemas` resources (RFC 7643 §7).
pub const SCHEMA_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// The common attributes every resource carries (RFC 7643 §3.1); not part of `/Schemas`.
pub const COMMON_ATTRIBUTES: [&str; 3] = ["id", "externalId", "meta"];

const USER_JSON: &str = include_str!("rfc7643/User.json");
const ENTERPRISE_JSON: &str = include_str!("rfc7643/Enterprise-User.json");

/// `type` of an attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrType {
    /// JSON string.
    String,
    /// JSON boolean.
    Boolean,
    /// JSON number with a fraction allowed.
    Decimal,
    /// JSON integer.
    Integer,
    /// RFC 3339 date-time string.
    DateTime,
    /// Base64 string.
    Binary,
    /// URI string (case-exact).
    Reference,
    /// Object of sub-attributes.
    Complex,
}

impl AttrType {
    /// The RFC 7643 wire name (`dateTime`, `complex`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Boolean => "boolean",
            AttrType::Decimal => "decimal",
            AttrType::Integer => "integer",
            AttrType::DateTime => "dateTime",
            AttrType::Binary => "binary",
            AttrType::Reference => "reference",
            AttrType::Complex => "complex",
        }
    }

    fn parse(s: &str) -> AttrType {
        match s {
            "boolean" => AttrType::Boolean,
            "decimal" => AttrType::Decimal,
            "integer" => AttrType::Integer,
            "dateTime" => AttrType::DateTime,
            "binary" => AttrType::Binary,
            "reference" => AttrType::Reference,
            "complex" => AttrType::Complex,
            _ => AttrType::String,
        }
    }
}

/// `mutability` of an attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutability {
    /// Never changed by clients.
    ReadOnly,
    /// Freely changed.
    ReadWrite,
    /// Set once (PATCH may add it while unset).
    Immutable,
    /// Set but never returned.
    WriteOnly,
}

impl Mutability {
    /// The RFC 7643 wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        }
    }

    fn parse(s: &str) -> Mutability {
        match s {
            "readOnly" => Mutability::ReadOnly,
            "immutable" => Mutability::Immutable,
            "writeOnly" => Mutability::WriteOnly,
            _ => Mutability::ReadWrite,
        }
    }
}

/// `returned` of an attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Returned {
    /// Always returned, whatever the projection.
    Always,
    /// Never returned.
    Never,
    /// Returned unless excluded.
    Default,
    /// Returned only when listed in `attributes`.
    Request,
}

impl Returned {
    /// The RFC 7643 wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
            Returned::Request => "request",
        }
    }

    fn parse(s: &str) -> Returned {
        match s {
            "always" => Returned::Always,
            "never" => Returned::Never,
            "request" => Returned::Request,
            _ => Returned::Default,
        }
    }
}

/// `uniqueness` of an attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Uniqueness {
    /// No constraint.
    None,
    /// Unique within the service provider (tenant).
    Server,
    /// Globally unique.
    Global,
}

impl Uniqueness {
    /// The RFC 7643 wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Uniqueness::None => "none",
            Uniqueness::Server => "server",
            Uniqueness::Global => "global",
        }
    }

    fn parse(s: &str) -> Uniqueness {
        match s {
            "server" => Uniqueness::Server,
            "global" => Uniqueness::Global,
            _ => Uniqueness::None,
        }
    }
}

/// One attribute definition (with its sub-attributes when complex).
#[derive(Clone, Debug)]
pub struct AttrDef {
    /// Attribute name as the schema spells it.
    pub name: String,
    /// Value type.
    pub ty: AttrType,
    /// Multi-valued?
    pub multi_valued: bool,
    /// Required?
    pub required: bool,
    /// Case-exact string comparison?
    pub case_exact: bool,
    /// Mutability.
    pub mutability: Mutability,
    /// When it is returned.
    pub returned: Returned,
    /// Uniqueness.
    pub uniqueness: Uniqueness,
    /// Canonical values, if any (informational).
    pub canonical_values: Vec<String>,
    /// Sub-attributes of a complex attribute.
    pub sub_attributes: Vec<AttrDef>,
    /// Human-readable description (rendered on `/Schemas`).
    pub description: String,
    /// `referenceTypes` of a reference attribute.
    pub reference_types: Vec<String>,
}

impl AttrDef {
    /// A singular, optional, readWrite, returned-default attribute of type `ty`.
    pub fn simple(name: &str, ty: AttrType) -> AttrDef {
        AttrDef {
            name: name.to_string(),
            ty,
            multi_valued: false,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: Vec::new(),
            sub_attributes: Vec::new(),
            description: String::new(),
            reference_types: Vec::new(),
        }
    }

    /// The sub-attribute called `name` (case-insensitive).
    pub fn sub(&self, name: &str) -> Option<&AttrDef> {
        self.sub_attributes
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(name))
    }

    /// Whether string values compare case-exactly (references always do, RFC 7643 §2.3.7).
    pub fn compares_case_exact(&self) -> bool {
        self.case_exact || self.ty == AttrType::Reference
    }

    /// An attribute from its RFC 7643 §7 description (`name`, `type`, `multiValued`,
    /// `subAttributes`, ...); a missing characteristic takes the RFC default.
    pub fn from_json(attr: &Value) -> AttrDef {
        let text = |key: &str| attr.get(key).and_then(Value::as_str).unwrap_or_default();
        let flag = |key: &str| attr.get(key).and_then(Value::as_bool).unwrap_or(false);
        let strings = |key: &str| -> Vec<String> {
            attr.get(key)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        AttrDef {
            name: text("name").to_string(),
            ty: AttrType::parse(text("type")),
            multi_valued: flag("multiValued"),
            required: flag("required"),
            case_exact: flag("caseExact"),
            mutability: Mutability::parse(text("mutability")),
            returned: Returned::parse(text("returned")),
            uniqueness: Uniqueness::parse(text("uniqueness")),
            canonical_values: strings("canonicalValues"),
            sub_attributes: attr
                .get("subAttributes")
                .and_then(Value::as_array)
                .map(|subs| subs.iter().map(AttrDef::from_json).collect())
                .unwrap_or_default(),
            description: text("description").to_string(),
            reference_types: strings("referenceTypes"),
        }
    }

    fn to_json(&self) -> Value {
        let mut out = json!({
            "name": self.name,
            "type": self.ty.as_str(),
            "multiValued": self.multi_valued,
            "description": self.description,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": self.mutability.as_str(),
            "returned": self.returned.as_str(),
            "uniqueness": self.uniqueness.as_str(),
        });
        let obj = out.as_object_mut().expect("json! object literal");
        if !self.canonical_values.is_empty() {
            obj.insert("canonicalValues".into(), json!(self.canonical_values));
        }
        if !self.reference_types.is_empty() {
            obj.insert("referenceTypes".into(), json!(self.reference_types));
        }
        if !self.sub_attributes.is_empty() {
            let subs: Vec<Value> = self.sub_attributes.iter().map(AttrDef::to_json).collect();
            obj.insert("subAttributes".into(), Value::Array(subs));
        }
        out
    }
}

/// The full attribute set of a resource type: common attributes, the core schema and
/// its extensions, as one profile's server defines them.
#[derive(Clone, Debug)]
pub struct Schema {
    /// Core schema URN.
    pub core_urn: String,
    /// Core attributes, including the common ones (`id`, `externalId`, `meta`).
    pub core: Vec<AttrDef>,
    /// Extensions: URN and attributes.
    pub extensions: Vec<(String, Vec<AttrDef>)>,
}

fn load_attributes(raw: &str) -> Vec<AttrDef> {
    let doc: Value = serde_json::from_str(raw).expect("embedded RFC 7643 schema is valid JSON");
    doc["attributes"]
        .as_array()
        .expect("embedded RFC 7643 schema has attributes")
        .iter()
        .map(AttrDef::from_json)
        .collect()
}

fn common_attributes() -> Vec<AttrDef> {
    let id = AttrDef {
        case_exact: true,
        mutability: Mutability::ReadOnly,
        returned: Returned::Always,
        uniqueness: Uniqueness::Server,
        description: "Unique identifier for the SCIM resource as defined by the service provider."
            .into(),
        ..AttrDef::simple("id", AttrType::String)
    };
    let external_id = AttrDef {
        case_exact: true,
        mutability: Mutability::ReadWrite,
        description: "Identifier for the resource as defined by the provisioning client.".into(),
        ..AttrDef::simple("externalId", AttrType::String)
    };
    let read_only = |name: &str, ty: AttrType| AttrDef {
        mutability: Mutability::ReadOnly,
        case_exact: ty == AttrType::Reference || name == "version",
        ..AttrDef::simple(name, ty)
    };
    let meta = AttrDef {
        mutability: Mutability::ReadOnly,
        description: "Resource metadata.".into(),
        sub_attributes: vec![
            read_only("resourceType", AttrType::String),
            read_only("created", AttrType::DateTime),
            read_only("lastModified", AttrType::DateTime),
            read_only("location", AttrType::Reference),
            read_only("version", AttrType::String),
        ],
        ..AttrDef::simple("meta", AttrType::Complex)
    };
    vec![id, external_id, meta]
}

fn build_user() -> Schema {
    let mut core = common_attributes();
    let mut user = load_attributes(USER_JSON);
    // REFERENCE.md §3.6: §2.4 and the §8.2 example give addresses a `primary`.
    if let Some(addresses) = user.iter_mut().find(|d| d.name == "addresses")
        && addresses.sub("primary").is_none()
    {
        addresses.sub_attributes.push(AttrDef {
            description: "A Boolean value indicating the 'primary' or preferred address.".into(),
            ..AttrDef::simple("primary", AttrType::Boolean)
        });
    }
    core.extend(user);
    Schema {
        core_urn: USER_URN.to_string(),
        core,
        extensions: vec![(ENTERPRISE_URN.to_string(), load_attributes(ENTERPRISE_JSON))],
    }
}

/// Why a server's `/Schemas` documents do not make a [`Schema`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaError(pub String);

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SchemaError {}

impl Schema {
    /// The User schema of RFC 7643 (§4.1 User, §4.3 Enterprise User extension, §3.1
    /// common attributes), as written there.
    pub fn rfc7643_user() -> Schema {
        static USER: OnceLock<Schema> = OnceLock::new();
        USER.get_or_init(build_user).clone()
    }

    /// The User schema a server describes in its `/Schemas` resources (RFC 7643 §7):
    /// `schemas` are the `Resources` of its answer; the one with id `core_urn` is the
    /// core, every other is an extension. The common attributes (`id`, `externalId`,
    /// `meta`) are added as RFC 7643 §3.1 defines them unless the server lists them.
    pub fn from_scim_schemas(schemas: &[Value], core_urn: &str) -> Result<Schema, SchemaError> {
        let attributes = |doc: &Value| -> Result<Vec<AttrDef>, SchemaError> {
            let id = doc.get("id").and_then(Value::as_str).unwrap_or("(no id)");
            let list = doc
                .get("attributes")
                .and_then(Value::as_array)
                .ok_or_else(|| SchemaError(format!("schema `{id}` has no `attributes` array")))?;
            Ok(list.iter().map(AttrDef::from_json).collect())
        };
        let id_of = |doc: &Value| doc.get("id").and_then(Value::as_str).map(str::to_string);
        let core_doc = schemas
            .iter()
            .find(|d| id_of(d).is_some_and(|id| id.eq_ignore_ascii_case(core_urn)))
            .ok_or_else(|| SchemaError(format!("no schema has the id `{core_urn}`")))?;
        let listed = attributes(core_doc)?;
        let mut core: Vec<AttrDef> = common_attributes()
            .into_iter()
            .filter(|c| !listed.iter().any(|d| d.name.eq_ignore_ascii_case(&c.name)))
            .collect();
        core.extend(listed);
        let mut extensions = Vec::new();
        for doc in schemas {
            let Some(id) = id_of(doc) else {
                return Err(SchemaError("a schema has no `id`".into()));
            };
            if !id.eq_ignore_ascii_case(core_urn) {
                extensions.push((id, attributes(doc)?));
            }
        }
        Ok(Schema {
            core_urn: id_of(core_doc).unwrap_or_else(|| core_urn.to_string()),
            core,
            extensions,
        })
    }

    /// Finds an attribute by (case-insensitive) URN and name. Without a URN the core
    /// schema is searched first, then the extensions (clients SHOULD, not MUST, qualify
    /// extension attributes, P-21).
    pub fn find(&self, urn: Option<&str>, name: &str) -> Option<(&str, &AttrDef)> {
        fn lookup<'d>(defs: &'d [AttrDef], name: &str) -> Option<&'d AttrDef> {
            defs.iter().find(|d| d.name.eq_ignore_ascii_case(name))
        }
        match urn {
            Some(u) if u.eq_ignore_ascii_case(&self.core_urn) => {
                lookup(&self.core, name).map(|d| (self.core_urn.as_str(), d))
            }
            Some(u) => self
                .extensions
                .iter()
                .find(|(ext, _)| ext.eq_ignore_ascii_case(u))
                .and_then(|(ext, defs)| lookup(defs, name).map(|d| (ext.as_str(), d))),
            None => lookup(&self.core, name)
                .map(|d| (self.core_urn.as_str(), d))
                .or_else(|| {
                    self.extensions
                        .iter()
                        .find_map(|(ext, defs)| lookup(defs, name).map(|d| (ext.as_str(), d)))
                }),
        }
    }

    /// The extension URN spelled as the schema spells it, if `urn` names one.
    pub fn extension_urn(&self, urn: &str) -> Option<&str> {
        self.extensions
            .iter()
            .find(|(ext, _)| ext.eq_ignore_ascii_case(urn))
            .map(|(ext, _)| ext.as_str())
    }

    /// The attributes of the schema `urn` (core or extension).
    pub fn attributes_of(&self, urn: &str) -> Option<&[AttrDef]> {
        if urn.eq_ignore_ascii_case(&self.core_urn) {
            return Some(&self.core);
        }
        self.extensions
            .iter()
            .find(|(ext, _)| ext.eq_ignore_ascii_case(urn))
            .map(|(_, defs)| defs.as_slice())
    }

    /// The `/Schemas` representation of this schema (RFC 7643 §7), one resource per URN.
    pub fn to_scim_schemas(&self) -> Vec<Value> {
        let render = |urn: &str, defs: &[AttrDef]| {
            let (name, description) = if urn == USER_URN {
                ("User", "User Account")
            } else if urn == ENTERPRISE_URN {
                ("EnterpriseUser", "Enterprise User")
            } else {
                ("Extension", "Schema extension")
            };
            let attributes: Vec<Value> = defs
                .iter()
                .filter(|d| !COMMON_ATTRIBUTES.contains(&d.name.as_str()))
                .map(AttrDef::to_json)
                .collect();
            json!({
                "schemas": [SCHEMA_URN],
                "id": urn,
                "name": name,
                "description": description,
                "attributes": attributes,
                "meta": {"resourceType": "Schema", "location": format!("/v2/Schemas/{urn}")},
            })
        };
        std::iter::once(render(&self.core_urn, &self.core))
            .chain(self.extensions.iter().map(|(urn, defs)| render(urn, defs)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ScimType;

    #[test]
    fn user_schema_has_common_core_and_enterprise_attributes() {
        let s = Schema::rfc7643_user();
        assert_eq!(
            s.find(None, "ID").map(|(_, d)| d.mutability),
            Some(Mutability::ReadOnly)
        );
        assert_eq!(
            s.find(None, "id").map(|(_, d)| d.returned),
            Some(Returned::Always)
        );
        assert_eq!(
            s.find(None, "password").map(|(_, d)| d.returned),
            Some(Returned::Never)
        );
        assert_eq!(
            s.find(None, "groups").map(|(_, d)| d.mutability),
            Some(Mutability::ReadOnly)
        );
        let (urn, manager) = s
            .find(Some(&ENTERPRISE_URN.to_lowercase()), "MANAGER")
            .expect("manager");
        assert_eq!(urn, ENTERPRISE_URN);
        assert_eq!(
            manager.sub("displayName").map(|d| d.mutability),
            Some(Mutability::ReadOnly)
        );
        assert_eq!(
            s.find(None, "manager").map(|(u, _)| u),
            Some(ENTERPRISE_URN)
        );
        assert!(s.find(Some(USER_URN), "employeeNumber").is_none());
    }

    #[test]
    fn a_servers_own_schemas_make_a_schema() {
        let rendered = Schema::rfc7643_user().to_scim_schemas();
        let own = Schema::from_scim_schemas(&rendered, USER_URN).expect("round trip");
        let (_, emails) = own.find(None, "EMAILS").expect("emails");
        assert!(emails.multi_valued && emails.sub("primary").is_some());
        assert!(
            own.find(None, "id").is_some(),
            "common attributes are added"
        );
        assert!(own.find(Some(ENTERPRISE_URN), "manager").is_some());
        // A server with a smaller schema: what it does not define is unknown.
        let small = json!([{"id": USER_URN, "attributes": [{"name": "userName", "type": "string", "required": true}]}]);
        let small = Schema::from_scim_schemas(small.as_array().expect("array"), USER_URN)
            .expect("small schema");
        assert!(small.find(None, "nickName").is_none());
        assert!(
            small
                .find(None, "userName")
                .is_some_and(|(_, d)| d.required)
        );
        let err = Schema::from_scim_schemas(&[], USER_URN).expect_err("no core");
        assert!(err.to_string().contains(USER_URN), "{err}");
    }

    #[test]
    fn scim_schemas_render_rfc7643_section_7() {
        let rendered = Schema::rfc7643_user().to_scim_schemas();
        assert_eq!(rendered.len(), 2);
        assert_eq!(rendered[0]["id"], USER_URN);
        assert_eq!(rendered[0]["schemas"][0], SCHEMA_URN);
        let names: Vec<&str> = rendered[0]["attributes"]
            .as_array()
            .expect("attributes")
            .iter()
            .filter_map(|a| a["name"].as_str())
            .collect();
        assert!(names.contains(&"userName") && !names.contains(&"id"));
        assert_eq!(rendered[1]["id"], ENTERPRISE_URN);
    }

    #[test]
    fn validate_resource_strips_read_only_and_adds_extension_urn() {
        let s = Schema::rfc7643_user();
        let body = json!({
            "schemas": [USER_URN],
            "id": "client-chosen",
            "meta": {"version": "W/\"1\""},
            "USERNAME": "bjensen",
            "groups": [{"value": "g1"}],
            ENTERPRISE_URN: {"manager": {"value": "m1", "displayName": "Boss"}},
        });
        let cleaned = s.validate_resource(body).expect("valid");
        assert_eq!(
            cleaned,
            json!({
                "schemas": [USER_URN, ENTERPRISE_URN],
                "userName": "bjensen",
                ENTERPRISE_URN: {"manager": {"value": "m1"}},
            })
        );
    }

    #[test]
    fn validate_resource_rejects_bad_bodies() {
        let s = Schema::rfc7643_user();
        let kind = |v: Value| s.validate_resource(v).err().and_then(|e| e.scim_type);
        assert_eq!(kind(json!([])), Some(ScimType::InvalidSyntax));
        assert_eq!(
            kind(json!({"displayName": "x"})),
            Some(ScimType::InvalidValue)
        );
        assert_eq!(kind(json!({"userName": ""})), Some(ScimType::InvalidValue));
        assert_eq!(
            kind(json!({"userName": "a", "shoeSize": 3})),
            Some(ScimType::InvalidValue)
        );
        assert_eq!(
            kind(json!({"userName": "a", "active": "yes"})),
            Some(ScimType::InvalidValue)
        );
        assert_eq!(
            kind(json!({"userName": "a", "emails": [
                {"value": "a@x", "primary": true}, {"value": "b@x", "primary": true}
            ]})),
            Some(ScimType::InvalidValue)
        );
        assert_eq!(
            kind(json!({"userName": "a", "schemas": ["urn:x:unknown"]})),
            Some(ScimType::InvalidValue)
        );
    }
}
