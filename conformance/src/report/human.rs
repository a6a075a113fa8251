//! The report for a person: each case that did not pass with what was expected and what came, a
//! table of counts per file and group, the expectations file's entries, and one summary line last.

use core::fmt::Write as _;

use super::{CaseReport, Counts, RunReport, Status, StopKind};
use crate::expect::Kind;
use crate::text::{excerpt, json_excerpt};

/// How many of the last stderr lines a failure shows (the JSON report keeps all that was kept).
const STDERR_LINES_SHOWN: usize = 40;
/// How long a shown stderr line may be.
const STDERR_LINE_CHARS: usize = 300;

/// The whole human report; its last line is [`RunReport::summary_line`].
#[must_use]
pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    let _ = write!(out, "target: {}", report.target);
    if let Some(adapter) = report.adapter.as_ref().filter(|name| **name != report.target) {
        let _ = write!(out, " (hello: {adapter:?})");
    }
    out.push('\n');

    for case in report.cases().filter(|c| matches!(c.status, Status::Failed | Status::UnexpectedPass)) {
        out.push('\n');
        failure(&mut out, case, report);
    }

    for file in &report.files {
        let _ = write!(out, "\n{} ({})\n", file.name, file.path);
        let width = file.groups.iter().map(|g| g.group.chars().count()).max().unwrap_or(0);
        let op_width = file.groups.iter().map(|g| g.op.chars().count()).max().unwrap_or(0);
        for group in &file.groups {
            let _ = writeln!(
                out,
                "  {:width$}  {:op_width$}  {}",
                group.group,
                group.op,
                counts_text(&group.counts()),
                width = width,
                op_width = op_width
            );
        }
    }
    out.push('\n');

    if let Some(expectations) = &report.expectations {
        let _ = writeln!(out, "expectations ({}):", expectations.path);
        for entry in &expectations.entries {
            let decided: Vec<&CaseReport> =
                report.cases().filter(|case| case.expectation.as_ref().is_some_and(|e| e.line == entry.line)).collect();
            let count = |status: Status| decided.iter().filter(|case| case.status == status).count();
            let outcome = match entry.kind {
                Kind::Skip => format!("{} skipped", count(Status::Skipped)),
                Kind::Fail => {
                    let mut parts = vec![format!("{} failed as expected", count(Status::ExpectedFailure))];
                    let passed = count(Status::UnexpectedPass);
                    if passed > 0 {
                        parts.push(format!("{passed} PASSED (remove them from the entry)"));
                    }
                    let other = decided.len() - count(Status::ExpectedFailure) - passed;
                    if other > 0 {
                        parts.push(format!("{other} unsupported or not run"));
                    }
                    parts.join(", ")
                }
            };
            let unused = if entry.used { "" } else { " (UNUSED: matches no case)" };
            let _ = writeln!(
                out,
                "  line {}: {} {}  {outcome}{unused}  -- {}",
                entry.line,
                entry.kind.word(),
                entry.glob,
                excerpt(entry.reason.as_bytes(), 200)
            );
        }
        out.push('\n');
    }

    if let Some(stop) = &report.stopped {
        let what = match stop.kind {
            StopKind::AdapterBroken => "adapter broken",
            StopKind::RunTimeout => "run timeout",
        };
        let _ = writeln!(out, "{what}: {}", excerpt(stop.message.as_bytes(), 1000));
        if let Some(stderr) = &stop.stderr {
            stderr_block(&mut out, stderr);
        }
        let _ = writeln!(out, "{} cases not run", report.counts().not_run);
    }
    for warning in &report.warnings {
        let _ = writeln!(out, "warning: {}", excerpt(warning.as_bytes(), 1000));
    }
    let counts = report.counts();
    if counts.unsupported > 0 && !report.allow_unsupported {
        let _ = writeln!(
            out,
            "note: {} unsupported cases make this run fail; pass --allow-unsupported to accept them",
            counts.unsupported
        );
    }
    out.push_str(&report.summary_line());
    out.push('\n');
    out
}

fn counts_text(counts: &Counts) -> String {
    let mut parts = vec![format!("{}/{} passed", counts.passed, counts.total())];
    if counts.failed > 0 {
        parts.push(format!("{} failed", counts.failed));
    }
    if counts.unsupported > 0 {
        parts.push(format!("{} unsupported", counts.unsupported));
    }
    for (count, what) in [
        (counts.not_run, "not run"),
        (counts.expected_failures, "expected failures"),
        (counts.unexpected_passes, "unexpected passes"),
        (counts.skipped, "skipped"),
    ] {
        if count > 0 {
            parts.push(format!("{count} {what}"));
        }
    }
    parts.join(", ")
}

fn failure(out: &mut String, case: &CaseReport, report: &RunReport) {
    if case.status == Status::UnexpectedPass {
        let _ = writeln!(out, "UNEXPECTED PASS {}", case.path);
        if let (Some(expectation), Some(file)) = (&case.expectation, &report.expectations) {
            let _ = writeln!(
                out,
                "  why:      {}:{} expects it to fail ({}), but it passed: remove it from the entry",
                file.path,
                expectation.line,
                excerpt(expectation.reason.as_bytes(), 300)
            );
        }
        return;
    }
    let _ = writeln!(out, "FAIL {}", case.path);
    if !case.comment.is_empty() {
        let _ = writeln!(out, "  about:    {}", excerpt(case.comment.as_bytes(), 300));
    }
    if !case.requirements.is_empty() {
        let _ = writeln!(out, "  covers:   {}", case.requirements.join(", "));
    }
    let _ = writeln!(out, "  args:     {}", json_excerpt(&case.args, 600));
    let Some(detail) = &case.detail else {
        return;
    };
    let _ = writeln!(out, "  expected: {}", detail.expected);
    let _ = writeln!(out, "  got:      {}", detail.got.as_deref().unwrap_or("no usable answer"));
    let _ = writeln!(out, "  why:      {}", excerpt(detail.message.as_bytes(), 1000));
    if let Some(stderr) = &detail.stderr {
        stderr_block(out, stderr);
    }
}

fn stderr_block(out: &mut String, stderr: &str) {
    let lines: Vec<&str> = stderr.lines().collect();
    let skipped = lines.len().saturating_sub(STDERR_LINES_SHOWN);
    out.push_str("  adapter stderr:\n");
    if skipped > 0 {
        let _ = writeln!(out, "    | [{skipped} earlier lines not shown]");
    }
    for line in &lines[skipped..] {
        let _ = writeln!(out, "    | {}", excerpt(line.as_bytes(), STDERR_LINE_CHARS));
    }
}
