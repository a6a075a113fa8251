//! Lowercase hex, the protocol's form for byte strings (`ADAPTER.md`, "Conventions").
//!
//! The `hex` crate would do, but its functions are generic and so are compiled into this crate at
//! this crate's optimisation level: in debug builds — the tests — its iterator chains make the
//! megabyte byte strings of envelope cases many times slower than these plain loops.

use core::fmt;

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// `bytes` as lowercase hex, two digits a byte.
#[must_use]
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(2 * bytes.len());
    for &byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)]);
        out.push(DIGITS[usize::from(byte & 0x0f)]);
    }
    // Only ASCII digits and letters were pushed.
    String::from_utf8(out).unwrap_or_default()
}

/// Why a string is not lowercase hex.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HexError {
    /// An odd number of digits.
    OddLength(usize),
    /// A character that is not `0-9` or `a-f`, at this byte offset.
    NotLowercaseHex(usize),
}

impl fmt::Display for HexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OddLength(len) => write!(f, "it has an odd number of digits ({len})"),
            Self::NotLowercaseHex(at) => write!(f, "the character at offset {at} is not a lowercase hex digit"),
        }
    }
}

/// The value of each byte as a lowercase hex digit, or [`NOT_A_DIGIT`].
const VALUES: [u8; 256] = {
    let mut table = [NOT_A_DIGIT; 256];
    let mut value: u8 = 0;
    while value < 16 {
        table[DIGITS[value as usize] as usize] = value;
        value += 1;
    }
    table
};
const NOT_A_DIGIT: u8 = 0xff;

fn digit(c: u8) -> Option<u8> {
    let value = VALUES[usize::from(c)];
    (value != NOT_A_DIGIT).then_some(value)
}

/// The bytes of a lowercase hex string (upper-case digits are refused).
///
/// # Errors
/// [`HexError`] naming the first problem.
pub(crate) fn decode(text: &str) -> Result<Vec<u8>, HexError> {
    let text = text.as_bytes();
    if !text.len().is_multiple_of(2) {
        return Err(HexError::OddLength(text.len()));
    }
    let mut out = vec![0u8; text.len() / 2];
    let mut at = 0;
    for byte in &mut out {
        let (high, low) = (VALUES[usize::from(text[at])], VALUES[usize::from(text[at + 1])]);
        if high == NOT_A_DIGIT || low == NOT_A_DIGIT {
            return Err(HexError::NotLowercaseHex(if high == NOT_A_DIGIT { at } else { at + 1 }));
        }
        *byte = high << 4 | low;
        at += 2;
    }
    Ok(out)
}

/// Whether `text` is lowercase hex.
#[must_use]
pub(crate) fn is_lower_hex(text: &str) -> bool {
    text.len().is_multiple_of(2) && text.bytes().all(|c| digit(c).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_byte() {
        let bytes: Vec<u8> = (0..=255).collect();
        let text = encode(&bytes);
        assert_eq!(text, hex::encode(&bytes));
        assert_eq!(decode(&text), Ok(bytes));
        assert!(is_lower_hex(&text));
    }

    #[test]
    fn refuses_odd_lengths_upper_case_and_other_characters() {
        assert_eq!(decode("abc"), Err(HexError::OddLength(3)));
        assert_eq!(decode("00AB"), Err(HexError::NotLowercaseHex(2)));
        assert_eq!(decode("0g"), Err(HexError::NotLowercaseHex(1)));
        assert_eq!(decode(""), Ok(Vec::new()));
        assert!(!is_lower_hex("0A") && !is_lower_hex("0") && is_lower_hex(""));
    }
}
