//! `scimcert.toml`: how to reach a real server (base URL or host + tenant, auth, TLS,
//! proxy, timeouts, pacing) and how to adapt fixtures to it. Secrets are never in the
//! file: it names the environment variables holding them.
//!
//! Every problem is reported at the `file:line:col` of the offending value, like a
//! problem in a case file.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value};
use toml::Spanned;

use scimcert::api::{Api, Profile};
use scimcert::case::Vars;
use scimcert::diag::{Diagnostic, Pos};
use scimcert::run::{ClientAuth, RetryPolicy};

/// The file looked for in the current folder when `--config` is not given.
pub const CONFIG_FILE: &str = "scimcert.toml";

/// Default environment variable of the bearer token.
pub const DEFAULT_TOKEN_ENV: &str = "SCIMCERT_TOKEN";
/// Default environment variable of `user:pass` for basic auth.
pub const DEFAULT_BASIC_ENV: &str = "SCIMCERT_BASIC";
/// Default environment variable of the OAuth2 client secret.
pub const DEFAULT_CLIENT_SECRET_ENV: &str = "SCIMCERT_CLIENT_SECRET";

/// Why a configuration file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read {path}: {cause}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        cause: std::io::Error,
    },
    /// A value in the file is wrong (with its position and line).
    #[error("{0}")]
    Invalid(Box<Diagnostic>),
}

/// How requests authenticate, as the file says.
#[derive(Clone, Debug, PartialEq)]
pub enum AuthSpec {
    /// No credentials.
    None,
    /// A bearer token read from the environment variable `env`.
    Bearer {
        /// The variable's name.
        env: String,
    },
    /// `user:pass` read from the environment variable `env`.
    Basic {
        /// The variable's name.
        env: String,
    },
    /// OAuth2 client credentials.
    OAuth2 {
        /// Token endpoint.
        token_url: String,
        /// Client id (not a secret).
        client_id: String,
        /// Environment variable holding the client secret.
        client_secret_env: String,
        /// Scopes to ask for.
        scope: Option<String>,
        /// How the client authenticates at the token endpoint.
        client_auth: ClientAuth,
    },
}

/// A validated configuration file.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The file it came from.
    pub path: PathBuf,
    /// `base_url`, or the one built from `host` + `tenant` (see [`Config::base_url`]).
    base_url: Option<Located<String>>,
    host: Option<Located<String>>,
    /// SCIM tenant (also the `{{ tenant }}` case variable).
    pub tenant: Option<String>,
    tenant_pos: Option<Pos>,
    /// `api`.
    pub api: Option<Api>,
    /// `profile`.
    pub profile: Option<Profile>,
    /// `timeout` (seconds per request).
    pub timeout: Option<Duration>,
    /// `connect_timeout`.
    pub connect_timeout: Option<Duration>,
    /// `jobs` (cases at once).
    pub jobs: Option<usize>,
    /// `rate_limit` (requests per second across the run).
    pub rate_limit: Option<f64>,
    /// `max_retries` and `max_retry_wait` for 429 answers.
    pub retry: RetryPolicy,
    /// `discovery = false` turns off reading `/ServiceProviderConfig`.
    pub discovery: Option<bool>,
    /// `proxy` URL.
    pub proxy: Option<String>,
    /// `ca_file`, relative to the file's folder.
    pub ca_file: Option<PathBuf>,
    /// `insecure = true`.
    pub insecure: bool,
    /// `[headers]`, values resolved.
    pub headers: Vec<(String, String)>,
    /// `[vars]`, values resolved.
    pub vars: Vars,
    /// `[auth]`, when given.
    pub auth: Option<AuthSpec>,
    /// Where `[auth]` is, for errors found when its variables are read.
    pub auth_pos: Option<Pos>,
    /// `[fixtures] user_name_domain`.
    pub user_name_domain: Option<String>,
    /// `[fixtures] extra_create_fields`.
    pub extra_create_fields: Map<String, Value>,
    /// Values taken from the environment through `{ env = "NAME" }`: secrets.
    pub secrets: Vec<String>,
}

/// A value with the position it was written at.
#[derive(Clone, Debug)]
struct Located<T> {
    value: T,
    pos: Pos,
    line: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    base_url: Option<Spanned<String>>,
    host: Option<Spanned<String>>,
    tenant: Option<Spanned<String>>,
    api: Option<Spanned<String>>,
    profile: Option<Spanned<String>>,
    timeout: Option<Spanned<f64>>,
    connect_timeout: Option<Spanned<f64>>,
    jobs: Option<Spanned<i64>>,
    rate_limit: Option<Spanned<f64>>,
    max_retries: Option<Spanned<i64>>,
    max_retry_wait: Option<Spanned<f64>>,
    discovery: Option<bool>,
    proxy: Option<Spanned<String>>,
    ca_file: Option<Spanned<String>>,
    insecure: Option<bool>,
    #[serde(default)]
    headers: BTreeMap<String, Spanned<Value>>,
    #[serde(default)]
    vars: BTreeMap<String, Spanned<Value>>,
    auth: Option<Spanned<RawAuth>>,
    #[serde(default)]
    fixtures: RawFixtures,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuth {
    #[serde(rename = "type")]
    kind: Spanned<String>,
    env: Option<Spanned<String>>,
    token_url: Option<Spanned<String>>,
    client_id: Option<Spanned<String>>,
    client_secret_env: Option<Spanned<String>>,
    scope: Option<Spanned<String>>,
    client_auth: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFixtures {
    user_name_domain: Option<Spanned<String>>,
    extra_create_fields: Option<Spanned<Value>>,
}

/// Reads environment variables (the process environment, or a map in tests).
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, empty values counting as unset.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

struct Parser<'a> {
    path: &'a Path,
    source: &'a str,
}

impl Parser<'_> {
    fn pos(&self, span: &Range<usize>) -> Pos {
        let start = span.start.min(self.source.len());
        let before = &self.source[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() + 1;
        Pos {
            file: self.path.to_path_buf(),
            line: line as u64,
            col: col as u64,
        }
    }

    fn error(&self, message: impl Into<String>, span: &Range<usize>) -> ConfigError {
        ConfigError::Invalid(Box::new(Diagnostic::new(
            message,
            self.pos(span),
            self.source,
        )))
    }

    fn located<T: Clone>(&self, s: &Spanned<T>) -> Located<T> {
        let pos = self.pos(&s.span());
        Located {
            value: s.get_ref().clone(),
            line: scimcert::diag::line_of(self.source, pos.line),
            pos,
        }
    }

    fn url(&self, s: &Spanned<String>, what: &str) -> Result<String, ConfigError> {
        let text = s.get_ref().trim();
        match reqwest::Url::parse(text) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(text.to_string()),
            Ok(u) => Err(self.error(
                format!("{what} must be an http or https URL, not `{}:`", u.scheme()),
                &s.span(),
            )),
            Err(e) => Err(self.error(format!("{what} `{text}` is not a URL: {e}"), &s.span())),
        }
    }

    fn seconds(&self, s: &Spanned<f64>, what: &str) -> Result<Duration, ConfigError> {
        let v = *s.get_ref();
        if v.is_finite() && v > 0.0 && v <= 86_400.0 {
            Ok(Duration::from_secs_f64(v))
        } else {
            Err(self.error(
                format!("{what} must be a positive number of seconds (at most a day)"),
                &s.span(),
            ))
        }
    }

    fn env_name(&self, s: &Spanned<String>) -> Result<String, ConfigError> {
        let name = s.get_ref();
        let valid = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if valid {
            Ok(name.clone())
        } else {
            Err(self.error(
                format!("`{name}` is not an environment variable name (letters, digits, `_`)"),
                &s.span(),
            ))
        }
    }

    /// A `[headers]`/`[vars]` value: a string, or `{ env = "NAME" }` read from the
    /// environment (a secret).
    fn value(
        &self,
        what: &str,
        v: &Spanned<Value>,
        env: EnvLookup<'_>,
        secrets: &mut Vec<String>,
    ) -> Result<String, ConfigError> {
        match v.get_ref() {
            Value::String(s) => Ok(s.clone()),
            Value::Object(m) if m.len() == 1 => match m.get("env") {
                Some(Value::String(name)) => {
                    let spanned = Spanned::new(v.span(), name.clone());
                    let name = self.env_name(&spanned)?;
                    let value = env(&name).ok_or_else(|| {
                        self.error(
                            format!("{what} comes from ${name}, which is not set"),
                            &v.span(),
                        )
                    })?;
                    secrets.push(value.clone());
                    Ok(value)
                }
                _ => Err(self.error(
                    format!("{what} must be a string or {{ env = \"NAME\" }}"),
                    &v.span(),
                )),
            },
            _ => Err(self.error(
                format!("{what} must be a string or {{ env = \"NAME\" }}"),
                &v.span(),
            )),
        }
    }
}

impl Config {
    /// Reads and validates `path`, taking `{ env = "NAME" }` values from `env`.
    pub fn load(path: &Path, env: EnvLookup<'_>) -> Result<Config, ConfigError> {
        let source = std::fs::read_to_string(path).map_err(|cause| ConfigError::Read {
            path: path.to_path_buf(),
            cause,
        })?;
        Config::parse(&source, path, env)
    }

    /// Validates the text of a configuration file named `path`.
    // Long: one branch per configuration key, in the file's order, each pointing its error at the key.
    pub fn parse(source: &str, path: &Path, env: EnvLookup<'_>) -> Result<Config, ConfigError> {
        let p = Parser { path, source };
        let raw: RawConfig = toml::from_str(source).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            p.error(e.message().trim_end().to_string(), &span)
        })?;
        let mut config = Config {
            path: path.to_path_buf(),
            ..Config::default()
        };
        if let Some(api) = &raw.api {
            config.api = Some(
                api.get_ref()
                    .parse::<Api>()
                    .map_err(|_| p.error("api must be `scim` or `idm`", &api.span()))?,
            );
        }
        if let Some(profile) = &raw.profile {
            let parsed: Profile = profile
                .get_ref()
                .parse()
                .map_err(|e: String| p.error(e, &profile.span()))?;
            if let Some(api) = config.api
                && parsed.api() != api
            {
                return Err(p.error(
                    format!("profile `{parsed}` is for the {} api", parsed.api()),
                    &profile.span(),
                ));
            }
            config.profile = Some(parsed);
        }
        match (&raw.base_url, &raw.host) {
            (Some(_), Some(host)) => {
                return Err(p.error(
                    "give either base_url or host (+ tenant), not both",
                    &host.span(),
                ));
            }
            (Some(url), None) => {
                p.url(url, "base_url")?;
                config.base_url = Some(p.located(url));
            }
            (None, Some(host)) => {
                p.url(host, "host")?;
                config.host = Some(p.located(host));
            }
            (None, None) => {}
        }
        if let Some(tenant) = &raw.tenant {
            let t = tenant.get_ref();
            if t.is_empty() || t.contains(['/', '?', '#', ' ']) {
                return Err(p.error(
                    "tenant must be a non-empty name without `/`, `?`, `#` or spaces",
                    &tenant.span(),
                ));
            }
            config.tenant = Some(t.clone());
            config.tenant_pos = Some(p.pos(&tenant.span()));
        }
        if let Some(t) = &raw.timeout {
            config.timeout = Some(p.seconds(t, "timeout")?);
        }
        if let Some(t) = &raw.connect_timeout {
            config.connect_timeout = Some(p.seconds(t, "connect_timeout")?);
        }
        if let Some(j) = &raw.jobs {
            config.jobs = Some(
                usize::try_from(*j.get_ref())
                    .ok()
                    .filter(|j| (1..=1024).contains(j))
                    .ok_or_else(|| p.error("jobs must be between 1 and 1024", &j.span()))?,
            );
        }
        if let Some(r) = &raw.rate_limit {
            let v = *r.get_ref();
            if !(v.is_finite() && v > 0.0) {
                return Err(p.error(
                    "rate_limit must be a positive number of requests per second",
                    &r.span(),
                ));
            }
            config.rate_limit = Some(v);
        }
        if let Some(m) = &raw.max_retries {
            config.retry.max_retries = u32::try_from(*m.get_ref())
                .ok()
                .filter(|m| *m <= 20)
                .ok_or_else(|| p.error("max_retries must be between 0 and 20", &m.span()))?;
        }
        if let Some(w) = &raw.max_retry_wait {
            config.retry.max_wait = p.seconds(w, "max_retry_wait")?;
        }
        config.discovery = raw.discovery;
        if let Some(proxy) = &raw.proxy {
            config.proxy = Some(p.url(proxy, "proxy")?);
        }
        if let Some(ca) = &raw.ca_file {
            let file = PathBuf::from(ca.get_ref());
            // Relative to the configuration file, so the file works from any folder.
            let file = match path.parent() {
                Some(dir) if file.is_relative() && !dir.as_os_str().is_empty() => dir.join(file),
                _ => file,
            };
            if !file.is_file() {
                return Err(p.error(
                    format!("ca_file {} does not exist", file.display()),
                    &ca.span(),
                ));
            }
            config.ca_file = Some(file);
        }
        config.insecure = raw.insecure.unwrap_or(false);
        let mut secrets = Vec::new();
        for (name, v) in &raw.headers {
            let value = p.value(&format!("header `{name}`"), v, env, &mut secrets)?;
            config.headers.push((name.clone(), value));
        }
        for (name, v) in &raw.vars {
            let value = p.value(&format!("variable `{name}`"), v, env, &mut secrets)?;
            config.vars.insert(name.clone(), value);
        }
        config.secrets = secrets;
        if let Some(auth) = &raw.auth {
            config.auth_pos = Some(p.pos(&auth.span()));
            config.auth = Some(p.auth(auth.get_ref())?);
        }
        if let Some(domain) = &raw.fixtures.user_name_domain {
            let d = domain.get_ref().trim_start_matches('@');
            let valid = !d.is_empty()
                && d.split('.').all(|label| {
                    !label.is_empty()
                        && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
            if !valid {
                return Err(p.error(
                    format!("user_name_domain `{d}` is not a domain name (like example.com)"),
                    &domain.span(),
                ));
            }
            config.user_name_domain = Some(d.to_string());
        }
        if let Some(extra) = &raw.fixtures.extra_create_fields {
            let value = match extra.get_ref() {
                // A JSON text, for bodies easier to write as JSON.
                Value::String(text) => serde_json::from_str(text).map_err(|e| {
                    p.error(
                        format!("extra_create_fields is not a JSON object: {e}"),
                        &extra.span(),
                    )
                })?,
                other => other.clone(),
            };
            match without_toml_dates(value) {
                Value::Object(map) => config.extra_create_fields = map,
                _ => {
                    return Err(p.error(
                        "extra_create_fields must be a table (or a JSON object in a string)",
                        &extra.span(),
                    ));
                }
            }
        }
        Ok(config)
    }

    /// The API base URL: `base_url`, or built from `host` and `tenant` —
    /// `<host>/usergroup/t/<tenant>/scim/v2` for SCIM (VMware Identity Services),
    /// `<host>/userManagement/v1` for the Fabric API.
    pub fn base_url(&self, api: Option<Api>) -> Result<Option<String>, ConfigError> {
        if let Some(url) = &self.base_url {
            return Ok(Some(url.value.trim_end_matches('/').to_string()));
        }
        let Some(host) = &self.host else {
            return Ok(None);
        };
        let invalid = |message: &str| {
            ConfigError::Invalid(Box::new(Diagnostic {
                message: message.to_string(),
                pos: host.pos.clone(),
                line_text: host.line.clone(),
                related: Vec::new(),
            }))
        };
        let host_url = host.value.trim().trim_end_matches('/');
        match api {
            None => Err(invalid("host needs the api (`api = \"scim\"` or --api)")),
            Some(Api::Scim) => match &self.tenant {
                Some(t) => Ok(Some(format!("{host_url}/usergroup/t/{t}/scim/v2"))),
                None => Err(invalid(
                    "host needs a tenant for the scim api (or give the full base_url)",
                )),
            },
            Some(Api::Idm) => Ok(Some(format!("{host_url}/userManagement/v1"))),
        }
    }
}

impl Parser<'_> {
    // Long: one branch per authentication kind and the keys each one allows.
    fn auth(&self, a: &RawAuth) -> Result<AuthSpec, ConfigError> {
        let kind = a.kind.get_ref().to_ascii_lowercase();
        let only = |allowed: &[&str]| -> Result<(), ConfigError> {
            let given: [(&str, Option<Range<usize>>); 6] = [
                ("env", a.env.as_ref().map(Spanned::span)),
                ("token_url", a.token_url.as_ref().map(Spanned::span)),
                ("client_id", a.client_id.as_ref().map(Spanned::span)),
                (
                    "client_secret_env",
                    a.client_secret_env.as_ref().map(Spanned::span),
                ),
                ("scope", a.scope.as_ref().map(Spanned::span)),
                ("client_auth", a.client_auth.as_ref().map(Spanned::span)),
            ];
            for (key, span) in given {
                if let Some(span) = span
                    && !allowed.contains(&key)
                {
                    return Err(self.error(
                        format!("`{key}` does not apply to auth type `{kind}`"),
                        &span,
                    ));
                }
            }
            Ok(())
        };
        let env_or = |default: &str| -> Result<String, ConfigError> {
            a.env
                .as_ref()
                .map_or(Ok(default.to_string()), |e| self.env_name(e))
        };
        match kind.as_str() {
            "none" => {
                only(&[])?;
                Ok(AuthSpec::None)
            }
            "bearer" => {
                only(&["env"])?;
                Ok(AuthSpec::Bearer {
                    env: env_or(DEFAULT_TOKEN_ENV)?,
                })
            }
            "basic" => {
                only(&["env"])?;
                Ok(AuthSpec::Basic {
                    env: env_or(DEFAULT_BASIC_ENV)?,
                })
            }
            "oauth2" => {
                only(&[
                    "token_url",
                    "client_id",
                    "client_secret_env",
                    "scope",
                    "client_auth",
                ])?;
                let missing = |key: &str| {
                    self.error(format!("auth type `oauth2` needs `{key}`"), &a.kind.span())
                };
                let token_url = a.token_url.as_ref().ok_or_else(|| missing("token_url"))?;
                let client_id = a.client_id.as_ref().ok_or_else(|| missing("client_id"))?;
                let client_auth = match &a.client_auth {
                    None => ClientAuth::Basic,
                    Some(s) => match s.get_ref().as_str() {
                        "basic" => ClientAuth::Basic,
                        "body" => ClientAuth::Body,
                        _ => {
                            return Err(
                                self.error("client_auth must be `basic` or `body`", &s.span())
                            );
                        }
                    },
                };
                Ok(AuthSpec::OAuth2 {
                    token_url: self.url(token_url, "token_url")?,
                    client_id: client_id.get_ref().clone(),
                    client_secret_env: a
                        .client_secret_env
                        .as_ref()
                        .map_or(Ok(DEFAULT_CLIENT_SECRET_ENV.to_string()), |e| {
                            self.env_name(e)
                        })?,
                    scope: a.scope.as_ref().map(|s| s.get_ref().clone()),
                    client_auth,
                })
            }
            other => Err(self.error(
                format!("auth type `{other}` is not one of bearer, basic, oauth2, none"),
                &a.kind.span(),
            )),
        }
    }
}

/// TOML date-times as their text (they reach JSON as a private wrapper object).
fn without_toml_dates(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            if map.len() == 1
                && let Some(Value::String(text)) = map.get("$__toml_private_datetime")
            {
                return Value::String(text.clone());
            }
            Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, without_toml_dates(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(without_toml_dates).collect()),
        other => other,
    }
}

/// An error at the position of `[auth]` (e.g. its environment variable is not set).
pub fn auth_error(config: &Config, message: String) -> ConfigError {
    match &config.auth_pos {
        Some(pos) => ConfigError::Invalid(Box::new(Diagnostic {
            message,
            pos: pos.clone(),
            line_text: std::fs::read_to_string(&config.path)
                .ok()
                .and_then(|s| scimcert::diag::line_of(&s, pos.line)),
            related: Vec::new(),
        })),
        None => ConfigError::Invalid(Box::new(Diagnostic {
            message,
            pos: Pos::file_start(&config.path),
            line_text: None,
            related: Vec::new(),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("scimcert.toml"), &no_env)
    }

    fn error_at(text: &str) -> (String, u64, u64) {
        match parse(text) {
            Err(ConfigError::Invalid(d)) => (d.message.clone(), d.pos.line, d.pos.col),
            Err(e) => panic!("unexpected error {e}"),
            Ok(_) => panic!("accepted:\n{text}"),
        }
    }

    #[test]
    fn a_full_file_is_read() {
        let env = |name: &str| (name == "RO").then(|| "read-only-token".to_string());
        let c = Config::parse(
            r#"
api = "scim"
profile = "vmware"
host = "https://idm.example.com/"
tenant = "acme"
timeout = 20
connect_timeout = 2.5
jobs = 2
rate_limit = 5
max_retries = 1
max_retry_wait = 10
discovery = false
proxy = "http://proxy.local:3128"
insecure = true
headers = { "X-Org" = "qa" }

[vars]
readonly_token = { env = "RO" }

[auth]
type = "oauth2"
token_url = "https://login.example.com/token"
client_id = "scimcert"
scope = "scim"

[fixtures]
user_name_domain = "example.com"
extra_create_fields = { department = "QA", name = { familyName = "Cert" } }
"#,
            Path::new("dir/scimcert.toml"),
            &env,
        )
        .expect("valid");
        assert_eq!(
            c.base_url(c.api).expect("url").as_deref(),
            Some("https://idm.example.com/usergroup/t/acme/scim/v2")
        );
        assert_eq!(c.profile, Some(Profile::Vmware));
        assert_eq!(c.timeout, Some(Duration::from_secs(20)));
        assert_eq!(c.connect_timeout, Some(Duration::from_millis(2500)));
        assert_eq!(c.jobs, Some(2));
        assert_eq!(c.rate_limit, Some(5.0));
        assert_eq!(c.retry.max_retries, 1);
        assert_eq!(c.retry.max_wait, Duration::from_secs(10));
        assert_eq!(c.discovery, Some(false));
        assert!(c.insecure);
        assert_eq!(c.headers, vec![("X-Org".into(), "qa".into())]);
        assert_eq!(c.vars["readonly_token"], "read-only-token");
        assert_eq!(c.secrets, vec!["read-only-token".to_string()]);
        assert_eq!(
            c.auth,
            Some(AuthSpec::OAuth2 {
                token_url: "https://login.example.com/token".into(),
                client_id: "scimcert".into(),
                client_secret_env: DEFAULT_CLIENT_SECRET_ENV.into(),
                scope: Some("scim".into()),
                client_auth: ClientAuth::Basic,
            })
        );
        assert_eq!(c.user_name_domain.as_deref(), Some("example.com"));
        assert_eq!(
            Value::Object(c.extra_create_fields),
            serde_json::json!({"department": "QA", "name": {"familyName": "Cert"}})
        );
    }

    #[test]
    fn host_builds_the_base_url_per_api() {
        let c = parse("host = \"https://fabric.example.com\"").expect("valid");
        assert_eq!(
            c.base_url(Some(Api::Idm)).expect("idm").as_deref(),
            Some("https://fabric.example.com/userManagement/v1")
        );
        let e = c
            .base_url(Some(Api::Scim))
            .expect_err("no tenant")
            .to_string();
        assert!(
            e.contains("needs a tenant") && e.contains("scimcert.toml:1:8"),
            "{e}"
        );
        assert!(c.base_url(None).is_err());
        let c = parse("base_url = \"http://h/scim/v2/\"").expect("valid");
        assert_eq!(
            c.base_url(None).expect("url").as_deref(),
            Some("http://h/scim/v2")
        );
    }

    #[test]
    fn syntax_errors_point_at_the_line_and_column() {
        let (msg, line, col) = error_at("api = \"scim\"\ntimeout = = 3\n");
        assert_eq!((line, col), (2, 11), "{msg}");
    }

    #[test]
    fn unknown_keys_and_wrong_types_point_at_the_value() {
        let (msg, line, col) = error_at("api = \"scim\"\n\n  timeuot = 3\n");
        assert!(msg.contains("unknown field `timeuot`"), "{msg}");
        assert_eq!((line, col), (3, 3));
        let (msg, line, col) = error_at("jobs = \"four\"\n");
        assert!(msg.contains("invalid type"), "{msg}");
        assert_eq!((line, col), (1, 8));
        let (msg, line, col) = error_at("[fixtures]\nuser_domain = \"x\"\n");
        assert!(msg.contains("unknown field `user_domain`"), "{msg}");
        assert_eq!((line, col), (2, 1));
    }

    #[test]
    fn values_are_checked_where_they_are_written() {
        for (text, expected, line, col) in [
            ("api = \"ldap\"", "api must be", 1, 7),
            (
                "api = \"idm\"\nprofile = \"vmware\"",
                "is for the scim api",
                2,
                11,
            ),
            ("base_url = \"not a url\"", "is not a URL", 1, 12),
            ("base_url = \"ftp://h/x\"", "http or https", 1, 12),
            (
                "base_url = \"http://a\"\nhost = \"http://b\"",
                "not both",
                2,
                8,
            ),
            ("timeout = 0", "positive number of seconds", 1, 11),
            ("jobs = 0", "between 1 and 1024", 1, 8),
            ("rate_limit = -2", "rate_limit must be", 1, 14),
            ("tenant = \"a/b\"", "tenant must be", 1, 10),
            ("ca_file = \"no-such.pem\"", "does not exist", 1, 11),
            (
                "[vars]\nx = { env = \"UNSET_VAR\" }",
                "$UNSET_VAR, which is not set",
                2,
                5,
            ),
            ("[vars]\nx = 3", "must be a string or", 2, 5),
            ("[auth]\ntype = \"kerberos\"", "not one of bearer", 2, 8),
            (
                "[auth]\ntype = \"bearer\"\ntoken_url = \"http://t\"",
                "does not apply",
                3,
                13,
            ),
            (
                "[auth]\ntype = \"bearer\"\nenv = \"MY-TOKEN\"",
                "not an environment",
                3,
                7,
            ),
            (
                "[auth]\ntype = \"oauth2\"\nclient_id = \"c\"",
                "needs `token_url`",
                2,
                8,
            ),
            (
                "[fixtures]\nuser_name_domain = \"a b\"",
                "not a domain",
                2,
                20,
            ),
            (
                "[fixtures]\nextra_create_fields = \"[1]\"",
                "must be a table",
                2,
                23,
            ),
            (
                "[fixtures]\nextra_create_fields = \"{\"",
                "not a JSON object",
                2,
                23,
            ),
        ] {
            let (msg, l, c) = error_at(text);
            assert!(msg.contains(expected), "{text}: {msg}");
            assert_eq!((l, c), (line, col), "{text}: {msg}");
        }
    }

    #[test]
    fn diagnostics_show_the_file_position_and_line() {
        let e = parse("# settings\napi = \"ldap\"\n").expect_err("bad api");
        let text = e.to_string();
        assert!(text.contains("--> scimcert.toml:2:7"), "{text}");
        assert!(text.contains("api = \"ldap\""), "{text}");
    }

    #[test]
    fn extra_create_fields_may_be_json_and_dates_become_text() {
        let c = parse("[fixtures]\nextra_create_fields = '{\"active\": true}'\n").expect("json");
        assert_eq!(c.extra_create_fields["active"], Value::Bool(true));
        let c =
            parse("[fixtures.extra_create_fields]\nhired = 2024-01-02T03:04:05Z\n").expect("date");
        assert_eq!(
            c.extra_create_fields["hired"],
            Value::String("2024-01-02T03:04:05Z".into())
        );
    }

    #[test]
    fn auth_defaults_name_the_default_variables() {
        let c = parse("[auth]\ntype = \"bearer\"").expect("bearer");
        assert_eq!(
            c.auth,
            Some(AuthSpec::Bearer {
                env: DEFAULT_TOKEN_ENV.into()
            })
        );
        let c = parse("[auth]\ntype = \"basic\"\nenv = \"MY_BASIC\"").expect("basic");
        assert_eq!(
            c.auth,
            Some(AuthSpec::Basic {
                env: "MY_BASIC".into()
            })
        );
        let c = parse("[auth]\ntype = \"none\"").expect("none");
        assert_eq!(c.auth, Some(AuthSpec::None));
    }
}
