//! Flags and handlers of the tools for people chasing a bug: `repro`, `record` and
//! `diff` (the work itself is in [`scimcert::tools`]), and the one place that turns target
//! flags into a target, built-in simulations included.

use std::io::{IsTerminal, Write as _};
use std::path::PathBuf;
use std::sync::Arc;

use clap::{ArgAction, ArgMatches, Args, FromArgMatches};

use super::target::url_password;
use super::{
    CliError, SelectArgs, TargetArgs, TargetSettings, load_selected, parse_pairs, short_run_id,
};
use scimcert::api::{Api, Profile};
use scimcert::case::LoadedCase;
use scimcert::exit;
use scimcert::outcome::Verdict;
use scimcert::plan::BuiltinTargets;
use scimcert::report::use_color;
use scimcert::run::{Cancel, HttpClient, RunContext, SnapshotMode, Target, run_all};
use scimcert::tools::record::{self, Analysis, CaseMeta, Planned, RecordError};
use scimcert::tools::{CurlCommand, Repro, closest, diff, parse_curl_file, read_at_file};

/// How a target names a built-in simulation: `builtin:<profile>`.
pub const BUILTIN_PREFIX: &str = "builtin:";

/// The profile named by `builtin:<profile>`; `Ok(None)` when `spec` is not of that form.
fn builtin_profile(spec: &str) -> Result<Option<Profile>, CliError> {
    match spec.strip_prefix(BUILTIN_PREFIX) {
        None => Ok(None),
        Some(p) => p
            .parse()
            .map(Some)
            .map_err(|e| CliError::usage(format!("--target `{spec}`: {e}"))),
    }
}

/// One target's flags merged with the configuration file, before anything is sent.
pub struct TargetPlan {
    /// Settings (a real target in `settings.target`, unless `builtin` is set).
    pub settings: TargetSettings,
    /// The simulation `--target builtin:<profile>` names.
    pub builtin: Option<Profile>,
}

/// A target ready to use; a built-in simulation behind it runs as long as this lives.
pub struct Resolved {
    /// The target.
    pub target: Target,
    /// What it is, for output (a simulation's own profile may differ from the
    /// expectation profile in `target.profile`).
    pub label: String,
    _sims: Option<BuiltinTargets>,
}

impl TargetPlan {
    /// Reads the target flags: `--target builtin:<profile>` names a built-in simulation
    /// (the configuration file's target is then ignored); `--api` may also choose the
    /// API of a simulation.
    pub fn of(args: &TargetArgs) -> Result<TargetPlan, CliError> {
        let builtin = match args.target.as_deref() {
            Some(spec) => builtin_profile(spec)?,
            None => None,
        };
        let mut flags = args.clone();
        flags.api = None;
        if builtin.is_some() {
            flags.target = None;
        }
        let mut settings = flags.resolve()?;
        if builtin.is_some() {
            settings.target = None;
        }
        settings.api = args.api.map(Api::from).or(settings.api);
        Ok(TargetPlan { settings, builtin })
    }

    /// The HTTP client the settings ask for.
    pub fn client(&self) -> Result<HttpClient, CliError> {
        self.settings.client()
    }

    /// The expectation profile given (flag or configuration file), if any.
    pub fn profile(&self) -> Option<Profile> {
        self.settings.profile
    }

    /// The target: the real server of the settings (with `api` and `expect` filling
    /// in a missing API and profile), or a built-in simulation — of the `builtin:`
    /// profile, else of the expectation profile, else of the API's default — whose
    /// expectation profile is `expect` (default: its own).
    pub async fn start(
        &self,
        client: &HttpClient,
        api: Option<Api>,
        expect: Option<Profile>,
    ) -> Result<Resolved, CliError> {
        let s = &self.settings;
        let expect = s.profile.or(expect);
        if s.target.is_some() {
            let mut real = s.clone();
            real.api = real.api.or(api);
            real.profile = expect;
            let target = real
                .real_target(client)
                .await?
                .ok_or_else(|| CliError::runtime("no target"))?;
            return Ok(Resolved {
                label: target.label(),
                target,
                _sims: None,
            });
        }
        let sim_profile = match (self.builtin, expect) {
            (Some(p), _) | (None, Some(p)) => p,
            (None, None) => s.api.or(api).unwrap_or(Api::Scim).default_profile(),
        };
        let expect = expect.unwrap_or(sim_profile);
        for (what, other) in [
            ("--api", s.api),
            ("the expectation profile", Some(expect.api())),
            ("the case's", api),
        ] {
            if let Some(other) = other.filter(|o| *o != sim_profile.api()) {
                return Err(CliError::usage(format!(
                    "the {sim_profile} simulation speaks the {} api, but {what} api is {other}",
                    sim_profile.api()
                )));
            }
        }
        let sims = BuiltinTargets::start(&[sim_profile])
            .await
            .map_err(|e| CliError::runtime(e.to_string()))?;
        let mut target = sims
            .target(sim_profile)
            .cloned()
            .ok_or_else(|| CliError::runtime("the simulation did not start"))?;
        target.profile = expect;
        target.extra_headers = s.headers.clone();
        target.vars.extend(s.vars.clone());
        Ok(Resolved {
            label: format!(
                "{BUILTIN_PREFIX}{sim_profile} (built-in {} simulation of profile {sim_profile})",
                sim_profile.api()
            ),
            target,
            _sims: Some(sims),
        })
    }
}

/// Masks the run's secrets (credentials from the environment and the configuration
/// file, tokens the client fetched) and the `user:pass@` of URLs in `text`.
pub(super) fn redactor(client: &HttpClient) -> impl Fn(&str) -> String + '_ {
    move |t: &str| scimcert::secret::strip_userinfo(&client.secrets().redact(t))
}

/// Help of `--target` for commands that run against one simulation by default.
const ONE_TARGET_HELP: &str = "Base URL of a real server's API, or `builtin:<profile>` for a \
    built-in simulation (default: the built-in simulation of --profile)";

/// `scimcert repro`.
#[derive(Debug, Args)]
#[command(mut_arg("target", |a| a.help(ONE_TARGET_HELP)))]
#[command(mut_arg("profile", |a| a.help(
    "Expectation profile (default: the case API's default profile, or the case's first \
     profile when it is restricted to others)"
)))]
pub struct ReproArgs {
    /// Id of the case to run.
    #[arg(value_name = "CASE_ID")]
    pub case_id: String,
    /// Case file or folder the case is in.
    #[arg(long, default_value = "cases")]
    pub cases: PathBuf,
    /// Folder of response JSON Schemas.
    #[arg(long, default_value = "schemas")]
    pub schemas: PathBuf,
    /// Where to run it (default: the built-in simulation of --profile, itself by default
    /// the case API's default profile, or the case's first profile if that one is not
    /// among them); `--target builtin:<profile>` names a simulation too.
    #[command(flatten)]
    pub target: TargetArgs,
    /// SHOULD failures fail too (exit 1).
    #[arg(long)]
    pub strict: bool,
    /// Leave the users the case creates (skip its cleanup steps).
    #[arg(long)]
    pub keep: bool,
}

/// The profile to run a case under when none is given: its API's default, unless the
/// case is restricted to other profiles.
fn preferred_profile(lc: &LoadedCase) -> Profile {
    let default = lc.case.api.default_profile();
    match lc.case.profiles.first() {
        Some(first) if !lc.case.profiles.contains(&default) => *first,
        _ => default,
    }
}

/// `scimcert repro <case id>`: the curl sequence, every exchange, the verdict; exits
/// like `run` would for that one case.
pub async fn repro(args: &ReproArgs) -> Result<i32, CliError> {
    let select = SelectArgs {
        cases: args.cases.clone(),
        schemas: args.schemas.clone(),
        case: Vec::new(),
        tag: Vec::new(),
        rule: Vec::new(),
        level: Vec::new(),
    };
    let (schemas, cases) = load_selected(&select)?;
    let Some(lc) = cases.iter().find(|c| c.id() == args.case_id) else {
        let close = closest(&args.case_id, cases.iter().map(LoadedCase::id), 5);
        let hint = if close.is_empty() {
            "`scimcert list` prints every case id".to_string()
        } else {
            format!("did you mean {}?", close.join(", "))
        };
        return Err(CliError::usage(format!(
            "no case `{}` in {}; {hint}",
            args.case_id,
            args.cases.display()
        )));
    };
    let plan = TargetPlan::of(&args.target)?;
    if let Some(p) = plan.profile()
        && p.api() != lc.case.api
    {
        return Err(CliError::usage(format!(
            "case `{}` is for the {} api; profile `{p}` is for {}",
            lc.id(),
            lc.case.api,
            p.api()
        )));
    }
    let client = plan.client()?;
    let expect = plan.profile().unwrap_or_else(|| preferred_profile(lc));
    let resolved = plan.start(&client, Some(lc.case.api), Some(expect)).await?;
    let cancel = Cancel::default();
    let _ctrl_c = super::signal::CtrlC::watch(cancel.clone());
    let ctx = Arc::new(RunContext {
        client: client.clone(),
        schemas,
        run_id: short_run_id(),
        snapshots: SnapshotMode::Off,
        keep: args.keep,
        cancel: cancel.clone(),
    });
    let lc = Arc::new(lc.clone());
    let report = run_all(vec![(lc.clone(), resolved.target.clone())], ctx, 1)
        .await
        .pop()
        .ok_or_else(|| CliError::runtime("the case did not run"))?;
    let redact = redactor(&client);
    let view = Repro {
        case: &lc,
        target: &resolved.target,
        target_label: &resolved.label,
        report: &report,
        redact: &redact,
        color: use_color(std::io::stdout().is_terminal()),
    };
    print!("{}", view.render());
    if cancel.is_cancelled() {
        return Ok(exit::INTERRUPTED);
    }
    Ok(exit::for_verdicts([report.verdict], args.strict))
}

/// `scimcert record`.
#[derive(Debug, Args)]
#[command(mut_arg("target", |a| a.help(ONE_TARGET_HELP)))]
#[command(mut_arg("profile", |a| a.help(
    "Profile the recorded case is for, and of the built-in simulation when there is no \
     --target (default: the API's default profile)"
)))]
pub struct RecordArgs {
    /// Where to send (default: the built-in simulation of --profile, or of --api's
    /// default profile); `--target builtin:<profile>` names a simulation too. `-H`
    /// headers go with every request and are not recorded (they belong to the target).
    #[command(flatten)]
    pub target: TargetArgs,
    /// Path of the request to record, relative to the target base URL (may carry a
    /// query string), e.g. `/Users/2819c223?attributes=userName`.
    #[arg(
        value_name = "PATH",
        required_unless_present = "from",
        conflicts_with = "from"
    )]
    pub path: Option<String>,
    /// Method of the request (default GET, or POST with --data).
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    pub method: Option<String>,
    /// Body of the request: JSON (or any text), or `@file` to read it from a file.
    #[arg(short = 'd', long = "data", value_name = "BODY|@FILE")]
    pub data: Option<String>,
    /// Header of the request, `Name: value` (e.g. `If-Match: W/"1"`); repeatable;
    /// recorded in the case.
    #[arg(long = "request-header", value_name = "NAME: VALUE")]
    pub request_header: Vec<String>,
    /// Read the requests from a file of `curl` command lines (as `repro` prints them):
    /// one per line, `\` continues a line, `#` starts a comment.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["method", "data", "request_header"])]
    pub from: Option<PathBuf>,
    /// With --from, send ids as written: do not take an id no response of this
    /// recording returned for the one an earlier create in its collection returned.
    #[arg(long, requires = "from")]
    pub literal_ids: bool,
    /// The case file to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Overwrite --out when it exists.
    #[arg(long)]
    pub force: bool,
    /// Case id (default: from the --out file name).
    #[arg(long)]
    pub id: Option<String>,
    /// Case title (default: the requests recorded).
    #[arg(long)]
    pub title: Option<String>,
    /// Folder of JSON Schemas, for the `$schema` line editors read.
    #[arg(long, default_value = "schemas")]
    pub schemas: PathBuf,
    /// Leave the users the recorded requests created (they are deleted by default, as
    /// the case's cleanup will on replay).
    #[arg(long)]
    pub keep: bool,
}

fn record_error(e: RecordError) -> CliError {
    match e {
        RecordError::Input { .. } => CliError::usage(e.to_string()),
        RecordError::Transport { .. } | RecordError::Invalid(_) => CliError::runtime(e.to_string()),
    }
}

/// What to read the requests from, checked before anything is sent.
enum Source {
    Curl(String, Vec<CurlCommand>),
    CommandLine {
        method: String,
        path: String,
        headers: Vec<(String, String)>,
        data: Option<String>,
    },
}

/// `scimcert record`: sends the requests, writes the case file, exits 0 (2 for bad
/// input, 3 when a request got no response).
// Long: the command's steps in order (read the source, send, analyse, write, clean up), each a call.
pub async fn record(args: &RecordArgs) -> Result<i32, CliError> {
    if args.out.exists() && !args.force {
        return Err(CliError::usage(format!(
            "{} exists; give --force to overwrite it",
            args.out.display()
        )));
    }
    let id = args
        .id
        .clone()
        .unwrap_or_else(|| record::id_from_path(&args.out));
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(CliError::usage(format!(
            "--id `{id}`: use letters, digits, `-`, `_` and `.`"
        )));
    }
    let source = match (&args.from, &args.path) {
        (Some(file), _) => {
            let name = file.display().to_string();
            let text = std::fs::read_to_string(file)
                .map_err(|e| CliError::usage(format!("cannot read {name}: {e}")))?;
            let commands =
                parse_curl_file(&name, &text).map_err(|e| CliError::usage(e.to_string()))?;
            Source::Curl(name, commands)
        }
        (None, Some(path)) => {
            let data = args
                .data
                .as_deref()
                .map(read_at_file)
                .transpose()
                .map_err(|e| CliError::usage(format!("--data: {e}")))?;
            let default_method = if data.is_some() { "POST" } else { "GET" };
            Source::CommandLine {
                method: args.method.clone().unwrap_or_else(|| default_method.into()),
                path: path.clone(),
                headers: parse_pairs(&args.request_header, ':', "request header")?,
                data,
            }
        }
        (None, None) => {
            return Err(CliError::usage(
                "give the request (`-X PATCH /Users/ID -d '{...}'`) or --from <file>",
            ));
        }
    };
    let plan = TargetPlan::of(&args.target)?;
    let client = plan.client()?;
    let resolved = plan.start(&client, None, None).await?;
    let target = &resolved.target;
    let planned: Vec<Planned> = match &source {
        Source::Curl(name, commands) => commands
            .iter()
            .map(|c| Planned::from_curl(name, c, target))
            .collect::<Result<_, _>>()
            .map_err(record_error)?,
        Source::CommandLine {
            method,
            path,
            headers,
            data,
        } => vec![
            Planned::new("command line", method, path, headers, data.clone(), target)
                .map_err(record_error)?,
        ],
    };
    let redact = redactor(&client);
    println!("recording against {}", redact(&resolved.label));
    let remap = matches!(source, Source::Curl(..)) && !args.literal_ids;
    let recording = record::send_all(&client, target, &planned, remap)
        .await
        .map_err(record_error)?;
    let exchanges = recording.exchanges;
    for (i, ex) in exchanges.iter().enumerate() {
        for m in recording.remapped.iter().filter(|m| m.request == i) {
            println!(
                "  (id {} in {} is taken for the one created here: {})",
                m.old, planned[i].source_pos, m.new
            );
        }
        println!("  {} → {}", ex.planned.label(), ex.response.status);
    }
    let analysis = Analysis::of(&exchanges, target.api);
    if !args.keep {
        clean_up(&client, target, &analysis, &redact).await;
    }
    let title = args
        .title
        .clone()
        .unwrap_or_else(|| match planned.as_slice() {
            [one] => format!("recorded: {}", one.label()),
            [first, rest @ ..] => format!(
                "recorded: {} and {} more request(s)",
                first.label(),
                rest.len()
            ),
            [] => "recorded".into(),
        });
    let meta = CaseMeta {
        id: id.clone(),
        title,
        schema_ref: schema_ref(&args.out, &args.schemas),
    };
    let text = record::case_file(
        &meta,
        target,
        &resolved.label,
        &exchanges,
        &analysis,
        &redact,
    )
    .map_err(record_error)?;
    record::check_loads(&args.out, &text).map_err(record_error)?;
    write_new(&args.out, text.as_bytes(), args.force)?;
    println!(
        "wrote {}: case `{id}`, {} step(s){}",
        args.out.display(),
        exchanges.len(),
        describe_captures(&analysis)
    );
    let mut replay = format!(
        "scimcert run --cases {} --profile {}",
        args.out.display(),
        target.profile
    );
    if !target.builtin {
        replay.push_str(&format!(
            " --target {} --api {}",
            target.base_url, target.api
        ));
    }
    println!("replay: {}", redact(&replay));
    Ok(exit::OK)
}

/// Deletes what the recorded requests created (the case's cleanup steps), reporting
/// what does not go; a failure here does not lose the recording.
async fn clean_up(
    client: &HttpClient,
    target: &Target,
    analysis: &Analysis,
    redact: &dyn Fn(&str) -> String,
) {
    for c in &analysis.cleanup {
        let req = target.request("DELETE", &c.path);
        match client.send(&req).await {
            Ok(resp) => println!("  cleanup: DELETE {} → {}", c.path, resp.status),
            Err(e) => println!(
                "  cleanup: DELETE {} failed: {}",
                c.path,
                redact(&e.to_string())
            ),
        }
    }
}

fn describe_captures(analysis: &Analysis) -> String {
    if analysis.captures.is_empty() {
        return String::new();
    }
    let names: Vec<String> = analysis
        .captures
        .iter()
        .map(|c| format!("{} (step {})", c.name, c.step + 1))
        .collect();
    format!(", capturing {}", names.join(", "))
}

/// The `$schema` reference of a case file at `out`: the case schema in `schemas`,
/// relative to the file's folder.
fn schema_ref(out: &std::path::Path, schemas: &std::path::Path) -> String {
    let absolute = |p: &std::path::Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let dir = absolute(
        out.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new(".")),
    );
    let schema = absolute(&schemas.join("case.schema.json"));
    record::relative_path(&dir, &schema)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Writes `bytes` to `path`; without `overwrite`, fails if the file appeared meanwhile.
fn write_new(path: &std::path::Path, bytes: &[u8], overwrite: bool) -> Result<(), CliError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| CliError::runtime(format!("cannot create {}: {e}", parent.display())))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if overwrite {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            CliError::usage(format!(
                "{} exists; give --force to overwrite it",
                path.display()
            ))
        } else {
            CliError::runtime(format!("cannot write {}: {e}", path.display()))
        }
    })?;
    file.write_all(bytes)
        .map_err(|e| CliError::runtime(format!("cannot write {}: {e}", path.display())))
}

/// The two targets of `diff` and the target flags they share. `--target` is given
/// twice (A, then B); everything else in [`TargetArgs`] applies to both.
#[derive(Debug, Clone)]
pub struct DiffTargets {
    /// `--target` values in order: URLs or `builtin:<profile>`.
    pub specs: Vec<String>,
    /// The other target flags.
    pub shared: TargetArgs,
}

impl FromArgMatches for DiffTargets {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Self::from_arg_matches_mut(&mut matches.clone())
    }

    fn from_arg_matches_mut(matches: &mut ArgMatches) -> Result<Self, clap::Error> {
        let specs = matches
            .get_many::<String>("target")
            .map(|v| v.cloned().collect())
            .unwrap_or_default();
        let mut shared = TargetArgs::from_arg_matches_mut(matches)?;
        shared.target = None;
        Ok(DiffTargets { specs, shared })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Args for DiffTargets {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        twice(TargetArgs::augment_args(cmd))
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        twice(TargetArgs::augment_args_for_update(cmd))
    }
}

/// `--target` of [`TargetArgs`], taken twice.
fn twice(cmd: clap::Command) -> clap::Command {
    cmd.mut_arg("target", |a| {
        a.action(ArgAction::Append)
            .required(true)
            .value_name("URL|builtin:PROFILE")
            .help(
                "A target: a base URL or `builtin:<profile>` (a built-in simulation); \
                 give it twice, A then B",
            )
    })
}

/// `scimcert diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Case selection.
    #[command(flatten)]
    pub select: SelectArgs,
    /// The two targets and how to reach them; `--profile` is the expectation profile
    /// of both (default: the API's default profile).
    #[command(flatten)]
    pub targets: DiffTargets,
    /// Cases run at once on each side (default: number of cores).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Report (and exit 1 for) cases whose verdicts differ only; response differences
    /// are still counted in the summary.
    #[arg(long)]
    pub verdicts_only: bool,
}

/// `scimcert diff`: exit 0 when both targets behave the same on every selected case,
/// 1 when they differ.
// Long: the command's steps in order (two targets, one selection, the runs, the comparison), each a call.
pub async fn diff(args: &DiffArgs) -> Result<i32, CliError> {
    let specs = &args.targets.specs;
    if specs.len() != 2 {
        return Err(CliError::usage(format!(
            "diff compares two targets: give --target twice (got {})",
            specs.len()
        )));
    }
    if args.jobs == Some(0) {
        return Err(CliError::usage("--jobs must be at least 1"));
    }
    let mut plans = Vec::new();
    for spec in specs {
        let mut one = args.targets.shared.clone();
        one.target = Some(spec.clone());
        plans.push(TargetPlan::of(&one)?);
    }
    let api = plans
        .iter()
        .find_map(|p| p.settings.api.or(p.profile().map(Profile::api)))
        .or(plans.iter().find_map(|p| p.builtin.map(Profile::api)))
        .ok_or_else(|| CliError::usage("two real targets need --api scim|idm"))?;
    let profile = plans[0].profile().unwrap_or(api.default_profile());
    if profile.api() != api {
        return Err(CliError::usage(format!(
            "profile `{profile}` is for the {} api, not {api}",
            profile.api()
        )));
    }
    let (schemas, cases) = load_selected(&args.select)?;
    // One client for both sides (the flags are shared); B's URL password is a secret too.
    let client = plans[0].client()?;
    for plan in &plans[1..] {
        if let Some(password) = plan.settings.target.as_deref().and_then(url_password) {
            client.secrets().add(&password);
        }
    }
    let mut sides = Vec::new();
    for plan in &plans {
        sides.push(plan.start(&client, Some(api), Some(profile)).await?);
    }
    let redact = redactor(&client);
    let views: Vec<diff::Side> = sides
        .iter()
        .zip(["A", "B"])
        .map(|(s, name)| diff::Side {
            label: format!("{name}: {}", redact(&s.label)),
            base_url: s.target.base_url.clone(),
        })
        .collect();
    let cases: Vec<Arc<LoadedCase>> = cases
        .into_iter()
        .filter(|lc| lc.case.runs_under(profile))
        .map(Arc::new)
        .collect();
    if cases.is_empty() {
        eprintln!("scimcert: no case selected for the {api} api under profile {profile}");
    }
    let run_id = short_run_id();
    let cancel = Cancel::default();
    let _ctrl_c = super::signal::CtrlC::watch(cancel.clone());
    let ctx = Arc::new(RunContext {
        client: client.clone(),
        schemas,
        run_id: run_id.clone(),
        snapshots: SnapshotMode::Off,
        keep: false,
        cancel: cancel.clone(),
    });
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    println!(
        "scimcert diff — {} case(s) under profile {profile}, against both targets",
        cases.len()
    );
    let work = cases
        .iter()
        .flat_map(|lc| sides.iter().map(|s| (lc.clone(), s.target.clone())))
        .collect();
    let reports = run_all(work, ctx, jobs.saturating_mul(2)).await;
    if cancel.is_cancelled() {
        return Ok(exit::INTERRUPTED);
    }
    if reports.len() != cases.len() * 2 {
        return Err(CliError::runtime(
            "a case run was lost; no comparison is possible",
        ));
    }
    let diffs: Vec<diff::CaseDiff> = cases
        .iter()
        .zip(reports.chunks(2))
        .filter_map(|(lc, pair)| match pair {
            [a, b] => Some(diff::compare(lc, (a, &views[0]), (b, &views[1]), &run_id)),
            _ => None,
        })
        .collect();
    let color = use_color(std::io::stdout().is_terminal());
    let scope = if args.verdicts_only {
        diff::Scope::Verdicts
    } else {
        diff::Scope::Everything
    };
    print!(
        "{}",
        redact(&diff::render(&diffs, &views[0], &views[1], scope, color))
    );
    for (i, side) in views.iter().enumerate() {
        let all_errors =
            !diffs.is_empty() && diffs.iter().all(|d| [&d.a, &d.b][i].0 == Verdict::Error);
        if all_errors {
            return Err(CliError::runtime(format!(
                "every case errored against {}: is the target reachable?",
                side.label
            )));
        }
    }
    Ok(if diffs.iter().any(|d| d.differs_in(scope)) {
        exit::FAILURES
    } else {
        exit::OK
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[test]
    fn the_command_line_is_consistent() {
        crate::cli::Cli::command().debug_assert();
    }

    #[test]
    fn diff_takes_target_twice_and_shares_the_rest() {
        let cli = crate::cli::Cli::parse_from([
            "scimcert",
            "diff",
            "--target",
            "https://a.example/v2",
            "--target",
            "builtin:rfc7644",
            "--api",
            "scim",
            "--timeout",
            "3",
        ]);
        let crate::cli::Command::Diff(args) = cli.command else {
            panic!("not diff");
        };
        assert_eq!(
            args.targets.specs,
            vec!["https://a.example/v2", "builtin:rfc7644"]
        );
        assert_eq!(args.targets.shared.target, None);
        assert_eq!(args.targets.shared.timeout, Some(3.0));
        assert!(
            crate::cli::Cli::try_parse_from(["scimcert", "diff"]).is_err(),
            "--target is required"
        );
    }

    #[test]
    fn builtin_targets_name_a_profile() {
        assert_eq!(
            builtin_profile("builtin:okta").ok().flatten(),
            Some(Profile::Okta)
        );
        assert_eq!(builtin_profile("https://h/v2").ok().flatten(), None);
        assert!(builtin_profile("builtin:nope").is_err());
    }
}
