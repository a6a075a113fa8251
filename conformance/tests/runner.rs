//! The runner binary end to end: against the reference adapter over real pipes, against scripted
//! adapters that misbehave in one way each (`tests/data/adapters/`), and with bad vector files and
//! bad flags. Every run has a watchdog, so a runner that hangs fails the test instead of stalling it.

#![cfg(unix)]

use core::time::Duration;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::Instant;

use cinder_conformance::crosscheck;
use cinder_conformance::load::{default_vectors_dir, load_paths};
use cinder_vectors::format::Outcome as Expect;
use serde_json::Value;

const RUNNER: &str = env!("CARGO_BIN_EXE_cinder-conformance");
const REFERENCE_ADAPTER: &str = env!("CARGO_BIN_EXE_cinder-reference-adapter");
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
/// Longer than any run here should take; past it the runner is taken to hang.
const WATCHDOG: Duration = Duration::from_secs(120);

#[derive(Debug)]
struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

impl Outcome {
    fn last_line(&self) -> &str {
        self.stdout.lines().last().unwrap_or_default()
    }
}

fn spawn_reader(mut stream: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stream.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Runs `program` with `args`, killing it (and failing the test) past the watchdog.
fn run_program(program: &str, args: &[&str], input: &str) -> Outcome {
    let started = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary under test starts");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = input.to_owned();
    let writer = thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let stdout = spawn_reader(child.stdout.take().expect("stdout is piped"));
    let stderr = spawn_reader(child.stderr.take().expect("stderr is piped"));
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting on the child works") {
            break status;
        }
        if started.elapsed() > WATCHDOG {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{program} {args:?} was still running after {WATCHDOG:?}");
        }
        thread::sleep(Duration::from_millis(20));
    };
    let _ = writer.join();
    Outcome {
        code: status.code(),
        stdout: stdout.join().expect("stdout reader finishes"),
        stderr: stderr.join().expect("stderr reader finishes"),
        elapsed: started.elapsed(),
    }
}

fn runner(args: &[&str]) -> Outcome {
    run_program(RUNNER, args, "")
}

fn data(path: &str) -> String {
    format!("{DATA}/{path}")
}

/// The `--adapter` value that runs one of the scripted adapters.
fn script(name: &str) -> String {
    format!("sh '{DATA}/adapters/{name}.sh'")
}

fn repository_file(name: &str) -> String {
    default_vectors_dir().join(name).display().to_string()
}

/// How many tests of the repository's `envelope.json` call `op` and are valid (or invalid).
fn envelope_tests(op: &str, valid: bool) -> usize {
    let path = default_vectors_dir().join("envelope.json");
    let files = load_paths(&[path]).expect("envelope.json loads");
    files[0]
        .vectors
        .test_groups
        .iter()
        .filter(|group| group.op == op)
        .flat_map(|group| &group.tests)
        .filter(|test| (test.result == Expect::Valid) == valid)
        .count()
}

fn envelope_total() -> usize {
    let path = default_vectors_dir().join("envelope.json");
    let files = load_paths(&[path]).expect("envelope.json loads");
    files[0].vectors.number_of_tests + crosscheck::for_part("envelope").len()
}

fn reference_adapter() -> String {
    format!("'{REFERENCE_ADAPTER}'")
}

fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cinder-conformance-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory can be made");
    dir.join(name)
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("the JSON report was written");
    serde_json::from_str(&text).expect("the JSON report is JSON")
}

fn summary(report: &Value) -> (u64, u64, u64, u64) {
    let count = |name: &str| report["summary"][name].as_u64().unwrap_or(u64::MAX);
    (count("passed"), count("failed"), count("unsupported"), count("notRun"))
}

fn case_statuses(report: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for file in report["files"].as_array().into_iter().flatten() {
        for group in file["groups"].as_array().into_iter().flatten() {
            for case in group["cases"].as_array().into_iter().flatten() {
                out.push((
                    case["path"].as_str().unwrap_or_default().to_owned(),
                    case["status"].as_str().unwrap_or_default().to_owned(),
                ));
            }
        }
    }
    out
}

/// Every case a default run makes: each repository vector case, and each part's cross checks.
fn repository_case_count() -> usize {
    let files = load_paths(&[default_vectors_dir()]).expect("the repository's vector files load");
    let mut parts: Vec<&str> = files.iter().map(|f| f.vectors.part.as_str()).collect();
    parts.sort_unstable();
    parts.dedup();
    let vectors: usize = files.iter().map(|f| f.vectors.number_of_tests).sum();
    let cross: usize = parts.iter().map(|part| crosscheck::for_part(part).len()).sum();
    assert!(vectors > 0 && cross > 0, "{vectors} vector cases and {cross} cross checks");
    vectors + cross
}

#[test]
fn reference_adapter_passes_every_case_of_every_repository_vector_file() {
    let total = repository_case_count();
    let json = temp_path("repository.json");
    let junit = temp_path("repository.xml");
    let out = runner(&[
        "run",
        "--adapter",
        &reference_adapter(),
        // A debug build on a loaded 2-core machine takes seconds for the million-round hash: the
        // default 10 s per response is for real adapters, not for this test's timing.
        "--timeout",
        "120",
        "--json",
        json.to_str().unwrap_or_default(),
        "--junit",
        junit.to_str().unwrap_or_default(),
    ]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.last_line().starts_with(&format!("conformance: {total} passed, 0 failed, 0 unsupported (")),
        "{}",
        out.stdout
    );
    assert!(out.last_line().contains("envelope ") && out.last_line().contains("identity "), "{}", out.stdout);
    // 20 MB of vectors, requests of up to 2 MB: even debug binaries on a loaded machine take a minute
    // or two, not ten (this only catches a runner that stalls; speed is measured in benches/).
    assert!(out.elapsed < Duration::from_secs(600), "the run took {:?}", out.elapsed);
    let report = read_json(&json);
    assert_eq!(summary(&report), (u64::try_from(total).unwrap_or(u64::MAX), 0, 0, 0));
    assert_eq!(report["verdict"], "passed");
    assert_eq!(report["adapter"].as_str().map(|a| a.starts_with("cinder-reference-adapter")), Some(true));

    // The cross checks are one more group of the envelope file, in every report.
    let cross: Vec<(String, String)> =
        case_statuses(&report).into_iter().filter(|(path, _)| path.starts_with("envelope/cross-check/")).collect();
    assert_eq!(cross.len(), crosscheck::for_part("envelope").len());
    assert!(cross.iter().all(|(_, status)| status == "passed"), "{cross:?}");
    assert!(out.stdout.contains("  cross-check     envelope.open, envelope.seal  10/10 passed\n"), "{}", out.stdout);
    let text = std::fs::read_to_string(&junit).expect("the JUnit report was written");
    let doc = roxmltree::Document::parse(&text).expect("the JUnit report is XML");
    let suite = doc
        .descendants()
        .find(|n| n.attribute("name") == Some("envelope/cross-check"))
        .expect("a cross-check test suite");
    assert_eq!(suite.attribute("tests"), Some(cross.len().to_string().as_str()));
    assert_eq!(suite.attribute("failures"), Some("0"));
}

#[test]
fn builtin_reference_passes_every_repository_vector_file_by_default() {
    let total = repository_case_count();
    let out = runner(&["run"]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.last_line().starts_with(&format!("conformance: {total} passed, 0 failed, 0 unsupported (envelope ")),
        "{}",
        out.stdout
    );
}

#[test]
fn an_adapter_that_opens_envelopes_to_the_wrong_content_fails_the_open_cases_and_cross_checks() {
    let json = temp_path("wrong-content.json");
    let adapter = format!("sh '{DATA}/adapters/wrong-content.sh' '{REFERENCE_ADAPTER}'");
    let out = runner(&[
        "run",
        "--adapter",
        &adapter,
        "--vectors",
        &repository_file("envelope.json"),
        "--json",
        json.to_str().unwrap_or_default(),
    ]);
    assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
    let report = read_json(&json);
    let failed: Vec<String> =
        case_statuses(&report).into_iter().filter(|(_, status)| status == "failed").map(|(path, _)| path).collect();
    // Every valid open vector, and every cross check in which the adapter opens; nothing else.
    let valid_opens = envelope_tests("envelope.open", true);
    let adapter_opens = crosscheck::for_part("envelope").iter().filter(|c| c.ops == ["envelope.open"]).count();
    assert_eq!(failed.len(), valid_opens + adapter_opens, "{failed:?}");
    assert!(failed.iter().take(valid_opens).all(|path| path.starts_with("envelope/open/open-")), "{failed:?}");
    assert!(
        failed
            .iter()
            .skip(valid_opens)
            .all(|path| path.starts_with("envelope/cross-check/reference-seals-adapter-opens-")),
        "{failed:?}"
    );
    assert!(out.stdout.contains("FAIL envelope/open/open-base-as-first\n"), "{}", out.stdout);
    assert!(
        out.stdout.contains("FAIL envelope/cross-check/reference-seals-adapter-opens-3-recipients-1000-bytes-padded\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            "why:      envelope.open as recipient 1 of 3 (device 6361726f6c2d7461626c6574): field `content` differs"
        ),
        "{}",
        out.stdout
    );
    let (total, failed) = (envelope_total(), failed.len());
    let passed = total - failed;
    assert_eq!(
        out.last_line(),
        format!("conformance: {passed} passed, {failed} failed, 0 unsupported (envelope {passed}/{total})"),
    );
}

#[test]
fn an_adapter_that_ignores_the_given_content_key_fails_the_seal_vectors_but_passes_the_cross_checks() {
    let json = temp_path("ignores-content-key.json");
    let adapter = format!("sh '{DATA}/adapters/ignores-content-key.sh' '{REFERENCE_ADAPTER}'");
    let out = runner(&[
        "run",
        "--adapter",
        &adapter,
        "--vectors",
        &repository_file("envelope.json"),
        "--json",
        json.to_str().unwrap_or_default(),
    ]);
    assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
    let statuses = case_statuses(&read_json(&json));
    let failed: Vec<&str> =
        statuses.iter().filter(|(_, status)| status == "failed").map(|(path, _)| path.as_str()).collect();
    assert_eq!(failed.len(), envelope_tests("envelope.seal", true), "{failed:?}");
    assert!(failed.iter().all(|path| path.starts_with("envelope/seal/seal-")), "{failed:?}");
    let cross: Vec<&(String, String)> =
        statuses.iter().filter(|(path, _)| path.starts_with("envelope/cross-check/")).collect();
    assert_eq!(cross.len(), 10);
    assert!(cross.iter().all(|(_, status)| status == "passed"), "{cross:?}");
    assert!(out.stdout.contains("why:      field `envelope` differs"), "{}", out.stdout);
}

/// Whether a test's `args` hold a cap anywhere: the scenario's own, or a `set_cap` event's.
fn sets_a_cap(args: &Value) -> bool {
    !args["cap"].is_null() || args["events"].as_array().into_iter().flatten().any(|event| !event["cap"].is_null())
}

#[test]
fn an_adapter_that_ignores_the_cap_fails_scenarios_with_a_cap_located_to_the_step() {
    let json = temp_path("ignores-cap.json");
    let adapter = format!("sh '{DATA}/adapters/ignores-cap.sh' '{REFERENCE_ADAPTER}'");
    let out = runner(&[
        "run",
        "--adapter",
        &adapter,
        "--vectors",
        &repository_file("expiry.json"),
        "--json",
        json.to_str().unwrap_or_default(),
    ]);
    assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
    let files = load_paths(&[default_vectors_dir().join("expiry.json")]).expect("expiry.json loads");
    let capped: Vec<String> = files[0]
        .vectors
        .test_groups
        .iter()
        .flat_map(|group| group.tests.iter().map(move |test| (group, test)))
        .filter(|(_, test)| sets_a_cap(&test.args))
        .map(|(group, test)| format!("expiry/{}/{}", group.group, test.id))
        .collect();
    let statuses = case_statuses(&read_json(&json));
    let failed: Vec<&str> =
        statuses.iter().filter(|(_, status)| status == "failed").map(|(path, _)| path.as_str()).collect();
    // Only scenarios with a cap can fail, and most of the `cap` group does (a cap longer than the
    // ttl, and many of the walks' caps, change nothing); among them the machines whose cap must be
    // refused at creation, which this adapter creates.
    assert!(failed.iter().all(|path| capped.iter().any(|c| c == path)), "{failed:?}");
    let cap_group = failed.iter().filter(|path| path.starts_with("expiry/cap/")).count();
    assert!(cap_group >= 10, "{cap_group} scenarios of the cap group failed: {failed:?}");
    for path in ["expiry/cap/create-cap-zero", "expiry/cap/create-cap-above-max", "expiry/cap/set-cap-lowers-unread"] {
        assert!(failed.contains(&path), "{path}: {failed:?}");
    }
    assert!(out.stdout.contains("expected error expiry.invalid_cap, the adapter succeeded"), "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "why:      field `steps` differs at `steps[1].deadline`: expected 1767226200, got 1767229200 \
             (step 1 is the event {\"at\":1767225610,\"event\":\"set_cap\",\"cap\":600})"
        ),
        "{}",
        out.stdout
    );
    let (total, failed) = (statuses.len(), failed.len());
    assert_eq!(
        out.last_line(),
        format!(
            "conformance: {} passed, {failed} failed, 0 unsupported (expiry {}/{total})",
            total - failed,
            total - failed
        )
    );
}

#[test]
fn cross_checks_are_listed_filtered_and_unsupported_without_their_operations() {
    let envelope = repository_file("envelope.json");
    let out = runner(&["run", "--list", "--vectors", &envelope, "--filter", "*/cross-check/*-1-mib-*"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        out.stdout.lines().collect::<Vec<_>>(),
        [
            "envelope/cross-check/reference-seals-adapter-opens-2-recipients-1-mib-padded",
            "envelope/cross-check/adapter-seals-reference-opens-2-recipients-1-mib-padded"
        ]
    );
    let out = runner(&[
        "run",
        "--adapter",
        &reference_adapter(),
        "--vectors",
        &envelope,
        "--filter",
        "envelope/cross-check/*",
    ]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.last_line(), "conformance: 10 passed, 0 failed, 0 unsupported (envelope 10/10)");
    // This adapter lists identity operations only: no envelope request is ever sent to it.
    let out = runner(&["run", "--adapter", &script("garbage"), "--vectors", &envelope, "--allow-unsupported"]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    let total = envelope_total();
    assert_eq!(out.last_line(), format!("conformance: 0 passed, 0 failed, {total} unsupported (envelope 0/{total})"));
}

#[test]
fn reference_adapter_passes_independently_computed_sample_data_and_junit_counts_it() {
    let junit = temp_path("sample.xml");
    let out = runner(&[
        "run",
        "--adapter",
        &reference_adapter(),
        "--vectors",
        &data("sample"),
        "--junit",
        junit.to_str().unwrap_or_default(),
    ]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.last_line(), "conformance: 12 passed, 0 failed, 0 unsupported (identity-sample 12/12)");

    let text = std::fs::read_to_string(&junit).expect("the JUnit report was written");
    let doc = roxmltree::Document::parse(&text).expect("the JUnit report is XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(
        (root.attribute("tests"), root.attribute("failures"), root.attribute("errors"), root.attribute("skipped")),
        (Some("12"), Some("0"), Some("0"), Some("0"))
    );
    let suites: Vec<_> = root.children().filter(|n| n.has_tag_name("testsuite")).collect();
    let names: Vec<_> = suites.iter().filter_map(|s| s.attribute("name")).collect();
    assert_eq!(
        names,
        [
            "identity-sample/canonicalize",
            "identity-sample/client-hash",
            "identity-sample/server-hash",
            "identity-sample/contact-lookup",
            "identity-sample/verification-code"
        ]
    );
    for suite in &suites {
        let cases = suite.children().filter(|n| n.has_tag_name("testcase")).count();
        assert_eq!(suite.attribute("tests"), Some(cases.to_string().as_str()));
        assert!(suite.descendants().all(|n| !n.has_tag_name("failure")));
    }
}

#[test]
fn wrong_expectations_are_reported_with_expected_and_got() {
    let junit = temp_path("wrong.xml");
    let json = temp_path("wrong.json");
    let out = runner(&[
        "run",
        "--adapter",
        &reference_adapter(),
        "--vectors",
        &data("wrong/identity-wrong.json"),
        "--junit",
        junit.to_str().unwrap_or_default(),
        "--json",
        json.to_str().unwrap_or_default(),
    ]);
    assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.last_line(), "conformance: 1 passed, 2 failed, 0 unsupported (identity-wrong 1/3)");
    assert!(out.stdout.contains("FAIL identity-wrong/mixed/wrong-hash\n"), "{}", out.stdout);
    assert!(out.stdout.contains("  expected: error identity.invalid_rounds\n"), "{}", out.stdout);
    assert!(out.stdout.contains("  got:      error identity.invalid_salt"), "{}", out.stdout);
    assert!(out.stdout.contains("why:      field `hash` differs"), "{}", out.stdout);

    let text = std::fs::read_to_string(&junit).expect("the JUnit report was written");
    let doc = roxmltree::Document::parse(&text).expect("the JUnit report is XML");
    assert_eq!(doc.root_element().attribute("failures"), Some("2"));
    let failed: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase") && n.children().any(|c| c.has_tag_name("failure")))
        .filter_map(|n| n.attribute("name"))
        .collect();
    assert_eq!(failed, ["wrong-hash", "wrong-code"]);

    let report = read_json(&json);
    assert_eq!(summary(&report), (1, 2, 0, 0));
    assert_eq!(report["verdict"], "failed");
    assert_eq!(report["exitCode"], 1);
}

#[test]
fn unsupported_operations_fail_the_run_unless_allowed() {
    for adapter in [None, Some(reference_adapter())] {
        let dir = data("unsupported");
        let mut args = vec!["run", "--vectors", dir.as_str()];
        if let Some(adapter) = &adapter {
            args.extend(["--adapter", adapter]);
        }
        let out = runner(&args);
        assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
        assert_eq!(out.last_line(), "conformance: 1 passed, 0 failed, 1 unsupported (future 1/2)");
        assert!(out.stdout.contains("--allow-unsupported"), "{}", out.stdout);
        args.push("--allow-unsupported");
        let out = runner(&args);
        assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    }
}

#[test]
fn an_adapter_answering_unsupported_and_ignoring_end_of_input_is_killed_with_a_warning() {
    let out = runner(&["run", "--adapter", &script("ignores-eof"), "--vectors", &data("echo"), "--allow-unsupported"]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.last_line(), "conformance: 0 passed, 0 failed, 3 unsupported (user-ids 0/3)");
    assert!(out.stdout.contains("warning: the adapter did not exit within 2 s"), "{}", out.stdout);
}

#[test]
fn a_command_that_does_not_exist_is_an_adapter_broken_run() {
    let out = runner(&["run", "--adapter", "/nonexistent/cinder-adapter --flag", "--vectors", &data("echo")]);
    assert_eq!(out.code, Some(2), "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("adapter broken: could not start the adapter `/nonexistent/cinder-adapter --flag`"));
    assert_eq!(out.last_line(), "conformance: 0 passed, 0 failed, 0 unsupported, 3 not run (user-ids 0/3)");
}

#[test]
fn an_adapter_that_exits_at_once_is_broken_and_its_stderr_is_shown() {
    let json = temp_path("exits.json");
    let out = runner(&[
        "run",
        "--adapter",
        &script("exits-immediately"),
        "--vectors",
        &data("echo"),
        "--json",
        json.to_str().unwrap_or_default(),
    ]);
    assert_eq!(out.code, Some(2), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("adapter closed its stdout without answering request 0 (hello); it ended with exit status: 3"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("    | adapter-side boom: cannot load its configuration\n"), "{}", out.stdout);
    let report = read_json(&json);
    assert_eq!(summary(&report), (0, 0, 0, 3));
    assert_eq!(report["verdict"], "adapter_broken");
    assert_eq!(report["stopped"]["kind"], "adapter_broken");
    let statuses = case_statuses(&report);
    assert!(statuses.iter().all(|(_, status)| status == "not_run"), "{statuses:?}");
}

#[test]
fn garbage_or_another_protocol_in_answer_to_hello_is_broken() {
    let out = runner(&["run", "--adapter", &script("garbage-hello"), "--vectors", &data("echo")]);
    assert_eq!(out.code, Some(2), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("adapter printed a line that is not JSON: Traceback (most recent call last): this is not JSON"),
        "{}",
        out.stdout
    );
    let out = runner(&["run", "--adapter", &script("bad-protocol"), "--vectors", &data("echo")]);
    assert_eq!(out.code, Some(2), "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("adapter speaks protocol 2, this runner speaks 1"), "{}", out.stdout);
}

#[test]
fn garbage_answers_fail_each_case_and_the_adapter_is_restarted() {
    let out = runner(&["run", "--adapter", &script("garbage"), "--vectors", &data("echo")]);
    assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.last_line(), "conformance: 0 passed, 3 failed, 0 unsupported (user-ids 0/3)");
    // Each case went to a fresh process, so each was request 1.
    let message = "why:      adapter printed a line that is not JSON: garbage, not JSON (in answer to request 1 \
                   (identity.canonicalize))";
    assert_eq!(out.stdout.matches(message).count(), 3, "{}", out.stdout);
}

#[test]
fn an_answer_with_the_wrong_id_fails_the_case() {
    let out = runner(&["run", "--adapter", &script("wrong-id"), "--vectors", &data("echo")]);
    assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("adapter answered with id 12345, expected 1"), "{}", out.stdout);
    assert_eq!(out.last_line(), "conformance: 0 passed, 3 failed, 0 unsupported (user-ids 0/3)");
}

#[test]
fn an_adapter_that_hangs_is_timed_out_killed_and_restarted() {
    let out = runner(&["run", "--adapter", &script("hangs"), "--vectors", &data("echo"), "--timeout", "1.5"]);
    assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        out.stdout
            .matches("adapter did not answer request 1 (identity.canonicalize) within 1.5 s; it was killed")
            .count(),
        3,
        "{}",
        out.stdout
    );
    assert!(out.elapsed < Duration::from_secs(30), "took {:?}", out.elapsed);
}

#[test]
fn an_adapter_that_hangs_at_hello_is_broken() {
    let out = runner(&["run", "--adapter", &script("hangs-at-hello"), "--vectors", &data("echo"), "--timeout", "0.5"]);
    assert_eq!(out.code, Some(2), "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("adapter did not answer request 0 (hello) within 0.5 s"), "{}", out.stdout);
    assert!(out.elapsed < Duration::from_secs(30), "took {:?}", out.elapsed);
}

#[test]
fn the_run_timeout_stops_the_run() {
    let out = runner(&[
        "run",
        "--adapter",
        &script("hangs"),
        "--vectors",
        &data("echo"),
        "--timeout",
        "60",
        "--run-timeout",
        "1",
    ]);
    assert_eq!(out.code, Some(2), "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("run timeout: the run timeout of 1 s was reached"), "{}", out.stdout);
    assert_eq!(out.last_line(), "conformance: 0 passed, 0 failed, 0 unsupported, 3 not run (user-ids 0/3)");
    assert!(out.elapsed < Duration::from_secs(30), "took {:?}", out.elapsed);
}

#[test]
fn a_crashed_adapter_is_restarted_for_the_remaining_cases() {
    let json = temp_path("crash.json");
    let out = runner(&[
        "run",
        "--adapter",
        &script("echo-crash"),
        "--vectors",
        &data("echo"),
        "--json",
        json.to_str().unwrap_or_default(),
    ]);
    assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(
            "why:      adapter closed its stdout without answering request 2 (identity.canonicalize); it ended with \
             exit status: 70"
        ),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("    | echo-crash: crashing on purpose\n"), "{}", out.stdout);
    assert_eq!(out.last_line(), "conformance: 2 passed, 1 failed, 0 unsupported (user-ids 2/3)");
    let statuses = case_statuses(&read_json(&json));
    let expected = [
        ("user-ids/user-ids/first", "passed"),
        ("user-ids/user-ids/second", "failed"),
        ("user-ids/user-ids/third", "passed"),
    ];
    assert_eq!(statuses, expected.map(|(p, s)| (p.to_owned(), s.to_owned())));
}

#[test]
fn a_flooding_adapter_is_cut_off_and_its_stderr_bounded() {
    let json = temp_path("floods.json");
    let out = runner(&[
        "run",
        "--adapter",
        &script("floods"),
        "--vectors",
        &data("echo"),
        "--filter",
        "*/first",
        "--json",
        json.to_str().unwrap_or_default(),
    ]);
    assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("adapter printed a line longer than 67108864 bytes in answer to request 1"),
        "{}",
        out.stdout
    );
    let report = read_json(&json);
    let stderr = report["files"][0]["groups"][0]["cases"][0]["detail"]["stderr"].as_str().unwrap_or_default();
    assert!(stderr.starts_with('['), "{}", &stderr[..stderr.len().min(200)]);
    assert!(stderr.len() <= 64 * 1024 + 100, "{} bytes of stderr kept", stderr.len());
    assert!(out.stdout.len() < 64 * 1024, "{} bytes of report", out.stdout.len());
}

#[test]
fn bad_vector_files_exit_3_naming_the_file_and_the_problem() {
    for (file, problem) in [
        ("count-mismatch.json", "numberOfTests says 4 but the groups hold 3"),
        ("not-json.json", "not a Cinder vector file"),
        ("args-not-object.json", "`args` must be a JSON object"),
        ("reserved-group.json", "the group name \"cross-check\" is reserved for the runner's cross checks"),
    ] {
        let path = data(&format!("bad/{file}"));
        let out = runner(&["run", "--vectors", &path]);
        assert_eq!(out.code, Some(3), "{file}: {}\n{}", out.stdout, out.stderr);
        assert!(out.stderr.contains(&format!("bad vector file {path}: ")), "{}", out.stderr);
        assert!(out.stderr.contains(problem), "{}", out.stderr);
    }
    let out = runner(&["run", "--vectors", &data("empty")]);
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(out.stderr.contains("they hold no test cases"), "{}", out.stderr);
    let out = runner(&["run", "--vectors", &data("bad")]);
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    let out = runner(&["run", "--vectors", &data("no-such-file.json")]);
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(out.stderr.contains("no-such-file.json: cannot read"), "{}", out.stderr);
    let out = runner(&["run", "--vectors", &data("adapters")]);
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(out.stderr.contains("directory holds no vector files"), "{}", out.stderr);
}

#[test]
fn usage_errors_exit_64() {
    let unwritable = data("no-such-dir/report.json");
    for args in [
        vec!["run", "--no-such-flag"],
        vec!["run", "--timeout", "-1"],
        vec!["run", "--timeout", "soon"],
        vec!["run", "--run-timeout", "0"],
        vec![],
        vec!["walk"],
        vec!["run", "--adapter", "'unterminated"],
        vec!["run", "--adapter", "   "],
        vec!["run", "--filter", "no-such-case*"],
        vec!["run", "--json", &unwritable],
    ] {
        let out = runner(&args);
        assert_eq!(out.code, Some(64), "{args:?}: {}\n{}", out.stdout, out.stderr);
        assert!(!out.stderr.is_empty(), "{args:?} printed no error");
    }
}

#[test]
fn help_documents_the_exit_codes() {
    for args in [vec!["--help"], vec!["run", "--help"]] {
        let out = runner(&args);
        assert_eq!(out.code, Some(0), "{}", out.stderr);
        assert!(out.stdout.contains("Exit codes:") && out.stdout.contains("64  usage error"), "{}", out.stdout);
    }
}

#[test]
fn list_prints_the_selected_case_paths_and_runs_nothing() {
    let out = runner(&[
        "run",
        "--list",
        "--adapter",
        "/nonexistent/adapter",
        "--vectors",
        &data("sample"),
        "--filter",
        "*/canonicalize/phone-*",
        "--filter",
        "identity-sample/verification-code/*",
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        out.stdout.lines().collect::<Vec<_>>(),
        [
            "identity-sample/canonicalize/phone-spaces",
            "identity-sample/canonicalize/phone-no-plus",
            "identity-sample/verification-code/one-two",
            "identity-sample/verification-code/same-key"
        ]
    );
}

#[test]
fn filters_select_the_cases_that_run() {
    let out = runner(&["run", "--vectors", &data("sample"), "--filter", "identity-sample/client-hash/*"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.last_line(), "conformance: 3 passed, 0 failed, 0 unsupported (identity-sample 3/3)");
}

#[test]
fn the_reference_adapter_answers_hello_and_exits_on_end_of_input() {
    let out = run_program(REFERENCE_ADAPTER, &[], "{\"id\":0,\"op\":\"hello\",\"args\":{\"protocol\":1}}\n");
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let hello: Value = serde_json::from_str(out.stdout.trim_end()).expect("one JSON line");
    assert_eq!(hello["id"], 0);
    assert_eq!(hello["ok"]["protocol"], 1);
    assert_eq!(hello["ok"]["capabilities"][0], "identity.canonicalize");
}

#[test]
fn the_reference_adapter_stops_with_status_2_on_a_request_it_cannot_answer() {
    let out = run_program(REFERENCE_ADAPTER, &[], "this is not a request\n");
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("request is not JSON"), "{}", out.stderr);
}

#[test]
fn the_reference_adapter_says_what_the_adapter_md_transcript_says_byte_for_byte() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/ADAPTER.md")).expect("ADAPTER.md reads");
    let section = text.split("## 9. A transcript").nth(1).expect("ADAPTER.md has section 9");
    let block = section.split("```text\n").nth(1).and_then(|rest| rest.split("```").next()).expect("a text block");
    let (mut input, mut expected) = (String::new(), Vec::new());
    for line in block.lines() {
        if let Some(request) = line.strip_prefix("> ") {
            input.push_str(request);
            input.push('\n');
        } else if let Some(response) = line.strip_prefix("< ") {
            expected.push(response);
        }
    }
    assert!(expected.len() >= 9, "{expected:?}");
    let out = run_program(REFERENCE_ADAPTER, &[], &input);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout.lines().collect::<Vec<_>>(), expected);
}
