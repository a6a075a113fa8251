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
                Some(problems) => match scenario_step_event(test, &problems) {
                    Some(event) => Verdict::Failed(format!("{problems} ({event})")),
                    None => Verdict::Failed(problems),
                },
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
/// differs, otherwise each difference in a sentence. Inside a field, the first place where the
/// values part is named by its path (`steps[3].outputs[0].reason`), so that a long scenario's
/// divergence is located to its step.
#[must_use]
pub fn differences(expected: &Map<String, Value>, got: &Map<String, Value>) -> Option<String> {
    let mut problems = Vec::new();
    for (key, want) in expected {
        match got.get(key) {
            None => problems.push(format!("field `{key}` is missing")),
            Some(have) if have != want => {
                let (path, how) = first_difference(want, have, key.clone());
                if path == *key {
                    problems.push(format!("field `{key}` differs: {how}"));
                } else {
                    problems.push(format!("field `{key}` differs at `{path}`: {how}"));
                }
            }
            Some(_) => {}
        }
    }
    if problems.is_empty() { None } else { Some(problems.join("; ")) }
}

/// The first place, below `path`, where `have` differs from `want` (which must differ), and how.
/// Objects compare key by key (the expected keys in order, then any key `want` lacks), arrays
/// entry by entry, then by length; anything else is shown whole.
fn first_difference(want: &Value, have: &Value, path: String) -> (String, String) {
    match (want, have) {
        (Value::Object(want), Value::Object(have)) => {
            for (key, value) in want {
                match have.get(key) {
                    None => return (format!("{path}.{key}"), "it is missing".into()),
                    Some(other) if other != value => return first_difference(value, other, format!("{path}.{key}")),
                    Some(_) => {}
                }
            }
            if let Some((key, value)) = have.iter().find(|(key, _)| !want.contains_key(key.as_str())) {
                let key = excerpt(key.as_bytes(), 60);
                return (format!("{path}.{key}"), format!("not expected, got {}", json_excerpt(value, 200)));
            }
        }
        (Value::Array(want), Value::Array(have)) => {
            if let Some(index) = want.iter().zip(have).position(|(w, h)| w != h) {
                return first_difference(&want[index], &have[index], format!("{path}[{index}]"));
            }
            if want.len() != have.len() {
                return (path, format!("expected {} entries, got {}", want.len(), have.len()));
            }
        }
        _ => {}
    }
    (path, format!("expected {}, got {}", json_excerpt(want, 200), json_excerpt(have, 200)))
}

/// For a scenario (a test whose `args` has `events` and whose difference lies in `steps[N]`): the
/// event of that step, so that a report says which event the adapter got wrong.
fn scenario_step_event(test: &TestCase, problems: &str) -> Option<String> {
    let rest = problems.split_once("at `steps[")?.1;
    let index: usize = rest.split_once(']')?.0.parse().ok()?;
    let event = test.args.get("events")?.get(index)?;
    Some(format!("step {index} is the event {}", json_excerpt(event, 300)))
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
    fn a_difference_inside_a_field_is_located_by_its_path() {
        let steps = json!({"steps": [{"phase": "read", "outputs": []}, {"phase": "destroyed", "outputs": [
            {"output": "destroyed", "reason": "burned"}]}]});
        let mut valid = test(Outcome::Valid, Some(steps.clone()), None);
        valid.args = json!({"events": [{"at": 1, "event": "read"}, {"at": 70, "event": "tick"}]});
        let mut got = steps.clone();
        got["steps"][1]["outputs"][0]["reason"] = json!("expired");
        assert_eq!(
            check(&valid, &ok(got)),
            Verdict::Failed(
                "field `steps` differs at `steps[1].outputs[0].reason`: expected \"burned\", got \"expired\" \
                 (step 1 is the event {\"at\":70,\"event\":\"tick\"})"
                    .into()
            )
        );
        let mut got = steps.clone();
        got["steps"][0]["extra"] = json!(1);
        assert_eq!(
            differences(steps.as_object().unwrap_or(&Map::new()), got.as_object().unwrap_or(&Map::new())),
            Some("field `steps` differs at `steps[0].extra`: not expected, got 1".into())
        );
        let mut got = steps.clone();
        got["steps"][1].as_object_mut().map(|step| step.remove("outputs"));
        assert_eq!(
            differences(steps.as_object().unwrap_or(&Map::new()), got.as_object().unwrap_or(&Map::new())),
            Some("field `steps` differs at `steps[1].outputs`: it is missing".into())
        );
        let got = json!({"steps": [steps["steps"][0]]});
        assert_eq!(check(&valid, &ok(got)), Verdict::Failed("field `steps` differs: expected 2 entries, got 1".into()));
        assert!(matches!(check(&valid, &ok(json!({"steps": 3}))), Verdict::Failed(why) if why.contains("got 3")));
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
