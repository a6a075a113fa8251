//! The gaps `cargo mutants` found in `src/codec.rs` that no vector can see: the codec's error
//! messages (vectors carry codes, not messages) and `Writer::is_empty`. Every other mutant of the
//! codec is caught by the envelope vectors (`envelope_mutants.rs`) and `envelope.rs`.

use cinder::codec::{BufferTooSmall, DecodeError, Reader, Writer};

/// Kills `Display for DecodeError` → `Ok(())`: a decode error says which field, and how.
#[test]
fn decode_errors_name_the_field_and_the_fault() {
    let mut r = Reader::new(&[1]);
    assert_eq!(r.u16("count").map_err(|e| e.to_string()), Err("input ends inside count".to_owned()));
    assert_eq!(DecodeError::TrailingData("envelope").to_string(), "bytes remain after envelope");
    let bounded = Reader::bounded(0, 1, 64, "recipient").map_err(|e| e.to_string());
    assert_eq!(bounded, Err("recipient is outside its bounds".to_owned()));
}

/// Kills `Display for BufferTooSmall` → `Ok(())`: the message says how much room is needed.
#[test]
fn a_short_buffer_says_how_many_bytes_it_needs() {
    let mut buf = [0u8; 3];
    let mut w = Writer::new(&mut buf);
    let error = w.u32(7).expect_err("four bytes do not fit in three");
    assert_eq!(error, BufferTooSmall { needed: 4 });
    assert_eq!(error.to_string(), "output buffer too small: 4 bytes needed");
}

/// Kills `Writer::is_empty` → `true`, `false`, and `==` → `!=`.
#[test]
fn a_writer_is_empty_until_something_is_written() {
    let mut buf = [0u8; 8];
    let mut w = Writer::new(&mut buf);
    assert!(w.is_empty());
    w.put(&[]).expect("nothing fits");
    assert!(w.is_empty(), "writing nothing leaves it empty");
    w.u8(1).expect("one byte fits");
    assert!(!w.is_empty());
    assert_eq!((w.len(), w.written()), (1, &[1u8][..]));
}
