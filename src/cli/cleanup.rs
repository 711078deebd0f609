//! `scimcert cleanup`: deletes the users an earlier run left on a real server, and only
//! those: every user it touches carries that run's `scimcert-<run id>-` userName prefix.

use std::path::PathBuf;

use clap::Args;
use serde_json::Value;

use super::{CliError, TargetArgs, tools::TargetPlan};
use scimcert::api::Api;
use scimcert::exchange::HttpRequest;
use scimcert::exit;
use scimcert::run::{CLEANUP_BACKOFF, HttpClient, Target};
use scimcert::util::encode_segment;

/// Users read per page of a SCIM listing.
const PAGE: usize = 100;
/// At most this many users are listed: a run creates a few hundred; a server that keeps
/// answering pages past this is not listing what was asked.
const MAX_LISTED: usize = 10_000;

/// `scimcert cleanup`.
#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// The server the run was against and how to reach it (flags and `scimcert.toml`,
    /// as for `run`).
    #[command(flatten)]
    pub target: TargetArgs,
    /// The run whose users to delete (its fixtures are named `scimcert-<run id>-…`; the
    /// run id is printed in its reports).
    #[arg(long, value_name = "RUN ID")]
    pub run_id: String,
    /// The run's `report.json`: its `leftovers` are deleted too. Needed for the Fabric
    /// API, which cannot list users by a userName prefix.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Show what would be deleted, and delete nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// A user found to delete.
struct Found {
    id: String,
    user_name: String,
}

/// `scimcert cleanup`: exit 0 when every user found was deleted (or is already gone),
/// 3 when some could not be.
// Long: the command's steps in order (check the run id, find, show, delete, report), each short.
pub async fn cleanup(args: &CleanupArgs) -> Result<i32, CliError> {
    let run_id = args.run_id.trim();
    if run_id.is_empty()
        || !run_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(CliError::usage(format!(
            "--run-id `{run_id}`: a run id is letters, digits, `-` and `_` (e.g. `3f9c2a1b`)"
        )));
    }
    let prefix = format!("scimcert-{run_id}-");
    let plan = TargetPlan::of(&args.target)?;
    if plan.builtin.is_some() {
        return Err(CliError::usage(
            "cleanup is for a real server (--target <URL>): a built-in simulation keeps nothing after its run",
        ));
    }
    let client = plan.settings.client()?;
    let target = plan
        .settings
        .real_target(&client)
        .await?
        .ok_or_else(|| CliError::usage("cleanup needs the server: --target <URL> and --api"))?;
    let secrets = client.secrets().clone();
    let mut found = match &args.report {
        Some(path) => from_report(path, &prefix)?,
        None => Vec::new(),
    };
    match target.api {
        Api::Scim => {
            for user in list_scim(&client, &target, &prefix).await? {
                if !found.iter().any(|f| f.id == user.id) {
                    found.push(user);
                }
            }
        }
        Api::Idm if args.report.is_none() => {
            return Err(CliError::usage(
                "the Fabric API lists users by `userName eq` only: give the run's report with --report <dir>/report.json",
            ));
        }
        Api::Idm => found = confirm_idm(&client, &target, found).await?,
    }
    if found.is_empty() {
        println!("cleanup: no user of run {run_id} ({prefix}…) found");
        return Ok(exit::OK);
    }
    let verb = if args.dry_run {
        "would delete"
    } else {
        "deleting"
    };
    println!("cleanup: {verb} {} user(s) of run {run_id}:", found.len());
    for f in &found {
        println!("  {} {}", f.id, f.user_name);
    }
    if args.dry_run {
        return Ok(exit::OK);
    }
    let mut failed = 0;
    for f in &found {
        let path = match target.api {
            Api::Scim => format!("/Users/{}", encode_segment(&f.id)),
            Api::Idm => format!("/user/{}", encode_segment(&f.id)),
        };
        // As a run's cleanup steps do: a closed connection or a reset is tried again.
        let mut notes = Vec::new();
        let sent = client
            .send_noted(
                &target.request("DELETE", &path),
                &CLEANUP_BACKOFF,
                &mut notes,
            )
            .await;
        let outcome = match sent {
            Ok(resp) if (200..300).contains(&resp.status) => "deleted".to_string(),
            Ok(resp) if resp.status == 404 => "already gone (404)".to_string(),
            Ok(resp) => {
                failed += 1;
                format!("NOT deleted: the server answered {}", resp.status)
            }
            Err(e) => {
                failed += 1;
                format!("NOT deleted: {}", secrets.redact(&e.to_string()))
            }
        };
        println!("  {} {}: {outcome}", f.id, f.user_name);
    }
    if failed > 0 {
        eprintln!("scimcert: cleanup: {failed} user(s) could not be deleted");
        return Ok(exit::RUNTIME);
    }
    Ok(exit::OK)
}

/// The leftovers a run's `report.json` lists, keeping only users of that run.
fn from_report(path: &std::path::Path, prefix: &str) -> Result<Vec<Found>, CliError> {
    let name = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::usage(format!("cannot read {name}: {e}")))?;
    let report: Value = serde_json::from_str(&text)
        .map_err(|e| CliError::usage(format!("{name} is not a scimcert JSON report: {e}")))?;
    let Some(leftovers) = report.get("leftovers").and_then(Value::as_array) else {
        return Err(CliError::usage(format!(
            "{name} has no `leftovers` list (a report of scimcert 0.1 with a real target has one)"
        )));
    };
    Ok(leftovers
        .iter()
        .filter_map(|l| {
            let id = l.get("id")?.as_str()?;
            let user_name = l.get("user_name")?.as_str()?;
            user_name.starts_with(prefix).then(|| Found {
                id: id.to_string(),
                user_name: user_name.to_string(),
            })
        })
        .collect())
}

/// SCIM users whose userName starts with `prefix`: asked with a `sw` filter, and each
/// answer checked here too, so a server that ignores the filter deletes nothing else.
async fn list_scim(
    client: &HttpClient,
    target: &Target,
    prefix: &str,
) -> Result<Vec<Found>, CliError> {
    let filter = format!("userName sw \"{prefix}\"");
    let mut found = Vec::new();
    let mut start = 1;
    while start <= MAX_LISTED {
        let mut req = target.request("GET", "/Users");
        req.url = with_query(
            &req.url,
            &[
                ("filter", filter.as_str()),
                ("startIndex", &start.to_string()),
                ("count", &PAGE.to_string()),
            ],
        );
        let resp = send_ok(client, &req).await?;
        // VMware answers `resources` (VD-07), the RFC `Resources`.
        let resources: Vec<&Value> = resp
            .get("Resources")
            .or_else(|| resp.get("resources"))
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        for user in &resources {
            let id = user.get("id").and_then(Value::as_str);
            let name = user.get("userName").and_then(Value::as_str);
            if let (Some(id), Some(name)) = (id, name)
                && name.starts_with(prefix)
            {
                found.push(Found {
                    id: id.to_string(),
                    user_name: name.to_string(),
                });
            }
        }
        let total = resp
            .get("totalResults")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        start += resources.len();
        if resources.is_empty() || start as u64 > total {
            break;
        }
    }
    Ok(found)
}

/// Keeps the report's users that the Fabric API still knows under the same id.
async fn confirm_idm(
    client: &HttpClient,
    target: &Target,
    listed: Vec<Found>,
) -> Result<Vec<Found>, CliError> {
    let mut confirmed = Vec::new();
    for f in listed {
        let mut req = target.request("GET", "/user");
        let filter = format!("userName eq \"{}\"", f.user_name);
        req.url = with_query(&req.url, &[("filter", filter.as_str())]);
        let resp = send_ok(client, &req).await?;
        let same = resp.as_array().is_some_and(|users| {
            users
                .iter()
                .any(|u| u.get("id").and_then(Value::as_str) == Some(f.id.as_str()))
        });
        if same {
            confirmed.push(f);
        } else {
            println!("  {} {}: already gone", f.id, f.user_name);
        }
    }
    Ok(confirmed)
}

/// The JSON body of a 200 answer to `req`, or why there is none.
async fn send_ok(client: &HttpClient, req: &HttpRequest) -> Result<Value, CliError> {
    let resp = client.send(req).await.map_err(|e| {
        CliError::runtime(format!(
            "{} {}: {}",
            req.method,
            req.url,
            client.secrets().redact(&e.to_string())
        ))
    })?;
    match (resp.status, resp.json) {
        (200, Some(json)) => Ok(json),
        (status, _) => Err(CliError::runtime(format!(
            "{} {} answered {status}; nothing was deleted",
            req.method, req.url
        ))),
    }
}

fn with_query(url: &str, pairs: &[(&str, &str)]) -> String {
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode_segment(v)))
        .collect();
    format!("{url}?{}", query.join("&"))
}
