//! The session lifecycle network (spec/session.md sections 5 to 7), checked against the promises
//! of spec/system.md: SYS-010, SYS-014, SYS-015, SYS-016, SYS-017.
//!
//! The next-state function is `cinder::session::Network::handle`, called through the vector
//! generator's own scenario runner (`cinder_vectors::session::ScenarioRun`, which reads a
//! `session.scenario` event and hands it to the network), so a model path *is* a scenario and a
//! counterexample prints as one. The network holds keys in zeroizing storage and is not `Clone`:
//! a state is the log of its actions, and the network is rebuilt by replaying the log. States are
//! compared by a projection that decides their future: the network's public state (SES-080: every
//! status, used prekey, session ID, counter and window) and the ghost. Secrets are modelled by
//! their identity: a handshake's ephemeral secret is a function of how many handshakes came before
//! it, so a session — and every key of it — is a function of the public state's session ID, and
//! the ghost names message keys by their bytes only as the identities the reference computed.
//!
//! The setup is the session vectors' own (group `lifecycle`): alice's phone, bob's phone and bob's
//! tablet, which starts pending (alice's laptop and carol's desktop are in the setup but take no
//! part). Time is one instant: no rule of this part that the model exercises depends on it.

use core::fmt;
use core::hash::{Hash, Hasher};
use std::collections::BTreeMap;
use std::sync::Arc;

use cinder_vectors::session::ScenarioRun;
use serde_json::{Value, json};
use stateright::{Model, Property};

use crate::check::Scenario;

/// The time of every event (2026-01-01, inside every certificate's validity).
pub const T0: u64 = 1_767_225_600;
/// The receiving window (SES-043).
pub const WINDOW: u32 = 64;

/// The model's devices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dev {
    /// Alice's phone.
    A1,
    /// Bob's phone.
    B1,
    /// Bob's tablet: pending at the start, may be added later.
    B2,
}

impl Dev {
    /// The device ID.
    #[must_use]
    pub const fn id(self) -> &'static [u8] {
        match self {
            Self::A1 => b"alice-phone",
            Self::B1 => b"bob-phone",
            Self::B2 => b"bob-tablet",
        }
    }

    /// Its account.
    #[must_use]
    pub const fn owner(self) -> Acct {
        match self {
            Self::A1 => Acct::Alice,
            Self::B1 | Self::B2 => Acct::Bob,
        }
    }
}

/// The model's accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Acct {
    /// Alice.
    Alice,
    /// Bob.
    Bob,
}

impl Acct {
    /// The account ID.
    #[must_use]
    pub const fn id(self) -> &'static [u8] {
        match self {
            Self::Alice => b"alice",
            Self::Bob => b"bob",
        }
    }
}

/// One model action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Act {
    /// A handshake from the first device to the second, with the responder's next unused
    /// one-time prekey.
    Handshake(Dev, Dev),
    /// One message.
    Send(Dev, Dev),
    /// 65 messages as one step (its output is the last one's, index 64 of a new session).
    SendMany(Dev, Dev),
    /// The message of the `n`-th send of the log arrives at a device (again, if it arrived
    /// before; at another device than its recipient, if that is the device named).
    Deliver(usize, Dev),
    /// A pending device is added.
    AddDevice(Dev),
    /// A device is removed.
    RemoveDevice(Dev),
    /// An account's password is reset.
    PasswordReset(Acct),
    /// An account is terminated.
    Terminate(Acct),
}

/// A session bug of `cinder-broken-adapter --list-bugs` (conformance/broken/session.rs) that a
/// network without an attacker can reach, reproduced as the broken adapter does: the receiving
/// step's answer is what the buggy receiver would give.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Bug {
    /// `session-replayed-message-accepted`.
    ReplayedMessageAccepted,
    /// `session-skip-window-off-by-one`.
    SkipWindowOffByOne,
}

impl Bug {
    /// Every bug the model injects, in the broken adapter's order.
    pub const ALL: [Self; 2] = [Self::ReplayedMessageAccepted, Self::SkipWindowOffByOne];

    /// The broken adapter's name for the bug.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::ReplayedMessageAccepted => "session-replayed-message-accepted",
            Self::SkipWindowOffByOne => "session-skip-window-off-by-one",
        }
    }
}

/// A message as its sender's step gave it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Sent {
    /// Sender.
    pub from: Dev,
    /// Recipient.
    pub to: Dev,
    /// The header, hex (session ID and index).
    pub header: String,
    /// The message key, hex.
    pub key: String,
    /// Its index.
    pub index: u64,
    /// Its position in the log.
    pub at: usize,
}

/// The model's record of what it asked and saw.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Ghost {
    /// Handshakes accepted so far (the next one's ephemeral secret depends on it).
    pub handshakes: u8,
    /// One-time prekeys used, per responder.
    pub prekeys: BTreeMap<Dev, u32>,
    /// Messages sent, in order.
    pub sent: Vec<Sent>,
    /// Accepted deliveries: (device, header) with the key given.
    pub received: BTreeMap<(Dev, String), String>,
    /// Per (device, session ID): one more than the highest index accepted.
    pub next: BTreeMap<(Dev, String), u64>,
    /// When each device was added (a position in the log; initial members are not listed).
    pub added: BTreeMap<Dev, usize>,
    /// When each device was removed.
    pub removed: BTreeMap<Dev, usize>,
    /// When each account was terminated.
    pub terminated: BTreeMap<Acct, usize>,
    /// When each account's password was last reset.
    pub reset: BTreeMap<Acct, usize>,
    /// SYS-010: an event naming a terminated account or its device was accepted.
    pub terminated_took_part: bool,
    /// SYS-014: a removed device accepted a message, or an added one a message sent before.
    pub outsider_received: bool,
    /// SYS-015: a message key was handed out twice, or a delivery accepted twice.
    pub key_reused: bool,
    /// SYS-016: after a reset, an earlier message opened or its key still held.
    pub earlier_key_survives: bool,
    /// SYS-017: a message 64 or more ahead of the window was accepted.
    pub beyond_window: bool,
}

/// A model state: the log, the network's public state after it, and the ghost.
#[derive(Clone)]
pub struct SState {
    /// The actions so far.
    pub log: Vec<Act>,
    /// The network's public state (SES-080).
    pub public: Vec<u8>,
    /// The ghost.
    pub ghost: Ghost,
    /// The (device, peer) pairs with a session, as the network has them (derived from
    /// `public`).
    pub sessions: Vec<(Dev, Dev)>,
}

impl fmt::Debug for SState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} {:?}", self.log, self.ghost)
    }
}

impl PartialEq for SState {
    fn eq(&self, other: &Self) -> bool {
        (&self.public, &self.ghost) == (&other.public, &other.ghost)
    }
}

impl Eq for SState {}

impl Hash for SState {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.public.hash(state);
        self.ghost.hash(state);
    }
}

/// The session model.
#[derive(Clone, Debug)]
pub struct SessionModel {
    /// The setup: `accounts` and `devices` of a `session.scenario`.
    pub setup: Arc<Value>,
    /// The injected bug, if any.
    pub bug: Option<Bug>,
    /// The bound: at most this many actions.
    pub depth: usize,
}

/// The setup of the session vectors' `lifecycle` group (spec/session.md SES-081).
///
/// # Panics
/// If the built-in vector file has no such group (it is generated with the crate).
#[must_use]
pub fn lifecycle_setup() -> Value {
    let file = cinder_vectors::builtin::FILES.iter().find(|(name, _)| *name == "session").map(|(_, t)| *t);
    let file: Value = file.and_then(|t| serde_json::from_str(t).ok()).unwrap_or(Value::Null);
    let groups = file["testGroups"].as_array().cloned().unwrap_or_default();
    let group = groups.iter().find(|g| g["group"] == "lifecycle");
    let args = group.map(|g| g["tests"][0]["args"].clone()).unwrap_or(Value::Null);
    assert!(args["devices"].is_array(), "vectors/session.json has no lifecycle scenario");
    // Only the devices and accounts the model uses: alice's phone, bob's phone and tablet.
    let wanted = |id: &[u8]| [Dev::A1, Dev::B1, Dev::B2].iter().any(|d| d.id() == id);
    let devices: Vec<Value> = args["devices"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| {
            let cert = hex::decode(text(d, "certificate")).unwrap_or_default();
            cinder::session::Certificate::decode(&cert).is_ok_and(|c| wanted(c.device().as_bytes()))
        })
        .cloned()
        .collect();
    let accounts: Vec<Value> = args["accounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| [Acct::Alice, Acct::Bob].iter().any(|x| hex::encode(x.id()) == text(a, "account")))
        .cloned()
        .collect();
    assert_eq!(devices.len(), 3, "the lifecycle setup has alice-phone, bob-phone and bob-tablet");
    json!({ "accounts": accounts, "devices": devices })
}

fn text(value: &Value, name: &str) -> String {
    value.get(name).and_then(Value::as_str).unwrap_or_default().to_owned()
}

impl SessionModel {
    /// The model of the reference, to `depth` actions.
    #[must_use]
    pub fn new(depth: usize) -> Self {
        Self { setup: Arc::new(lifecycle_setup()), bug: None, depth }
    }

    /// The same model with a bug injected.
    #[must_use]
    pub fn with_bug(depth: usize, bug: Bug) -> Self {
        Self { bug: Some(bug), ..Self::new(depth) }
    }

    /// The event of `act` as a `session.scenario` event, given the ghost so far.
    fn event(ghost: &Ghost, act: Act) -> Value {
        let h = |d: Dev| hex::encode(d.id());
        match act {
            Act::Handshake(i, r) => {
                let used = ghost.prekeys.get(&r).copied().unwrap_or(0);
                let prekey = if used < 3 { json!(used + 1) } else { Value::Null };
                let ephemeral = [0x40 + ghost.handshakes; 32];
                json!({ "at": T0, "event": "handshake", "initiator": h(i), "responder": h(r),
                        "ephemeralSecret": hex::encode(ephemeral), "oneTimePrekey": prekey })
            }
            Act::Send(f, t) => json!({ "at": T0, "event": "send", "from": h(f), "to": h(t) }),
            Act::SendMany(f, t) => json!({ "at": T0, "event": "send_many", "from": h(f), "to": h(t), "count": 65 }),
            Act::Deliver(n, d) => {
                let header = ghost.sent.get(n).map(|s| s.header.clone()).unwrap_or_default();
                json!({ "at": T0, "event": "receive", "to": h(d), "header": header })
            }
            Act::AddDevice(d) => json!({ "at": T0, "event": "add_device", "device": h(d) }),
            Act::RemoveDevice(d) => json!({ "at": T0, "event": "remove_device", "device": h(d) }),
            Act::PasswordReset(a) => json!({ "at": T0, "event": "password_reset", "account": hex::encode(a.id()) }),
            Act::Terminate(a) => json!({ "at": T0, "event": "terminate", "account": hex::encode(a.id()) }),
        }
    }

    /// Replays `log`: the network, the events as given, and the ghost.
    fn replay(&self, log: &[Act]) -> (ScenarioRun, Vec<Value>, Ghost) {
        let Ok(mut run) = ScenarioRun::new(&self.setup) else { unreachable!("the vectors' setup makes a network") };
        let mut ghost = Ghost::default();
        let mut events = Vec::new();
        for (at, act) in log.iter().enumerate() {
            let event = Self::event(&ghost, *act);
            let Ok(mut step) = run.step(&event) else { unreachable!("the model's events are readable") };
            self.inject(&ghost, *act, &mut step);
            ghost.apply(*act, at, &step);
            ghost.check_reset(&run);
            events.push(event);
        }
        (run, events, ghost)
    }

    /// The injected bug's answer, where it differs from the reference's.
    fn inject(&self, ghost: &Ghost, act: Act, step: &mut Value) {
        let Act::Deliver(n, to) = act else { return };
        let Some(sent) = ghost.sent.get(n) else { return };
        let error = text(step, "error");
        let shown = match self.bug {
            // SES-043, SES-044 broken: the used key is kept, so the message is accepted again.
            Some(Bug::ReplayedMessageAccepted) if error == "session.replay" => ghost
                .received
                .get(&(to, sent.header.clone()))
                .map(|key| json!({ "index": sent.index, "messageKey": key })),
            // SES-045 broken: a message exactly 64 ahead is accepted.
            Some(Bug::SkipWindowOffByOne) if error == "session.too_far_ahead" && to == sent.to => {
                let sid = sent.header[..32].to_owned();
                let next = ghost.next.get(&(to, sid)).copied().unwrap_or(0);
                (sent.index == next + u64::from(WINDOW)).then(|| json!({ "index": sent.index, "messageKey": sent.key }))
            }
            _ => None,
        };
        if let Some(output) = shown {
            step["output"] = output;
            step["error"] = Value::Null;
        }
    }
}

impl Ghost {
    fn apply(&mut self, act: Act, at: usize, step: &Value) {
        let ok = step["error"].is_null();
        let output = &step["output"];
        let named: Vec<Acct> = match act {
            Act::Handshake(a, b) | Act::Send(a, b) | Act::SendMany(a, b) => vec![a.owner(), b.owner()],
            Act::Deliver(_, d) | Act::AddDevice(d) | Act::RemoveDevice(d) => vec![d.owner()],
            Act::PasswordReset(a) | Act::Terminate(a) => vec![a],
        };
        if ok && named.iter().any(|a| self.terminated.contains_key(a)) {
            self.terminated_took_part = true;
        }
        if !ok {
            return;
        }
        match act {
            Act::Handshake(_, r) => {
                self.handshakes = self.handshakes.saturating_add(1);
                let used = self.prekeys.entry(r).or_insert(0);
                *used = (*used + 1).min(3);
            }
            Act::Send(f, t) | Act::SendMany(f, t) => {
                let key = text(output, "messageKey");
                if self.sent.iter().any(|s| s.key == key) {
                    self.key_reused = true;
                }
                let index = output["index"].as_u64().unwrap_or(0);
                self.sent.push(Sent { from: f, to: t, header: text(output, "header"), key, index, at });
            }
            Act::Deliver(n, d) => {
                let Some(sent) = self.sent.get(n).cloned() else { return };
                if self.removed.contains_key(&d) || self.added.get(&d).is_some_and(|added| sent.at < *added) {
                    self.outsider_received = true;
                }
                let reset = [sent.from.owner(), sent.to.owner()]
                    .iter()
                    .any(|a| self.reset.get(a).is_some_and(|r| sent.at < *r));
                if reset {
                    self.earlier_key_survives = true;
                }
                let sid = sent.header.get(..32).unwrap_or_default().to_owned();
                let next = self.next.entry((d, sid)).or_insert(0);
                if sent.index >= *next + u64::from(WINDOW) {
                    self.beyond_window = true;
                }
                *next = (*next).max(sent.index + 1);
                if self.received.insert((d, sent.header.clone()), text(output, "messageKey")).is_some() {
                    self.key_reused = true;
                }
            }
            Act::AddDevice(d) => {
                self.added.insert(d, at);
            }
            Act::RemoveDevice(d) => {
                self.removed.insert(d, at);
            }
            Act::PasswordReset(a) => {
                self.reset.insert(a, at);
            }
            Act::Terminate(a) => {
                self.terminated.insert(a, at);
            }
        }
    }

    /// SYS-016: no key of a message sent before a reset of its sender's or recipient's account
    /// is still held anywhere.
    fn check_reset(&mut self, run: &ScenarioRun) {
        for sent in &self.sent {
            let reset =
                [sent.from.owner(), sent.to.owner()].iter().any(|a| self.reset.get(a).is_some_and(|r| sent.at < *r));
            let Ok(bytes) = hex::decode(&sent.key) else { continue };
            let Ok(key) = <[u8; 32]>::try_from(bytes.as_slice()) else { continue };
            if reset && run.network().holds_secret_for_testing_only(&key) {
                self.earlier_key_survives = true;
            }
        }
    }
}

/// The properties, by name (spec/system.md).
pub mod props {
    /// SYS-010.
    pub const TERMINATED_FOR_EVER: &str = "SYS-010 a terminated identifier never registers again";
    /// SYS-014.
    pub const NOTHING_TO_OUTSIDERS: &str =
        "SYS-014 a removed device receives nothing, an added one nothing sent before it was added";
    /// SYS-015.
    pub const KEYS_USED_ONCE: &str = "SYS-015 no message key is used twice";
    /// SYS-016.
    pub const RESET_FORGETS: &str = "SYS-016 a password reset leaves no key able to open earlier messages";
    /// SYS-017.
    pub const WINDOW_BOUNDED: &str = "SYS-017 a device keeps keys for at most 63 messages it has not received";
}

impl Model for SessionModel {
    type State = SState;
    type Action = Act;

    fn init_states(&self) -> Vec<SState> {
        let (run, _, ghost) = self.replay(&[]);
        vec![SState { log: Vec::new(), public: run.network().public_state(), ghost, sessions: sessions(&run) }]
    }

    fn actions(&self, state: &SState, actions: &mut Vec<Act>) {
        let g = &state.ghost;
        // A send without a session, or a handshake with the tablet while it is pending, is
        // refused and changes nothing (SES-061, SES-066): offered only once a lifecycle event
        // has touched one of the devices, where the refusal is what SYS-010 and SYS-014 check.
        let touched = |d: Dev| {
            g.removed.contains_key(&d) || g.terminated.contains_key(&d.owner()) || g.reset.contains_key(&d.owner())
        };
        let pending = |d: Dev| d == Dev::B2 && !g.added.contains_key(&d);
        for (i, r) in [(Dev::A1, Dev::B1), (Dev::A1, Dev::B2)] {
            if !pending(r) || touched(r) {
                actions.push(Act::Handshake(i, r));
            }
        }
        for (f, t) in [(Dev::A1, Dev::B1), (Dev::A1, Dev::B2), (Dev::B1, Dev::A1)] {
            if state.sessions.contains(&(f, t)) || touched(f) || touched(t) {
                actions.push(Act::Send(f, t));
                if (f, t) == (Dev::A1, Dev::B1) {
                    actions.push(Act::SendMany(f, t));
                }
            }
        }
        for (n, sent) in g.sent.iter().enumerate() {
            actions.push(Act::Deliver(n, sent.to));
            if sent.to == Dev::B1 {
                actions.push(Act::Deliver(n, Dev::B2));
            }
        }
        if !g.added.contains_key(&Dev::B2) {
            actions.push(Act::AddDevice(Dev::B2));
        }
        if !g.removed.contains_key(&Dev::B1) {
            actions.push(Act::RemoveDevice(Dev::B1));
        }
        if !g.reset.contains_key(&Acct::Alice) {
            actions.push(Act::PasswordReset(Acct::Alice));
        }
        if !g.terminated.contains_key(&Acct::Bob) {
            actions.push(Act::Terminate(Acct::Bob));
        }
    }

    fn next_state(&self, state: &SState, action: Act) -> Option<SState> {
        let mut log = state.log.clone();
        log.push(action);
        let (run, _, ghost) = self.replay(&log);
        Some(SState { log, public: run.network().public_state(), ghost, sessions: sessions(&run) })
    }

    fn within_boundary(&self, state: &SState) -> bool {
        state.log.len() <= self.depth
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always(props::TERMINATED_FOR_EVER, |_: &Self, s: &SState| !s.ghost.terminated_took_part),
            Property::always(props::NOTHING_TO_OUTSIDERS, |_: &Self, s: &SState| !s.ghost.outsider_received),
            Property::always(props::KEYS_USED_ONCE, |_: &Self, s: &SState| !s.ghost.key_reused),
            Property::always(props::RESET_FORGETS, |_: &Self, s: &SState| !s.ghost.earlier_key_survives),
            Property::always(props::WINDOW_BOUNDED, |_: &Self, s: &SState| !s.ghost.beyond_window),
            Property::sometimes("example: a message received after one was skipped", |_: &Self, s: &SState| {
                s.ghost.next.iter().any(|((d, sid), n)| {
                    let got = s.ghost.received.keys().filter(|(r, h)| r == d && h.starts_with(sid.as_str())).count();
                    *n >= 2 && u64::try_from(got).is_ok_and(|got| got < *n)
                })
            }),
            Property::sometimes("example: the added tablet receives a later message", |_: &Self, s: &SState| {
                s.ghost.received.keys().any(|(d, _)| *d == Dev::B2)
            }),
            Property::sometimes("example: a message received, then a reset", |_: &Self, s: &SState| {
                s.ghost.reset.contains_key(&Acct::Alice) && !s.ghost.received.is_empty()
            }),
        ]
    }
}

/// The (device, peer) pairs of the model's devices that have a session.
fn sessions(run: &ScenarioRun) -> Vec<(Dev, Dev)> {
    let all = [Dev::A1, Dev::B1, Dev::B2];
    let mut out = Vec::new();
    for d in all {
        for p in all {
            if d != p && run.network().session(d.id(), p.id()).is_some() {
                out.push((d, p));
            }
        }
    }
    out
}

impl Scenario for SessionModel {
    const PART: &'static str = "session";

    fn scenario_args(&self, _init: &SState, actions: &[Act]) -> Value {
        let (_, events, _) = self.replay(actions);
        json!({ "accounts": self.setup["accounts"], "devices": self.setup["devices"], "events": events })
    }

    fn expected(&self, args: &Value) -> Value {
        match cinder_vectors::session::scenario(args) {
            Ok(expected) => expected,
            Err(e) => json!({ "unreadable": format!("{e:?}") }),
        }
    }
}
