//! Body matchers: the `#kind` strings an expected body may hold in place of a value
//! (`#uuid`, `#datetime`, `#regex <re>`, ...). Read by the loader (to check them) and by
//! the checker (to apply them).

use serde_json::Value;

/// A `#kind` dynamic-value matcher.
#[derive(Clone, Debug)]
pub enum Matcher {
    /// `#uuid`: a UUID string.
    Uuid,
    /// `#datetime`: an RFC 3339 date-time string.
    DateTime,
    /// `#string`.
    String,
    /// `#number`.
    Number,
    /// `#boolean`.
    Boolean,
    /// `#object`.
    Object,
    /// `#array`.
    Array,
    /// `#null`.
    Null,
    /// `#present`: the member exists, whatever its value.
    Present,
    /// `#absent`: the member does not exist.
    Absent,
    /// `#regex <re>`: the value (as text) matches.
    Regex(regex::Regex),
}

impl Matcher {
    /// Reads a matcher from a string; `None` for a literal (`##x` is the literal `#x`).
    pub fn parse(text: &str) -> Option<Result<Matcher, String>> {
        let rest = text.strip_prefix('#')?;
        if rest.starts_with('#') {
            return None;
        }
        let m = match rest {
            "uuid" => Matcher::Uuid,
            "datetime" => Matcher::DateTime,
            "string" => Matcher::String,
            "number" => Matcher::Number,
            "boolean" => Matcher::Boolean,
            "object" => Matcher::Object,
            "array" => Matcher::Array,
            "null" => Matcher::Null,
            "present" => Matcher::Present,
            "absent" => Matcher::Absent,
            _ => match rest.strip_prefix("regex ") {
                Some(re) => match compiled(re) {
                    Ok(re) => Matcher::Regex(re),
                    Err(e) => return Some(Err(format!("invalid `#regex`: {e}"))),
                },
                None => {
                    return Some(Err(format!(
                        "unknown matcher `{text}` (known: #uuid #datetime #string #number #boolean #object #array #null #present #absent #regex <re>; write `##` for a literal `#`)"
                    )));
                }
            },
        };
        Some(Ok(m))
    }

    /// Checks every matcher string inside an expected body.
    pub fn validate(expected: &Value) -> Result<(), String> {
        match expected {
            Value::String(s) => match Matcher::parse(s) {
                Some(Err(e)) => Err(e),
                _ => Ok(()),
            },
            Value::Array(items) => items.iter().try_for_each(Matcher::validate),
            Value::Object(map) => map.values().try_for_each(Matcher::validate),
            _ => Ok(()),
        }
    }

    /// Whether `actual` (a present member) satisfies the matcher.
    pub fn accepts(&self, actual: &Value) -> bool {
        match self {
            Matcher::Uuid => actual.as_str().is_some_and(is_uuid),
            Matcher::DateTime => actual.as_str().is_some_and(is_datetime),
            Matcher::String => actual.is_string(),
            Matcher::Number => actual.is_number(),
            Matcher::Boolean => actual.is_boolean(),
            Matcher::Object => actual.is_object(),
            Matcher::Array => actual.is_array(),
            Matcher::Null => actual.is_null(),
            Matcher::Present => true,
            Matcher::Absent => false,
            Matcher::Regex(re) => match actual {
                Value::String(s) => re.is_match(s),
                Value::Number(_) | Value::Bool(_) => re.is_match(&actual.to_string()),
                _ => false,
            },
        }
    }
}

/// True for a UUID in its hyphenated text form (any version).
pub fn is_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok() && s.len() == 36
}

/// True for an RFC 3339 date-time (`2024-05-01T12:00:00Z`, fractions and offsets allowed).
pub use crate::patch::value::is_date_time as is_datetime;

/// A regular expression compiled once per process (`#regex` matchers and header
/// `matches:`): a matcher is read for every value it is compared with (templates may make
/// one at run time), and `any_order` backtracks.
pub fn compiled(pattern: &str) -> Result<regex::Regex, regex::Error> {
    static CACHE: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, regex::Regex>>,
    > = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(re) = cache.lock().ok().and_then(|c| c.get(pattern).cloned()) {
        return Ok(re);
    }
    let re = regex::Regex::new(pattern)?;
    if let Ok(mut c) = cache.lock() {
        c.insert(pattern.to_string(), re.clone());
    }
    Ok(re)
}
