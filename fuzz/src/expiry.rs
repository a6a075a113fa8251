//! Fuzzing the expiry machine (spec/expiry.md): structure-aware event sequences on one message
//! copy, with the invariants of the chapter's section 8 asserted after every step.
//!
//! # Input format
//! The input never fails to decode. Byte 0 picks the initial cap (none, 1 s, 60 s, 3600 s, or an
//! out-of-bounds 0 that must be refused); then every 3 bytes are one step `[kind, arg, time]`:
//! `kind % 8` picks receive, read, tick, recall, delete, password reset, device removed, or
//! set_cap; `arg` picks the sender or recaller (three devices and an empty, invalid one), the
//! `ttl`/`bor` pair and the cap; `time` picks how far the clock moves, from a table of the
//! chapter's boundaries that also moves it back (EXP-020). At most [`MAX_STEPS`] steps are read.
//!
//! # What is checked
//! After every step: a live message is before its deadline (EXP-012), its deadline is no later than
//! its expiry (EXP-011) and never later than the step before (EXP-022); destroyed stays destroyed
//! with its first reason (EXP-041); content is shown only while live, and never after destruction
//! (EXP-042); a refused step reports at most what time did (EXP-003).

use cinder::expiry::{Event, Incoming, MAX_TTL, Message, Output, Phase, Reason};

/// Most steps one input is read as.
pub const MAX_STEPS: usize = 128;

const T0: u64 = 1_767_225_600;
const DEVICES: [&[u8]; 4] = [b"alice", b"bob", b"mallory", b""];
const LIFETIMES: [(u32, u32); 8] =
    [(60, 0), (60, 30), (3600, 60), (3600, 7200), (1, 0), (MAX_TTL, MAX_TTL), (0, 0), (60, MAX_TTL + 1)];
const CAPS: [Option<u32>; 5] = [None, Some(1), Some(60), Some(3600), Some(0)];

/// How far the clock moves for a time byte: the boundaries one second either side, and back.
fn delta(time: u8) -> i64 {
    const TABLE: [i64; 16] = [0, 1, 29, 30, 31, 59, 60, 61, 3599, 3600, 3601, -1, -60, -3600, 31_536_300, 7];
    TABLE[usize::from(time % 16)]
}

fn event(kind: u8, arg: u8) -> Event<'static> {
    let device = DEVICES[usize::from(arg % 4)];
    match kind % 8 {
        0 => {
            let (ttl, bor) = LIFETIMES[usize::from(arg / 4 % 8)];
            let sent_at = T0.saturating_add_signed(i64::from(arg % 3) * 200 - 200);
            Event::Receive(Incoming { sender: device, sent_at, ttl, bor, content: b"fuzzed content" })
        }
        1 => Event::Read,
        2 => Event::Tick,
        3 => Event::Recall { by: device },
        4 => Event::Delete,
        5 => Event::PasswordReset,
        6 => Event::DeviceRemoved,
        _ => Event::SetCap(CAPS[usize::from(arg % 5)]),
    }
}

/// Runs one input; panics (a fuzz finding) if an invariant of spec/expiry.md section 8 breaks.
pub fn fuzz_expiry(data: &[u8]) {
    let Some((&first, steps)) = data.split_first() else { return };
    let cap = CAPS[usize::from(first % 5)];
    let mut message = match Message::new([9; 16], cap) {
        Ok(m) => m,
        Err(e) => {
            assert_eq!(cap, Some(0), "only the out-of-bounds cap may be refused, got {e}");
            return;
        }
    };
    let mut now = T0;
    let mut last_deadline: Option<u64> = None;
    let mut destroyed: Option<Reason> = None;
    for step in steps.chunks_exact(3).take(MAX_STEPS) {
        now = now.saturating_add_signed(delta(step[2]));
        let t = message.handle(event(step[0], step[1]), now);
        let m = &t.state;
        if let Some(deadline) = m.deadline() {
            assert!(m.clock() < deadline, "EXP-012: live at or after its deadline");
            assert!(deadline <= m.expires_at().unwrap_or(0), "EXP-011: burn extended expiry");
            if let Some(before) = last_deadline {
                assert!(deadline <= before, "EXP-022: deadline rose from {before} to {deadline}");
            }
        }
        last_deadline = m.deadline();
        let shown = t.outputs.iter().any(|o| matches!(o, Output::Shown { .. }));
        match m.phase() {
            Phase::Destroyed { reason } => {
                assert!(destroyed.is_none_or(|r| r == reason), "EXP-041: reason changed");
                destroyed = Some(reason);
                assert!(!shown && !m.readable(), "EXP-042: content shown after destruction");
            }
            _ => assert!(destroyed.is_none(), "EXP-041: a destroyed message came back"),
        }
        if t.result.is_err() {
            // EXP-003: a refused event adds no output of its own; only time may have destroyed.
            assert!(t.outputs.iter().all(|o| matches!(o, Output::Destroyed(_) | Output::RecallForgotten)));
        }
        message = t.state;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_a_read_burn_sequence_without_findings() {
        // cap none; receive (60 s, bor 30) from alice; read; 31 s later; read (refused).
        fuzz_expiry(&[0, 0, 4, 0, 1, 0, 0, 2, 0, 4, 1, 0, 0]);
    }

    #[test]
    fn refuses_only_the_out_of_bounds_cap() {
        fuzz_expiry(&[4, 0, 0, 0]);
    }

    #[test]
    fn empty_and_short_inputs_are_fine() {
        fuzz_expiry(&[]);
        fuzz_expiry(&[1, 2]);
    }
}
