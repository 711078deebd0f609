//! `curl` commands reproducing a request, secrets masked: the one rendering shared by
//! the console, the JSON and Markdown reports (and anything that prints a repro).

use crate::exchange::{HttpRequest, masked};

/// A `curl` command reproducing `req` (headers named like credentials masked), or
/// `None` when the request was never built (its URL is empty).
pub fn render(req: &HttpRequest) -> Option<String> {
    if req.url.is_empty() {
        return None;
    }
    let req = masked(req);
    let mut out = format!(
        "curl -sS -i -X {} {}",
        quote_if_needed(&req.method),
        shell_quote(&req.url)
    );
    for (k, v) in &req.headers {
        out.push_str(" -H ");
        out.push_str(&shell_quote(&format!("{k}: {v}")));
    }
    if let Some(body) = &req.body {
        out.push_str(" --data-raw ");
        out.push_str(&shell_quote(body));
    }
    Some(out)
}

/// `s` as one POSIX shell word: single-quoted, each `'` written as `'\''`.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// `s` bare when it holds only characters no shell treats specially, else quoted.
pub fn quote_if_needed(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':'));
    if plain { s.to_string() } else { shell_quote(s) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> HttpRequest {
        HttpRequest {
            method: "PATCH".into(),
            url: "http://h/Users/1?filter=a%20b".into(),
            headers: vec![
                ("Authorization".into(), "Bearer s3cr3t".into()),
                ("Content-Type".into(), "application/scim+json".into()),
            ],
            body: Some("{\"a\":\"it's $HOME `x`\"}".into()),
        }
    }

    #[test]
    fn masks_the_token_and_quotes_every_word() {
        let c = render(&req()).expect("built request");
        assert_eq!(
            c,
            r#"curl -sS -i -X PATCH 'http://h/Users/1?filter=a%20b' -H 'Authorization: Bearer ***' -H 'Content-Type: application/scim+json' --data-raw '{"a":"it'\''s $HOME `x`"}'"#
        );
    }

    #[test]
    fn odd_methods_are_quoted() {
        let mut r = req();
        r.method = "BAD METHOD;rm".into();
        assert!(
            render(&r)
                .expect("built")
                .starts_with("curl -sS -i -X 'BAD METHOD;rm' ")
        );
    }

    #[test]
    fn unbuilt_requests_have_no_repro() {
        let mut r = req();
        r.url.clear();
        assert_eq!(render(&r), None);
    }

    #[test]
    fn quoting_round_trips_through_sh() {
        let tricky = "a'b\"c $d `e` \\f\ng";
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s {}", shell_quote(tricky)))
            .output();
        // Without a POSIX shell there is nothing to compare against.
        if let Ok(out) = out {
            assert_eq!(String::from_utf8_lossy(&out.stdout), tricky);
        }
    }
}
