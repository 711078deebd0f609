//! Model-based testing (`scimcert explore`): random PATCH sequences are applied to the
//! target and to the built-in reference (the SCIM simulation of the chosen profile,
//! built on `crate::patch`); status class, `scimType` and the resource read back are
//! compared, and every divergence is shrunk to a minimal sequence and written out as a
//! replayable case file. Same seed, same sequences.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::api::Profile;
use crate::exchange::HttpResponse;
use crate::run::{HttpClient, Target};
use crate::sim::{Handler, ScimSim, SimOptions, SimRequest};

/// A small deterministic generator (xorshift64*), so a seed always gives the same run.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (0 is mapped to a fixed non-zero state).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// One generated operation.
pub type GenOp = Value;
/// One generated PATCH request: its operations.
pub type GenRequest = Vec<GenOp>;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A random operation over simple, complex, multi-valued, filtered and extension
/// paths, valid and invalid.
pub fn gen_op(rng: &mut Rng) -> GenOp {
    let strings = [
        "Ada",
        "Babs",
        "work@example.com",
        "home@example.com",
        "",
        "Grace",
    ];
    let s = || Value::String(String::new());
    let _ = s;
    let text = |rng: &mut Rng| Value::String((*rng.pick(&strings)).to_string());
    let email = |rng: &mut Rng| json!({"value": format!("{}@example.com", rng.pick(&["a", "b", "c"])), "type": rng.pick(&["work", "home", "other"]), "primary": rng.below(2) == 0});
    match rng.below(22) {
        0 => json!({"op": "add", "path": "nickName", "value": text(rng)}),
        1 => json!({"op": "replace", "path": "title", "value": text(rng)}),
        2 => json!({"op": "remove", "path": "nickName"}),
        3 => json!({"op": "replace", "path": "active", "value": rng.below(2) == 0}),
        4 => json!({"op": "replace", "path": "active", "value": "False"}),
        5 => json!({"op": "replace", "path": "name.givenName", "value": text(rng)}),
        6 => json!({"op": "replace", "path": "name", "value": {"familyName": text(rng)}}),
        7 => json!({"op": "add", "path": "emails", "value": [email(rng)]}),
        8 => {
            json!({"op": "replace", "path": "emails[type eq \"work\"].value", "value": "new@example.com"})
        }
        9 => {
            json!({"op": "remove", "path": format!("emails[type eq \"{}\"]", rng.pick(&["work", "home"]))})
        }
        10 => {
            json!({"op": "replace", "path": "emails[type eq \"home\"]", "value": {"display": text(rng)}})
        }
        11 => json!({"op": "add", "path": format!("{ENTERPRISE}:department"), "value": text(rng)}),
        12 => {
            json!({"op": "replace", "path": format!("{ENTERPRISE}:manager.value"), "value": "mgr-1"})
        }
        13 => json!({"op": "remove", "path": format!("{ENTERPRISE}:department")}),
        14 => json!({"op": "add", "value": {"nickName": text(rng), "title": text(rng)}}),
        15 => json!({"op": "replace", "value": {"displayName": text(rng)}}),
        16 => json!({"op": "remove"}),
        17 => json!({"op": "remove", "path": "userName"}),
        18 => json!({"op": "replace", "path": "id", "value": "x"}),
        19 => json!({"op": "add", "path": "noSuchAttribute", "value": "x"}),
        20 => {
            json!({"op": "replace", "path": "emails[type zz \"work\"]", "value": {"value": "x@example.com"}})
        }
        _ => json!({"op": "move", "path": "nickName", "value": "x"}),
    }
}

/// A random sequence of `len` requests of 1-3 operations each.
pub fn gen_sequence(rng: &mut Rng, len: usize) -> Vec<GenRequest> {
    (0..len)
        .map(|_| (0..1 + rng.below(3)).map(|_| gen_op(rng)).collect())
        .collect()
}

/// The user every sequence starts from.
pub fn initial_user(user_name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "title": "Countess",
        "emails": [{"value": "ada@example.com", "type": "work", "primary": true}]
    })
}

fn patch_body(ops: &GenRequest) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

/// What one side answered to one PATCH, reduced to what is compared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Status class: 2, 4 or 5.
    pub class: u16,
    /// `scimType` of an error, when given.
    pub scim_type: Option<String>,
}

/// Everything observed for one sequence.
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    /// Per request.
    pub outcomes: Vec<Outcome>,
    /// The resource read back at the end, normalised.
    pub final_state: Value,
}

fn outcome(status: u16, body: Option<&Value>) -> Outcome {
    Outcome {
        class: status / 100,
        scim_type: if status >= 400 {
            body.and_then(|b| b.get("scimType"))
                .and_then(Value::as_str)
                .map(str::to_string)
        } else {
            None
        },
    }
}

/// Drops server-owned members and sorts multi-valued attributes, since providers MAY
/// reorder values (RFC 7643 §2.4).
pub fn normalise(user: &Value) -> Value {
    fn sort_arrays(v: &Value) -> Value {
        match v {
            Value::Array(items) => {
                let mut items: Vec<Value> = items.iter().map(sort_arrays).collect();
                items.sort_by_key(|i| i.to_string());
                Value::Array(items)
            }
            Value::Object(m) => {
                Value::Object(m.iter().map(|(k, v)| (k.clone(), sort_arrays(v))).collect())
            }
            other => other.clone(),
        }
    }
    let mut u = user.clone();
    if let Some(m) = u.as_object_mut() {
        for key in ["id", "meta", "schemas"] {
            m.remove(key);
        }
    }
    sort_arrays(&u)
}

/// The reference: a fresh in-process SCIM simulation of `profile` per sequence.
pub fn observe_reference(
    profile: Profile,
    user_name: &str,
    seq: &[GenRequest],
) -> Option<Observation> {
    let options = SimOptions::new(profile);
    let sim = ScimSim::new(&options);
    let base = options.base_path();
    let auth = (
        "authorization".to_string(),
        format!("Bearer {}", options.token),
    );
    let ct = (
        "content-type".to_string(),
        "application/scim+json".to_string(),
    );
    let call = |method: &str, path: String, body: Option<&Value>| {
        let req = SimRequest {
            method: method.into(),
            path,
            query: Vec::new(),
            headers: vec![auth.clone(), ct.clone(), ("host".into(), "model".into())],
            body: body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
        };
        sim.handle(&req)
    };
    let created = call(
        "POST",
        format!("{base}/Users"),
        Some(&initial_user(user_name)),
    );
    let id = created.json()?.get("id")?.as_str()?.to_string();
    let mut outcomes = Vec::new();
    for ops in seq {
        let r = call(
            "PATCH",
            format!("{base}/Users/{id}"),
            Some(&patch_body(ops)),
        );
        outcomes.push(outcome(r.status, r.json().as_ref()));
    }
    let got = call("GET", format!("{base}/Users/{id}"), None);
    Some(Observation {
        outcomes,
        final_state: normalise(&got.json()?),
    })
}

/// Why the target could not be observed.
pub type ObserveError = String;

async fn send(
    client: &HttpClient,
    target: &Target,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<HttpResponse, ObserveError> {
    let req = target.request_for(method, path, body.map(Value::to_string), None, true);
    client
        .send(&req)
        .await
        .map_err(|e| format!("{method} {path}: {e}"))
}

/// Runs a sequence on the target (creating and finally deleting its own user).
pub async fn observe_target(
    client: &HttpClient,
    target: &Target,
    user_name: &str,
    seq: &[GenRequest],
) -> Result<Observation, ObserveError> {
    let created = send(
        client,
        target,
        "POST",
        "/Users",
        Some(&initial_user(user_name)),
    )
    .await?;
    let id = created
        .json
        .as_ref()
        .and_then(|b| b.get("id"))
        .and_then(Value::as_str)
        .ok_or_else(|| format!("creating a user answered {} without an id", created.status))?
        .to_string();
    let mut outcomes = Vec::new();
    for ops in seq {
        let r = send(
            client,
            target,
            "PATCH",
            &format!("/Users/{id}"),
            Some(&patch_body(ops)),
        )
        .await;
        match r {
            Ok(r) => outcomes.push(outcome(r.status, r.json.as_ref())),
            Err(e) => {
                let _ = send(client, target, "DELETE", &format!("/Users/{id}"), None).await;
                return Err(e);
            }
        }
    }
    let got = send(client, target, "GET", &format!("/Users/{id}"), None).await;
    let _ = send(client, target, "DELETE", &format!("/Users/{id}"), None).await;
    let got = got?;
    let body = got
        .json
        .ok_or_else(|| format!("reading the user back answered {} without JSON", got.status))?;
    Ok(Observation {
        outcomes,
        final_state: normalise(&body),
    })
}

/// How two observations differ, if they do.
pub fn divergence(reference: &Observation, target: &Observation) -> Option<String> {
    for (i, (r, t)) in reference.outcomes.iter().zip(&target.outcomes).enumerate() {
        if r.class != t.class {
            return Some(format!(
                "request {}: reference answered {}xx, target {}xx",
                i + 1,
                r.class,
                t.class
            ));
        }
        if r.class == 4 && t.scim_type.is_some() && r.scim_type != t.scim_type {
            return Some(format!(
                "request {}: reference scimType {:?}, target {:?}",
                i + 1,
                r.scim_type,
                t.scim_type
            ));
        }
    }
    if reference.final_state != target.final_state {
        return Some("the resource read back differs".into());
    }
    None
}

/// A divergence found and shrunk.
#[derive(Clone, Debug)]
pub struct Finding {
    /// Index of the generated sequence.
    pub sequence: usize,
    /// The minimal sequence that still diverges.
    pub requests: Vec<GenRequest>,
    /// What differs.
    pub summary: String,
    /// The reference's observation of the minimal sequence.
    pub reference: Observation,
}

/// Settings of an exploration.
pub struct Explore<'a> {
    /// HTTP client.
    pub client: &'a HttpClient,
    /// The target under test.
    pub target: &'a Target,
    /// The reference profile.
    pub profile: Profile,
    /// Seed.
    pub seed: u64,
    /// Number of sequences.
    pub count: usize,
    /// Requests per sequence.
    pub length: usize,
    /// Prefix of user names (unique per run).
    pub name_prefix: String,
}

impl Explore<'_> {
    async fn diverges(
        &self,
        tag: &str,
        seq: &[GenRequest],
    ) -> Result<Option<(String, Observation)>, ObserveError> {
        let name = format!("{}-{tag}", self.name_prefix);
        let Some(reference) = observe_reference(self.profile, &name, seq) else {
            return Err("the reference could not create its user".into());
        };
        let target = observe_target(self.client, self.target, &name, seq).await?;
        Ok(divergence(&reference, &target).map(|d| (d, reference)))
    }

    /// Runs every sequence; returns the shrunk findings (at most one per sequence).
    pub async fn run(&self) -> Result<Vec<Finding>, ObserveError> {
        let mut rng = Rng::new(self.seed);
        let mut findings = Vec::new();
        for n in 0..self.count {
            let seq = gen_sequence(&mut rng, self.length);
            if self.diverges(&format!("{n}"), &seq).await?.is_none() {
                continue;
            }
            let (requests, summary, reference) = self.shrink(n, seq).await?;
            findings.push(Finding {
                sequence: n,
                requests,
                summary,
                reference,
            });
        }
        Ok(findings)
    }

    /// Greedy shrinking: drop whole requests, then single operations, while the
    /// divergence remains.
    async fn shrink(
        &self,
        n: usize,
        mut seq: Vec<GenRequest>,
    ) -> Result<(Vec<GenRequest>, String, Observation), ObserveError> {
        let mut attempt = 0usize;
        let mut progress = true;
        while progress {
            progress = false;
            let mut i = 0;
            while i < seq.len() {
                let mut candidate = seq.clone();
                candidate.remove(i);
                attempt += 1;
                if !candidate.is_empty()
                    && self
                        .diverges(&format!("{n}-s{attempt}"), &candidate)
                        .await?
                        .is_some()
                {
                    seq = candidate;
                    progress = true;
                } else {
                    i += 1;
                }
            }
            for r in 0..seq.len() {
                let mut j = 0;
                while seq[r].len() > 1 && j < seq[r].len() {
                    let mut candidate = seq.clone();
                    candidate[r].remove(j);
                    attempt += 1;
                    if self
                        .diverges(&format!("{n}-s{attempt}"), &candidate)
                        .await?
                        .is_some()
                    {
                        seq = candidate;
                        progress = true;
                    } else {
                        j += 1;
                    }
                }
            }
        }
        let (summary, reference) = self
            .diverges(&format!("{n}-final"), &seq)
            .await?
            .ok_or_else(|| {
                "the divergence disappeared while shrinking (the target is not deterministic)"
                    .to_string()
            })?;
        Ok((seq, summary, reference))
    }
}

/// A replayable case file for a finding: the reference's behaviour as expectations.
// Long: writes a case file line by line in the order a reader meets it.
pub fn case_file(finding: &Finding, profile: Profile, seed: u64) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# yaml-language-server: $schema=../schemas/case.schema.json"
    );
    let _ = writeln!(
        out,
        "# Found by `scimcert explore --seed {seed}` (sequence {}), shrunk.",
        finding.sequence
    );
    let _ = writeln!(out, "# Divergence: {}", finding.summary);
    let _ = writeln!(out, "- id: explore-{seed}-{}", finding.sequence);
    let _ = writeln!(
        out,
        "  title: {}",
        json!(format!("model-based divergence: {}", finding.summary))
    );
    let _ = writeln!(out, "  level: MUST");
    let _ = writeln!(out, "  api: scim");
    let _ = writeln!(out, "  profiles: [{profile}]");
    let _ = writeln!(out, "  tags: [explore]");
    let _ = writeln!(out, "  setup:");
    let _ = writeln!(out, "    - request:");
    let _ = writeln!(out, "        method: POST");
    let _ = writeln!(out, "        path: /Users");
    let _ = writeln!(
        out,
        "        body: {}",
        initial_user("scimcert-{{ run_id }}-{{ uuid }}")
    );
    let _ = writeln!(out, "      expect: {{status: [200, 201]}}");
    let _ = writeln!(out, "      capture: {{user_id: {{body: /id}}}}");
    let _ = writeln!(out, "  steps:");
    for (ops, o) in finding.requests.iter().zip(&finding.reference.outcomes) {
        let _ = writeln!(out, "    - request:");
        let _ = writeln!(out, "        method: PATCH");
        let _ = writeln!(out, "        path: \"/Users/{{{{ user_id }}}}\"");
        let _ = writeln!(out, "        body: {}", patch_body(ops));
        match o.class {
            2 => {
                let _ = writeln!(out, "      expect: {{status: [200, 204]}}");
            }
            c => {
                let codes: Vec<String> = (c * 100..c * 100 + 100)
                    .filter(|s| matches!(s, 400 | 404 | 409 | 412 | 413 | 500 | 501))
                    .map(|s| s.to_string())
                    .collect();
                let _ = writeln!(out, "      expect: {{status: [{}]}}", codes.join(", "));
                if let Some(t) = &o.scim_type {
                    let _ = writeln!(out, "      should: {{body: {{scimType: {t}}}}}");
                }
            }
        }
    }
    let mut expected = finding.reference.final_state.clone();
    if let Some(m) = expected.as_object_mut() {
        m.insert("userName".into(), Value::String("#string".into()));
    }
    let _ = writeln!(out, "    - name: read back");
    let _ = writeln!(
        out,
        "      request: {{method: GET, path: \"/Users/{{{{ user_id }}}}\"}}"
    );
    let _ = writeln!(out, "      expect:");
    let _ = writeln!(out, "        status: 200");
    let _ = writeln!(out, "        strict: true");
    let _ = writeln!(out, "        any_order: true");
    let mut with_server_owned = expected;
    if let Some(m) = with_server_owned.as_object_mut() {
        for key in ["id", "meta", "schemas"] {
            m.insert(key.into(), Value::String("#present".into()));
        }
    }
    let _ = writeln!(out, "        body: {with_server_owned}");
    let _ = writeln!(out, "  cleanup:");
    let _ = writeln!(
        out,
        "    - request: {{method: DELETE, path: \"/Users/{{{{ user_id }}}}\"}}"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let a = gen_sequence(&mut Rng::new(7), 5);
        let b = gen_sequence(&mut Rng::new(7), 5);
        let c = gen_sequence(&mut Rng::new(8), 5);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn the_reference_agrees_with_itself() {
        let mut rng = Rng::new(1);
        for n in 0..20 {
            let seq = gen_sequence(&mut rng, 4);
            let a = observe_reference(Profile::Rfc7644, &format!("u{n}"), &seq).unwrap();
            let b = observe_reference(Profile::Rfc7644, &format!("u{n}"), &seq).unwrap();
            assert_eq!(divergence(&a, &b), None);
        }
    }

    #[test]
    fn profiles_that_differ_diverge() {
        // `"False"` for a boolean: coerced under entra, invalidValue under rfc7644.
        let seq = vec![vec![
            json!({"op": "replace", "path": "active", "value": "False"}),
        ]];
        let strict = observe_reference(Profile::Rfc7644, "u", &seq).unwrap();
        let lenient = observe_reference(Profile::Entra, "u", &seq).unwrap();
        assert!(divergence(&strict, &lenient).is_some());
    }
}
