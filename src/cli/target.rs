//! Where requests go and how: the target flags shared by every command that sends
//! requests, merged with `scimcert.toml` (flags win), validated into
//! [`TargetSettings`] before anything is sent.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;

use super::config::{self, AuthSpec, CONFIG_FILE, Config, ConfigError};
use super::{ApiArg, CliError, parse_pairs, parse_profile};
use scimcert::api::{Api, Profile};
use scimcert::case::{USER_NAME_DOMAIN, Vars};
use scimcert::run::{
    Auth, ClientSettings, DEFAULT_TIMEOUT, Fixtures, HttpClient, OAuth2Config, Target,
};
use scimcert::secret::Secrets;

/// Longest connect timeout used when neither flag nor file sets one.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The target of a run (a real server or the built-in simulations) and how to reach it;
/// shared by every command that sends requests. Settings may also come from
/// `scimcert.toml`; a flag overrides the file. No flag takes a secret.
#[derive(Debug, Args, Clone, Default)]
pub struct TargetArgs {
    /// Base URL of a real server's API (e.g. https://host/usergroup/t/T/scim/v2), or
    /// `builtin:<profile>` for one built-in simulation; without it (here or in the config
    /// file), cases run against the built-in simulations.
    #[arg(long)]
    pub target: Option<String>,
    /// API of the real target (without one: of the built-in simulations to use).
    #[arg(long, value_enum)]
    pub api: Option<ApiArg>,
    /// Expectation profile (default: every profile with the simulations; the API's
    /// default profile against a real target).
    #[arg(long, value_parser = parse_profile)]
    pub profile: Option<Profile>,
    /// Extra header for every request, `Name: value`; repeatable.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub header: Vec<String>,
    /// Target variable for cases, `name=value` (e.g. `tenant=acme`; put secrets such as
    /// `readonly_token` in the config file as `{ env = "NAME" }`); repeatable.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub var: Vec<String>,
    /// Per-request timeout in seconds [default: 10].
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Connect timeout in seconds [default: the request timeout, at most 5].
    #[arg(long, value_name = "SECONDS")]
    pub connect_timeout: Option<f64>,
    /// Do not read /ServiceProviderConfig before running against a real SCIM target.
    #[arg(long)]
    pub no_discovery: bool,
    /// Settings file [default: ./scimcert.toml when it exists].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore ./scimcert.toml.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// Accept any TLS certificate (self-signed test servers only; warned about).
    #[arg(long)]
    pub insecure: bool,
    /// PEM file of extra CA certificates to trust.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Send every request through this HTTP(S) proxy (no proxy otherwise; the
    /// HTTP_PROXY/HTTPS_PROXY/NO_PROXY variables are not read).
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// At most N requests per second across the run.
    #[arg(long, value_name = "N")]
    pub rate_limit: Option<f64>,
}

/// How a real target authenticates, once flags, file and environment are read.
#[derive(Clone, Debug)]
enum AuthChoice {
    /// Ready to use.
    Ready(Auth),
    /// OAuth2: the session lives in the HTTP client.
    OAuth2,
    /// The file asks for credentials the environment lacks (an error only when a real
    /// target is used).
    Missing(String),
}

/// Everything [`TargetArgs`] and the configuration file say, merged and validated.
#[derive(Clone, Debug)]
pub struct TargetSettings {
    /// Base URL of the real target (None: the built-in simulations).
    pub target: Option<String>,
    /// API of the real target.
    pub api: Option<Api>,
    /// Expectation profile.
    pub profile: Option<Profile>,
    /// Extra headers for every request (file, then flags).
    pub headers: Vec<(String, String)>,
    /// Case variables (file, then flags).
    pub vars: Vars,
    /// The HTTP client's settings (timeouts, TLS, proxy, pacing, OAuth2, secrets).
    pub client: ClientSettings,
    /// Read /ServiceProviderConfig first.
    pub discovery: bool,
    /// Cases at once, from the file (`--jobs` is the run's own flag).
    pub jobs: Option<usize>,
    /// Fixture adaptations for the real target.
    pub fixtures: Fixtures,
    /// `[fixtures] user_name_domain`.
    pub user_name_domain: Option<String>,
    auth: AuthChoice,
}

fn config_error(e: ConfigError) -> CliError {
    match e {
        ConfigError::Read { .. } => CliError::usage(e.to_string()),
        ConfigError::Invalid(d) => CliError::usage(d.to_string().trim_end().to_string()),
    }
}

fn seconds(value: f64, flag: &str) -> Result<Duration, CliError> {
    if value.is_finite() && value > 0.0 && value <= 86_400.0 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(CliError::usage(format!(
            "{flag} must be a positive number of seconds (at most a day)"
        )))
    }
}

fn check_url(url: &str, what: &str) -> Result<(), CliError> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(()),
        Ok(u) => Err(CliError::usage(format!(
            "{what} `{url}` must be an http or https URL, not `{}:`",
            u.scheme()
        ))),
        Err(e) => Err(CliError::usage(format!("{what} `{url}` is not a URL: {e}"))),
    }
}

/// The password in a URL's `user:pass@`, if any (a secret to mask).
pub(super) fn url_password(url: &str) -> Option<String> {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.password().map(str::to_string))
}

impl TargetArgs {
    /// The configuration file in force: `--config`, else `./scimcert.toml` when it
    /// exists (and `--no-config` is not given).
    pub fn config_file(&self) -> Option<PathBuf> {
        if self.no_config {
            return None;
        }
        if let Some(path) = &self.config {
            return Some(path.clone());
        }
        let default = Path::new(CONFIG_FILE);
        default.is_file().then(|| default.to_path_buf())
    }

    /// Reads the configuration file (if any) and merges the flags over it.
    pub fn resolve(&self) -> Result<TargetSettings, CliError> {
        self.resolve_with(&config::process_env)
    }

    /// [`TargetArgs::resolve`] with environment variables from `env`.
    // Long: flag > environment > config file > default, one block per setting, so the precedence reads in one place.
    pub fn resolve_with(&self, env: config::EnvLookup<'_>) -> Result<TargetSettings, CliError> {
        let file = match self.config_file() {
            Some(path) => Some(Config::load(&path, env).map_err(config_error)?),
            None => None,
        };
        let file_ref = file.as_ref();
        let api = self
            .api
            .map(Api::from)
            .or_else(|| file_ref.and_then(|c| c.api));
        let profile = self.profile.or_else(|| file_ref.and_then(|c| c.profile));
        let target = match &self.target {
            Some(url) => {
                check_url(url, "--target")?;
                Some(url.trim_end_matches('/').to_string())
            }
            None => match file_ref {
                Some(c) => c.base_url(api).map_err(config_error)?,
                None => None,
            },
        };
        // `api` in the file without a server narrows a run to that API's simulations (as
        // `--api` does through `TargetPlan`); a bare `--api` here has no target to describe.
        if target.is_none() && self.api.is_some() {
            return Err(CliError::usage(
                "--api only goes with a target (--target, or base_url/host in the config file)",
            ));
        }

        let mut headers = file_ref.map(|c| c.headers.clone()).unwrap_or_default();
        for (name, value) in parse_pairs(&self.header, ':', "header")? {
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case(&name));
            headers.push((name, value));
        }
        let mut vars: Vars = file_ref.map(|c| c.vars.clone()).unwrap_or_default();
        if let Some(tenant) = file_ref.and_then(|c| c.tenant.clone()) {
            vars.entry("tenant".into()).or_insert(tenant);
        }
        vars.extend(parse_pairs(&self.var, '=', "variable")?);

        let timeout = match (self.timeout, file_ref.and_then(|c| c.timeout)) {
            (Some(t), _) => seconds(t, "--timeout")?,
            (None, Some(t)) => t,
            (None, None) => DEFAULT_TIMEOUT,
        };
        let connect_timeout = match (
            self.connect_timeout,
            file_ref.and_then(|c| c.connect_timeout),
        ) {
            (Some(t), _) => seconds(t, "--connect-timeout")?,
            (None, Some(t)) => t,
            (None, None) => timeout.min(DEFAULT_CONNECT_TIMEOUT),
        };
        let rate_limit = match self.rate_limit {
            Some(n) if !(n.is_finite() && n > 0.0) => {
                return Err(CliError::usage(
                    "--rate-limit must be a positive number of requests per second",
                ));
            }
            Some(n) => Some(n),
            None => file_ref.and_then(|c| c.rate_limit),
        };
        let proxy = match &self.proxy {
            Some(url) => {
                check_url(url, "--proxy")?;
                Some(url.clone())
            }
            None => file_ref.and_then(|c| c.proxy.clone()),
        };
        let ca_file = match &self.ca_file {
            Some(path) if !path.is_file() => {
                return Err(CliError::usage(format!(
                    "--ca-file {} does not exist",
                    path.display()
                )));
            }
            Some(path) => Some(path.clone()),
            None => file_ref.and_then(|c| c.ca_file.clone()),
        };

        let secrets = Secrets::default();
        for value in file_ref.map(|c| c.secrets.as_slice()).unwrap_or_default() {
            secrets.add(value);
        }
        for url in target.iter().chain(proxy.iter()) {
            if let Some(password) = url_password(url) {
                secrets.add(&password);
            }
        }
        let (auth, oauth2) = auth_choice(file_ref, env, &secrets)?;

        let mut client = ClientSettings::new(timeout, connect_timeout);
        client.ca_file = ca_file;
        client.insecure = self.insecure || file_ref.is_some_and(|c| c.insecure);
        client.proxy = proxy;
        client.rate_limit = rate_limit;
        client.retry = file_ref.map(|c| c.retry).unwrap_or_default();
        client.oauth2 = oauth2;
        client.secrets = secrets;
        Ok(TargetSettings {
            target,
            api,
            profile,
            headers,
            vars,
            client,
            discovery: !self.no_discovery && file_ref.and_then(|c| c.discovery).unwrap_or(true),
            jobs: file_ref.and_then(|c| c.jobs),
            fixtures: Fixtures {
                extra_create_fields: file_ref
                    .map(|c| c.extra_create_fields.clone())
                    .unwrap_or_default(),
            },
            user_name_domain: file_ref.and_then(|c| c.user_name_domain.clone()),
            auth,
        })
    }
}

/// Credentials: the file's `[auth]`, else `SCIMCERT_TOKEN`, else `SCIMCERT_BASIC`.
/// Values found are added to `secrets`.
fn auth_choice(
    file: Option<&Config>,
    env: config::EnvLookup<'_>,
    secrets: &Secrets,
) -> Result<(AuthChoice, Option<OAuth2Config>), CliError> {
    let spec = file.and_then(|c| c.auth.clone());
    let where_ = |c: Option<&Config>| {
        c.map(|c| format!(" ([auth] in {})", c.path.display()))
            .unwrap_or_default()
    };
    let basic = |name: &str, value: String| -> Result<AuthChoice, CliError> {
        if !value.contains(':') {
            return Err(CliError::usage(format!(
                "${name} must be `user:pass`{}",
                where_(file)
            )));
        }
        secrets.add_basic(&value);
        Ok(AuthChoice::Ready(Auth::Basic(value)))
    };
    let missing = |name: &str| {
        AuthChoice::Missing(match file {
            Some(c) => config::auth_error(c, format!("${name} is not set"))
                .to_string()
                .trim_end()
                .to_string(),
            None => format!("${name} is not set"),
        })
    };
    Ok(match spec {
        None => match (
            env(config::DEFAULT_TOKEN_ENV),
            env(config::DEFAULT_BASIC_ENV),
        ) {
            (Some(t), _) => {
                secrets.add(&t);
                (AuthChoice::Ready(Auth::Bearer(t)), None)
            }
            (None, Some(b)) => (basic(config::DEFAULT_BASIC_ENV, b)?, None),
            (None, None) => (AuthChoice::Ready(Auth::None), None),
        },
        Some(AuthSpec::None) => (AuthChoice::Ready(Auth::None), None),
        Some(AuthSpec::Bearer { env: name }) => match env(&name) {
            Some(t) => {
                secrets.add(&t);
                (AuthChoice::Ready(Auth::Bearer(t)), None)
            }
            None => (missing(&name), None),
        },
        Some(AuthSpec::Basic { env: name }) => match env(&name) {
            Some(b) => (basic(&name, b)?, None),
            None => (missing(&name), None),
        },
        Some(AuthSpec::OAuth2 {
            token_url,
            client_id,
            client_secret_env,
            scope,
            client_auth,
        }) => match env(&client_secret_env) {
            Some(client_secret) => {
                secrets.add(&client_secret);
                (
                    AuthChoice::OAuth2,
                    Some(OAuth2Config {
                        token_url,
                        client_id,
                        client_secret,
                        scope,
                        client_auth,
                    }),
                )
            }
            None => (missing(&client_secret_env), None),
        },
    })
}

impl TargetSettings {
    /// The HTTP client; warns on stderr when certificates are not verified.
    pub fn client(&self) -> Result<HttpClient, CliError> {
        if self.client.insecure {
            eprintln!(
                "scimcert: WARNING: --insecure: TLS certificates are NOT verified. Anyone \
                 between here and the server can read and change this run's requests, \
                 credentials included. Use it only with a test server; prefer `ca_file`."
            );
        }
        HttpClient::with_settings(self.client.clone()).map_err(|e| CliError::usage(e.to_string()))
    }

    /// [`Self::client`] that trusts no CA, for a run that speaks plain http only.
    pub fn client_without_system_roots(&self) -> Result<HttpClient, CliError> {
        let mut settings = self.client.clone();
        settings.system_roots = false;
        HttpClient::with_settings(settings).map_err(|e| CliError::usage(e.to_string()))
    }

    /// The real target (None: the built-in simulations): authenticated (an OAuth2
    /// token is fetched now, so a bad client stops the run before any case), with its
    /// capabilities discovered unless turned off.
    pub async fn real_target(&self, client: &HttpClient) -> Result<Option<Target>, CliError> {
        let Some(url) = &self.target else {
            return Ok(None);
        };
        let api = self.api.ok_or_else(|| {
            CliError::usage("a target needs its api: --api scim|idm (or `api` in the config file)")
        })?;
        let profile = self.profile.unwrap_or(api.default_profile());
        if profile.api() != api {
            return Err(CliError::usage(format!(
                "profile `{profile}` is for the {} api",
                profile.api()
            )));
        }
        let auth = match &self.auth {
            AuthChoice::Ready(auth) => auth.clone(),
            AuthChoice::Missing(message) => return Err(CliError::usage(message.clone())),
            AuthChoice::OAuth2 => {
                let session = client.oauth2().cloned().ok_or_else(|| {
                    CliError::runtime("the HTTP client was built without the OAuth2 settings")
                })?;
                client
                    .authenticate()
                    .await
                    .map_err(|e| CliError::runtime(e.to_string()))?;
                Auth::OAuth2(session)
            }
        };
        let mut vars = self.vars.clone();
        if let Some(domain) = &self.user_name_domain {
            vars.insert(USER_NAME_DOMAIN.into(), domain.clone());
        }
        let mut target = Target {
            api,
            profile,
            base_url: url.clone(),
            auth,
            extra_headers: self.headers.clone(),
            vars,
            builtin: false,
            capabilities: Default::default(),
            fixtures: self.fixtures.clone(),
        };
        if api == Api::Scim && self.discovery {
            target.capabilities = discover(client, &target).await;
        }
        Ok(Some(target))
    }
}

/// Reads the discovery documents (`/ServiceProviderConfig`, `/Schemas`,
/// `/ResourceTypes`); what cannot be read counts as supported, and says so.
async fn discover(client: &HttpClient, target: &Target) -> scimcert::run::Capabilities {
    let fetch = |endpoint: &'static str| async move {
        let req = target.request("GET", &format!("/{endpoint}"));
        match client.send(&req).await {
            Ok(resp) if resp.status == 200 => resp
                .json
                .ok_or_else(|| "answered 200 without a JSON body".to_string()),
            Ok(resp) => Err(format!("answered {}", resp.status)),
            Err(e) => Err(format!("failed: {e}")),
        }
    };
    let spc = fetch("ServiceProviderConfig").await;
    let schemas = fetch("Schemas").await;
    let resource_types = fetch("ResourceTypes").await;
    scimcert::run::Capabilities::discovered(spc, schemas, resource_types)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cmd {
        #[command(flatten)]
        target: TargetArgs,
    }

    fn args(argv: &[&str]) -> TargetArgs {
        let mut full = vec!["scimcert"];
        full.extend_from_slice(argv);
        Cmd::parse_from(full).target
    }

    fn config_file(text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("scimcert-cfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("scimcert.toml");
        std::fs::write(&path, text).expect("write config");
        path
    }

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    const FILE: &str = r#"
base_url = "http://file.example/scim/v2"
api = "scim"
profile = "rfc7644"
tenant = "acme"
timeout = 20
rate_limit = 3
jobs = 2
discovery = false
headers = { "X-Org" = "file", "X-Keep" = "kept" }
[vars]
readonly_token = { env = "RO_TOKEN" }
[auth]
type = "bearer"
env = "MY_TOKEN"
[fixtures]
user_name_domain = "example.com"
"#;

    #[test]
    fn flags_override_the_file() {
        let path = config_file(FILE);
        let env = env_of(&[("MY_TOKEN", "file-token-123"), ("RO_TOKEN", "ro-token-456")]);
        let a = args(&[
            "--config",
            path.to_str().expect("utf-8"),
            "--target",
            "http://flag.example/v2/",
            "--profile",
            "vmware",
            "--timeout",
            "3",
            "--rate-limit",
            "7",
            "-H",
            "x-org: flag",
            "--var",
            "tenant=other",
        ]);
        let s = a.resolve_with(&env).expect("valid");
        assert_eq!(s.target.as_deref(), Some("http://flag.example/v2"));
        assert_eq!(s.api, Some(Api::Scim));
        assert_eq!(s.profile, Some(Profile::Vmware));
        assert_eq!(s.client.timeout, Duration::from_secs(3));
        assert_eq!(s.client.connect_timeout, Duration::from_secs(3));
        assert_eq!(s.client.rate_limit, Some(7.0));
        assert_eq!(
            s.headers,
            vec![
                ("X-Keep".to_string(), "kept".to_string()),
                ("x-org".to_string(), "flag".to_string())
            ]
        );
        assert_eq!(s.vars["tenant"], "other");
        assert_eq!(s.vars["readonly_token"], "ro-token-456");
        assert_eq!(s.jobs, Some(2));
        assert!(!s.discovery);
        assert_eq!(s.user_name_domain.as_deref(), Some("example.com"));
        assert!(matches!(&s.auth, AuthChoice::Ready(Auth::Bearer(t)) if t == "file-token-123"));
        let masked = s.client.secrets.redact("file-token-123 ro-token-456");
        assert_eq!(masked, "*** ***");

        // Without flags, the file's values stand.
        let s = args(&["--config", path.to_str().expect("utf-8")])
            .resolve_with(&env)
            .expect("valid");
        assert_eq!(s.target.as_deref(), Some("http://file.example/scim/v2"));
        assert_eq!(s.profile, Some(Profile::Rfc7644));
        assert_eq!(s.client.timeout, Duration::from_secs(20));
        assert_eq!(s.client.rate_limit, Some(3.0));
        assert_eq!(s.vars["tenant"], "acme");
    }

    #[test]
    fn no_config_ignores_the_file_and_reads_the_default_variables() {
        let a = args(&["--no-config"]);
        assert_eq!(a.config_file(), None);
        let s = a
            .resolve_with(&env_of(&[("SCIMCERT_BASIC", "u:longpassword")]))
            .expect("valid");
        assert!(s.target.is_none());
        assert_eq!(s.client.timeout, DEFAULT_TIMEOUT);
        assert!(matches!(&s.auth, AuthChoice::Ready(Auth::Basic(_))));
        assert_eq!(s.client.secrets.redact("longpassword"), "***");
    }

    #[test]
    fn a_missing_variable_is_an_error_only_for_a_real_target() {
        let path = config_file("[auth]\ntype = \"bearer\"\nenv = \"NOT_SET_HERE\"\n");
        let s = args(&["--config", path.to_str().expect("utf-8")])
            .resolve_with(&env_of(&[]))
            .expect("fine for the simulations");
        match &s.auth {
            AuthChoice::Missing(m) => {
                assert!(m.contains("$NOT_SET_HERE is not set"), "{m}");
                assert!(m.contains("scimcert.toml:1:1"), "{m}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_flags_are_usage_errors() {
        let env = env_of(&[]);
        for (argv, expected) in [
            (vec!["--timeout", "0"], "--timeout must be"),
            (vec!["--rate-limit=-1"], "--rate-limit must be"),
            (vec!["--target", "nope"], "is not a URL"),
            (vec!["--proxy", "socks9://x"], "http or https"),
            (vec!["--api", "scim"], "only goes with a target"),
            (vec!["--ca-file", "/no/such/ca.pem"], "does not exist"),
            (vec!["--config", "/no/such/scimcert.toml"], "cannot read"),
        ] {
            let mut argv = argv;
            argv.push("--no-discovery");
            let e = args(&argv).resolve_with(&env).expect_err(expected);
            assert_eq!(e.code, scimcert::exit::USAGE);
            assert!(e.message.contains(expected), "{argv:?}: {}", e.message);
        }
    }

    #[test]
    fn config_errors_point_into_the_file() {
        let path = config_file("api = \"scim\"\nrate_limit = \"fast\"\n");
        let e = args(&["--config", path.to_str().expect("utf-8")])
            .resolve_with(&env_of(&[]))
            .expect_err("bad type");
        assert_eq!(e.code, scimcert::exit::USAGE);
        assert!(
            e.message.contains(&format!("--> {}:2:14", path.display())),
            "{}",
            e.message
        );
    }
}
