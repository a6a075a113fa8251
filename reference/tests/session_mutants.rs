//! `vectors/session.json` replayed through the reference, in-process, for `cargo mutants`: a
//! mutant of `src/session.rs` or `src/session/*` that changes any result of any vector is caught
//! here without building the generator or the conformance runner (which check the same vectors
//! more slowly). The JSON glue is the generator's own `ops.rs`, compiled into this test, so the
//! vectors are read exactly as an adapter over the reference reads them.

#[allow(dead_code, unreachable_pub, clippy::pedantic)]
#[path = "../../vectors/src/session/ops.rs"]
mod ops;

use serde_json::Value;

#[path = "support/vectors.rs"]
mod vectors;

use vectors::vector_file;

/// Whether the reference's answer is the one the vector records: every expected field equal for a
/// valid vector, the recorded error code for an invalid one.
fn agrees(test: &Value, got: &Result<Value, ops::OpError>) -> bool {
    match (test["result"].as_str(), got) {
        (Some("valid"), Ok(fields)) => test["expected"]
            .as_object()
            .is_some_and(|expected| expected.iter().all(|(key, want)| fields.get(key) == Some(want))),
        (Some("invalid"), Err(ops::OpError::Code(code))) => test["error"].as_str() == Some(*code),
        _ => false,
    }
}

#[test]
fn the_reference_gives_every_session_vector_its_expected_result() {
    let file = vector_file("session.json");
    let mut checked = 0;
    let mut wrong = Vec::new();
    for group in file["testGroups"].as_array().expect("testGroups") {
        for test in group["tests"].as_array().expect("tests") {
            let got = match group["op"].as_str() {
                Some("session.handshake") => ops::handshake(&test["args"]),
                Some("session.scenario") => ops::scenario(&test["args"]),
                other => panic!("session.json has an operation this test does not know: {other:?}"),
            };
            if !agrees(test, &got) {
                wrong.push(format!("{}: got {got:?}", test["id"]));
            }
            checked += 1;
        }
    }
    assert!(checked >= 175, "only {checked} session vectors");
    assert!(wrong.is_empty(), "{} of {checked} vectors differ:\n{}", wrong.len(), wrong.join("\n"));
}
