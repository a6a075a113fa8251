//! The report as JUnit XML (`--junit FILE`), the format most CI systems display.
//!
//! One `<testsuite>` per group, named `file/group`; one `<testcase>` per case, named by its test
//! ID with class name `file.group`. A failed case carries `<failure>`, an unsupported one
//! `<skipped>`, one never run `<error>`; the counts on `<testsuites>` and `<testsuite>` follow.
//! Expectations (`--expect`): a skipped case and an expected failure are `<skipped>` (with
//! `type="expected_failure"` for the latter, as pytest reports an xfail), an unexpected pass a
//! `<failure type="unexpected_pass">`.

use core::fmt::Write as _;

use super::{CaseReport, Counts, RunReport, Status};

/// The JUnit XML document for `report`.
#[must_use]
pub fn render(report: &RunReport) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let counts = report.counts();
    let _ = writeln!(out, "<testsuites name=\"cinder-conformance\" {}>", count_attributes(&counts));
    for file in &report.files {
        for group in &file.groups {
            let name = format!("{}/{}", file.name, group.group);
            let _ = writeln!(out, "  <testsuite name=\"{}\" {}>", escape(&name), count_attributes(&group.counts()));
            let _ =
                writeln!(out, "    <properties><property name=\"op\" value=\"{}\"/></properties>", escape(&group.op));
            let class = format!("{}.{}", file.name, group.group);
            for case in &group.cases {
                testcase(&mut out, &class, case);
            }
            out.push_str("  </testsuite>\n");
        }
    }
    out.push_str("</testsuites>\n");
    out
}

fn count_attributes(counts: &Counts) -> String {
    format!(
        "tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\"",
        counts.total(),
        counts.failed + counts.unexpected_passes,
        counts.not_run,
        counts.unsupported + counts.skipped + counts.expected_failures
    )
}

fn testcase(out: &mut String, class: &str, case: &CaseReport) {
    let _ = write!(out, "    <testcase classname=\"{}\" name=\"{}\"", escape(class), escape(&case.id));
    let message = case.detail.as_ref().map(|d| d.message.as_str()).unwrap_or_default();
    let reason = case.expectation.as_ref().map(|e| e.reason.as_str()).unwrap_or_default();
    match case.status {
        Status::Passed => out.push_str("/>\n"),
        Status::Skipped => {
            let _ = writeln!(
                out,
                ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                escape(&format!("skipped: {reason}"))
            );
        }
        Status::ExpectedFailure => {
            let _ = writeln!(
                out,
                ">\n      <skipped type=\"expected_failure\" message=\"{}\"/>\n    </testcase>",
                escape(&format!("expected failure ({reason}): {message}"))
            );
        }
        Status::UnexpectedPass => {
            let _ = writeln!(
                out,
                ">\n      <failure type=\"unexpected_pass\" message=\"{}\"/>\n    </testcase>",
                escape(&format!(
                    "passed, but the expectations file says it fails ({reason}): remove it from the entry"
                ))
            );
        }
        Status::Unsupported => {
            let _ = writeln!(out, ">\n      <skipped message=\"{}\"/>\n    </testcase>", escape(message));
        }
        Status::NotRun => {
            let _ =
                writeln!(out, ">\n      <error type=\"not_run\" message=\"{}\"/>\n    </testcase>", escape(message));
        }
        Status::Failed => {
            // A wrong answer is a mismatch; no usable answer at all (timeout, crash, garbage) is not.
            let kind = match &case.detail {
                Some(detail) if detail.got.is_none() => "no_usable_answer",
                _ => "mismatch",
            };
            let mut body = String::new();
            if let Some(detail) = &case.detail {
                let _ = writeln!(body, "expected: {}", detail.expected);
                let _ = writeln!(body, "got:      {}", detail.got.as_deref().unwrap_or("no usable answer"));
                if let Some(stderr) = &detail.stderr {
                    let _ = write!(body, "adapter stderr:\n{stderr}");
                }
            }
            let _ = writeln!(
                out,
                ">\n      <failure type=\"{kind}\" message=\"{}\">{}</failure>\n    </testcase>",
                escape(message),
                escape(&body)
            );
        }
    }
}

/// `text` made safe inside an XML attribute or element: markup characters become entities, line
/// breaks and tabs character references (so attributes keep them), and characters XML 1.0 cannot
/// hold at all a visible `\u{..}` escape.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_characters_xml_cannot_hold() {
        assert_eq!(escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
        assert_eq!(escape("x\u{1b}y\n"), "x\\u{1b}y&#10;");
        assert_eq!(escape("\u{ffff}"), "\\u{ffff}");
    }
}
