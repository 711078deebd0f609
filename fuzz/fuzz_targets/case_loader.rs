//! The case-file loader never panics on any input: it loads or reports a diagnostic.
//! And its fast YAML reader, whenever it takes a text, reads it exactly as serde-saphyr
//! does (the `Debug` of a `Spanned` includes its locations).
#![no_main]

use libfuzzer_sys::fuzz_target;
use scimcert::case::{Case, read_yaml_fast, yaml_options};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = scimcert::case::parse_file(std::path::Path::new("fuzz.yaml"), text);
        if let Some(fast) = read_yaml_fast(text) {
            match serde_saphyr::from_str_with_options::<Vec<Case>>(text, yaml_options()) {
                Ok(slow) => assert_eq!(format!("{fast:?}"), format!("{slow:?}")),
                Err(e) => panic!("the fast reader took a text serde-saphyr refuses: {e}"),
            }
        }
    }
});
