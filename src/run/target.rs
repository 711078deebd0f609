//! Targets: a real server given by URL, or a built-in simulation started in-process.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::api::{Api, Profile};
use crate::case::{Requirement, Vars, user_attribute};
use crate::exchange::HttpRequest;
use crate::run::auth::OAuth2;
use crate::util::base64_encode;

/// Credentials sent with every request whose step does not opt out.
#[derive(Clone, Default)]
pub enum Auth {
    /// No Authorization header.
    #[default]
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// `Authorization: Basic base64(user:pass)`.
    Basic(String),
    /// `Authorization: Bearer <token>` with a token from an OAuth2 client-credentials
    /// session (fetched before the run, renewed by the HTTP client).
    OAuth2(Arc<OAuth2>),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret itself.
        f.write_str(match self {
            Auth::None => "None",
            Auth::Bearer(_) => "Bearer(***)",
            Auth::Basic(_) => "Basic(***)",
            Auth::OAuth2(_) => "OAuth2(***)",
        })
    }
}

impl Auth {
    /// The Authorization header value.
    pub fn header_value(&self) -> Option<String> {
        match self {
            Auth::None => None,
            Auth::Bearer(t) => Some(format!("Bearer {t}")),
            Auth::Basic(up) => Some(format!("Basic {}", base64_encode(up.as_bytes()))),
            Auth::OAuth2(session) => session.header_value(),
        }
    }
}

/// Where and how cases are sent.
#[derive(Clone, Debug)]
pub struct Target {
    /// API spoken.
    pub api: Api,
    /// Expectation profile.
    pub profile: Profile,
    /// API base URL that case paths are appended to.
    pub base_url: String,
    /// Credentials.
    pub auth: Auth,
    /// Extra headers for every request (`-H`).
    pub extra_headers: Vec<(String, String)>,
    /// Target variables (`tenant`, `readonly_token`, ...).
    pub vars: Vars,
    /// A built-in simulation (case-level faults apply).
    pub builtin: bool,
    /// What the server advertises (discovery); cases needing more are skipped.
    pub capabilities: Capabilities,
    /// How the users cases create are adapted to this server.
    pub fixtures: Fixtures,
}

/// Adaptations of the users cases create, for servers with stricter rules.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fixtures {
    /// Members merged into the body of every create request (`POST /Users`,
    /// `POST /user`), for servers requiring more than the cases send. The case's own
    /// members win.
    pub extra_create_fields: Map<String, Value>,
}

impl Fixtures {
    /// Merges the extra create fields into `body` when `method` and `path` (relative to
    /// the base URL, without query) create a user of `api`.
    pub fn apply(&self, api: Api, method: &str, path: &str, body: &mut Value) {
        let create_path = match api {
            Api::Scim => "/Users",
            Api::Idm => "/user",
        };
        let path = path.split('?').next().unwrap_or(path).trim_end_matches('/');
        if self.extra_create_fields.is_empty()
            || !method.eq_ignore_ascii_case("POST")
            || path != create_path
        {
            return;
        }
        if let Value::Object(target) = body {
            merge_missing(target, &self.extra_create_fields);
        }
    }
}

/// Adds the members of `extra` that `target` lacks, recursing into objects both have.
fn merge_missing(target: &mut Map<String, Value>, extra: &Map<String, Value>) {
    for (key, value) in extra {
        match (target.get_mut(key), value) {
            (Some(Value::Object(inner)), Value::Object(extra_inner)) => {
                merge_missing(inner, extra_inner);
            }
            (Some(_), _) => {}
            (None, _) => {
                target.insert(key.clone(), value.clone());
            }
        }
    }
}

/// What a server offers beyond the RFC minimum, read from its discovery documents
/// (RFC 7644 §4: `/ServiceProviderConfig`, `/Schemas`, `/ResourceTypes`). What could not
/// be read counts as offered (a case then shows what the server really does), and is
/// listed in `assumptions` for the reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// `patch.supported`.
    pub patch: bool,
    /// `etag.supported`.
    pub etag: bool,
    /// `filter.supported`.
    pub filter: bool,
    /// `sort.supported`.
    pub sort: bool,
    /// The core User attributes `/Schemas` defines (canonical names); `None`: unknown.
    pub user_attributes: Option<BTreeSet<&'static str>>,
    /// Whether the enterprise User extension is offered; `None`: unknown.
    pub enterprise_user: Option<bool>,
    /// What discovery could not tell and so assumed, in words.
    pub assumptions: Vec<String>,
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            patch: true,
            etag: true,
            filter: true,
            sort: true,
            user_attributes: None,
            enterprise_user: None,
            assumptions: Vec::new(),
        }
    }
}

/// A discovery document as fetched: its JSON body, or why there is none.
pub type Fetched = Result<Value, String>;

impl Capabilities {
    /// Reads `patch.supported` and `etag.supported` from a ServiceProviderConfig body;
    /// a missing or non-boolean member counts as supported.
    pub fn from_service_provider_config(body: &Value) -> Capabilities {
        let mut caps = Capabilities::default();
        caps.read_service_provider_config(body);
        caps
    }

    /// Capabilities from the three discovery documents.
    pub fn discovered(spc: Fetched, schemas: Fetched, resource_types: Fetched) -> Capabilities {
        let mut caps = Capabilities::default();
        match spc {
            Ok(body) => caps.read_service_provider_config(&body),
            Err(why) => caps.assumptions.push(format!(
                "GET /ServiceProviderConfig {why}: PATCH and ETags assumed supported"
            )),
        }
        let schema_list = schemas.as_ref().ok().map(list_resources);
        let enterprise_in_schemas = schema_list.as_ref().map(|list| {
            list.iter()
                .any(|s| urn_is(s.get("id"), crate::patch::ENTERPRISE_URN))
        });
        let enterprise_in_types =
            resource_types
                .as_ref()
                .ok()
                .map(list_resources)
                .and_then(|list| {
                    let user = list
                        .into_iter()
                        .find(|t| urn_is(t.get("schema"), crate::patch::USER_URN))?;
                    let extensions = user.get("schemaExtensions").and_then(Value::as_array);
                    Some(extensions.is_some_and(|exts| {
                        exts.iter()
                            .any(|e| urn_is(e.get("schema"), crate::patch::ENTERPRISE_URN))
                    }))
                });
        caps.enterprise_user = match (enterprise_in_schemas, enterprise_in_types) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), _) | (None, Some(false)) => Some(false),
            (None, None) => {
                caps.assumptions.push(
                    "neither /Schemas nor /ResourceTypes could be read: the enterprise User \
                     extension assumed offered"
                        .into(),
                );
                None
            }
        };
        match (&schemas, schema_list) {
            (Err(why), _) => caps.assumptions.push(format!(
                "GET /Schemas {why}: every User attribute assumed supported"
            )),
            (Ok(_), Some(list)) => {
                let core = list
                    .iter()
                    .find(|s| urn_is(s.get("id"), crate::patch::USER_URN));
                match core
                    .and_then(|s| s.get("attributes"))
                    .and_then(Value::as_array)
                {
                    Some(attrs) => {
                        caps.user_attributes = Some(
                            attrs
                                .iter()
                                .filter_map(|a| a.get("name").and_then(Value::as_str))
                                .filter_map(user_attribute)
                                .chain(["externalId"])
                                .collect(),
                        );
                    }
                    None => caps.assumptions.push(format!(
                        "/Schemas defines no `{}` schema with attributes: every User \
                         attribute assumed supported",
                        crate::patch::USER_URN
                    )),
                }
            }
            (Ok(_), None) => {}
        }
        caps
    }

    fn read_service_provider_config(&mut self, body: &Value) {
        let flags = [
            ("patch", &mut self.patch),
            ("etag", &mut self.etag),
            ("filter", &mut self.filter),
            ("sort", &mut self.sort),
        ];
        for (name, flag) in flags {
            match body
                .get(name)
                .and_then(|v| v.get("supported"))
                .and_then(Value::as_bool)
            {
                Some(b) => *flag = b,
                None => {
                    *flag = true;
                    self.assumptions.push(format!(
                        "ServiceProviderConfig has no boolean `{name}.supported`: assumed true"
                    ));
                }
            }
        }
    }

    /// Why the server cannot meet `req`, if discovery says it cannot.
    pub fn unmet(&self, req: &Requirement) -> Option<String> {
        match req {
            Requirement::Etag if !self.etag => {
                Some("the server does not advertise ETags (etag.supported=false)".into())
            }
            Requirement::Filter if !self.filter => {
                Some("the server does not advertise filtering (filter.supported=false)".into())
            }
            Requirement::Sort if !self.sort => {
                Some("the server does not advertise sorting (sort.supported=false)".into())
            }
            Requirement::EnterpriseUser if self.enterprise_user == Some(false) => Some(
                "needs the enterprise User extension, which the server's /Schemas and \
                 /ResourceTypes do not offer"
                    .into(),
            ),
            Requirement::Attribute(name)
                if self
                    .user_attributes
                    .as_ref()
                    .is_some_and(|set| !set.contains(name)) =>
            {
                Some(format!(
                    "needs the User attribute `{name}`, which the server's /Schemas does not define"
                ))
            }
            _ => None,
        }
    }
}

/// The members of a ListResponse (`Resources`; VMware's `resources`, VD-07), or a bare
/// array some servers answer.
fn list_resources(doc: &Value) -> Vec<&Value> {
    let list = doc
        .get("Resources")
        .or_else(|| doc.get("resources"))
        .unwrap_or(doc);
    list.as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn urn_is(value: Option<&Value>, urn: &str) -> bool {
    value
        .and_then(Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case(urn))
}

impl Target {
    /// The media type of the target's API: its `Accept` and default `Content-Type`.
    pub fn media_type(&self) -> &'static str {
        self.api.media_type()
    }

    /// A bodiless request to `path` (relative to the base URL) with the target's
    /// `Accept`, credentials and `-H` headers; a `-H` header replaces one of its name.
    pub fn request(&self, method: &str, path: &str) -> HttpRequest {
        self.request_for(method, path, None, None, true)
    }

    /// The one place a request to this target is shaped: `path` is relative to the base
    /// URL (a query included), headers in send order are `Accept`, then with `body` its
    /// `Content-Type` (the API's media type unless `content_type` names another), the
    /// credentials unless `credentials` is false, then the `-H` headers, each replacing
    /// one of its name.
    pub fn request_for(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
        content_type: Option<&str>,
        credentials: bool,
    ) -> HttpRequest {
        let mut req = HttpRequest {
            method: method.to_ascii_uppercase(),
            url: format!("{}{path}", self.base_url.trim_end_matches('/')),
            headers: vec![("Accept".to_string(), self.media_type().to_string())],
            body: None,
        };
        if let Some(body) = body {
            let content_type = content_type.unwrap_or(self.media_type());
            req.headers
                .push(("Content-Type".to_string(), content_type.to_string()));
            req.body = Some(body);
        }
        if credentials && let Some(v) = self.auth.header_value() {
            req.headers.push(("Authorization".to_string(), v));
        }
        for (k, v) in &self.extra_headers {
            req.set_header(k, v);
        }
        req
    }

    /// A short description for output.
    pub fn label(&self) -> String {
        if self.builtin {
            format!("built-in {} simulation, profile {}", self.api, self.profile)
        } else {
            format!(
                "{} ({} api, profile {})",
                self.base_url, self.api, self.profile
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_is_base64() {
        assert_eq!(
            Auth::Basic("Aladdin:open sesame".into())
                .header_value()
                .unwrap(),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(base64_encode(b"a"), "YQ==");
        assert_eq!(base64_encode(b"ab"), "YWI=");
    }

    #[test]
    fn capabilities_from_service_provider_config() {
        let c = Capabilities::from_service_provider_config(&serde_json::json!({
            "patch": {"supported": false}, "etag": {"supported": true}
        }));
        assert!(
            !c.patch && c.etag && c.assumptions.len() == 2,
            "{:?}",
            c.assumptions
        );
        // Missing members count as supported, and say so: the cases then show what
        // the server does.
        let silent = Capabilities::from_service_provider_config(&serde_json::json!({}));
        assert!(silent.patch && silent.etag);
        assert_eq!(silent.assumptions.len(), 4, "{:?}", silent.assumptions);
    }

    fn user_schema(attrs: &[&str]) -> Value {
        let attributes: Vec<Value> = attrs
            .iter()
            .map(|a| serde_json::json!({"name": a, "type": "string"}))
            .collect();
        serde_json::json!({"id": crate::patch::USER_URN, "attributes": attributes})
    }

    #[test]
    fn discovery_reads_attributes_and_the_extension() {
        let spc = serde_json::json!({"patch": {"supported": true}, "etag": {"supported": false},
            "filter": {"supported": true}, "sort": {"supported": false}});
        let schemas =
            serde_json::json!({"Resources": [user_schema(&["userName", "EMAILS", "roles"])]});
        let types = serde_json::json!({"Resources": [{
            "name": "User", "schema": crate::patch::USER_URN, "schemaExtensions": []
        }]});
        let c = Capabilities::discovered(Ok(spc), Ok(schemas), Ok(types));
        assert!(c.assumptions.is_empty(), "{:?}", c.assumptions);
        assert!(c.unmet(&Requirement::Etag).is_some());
        assert!(c.unmet(&Requirement::Sort).is_some() && c.unmet(&Requirement::Filter).is_none());
        assert!(c.unmet(&Requirement::EnterpriseUser).is_some());
        assert!(c.unmet(&Requirement::Attribute("emails")).is_none());
        assert!(c.unmet(&Requirement::Attribute("roles")).is_none());
        let why = c.unmet(&Requirement::Attribute("ims")).unwrap_or_default();
        assert!(why.contains("`ims`"), "{why}");
    }

    #[test]
    fn what_discovery_cannot_read_is_assumed_and_said() {
        let c = Capabilities::discovered(
            Err("answered 404".into()),
            Err("answered 500".into()),
            Err("answered 404".into()),
        );
        assert!(c.unmet(&Requirement::Etag).is_none());
        assert!(c.unmet(&Requirement::EnterpriseUser).is_none());
        assert!(
            c.unmet(&Requirement::Attribute("x509Certificates"))
                .is_none()
        );
        assert_eq!(c.assumptions.len(), 3, "{:?}", c.assumptions);
        assert!(
            c.assumptions
                .iter()
                .any(|a| a.contains("/Schemas answered 500"))
        );
        // The extension listed in /Schemas counts even when /ResourceTypes is missing.
        let schemas = serde_json::json!([
            user_schema(&["userName"]),
            {"id": crate::patch::ENTERPRISE_URN, "attributes": []}
        ]);
        let c = Capabilities::discovered(
            Ok(serde_json::json!({"patch": {"supported": true}, "etag": {"supported": true}})),
            Ok(schemas),
            Err("answered 404".into()),
        );
        assert!(c.unmet(&Requirement::EnterpriseUser).is_none());
        assert!(c.unmet(&Requirement::Attribute("nickName")).is_some());
    }

    #[test]
    fn extra_create_fields_fill_in_creates_only() {
        let fixtures = Fixtures {
            extra_create_fields: serde_json::json!({
                "department": "QA",
                "name": {"familyName": "Cert", "givenName": "Sci"},
                "scimAttributes": {"title": "x"}
            })
            .as_object()
            .cloned()
            .unwrap_or_default(),
        };
        let mut body = serde_json::json!({"userName": "u", "name": {"givenName": "Own"}});
        fixtures.apply(Api::Scim, "POST", "/Users", &mut body);
        assert_eq!(
            body,
            serde_json::json!({
                "userName": "u",
                "name": {"givenName": "Own", "familyName": "Cert"},
                "department": "QA",
                "scimAttributes": {"title": "x"}
            })
        );
        for (api, method, path) in [
            (Api::Scim, "PATCH", "/Users"),
            (Api::Scim, "POST", "/Users/1"),
            (Api::Scim, "POST", "/user"),
            (Api::Idm, "PUT", "/user"),
        ] {
            let mut untouched = serde_json::json!({"a": 1});
            fixtures.apply(api, method, path, &mut untouched);
            assert_eq!(untouched, serde_json::json!({"a": 1}), "{method} {path}");
        }
        let mut idm = serde_json::json!({"scimAttributes": {"userName": "u"}});
        fixtures.apply(Api::Idm, "post", "/user?x=1", &mut idm);
        assert_eq!(
            idm["scimAttributes"],
            serde_json::json!({"userName": "u", "title": "x"})
        );
    }

    #[test]
    fn debug_never_shows_secrets() {
        assert_eq!(
            format!("{:?}", Auth::Bearer("s3cr3t".into())),
            "Bearer(***)"
        );
    }
}
