//! Differential fuzzing has teeth: against each broken variant (`cinder-broken-adapter --bug NAME`), with no vector file given, it
//! finds what `conformance/FUZZ.md` says it finds, at the case it says, minimised to the size it
//! says; and each minimised reproducer is a schema-valid vector file that `run` fails against its
//! broken adapter and passes against the reference.
//!
//! `FUZZ.md` is generated: `CINDER_BLESS=1 cargo test -p cinder-conformance --test fuzz_bugs` fuzzes
//! every bug for up to 10,000 cases and rewrites it. Without `CINDER_BLESS`, each bug the file
//! says is found is fuzzed again up to the case that found it (a run is deterministic, so it must
//! find the same disagreement there, minimised to the same size); the rows of bugs not found are
//! kept as they are, and checked only when blessing, since they cost the full 10,000 cases.

#![cfg(unix)]

use core::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;

use cinder_conformance::Exit;
use cinder_conformance::filter::Pattern;
use cinder_conformance::fuzz::{self, Budget, Disagreement, FuzzReport, Options, Quiet};
use cinder_conformance::load::{LoadedFile, load_builtin, load_paths};
use cinder_conformance::run::{self, run};
use cinder_conformance::target::Target;
use cinder_conformance::target::builtin::Builtin;
use cinder_conformance::target::command::AdapterCommand;
use cinder_conformance::target::process::ProcessTarget;
use serde::Deserialize;
use serde_json::Value;

const BROKEN: &str = env!("CARGO_BIN_EXE_cinder-broken-adapter");
const FUZZ_MD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/FUZZ.md");
/// The budget per bug.
const CASES_PER_BUG: u64 = 10_000;
/// The seed of the table.
const TABLE_SEED: u64 = 1;

#[derive(Clone, Debug, Deserialize)]
struct Bug {
    name: String,
    part: String,
}

fn bugs() -> Vec<Bug> {
    let out = Command::new(BROKEN).args(["--list-bugs", "--json"]).output().expect("the broken adapter runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("--list-bugs --json prints a JSON array of bugs")
}

fn files() -> Vec<LoadedFile> {
    load_builtin().expect("the built-in vectors load")
}

fn process(command: &str) -> impl Fn() -> Box<dyn Target + Send> + Sync + use<> {
    let command = AdapterCommand::parse(command).expect("the adapter command splits");
    move || -> Box<dyn Target + Send> { Box::new(ProcessTarget::new(command.clone())) }
}

fn fuzz_bug(files: &[LoadedFile], bug: &str, part: &str, cases: u64) -> FuzzReport {
    let options = Options {
        ops: vec![Pattern::new(&format!("{part}.*"))],
        seed: TABLE_SEED,
        budget: Budget::Cases(cases),
        jobs: 1,
        stop_at_first: true,
        ..Options::default()
    };
    let make = process(&format!("'{BROKEN}' --bug {bug}"));
    fuzz::fuzz(files, &make, &options, &mut Quiet).expect("the options are usable")
}

/// `work` on every job, on two threads (the bugs' runs each start one adapter); results in order.
fn on_threads<T: Sync, R: Send>(jobs: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    const THREADS: usize = 2;
    let mut halves: Vec<Vec<(usize, R)>> = thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|lane| {
                let work = &work;
                scope.spawn(move || {
                    jobs.iter().enumerate().skip(lane).step_by(THREADS).map(|(i, job)| (i, work(job))).collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a fuzzing thread panicked")).collect()
    });
    let mut all: Vec<(usize, R)> = halves.drain(..).flatten().collect();
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cinder-fuzz-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

fn schema_problems(part: &str, file: &Value) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../vectors/schema/{part}.schema.json"));
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("schema")).expect("schema JSON");
    let validator = jsonschema::draft202012::new(&schema).expect("a valid schema");
    validator.iter_errors(file).map(|e| format!("{e} at {}", e.instance_path)).collect()
}

/// The reproducer of `d` replays: schema-valid, failing against `bug`, passing the reference.
fn replay(files: &[LoadedFile], bug: &str, d: &Disagreement) -> Result<(), String> {
    let file = fuzz::reproducer(d, files, TABLE_SEED).ok_or("no reproducer")?;
    let text = file.to_pretty_json().map_err(|e| e.to_string())?;
    let problems = schema_problems(&d.part, &serde_json::from_str(&text).map_err(|e| e.to_string())?);
    if !problems.is_empty() {
        return Err(format!("the reproducer is not schema-valid: {problems:?}"));
    }
    let dir = scratch(bug);
    let path = dir.join("reproducer.json");
    std::fs::write(&path, text).map_err(|e| e.to_string())?;
    let loaded = load_paths(&[path]).map_err(|e| format!("the reproducer does not load: {e}"))?;
    let options = run::Options { filters: vec![Pattern::new("*/fuzz/*")], ..run::Options::default() };
    let command = AdapterCommand::parse(&format!("'{BROKEN}' --bug {bug}")).map_err(|e| e.clone())?;
    let broken = run(&loaded, &mut ProcessTarget::new(command), &options);
    let reference = run(&loaded, &mut Builtin, &options);
    let _ = std::fs::remove_dir_all(&dir);
    if broken.exit() != Exit::Failed {
        return Err(format!("the reproducer does not fail against the bug: {}", broken.summary_line()));
    }
    if reference.exit() != Exit::Passed {
        return Err(format!("the reproducer does not pass the reference: {}", reference.summary_line()));
    }
    Ok(())
}

/// One row of the table, as committed: bug, found case (if found), name, size.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Row {
    bug: String,
    part: String,
    found: Option<(u64, String, usize, usize)>,
}

fn row_text(row: &Row) -> String {
    match &row.found {
        Some((case, name, size, original)) => format!(
            "| `{}` | {} | yes | {case} | `{}` | {size} | {original} |\n",
            row.bug,
            row.part,
            name.replace('|', "\\|")
        ),
        None => format!("| `{}` | {} | no | - | - | - | - |\n", row.bug, row.part),
    }
}

/// The committed rows: bug name to (found case or none).
fn committed_rows() -> Vec<(String, Option<u64>, String)> {
    let text = std::fs::read_to_string(FUZZ_MD).unwrap_or_default();
    text.lines()
        .filter(|line| line.starts_with("| `"))
        .filter_map(|line| {
            let cells: Vec<&str> = line.split(" | ").collect();
            let bug = cells.first()?.trim_start_matches("| ").trim_matches('`').to_owned();
            let found = if cells.get(2) == Some(&"yes") { cells.get(3)?.parse().ok() } else { None };
            Some((bug, found, format!("{line}\n")))
        })
        .collect()
}

fn render(rows: &[Row]) -> String {
    let found = rows.iter().filter(|r| r.found.is_some()).count();
    let mut sizes: Vec<usize> = rows.iter().filter_map(|r| r.found.as_ref().map(|f| f.2)).collect();
    sizes.sort_unstable();
    let median = sizes.get(sizes.len() / 2).copied().unwrap_or(0);
    let mut out = String::from("# Bugs differential fuzzing finds\n\n");
    out.push_str(
        "Generated by `CINDER_BLESS=1 cargo test -p cinder-conformance --test fuzz_bugs` (`tests/fuzz_bugs.rs`); \
         do not edit it by hand. It is the fuzz column of [`BUGS.md`](BUGS.md), kept in its own file \
         because `BUGS.md` is regenerated by another test.\n\n",
    );
    let _ = write!(
        out,
        "Each broken variant of [`BUGS.md`](BUGS.md) (`cinder-broken-adapter --bug NAME`) is fuzzed \
         with **no vector file**: `cinder-conformance fuzz --seed {TABLE_SEED} --ops '<part>.*'`, one \
         job, stopping at the first disagreement, for at most {CASES_PER_BUG} cases. The table gives \
         the case that found the bug, the disagreement's name (operation and first differing field, or \
         the two answers), and the size of the minimised reproducer's arguments as compact JSON, next \
         to the size of the generated case it was shrunk from. Each reproducer, written as a vector \
         file, fails `cinder-conformance run` against its variant and passes against the reference \
         (the test checks it). Fuzzing compares answers the spec fixes: the generated requests always \
         give the randomness an operation would draw (a content key, an ephemeral secret), so a bug in \
         the drawing itself is left to `run`'s cross checks.\n\n"
    );
    let _ = writeln!(
        out,
        "**Totals:** {} bugs, {found} found within {CASES_PER_BUG} cases, {} not found; median \
         minimised reproducer {median} bytes of arguments.\n",
        rows.len(),
        rows.len() - found
    );
    out.push_str("| bug | part | found | at case | disagreement | reproducer (bytes) | generated (bytes) |\n");
    out.push_str("|---|---|---|---:|---|---:|---:|\n");
    for row in rows {
        out.push_str(&row_text(row));
    }
    out
}

#[test]
fn fuzzing_each_broken_variant_finds_what_fuzz_md_says_and_its_reproducers_replay() {
    let bless = std::env::var_os("CINDER_BLESS").is_some();
    let bugs = bugs();
    let files = files();
    let committed = committed_rows();
    let jobs: Vec<(Bug, Option<u64>, bool)> = bugs
        .iter()
        .map(|bug| {
            let known = committed.iter().find(|(name, _, _)| *name == bug.name);
            match (bless, known) {
                (true, _) | (false, None) => (bug.clone(), Some(CASES_PER_BUG), true),
                (false, Some((_, Some(case), _))) => (bug.clone(), Some(case + 1), true),
                (false, Some((_, None, _))) => (bug.clone(), None, false),
            }
        })
        .collect();
    let results = on_threads(&jobs, |(bug, cases, _)| {
        cases.map(|cases| {
            let report = fuzz_bug(&files, &bug.name, &bug.part, cases);
            eprintln!(
                "fuzz_bugs: {}: {}",
                bug.name,
                report.distinct.first().map_or("not found".to_owned(), |d| format!("case {}, {}", d.case, d.name))
            );
            let replayed = report.distinct.first().map(|d| replay(&files, &bug.name, d));
            (report, replayed)
        })
    });
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (bug, result) in bugs.iter().zip(results) {
        let Some((report, replayed)) = result else {
            // Not found when blessed; kept as committed.
            let line = committed.iter().find(|(name, _, _)| *name == bug.name).map(|(_, _, l)| l.clone());
            rows.push((Row { bug: bug.name.clone(), part: bug.part.clone(), found: None }, line));
            continue;
        };
        if report.broken.is_some() || report.lost > 0 {
            problems.push(format!("{}: the adapter broke: {}", bug.name, report.summary_line()));
        }
        if let Some(Err(why)) = replayed {
            problems.push(format!("{}: {why}", bug.name));
        }
        let found = report.distinct.first().map(|d| (d.case, d.name.clone(), d.size, d.original_size));
        rows.push((Row { bug: bug.name.clone(), part: bug.part.clone(), found }, None));
    }
    let table = {
        let rows_only: Vec<Row> = rows.iter().map(|(row, _)| row.clone()).collect();
        let mut text = render(&rows_only);
        // Rows kept from the committed file replace the regenerated ones.
        for (row, line) in &rows {
            if let Some(line) = line {
                text = text.replace(&row_text(row), line);
            }
        }
        text
    };
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    if bless {
        std::fs::write(FUZZ_MD, &table).expect("FUZZ.md can be written");
    }
    let committed = std::fs::read_to_string(FUZZ_MD).unwrap_or_default();
    assert!(
        committed == table,
        "conformance/FUZZ.md is not what fuzzing finds: regenerate it with \
         `CINDER_BLESS=1 cargo test -p cinder-conformance --test fuzz_bugs` (about 5 minutes) and review \
         the diff. Fuzzing starts from the vector files, so any change to them (or to the generators in \
         vectors/src/generators*, or to the broken adapters) moves the cases and calls for a new FUZZ.md, \
         as it does for BUGS.md"
    );
}
