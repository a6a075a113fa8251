//! Reading a request's JSON arguments, as the reference dispatch reads them (`ADAPTER.md`,
//! "Conventions"): lowercase hex for bytes, exact unsigned integers, unknown fields refused. A
//! request that cannot be read is `adapter.bad_request`, so a variant fails a case only through
//! its bug, never through how it reads arguments.

use cinder_conformance::protocol::{BAD_REQUEST, INTERNAL_ERROR, Response};
use serde_json::{Map, Value};

/// Result fields of a successful operation.
pub(crate) type Fields = Map<String, Value>;

/// Why an operation gave no result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The arguments cannot be read.
    BadRequest(String),
    /// The implementation rejected the input with this spec error code.
    Spec(&'static str),
    /// The adapter itself failed (no randomness from the operating system).
    Internal(String),
}

impl Failure {
    /// The protocol response for this failure.
    pub(crate) fn response(&self) -> Response {
        match self {
            Self::BadRequest(message) => Response::error(BAD_REQUEST, message.clone()),
            Self::Spec(code) => Response::error(*code, *code),
            Self::Internal(message) => Response::error(INTERNAL_ERROR, message.clone()),
        }
    }
}

/// The protocol response for an operation's outcome.
pub(crate) fn respond(outcome: Result<Fields, Failure>) -> Response {
    match outcome {
        Ok(fields) => Response::Ok(fields),
        Err(failure) => failure.response(),
    }
}

/// A JSON object of arguments, read field by field with errors that name the field.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Args<'a> {
    map: &'a Map<String, Value>,
    within: &'a str,
}

impl<'a> Args<'a> {
    /// The arguments of a request (`args`), or of an object nested in them (`within` names it).
    pub(crate) fn of(value: &'a Value, within: &'a str) -> Result<Self, Failure> {
        match value {
            Value::Object(map) => Ok(Self { map, within }),
            _ => Err(Failure::BadRequest(format!("{within} must be a JSON object"))),
        }
    }

    fn bad(&self, what: &str) -> Failure {
        Failure::BadRequest(format!("{}.{what}", self.within))
    }

    /// Refuses fields other than `names`.
    pub(crate) fn only(&self, names: &[&str]) -> Result<(), Failure> {
        match self.map.keys().find(|key| !names.contains(&key.as_str())) {
            Some(key) => Err(self.bad(&format!("{key} is not a known field"))),
            None => Ok(()),
        }
    }

    /// Whether the field is present.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    pub(crate) fn get(&self, name: &str) -> Result<&'a Value, Failure> {
        self.map.get(name).ok_or_else(|| self.bad(&format!("{name} is missing")))
    }

    pub(crate) fn str(&self, name: &str) -> Result<&'a str, Failure> {
        self.get(name)?.as_str().ok_or_else(|| self.bad(&format!("{name} must be a string")))
    }

    /// A byte string: lowercase hex, two digits a byte.
    pub(crate) fn hex(&self, name: &str) -> Result<Vec<u8>, Failure> {
        decode_hex(self.str(name)?).ok_or_else(|| self.bad(&format!("{name} must be lowercase hex")))
    }

    /// A byte string of exactly `N` bytes.
    pub(crate) fn hex_array<const N: usize>(&self, name: &str) -> Result<[u8; N], Failure> {
        self.hex(name)?.as_slice().try_into().map_err(|_| self.bad(&format!("{name} must be {N} bytes")))
    }

    pub(crate) fn boolean(&self, name: &str) -> Result<bool, Failure> {
        self.get(name)?.as_bool().ok_or_else(|| self.bad(&format!("{name} must be true or false")))
    }

    /// A JSON integer that fits in `T`, read exactly (never through a float).
    pub(crate) fn uint<T: TryFrom<u64>>(&self, name: &str) -> Result<T, Failure> {
        let value = match self.get(name)? {
            Value::Number(number) => number.as_u64().and_then(|n| T::try_from(n).ok()),
            _ => None,
        };
        value.ok_or_else(|| self.bad(&format!("{name} must be an unsigned integer that fits its type")))
    }

    /// `null`, or a JSON integer that fits in `T`.
    pub(crate) fn optional_uint<T: TryFrom<u64>>(&self, name: &str) -> Result<Option<T>, Failure> {
        if self.get(name)?.is_null() { Ok(None) } else { self.uint(name).map(Some) }
    }

    pub(crate) fn array(&self, name: &str) -> Result<&'a [Value], Failure> {
        self.get(name)?.as_array().map(Vec::as_slice).ok_or_else(|| self.bad(&format!("{name} must be an array")))
    }

    /// A JSON integer that may not fit in `u32`: `Ok(None)` for an integer out of its range
    /// (negative, or 2^32 and above, however written), which an operation reports with its own
    /// error code; a fraction or a non-number cannot be read.
    pub(crate) fn u32_or_out_of_range(&self, name: &str) -> Result<Option<u32>, Failure> {
        let Value::Number(number) = self.get(name)? else {
            return Err(self.bad(&format!("{name} must be an integer")));
        };
        if let Some(n) = number.as_u64() {
            return Ok(u32::try_from(n).ok());
        }
        if number.as_i64().is_some() {
            return Ok(None);
        }
        match number.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() > f64::from(u32::MAX) => Ok(None),
            _ => Err(self.bad(&format!("{name} must be an integer"))),
        }
    }
}

/// The value of each lowercase hex digit, 0xff for every other byte.
const HEX_VALUES: [u8; 256] = {
    let digits = b"0123456789abcdef";
    let mut table = [0xff_u8; 256];
    let mut value = 0u8;
    while value < 16 {
        table[digits[value as usize] as usize] = value;
        value += 1;
    }
    table
};

/// Lowercase hex to bytes; `None` for an odd length or any other character. (A plain loop: byte
/// strings reach megabytes, and debug builds run it unoptimised.)
pub(crate) fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 2);
    for pair in bytes.chunks_exact(2) {
        let (high, low) = (HEX_VALUES[usize::from(pair[0])], HEX_VALUES[usize::from(pair[1])]);
        if (high | low) == 0xff {
            return None;
        }
        out.push(high << 4 | low);
    }
    Some(out)
}

/// Bytes as lowercase hex.
pub(crate) fn encode_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = Vec::with_capacity(2 * bytes.len());
    for &byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)]);
        out.push(DIGITS[usize::from(byte & 0x0f)]);
    }
    String::from_utf8(out).unwrap_or_default()
}
