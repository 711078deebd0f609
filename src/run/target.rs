//! Targets: a real server given by URL, or a built-in simulation started in-process.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::api::{Api, Profile};
use crate::case::template::Vars;
use crate::run::auth::OAuth2;
use crate::sim::{SimError, SimOptions, Simulation};

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

/// Standard Base64 with padding (the form of `Authorization: Basic`).
pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
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

/// Optional features a server advertises in `/ServiceProviderConfig` (RFC 7643 §5).
/// Unknown (no discovery) counts as supported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// `patch.supported`.
    pub patch: bool,
    /// `etag.supported`.
    pub etag: bool,
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            patch: true,
            etag: true,
        }
    }
}

impl Capabilities {
    /// Reads `patch.supported` and `etag.supported` from a ServiceProviderConfig body;
    /// a missing or non-boolean member counts as supported.
    pub fn from_service_provider_config(body: &serde_json::Value) -> Capabilities {
        let supported = |name: &str| {
            body.get(name)
                .and_then(|v| v.get("supported"))
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(true)
        };
        Capabilities {
            patch: supported("patch"),
            etag: supported("etag"),
        }
    }
}

impl Target {
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

/// Built-in simulations started for a run, one per profile, with their targets.
pub struct BuiltinTargets {
    sims: BTreeMap<Profile, (Simulation, Target)>,
}

impl BuiltinTargets {
    /// Starts one simulation per profile in `profiles`.
    pub async fn start(profiles: &[Profile]) -> Result<BuiltinTargets, SimError> {
        let mut sims = BTreeMap::new();
        for &profile in profiles {
            if sims.contains_key(&profile) {
                continue;
            }
            let options = SimOptions::new(profile);
            let sim = Simulation::start(options.clone()).await?;
            let target = Target {
                api: profile.api(),
                profile,
                base_url: sim.base_url(),
                auth: Auth::Bearer(options.token.clone()),
                extra_headers: Vec::new(),
                vars: options.case_variables(),
                builtin: true,
                capabilities: Capabilities::default(),
                fixtures: Fixtures::default(),
            };
            sims.insert(profile, (sim, target));
        }
        Ok(BuiltinTargets { sims })
    }

    /// The target of a started profile.
    pub fn target(&self, profile: Profile) -> Option<&Target> {
        self.sims.get(&profile).map(|(_, t)| t)
    }

    /// Every started target.
    pub fn targets(&self) -> impl Iterator<Item = &Target> {
        self.sims.values().map(|(_, t)| t)
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
        assert_eq!(
            c,
            Capabilities {
                patch: false,
                etag: true
            }
        );
        // Missing members count as supported: the cases then show what the server does.
        assert_eq!(
            Capabilities::from_service_provider_config(&serde_json::json!({})),
            Capabilities::default()
        );
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
