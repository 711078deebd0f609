//! Executing one case against one target: setup, steps, cleanup (always), captures,
//! checks, and the verdict.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::api::Profile;
use crate::case::load::LoadedCase;
use crate::case::model::{Expect, Level, SnapshotSpec, Step};
use crate::case::template::{self, Vars};
use crate::check::snapshot::{self, SnapshotDir, SnapshotOutcome};
use crate::check::{self, CheckContext, Failure, SchemaRegistry, Verdict};
use crate::run::http::{CLEANUP_BACKOFF, HttpClient, HttpRequest, HttpResponse};
use crate::run::secret::Secrets;
use crate::run::target::Target;

/// What an optional capture holds when the response has no such value: the body
/// matcher for "not there".
const ABSENT: &str = "#absent";

/// Header through which a case asks the built-in simulation for a fault.
pub const FAULT_HEADER: &str = "x-scimcert-fault";

/// What to do with `snapshot:` expectations.
pub enum SnapshotMode {
    /// Ignore them.
    Off,
    /// Compare with (and record into) a folder of `.snap` files.
    Dir(SnapshotDir),
    /// Keep the rendered snapshots in the report (the test harness asserts them).
    Collect,
}

/// Shared state of a run.
pub struct RunContext {
    /// HTTP client.
    pub client: HttpClient,
    /// Compiled response schemas.
    pub schemas: Arc<SchemaRegistry>,
    /// Identifier of this run (`{{ run_id }}`).
    pub run_id: String,
    /// Snapshot handling.
    pub snapshots: SnapshotMode,
    /// Leave created fixtures in place (skip cleanup steps) for debugging.
    pub keep: bool,
}

/// A snapshot taken of one step's response.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TakenSnapshot {
    /// Snapshot name (`<api>__<case id>__<step>`).
    pub name: String,
    /// Rendered, redacted content.
    pub content: String,
}

/// What happened in one step.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StepReport {
    /// `setup`, `step` or `cleanup`.
    pub phase: &'static str,
    /// 1-based index within its phase.
    pub index: usize,
    /// The step's name, if any.
    pub name: Option<String>,
    /// The request as sent (secrets masked); `report::curl` renders its repro.
    pub request: HttpRequest,
    /// The response, when one came.
    pub response: Option<HttpResponse>,
    /// Why there was no response, or why the step was not sent.
    pub error: Option<String>,
    /// What the client did to get the response: sent again on a new connection, tried
    /// again after a wait (secrets masked).
    pub notes: Vec<String>,
    /// Failed expectations.
    pub failures: Vec<Failure>,
    /// Snapshot taken, if requested.
    pub snapshot: Option<TakenSnapshot>,
}

impl StepReport {
    /// The record of a step about to send `request`, before anything came back.
    pub fn new(
        phase: &'static str,
        index: usize,
        name: Option<String>,
        request: HttpRequest,
    ) -> StepReport {
        StepReport {
            phase,
            index,
            name,
            request,
            response: None,
            error: None,
            notes: Vec::new(),
            failures: Vec::new(),
            snapshot: None,
        }
    }

    /// `setup 1`, `step 2 (patch)`, ...
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("{} {} ({n})", self.phase, self.index),
            None => format!("{} {}", self.phase, self.index),
        }
    }
}

/// The result of one case against one target.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CaseReport {
    /// Case id.
    pub id: String,
    /// Case title.
    pub title: String,
    /// `file:line:col` of the case.
    pub location: String,
    /// API.
    pub api: String,
    /// Profile run under.
    pub profile: String,
    /// Requirement level.
    pub level: Level,
    /// Rule IDs.
    pub rules: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// The verdict.
    pub verdict: Verdict,
    /// Why (for skip and error; the first failure otherwise).
    pub reason: Option<String>,
    /// Steps in order.
    pub steps: Vec<StepReport>,
    /// Wall time.
    pub duration_ms: u128,
}

impl CaseReport {
    /// The report of `lc` against `target` before any step ran: a pass so far.
    pub fn new(lc: &LoadedCase, target: &Target) -> CaseReport {
        let case = &lc.case;
        CaseReport {
            id: lc.id().to_string(),
            title: case.title.clone(),
            location: lc.pos(case.id.referenced).to_string(),
            api: case.api.to_string(),
            profile: target.profile.to_string(),
            level: case.level.value,
            rules: case.rules.clone(),
            tags: case.tags.clone(),
            verdict: Verdict::Pass,
            reason: None,
            steps: Vec::new(),
            duration_ms: 0,
        }
    }

    /// Frees the response bodies that no report shows, for a run that only reports: the
    /// console, Markdown and JUnit reports show the responses of steps with a failure,
    /// an error or a note, and report.json none. The parsed body of a POST stays, as
    /// the leftover check reads the ids it created. Checks ran already: nothing is
    /// judged on less.
    pub fn drop_unshown_responses(&mut self) {
        for step in &mut self.steps {
            if !step.failures.is_empty() || step.error.is_some() || !step.notes.is_empty() {
                continue;
            }
            if let Some(response) = &mut step.response {
                response.body = Vec::new();
                if !step.request.method.eq_ignore_ascii_case("POST") {
                    response.json = None;
                }
            }
        }
    }

    /// Every failure of every step.
    pub fn failures(&self) -> impl Iterator<Item = (&StepReport, &Failure)> {
        self.steps
            .iter()
            .flat_map(|s| s.failures.iter().map(move |f| (s, f)))
    }
}

/// Why a case does not apply to a target, if it does not.
pub fn skip_reason(lc: &LoadedCase, target: &Target) -> Option<String> {
    let case = &lc.case;
    if case.api != target.api {
        return Some(format!(
            "case is for the {} api, target speaks {}",
            case.api, target.api
        ));
    }
    if !case.profiles.is_empty() && !case.profiles.contains(&target.profile) {
        let list: Vec<&str> = case.profiles.iter().map(|p| p.as_str()).collect();
        return Some(format!(
            "applies to profile(s) {}, not {}",
            list.join(", "),
            target.profile
        ));
    }
    if case.fault.is_some() && !target.builtin {
        return Some("injects a fault, which only the built-in simulation can do".into());
    }
    let uses = |pred: &dyn Fn(&Step) -> bool| lc.all_steps().any(|(_, _, s)| pred(s));
    if !target.capabilities.patch && uses(&|s| s.request.method.value.eq_ignore_ascii_case("PATCH"))
    {
        return Some("the server does not advertise PATCH (patch.supported=false)".into());
    }
    if let Some(reason) = lc
        .requirements()
        .iter()
        .find_map(|req| target.capabilities.unmet(req))
    {
        return Some(reason);
    }
    let missing: Vec<String> = lc
        .target_variables()
        .into_iter()
        .filter(|v| !target.vars.contains_key(v))
        .collect();
    if !missing.is_empty() {
        return Some(format!(
            "needs target variable(s) {} (give them with --var)",
            missing.join(", ")
        ));
    }
    None
}

/// The name of a step's snapshot.
pub fn snapshot_name(
    lc: &LoadedCase,
    profile: Profile,
    phase: &str,
    index: usize,
    spec: &SnapshotSpec,
) -> String {
    let step = match spec {
        SnapshotSpec::Named(n) => n.clone(),
        SnapshotSpec::Enabled(_) => {
            if phase == "step" {
                format!("step{index}")
            } else {
                format!("{phase}{index}")
            }
        }
    };
    let base = format!("{}__{}__{}", lc.case.api, lc.id(), step);
    if profile == lc.case.api.default_profile() {
        base
    } else {
        format!("{base}__{profile}")
    }
}

static STOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Asks running cases to stop after their current step (cleanup still runs) and
/// cases not yet started to be skipped; used on Ctrl-C.
pub fn request_stop() {
    STOP.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Whether a stop was requested.
pub fn stop_requested() -> bool {
    STOP.load(std::sync::atomic::Ordering::SeqCst)
}

/// Runs one case against one target.
pub async fn run_case(lc: &LoadedCase, target: &Target, ctx: &RunContext) -> CaseReport {
    let started = Instant::now();
    let case = &lc.case;
    let mut report = CaseReport::new(lc, target);
    if stop_requested() {
        report.verdict = Verdict::Skip;
        report.reason = Some("interrupted before it started".into());
        return report;
    }
    if let Some(reason) = skip_reason(lc, target) {
        report.verdict = Verdict::Skip;
        report.reason = Some(reason);
        return report;
    }
    let mut vars: Vars = target.vars.clone();
    vars.insert("run_id".into(), ctx.run_id.clone());
    vars.insert("uuid".into(), uuid::Uuid::new_v4().to_string());

    let mut stopped = false;
    for (i, step) in case.setup.iter().enumerate() {
        let sr = run_step(
            lc,
            target,
            ctx,
            step,
            "setup",
            i + 1,
            &mut vars,
            Some(&step.expect),
            Level::Must,
        )
        .await;
        let problem = sr
            .error
            .clone()
            .or_else(|| sr.failures.first().map(|f| f.message.clone()));
        report.steps.push(sr);
        if let Some(p) = problem {
            report.verdict = Verdict::Error;
            report.reason = Some(format!(
                "setup {} did not succeed, so no verdict is possible: {p}",
                i + 1
            ));
            stopped = true;
            break;
        }
    }
    if !stopped {
        for (i, step) in case.steps.iter().enumerate() {
            if stop_requested() {
                report.verdict = report.verdict.worst(Verdict::Skip);
                report.reason.get_or_insert_with(|| "interrupted".into());
                break;
            }
            let expect = step
                .expect_profile
                .get(&target.profile)
                .unwrap_or(&step.expect);
            let mut sr = run_step(
                lc,
                target,
                ctx,
                step,
                "step",
                i + 1,
                &mut vars,
                Some(expect),
                case.level.value,
            )
            .await;
            if sr.error.is_none()
                && let (Some(should), Some(resp)) = (&step.should, &sr.response)
            {
                let cctx = CheckContext {
                    case: lc,
                    vars: &vars,
                    schemas: &ctx.schemas,
                };
                sr.failures
                    .extend(check::check_response(should, Level::Should, resp, &cctx));
            }
            let error = sr.error.clone();
            let worst = sr
                .failures
                .iter()
                .map(|f| f.grade)
                .fold(Verdict::Pass, Verdict::worst);
            if report.reason.is_none() {
                report.reason = sr
                    .failures
                    .first()
                    .map(|f| format!("{}: {}", sr.label(), f.message));
            }
            report.steps.push(sr);
            if let Some(e) = error {
                report.verdict = Verdict::Error;
                report.reason = Some(format!("step {}: {e}", i + 1));
                break;
            }
            report.verdict = report.verdict.worst(worst);
            if worst == Verdict::Fail {
                break;
            }
        }
    }
    for (i, step) in case.cleanup.iter().enumerate() {
        if ctx.keep {
            break;
        }
        let missing = step_missing_var(step, &vars);
        if missing.is_some() {
            // A capture from a failed setup is missing: nothing to clean up.
            continue;
        }
        let sr = run_step(
            lc,
            target,
            ctx,
            step,
            "cleanup",
            i + 1,
            &mut vars,
            None,
            Level::Must,
        )
        .await;
        report.steps.push(sr);
    }
    if report.verdict == Verdict::Pass {
        // Only MAY expectations can have failed: say which branch the server took.
        let note = report.failures().next().map(|(step, f)| {
            format!(
                "note: the server does not take this optional (MAY) behaviour, which the RFC allows; {}: {}",
                step.label(),
                f.message
            )
        });
        report.reason = note;
    }
    report.duration_ms = started.elapsed().as_millis();
    report
}

fn step_missing_var(step: &Step, vars: &Vars) -> Option<String> {
    let mut texts = vec![step.request.path.value.clone()];
    if let Some(b) = &step.request.body {
        template::strings_in(&b.value, &mut texts);
    }
    texts.extend(step.request.headers.values().map(|h| h.value.clone()));
    texts
        .iter()
        .flat_map(|t| template::references(t))
        .map(|(_, n)| n)
        .find(|n| !vars.contains_key(n))
}

/// Builds the HTTP request of a step.
pub fn build_request(
    lc: &LoadedCase,
    target: &Target,
    step: &Step,
    vars: &Vars,
) -> Result<HttpRequest, String> {
    let r = &step.request;
    let missing = |name: String| format!("variable `{name}` has no value");
    let path = template::render(&r.path.value, vars).map_err(missing)?;
    let mut url = reqwest::Url::parse(&format!(
        "{}{}",
        target.base_url.trim_end_matches('/'),
        path
    ))
    .map_err(|e| {
        format!(
            "invalid URL from base `{}` and path `{path}`: {e}",
            target.base_url
        )
    })?;
    if !r.query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in &r.query {
            pairs.append_pair(k, &template::render(&v.value, vars).map_err(missing)?);
        }
    }
    let body = match (&r.body, &r.raw) {
        (Some(b), _) => {
            let mut value = template::render_value(&b.value, vars).map_err(missing)?;
            target
                .fixtures
                .apply(target.api, &r.method.value, &path, &mut value);
            Some(serde_json::to_string(&value).map_err(|e| e.to_string())?)
        }
        (None, Some(raw)) => Some(template::render(&raw.value, vars).map_err(missing)?),
        (None, None) => None,
    };
    let default_type = match lc.case.api {
        crate::api::Api::Scim => "application/scim+json",
        crate::api::Api::Idm => "application/json",
    };
    let mut headers: Vec<(String, String)> = vec![("Accept".into(), default_type.into())];
    if body.is_some() {
        headers.push((
            "Content-Type".into(),
            r.content_type
                .clone()
                .unwrap_or_else(|| default_type.into()),
        ));
    }
    if r.auth
        && let Some(v) = target.auth.header_value()
    {
        headers.push(("Authorization".into(), v));
    }
    if target.builtin
        && let Some(fault) = &lc.case.fault
    {
        headers.push((FAULT_HEADER.into(), fault.clone()));
    }
    let own: Vec<(String, String)> = r
        .headers
        .iter()
        .map(|(k, v)| {
            Ok((
                k.clone(),
                template::render(&v.value, vars).map_err(missing)?,
            ))
        })
        .collect::<Result<_, String>>()?;
    for (k, v) in target.extra_headers.iter().chain(own.iter()) {
        headers.retain(|(hk, _)| !hk.eq_ignore_ascii_case(k));
        headers.push((k.clone(), v.clone()));
    }
    Ok(HttpRequest {
        method: r.method.value.to_ascii_uppercase(),
        url: url.to_string(),
        headers,
        body,
    })
}

#[allow(clippy::too_many_arguments)]
async fn run_step(
    lc: &LoadedCase,
    target: &Target,
    ctx: &RunContext,
    step: &Step,
    phase: &'static str,
    index: usize,
    vars: &mut Vars,
    expect: Option<&Expect>,
    level: Level,
) -> StepReport {
    let unsent = HttpRequest {
        method: step.request.method.value.clone(),
        url: String::new(),
        headers: Vec::new(),
        body: None,
    };
    let mut sr = StepReport::new(phase, index, step.name.clone(), unsent);
    // Secrets are masked here, in the record of the exchange, so nothing downstream
    // (console, reports, snapshots, repros) ever holds one.
    let secrets = ctx.client.secrets();
    let req = match build_request(lc, target, step, vars) {
        Ok(r) => r,
        Err(e) => {
            sr.error = Some(secrets.redact(&e));
            return sr;
        }
    };
    sr.request = secrets.redact_request(&req);
    // A cleanup that fails leaves a user behind: it is worth a few tries.
    let backoff: &[Duration] = if phase == "cleanup" {
        &CLEANUP_BACKOFF
    } else {
        &[]
    };
    let sent = ctx.client.send_noted(&req, backoff, &mut sr.notes).await;
    sr.notes = sr.notes.iter().map(|n| secrets.redact(n)).collect();
    let mut resp = match sent {
        Ok(r) => r,
        Err(e) => {
            sr.error = Some(secrets.redact(&e.to_string()));
            return sr;
        }
    };
    let mut capture_failures = Vec::new();
    for (name, cap) in &step.capture {
        let value = match (&cap.value.body, &cap.value.header) {
            (Some(ptr), _) => resp
                .json
                .as_ref()
                .and_then(|j| j.pointer(ptr))
                .map(value_text),
            (None, Some(h)) => resp.header(h).map(str::to_string),
            (None, None) => None,
        };
        match value {
            Some(v) => {
                vars.insert(name.clone(), v);
            }
            // The server may leave an optional value out; expectations that use the
            // variable then require it to stay out.
            None if cap.value.optional => {
                vars.insert(name.clone(), ABSENT.into());
            }
            None => capture_failures.push(Failure {
                grade: Verdict::for_failed(level),
                pos: lc.pos(cap.referenced),
                line_text: lc.line_text(cap.referenced.line()),
                what: format!("capture {name}"),
                message: format!("cannot capture `{name}`: the response has no such value"),
                mismatches: Vec::new(),
                diff: None,
            }),
        }
    }
    if let Some(expect) = expect {
        let cctx = CheckContext {
            case: lc,
            vars,
            schemas: &ctx.schemas,
        };
        sr.failures = check::check_response(expect, level, &resp, &cctx);
        if let Some(spec) = &expect.snapshot
            && !matches!(spec, SnapshotSpec::Enabled(false))
        {
            take_snapshot(
                lc, target, ctx, spec, phase, index, level, &resp, vars, &mut sr,
            );
        }
    }
    sr.failures.extend(capture_failures);
    redact_failures(secrets, &mut sr.failures);
    secrets.redact_response(&mut resp);
    sr.response = Some(resp);
    sr
}

/// Masks secrets in what a step's checks found (they quote the response).
fn redact_failures(secrets: &Secrets, failures: &mut [Failure]) {
    if secrets.is_empty() {
        return;
    }
    for f in failures {
        f.message = secrets.redact(&f.message);
        for m in &mut f.mismatches {
            m.expected = secrets.redact(&m.expected);
            m.actual = secrets.redact(&m.actual);
        }
        if let Some(diff) = &mut f.diff {
            *diff = secrets.redact(diff);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn take_snapshot(
    lc: &LoadedCase,
    target: &Target,
    ctx: &RunContext,
    spec: &SnapshotSpec,
    phase: &str,
    index: usize,
    level: Level,
    resp: &HttpResponse,
    vars: &Vars,
    sr: &mut StepReport,
) {
    let name = snapshot_name(lc, target.profile, phase, index, spec);
    let mut redact_vars = vars.clone();
    for builtin in ["tenant", "readonly_token"] {
        redact_vars.remove(builtin);
    }
    let content = ctx.client.secrets().redact(&snapshot::render(
        resp.status,
        resp.header("etag"),
        resp.json.as_ref(),
        &target.base_url,
        &redact_vars,
    ));
    if let SnapshotMode::Dir(dir) = &ctx.snapshots {
        let problem = match dir.check(&name, &content) {
            Ok(SnapshotOutcome::Matched | SnapshotOutcome::Recorded(_)) => None,
            Ok(SnapshotOutcome::Changed { old, new_path }) => Some((
                format!(
                    "snapshot `{name}` changed (new version in {})",
                    new_path.display()
                ),
                Some(
                    similar::TextDiff::from_lines(&old, &content)
                        .unified_diff()
                        .header("snapshot", "actual")
                        .to_string(),
                ),
            )),
            Err(e) => Some((format!("snapshot `{name}` cannot be stored: {e}"), None)),
        };
        if let Some((message, diff)) = problem {
            sr.failures.push(Failure {
                grade: Verdict::for_failed(level),
                pos: lc.pos(lc.case.id.referenced),
                line_text: lc.line_text(lc.case.id.referenced.line()),
                what: "snapshot".into(),
                message,
                mismatches: Vec::new(),
                diff,
            });
        }
    }
    sr.snapshot = Some(TakenSnapshot { name, content });
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Runs `work` (case, target) pairs with at most `jobs` at once; results in input order.
pub async fn run_all(
    work: Vec<(Arc<LoadedCase>, Target)>,
    ctx: Arc<RunContext>,
    jobs: usize,
) -> Vec<CaseReport> {
    run_all_with_progress(work, ctx, jobs, |_| {}).await
}

/// [`run_all`], calling `on_done` with each case's report as soon as the case finishes
/// (in finishing order), e.g. to show progress or to trim it
/// ([`CaseReport::drop_unshown_responses`]).
pub async fn run_all_with_progress(
    work: Vec<(Arc<LoadedCase>, Target)>,
    ctx: Arc<RunContext>,
    jobs: usize,
    mut on_done: impl FnMut(&mut CaseReport) + Send,
) -> Vec<CaseReport> {
    // First Ctrl-C: stop starting steps, but clean up what was created; second: leave.
    let watcher = tokio::spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            // A progress line may be drawn on stderr: start the message on a line of its own.
            eprintln!(
                "{}scimcert: interrupted; cleaning up fixtures (press Ctrl-C again to quit at once)",
                crate::report::progress::line_start()
            );
            request_stop();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(crate::exit::INTERRUPTED);
            }
        }
    });
    let reports = run_each(work, jobs, &mut on_done, move |lc, target| {
        let ctx = ctx.clone();
        async move { run_case(&lc, &target, &ctx).await }
    })
    .await;
    watcher.abort();
    reports
}

/// Runs `run` on every (case, target) pair, at most `jobs` at once; results in input
/// order. A run that panics still gives its case a report: an `error` naming the panic,
/// so no case is ever missing from the count.
async fn run_each<F, Fut>(
    work: Vec<(Arc<LoadedCase>, Target)>,
    jobs: usize,
    on_done: &mut (impl FnMut(&mut CaseReport) + Send),
    run: F,
) -> Vec<CaseReport>
where
    F: Fn(Arc<LoadedCase>, Target) -> Fut,
    Fut: std::future::Future<Output = CaseReport> + Send + 'static,
{
    // At most `jobs` cases are started (their futures built) at a time: a case's future
    // and its target are built when it starts, not all up front, so memory grows with
    // the reports, not with every pending case's state.
    let mut set = tokio::task::JoinSet::new();
    let mut task_case = std::collections::HashMap::new();
    let mut out: Vec<Option<CaseReport>> = vec![None; work.len()];
    let mut next = 0;
    loop {
        while next < work.len() && set.len() < jobs.max(1) {
            let (lc, target) = &work[next];
            let case_run = run(lc.clone(), target.clone());
            let i = next;
            let handle = set.spawn(async move { (i, case_run.await) });
            task_case.insert(handle.id(), i);
            next += 1;
        }
        let Some(joined) = set.join_next_with_id().await else {
            break;
        };
        let (i, report) = match joined {
            Ok((_, (i, report))) => (i, report),
            Err(e) => {
                let Some(&i) = task_case.get(&e.id()) else {
                    continue;
                };
                let (lc, target) = &work[i];
                let mut report = CaseReport::new(lc, target);
                report.verdict = Verdict::Error;
                report.reason = Some(format!(
                    "the case's run panicked (a bug in scimcert, please report it): {}",
                    panic_message(e)
                ));
                (i, report)
            }
        };
        let mut report = report;
        on_done(&mut report);
        out[i] = Some(report);
    }
    out.into_iter().flatten().collect()
}

fn panic_message(e: tokio::task::JoinError) -> String {
    if !e.is_panic() {
        return e.to_string();
    }
    let payload = e.into_panic();
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// Default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Api;

    const TWO_CASES: &str = "\
- id: calm
  title: t
  level: MUST
  api: scim
  steps: [{request: {method: GET, path: /Users}}]
- id: doomed
  title: t
  level: MUST
  api: scim
  steps: [{request: {method: GET, path: /Users}}]
";

    fn target() -> Target {
        Target {
            api: Api::Scim,
            profile: Profile::Rfc7644,
            base_url: "http://127.0.0.1:9".into(),
            auth: Default::default(),
            extra_headers: Vec::new(),
            vars: Vars::new(),
            builtin: false,
            capabilities: Default::default(),
            fixtures: Default::default(),
        }
    }

    #[tokio::test]
    async fn a_panicking_case_is_an_error_not_a_lost_case() {
        let cases = crate::case::load::parse_file(std::path::Path::new("t.yaml"), TWO_CASES)
            .expect("cases parse");
        let work: Vec<_> = cases
            .into_iter()
            .map(|lc| (Arc::new(lc), target()))
            .collect();
        let mut seen = Vec::new();
        let reports = run_each(
            work,
            2,
            &mut |r: &mut CaseReport| seen.push(r.id.clone()),
            |lc, target| async move {
                assert!(lc.id() != "doomed", "boom in {}", lc.id());
                CaseReport::new(&lc, &target)
            },
        )
        .await;
        let verdicts: Vec<(&str, Verdict)> =
            reports.iter().map(|r| (r.id.as_str(), r.verdict)).collect();
        assert_eq!(
            verdicts,
            [("calm", Verdict::Pass), ("doomed", Verdict::Error)]
        );
        let reason = reports[1].reason.as_deref().unwrap_or_default();
        assert!(
            reason.contains("panicked") && reason.contains("boom in doomed"),
            "{reason}"
        );
        assert_eq!(seen.len(), 2, "progress saw every case");
        assert_eq!(
            crate::exit::for_verdicts(reports.iter().map(|r| r.verdict), false),
            crate::exit::RUNTIME
        );
    }
}
