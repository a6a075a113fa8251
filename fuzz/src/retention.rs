//! Fuzzing the retention server (spec/retention.md): structure-aware event sequences, with the
//! invariants of the chapter's section 10 asserted after every step.
//!
//! # Input format
//! The input never fails to decode: every byte pattern is a configuration and a list of events.
//!
//! | bytes | meaning |
//! |---|---|
//! | 0 | configuration: bit 0 the profile (consumer, enterprise); bits 1–2 the cap: the profile's, 1 s, 3600 s, or 86,400 s |
//! | then 4 per event | `[kind, a, b, time]`, decoded by [`decode`] |
//!
//! `kind % 17` picks the event (register, add device, remove device, join, leave, block, unblock,
//! change a setting, store, store, fetch, ack, ack, recall, terminate, hold, and tick or
//! disclose); `a` and `b` pick accounts (4), devices (6, and an empty out-of-bounds ID),
//! conversations (2, and a 65-byte one), message IDs (4), `ttl`s and platforms; `time` picks how far
//! the clock moves, from a table that sits on every deadline of the chapter (0, 1 s, a minute, an
//! hour, a day, the caps and record lifetime with one second either side, 90 days) and sometimes
//! moves it back. At most [`MAX_EVENTS`] events are read.
//!
//! # What is checked
//! After every step: [`Server::audit`] (no message or record past its deadline, indexes agree with
//! the tables, tombstones never live); a refused event changed nothing beyond what time did
//! (RET-003); every purge of a copy for `expiry` or `cap` happens at or after the deadline its
//! `stored` output announced (RET-021, RET-025); a held copy never disappears without a `purged`
//! output (RET-025); a fetch returns exactly the copies stored for this very registration of the
//! device and not yet acknowledged by it (RET-030, RET-031); a terminated identifier stays
//! tombstoned and cannot register (RET-055). At the end, the disclosures of every known identifier
//! cover the census (RET-061).

use std::collections::{BTreeMap, BTreeSet};

use cinder::retention::{
    AccountId, CONSUMER_CAP, Config, ENTERPRISE_CAP, Event, HOLD_LIFETIME, MAX_TTL, MessageId, Output, Platform,
    Profile, PurgeReason, RECORD_LIFETIME, Reply, RetentionError, Server, SettingChange, Step, Store,
};

/// Most events one input is read as.
pub const MAX_EVENTS: usize = 256;

const T0: u64 = 1_767_225_600;
const ACCOUNTS: [AccountId; 4] = [AccountId([1; 32]), AccountId([2; 32]), AccountId([3; 32]), AccountId([4; 32])];
const DEVICES: [&[u8]; 7] = [b"d0", b"d1", b"d2", b"d3", b"d4", b"d5", b""];
const ROOMS: [&[u8]; 3] = [b"c0", b"c1", &[b'x'; 65]];
const TTLS: [u32; 8] = [0, 1, 60, 3600, 86_400, CONSUMER_CAP, ENTERPRISE_CAP, MAX_TTL];
const CIPHERTEXTS: [&[u8]; 4] = [b"", b"x", b"ciphertext", &[0xa5; 64]];

/// How far the clock moves for a time byte: every deadline of the chapter, one second either side.
fn delta(time: u8) -> i64 {
    const TABLE: [i64; 16] = [
        0, 1, 60, 3600, 86_400, 518_399, 518_400, 518_401, 2_591_999, 2_592_000, 2_592_001, 7_776_000, -1, -3600,
        -86_400, 29,
    ];
    TABLE[usize::from(time % 16)]
}

/// One decoded event, owning nothing: indexes into the tables above.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `register`.
    Register(usize),
    /// `add_device`.
    AddDevice(usize, usize, Platform),
    /// `remove_device`.
    RemoveDevice(usize, usize),
    /// `join`.
    Join(usize, usize),
    /// `leave`.
    Leave(usize, usize),
    /// `block`.
    Block(usize, usize),
    /// `unblock`.
    Unblock(usize, usize),
    /// `change_setting`.
    Setting(usize, SettingChange),
    /// `store`: device, message, room, ttl, ciphertext, how far `sent_at` is from now (signed).
    Store(usize, u8, usize, u32, usize, i64),
    /// `fetch`.
    Fetch(usize),
    /// `ack`.
    Ack(usize, u8),
    /// `recall`.
    Recall(usize, u8),
    /// `terminate`.
    Terminate(usize),
    /// `hold`.
    Hold(usize),
    /// `disclose`.
    Disclose(usize),
    /// `tick`.
    Tick,
}

/// Decodes an input (format in the module documentation): the configuration and the timed events.
#[must_use]
pub fn decode(data: &[u8]) -> (Config, Vec<(i64, Op)>) {
    let (first, rest) = data.split_first().map_or((0, &[][..]), |(f, r)| (*f, r));
    let profile = if first & 1 == 0 { Profile::Consumer } else { Profile::Enterprise };
    let cap = [None, Some(1), Some(3600), Some(86_400)][usize::from((first >> 1) & 3)];
    let config = Config::new(profile, cap).unwrap_or_else(|_| unreachable_config(profile));
    let events = rest
        .chunks(4)
        .take(MAX_EVENTS)
        .map(|c| {
            let [kind, a, b, time] = [0, 1, 2, 3].map(|i| c.get(i).copied().unwrap_or(0));
            let who = usize::from(a % 4);
            let device = usize::from(b % 7);
            let room = usize::from(a / 4 % 3);
            let message = 1 + b / 8 % 4;
            let op = match kind % 17 {
                0 => Op::Register(who),
                1 => Op::AddDevice(who, device, Platform::ALL[usize::from(a / 16 % 4)]),
                2 => Op::RemoveDevice(who, device),
                3 => Op::Join(who, room),
                4 => Op::Leave(who, room),
                5 => Op::Block(who, usize::from(b % 4)),
                6 => Op::Unblock(who, usize::from(b % 4)),
                7 => Op::Setting(who, SettingChange::ALL[usize::from(b % 4)]),
                8 | 9 => Op::Store(
                    device,
                    message,
                    room,
                    TTLS[usize::from(a / 12 % 8)],
                    usize::from(kind / 17 % 4),
                    delta(time.rotate_left(4)),
                ),
                10 => Op::Fetch(device),
                11 | 12 => Op::Ack(device, message),
                13 => Op::Recall(device, message),
                14 => Op::Terminate(who),
                15 => Op::Hold(who),
                _ if a % 2 == 0 => Op::Disclose(who),
                _ => Op::Tick,
            };
            (delta(time), op)
        })
        .collect();
    (config, events)
}

/// The caps the decoder picks are all within both profiles; this is never reached.
fn unreachable_config(profile: Profile) -> Config {
    match Config::new(profile, None) {
        Ok(config) => config,
        Err(e) => panic!("the default cap of a profile is refused: {e}"),
    }
}

impl Op {
    fn with<R>(self, now: u64, f: impl FnOnce(&Event<'_>) -> R) -> R {
        let a = |i: usize| ACCOUNTS[i];
        match self {
            Self::Register(i) => f(&Event::Register { account: a(i) }),
            Self::AddDevice(i, d, platform) => f(&Event::AddDevice { account: a(i), device: DEVICES[d], platform }),
            Self::RemoveDevice(i, d) => f(&Event::RemoveDevice { account: a(i), device: DEVICES[d] }),
            Self::Join(i, r) => f(&Event::Join { account: a(i), conversation: ROOMS[r] }),
            Self::Leave(i, r) => f(&Event::Leave { account: a(i), conversation: ROOMS[r] }),
            Self::Block(i, j) => f(&Event::Block { account: a(i), blocked: a(j) }),
            Self::Unblock(i, j) => f(&Event::Unblock { account: a(i), blocked: a(j) }),
            Self::Setting(i, change) => f(&Event::ChangeSetting { account: a(i), change }),
            Self::Store(d, m, r, ttl, c, skew) => f(&Event::Store(Store {
                device: DEVICES[d],
                message_id: [m; 16],
                conversation: ROOMS[r],
                sent_at: now.saturating_add_signed(skew),
                ttl,
                ciphertext: CIPHERTEXTS[c],
            })),
            Self::Fetch(d) => f(&Event::Fetch { device: DEVICES[d] }),
            Self::Ack(d, m) => f(&Event::Ack { device: DEVICES[d], message_id: [m; 16] }),
            Self::Recall(d, m) => f(&Event::Recall { device: DEVICES[d], message_id: [m; 16] }),
            Self::Terminate(i) => f(&Event::Terminate { account: a(i) }),
            Self::Hold(i) => f(&Event::Hold { account: a(i) }),
            Self::Disclose(i) => f(&Event::Disclose { account: a(i) }),
            Self::Tick => f(&Event::Tick),
        }
    }
}

/// A copy the checker saw stored: its deadline and recipients with their registration numbers.
#[derive(Clone, Debug)]
struct Copy {
    id: MessageId,
    purge_by: u64,
    recipients: Vec<(Vec<u8>, u64)>,
    acked: BTreeSet<Vec<u8>>,
}

/// Runs the events of `data` on a new server and checks every invariant (module documentation).
///
/// # Panics
/// When the reference breaks one of them: that is a finding.
pub fn fuzz_retention(data: &[u8]) {
    let (config, events) = decode(data);
    let mut server = Server::new(config);
    let mut now = T0;
    // Device ID -> its current registration number; every `add_device` accepted starts a new one.
    let mut registration: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
    let mut registrations = 0u64;
    let mut copies: Vec<Copy> = Vec::new();
    let mut terminated: BTreeSet<usize> = BTreeSet::new();
    for (d, op) in events {
        now = now.saturating_add_signed(d);
        let before = server.clone();
        let step = op.with(now, |e| server.handle(e, now));
        if let Err(e) = server.audit() {
            panic!("{e} after {op:?} at {now}");
        }
        if step.result.is_err() {
            let mut ticked = before.clone();
            let tick = ticked.handle(&Event::Tick, now);
            assert_eq!(tick.outputs, step.outputs, "a refused {op:?} had outputs of its own");
            assert!(ticked == server, "a refused {op:?} changed the state");
        }
        check_purges(&step, &mut copies, &server);
        match (op, &step.result) {
            (Op::AddDevice(_, dev, _), Ok(_)) => {
                registrations += 1;
                registration.insert(DEVICES[dev].to_vec(), registrations);
            }
            (Op::Fetch(dev), Ok(Reply::Messages(list))) => {
                let me = (DEVICES[dev].to_vec(), registration.get(DEVICES[dev]).copied().unwrap_or(0));
                let want: Vec<MessageId> = copies
                    .iter()
                    .filter(|c| c.recipients.contains(&me) && !c.acked.contains(&me.0))
                    .map(|c| c.id)
                    .collect();
                let got: Vec<MessageId> = list.iter().map(|m| m.message_id).collect();
                assert_eq!(got, want, "a fetch is not the copies pending for this registration (RET-031)");
            }
            (Op::Ack(dev, m), Ok(_)) => {
                for c in copies.iter_mut().filter(|c| c.id == [m; 16]) {
                    c.acked.insert(DEVICES[dev].to_vec());
                }
            }
            (Op::Terminate(i), Ok(_)) => {
                terminated.insert(i);
            }
            _ => {}
        }
        for o in &step.outputs {
            if let Output::Stored { message_id, recipients, purge_by } = o {
                assert!(*purge_by > server.clock(), "stored with its deadline reached (RET-021)");
                let recipients = recipients
                    .iter()
                    .map(|r| (r.as_bytes().to_vec(), registration.get(r.as_bytes()).copied().unwrap_or(0)))
                    .collect();
                copies.push(Copy { id: *message_id, purge_by: *purge_by, recipients, acked: BTreeSet::new() });
            }
        }
        for i in &terminated {
            assert!(server.is_tombstoned(&ACCOUNTS[*i]), "a tombstone was lifted (RET-055)");
        }
    }
    for i in terminated {
        let step = server.handle(&Event::Register { account: ACCOUNTS[i] }, now);
        assert_eq!(step.result, Err(RetentionError::IdentifierTombstoned), "a tombstoned identifier registered");
    }
    check_disclosures(&server);
}

/// RET-021, RET-025: purged copies leave the checker's list; `expiry` and `cap` only at their
/// deadline; nothing vanishes without a `purged` output.
fn check_purges(step: &Step, copies: &mut Vec<Copy>, server: &Server) {
    let held: Vec<(MessageId, u64)> = server.held().collect();
    let mut next = held.iter().peekable();
    let mut gone = Vec::new();
    let mut kept = Vec::new();
    for c in copies.drain(..) {
        if next.peek().is_some_and(|(id, purge_by)| *id == c.id && *purge_by == c.purge_by) {
            next.next();
            kept.push(c);
        } else {
            gone.push(c);
        }
    }
    *copies = kept;
    let purges: Vec<(MessageId, PurgeReason)> = step
        .outputs
        .iter()
        .filter_map(|o| if let Output::Purged { message_id, reason } = o { Some((*message_id, *reason)) } else { None })
        .collect();
    assert_eq!(purges.len(), gone.len(), "copies vanished without a purge, or purges of nothing (RET-025)");
    for (id, reason) in purges {
        let i = gone.iter().position(|c| {
            c.id == id && (!matches!(reason, PurgeReason::Expiry | PurgeReason::Cap) || server.clock() >= c.purge_by)
        });
        assert!(i.is_some(), "{reason:?} purge of {id:?} before its deadline (RET-021)");
        if let Some(i) = i {
            gone.remove(i);
        }
    }
}

/// RET-061: the disclosures of every known identifier cover the census.
fn check_disclosures(server: &Server) {
    let census = server.census();
    let all: Vec<_> = server
        .known_accounts()
        .iter()
        .map(|a| server.disclose(a).unwrap_or_else(|e| panic!("a known identifier cannot be disclosed: {e}")))
        .collect();
    let copies = all.iter().flat_map(|d| d.messages.iter().filter(|m| m.sender == d.account)).count();
    assert_eq!(copies, census.messages, "held copies missing from their senders' disclosures");
    assert_eq!(all.iter().map(|d| d.devices.len()).sum::<usize>(), census.devices);
    assert_eq!(all.iter().map(|d| d.rooms.len()).sum::<usize>(), census.memberships);
    assert_eq!(all.iter().map(|d| d.block_list.len()).sum::<usize>(), census.block_entries);
    assert_eq!(all.iter().map(|d| d.records.len()).sum::<usize>(), census.records);
    for d in &all {
        for r in &d.records {
            assert!(r.held || r.until == r.at.saturating_add(RECORD_LIFETIME), "an unheld record outlives 6 days");
            assert!(r.until <= server.clock().saturating_add(HOLD_LIFETIME), "a record kept past 90 days");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event kind decodes, and a hand-written sequence runs clean.
    #[test]
    fn a_written_sequence_passes_every_check() {
        let mut data = vec![0u8];
        let mut push = |kind: u8, a: u8, b: u8, time: u8| data.extend([kind, a, b, time]);
        push(0, 0, 0, 0); // register a0
        push(0, 1, 0, 0); // register a1
        push(1, 0, 0, 0); // a0 adds d0
        push(1, 1, 1, 0); // a1 adds d1
        push(3, 0, 0, 0); // a0 joins c0
        push(3, 1, 0, 0); // a1 joins c0
        push(8 + 17, 36, 14, 1); // d0 stores message 2 ("x") to c0, ttl 3600, one second later
        push(10, 0, 1, 1); // d1 fetches
        push(11, 0, 8, 1); // d1 acks message 2
        push(5, 1, 0, 2); // a1 blocks a0
        push(14, 0, 0, 6); // a0 terminates, six days later
        push(0, 0, 0, 0); // a0 registers again: refused
        let (_, events) = decode(&data);
        assert!(matches!(events[6].1, Op::Store(0, 2, 0, 3600, 1, 0)), "{:?}", events[6]);
        assert!(matches!(events[8].1, Op::Ack(1, 2)), "{:?}", events[8]);
        fuzz_retention(&data);
        let kinds: BTreeSet<String> = (0..=255u8)
            .flat_map(|k| [0u8, 1].map(|a| decode(&[0, k, a, 0, 0]).1[0].1))
            .map(|op| format!("{op:?}").split(['(', ' ']).next().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(kinds.len(), 16, "{kinds:?}");
    }

    /// Fixed pseudo-random inputs, as a quick stand-in for the fuzzer in `cargo test`.
    #[test]
    fn pseudo_random_inputs_pass_every_check() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for len in [0usize, 1, 3, 40, 200, 1025] {
            for _ in 0..20 {
                let data: Vec<u8> = (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        state.to_be_bytes()[0]
                    })
                    .collect();
                fuzz_retention(&data);
            }
        }
    }
}
