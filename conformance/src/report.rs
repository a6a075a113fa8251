//! The outcome of a run: every selected case with its status, and how to show it — as text for a
//! person ([`human`]), as JSON ([`RunReport::to_json`]), as JUnit XML for CI ([`junit`]).

use serde::Serialize;
use serde_json::Value;

use crate::Exit;
use crate::expect::{ExpectationsReport, Kind};
use crate::protocol::PROTOCOL_VERSION;

pub mod human;
pub mod junit;

/// What happened to one case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The response was what the vector expects.
    Passed,
    /// It was not, or no usable response came.
    Failed,
    /// The adapter does not implement the case's operation.
    Unsupported,
    /// The run stopped before reaching the case (adapter broken, or run timeout).
    NotRun,
    /// An expectations entry (`skip`) kept the case from being sent.
    Skipped,
    /// It failed, as an expectations entry (`fail`) says it does; this does not fail the run.
    ExpectedFailure,
    /// It passed, though an expectations entry (`fail`) says it fails; this fails the run, so that
    /// the entry is removed.
    UnexpectedPass,
}

/// Why a case did not pass, with what it expected and what came.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Detail {
    /// The reason, in plain words.
    pub message: String,
    /// What the vector expects (`ok {...}` or `error CODE`).
    pub expected: String,
    /// The response, described; absent when none usable came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub got: Option<String>,
    /// The adapter's stderr around the request (bounded), if it wrote any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stderr: Option<String>,
}

/// One case.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseReport {
    /// The test's ID in its file.
    pub id: String,
    /// `file/group/id`.
    pub path: String,
    /// What happened.
    pub status: Status,
    /// What the test is about (the vector's comment).
    pub comment: String,
    /// The requirement IDs the test covers.
    pub requirements: Vec<String>,
    /// The arguments sent.
    pub args: Value,
    /// Set when the case got an answer or a fault that did not pass it ([`Status::Failed`],
    /// [`Status::ExpectedFailure`], [`Status::Unsupported`], [`Status::NotRun`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Detail>,
    /// The expectations entry that decided the case, if one matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expectation: Option<CaseExpectation>,
}

/// The expectations entry that matched a case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseExpectation {
    /// The entry's line in the expectations file.
    pub line: usize,
    /// `fail` or `skip`.
    pub kind: Kind,
    /// The entry's reason.
    pub reason: String,
}

/// The selected cases of one group.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupReport {
    /// The group's name.
    pub group: String,
    /// The operation its tests call.
    pub op: String,
    /// Its selected cases, in file order.
    pub cases: Vec<CaseReport>,
}

/// The selected cases of one vector file.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileReport {
    /// The file's name without `.json`.
    pub name: String,
    /// Where it was read from.
    pub path: String,
    /// The protocol part it tests.
    pub part: String,
    /// Groups with at least one selected case.
    pub groups: Vec<GroupReport>,
}

/// Why the run stopped early.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopKind {
    /// The adapter could not be started or restarted, or its `hello` was unusable.
    AdapterBroken,
    /// The run timeout passed.
    RunTimeout,
}

/// The early end of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stop {
    /// Which kind of stop.
    pub kind: StopKind,
    /// What happened.
    pub message: String,
    /// The adapter's last stderr, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stderr: Option<String>,
}

/// Case counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failed: usize,
    /// Cases the adapter does not support.
    pub unsupported: usize,
    /// Cases never run.
    pub not_run: usize,
    /// Cases an expectations entry skipped.
    pub skipped: usize,
    /// Cases that failed as an expectations entry says.
    pub expected_failures: usize,
    /// Cases that passed though an expectations entry says they fail.
    pub unexpected_passes: usize,
}

impl Counts {
    /// All cases counted.
    #[must_use]
    pub const fn total(&self) -> usize {
        self.passed
            + self.failed
            + self.unsupported
            + self.not_run
            + self.skipped
            + self.expected_failures
            + self.unexpected_passes
    }

    fn add(&mut self, status: Status) {
        match status {
            Status::Passed => self.passed += 1,
            Status::Failed => self.failed += 1,
            Status::Unsupported => self.unsupported += 1,
            Status::NotRun => self.not_run += 1,
            Status::Skipped => self.skipped += 1,
            Status::ExpectedFailure => self.expected_failures += 1,
            Status::UnexpectedPass => self.unexpected_passes += 1,
        }
    }

    /// Counts over some cases.
    pub fn of<'a>(cases: impl IntoIterator<Item = &'a CaseReport>) -> Self {
        let mut counts = Self::default();
        for case in cases {
            counts.add(case.status);
        }
        counts
    }
}

impl GroupReport {
    /// This group's counts.
    #[must_use]
    pub fn counts(&self) -> Counts {
        Counts::of(&self.cases)
    }
}

impl FileReport {
    /// This file's counts.
    #[must_use]
    pub fn counts(&self) -> Counts {
        Counts::of(self.cases())
    }

    /// Every case of the file.
    pub fn cases(&self) -> impl Iterator<Item = &CaseReport> {
        self.groups.iter().flat_map(|g| &g.cases)
    }
}

/// A whole run.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    /// What was checked: the adapter command, or the built-in reference.
    pub target: String,
    /// The name the adapter gave in its last `hello`, once it answered one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter: Option<String>,
    /// Whether unsupported cases are accepted (`--allow-unsupported`).
    pub allow_unsupported: bool,
    /// Per file, the selected cases.
    pub files: Vec<FileReport>,
    /// Why the run ended early, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<Stop>,
    /// Things worth knowing that did not fail a case (e.g. an adapter that would not exit, an
    /// unused expectations entry).
    pub warnings: Vec<String>,
    /// The expectations file (`--expect`), entry by entry, if one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expectations: Option<ExpectationsReport>,
}

impl RunReport {
    /// Counts over every case.
    #[must_use]
    pub fn counts(&self) -> Counts {
        Counts::of(self.cases())
    }

    /// Every case of the run.
    pub fn cases(&self) -> impl Iterator<Item = &CaseReport> {
        self.files.iter().flat_map(FileReport::cases)
    }

    /// The process exit status the run calls for.
    #[must_use]
    pub fn exit(&self) -> Exit {
        let counts = self.counts();
        if self.stopped.is_some() {
            Exit::AdapterBroken
        } else if counts.failed > 0
            || counts.unexpected_passes > 0
            || (counts.unsupported > 0 && !self.allow_unsupported)
        {
            Exit::Failed
        } else {
            Exit::Passed
        }
    }

    /// The last line of the human report, e.g.
    /// `conformance: 240 passed, 0 failed, 0 unsupported (identity 240/240)`.
    #[must_use]
    pub fn summary_line(&self) -> String {
        let counts = self.counts();
        let mut line = format!(
            "conformance: {} passed, {} failed, {} unsupported",
            counts.passed, counts.failed, counts.unsupported
        );
        for (count, what) in [
            (counts.not_run, "not run"),
            (counts.expected_failures, "expected failures"),
            (counts.unexpected_passes, "unexpected passes"),
            (counts.skipped, "skipped"),
        ] {
            if count > 0 {
                line.push_str(&format!(", {count} {what}"));
            }
        }
        let per_file: Vec<String> = self
            .files
            .iter()
            .map(|file| {
                let c = file.counts();
                format!("{} {}/{}", file.name, c.passed, c.total())
            })
            .collect();
        if !per_file.is_empty() {
            line.push_str(&format!(" ({})", per_file.join(", ")));
        }
        line
    }

    /// The machine-readable report (`--json`): the run as serialised here, plus a `summary` and
    /// the `verdict` and `exitCode` that [`RunReport::exit`] gives.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let exit = self.exit();
        let counts = self.counts();
        let mut value = serde_json::json!({
            "tool": "cinder-conformance",
            "version": env!("CARGO_PKG_VERSION"),
            "protocol": PROTOCOL_VERSION,
            "verdict": exit.verdict(),
            "exitCode": exit.code(),
            "summary": {
                "passed": counts.passed,
                "failed": counts.failed,
                "unsupported": counts.unsupported,
                "notRun": counts.not_run,
                "skipped": counts.skipped,
                "expectedFailures": counts.expected_failures,
                "unexpectedPasses": counts.unexpected_passes,
                "total": counts.total(),
            },
        });
        if let (Value::Object(out), Ok(Value::Object(run))) = (&mut value, serde_json::to_value(self)) {
            out.extend(run);
        }
        value
    }
}
