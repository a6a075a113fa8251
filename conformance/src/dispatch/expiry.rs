//! Expiry and burn-on-read operations (`ADAPTER.md`, "Expiry"; spec/expiry.md).
//!
//! `expiry.scenario` runs a whole scenario — a message ID, a cap and a list of timed events — on
//! one reference state machine and answers every step. Reading the arguments and writing the steps
//! is [`cinder_vectors::expiry::scenario`]: the very function the vector generator makes every
//! expectation with, so the adapter and the vectors cannot read or write the JSON differently. It
//! reads every argument (every event) before the reference handles the first one, so a request
//! that cannot be read is always `adapter.bad_request`, whatever else is wrong with it.

use cinder::expiry::ExpiryError;
use serde_json::Value;

use super::{Args, Fields, OpError};

impl From<ExpiryError> for OpError {
    fn from(error: ExpiryError) -> Self {
        Self::Spec { code: error.code(), detail: format!("{error}: the state machine cannot be created") }
    }
}

/// `expiry.scenario {messageId, cap, events: [{at, event, ...}]} -> {steps}`.
pub(super) fn scenario(args: &Args<'_>) -> Result<Fields, OpError> {
    let request = Value::Object(args.map.clone());
    match cinder_vectors::expiry::scenario(&request).map_err(OpError::BadRequest)?? {
        Value::Object(fields) => Ok(fields),
        other => Err(OpError::Internal(format!("the scenario's result is not an object: {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::dispatch::dispatch;
    use crate::protocol::{BAD_REQUEST, Response};

    const ID: &str = "00112233445566778899aabbccddeeff";
    const T0: u64 = 1_767_225_600;

    fn code_of(response: &Response) -> Option<&str> {
        match response {
            Response::Error { code, .. } => Some(code),
            _ => None,
        }
    }

    fn steps(response: &Response) -> Vec<Value> {
        match response {
            Response::Ok(fields) => fields.get("steps").and_then(Value::as_array).cloned().unwrap_or_default(),
            other => panic!("not ok: {other:?}"),
        }
    }

    fn receive(at: u64, ttl: u64, bor: u64) -> Value {
        json!({"at": at, "event": "receive", "sender": hex::encode("alice-phone"), "sentAt": T0, "ttl": ttl,
               "bor": bor, "content": hex::encode("hi")})
    }

    fn args(cap: Value, events: Value) -> Value {
        json!({"messageId": ID, "cap": cap, "events": events})
    }

    #[test]
    fn burns_after_reading_and_reports_every_step() {
        let events = json!([
            receive(T0, 3600, 60),
            {"at": T0 + 10, "event": "read"},
            {"at": T0 + 69, "event": "tick"},
            {"at": T0 + 70, "event": "read"},
        ]);
        let steps = steps(&dispatch("expiry.scenario", &args(Value::Null, events)));
        assert_eq!(steps.len(), 4);
        assert_eq!(
            steps[0],
            json!({"phase": "unread", "readable": true, "deadline": T0 + 3600, "reason": null, "error": null,
                   "outputs": [{"output": "stored", "deadline": T0 + 3600, "skewed": false}]})
        );
        assert_eq!(
            steps[1]["outputs"],
            json!([{"output": "shown", "content": hex::encode("hi"), "deadline": T0 + 70}])
        );
        assert_eq!(steps[2]["phase"], "read");
        assert_eq!(
            steps[3],
            json!({"phase": "destroyed", "readable": false, "deadline": null, "reason": "burned",
                   "error": "expiry.destroyed", "outputs": [{"output": "destroyed", "reason": "burned"}]})
        );
    }

    #[test]
    fn times_reach_two_to_the_64_minus_one() {
        let events = json!([{"at": u64::MAX, "event": "receive", "sender": "aa", "sentAt": u64::MAX, "ttl": 60,
                             "bor": 0, "content": ""}]);
        let steps = steps(&dispatch("expiry.scenario", &args(Value::Null, events)));
        assert_eq!(steps[0]["phase"], "destroyed");
        assert_eq!(steps[0]["outputs"], json!([{"output": "destroyed", "reason": "expired"}]));
    }

    #[test]
    fn a_refused_cap_at_creation_is_the_spec_error() {
        for cap in [json!(0), json!(31_536_001)] {
            let response = dispatch("expiry.scenario", &args(cap.clone(), json!([receive(T0, 60, 0)])));
            assert_eq!(code_of(&response), Some("expiry.invalid_cap"), "{cap}");
        }
        let steps =
            steps(&dispatch("expiry.scenario", &args(json!(60), json!([{"at": T0, "event": "set_cap", "cap": 0}]))));
        assert_eq!(steps[0]["error"], "expiry.invalid_cap");
    }

    #[test]
    fn an_empty_scenario_has_no_steps() {
        assert_eq!(steps(&dispatch("expiry.scenario", &args(Value::Null, json!([])))), Vec::<Value>::new());
    }

    #[test]
    fn unreadable_arguments_are_a_bad_request() {
        let good = receive(T0, 60, 0);
        let with = |name: &str, value: Value| {
            let mut event = good.clone();
            if let Value::Object(map) = &mut event {
                map.insert(name.into(), value);
            }
            args(Value::Null, json!([event]))
        };
        let without = |name: &str| {
            let mut event = good.clone();
            if let Value::Object(map) = &mut event {
                map.remove(name);
            }
            args(Value::Null, json!([event]))
        };
        for bad in [
            json!({"cap": null, "events": []}),
            json!({"messageId": ID, "events": []}),
            json!({"messageId": ID, "cap": null}),
            json!({"messageId": ID, "cap": null, "events": [], "extra": 1}),
            json!({"messageId": "00", "cap": null, "events": []}),
            json!({"messageId": ID.to_uppercase(), "cap": null, "events": []}),
            json!({"messageId": ID, "cap": null, "events": {}}),
            args(json!(4_294_967_296_u64), json!([])),
            args(json!(-1), json!([])),
            args(json!("60"), json!([])),
            args(Value::Null, json!(["tick"])),
            args(Value::Null, json!([{"at": T0, "event": "explode"}])),
            args(Value::Null, json!([{"at": T0, "event": 7}])),
            args(Value::Null, json!([{"at": T0}])),
            args(Value::Null, json!([{"event": "tick"}])),
            args(Value::Null, json!([{"at": T0, "event": "tick", "by": "aa"}])),
            args(Value::Null, json!([{"at": T0, "event": "recall"}])),
            args(Value::Null, json!([{"at": T0, "event": "recall", "by": "a"}])),
            args(Value::Null, json!([{"at": T0, "event": "set_cap"}])),
            args(Value::Null, json!([{"at": T0, "event": "set_cap", "cap": 1.5}])),
            with("at", json!(18_446_744_073_709_551_616_f64)),
            with("at", json!(-1)),
            with("sentAt", json!("1")),
            with("ttl", json!(4_294_967_296_u64)),
            with("ttl", json!(60.5)),
            with("bor", json!(null)),
            with("sender", json!("ABCD")),
            with("content", json!("0g")),
            with("extra", json!(1)),
            without("content"),
        ] {
            let response = dispatch("expiry.scenario", &bad);
            assert_eq!(code_of(&response), Some(BAD_REQUEST), "{bad}: {response:?}");
        }
    }

    #[test]
    fn a_bad_request_anywhere_wins_over_a_refused_cap() {
        let response = dispatch(
            "expiry.scenario",
            &args(json!(0), json!([receive(T0, 60, 0), {"at": T0, "event": "read", "extra": true}])),
        );
        assert_eq!(code_of(&response), Some(BAD_REQUEST));
    }

    #[test]
    fn bad_request_messages_name_the_field() {
        let response = dispatch("expiry.scenario", &args(Value::Null, json!([{"at": T0, "event": "explode"}])));
        match response {
            Response::Error { message: Some(message), .. } => {
                assert!(message.contains("args.events[0].event \"explode\""), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
}
