//! Making untrusted text safe and short enough to show: adapter output can be anything, and a
//! report must stay readable (and a terminal unharmed) whatever the adapter printed.

/// At most `max_chars` characters of `bytes`, read as UTF-8 (invalid sequences become U+FFFD),
/// with control characters escaped and a note of how much was left out.
#[must_use]
pub(crate) fn excerpt(bytes: &[u8], max_chars: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    for (shown, ch) in text.chars().enumerate() {
        if shown == max_chars {
            out.push_str(&format!("... ({} bytes in all)", bytes.len()));
            return out;
        }
        push_visible(&mut out, ch);
    }
    out
}

/// Appends `ch`, or its escape when it is a control character (so ANSI escapes and stray
/// carriage returns cannot rewrite the terminal the report is shown on).
fn push_visible(out: &mut String, ch: char) {
    if ch.is_control() {
        out.extend(ch.escape_default());
    } else {
        out.push(ch);
    }
}

/// Compact JSON of `value`, cut to `max_chars` characters.
#[must_use]
pub(crate) fn json_excerpt(value: &serde_json::Value, max_chars: usize) -> String {
    excerpt(value.to_string().as_bytes(), max_chars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_characters() {
        assert_eq!(excerpt(b"a\x1b[31mb\r", 100), "a\\u{1b}[31mb\\r");
    }

    #[test]
    fn cuts_long_text_and_says_how_long_it_was() {
        assert_eq!(excerpt(b"abcdef", 3), "abc... (6 bytes in all)");
        assert_eq!(excerpt(b"abc", 3), "abc");
    }

    #[test]
    fn replaces_invalid_utf8() {
        assert_eq!(excerpt(b"a\xffb", 10), "a\u{fffd}b");
    }
}
