//! Finding, parsing and validating case files. Everything is checked before any
//! request is sent; every problem is reported with its `file:line:col`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::case::matcher::Matcher;
use crate::case::model::{Case, Expect, Step};
use crate::case::requires::{self, Requirement};
use crate::case::rules::{Catalogue, RULES_FILE};
use crate::case::template::{self, BUILTIN_VARIABLES, TARGET_VARIABLES};
use crate::case::yaml;
use crate::diag::{Diagnostic, Pos};
use crate::outcome::Phase;

/// A case together with where it came from.
#[derive(Clone, Debug)]
pub struct LoadedCase {
    /// The case as written.
    pub case: Case,
    /// The file it is in.
    pub file: PathBuf,
    /// The file name without extension (used in test names).
    pub stem: String,
    /// The file's text, for showing the lines failures point at.
    pub source: std::sync::Arc<str>,
    /// What the case needs and the target variables it uses, worked out once when
    /// parsed (a case runs under several profiles).
    needs: std::sync::OnceLock<(BTreeSet<Requirement>, BTreeSet<String>)>,
}

impl LoadedCase {
    /// The case id.
    pub fn id(&self) -> &str {
        &self.case.id.value
    }

    /// A position in this case's file.
    pub fn pos(&self, loc: serde_saphyr::Location) -> Pos {
        Pos::at(&self.file, loc)
    }

    /// The source line at `pos` (1-based), if it exists.
    pub fn line_text(&self, line: u64) -> Option<String> {
        crate::diag::line_of(&self.source, line)
    }

    /// Every step in execution order with its phase name and index.
    pub fn all_steps(&self) -> impl Iterator<Item = (Phase, usize, &Step)> {
        let c = &self.case;
        let setup = c
            .setup
            .iter()
            .enumerate()
            .map(|(i, s)| (Phase::Setup, i, s));
        let steps = c.steps.iter().enumerate().map(|(i, s)| (Phase::Step, i, s));
        let cleanup = c
            .cleanup
            .iter()
            .enumerate()
            .map(|(i, s)| (Phase::Cleanup, i, s));
        setup.chain(steps).chain(cleanup)
    }

    /// What the case needs from the server: what it declares with `requires:` and what
    /// its requests show it uses.
    pub fn requirements(&self) -> &BTreeSet<Requirement> {
        &self.needs().0
    }

    fn needs(&self) -> &(BTreeSet<Requirement>, BTreeSet<String>) {
        self.needs.get_or_init(|| {
            let declared = self
                .case
                .requires
                .iter()
                .filter_map(|r| Requirement::parse(&r.value).ok());
            let requirements = declared
                .chain(requires::used(&self.case).into_keys())
                .collect();
            let mut variables = BTreeSet::new();
            for (_, _, step) in self.all_steps() {
                for text in step_strings(step) {
                    for (_, name) in template::references(text) {
                        if TARGET_VARIABLES.contains(&name.as_str()) {
                            variables.insert(name);
                        }
                    }
                }
            }
            (requirements, variables)
        })
    }

    /// The optional features the case uses without declaring them in `requires:`, each
    /// with the position of its first use (the corpus lint).
    pub fn undeclared_requirements(&self) -> Vec<(Requirement, Pos)> {
        let declared: BTreeSet<Requirement> = self
            .case
            .requires
            .iter()
            .filter_map(|r| Requirement::parse(&r.value).ok())
            .collect();
        requires::used(&self.case)
            .into_iter()
            .filter(|(req, _)| req.must_be_declared() && !declared.contains(req))
            .map(|(req, at)| (req, self.pos(at)))
            .collect()
    }

    /// Target variables the case uses (a target lacking one makes the case a skip).
    pub fn target_variables(&self) -> &BTreeSet<String> {
        &self.needs().1
    }
}

/// All loaded cases plus the text of their files (for diagnostics).
#[derive(Clone, Debug, Default)]
pub struct Corpus {
    /// Cases in file order, files sorted by path.
    pub cases: Vec<LoadedCase>,
    /// Source text by file.
    pub sources: BTreeMap<PathBuf, String>,
    /// The rule catalogue (`rules.yaml` in the cases folder), when there is one.
    pub catalogue: Option<Catalogue>,
}

/// Why cases could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A file or directory could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The files are readable but wrong.
    #[error("{}", render_all(.0))]
    Invalid(Vec<Diagnostic>),
}

fn render_all(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&d.to_string());
        out.push('\n');
    }
    out.push_str(&format!(
        "{} problem{} in case files",
        diags.len(),
        if diags.len() == 1 { "" } else { "s" }
    ));
    out
}

/// Loads every `*.yaml`/`*.yml` below `dir` (or the single file `dir`).
pub fn load_path(path: &Path, known_schemas: &BTreeSet<String>) -> Result<Corpus, LoadError> {
    let mut files = Vec::new();
    collect_files(path, &mut files)?;
    files.sort();
    let mut corpus = Corpus::default();
    let mut diags = Vec::new();
    let mut texts = Vec::with_capacity(files.len());
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|source| LoadError::Io {
            path: file.clone(),
            source,
        })?;
        texts.push((file, text));
    }
    let rules_path = if path.is_dir() {
        path.join(RULES_FILE)
    } else {
        path.with_file_name(RULES_FILE)
    };
    let rules_text = if rules_path.is_file() {
        Some(
            std::fs::read_to_string(&rules_path).map_err(|source| LoadError::Io {
                path: rules_path.clone(),
                source,
            })?,
        )
    } else {
        None
    };
    // Parsing is a fifth of a corpus run and comes before its first request: the files
    // are parsed on every core, largest first from one queue (files differ tenfold in
    // size), the rule catalogue alongside, then kept in their sorted order.
    let mut by_size: Vec<usize> = (0..texts.len()).collect();
    by_size.sort_by_key(|&i| std::cmp::Reverse(texts[i].1.len()));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let take_files = || {
        let mut done = Vec::new();
        while let Some(&i) = by_size.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) {
            let (file, text) = &texts[i];
            done.push((i, parse_file(file, text)));
        }
        done
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (mut parsed, catalogue) = std::thread::scope(|scope| {
        let workers: Vec<_> = (1..threads).map(|_| scope.spawn(take_files)).collect();
        let catalogue = rules_text
            .as_ref()
            .map(|text| Catalogue::parse(&rules_path, text));
        let mut parsed = take_files();
        for worker in workers {
            // A parser panic is a bug of ours: it goes on as a panic, losing no file.
            parsed.extend(
                worker
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p)),
            );
        }
        (parsed, catalogue)
    });
    parsed.sort_by_key(|(i, _)| *i);
    for ((file, text), (_, result)) in texts.into_iter().zip(parsed) {
        match result {
            Ok(cases) => corpus.cases.extend(cases),
            Err(d) => diags.push(d),
        }
        corpus.sources.insert(file, text);
    }
    match catalogue {
        Some(Ok(c)) => corpus.catalogue = Some(c),
        Some(Err(d)) => diags.push(d),
        None => {}
    }
    diags.extend(validate(&corpus, known_schemas));
    if diags.is_empty() {
        Ok(corpus)
    } else {
        Err(LoadError::Invalid(diags))
    }
}

fn collect_files(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let io = |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    for entry in std::fs::read_dir(path).map_err(io)? {
        let entry = entry.map_err(io)?;
        let p = entry.path();
        if p.is_dir() {
            collect_files(&p, out)?;
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
            && p.file_name().is_some_and(|n| n != RULES_FILE)
        {
            out.push(p);
        }
    }
    Ok(())
}

/// Parses one file's text into cases (no cross-case validation).
pub fn parse_file(file: &Path, text: &str) -> Result<Vec<LoadedCase>, Diagnostic> {
    // The fast reader takes the plain YAML case files are written in, in a third of
    // serde-saphyr's time; whatever it declines, errors included, serde-saphyr reads and
    // reports as it always has.
    let cases = match yaml::read(text) {
        Some(cases) => cases,
        None => saphyr_cases(file, text)?,
    };
    let source: std::sync::Arc<str> = std::sync::Arc::from(text);
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(cases
        .into_iter()
        .map(|case| {
            let loaded = LoadedCase {
                case,
                file: file.to_path_buf(),
                stem: stem.clone(),
                source: source.clone(),
                needs: std::sync::OnceLock::new(),
            };
            // Worked out here, on a parsing thread, instead of one case after another
            // when the run pairs cases with targets.
            loaded.needs();
            loaded
        })
        .collect())
}

/// The cases of `text` as serde-saphyr reads them, or its error as a diagnostic.
pub(super) fn saphyr_cases(file: &Path, text: &str) -> Result<Vec<Case>, Diagnostic> {
    serde_saphyr::from_str_with_options(text, super::yaml::saphyr_options()).map_err(|e| {
        let pos = e
            .location()
            .map(|l| Pos::at(file, l))
            .unwrap_or_else(|| Pos::file_start(file));
        Diagnostic::new(saphyr_message(&e), pos, text)
    })
}

/// The error's message without serde-saphyr's own location and snippet.
fn saphyr_message(e: &serde_saphyr::Error) -> String {
    let full = e.without_snippet().to_string();
    let first = full.lines().next().unwrap_or("invalid YAML").trim();
    // serde-saphyr appends " at line L, column C"; the position is shown separately.
    let msg = match first.rfind(" at line ") {
        Some(i) => &first[..i],
        None => first,
    };
    let msg = msg.trim_start_matches("error: ");
    // serde-saphyr's resource guard names its internal counter; say what it means.
    if let Some(detail) = msg.strip_prefix("budget breached: ") {
        if detail.starts_with("Depth") {
            return "YAML nested too deeply (at most 64 levels)".to_string();
        }
        return format!("case file too large or complex for the YAML parser's limits ({detail})");
    }
    msg.to_string()
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn valid_rule(rule: &str) -> bool {
    static RULE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RULE.get_or_init(|| {
        regex::Regex::new(r"^([A-Z]{1,3}-\d{2}|E\d{1,2}|O\d|SP|GH|AWS)$").expect("static regex")
    })
    .is_match(rule)
}

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// Checks that need the whole corpus or knowledge outside one value.
// Long: one check per kind of problem a case can have, each with its own diagnostic.
pub fn validate(corpus: &Corpus, known_schemas: &BTreeSet<String>) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let mut seen: BTreeMap<&str, &LoadedCase> = BTreeMap::new();
    for lc in &corpus.cases {
        let src = corpus
            .sources
            .get(&lc.file)
            .map(String::as_str)
            .unwrap_or("");
        let id = &lc.case.id;
        let id_pos = lc.pos(id.referenced);
        if !valid_id(&id.value) {
            diags.push(Diagnostic::new(
                format!(
                    "invalid case id `{}`: use letters, digits, `-`, `_` and `.`",
                    id.value
                ),
                id_pos.clone(),
                src,
            ));
        }
        if let Some(first) = seen.get(id.value.as_str()) {
            let first_src = corpus
                .sources
                .get(&first.file)
                .map(String::as_str)
                .unwrap_or("");
            diags.push(
                Diagnostic::new(
                    format!("duplicate case id `{}`", id.value),
                    id_pos.clone(),
                    src,
                )
                .with_related(
                    "first defined here",
                    first.pos(first.case.id.referenced),
                    first_src,
                ),
            );
        } else {
            seen.insert(&id.value, lc);
        }
        for rule in &lc.case.rules {
            let unknown = corpus.catalogue.as_ref().is_some_and(|c| !c.contains(rule));
            if unknown {
                diags.push(Diagnostic::new(
                    format!(
                        "case `{}`: rule `{rule}` is not in the rule catalogue ({RULES_FILE})",
                        id.value
                    ),
                    id_pos.clone(),
                    src,
                ));
            } else if !valid_rule(rule) {
                diags.push(Diagnostic::new(
                    format!(
                        "case `{}`: `{rule}` is not a rule ID (e.g. P-12, A-08, VD-05, E2)",
                        id.value
                    ),
                    id_pos.clone(),
                    src,
                ));
            }
        }
        if lc.case.steps.is_empty() {
            diags.push(Diagnostic::new(
                format!("case `{}` has no steps", id.value),
                id_pos.clone(),
                src,
            ));
        }
        for p in &lc.case.profiles {
            if p.api() != lc.case.api {
                diags.push(Diagnostic::new(
                    format!(
                        "case `{}`: profile `{p}` belongs to api `{}`, not `{}`",
                        id.value,
                        p.api(),
                        lc.case.api
                    ),
                    id_pos.clone(),
                    src,
                ));
            }
        }
        for req in &lc.case.requires {
            if let Err(message) = Requirement::parse(&req.value) {
                diags.push(Diagnostic::new(
                    format!("case `{}`: {message}", id.value),
                    lc.pos(req.referenced),
                    src,
                ));
            }
        }
        validate_steps(lc, src, known_schemas, &mut diags);
    }
    diags
}

// Long: one check per kind of problem a step can have, each with its own diagnostic.
fn validate_steps(
    lc: &LoadedCase,
    src: &str,
    known_schemas: &BTreeSet<String>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut defined: BTreeSet<String> = BUILTIN_VARIABLES
        .iter()
        .chain(TARGET_VARIABLES)
        .map(|s| s.to_string())
        .collect();
    let here = |loc: serde_saphyr::Location| lc.pos(loc);
    let mut check_refs = |text: &str,
                          loc: serde_saphyr::Location,
                          defined: &BTreeSet<String>,
                          diags: &mut Vec<Diagnostic>| {
        for (_, name) in template::references(text) {
            if !defined.contains(&name) {
                diags.push(Diagnostic::new(
                    format!("undefined variable `{name}` (capture it in an earlier step, or use a built-in: run_id, uuid, tenant, readonly_token)"),
                    here(loc),
                    src,
                ));
            }
        }
    };
    for (phase, index, step) in lc.all_steps() {
        let r = &step.request;
        let method = r.method.value.to_ascii_uppercase();
        if !METHODS.contains(&method.as_str()) {
            diags.push(Diagnostic::new(
                format!("unknown HTTP method `{}`", r.method.value),
                here(r.method.referenced),
                src,
            ));
        }
        if !r.path.value.starts_with('/') {
            diags.push(Diagnostic::new(
                format!(
                    "{phase} {}: path must start with `/` (it is relative to the API base URL)",
                    index + 1
                ),
                here(r.path.referenced),
                src,
            ));
        }
        check_refs(&r.path.value, r.path.referenced, &defined, diags);
        for v in r.query.values().chain(r.headers.values()) {
            check_refs(&v.value, v.referenced, &defined, diags);
        }
        if let Some(body) = &r.body {
            for s in json_strings(&body.value) {
                check_refs(s, body.referenced, &defined, diags);
            }
        }
        if let Some(raw) = &r.raw {
            check_refs(&raw.value, raw.referenced, &defined, diags);
            if let Some(body) = &r.body {
                diags.push(Diagnostic::new(
                    "a request has either `body` or `raw`, not both",
                    here(body.referenced),
                    src,
                ));
            }
        }
        let expects = std::iter::once(&step.expect)
            .chain(step.should.iter())
            .chain(step.expect_profile.values());
        for e in expects {
            validate_expect(e, lc, src, known_schemas, &defined, diags, &mut check_refs);
        }
        for (name, cap) in &step.capture {
            let c = &cap.value;
            if c.body.is_some() == c.header.is_some() {
                diags.push(Diagnostic::new(
                    format!(
                        "capture `{name}` needs exactly one of `body` (a JSON pointer) or `header`"
                    ),
                    here(cap.referenced),
                    src,
                ));
            }
            if let Some(p) = &c.body
                && !(p.is_empty() || p.starts_with('/'))
            {
                diags.push(Diagnostic::new(
                    format!("capture `{name}`: `{p}` is not a JSON pointer (it starts with `/`)"),
                    here(cap.referenced),
                    src,
                ));
            }
            defined.insert(name.clone());
        }
    }
}

type RefCheck<'a> =
    dyn FnMut(&str, serde_saphyr::Location, &BTreeSet<String>, &mut Vec<Diagnostic>) + 'a;

fn validate_expect(
    e: &Expect,
    lc: &LoadedCase,
    src: &str,
    known_schemas: &BTreeSet<String>,
    defined: &BTreeSet<String>,
    diags: &mut Vec<Diagnostic>,
    check_refs: &mut RefCheck<'_>,
) {
    if let Some(status) = &e.status {
        let codes = status.value.codes();
        if codes.is_empty() || codes.iter().any(|c| !(100..=599).contains(c)) {
            diags.push(Diagnostic::new(
                "status must be an HTTP status code (100-599) or a non-empty list of them",
                lc.pos(status.referenced),
                src,
            ));
        }
    }
    if let Some(schema) = &e.schema
        && !known_schemas.contains(&schema.value)
    {
        let list: Vec<&str> = known_schemas.iter().map(String::as_str).collect();
        diags.push(Diagnostic::new(
            format!(
                "unknown schema `{}` (known: {})",
                schema.value,
                list.join(", ")
            ),
            lc.pos(schema.referenced),
            src,
        ));
    }
    if let Some(body) = &e.body {
        if let Err(msg) = Matcher::validate(&body.value) {
            diags.push(Diagnostic::new(msg, lc.pos(body.referenced), src));
        }
        for s in json_strings(&body.value) {
            check_refs(s, body.referenced, defined, diags);
        }
    }
    for (name, h) in &e.headers {
        if let Some(re) = &h.value.matches
            && let Err(err) = regex::Regex::new(re)
        {
            diags.push(Diagnostic::new(
                format!("header `{name}`: invalid regex: {err}"),
                lc.pos(h.referenced),
                src,
            ));
        }
        if let Some(eq) = &h.value.equals {
            check_refs(eq, h.referenced, defined, diags);
        }
    }
}

fn json_strings(value: &Value) -> Vec<&str> {
    let mut out = Vec::new();
    template::strings_in(value, &mut out);
    out
}

/// Every template-bearing string of a step (for variable scans).
fn step_strings(step: &Step) -> Vec<&str> {
    let r = &step.request;
    let mut out = vec![r.path.value.as_str()];
    out.extend(r.query.values().map(|v| v.value.as_str()));
    out.extend(r.headers.values().map(|v| v.value.as_str()));
    if let Some(b) = &r.body {
        template::strings_in(&b.value, &mut out);
    }
    if let Some(raw) = &r.raw {
        out.push(&raw.value);
    }
    if let Some(b) = &step.expect.body {
        template::strings_in(&b.value, &mut out);
    }
    out
}

impl fmt::Display for LoadedCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{}::{}", self.case.api, self.stem, self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "\
- id: a
  title: t
  level: MUST
  api: scim
  steps:
    - request: {method: GET, path: /Users}
";

    fn load_texts(files: &[(&str, &str)]) -> Result<Corpus, Vec<Diagnostic>> {
        let schemas: BTreeSet<String> = ["scim-user".to_string()].into();
        let mut corpus = Corpus::default();
        let mut diags = Vec::new();
        for (name, text) in files {
            let file = PathBuf::from(name);
            match parse_file(&file, text) {
                Ok(cases) => corpus.cases.extend(cases),
                Err(d) => diags.push(d),
            }
            corpus.sources.insert(file, text.to_string());
        }
        diags.extend(validate(&corpus, &schemas));
        if diags.is_empty() {
            Ok(corpus)
        } else {
            Err(diags)
        }
    }

    fn one_error(text: &str) -> Diagnostic {
        let mut d = load_texts(&[("c.yaml", text)]).expect_err("should fail");
        assert_eq!(d.len(), 1, "{d:?}");
        d.remove(0)
    }

    #[test]
    fn good_file_loads() {
        let c = load_texts(&[("c.yaml", GOOD)]).unwrap();
        assert_eq!(c.cases.len(), 1);
        assert_eq!(c.cases[0].stem, "c");
    }

    #[test]
    fn unknown_field_points_at_it() {
        let d = one_error(&GOOD.replace("  title: t\n", "  title: t\n  titel: x\n"));
        assert!(d.message.contains("titel"), "{}", d.message);
        assert_eq!((d.pos.line, d.pos.col), (3, 3));
        assert_eq!(d.line_text.as_deref(), Some("  titel: x"));
    }

    #[test]
    fn deep_nesting_is_a_plain_error_at_its_position() {
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        let text = GOOD.replace(
            "{method: GET, path: /Users}",
            &format!("{{method: PATCH, path: /Users/1, body: {deep}}}"),
        );
        let d = one_error(&text);
        assert!(d.message.contains("nested too deeply"), "{}", d.message);
        assert_eq!(d.pos.line, 6);
    }

    #[test]
    fn bad_level_points_at_it() {
        let d = one_error(&GOOD.replace("level: MUST", "level: MUSTN'T"));
        assert!(d.message.contains("MUSTN'T"), "{}", d.message);
        assert_eq!(d.pos.line, 3);
    }

    #[test]
    fn duplicate_ids_name_both_positions() {
        let d = load_texts(&[("a.yaml", GOOD), ("b.yaml", &format!("\n{GOOD}"))]).unwrap_err();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].message, "duplicate case id `a`");
        assert_eq!(d[0].pos.to_string(), "b.yaml:2:7");
        assert_eq!(d[0].related[0].1.to_string(), "a.yaml:1:7");
    }

    #[test]
    fn undefined_variable_points_at_the_string() {
        let d = one_error(&GOOD.replace("path: /Users}", "path: \"/Users/{{ user_id }}\"}"));
        assert!(
            d.message.contains("undefined variable `user_id`"),
            "{}",
            d.message
        );
        assert_eq!(d.pos.line, 6);
    }

    #[test]
    fn captured_variable_is_defined_for_later_steps() {
        let text = GOOD.replace(
            "    - request: {method: GET, path: /Users}\n",
            "    - request: {method: GET, path: /Users}\n      capture: {user_id: {body: /id}}\n    - request: {method: GET, path: \"/Users/{{ user_id }}\"}\n",
        );
        load_texts(&[("c.yaml", &text)]).unwrap();
    }

    #[test]
    fn unknown_schema_is_reported() {
        let d = one_error(&GOOD.replace(
            "path: /Users}",
            "path: /Users}\n      expect: {schema: scim-usr}",
        ));
        assert!(
            d.message.contains("unknown schema `scim-usr`"),
            "{}",
            d.message
        );
        assert_eq!(d.pos.line, 7);
    }

    #[test]
    fn bad_matcher_and_rule_and_method_are_reported() {
        assert!(
            one_error(&GOOD.replace(
                "path: /Users}",
                "path: /Users}\n      expect: {body: {id: \"#uid\"}}"
            ))
            .message
            .contains("unknown matcher")
        );
        assert!(
            one_error(&GOOD.replace("  level:", "  rules: [P12]\n  level:"))
                .message
                .contains("not a rule ID")
        );
        assert!(
            one_error(&GOOD.replace("method: GET", "method: FETCH"))
                .message
                .contains("unknown HTTP method")
        );
    }

    #[test]
    fn diagnostic_renders_like_a_compiler() {
        let d = one_error(&GOOD.replace("level: MUST", "level: OFTEN"));
        let text = d.to_string();
        assert!(text.starts_with("error: "), "{text}");
        assert!(text.contains("  --> c.yaml:3:"), "{text}");
        assert!(text.contains(" 3 |   level: OFTEN"), "{text}");
    }
}
