//! Server retention operations (`ADAPTER.md`, "Server operations: retention"; spec/retention.md).
//!
//! `retention.scenario` runs a whole scenario — a profile, a cap and a list of timed server events
//! (register, add and remove devices, join and leave, block, settings, store, fetch, ack, recall,
//! terminate, hold, disclose, tick) — on one reference server and answers every step: the reply
//! or refusal, the outputs and the messages held. Reading the arguments and writing the steps is
//! [`cinder_vectors::retention::scenario`], the function the vector generator makes every
//! expectation with, so the adapter and the vectors cannot read or write the JSON differently. It
//! reads every event before the server handles the first one, so a request that cannot be read is
//! always `adapter.bad_request`, whatever else is wrong with it.

use cinder::retention::RetentionError;
use serde_json::Value;

use super::{Args, Fields, OpError};

impl From<RetentionError> for OpError {
    fn from(error: RetentionError) -> Self {
        Self::Spec { code: error.code(), detail: format!("{error}: the server cannot be configured") }
    }
}

/// `retention.scenario {profile, cap, events: [{at, event, ...}]} -> {steps}`.
pub(super) fn scenario(args: &Args<'_>) -> Result<Fields, OpError> {
    let request = Value::Object(args.map.clone());
    match cinder_vectors::retention::scenario(&request).map_err(OpError::BadRequest)?? {
        Value::Object(fields) => Ok(fields),
        other => Err(OpError::Internal(format!("the scenario's result is not an object: {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::dispatch::dispatch;
    use crate::protocol::{BAD_REQUEST, Response};

    const T0: u64 = 1_767_225_600;
    const DAY: u64 = 86_400;

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

    fn account(byte: u8) -> String {
        hex::encode([byte; 32])
    }

    fn device(name: &str) -> String {
        hex::encode(name)
    }

    const MESSAGE: &str = "00112233445566778899aabbccddeeff";

    /// Alice (one phone) and Bob (one phone) in a direct conversation.
    fn setup() -> Vec<Value> {
        let room = hex::encode("room");
        vec![
            json!({"at": T0, "event": "register", "account": account(1)}),
            json!({"at": T0, "event": "register", "account": account(2)}),
            json!({"at": T0, "event": "add_device", "account": account(1), "device": device("alice-phone"),
                   "platform": "ios"}),
            json!({"at": T0, "event": "add_device", "account": account(2), "device": device("bob-phone"),
                   "platform": "android"}),
            json!({"at": T0, "event": "join", "account": account(1), "conversation": room}),
            json!({"at": T0, "event": "join", "account": account(2), "conversation": room}),
        ]
    }

    fn store(at: u64) -> Value {
        json!({"at": at, "event": "store", "device": device("alice-phone"), "messageId": MESSAGE,
               "conversation": hex::encode("room"), "sentAt": at, "ttl": 3600, "ciphertext": "c0ffee"})
    }

    fn args(profile: &str, cap: Value, events: Vec<Value>) -> Value {
        json!({"profile": profile, "cap": cap, "events": events})
    }

    #[test]
    fn holds_a_message_until_its_only_recipient_acknowledges_it() {
        let mut events = setup();
        events.push(store(T0 + 10));
        events.push(json!({"at": T0 + 20, "event": "fetch", "device": device("bob-phone")}));
        events.push(json!({"at": T0 + 30, "event": "ack", "device": device("bob-phone"), "messageId": MESSAGE}));
        events.push(json!({"at": T0 + 40, "event": "ack", "device": device("bob-phone"), "messageId": MESSAGE}));
        let steps = steps(&dispatch("retention.scenario", &args("consumer", Value::Null, events)));
        assert_eq!(steps.len(), 10);
        assert_eq!(
            steps[6],
            json!({"reply": {"reply": "accepted", "messageId": MESSAGE}, "error": null,
                   "outputs": [{"output": "stored", "messageId": MESSAGE, "recipients": [device("bob-phone")],
                                "purgeBy": T0 + 10 + 3600}],
                   "held": [MESSAGE]})
        );
        assert_eq!(
            steps[7]["reply"],
            json!({"reply": "messages", "messages": [{"messageId": MESSAGE,
                                                                               "ciphertext": "c0ffee"}]})
        );
        assert_eq!(steps[8]["outputs"], json!([{"output": "purged", "messageId": MESSAGE, "reason": "delivered"}]));
        assert_eq!(steps[8]["held"], json!([]));
        assert_eq!(steps[9]["error"], "retention.unknown_message");
        assert_eq!(steps[9]["reply"], Value::Null);
    }

    #[test]
    fn purges_at_the_cap_of_the_profile_and_at_a_configured_cap() {
        let mut events = setup();
        events.push(json!({"at": T0 + 10, "event": "store", "device": device("alice-phone"), "messageId": MESSAGE,
                           "conversation": hex::encode("room"), "sentAt": T0 + 10, "ttl": 31_536_000,
                           "ciphertext": "c0ffee"}));
        events.push(json!({"at": T0 + 10 + 6 * DAY, "event": "tick"}));
        let consumer = steps(&dispatch("retention.scenario", &args("consumer", Value::Null, events.clone())));
        // The 6-day activity records go at the same step, after the message.
        assert_eq!(consumer[7]["outputs"][0], json!({"output": "purged", "messageId": MESSAGE, "reason": "cap"}));
        assert_eq!(consumer[7]["held"], json!([]));
        let enterprise = steps(&dispatch("retention.scenario", &args("enterprise", Value::Null, events.clone())));
        assert_eq!(enterprise[7]["held"], json!([MESSAGE]));
        let capped = steps(&dispatch("retention.scenario", &args("enterprise", json!(60), events)));
        assert_eq!(capped[6]["outputs"][0]["purgeBy"], json!(T0 + 70));
    }

    #[test]
    fn a_refused_configuration_is_the_spec_error() {
        for (profile, cap) in [("consumer", 0), ("consumer", 6 * DAY + 1), ("enterprise", 30 * DAY + 1)] {
            let response = dispatch("retention.scenario", &args(profile, json!(cap), setup()));
            assert_eq!(code_of(&response), Some("retention.invalid_cap"), "{profile} {cap}");
        }
    }

    #[test]
    fn refusals_are_steps_and_the_scenario_goes_on() {
        let events = vec![
            json!({"at": T0, "event": "fetch", "device": device("nobody")}),
            json!({"at": T0, "event": "register", "account": account(1)}),
            json!({"at": T0, "event": "terminate", "account": account(1)}),
            json!({"at": T0 + 1, "event": "register", "account": account(1)}),
        ];
        let steps = steps(&dispatch("retention.scenario", &args("consumer", Value::Null, events)));
        assert_eq!(steps[0]["error"], "retention.unknown_device");
        assert_eq!(steps[1]["reply"], json!({"reply": "registered"}));
        assert_eq!(steps[2]["outputs"], json!([{"output": "tombstoned", "account": account(1)}]));
        assert_eq!(steps[3]["error"], "retention.identifier_tombstoned");
    }

    #[test]
    fn values_that_fit_their_type_but_break_the_specs_bounds_are_refused_steps() {
        let mut events = setup();
        let mut bad_store = |name: &str, value: Value| {
            let mut event = store(T0 + 1);
            if let Value::Object(map) = &mut event {
                map.insert(name.into(), value);
            }
            events.push(event);
        };
        bad_store("ttl", json!(0));
        bad_store("ciphertext", json!(""));
        bad_store("conversation", json!(""));
        bad_store("device", json!("00".repeat(65)));
        let steps = steps(&dispatch("retention.scenario", &args("consumer", Value::Null, events)));
        for step in &steps[6..] {
            assert_eq!(step["error"], "retention.invalid_event", "{step}");
            assert_eq!(step["reply"], Value::Null, "{step}");
        }
    }

    #[test]
    fn unreadable_arguments_are_a_bad_request() {
        let with = |name: &str, value: Value| {
            let mut event = store(T0);
            if let Value::Object(map) = &mut event {
                map.insert(name.into(), value);
            }
            args("consumer", Value::Null, vec![event])
        };
        for bad in [
            json!({"cap": null, "events": []}),
            json!({"profile": "consumer", "events": []}),
            json!({"profile": "consumer", "cap": null}),
            json!({"profile": "consumer", "cap": null, "events": [], "extra": 1}),
            json!({"profile": "hobbyist", "cap": null, "events": []}),
            json!({"profile": "consumer", "cap": null, "events": {}}),
            args("consumer", json!(4_294_967_296_u64), vec![]),
            args("consumer", json!(-1), vec![]),
            args("consumer", json!("60"), vec![]),
            args("consumer", Value::Null, vec![json!("tick")]),
            args("consumer", Value::Null, vec![json!({"at": T0, "event": "explode"})]),
            args("consumer", Value::Null, vec![json!({"at": T0})]),
            args("consumer", Value::Null, vec![json!({"event": "tick"})]),
            args("consumer", Value::Null, vec![json!({"at": T0, "event": "tick", "device": "aa"})]),
            args("consumer", Value::Null, vec![json!({"at": T0, "event": "register", "account": "00"})]),
            args(
                "consumer",
                Value::Null,
                vec![json!({"at": T0, "event": "add_device", "account": account(1), "device": "aa",
                            "platform": "symbian"})],
            ),
            args(
                "consumer",
                Value::Null,
                vec![json!({"at": T0, "event": "change_setting", "account": account(1), "change": "dance"})],
            ),
            with("at", json!(18_446_744_073_709_551_616_f64)),
            with("sentAt", json!(-1)),
            with("ttl", json!(4_294_967_296_u64)),
            with("ttl", json!(60.5)),
            with("messageId", json!("00")),
            with("ciphertext", json!("ABCD")),
            with("device", json!("0g")),
            with("extra", json!(1)),
        ] {
            let response = dispatch("retention.scenario", &bad);
            assert_eq!(code_of(&response), Some(BAD_REQUEST), "{bad}: {response:?}");
        }
    }

    #[test]
    fn a_bad_request_anywhere_wins_over_a_refused_configuration() {
        let mut events = setup();
        events.push(json!({"at": T0, "event": "tick", "extra": true}));
        let response = dispatch("retention.scenario", &args("consumer", json!(0), events));
        assert_eq!(code_of(&response), Some(BAD_REQUEST));
    }
}
