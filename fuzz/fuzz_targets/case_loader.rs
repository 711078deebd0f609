//! The case-file loader never panics on any input: it loads or reports a diagnostic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = scimcert::case::parse_file(std::path::Path::new("fuzz.yaml"), text);
    }
});
