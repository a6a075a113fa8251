//! The session network against a separately written model (proptest-state-machine), and one
//! property per invariant of spec/session.md section 9, each named after its requirement.
//!
//! The model is written from the chapter's rules, not from `reference/src/session/*.rs`: it knows
//! no keys, only who holds which session, the counters and windows of each end, the statuses, and
//! the used one-time prekeys; it predicts every step's output or error code. The system under test
//! is a real [`Network`], driven through its public events, and its keys are compared end to end.

use std::collections::{BTreeMap, BTreeSet};

use cinder::primitives;
use cinder::session::{
    AccountSetup, AccountStatus, Certificate, DeviceSetup, DeviceStatus, Event, Id, MAX_MESSAGES, MAX_SKIPPED, Network,
    Output, REKEY_AFTER, Role, SessionHeader, SignedPrekey, SigningSecret, WINDOW, X25519Secret,
};
use cinder::testing::ReplayRng;
use proptest::prelude::*;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

const T0: u64 = 1_767_225_600;
const CERT_UNTIL: u64 = T0 + 365 * 86_400;
const SPK_UNTIL: u64 = T0 + 30 * 86_400;
const DEVICES: [&[u8]; 4] = [b"alice-phone", b"bob-phone", b"bob-tablet", b"carol-desktop"];
const ACCOUNT_OF: [usize; 4] = [0, 1, 1, 2];
const ACCOUNTS: [&[u8]; 3] = [b"alice", b"bob", b"carol"];
const START_MEMBER: [bool; 4] = [true, true, false, true];
const OPKS: [u32; 3] = [1, 2, 3];

#[derive(Clone, Debug)]
enum Ev {
    Handshake { i: usize, r: usize, opk: Option<u32> },
    Send { f: usize, t: usize },
    SendMany { f: usize, t: usize, count: u32 },
    Receive { pick: usize, shift: i64 },
    Forged { pick: usize },
    Add(usize),
    Remove(usize),
    Reset(usize),
    Terminate(usize),
}

#[derive(Clone, Debug)]
struct Step {
    delta: u64,
    ev: Ev,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum St {
    Pending,
    Member,
    Removed,
    Terminated,
}

/// One end of a session, as the chapter describes its public state.
#[derive(Clone, Debug)]
struct End {
    number: usize,
    initiator: bool,
    established: u64,
    sent: u32,
    next: u32,
    received: BTreeSet<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Out {
    Handshake { number: usize, replaced: bool },
    Sent { number: usize, index: u32 },
    Received { number: usize, index: u32 },
    Closed(usize),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Expect {
    Ok(Out),
    Refused(&'static str),
    /// The envelope chapter refuses (the session was found and the index is in the window).
    EnvelopeRefused,
}

/// A message that was sent: to whom, from whom, in which session (by model number), which index.
#[derive(Clone, Copy, Debug)]
struct Sent {
    to: usize,
    from: usize,
    number: usize,
    index: u32,
}

#[derive(Clone, Debug)]
struct Model {
    now: u64,
    terminated: [bool; 3],
    status: [St; 4],
    used: [BTreeSet<u32>; 4],
    ends: BTreeMap<(usize, usize), End>,
    sessions: usize,
    pool: Vec<Sent>,
    expect: Expect,
}

impl Model {
    /// SES-066.
    fn check(&self, d: usize) -> Result<(), &'static str> {
        if self.terminated[ACCOUNT_OF[d]] || self.status[d] == St::Terminated {
            return Err("session.terminated");
        }
        if self.status[d] != St::Member {
            return Err("session.revoked");
        }
        Ok(())
    }

    fn close_where(&mut self, closes: impl Fn(usize) -> bool) -> usize {
        let before = self.ends.len();
        self.ends.retain(|(d, p), _| !closes(*d) && !closes(*p));
        before - self.ends.len()
    }

    fn handshake(&mut self, i: usize, r: usize, opk: Option<u32>) -> Result<Out, &'static str> {
        self.check(i)?;
        self.check(r)?;
        if i == r {
            return Err("session.wrong_device");
        }
        // SES-025 step 2: the signed prekey must be in force (certificates outlast every run).
        if self.now >= SPK_UNTIL {
            return Err("session.expired");
        }
        if opk.is_some_and(|o| self.used[r].contains(&o)) {
            return Err("session.prekey_reused");
        }
        let replaced = self.ends.contains_key(&(i, r)) || self.ends.contains_key(&(r, i));
        let number = self.sessions;
        self.sessions += 1;
        let end =
            |initiator| End { number, initiator, established: self.now, sent: 0, next: 0, received: BTreeSet::new() };
        let (a, b) = (end(true), end(false));
        self.ends.insert((i, r), a);
        self.ends.insert((r, i), b);
        if let Some(o) = opk {
            self.used[r].insert(o);
        }
        Ok(Out::Handshake { number, replaced })
    }

    fn send(&mut self, f: usize, t: usize) -> Result<Out, &'static str> {
        self.check(f)?;
        self.check(t)?;
        let now = self.now;
        let end = self.ends.get_mut(&(f, t)).ok_or("session.closed")?;
        if now >= end.established.saturating_add(REKEY_AFTER) || end.sent >= MAX_MESSAGES {
            return Err("session.rekey_required");
        }
        let index = end.sent;
        end.sent += 1;
        let number = end.number;
        self.pool.push(Sent { to: t, from: f, number, index });
        Ok(Out::Sent { number, index })
    }

    /// SES-043 on the end of `sent.to` named by the message, at `index`; commits when `commit`.
    fn receive(&mut self, sent: Sent, index: u32, commit: bool) -> Result<Out, &'static str> {
        self.check(sent.to)?;
        let end =
            self.ends.get_mut(&(sent.to, sent.from)).filter(|e| e.number == sent.number).ok_or("session.closed")?;
        if index >= MAX_MESSAGES || (index >= end.next && index - end.next >= WINDOW) {
            return Err("session.too_far_ahead");
        }
        if index < end.next {
            if end.next - index > WINDOW {
                return Err("session.too_old");
            }
            if end.received.contains(&index) {
                return Err("session.replay");
            }
        }
        if commit {
            end.received.insert(index);
            end.next = end.next.max(index + 1);
            let floor = end.next.saturating_sub(WINDOW);
            end.received.retain(|i| *i >= floor);
        }
        Ok(Out::Received { number: sent.number, index })
    }

    fn apply_event(&mut self, ev: &Ev) -> Expect {
        let result = match ev {
            Ev::Handshake { i, r, opk } => self.handshake(*i, *r, *opk),
            Ev::Send { f, t } => self.send(*f, *t),
            Ev::SendMany { f, t, count } => {
                let mut last = self.send(*f, *t);
                for _ in 1..*count {
                    if last.is_err() {
                        break;
                    }
                    last = self.send(*f, *t);
                }
                last
            }
            Ev::Receive { pick, shift } => {
                let sent = self.pool[pick % self.pool.len()];
                let index = u32::try_from(i64::from(sent.index).saturating_add(*shift).max(0)).unwrap_or(u32::MAX);
                self.receive(sent, index, true)
            }
            Ev::Forged { pick } => {
                let sent = self.pool[pick % self.pool.len()];
                return match self.receive(sent, sent.index, false) {
                    Ok(_) => Expect::EnvelopeRefused,
                    Err(code) => Expect::Refused(code),
                };
            }
            Ev::Add(d) => {
                let d = *d;
                if self.terminated[ACCOUNT_OF[d]] || self.status[d] == St::Terminated {
                    Err("session.terminated")
                } else if self.status[d] == St::Removed {
                    Err("session.revoked")
                } else {
                    self.status[d] = St::Member;
                    Ok(Out::Closed(0))
                }
            }
            Ev::Remove(d) => {
                let d = *d;
                if self.terminated[ACCOUNT_OF[d]] || self.status[d] == St::Terminated {
                    Err("session.terminated")
                } else if self.status[d] == St::Removed {
                    Err("session.revoked")
                } else {
                    self.status[d] = St::Removed;
                    self.used[d].clear();
                    Ok(Out::Closed(self.close_where(|x| x == d)))
                }
            }
            Ev::Reset(a) => {
                let a = *a;
                if self.terminated[a] {
                    Err("session.terminated")
                } else {
                    Ok(Out::Closed(self.close_where(|x| ACCOUNT_OF[x] == a)))
                }
            }
            Ev::Terminate(a) => {
                let a = *a;
                if self.terminated[a] {
                    Err("session.terminated")
                } else {
                    self.terminated[a] = true;
                    for d in (0..4).filter(|d| ACCOUNT_OF[*d] == a) {
                        self.status[d] = St::Terminated;
                        self.used[d].clear();
                    }
                    Ok(Out::Closed(self.close_where(|x| ACCOUNT_OF[x] == a)))
                }
            }
        };
        match result {
            Ok(out) => Expect::Ok(out),
            Err(code) => Expect::Refused(code),
        }
    }
}

struct SessionModel;

impl ReferenceStateMachine for SessionModel {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        Just(Model {
            now: T0,
            terminated: [false; 3],
            status: START_MEMBER.map(|m| if m { St::Member } else { St::Pending }),
            used: Default::default(),
            ends: BTreeMap::new(),
            sessions: 0,
            pool: Vec::new(),
            expect: Expect::Ok(Out::Closed(0)),
        })
        .boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Step> {
        let device = 0usize..4;
        let opk = prop_oneof![Just(None), proptest::sample::select(OPKS.to_vec()).prop_map(Some)];
        let shift = prop_oneof![
            4 => Just(0i64),
            1 => Just(-1i64),
            1 => Just(1i64),
            1 => Just(-i64::from(WINDOW)),
            1 => Just(-i64::from(WINDOW) - 1),
            1 => Just(i64::from(WINDOW) - 1),
            1 => Just(i64::from(WINDOW)),
            1 => Just(i64::from(MAX_MESSAGES)),
        ];
        let mut events = vec![
            (4, (device.clone(), device.clone(), opk).prop_map(|(i, r, opk)| Ev::Handshake { i, r, opk }).boxed()),
            (6, (device.clone(), device.clone()).prop_map(|(f, t)| Ev::Send { f, t }).boxed()),
            (
                3,
                (device.clone(), device.clone(), 1u32..150)
                    .prop_map(|(f, t, count)| Ev::SendMany { f, t, count })
                    .boxed(),
            ),
            (1, device.clone().prop_map(Ev::Add).boxed()),
            (1, device.clone().prop_map(Ev::Remove).boxed()),
            (1, (0usize..3).prop_map(Ev::Reset).boxed()),
            (1, (0usize..3).prop_map(Ev::Terminate).boxed()),
        ];
        if !state.pool.is_empty() {
            events.push((8, (any::<usize>(), shift).prop_map(|(pick, shift)| Ev::Receive { pick, shift }).boxed()));
            // The latest message: the window moves forward, and keys leave it (SES-045).
            let last = state.pool.len() - 1;
            events.push((4, Just(Ev::Receive { pick: last, shift: 0 }).boxed()));
            events.push((2, any::<usize>().prop_map(|pick| Ev::Forged { pick }).boxed()));
        }
        let delta = prop_oneof![
            6 => Just(0u64),
            3 => Just(1u64),
            2 => Just(3_600u64),
            1 => Just(86_400u64),
            1 => Just(REKEY_AFTER),
        ];
        (delta, proptest::strategy::Union::new_weighted(events)).prop_map(|(delta, ev)| Step { delta, ev }).boxed()
    }

    fn preconditions(state: &Model, step: &Step) -> bool {
        !matches!(step.ev, Ev::Receive { .. } | Ev::Forged { .. }) || !state.pool.is_empty()
    }

    fn apply(mut state: Model, step: &Step) -> Model {
        state.now += step.delta;
        state.expect = state.apply_event(&step.ev);
        state
    }
}

// ------------------------------------------------------------------------------------------------
// The system under test.
// ------------------------------------------------------------------------------------------------

fn seed(label: &[u8], n: u8) -> [u8; 32] {
    primitives::sha256(&[label, &[n]])
}

fn network() -> Network {
    let accounts: Vec<AccountSetup> = ACCOUNTS
        .iter()
        .map(|a| AccountSetup {
            account: Id::new(a).expect("short"),
            root_key: SigningSecret::from_bytes(seed(a, 0)).public_key(),
        })
        .collect();
    let devices = (0..4)
        .map(|d| {
            let (account, device) = (Id::new(ACCOUNTS[ACCOUNT_OF[d]]).expect("id"), Id::new(DEVICES[d]).expect("id"));
            let root = SigningSecret::from_bytes(seed(ACCOUNTS[ACCOUNT_OF[d]], 0));
            let signing = SigningSecret::from_bytes(seed(DEVICES[d], 1));
            let identity = X25519Secret::from_bytes(seed(DEVICES[d], 2));
            let spk = X25519Secret::from_bytes(seed(DEVICES[d], 3));
            DeviceSetup {
                certificate: Certificate::issue(
                    &root,
                    &account,
                    &device,
                    identity.public_key(),
                    signing.public_key(),
                    T0 - 1,
                    CERT_UNTIL,
                ),
                signed_prekey: SignedPrekey::sign(&signing, &account, &device, 1, spk.public_key(), SPK_UNTIL),
                identity_secret: identity,
                signed_prekey_secret: spk,
                one_time_prekeys: OPKS
                    .iter()
                    .map(|n| (*n, X25519Secret::from_bytes(seed(DEVICES[d], 10 + u8::try_from(*n).expect("small")))))
                    .collect(),
                member: START_MEMBER[d],
            }
        })
        .collect();
    Network::new(&accounts, devices).expect("valid setup")
}

struct Sut {
    net: Network,
    now: u64,
    handshakes: u8,
    /// Session IDs by model number.
    sids: Vec<[u8; 16]>,
    /// Keys handed out by sends: (number, sending device, index) -> key.
    sent: BTreeMap<(usize, usize, u32), [u8; 32]>,
    /// Keys handed out by sends, with the sending and receiving device.
    sender_keys: Vec<(usize, usize, [u8; 32])>,
    /// Keys committed by receives.
    committed: Vec<[u8; 32]>,
    /// How often each (number, sending device, index) was accepted.
    accepted: BTreeMap<(usize, usize, u32), u32>,
    /// Receives whose key differs from the sender's.
    disagreements: Vec<String>,
    /// Checkpoints around the last step, and whether it was a refusal that must change nothing.
    before: [u8; 32],
    after: [u8; 32],
    refused_atomic: bool,
    /// Device and account statuses seen so far.
    device_history: Vec<[Option<DeviceStatus>; 4]>,
    account_history: Vec<[Option<AccountStatus>; 3]>,
}

fn header(sid: [u8; 16], index: u32) -> [u8; 20] {
    SessionHeader { session_id: sid, index }.to_bytes()
}

struct SessionTest;

impl StateMachineTest for SessionTest {
    type SystemUnderTest = Sut;
    type Reference = SessionModel;

    fn init_test(_: &Model) -> Sut {
        let net = network();
        let checkpoint = net.checkpoint();
        Sut {
            net,
            now: T0,
            handshakes: 0,
            sids: Vec::new(),
            sent: BTreeMap::new(),
            sender_keys: Vec::new(),
            committed: Vec::new(),
            accepted: BTreeMap::new(),
            disagreements: Vec::new(),
            before: checkpoint,
            after: checkpoint,
            refused_atomic: false,
            device_history: Vec::new(),
            account_history: Vec::new(),
        }
    }

    fn apply(mut sut: Sut, model: &Model, step: Step) -> Sut {
        sut.now += step.delta;
        assert_eq!(sut.now, model.now);
        sut.before = sut.net.checkpoint();
        let now = sut.now;
        let ephemeral = primitives::sha256(&[b"ephemeral", &[sut.handshakes]]);
        let forged_envelope = [0u8; 8];
        let result: Result<Output, &'static str> = match &step.ev {
            Ev::Handshake { i, r, opk } => {
                sut.handshakes = sut.handshakes.wrapping_add(1);
                let ev = Event::Handshake { initiator: DEVICES[*i], responder: DEVICES[*r], one_time_prekey: *opk };
                sut.net.handle(ev, now, &mut ReplayRng::new(&ephemeral)).map_err(|e| e.code())
            }
            Ev::Send { f, t } => {
                let ev = Event::Send { from: DEVICES[*f], to: DEVICES[*t] };
                sut.net.handle(ev, now, &mut ReplayRng::new(&[])).map_err(|e| e.code())
            }
            Ev::SendMany { f, t, count } => {
                // One send at a time, so that every key is seen; the step is refused at the first refusal.
                let mut last = Err("no send");
                for _ in 0..*count {
                    let ev = Event::Send { from: DEVICES[*f], to: DEVICES[*t] };
                    last = sut.net.handle(ev, now, &mut ReplayRng::new(&[])).map_err(|e| e.code());
                    match &last {
                        Ok(Output::Sent { header, message_key }) => {
                            let number = sut.sids.iter().position(|s| *s == header.session_id).expect("known session");
                            sut.sent.insert((number, *f, header.index), *message_key.as_bytes());
                            sut.sender_keys.push((*f, *t, *message_key.as_bytes()));
                        }
                        _ => break,
                    }
                }
                last
            }
            Ev::Receive { pick, shift } => {
                let sent = model.pool[pick % model.pool.len()];
                let index = u32::try_from(i64::from(sent.index).saturating_add(*shift).max(0)).unwrap_or(u32::MAX);
                let bytes = header(sut.sids[sent.number], index);
                let ev = Event::Receive { to: DEVICES[sent.to], header: &bytes };
                sut.net.handle(ev, now, &mut ReplayRng::new(&[])).map_err(|e| e.code())
            }
            Ev::Forged { pick } => {
                let sent = model.pool[pick % model.pool.len()];
                let bytes = header(sut.sids[sent.number], sent.index);
                let ev = Event::Open { to: DEVICES[sent.to], header: &bytes, envelope: &forged_envelope };
                sut.net.handle(ev, now, &mut ReplayRng::new(&[])).map_err(|e| e.code())
            }
            Ev::Add(d) => {
                sut.net.handle(Event::AddDevice(DEVICES[*d]), now, &mut ReplayRng::new(&[])).map_err(|e| e.code())
            }
            Ev::Remove(d) => {
                sut.net.handle(Event::RemoveDevice(DEVICES[*d]), now, &mut ReplayRng::new(&[])).map_err(|e| e.code())
            }
            Ev::Reset(a) => {
                sut.net.handle(Event::PasswordReset(ACCOUNTS[*a]), now, &mut ReplayRng::new(&[])).map_err(|e| e.code())
            }
            Ev::Terminate(a) => {
                sut.net.handle(Event::Terminate(ACCOUNTS[*a]), now, &mut ReplayRng::new(&[])).map_err(|e| e.code())
            }
        };
        sut.after = sut.net.checkpoint();
        sut.refused_atomic = result.is_err() && !matches!(step.ev, Ev::SendMany { .. });

        match (&model.expect, result) {
            (
                Expect::Ok(Out::Handshake { number, replaced }),
                Ok(Output::Handshake { session_id, replaced: got, .. }),
            ) => {
                assert_eq!(*number, sut.sids.len(), "session numbering");
                assert_eq!(*replaced, got, "replaced, {step:?}");
                sut.sids.push(session_id);
            }
            (Expect::Ok(Out::Sent { number, index }), Ok(Output::Sent { header, message_key })) => {
                assert_eq!((header.session_id, header.index), (sut.sids[*number], *index), "{step:?}");
                if let Ev::Send { f, t } | Ev::SendMany { f, t, .. } = step.ev {
                    sut.sent.insert((*number, f, *index), *message_key.as_bytes());
                    if matches!(step.ev, Ev::Send { .. }) {
                        sut.sender_keys.push((f, t, *message_key.as_bytes()));
                    }
                }
            }
            (Expect::Ok(Out::Received { number, index }), Ok(Output::Received { index: got, message_key })) => {
                assert_eq!(*index, got, "{step:?}");
                let key = *message_key.as_bytes();
                let from = match step.ev {
                    Ev::Receive { pick, .. } => model.pool[pick % model.pool.len()].from,
                    _ => unreachable!("only a receive is received"),
                };
                if sut.sent.get(&(*number, from, *index)).is_some_and(|sent| *sent != key) {
                    sut.disagreements.push(format!("session {number} index {index}"));
                }
                sut.committed.push(key);
                *sut.accepted.entry((*number, from, *index)).or_default() += 1;
            }
            (Expect::Ok(Out::Closed(n)), Ok(Output::Closed { count })) => assert_eq!(*n, count, "{step:?}"),
            (Expect::Refused(code), Err(got)) => assert_eq!(*code, got, "{step:?}"),
            (Expect::EnvelopeRefused, Err(got)) => assert!(got.starts_with("envelope."), "{step:?}: {got}"),
            (want, got) => panic!("{step:?}: the model expects {want:?}, the network gives {got:?}"),
        }

        // Statuses and every session end's public state (SES-060, SES-080).
        for d in 0..4 {
            let want = match (model.terminated[ACCOUNT_OF[d]], model.status[d]) {
                (true, _) | (_, St::Terminated) => DeviceStatus::Terminated,
                (false, St::Pending) => DeviceStatus::Pending,
                (false, St::Member) => DeviceStatus::Member,
                (false, St::Removed) => DeviceStatus::Removed,
            };
            assert_eq!(sut.net.device_status(DEVICES[d]), Some(want), "device {d} after {step:?}");
            let count = model.ends.keys().filter(|(x, _)| *x == d).count();
            assert_eq!(sut.net.sessions_of(DEVICES[d]).len(), count, "sessions of device {d} after {step:?}");
        }
        for ((d, p), end) in &model.ends {
            let state = sut.net.session(DEVICES[*d], DEVICES[*p]).expect("a session end the model has").state();
            let received = end
                .received
                .iter()
                .filter(|i| **i < end.next && end.next - 1 - **i < 64)
                .fold(0u64, |bits, i| bits | 1 << (end.next - 1 - *i));
            assert_eq!(state.session_id, sut.sids[end.number]);
            assert_eq!(state.role, if end.initiator { Role::Initiator } else { Role::Responder });
            assert_eq!(
                (state.established_at, state.sent, state.next, state.received),
                (end.established, end.sent, end.next, received),
                "end ({d}, {p}) after {step:?}"
            );
        }
        sut.device_history.push(core::array::from_fn(|d| sut.net.device_status(DEVICES[d])));
        sut.account_history.push(core::array::from_fn(|a| sut.net.account_status(ACCOUNTS[a])));
        sut
    }

    fn check_invariants(sut: &Sut, _: &Model) {
        forward_secrecy(sut);
        no_replay(sut);
        bounded_window(sut);
        refusals_change_nothing(sut);
        sessions_in_pairs(sut);
        final_states_stay(sut);
        both_ends_agree(sut);
    }
}

/// SES-042, SES-044: a key committed by a receive is held by no session; a key handed out by a
/// send is no longer held by the sending session.
fn forward_secrecy(sut: &Sut) {
    for key in &sut.committed {
        assert!(!sut.net.holds_secret_for_testing_only(key), "SES-044: a committed key is still held");
    }
    for (f, t, key) in &sut.sender_keys {
        if let Some(session) = sut.net.session(DEVICES[*f], DEVICES[*t]) {
            assert!(!session.holds_secret_for_testing_only(key), "SES-042: a sent key is still held by its sender");
        }
    }
}

/// SES-043: no index is accepted twice.
fn no_replay(sut: &Sut) {
    if let Some(((number, from, index), n)) = sut.accepted.iter().find(|(_, n)| **n > 1) {
        panic!("SES-043: session {number} index {index} from device {from} accepted {n} times");
    }
}

/// SES-043, SES-045: at most 63 skipped keys, each inside the window and not received.
fn bounded_window(sut: &Sut) {
    for d in DEVICES {
        for p in DEVICES {
            let Some(session) = sut.net.session(d, p) else { continue };
            let state = session.state();
            let skipped: Vec<u32> = session.skipped_indices().collect();
            assert!(skipped.len() <= MAX_SKIPPED, "SES-045: {} skipped keys", skipped.len());
            for i in skipped {
                assert!(i < state.next && state.next - i <= WINDOW, "SES-045: skipped key {i} outside the window");
                assert_eq!(state.received & (1 << (state.next - 1 - i)), 0, "SES-045: key kept for received index {i}");
            }
        }
    }
}

/// SES-027, SES-044: a refused step (other than send_many) leaves the public state unchanged.
fn refusals_change_nothing(sut: &Sut) {
    if sut.refused_atomic {
        assert_eq!(sut.before, sut.after, "SES-027/SES-044: a refused step changed the state");
    }
}

/// SES-030: sessions exist in pairs: each end's peer holds the other end, same ID, other role.
fn sessions_in_pairs(sut: &Sut) {
    for d in DEVICES {
        for p in DEVICES {
            let Some(end) = sut.net.session(d, p) else { continue };
            let other = sut.net.session(p, d).expect("SES-030: the peer holds the other end");
            assert_eq!(end.id(), other.id(), "SES-030: the two ends have different IDs");
            assert_ne!(end.state().role, other.state().role, "SES-030: both ends have the same role");
        }
    }
}

/// SES-062, SES-064: removed and terminated are final.
fn final_states_stay(sut: &Sut) {
    for pair in sut.device_history.windows(2) {
        for (d, (before, after)) in pair[0].iter().zip(&pair[1]).enumerate() {
            if matches!(before, Some(DeviceStatus::Removed | DeviceStatus::Terminated)) {
                assert!(
                    after == before || *after == Some(DeviceStatus::Terminated),
                    "SES-062/SES-064: device {d} left {before:?}"
                );
            }
        }
    }
    for pair in sut.account_history.windows(2) {
        for (a, (before, after)) in pair[0].iter().zip(&pair[1]).enumerate() {
            if *before == Some(AccountStatus::Terminated) {
                assert_eq!(*after, Some(AccountStatus::Terminated), "SES-064: account {a} came back");
            }
        }
    }
}

/// SES-040: the key a receiver commits is the key the sender handed out for that index.
fn both_ends_agree(sut: &Sut) {
    assert!(sut.disagreements.is_empty(), "SES-040: the ends disagree on {:?}", sut.disagreements);
}

prop_state_machine! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// SES-060, SES-066, SES-081: the network matches the model step by step (outputs, errors,
    /// statuses, every end's public state), and every invariant of section 9 holds after every step.
    #[test]
    fn network_matches_the_model(sequential 1..40 => SessionTest);
}

/// Runs the model's steps on a fresh network and checks `invariant` after every step.
fn run(initial: &Model, steps: &[Step], invariant: fn(&Sut)) {
    let mut model = initial.clone();
    let mut sut = <SessionTest as StateMachineTest>::init_test(&model);
    for step in steps {
        if !SessionModel::preconditions(&model, step) {
            continue;
        }
        model = SessionModel::apply(model, step);
        sut = <SessionTest as StateMachineTest>::apply(sut, &model, step.clone());
        invariant(&sut);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// SES-042, SES-044 (forward secrecy): a used key is gone from the state.
    #[test]
    fn ses_042_044_used_keys_are_gone_from_the_state((m, s) in SessionModel::sequential_strategy(1..32).prop_map(|(m, s, _)| (m, s))) {
        run(&m, &s, forward_secrecy);
    }

    /// SES-043 (no replay): no index is accepted twice.
    #[test]
    fn ses_043_no_replay_is_accepted((m, s) in SessionModel::sequential_strategy(1..32).prop_map(|(m, s, _)| (m, s))) {
        run(&m, &s, no_replay);
    }

    /// SES-045 (bounded window): at most 63 skipped keys, all inside the window.
    #[test]
    fn ses_045_window_is_bounded((m, s) in SessionModel::sequential_strategy(1..32).prop_map(|(m, s, _)| (m, s))) {
        run(&m, &s, bounded_window);
    }

    /// SES-027, SES-044: refusals change nothing.
    #[test]
    fn ses_027_044_refusals_change_nothing((m, s) in SessionModel::sequential_strategy(1..32).prop_map(|(m, s, _)| (m, s))) {
        run(&m, &s, refusals_change_nothing);
    }

    /// SES-030: one session per pair of devices, held at both ends.
    #[test]
    fn ses_030_sessions_exist_in_pairs((m, s) in SessionModel::sequential_strategy(1..32).prop_map(|(m, s, _)| (m, s))) {
        run(&m, &s, sessions_in_pairs);
    }

    /// SES-062, SES-064: removed devices and terminated accounts stay so.
    #[test]
    fn ses_062_064_removed_and_terminated_are_final((m, s) in SessionModel::sequential_strategy(1..32).prop_map(|(m, s, _)| (m, s))) {
        run(&m, &s, final_states_stay);
    }

    /// SES-040: both ends compute the same key for every index.
    #[test]
    fn ses_040_both_ends_agree((m, s) in SessionModel::sequential_strategy(1..32).prop_map(|(m, s, _)| (m, s))) {
        run(&m, &s, both_ends_agree);
    }
}
