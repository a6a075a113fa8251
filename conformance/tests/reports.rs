//! The reports a CI system reads: `--json` validates against `schema/report.schema.json` (and the
//! schema has teeth), `--junit` parses with the right counts for every status, and an expectations
//! file (`--expect`) turns known failures and skips into statuses that do not fail the run, while
//! an expected failure that now passes, or an entry that matches nothing, is reported. Each run is
//! a real one: the runner binary, a broken adapter over a pipe, real vector files.

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

const RUNNER: &str = env!("CARGO_BIN_EXE_cinder-conformance");
const BROKEN: &str = env!("CARGO_BIN_EXE_cinder-broken-adapter");
const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cinder-conformance-reports-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory can be made");
    dir.join(name)
}

fn vectors(name: &str) -> String {
    Path::new(MANIFEST).join("..").join("vectors").join(name).display().to_string()
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn validator() -> jsonschema::Validator {
    let schema = read_json(&Path::new(MANIFEST).join("schema/report.schema.json"));
    jsonschema::draft202012::new(&schema)
        .unwrap_or_else(|e| panic!("the report schema is not a valid JSON Schema: {e}"))
}

fn problems(report: &Value) -> Vec<String> {
    validator().iter_errors(report).map(|e| format!("{e} at {}", e.instance_path)).collect()
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    json: Value,
    junit: String,
}

/// Runs the runner with `args` plus `--json` and `--junit` into fresh files named after `name`.
fn run(name: &str, args: &[&str]) -> Run {
    let (json, junit) = (temp_path(&format!("{name}.json")), temp_path(&format!("{name}.xml")));
    let out = Command::new(RUNNER)
        .arg("run")
        .args(args)
        .args(["--json", &json.display().to_string(), "--junit", &junit.display().to_string()])
        .output()
        .expect("the runner starts");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        json: read_json(&json),
        junit: std::fs::read_to_string(&junit).expect("the JUnit report was written"),
    }
}

fn broken(bug: &str) -> String {
    format!("'{BROKEN}' --bug {bug}")
}

/// Every case's status, by path.
fn statuses(report: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for file in report["files"].as_array().into_iter().flatten() {
        for group in file["groups"].as_array().into_iter().flatten() {
            for case in group["cases"].as_array().into_iter().flatten() {
                out.push((
                    case["path"].as_str().unwrap_or_default().into(),
                    case["status"].as_str().unwrap_or_default().into(),
                ));
            }
        }
    }
    out
}

fn status_of<'a>(statuses: &'a [(String, String)], path: &str) -> &'a str {
    statuses.iter().find(|(p, _)| p == path).map_or("(absent)", |(_, s)| s.as_str())
}

/// A run with every status a case can have but `not_run`: a broken adapter (`failed`), an
/// expectations file (`expected_failure`, `unexpected_pass`, `skipped`, and an unused entry), and a
/// vector file with an operation nobody implements (`unsupported`).
fn every_status_run() -> Run {
    let expect = temp_path("every-status.expect");
    std::fs::write(
        &expect,
        "# the phone bug's known failures\n\
         fail identity/canonicalize-phone/phone-da*            separators are kept (bug 1)\n\
         fail identity/canonicalize-phone/phone-canonical       wrongly listed: this one passes\n\
         skip identity/client-hash/*                            slow on this machine\n\
         fail nothing/such/*                                    stale entry\n",
    )
    .expect("the expectations file is written");
    run(
        "every-status",
        &[
            "--adapter",
            &broken("identity-phone-separators-kept"),
            "--vectors",
            &vectors("identity.json"),
            "--vectors",
            &format!("{MANIFEST}/tests/data/unsupported/future.json"),
            "--expect",
            &expect.display().to_string(),
        ],
    )
}

#[test]
fn a_report_with_every_status_validates_against_the_schema() {
    let run = every_status_run();
    assert_eq!(run.code, Some(1), "{}\n{}", run.stdout, run.stderr);
    let errors = problems(&run.json);
    assert!(errors.is_empty(), "the report breaks its schema:\n{}", errors.join("\n"));
    let mut seen: Vec<String> = statuses(&run.json).into_iter().map(|(_, status)| status).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen, ["expected_failure", "failed", "passed", "skipped", "unexpected_pass", "unsupported"]);
    let summary = &run.json["summary"];
    let sum: u64 = ["passed", "failed", "unsupported", "notRun", "skipped", "expectedFailures", "unexpectedPasses"]
        .iter()
        .map(|name| summary[name].as_u64().unwrap_or(u64::MAX / 8))
        .sum();
    assert_eq!(Some(sum), summary["total"].as_u64(), "total is the sum of the counts: {summary}");
}

#[test]
fn an_adapter_broken_report_validates_against_the_schema() {
    let adapter = format!("sh '{MANIFEST}/tests/data/adapters/exits-immediately.sh'");
    let run = run("broken", &["--adapter", &adapter, "--vectors", &vectors("identity.json")]);
    assert_eq!(run.code, Some(2), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.json["verdict"], "adapter_broken");
    assert!(statuses(&run.json).iter().all(|(_, status)| status == "not_run"));
    let errors = problems(&run.json);
    assert!(errors.is_empty(), "the report breaks its schema:\n{}", errors.join("\n"));
}

/// The schema must refuse what the report format forbids; otherwise validating proves nothing.
#[test]
fn the_report_schema_rejects_broken_reports() {
    let good = every_status_run().json;
    assert!(problems(&good).is_empty());
    type Mutation = (&'static str, fn(&mut Value));
    let mutations: Vec<Mutation> = vec![
        ("an unknown status", |r| r["files"][0]["groups"][0]["cases"][0]["status"] = "maybe".into()),
        ("a passed case with a detail", |r| {
            let case = &mut r["files"][0]["groups"][0]["cases"][0];
            case["status"] = "passed".into();
            case["detail"] = json!({"message": "m", "expected": "e"});
        }),
        ("a failed case without a detail", |r| {
            let case = &mut r["files"][0]["groups"][0]["cases"][0];
            case["status"] = "failed".into();
            if let Some(case) = case.as_object_mut() {
                case.remove("detail");
            }
        }),
        ("a skipped case without its expectation", |r| {
            let case = &mut r["files"][0]["groups"][0]["cases"][0];
            case["status"] = "skipped".into();
            if let Some(case) = case.as_object_mut() {
                case.remove("detail");
                case.remove("expectation");
            }
        }),
        ("an unknown top-level field", |r| r["surprise"] = 1.into()),
        ("a summary without total", |r| {
            if let Some(summary) = r["summary"].as_object_mut() {
                summary.remove("total");
            }
        }),
        ("a negative count", |r| r["summary"]["failed"] = (-1).into()),
        ("a verdict that disagrees with the exit code", |r| r["exitCode"] = 0.into()),
        ("a failed verdict that says the run stopped", |r| {
            r["stopped"] = json!({"kind": "adapter_broken", "message": "x"});
        }),
        ("an expectations entry of an unknown kind", |r| r["expectations"]["entries"][0]["kind"] = "xfail".into()),
        ("a case path without a group", |r| r["files"][0]["groups"][0]["cases"][0]["path"] = "identity".into()),
    ];
    for (what, mutate) in mutations {
        let mut report = good.clone();
        mutate(&mut report);
        assert!(!problems(&report).is_empty(), "the schema accepts a report with {what}");
    }
}

#[test]
fn expectations_turn_known_failures_and_skips_into_statuses_that_do_not_fail_the_run() {
    let run = every_status_run();
    let statuses = statuses(&run.json);
    // Known failures of the phone bug: expected.
    assert_eq!(status_of(&statuses, "identity/canonicalize-phone/phone-dashes"), "expected_failure");
    // Listed as failing, but the bug does not touch it: an unexpected pass, which fails the run.
    assert_eq!(status_of(&statuses, "identity/canonicalize-phone/phone-canonical"), "unexpected_pass");
    // Skipped: never sent.
    assert!(statuses.iter().filter(|(path, _)| path.starts_with("identity/client-hash/")).all(|(_, s)| s == "skipped"));
    // Other phone cases the bug breaks still fail.
    assert!(
        statuses.iter().any(|(path, status)| path.starts_with("identity/canonicalize-phone/") && status == "failed")
    );
    // The summary line counts each, and the stale entry is a warning.
    let last = run.stdout.lines().last().unwrap_or_default();
    for part in ["expected failures", "1 unexpected passes", "skipped"] {
        assert!(last.contains(part), "summary line lacks {part:?}: {last}");
    }
    assert!(run.stdout.contains("UNEXPECTED PASS identity/canonicalize-phone/phone-canonical"), "{}", run.stdout);
    let warnings: Vec<&str> = run.json["warnings"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    assert!(warnings.iter().any(|w| w.contains(":5: `fail nothing/such/*` matches no case")), "{warnings:?}");
    let entries = &run.json["expectations"]["entries"];
    assert_eq!(entries[3]["used"], false);
    let client_hash = statuses.iter().filter(|(path, _)| path.starts_with("identity/client-hash/")).count();
    assert!(client_hash > 0);
    assert_eq!(entries[2]["matched"].as_u64(), u64::try_from(client_hash).ok());
}

#[test]
fn only_expected_failures_and_skips_make_a_passing_run() {
    // Every case the phone bug breaks, listed: the run passes, and says how.
    let listed = temp_path("all-listed.expect");
    let probe =
        run("probe", &["--adapter", &broken("identity-phone-separators-kept"), "--vectors", &vectors("identity.json")]);
    let failing: Vec<String> =
        statuses(&probe.json).into_iter().filter(|(_, status)| status == "failed").map(|(path, _)| path).collect();
    assert!(!failing.is_empty());
    let lines: String = failing.iter().map(|path| format!("fail {path} separators are kept\n")).collect();
    std::fs::write(&listed, lines).expect("the expectations file is written");
    let run = run(
        "all-listed",
        &[
            "--adapter",
            &broken("identity-phone-separators-kept"),
            "--vectors",
            &vectors("identity.json"),
            "--expect",
            &listed.display().to_string(),
        ],
    );
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.json["verdict"], "passed");
    assert_eq!(run.json["summary"]["expectedFailures"].as_u64(), u64::try_from(failing.len()).ok());
}

#[test]
fn a_bad_expectations_file_is_a_usage_error_naming_the_line() {
    let bad = temp_path("bad.expect");
    std::fs::write(&bad, "fail identity/* fine\nxfail identity/* typo\n").expect("written");
    let out =
        Command::new(RUNNER).args(["run", "--expect", &bad.display().to_string()]).output().expect("the runner starts");
    assert_eq!(out.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.expect:2: \"xfail\" is not an entry kind"), "{stderr}");
    let out = Command::new(RUNNER)
        .args(["run", "--expect", "/nonexistent/cinder.expect"])
        .output()
        .expect("the runner starts");
    assert_eq!(out.status.code(), Some(64));
}

#[test]
fn junit_counts_every_status_as_a_ci_system_reads_them() {
    let run = every_status_run();
    let doc = roxmltree::Document::parse(&run.junit).expect("the JUnit report is XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let summary = &run.json["summary"];
    let count = |name: &str| summary[name].as_u64().unwrap_or(u64::MAX);
    let attr = |name: &str| root.attribute(name).and_then(|v| v.parse::<u64>().ok());
    assert_eq!(attr("tests"), Some(count("total")));
    assert_eq!(attr("failures"), Some(count("failed") + count("unexpectedPasses")));
    assert_eq!(attr("skipped"), Some(count("unsupported") + count("skipped") + count("expectedFailures")));
    assert_eq!(attr("errors"), Some(count("notRun")));
    let testcases: Vec<roxmltree::Node<'_, '_>> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(u64::try_from(testcases.len()).ok(), Some(count("total")));
    let child = |case: &roxmltree::Node<'_, '_>, name: &str| {
        case.attribute("name") == Some(name) && case.attribute("classname") == Some("identity.canonicalize-phone")
    };
    let xpass = testcases.iter().find(|case| child(case, "phone-canonical")).expect("the unexpected pass");
    let failure = xpass.children().find(|n| n.has_tag_name("failure")).expect("an unexpected pass is a failure");
    assert_eq!(failure.attribute("type"), Some("unexpected_pass"));
    let xfail = testcases.iter().find(|case| child(case, "phone-dashes")).expect("an expected failure");
    let skipped = xfail.children().find(|n| n.has_tag_name("skipped")).expect("an expected failure is skipped");
    assert_eq!(skipped.attribute("type"), Some("expected_failure"));
    assert!(skipped.attribute("message").is_some_and(|m| m.contains("separators are kept (bug 1)")));
    // Suite counts add up to the root's.
    let suites: Vec<roxmltree::Node<'_, '_>> = doc.descendants().filter(|n| n.has_tag_name("testsuite")).collect();
    let total: u64 = suites.iter().filter_map(|s| s.attribute("tests").and_then(|v| v.parse::<u64>().ok())).sum();
    assert_eq!(Some(total), attr("tests"));
}

#[test]
fn a_progress_bar_is_drawn_only_when_asked_or_on_a_terminal() {
    let base = ["--adapter", &broken("expiry-readable-at-deadline"), "--vectors", &vectors("expiry.json")];
    let drawn = run("progress-always", &[&base[..], &["--progress", "always"]].concat());
    let total = drawn.json["summary"]["total"].as_u64().unwrap_or_default();
    assert!(total > 0 && drawn.stderr.contains(&format!("/{total} expiry/")), "{:?}", drawn.stderr);
    assert!(drawn.stderr.starts_with("\r["), "{:?}", drawn.stderr);
    assert!(drawn.stderr.ends_with("\r\u{1b}[K"), "the bar is erased at the end: {:?}", drawn.stderr);
    // Under `cargo test` stderr is a pipe, not a terminal: `auto` draws nothing.
    let quiet = run("progress-auto", &base);
    assert!(quiet.stderr.is_empty(), "{:?}", quiet.stderr);
    assert_eq!(drawn.json["summary"], quiet.json["summary"]);
}
