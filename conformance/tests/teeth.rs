//! The runner has teeth: every deliberately broken variant of the adapter
//! (`cinder-broken-adapter --bug NAME`, each with exactly one realistic bug) fails a run through
//! the real adapter protocol, and the cases that catch each bug are exactly those listed in the
//! committed `conformance/BUGS.md`. The same variants with no bug (`--no-bug`) pass every case,
//! so each variant fails through its bug alone.
//!
//! After a change to the vectors or the bugs, regenerate the table with
//! `CINDER_BLESS=1 cargo test -p cinder-conformance --test teeth` and review the diff.

#![cfg(unix)]

use core::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;
use std::thread;

use cinder_conformance::Exit;
use cinder_conformance::load::{LoadedFile, default_vectors_dir, load_paths};
use cinder_conformance::report::{RunReport, Status};
use cinder_conformance::run::{Options, run};
use cinder_conformance::target::command::AdapterCommand;
use cinder_conformance::target::process::ProcessTarget;
use serde::Deserialize;

const BROKEN: &str = env!("CARGO_BIN_EXE_cinder-broken-adapter");
const BUGS_MD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/BUGS.md");
/// The floor: at least this many realistic bugs.
const MIN_BUGS: usize = 30;

/// One line of `cinder-broken-adapter --list-bugs --json`.
#[derive(Clone, Debug, Deserialize)]
struct Bug {
    name: String,
    part: String,
    breaks: String,
    summary: String,
}

fn bugs() -> Vec<Bug> {
    let out = Command::new(BROKEN).args(["--list-bugs", "--json"]).output().expect("the broken adapter runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("--list-bugs --json prints a JSON array of bugs")
}

/// The repository's vector file of `part`.
fn part_file(part: &str) -> Vec<LoadedFile> {
    let path: PathBuf = default_vectors_dir().join(format!("{part}.json"));
    load_paths(&[path]).unwrap_or_else(|e| panic!("the {part} vectors load: {e}"))
}

/// One run of the runner, through a pipe, against `cinder-broken-adapter ARGS`.
fn run_broken(args: &str, files: &[LoadedFile]) -> RunReport {
    let command = AdapterCommand::parse(&format!("'{BROKEN}' {args}")).expect("the adapter command splits");
    let mut target = ProcessTarget::new(command);
    run(files, &mut target, &Options::default())
}

/// Runs `jobs` on a few threads (each run is one runner and one adapter, taking turns on a pipe).
fn on_threads<T: Send, R: Send>(jobs: Vec<T>, work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = thread::available_parallelism().map_or(2, usize::from).clamp(1, 4);
    let queue = Mutex::new(jobs.into_iter().enumerate().collect::<Vec<_>>());
    let done = Mutex::new(Vec::new());
    thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let Some((index, job)) = queue.lock().expect("queue lock").pop() else { break };
                    let result = work(&job);
                    done.lock().expect("results lock").push((index, result));
                }
            });
        }
    });
    let mut done = done.into_inner().expect("results lock");
    done.sort_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, result)| result).collect()
}

/// The paths of the cases that failed, in run order.
fn failed_paths(report: &RunReport) -> Vec<String> {
    report.cases().filter(|case| case.status == Status::Failed).map(|case| case.path.clone()).collect()
}

#[test]
fn every_broken_variant_fails_a_run_naming_the_cases_that_catch_it_as_bugs_md_lists() {
    let bugs = bugs();
    assert!(bugs.len() >= MIN_BUGS, "only {} broken variants, at least {MIN_BUGS} wanted", bugs.len());
    let mut names: Vec<&str> = bugs.iter().map(|bug| bug.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), bugs.len(), "bug names are unique");

    let parts: Vec<String> = {
        let mut parts: Vec<String> = bugs.iter().map(|bug| bug.part.clone()).collect();
        parts.sort_unstable();
        parts.dedup();
        parts
    };
    let files: Vec<(String, Vec<LoadedFile>)> = parts.iter().map(|part| (part.clone(), part_file(part))).collect();
    let file_of = |part: &str| files.iter().find(|(name, _)| name == part).map(|(_, files)| files.as_slice());

    let reports = on_threads(bugs.clone(), |bug| {
        run_broken(&format!("--bug {}", bug.name), file_of(&bug.part).unwrap_or_default())
    });

    let mut problems = Vec::new();
    let mut caught = Vec::new();
    for (bug, report) in bugs.iter().zip(&reports) {
        let counts = report.counts();
        let failed = failed_paths(report);
        if report.exit() != Exit::Failed || failed.is_empty() {
            problems.push(format!(
                "{}: the run did not fail on a case (exit {:?}; {})",
                bug.name,
                report.exit(),
                report.summary_line()
            ));
        }
        if counts.not_run > 0 || counts.unsupported > 0 || report.stopped.is_some() {
            problems.push(format!("{}: cases were not run or unsupported: {}", bug.name, report.summary_line()));
        }
        if let Some(stray) = failed.iter().find(|path| !path.starts_with(&format!("{}/", bug.part))) {
            problems.push(format!("{}: a case of another part failed: {stray}", bug.name));
        }
        caught.push((bug, failed, counts.total()));
    }
    assert!(problems.is_empty(), "variants the runner does not catch cleanly:\n{}", problems.join("\n"));

    let table = bugs_table(&caught);
    if std::env::var_os("CINDER_BLESS").is_some() {
        std::fs::write(BUGS_MD, &table).expect("BUGS.md can be written");
    }
    let committed = std::fs::read_to_string(BUGS_MD).unwrap_or_default();
    assert!(
        committed == table,
        "conformance/BUGS.md is not what the runner finds: regenerate it with \
         `CINDER_BLESS=1 cargo test -p cinder-conformance --test teeth` and review the diff"
    );
}

#[test]
fn the_broken_adapters_own_implementation_passes_every_case_without_a_bug() {
    let parts: Vec<String> = {
        let mut parts: Vec<String> = bugs().into_iter().map(|bug| bug.part).collect::<Vec<_>>();
        parts.sort_unstable();
        parts.dedup();
        parts
    };
    let files: Vec<LoadedFile> = parts.iter().flat_map(|part| part_file(part)).collect();
    let report = run_broken("--no-bug", &files);
    assert_eq!(report.exit(), Exit::Passed, "{}", report.summary_line());
    assert!(report.counts().passed > 0 && report.counts().passed == report.counts().total());
    assert!(report.adapter.as_deref().is_some_and(|name| name.contains("(no bug)")), "{:?}", report.adapter);
}

#[test]
fn an_unknown_bug_is_a_usage_error() {
    let out = Command::new(BROKEN).args(["--bug", "no-such-bug"]).output().expect("the broken adapter runs");
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--list-bugs"));
}

/// `BUGS.md`: a summary table, then for each bug the cases that catch it, grouped by group.
fn bugs_table(caught: &[(&Bug, Vec<String>, usize)]) -> String {
    let mut out = String::new();
    out.push_str("# Bugs the conformance runner catches\n\n");
    out.push_str(
        "Generated by `CINDER_BLESS=1 cargo test -p cinder-conformance --test teeth` (`tests/teeth.rs`), \
         which fails when this file is not what the runner finds. Do not edit it by hand.\n\n",
    );
    out.push_str(
        "Each bug is one deliberate, realistic mistake injected into a second implementation of its \
         part, or for retention and sessions into a wrapper around the reference \
         (`cinder-broken-adapter --bug NAME`; the code is in `broken/<part>.rs`, and `broken/README.md` \
         says how each kind injects its faults). Each variant is run through the adapter \
         protocol against its part's vector file and cross checks; the cases listed are those that \
         fail. Without a bug (`--no-bug`) the same implementation passes every case.\n\n",
    );
    let total: usize = caught.iter().map(|(_, failed, _)| failed.len()).sum();
    let missed = caught.iter().filter(|(_, failed, _)| failed.is_empty()).count();
    let _ = writeln!(
        out,
        "**Totals:** {} bugs injected, {} caught, {missed} not caught; {total} failing cases in all \
         (a case counts once per bug it catches).\n",
        caught.len(),
        caught.len() - missed,
    );
    out.push_str("| bug | part | breaks | cases that catch it | of |\n|---|---|---|---:|---:|\n");
    for (bug, failed, run) in caught {
        let _ = writeln!(
            out,
            "| [`{}`](#{}) | {} | {} | {} | {run} |",
            bug.name,
            bug.name,
            bug.part,
            bug.breaks,
            failed.len()
        );
    }
    out.push_str("\n## The cases that catch each bug\n");
    for (bug, failed, _) in caught {
        let _ = write!(out, "\n### {}\n\n{} ({}).\n\n", bug.name, bug.summary, bug.breaks);
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for path in failed {
            let mut segments = path.splitn(3, '/');
            let (file, group, id) = (segments.next(), segments.next(), segments.next());
            let group = format!("{}/{}", file.unwrap_or_default(), group.unwrap_or_default());
            let id = id.unwrap_or_default().to_owned();
            match groups.iter_mut().find(|(name, _)| *name == group) {
                Some((_, ids)) => ids.push(id),
                None => groups.push((group, vec![id])),
            }
        }
        for (group, ids) in groups {
            let _ = writeln!(out, "- `{group}` ({}): {}", ids.len(), ids.join(", "));
        }
    }
    out
}
