//! Users a run created on the server and did not delete, read from the exchanges the
//! case reports hold: a successful create whose id no later successful (or 404) DELETE
//! removed.

use serde_json::Value;

use crate::api::Api;
use crate::outcome::Verdict;
use crate::outcome::{CaseReport, StepReport};

/// A user the run created and left on the server.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Leftover {
    /// The id the server gave the user.
    pub id: String,
    /// Its `userName`, when the create response carried one.
    pub user_name: Option<String>,
    /// The case that created it.
    pub case: String,
    /// The profile the case ran under.
    pub profile: String,
    /// Why it is still there.
    pub reason: String,
}

/// Every user created and not deleted by the cases of `reports`, in report order.
pub fn leftovers(reports: &[CaseReport]) -> Vec<Leftover> {
    reports.iter().flat_map(case_leftovers).collect()
}

fn case_leftovers(report: &CaseReport) -> Vec<Leftover> {
    let (collection, user_name_at) = match report.api {
        Api::Idm => ("/user", "/scimAttributes/userName"),
        Api::Scim => ("/Users", "/userName"),
    };
    let mut out = Vec::new();
    for (i, step) in report.steps.iter().enumerate() {
        let Some(resp) = &step.response else { continue };
        let created = step.request.method.eq_ignore_ascii_case("POST")
            && url_path(&step.request.url).ends_with(collection)
            && (200..300).contains(&resp.status);
        let Some(id) = created
            .then(|| resp.json.as_ref()?.get("id")?.as_str())
            .flatten()
        else {
            continue;
        };
        let deletes: Vec<&StepReport> = report.steps[i + 1..]
            .iter()
            .filter(|s| s.request.method.eq_ignore_ascii_case("DELETE") && deletes_id(s, id))
            .collect();
        let removed = deletes.iter().any(|s| {
            s.response
                .as_ref()
                .is_some_and(|r| (200..300).contains(&r.status) || r.status == 404)
        });
        if removed {
            continue;
        }
        let reason = match deletes.last() {
            Some(s) => match (&s.response, &s.error) {
                (Some(r), _) => format!("{} answered {}", s.label(), r.status),
                (None, Some(e)) => format!("{} failed: {e}", s.label()),
                (None, None) => format!("{} was not sent", s.label()),
            },
            None if report.api == Api::Idm => {
                "the Fabric userManagement API defines no DELETE: remove it in the target IDM"
                    .into()
            }
            None if report.verdict == Verdict::Skip => "the run was interrupted".into(),
            None => "no DELETE was sent for it (cleanup skipped or not written)".into(),
        };
        out.push(Leftover {
            id: id.to_string(),
            user_name: resp
                .json
                .as_ref()
                .and_then(|j| j.pointer(user_name_at))
                .and_then(Value::as_str)
                .map(str::to_string),
            case: report.id.clone(),
            profile: report.profile.to_string(),
            reason,
        });
    }
    out
}

/// The path of an absolute URL, without query or fragment.
fn url_path(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme
        .find('/')
        .map_or("", |slash| &after_scheme[slash..]);
    path.split(['?', '#']).next().unwrap_or(path)
}

fn deletes_id(step: &StepReport, id: &str) -> bool {
    url_path(&step.request.url)
        .rsplit('/')
        .next()
        .is_some_and(|last| last == id || percent_decoded(last) == id)
}

fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Level;
    use crate::exchange::{HttpRequest, HttpResponse};
    use crate::outcome::Phase;

    fn step(method: &str, url: &str, status: Option<u16>, body: &str) -> StepReport {
        let mut s = StepReport::new(
            if method == "DELETE" {
                Phase::Cleanup
            } else {
                Phase::Setup
            },
            1,
            None,
            HttpRequest {
                method: method.into(),
                url: url.into(),
                headers: Vec::new(),
                body: None,
            },
        );
        match status {
            Some(status) => {
                s.response = Some(HttpResponse {
                    status,
                    headers: Vec::new(),
                    body: body.as_bytes().to_vec(),
                    json: serde_json::from_str(body).ok(),
                    elapsed: std::time::Duration::ZERO,
                });
            }
            None => s.error = Some("connection reset by peer".into()),
        }
        s
    }

    fn case_report(api: Api, steps: Vec<StepReport>) -> CaseReport {
        CaseReport {
            id: "c".into(),
            title: "t".into(),
            location: "c.yaml:1:3".into(),
            api,
            profile: crate::api::Profile::Rfc7644,
            level: Level::Must,
            rules: Vec::new(),
            tags: Vec::new(),
            verdict: Verdict::Pass,
            reason: None,
            steps,
            duration_ms: 0,
        }
    }

    #[test]
    fn a_user_whose_delete_failed_is_left_with_the_reason() {
        let report = case_report(
            Api::Scim,
            vec![
                step(
                    "POST",
                    "http://h/v2/Users",
                    Some(201),
                    r#"{"id":"u1","userName":"scimcert-r-1"}"#,
                ),
                step("DELETE", "http://h/v2/Users/u1", Some(500), ""),
            ],
        );
        let left = leftovers(&[report]);
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].id, "u1");
        assert_eq!(left[0].user_name.as_deref(), Some("scimcert-r-1"));
        assert!(
            left[0].reason.contains("answered 500"),
            "{}",
            left[0].reason
        );
    }

    #[test]
    fn deleted_or_gone_users_are_not_left() {
        let report = case_report(
            Api::Scim,
            vec![
                step("POST", "http://h/v2/Users", Some(201), r#"{"id":"u1"}"#),
                step("POST", "http://h/v2/Users", Some(201), r#"{"id":"a b"}"#),
                step("POST", "http://h/v2/Users", Some(409), r#"{"id":"x"}"#),
                step("DELETE", "http://h/v2/Users/u1", Some(204), ""),
                step("DELETE", "http://h/v2/Users/a%20b", Some(404), ""),
            ],
        );
        assert!(leftovers(&[report]).is_empty());
    }

    #[test]
    fn idm_users_and_missing_deletes_are_found() {
        let report = case_report(
            Api::Idm,
            vec![
                step(
                    "POST",
                    "http://h/userManagement/v1/user",
                    Some(201),
                    r#"{"id":"7","scimAttributes":{"userName":"scimcert-r-2"}}"#,
                ),
                step("DELETE", "http://h/userManagement/v1/user/7", None, ""),
            ],
        );
        let left = leftovers(&[report]);
        assert_eq!(left[0].user_name.as_deref(), Some("scimcert-r-2"));
        assert!(left[0].reason.contains("failed"), "{}", left[0].reason);
    }
}
