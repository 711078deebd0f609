//! Every rule in the catalogue (`cases/rules.yaml`) has at least one case, unless it is
//! marked `not_testable` with a written reason.

use std::path::PathBuf;

use scimcert::case::load_path;
use scimcert::case::rules::coverage;
use scimcert::check::SchemaRegistry;

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
