//! Snapshots of responses: volatile values are checked, then redacted, so a snapshot
//! is stable and the value is still verified; stored as insta `.snap` files.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::case::Vars;
use crate::case::matcher::is_datetime;

/// Keys whose values are timestamps.
const DATETIME_KEYS: &[&str] = &["created", "lastModified"];

/// Replaces volatile values by placeholders after checking their format: captured
/// variables and the base URL by name, date-times by `[datetime]`, versions by
/// `[version]`, remaining UUIDs by `[uuid]`. A value of the wrong format is kept, so
/// the snapshot shows it.
pub fn redact(value: &Value, base_url: &str, vars: &Vars) -> Value {
    let redactor = Redactor::new(base_url, vars);
    let mut out = value.clone();
    redactor.in_place(&mut out, None);
    out
}

/// Redacts one string (also used for header values such as `ETag`).
pub fn redact_str(s: &str, key: Option<&str>, base_url: &str, vars: &Vars) -> String {
    Redactor::new(base_url, vars)
        .string(s, key)
        .unwrap_or_else(|| s.to_string())
}

/// What [`redact`] replaces, prepared once per value.
struct Redactor<'a> {
    base_url: &'a str,
    /// Variables worth replacing, longest value first, so a value that contains
    /// another is replaced whole.
    named: Vec<(&'a str, &'a str)>,
}

impl<'a> Redactor<'a> {
    fn new(base_url: &'a str, vars: &'a Vars) -> Redactor<'a> {
        let mut named: Vec<(&str, &str)> = vars
            .iter()
            .filter(|(_, v)| v.len() >= 3)
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        named.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
        Redactor { base_url, named }
    }

    /// Redacts every string in `value` where it stands (a copy redacted member by
    /// member would hash every key again).
    fn in_place(&self, value: &mut Value, key: Option<&str>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    self.in_place(v, Some(k));
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.in_place(v, None)),
            Value::String(s) => {
                if let Some(redacted) = self.string(s, key) {
                    *s = redacted;
                }
            }
            _ => {}
        }
    }

    /// `s` redacted, or None when nothing in it is volatile.
    fn string(&self, s: &str, key: Option<&str>) -> Option<String> {
        if key.is_some_and(|k| DATETIME_KEYS.contains(&k)) && is_datetime(s) {
            return Some("[datetime]".into());
        }
        if key == Some("version") && is_version(s) {
            return Some("[version]".into());
        }
        if key == Some("id") && is_sequential_id(s) {
            return Some("[id]".into());
        }
        let mut out = std::borrow::Cow::Borrowed(s);
        if !self.base_url.is_empty() && out.contains(self.base_url) {
            out = out.replace(self.base_url, "[base]").into();
        }
        for (name, v) in &self.named {
            if out.contains(v) {
                out = out.replace(v, &format!("[{name}]")).into();
            }
        }
        static UUID: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
        let uuid = UUID.get_or_init(|| {
            regex::Regex::new(
                r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
            )
            .expect("static regex")
        });
        match uuid.replace_all(&out, "[uuid]") {
            std::borrow::Cow::Owned(replaced) => Some(replaced),
            std::borrow::Cow::Borrowed(_) => match out {
                std::borrow::Cow::Owned(changed) => Some(changed),
                std::borrow::Cow::Borrowed(_) => None,
            },
        }
    }
}

/// A Fabric user id as the simulation issues them (`User_<n>`): its number depends on
/// how many users earlier cases created, so it cannot be pinned.
fn is_sequential_id(s: &str) -> bool {
    s.strip_prefix("User_")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// An entity tag as RFC 7232 writes it (`W/"x"` or `"x"`).
pub fn is_version(s: &str) -> bool {
    let inner = s.strip_prefix("W/").unwrap_or(s);
    inner.len() >= 2 && inner.starts_with('"') && inner.ends_with('"')
}

/// The snapshot text of one response: status, `ETag` (redacted) and the redacted body.
pub fn render(
    status: u16,
    etag: Option<&str>,
    body: Option<&Value>,
    base_url: &str,
    vars: &Vars,
) -> String {
    let mut doc = serde_json::Map::new();
    doc.insert("status".into(), Value::from(status));
    if let Some(tag) = etag {
        doc.insert(
            "etag".into(),
            Value::String(redact_str(tag, Some("version"), base_url, vars)),
        );
    }
    if let Some(b) = body {
        doc.insert("body".into(), redact(b, base_url, vars));
    }
    serde_json::to_string_pretty(&Value::Object(doc)).unwrap_or_default()
}

/// Outcome of comparing with a stored snapshot.
#[derive(Debug, PartialEq, Eq)]
pub enum SnapshotOutcome {
    /// Same as stored.
    Matched,
    /// No snapshot existed; it was written.
    Recorded(PathBuf),
    /// Differs; the new one was written next to it as `.snap.new`.
    Changed {
        /// Stored content.
        old: String,
        /// The `.snap.new` written.
        new_path: PathBuf,
    },
}

/// A folder of insta-format `.snap` files, usable outside cargo (CLI runs against a
/// real target).
pub struct SnapshotDir {
    dir: PathBuf,
}

impl SnapshotDir {
    /// Snapshots under `dir` (created on first write).
    pub fn new(dir: &Path) -> Self {
        SnapshotDir {
            dir: dir.to_path_buf(),
        }
    }

    /// Compares `content` with `<name>.snap`, recording it when absent.
    pub fn check(&self, name: &str, content: &str) -> std::io::Result<SnapshotOutcome> {
        let path = self.dir.join(format!("{name}.snap"));
        let file = format!("---\nsource: scimcert\nexpression: {name}\n---\n{content}\n");
        match std::fs::read_to_string(&path) {
            Ok(old) => {
                let old_body = strip_header(&old);
                if old_body.trim_end() == content.trim_end() {
                    Ok(SnapshotOutcome::Matched)
                } else {
                    let new_path = self.dir.join(format!("{name}.snap.new"));
                    std::fs::write(&new_path, file)?;
                    Ok(SnapshotOutcome::Changed {
                        old: old_body.to_string(),
                        new_path,
                    })
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(&self.dir)?;
                std::fs::write(&path, file)?;
                Ok(SnapshotOutcome::Recorded(path))
            }
            Err(e) => Err(e),
        }
    }
}

/// The content of an insta snapshot file, without its `---` header.
fn strip_header(file: &str) -> &str {
    let Some(rest) = file.strip_prefix("---\n") else {
        return file;
    };
    match rest.find("\n---\n") {
        Some(i) => &rest[i + 5..],
        None => file,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn redactions_check_the_format_first() {
        let vars = Vars::from([("user_id".to_string(), "abc-123".to_string())]);
        let body = json!({
            "id": "abc-123",
            "meta": {"created": "2024-01-01T00:00:00Z", "lastModified": "not a date",
                      "version": "W/\"3\"", "location": "http://127.0.0.1:9/v2/Users/abc-123"},
            "other": "2819c223-7f76-453a-919d-413861904646"
        });
        let r = redact(&body, "http://127.0.0.1:9/v2", &vars);
        assert_eq!(r["id"], "[user_id]");
        assert_eq!(r["meta"]["created"], "[datetime]");
        assert_eq!(r["meta"]["lastModified"], "not a date");
        assert_eq!(r["meta"]["version"], "[version]");
        assert_eq!(r["meta"]["location"], "[base]/Users/[user_id]");
        assert_eq!(r["other"], "[uuid]");
    }

    #[test]
    fn snapshot_dir_records_then_matches_then_reports_changes() {
        let dir = std::env::temp_dir().join(format!("scimcert-snap-{}", uuid::Uuid::new_v4()));
        let store = SnapshotDir::new(&dir);
        assert!(matches!(
            store.check("a", "{}").unwrap(),
            SnapshotOutcome::Recorded(_)
        ));
        assert_eq!(store.check("a", "{}").unwrap(), SnapshotOutcome::Matched);
        assert!(matches!(
            store.check("a", "{\"x\":1}").unwrap(),
            SnapshotOutcome::Changed { .. }
        ));
        let _ = std::fs::remove_dir_all(dir);
    }
}
