//! Fuzzing device sessions (spec/session.md): the decoders of every session encoding on arbitrary
//! bytes, and structure-aware event sequences on a small network with the invariants of the
//! chapter's section 9 asserted after every step.
//!
//! Two entry points, one per target in `fuzz_targets/`:
//!
//! - [`fuzz_session_init`]: the input is an init message (and, read the same way, a certificate, a
//!   signed prekey and a session header). Decoding never panics; whatever decodes re-encodes to
//!   exactly the input (SES-021); a responder given a decoded message refuses it with a spec code
//!   and keeps its one-time prekeys (SES-027) — random bytes cannot carry a valid key confirmation.
//! - [`fuzz_session_events`]: the input is a list of events, read by [`decode`], run on a network of
//!   three accounts and four devices (one of them not yet added).
//!
//! # Event format
//! The input never fails to decode: every 4 bytes are one event `[kind, a, b, time]`; at most
//! [`MAX_EVENTS`] are read. `kind % 12` picks a handshake, a send, a `send_many` (1 to 128
//! messages), a receive of an earlier message (`b` picks which, and a shift of its index around the
//! window's edges), a receive of the latest message, a forged envelope, adding or removing a
//! device, a password reset, or terminating an account; `a` and `b` pick devices (4) and accounts
//! (3); `time` moves the clock by 0, 1 s, an hour, a day, or exactly the 7-day rekey limit.
//!
//! # What is checked after every step
//! A refused step (other than `send_many`) changed no checkpoint (SES-027, SES-044); a committed
//! key is held by no session (SES-044) and a sent key not by its sender (SES-042); no index is
//! accepted twice (SES-043); at most 63 skipped keys, each inside its window (SES-045); sessions
//! exist in pairs with one ID (SES-030); a receiver's key is the sender's (SES-040); removed and
//! terminated stay so (SES-062, SES-064).

use core::num::NonZeroU32;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use cinder::primitives;
use cinder::session::{
    AccountSetup, Certificate, DeviceSetup, DeviceStatus, Event, Id, InitMessage, LocalIdentity, MAX_SKIPPED, Network,
    Output, PrekeyStore, SessionHeader, SignedPrekey, SigningSecret, WINDOW, X25519Secret,
};
use cinder::testing::ReplayRng;

/// Most events one input is read as.
pub const MAX_EVENTS: usize = 128;

const T0: u64 = 1_767_225_600;
const DEVICES: [&[u8]; 4] = [b"alice-phone", b"bob-phone", b"bob-tablet", b"carol-desktop"];
const ACCOUNT_OF: [usize; 4] = [0, 1, 1, 2];
const ACCOUNTS: [&[u8]; 3] = [b"alice", b"bob", b"carol"];
const MEMBER: [bool; 4] = [true, true, false, true];

fn seed(label: &[u8], n: u8) -> [u8; 32] {
    primitives::sha256(&[b"cinder-fuzz session", label, &[n]])
}

fn id(bytes: &[u8]) -> Id {
    match Id::new(bytes) {
        Ok(id) => id,
        Err(_) => unreachable!("fixture IDs are 1 to 64 bytes"),
    }
}

/// The signed parts of the fixture, made once (Ed25519 signing is the slow part of a setup).
struct Signed {
    roots: [[u8; 32]; 3],
    certificates: [Certificate; 4],
    prekeys: [SignedPrekey; 4],
}

fn signed() -> &'static Signed {
    static SIGNED: OnceLock<Signed> = OnceLock::new();
    SIGNED.get_or_init(|| {
        let roots = ACCOUNTS.map(|a| SigningSecret::from_bytes(seed(a, 0)));
        let certificates = core::array::from_fn(|d| {
            let signing = SigningSecret::from_bytes(seed(DEVICES[d], 1));
            let identity = X25519Secret::from_bytes(seed(DEVICES[d], 2));
            Certificate::issue(
                &roots[ACCOUNT_OF[d]],
                &id(ACCOUNTS[ACCOUNT_OF[d]]),
                &id(DEVICES[d]),
                identity.public_key(),
                signing.public_key(),
                T0 - 1,
                T0 + 365 * 86_400,
            )
        });
        let prekeys = core::array::from_fn(|d| {
            let signing = SigningSecret::from_bytes(seed(DEVICES[d], 1));
            let spk = X25519Secret::from_bytes(seed(DEVICES[d], 3));
            SignedPrekey::sign(
                &signing,
                &id(ACCOUNTS[ACCOUNT_OF[d]]),
                &id(DEVICES[d]),
                1,
                spk.public_key(),
                T0 + 30 * 86_400,
            )
        });
        Signed { roots: roots.map(|r| r.public_key()), certificates, prekeys }
    })
}

fn network() -> Network {
    let s = signed();
    let accounts: Vec<AccountSetup> =
        (0..3).map(|a| AccountSetup { account: id(ACCOUNTS[a]), root_key: s.roots[a] }).collect();
    let devices = (0..4)
        .map(|d| DeviceSetup {
            certificate: s.certificates[d],
            identity_secret: X25519Secret::from_bytes(seed(DEVICES[d], 2)),
            signed_prekey: s.prekeys[d],
            signed_prekey_secret: X25519Secret::from_bytes(seed(DEVICES[d], 3)),
            one_time_prekeys: (1..=3u8)
                .map(|n| (u32::from(n), X25519Secret::from_bytes(seed(DEVICES[d], 10 + n))))
                .collect(),
            member: MEMBER[d],
        })
        .collect();
    match Network::new(&accounts, devices) {
        Ok(network) => network,
        Err(e) => unreachable!("the fixture is a valid setup: {e}"),
    }
}

/// Decodes `data` as every session encoding; checks that what decodes re-encodes to the input and
/// that a responder refuses whatever init message it decodes, keeping its prekeys.
pub fn fuzz_session_init(data: &[u8]) {
    if let Ok(header) = SessionHeader::decode(data) {
        assert_eq!(header.to_bytes()[..], data[..], "SES-041: a session header re-encodes differently");
    }
    if let Ok(cert) = Certificate::decode(data) {
        assert_eq!(cert.to_vec(), data, "SES-010: a certificate re-encodes differently");
    }
    if let Ok(prekey) = SignedPrekey::decode(data) {
        assert_eq!(prekey.to_vec(), data, "SES-011: a signed prekey re-encodes differently");
    }
    let Ok(message) = InitMessage::decode(data) else { return };
    assert_eq!(message.to_vec(), data, "SES-021: an init message re-encodes differently");
    assert_eq!(message.encoded_len(), data.len());
    // The responder the message most likely names: bob-phone, with one-time prekeys 1 to 3.
    let s = signed();
    let identity = X25519Secret::from_bytes(seed(DEVICES[1], 2));
    let me = LocalIdentity { root_key: s.roots[1], certificate: &s.certificates[1], identity_secret: &identity };
    let mut store = PrekeyStore::new();
    store.add_signed_prekey(1, X25519Secret::from_bytes(seed(DEVICES[1], 3)), T0 + 30 * 86_400);
    for n in 1..=3u8 {
        store.add_one_time_prekey(u32::from(n), X25519Secret::from_bytes(seed(DEVICES[1], 10 + n)));
    }
    let result = cinder::session::respond(&me, &mut store, &message, &s.roots[0], T0);
    match result {
        // Only the genuine initiator can compute `confirm` (SES-024); fuzzing cannot.
        Ok(_) => panic!("SES-026: a fuzzed init message was accepted"),
        Err(e) => assert!(e.code().starts_with("session."), "{e}"),
    }
    for n in 1..=3 {
        assert!(store.has_one_time_prekey(n), "SES-027: a refused init message used one-time prekey {n}");
    }
}

/// One decoded event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// A handshake: initiator, responder, one-time prekey (0 = none).
    Handshake(usize, usize, u32),
    /// One message.
    Send(usize, usize),
    /// Several messages.
    SendMany(usize, usize, u32),
    /// A receive of an earlier message (which, shift of its index).
    Receive(usize, i64),
    /// A receive of the latest message.
    ReceiveLatest,
    /// A forged envelope for an earlier message.
    Forged(usize),
    /// `add_device`.
    Add(usize),
    /// `remove_device`.
    Remove(usize),
    /// `password_reset`.
    Reset(usize),
    /// `terminate`.
    Terminate(usize),
}

/// The shifts a receive applies to an index: around the window's edges (SES-043).
const SHIFTS: [i64; 8] = [0, 0, 0, -1, 1, -64, -65, 64];
/// How far the clock moves.
const DELTAS: [u64; 8] = [0, 0, 1, 1, 3_600, 86_400, 604_800, 0];

/// Reads `data` as (clock delta, event) pairs (see the module documentation).
#[must_use]
pub fn decode(data: &[u8]) -> Vec<(u64, Op)> {
    data.chunks_exact(4)
        .take(MAX_EVENTS)
        .map(|c| {
            let (a, b) = (usize::from(c[1]), usize::from(c[2]));
            let op = match c[0] % 12 {
                0 | 1 => Op::Handshake(a % 4, b % 4, u32::from(c[2] >> 4) % 4),
                2 | 3 => Op::Send(a % 4, b % 4),
                4 => Op::SendMany(a % 4, b % 4, 1 + u32::from(c[3] % 128)),
                5 | 6 => Op::Receive(b, SHIFTS[a % 8]),
                7 => Op::ReceiveLatest,
                8 => Op::Forged(b),
                9 => match a % 3 {
                    0 => Op::Add(b % 4),
                    _ => Op::Remove(b % 4),
                },
                10 => Op::Reset(b % 3),
                _ => Op::Terminate(b % 3),
            };
            (DELTAS[usize::from(c[3] >> 5)], op)
        })
        .collect()
}

/// A message that was sent: to which device, from which, its header and key.
struct Message {
    to: usize,
    from: usize,
    header: SessionHeader,
    key: [u8; 32],
}

/// Runs the events of `data` on a fresh network, checking the invariants after every step.
pub fn fuzz_session_events(data: &[u8]) {
    let mut net = network();
    let mut now = T0;
    let mut sent: Vec<Message> = Vec::new();
    let mut committed: Vec<[u8; 32]> = Vec::new();
    let mut accepted: BTreeMap<([u8; 16], usize, u32), u32> = BTreeMap::new();
    let mut handshakes = 0u32;
    let mut statuses: Vec<Option<DeviceStatus>> = DEVICES.iter().map(|d| net.device_status(d)).collect();
    for (delta, op) in decode(data) {
        now += delta;
        let before = net.checkpoint();
        let none = &mut ReplayRng::new(&[]);
        let (result, atomic) = match op {
            Op::Handshake(i, r, opk) => {
                handshakes += 1;
                let ephemeral = primitives::sha256(&[b"ephemeral", &handshakes.to_be_bytes()]);
                let ev = Event::Handshake {
                    initiator: DEVICES[i],
                    responder: DEVICES[r],
                    one_time_prekey: (opk > 0).then_some(opk),
                };
                (net.handle(ev, now, &mut ReplayRng::new(&ephemeral)), true)
            }
            Op::Send(f, t) => {
                let result = net.handle(Event::Send { from: DEVICES[f], to: DEVICES[t] }, now, none);
                if let Ok(Output::Sent { header, message_key }) = &result {
                    sent.push(Message { to: t, from: f, header: *header, key: *message_key.as_bytes() });
                }
                (result, true)
            }
            Op::SendMany(f, t, count) => {
                let count = NonZeroU32::new(count).unwrap_or(NonZeroU32::MIN);
                let result = net.handle(Event::SendMany { from: DEVICES[f], to: DEVICES[t], count }, now, none);
                if let Ok(Output::Sent { header, message_key }) = &result {
                    sent.push(Message { to: t, from: f, header: *header, key: *message_key.as_bytes() });
                }
                (result, false)
            }
            Op::Receive(_, _) | Op::ReceiveLatest | Op::Forged(_) if sent.is_empty() => continue,
            Op::Receive(pick, shift) => {
                let m = &sent[pick % sent.len()];
                let index = u32::try_from(i64::from(m.header.index).saturating_add(shift).max(0)).unwrap_or(u32::MAX);
                let header = SessionHeader { index, ..m.header };
                let (to, from, same) = (m.to, m.from, index == m.header.index);
                let key = m.key;
                let result = net.handle(Event::Receive { to: DEVICES[to], header: &header.to_bytes() }, now, none);
                if let Ok(Output::Received { index, message_key }) = &result {
                    check_received(
                        &mut committed,
                        &mut accepted,
                        header.session_id,
                        from,
                        *index,
                        message_key.as_bytes(),
                    );
                    if same {
                        assert_eq!(*message_key.as_bytes(), key, "SES-040: the receiver's key is not the sender's");
                    }
                }
                (result, true)
            }
            Op::ReceiveLatest => {
                let m = &sent[sent.len() - 1];
                let (to, from, key, header) = (m.to, m.from, m.key, m.header);
                let result = net.handle(Event::Receive { to: DEVICES[to], header: &header.to_bytes() }, now, none);
                if let Ok(Output::Received { index, message_key }) = &result {
                    check_received(
                        &mut committed,
                        &mut accepted,
                        header.session_id,
                        from,
                        *index,
                        message_key.as_bytes(),
                    );
                    assert_eq!(*message_key.as_bytes(), key, "SES-040: the receiver's key is not the sender's");
                }
                (result, true)
            }
            Op::Forged(pick) => {
                let m = &sent[pick % sent.len()];
                let ev = Event::Open { to: DEVICES[m.to], header: &m.header.to_bytes(), envelope: &[0x5a; 40] };
                let result = net.handle(ev, now, none);
                assert!(result.is_err(), "SES-044: a forged envelope opened");
                (result, true)
            }
            Op::Add(d) => (net.handle(Event::AddDevice(DEVICES[d]), now, none), true),
            Op::Remove(d) => (net.handle(Event::RemoveDevice(DEVICES[d]), now, none), true),
            Op::Reset(a) => (net.handle(Event::PasswordReset(ACCOUNTS[a]), now, none), true),
            Op::Terminate(a) => (net.handle(Event::Terminate(ACCOUNTS[a]), now, none), true),
        };
        if result.is_err() && atomic {
            assert_eq!(net.checkpoint(), before, "SES-027/SES-044: {op:?} was refused and changed the state");
        }
        check_invariants(&net, &sent, &committed);
        for (d, before) in statuses.iter_mut().enumerate() {
            let after = net.device_status(DEVICES[d]);
            if matches!(before, Some(DeviceStatus::Removed | DeviceStatus::Terminated)) {
                assert!(after == *before || after == Some(DeviceStatus::Terminated), "SES-062/SES-064: device {d}");
            }
            *before = after;
        }
    }
}

fn check_received(
    committed: &mut Vec<[u8; 32]>,
    accepted: &mut BTreeMap<([u8; 16], usize, u32), u32>,
    sid: [u8; 16],
    from: usize,
    index: u32,
    key: &[u8; 32],
) {
    let count = accepted.entry((sid, from, index)).or_default();
    *count += 1;
    assert_eq!(*count, 1, "SES-043: index {index} accepted twice");
    committed.push(*key);
}

fn check_invariants(net: &Network, sent: &[Message], committed: &[[u8; 32]]) {
    for key in committed {
        assert!(!net.holds_secret_for_testing_only(key), "SES-044: a committed key is still held");
    }
    for m in sent {
        if let Some(session) = net.session(DEVICES[m.from], DEVICES[m.to]) {
            assert!(!session.holds_secret_for_testing_only(&m.key), "SES-042: a sent key is held by its sender");
        }
    }
    for d in DEVICES {
        for p in DEVICES {
            let Some(session) = net.session(d, p) else { continue };
            let other = net.session(p, d).expect("SES-030: the peer holds the other end");
            assert_eq!(session.id(), other.id(), "SES-030");
            let state = session.state();
            let skipped: Vec<u32> = session.skipped_indices().collect();
            assert!(skipped.len() <= MAX_SKIPPED, "SES-045");
            for i in skipped {
                assert!(i < state.next && state.next - i <= WINDOW, "SES-045: key {i} outside the window");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_input_and_caps_the_events() {
        assert!(decode(&[]).is_empty());
        assert_eq!(decode(&[2, 0, 1, 0]), [(0, Op::Send(0, 1))]);
        assert_eq!(decode(&[0u8; 4 * (MAX_EVENTS + 5)]).len(), MAX_EVENTS);
    }

    #[test]
    fn init_messages_of_a_real_handshake_and_their_mutations_pass_the_checks() {
        let s = signed();
        let identity = X25519Secret::from_bytes(seed(DEVICES[0], 2));
        let me = LocalIdentity { root_key: s.roots[0], certificate: &s.certificates[0], identity_secret: &identity };
        let (cert, spk) = (s.certificates[1].to_vec(), s.prekeys[1].to_vec());
        let bundle = cinder::session::PeerBundle {
            account: s.certificates[1].account(),
            device: s.certificates[1].device(),
            root_key: &s.roots[1],
            certificate: &cert,
            signed_prekey: &spk,
            one_time_prekey: Some((2, X25519Secret::from_bytes(seed(DEVICES[1], 12)).public_key())),
        };
        let init = cinder::session::initiate(&me, &bundle, &mut ReplayRng::new(&[7; 32]), T0).expect("valid");
        let bytes = init.message.to_vec();
        // Every seventh byte (the crate's tests build without optimisation; the fuzzer goes further).
        for at in (0..bytes.len()).step_by(7) {
            let mut bad = bytes.clone();
            bad[at] ^= 0x10;
            fuzz_session_init(&bad);
            fuzz_session_init(&bytes[..at]);
        }
        fuzz_session_init(&cert);
        fuzz_session_init(&spk);
        fuzz_session_init(&[0u8; 20]);
    }

    #[test]
    fn event_sequences_that_exercise_every_rule_pass_the_checks() {
        // Handshakes both ways, sends, receives around the window, forgeries, lifecycle events.
        let mut data = vec![0, 0, 1 | 0x10, 0, 2, 0, 1, 0, 4, 0, 1, 70, 7, 0, 0, 0, 5, 5, 0, 0, 8, 0, 0, 0];
        data.extend_from_slice(&[0, 1, 3, 0, 2, 1, 3, 0x20, 7, 0, 0, 0, 9, 0, 2, 0, 0, 2, 0, 0x40, 9, 1, 1, 0]);
        data.extend_from_slice(&[10, 0, 0, 0, 11, 0, 1, 0xc0, 0, 0, 1, 0, 2, 3, 0, 0, 5, 3, 1, 0]);
        fuzz_session_events(&data);
        for n in 0..12u8 {
            let data: Vec<u8> =
                (0..200u16).map(|i| u8::try_from((i * 37 + u16::from(n) * 11) % 251).unwrap_or(0)).collect();
            fuzz_session_events(&data);
        }
    }
}
