//! The adapter protocol's messages (`ADAPTER.md`): what a request and a response look like on the
//! wire, the `hello` exchange, and the limits the runner enforces.
//!
//! Both sides live here: the runner builds requests and parses responses; the reference adapter
//! ([`crate::serve`]) parses requests and builds responses.

use cinder::envelope;
use serde_json::{Map, Value, json};

use crate::text::excerpt;

/// The protocol version this crate speaks (`ADAPTER.md`, "Versioning").
pub const PROTOCOL_VERSION: u64 = 1;
/// The operation of the first request of every adapter process.
pub const HELLO_OP: &str = "hello";
/// Error code for a request the adapter cannot read: a missing field, bad hex, an unknown kind.
pub const BAD_REQUEST: &str = "adapter.bad_request";
/// Error code for a request the adapter could not carry out for a reason of its own, such as no
/// randomness from the operating system. Like [`BAD_REQUEST`], it never matches a vector.
pub const INTERNAL_ERROR: &str = "adapter.internal_error";
/// Error code the reference adapter answers a `hello` of another protocol version with.
pub const UNSUPPORTED_PROTOCOL: &str = "adapter.unsupported_protocol";
/// The largest envelope spec/envelope.md allows, in bytes: a 161-byte header, the 32-byte
/// commitment, 1,000 slots of 113 bytes after a 2-byte count, and the largest payload (a 4-byte
/// length, the 1,081,344-byte padded sealed part of a 1 MiB body, a 16-byte tag). As hex, it is
/// the longest byte string any request or answer of the protocol carries today.
pub const MAX_ENVELOPE_LEN: usize = envelope::MAX_HEADER_LEN
    + envelope::COMMITMENT_LEN
    + 2
    + envelope::MAX_RECIPIENTS * (1 + envelope::ID_MAX_LEN + envelope::WRAPPED_LEN)
    + 4
    + envelope::SEALED_MAX_LEN
    + cinder::primitives::AEAD_TAG_LEN;
/// Longest response line the runner reads, without its newline; a longer one is garbage.
///
/// The longest answer the protocol can call for today is an `envelope.seal` of the largest
/// envelope, [`MAX_ENVELOPE_LEN`] bytes as hex (about 2.4 MB). 64 MiB is more than 25 times
/// that, room for later chapters; an adapter that floods its stdout still costs the runner at
/// most this much memory before it is cut off and killed.
pub const MAX_RESPONSE_LINE: usize = 64 << 20;
/// Longest request line the reference adapter reads, without its newline: the same bound as
/// for answers (the longest request the vectors hold, an `envelope.open` of a 1 MiB body, is
/// about 2.2 MB).
pub const MAX_REQUEST_LINE: usize = 64 << 20;
// Both bounds hold the largest envelope, as hex, more than 25 times over.
const _: () = assert!(MAX_RESPONSE_LINE > 25 * 2 * MAX_ENVELOPE_LEN && MAX_REQUEST_LINE > 25 * 2 * MAX_ENVELOPE_LEN);
/// How much of a bad line a message quotes.
const QUOTE_CHARS: usize = 200;

/// One answer to one request.
#[derive(Clone, Debug, PartialEq)]
pub enum Response {
    /// The operation succeeded with these result fields.
    Ok(Map<String, Value>),
    /// The operation failed with this error code (a spec code such as `identity.invalid_phone`,
    /// or [`BAD_REQUEST`]) and an optional human-readable message.
    Error {
        /// The error code.
        code: String,
        /// Free text for a human; never compared.
        message: Option<String>,
    },
    /// The adapter does not implement the operation.
    Unsupported,
}

impl Response {
    /// An error response with a message.
    #[must_use]
    pub fn error(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Error { code: code.into(), message: Some(message.into()) }
    }

    /// An [`BAD_REQUEST`] error with a message saying what is wrong with the request.
    #[must_use]
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::error(BAD_REQUEST, message)
    }

    /// The response body without its `id`: `{"ok":{..}}`, `{"error":{..}}` or
    /// `{"unsupported":true}`.
    #[must_use]
    pub fn body(&self) -> Value {
        match self {
            Self::Ok(fields) => json!({ "ok": fields }),
            Self::Error { code, message: Some(message) } => json!({ "error": { "code": code, "message": message } }),
            Self::Error { code, message: None } => json!({ "error": { "code": code } }),
            Self::Unsupported => json!({ "unsupported": true }),
        }
    }

    /// The response as one line of the protocol, newline included.
    #[must_use]
    pub fn to_line(&self, id: u64) -> String {
        let mut object = Map::new();
        object.insert("id".into(), id.into());
        if let Value::Object(body) = self.body() {
            object.extend(body);
        }
        let mut line = Value::Object(object).to_string();
        line.push('\n');
        line
    }

    /// A one-line description for a report, cut to a readable length.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Ok(fields) => format!("ok {}", excerpt(Value::Object(fields.clone()).to_string().as_bytes(), 600)),
            Self::Error { code, message: Some(message) } => {
                format!("error {} ({})", excerpt(code.as_bytes(), 100), excerpt(message.as_bytes(), 300))
            }
            Self::Error { code, message: None } => format!("error {}", excerpt(code.as_bytes(), 100)),
            Self::Unsupported => "unsupported".into(),
        }
    }
}

/// A request line, newline included.
#[must_use]
pub fn request_line(id: u64, op: &str, args: &Value) -> String {
    let mut line = json!({ "id": id, "op": op, "args": args }).to_string();
    line.push('\n');
    line
}

/// The arguments of the `hello` request.
#[must_use]
pub fn hello_args() -> Value {
    json!({ "protocol": PROTOCOL_VERSION })
}

/// What an adapter says about itself in its answer to `hello`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hello {
    /// The adapter's name, for reports.
    pub adapter: String,
    /// The operations it implements.
    pub capabilities: Vec<String>,
}

impl Hello {
    /// Whether the adapter said it implements `op`.
    #[must_use]
    pub fn supports(&self, op: &str) -> bool {
        self.capabilities.iter().any(|c| c == op)
    }

    /// The `ok` fields of a `hello` answer.
    #[must_use]
    pub fn to_fields(&self) -> Map<String, Value> {
        let mut fields = Map::new();
        fields.insert("adapter".into(), self.adapter.clone().into());
        fields.insert("protocol".into(), PROTOCOL_VERSION.into());
        fields.insert("capabilities".into(), self.capabilities.clone().into());
        fields
    }

    /// Reads an adapter's answer to `hello`.
    ///
    /// # Errors
    /// A sentence saying what is wrong: not `ok`, another protocol version, or a missing or
    /// mistyped field.
    pub fn from_response(response: &Response) -> Result<Self, String> {
        let fields = match response {
            Response::Ok(fields) => fields,
            other => return Err(format!("adapter answered hello with {}", other.describe())),
        };
        match fields.get("protocol") {
            Some(Value::Number(n)) if n.as_u64() == Some(PROTOCOL_VERSION) => {}
            Some(other) => {
                return Err(format!(
                    "adapter speaks protocol {}, this runner speaks {PROTOCOL_VERSION}",
                    excerpt(other.to_string().as_bytes(), 40)
                ));
            }
            None => return Err("adapter's hello answer has no `protocol`".into()),
        }
        let Some(Value::String(adapter)) = fields.get("adapter") else {
            return Err("adapter's hello answer has no string `adapter` (its name)".into());
        };
        let Some(Value::Array(list)) = fields.get("capabilities") else {
            return Err("adapter's hello answer has no `capabilities` array".into());
        };
        let mut capabilities = Vec::with_capacity(list.len());
        for item in list {
            match item {
                Value::String(op) => capabilities.push(op.clone()),
                other => {
                    return Err(format!(
                        "adapter's hello `capabilities` holds {}, not an operation name",
                        excerpt(other.to_string().as_bytes(), 40)
                    ));
                }
            }
        }
        Ok(Self { adapter: excerpt(adapter.as_bytes(), 100), capabilities })
    }
}

/// A response line that breaks the protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// What is wrong, quoting the line.
    pub message: String,
    /// Whether the line still answered the request it should have (the right `id`), so the
    /// conversation can go on; when false, the adapter must be restarted.
    pub in_sync: bool,
}

impl Violation {
    fn lost(message: String) -> Self {
        Self { message, in_sync: false }
    }
}

/// Parses one response line that must answer request `expected_id`.
///
/// # Errors
/// A [`Violation`] for a line that is not UTF-8, not a JSON object, has another `id`, or does not
/// hold exactly one of `ok`, `error` and `unsupported` in the form `ADAPTER.md` gives.
pub fn parse_response(line: &[u8], expected_id: u64) -> Result<Response, Violation> {
    let quoted = || excerpt(line, QUOTE_CHARS);
    let Ok(text) = core::str::from_utf8(line) else {
        return Err(Violation::lost(format!("adapter printed a line that is not UTF-8: {}", quoted())));
    };
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(_) if text.trim().is_empty() => {
            return Err(Violation::lost("adapter printed an empty line instead of a JSON response".into()));
        }
        Err(_) => return Err(Violation::lost(format!("adapter printed a line that is not JSON: {}", quoted()))),
    };
    let Value::Object(mut object) = value else {
        return Err(Violation::lost(format!("adapter printed JSON that is not an object: {}", quoted())));
    };
    match object.remove("id") {
        Some(Value::Number(n)) if n.as_u64() == Some(expected_id) => {}
        Some(other) => {
            return Err(Violation::lost(format!(
                "adapter answered with id {}, expected {expected_id}",
                excerpt(other.to_string().as_bytes(), 40)
            )));
        }
        None => return Err(Violation::lost(format!("adapter's response has no `id`: {}", quoted()))),
    }
    let malformed = |why: &str| Violation {
        message: format!("adapter's response to request {expected_id} is malformed ({why}): {}", quoted()),
        in_sync: true,
    };
    if object.len() != 1 {
        return Err(malformed("it needs exactly one of `ok`, `error`, `unsupported` beside `id`"));
    }
    match object.into_iter().next() {
        Some((key, Value::Object(fields))) if key == "ok" => Ok(Response::Ok(fields)),
        Some((key, Value::Object(error))) if key == "error" => {
            let code = match error.get("code") {
                Some(Value::String(code)) => code.clone(),
                _ => return Err(malformed("`error` needs a string `code`")),
            };
            let message = match error.get("message") {
                None | Some(Value::Null) => None,
                Some(Value::String(message)) => Some(message.clone()),
                Some(_) => return Err(malformed("`error.message` must be a string")),
            };
            Ok(Response::Error { code, message })
        }
        Some((key, Value::Bool(true))) if key == "unsupported" => Ok(Response::Unsupported),
        Some((key, _)) if key == "ok" => Err(malformed("`ok` must be an object")),
        Some((key, _)) if key == "error" => Err(malformed("`error` must be an object")),
        Some((key, _)) if key == "unsupported" => Err(malformed("`unsupported` must be `true`")),
        _ => Err(malformed("it needs exactly one of `ok`, `error`, `unsupported` beside `id`")),
    }
}

/// A request as the adapter side reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// The request's id, echoed in the response.
    pub id: u64,
    /// The operation, e.g. `identity.canonicalize`.
    pub op: String,
    /// The arguments; `Null` when the request had none.
    pub args: Value,
}

/// Why a request line could not be read at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestError {
    /// The line is not a JSON object with a non-negative integer `id`: there is no id to answer.
    Unanswerable(String),
    /// The line has an id but no string `op`; answer it with [`BAD_REQUEST`].
    BadRequest {
        /// The request's id.
        id: u64,
        /// What is wrong.
        message: String,
    },
}

/// Parses one request line (the adapter side).
///
/// # Errors
/// [`RequestError::Unanswerable`] when there is no usable `id`, [`RequestError::BadRequest`] when
/// there is an id but the rest is unusable.
pub fn parse_request(line: &[u8]) -> Result<Request, RequestError> {
    let quoted = || excerpt(line, QUOTE_CHARS);
    let value: Value = serde_json::from_slice(line)
        .map_err(|e| RequestError::Unanswerable(format!("request is not JSON ({e}): {}", quoted())))?;
    let Value::Object(mut object) = value else {
        return Err(RequestError::Unanswerable(format!("request is not a JSON object: {}", quoted())));
    };
    let Some(id) = object.get("id").and_then(Value::as_u64) else {
        return Err(RequestError::Unanswerable(format!("request has no non-negative integer `id`: {}", quoted())));
    };
    let Some(Value::String(op)) = object.remove("op") else {
        return Err(RequestError::BadRequest { id, message: "request has no string `op`".into() });
    };
    let args = object.remove("args").unwrap_or(Value::Null);
    if let Some(extra) = object.keys().find(|k| k.as_str() != "id") {
        return Err(RequestError::BadRequest { id, message: format!("request has an unknown field `{extra}`") });
    }
    Ok(Request { id, op, args })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_envelope_is_what_the_spec_adds_up_to() {
        // 161 + 32 + 2 + 1000 * 113 + 4 + 1,081,344 + 16, added up by hand from spec/envelope.md.
        assert_eq!(MAX_ENVELOPE_LEN, 1_194_559);
    }

    #[test]
    fn reads_each_kind_of_response() {
        assert_eq!(
            parse_response(br#"{"id":3,"ok":{"hash":"00"}}"#, 3),
            Ok(Response::Ok(json!({"hash": "00"}).as_object().cloned().unwrap_or_default()))
        );
        assert_eq!(
            parse_response(br#"{"id":3,"error":{"code":"identity.invalid_salt"}}"#, 3),
            Ok(Response::Error { code: "identity.invalid_salt".into(), message: None })
        );
        assert_eq!(parse_response(br#"{"unsupported":true,"id":3}"#, 3), Ok(Response::Unsupported));
    }

    #[test]
    fn a_wrong_id_loses_sync() {
        let violation = parse_response(br#"{"id":4,"ok":{}}"#, 3).err();
        assert_eq!(
            violation,
            Some(Violation { message: "adapter answered with id 4, expected 3".into(), in_sync: false })
        );
    }

    #[test]
    fn garbage_is_named_plainly() {
        let violation = parse_response(b"Traceback (most recent call last):", 1).err();
        let message = violation.map(|v| v.message).unwrap_or_default();
        assert!(message.starts_with("adapter printed a line that is not JSON: Traceback"), "{message}");
        let violation = parse_response(b"\xff\xfe", 1).err();
        assert!(violation.is_some_and(|v| v.message.contains("not UTF-8") && !v.in_sync));
    }

    #[test]
    fn a_malformed_body_with_the_right_id_keeps_sync() {
        for line in [
            br#"{"id":1}"#.as_slice(),
            br#"{"id":1,"ok":{},"unsupported":true}"#,
            br#"{"id":1,"ok":[1]}"#,
            br#"{"id":1,"error":{"message":"no code"}}"#,
            br#"{"id":1,"unsupported":false}"#,
            br#"{"id":1,"result":{}}"#,
        ] {
            let violation = parse_response(line, 1).err();
            assert!(violation.as_ref().is_some_and(|v| v.in_sync && v.message.contains("malformed")), "{violation:?}");
        }
    }

    #[test]
    fn responses_round_trip_through_their_lines() {
        let responses = [
            Response::Ok(json!({"canonical": "6162"}).as_object().cloned().unwrap_or_default()),
            Response::error("identity.invalid_key", "keys are equal"),
            Response::Error { code: "identity.invalid_batch".into(), message: None },
            Response::Unsupported,
        ];
        for (id, response) in (7u64..).zip(responses) {
            let line = response.to_line(id);
            assert!(line.ends_with('\n'));
            assert_eq!(parse_response(line.trim_end().as_bytes(), id), Ok(response));
        }
    }

    #[test]
    fn hello_needs_the_same_protocol_version() {
        let hello =
            |fields: Value| Hello::from_response(&Response::Ok(fields.as_object().cloned().unwrap_or_default()));
        assert_eq!(
            hello(json!({"adapter": "x", "protocol": 1, "capabilities": ["identity.canonicalize"]})),
            Ok(Hello { adapter: "x".into(), capabilities: vec!["identity.canonicalize".into()] })
        );
        assert!(
            hello(json!({"adapter": "x", "protocol": 2, "capabilities": []})).is_err_and(|e| e.contains("protocol 2"))
        );
        assert!(hello(json!({"adapter": "x", "protocol": 1})).is_err());
        assert!(hello(json!({"adapter": "x", "protocol": 1, "capabilities": [1]})).is_err());
        assert!(Hello::from_response(&Response::Unsupported).is_err());
    }

    #[test]
    fn requests_round_trip_and_bad_ones_are_classified() {
        let line = request_line(5, "identity.canonicalize", &json!({"kind": "phone"}));
        assert_eq!(
            parse_request(line.trim_end().as_bytes()),
            Ok(Request { id: 5, op: "identity.canonicalize".into(), args: json!({"kind": "phone"}) })
        );
        assert!(matches!(parse_request(b"nope"), Err(RequestError::Unanswerable(_))));
        assert!(matches!(parse_request(br#"{"id":-1,"op":"x"}"#), Err(RequestError::Unanswerable(_))));
        assert!(matches!(parse_request(br#"{"id":2}"#), Err(RequestError::BadRequest { id: 2, .. })));
        assert!(matches!(
            parse_request(br#"{"id":2,"op":"x","extra":1}"#),
            Err(RequestError::BadRequest { id: 2, .. })
        ));
    }
}
