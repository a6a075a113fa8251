//! Properties of the retention server (spec/retention.md), one per invariant of section 10, each
//! naming its requirements; a state-machine test (proptest-state-machine) that runs the reference
//! and an independent model (`retention_support/model.rs`) side by side and compares every step;
//! and worked examples for the rules the properties cannot state alone.

use std::collections::{BTreeMap, BTreeSet};

use cinder::retention::{
    AccountId, CONSUMER_CAP, Config, ENTERPRISE_CAP, Event, HOLD_LIFETIME, MAX_TTL, MessageId, Output, Platform,
    Profile, PurgeReason, RECORD_LIFETIME, Reply, RetentionError, RouteId, Server, SettingChange, Step, Store,
};
use proptest::prelude::*;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

#[path = "retention_support/model.rs"]
mod model;

use model::Model;

const T0: u64 = 1_767_225_600;
const ACCOUNTS: [AccountId; 4] =
    [AccountId([0xa0; 32]), AccountId([0xb1; 32]), AccountId([0xc2; 32]), AccountId([0xd3; 32])];
/// d0..d5 belong to nobody until added; `""` is out of bounds (RET-004).
const DEVICES: [&[u8]; 7] = [b"d0", b"d1", b"d2", b"d3", b"d4", b"d5", b""];
const ROOMS: [&[u8]; 3] = [b"c0", b"c1", b""];

fn mid(n: u8) -> MessageId {
    [n; 16]
}

/// An owned event, for strategies.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ev {
    Register(usize),
    AddDevice(usize, usize, Platform),
    RemoveDevice(usize, usize),
    Join(usize, usize),
    Leave(usize, usize),
    Block(usize, usize),
    Unblock(usize, usize),
    Setting(usize, SettingChange),
    Store { device: usize, message: u8, room: usize, sent_back: u64, ttl: u32, len: usize },
    Fetch(usize),
    Ack(usize, u8),
    Recall(usize, u8),
    Terminate(usize),
    Hold(usize),
    Disclose(usize),
    Tick,
}

/// Ciphertexts: `len` bytes of `message`, so that a fetch shows which store it came from.
fn body(message: u8, len: usize) -> Vec<u8> {
    vec![message; len]
}

impl Ev {
    /// Runs `f` on the reference's event for this owned one at time `now`.
    fn with<R>(&self, now: u64, f: impl FnOnce(&Event<'_>) -> R) -> R {
        let a = |i: usize| ACCOUNTS[i];
        match *self {
            Self::Register(i) => f(&Event::Register { account: a(i) }),
            Self::AddDevice(i, d, platform) => f(&Event::AddDevice { account: a(i), device: DEVICES[d], platform }),
            Self::RemoveDevice(i, d) => f(&Event::RemoveDevice { account: a(i), device: DEVICES[d] }),
            Self::Join(i, r) => f(&Event::Join { account: a(i), conversation: ROOMS[r] }),
            Self::Leave(i, r) => f(&Event::Leave { account: a(i), conversation: ROOMS[r] }),
            Self::Block(i, j) => f(&Event::Block { account: a(i), blocked: a(j) }),
            Self::Unblock(i, j) => f(&Event::Unblock { account: a(i), blocked: a(j) }),
            Self::Setting(i, change) => f(&Event::ChangeSetting { account: a(i), change }),
            Self::Store { device, message, room, sent_back, ttl, len } => {
                let ciphertext = body(message, len);
                f(&Event::Store(Store {
                    device: DEVICES[device],
                    message_id: mid(message),
                    conversation: ROOMS[room],
                    sent_at: now.saturating_sub(sent_back),
                    ttl,
                    ciphertext: &ciphertext,
                }))
            }
            Self::Fetch(d) => f(&Event::Fetch { device: DEVICES[d] }),
            Self::Ack(d, m) => f(&Event::Ack { device: DEVICES[d], message_id: mid(m) }),
            Self::Recall(d, m) => f(&Event::Recall { device: DEVICES[d], message_id: mid(m) }),
            Self::Terminate(i) => f(&Event::Terminate { account: a(i) }),
            Self::Hold(i) => f(&Event::Hold { account: a(i) }),
            Self::Disclose(i) => f(&Event::Disclose { account: a(i) }),
            Self::Tick => f(&Event::Tick),
        }
    }
}

/// Four accounts with one device each (a0 has two), all in c0, a0 and a1 also in c1: so that
/// short random sequences reach deliveries, blocks and purges.
fn setup() -> Vec<Ev> {
    let mut v: Vec<Ev> = (0..4).map(Ev::Register).collect();
    v.extend((0..4).map(|i| Ev::AddDevice(i, i, Platform::ALL[i])));
    v.push(Ev::AddDevice(0, 4, Platform::Web));
    v.extend((0..4).map(|i| Ev::Join(i, 0)));
    v.extend([Ev::Join(0, 1), Ev::Join(1, 1)]);
    v
}

fn account() -> impl Strategy<Value = usize> {
    prop_oneof![3 => Just(0usize), 2 => Just(1usize), 1 => 2..4usize]
}

fn device() -> impl Strategy<Value = usize> {
    prop_oneof![12 => 0..5usize, 2 => Just(5usize), 1 => Just(6usize)]
}

fn room() -> impl Strategy<Value = usize> {
    prop_oneof![6 => Just(0usize), 4 => Just(1usize), 1 => Just(2usize)]
}

fn message() -> impl Strategy<Value = u8> {
    1..6u8
}

fn event() -> impl Strategy<Value = Ev> {
    let ttl = prop_oneof![Just(60u32), Just(3600), Just(86_400), Just(CONSUMER_CAP), Just(MAX_TTL), 0..3u32];
    let store = (
        device(),
        message(),
        room(),
        prop_oneof![3 => Just(0u64), 1 => 0..5000u64, 1 => Just(u64::MAX)],
        ttl,
        prop_oneof![10 => 1..40usize, 1 => Just(0usize)],
    )
        .prop_map(|(device, message, room, sent_back, ttl, len)| Ev::Store {
            device,
            message,
            room,
            sent_back,
            ttl,
            len,
        });
    prop_oneof![
        12 => store,
        5 => device().prop_map(Ev::Fetch),
        10 => (device(), message()).prop_map(|(d, m)| Ev::Ack(d, m)),
        2 => (device(), message()).prop_map(|(d, m)| Ev::Recall(d, m)),
        2 => Just(Ev::Tick),
        2 => (account(), device(), prop::sample::select(Platform::ALL.to_vec())).prop_map(|(a, d, p)| Ev::AddDevice(a, d, p)),
        2 => (account(), device()).prop_map(|(a, d)| Ev::RemoveDevice(a, d)),
        2 => (account(), room()).prop_map(|(a, r)| Ev::Join(a, r)),
        1 => (account(), room()).prop_map(|(a, r)| Ev::Leave(a, r)),
        3 => (1..4usize, account()).prop_map(|(a, b)| Ev::Block(a, b)),
        1 => (1..4usize, account()).prop_map(|(a, b)| Ev::Unblock(a, b)),
        1 => (account(), prop::sample::select(SettingChange::ALL.to_vec())).prop_map(|(a, c)| Ev::Setting(a, c)),
        1 => account().prop_map(Ev::Hold),
        1 => account().prop_map(Ev::Terminate),
        1 => account().prop_map(Ev::Register),
        1 => account().prop_map(Ev::Disclose),
    ]
}

/// Time between events: mostly seconds, sometimes exactly a cap, the record lifetime or a hold.
fn delta() -> impl Strategy<Value = u64> {
    prop_oneof![
        8 => 0..30u64,
        3 => 0..4000u64,
        1 => Just(u64::from(CONSUMER_CAP)),
        1 => (u64::from(CONSUMER_CAP) - 2)..(u64::from(CONSUMER_CAP) + 2),
        1 => Just(RECORD_LIFETIME),
        1 => Just(u64::from(ENTERPRISE_CAP)),
        1 => Just(HOLD_LIFETIME),
        1 => 0..86_400u64,
    ]
}

fn config() -> impl Strategy<Value = Config> {
    prop_oneof![
        Just(Config::new(Profile::Consumer, None)),
        Just(Config::new(Profile::Enterprise, None)),
        (1..7200u32).prop_map(|cap| Config::new(Profile::Consumer, Some(cap))),
    ]
    .prop_map(|c| c.expect("caps in the strategy are in bounds"))
}

/// Events around one sender, a0 (devices d0 and d4): its stores and re-stores of a few IDs, acks
/// and fetches by its own devices and others', blocks and unblocks of a0 by the others.
fn sender_event() -> impl Strategy<Value = Ev> {
    let own = prop_oneof![Just(0usize), Just(4usize)];
    let ttl = prop_oneof![Just(60u32), Just(3600), Just(MAX_TTL)];
    prop_oneof![
        6 => (own.clone(), 1..4u8, 0..2usize, ttl).prop_map(|(device, message, room, ttl)| Ev::Store { device, message, room, sent_back: 0, ttl, len: 8 }),
        6 => (0..5usize, 1..4u8).prop_map(|(d, m)| Ev::Ack(d, m)),
        3 => own.clone().prop_map(Ev::Fetch),
        1 => (own, 1..4u8).prop_map(|(d, m)| Ev::Recall(d, m)),
        2 => (1..4usize).prop_map(|i| Ev::Block(i, 0)),
        1 => (1..4usize).prop_map(|i| Ev::Unblock(i, 0)),
        1 => Just(Ev::AddDevice(0, 5, Platform::Web)),
        1 => Just(Ev::RemoveDevice(0, 5)),
        1 => (1..4usize).prop_map(|i| Ev::RemoveDevice(i, i)),
        1 => Just(Ev::Tick),
    ]
}

/// A configuration and up to 60 timed events: from every kind, or around the sender a0.
fn sequence() -> impl Strategy<Value = (Config, Vec<(u64, Ev)>)> {
    let events = prop_oneof![
        prop::collection::vec((delta(), event()), 1..60),
        prop::collection::vec((0..100u64, sender_event()), 1..60),
    ];
    (config(), events)
}

/// Runs the setup and then `events`, calling `check(before, now, event, step, after)` at every
/// event after the setup.
fn run(config: Config, events: &[(u64, Ev)], mut check: impl FnMut(&Server, u64, &Ev, &Step, &Server)) -> Server {
    let mut server = Server::new(config);
    for ev in setup() {
        let step = ev.with(T0, |e| server.handle(e, T0));
        assert!(step.result.is_ok(), "setup step {ev:?} refused: {step:?}");
    }
    let mut now = T0;
    for (d, ev) in events {
        now = now.saturating_add(*d);
        let before = server.clone();
        let step = ev.with(now, |e| server.handle(e, now));
        check(&before, now, ev, &step, &server);
    }
    server
}

/// The result of a step as the spec fixes it: the outputs, and the reply or the error *code*
/// (which `EventProblem` a `retention.invalid_event` carries is the reference's detail).
fn normal(step: &Step) -> (Vec<Output>, Result<Reply, &'static str>) {
    (step.outputs.clone(), step.result.clone().map_err(|e| e.code()))
}

// ---------------------------------------------------------------------------------------------
// The reference against the model, step by step.

#[derive(Clone, Debug)]
struct RefState {
    model: Model,
    config: Config,
    now: u64,
    last: Option<Step>,
}

struct RetentionModel;

impl ReferenceStateMachine for RetentionModel {
    type State = RefState;
    type Transition = (u64, Ev);

    fn init_state() -> BoxedStrategy<RefState> {
        config()
            .prop_map(|config| {
                let mut model = Model::new(config);
                for ev in setup() {
                    ev.with(T0, |e| model.step(e, T0));
                }
                RefState { model, config, now: T0, last: None }
            })
            .boxed()
    }

    fn transitions(_: &RefState) -> BoxedStrategy<(u64, Ev)> {
        prop_oneof![3 => (delta(), event()), 1 => (0..100u64, sender_event())].boxed()
    }

    fn apply(mut state: RefState, (d, ev): &(u64, Ev)) -> RefState {
        state.now = state.now.saturating_add(*d);
        let now = state.now;
        state.last = Some(ev.with(now, |e| state.model.step(e, now)));
        state
    }
}

struct ReferenceServer;

impl StateMachineTest for ReferenceServer {
    type SystemUnderTest = Server;
    type Reference = RetentionModel;

    fn init_test(state: &RefState) -> Server {
        let mut server = Server::new(state.config);
        for ev in setup() {
            ev.with(T0, |e| server.handle(e, T0));
        }
        server
    }

    fn apply(mut server: Server, state: &RefState, (_, ev): (u64, Ev)) -> Server {
        let step = ev.with(state.now, |e| server.handle(e, state.now));
        let want = state.last.as_ref().expect("the model stepped first");
        assert_eq!(normal(&step), normal(want), "reference and model differ on {ev:?} at {}", state.now);
        server
    }

    fn check_invariants(server: &Server, state: &RefState) {
        if let Err(e) = server.audit() {
            panic!("{e}");
        }
        assert_eq!(server.clock(), state.model.clock);
        assert_eq!(server.held_ids().copied().collect::<Vec<_>>(), state.model.held());
    }
}

prop_state_machine! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// RET-002..RET-004, RET-011, RET-020..RET-026, RET-030..RET-034, RET-040, RET-041,
    /// RET-050..RET-055, RET-060: every step of the reference — outputs, reply or error code — is
    /// the independent model's, and `Server::audit` holds after each.
    #[test]
    fn reference_matches_the_model_at_every_step(sequential 1..80 => ReferenceServer);
}

// ---------------------------------------------------------------------------------------------
// One property per invariant (spec/retention.md section 10).

/// What the test knows of each held copy, from the store event and its `stored` output.
#[derive(Clone, Debug)]
struct Copy {
    id: MessageId,
    at: u64,
    sent_at: u64,
    ttl: u32,
    purge_by: u64,
    sender_device: Vec<u8>,
    sender: AccountId,
    /// (device, its registration number in the test's count) fixed at the store.
    recipients: Vec<(Vec<u8>, u64)>,
    acked: BTreeSet<Vec<u8>>,
    dropped: BTreeSet<Vec<u8>>,
}

impl Copy {
    fn pending_for(&self, device: &[u8], registration: u64) -> bool {
        self.recipients.contains(&(device.to_vec(), registration))
            && !self.acked.contains(device)
            && !self.dropped.contains(device)
    }
}

/// What an observer of the accepted replies and outputs knows: who owns which device since when,
/// who is in which room, who blocks whom, who is terminated, and the held copies in store order.
#[derive(Clone, Debug, Default)]
struct Observer {
    owner: BTreeMap<Vec<u8>, (AccountId, u64)>,
    registrations: u64,
    members: BTreeSet<(Vec<u8>, AccountId)>,
    blocks: BTreeSet<(AccountId, AccountId)>,
    terminated: BTreeSet<AccountId>,
    held: Vec<Copy>,
}

impl Observer {
    fn seeded() -> Self {
        let mut o = Self::default();
        for ev in setup() {
            o.see(T0, &ev, &Step { outputs: Vec::new(), result: Ok(Reply::Ticked) });
        }
        o
    }

    fn account_of(&self, device: &[u8]) -> Option<AccountId> {
        self.owner.get(device).map(|(a, _)| *a)
    }

    /// Updates the observer with an accepted step's event and outputs (purges are applied by
    /// [`Observer::sync`]).
    fn see(&mut self, now: u64, ev: &Ev, step: &Step) {
        if step.result.is_err() {
            return;
        }
        let a = |i: usize| ACCOUNTS[i];
        match *ev {
            Ev::AddDevice(i, d, _) => {
                self.registrations += 1;
                self.owner.insert(DEVICES[d].to_vec(), (a(i), self.registrations));
            }
            Ev::RemoveDevice(_, d) => {
                self.owner.remove(DEVICES[d]);
            }
            Ev::Join(i, r) => {
                self.members.insert((ROOMS[r].to_vec(), a(i)));
            }
            Ev::Leave(i, r) => {
                self.members.remove(&(ROOMS[r].to_vec(), a(i)));
            }
            Ev::Block(i, j) => {
                self.blocks.insert((a(i), a(j)));
            }
            Ev::Unblock(i, j) => {
                self.blocks.remove(&(a(i), a(j)));
            }
            Ev::Terminate(i) => {
                let gone = a(i);
                self.terminated.insert(gone);
                self.owner.retain(|_, (owner, _)| *owner != gone);
                self.members.retain(|(_, m)| *m != gone);
                self.blocks.retain(|(who, _)| *who != gone);
            }
            Ev::Ack(d, m) => {
                for c in self.held.iter_mut().filter(|c| c.id == mid(m)) {
                    c.acked.insert(DEVICES[d].to_vec());
                }
            }
            _ => {}
        }
        for output in &step.outputs {
            match output {
                Output::Stored { message_id, recipients, purge_by } => {
                    let Ev::Store { device, ttl, sent_back, .. } = *ev else { panic!("stored output from {ev:?}") };
                    let recipients = recipients
                        .iter()
                        .map(|r| (r.as_bytes().to_vec(), self.owner.get(r.as_bytes()).map_or(0, |(_, n)| *n)))
                        .collect();
                    let sender = self.account_of(DEVICES[device]).expect("a storing device has an owner");
                    self.held.push(Copy {
                        id: *message_id,
                        at: now,
                        sent_at: now.saturating_sub(sent_back),
                        ttl,
                        purge_by: *purge_by,
                        sender_device: DEVICES[device].to_vec(),
                        sender,
                        recipients,
                        acked: BTreeSet::new(),
                        dropped: BTreeSet::new(),
                    });
                }
                Output::Dropped { message_id, device } => {
                    for c in self.held.iter_mut().filter(|c| c.id == *message_id) {
                        c.dropped.insert(device.as_bytes().to_vec());
                    }
                }
                _ => {}
            }
        }
    }

    /// Drops the copies the server no longer holds (both lists are in store order) and returns them.
    fn sync(&mut self, server: &Server) -> Vec<Copy> {
        let now: Vec<(MessageId, u64)> = server.held().collect();
        let mut kept = Vec::new();
        let mut removed = Vec::new();
        let mut next = now.iter().peekable();
        for c in self.held.drain(..) {
            if next.peek().is_some_and(|(id, deadline)| *id == c.id && *deadline == c.purge_by) {
                next.next();
                kept.push(c);
            } else {
                removed.push(c);
            }
        }
        assert!(next.next().is_none(), "the server holds a copy the observer never saw stored");
        self.held = kept;
        removed
    }
}

fn cap_of(config: Config) -> u64 {
    u64::from(config.cap())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// RET-020, RET-021: no message is held at or after its deadline, and no deadline is later than
    /// `stored_at + cap` or `min(sent_at, stored_at) + ttl`; a message whose expiry has passed is
    /// never held.
    #[test]
    fn no_content_past_its_cap_or_expiry((config, events) in sequence()) {
        let mut seen = Observer::seeded();
        run(config, &events, |_, now, ev, step, after| {
            seen.see(now, ev, step);
            seen.sync(after);
            for c in &seen.held {
                assert!(after.clock() < c.purge_by, "held at or after its deadline");
                assert!(c.purge_by <= c.at.saturating_add(cap_of(config)), "deadline past the cap");
                assert!(c.purge_by <= c.sent_at.min(c.at).saturating_add(u64::from(c.ttl)), "deadline past expiry");
            }
            for o in &step.outputs {
                if let Output::Stored { purge_by, .. } = o {
                    assert!(*purge_by > now, "a message stored with its deadline already reached");
                }
            }
        });
    }

    /// RET-022, RET-024, RET-025, RET-033, RET-054: every purge has one of the six reasons and
    /// happens only when its reason holds; a held copy never disappears without a purge.
    #[test]
    fn nothing_is_purged_early_or_silently((config, events) in sequence()) {
        let mut seen = Observer::seeded();
        run(config, &events, |_, now, ev, step, after| {
            let prior = seen.clone();
            seen.see(now, ev, step);
            let mut removed = seen.sync(after);
            let purges: Vec<(MessageId, PurgeReason)> = step
                .outputs
                .iter()
                .filter_map(|o| if let Output::Purged { message_id, reason } = o { Some((*message_id, *reason)) } else { None })
                .collect();
            assert_eq!(purges.len(), removed.len(), "copies vanished without a purge, or purges of nothing");
            for (id, reason) in purges {
                let fits = |c: &Copy| {
                    let expiry = c.sent_at.min(c.at).saturating_add(u64::from(c.ttl));
                    c.id == id
                        && match reason {
                            PurgeReason::Expiry | PurgeReason::Cap => {
                                now >= c.purge_by
                                    && (reason == PurgeReason::Expiry) == (expiry <= c.at.saturating_add(cap_of(config)))
                            }
                            PurgeReason::Delivered => {
                                matches!(ev, Ev::Ack(_, m) if mid(*m) == id)
                                    && c.recipients.iter().all(|(r, _)| c.acked.contains(r) || c.dropped.contains(r))
                            }
                            PurgeReason::Dropped => {
                                matches!(ev, Ev::RemoveDevice(..) | Ev::Terminate(_))
                                    && c.recipients.iter().all(|(r, _)| c.acked.contains(r) || c.dropped.contains(r))
                            }
                            PurgeReason::Recalled => {
                                matches!(ev, Ev::Recall(d, m) if mid(*m) == id && DEVICES[*d] == c.sender_device.as_slice()
                                    && prior.account_of(DEVICES[*d]) == Some(c.sender))
                            }
                            PurgeReason::SenderTerminated => matches!(ev, Ev::Terminate(i) if ACCOUNTS[*i] == c.sender),
                        }
                };
                let i = removed.iter().position(fits);
                assert!(i.is_some(), "a purge of {id:?} for {reason:?} when its reason does not hold");
                if let Some(i) = i {
                    removed.remove(i);
                }
            }
        });
    }

    /// RET-030, RET-031, RET-032, RET-041: recipients are the devices registered at the store to
    /// the members then, minus the sending device and blockers' devices; a fetch returns only
    /// copies stored for this very registration of the device and still pending for it.
    #[test]
    fn no_backfill((config, events) in sequence()) {
        let mut seen = Observer::seeded();
        run(config, &events, |_, now, ev, step, after| {
            let prior = seen.clone();
            seen.see(now, ev, step);
            seen.sync(after);
            if let (Ev::Store { device, room, .. }, Ok(_)) = (ev, &step.result) {
                let sender = prior.account_of(DEVICES[*device]).expect("accepted stores come from owned devices");
                for o in &step.outputs {
                    let Output::Stored { recipients, .. } = o else { continue };
                    let want: Vec<Vec<u8>> = prior
                        .owner
                        .iter()
                        .filter(|(d, (owner, _))| {
                            d.as_slice() != DEVICES[*device]
                                && prior.members.contains(&(ROOMS[*room].to_vec(), *owner))
                                && (*owner == sender || !prior.blocks.contains(&(*owner, sender)))
                        })
                        .map(|(d, _)| d.clone())
                        .collect();
                    let got: Vec<Vec<u8>> = recipients.iter().map(|r| r.as_bytes().to_vec()).collect();
                    assert_eq!(got, want, "recipients are not the members' devices at the store");
                }
            }
            if let (Ev::Fetch(d), Ok(Reply::Messages(list))) = (ev, &step.result) {
                let (_, registration) = prior.owner[DEVICES[*d]];
                // After stage 1 (what the observer holds now: a fetch changes no copy).
                let waiting: Vec<MessageId> =
                    seen.held.iter().filter(|c| c.pending_for(DEVICES[*d], registration)).map(|c| c.id).collect();
                let got: Vec<MessageId> = list.iter().map(|m| m.message_id).collect();
                assert_eq!(got, waiting, "a fetch is not exactly the copies pending for this registration");
            }
        });
    }

    /// RET-054, RET-055: a terminated identifier stays tombstoned, can never be registered again,
    /// and every event naming it as actor is refused.
    #[test]
    fn tombstones_are_permanent((config, events) in sequence(), extra in delta()) {
        let mut terminated = BTreeSet::new();
        let mut server = run(config, &events, |_, _, ev, step, after| {
            if let (Ev::Terminate(i), Ok(_)) = (ev, &step.result) {
                terminated.insert(*i);
            }
            for i in &terminated {
                assert!(after.is_tombstoned(&ACCOUNTS[*i]) && !after.is_live(&ACCOUNTS[*i]));
            }
        });
        let later = server.clock().saturating_add(extra);
        for i in terminated {
            let step = server.handle(&Event::Register { account: ACCOUNTS[i] }, later);
            prop_assert_eq!(step.result, Err(RetentionError::IdentifierTombstoned));
            let step = server.handle(&Event::Join { account: ACCOUNTS[i], conversation: b"c0" }, later);
            prop_assert_eq!(step.result, Err(RetentionError::AccountTerminated));
            prop_assert!(server.is_tombstoned(&ACCOUNTS[i]));
        }
    }

    /// RET-060, RET-061: the disclosures of all known identifiers together cover every item of the
    /// state, and every held message is in its sender's disclosure and each recipient's.
    #[test]
    fn disclosures_cover_the_whole_state((config, events) in sequence()) {
        run(config, &events, |_, _, _, _, server| {
            let census = server.census();
            let all: Vec<_> = server
                .known_accounts()
                .iter()
                .map(|a| server.disclose(a).expect("known identifiers can be disclosed"))
                .collect();
            // Every held copy is in its sender's disclosure (senders are live, RET-054), once.
            let copies: Vec<&cinder::retention::MessageView> =
                all.iter().flat_map(|d| d.messages.iter().filter(|m| m.sender == d.account)).collect();
            assert_eq!(all.iter().filter(|d| !d.terminated).count(), census.accounts);
            assert_eq!(all.iter().filter(|d| d.terminated).count(), census.tombstones);
            assert_eq!(all.iter().filter(|d| d.terminated && d.facts.is_some()).count(), census.preserved);
            assert_eq!(all.iter().map(|d| d.devices.len()).sum::<usize>(), census.devices);
            assert_eq!(all.iter().map(|d| d.rooms.len()).sum::<usize>(), census.memberships);
            assert_eq!(all.iter().map(|d| d.block_list.len()).sum::<usize>(), census.block_entries);
            assert_eq!(all.iter().map(|d| d.records.len()).sum::<usize>(), census.records);
            assert_eq!(copies.len(), census.messages, "a held copy is missing from its sender's disclosure");
            assert_eq!(copies.iter().map(|m| m.recipients.len()).sum::<usize>(), census.deliveries);
            assert_eq!(copies.iter().map(|m| m.ciphertext_len).sum::<usize>(), census.ciphertext_bytes);
            for m in &copies {
                for r in &m.recipients {
                    let owner = all.iter().find(|d| d.devices.iter().any(|(id, _)| *id == r.device)).expect("recipient owned");
                    assert!(owner.messages.contains(m), "a held message is missing from a recipient's disclosure");
                }
            }
            for d in &all {
                for m in &d.messages {
                    assert!(copies.contains(&m), "a disclosure lists a message its sender's does not");
                }
            }
        });
    }

    /// RET-050..RET-053: records hold only a kind and a time (and counts), live 6 days from their
    /// time unless a hold keeps them, and a hold keeps them at most 90 days from its step.
    #[test]
    fn records_live_six_days_unless_held((config, events) in sequence()) {
        run(config, &events, |_, now, _, step, server| {
            for o in &step.outputs {
                if let Output::RecordDeleted { at, reason: cinder::retention::RecordEnd::Expired, .. } = o {
                    assert!(now >= at.saturating_add(RECORD_LIFETIME), "a record deleted before its 6 days");
                }
            }
            for a in server.known_accounts() {
                let d = server.disclose(&a).expect("known");
                for r in &d.records {
                    assert!(server.clock() < r.until);
                    if r.held {
                        assert!(r.until <= server.clock().saturating_add(HOLD_LIFETIME), "held past 90 days");
                        assert_eq!(d.hold_until, Some(r.until), "a held record outlives its hold");
                    } else {
                        assert_eq!(r.until, r.at.saturating_add(RECORD_LIFETIME));
                    }
                }
            }
        });
    }

    /// RET-003, RET-004: a refused event changes nothing; the state after it is the state after a
    /// plain tick at the same time.
    #[test]
    fn refused_events_change_nothing((config, events) in sequence()) {
        run(config, &events, |before, now, _, step, after| {
            if step.result.is_err() {
                let mut ticked = before.clone();
                let tick = ticked.handle(&Event::Tick, now);
                assert_eq!(tick.outputs, step.outputs, "a refusal added outputs of its own");
                assert_eq!(&ticked, after, "a refused event changed the state");
            }
        });
    }
}

proptest! {
    // Leaks need a particular interleaving (a re-send after one's own device acked, say): more cases.
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// RET-005, RET-023, RET-024, RET-041, RET-042: two runs that differ only in other accounts'
    /// blocks and unblocks of a0 give a0 and its devices the same replies, error codes included.
    #[test]
    fn blocking_is_invisible_to_the_blocked_sender(
        config in config(),
        with in prop_oneof![
            prop::collection::vec((delta(), event()), 1..60),
            prop::collection::vec((0..100u64, sender_event()), 1..60),
        ],
    ) {
        let without: Vec<(u64, Ev)> = with
            .iter()
            .map(|(d, ev)| match ev {
                Ev::Block(i, 0) | Ev::Unblock(i, 0) if *i != 0 => (*d, Ev::Tick),
                other => (*d, other.clone()),
            })
            .collect();
        let replies = |events: &[(u64, Ev)]| {
            let mut seen = Observer::seeded();
            let mut out = Vec::new();
            run(config, events, |_, now, ev, step, _| {
                let actor = match ev {
                    Ev::Register(i) | Ev::AddDevice(i, ..) | Ev::RemoveDevice(i, _) | Ev::Join(i, _) | Ev::Leave(i, _)
                    | Ev::Block(i, _) | Ev::Unblock(i, _) | Ev::Setting(i, _) | Ev::Terminate(i) => Some(ACCOUNTS[*i]),
                    Ev::Store { device: d, .. } | Ev::Fetch(d) | Ev::Ack(d, _) | Ev::Recall(d, _) => seen.account_of(DEVICES[*d]),
                    Ev::Hold(_) | Ev::Disclose(_) | Ev::Tick => None,
                };
                if actor == Some(ACCOUNTS[0]) {
                    out.push((ev.clone(), step.result.clone().map_err(|e| e.code())));
                }
                seen.see(now, ev, step);
            });
            out
        };
        prop_assert_eq!(replies(&with), replies(&without));
    }
}

// ---------------------------------------------------------------------------------------------
// Worked examples.

fn server_with_dm(config: Config) -> Server {
    let mut server = Server::new(config);
    for ev in [
        Event::Register { account: ACCOUNTS[0] },
        Event::Register { account: ACCOUNTS[1] },
        Event::AddDevice { account: ACCOUNTS[0], device: b"d0", platform: Platform::Ios },
        Event::AddDevice { account: ACCOUNTS[1], device: b"d1", platform: Platform::Android },
        Event::Join { account: ACCOUNTS[0], conversation: b"c0" },
        Event::Join { account: ACCOUNTS[1], conversation: b"c0" },
    ] {
        assert!(server.handle(&ev, T0).result.is_ok());
    }
    server
}

/// RET-001: caps from 1 s to the profile's, and nothing else.
#[test]
fn configuration_accepts_only_caps_within_the_profile() {
    for profile in Profile::ALL {
        assert_eq!(Config::new(profile, None).map(|c| c.cap()), Ok(profile.max_cap()));
        assert!(Config::new(profile, Some(1)).is_ok());
        assert!(Config::new(profile, Some(profile.max_cap())).is_ok());
        assert_eq!(Config::new(profile, Some(0)), Err(RetentionError::InvalidCap { cap: 0 }));
        let above = profile.max_cap() + 1;
        assert_eq!(Config::new(profile, Some(above)).map_err(|e| e.code()), Err("retention.invalid_cap"));
    }
    assert_eq!(CONSUMER_CAP, 6 * 86_400);
    assert_eq!(ENTERPRISE_CAP, 30 * 86_400);
}

/// RET-010, RET-026: the server holds the ciphertext byte for byte and the routing metadata,
/// and nothing else: the disclosure of the message is exactly the store's fields.
#[test]
fn a_store_holds_only_routing_metadata_and_ciphertext() {
    let mut server = server_with_dm(Config::new(Profile::Enterprise, None).expect("default"));
    let ciphertext: Vec<u8> = (0..=255u8).collect();
    let store = Store {
        device: b"d0",
        message_id: mid(9),
        conversation: b"c0",
        sent_at: T0 - 5,
        ttl: 600,
        ciphertext: &ciphertext,
    };
    server.handle(&Event::Store(store), T0);
    let fetched = server.handle(&Event::Fetch { device: b"d1" }, T0 + 1);
    let Ok(Reply::Messages(list)) = fetched.result else { panic!("fetch failed: {fetched:?}") };
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].ciphertext, ciphertext);
    let d = server.disclose(&ACCOUNTS[0]).expect("live");
    let m = &d.messages[0];
    assert_eq!(
        (m.message_id, m.conversation.as_bytes(), m.sender, m.sender_device.as_bytes(), m.sent_at, m.ttl),
        (mid(9), &b"c0"[..], ACCOUNTS[0], &b"d0"[..], T0 - 5, 600)
    );
    assert_eq!((m.stored_at, m.purge_by, m.ciphertext_len), (T0, T0 + 595, 256));
    assert_eq!(m.recipients.len(), 1);
    assert_eq!(m.recipients[0].device, RouteId::new(b"d1").expect("in bounds"));
}

/// RET-011, RET-012, RET-022, RET-024: a re-store of a held ID is a second copy; one ack covers
/// every copy pending for the device, one recall every copy its sending device stored.
#[test]
fn message_ids_are_not_deduplicated() {
    let mut server = server_with_dm(Config::new(Profile::Consumer, None).expect("default"));
    let store = |body: &'static [u8], ttl: u32| {
        Event::Store(Store {
            device: b"d0",
            message_id: mid(1),
            conversation: b"c0",
            sent_at: T0,
            ttl,
            ciphertext: body,
        })
    };
    let first = server.handle(&store(b"first", 60), T0);
    let second = server.handle(&store(b"second", 90), T0 + 1);
    assert_eq!(first.result, second.result);
    for (step, purge_by) in [(&first, T0 + 60), (&second, T0 + 90)] {
        assert!(matches!(step.outputs[..], [Output::Stored { purge_by: p, .. }] if p == purge_by), "{step:?}");
    }
    assert_eq!(server.held_ids().collect::<Vec<_>>(), [&mid(1), &mid(1)]);
    let fetched = server.handle(&Event::Fetch { device: b"d1" }, T0 + 2);
    let Ok(Reply::Messages(list)) = fetched.result else { panic!("{fetched:?}") };
    assert_eq!(list.iter().map(|m| m.ciphertext.as_slice()).collect::<Vec<_>>(), [&b"first"[..], &b"second"[..]]);
    let acked = server.handle(&Event::Ack { device: b"d1", message_id: mid(1) }, T0 + 3);
    let delivered = Output::Purged { message_id: mid(1), reason: PurgeReason::Delivered };
    assert_eq!(acked.outputs, vec![delivered.clone(), delivered]);
    assert_eq!(server.held_count(), 0);
    server.handle(&store(b"third", 60), T0 + 4);
    server.handle(&store(b"fourth", 60), T0 + 5);
    let recalled = server.handle(&Event::Recall { device: b"d0", message_id: mid(1) }, T0 + 6);
    let gone = Output::Purged { message_id: mid(1), reason: PurgeReason::Recalled };
    assert_eq!(recalled.outputs, vec![gone.clone(), gone]);
}

/// RET-021: advancing the clock purges exactly what is due, in deadline order, and leaves the
/// rest: a thousand messages with staggered deadlines, one tick at a time.
#[test]
fn ticks_purge_in_deadline_order() {
    let mut server = server_with_dm(Config::new(Profile::Consumer, Some(5000)).expect("in bounds"));
    for i in 0..1000u32 {
        let mut id = [0u8; 16];
        id[..4].copy_from_slice(&i.to_be_bytes());
        let ttl = 1 + (i * 7919) % 4000;
        server.handle(
            &Event::Store(Store {
                device: b"d0",
                message_id: id,
                conversation: b"c0",
                sent_at: T0,
                ttl,
                ciphertext: b"x",
            }),
            T0,
        );
    }
    let mut last = 0;
    let mut purged = 0;
    for t in (0..=4001).step_by(97).chain([4001]) {
        let step = server.handle(&Event::Tick, T0 + t);
        for o in &step.outputs {
            let Output::Purged { message_id, reason: PurgeReason::Expiry } = o else { panic!("{o:?}") };
            let i = u32::from_be_bytes([message_id[0], message_id[1], message_id[2], message_id[3]]);
            let deadline = T0 + u64::from(1 + (i * 7919) % 4000);
            assert!(deadline <= T0 + t && deadline >= last, "purged out of order or early");
            last = deadline;
            purged += 1;
        }
        assert!(server.audit().is_ok());
    }
    assert_eq!(purged, 1000);
    assert_eq!(server.held_count(), 0);
}

/// RET-004: the longest ciphertext a store may carry is the largest envelope the envelope chapter
/// allows, as the envelope module itself works it out (a largest header, 1,000 recipients with
/// 64-byte IDs, a padded 1 MiB body): 1,194,559 bytes. A store of exactly that many bytes is
/// accepted; one byte more, or an empty one, is refused as `retention.invalid_event`.
#[test]
fn the_longest_ciphertext_is_the_largest_envelope() {
    use cinder::envelope::{self, Header, MAX_CONTENT_LEN, MAX_RECIPIENTS, Recipient};
    use cinder::retention::{EventProblem, MAX_CIPHERTEXT_LEN};
    let ids: Vec<[u8; 64]> = (0..MAX_RECIPIENTS)
        .map(|n| {
            let mut id = [b'r'; 64];
            id[..2].copy_from_slice(&u16::try_from(n).expect("under 65,536").to_be_bytes());
            id
        })
        .collect();
    let key = [7u8; 32];
    let recipients: Vec<Recipient<'_>> = ids.iter().map(|device| Recipient { device, wrap_key: &key }).collect();
    let header = Header {
        message_id: mid(1),
        conversation_id: &[b'c'; 64],
        sender_device: &[b's'; 64],
        sent_at: T0,
        ttl: 60,
        padded: true,
    };
    let largest = envelope::sealed_len(&header, &recipients, MAX_CONTENT_LEN).expect("the largest envelope is allowed");
    assert_eq!(MAX_CIPHERTEXT_LEN, largest);
    assert_eq!(MAX_CIPHERTEXT_LEN, 1_194_559);

    let mut server = server_with_dm(Config::new(Profile::Consumer, None).expect("default"));
    let bytes = vec![0x5a; MAX_CIPHERTEXT_LEN + 1];
    let store = |ciphertext| {
        Event::Store(Store { device: b"d0", message_id: mid(2), conversation: b"c0", sent_at: T0, ttl: 60, ciphertext })
    };
    let refused = Err(RetentionError::InvalidEvent(EventProblem::Ciphertext));
    assert_eq!(server.handle(&store(&bytes), T0).result, refused);
    assert_eq!(server.handle(&store(&[]), T0).result, refused);
    assert_eq!(server.held_count(), 0);
    let accepted = server.handle(&store(&bytes[..MAX_CIPHERTEXT_LEN]), T0);
    assert_eq!(accepted.result, Ok(Reply::Accepted { message_id: mid(2) }));
    assert_eq!(server.held_count(), 1);
}

/// What the server's values look like when printed: an account by the first 4 bytes of its hash
/// only, a route ID as text when it is UTF-8, and a store with its ciphertext's length, never the
/// ciphertext.
#[test]
fn debug_output_is_short_and_leaves_out_the_ciphertext() {
    let account = AccountId([0xab; 32]);
    assert_eq!(format!("{account:?}"), "AccountId(abababab..)");
    assert_eq!(format!("{:?}", RouteId::new(b"bob-phone").expect("in bounds")), "\"bob-phone\"");
    assert_eq!(format!("{:?}", RouteId::new(&[0xff, 1]).expect("in bounds")), "[255, 1]");
    let store = Store {
        device: b"d0",
        message_id: [1; 16],
        conversation: b"c0",
        sent_at: 5,
        ttl: 60,
        ciphertext: b"secret bytes",
    };
    let printed = format!("{store:?}");
    assert!(printed.contains("ciphertext_len: 12") && printed.contains("ttl: 60"), "{printed}");
    assert!(!printed.contains("115, 101, 99"), "the ciphertext's bytes are not printed: {printed}");
}
