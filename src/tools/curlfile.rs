//! Reading `curl` command lines (as `scimcert repro` and the reports print them) back
//! into requests, for `scimcert record --from <file>`.
//!
//! Only what a repro needs is understood: `-X`, `-H`, the `-d` family (with `@file`),
//! `--json`, `--url`, and the harmless output flags (`-sS -i -v -k ...`). Anything else is
//! an error naming the option and the line, so a request is never silently changed.

use std::path::Path;

/// One `curl` command read from a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurlCommand {
    /// 1-based line where the command starts.
    pub line: usize,
    /// `-X` method, or the one curl implies (POST with data, HEAD with `-I`, else GET).
    pub method: String,
    /// The URL, as written.
    pub url: String,
    /// `-H` headers in order.
    pub headers: Vec<(String, String)>,
    /// Request body (`-d`, `--data-raw`, `--json`, ...), with `@file` already read.
    pub data: Option<String>,
}

/// Why a curl file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum CurlError {
    /// A command (or a line that should be one) is wrong.
    #[error("{file}:{line}: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The file holds no curl command.
    #[error("{0}: no `curl` command found")]
    Empty(String),
}

/// Flags that change only curl's own output or transport, never the request.
const IGNORED_FLAGS: &[&str] = &[
    "-s",
    "-S",
    "-i",
    "-v",
    "-k",
    "-L",
    "-f",
    "--silent",
    "--show-error",
    "--include",
    "--verbose",
    "--insecure",
    "--location",
    "--fail",
    "--compressed",
    "--no-progress-meter",
];

/// Options whose value changes only curl's output or transport.
const IGNORED_WITH_VALUE: &[&str] = &[
    "-o",
    "--output",
    "-m",
    "--max-time",
    "--connect-timeout",
    "-w",
    "--write-out",
];

/// Reads every `curl` command of `text`. Blank lines and `#` comments are skipped; a
/// trailing `\` continues a command on the next line; any other line is an error.
/// `@file` data paths are read relative to the working directory, as curl does.
pub fn parse_curl_file(file: &str, text: &str) -> Result<Vec<CurlCommand>, CurlError> {
    let err = |line: usize, message: String| CurlError::Syntax {
        file: file.to_string(),
        line,
        message,
    };
    let mut commands = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let start = i + 1;
        let trimmed = lines[i].trim();
        i += 1;
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut command = trimmed.to_string();
        while command.ends_with('\\') && i < lines.len() {
            command.pop();
            command.push(' ');
            command.push_str(lines[i].trim());
            i += 1;
        }
        let words = shell_words(&command).map_err(|m| err(start, m))?;
        match words.first().map(String::as_str) {
            Some("curl") => {}
            _ => {
                return Err(err(
                    start,
                    format!(
                        "expected a `curl` command, found `{}`",
                        crate::tools::text::clip(trimmed, 60)
                    ),
                ));
            }
        }
        commands.push(command_from_words(start, &words[1..]).map_err(|m| err(start, m))?);
    }
    if commands.is_empty() {
        return Err(CurlError::Empty(file.to_string()));
    }
    Ok(commands)
}

fn command_from_words(line: usize, words: &[String]) -> Result<CurlCommand, String> {
    let mut method = None;
    let mut url = None;
    let mut headers = Vec::new();
    let mut data: Option<String> = None;
    let mut head = false;
    let mut it = words.iter();
    while let Some(word) = it.next() {
        let w = word.as_str();
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("`{name}` needs a value"))
        };
        match w {
            "-X" | "--request" => method = Some(value(w)?),
            "-H" | "--header" => {
                let h = value(w)?;
                let (k, v) = h
                    .split_once(':')
                    .ok_or_else(|| format!("header `{h}` must look like `Name: value`"))?;
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
            "-d" | "--data" | "--data-ascii" | "--data-binary" => {
                let v = value(w)?;
                append_data(&mut data, read_at_file(&v)?);
            }
            "--data-raw" => {
                let v = value(w)?;
                append_data(&mut data, v);
            }
            "--json" => {
                let v = value(w)?;
                append_data(&mut data, read_at_file(&v)?);
                headers.push(("Content-Type".into(), "application/json".into()));
                headers.push(("Accept".into(), "application/json".into()));
            }
            "--url" => url = Some(value(w)?),
            "-I" | "--head" => head = true,
            "-u" | "--user" => {
                return Err(
                    "`-u` is not supported: credentials come from SCIMCERT_TOKEN or SCIMCERT_BASIC"
                        .into(),
                );
            }
            _ if IGNORED_FLAGS.contains(&w) => {}
            _ if IGNORED_WITH_VALUE.contains(&w) => {
                value(w)?;
            }
            _ if w.starts_with("-X") && w.len() > 2 => method = Some(w[2..].to_string()),
            _ if is_flag_cluster(w) => {}
            _ if w.starts_with('-') => return Err(format!("unsupported curl option `{w}`")),
            _ => {
                if let Some(first) = &url {
                    return Err(format!("two URLs: `{first}` and `{w}`"));
                }
                url = Some(w.to_string());
            }
        }
    }
    let url = url.ok_or_else(|| "the command has no URL".to_string())?;
    let method = match method {
        Some(m) => m.to_ascii_uppercase(),
        None if head => "HEAD".into(),
        None if data.is_some() => "POST".into(),
        None => "GET".into(),
    };
    Ok(CurlCommand {
        line,
        method,
        url,
        headers,
        data,
    })
}

/// `-sSi` and the like: a cluster of ignored one-letter flags.
fn is_flag_cluster(w: &str) -> bool {
    w.len() > 2
        && !w.starts_with("--")
        && w.starts_with('-')
        && w[1..].chars().all(|c| "sSivkLf".contains(c))
}

/// curl joins several `-d` values with `&`.
fn append_data(data: &mut Option<String>, more: String) {
    match data {
        Some(d) => {
            d.push('&');
            d.push_str(&more);
        }
        None => *data = Some(more),
    }
}

/// The body of a `-d @file` (the file's text), or the value itself.
pub fn read_at_file(value: &str) -> Result<String, String> {
    match value.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(Path::new(path))
            .map_err(|e| format!("cannot read data file `{path}`: {e}")),
        None => Ok(value.to_string()),
    }
}

/// Splits a command line into words like a POSIX shell: single quotes, double quotes
/// (with `\` escapes for `"`, `\`, `$` and `` ` ``), backslash escapes, `#` comments.
/// Expansions (`$x`, `` `x` ``) are refused: the words must be what curl would receive.
pub fn shell_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => current.push(ch),
                        None => return Err("unterminated single quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '\\' | '$' | '`')) => current.push(e),
                            Some(other) => {
                                current.push('\\');
                                current.push(other);
                            }
                            None => return Err("unterminated double quote".into()),
                        },
                        Some('$' | '`') => {
                            return Err(
                                "shell expansion (`$`, `` ` ``) inside double quotes is not supported; write the value itself"
                                    .into(),
                            );
                        }
                        Some(ch) => current.push(ch),
                        None => return Err("unterminated double quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(ch) => current.push(ch),
                    None => return Err("a trailing `\\` with nothing after it".into()),
                }
            }
            '$' | '`' => {
                return Err(
                    "shell expansion (`$`, `` ` ``) is not supported; write the value itself"
                        .into(),
                );
            }
            '#' if !in_word => break,
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            '|' | ';' | '&' | '<' | '>' | '(' | ')' => {
                return Err(format!(
                    "`{c}` outside quotes: one plain curl command per line, no pipes or redirections"
                ));
            }
            c => {
                in_word = true;
                current.push(c);
            }
        }
    }
    if in_word {
        words.push(current);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::HttpRequest;

    #[test]
    fn words_follow_shell_quoting() {
        assert_eq!(
            shell_words(r#"curl -H 'A: b c' "x\"y" z\ w 'it'\''s' # comment"#).unwrap(),
            vec!["curl", "-H", "A: b c", "x\"y", "z w", "it's"]
        );
        assert!(shell_words("curl 'open").is_err());
        assert!(shell_words("curl $URL").is_err());
        assert!(shell_words("curl x | jq").is_err());
    }

    #[test]
    fn a_rendered_repro_reads_back_unchanged() {
        let req = HttpRequest {
            method: "PATCH".into(),
            url: "http://h:1/v2/Users/42?attributes=userName".into(),
            headers: vec![
                ("Accept".into(), "application/scim+json".into()),
                ("Authorization".into(), "Bearer s3cr3t".into()),
                ("If-Match".into(), "W/\"3\"".into()),
            ],
            body: Some(r#"{"Operations":[{"op":"add","value":{"nickName":"it's $x"}}]}"#.into()),
        };
        let line = crate::report::curl::render(&req).expect("built request");
        let text = format!("# step 1 (patch)\n{line}\n\n");
        let cmds = parse_curl_file("f.sh", &text).unwrap();
        assert_eq!(cmds.len(), 1);
        let c = &cmds[0];
        assert_eq!(c.line, 2);
        assert_eq!(c.method, "PATCH");
        assert_eq!(c.url, req.url);
        assert_eq!(c.data, req.body);
        assert_eq!(c.headers[1], ("Authorization".into(), "Bearer ***".into()));
        assert_eq!(c.headers[2], ("If-Match".into(), "W/\"3\"".into()));
    }

    #[test]
    fn continuations_defaults_and_errors() {
        let cmds = parse_curl_file(
            "f",
            "curl -sSi \\\n  http://h/Users \\\n  -d '{}'\ncurl -XDELETE http://h/Users/1\n",
        )
        .unwrap();
        assert_eq!(cmds[0].method, "POST");
        assert_eq!(cmds[0].url, "http://h/Users");
        assert_eq!(cmds[1].method, "DELETE");
        assert_eq!(cmds[1].line, 4);
        let e = parse_curl_file("f", "curl http://h\nwget http://h\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "f:2: expected a `curl` command, found `wget http://h`"
        );
        let e = parse_curl_file("f", "curl --proxy p http://h").unwrap_err();
        assert!(
            e.to_string().contains("unsupported curl option `--proxy`"),
            "{e}"
        );
        assert!(matches!(
            parse_curl_file("f", "# nothing\n"),
            Err(CurlError::Empty(_))
        ));
    }

    #[test]
    fn data_from_a_file() {
        let dir = std::env::temp_dir().join(format!("scimcert-curl-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let body = dir.join("body.json");
        std::fs::write(&body, "{\"a\":1}").unwrap();
        let cmds =
            parse_curl_file("f", &format!("curl -X PUT http://h -d @{}", body.display())).unwrap();
        assert_eq!(cmds[0].data.as_deref(), Some("{\"a\":1}"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
