//! Body matching: subset by default, exact with `strict`, arrays in order unless
//! `any_order`, and dynamic-value matchers written as `#kind` strings.

use serde_json::Value;

use crate::case::Matcher;
use crate::outcome::Mismatch;

/// How to compare.
#[derive(Clone, Copy, Debug, Default)]
pub struct MatchOptions {
    /// Objects must have exactly the expected members.
    pub strict: bool,
    /// Arrays match regardless of element order.
    pub any_order: bool,
}

/// Compares a response body with an expected one; an empty list means it matches.
pub fn match_body(expected: &Value, actual: Option<&Value>, opts: MatchOptions) -> Vec<Mismatch> {
    let mut out = Vec::new();
    match actual {
        Some(actual) => match_value(expected, actual, "", opts, &mut out),
        None => {
            if !matches!(expected, Value::String(s) if s == "#absent") {
                out.push(Mismatch {
                    pointer: String::new(),
                    expected: brief(expected),
                    actual: "no JSON body".into(),
                });
            }
        }
    }
    out
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn brief(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 120 {
        let cut = s.char_indices().nth(117).map(|(i, _)| i).unwrap_or(s.len());
        format!("{}...", &s[..cut])
    } else {
        s
    }
}

// Long: one arm per kind of expected JSON value (matcher, object, array, scalar).
fn match_value(
    expected: &Value,
    actual: &Value,
    ptr: &str,
    opts: MatchOptions,
    out: &mut Vec<Mismatch>,
) {
    if let Value::String(s) = expected {
        if let Some(Ok(m)) = Matcher::parse(s) {
            if !m.accepts(actual) {
                out.push(Mismatch {
                    pointer: ptr.into(),
                    expected: s.clone(),
                    actual: brief(actual),
                });
            }
            return;
        }
        if let Some(literal) = s.strip_prefix("##") {
            let want = format!("#{literal}");
            if actual.as_str() != Some(want.as_str()) {
                out.push(Mismatch {
                    pointer: ptr.into(),
                    expected: Value::String(want).to_string(),
                    actual: brief(actual),
                });
            }
            return;
        }
    }
    match (expected, actual) {
        (Value::Object(exp), Value::Object(act)) => {
            for (k, ev) in exp {
                let p = format!("{ptr}/{}", escape(k));
                let absent = matches!(ev, Value::String(s) if s == "#absent");
                match act.get(k) {
                    None if absent => {}
                    None => out.push(Mismatch {
                        pointer: p,
                        expected: brief(ev),
                        actual: "missing".into(),
                    }),
                    Some(av) if absent => out.push(Mismatch {
                        pointer: p,
                        expected: "#absent".into(),
                        actual: brief(av),
                    }),
                    Some(av) => match_value(ev, av, &p, opts, out),
                }
            }
            if opts.strict {
                for (k, av) in act {
                    if !exp.contains_key(k) {
                        out.push(Mismatch {
                            pointer: format!("{ptr}/{}", escape(k)),
                            expected: "no such member (strict)".into(),
                            actual: brief(av),
                        });
                    }
                }
            }
        }
        (Value::Array(exp), Value::Array(act)) => {
            if exp.len() != act.len() {
                out.push(Mismatch {
                    pointer: ptr.into(),
                    expected: format!("{} element(s): {}", exp.len(), brief(expected)),
                    actual: format!("{} element(s): {}", act.len(), brief(actual)),
                });
            } else if opts.any_order {
                if !assign_any_order(exp, act, opts) {
                    out.push(Mismatch {
                        pointer: ptr.into(),
                        expected: format!("in any order: {}", brief(expected)),
                        actual: brief(actual),
                    });
                }
            } else {
                for (i, (ev, av)) in exp.iter().zip(act).enumerate() {
                    match_value(ev, av, &format!("{ptr}/{i}"), opts, out);
                }
            }
        }
        (Value::Number(e), Value::Number(a)) => {
            if e != a && e.as_f64() != a.as_f64() {
                out.push(Mismatch {
                    pointer: ptr.into(),
                    expected: e.to_string(),
                    actual: a.to_string(),
                });
            }
        }
        (e, a) => {
            if e != a {
                out.push(Mismatch {
                    pointer: ptr.into(),
                    expected: brief(e),
                    actual: brief(a),
                });
            }
        }
    }
}

/// Finds a one-to-one assignment of expected to actual elements (backtracking).
fn assign_any_order(exp: &[Value], act: &[Value], opts: MatchOptions) -> bool {
    fn go(i: usize, exp: &[Value], act: &[Value], used: &mut [bool], opts: MatchOptions) -> bool {
        if i == exp.len() {
            return true;
        }
        for j in 0..act.len() {
            if used[j] {
                continue;
            }
            let mut scratch = Vec::new();
            match_value(&exp[i], &act[j], "", opts, &mut scratch);
            if scratch.is_empty() {
                used[j] = true;
                if go(i + 1, exp, act, used, opts) {
                    return true;
                }
                used[j] = false;
            }
        }
        false
    }
    let mut used = vec![false; act.len()];
    go(0, exp, act, &mut used, opts)
}

/// The part of `actual` that `expected` talks about (for a readable diff of a subset
/// match): members not mentioned in `expected` are left out.
pub fn restrict_to(expected: &Value, actual: &Value) -> Value {
    match (expected, actual) {
        (Value::Object(exp), Value::Object(act)) => {
            let mut out = serde_json::Map::new();
            for (k, ev) in exp {
                if let Some(av) = act.get(k) {
                    out.insert(k.clone(), restrict_to(ev, av));
                }
            }
            Value::Object(out)
        }
        (Value::Array(exp), Value::Array(act)) if exp.len() == act.len() => Value::Array(
            exp.iter()
                .zip(act)
                .map(|(e, a)| restrict_to(e, a))
                .collect(),
        ),
        _ => actual.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::matcher::is_datetime;
    use serde_json::json;

    fn check(e: Value, a: Value) -> Vec<Mismatch> {
        match_body(&e, Some(&a), MatchOptions::default())
    }

    #[test]
    fn subset_ignores_extra_members() {
        assert!(check(json!({"a": 1}), json!({"a": 1, "b": 2})).is_empty());
    }

    #[test]
    fn strict_reports_extra_members() {
        let m = match_body(
            &json!({"a": 1}),
            Some(&json!({"a": 1, "b": 2})),
            MatchOptions {
                strict: true,
                any_order: false,
            },
        );
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].pointer, "/b");
    }

    #[test]
    fn mismatch_points_at_the_member() {
        let m = check(
            json!({"name": {"givenName": "A"}}),
            json!({"name": {"givenName": "B"}}),
        );
        assert_eq!(m[0].pointer, "/name/givenName");
        assert_eq!(m[0].expected, "\"A\"");
        assert_eq!(m[0].actual, "\"B\"");
    }

    #[test]
    fn dynamic_matchers_check_kinds() {
        let a = json!({
            "id": "2819c223-7f76-453a-919d-413861904646",
            "t": "2024-05-01T12:00:00.123Z",
            "n": 3, "s": "x", "b": false
        });
        let e = json!({"id": "#uuid", "t": "#datetime", "n": "#number", "s": "#regex ^x$", "b": "#boolean", "gone": "#absent", "s2": "#absent"});
        assert!(check(e, a.clone()).is_empty());
        let bad = json!({"id": "#datetime", "t": "#uuid", "n": "#string", "s": "#absent", "zz": "#present"});
        assert_eq!(check(bad, a).len(), 5);
    }

    #[test]
    fn double_hash_is_a_literal() {
        assert!(check(json!({"a": "##uuid"}), json!({"a": "#uuid"})).is_empty());
    }

    #[test]
    fn arrays_in_order_unless_any_order() {
        let e = json!([{"v": 1}, {"v": 2}]);
        let a = json!([{"v": 2, "x": 0}, {"v": 1}]);
        assert!(!check(e.clone(), a.clone()).is_empty());
        assert!(
            match_body(
                &e,
                Some(&a),
                MatchOptions {
                    strict: false,
                    any_order: true
                }
            )
            .is_empty()
        );
        assert!(!check(json!([1]), json!([1, 2])).is_empty());
    }

    #[test]
    fn numbers_compare_numerically() {
        assert!(check(json!(1), json!(1.0)).is_empty());
    }

    #[test]
    fn unknown_matcher_is_rejected() {
        assert!(Matcher::validate(&json!({"a": ["#uid"]})).is_err());
        assert!(Matcher::validate(&json!({"a": "#regex ("})).is_err());
        assert!(Matcher::validate(&json!({"a": "#regex ^a+$"})).is_ok());
    }

    #[test]
    fn missing_body_fails_unless_absent_expected() {
        assert_eq!(
            match_body(&json!({}), None, MatchOptions::default()).len(),
            1
        );
        assert!(match_body(&json!("#absent"), None, MatchOptions::default()).is_empty());
    }

    #[test]
    fn datetime_shapes() {
        assert!(is_datetime("2024-02-29T23:59:59+05:30"));
        assert!(!is_datetime("2024-13-01T00:00:00Z"));
        assert!(!is_datetime("yesterday"));
    }
}
