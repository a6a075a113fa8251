//! Device-session operations (`ADAPTER.md`, "Sessions"; spec/session.md).
//!
//! `session.handshake` runs one handshake — the initiator on a bundle, the responder on the init
//! message — and reports every derived key; `session.scenario` runs a list of events (handshakes,
//! sends, receives, envelopes, lifecycle events) on one network of accounts and devices and
//! answers every step with its output or refusal and the checkpoint of the public state
//! (SES-080, SES-081). Reading the arguments and writing the results is
//! [`cinder_vectors::session::handshake`] and [`cinder_vectors::session::scenario`]: the functions
//! the vector generator makes every expectation with, so the adapter and the vectors cannot read or
//! write the JSON differently. The randomness of both operations (the initiator's ephemeral secret,
//! an envelope's content key) is in the arguments; it reaches the reference through
//! `cinder::testing::ReplayRng`.

use cinder_vectors::session::{self, OpError as SessionOpError, Sides};
use serde_json::Value;

use super::{Args, Fields, OpError};

impl From<SessionOpError> for OpError {
    fn from(error: SessionOpError) -> Self {
        match error {
            SessionOpError::BadRequest(message) => Self::BadRequest(message),
            SessionOpError::Code(code) => Self::Spec { code, detail: code.to_owned() },
            SessionOpError::Internal(message) => Self::Internal(message),
        }
    }
}

/// The result object of an operation, as protocol result fields.
fn fields(result: Value) -> Result<Fields, OpError> {
    match result {
        Value::Object(fields) => Ok(fields),
        other => Err(OpError::Internal(format!("the operation's result is not an object: {other}"))),
    }
}

/// `session.handshake {now, receivedAt, initiator, responder, bundle, ephemeralSecret,
/// initMessage?} -> {initMessage, sessionId, transcriptHash, dh, chainKeyInitiatorToResponder,
/// chainKeyResponderToInitiator, confirmKey, initiatorToResponder, responderToInitiator}`.
pub(super) fn handshake(args: &Args<'_>) -> Result<Fields, OpError> {
    fields(session::handshake(&Value::Object(args.map.clone()))?)
}

/// `session.handshake` with the given sides, on arguments not yet checked to be an object (the
/// glue refuses anything else as a bad request).
pub(super) fn handshake_with(args: &Value, sides: Sides) -> Result<Fields, OpError> {
    fields(session::handshake_with(args, sides)?)
}

/// `session.scenario {accounts, devices, events} -> {steps}`.
pub(super) fn scenario(args: &Args<'_>) -> Result<Fields, OpError> {
    fields(session::scenario(&Value::Object(args.map.clone()))?)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::dispatch::dispatch;
    use crate::protocol::{BAD_REQUEST, Response};

    fn code_of(response: &Response) -> Option<&str> {
        match response {
            Response::Error { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The built-in `session.json`.
    fn vectors() -> Value {
        let (_, text) = cinder_vectors::builtin::FILES
            .iter()
            .find(|(name, _)| *name == "session")
            .expect("session.json is built in");
        serde_json::from_str(text).expect("session.json is JSON")
    }

    #[test]
    fn answers_a_valid_and_an_invalid_vector_of_each_operation() {
        let file = vectors();
        for op in ["session.handshake", "session.scenario"] {
            let tests: Vec<&Value> = file["testGroups"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|group| group["op"] == op)
                .flat_map(|group| group["tests"].as_array().into_iter().flatten())
                .collect();
            let valid = tests.iter().find(|t| t["result"] == "valid").expect("a valid test");
            match dispatch(op, &valid["args"]) {
                Response::Ok(fields) => {
                    for (key, want) in valid["expected"].as_object().into_iter().flatten() {
                        assert_eq!(fields.get(key), Some(want), "{op} {}: {key}", valid["id"]);
                    }
                }
                other => panic!("{op} {}: {other:?}", valid["id"]),
            }
            if let Some(invalid) = tests.iter().find(|t| t["result"] == "invalid") {
                let response = dispatch(op, &invalid["args"]);
                assert_eq!(code_of(&response), invalid["error"].as_str(), "{op} {}", invalid["id"]);
            }
        }
    }

    #[test]
    fn an_empty_network_runs_an_empty_scenario() {
        let response = dispatch("session.scenario", &json!({"accounts": [], "devices": [], "events": []}));
        assert_eq!(response, Response::Ok(json!({"steps": []}).as_object().cloned().unwrap_or_default()));
    }

    #[test]
    fn unreadable_arguments_are_a_bad_request() {
        for (op, args) in [
            ("session.handshake", json!({})),
            ("session.handshake", json!({"now": -1})),
            ("session.scenario", json!({"accounts": [], "devices": []})),
            ("session.scenario", json!({"accounts": [], "devices": [], "events": [], "extra": 1})),
            (
                "session.scenario",
                json!({"accounts": [{"account": "ABCD", "rootKey": "00"}], "devices": [], "events": []}),
            ),
            ("session.scenario", json!({"accounts": [], "devices": [], "events": [{"at": 0, "event": "explode"}]})),
            ("session.scenario", json!({"accounts": [], "devices": [], "events": [{"event": "send"}]})),
            ("session.scenario", json!({"accounts": [], "devices": [], "events": ["send"]})),
        ] {
            let response = dispatch(op, &args);
            assert_eq!(code_of(&response), Some(BAD_REQUEST), "{op} {args}: {response:?}");
        }
    }
}
