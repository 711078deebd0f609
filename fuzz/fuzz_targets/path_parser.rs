//! The PATCH path parser never panics, and what it prints parses back to the same path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scimcert::patch::parse_path;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(path) = parse_path(text)
    {
        let printed = path.to_string();
        let again = parse_path(&printed).expect("a printed path parses");
        assert_eq!(again, path, "round trip of {printed:?}");
    }
});
