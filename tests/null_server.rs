//! No case may pass against a server that does nothing: the whole corpus runs against
//! a wiremock server answering `200 {}` to every request, and every case must end in
//! `fail`, `warn` (SHOULD cases), `error`, or a pass with a note (MAY cases). A case that
//! passes cleanly here checks nothing.

mod common;

use std::sync::Arc;
use std::time::Duration;

use scimcert::api::Api;
use scimcert::outcome::Verdict;
use scimcert::run::{Auth, HttpClient, RunContext, SnapshotMode, Target, run_all};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_corpus_fails_against_a_server_that_does_nothing() {
    let corpus = common::load(&common::root().join("cases"));
    let server = MockServer::builder()
        .disable_request_recording()
        .start()
        .await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
        .mount(&server)
        .await;
    let ctx = Arc::new(RunContext {
        client: HttpClient::new(Duration::from_secs(5), Duration::from_secs(2)).unwrap(),
        schemas: Arc::new(common::schemas()),
        run_id: "null".into(),
        snapshots: SnapshotMode::Off,
        keep: false,
        cancel: Default::default(),
    });
    let mut work = Vec::new();
    for lc in corpus.cases {
        let api: Api = lc.case.api;
        let profile = lc
            .case
            .profiles
            .first()
            .copied()
            .unwrap_or(api.default_profile());
        let target = Target {
            api,
            profile,
            base_url: server.uri(),
            auth: Auth::Bearer("t".into()),
            extra_headers: Vec::new(),
            vars: [("tenant", "t"), ("readonly_token", "r")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            // Faults are only honoured by the simulation; here they must not matter.
            builtin: true,
            capabilities: Default::default(),
            fixtures: Default::default(),
        };
        work.push((Arc::new(lc), target));
    }
    let total = work.len();
    let reports = run_all(work, ctx, 8).await;
    let passed: Vec<&str> = reports
        .iter()
        // A warning is a detected SHOULD failure, and a MAY case the server does not take
        // passes with a note (a failed expectation): only a clean pass saw nothing.
        .filter(|r| r.verdict == Verdict::Pass && r.failures().next().is_none())
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(reports.len(), total);
    assert!(
        passed.is_empty(),
        "{} of {total} cases pass against a server that does nothing: {passed:?}",
        passed.len()
    );
}
