//! Judging one response against one test (`ADAPTER.md`, "Checking").
//!
//! A valid test passes when the response is `ok` and carries every field of `expected` with an
//! equal JSON value (extra fields are allowed); an invalid test passes when the response is an
//! `error` with the expected code (the message is never compared). `unsupported` is neither.

use cinder_vectors::format::{Outcome, TestCase};
use serde_json::{Map, Value};

use crate::load::expected_fields;
use crate::protocol::Response;
use crate::text::{excerpt, json_excerpt};

/// The verdict on one response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The response is what the test expects.
    Passed,
    /// It is not; the text says how it differs.
    Failed(String),
    /// The adapter does not implement the operation.
    Unsupported,
}

/// Checks `response` against `test`.
#[must_use]
pub fn check(test: &TestCase, response: &Response) -> Verdict {
    match (test.result, response) {
        (_, Response::Unsupported) => Verdict::Unsupported,
        (Outcome::Valid, Response::Ok(got)) => {
            let Some(expected) = expected_fields(test) else {
                return Verdict::Failed("the test has no `expected` object".into());
            };
            match differences(expected, got) {
                None => Verdict::Passed,
                Some(problems) => Verdict::Failed(problems),
            }
        }
        (Outcome::Valid, Response::Error { code, .. }) => {
            Verdict::Failed(format!("expected success, the adapter answered error {}", excerpt(code.as_bytes(), 100)))
        }
        (Outcome::Invalid, Response::Ok(_)) => Verdict::Failed(format!(
            "expected error {}, the adapter succeeded",
            test.error.as_deref().unwrap_or("(none given)")
        )),
        (Outcome::Invalid, Response::Error { code, .. }) => {
            let want = test.error.as_deref().unwrap_or_default();
            if code == want {
                Verdict::Passed
            } else {
                Verdict::Failed(format!("expected error code {want}, got {}", excerpt(code.as_bytes(), 100)))
            }
        }
    }
}

/// How `got` differs from `expected` (`ADAPTER.md`, "Checking"): every key of `expected` must be
/// in `got` with an equal JSON value; extra keys in `got` are allowed. `None` when nothing
/// differs, otherwise each difference in a sentence.
#[must_use]
pub fn differences(expected: &Map<String, Value>, got: &Map<String, Value>) -> Option<String> {
    let mut problems = Vec::new();
    for (key, want) in expected {
        match got.get(key) {
            None => problems.push(format!("field `{key}` is missing")),
            Some(have) if have != want => problems.push(format!(
                "field `{key}` differs: expected {}, got {}",
                json_excerpt(want, 200),
                json_excerpt(have, 200)
            )),
            Some(_) => {}
        }
    }
    if problems.is_empty() { None } else { Some(problems.join("; ")) }
}

/// What a test expects, in the words of [`Response::describe`].
#[must_use]
pub fn describe_expected(test: &TestCase) -> String {
    match test.result {
        Outcome::Valid => match &test.expected {
            Some(expected) => format!("ok {}", json_excerpt(expected, 600)),
            None => "ok".into(),
        },
        Outcome::Invalid => format!("error {}", test.error.as_deref().unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn test(result: Outcome, expected: Option<Value>, error: Option<&str>) -> TestCase {
        TestCase {
            id: "t".into(),
            comment: String::new(),
            requirements: vec!["IDH-001".into()],
            flags: vec![],
            args: json!({}),
            result,
            expected,
            error: error.map(str::to_owned),
        }
    }

    fn ok(value: Value) -> Response {
        Response::Ok(value.as_object().cloned().unwrap_or_default())
    }

    #[test]
    fn a_valid_test_needs_every_expected_field_and_allows_extra_ones() {
        let valid = test(Outcome::Valid, Some(json!({"hash": "00"})), None);
        assert_eq!(check(&valid, &ok(json!({"hash": "00", "note": 1}))), Verdict::Passed);
        assert_eq!(
            check(&valid, &ok(json!({"hash": "01"}))),
            Verdict::Failed("field `hash` differs: expected \"00\", got \"01\"".into())
        );
        assert_eq!(check(&valid, &ok(json!({}))), Verdict::Failed("field `hash` is missing".into()));
        assert!(matches!(check(&valid, &Response::error("identity.invalid_salt", "")), Verdict::Failed(_)));
    }

    #[test]
    fn values_compare_as_json_not_as_text() {
        let valid = test(Outcome::Valid, Some(json!({"rounds": 1000})), None);
        assert!(matches!(check(&valid, &ok(json!({"rounds": "1000"}))), Verdict::Failed(_)));
        let valid = test(Outcome::Valid, Some(json!({"hash": "ab"})), None);
        assert!(matches!(check(&valid, &ok(json!({"hash": "AB"}))), Verdict::Failed(_)));
    }

    #[test]
    fn an_invalid_test_needs_the_exact_error_code() {
        let invalid = test(Outcome::Invalid, None, Some("identity.invalid_phone"));
        assert_eq!(check(&invalid, &Response::error("identity.invalid_phone", "whatever")), Verdict::Passed);
        assert_eq!(
            check(&invalid, &Response::error("identity.invalid_email", "")),
            Verdict::Failed("expected error code identity.invalid_phone, got identity.invalid_email".into())
        );
        assert!(matches!(check(&invalid, &ok(json!({}))), Verdict::Failed(_)));
    }

    #[test]
    fn unsupported_is_neither_pass_nor_fail() {
        let invalid = test(Outcome::Invalid, None, Some("identity.invalid_phone"));
        assert_eq!(check(&invalid, &Response::Unsupported), Verdict::Unsupported);
    }
}
