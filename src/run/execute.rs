//! Executing one case against one target: setup, steps, cleanup (always), captures,
//! checks, and the verdict.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::api::Profile;
use crate::case::{Expect, Level, LoadedCase, SnapshotSpec, Step, Vars, template};
use crate::check::snapshot;
use crate::check::{self, CheckContext, SchemaRegistry, SnapshotDir, SnapshotOutcome};
use crate::exchange::{FAULT_HEADER, HttpRequest, HttpResponse};
use crate::outcome::{CaseReport, Phase, StepReport, TakenSnapshot};
use crate::outcome::{Failure, Verdict};
use crate::run::http::{CLEANUP_BACKOFF, HttpClient};
use crate::run::target::Target;
use crate::secret::Secrets;

/// What an optional capture holds when the response has no such value: the body
/// matcher for "not there".
const ABSENT: &str = "#absent";

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
    /// Asked to stop (Ctrl-C): the runner never watches signals itself.
    pub cancel: Cancel,
}

/// The report of `lc` against `target` before any step ran: a pass so far.
pub fn start_report(lc: &LoadedCase, target: &Target) -> CaseReport {
    let case = &lc.case;
    CaseReport {
        id: lc.id().to_string(),
        title: case.title.clone(),
        location: lc.pos(case.id.referenced).to_string(),
        api: case.api,
        profile: target.profile,
        level: case.level.value,
        rules: case.rules.clone(),
        tags: case.tags.clone(),
        verdict: Verdict::Pass,
        reason: None,
        steps: Vec::new(),
        duration_ms: 0,
    }
}

/// Why a case does not run against a target: a `skip` with this reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Not selected for the target: another API or profile. Callers that pair cases
    /// with targets leave such pairs out instead of reporting them.
    NotSelected(String),
    /// The target cannot give what the case needs (a fault, an optional feature, a
    /// target variable).
    Unmet(String),
}

impl Skip {
    /// The reason, in words.
    pub fn reason(&self) -> &str {
        match self {
            Skip::NotSelected(r) | Skip::Unmet(r) => r,
        }
    }
}

/// Whether `lc` runs against `target`: the one place that decides it.
pub fn applies(lc: &LoadedCase, target: &Target) -> Result<(), Skip> {
    let case = &lc.case;
    if case.api != target.api {
        return Err(Skip::NotSelected(format!(
            "case is for the {} api, target speaks {}",
            case.api, target.api
        )));
    }
    if !case.runs_under(target.profile) {
        let list: Vec<&str> = case.profiles.iter().map(|p| p.as_str()).collect();
        return Err(Skip::NotSelected(format!(
            "applies to profile(s) {}, not {}",
            list.join(", "),
            target.profile
        )));
    }
    if case.fault.is_some() && !target.builtin {
        return Err(Skip::Unmet(
            "injects a fault, which only the built-in simulation can do".into(),
        ));
    }
    let uses = |pred: &dyn Fn(&Step) -> bool| lc.all_steps().any(|(_, _, s)| pred(s));
    if !target.capabilities.patch && uses(&|s| s.request.method.value.eq_ignore_ascii_case("PATCH"))
    {
        return Err(Skip::Unmet(
            "the server does not advertise PATCH (patch.supported=false)".into(),
        ));
    }
    if let Some(reason) = lc
        .requirements()
        .iter()
        .find_map(|req| target.capabilities.unmet(req))
    {
        return Err(Skip::Unmet(reason));
    }
    let missing: Vec<String> = lc
        .target_variables()
        .iter()
        .filter(|v| !target.vars.contains_key(*v))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(Skip::Unmet(format!(
            "needs target variable(s) {} (give them with --var)",
            missing.join(", ")
        )));
    }
    Ok(())
}

/// The name of a step's snapshot.
pub fn snapshot_name(
    lc: &LoadedCase,
    profile: Profile,
    phase: Phase,
    index: usize,
    spec: &SnapshotSpec,
) -> String {
    let step = match spec {
        SnapshotSpec::Named(n) => n.clone(),
        SnapshotSpec::Enabled(_) => {
            if phase == Phase::Step {
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

/// A request to stop a run, shared by whoever asks (the CLI on Ctrl-C) and the cases:
/// running cases stop after their current step (cleanup still runs), cases not yet
/// started are skipped.
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<std::sync::atomic::AtomicBool>);

impl Cancel {
    /// Asks the run to stop.
    pub fn cancel(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Whether a stop was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Runs one case against one target: setup, then the steps (unless setup failed),
/// then cleanup (always).
pub async fn run_case(lc: &LoadedCase, target: &Target, ctx: &RunContext) -> CaseReport {
    let started = Instant::now();
    let mut report = start_report(lc, target);
    if ctx.cancel.is_cancelled() {
        report.verdict = Verdict::Skip;
        report.reason = Some("interrupted before it started".into());
        return report;
    }
    if let Err(skip) = applies(lc, target) {
        report.verdict = Verdict::Skip;
        report.reason = Some(skip.reason().to_string());
        return report;
    }
    let mut vars: Vars = target.vars.clone();
    vars.insert("run_id".into(), ctx.run_id.clone());
    vars.insert("uuid".into(), crate::util::uuid_v4().to_string());
    let mut run = CaseRun {
        lc,
        target,
        ctx,
        vars,
        report,
    };
    if run.setup().await {
        run.steps().await;
    }
    run.cleanup().await;
    let mut report = run.report;
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

/// One case running against one target: what each of its steps needs, and its report
/// so far.
struct CaseRun<'a> {
    lc: &'a LoadedCase,
    target: &'a Target,
    ctx: &'a RunContext,
    vars: Vars,
    report: CaseReport,
}

/// A step about to run: where it stands and how its failures are graded.
struct StepAt<'s> {
    step: &'s Step,
    phase: Phase,
    index: usize,
    /// `None` for cleanup, whose answers are not graded.
    expect: Option<&'s Expect>,
    level: Level,
}

impl CaseRun<'_> {
    /// Runs the setup steps; false (and an `error` verdict) when one did not succeed.
    async fn setup(&mut self) -> bool {
        for (i, step) in self.lc.case.setup.iter().enumerate() {
            let at = StepAt {
                step,
                phase: Phase::Setup,
                index: i + 1,
                expect: Some(&step.expect),
                level: Level::Must,
            };
            let sr = self.step(at).await;
            let problem = sr
                .error
                .clone()
                .or_else(|| sr.failures.first().map(|f| f.message.clone()));
            self.report.steps.push(sr);
            if let Some(p) = problem {
                self.report.verdict = Verdict::Error;
                self.report.reason = Some(format!(
                    "setup {} did not succeed, so no verdict is possible: {p}",
                    i + 1
                ));
                return false;
            }
        }
        true
    }

    /// Runs the steps under test, until one fails a MUST or cannot be sent.
    async fn steps(&mut self) {
        let (case, ctx) = (&self.lc.case, self.ctx);
        for (i, step) in case.steps.iter().enumerate() {
            if ctx.cancel.is_cancelled() {
                self.report.verdict = self.report.verdict.worst(Verdict::Skip);
                self.report
                    .reason
                    .get_or_insert_with(|| "interrupted".into());
                break;
            }
            let at = StepAt {
                step,
                phase: Phase::Step,
                index: i + 1,
                expect: Some(
                    step.expect_profile
                        .get(&self.target.profile)
                        .unwrap_or(&step.expect),
                ),
                level: case.level.value,
            };
            let mut sr = self.step(at).await;
            // A server that took the lenient branch of a MAY is not held to the SHOULDs
            // of the strict one (the scimType of an error it did not return).
            let lenient = sr.failures.iter().any(|f| f.grade == Verdict::Pass);
            if sr.error.is_none()
                && !lenient
                && let (Some(should), Some(resp)) = (&step.should, &sr.response)
            {
                let cctx = CheckContext {
                    case: self.lc,
                    vars: &self.vars,
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
            if self.report.reason.is_none() {
                self.report.reason = sr
                    .failures
                    .first()
                    .map(|f| format!("{}: {}", sr.label(), f.message));
            }
            self.report.steps.push(sr);
            if let Some(e) = error {
                self.report.verdict = Verdict::Error;
                self.report.reason = Some(format!("step {}: {e}", i + 1));
                break;
            }
            self.report.verdict = self.report.verdict.worst(worst);
            if worst == Verdict::Fail {
                break;
            }
        }
    }

    /// Runs the cleanup steps whose variables exist (unless `--keep`).
    async fn cleanup(&mut self) {
        if self.ctx.keep {
            return;
        }
        for (i, step) in self.lc.case.cleanup.iter().enumerate() {
            if step_missing_var(step, &self.vars).is_some() {
                // A capture from a failed setup is missing: nothing to clean up.
                continue;
            }
            let at = StepAt {
                step,
                phase: Phase::Cleanup,
                index: i + 1,
                expect: None,
                level: Level::Must,
            };
            let sr = self.step(at).await;
            self.report.steps.push(sr);
        }
    }

    /// Sends one step's request and checks its response: captures, expectations,
    /// snapshot. Secrets are masked here, in the record of the exchange, so nothing
    /// downstream (console, reports, snapshots, repros) ever holds one.
    async fn step(&mut self, at: StepAt<'_>) -> StepReport {
        let (lc, ctx) = (self.lc, self.ctx);
        let unsent = HttpRequest {
            method: at.step.request.method.value.clone(),
            url: String::new(),
            headers: Vec::new(),
            body: None,
        };
        let mut sr = StepReport::new(at.phase, at.index, at.step.name.clone(), unsent);
        let secrets = ctx.client.secrets();
        let req = match build_request(lc, self.target, at.step, &self.vars) {
            Ok(r) => r,
            Err(e) => {
                sr.error = Some(secrets.redact(&e));
                return sr;
            }
        };
        // A cleanup that fails leaves a user behind: it is worth a few tries.
        let backoff: &[Duration] = if at.phase == Phase::Cleanup {
            &CLEANUP_BACKOFF
        } else {
            &[]
        };
        let sent = ctx.client.send_noted(&req, backoff, &mut sr.notes).await;
        // Recorded once sent: the request itself becomes the record, without a copy.
        sr.request = secrets.redact_request(req);
        sr.notes = sr.notes.iter().map(|n| secrets.redact(n)).collect();
        let mut resp = match sent {
            Ok(r) => r,
            Err(e) => {
                sr.error = Some(secrets.redact(&e.to_string()));
                return sr;
            }
        };
        let capture_failures = self.capture(at.step, at.level, &resp);
        if let Some(expect) = at.expect {
            let cctx = CheckContext {
                case: lc,
                vars: &self.vars,
                schemas: &ctx.schemas,
            };
            sr.failures = check::check_response(expect, at.level, &resp, &cctx);
            if at.level == Level::May && resp.status >= 500 {
                // The RFC's MAY offers a strict and a lenient answer; a server error is
                // neither, so it warns instead of passing with a note.
                for f in sr.failures.iter_mut().filter(|f| f.grade == Verdict::Pass) {
                    f.grade = Verdict::Warn;
                    f.message = format!(
                        "{} (a {} answer is neither branch the RFC allows)",
                        f.message, resp.status
                    );
                }
            }
            // With snapshots off nothing reads the rendering: it is not made.
            if let Some(spec) = &expect.snapshot
                && !matches!(spec, SnapshotSpec::Enabled(false))
                && !matches!(ctx.snapshots, SnapshotMode::Off)
            {
                self.take_snapshot(spec, &at, &resp, &mut sr);
            }
        }
        sr.failures.extend(capture_failures);
        redact_failures(secrets, &mut sr.failures);
        secrets.redact_response(&mut resp);
        sr.response = Some(resp);
        sr
    }

    /// Stores the step's captures in the variables; a value the response lacks is a
    /// failure, unless the capture is optional.
    fn capture(&mut self, step: &Step, level: Level, resp: &HttpResponse) -> Vec<Failure> {
        let lc = self.lc;
        let mut failures = Vec::new();
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
                    self.vars.insert(name.clone(), v);
                }
                // The server may leave an optional value out; expectations that use the
                // variable then require it to stay out.
                None if cap.value.optional => {
                    self.vars.insert(name.clone(), ABSENT.into());
                }
                None => failures.push(Failure {
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
        failures
    }

    /// Renders the step's snapshot and, with a snapshot folder, compares it.
    fn take_snapshot(
        &self,
        spec: &SnapshotSpec,
        at: &StepAt<'_>,
        resp: &HttpResponse,
        sr: &mut StepReport,
    ) {
        let (lc, target, ctx) = (self.lc, self.target, self.ctx);
        let name = snapshot_name(lc, target.profile, at.phase, at.index, spec);
        let mut redact_vars = self.vars.clone();
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
                    grade: Verdict::for_failed(at.level),
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
}

fn step_missing_var(step: &Step, vars: &Vars) -> Option<String> {
    let mut texts = vec![step.request.path.value.as_str()];
    if let Some(b) = &step.request.body {
        template::strings_in(&b.value, &mut texts);
    }
    texts.extend(step.request.headers.values().map(|h| h.value.as_str()));
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
    let body = match (&r.body, &r.raw) {
        (Some(b), _) => {
            // Nothing to render or merge in (most PATCH bodies): written out as it is.
            let value = if target.fixtures.extra_create_fields.is_empty()
                && !template::holds_template(&b.value)
            {
                std::borrow::Cow::Borrowed(&b.value)
            } else {
                let mut value = template::render_value(&b.value, vars).map_err(missing)?;
                target
                    .fixtures
                    .apply(target.api, &r.method.value, &path, &mut value);
                std::borrow::Cow::Owned(value)
            };
            Some(serde_json::to_string(&value).map_err(|e| e.to_string())?)
        }
        (None, Some(raw)) => Some(template::render(&raw.value, vars).map_err(missing)?),
        (None, None) => None,
    };
    let mut req = target.request_for(
        &r.method.value,
        &path,
        body,
        r.content_type.as_deref(),
        r.auth,
    );
    // A URL already in its written-back form needs no parse here (the client parses
    // it once more to send it; each parse is a few microseconds of every exchange).
    if !r.query.is_empty() || !crate::util::is_serialized_http_url(&req.url) {
        let mut url = reqwest::Url::parse(&req.url).map_err(|e| {
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
        req.url = url.to_string();
    }
    if target.builtin
        && let Some(fault) = &lc.case.fault
    {
        req.set_header(FAULT_HEADER, fault);
    }
    for (k, v) in &r.headers {
        req.set_header(k, &template::render(&v.value, vars).map_err(missing)?);
    }
    Ok(req)
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
    run_each(work, jobs, &mut on_done, move |lc, target| {
        let ctx = ctx.clone();
        async move { run_case(&lc, &target, &ctx).await }
    })
    .await
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
    F: Fn(Arc<LoadedCase>, Target) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = CaseReport> + Send + 'static,
{
    // `jobs` lanes on the runtime's workers each take the next case when theirs ends:
    // no case waits for this (caller's) thread to be woken to start it. A case's future
    // and its target are built when it starts, not all up front, so memory grows with
    // the reports, not with every pending case's state.
    let total = work.len();
    let queue = Arc::new(Queue::of(&work));
    let work = Arc::new(work);
    let run = Arc::new(run);
    let (done, mut reports) = tokio::sync::mpsc::unbounded_channel();
    // Dropping the lanes (this future dropped) aborts them, and each lane's running case.
    let mut lanes = tokio::task::JoinSet::new();
    let lane_count = jobs.clamp(1, total.max(1));
    // One more lane for the cases a simulation answers late: they wait rather than
    // compute, and would otherwise leave a core idle for as long as they wait. Faults
    // run only against the simulations, so a real server never sees more than `jobs`.
    let late_lane = !queue.late.is_empty();
    for lane in 0..lane_count + usize::from(late_lane) {
        let late_only = lane == lane_count;
        let (work, queue, run, done) = (work.clone(), queue.clone(), run.clone(), done.clone());
        lanes.spawn(async move {
            while let Some(i) = queue.take(late_only) {
                let (lc, target) = &work[i];
                let mut one = tokio::task::JoinSet::new();
                one.spawn(run(lc.clone(), target.clone()));
                let report = match one.join_next().await {
                    Some(Ok(report)) => report,
                    Some(Err(e)) => panicked_report(lc, target, e),
                    None => return,
                };
                if done.send((i, report)).is_err() {
                    return;
                }
            }
        });
    }
    drop(done);
    let mut out: Vec<Option<CaseReport>> = vec![None; total];
    while let Some((i, mut report)) = reports.recv().await {
        on_done(&mut report);
        out[i] = Some(report);
    }
    out.into_iter().flatten().collect()
}

/// The cases of a run in the order lanes take them: those a simulation answers late
/// (a `latency=` fault) apart from the rest, each list with its own cursor.
struct Queue {
    late: Vec<usize>,
    rest: Vec<usize>,
    next_late: std::sync::atomic::AtomicUsize,
    next_rest: std::sync::atomic::AtomicUsize,
}

impl Queue {
    fn of(work: &[(Arc<LoadedCase>, Target)]) -> Queue {
        let answered_late = |(lc, target): &(Arc<LoadedCase>, Target)| {
            target.builtin
                && lc.case.fault.as_deref().is_some_and(|spec| {
                    crate::sim::FaultPlan::parse(spec).is_ok_and(|plan| plan.delays())
                })
        };
        let (late, rest) = (0..work.len()).partition(|&i| answered_late(&work[i]));
        Queue {
            late,
            rest,
            next_late: Default::default(),
            next_rest: Default::default(),
        }
    }

    /// The next case for a lane: the late lane takes only late ones; the others take
    /// the rest, then whatever late ones are still waiting.
    fn take(&self, late_only: bool) -> Option<usize> {
        let from = |list: &[usize], next: &std::sync::atomic::AtomicUsize| {
            list.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                .copied()
        };
        if !late_only && let Some(i) = from(&self.rest, &self.next_rest) {
            return Some(i);
        }
        from(&self.late, &self.next_late)
    }
}

/// The report of a case whose run panicked: an `error` naming the panic.
fn panicked_report(lc: &LoadedCase, target: &Target, e: tokio::task::JoinError) -> CaseReport {
    let mut report = start_report(lc, target);
    report.verdict = Verdict::Error;
    report.reason = Some(format!(
        "the case's run panicked (a bug in scimcert, please report it): {}",
        panic_message(e)
    ));
    report
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

    #[test]
    fn late_cases_have_a_lane_of_their_own_and_every_case_is_taken_once() {
        let text = format!(
            "{TWO_CASES}- id: slow\n  title: t\n  level: MUST\n  api: scim\n  fault: \"PATCH latency=50ms\"\n  steps: [{{request: {{method: GET, path: /Users}}}}]\n"
        );
        let cases =
            crate::case::parse_file(std::path::Path::new("t.yaml"), &text).expect("cases parse");
        let builtin = Target {
            builtin: true,
            ..target()
        };
        let mut work: Vec<_> = cases
            .iter()
            .map(|lc| (Arc::new(lc.clone()), builtin.clone()))
            .collect();
        // Against a real server a fault case is skipped: it is not late there.
        work.push((Arc::new(cases[2].clone()), target()));
        let queue = Queue::of(&work);
        assert_eq!(queue.late, [2]);
        assert_eq!(
            queue.take(true),
            Some(2),
            "the late lane takes the late case"
        );
        assert_eq!(queue.take(true), None, "and only late ones");
        let rest: Vec<_> = std::iter::from_fn(|| queue.take(false)).collect();
        assert_eq!(rest, [0, 1, 3]);
        // With no late lane left to take it, a main lane takes a late case last.
        let queue = Queue::of(&work);
        let all: Vec<_> = std::iter::from_fn(|| queue.take(false)).collect();
        assert_eq!(all, [0, 1, 3, 2]);
    }

    #[tokio::test]
    async fn a_panicking_case_is_an_error_not_a_lost_case() {
        let cases = crate::case::parse_file(std::path::Path::new("t.yaml"), TWO_CASES)
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
                start_report(&lc, &target)
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

#[cfg(test)]
mod may_tests {
    use super::*;
    use crate::api::Api;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const MAY_CASE: &str = "\
- id: strict-parsing
  title: t
  level: MAY
  api: scim
  steps:
    - request: {method: PATCH, path: /Users/1, body: {Operations: []}}
      expect: {status: 400}
      should: {body: {scimType: invalidValue}}
";

    async fn verdict_against(status: u16) -> CaseReport {
        let server = MockServer::builder()
            .disable_request_recording()
            .start()
            .await;
        Mock::given(wiremock::matchers::any())
            .respond_with(ResponseTemplate::new(status).set_body_json(serde_json::json!({})))
            .mount(&server)
            .await;
        let lc = crate::case::parse_file(std::path::Path::new("t.yaml"), MAY_CASE)
            .expect("case parses")
            .remove(0);
        let target = Target {
            api: Api::Scim,
            profile: Profile::Rfc7644,
            base_url: server.uri(),
            auth: Default::default(),
            extra_headers: Vec::new(),
            vars: Vars::new(),
            builtin: false,
            capabilities: Default::default(),
            fixtures: Default::default(),
        };
        let ctx = RunContext {
            client: HttpClient::new(Duration::from_secs(5), Duration::from_secs(2))
                .expect("client"),
            schemas: Arc::new(SchemaRegistry::empty()),
            run_id: "t".into(),
            snapshots: SnapshotMode::Off,
            keep: false,
            cancel: Cancel::default(),
        };
        run_case(&lc, &target, &ctx).await
    }

    #[tokio::test]
    async fn the_lenient_branch_of_a_may_passes_with_a_note_and_no_strict_shoulds() {
        let report = verdict_against(200).await;
        assert_eq!(report.verdict, Verdict::Pass);
        let reason = report.reason.unwrap_or_default();
        assert!(reason.starts_with("note:"), "{reason}");
        // The strict branch's scimType SHOULD is not asked of a server that accepted.
        assert_eq!(
            report.steps[0].failures.len(),
            1,
            "{:?}",
            report.steps[0].failures
        );
    }

    #[tokio::test]
    async fn a_server_error_is_no_branch_of_a_may() {
        let report = verdict_against(500).await;
        assert_eq!(report.verdict, Verdict::Warn);
        let strict = verdict_against(400).await;
        // The strict branch without the SHOULD scimType warns, as a SHOULD does.
        assert_eq!(strict.verdict, Verdict::Warn);
    }
}
