//! `{{ variable }}` templating in paths, query values, headers and bodies.

use std::collections::BTreeMap;

use serde_json::Value;

/// Variables every run defines: `run_id` (one per run) and `uuid` (one per case).
pub const BUILTIN_VARIABLES: &[&str] = &["run_id", "uuid"];

/// Variables a target may define (the built-in simulations define all of them; a real
/// target defines those given with `--var`). A case using one the target lacks is skipped.
pub const TARGET_VARIABLES: &[&str] = &["tenant", "readonly_token"];

/// Variable values by name.
pub type Vars = BTreeMap<String, String>;

/// Variable a real target sets from `[fixtures] user_name_domain` (cases cannot use it):
/// fixture user names, written `scimcert-{{ run_id }}-{{ uuid }}…`, then render as
/// `scimcert-<run id>-<uuid>…@<domain>` everywhere (requests, filters, expectations),
/// for servers that want userNames to be email addresses.
pub const USER_NAME_DOMAIN: &str = "user_name_domain";

/// `text` with `@{{ user_name_domain }}` after each fixture user name in it.
fn with_user_name_domain(text: &str) -> std::borrow::Cow<'_, str> {
    static FIXTURE_NAME: std::sync::LazyLock<Option<regex::Regex>> =
        std::sync::LazyLock::new(|| {
            regex::Regex::new(
                r"(?i:scimcert)-\{\{\s*run_id\s*\}\}-\{\{\s*uuid\s*\}\}[A-Za-z0-9_-]*",
            )
            .ok()
        });
    let Some(re) = FIXTURE_NAME.as_ref() else {
        return text.into();
    };
    let mut out = String::with_capacity(text.len() + 32);
    let mut last = 0;
    for m in re.find_iter(text) {
        out.push_str(&text[last..m.end()]);
        if !text[m.end()..].starts_with('@') {
            out.push_str("@{{ ");
            out.push_str(USER_NAME_DOMAIN);
            out.push_str(" }}");
        }
        last = m.end();
    }
    if last == 0 {
        return text.into();
    }
    out.push_str(&text[last..]);
    out.into()
}

/// The names referenced in `text`, in order, with their byte offsets.
pub fn references(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(start) = find_pair(rest, b'{') {
        let after = &rest[start + 2..];
        let Some(end) = find_pair(after, b'}') else {
            break;
        };
        let name = after[..end].trim().to_string();
        found.push((offset + start, name));
        let consumed = start + 2 + end + 2;
        offset += consumed;
        rest = &rest[consumed..];
    }
    found
}

/// Every string (keys and values) inside a JSON value, for reference scanning.
pub fn strings_in<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| strings_in(v, out)),
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k);
                strings_in(v, out);
            }
        }
        _ => {}
    }
}

/// Substitutes every `{{ name }}`; a name missing from `vars` is an error naming it.
pub fn render(text: &str, vars: &Vars) -> Result<String, String> {
    if !has_template(text) {
        return Ok(text.to_string());
    }
    let text = if vars.contains_key(USER_NAME_DOMAIN) {
        with_user_name_domain(text)
    } else {
        text.into()
    };
    let mut out = String::with_capacity(text.len());
    let mut rest: &str = &text;
    while let Some(start) = find_pair(rest, b'{') {
        let after = &rest[start + 2..];
        let Some(end) = find_pair(after, b'}') else {
            break;
        };
        let name = after[..end].trim();
        let value = vars.get(name).ok_or_else(|| name.to_string())?;
        out.push_str(&rest[..start]);
        out.push_str(value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Whether any string (key or value) of a JSON value holds a `{{`.
pub fn holds_template(value: &Value) -> bool {
    match value {
        Value::String(s) => has_template(s),
        Value::Array(items) => items.iter().any(holds_template),
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| has_template(k) || holds_template(v)),
        _ => false,
    }
}

/// Renders every string (keys and values) of a JSON value.
pub fn render_value(value: &Value, vars: &Vars) -> Result<Value, String> {
    // A clone copies maps without hashing their keys again; most strings hold no
    // template and stay as they are.
    let mut out = value.clone();
    render_in_place(&mut out, vars)?;
    Ok(out)
}

fn render_in_place(value: &mut Value, vars: &Vars) -> Result<(), String> {
    match value {
        Value::String(s) if has_template(s) => *s = render(s, vars)?,
        Value::Array(items) => {
            for item in items {
                render_in_place(item, vars)?;
            }
        }
        Value::Object(map) if map.keys().any(|k| has_template(k)) => {
            for (k, mut v) in std::mem::take(map) {
                let key = render(&k, vars)?;
                render_in_place(&mut v, vars)?;
                map.insert(key, v);
            }
        }
        Value::Object(map) => {
            for v in map.values_mut() {
                render_in_place(v, vars)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Whether `text` holds a `{{`.
fn has_template(text: &str) -> bool {
    find_pair(text, b'{').is_some()
}

/// The byte offset of the first `{{` (or `}}`) in `text`: a byte scan, where a
/// substring search sets up a searcher per call, and most strings are short.
fn find_pair(text: &str, byte: u8) -> Option<usize> {
    text.as_bytes()
        .windows(2)
        .position(|w| w[0] == byte && w[1] == byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_is_found_in_keys_values_and_nested_items() {
        let plain = serde_json::json!({"a": ["x", {"b": 1}], "c": "{ not one }"});
        assert!(!holds_template(&plain));
        for held in [
            serde_json::json!({"a": ["x", "{{ v }}"]}),
            serde_json::json!({"{{ k }}": 1}),
            serde_json::json!({"a": {"b": "id-{{v}}"}}),
        ] {
            assert!(holds_template(&held), "{held}");
        }
    }

    fn vars() -> Vars {
        Vars::from([
            ("user_id".into(), "42".into()),
            ("run_id".into(), "r1".into()),
        ])
    }

    #[test]
    fn renders_variables_with_and_without_spaces() {
        assert_eq!(
            render("/Users/{{ user_id }}", &vars()).unwrap(),
            "/Users/42"
        );
        assert_eq!(
            render("a{{run_id}}b{{ user_id}}", &vars()).unwrap(),
            "ar1b42"
        );
    }

    #[test]
    fn missing_variable_is_named() {
        assert_eq!(render("{{ nope }}", &vars()), Err("nope".to_string()));
    }

    #[test]
    fn references_report_names_and_offsets() {
        assert_eq!(
            references("x {{ a }} {{b}}"),
            vec![(2, "a".to_string()), (10, "b".to_string())]
        );
    }

    #[test]
    fn user_name_domain_turns_fixture_names_into_addresses() {
        let mut v = vars();
        v.insert("uuid".into(), "u1".into());
        v.insert(USER_NAME_DOMAIN.into(), "example.com".into());
        assert_eq!(
            render("scimcert-{{ run_id }}-{{uuid}}-a", &v).unwrap(),
            "scimcert-r1-u1-a@example.com"
        );
        // Upper-case spellings (case-insensitivity cases) get the same domain.
        assert_eq!(
            render("SCIMCERT-{{ run_id }}-{{ uuid }}", &v).unwrap(),
            "SCIMCERT-r1-u1@example.com"
        );
        assert_eq!(
            render(r#"userName eq "scimcert-{{ run_id }}-{{ uuid }}""#, &v).unwrap(),
            r#"userName eq "scimcert-r1-u1@example.com""#
        );
        // Other strings, and names that already have a domain, are left alone.
        assert_eq!(
            render("scimcert-{{ uuid }} {{ user_id }}", &v).unwrap(),
            "scimcert-u1 42"
        );
        assert_eq!(
            render("scimcert-{{ run_id }}-{{ uuid }}@corp.test", &v).unwrap(),
            "scimcert-r1-u1@corp.test"
        );
        v.remove(USER_NAME_DOMAIN);
        assert_eq!(
            render("scimcert-{{ run_id }}-{{ uuid }}", &v).unwrap(),
            "scimcert-r1-u1"
        );
    }

    #[test]
    fn renders_keys_and_nested_values() {
        let v = serde_json::json!({"k{{ run_id }}": ["{{ user_id }}", 1]});
        assert_eq!(
            render_value(&v, &vars()).unwrap(),
            serde_json::json!({"kr1": ["42", 1]})
        );
    }
}
