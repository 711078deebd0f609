//! Encodings the wire formats need: Base64, URL and XML escaping, path segments.

/// Standard Base64 with padding (the form of `Authorization: Basic`).
pub fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `application/x-www-form-urlencoded` form of `s` (also how a URL query carries it).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `text` as one URL path segment: everything but RFC 3986 unreserved characters
/// percent-encoded.
pub fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `s` with the five XML special characters escaped.
pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// Whether `url` is an http(s) URL already in the form a URL parser writes it back in
/// (lower-case scheme and host, no default port, no dot segments, nothing to
/// percent-encode), so that parsing it would change nothing. Conservative: `false`
/// only means "parse it to know".
pub fn is_serialized_http_url(url: &str) -> bool {
    let (rest, default_port) = if let Some(rest) = url.strip_prefix("http://") {
        (rest, "80")
    } else if let Some(rest) = url.strip_prefix("https://") {
        (rest, "443")
    } else {
        return false;
    };
    let Some(slash) = rest.find('/') else {
        return false;
    };
    let (authority, path) = rest.split_at(slash);
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    if let Some(port) = port {
        let canonical = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && !port.starts_with('0')
            && port.parse::<u32>().is_ok_and(|p| p <= 65_535)
            && port != default_port;
        if !canonical {
            return false;
        }
    }
    is_plain_host(host) && is_plain_path(path)
}

/// A lower-case DNS name of plain labels, or a dotted quad as an IPv4 parser writes it.
fn is_plain_host(host: &str) -> bool {
    // One pass, label by label: this runs for every request a run sends.
    let mut labels = 0;
    let mut last_starts_with_digit = false;
    let mut quad_so_far = true;
    for label in host.as_bytes().split(|&b| b == b'.') {
        let plain = !label.is_empty()
            && !label.starts_with(b"xn--")
            && label
                .iter()
                .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !plain {
            return false;
        }
        labels += 1;
        last_starts_with_digit = label[0].is_ascii_digit();
        quad_so_far = quad_so_far && is_quad_part(label);
    }
    // A name whose last label starts with a digit is read as an IPv4 address, which
    // is written back as four decimal parts.
    !last_starts_with_digit || (labels == 4 && quad_so_far)
}

/// One part of a dotted quad as written back: 0 to 255, no leading zero.
fn is_quad_part(label: &[u8]) -> bool {
    let digits = label.iter().all(u8::is_ascii_digit);
    let value = label.iter().fold(0u32, |n, &b| {
        n.saturating_mul(10)
            .saturating_add(u32::from(b.wrapping_sub(b'0')))
    });
    digits && label.len() <= 3 && (label.len() == 1 || label[0] != b'0') && value <= 255
}

/// A path of non-empty segments, none `.` or `..`, of characters no URL parser escapes.
fn is_plain_path(path: &str) -> bool {
    // One pass over the bytes: this runs for every request a run sends.
    const fn plain_bytes() -> [bool; 256] {
        let mut table = [false; 256];
        let mut b = 0;
        while b < 256 {
            let c = b as u8;
            table[b] = c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    b'-' | b'.'
                        | b'_'
                        | b'~'
                        | b'!'
                        | b'$'
                        | b'&'
                        | b'\''
                        | b'('
                        | b')'
                        | b'*'
                        | b'+'
                        | b','
                        | b';'
                        | b'='
                        | b':'
                        | b'@'
                );
            b += 1;
        }
        table
    }
    static PLAIN: [bool; 256] = plain_bytes();
    let Some(segments) = path.strip_prefix('/') else {
        return false;
    };
    if segments.is_empty() {
        return true;
    }
    let bytes = segments.as_bytes();
    let mut start = 0;
    for i in 0..=bytes.len() {
        if i == bytes.len() || bytes[i] == b'/' {
            let segment = &bytes[start..i];
            if segment.is_empty() || segment == b"." || segment == b".." {
                return false;
            }
            start = i + 1;
        } else if !PLAIN[usize::from(bytes[i])] {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    #[test]
    fn serialized_http_urls_are_those_a_parser_leaves_alone() {
        let samples = [
            "http://127.0.0.1:8080/usergroup/t/my-tenant/scim/v2/Users/2819c223-7f76",
            "http://localhost/",
            "https://example.com/scim/v2/Users",
            "http://127.0.0.1:80/x",
            "https://example.com:443/x",
            "http://127.1/x",
            "http://0x7f.0.0.1/x",
            "http://127.000.0.1/x",
            "http://1.2.3/x",
            "http://999.1.1.1/x",
            "http://256.1.1.1/x",
            "http://255.1.1.1/x",
            "http://1.2.3.4.5/x",
            "http://99999999999999999999.1.1.1/x",
            "http://a.1/x",
            "http://1a.example/x",
            "http://-.example/x",
            "http://Example.com/x",
            "HTTP://example.com/x",
            "http://example.com",
            "http://example.com:08080/x",
            "http://example.com:/x",
            "http://example.com:99999/x",
            "http://xn--nxasmq6b.com/x",
            "http://user@example.com/x",
            "http://example.com/a/./b",
            "http://example.com/a/../b",
            "http://example.com/a//b",
            "http://example.com/a b",
            "http://example.com/a%20b",
            "http://example.com/a\\b",
            "http://example.com/{x}",
            "http://example.com/é",
            "http://example.com/x?y=1",
            "http://example.com/x#y",
            "http://example.com./x",
            "http://a..b/x",
            "http://example.com/Users/abc'()*+,;=:@!$&~_-.x",
            "http://[::1]:8080/x",
            "ftp://example.com/x",
        ];
        for url in samples {
            if is_serialized_http_url(url) {
                let parsed = reqwest::Url::parse(url).expect("a URL said plain parses");
                assert_eq!(parsed.as_str(), url, "said plain but a parser rewrites it");
            }
        }
        assert!(is_serialized_http_url(samples[0]));
        assert!(is_serialized_http_url(samples[1]));
        assert!(!is_serialized_http_url("http://127.1/x"));
        assert!(!is_serialized_http_url("http://example.com/a b"));
    }

    use super::*;

    #[test]
    fn base64_pads() {
        assert_eq!(base64_encode(b"a"), "YQ==");
        assert_eq!(base64_encode(b"ab"), "YWI=");
        assert_eq!(
            base64_encode(b"Aladdin:open sesame"),
            "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }

    #[test]
    fn segments_and_queries() {
        assert_eq!(encode_segment("my-tenant_1.x~"), "my-tenant_1.x~");
        assert_eq!(encode_segment("a b/é"), "a%20b%2F%C3%A9");
        assert_eq!(url_encode("a b&c"), "a+b%26c");
        assert_eq!(xml_escape("<a & 'b'>"), "&lt;a &amp; &apos;b&apos;&gt;");
    }
}
