//! Small text helpers shared by the tools: clipping, pretty bodies, key-sorted JSON.

use serde_json::Value;

use crate::exchange::HttpResponse;

/// `s` cut to at most `max` characters, with `…` when cut.
pub fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// `text` cut to at most `max_bytes` (on a character boundary) and `max_lines` lines,
/// saying how much was left out.
pub fn truncate(text: &str, max_bytes: usize, max_lines: usize) -> String {
    let mut end = text.len().min(max_bytes);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    if let Some((i, _)) = text[..end]
        .match_indices('\n')
        .nth(max_lines.saturating_sub(1))
    {
        end = i;
    }
    if end == text.len() {
        return text.to_string();
    }
    format!(
        "{}\n… ({} more bytes not shown)",
        &text[..end],
        text.len() - end
    )
}

/// A body for people: JSON pretty-printed, anything else as (lossy) text.
pub fn pretty_body(body: &[u8], json: Option<&Value>) -> String {
    match json {
        Some(v) => serde_json::to_string_pretty(v).unwrap_or_default(),
        None => String::from_utf8_lossy(body).into_owned(),
    }
}

/// A response body for people (see [`pretty_body`]).
pub fn pretty_response(resp: &HttpResponse) -> String {
    pretty_body(&resp.body, resp.json.as_ref())
}

/// A request body (text) for people: pretty-printed when it is JSON.
pub fn pretty_request_body(body: &str) -> String {
    match serde_json::from_str::<Value>(body) {
        Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_else(|_| body.to_string()),
        Err(_) => body.to_string(),
    }
}

/// `value` with the members of every object in key order, so two documents that differ
/// only in member order print the same.
pub fn sort_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sort_keys(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

/// Levenshtein distance between two strings (by character).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == *cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Up to `max` of `known` closest to `wanted`: those containing it (or contained in it)
/// first, then by edit distance, within a distance that still looks like a typo.
pub fn closest<'a>(
    wanted: &str,
    known: impl IntoIterator<Item = &'a str>,
    max: usize,
) -> Vec<String> {
    let wanted_lc = wanted.to_ascii_lowercase();
    let mut scored: Vec<(usize, &str)> = known
        .into_iter()
        .filter_map(|k| {
            let k_lc = k.to_ascii_lowercase();
            if !wanted_lc.is_empty() && (k_lc.contains(&wanted_lc) || wanted_lc.contains(&k_lc)) {
                return Some((0, k));
            }
            let d = edit_distance(&wanted_lc, &k_lc);
            (d <= (wanted.chars().count() / 3).max(2)).then_some((d, k))
        })
        .collect();
    scored.sort();
    scored.dedup();
    scored
        .into_iter()
        .take(max)
        .map(|(_, k)| k.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn truncation_says_what_was_left_out() {
        assert_eq!(truncate("abc", 10, 10), "abc");
        assert_eq!(truncate("abcdef", 3, 10), "abc\n… (3 more bytes not shown)");
        assert_eq!(
            truncate("a\nb\nc\n", 100, 2),
            "a\nb\n… (3 more bytes not shown)"
        );
        // Never cuts inside a character.
        assert!(truncate("ééé", 3, 10).starts_with('é'));
    }

    #[test]
    fn keys_sort_at_every_depth() {
        let v = sort_keys(&json!({"b": 1, "a": [{"d": 1, "c": 2}]}));
        assert_eq!(v.to_string(), r#"{"a":[{"c":2,"d":1}],"b":1}"#);
    }

    #[test]
    fn close_ids_are_suggested() {
        let known = ["scim-add-nickname", "scim-add-emails", "idm-post"];
        assert_eq!(
            closest("scim-add-nicknam", known, 3),
            vec!["scim-add-nickname"]
        );
        assert_eq!(
            closest("add", known, 3),
            vec!["scim-add-emails", "scim-add-nickname"]
        );
        assert!(closest("zzzzzzzz", known, 3).is_empty());
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn clip_marks_the_cut() {
        assert_eq!(clip("abcdef", 3), "abc…");
        assert_eq!(clip("ab", 3), "ab");
    }
}
