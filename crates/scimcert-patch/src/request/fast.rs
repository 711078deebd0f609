//! A fast reader for PatchOp bodies given as text: serde visitors read the envelope and
//! its operations straight into (where no escape forbids it) borrowed strings, without
//! the `Value` tree the general reader walks, whose every object is an insertion-ordered
//! map with a SipHash table.
//!
//! Conservative, like the case loader's YAML reader: it reads the shape nearly every
//! client sends and declines anything else, so that the `Value` reader answers it, with
//! its own result or error. Declined: text that is not JSON; a body or operation that is
//! not an object; member names other than `schemas`, `Operations`, `id`, `externalId`,
//! `meta`, `op`, `path` and `value` spelled exactly so (the general reader matches them
//! in any case, and the last of two spellings wins); a member given twice (the last one
//! wins there); `schemas` that is not an array of strings; `Operations` that is not an
//! array; `op` that is not a string; `path` that is neither a string nor null. Whether
//! `id`, `externalId` or `meta` may be there at all is the caller's to say.
//!
//! Every value the general reader would parse is parsed here too, as a `Value` (the
//! members ignored included), so a number or escape it refuses is refused here as well:
//! serde's `IgnoredAny` would let a lone surrogate escape or an out-of-range number pass.
//!
//! Visitors, not `#[derive(Deserialize)]`: serde_json gives a derived struct a JSON array
//! too, read by position, where the general reader wants an object.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{EXTRA_MEMBERS, is_patch_op_urn};

/// A PatchOp envelope as read, before any rule is checked.
pub(super) struct Envelope<'a> {
    /// `schemas`, if there: whether it names the PatchOp URN.
    pub(super) names_patch_op: Option<bool>,
    /// `Operations`, if there.
    pub(super) operations: Option<Vec<Op<'a>>>,
    /// Whether `id`, `externalId` or `meta` was there.
    pub(super) extra: bool,
}

/// One operation as read, before any rule is checked.
pub(super) struct Op<'a> {
    /// `op`, if there.
    pub(super) op: Option<Cow<'a, str>>,
    /// `path`, if there: `Some(None)` is `"path": null`.
    pub(super) path: Option<Option<Cow<'a, str>>>,
    /// `value`, if there: `Some(Value::Null)` is `"value": null`.
    pub(super) value: Option<Value>,
}

/// The envelope in `text`, or `None` when the text is outside what this reader is sure
/// of (see the module's documentation).
pub(super) fn read(text: &str) -> Option<Envelope<'_>> {
    serde_json::from_str(text).ok()
}

/// The error that makes the reader decline; its text is never shown.
fn declined<E: de::Error>() -> E {
    E::custom("outside the fast PatchOp reader's shape")
}

impl<'de> Deserialize<'de> for Envelope<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EnvelopeVisitor)
    }
}

struct EnvelopeVisitor;

impl<'de> Visitor<'de> for EnvelopeVisitor {
    type Value = Envelope<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a PatchOp object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut envelope = Envelope {
            names_patch_op: None,
            operations: None,
            extra: false,
        };
        while let Some(Str(key)) = map.next_key()? {
            match &*key {
                "schemas" if envelope.names_patch_op.is_none() => {
                    envelope.names_patch_op = Some(map.next_value::<NamesPatchOp>()?.0);
                }
                "Operations" if envelope.operations.is_none() => {
                    envelope.operations = Some(map.next_value()?);
                }
                name if EXTRA_MEMBERS.contains(&name) => {
                    // Parsed as the general reader parses it, so it refuses what that does.
                    map.next_value::<Value>()?;
                    envelope.extra = true;
                }
                _ => return Err(declined()),
            }
        }
        Ok(envelope)
    }
}

impl<'de> Deserialize<'de> for Op<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(OpVisitor)
    }
}

struct OpVisitor;

impl<'de> Visitor<'de> for OpVisitor {
    type Value = Op<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a PatchOp operation object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut op = Op {
            op: None,
            path: None,
            value: None,
        };
        while let Some(Str(key)) = map.next_key()? {
            match &*key {
                "op" if op.op.is_none() => op.op = Some(map.next_value::<Str>()?.0),
                "path" if op.path.is_none() => {
                    op.path = Some(map.next_value::<Option<Str>>()?.map(|Str(path)| path));
                }
                "value" if op.value.is_none() => op.value = Some(map.next_value()?),
                _ => return Err(declined()),
            }
        }
        Ok(op)
    }
}

/// A JSON string, borrowed from the text unless it holds an escape.
struct Str<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(StrVisitor)
    }
}

struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Str<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Str(Cow::Borrowed(s)))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Str(Cow::Owned(s.to_owned())))
    }
}

/// A `schemas` array of strings, as whether one of them is the PatchOp URN.
struct NamesPatchOp(bool);

impl<'de> Deserialize<'de> for NamesPatchOp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(NamesPatchOpVisitor)
    }
}

struct NamesPatchOpVisitor;

impl<'de> Visitor<'de> for NamesPatchOpVisitor {
    type Value = NamesPatchOp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of schema URNs")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut found = false;
        // Read to the end, matched or not: serde_json refuses an array left half read.
        while let Some(Str(urn)) = seq.next_element()? {
            found |= is_patch_op_urn(&urn);
        }
        Ok(NamesPatchOp(found))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    use crate::leniency::Leniency;
    use crate::request::{parse_patch_fast, parse_patch_request};
    use crate::schema::PATCH_OP_URN;

    /// The leniencies that change what a PatchOp body may be, each on and off, with the
    /// others (which only `apply` reads) all off and all on.
    fn leniencies() -> Vec<Leniency> {
        (0..32u8)
            .map(|bits| {
                let on = |bit: u8| bits & (1 << bit) != 0;
                let rest = on(4);
                Leniency {
                    op_any_case: on(0),
                    empty_operations: on(1),
                    schemas_optional: on(2),
                    extra_members: on(3),
                    string_booleans: rest,
                    remove_with_value: rest,
                    upsert_unmatched_filter: rest,
                    path_keys_in_value: rest,
                    manager_as_string: rest,
                    ignore_own_id: rest,
                }
            })
            .collect()
    }

    /// Whether the fast reader answered `body`; when it did, it answered what the general
    /// reader answers on the parsed body.
    fn answered_alike(body: &[u8], leniency: &Leniency) -> bool {
        let Some(fast) = parse_patch_fast(body, leniency) else {
            return false;
        };
        let text = String::from_utf8_lossy(body);
        let general = serde_json::from_slice::<Value>(body)
            .unwrap_or_else(|e| panic!("the fast reader answered bad JSON ({e}): {text}"));
        assert_eq!(
            fast,
            parse_patch_request(&general, leniency),
            "{text} with {leniency:?}"
        );
        true
    }

    /// `{"schemas": [PatchOp], "Operations": [ops]}` as text.
    fn envelope(ops: &str) -> String {
        format!(r#"{{"schemas":["{PATCH_OP_URN}"],"Operations":[{ops}]}}"#)
    }

    /// Bodies as clients send them (the corpus's, the bench's, REFERENCE.md's), valid
    /// or refused by a rule: the fast reader answers every one.
    fn usual_bodies() -> Vec<String> {
        let ops = [
            r#"{"op":"replace","path":"nickName","value":"nick-1"}"#,
            r#"{"op":"replace","path":"emails[type eq \"work\"].value","value":"b@example.org"}"#,
            r#"{"op":"add","path":"title","value":"Tour Guide"},{"op":"add","path":"name.middleName","value":"Jane"},{"op":"add","path":"phoneNumbers","value":[{"value":"tel:+1-201-555-0111","type":"home"}]},{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter","value":"4130"},{"op":"add","value":{"preferredLanguage":"en-US","locale":"en-US"}}"#,
            r#"{"op":"remove","path":"nickName"}"#,
            r#"{"op":"remove","path":"emails[value eq \"b@example.com\"]"}"#,
            r#"{"op":"replace","value":{"active":false,"displayName":"B"}}"#,
            r#"{"op":"replace","path":"active","value":false}"#,
            r#"{"op":"replace","path":"title","value":null}"#,
            r#"{"op":"Replace","path":"title","value":"x"}"#,
            r#"{"op":"add","path":"title","value":null}"#,
            r#"{"op":"add","path":"title"}"#,
            r#"{"op":"add","value":"x"}"#,
            r#"{"op":"remove"}"#,
            r#"{"op":"remove","path":"members","value":[{"value":"u1"}]}"#,
            r#"{"op":"move","path":"title","value":"x"}"#,
            r#"{"path":"title","value":"x"}"#,
            r#"{"op":"remove","path":"name..x"}"#,
            r#"{"op":"remove","path":"emails[type zz \"x\"]"}"#,
            r#"{"op":"add","path":"title","value":"A"},{"op":"remove"}"#,
            r#"{"op":"replace","path":null,"value":{"nickName":"n"}}"#,
            "",
        ];
        let mut bodies: Vec<String> = ops.iter().map(|ops| envelope(ops)).collect();
        bodies.extend([
            // Members in another order, spaced out, without schemas, or extra.
            format!(
                "{{\n  \"Operations\": [ {{ \"value\": 1, \"path\": \"x\", \"op\": \"add\" }} ],\n  \"schemas\": [\"{PATCH_OP_URN}\"]\n}}\n"
            ),
            r#"{"Operations":[{"op":"replace","path":"nickName","value":"n"}]}"#.to_owned(),
            format!(
                r#"{{"schemas":["{PATCH_OP_URN}"],"id":"u1","externalId":"e","meta":{{"version":"W/\"1\""}},"Operations":[{{"op":"add","path":"title","value":"A"}}]}}"#
            ),
            r#"{"schemas":["urn:x"],"Operations":[{"op":"add","path":"title","value":"A"}]}"#
                .to_owned(),
            format!(r#"{{"schemas":["{PATCH_OP_URN}"]}}"#),
        ]);
        bodies
    }

    #[test]
    fn answers_the_usual_bodies_as_the_general_reader_does() {
        for body in usual_bodies() {
            for leniency in leniencies() {
                let extra = body.contains(r#""id":"u1""#);
                assert_eq!(
                    answered_alike(body.as_bytes(), &leniency),
                    !extra || leniency.extra_members,
                    "declined {body} with {leniency:?}"
                );
            }
        }
    }

    #[test]
    fn answers_the_usual_body_without_declining() {
        // A reader that always declines would pass every other test here.
        let body = envelope(r#"{"op":"replace","path":"nickName","value":"nick-1"}"#);
        let ops = parse_patch_fast(body.as_bytes(), &Leniency::strict())
            .expect("the fast reader declined the usual body")
            .expect("valid");
        assert_eq!(ops[0].label(0), "Operations[0] (replace nickName)");
        assert_eq!(ops[0].value, Some(Value::from("nick-1")));
    }

    /// Bodies off the usual shape, each one near an edge of the fast reader's.
    fn tricky_bodies() -> Vec<Vec<u8>> {
        let op = r#"{"op":"add","path":"title","value":"A"}"#;
        let urn = PATCH_OP_URN;
        let mut bodies: Vec<String> = vec![
            // Member names in another case, and two spellings of one.
            format!(r#"{{"Schemas":["{urn}"],"Operations":[{op}]}}"#),
            format!(r#"{{"schemas":["{urn}"],"operations":[{op}]}}"#),
            format!(r#"{{"schemas":["{urn}"],"SCHEMAS":5,"Operations":[{op}]}}"#),
            format!(r#"{{"SCHEMAS":5,"schemas":["{urn}"],"Operations":[{op}]}}"#),
            envelope(r#"{"OP":"add","path":"title","value":"A"}"#),
            envelope(r#"{"op":"add","Path":"title","value":"A"}"#),
            envelope(r#"{"op":"add","path":"title","Value":"A"}"#),
            envelope(r#"{"op":"add","path":"title","value":"A","VALUE":null}"#),
            format!(r#"{{"schemas":["{urn}"],"ID":"u1","Meta":{{}},"Operations":[{op}]}}"#),
            // Members given twice.
            format!(r#"{{"schemas":["{urn}"],"schemas":["urn:x"],"Operations":[{op}]}}"#),
            format!(r#"{{"schemas":5,"schemas":["{urn}"],"Operations":[{op}]}}"#),
            format!(r#"{{"schemas":["{urn}"],"Operations":[],"Operations":[{op}]}}"#),
            envelope(r#"{"op":"add","op":"remove","path":"title","value":"A"}"#),
            envelope(r#"{"op":"remove","path":null,"path":"title"}"#),
            envelope(r#"{"op":"remove","path":"title","path":null}"#),
            envelope(r#"{"op":"replace","path":"title","value":null,"value":"A"}"#),
            format!(r#"{{"schemas":["{urn}"],"id":1,"id":2,"Operations":[{op}]}}"#),
            // Nulls and other kinds where strings, arrays or objects belong.
            "null".to_owned(),
            "[]".to_owned(),
            r#""x""#.to_owned(),
            "1".to_owned(),
            format!(r#"["{urn}",[{op}]]"#),
            format!(r#"{{"schemas":null,"Operations":[{op}]}}"#),
            format!(r#"{{"schemas":"{urn}","Operations":[{op}]}}"#),
            format!(r#"{{"schemas":{{"a":"{urn}"}},"Operations":[{op}]}}"#),
            format!(r#"{{"schemas":[],"Operations":[{op}]}}"#),
            format!(r#"{{"schemas":[1,"{urn}"],"Operations":[{op}]}}"#),
            format!(r#"{{"schemas":["{urn}",null],"Operations":[{op}]}}"#),
            format!(r#"{{"schemas":["urn:x","{urn}","{urn}"],"Operations":[{op}]}}"#),
            format!(
                r#"{{"schemas":["{}"],"Operations":[{op}]}}"#,
                urn.to_lowercase()
            ),
            format!(r#"{{"schemas":["{urn}"],"Operations":null}}"#),
            format!(r#"{{"schemas":["{urn}"],"Operations":{op}}}"#),
            format!(r#"{{"schemas":["{urn}"],"Operations":"x"}}"#),
            envelope("null"),
            envelope("1"),
            envelope("[]"),
            envelope(r#"["add","title","A"]"#),
            envelope(&format!("{op},null")),
            envelope("{}"),
            envelope(r#"{"op":null,"path":"title","value":"A"}"#),
            envelope(r#"{"op":1,"path":"title","value":"A"}"#),
            envelope(r#"{"op":["add"],"path":"title","value":"A"}"#),
            envelope(r#"{"op":"move","path":5,"value":"A"}"#),
            envelope(r#"{"op":"add","path":5,"value":"A"}"#),
            envelope(r#"{"op":"add","path":{},"value":"A"}"#),
            envelope(r#"{"op":"add","path":"","value":"A"}"#),
            envelope(r#"{"op":"replace","value":null}"#),
            envelope(r#"{"op":"replace","path":null,"value":null}"#),
            envelope(r#"{"op":"add","value":[1]}"#),
            envelope(r#"{"op":"remove","value":"A"}"#),
            envelope(r#"{"op":"remove","path":null}"#),
            // Nested values, escapes, numbers and text beyond ASCII.
            envelope(
                r#"{"op":"add","value":{"emails":[{"value":"a@b","primary":true}],"name":{"givenName":"G","x":{"y":[[],{},null]}}}}"#,
            ),
            envelope(r#"{"op":"add","value":{"a":1,"a":2,"b":{"c":3,"c":null}}}"#),
            envelope(
                r#"{"o\u0070":"repl\u0061ce","p\u0061th":"nick\u004eame","v\u0061lue":"a\"b\\c\/d\n\t\u00e9\ud83d\ude00"}"#,
            ),
            format!(
                r#"{{"sch\u0065mas":["{}"],"Operations":[{op}]}}"#,
                urn.replace(':', "\\u003a")
            ),
            envelope(r#"{"op":"add","path":"title","value":"\ud800"}"#),
            envelope(r#"{"op":"add","path":"title","value":"\udc00\ud800"}"#),
            envelope(r#"{"op":"add","path":"title","value":"\x"}"#),
            format!(r#"{{"schemas":["{urn}"],"meta":"\ud800","Operations":[{op}]}}"#),
            format!(r#"{{"schemas":["{urn}"],"meta":1e400,"Operations":[{op}]}}"#),
            format!(r#"{{"schemas":["{urn}"],"meta":{{"a":[1,-0,0.1]}},"Operations":[{op}]}}"#),
            envelope(r#"{"op":"add","path":"title","value":1e400}"#),
            envelope(
                r#"{"op":"add","value":{"a":-0,"b":0.1,"c":1.5e3,"d":18446744073709551616,"e":-9223372036854775809,"f":1E-7,"g":123456789012345678901234567890}}"#,
            ),
            envelope(r#"{"op":"add","path":"title","value":01}"#),
            envelope(r#"{"op":"add","path":"title","value":1.}"#),
            envelope(r#"{"op":"add","path":"displayName","value":"Zoë 日本 😀"}"#),
            envelope(r#"{"op":"add","path":"ü","value":"x"}"#),
            envelope(r#"{"op":"ädd","path":"title","value":"x"}"#),
            // Not JSON, or more than one value.
            String::new(),
            " ".to_owned(),
            "{".to_owned(),
            format!("{}x", envelope(op)),
            format!("{} {{}}", envelope(op)),
            format!("{},", envelope(op)),
            envelope(&format!("{op},")),
            format!("\u{feff}{}", envelope(op)),
            format!(" \n\t{}\r\n ", envelope(op)),
            format!(r#"{{'schemas':["{urn}"],"Operations":[{op}]}}"#),
        ];
        // Nesting at serde_json's depth limit and beyond it.
        for depth in [120, 124, 125, 126, 130] {
            let value = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            bodies.push(envelope(&format!(
                r#"{{"op":"add","path":"title","value":{value}}}"#
            )));
        }
        let mut bodies: Vec<Vec<u8>> = bodies.into_iter().map(String::into_bytes).collect();
        // Bytes that are not UTF-8: in a string, outside one, and cut in the middle of a
        // character.
        let mut in_string = envelope(r#"{"op":"add","path":"title","value":"AB"}"#).into_bytes();
        let at = in_string.len() - 5;
        in_string[at] = 0xff;
        bodies.push(in_string);
        bodies.push(b"\xff{}".to_vec());
        let mut cut = envelope(r#"{"op":"add","path":"title","value":"é"}"#).into_bytes();
        let at = cut.len() - 5;
        cut.remove(at);
        bodies.push(cut);
        bodies
    }

    #[test]
    fn answers_tricky_bodies_as_the_general_reader_does_or_declines() {
        for body in tricky_bodies() {
            for leniency in leniencies() {
                answered_alike(&body, &leniency);
            }
        }
    }

    #[test]
    fn declines_what_it_is_not_sure_of() {
        // Bodies the general reader refuses or reads in a way the fast one does not
        // follow: each is the general reader's to answer.
        let op = r#"{"op":"add","path":"title","value":"A"}"#;
        let urn = PATCH_OP_URN;
        for body in [
            format!(r#"{{"Schemas":["{urn}"],"Operations":[{op}]}}"#),
            format!(r#"{{"schemas":["{urn}"],"schemas":["{urn}"],"Operations":[{op}]}}"#),
            format!(r#"["{urn}",[{op}]]"#),
            envelope(r#"["add","title","A"]"#),
            envelope(r#"{"op":1,"path":"title","value":"A"}"#),
            envelope(r#"{"op":"add","path":5,"value":"A"}"#),
            format!(r#"{{"schemas":["{urn}"],"meta":"\ud800","Operations":[{op}]}}"#),
            format!(r#"{{"schemas":["{urn}"],"id":"u1","Operations":[{op}]}}"#),
            envelope(r#"{"op":"add","path":"title","value":"\ud800"}"#),
            format!("{}x", envelope(op)),
        ] {
            assert_eq!(
                parse_patch_fast(body.as_bytes(), &Leniency::strict()),
                None,
                "{body}"
            );
        }
        assert_eq!(parse_patch_fast(b"\xff{}", &Leniency::strict()), None);
    }

    /// JSON text of a scalar, from pools near the PatchOp's words and JSON's edges.
    fn scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            2 => prop::sample::select(vec!["null", "true", "false"]).prop_map(str::to_owned),
            2 => prop::sample::select(vec!["0", "-0", "1", "1.5e3", "18446744073709551616"])
                .prop_map(str::to_owned),
            8 => prop::sample::select(vec![
                PATCH_OP_URN,
                "urn:ietf:params:scim:api:messages:2.0:patchop",
                "add",
                "remove",
                "replace",
                "Replace",
                "move",
                "",
                "nickName",
                "title",
                "emails[type eq \\\"work\\\"].value",
                "name..x",
                "n\\u0069ckName",
                "Zoë",
            ])
            .prop_map(|s| format!("\"{s}\"")),
            // JSON serde_json refuses: the whole body is the general reader's then.
            1 => prop::sample::select(vec!["1e400", "\"\\ud800\"", "01"]).prop_map(str::to_owned),
        ]
    }

    /// A member name, exact, in another case, or another.
    fn name() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "schemas",
            "Schemas",
            "Operations",
            "operations",
            "op",
            "Op",
            "path",
            "PATH",
            "value",
            "Value",
            "id",
            "externalId",
            "META",
            "x",
            "o\\u0070",
        ])
    }

    /// An object's text from its members, in an order proptest shuffles.
    fn object(
        members: impl Strategy<Value = Vec<Option<(&'static str, String)>>>,
    ) -> impl Strategy<Value = String> {
        members
            .prop_map(|members| members.into_iter().flatten().collect::<Vec<_>>())
            .prop_shuffle()
            .prop_map(|members| {
                let members: Vec<String> = members
                    .iter()
                    .map(|(k, v)| format!("\"{k}\":{v}"))
                    .collect();
                format!("{{{}}}", members.join(","))
            })
    }

    /// JSON text shaped like a PatchOp body: mostly the usual members with values near
    /// the rules' edges, sometimes an odd member (a duplicate, another case, another
    /// name; a `Value` could not hold the duplicates), sometimes any JSON at all.
    fn patch_like() -> impl Strategy<Value = String> {
        let json = scalar().prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4)
                    .prop_map(|items| format!("[{}]", items.join(","))),
                prop::collection::vec((name(), inner), 0..4).prop_map(|members| {
                    let members: Vec<String> = members
                        .iter()
                        .map(|(k, v)| format!("\"{k}\":{v}"))
                        .collect();
                    format!("{{{}}}", members.join(","))
                }),
            ]
        });
        let quoted =
            |pool: Vec<&'static str>| prop::sample::select(pool).prop_map(|s| format!("\"{s}\""));
        let odd = || (name(), json.clone());
        let op = prop_oneof![
            8 => object(
                (
                    prop::option::weighted(
                        0.9,
                        quoted(vec!["add", "remove", "replace", "Replace", "move"]),
                    ),
                    prop::option::weighted(
                        0.8,
                        prop_oneof![
                            4 => quoted(vec![
                                "title",
                                "nickName",
                                "emails[type eq \\\"work\\\"].value",
                                "name..x",
                                "",
                            ]),
                            1 => Just("null".to_owned()),
                        ],
                    ),
                    prop::option::weighted(0.8, prop_oneof![2 => scalar(), 1 => json.clone()]),
                    prop::option::weighted(0.05, odd()),
                )
                    .prop_map(|(op, path, value, odd)| {
                        vec![
                            op.map(|v| ("op", v)),
                            path.map(|v| ("path", v)),
                            value.map(|v| ("value", v)),
                            odd,
                        ]
                    }),
            ),
            1 => json.clone(),
        ];
        let operations = prop_oneof![
            8 => prop::collection::vec(op, 0..4).prop_map(|ops| format!("[{}]", ops.join(","))),
            1 => json.clone(),
        ];
        let schemas = prop_oneof![
            6 => Just(format!("[\"{PATCH_OP_URN}\"]")),
            2 => prop::collection::vec(scalar(), 0..3)
                .prop_map(|urns| format!("[{}]", urns.join(","))),
            1 => json.clone(),
        ];
        object(
            (
                prop::option::weighted(0.85, schemas),
                prop::option::weighted(0.9, operations),
                prop::option::weighted(0.2, odd()),
            )
                .prop_map(|(schemas, operations, odd)| {
                    vec![
                        schemas.map(|v| ("schemas", v)),
                        operations.map(|v| ("Operations", v)),
                        odd,
                    ]
                }),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn answers_random_patch_like_bodies_as_the_general_reader_does(
            body in patch_like(),
            bits in 0..32usize,
        ) {
            answered_alike(body.as_bytes(), &leniencies()[bits]);
        }
    }
}
