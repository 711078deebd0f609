//! The PATCH `path` grammar (RFC 7644 Figure 7) and attribute paths.

use std::fmt;

pub use crate::attr::AttrPath;
use crate::error::{PatchError, ScimType};
use crate::filter::{Filter, Parser, check_length};

/// `PATH = attrPath / valuePath [subAttr]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    /// The attribute the path starts at.
    pub attr: AttrPath,
    /// The `[valFilter]` of a valuePath.
    pub filter: Option<Filter>,
    /// The `.subAttr` after a valuePath's `]`.
    pub value_sub: Option<String>,
}

/// Parses a PATCH path; errors are 400 `invalidPath` (or `invalidFilter` inside `[...]`)
/// with the byte position in the detail.
pub fn parse_path(input: &str) -> Result<Path, PatchError> {
    check_length(input, "path", ScimType::InvalidPath)?;
    let mut parser = Parser::new(input);
    let attr = parser.attr_path(ScimType::InvalidPath)?;
    let mut path = Path {
        attr,
        filter: None,
        value_sub: None,
    };
    if parser.peek() == Some(b'[') {
        path.filter = Some(parser.bracket_filter(&path.attr)?);
        if parser.peek() == Some(b'.') {
            parser.pos += 1;
            path.value_sub = Some(parser.attr_name(ScimType::InvalidPath)?);
        }
    }
    if !parser.at_end() {
        return Err(parser.error(ScimType::InvalidPath, "unexpected character"));
    }
    Ok(path)
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.attr)?;
        if let Some(filter) = &self.filter {
            write!(f, "[{filter}]")?;
        }
        if let Some(sub) = &self.value_sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;
    use crate::filter::CompareOp;
    use crate::schema::ENTERPRISE_URN;

    fn kind(input: &str) -> Option<ScimType> {
        parse_path(input).err().and_then(|e| e.scim_type)
    }

    #[test]
    fn p21_urn_prefix_splits_at_last_colon() {
        let p = parse_path(&format!("{ENTERPRISE_URN}:manager.value")).expect("parses");
        assert_eq!(p.attr.urn.as_deref(), Some(ENTERPRISE_URN));
        assert_eq!(p.attr.name, "manager");
        assert_eq!(p.attr.sub.as_deref(), Some("value"));
        let core = parse_path("urn:ietf:params:scim:schemas:core:2.0:User:name.familyName")
            .expect("parses");
        assert_eq!(
            core.attr.urn.as_deref(),
            Some("urn:ietf:params:scim:schemas:core:2.0:User")
        );
        assert_eq!(
            (core.attr.name.as_str(), core.attr.sub.as_deref()),
            ("name", Some("familyName"))
        );
    }

    #[test]
    fn p29_bare_extension_urn_parses_as_urn_and_name() {
        let p = parse_path(ENTERPRISE_URN).expect("parses");
        assert_eq!(
            p.attr.urn.as_deref(),
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0")
        );
        assert_eq!(p.attr.name, "User");
    }

    #[test]
    fn value_path_with_sub_attribute() {
        let p = parse_path(r#"addresses[type eq "work"].streetAddress"#).expect("parses");
        assert_eq!(p.attr.name, "addresses");
        assert_eq!(p.value_sub.as_deref(), Some("streetAddress"));
        assert!(
            matches!(p.filter, Some(Filter::Compare(_, CompareOp::Eq, Value::String(ref s))) if s == "work")
        );
        let members = parse_path(r#"members[value eq "2819c223"]"#).expect("parses");
        assert_eq!(members.value_sub, None);
    }

    #[test]
    fn p20_malformed_paths_are_invalid_path_with_position() {
        for bad in [
            "",
            "1abc",
            "name..givenName",
            "name.given.x",
            "emails]",
            "a b",
            ":x",
            "name-é",
        ] {
            assert_eq!(kind(bad), Some(ScimType::InvalidPath), "{bad}");
        }
        let err = parse_path("name.1x").expect_err("bad sub");
        assert!(err.detail.contains("byte 5"), "{}", err.detail);
    }

    #[test]
    fn p27_malformed_filter_in_path_is_invalid_filter() {
        for bad in [
            r#"emails[type eq "work""#,
            r#"emails[type xx "work"]"#,
            "emails[]",
            "emails[type]",
        ] {
            assert_eq!(kind(bad), Some(ScimType::InvalidFilter), "{bad}");
        }
    }

    #[test]
    fn overlong_path_is_invalid_path_without_quoting_it() {
        let long = "a".repeat(100 * 1024);
        let error = parse_path(&long).expect_err("too long");
        assert_eq!(error.scim_type, Some(ScimType::InvalidPath));
        assert!(error.detail.len() < 200, "{}", error.detail);
        let long_filter = format!(r#"emails[value eq "{}"]"#, "x".repeat(100 * 1024));
        assert_eq!(kind(&long_filter), Some(ScimType::InvalidPath));
    }

    #[test]
    fn deeply_nested_value_filters_in_a_path_are_invalid_filter() {
        let deep = format!("emails[{}type pr{}]", "(".repeat(5_000), ")".repeat(5_000));
        assert_eq!(kind(&deep), Some(ScimType::InvalidPath));
        let nested = format!("emails[{}b pr{}]", "a[".repeat(1_000), "]".repeat(1_000));
        let error = parse_path(&nested).expect_err("too deep");
        assert_eq!(error.scim_type, Some(ScimType::InvalidFilter));
        assert!(
            error.detail.contains("nesting deeper than"),
            "{}",
            error.detail
        );
    }

    fn arb_name() -> impl Strategy<Value = String> {
        "[a-zA-Z][a-zA-Z0-9_-]{0,6}"
    }

    fn arb_attr_path() -> impl Strategy<Value = AttrPath> {
        let urn = prop_oneof![
            Just(None),
            Just(Some(ENTERPRISE_URN.to_string())),
            Just(Some(
                "urn:ietf:params:scim:schemas:core:2.0:User".to_string()
            )),
        ];
        (
            urn,
            arb_name(),
            proptest::option::of(prop_oneof![arb_name(), Just("$ref".to_string())]),
        )
            .prop_map(|(urn, name, sub)| AttrPath { urn, name, sub })
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<String>().prop_map(Value::String),
            any::<i64>().prop_map(|n| json!(n)),
            (-1.0e12f64..1.0e12).prop_map(|x| json!(x)),
            any::<bool>().prop_map(Value::Bool),
            Just(Value::Null),
        ]
    }

    fn arb_filter() -> impl Strategy<Value = Filter> {
        let op = proptest::sample::select(CompareOp::ALL.to_vec());
        let leaf = prop_oneof![
            (arb_attr_path(), op, arb_value()).prop_map(|(a, o, v)| Filter::Compare(a, o, v)),
            arb_attr_path().prop_map(Filter::Present),
        ];
        leaf.prop_recursive(4, 24, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone())
                    .prop_map(|(a, b)| Filter::And(Box::new(a), Box::new(b))),
                (inner.clone(), inner.clone())
                    .prop_map(|(a, b)| Filter::Or(Box::new(a), Box::new(b))),
                inner.clone().prop_map(|a| Filter::Not(Box::new(a))),
                (arb_attr_path(), inner).prop_map(|(mut a, f)| {
                    a.sub = None;
                    Filter::ValuePath(a, Box::new(f))
                }),
            ]
        })
    }

    fn arb_path() -> impl Strategy<Value = Path> {
        (
            arb_attr_path(),
            proptest::option::of(arb_filter()),
            proptest::option::of(arb_name()),
        )
            .prop_map(|(mut attr, filter, value_sub)| {
                if filter.is_some() {
                    attr.sub = None;
                    Path {
                        attr,
                        filter,
                        value_sub,
                    }
                } else {
                    Path {
                        attr,
                        filter: None,
                        value_sub: None,
                    }
                }
            })
    }

    proptest! {
        #[test]
        fn path_display_parse_round_trip(path in arb_path()) {
            let printed = path.to_string();
            prop_assert_eq!(parse_path(&printed), Ok(path), "printed: {}", printed);
        }
    }
}
