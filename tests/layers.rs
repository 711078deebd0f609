//! The pipeline's one-way rule: a module imports only from layers below its own
//! (ARCHITECTURE.md). Reads every `crate::<module>` path in `src/` outside test code and
//! fails on any that points sideways or up.
//!
//! And the public surface: below the crate root a submodule is private behind its
//! parent's re-exports, so a `pub mod` there needs a comment saying why it is public.

use std::path::{Path, PathBuf};

/// The layers, lowest first. L0 modules may use one another; above L0 a module uses
/// only lower layers.
const LAYERS: &[&[&str]] = &[
    &[
        "api", "diag", "exchange", "outcome", "exit", "secret", "util",
    ],
    &["patch"],
    &["case", "sim"],
    &["check"],
    &["run"],
    &["report"],
    &["plan", "tools"],
    &["cli"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top module a file of `src/` belongs to (`src/run/http.rs` → `run`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    Some(first.trim_end_matches(".rs").to_string())
}

/// The `crate::<module>` paths a source text names, outside its test code (a
/// `#[cfg(test)]` module runs to the end of the file by this crate's convention), with
/// their line numbers.
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let preceded = rest[..at]
                .chars()
                .last()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            // `crate::{a::X, b}` names several modules at once.
            let group = after
                .strip_prefix('{')
                .map(|g| g.split('}').next().unwrap_or(g));
            let heads: Vec<&str> = match group {
                Some(g) => g.split(',').collect(),
                None => vec![after],
            };
            for head in heads {
                let name: String = head
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !preceded && !name.is_empty() {
                    out.push((i + 1, name));
                }
            }
            rest = after;
        }
    }
    out
}

fn back_edges(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    sources(src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    for file in files {
        let is_tests = file.file_name().is_some_and(|n| n == "tests.rs");
        let Some(module) = module_of(src, &file) else {
            continue;
        };
        // The crate root and the binary wire everything together.
        if matches!(module.as_str(), "lib" | "main") || is_tests {
            continue;
        }
        let Some(own) = layer_of(&module) else {
            problems.push(format!(
                "{}: module `{module}` has no layer in tests/layers.rs",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("read source");
        for (line, used) in crate_paths(&text) {
            if used == module {
                continue;
            }
            let Some(theirs) = layer_of(&used) else {
                continue;
            };
            let downward = theirs < own || (own == 0 && theirs == 0);
            if !downward {
                problems.push(format!(
                    "{}:{line}: `{module}` (L{own}) uses `crate::{used}` (L{theirs})",
                    file.display()
                ));
            }
        }
    }
    problems
}

/// The crate's `src` folder.
fn source_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Fails listing `problems`, counted and named as `what`, unless there are none.
fn assert_none(problems: Vec<String>, what: &str) {
    assert!(
        problems.is_empty(),
        "{} {what}:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_import_points_down_the_layers() {
    assert_none(
        back_edges(&source_dir()),
        "import(s) against the layer order",
    );
}

#[test]
fn a_back_edge_is_caught() {
    let dir = std::env::temp_dir().join(format!("scimcert-layers-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("check")).expect("temp src");
    std::fs::write(
        dir.join("check/mod.rs"),
        "use crate::outcome::Verdict;\nuse crate::run::HttpClient;\n#[cfg(test)]\nmod tests { use crate::cli::Cli; }\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("case.rs"),
        "use crate::{api::Api, sim::Simulation};\n",
    )
    .expect("write");
    let problems = back_edges(&dir);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("`case` (L2) uses `crate::sim` (L2)"));
    assert!(problems[1].contains("`check` (L3) uses `crate::run` (L4)"));
}

/// Whether `line` declares a public module (`pub mod x;` or `pub mod x {`).
fn is_pub_mod(line: &str) -> bool {
    line.trim_start().starts_with("pub mod ")
}

/// The `pub mod` declarations below the crate root (`lib.rs`, `main.rs`) with no `//`
/// comment right above them (past attributes, doc comments and the other `pub mod`
/// lines of the same block) saying why the module is public.
fn unexplained_pub_mods(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    sources(src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap_or(&file);
        if rel == Path::new("lib.rs") || rel == Path::new("main.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read source");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !is_pub_mod(line) {
                continue;
            }
            let above = lines[..i]
                .iter()
                .map(|l| l.trim_start())
                .rev()
                .find(|l| !(is_pub_mod(l) || l.starts_with("#[") || l.starts_with("///")));
            let explained = above.is_some_and(|l| l.starts_with("//") && !l.starts_with("//!"));
            if !explained {
                problems.push(format!(
                    "{}:{}: `{}` is public without a comment saying why (make it private \
                     behind re-exports in its parent)",
                    file.display(),
                    i + 1,
                    line.trim()
                ));
            }
        }
    }
    problems
}

#[test]
fn submodules_are_private_unless_a_comment_says_why() {
    assert_none(unexplained_pub_mods(&source_dir()), "public submodule(s)");
}

#[test]
fn an_unexplained_pub_mod_is_caught() {
    let dir = std::env::temp_dir().join(format!("scimcert-pub-mod-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("run")).expect("temp src");
    std::fs::create_dir_all(dir.join("sim/idm")).expect("temp src");
    std::fs::write(dir.join("lib.rs"), "pub mod run;\npub mod sim;\n").expect("write");
    std::fs::write(
        dir.join("run/mod.rs"),
        "mod execute;\npub mod http;\n// Public as namespaces: why.\npub mod auth;\n\
         #[cfg(unix)]\npub mod rate;\npub(crate) mod target;\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("sim/idm/mod.rs"),
        "//! The IDM simulation.\n/// Its configuration.\npub mod config;\n",
    )
    .expect("write");
    let problems = unexplained_pub_mods(&dir);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("run/mod.rs:2: `pub mod http;`"));
    assert!(problems[1].contains("sim/idm/mod.rs:3: `pub mod config;`"));
}

/// Longest a function may be without a `// Long:` comment saying why (issue 11).
const MAX_FN_LINES: usize = 80;

/// Functions outside tests longer than [`MAX_FN_LINES`] (from the `fn` line to the
/// closing brace at its indentation, as rustfmt lays them out) with no `// Long:`
/// comment right above them (past attributes and doc comments).
fn unexplained_long_fns(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    sources(src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    for file in files {
        if file.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read source");
        let lines: Vec<&str> = text.lines().collect();
        // Unit tests sit at the end of a file, after `#[cfg(test)]`.
        let end = lines
            .iter()
            .position(|l| l.trim() == "#[cfg(test)]")
            .unwrap_or(lines.len());
        let mut i = 0;
        while i < end {
            let line = lines[i];
            let trimmed = line.trim_start();
            let signature = trimmed
                .trim_start_matches("pub ")
                .trim_start_matches("pub(crate) ")
                .trim_start_matches("pub(super) ")
                .trim_start_matches("async ")
                .trim_start_matches("const ");
            if !signature.starts_with("fn ") {
                i += 1;
                continue;
            }
            let indent = &line[..line.len() - trimmed.len()];
            let close = format!("{indent}}}");
            let Some(last) =
                (i..end).find(|&j| lines[j] == close || lines[j].ends_with(';') && j == i)
            else {
                break;
            };
            let length = last - i + 1;
            let above = lines[..i]
                .iter()
                .map(|l| l.trim_start())
                .rev()
                .find(|l| !(l.starts_with("#[") || l.starts_with("///")));
            let explained = above.is_some_and(|l| l.starts_with("// Long:"));
            if length > MAX_FN_LINES && !explained {
                problems.push(format!(
                    "{}:{}: `{}` is {length} lines: split it, or say why it must be long \
                     in a `// Long:` comment above it",
                    file.display(),
                    i + 1,
                    trimmed.split('(').next().unwrap_or(trimmed)
                ));
            }
            i = last + 1;
        }
    }
    problems
}

#[test]
fn long_functions_say_why() {
    assert_none(unexplained_long_fns(&source_dir()), "long function(s)");
}

#[test]
fn an_unexplained_long_function_is_caught() {
    let dir = std::env::temp_dir().join(format!("scimcert-long-fn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp src");
    let body = "    let x = 1;\n".repeat(MAX_FN_LINES);
    let text = format!(
        "/// Doc.\npub fn long_one() {{\n{body}}}\n\n// Long: a reason.\n#[inline]\nfn explained() {{\n{body}}}\n\
         fn short() {{\n    let y = 2;\n}}\n#[cfg(test)]\nmod tests {{\n    fn long_test() {{\n{body}    }}\n}}\n"
    );
    std::fs::write(dir.join("lib.rs"), text).expect("write");
    let problems = unexplained_long_fns(&dir);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("lib.rs:2: `pub fn long_one`"),
        "{problems:?}"
    );
}
