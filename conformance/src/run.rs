//! Running the selected cases of some vector files against a [`Target`].
//!
//! Cases run one at a time, in file, group and test order. Before a case is sent the target must
//! be started (the first time, and again after a fault that stopped it) and must list the case's
//! operation among its capabilities; otherwise the case is unsupported without being sent. When
//! the target cannot be started, or the run timeout passes, every remaining case is not run.
//!
//! After the vector cases of the first file of each part come that part's cross checks
//! ([`crate::crosscheck`]), as one more group of the file; a cross check may send several
//! requests, and a fault in any of them ends it as a fault ends a vector case.
//!
//! An expectations file ([`crate::expect`]) can mark cases as known failures (they run; a failure
//! is expected, a pass is reported) or as skipped (they are not sent).

use core::time::Duration;
use std::time::Instant;

use cinder_vectors::format::TestCase;

use crate::check::{Verdict, check, describe_expected};
use crate::crosscheck::{self, Caller, CheckVerdict, CrossCheck, NoAnswer};
use crate::expect::{EntryReport, Expectations, ExpectationsReport, Kind};
use crate::filter::{Pattern, selected};
use crate::load::{LoadedFile, case_path};
use crate::protocol::{Hello, Response};
use crate::report::{CaseExpectation, CaseReport, Detail, FileReport, GroupReport, RunReport, Status, Stop, StopKind};
use crate::target::{FaultKind, Limits, Target};

/// Default `--timeout`: the longest wait for one response.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Default `--run-timeout`: the longest a whole run may take.
pub const DEFAULT_RUN_TIMEOUT: Duration = Duration::from_secs(1800);

/// How a run is done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Only cases whose path matches one of these run (all, when empty).
    pub filters: Vec<Pattern>,
    /// Longest wait for one response.
    pub request_timeout: Duration,
    /// Longest the whole run may take.
    pub run_timeout: Duration,
    /// Whether unsupported cases are accepted.
    pub allow_unsupported: bool,
    /// Known failures and skips (`--expect`).
    pub expectations: Option<Expectations>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            filters: Vec::new(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            run_timeout: DEFAULT_RUN_TIMEOUT,
            allow_unsupported: false,
            expectations: None,
        }
    }
}

/// Told about each case just before it runs, so that a long run can show progress.
pub trait Progress {
    /// Case number `index` (from 0) of `total`, with path `path`, is about to run.
    fn case(&mut self, index: usize, total: usize, path: &str);
    /// The run is over (every case has run, or been reported not run).
    fn done(&mut self) {}
}

/// No progress shown.
#[derive(Clone, Copy, Debug, Default)]
pub struct Quiet;

impl Progress for Quiet {
    fn case(&mut self, _index: usize, _total: usize, _path: &str) {}
}

/// The paths (`file/group/id`) of the cases `filters` select, in run order: every vector case,
/// and the cross checks of each part after its first file ([`crate::crosscheck`]).
#[must_use]
pub fn selected_paths(files: &[LoadedFile], filters: &[Pattern]) -> Vec<String> {
    plan(files, filters)
        .iter()
        .flat_map(|file| &file.groups)
        .flat_map(|group| &group.cases)
        .map(|case| case.path.clone())
        .collect()
}

/// A selected case, ready to run.
#[derive(Debug)]
struct Planned<'f> {
    /// `file/group/id`.
    path: String,
    what: Case<'f>,
}

#[derive(Debug)]
enum Case<'f> {
    Vector { op: &'f str, test: &'f TestCase },
    Cross(CrossCheck),
}

#[derive(Debug)]
struct PlannedGroup<'f> {
    name: String,
    op: String,
    cases: Vec<Planned<'f>>,
}

#[derive(Debug)]
struct PlannedFile<'f> {
    file: &'f LoadedFile,
    groups: Vec<PlannedGroup<'f>>,
}

/// The selected cases of `files`, by file and group; files and groups with none are left out.
fn plan<'f>(files: &'f [LoadedFile], filters: &[Pattern]) -> Vec<PlannedFile<'f>> {
    let mut parts_seen: Vec<&str> = Vec::new();
    let mut planned = Vec::new();
    for file in files {
        let mut groups = Vec::new();
        for group in &file.vectors.test_groups {
            let cases: Vec<Planned<'f>> = group
                .tests
                .iter()
                .map(|test| Planned { path: case_path(file, group, test), what: Case::Vector { op: &group.op, test } })
                .filter(|case| selected(filters, &case.path))
                .collect();
            if !cases.is_empty() {
                groups.push(PlannedGroup { name: group.group.clone(), op: group.op.clone(), cases });
            }
        }
        let part = file.vectors.part.as_str();
        if !parts_seen.contains(&part) {
            parts_seen.push(part);
            let checks = crosscheck::for_part(part);
            let mut ops: Vec<String> = Vec::new();
            for op in checks.iter().flat_map(|check| &check.ops) {
                if !ops.contains(op) {
                    ops.push(op.clone());
                }
            }
            let cases: Vec<Planned<'f>> = checks
                .into_iter()
                .map(|check| Planned {
                    path: format!("{}/{}/{}", file.name, crosscheck::GROUP, check.id),
                    what: Case::Cross(check),
                })
                .filter(|case| selected(filters, &case.path))
                .collect();
            if !cases.is_empty() {
                groups.push(PlannedGroup { name: crosscheck::GROUP.into(), op: ops.join(", "), cases });
            }
        }
        if !groups.is_empty() {
            planned.push(PlannedFile { file, groups });
        }
    }
    planned
}

/// Runs the selected cases of `files` against `target`: the vector cases, and the cross checks
/// of each part after its first file.
pub fn run(files: &[LoadedFile], target: &mut dyn Target, options: &Options) -> RunReport {
    run_with_progress(files, target, options, &mut Quiet)
}

/// [`run`], telling `progress` about each case before it runs.
pub fn run_with_progress(
    files: &[LoadedFile],
    target: &mut dyn Target,
    options: &Options,
    progress: &mut dyn Progress,
) -> RunReport {
    let started = Instant::now();
    let limits = Limits { request_timeout: options.request_timeout, run_deadline: started + options.run_timeout };
    let mut runner =
        Runner { target, limits, run_timeout: options.run_timeout, session: None, adapter: None, stopped: None };
    let planned = plan(files, &options.filters);
    let total = planned.iter().flat_map(|file| &file.groups).map(|group| group.cases.len()).sum();
    let mut index = 0;
    let mut decided = vec![0usize; options.expectations.as_ref().map_or(0, |e| e.entries.len())];
    let mut reports = Vec::new();
    for planned in planned {
        let mut groups = Vec::new();
        for group in planned.groups {
            let mut cases = Vec::new();
            for case in group.cases {
                progress.case(index, total, &case.path);
                index += 1;
                let entry = options
                    .expectations
                    .as_ref()
                    .and_then(|e| e.entries.iter().enumerate().find(|(_, entry)| entry.glob.matches(&case.path)));
                if let Some((at, _)) = entry {
                    decided[at] += 1;
                }
                cases.push(runner.case(case, entry.map(|(_, entry)| entry)));
            }
            groups.push(GroupReport { group: group.name, op: group.op, cases });
        }
        reports.push(FileReport {
            name: planned.file.name.clone(),
            path: planned.file.path.display().to_string(),
            part: planned.file.vectors.part.clone(),
            groups,
        });
    }
    progress.done();
    let mut warnings = runner.target.finish();
    let expectations = options.expectations.as_ref().map(|expectations| {
        // Unused: matching no case of the files at all, whatever the filters selected.
        let every_path = selected_paths(files, &[]);
        let entries: Vec<EntryReport> = expectations
            .entries
            .iter()
            .zip(&decided)
            .map(|(entry, &matched)| EntryReport {
                line: entry.line,
                kind: entry.kind,
                glob: entry.glob.as_str().to_owned(),
                reason: entry.reason.clone(),
                matched,
                used: matched > 0 || every_path.iter().any(|path| entry.glob.matches(path)),
            })
            .collect();
        let report = ExpectationsReport { path: expectations.path.display().to_string(), entries };
        for entry in report.unused() {
            warnings.push(format!(
                "{}:{}: `{} {}` matches no case of the vector files; remove it or fix its glob",
                report.path,
                entry.line,
                entry.kind.word(),
                entry.glob
            ));
        }
        report
    });
    RunReport {
        target: runner.target.describe(),
        adapter: runner.adapter,
        allow_unsupported: options.allow_unsupported,
        files: reports,
        stopped: runner.stopped,
        warnings,
        expectations,
    }
}

struct Runner<'t> {
    target: &'t mut dyn Target,
    limits: Limits,
    run_timeout: Duration,
    /// The running target's `hello`, while it runs.
    session: Option<Hello>,
    /// The name from the last `hello`.
    adapter: Option<String>,
    stopped: Option<Stop>,
}

/// A case that ended without a verdict on an answer: not run, unsupported, or no usable answer.
#[derive(Debug)]
struct Ended {
    status: Status,
    message: String,
    stderr: Option<String>,
}

impl Ended {
    fn detail(self, expected: String) -> Option<Detail> {
        Some(Detail { message: self.message, expected, got: None, stderr: self.stderr })
    }
}

impl Runner<'_> {
    fn case(&mut self, case: Planned<'_>, entry: Option<&crate::expect::Entry>) -> CaseReport {
        let expectation =
            entry.map(|entry| CaseExpectation { line: entry.line, kind: entry.kind, reason: entry.reason.clone() });
        let mut report = match case.what {
            Case::Vector { op, test } => {
                let (status, detail) = if entry.is_some_and(|e| e.kind == Kind::Skip) {
                    (Status::Skipped, None)
                } else {
                    self.vector_outcome(op, test)
                };
                CaseReport {
                    id: test.id.clone(),
                    path: case.path,
                    status,
                    comment: test.comment.clone(),
                    requirements: test.requirements.clone(),
                    args: test.args.clone(),
                    detail,
                    expectation: None,
                }
            }
            Case::Cross(check) => {
                let (status, args, detail) = if entry.is_some_and(|e| e.kind == Kind::Skip) {
                    (Status::Skipped, serde_json::Value::Object(serde_json::Map::new()), None)
                } else {
                    self.cross_outcome(&check)
                };
                CaseReport {
                    id: check.id,
                    path: case.path,
                    status,
                    comment: check.comment,
                    requirements: check.requirements,
                    args,
                    detail,
                    expectation: None,
                }
            }
        };
        if let Some(expectation) = expectation {
            report.status = match (expectation.kind, report.status) {
                (Kind::Fail, Status::Failed) => Status::ExpectedFailure,
                (Kind::Fail, Status::Passed) => Status::UnexpectedPass,
                (_, status) => status,
            };
            report.expectation = Some(expectation);
        }
        report
    }

    fn stop(&mut self, kind: StopKind, message: String, stderr: Option<String>) {
        if self.stopped.is_none() {
            self.stopped = Some(Stop { kind, message, stderr });
        }
        self.session = None;
    }

    fn run_timeout_message(&self) -> String {
        format!("the run timeout of {} s was reached", self.run_timeout.as_secs_f64())
    }

    /// Makes sure the target runs (starting it when needed) and lists every one of `ops`.
    fn ready(&mut self, ops: &[&str]) -> Result<(), Ended> {
        let not_run = |why: &str| Ended { status: Status::NotRun, message: why.into(), stderr: None };
        if self.stopped.is_none() && Instant::now() >= self.limits.run_deadline {
            let message = self.run_timeout_message();
            self.stop(StopKind::RunTimeout, message, None);
        }
        if let Some(stop) = &self.stopped {
            return Err(not_run(match stop.kind {
                StopKind::AdapterBroken => "not run: adapter broken",
                StopKind::RunTimeout => "not run: run timeout",
            }));
        }
        if self.session.is_none() {
            match self.target.start(&self.limits) {
                Ok(hello) => {
                    self.adapter = Some(hello.adapter.clone());
                    self.session = Some(hello);
                }
                Err(fault) => {
                    let (kind, message, why) = if fault.kind == FaultKind::RunTimeout {
                        let message = format!("{}: {}", self.run_timeout_message(), fault.message);
                        (StopKind::RunTimeout, message, "not run: run timeout")
                    } else {
                        (StopKind::AdapterBroken, fault.message, "not run: adapter broken")
                    };
                    self.stop(kind, message, fault.stderr);
                    return Err(not_run(why));
                }
            }
        }
        let missing: Vec<&str> =
            ops.iter().copied().filter(|op| !self.session.as_ref().is_some_and(|hello| hello.supports(op))).collect();
        if missing.is_empty() {
            Ok(())
        } else {
            let message = format!("the adapter does not list {} among its capabilities", missing.join(" or "));
            Err(Ended { status: Status::Unsupported, message, stderr: None })
        }
    }

    /// Sends one request; a fault ends the case (and may stop the target or the run).
    fn send(&mut self, op: &str, args: &serde_json::Value) -> Result<Response, Ended> {
        self.target.call(op, args, &self.limits).map_err(|fault| match fault.kind {
            FaultKind::Restarted => {
                self.session = None;
                Ended { status: Status::Failed, message: fault.message, stderr: fault.stderr }
            }
            FaultKind::Malformed => Ended { status: Status::Failed, message: fault.message, stderr: fault.stderr },
            FaultKind::RunTimeout => {
                let message = format!("{}: {}", self.run_timeout_message(), fault.message);
                self.stop(StopKind::RunTimeout, message, fault.stderr);
                Ended { status: Status::NotRun, message: "not run: run timeout".into(), stderr: None }
            }
        })
    }

    fn vector_outcome(&mut self, op: &str, test: &TestCase) -> (Status, Option<Detail>) {
        let expected = describe_expected(test);
        if let Err(ended) = self.ready(&[op]) {
            return (ended.status, ended.detail(expected));
        }
        let response = match self.send(op, &test.args) {
            Ok(response) => response,
            Err(ended) => return (ended.status, ended.detail(expected)),
        };
        let log = self.target.take_log();
        let detail = |message: String, got: Option<String>| Some(Detail { message, expected, got, stderr: log });
        match check(test, &response) {
            Verdict::Passed => (Status::Passed, None),
            Verdict::Failed(why) => (Status::Failed, detail(why, Some(response.describe()))),
            Verdict::Unsupported => (Status::Unsupported, detail("the adapter answered unsupported".into(), None)),
        }
    }

    fn cross_outcome(&mut self, check: &CrossCheck) -> (Status, serde_json::Value, Option<Detail>) {
        let nothing_drawn = serde_json::Value::Object(serde_json::Map::new());
        let expected = check.expected.clone();
        let ops: Vec<&str> = check.ops.iter().map(String::as_str).collect();
        if let Err(ended) = self.ready(&ops) {
            return (ended.status, nothing_drawn, ended.detail(expected));
        }
        let mut caller = CaseCaller { runner: self, ended: None };
        let checked = check.run(&mut caller);
        let ended = caller.ended;
        let log = self.target.take_log();
        let detail = |message: String, got: Option<String>| Some(Detail { message, expected, got, stderr: log });
        let (status, detail) = match checked.verdict {
            CheckVerdict::Passed => (Status::Passed, None),
            CheckVerdict::Failed { message, got } => (Status::Failed, detail(message, got)),
            CheckVerdict::Unsupported => (Status::Unsupported, detail("the adapter answered unsupported".into(), None)),
            CheckVerdict::NoAnswer => match ended {
                Some(ended) => (ended.status, ended.detail(check.expected.clone())),
                None => (Status::Failed, detail("a request got no usable answer".into(), None)),
            },
        };
        (status, checked.args, detail)
    }
}

/// The runner as a cross check's way to the target: it keeps how a failed request ended.
struct CaseCaller<'r, 't> {
    runner: &'r mut Runner<'t>,
    ended: Option<Ended>,
}

impl Caller for CaseCaller<'_, '_> {
    fn call(&mut self, op: &str, args: &serde_json::Value) -> Result<Response, NoAnswer> {
        self.runner.send(op, args).map_err(|ended| {
            self.ended = Some(ended);
            NoAnswer
        })
    }
}
