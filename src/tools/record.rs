//! `scimcert record`: send requests (from the command line or a file of `curl` lines),
//! and write what came back as a replayable case file.
//!
//! Expectations are the observed ones: the status, and the body with volatile values
//! turned into matchers (`#uuid`, `#datetime`, `#string`) using the same format checks
//! as snapshots. An id an earlier response returned and a later request path uses
//! becomes a `capture:` and `{{ var }}`; an `ETag` a later `If-Match` repeats likewise.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::api::Api;
use crate::case::matcher::{is_datetime, is_uuid};
use crate::case::template::{self, BUILTIN_VARIABLES, TARGET_VARIABLES};
use crate::check::snapshot::is_version;
use crate::exchange::{self, HttpRequest, HttpResponse, TransportError};
use crate::run::{HttpClient, Target};
use crate::tools::curlfile::CurlCommand;

/// Why a recording could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// A request as given cannot be recorded (nothing was sent).
    #[error("{source_pos}: {message}")]
    Input {
        /// `command line` or `file:line`.
        source_pos: String,
        /// What is wrong.
        message: String,
    },
    /// A request got no response.
    #[error("{label}: no response: {error}")]
    Transport {
        /// Which request (`request 2: PATCH /Users/42`).
        label: String,
        /// Why.
        error: TransportError,
    },
    /// The generated case file does not load: a bug in `record`.
    #[error("the recorded case does not load (please report this): {0}")]
    Invalid(String),
}

/// One request to record, relative to the target's base URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    /// `command line` or `file:line`, for messages.
    pub source_pos: String,
    /// Upper-case method.
    pub method: String,
    /// Path under the base URL (starts with `/`, no query string, as encoded).
    pub path: String,
    /// Decoded query parameters.
    pub query: BTreeMap<String, String>,
    /// Headers of this request only (not credentials, not the API's default media types).
    pub headers: Vec<(String, String)>,
    /// Body text.
    pub body: Option<String>,
    /// Content-Type when it is not the API's default.
    pub content_type: Option<String>,
}

/// Methods a case file may use (the loader refuses others).
const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
/// Header names the HTTP client sets itself.
const DROPPED_HEADERS: &[&str] = &["content-length", "host", "user-agent", "expect"];

impl Planned {
    /// A request given on the command line: `path_and_query` relative to the base URL,
    /// `headers` as (name, value) pairs, `data` the body text. Credentials, headers the
    /// target adds anyway and the API's default media types are left out.
    pub fn new(
        source_pos: &str,
        method: &str,
        path_and_query: &str,
        headers: &[(String, String)],
        data: Option<String>,
        target: &Target,
    ) -> Result<Planned, RecordError> {
        let err = |message: String| RecordError::Input {
            source_pos: source_pos.to_string(),
            message,
        };
        if !path_and_query.starts_with('/') {
            return Err(err(format!(
                "path `{path_and_query}` must start with `/` (it is relative to the target base URL)"
            )));
        }
        // Parse against a dummy origin to split and decode the query like the runner does.
        let url = reqwest::Url::parse(&format!("http://base{path_and_query}"))
            .map_err(|e| err(format!("invalid path `{path_and_query}`: {e}")))?;
        let path = match path_and_query.split_once('?') {
            Some((p, _)) => p.to_string(),
            None => path_and_query.to_string(),
        };
        let mut query = BTreeMap::new();
        for (k, v) in url.query_pairs() {
            if query.insert(k.to_string(), v.to_string()).is_some() {
                return Err(err(format!(
                    "query parameter `{k}` appears twice; case files hold one value per name"
                )));
            }
        }
        let method = method.to_ascii_uppercase();
        if !METHODS.contains(&method.as_str()) {
            return Err(err(format!(
                "`{method}` is not a method case files use ({})",
                METHODS.join(", ")
            )));
        }
        let mut planned = Planned {
            source_pos: source_pos.to_string(),
            method,
            path,
            query,
            headers: Vec::new(),
            body: data,
            content_type: None,
        };
        let default_type = target.api.media_type();
        let own_credential = target.auth.header_value();
        for (name, value) in headers {
            let lower = name.to_ascii_lowercase();
            let is_target_header = target
                .extra_headers
                .iter()
                .any(|(k, v)| k.eq_ignore_ascii_case(name) && v == value);
            let masked_or_own = value.contains("***")
                || (lower == "authorization" && own_credential.as_deref() == Some(value));
            if DROPPED_HEADERS.contains(&lower.as_str())
                || is_target_header
                || (crate::exchange::is_secret_header(&lower) && masked_or_own)
            {
                continue;
            }
            match lower.as_str() {
                "accept" if value == default_type => {}
                "content-type" if value == default_type => {}
                "content-type" => planned.content_type = Some(value.clone()),
                _ => planned.headers.push((name.clone(), value.clone())),
            }
        }
        planned.check_no_templates().map_err(err)?;
        Ok(planned)
    }

    /// A request read from a `curl` line; its URL must lie under the target's base URL
    /// (another host with the same base path is accepted, so a repro of a built-in
    /// simulation replays against a fresh one).
    pub fn from_curl(
        file: &str,
        cmd: &CurlCommand,
        target: &Target,
    ) -> Result<Planned, RecordError> {
        let source_pos = format!("{file}:{}", cmd.line);
        let relative =
            relative_url(&cmd.url, &target.base_url).ok_or_else(|| RecordError::Input {
                source_pos: source_pos.clone(),
                message: format!(
                    "`{}` is not under the target base URL `{}`",
                    cmd.url, target.base_url
                ),
            })?;
        Planned::new(
            &source_pos,
            &cmd.method,
            &relative,
            &cmd.headers,
            cmd.data.clone(),
            target,
        )
    }

    /// `{{` in a recorded request would be read as a variable when the case is loaded.
    fn check_no_templates(&self) -> Result<(), String> {
        let mut texts = vec![self.path.clone()];
        texts.extend(self.query.iter().flat_map(|(k, v)| [k.clone(), v.clone()]));
        texts.extend(self.headers.iter().map(|(_, v)| v.clone()));
        texts.extend(self.body.iter().cloned());
        if texts.iter().any(|t| t.contains("{{")) {
            return Err(
                "the request contains `{{`, which case files read as a variable; it cannot be recorded"
                    .into(),
            );
        }
        Ok(())
    }

    /// `METHOD /path?query` for messages and step names.
    pub fn label(&self) -> String {
        let mut s = format!("{} {}", self.method, self.path);
        if !self.query.is_empty() {
            let q: Vec<String> = self.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
            s.push('?');
            s.push_str(&q.join("&"));
        }
        s
    }

    /// The request as the runner would send it for a case step with this content.
    pub fn to_request(&self, target: &Target) -> Result<HttpRequest, String> {
        // The runner fills creates in for servers that need more (`fixtures`); a
        // recording sends what its replay will send.
        let body = match (
            &self.body,
            serde_json::from_str::<Value>(self.body.as_deref().unwrap_or("")),
        ) {
            (Some(_), Ok(mut json)) if !target.fixtures.extra_create_fields.is_empty() => {
                target
                    .fixtures
                    .apply(target.api, &self.method, &self.path, &mut json);
                Some(json.to_string())
            }
            (body, _) => body.clone(),
        };
        let mut req = target.request_for(
            &self.method,
            &self.path,
            body,
            self.content_type.as_deref(),
            true,
        );
        // The method is sent as written (a recording keeps its case).
        req.method = self.method.clone();
        let mut url = reqwest::Url::parse(&req.url).map_err(|e| {
            format!(
                "invalid URL from `{}` and `{}`: {e}",
                target.base_url, self.path
            )
        })?;
        if !self.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in &self.query {
                pairs.append_pair(k, v);
            }
        }
        req.url = url.to_string();
        for (k, v) in &self.headers {
            req.set_header(k, v);
        }
        Ok(req)
    }
}

/// The part of `url` under `base_url` (path and query), or `None` when it is not under
/// it. The host may differ when the base path matches.
pub fn relative_url(url: &str, base_url: &str) -> Option<String> {
    let base = base_url.trim_end_matches('/');
    if let Some(rest) = url.strip_prefix(base)
        && rest.starts_with('/')
    {
        return Some(rest.to_string());
    }
    let u = reqwest::Url::parse(url).ok()?;
    let b = reqwest::Url::parse(base).ok()?;
    let base_path = b.path().trim_end_matches('/');
    let rest = u.path().strip_prefix(base_path)?;
    if !rest.starts_with('/') {
        return None;
    }
    Some(match u.query() {
        Some(q) => format!("{rest}?{q}"),
        None => rest.to_string(),
    })
}

/// One request sent and its response.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// What was asked for.
    pub planned: Planned,
    /// The request as sent, secrets masked.
    pub sent: HttpRequest,
    /// What came back.
    pub response: HttpResponse,
}

/// An id a request named that an earlier run created (a `curl` line from a repro),
/// sent as the id this recording's own create returned instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remapped {
    /// The id as written.
    pub old: String,
    /// The id sent.
    pub new: String,
    /// 0-based index of the request where it was first seen.
    pub request: usize,
}

/// What a recording sent and what came back.
#[derive(Clone, Debug)]
pub struct Recording {
    /// The exchanges, in order (requests as sent, after remapping).
    pub exchanges: Vec<Exchange>,
    /// Ids remapped.
    pub remapped: Vec<Remapped>,
}

/// The shape of an id, to pair an old id with a new one of the same kind: `uuid`, or
/// the text with digit runs folded (`User_12` → `User_#`); `None` for a path segment
/// without digits (a collection name, not an id).
fn id_shape(s: &str) -> Option<String> {
    if is_uuid(s) {
        return Some("uuid".into());
    }
    if !s.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !out.ends_with('#') {
                out.push('#');
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

impl Planned {
    /// This request with every old id of `map` replaced by its new one (whole path
    /// segments, query and header values, and body strings).
    fn remapped(&self, map: &[Remapped]) -> Planned {
        let swap = |s: &str| {
            map.iter()
                .find(|m| m.old == s)
                .map_or_else(|| s.to_string(), |m| m.new.clone())
        };
        let mut p = self.clone();
        p.path = p.path.split('/').map(swap).collect::<Vec<_>>().join("/");
        for v in p.query.values_mut() {
            *v = swap(v);
        }
        for (_, v) in &mut p.headers {
            *v = swap(v);
        }
        if let Some(body) = &p.body
            && let Ok(json) = serde_json::from_str::<Value>(body)
        {
            fn walk(v: &Value, swap: &dyn Fn(&str) -> String) -> Value {
                match v {
                    Value::String(s) => Value::String(swap(s)),
                    Value::Array(items) => {
                        Value::Array(items.iter().map(|i| walk(i, swap)).collect())
                    }
                    Value::Object(m) => {
                        Value::Object(m.iter().map(|(k, v)| (k.clone(), walk(v, swap))).collect())
                    }
                    other => other.clone(),
                }
            }
            let swapped = walk(&json, &swap);
            if swapped != json {
                p.body = Some(swapped.to_string());
            }
        }
        p
    }
}

/// For a path segment naming a resource nobody in this recording created, the id the
/// latest create in the same collection returned (same id shape, not taken yet).
fn replacement(path: &str, done: &[Exchange], map: &[Remapped]) -> Option<(String, String)> {
    let segs: Vec<&str> = path.split('/').collect();
    for (k, seg) in segs.iter().enumerate() {
        let Some(shape) = id_shape(seg) else { continue };
        let known = done
            .iter()
            .any(|e| response_id(&e.response).as_deref() == Some(seg))
            || map.iter().any(|m| m.new == *seg || m.old == *seg);
        if known {
            continue;
        }
        let collection = segs[..k].join("/");
        let created = done.iter().rev().find_map(|e| {
            let id = response_id(&e.response)?;
            let fits = e.planned.method == "POST"
                && (200..300).contains(&e.response.status)
                && e.planned.path.trim_end_matches('/') == collection
                && id_shape(&id).as_deref() == Some(shape.as_str())
                && !map.iter().any(|m| m.new == id);
            fits.then_some(id)
        });
        if let Some(new) = created {
            return Some((seg.to_string(), new));
        }
    }
    None
}

/// Sends `planned` in order; the first request without a response stops the recording.
/// With `remap`, an id in a path that no response of this recording returned, under a
/// collection this recording created something in, is taken for the id an earlier run
/// created there and replaced by the new one (so a repro's curl lines replay against a
/// fresh server).
pub async fn send_all(
    client: &HttpClient,
    target: &Target,
    planned: &[Planned],
    remap: bool,
) -> Result<Recording, RecordError> {
    let mut exchanges: Vec<Exchange> = Vec::new();
    let mut remapped: Vec<Remapped> = Vec::new();
    for (i, original) in planned.iter().enumerate() {
        let mut p = original.remapped(&remapped);
        if remap {
            while let Some((old, new)) = replacement(&p.path, &exchanges, &remapped) {
                remapped.push(Remapped {
                    old,
                    new,
                    request: i,
                });
                p = original.remapped(&remapped);
            }
        }
        let label = format!("request {} ({})", i + 1, p.label());
        let req = p.to_request(target).map_err(|message| RecordError::Input {
            source_pos: p.source_pos.clone(),
            message,
        })?;
        let response = client
            .send(&req)
            .await
            .map_err(|error| RecordError::Transport { label, error })?;
        exchanges.push(Exchange {
            planned: p,
            sent: exchange::masked(&req),
            response,
        });
    }
    Ok(Recording {
        exchanges,
        remapped,
    })
}

/// Where a captured variable comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The response body's `/id`.
    Id,
    /// The response's `ETag` header.
    ETag,
}

/// A value of an earlier response that later requests reuse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Captured {
    /// Variable name.
    pub name: String,
    /// Index of the exchange whose response holds it.
    pub step: usize,
    /// Body `/id` or header `ETag`.
    pub source: Source,
    /// The value observed.
    pub value: String,
}

/// A cleanup request the recorded case gets: `DELETE <collection>/{{ var }}` for a
/// SCIM resource a recorded POST created and no recorded request deleted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cleanup {
    /// Path template, e.g. `/Users/{{ user_id }}`.
    pub path_template: String,
    /// The same path with the observed value, for deleting it now.
    pub path: String,
}

/// What `record` works out from the exchanges: captures and cleanup.
#[derive(Clone, Debug, Default)]
pub struct Analysis {
    /// Captured values, in the order they are first needed.
    pub captures: Vec<Captured>,
    /// Cleanup steps.
    pub cleanup: Vec<Cleanup>,
}

fn response_id(resp: &HttpResponse) -> Option<String> {
    match resp.json.as_ref()?.get("id")? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// A variable name for an id created under `path`: `/Users` → `user_id`.
fn id_name(path: &str) -> String {
    let last = segments(path)
        .filter(|s| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
        .last()
        .unwrap_or("resource")
        .to_ascii_lowercase()
        .replace('-', "_");
    let singular = last
        .strip_suffix('s')
        .filter(|s| !s.is_empty())
        .unwrap_or(&last);
    format!("{singular}_id")
}

impl Analysis {
    /// Finds the captures later requests need and the cleanup the case needs.
    pub fn of(exchanges: &[Exchange], api: Api) -> Analysis {
        let mut a = Analysis::default();
        for (j, ex) in exchanges.iter().enumerate() {
            for seg in segments(&ex.planned.path) {
                let producer =
                    (0..j).find(|&i| response_id(&exchanges[i].response).as_deref() == Some(seg));
                if let Some(i) = producer {
                    a.ensure(i, Source::Id, seg, &exchanges[i].planned.path);
                }
            }
            for (name, value) in &ex.planned.headers {
                if !(name.eq_ignore_ascii_case("if-match")
                    || name.eq_ignore_ascii_case("if-none-match"))
                {
                    continue;
                }
                let producer = (0..j)
                    .rev()
                    .find(|&i| exchanges[i].response.header("etag") == Some(value.as_str()));
                if let Some(i) = producer {
                    a.ensure(i, Source::ETag, value, "etag");
                }
            }
        }
        if api == Api::Scim {
            for (i, ex) in exchanges.iter().enumerate() {
                let created = ex.planned.method == "POST"
                    && (200..300).contains(&ex.response.status)
                    && segments(&ex.planned.path).count() == 1;
                let Some(id) = response_id(&ex.response).filter(|_| created) else {
                    continue;
                };
                let path = format!("{}/{id}", ex.planned.path.trim_end_matches('/'));
                let deleted = exchanges[i + 1..]
                    .iter()
                    .any(|later| later.planned.method == "DELETE" && later.planned.path == path);
                if !deleted {
                    let name = a.ensure(i, Source::Id, &id, &ex.planned.path);
                    a.cleanup.push(Cleanup {
                        path_template: format!(
                            "{}/{{{{ {name} }}}}",
                            ex.planned.path.trim_end_matches('/')
                        ),
                        path,
                    });
                }
            }
        }
        a
    }

    /// The capture of `value` from exchange `step`, created if new; returns its name.
    fn ensure(&mut self, step: usize, source: Source, value: &str, hint: &str) -> String {
        if let Some(c) = self
            .captures
            .iter()
            .find(|c| c.step == step && c.source == source)
        {
            return c.name.clone();
        }
        let base = match source {
            Source::Id => id_name(hint),
            Source::ETag => "etag".to_string(),
        };
        let taken = |n: &str| {
            self.captures.iter().any(|c| c.name == n)
                || BUILTIN_VARIABLES.contains(&n)
                || TARGET_VARIABLES.contains(&n)
        };
        let mut name = base.clone();
        let mut k = 2;
        while taken(&name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        self.captures.push(Captured {
            name: name.clone(),
            step,
            source,
            value: value.to_string(),
        });
        name
    }

    /// Captures available to exchange `j` (made by earlier ones).
    fn before(&self, j: usize) -> impl Iterator<Item = &Captured> {
        self.captures.iter().filter(move |c| c.step < j)
    }
}

/// `{{ name }}` for a captured variable.
fn var(name: &str) -> String {
    format!("{{{{ {name} }}}}")
}

/// A request string with captured values replaced by their variables: the whole string
/// when equal, else (for values long enough not to match by accident) each occurrence.
fn templated(text: &str, available: &[&Captured]) -> String {
    if let Some(c) = available.iter().find(|c| c.value == text) {
        return var(&c.name);
    }
    let mut out = text.to_string();
    for c in available {
        if c.value.len() >= 8 && out.contains(&c.value) {
            out = out.replace(&c.value, &var(&c.name));
        }
    }
    out
}

fn templated_json(value: &Value, available: &[&Captured]) -> Value {
    match value {
        Value::String(s) => Value::String(templated(s, available)),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| templated_json(v, available)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), templated_json(v, available)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// What an expected body may rely on when turning a response into expectations.
struct ExpectContext<'a> {
    /// Variables captured by earlier steps.
    available: Vec<&'a Captured>,
    /// Strings the client itself sent so far: echoed back, they are not volatile.
    sent: BTreeSet<String>,
    /// Values that change from run to run (ids of every response), to spot inside
    /// longer strings such as `meta.location`.
    volatile: Vec<String>,
    /// The target's base URL.
    base_url: &'a str,
}

impl ExpectContext<'_> {
    /// The expectation for one observed string at member `key`.
    fn string(&self, s: &str, key: Option<&str>) -> Value {
        if let Some(c) = self.available.iter().find(|c| c.value == s) {
            return Value::String(var(&c.name));
        }
        let matcher = |m: &str| Value::String(m.to_string());
        if self.sent.contains(s) {
            return literal(s);
        }
        if is_datetime(s) {
            return matcher("#datetime");
        }
        if is_uuid(s) {
            return matcher("#uuid");
        }
        if key == Some("id") || (key == Some("version") && is_version(s)) || s.starts_with("W/\"") {
            return matcher("#string");
        }
        let contains_volatile = (!self.base_url.is_empty() && s.contains(self.base_url))
            || self
                .volatile
                .iter()
                .any(|v| v.len() >= 3 && s.contains(v.as_str()))
            || matches!(key, Some("location" | "$ref"));
        if contains_volatile {
            return matcher("#string");
        }
        literal(s)
    }

    fn value(&self, v: &Value, key: Option<&str>) -> Value {
        match v {
            Value::String(s) => self.string(s, key),
            Value::Array(items) => {
                Value::Array(items.iter().map(|i| self.value(i, None)).collect())
            }
            // Keys are rendered as templates too: a member whose name holds `{{` cannot
            // be written, so it is left out (the body is matched as a subset).
            Value::Object(map) => Value::Object(
                map.iter()
                    .filter(|(k, _)| !k.contains("{{"))
                    .map(|(k, v)| (k.clone(), self.value(v, Some(k))))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// An observed string written so the matcher reads it literally: `#x` becomes `##x`;
/// text with `{{` (read as a variable) can only be checked as a string.
fn literal(s: &str) -> Value {
    if s.contains("{{") {
        Value::String("#string".into())
    } else if s.starts_with('#') {
        Value::String(format!("#{s}"))
    } else {
        Value::String(s.to_string())
    }
}

/// Who and what the recorded case is.
#[derive(Clone, Debug)]
pub struct CaseMeta {
    /// Case id.
    pub id: String,
    /// Case title.
    pub title: String,
    /// `$schema` reference for editors, relative to the case file.
    pub schema_ref: String,
}

/// The case file for `exchanges` (a YAML list holding one case).
pub fn case_file(
    meta: &CaseMeta,
    target: &Target,
    target_label: &str,
    exchanges: &[Exchange],
    analysis: &Analysis,
    redact: &dyn Fn(&str) -> String,
) -> Result<String, RecordError> {
    let steps: Vec<Value> = (0..exchanges.len())
        .map(|j| recorded_step(j, exchanges, analysis, target))
        .collect();
    let mut case = Map::new();
    case.insert("id".into(), json!(meta.id));
    case.insert("title".into(), json!(meta.title));
    case.insert("rules".into(), json!([]));
    case.insert("level".into(), json!("SHOULD"));
    case.insert("api".into(), json!(target.api));
    case.insert("profiles".into(), json!([target.profile]));
    case.insert("tags".into(), json!(["recorded"]));
    case.insert("steps".into(), Value::Array(steps));
    if !analysis.cleanup.is_empty() {
        let cleanup: Vec<Value> = analysis
            .cleanup
            .iter()
            .map(|c| json!({"request": {"method": "DELETE", "path": c.path_template}}))
            .collect();
        case.insert("cleanup".into(), Value::Array(cleanup));
    }
    // Lists indented under their key, as the corpus writes them.
    let mut options = serde_saphyr::SerializerOptions::default();
    options.compact_list_indent = false;
    let yaml =
        serde_saphyr::to_string_with_options(&Value::Array(vec![Value::Object(case)]), options)
            .map_err(|e| RecordError::Invalid(format!("cannot write YAML: {e}")))?;
    let header = format!(
        "# yaml-language-server: $schema={}\n# Recorded by `scimcert record` from {}; the expectations are what it answered.\n",
        meta.schema_ref, target_label,
    );
    Ok(redact(&format!("{header}{yaml}")))
}

/// The request of a recorded step, with the values captured before it as variables,
/// and the step's name (method, path and query).
fn recorded_request(p: &Planned, available: &[&Captured]) -> (String, Map<String, Value>) {
    let mut request = Map::new();
    request.insert("method".into(), json!(p.method));
    let path: Vec<String> = p
        .path
        .split('/')
        .map(
            |seg| match available.iter().find(|c| c.value == seg && !seg.is_empty()) {
                Some(c) => var(&c.name),
                None => seg.to_string(),
            },
        )
        .collect();
    let path = path.join("/");
    let mut name = format!("{} {path}", p.method);
    request.insert("path".into(), json!(path));
    if !p.query.is_empty() {
        let q = templated_pairs(&p.query, available);
        let shown: Vec<String> = q
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
            .collect();
        name.push('?');
        name.push_str(&shown.join("&"));
        request.insert("query".into(), Value::Object(q));
    }
    if !p.headers.is_empty() {
        let h = templated_pairs(p.headers.iter().map(|(k, v)| (k, v)), available);
        request.insert("headers".into(), Value::Object(h));
    }
    if let Some(body) = &p.body {
        match serde_json::from_str::<Value>(body) {
            Ok(json) => {
                request.insert("body".into(), templated_json(&json, available));
            }
            Err(_) => {
                request.insert("raw".into(), json!(templated(body, available)));
            }
        }
    }
    if let Some(ct) = &p.content_type {
        request.insert("content_type".into(), json!(ct));
    }
    (name, request)
}

/// Query or header pairs as a map, with the values captured before as variables.
fn templated_pairs<'p>(
    pairs: impl IntoIterator<Item = (&'p String, &'p String)>,
    available: &[&Captured],
) -> Map<String, Value> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.clone(), Value::String(templated(v, available))))
        .collect()
}

/// Step `j` of a recorded case: its request with the values captured before it as
/// variables, the answer as its expectation, and what later steps capture from it.
fn recorded_step(j: usize, exchanges: &[Exchange], analysis: &Analysis, target: &Target) -> Value {
    let ex = &exchanges[j];
    let available: Vec<&Captured> = analysis.before(j).collect();
    let p = &ex.planned;
    let (name, request) = recorded_request(p, &available);
    let mut expect = Map::new();
    expect.insert("status".into(), json!(ex.response.status));
    if let Some(body) = &ex.response.json {
        let ctx = ExpectContext {
            available: available.clone(),
            sent: sent_strings(&exchanges[..=j]),
            volatile: exchanges
                .iter()
                .filter_map(|e| response_id(&e.response))
                .collect(),
            base_url: &target.base_url,
        };
        expect.insert("body".into(), ctx.value(body, None));
    }
    let mut step = Map::new();
    step.insert("name".into(), json!(name));
    step.insert("request".into(), Value::Object(request));
    step.insert("expect".into(), Value::Object(expect));
    let capture: Map<String, Value> = analysis
        .captures
        .iter()
        .filter(|c| c.step == j)
        .map(|c| {
            let from = match c.source {
                Source::Id => json!({"body": "/id"}),
                Source::ETag => json!({"header": "ETag"}),
            };
            (c.name.clone(), from)
        })
        .collect();
    if !capture.is_empty() {
        step.insert("capture".into(), Value::Object(capture));
    }
    Value::Object(step)
}

/// Every string the client sent in `exchanges`: body strings, path segments, query
/// values and header values.
fn sent_strings(exchanges: &[Exchange]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for ex in exchanges {
        let p = &ex.planned;
        out.extend(segments(&p.path).map(str::to_string));
        out.extend(p.query.values().cloned());
        out.extend(p.headers.iter().map(|(_, v)| v.clone()));
        if let Some(body) = &p.body
            && let Ok(json) = serde_json::from_str::<Value>(body)
        {
            let mut strings = Vec::new();
            template::strings_in(&json, &mut strings);
            out.extend(strings.into_iter().map(str::to_string));
        }
    }
    out
}

/// Checks that `text` loads as a case file with the project's own loader.
pub fn check_loads(path: &Path, text: &str) -> Result<(), RecordError> {
    let cases =
        crate::case::parse_file(path, text).map_err(|d| RecordError::Invalid(d.to_string()))?;
    let corpus = crate::case::Corpus {
        cases,
        sources: [(path.to_path_buf(), text.to_string())].into(),
        catalogue: None,
    };
    let diags = crate::case::validate(&corpus, &BTreeSet::new());
    match diags.first() {
        Some(d) => Err(RecordError::Invalid(d.to_string())),
        None => Ok(()),
    }
}

/// A case id from a file name: `out/My Case.yaml` → `my-case`.
pub fn id_from_path(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut id: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    id = id.trim_matches('-').to_string();
    if id.is_empty() { "recorded".into() } else { id }
}

/// `to` relative to the folder `from_dir` (both absolute, or both relative to the same
/// folder), e.g. `../schemas/case.schema.json`.
pub fn relative_path(from_dir: &Path, to: &Path) -> PathBuf {
    let from: Vec<Component> = from_dir.components().collect();
    let to_parts: Vec<Component> = to.components().collect();
    let common = from
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for part in &to_parts[common..] {
        out.push(part.as_os_str());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Profile;
    use crate::run::{Auth, Capabilities};
    use std::time::Duration;

    fn target() -> Target {
        Target {
            api: Api::Scim,
            profile: Profile::Vmware,
            base_url: "http://127.0.0.1:9/scim/v2".into(),
            auth: Auth::Bearer("s3cr3t-token".into()),
            extra_headers: Vec::new(),
            vars: Default::default(),
            builtin: false,
            capabilities: Capabilities::default(),
            fixtures: Default::default(),
        }
    }

    fn response(status: u16, etag: Option<&str>, body: Option<Value>) -> HttpResponse {
        let mut headers = vec![(
            "content-type".to_string(),
            "application/scim+json".to_string(),
        )];
        if let Some(e) = etag {
            headers.push(("etag".into(), e.into()));
        }
        HttpResponse {
            status,
            headers,
            body: body
                .as_ref()
                .map(|b| b.to_string().into_bytes())
                .unwrap_or_default(),
            json: body,
            elapsed: Duration::ZERO,
        }
    }

    fn exchange(
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
        resp: HttpResponse,
    ) -> Exchange {
        let h: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let planned = Planned::new(
            "test",
            method,
            path,
            &h,
            body.map(str::to_string),
            &target(),
        )
        .unwrap();
        let sent = planned.to_request(&target()).unwrap();
        Exchange {
            planned,
            sent,
            response: resp,
        }
    }

    fn lifecycle() -> Vec<Exchange> {
        let id = "2819c223-7f76-453a-919d-413861904646";
        let user = |nick: &str| {
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "id": id, "userName": "bjensen", "nickName": nick, "tag": "#x",
                "meta": {"created": "2024-01-01T00:00:00Z", "lastModified": "2024-01-01T00:00:01Z",
                         "version": "W/\"2\"", "location": format!("http://127.0.0.1:9/scim/v2/Users/{id}")}
            })
        };
        vec![
            exchange(
                "POST",
                "/Users",
                &[],
                Some(r##"{"userName":"bjensen","nickName":"Babs","tag":"#x"}"##),
                response(201, Some("W/\"1\""), Some(user("Babs"))),
            ),
            exchange(
                "PATCH",
                &format!("/Users/{id}"),
                &[("If-Match", "W/\"1\""), ("Authorization", "Bearer ***")],
                Some(r#"{"Operations":[{"op":"replace","path":"nickName","value":"Bo"}]}"#),
                response(200, Some("W/\"2\""), Some(user("Bo"))),
            ),
            exchange(
                "GET",
                &format!("/Users/{id}?attributes=nickName"),
                &[],
                None,
                response(200, None, Some(json!({"id": id, "nickName": "Bo"}))),
            ),
        ]
    }

    #[test]
    fn command_line_requests_keep_only_their_own_headers() {
        let p = Planned::new(
            "command line",
            "patch",
            "/Users/42?attributes=userName&x=a%20b",
            &[
                ("Authorization".into(), "Bearer ***".into()),
                ("Accept".into(), "application/scim+json".into()),
                ("Content-Type".into(), "application/json".into()),
                ("If-Match".into(), "W/\"1\"".into()),
            ],
            Some("{}".into()),
            &target(),
        )
        .unwrap();
        assert_eq!(p.method, "PATCH");
        assert_eq!(p.path, "/Users/42");
        assert_eq!(p.query["x"], "a b");
        assert_eq!(
            p.headers,
            vec![("If-Match".to_string(), "W/\"1\"".to_string())]
        );
        assert_eq!(p.content_type.as_deref(), Some("application/json"));
        let req = p.to_request(&target()).unwrap();
        assert_eq!(
            req.url,
            "http://127.0.0.1:9/scim/v2/Users/42?attributes=userName&x=a+b"
        );
        assert!(
            req.headers
                .contains(&("Authorization".into(), "Bearer s3cr3t-token".into()))
        );
        assert!(Planned::new("c", "GET", "Users", &[], None, &target()).is_err());
        assert!(Planned::new("c", "GET", "/Users/{{ x }}", &[], None, &target()).is_err());
    }

    #[test]
    fn urls_under_the_base_are_made_relative() {
        let base = "http://127.0.0.1:9/scim/v2";
        assert_eq!(
            relative_url("http://127.0.0.1:9/scim/v2/Users/1", base).as_deref(),
            Some("/Users/1")
        );
        // Another port (a fresh simulation), same base path.
        assert_eq!(
            relative_url("http://127.0.0.1:4444/scim/v2/Users?filter=a", base).as_deref(),
            Some("/Users?filter=a")
        );
        assert_eq!(relative_url("http://127.0.0.1:9/other/Users", base), None);
        assert_eq!(
            relative_url("http://127.0.0.1:9/scim/v2x/Users", base),
            None
        );
    }

    #[test]
    fn ids_and_etags_reused_later_become_captures_and_cleanup() {
        let ex = lifecycle();
        let a = Analysis::of(&ex, Api::Scim);
        assert_eq!(a.captures.len(), 2, "{a:?}");
        assert_eq!(
            (a.captures[0].name.as_str(), a.captures[0].step),
            ("user_id", 0)
        );
        assert_eq!(
            (a.captures[1].name.as_str(), a.captures[1].source.clone()),
            ("etag", Source::ETag)
        );
        assert_eq!(a.cleanup[0].path_template, "/Users/{{ user_id }}");
    }

    #[test]
    fn the_case_file_loads_and_uses_matchers_and_variables() {
        let ex = lifecycle();
        let a = Analysis::of(&ex, Api::Scim);
        let meta = CaseMeta {
            id: "rec".into(),
            title: "recorded: it's \"quoted\" # not a comment".into(),
            schema_ref: "../schemas/case.schema.json".into(),
        };
        let text = case_file(&meta, &target(), "test target", &ex, &a, &|t: &str| {
            t.to_string()
        })
        .unwrap();
        check_loads(Path::new("rec.yaml"), &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let cases = crate::case::parse_file(Path::new("rec.yaml"), &text).unwrap();
        let case = &cases[0].case;
        assert_eq!(case.title, meta.title);
        let first = case.steps[0].expect.body.as_ref().unwrap();
        assert_eq!(first.value["id"], "#uuid");
        assert_eq!(first.value["tag"], "##x", "client-sent `#x` stays literal");
        assert_eq!(first.value["userName"], "bjensen");
        assert_eq!(first.value["meta"]["created"], "#datetime");
        assert_eq!(first.value["meta"]["version"], "#string");
        assert_eq!(first.value["meta"]["location"], "#string");
        assert_eq!(case.steps[1].request.path.value, "/Users/{{ user_id }}");
        assert_eq!(
            case.steps[1].request.headers["If-Match"].value,
            "{{ etag }}"
        );
        assert!(!case.steps[1].request.headers.contains_key("Authorization"));
        let second = case.steps[1].expect.body.as_ref().unwrap();
        assert_eq!(second.value["id"], "{{ user_id }}");
        assert_eq!(case.steps[2].request.query["attributes"].value, "nickName");
        assert_eq!(case.cleanup.len(), 1);
        assert!(text.starts_with("# yaml-language-server: $schema=../schemas/case.schema.json\n"));
    }

    #[test]
    fn stale_ids_are_taken_for_the_ones_created_now() {
        let created = lifecycle();
        let done = &created[..1];
        let new_id = "2819c223-7f76-453a-919d-413861904646";
        let stale = "/Users/11111111-2222-4333-8444-555555555555";
        assert_eq!(
            replacement(stale, done, &[]),
            Some((stale[7..].to_string(), new_id.to_string()))
        );
        // Not an id, an id already known, another collection: left alone.
        assert_eq!(replacement("/Users/does-not-exist", done, &[]), None);
        assert_eq!(replacement(&format!("/Users/{new_id}"), done, &[]), None);
        assert_eq!(
            replacement("/Groups/11111111-2222-4333-8444-555555555555", done, &[]),
            None
        );
        // One new id per old one.
        let taken = [Remapped {
            old: "x".into(),
            new: new_id.into(),
            request: 0,
        }];
        assert_eq!(replacement(stale, done, &taken), None);
        assert_eq!(id_shape("User_977"), id_shape("User_1"));
        assert_ne!(id_shape("User_1"), id_shape(new_id));
        assert_eq!(id_shape("Users"), None);
        let remapped = done[0].planned.remapped(&[Remapped {
            old: "bjensen".into(),
            new: "other".into(),
            request: 0,
        }]);
        assert!(
            remapped
                .body
                .as_deref()
                .is_some_and(|b| b.contains("\"userName\":\"other\""))
        );
    }

    #[test]
    fn ids_come_from_file_names_and_schema_paths_are_relative() {
        assert_eq!(id_from_path(Path::new("out/My Case.yaml")), "my-case");
        assert_eq!(id_from_path(Path::new("???.yaml")), "recorded");
        assert_eq!(
            relative_path(
                Path::new("/w/cases/rec"),
                Path::new("/w/schemas/case.schema.json")
            ),
            PathBuf::from("../../schemas/case.schema.json")
        );
        assert_eq!(id_name("/Users"), "user_id");
        assert_eq!(id_name("/user"), "user_id");
    }

    /// What the recorder writes reads back as the same values, whatever the strings
    /// look like to a YAML 1.1 reader (`NO`, `yes`, `y`, `off`, `010`, `1e3`).
    #[test]
    fn recorded_strings_that_look_like_other_scalars_read_back_as_strings() {
        let body = json!({"country": "NO", "a": "yes", "b": "y", "c": "off", "d": "010", "e": "1e3", "f": true});
        let yaml = serde_saphyr::to_string(&json!([{
            "id": "t", "title": "t", "level": "SHOULD", "api": "scim",
            "steps": [{"request": {"method": "POST", "path": "/Users", "body": body}}]
        }]))
        .expect("writes");
        let cases = crate::case::parse_file(Path::new("rec.yaml"), &yaml).expect("reads back");
        let sent = &cases[0].case.steps[0]
            .request
            .body
            .as_ref()
            .expect("a body")
            .value;
        assert_eq!(sent, &body, "{yaml}");
    }
}
