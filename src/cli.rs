//! The command line: raw flags are parsed by clap, validated into a plan, then run.
//! Only this module and `main.rs` know about flags.

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};

use scimcert::api::{Api, Profile};
use scimcert::case::{Corpus, Level, LoadedCase};
use scimcert::check::SchemaRegistry;
use scimcert::exit;
use scimcert::outcome::Verdict;
use scimcert::plan::BuiltinTargets;
use scimcert::report;
use scimcert::run::{RunContext, Skip, SnapshotMode, Target, applies, run_all_with_progress};
use scimcert::sim::{SimOptions, StandaloneSimulation};

mod cleanup;
mod config;
mod signal;
mod target;
mod tools;

pub use cleanup::{CleanupArgs, cleanup};
pub use target::{TargetArgs, TargetSettings};
pub use tools::{DiffArgs, RecordArgs, ReproArgs, diff, record, repro};

/// scimcert — conformance suite and mock server for SCIM 2.0 PATCH-user endpoints.
#[derive(Debug, Parser)]
#[command(name = "scimcert", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run cases against the built-in simulations or a real server.
    Run(RunArgs),
    /// List the selected cases.
    List(ListArgs),
    /// Serve a simulation until Ctrl-C or SIGTERM (for client authors and CI).
    Mock(MockArgs),
    /// Print rule × number of cases × profiles from the rule catalogue.
    Coverage(CoverageArgs),
    /// Model-based testing: random PATCH sequences on the target vs the reference engine.
    Explore(ExploreArgs),
    /// Print the JSON Schema of case files.
    Schema,
    /// Run one case verbosely: its curl sequence, every exchange, the verdict.
    Repro(ReproArgs),
    /// Send requests and write what came back as a replayable case file.
    Record(RecordArgs),
    /// Run the same cases against two targets and show where they differ.
    Diff(DiffArgs),
    /// Delete the users an earlier run left on a real server (by its run id).
    Cleanup(CleanupArgs),
}

/// The reference profile of `explore` when neither `--profile` nor the configuration
/// file names one.
pub const EXPLORE_REFERENCE: Profile = Profile::Rfc7644;

/// `scimcert explore`.
#[derive(Debug, Args)]
#[command(mut_arg("target", |a| a.help(
    "Base URL of the SCIM API under test, or `builtin:<profile>` for a built-in simulation \
     (default: the built-in simulation of --sim-profile, else of the reference profile)"
)))]
#[command(mut_arg("profile", |a| a.help(
    "Reference profile: which behaviour counts as correct (a SCIM profile) [default: rfc7644]"
)))]
pub struct ExploreArgs {
    /// The target explored and how to reach it (flags and `scimcert.toml`, as for `run`);
    /// `--profile` is the reference profile.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Profile of the built-in simulation explored (the same as `--target
    /// builtin:<profile>`); useful to see how profiles differ.
    #[arg(long, value_parser = parse_profile, conflicts_with = "target")]
    pub sim_profile: Option<Profile>,
    /// Seed: the same seed gives the same sequences.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of sequences.
    #[arg(short = 'n', long = "count", default_value_t = 50)]
    pub count: usize,
    /// PATCH requests per sequence.
    #[arg(long, default_value_t = 4)]
    pub length: usize,
    /// Folder for the case files of the divergences found.
    #[arg(long, default_value = "explore-findings")]
    pub out: PathBuf,
}

/// `scimcert explore`: exit 1 when a divergence was found.
// Long: the command's steps in order (target, reference, sequences, findings), each a call.
pub async fn explore(args: &ExploreArgs) -> Result<i32, CliError> {
    use scimcert::tools::explore::{Explore, case_file};
    if args.count == 0 || args.length == 0 {
        return Err(CliError::usage("--count and --length must be positive"));
    }
    let mut flags = args.target.clone();
    if let Some(p) = args.sim_profile {
        flags.target = Some(format!("{}{p}", tools::BUILTIN_PREFIX));
    }
    let plan = tools::TargetPlan::of(&flags)?;
    let reference = plan.profile().unwrap_or(EXPLORE_REFERENCE);
    let explored_apis = [
        plan.settings.api,
        Some(reference.api()),
        plan.builtin.map(Profile::api),
    ];
    if explored_apis
        .into_iter()
        .flatten()
        .any(|api| api != Api::Scim)
    {
        return Err(CliError::usage(
            "explore works on the SCIM api (profiles rfc7644, vmware, entra, okta)",
        ));
    }
    let client = plan.client()?;
    let resolved = plan
        .start(&client, Some(Api::Scim), Some(reference))
        .await?;
    let target = &resolved.target;
    let redact = tools::redactor(&client);
    let explore = Explore {
        client: &client,
        target,
        profile: reference,
        seed: args.seed,
        count: args.count,
        length: args.length,
        name_prefix: format!("scimcert-{}-explore", short_run_id()),
    };
    println!(
        "exploring {} against the {reference} reference: {} sequences of {} requests, seed {}",
        redact(&resolved.label),
        args.count,
        args.length,
        args.seed
    );
    let findings = explore
        .run()
        .await
        .map_err(|e| CliError::runtime(redact(&format!("exploration stopped: {e}"))))?;
    if findings.is_empty() {
        println!("no divergence in {} sequences", args.count);
        return Ok(exit::OK);
    }
    std::fs::create_dir_all(&args.out)
        .map_err(|e| CliError::runtime(format!("cannot create {}: {e}", args.out.display())))?;
    for f in &findings {
        let path = args
            .out
            .join(format!("explore-{}-{}.yaml", args.seed, f.sequence));
        // What the target answered may carry the run's secrets back.
        write_file(
            &path,
            redact(&case_file(f, reference, args.seed)).as_bytes(),
        )?;
        println!(
            "divergence in sequence {} ({} request(s) after shrinking): {}\n  case file: {}",
            f.sequence,
            f.requests.len(),
            redact(&f.summary),
            path.display()
        );
    }
    println!(
        "{} divergence(s) in {} sequences",
        findings.len(),
        args.count
    );
    Ok(exit::FAILURES)
}

/// Which cases.
#[derive(Debug, Args, Clone)]
pub struct SelectArgs {
    /// Case file or folder.
    #[arg(long, default_value = "cases")]
    pub cases: PathBuf,
    /// Folder of response JSON Schemas.
    #[arg(long, default_value = "schemas")]
    pub schemas: PathBuf,
    /// Only cases whose id matches (exact or glob with `*` and `?`); repeatable.
    #[arg(long = "case", value_name = "ID_OR_GLOB")]
    pub case: Vec<String>,
    /// Only cases with this tag; repeatable.
    #[arg(long)]
    pub tag: Vec<String>,
    /// Only cases checking this rule ID; repeatable.
    #[arg(long)]
    pub rule: Vec<String>,
    /// Only cases of this level; repeatable.
    #[arg(long, value_parser = parse_level)]
    pub level: Vec<Level>,
}

fn parse_level(s: &str) -> Result<Level, String> {
    s.parse()
}

/// `scimcert run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Case selection.
    #[command(flatten)]
    pub select: SelectArgs,
    /// Where the cases run and how to reach it.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Cases run at once (default: number of cores).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Write a JUnit XML report here.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// Write the JSON report here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write junit.xml, report.json and the Markdown certification report report.md
    /// into this folder (created if missing; other files in it are left alone).
    #[arg(long, value_name = "DIR")]
    pub report_dir: Option<PathBuf>,
    /// Compare `snapshot:` expectations with (and record into) this folder.
    #[arg(long)]
    pub snapshots: Option<PathBuf>,
    /// SHOULD failures fail the run too.
    #[arg(long)]
    pub strict: bool,
    /// Print only cases that did not pass, and the summary.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Leave the users cases create (skip cleanup steps), for debugging.
    #[arg(long)]
    pub keep: bool,
}

/// `scimcert list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Case selection.
    #[command(flatten)]
    pub select: SelectArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

/// `scimcert coverage`.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Case selection.
    #[command(flatten)]
    pub select: SelectArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

/// Output format of `list`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ListFormat {
    /// One line per case.
    Text,
    /// A JSON array.
    Json,
}

/// `--api` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ApiArg {
    /// SCIM 2.0 (VMware Identity Services and any RFC 7644 server).
    Scim,
    /// Oracle Fabric userManagement.
    Idm,
}

impl From<ApiArg> for Api {
    fn from(a: ApiArg) -> Api {
        match a {
            ApiArg::Scim => Api::Scim,
            ApiArg::Idm => Api::Idm,
        }
    }
}

fn parse_profile(s: &str) -> Result<Profile, String> {
    s.parse()
}

/// `scimcert mock`.
#[derive(Debug, Args)]
pub struct MockArgs {
    /// Which API to simulate.
    #[arg(value_enum)]
    pub api: ApiArg,
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// SCIM tenant shown in the printed base URL.
    #[arg(long)]
    pub tenant: Option<String>,
    /// Bearer token to accept (default: the built-in one, printed at start).
    #[arg(long)]
    pub token: Option<String>,
    /// Bearer token with read rights only, the `readonly_token` case variable (default:
    /// the built-in one, printed at start).
    #[arg(long, value_name = "TOKEN")]
    pub readonly_token: Option<String>,
    /// Profile to behave as.
    #[arg(long, value_parser = parse_profile)]
    pub profile: Option<Profile>,
    /// IDM profile configuration file (JSON, SCIMConfiguration-like).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Fault rule to inject (e.g. `PATCH /Users/* status=503`); repeatable.
    #[arg(long)]
    pub fault: Vec<String>,
    /// Grade every request against the client obligations and write the client report
    /// (junit.xml, report.json, report.md) into this folder when the mock stops
    /// (Ctrl-C, SIGTERM) or on `POST /_scimcert/client-report`.
    #[arg(long, value_name = "DIR")]
    pub client_report: Option<PathBuf>,
    /// Answer a request that breaks a client MUST with 400 and the API's error body
    /// naming the rule.
    #[arg(long)]
    pub strict_client: bool,
}

/// A failure before or outside verdicts, with the exit code it maps to.
#[derive(Debug)]
pub struct CliError {
    /// Exit code.
    pub code: i32,
    /// Message for stderr.
    pub message: String,
}

impl CliError {
    fn usage(message: impl Into<String>) -> CliError {
        CliError {
            code: exit::USAGE,
            message: message.into(),
        }
    }
    fn runtime(message: impl Into<String>) -> CliError {
        CliError {
            code: exit::RUNTIME,
            message: message.into(),
        }
    }
}

/// Loads schemas and cases, then keeps the selected ones.
pub fn load_selected(
    select: &SelectArgs,
) -> Result<(Arc<SchemaRegistry>, Vec<LoadedCase>), CliError> {
    let schemas = if select.schemas.is_dir() {
        SchemaRegistry::load_dir(&select.schemas).map_err(|e| CliError::usage(e.to_string()))?
    } else {
        return Err(CliError::usage(format!(
            "schema folder {} not found (give it with --schemas)",
            select.schemas.display()
        )));
    };
    let names: BTreeSet<String> = schemas.names();
    let corpus: Corpus = scimcert::case::load_path(&select.cases, &names)
        .map_err(|e| CliError::usage(e.to_string()))?;
    let selected = corpus
        .cases
        .into_iter()
        .filter(|c| selected(select, c))
        .collect();
    Ok((Arc::new(schemas), selected))
}

/// Whether a case passes the selection flags.
pub fn selected(select: &SelectArgs, lc: &LoadedCase) -> bool {
    let c = &lc.case;
    (select.case.is_empty() || select.case.iter().any(|p| glob_match(p, lc.id())))
        && (select.tag.is_empty() || select.tag.iter().any(|t| c.tags.contains(t)))
        && (select.rule.is_empty()
            || select
                .rule
                .iter()
                .any(|r| c.rules.iter().any(|cr| cr.eq_ignore_ascii_case(r))))
        && (select.level.is_empty() || select.level.contains(&c.level.value))
}

/// `*` and `?` glob matching.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t)
}

/// `scimcert list`.
pub fn list(args: &ListArgs) -> Result<i32, CliError> {
    let (_, cases) = load_selected(&args.select)?;
    match args.format {
        ListFormat::Text => {
            for lc in &cases {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    lc.id(),
                    lc.case.api,
                    lc.case.level.value,
                    lc.case.rules.join(","),
                    lc.pos(lc.case.id.referenced)
                );
            }
        }
        ListFormat::Json => {
            let items: Vec<serde_json::Value> = cases
                .iter()
                .map(|lc| {
                    serde_json::json!({
                        "id": lc.id(),
                        "title": lc.case.title,
                        "api": lc.case.api,
                        "level": lc.case.level.value,
                        "rules": lc.case.rules,
                        "tags": lc.case.tags,
                        "profiles": lc.case.profiles,
                        "file": lc.file,
                        "line": lc.case.id.referenced.line(),
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&items).unwrap_or_default()
            );
        }
    }
    Ok(exit::OK)
}

/// `scimcert coverage`: exits 1 when a testable rule has no case.
pub fn coverage(args: &CoverageArgs) -> Result<i32, CliError> {
    let schemas = SchemaRegistry::load_dir(&args.select.schemas)
        .map_err(|e| CliError::usage(e.to_string()))?;
    let corpus = scimcert::case::load_path(&args.select.cases, &schemas.names())
        .map_err(|e| CliError::usage(e.to_string()))?;
    let catalogue = corpus.catalogue.clone().ok_or_else(|| {
        CliError::usage(format!(
            "no rule catalogue ({}) in {}",
            scimcert::case::RULES_FILE,
            args.select.cases.display()
        ))
    })?;
    let rows = report::coverage(&catalogue, &corpus.cases);
    let uncovered = rows
        .iter()
        .filter(|r| r.cases == 0 && r.not_testable.is_none())
        .count();
    match args.format {
        ListFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&rows).unwrap_or_default()
        ),
        ListFormat::Text => {
            let level_width = rows
                .iter()
                .map(|r| r.level.chars().count())
                .max()
                .unwrap_or(5);
            println!(
                "{:<8} {:<level_width$} {:>5}  profiles",
                "rule", "level", "cases"
            );
            for r in &rows {
                let profiles = match &r.not_testable {
                    Some(why) if r.cases == 0 => format!("not testable: {why}"),
                    _ => r
                        .profiles
                        .iter()
                        .map(|p| p.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                };
                println!(
                    "{:<8} {:<level_width$} {:>5}  {profiles}",
                    r.id, r.level, r.cases
                );
            }
            let covered = rows.len() - uncovered;
            println!(
                "{covered} of {} rules covered by {} cases",
                rows.len(),
                corpus.cases.len()
            );
        }
    }
    Ok(if uncovered == 0 {
        exit::OK
    } else {
        exit::FAILURES
    })
}

fn parse_pairs(items: &[String], sep: char, what: &str) -> Result<Vec<(String, String)>, CliError> {
    items
        .iter()
        .map(|h| {
            h.split_once(sep)
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| {
                    CliError::usage(format!("{what} `{h}` must look like `name{sep}value`"))
                })
        })
        .collect()
}

/// `scimcert run`.
// Long: the run's steps in order (plan, context, targets, run, leftovers, output), each a call.
pub async fn run(args: &RunArgs) -> Result<i32, CliError> {
    if args.jobs == Some(0) {
        return Err(CliError::usage("--jobs must be at least 1"));
    }
    // `--target builtin:<profile>` names one simulation, as for the other commands.
    let plan = tools::TargetPlan::of(&args.target)?;
    let settings = &plan.settings;
    let client = if settings.target.is_none()
        && settings.client.oauth2.is_none()
        && settings.client.proxy.is_none()
    {
        // Every URL of the run is a simulation's, plain http on loopback.
        settings.client_without_system_roots()?
    } else {
        settings.client()?
    };
    let (schemas, cases) = load_selected(&args.select)?;
    let run_id = short_run_id();
    let snapshots = match &args.snapshots {
        Some(dir) => SnapshotMode::Dir(scimcert::check::SnapshotDir::new(dir)),
        None => SnapshotMode::Off,
    };
    let real_target = settings.real_target(&client).await?;
    let cancel = scimcert::run::Cancel::default();
    let _ctrl_c = signal::CtrlC::watch(cancel.clone());
    let ctx = Arc::new(RunContext {
        client,
        schemas,
        run_id: run_id.clone(),
        snapshots,
        keep: args.keep,
        cancel: cancel.clone(),
    });
    let jobs = args
        .jobs
        .or(settings.jobs)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));

    let real = real_target.as_ref().map(|t| (t.api, t.base_url.clone()));
    let assumptions = real_target
        .as_ref()
        .map(|t| t.capabilities.assumptions.clone())
        .unwrap_or_default();
    // The simulations serve as long as `_sims` and `_builtin` live.
    let PlannedWork {
        work,
        label,
        _sims,
        _builtin,
    } = plan_work(&plan, real_target, cases, &ctx.client).await?;
    if work.is_empty() {
        eprintln!("scimcert: no case selected");
    }
    // Shared with the client: a token fetched during the run is masked here too.
    let secrets = ctx.client.secrets().clone();
    let label = secrets.redact(&scimcert::secret::strip_userinfo(&label));
    if !args.quiet {
        println!(
            "scimcert {} — {} case run(s) against {label}",
            env!("CARGO_PKG_VERSION"),
            work.len()
        );
    }
    for a in &assumptions {
        eprintln!("scimcert: discovery: {}", secrets.redact(a));
    }
    if let Some(dir) = &args.report_dir {
        // Before any case runs: a folder that cannot be made would lose the whole run.
        report::create_dir(dir).map_err(|e| CliError::runtime(e.to_string()))?;
    }
    let started_at = std::time::SystemTime::now();
    let started = std::time::Instant::now();
    // Without report files, against the simulations (nothing to leave behind), a case
    // that passed or was skipped shows as one line: its steps need not be kept.
    let keep_steps =
        args.report_dir.is_some() || args.junit.is_some() || args.json.is_some() || real.is_some();
    let reports = run_with_progress(work, ctx, jobs, args.quiet, keep_steps).await;
    let mut info = report::RunInfo {
        target: label,
        run_id,
        date: scimcert::util::rfc3339_utc(started_at),
        selection: describe_selection(&args.select),
        strict: args.strict,
        interrupted: cancel.is_cancelled(),
        duration: started.elapsed(),
        assumptions,
        leftovers: Vec::new(),
        cleanup_command: None,
    };
    // Only a real server keeps what a run created; the simulations end with the run.
    if let Some((api, base_url)) = &real {
        info.leftovers = report::leftovers(&reports);
        if !info.leftovers.is_empty() {
            info.cleanup_command = Some(cleanup_command(
                *api,
                &scimcert::secret::strip_userinfo(base_url),
                &info.run_id,
                args.report_dir.as_deref(),
            ));
        }
    }
    print_and_write(args, &reports, &info, &secrets)?;
    if info.interrupted {
        return Ok(exit::INTERRUPTED);
    }
    Ok(exit::for_verdicts(
        reports.iter().map(|r| r.verdict),
        args.strict,
    ))
}

/// The (case, target) pairs of a run and what they run against, in words; the
/// simulations it started serve as long as it lives.
struct PlannedWork {
    work: Vec<(Arc<LoadedCase>, Target)>,
    label: String,
    _sims: Option<BuiltinTargets>,
    _builtin: Option<tools::Resolved>,
}

/// Pairs the cases with the real target, the one named simulation, or the simulations
/// of the selected profiles.
async fn plan_work(
    plan: &tools::TargetPlan,
    real_target: Option<Target>,
    cases: Vec<LoadedCase>,
    client: &scimcert::run::HttpClient,
) -> Result<PlannedWork, CliError> {
    let settings = &plan.settings;
    if let Some(target) = real_target {
        let label = target.label();
        let work = cases
            .into_iter()
            .map(|c| (Arc::new(c), target.clone()))
            .collect();
        return Ok(PlannedWork {
            work,
            label,
            _sims: None,
            _builtin: None,
        });
    }
    if plan.builtin.is_some() {
        let resolved = plan.start(client, None, None).await?;
        return Ok(PlannedWork {
            work: applicable(cases, std::slice::from_ref(&resolved.target)),
            label: resolved.label.clone(),
            _sims: None,
            _builtin: Some(resolved),
        });
    }
    let profiles: Vec<Profile> = match (settings.profile, settings.api) {
        (Some(p), Some(api)) if p.api() != api => {
            return Err(CliError::usage(format!(
                "profile `{p}` is for the {} api, not {api}",
                p.api()
            )));
        }
        (Some(p), _) => vec![p],
        (None, api) => Profile::ALL
            .into_iter()
            .filter(|p| api.is_none_or(|a| p.api() == a))
            .collect(),
    };
    let sims = BuiltinTargets::start(&profiles)
        .await
        .map_err(|e| CliError::runtime(e.to_string()))?;
    let targets: Vec<Target> = sims
        .targets()
        .map(|target| {
            let mut t = target.clone();
            t.extra_headers = settings.headers.clone();
            t.vars.extend(settings.vars.clone());
            t
        })
        .collect();
    let label = format!(
        "built-in simulations ({})",
        profiles
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(PlannedWork {
        work: applicable(cases, &targets),
        label,
        _sims: Some(sims),
        _builtin: None,
    })
}

/// The console lines of a finished run and the report files it asked for.
fn print_and_write(
    args: &RunArgs,
    reports: &[scimcert::outcome::CaseReport],
    info: &report::RunInfo,
    secrets: &scimcert::secret::Secrets,
) -> Result<(), CliError> {
    let color = report::use_color(std::io::stdout().is_terminal());
    for r in reports {
        match r.verdict {
            scimcert::outcome::Verdict::Pass | scimcert::outcome::Verdict::Skip => {
                if !args.quiet {
                    println!("{}", secrets.redact(&report::render_line(r, color)));
                }
            }
            _ => print!("{}", secrets.redact(&report::render_case(r, color))),
        }
    }
    println!("{}", report::render_summary(reports));
    print!("{}", secrets.redact(&report::render_leftovers(info)));
    let runtime = |e: report::ReportError| CliError::runtime(e.to_string());
    if let Some(path) = &args.junit {
        let xml = report::junit_text(reports, info, secrets).map_err(runtime)?;
        write_file(path, xml.as_bytes())?;
    }
    if let Some(path) = &args.json {
        let text = report::json_text(reports, info, secrets).map_err(runtime)?;
        write_file(path, text.as_bytes())?;
    }
    if let Some(dir) = &args.report_dir {
        let catalogue = read_catalogue(&args.select.cases);
        report::write_dir(dir, reports, info, catalogue.as_ref(), secrets).map_err(runtime)?;
    }
    Ok(())
}

/// The `scimcert cleanup` command line that removes what run `run_id` left on `base_url`.
fn cleanup_command(
    api: Api,
    base_url: &str,
    run_id: &str,
    report_dir: Option<&std::path::Path>,
) -> String {
    let mut cmd = format!(
        "scimcert cleanup --target {} --api {api} --run-id {run_id}",
        report::quote_if_needed(base_url)
    );
    if api == Api::Idm {
        // The Fabric API cannot list by prefix: the ids come from the run's report.
        let report = report_dir.map_or_else(
            || "<report-dir>/report.json".to_string(),
            |d| d.join(report::JSON_FILE).display().to_string(),
        );
        cmd.push_str(&format!(" --report {}", report::quote_if_needed(&report)));
    }
    cmd
}

/// Each case paired with each simulation target it applies to (its API, and its
/// profiles if it names any).
fn applicable(cases: Vec<LoadedCase>, targets: &[Target]) -> Vec<(Arc<LoadedCase>, Target)> {
    let mut work = Vec::new();
    for lc in cases {
        let lc = Arc::new(lc);
        for target in targets {
            let selected = !matches!(applies(&lc, target), Err(Skip::NotSelected(_)));
            if selected {
                work.push((lc.clone(), target.clone()));
            }
        }
    }
    work
}

/// Runs the cases with a live count of verdicts on stderr when it is a terminal (not
/// with `--quiet`, nor on a `dumb` one); the line is cleared before results print.
async fn run_with_progress(
    work: Vec<(Arc<LoadedCase>, Target)>,
    ctx: Arc<RunContext>,
    jobs: usize,
    quiet: bool,
    keep_steps: bool,
) -> Vec<scimcert::outcome::CaseReport> {
    let show = !quiet && report::stderr_is_live();
    // A line wider than the terminal wraps and can no longer be cleared in place.
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<usize>().ok())
        .unwrap_or(80)
        .saturating_sub(1);
    let mut progress = report::Progress::new(
        work.len(),
        show.then(std::io::stderr),
        report::use_color(show),
        width,
    );
    // Each report keeps only what the outputs show, so memory grows with the cases,
    // not with every response body.
    let reports = run_all_with_progress(work, ctx, jobs, |r| {
        progress.case_done(r);
        let one_line = matches!(r.verdict, Verdict::Pass | Verdict::Skip);
        if one_line && !keep_steps {
            r.steps = Vec::new();
        } else {
            r.drop_unshown_responses();
        }
    })
    .await;
    progress.finish();
    reports
}

/// The selection flags in words, for the reports.
fn describe_selection(select: &SelectArgs) -> String {
    let mut parts = vec![format!("cases in `{}`", select.cases.display())];
    let flags = [
        ("--case", &select.case),
        ("--tag", &select.tag),
        ("--rule", &select.rule),
    ];
    for (flag, values) in flags {
        parts.extend(values.iter().map(|v| format!("`{flag} {v}`")));
    }
    parts.extend(select.level.iter().map(|l| format!("`--level {l}`")));
    parts.join(", ")
}

/// The rule catalogue beside the cases, where the loader finds it (it was validated
/// when the cases loaded); `None` when there is none.
fn read_catalogue(cases: &std::path::Path) -> Option<scimcert::case::Catalogue> {
    let path = if cases.is_dir() {
        cases.join(scimcert::case::RULES_FILE)
    } else {
        cases.with_file_name(scimcert::case::RULES_FILE)
    };
    let text = std::fs::read_to_string(&path).ok()?;
    scimcert::case::Catalogue::parse(&path, &text).ok()
}

fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), CliError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| CliError::runtime(format!("cannot create {}: {e}", parent.display())))?;
    }
    std::fs::write(path, bytes)
        .map_err(|e| CliError::runtime(format!("cannot write {}: {e}", path.display())))
}

fn short_run_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_string()
}

/// `scimcert mock`: serves until Ctrl-C or SIGTERM, then writes the client report if asked.
// Long: the mock's start-up in order (options, tokens, listener, banner, wait, report).
pub async fn mock(args: &MockArgs) -> Result<i32, CliError> {
    let api = Api::from(args.api);
    let profile = args.profile.unwrap_or(api.default_profile());
    if profile.api() != api {
        return Err(CliError::usage(format!(
            "profile `{profile}` is for the {} api",
            profile.api()
        )));
    }
    let mut options = SimOptions::new(profile);
    if let Some(t) = &args.tenant {
        options.tenant = t.clone();
    }
    if let Some(t) = &args.token {
        options.token = t.clone();
    }
    if let Some(t) = &args.readonly_token {
        options.readonly_token = t.clone();
    }
    if options.token.trim().is_empty() || options.readonly_token.trim().is_empty() {
        return Err(CliError::usage(
            "--token and --readonly-token must not be empty",
        ));
    }
    if options.token == options.readonly_token {
        return Err(CliError::usage(
            "--token and --readonly-token must differ (a request's rights are told by its token)",
        ));
    }
    if let Some(path) = &args.config {
        if api != Api::Idm {
            return Err(CliError::usage("--config only applies to `mock idm`"));
        }
        options.idm_config = Some(
            scimcert::sim::idm::IdmConfig::load(path)
                .map_err(|e| CliError::usage(e.to_string()))?,
        );
    }
    for f in &args.fault {
        let rule = scimcert::sim::FaultRule::parse(f)
            .map_err(|e| CliError::usage(format!("--fault `{f}`: {e}")))?;
        options.faults.rules.push(rule);
    }
    if args.client_report.is_some() || args.strict_client {
        options.client_report = Some(scimcert::sim::ClientReportOptions {
            dir: args.client_report.clone(),
            writer: Some(report::write_client_report),
            strict: args.strict_client,
        });
    }
    if let Some(dir) = &args.client_report {
        // Fail now, not after a whole provisioning run, if the folder cannot be made.
        scimcert::report::create_dir(dir).map_err(|e| CliError::usage(e.to_string()))?;
    }
    let listener = std::net::TcpListener::bind(("127.0.0.1", args.port))
        .map_err(|e| CliError::runtime(format!("cannot listen on 127.0.0.1:{}: {e}", args.port)))?;
    let sim = StandaloneSimulation::start_on(listener, options.clone())
        .await
        .map_err(|e| CliError::runtime(e.to_string()))?;
    println!(
        "scimcert mock {api} (profile {profile}) serving at {}",
        sim.base_url()
    );
    // Only the tokens not given on the command line.
    match (&args.token, &args.readonly_token) {
        (None, None) => println!(
            "bearer token: {} (read-only: {})",
            options.token, options.readonly_token
        ),
        (None, Some(_)) => println!("bearer token: {}", options.token),
        (Some(_), None) => println!("read-only token: {}", options.readonly_token),
        (Some(_), Some(_)) => {}
    }
    if options.client_report.is_some() {
        println!(
            "client report: GET {0}{1} (JSON); POST {0}{1} writes it; state: GET {0}{2}",
            sim.uri(),
            scimcert::sim::CLIENT_REPORT_PATH,
            scimcert::sim::STATE_PATH
        );
    } else {
        println!("state: GET {}{}", sim.uri(), scimcert::sim::STATE_PATH);
    }
    println!("press Ctrl-C to stop");
    wait_for_stop().await?;
    if let Some(written) = sim.write_client_report() {
        let paths = written.map_err(|e| CliError::runtime(e.to_string()))?;
        for path in paths {
            println!("client report written: {}", path.display());
        }
    }
    Ok(exit::OK)
}

/// Waits for Ctrl-C or (on Unix) SIGTERM, the two ways a CI job stops a mock.
async fn wait_for_stop() -> Result<(), CliError> {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| CliError::runtime(format!("cannot wait for SIGTERM: {e}")))?;
        tokio::select! {
            stopped = ctrl_c => stopped.map_err(|e| CliError::runtime(format!("cannot wait for Ctrl-C: {e}"))),
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        ctrl_c
            .await
            .map_err(|e| CliError::runtime(format!("cannot wait for Ctrl-C: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("scim-*", "scim-add-1"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "abbc"));
        assert!(glob_match("exact", "exact"));
    }
}
