//! The committed `schemas/case.schema.json` must be what the Rust types generate.
//! Regenerate with `cargo run -- schema > schemas/case.schema.json` (or run this test
//! with `SCIMCERT_BLESS=1`).

use std::path::PathBuf;

#[test]
fn committed_case_schema_is_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas/case.schema.json");
    let generated = scimcert::case::json_schema();
    if std::env::var_os("SCIMCERT_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write case schema");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schemas/case.schema.json is stale: run `cargo run -- schema > schemas/case.schema.json`"
    );
}
