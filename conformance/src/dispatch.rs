//! The reference implementation behind the adapter protocol: [`dispatch`] runs one operation on
//! JSON arguments and gives the protocol [`Response`].
//!
//! This is the one place where protocol operations meet the `cinder` crate. The built-in target
//! ([`crate::target::builtin`]) calls it in-process; the `cinder-reference-adapter` binary serves it
//! over stdin/stdout. Each protocol part has its own file beside this one (`dispatch/identity.rs`,
//! `dispatch/envelope.rs`, `dispatch/expiry.rs`, `dispatch/retention.rs`, `dispatch/session.rs`); a
//! new part adds its file and its rows to the `OPERATIONS` table. The operations of the later parts
//! (expiry, retention, sessions) read their arguments and write their results with the vector
//! generator's own functions (`cinder_vectors::expiry::scenario`, `cinder_vectors::retention::scenario`,
//! `cinder_vectors::session::{handshake, scenario}`), so that the adapter and the vectors share one
//! JSON conversion.

use serde_json::{Map, Value};

use crate::lowerhex;
use crate::protocol::{BAD_REQUEST, INTERNAL_ERROR, Response};

mod envelope;
mod expiry;
mod identity;
mod retention;
mod session;

/// Result fields of a successful operation.
type Fields = Map<String, Value>;

/// One operation's implementation.
type Handler = fn(&Args<'_>) -> Result<Fields, OpError>;

/// Every operation the reference implements, with its handler.
const OPERATIONS: &[(&str, Handler)] = &[
    ("identity.canonicalize", identity::canonicalize),
    ("identity.client_hash", identity::client_hash),
    ("identity.server_hash", identity::server_hash),
    ("identity.contact_lookup", identity::contact_lookup),
    ("identity.verification_code", identity::verification_code),
    ("envelope.seal", envelope::seal),
    ("envelope.open", envelope::open),
    ("envelope.decode", envelope::decode),
    ("expiry.scenario", expiry::scenario),
    ("retention.scenario", retention::scenario),
    ("session.handshake", session::handshake),
    ("session.scenario", session::scenario),
];

/// The operations [`dispatch`] implements, in the order of `ADAPTER.md`'s tables: what the
/// reference adapter lists as its capabilities.
#[must_use]
pub fn capabilities() -> Vec<String> {
    OPERATIONS.iter().map(|(op, _)| (*op).to_owned()).collect()
}

/// Runs `op` on `args` with the reference implementation.
///
/// An operation it does not know is [`Response::Unsupported`]; arguments it cannot read are
/// [`BAD_REQUEST`]; a rejection by the reference is the spec's error code.
#[must_use]
pub fn dispatch(op: &str, args: &Value) -> Response {
    let Some((_, handler)) = OPERATIONS.iter().find(|(name, _)| *name == op) else {
        return Response::Unsupported;
    };
    let Value::Object(map) = args else {
        return Response::bad_request("`args` must be a JSON object");
    };
    response(handler(&Args { map, within: "args" }))
}

/// `session.handshake` run with the given sides: [`cinder_vectors::session::REFERENCE`] gives
/// [`dispatch`]'s answer; the broken adapter swaps one side for a faulty one.
#[must_use]
pub fn session_handshake_with(args: &Value, sides: cinder_vectors::session::Sides) -> Response {
    response(session::handshake_with(args, sides))
}

fn response(result: Result<Fields, OpError>) -> Response {
    match result {
        Ok(fields) => Response::Ok(fields),
        Err(OpError::BadRequest(message)) => Response::error(BAD_REQUEST, message),
        Err(OpError::Internal(message)) => Response::error(INTERNAL_ERROR, message),
        Err(OpError::Spec { code, detail }) => Response::error(code, detail),
    }
}

/// Why an operation gave no result.
#[derive(Clone, Debug, PartialEq, Eq)]
enum OpError {
    /// The arguments cannot be read; becomes [`BAD_REQUEST`].
    BadRequest(String),
    /// The adapter itself failed (no randomness from the operating system); becomes
    /// [`INTERNAL_ERROR`].
    Internal(String),
    /// The reference rejected the input with a spec error code.
    Spec {
        /// The spec error code.
        code: &'static str,
        /// The reference's description of the problem.
        detail: String,
    },
}

impl From<cinder::identity::IdentityError> for OpError {
    fn from(error: cinder::identity::IdentityError) -> Self {
        Self::Spec { code: error.code(), detail: error.to_string() }
    }
}

impl From<cinder::envelope::EnvelopeError> for OpError {
    fn from(error: cinder::envelope::EnvelopeError) -> Self {
        Self::Spec { code: error.code(), detail: error.to_string() }
    }
}

/// A JSON object of arguments, read field by field with errors that name the field.
#[derive(Clone, Copy, Debug)]
struct Args<'a> {
    map: &'a Map<String, Value>,
    /// Where the object sits in the request, for messages: `args` or `args.entries[3]`.
    within: &'a str,
}

impl<'a> Args<'a> {
    /// Refuses fields other than `names`, so a misspelt argument is reported rather than ignored.
    fn only(&self, names: &[&str]) -> Result<(), OpError> {
        match self.map.keys().find(|key| !names.contains(&key.as_str())) {
            Some(key) => Err(OpError::BadRequest(format!(
                "{} has an unknown field `{key}` (expected {})",
                self.within,
                names.join(", ")
            ))),
            None => Ok(()),
        }
    }

    fn get(&self, name: &str) -> Result<&'a Value, OpError> {
        self.map.get(name).ok_or_else(|| OpError::BadRequest(format!("{} has no `{name}`", self.within)))
    }

    fn str(&self, name: &str) -> Result<&'a str, OpError> {
        self.get(name)?.as_str().ok_or_else(|| OpError::BadRequest(format!("{}.{name} must be a string", self.within)))
    }

    /// A byte string: lowercase hex, two digits a byte.
    fn hex(&self, name: &str) -> Result<Vec<u8>, OpError> {
        let text = self.str(name)?;
        lowerhex::decode(text)
            .map_err(|e| OpError::BadRequest(format!("{}.{name} must be lowercase hex, but {e}", self.within)))
    }

    /// A byte string of exactly `N` bytes.
    fn hex_array<const N: usize>(&self, name: &str) -> Result<[u8; N], OpError> {
        let bytes = self.hex(name)?;
        bytes
            .as_slice()
            .try_into()
            .map_err(|_| OpError::BadRequest(format!("{}.{name} must be {N} bytes, not {}", self.within, bytes.len())))
    }

    fn boolean(&self, name: &str) -> Result<bool, OpError> {
        self.get(name)?
            .as_bool()
            .ok_or_else(|| OpError::BadRequest(format!("{}.{name} must be true or false", self.within)))
    }

    /// A JSON integer that fits in the unsigned type `T` (`u8` to `u64`). Integers up to
    /// 2^64 - 1 are read exactly, never through a float; anything else — a fraction, a string, a
    /// negative or larger number — is a bad request naming the range.
    fn uint<T: TryFrom<u64>>(&self, name: &str) -> Result<T, OpError> {
        let value = match self.get(name)? {
            Value::Number(number) => number.as_u64().and_then(|n| T::try_from(n).ok()),
            _ => None,
        };
        value.ok_or_else(|| {
            let bits = 8 * size_of::<T>();
            let max = u64::MAX >> (64_usize.saturating_sub(bits));
            OpError::BadRequest(format!("{}.{name} must be an integer from 0 to {max} ({bits} bits)", self.within))
        })
    }

    fn array(&self, name: &str) -> Result<&'a [Value], OpError> {
        self.get(name)?
            .as_array()
            .map(Vec::as_slice)
            .ok_or_else(|| OpError::BadRequest(format!("{}.{name} must be an array", self.within)))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn lists_every_operation_it_dispatches() {
        for op in capabilities() {
            assert_ne!(dispatch(&op, &json!({})), Response::Unsupported, "{op}");
        }
    }

    #[test]
    fn unknown_operations_are_unsupported() {
        assert_eq!(dispatch("session.initiate", &json!({})), Response::Unsupported);
        assert_eq!(dispatch("hello", &json!({})), Response::Unsupported);
    }

    #[test]
    fn arguments_that_are_not_an_object_are_a_bad_request() {
        assert!(matches!(
            dispatch("identity.canonicalize", &json!([1])),
            Response::Error { code, .. } if code == BAD_REQUEST
        ));
    }
}
