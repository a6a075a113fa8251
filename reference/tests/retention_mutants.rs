//! `vectors/retention.json` replayed through the reference, in-process, for `cargo mutants`: a
//! mutant of `src/retention.rs` or `src/retention/*` that changes any step of any scenario is
//! caught here without building the generator or the conformance runner (which check the same
//! vectors more slowly). The JSON glue is the generator's own `ops.rs`, compiled into this test, so
//! the vectors are read exactly as an adapter over the reference reads them.

#[allow(dead_code, unreachable_pub, clippy::pedantic)]
#[path = "../../vectors/src/retention/ops.rs"]
mod ops;

#[path = "support/vectors.rs"]
mod vectors;

use vectors::vector_file;

#[test]
fn the_reference_gives_every_retention_vector_its_expected_steps() {
    let file = vector_file("retention.json");
    let mut checked = 0;
    let mut wrong = Vec::new();
    for group in file["testGroups"].as_array().expect("testGroups") {
        assert_eq!(group["op"], "retention.scenario");
        for test in group["tests"].as_array().expect("tests") {
            let got = ops::scenario(&test["args"]);
            let ok = match (test["result"].as_str(), &got) {
                (Some("valid"), Ok(Ok(expected))) => *expected == test["expected"],
                (Some("invalid"), Ok(Err(error))) => test["error"].as_str() == Some(error.code()),
                _ => false,
            };
            if !ok {
                wrong.push(format!("{}: got {got:?}", test["id"]));
            }
            checked += 1;
        }
    }
    assert!(checked >= 282, "only {checked} retention vectors");
    assert!(wrong.is_empty(), "{} of {checked} vectors differ:\n{}", wrong.len(), wrong.join("\n"));
}
