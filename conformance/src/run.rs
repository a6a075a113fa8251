//! Running the selected cases of some vector files against a [`Target`].
//!
//! Cases run one at a time, in file, group and test order. Before a case is sent the target must
//! be started (the first time, and again after a fault that stopped it) and must list the case's
//! operation among its capabilities; otherwise the case is unsupported without being sent. When
//! the target cannot be started, or the run timeout passes, every remaining case is not run.

use core::time::Duration;
use std::time::Instant;

use cinder_vectors::format::{TestCase, TestGroup};

use crate::check::{Verdict, check, describe_expected};
use crate::filter::{Pattern, selected};
use crate::load::{LoadedFile, case_path};
use crate::protocol::Hello;
use crate::report::{CaseReport, Detail, FileReport, GroupReport, RunReport, Status, Stop, StopKind};
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
}

impl Default for Options {
    fn default() -> Self {
        Self {
            filters: Vec::new(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            run_timeout: DEFAULT_RUN_TIMEOUT,
            allow_unsupported: false,
        }
    }
}

/// The paths (`file/group/id`) of the cases `filters` select, in run order.
#[must_use]
pub fn selected_paths(files: &[LoadedFile], filters: &[Pattern]) -> Vec<String> {
    let mut paths = Vec::new();
    for file in files {
        for group in &file.vectors.test_groups {
            for test in &group.tests {
                let path = case_path(file, group, test);
                if selected(filters, &path) {
                    paths.push(path);
                }
            }
        }
    }
    paths
}

/// Runs the selected cases of `files` against `target`.
pub fn run(files: &[LoadedFile], target: &mut dyn Target, options: &Options) -> RunReport {
    let started = Instant::now();
    let limits = Limits { request_timeout: options.request_timeout, run_deadline: started + options.run_timeout };
    let mut runner =
        Runner { target, limits, run_timeout: options.run_timeout, session: None, adapter: None, stopped: None };
    let mut reports = Vec::new();
    for file in files {
        let mut groups = Vec::new();
        for group in &file.vectors.test_groups {
            let mut cases = Vec::new();
            for test in &group.tests {
                let path = case_path(file, group, test);
                if selected(&options.filters, &path) {
                    cases.push(runner.case(group, test, path));
                }
            }
            if !cases.is_empty() {
                groups.push(GroupReport { group: group.group.clone(), op: group.op.clone(), cases });
            }
        }
        if !groups.is_empty() {
            reports.push(FileReport {
                name: file.name.clone(),
                path: file.path.display().to_string(),
                part: file.vectors.part.clone(),
                groups,
            });
        }
    }
    let warnings = runner.target.finish();
    RunReport {
        target: runner.target.describe(),
        adapter: runner.adapter,
        allow_unsupported: options.allow_unsupported,
        files: reports,
        stopped: runner.stopped,
        warnings,
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

impl Runner<'_> {
    fn case(&mut self, group: &TestGroup, test: &TestCase, path: String) -> CaseReport {
        let (status, detail) = self.outcome(group, test);
        CaseReport {
            id: test.id.clone(),
            path,
            status,
            comment: test.comment.clone(),
            requirements: test.requirements.clone(),
            args: test.args.clone(),
            detail,
        }
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

    fn outcome(&mut self, group: &TestGroup, test: &TestCase) -> (Status, Option<Detail>) {
        let expected = describe_expected(test);
        let detail = |message: String, got: Option<String>, stderr: Option<String>| {
            Some(Detail { message, expected: expected.clone(), got, stderr })
        };
        if self.stopped.is_none() && Instant::now() >= self.limits.run_deadline {
            let message = self.run_timeout_message();
            self.stop(StopKind::RunTimeout, message, None);
        }
        if let Some(stop) = &self.stopped {
            let why = match stop.kind {
                StopKind::AdapterBroken => "not run: adapter broken",
                StopKind::RunTimeout => "not run: run timeout",
            };
            return (Status::NotRun, detail(why.into(), None, None));
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
                    return (Status::NotRun, detail(why.into(), None, None));
                }
            }
        }
        if !self.session.as_ref().is_some_and(|hello| hello.supports(&group.op)) {
            let message = format!("the adapter does not list {} among its capabilities", group.op);
            return (Status::Unsupported, detail(message, None, None));
        }
        match self.target.call(&group.op, &test.args, &self.limits) {
            Ok(response) => {
                let log = self.target.take_log();
                match check(test, &response) {
                    Verdict::Passed => (Status::Passed, None),
                    Verdict::Failed(why) => (Status::Failed, detail(why, Some(response.describe()), log)),
                    Verdict::Unsupported => {
                        (Status::Unsupported, detail("the adapter answered unsupported".into(), None, log))
                    }
                }
            }
            Err(fault) => match fault.kind {
                FaultKind::Restarted => {
                    self.session = None;
                    (Status::Failed, detail(fault.message, None, fault.stderr))
                }
                FaultKind::Malformed => (Status::Failed, detail(fault.message, None, fault.stderr)),
                FaultKind::RunTimeout => {
                    let message = format!("{}: {}", self.run_timeout_message(), fault.message);
                    self.stop(StopKind::RunTimeout, message, fault.stderr);
                    (Status::NotRun, detail("not run: run timeout".into(), None, None))
                }
            },
        }
    }
}
