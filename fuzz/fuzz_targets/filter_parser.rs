//! The filter parser never panics, evaluation on a sample user never panics either, and
//! what it prints parses back to the same filter.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scimcert_patch::Schema;
use scimcert_patch::filter::{MAX_EXPRESSION_BYTES, parse_filter};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(filter) = parse_filter(text)
    {
        let schema = Schema::rfc7643_user();
        let user = serde_json::json!({
            "userName": "bjensen", "active": true, "title": "Tour Guide",
            "emails": [{"value": "b@example.com", "type": "work", "primary": true}],
            "meta": {"lastModified": "2024-01-01T00:00:00Z"}
        });
        let _ = filter.matches_resource(&user, &schema);
        let printed = filter.to_string();
        // Printing normalises spacing and literals, so a filter at the length limit may
        // print a little longer than the limit.
        if printed.len() <= MAX_EXPRESSION_BYTES {
            assert_eq!(
                parse_filter(&printed).as_ref(),
                Ok(&filter),
                "round trip of {printed:?}"
            );
        }
    }
});
