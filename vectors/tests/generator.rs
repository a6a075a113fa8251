//! The generator is deterministic, its output is what is committed, and the format checks bite.

use cinder_vectors::format::VectorFile;

#[test]
fn committed_vectors_are_byte_identical_to_the_generator() {
    for (name, text) in cinder_vectors::all().expect("generation succeeds") {
        let committed =
            std::fs::read_to_string(cinder_vectors::default_dir().join(name)).expect("committed file exists");
        assert!(committed == text, "{name} differs from the generator: run `cargo run -p cinder-vectors`");
    }
}

#[test]
fn generation_is_deterministic() {
    assert_eq!(cinder_vectors::all().expect("first run"), cinder_vectors::all().expect("second run"));
}

#[test]
fn identity_file_meets_the_issue_counts() {
    let file = cinder_vectors::identity::generate().expect("generation succeeds");
    let invalid =
        file.test_groups.iter().flat_map(|g| &g.tests).filter(|t| t.result == cinder_vectors::format::Outcome::Invalid);
    assert!(file.number_of_tests >= 200, "only {} identity tests", file.number_of_tests);
    assert!(invalid.count() >= 60);
}

fn identity_text() -> String {
    std::fs::read_to_string(cinder_vectors::default_dir().join("identity.json")).expect("identity.json exists")
}

#[test]
fn parse_rejects_a_wrong_test_count() {
    let text = identity_text().replacen("\"numberOfTests\": ", "\"numberOfTests\": 1", 1);
    let err = VectorFile::parse(&text).expect_err("count is off");
    assert!(err.0.contains("numberOfTests"), "{err}");
}

#[test]
fn parse_rejects_duplicate_test_ids() {
    let text = identity_text().replacen("\"id\": \"user-id-upper\"", "\"id\": \"user-id-plain\"", 1);
    let err = VectorFile::parse(&text).expect_err("duplicate id");
    assert!(err.0.contains("used twice"), "{err}");
}

#[test]
fn parse_rejects_unexplained_flags() {
    let text = identity_text().replacen("\"CaseFolding\"\n", "\"Mystery\"\n", 1);
    let err = VectorFile::parse(&text).expect_err("unexplained flag");
    assert!(err.0.contains("Mystery"), "{err}");
}

#[test]
fn parse_rejects_unknown_fields_and_non_json() {
    assert!(VectorFile::parse("{\"schema\": 1}").is_err());
    assert!(VectorFile::parse("not json").is_err());
    let text = identity_text().replacen("\"part\": ", "\"surprise\": 1, \"part\": ", 1);
    assert!(VectorFile::parse(&text).is_err());
}

fn counts(file: &VectorFile) -> (usize, usize) {
    let tests = || file.test_groups.iter().flat_map(|g| &g.tests);
    let invalid = tests().filter(|t| t.result == cinder_vectors::format::Outcome::Invalid).count();
    (tests().count() - invalid, invalid)
}

#[test]
fn envelope_file_meets_the_issue_counts() {
    let (valid, invalid) = counts(&cinder_vectors::envelope::generate().expect("generation succeeds"));
    assert!(valid >= 150 && invalid >= 150, "{valid} valid, {invalid} invalid envelope tests");
}

#[test]
fn expiry_file_meets_the_issue_counts() {
    let file = cinder_vectors::expiry::generate().expect("generation succeeds");
    assert!(file.number_of_tests >= 200, "only {} expiry scenarios", file.number_of_tests);
}
