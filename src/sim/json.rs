//! Answer bodies written out as JSON: byte for byte what `serde_json::to_vec` writes
//! (compact, with its escapes), in one direct walk over the value. Every answer goes
//! through here, and serde's writer, which goes through `io::Write` for each key, value
//! and piece of punctuation, took about 9 k instructions for one user (issue 13).

use serde_json::Value;

/// What follows the backslash that escapes each byte in a JSON string, as serde_json
/// escapes them: the controls (`\b \t \n \f \r` by name, the others as `\u00XX`), `"`
/// and `\`; `0` for a byte written as it is (everything else, `/` and DEL included).
static ESCAPE: [u8; 256] = escape_table();

/// [`ESCAPE`], built at compile time.
const fn escape_table() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = b'u';
        byte += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
}

/// `value` as compact JSON, exactly as `serde_json::to_vec(value)` writes it.
pub fn to_vec(value: &Value) -> Vec<u8> {
    // A user answer is a few hundred bytes: one allocation for most.
    let mut out = Vec::with_capacity(1024);
    write_value(value, &mut out);
    out
}

/// Appends `value` to `out`, recursing as serde_json's writer does (answers hold
/// values of bodies serde_json parsed, 128 levels deep at most, in a few levels more).
fn write_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        // Integers and floats each have their own format: serde_json's writer. Writing
        // into a Vec cannot fail.
        Value::Number(number) => {
            let _ = serde_json::to_writer(&mut *out, number);
        }
        Value::String(text) => write_str(text, out),
        Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_value(item, out);
            }
            out.push(b']');
        }
        Value::Object(members) => {
            out.push(b'{');
            for (index, (key, member)) in members.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_str(key, out);
                out.push(b':');
                write_value(member, out);
            }
            out.push(b'}');
        }
    }
}

/// A JSON string: `text` quoted, runs that need no escape copied whole.
fn write_str(text: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut rest = bytes;
    while let Some(index) = next_escape(rest) {
        let byte = rest[index];
        out.extend_from_slice(&rest[..index]);
        match ESCAPE[usize::from(byte)] {
            b'u' => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(byte >> 4)]);
                out.push(HEX[usize::from(byte & 0xf)]);
            }
            escape => {
                out.push(b'\\');
                out.push(escape);
            }
        }
        rest = &rest[index + 1..];
    }
    out.extend_from_slice(rest);
    out.push(b'"');
}

/// The index of the first byte of `bytes` that needs an escape. Eight bytes at a time:
/// strings in answers seldom hold one.
fn next_escape(bytes: &[u8]) -> Option<usize> {
    let needs_escape = |byte: &u8| ESCAPE[usize::from(*byte)] != 0;
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        if may_need_escape(u64::from_le_bytes(word))
            && let Some(index) = chunk.iter().position(needs_escape)
        {
            return Some(offset + index);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(needs_escape)
        .map(|index| offset + index)
}

/// Whether one of the eight bytes of `word` may need an escape: true for every word
/// that holds a control, `"` or `\` (and for some others, which the caller checks byte
/// by byte). A byte below `n <= 0x80` borrows from nowhere below the lowest such byte,
/// so `byte - n` sets its high bit, which `!word` keeps: `"` and `\` are the bytes
/// below 1 once XORed to 0.
fn may_need_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |word: u64, n: u64| word.wrapping_sub(ONES * n) & !word;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    (below(word, 0x20) | below(quote, 1) | below(backslash, 1)) & HIGH != 0
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn same_as_serde(value: &Value) {
        assert_eq!(
            String::from_utf8_lossy(&to_vec(value)),
            String::from_utf8_lossy(&serde_json::to_vec(value).expect("serialises")),
        );
    }

    #[test]
    fn every_character_below_0x80_and_others_are_written_as_serde_writes_them() {
        let ascii: String = (0u8..0x80).map(char::from).collect();
        same_as_serde(&json!(ascii));
        same_as_serde(&json!({ascii.clone(): [ascii, "é€😀\u{2028}\u{fffd}", ""]}));
        same_as_serde(&json!([
            null, true, false, 0, -1, u64::MAX, i64::MIN, 1.5, -0.0, 1e300, 2.5e-8, {}, [], [{}],
            {"a": {"b": [1, "x\"y\\z"]}}
        ]));
    }

    #[test]
    fn a_word_with_a_byte_to_escape_is_always_seen() {
        // Every byte that needs an escape, at every place, among every other byte.
        for escaped in (0u8..=255).filter(|b| ESCAPE[usize::from(*b)] != 0) {
            for other in 0u8..=255 {
                for place in 0..8 {
                    let mut word = [other; 8];
                    word[place] = escaped;
                    assert!(
                        may_need_escape(u64::from_le_bytes(word)),
                        "{escaped} {other}"
                    );
                }
            }
        }
        assert!(!may_need_escape(u64::from_le_bytes(*b"abcdefgh")));
        assert!(!may_need_escape(u64::from_le_bytes(*b"\x7f\xff /{}[]")));
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            "[\\x00-\\x7f]{0,40}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec(("[\\x00-\\x7f]{0,6}|\\PC{0,4}", inner), 0..6)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_value_is_written_as_serde_writes_it(value in value()) {
            prop_assert_eq!(to_vec(&value), serde_json::to_vec(&value).expect("serialises"));
        }
    }
}
