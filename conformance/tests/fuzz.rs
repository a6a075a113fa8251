//! `cinder-conformance fuzz` works: against the reference adapter it finds no disagreement, a
//! reproducer it writes is replayed by `run` (failing against the broken adapter, passing the
//! reference), the same seed gives the same run, and its exit codes are `run`'s, also with
//! adapters that die or hang. The table of bugs fuzzing finds is `tests/fuzz_bugs.rs`'s.

#![cfg(unix)]

use std::path::PathBuf;
use std::process::Command;

use cinder_conformance::Exit;
use cinder_conformance::fuzz::{self, Budget, Options, Quiet};
use cinder_conformance::load::{LoadedFile, load_builtin};
use cinder_conformance::target::Target;
use cinder_conformance::target::command::AdapterCommand;
use cinder_conformance::target::process::ProcessTarget;

const BROKEN: &str = env!("CARGO_BIN_EXE_cinder-broken-adapter");
const REFERENCE_ADAPTER: &str = env!("CARGO_BIN_EXE_cinder-reference-adapter");
const RUNNER: &str = env!("CARGO_BIN_EXE_cinder-conformance");
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

fn files() -> Vec<LoadedFile> {
    load_builtin().expect("the built-in vectors load")
}

fn process(command: &str) -> impl Fn() -> Box<dyn Target + Send> + Sync + use<> {
    let command = AdapterCommand::parse(command).expect("the adapter command splits");
    move || -> Box<dyn Target + Send> { Box::new(ProcessTarget::new(command.clone())) }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cinder-fuzz-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

#[test]
fn the_reference_adapter_never_disagrees_with_the_reference() {
    let files = files();
    let options = Options {
        seed: 2,
        budget: Budget::Cases(600),
        jobs: 2,
        request_timeout: core::time::Duration::from_secs(60),
        ..Options::default()
    };
    let report = fuzz::fuzz(&files, &process(&format!("'{REFERENCE_ADAPTER}'")), &options, &mut Quiet)
        .expect("the options are usable");
    assert_eq!(report.exit(), Exit::Passed, "{}", report.render());
    assert_eq!(report.cases, 600);
    assert_eq!(report.lost, 0, "{}", report.render());
    assert!(report.compared > 300, "{}", report.summary_line());
    assert_eq!(report.ops.len(), 12, "every operation is fuzzed: {:?}", report.ops);
}

fn runner(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(RUNNER).args(args).output().expect("the runner runs");
    (out.status.code(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn the_command_writes_a_reproducer_that_run_replays_and_exits_as_run_does() {
    let dir = scratch("cli");
    let out = dir.display().to_string();
    let broken = format!("'{BROKEN}' --bug envelope-trailing-bytes-accepted");
    let (code, first) = runner(&[
        "fuzz",
        "--adapter",
        &broken,
        "--ops",
        "envelope.decode",
        "--seed",
        "3",
        "--cases",
        "400",
        "--out",
        &out,
    ]);
    assert_eq!(code, Some(1), "{first}");
    assert!(first.contains("seed 3"), "the summary prints the seed: {first}");
    let written: Vec<PathBuf> =
        std::fs::read_dir(&dir).expect("the out directory").filter_map(|e| e.ok().map(|e| e.path())).collect();
    assert!(!written.is_empty(), "{first}");
    for path in &written {
        let path = path.display().to_string();
        let (code, text) = runner(&["run", "--vectors", &path, "--filter", "*/fuzz/*", "--adapter", &broken]);
        assert_eq!(code, Some(1), "the reproducer fails against the bug: {text}");
        let (code, text) = runner(&["run", "--vectors", &path, "--filter", "*/fuzz/*"]);
        assert_eq!(code, Some(0), "the reproducer passes against the reference: {text}");
    }
    // The same seed gives the same cases and the same findings.
    let (_, again) =
        runner(&["fuzz", "--adapter", &broken, "--ops", "envelope.decode", "--seed", "3", "--cases", "400"]);
    let last = |t: &str| {
        t.lines().filter(|l| l.starts_with("fuzz:")).map(|l| l.split(';').next().unwrap_or("").to_owned()).next()
    };
    assert_eq!(last(&first), last(&again));

    let reference = format!("'{REFERENCE_ADAPTER}'");
    let (code, text) = runner(&["fuzz", "--adapter", &reference, "--ops", "nothing.*", "--cases", "1"]);
    assert_eq!(code, Some(64), "{text}");
    let (code, text) =
        runner(&["fuzz", "--adapter", &format!("sh '{DATA}/adapters/exits-immediately.sh'"), "--cases", "5"]);
    assert_eq!(code, Some(2), "{text}");
    let hangs = format!("sh '{DATA}/adapters/hangs.sh'");
    let (code, text) = runner(&[
        "fuzz",
        "--adapter",
        &hangs,
        "--ops",
        "identity.canonicalize",
        "--seed",
        "1",
        "--cases",
        "2",
        "--timeout",
        "0.3",
    ]);
    // Seed 1's first two identity.canonicalize cases are both read by the reference, so both are sent.
    assert_eq!(code, Some(2), "an adapter that loses every case is broken: {text}");
    assert!(text.contains("2 lost to adapter faults") && text.contains("2 restarts"), "{text}");
    let floods = format!("sh '{DATA}/adapters/floods.sh'");
    let (code, text) =
        runner(&["fuzz", "--adapter", &floods, "--ops", "identity.canonicalize", "--seed", "1", "--cases", "1"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("1 lost to adapter faults") && text.contains("longer than"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
