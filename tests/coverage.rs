//! Every rule in the catalogue (`cases/rules.yaml`) has at least one case, unless it is
//! marked `not_testable` with a written reason.

use std::path::PathBuf;

use scimcert::case::load_path;
use scimcert::check::SchemaRegistry;
use scimcert::report::coverage;

#[test]
fn every_rule_has_a_case() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let schemas = SchemaRegistry::load_dir(&root.join("schemas")).unwrap();
    let corpus = load_path(&root.join("cases"), &schemas.names()).unwrap();
    let catalogue = corpus.catalogue.clone().expect("cases/rules.yaml");
    let rows = coverage(&catalogue, &corpus.cases);
    let uncovered: Vec<&str> = rows
        .iter()
        .filter(|r| r.cases == 0 && r.not_testable.is_none())
        .map(|r| r.id.as_str())
        .collect();
    assert!(uncovered.is_empty(), "rules without a case: {uncovered:?}");
    for r in &rows {
        if let Some(why) = &r.not_testable {
            assert!(
                why.len() > 20,
                "rule {} is marked not testable without a real reason",
                r.id
            );
        }
    }
}

/// The corpus lint: a case that uses an optional feature (ETags, the enterprise
/// extension, an optional User attribute) declares it in `requires:`, so that a server
/// without it skips the case instead of failing or erroring it.
#[test]
fn every_optional_feature_a_case_uses_is_declared() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let schemas = SchemaRegistry::load_dir(&root.join("schemas")).unwrap();
    let corpus = load_path(&root.join("cases"), &schemas.names()).unwrap();
    let undeclared: Vec<String> = corpus
        .cases
        .iter()
        .flat_map(|lc| {
            lc.undeclared_requirements()
                .into_iter()
                .map(move |(req, pos)| {
                    format!(
                        "{pos}: case `{}` uses `{req}` without `requires: [{req}]`",
                        lc.id()
                    )
                })
        })
        .collect();
    assert!(
        undeclared.is_empty(),
        "{} undeclared requirement(s):\n{}",
        undeclared.len(),
        undeclared.join("\n")
    );
}
