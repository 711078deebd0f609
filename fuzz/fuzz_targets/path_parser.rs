//! The PATCH path parser never panics, and what it prints parses back to the same path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scimcert_patch::filter::MAX_EXPRESSION_BYTES;
use scimcert_patch::parse_path;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(path) = parse_path(text)
    {
        let printed = path.to_string();
        // Printing normalises spacing and literals (`1e1` prints as `10.0`), so a path
        // at the length limit may print a little longer than the limit.
        if printed.len() <= MAX_EXPRESSION_BYTES {
            let again = parse_path(&printed).expect("a printed path parses");
            assert_eq!(again, path, "round trip of {printed:?}");
        }
    }
});
