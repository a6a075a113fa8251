//! The retention server (spec/retention.md), checked against the promises of spec/system.md:
//! SYS-007, SYS-008, SYS-009, SYS-010, SYS-011, SYS-012, SYS-013.
//!
//! The next-state function is `cinder::retention::Server::handle`. The server holds no secret
//! (it only ever sees ciphertext, which the model makes a fixed string per message), so it is
//! `Clone` and a state holds it directly. It is not `Hash`: a state hashes the server's `Debug`
//! text (every field of the server, so two states hash alike only if their servers are equal),
//! with the ghost and, for SYS-011, the server of a second world.
//!
//! The model's world: four accounts (alice, bob, carol, dave), each registered with one device
//! (alice with two: her laptop receives what her phone sends, RET-030), alice, bob and carol
//! members of one conversation; bob may add a second device later and dave may join later. Alice's phone sends two messages at most: one whose expiry (10 s) comes before
//! the server's configured cap (30 s), one whose cap comes first (`ttl` 100 s). The server's
//! clock only moves forward (RET-003: a step at an earlier `now` is a step at the clock), so
//! events happen at the clock and `Tick` actions move it to every deadline the chapter can compute
//! for what the model did (messages, activity records, holds), and one second before it.
//!
//! SYS-011 is checked on two worlds in lockstep: the second gets every action of the first except
//! bob's `block` and `unblock` of alice, which it replaces by a `tick` at the same time; every
//! reply alice's events get must be the same in both, her laptop's fetches and acks included
//! (RET-042).

use core::fmt::{self, Write as _};
use core::hash::{Hash, Hasher};
use std::collections::{BTreeMap, BTreeSet};

use cinder::retention::{
    AccountId, Config, DAY, Delivery, Event, HOLD_LIFETIME, MessageId, Output, Platform, Profile, PurgeReason,
    RECORD_LIFETIME, Reply, RetentionError, Server, SettingChange, Step, Store,
};
use serde_json::{Value, json};
use stateright::{Model, Property};

use crate::check::{HashWriter, Scenario};

/// The time of the model's first step (a day boundary).
pub const T0: u64 = 1_767_225_600;
/// The server's configured cap (consumer profile).
pub const CAP: u32 = 30;
/// The conversation.
pub const ROOM: &[u8] = b"room-1";

/// The model's accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Acct {
    /// The sender.
    Alice,
    /// A member, who may add a second device and block alice.
    Bob,
    /// A member.
    Carol,
    /// Not a member at first; may join later.
    Dave,
}

impl Acct {
    /// Every account.
    pub const ALL: [Self; 4] = [Self::Alice, Self::Bob, Self::Carol, Self::Dave];

    /// Its identifier as the server knows it (opaque to the server; the model's own bytes).
    #[must_use]
    pub const fn id(self) -> AccountId {
        AccountId(match self {
            Self::Alice => [0xa1; 32],
            Self::Bob => [0xb0; 32],
            Self::Carol => [0xc0; 32],
            Self::Dave => [0xd0; 32],
        })
    }
}

/// The model's devices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dev {
    /// Alice's phone: the sending device.
    A1,
    /// Alice's laptop: a recipient of what her phone sends (RET-030).
    A2,
    /// Bob's phone.
    B1,
    /// Bob's laptop, added later.
    B2,
    /// Carol's phone.
    C1,
    /// Dave's phone.
    D1,
}

impl Dev {
    /// Every device.
    pub const ALL: [Self; 6] = [Self::A1, Self::A2, Self::B1, Self::B2, Self::C1, Self::D1];
    /// The devices that receive.
    pub const RECEIVERS: [Self; 5] = [Self::A2, Self::B1, Self::B2, Self::C1, Self::D1];

    /// The device ID.
    #[must_use]
    pub const fn id(self) -> &'static [u8] {
        match self {
            Self::A1 => b"alice-phone",
            Self::A2 => b"alice-laptop",
            Self::B1 => b"bob-phone",
            Self::B2 => b"bob-laptop",
            Self::C1 => b"carol-phone",
            Self::D1 => b"dave-phone",
        }
    }

    /// Its account.
    #[must_use]
    pub const fn owner(self) -> Acct {
        match self {
            Self::A1 | Self::A2 => Acct::Alice,
            Self::B1 | Self::B2 => Acct::Bob,
            Self::C1 => Acct::Carol,
            Self::D1 => Acct::Dave,
        }
    }
}

/// The `ttl` of each message alice's phone may send, by index (`sent_at` is the clock).
pub const MESSAGES: [u32; 2] = [10, 100];

/// The message ID of message `k`.
#[must_use]
pub fn message_id(k: usize) -> MessageId {
    let mut id = *b"cinder-model-m00";
    id[15] = b'0' + u8::try_from(k % 10).unwrap_or(0);
    id
}

/// The ciphertext of message `k` (opaque to the server).
#[must_use]
pub fn ciphertext(k: usize) -> Vec<u8> {
    format!("envelope of message {k}").into_bytes()
}

fn message_index(id: &MessageId) -> Option<usize> {
    (0..MESSAGES.len()).find(|k| message_id(*k) == *id)
}

/// One model action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Act {
    /// Alice's phone stores message `k` in the room, `sent_at` = the clock.
    Store(usize),
    /// A device fetches.
    Fetch(Dev),
    /// A device acknowledges message `k`.
    Ack(Dev, usize),
    /// A device recalls message `k`.
    Recall(Dev, usize),
    /// Bob adds his laptop.
    AddDevice(Dev),
    /// An account removes a device.
    RemoveDevice(Dev),
    /// An account joins the room.
    Join(Acct),
    /// An account leaves the room.
    Leave(Acct),
    /// Bob blocks alice.
    Block,
    /// Bob unblocks alice.
    Unblock,
    /// An account terminates itself.
    Terminate(Acct),
    /// An identifier is registered (again).
    Register(Acct),
    /// The operator receives a preservation request for an account.
    Hold(Acct),
    /// An account sets its avatar (an activity record).
    Setting(Acct),
    /// Time passes to this clock.
    Tick(u64),
}

impl Act {
    /// The account whose event this is (a device's is its owner's), if any.
    const fn actor(self) -> Option<Acct> {
        match self {
            Self::Store(_) => Some(Acct::Alice),
            Self::Fetch(d) | Self::Ack(d, _) | Self::Recall(d, _) | Self::AddDevice(d) | Self::RemoveDevice(d) => {
                Some(d.owner())
            }
            Self::Join(a) | Self::Leave(a) | Self::Terminate(a) | Self::Register(a) | Self::Setting(a) => Some(a),
            Self::Block | Self::Unblock => Some(Acct::Bob),
            Self::Hold(_) | Self::Tick(_) => None,
        }
    }
}

/// The events that set the model's world up, at [`T0`]: every account registered with its
/// devices (bob's laptop excepted; alice has a phone and a laptop), alice, bob and carol in the
/// room.
#[must_use]
pub fn setup() -> Vec<Act> {
    let mut out: Vec<Act> = Acct::ALL.iter().map(|a| Act::Register(*a)).collect();
    out.extend([Dev::A1, Dev::A2, Dev::B1, Dev::C1, Dev::D1].map(Act::AddDevice));
    out.extend([Acct::Alice, Acct::Bob, Acct::Carol].map(Act::Join));
    out
}

/// A retention bug of `cinder-broken-adapter --list-bugs` (conformance/broken/retention.rs),
/// reproduced by an overlay on the reference server: the overlay changes what the reference
/// answers, or keeps what a buggy server would keep, the way the broken adapter's observer does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Bug {
    /// `retention-purge-before-every-ack`.
    PurgeBeforeEveryAck,
    /// `retention-new-device-backfilled`.
    NewDeviceBackfilled,
    /// `retention-late-member-sees-old-messages`.
    LateMemberSeesOldMessages,
    /// `retention-blocked-sender-told`.
    BlockedSenderTold,
    /// `retention-hold-keeps-content`.
    HoldKeepsContent,
    /// `retention-tombstone-reregistered`.
    TombstoneReregistered,
}

impl Bug {
    /// Every bug, in the broken adapter's order.
    pub const ALL: [Self; 6] = [
        Self::PurgeBeforeEveryAck,
        Self::NewDeviceBackfilled,
        Self::LateMemberSeesOldMessages,
        Self::BlockedSenderTold,
        Self::HoldKeepsContent,
        Self::TombstoneReregistered,
    ];

    /// The broken adapter's name for the bug.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::PurgeBeforeEveryAck => "retention-purge-before-every-ack",
            Self::NewDeviceBackfilled => "retention-new-device-backfilled",
            Self::LateMemberSeesOldMessages => "retention-late-member-sees-old-messages",
            Self::BlockedSenderTold => "retention-blocked-sender-told",
            Self::HoldKeepsContent => "retention-hold-keeps-content",
            Self::TombstoneReregistered => "retention-tombstone-reregistered",
        }
    }
}

/// What a buggy server has beyond the reference: deliveries it would make that the reference does
/// not (backfills), copies it has purged that the reference holds, and copies it keeps that the
/// reference has purged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Overlay {
    /// (device, message) deliveries only the buggy server makes.
    pub backfills: BTreeSet<(Dev, usize)>,
    /// Messages the buggy server purged early.
    pub gone: BTreeSet<usize>,
    /// Messages the buggy server keeps past their purge, with the sender account on hold.
    pub kept: BTreeSet<usize>,
}

/// One world: the reference server and the overlay of the injected bug.
#[derive(Clone, PartialEq, Eq)]
pub struct World {
    /// The reference server.
    pub server: Server,
    /// What the bug adds.
    pub overlay: Overlay,
}

impl Hash for World {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // The server's Debug text shows every field (it is derived), so equal servers hash alike
        // and different ones almost never do.
        let _ = write!(HashWriter(state), "{:?}", self.server);
        self.overlay.hash(state);
    }
}

impl fmt::Debug for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "clock {} held {:?} {:?}", self.server.clock(), self.held(), self.overlay)
    }
}

impl World {
    fn new() -> Self {
        let Ok(config) = Config::new(Profile::Consumer, Some(CAP)) else { unreachable!("30 s is a consumer cap") };
        Self { server: Server::new(config), overlay: Overlay::default() }
    }

    /// The model messages the (buggy) server holds.
    #[must_use]
    pub fn held(&self) -> BTreeSet<usize> {
        let mut held: BTreeSet<usize> = self.server.held_ids().filter_map(message_index).collect();
        held.retain(|k| !self.overlay.gone.contains(k));
        held.extend(self.overlay.kept.iter().copied());
        held
    }

    fn on_hold(&self, account: Acct) -> bool {
        self.server.disclose(&account.id()).is_ok_and(|d| d.hold_until.is_some_and(|u| u > self.server.clock()))
    }

    fn member(&self, account: Acct) -> bool {
        self.server.disclose(&account.id()).is_ok_and(|d| d.rooms.iter().any(|r| r.as_bytes() == ROOM))
    }

    /// Held messages with the device among their recipients.
    fn recipient_of(&self, device: Dev) -> BTreeSet<usize> {
        let Ok(d) = self.server.disclose(&device.owner().id()) else { return BTreeSet::new() };
        d.messages
            .iter()
            .filter(|m| m.recipients.iter().any(|r| r.device.as_bytes() == device.id()))
            .filter_map(|m| message_index(&m.message_id))
            .collect()
    }

    /// One step through the (possibly buggy) server.
    fn handle(&mut self, bug: Option<Bug>, act: Act, now: u64) -> Step {
        let cts: Vec<Vec<u8>> = (0..MESSAGES.len()).map(ciphertext).collect();
        let event = event(act, now, &cts);
        if bug == Some(Bug::BlockedSenderTold)
            && let Act::Store(_) = act
            && Acct::ALL.iter().any(|m| *m != Acct::Alice && self.member(*m) && blocks(&self.server, *m, Acct::Alice))
            && self.member(Acct::Alice)
        {
            // RET-042 broken: the store is refused, so the sender learns it is blocked.
            let mut step = self.server.handle(&Event::Tick, now);
            step.result = Err(RetentionError::NotAMember);
            return step;
        }
        let mut step = self.server.handle(&event, now);
        let Some(bug) = bug else { return step };
        match (bug, act) {
            (Bug::TombstoneReregistered, Act::Register(_))
                if step.result == Err(RetentionError::IdentifierTombstoned) =>
            {
                step.result = Ok(Reply::Registered);
            }
            (Bug::PurgeBeforeEveryAck, Act::Ack(_, k)) if step.result.is_ok() && self.held().contains(&k) => {
                self.overlay.gone.insert(k);
                step.outputs.push(Output::Purged { message_id: message_id(k), reason: PurgeReason::Delivered });
            }
            (Bug::HoldKeepsContent, _) => {
                for output in &step.outputs {
                    if let Output::Purged { message_id: id, reason: PurgeReason::Expiry | PurgeReason::Cap } = output
                        && let Some(k) = message_index(id)
                        && self.on_hold(Acct::Alice)
                    {
                        self.overlay.kept.insert(k);
                    }
                }
                let still = self.on_hold(Acct::Alice);
                if !still {
                    self.overlay.kept.clear();
                }
            }
            (Bug::NewDeviceBackfilled, Act::AddDevice(device)) if step.result.is_ok() => {
                let rooms = self.server.disclose(&device.owner().id()).map(|d| d.rooms).unwrap_or_default();
                for k in self.held_in_rooms(&rooms) {
                    self.overlay.backfills.insert((device, k));
                }
            }
            (Bug::LateMemberSeesOldMessages, Act::Join(account)) if step.result.is_ok() => {
                let rooms = vec![cinder::retention::RouteId::new(ROOM).unwrap_or_else(|| unreachable!("a valid ID"))];
                let held = self.held_in_rooms(&rooms);
                for device in Dev::ALL.into_iter().filter(|d| d.owner() == account) {
                    let own = self.recipient_of(device);
                    for k in &held {
                        if self
                            .server
                            .disclose(&account.id())
                            .is_ok_and(|d| d.devices.iter().any(|(id, _)| id.as_bytes() == device.id()))
                            && !own.contains(k)
                        {
                            self.overlay.backfills.insert((device, *k));
                        }
                    }
                }
            }
            _ => {}
        }
        // A backfilled delivery shows in a fetch and is acknowledged like a real one.
        match act {
            Act::Fetch(device) if step.result.is_ok() => {
                let extra: Vec<Delivery> = self
                    .overlay
                    .backfills
                    .iter()
                    .filter(|(d, k)| *d == device && self.held().contains(k))
                    .map(|(_, k)| Delivery { message_id: message_id(*k), ciphertext: ciphertext(*k) })
                    .collect();
                if let Ok(Reply::Messages(list)) = &mut step.result {
                    list.splice(0..0, extra);
                }
            }
            Act::Ack(device, k) => {
                let backfilled = self.overlay.backfills.remove(&(device, k));
                if backfilled && step.result == Err(RetentionError::UnknownMessage) {
                    step.result = Ok(Reply::Acked);
                }
            }
            _ => {}
        }
        // The overlay forgets what the reference no longer holds, or whose device is gone.
        let reference: BTreeSet<usize> = self.server.held_ids().filter_map(message_index).collect();
        self.overlay.gone.retain(|k| reference.contains(k));
        let server = &self.server;
        self.overlay.backfills.retain(|(d, k)| {
            reference.contains(k)
                && server
                    .disclose(&d.owner().id())
                    .is_ok_and(|x| x.devices.iter().any(|(id, _)| id.as_bytes() == d.id()))
        });
        step
    }

    /// Held messages (reference's) in these conversations.
    fn held_in_rooms(&self, rooms: &[cinder::retention::RouteId]) -> BTreeSet<usize> {
        let mut out = BTreeSet::new();
        for account in Acct::ALL {
            if let Ok(d) = self.server.disclose(&account.id()) {
                for m in &d.messages {
                    if rooms.contains(&m.conversation)
                        && let Some(k) = message_index(&m.message_id)
                    {
                        out.insert(k);
                    }
                }
            }
        }
        out
    }
}

fn blocks(server: &Server, who: Acct, whom: Acct) -> bool {
    server.disclose(&who.id()).is_ok_and(|d| !d.terminated && d.block_list.contains(&whom.id()))
}

fn event<'a>(act: Act, now: u64, cts: &'a [Vec<u8>]) -> Event<'a> {
    match act {
        Act::Store(k) => Event::Store(Store {
            device: Dev::A1.id(),
            message_id: message_id(k),
            conversation: ROOM,
            sent_at: now,
            ttl: MESSAGES[k],
            ciphertext: &cts[k],
        }),
        Act::Fetch(d) => Event::Fetch { device: d.id() },
        Act::Ack(d, k) => Event::Ack { device: d.id(), message_id: message_id(k) },
        Act::Recall(d, k) => Event::Recall { device: d.id(), message_id: message_id(k) },
        Act::AddDevice(d) => Event::AddDevice { account: d.owner().id(), device: d.id(), platform: Platform::Ios },
        Act::RemoveDevice(d) => Event::RemoveDevice { account: d.owner().id(), device: d.id() },
        Act::Join(a) => Event::Join { account: a.id(), conversation: ROOM },
        Act::Leave(a) => Event::Leave { account: a.id(), conversation: ROOM },
        Act::Block => Event::Block { account: Acct::Bob.id(), blocked: Acct::Alice.id() },
        Act::Unblock => Event::Unblock { account: Acct::Bob.id(), blocked: Acct::Alice.id() },
        Act::Terminate(a) => Event::Terminate { account: a.id() },
        Act::Register(a) => Event::Register { account: a.id() },
        Act::Hold(a) => Event::Hold { account: a.id() },
        Act::Setting(a) => Event::ChangeSetting { account: a.id(), change: SettingChange::SetAvatar },
        Act::Tick(_) => Event::Tick,
    }
}

/// What the model knows of one message it stored, independently of the server.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Sent {
    /// The clock at the store.
    pub stored_at: u64,
    /// The promised deadline: `min(min(sent_at, stored_at) + ttl, stored_at + cap)` (RET-020).
    pub deadline: u64,
    /// Its recipients as the chapter fixes them at the store (RET-030, RET-041): every device
    /// registered then to a member then, except the sending device and the devices of members
    /// who block alice.
    pub recipients: BTreeSet<Dev>,
    /// Recipients whose delivery is done: acknowledged, or the device removed.
    pub done: BTreeSet<Dev>,
    /// Its sending device recalled it, or its sender terminated.
    pub ended: bool,
}

impl Sent {
    /// The server may hold it: not ended, a recipient pending, before the deadline.
    fn may_hold(&self, high: u64) -> bool {
        !self.ended && high < self.deadline && self.recipients.iter().any(|d| !self.done.contains(d))
    }
}

/// The model's record of what it asked and saw.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Ghost {
    /// The clock.
    pub high: u64,
    /// Live accounts.
    pub live: BTreeSet<Acct>,
    /// Terminated accounts.
    pub terminated: BTreeSet<Acct>,
    /// Registered devices.
    pub devices: BTreeSet<Dev>,
    /// Members of the room.
    pub members: BTreeSet<Acct>,
    /// Bob blocks alice.
    pub blocked: bool,
    /// Message `k` as stored, if it was (and held at the store).
    pub sent: BTreeMap<usize, Sent>,
    /// Messages a store was accepted for.
    pub attempted: BTreeSet<usize>,
    /// Events that made an activity record: (account, time).
    pub records: Vec<(Acct, u64)>,
    /// Preservation holds: (account, time).
    pub holds: Vec<(Acct, u64)>,
    /// A fetch delivered a message to a device that is not among its recipients.
    pub outsider_delivery: bool,
    /// A register of a terminated identifier was accepted.
    pub reregistered: bool,
    /// A reply to one of alice's events differed between the two worlds.
    pub observations_differ: bool,
}

impl Ghost {
    fn apply(&mut self, act: Act, step: &Step) {
        let ok = step.result.is_ok();
        let high = self.high;
        match act {
            Act::Register(a) if ok => {
                if self.terminated.contains(&a) {
                    self.reregistered = true;
                }
                self.live.insert(a);
            }
            Act::AddDevice(d) if ok => {
                self.devices.insert(d);
                self.records.push((d.owner(), high));
            }
            Act::RemoveDevice(d) if ok => {
                self.devices.remove(&d);
                self.records.push((d.owner(), high));
                for s in self.sent.values_mut() {
                    s.done.insert(d);
                }
            }
            Act::Join(a) if ok => {
                self.members.insert(a);
            }
            Act::Leave(a) if ok => {
                self.members.remove(&a);
            }
            Act::Block | Act::Unblock if ok => {
                self.blocked = act == Act::Block;
                self.records.push((Acct::Bob, high));
            }
            Act::Setting(a) if ok => self.records.push((a, high)),
            Act::Hold(a) if ok => self.holds.push((a, high)),
            Act::Terminate(a) if ok => {
                self.live.remove(&a);
                self.terminated.insert(a);
                self.members.remove(&a);
                let gone: Vec<Dev> = self.devices.iter().copied().filter(|d| d.owner() == a).collect();
                for d in gone {
                    self.devices.remove(&d);
                    for s in self.sent.values_mut() {
                        s.done.insert(d);
                    }
                }
                if a == Acct::Alice {
                    for s in self.sent.values_mut() {
                        s.ended = true;
                    }
                }
            }
            Act::Store(k) if ok => {
                self.attempted.insert(k);
                self.records.push((Acct::Alice, high));
                let deadline = high.saturating_add(u64::from(MESSAGES[k].min(CAP)));
                let recipients: BTreeSet<Dev> = self
                    .devices
                    .iter()
                    .copied()
                    .filter(|d| *d != Dev::A1 && self.members.contains(&d.owner()) && self.live.contains(&d.owner()))
                    .filter(|d| !(d.owner() == Acct::Bob && self.blocked))
                    .collect();
                if !recipients.is_empty() && self.members.contains(&Acct::Alice) {
                    self.sent
                        .insert(k, Sent { stored_at: high, deadline, recipients, done: BTreeSet::new(), ended: false });
                }
            }
            Act::Ack(d, k) if ok => {
                if let Some(s) = self.sent.get_mut(&k) {
                    s.done.insert(d);
                }
            }
            Act::Recall(d, k) if ok && d == Dev::A1 && self.devices.contains(&Dev::A1) => {
                if let Some(s) = self.sent.get_mut(&k) {
                    s.ended = true;
                }
            }
            Act::Fetch(d) => {
                if let Ok(Reply::Messages(list)) = &step.result {
                    for m in list {
                        let k = message_index(&m.message_id);
                        let entitled = k.and_then(|k| self.sent.get(&k)).is_some_and(|s| s.recipients.contains(&d));
                        if !entitled {
                            self.outsider_delivery = true;
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// How many activity records of `account` may exist at the clock (RET-051, RET-053, RET-054):
    /// each lives 6 days from when it was made; a hold given while it exists moves its end to the
    /// hold's end if that is later (so a second hold extends what the first kept); a terminated
    /// account keeps only the records a hold kept.
    #[must_use]
    pub fn records_allowed(&self, account: Acct) -> usize {
        let terminated = self.terminated.contains(&account);
        let mut holds: Vec<u64> = self.holds.iter().filter(|(a, _)| *a == account).map(|(_, h)| *h).collect();
        holds.sort_unstable();
        self.records
            .iter()
            .filter(|(a, t)| {
                if *a != account {
                    return false;
                }
                let mut end = t.saturating_add(RECORD_LIFETIME);
                let mut held = false;
                for h in &holds {
                    if t <= h && *h < end {
                        end = end.max(h.saturating_add(HOLD_LIFETIME));
                        held = true;
                    }
                }
                self.high < end && (held || !terminated)
            })
            .count()
    }
}

/// A model state: the log, the world, the lockstep world of SYS-011 (`None` while it equals the
/// first) and the ghost.
#[derive(Clone)]
pub struct RState {
    /// The actions so far, after the setup.
    pub log: Vec<Act>,
    /// The world.
    pub world: World,
    /// The world without bob's blocks, once it differs.
    pub unblocked: Option<World>,
    /// The ghost.
    pub ghost: Ghost,
    /// Records each account's disclosure lists (derived from the world).
    pub records: [usize; 4],
    /// The messages the world holds (derived).
    pub held: BTreeSet<usize>,
}

impl fmt::Debug for RState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} after {:?} {:?}", self.world, self.log, self.ghost)
    }
}

impl PartialEq for RState {
    fn eq(&self, other: &Self) -> bool {
        (&self.world, &self.unblocked, &self.ghost) == (&other.world, &other.unblocked, &other.ghost)
    }
}

impl Eq for RState {}

impl Hash for RState {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.world.hash(state);
        self.unblocked.hash(state);
        self.ghost.hash(state);
    }
}

/// The retention model.
#[derive(Clone, Debug)]
pub struct RetentionModel {
    /// The injected bug, if any.
    pub bug: Option<Bug>,
    /// The bound: at most this many actions after the setup.
    pub depth: usize,
}

impl RetentionModel {
    /// The model of the reference, to `depth` actions.
    #[must_use]
    pub const fn new(depth: usize) -> Self {
        Self { bug: None, depth }
    }

    /// The same model with a bug injected.
    #[must_use]
    pub const fn with_bug(depth: usize, bug: Bug) -> Self {
        Self { bug: Some(bug), depth }
    }

    fn step(&self, state: &mut RState, act: Act) {
        let now = match act {
            Act::Tick(t) => t,
            _ => state.ghost.high,
        };
        let is_block = matches!(act, Act::Block | Act::Unblock);
        if is_block && state.unblocked.is_none() {
            state.unblocked = Some(state.world.clone());
        }
        let first = state.world.handle(self.bug, act, now);
        if let Some(second) = &mut state.unblocked {
            let step = second.handle(self.bug, if is_block { Act::Tick(now) } else { act }, now);
            if act.actor() == Some(Acct::Alice) && step.result != first.result {
                state.ghost.observations_differ = true;
            }
        }
        state.ghost.high = state.ghost.high.max(now);
        state.ghost.apply(act, &first);
        state.log.push(act);
        state.records = Self::records(&state.world);
        state.held = state.world.held();
    }

    fn records(world: &World) -> [usize; 4] {
        Acct::ALL.map(|a| world.server.disclose(&a.id()).map_or(0, |d| d.records.len()))
    }

    /// Every deadline the chapter can compute for what the model did, and one second before it,
    /// later than the clock.
    fn times(state: &RState) -> Vec<u64> {
        let g = &state.ghost;
        let mut points = BTreeSet::new();
        let mut add = |t: u64| {
            points.insert(t.saturating_sub(1));
            points.insert(t);
        };
        for s in g.sent.values() {
            add(s.deadline);
        }
        for (_, t) in &g.records {
            add(t.saturating_add(RECORD_LIFETIME));
            add((t / DAY).saturating_mul(DAY).saturating_add(RECORD_LIFETIME));
        }
        for (_, h) in &g.holds {
            add(h.saturating_add(HOLD_LIFETIME));
        }
        points.into_iter().filter(|t| *t > g.high).collect()
    }
}

/// The properties, by name (spec/system.md).
pub mod props {
    /// SYS-007.
    pub const NOTHING_PAST_DEADLINE: &str =
        "SYS-007 the server holds no ciphertext past its cap or expiry, nor once every recipient device has it";
    /// SYS-008.
    pub const NOTHING_LOST: &str = "SYS-008 the server never loses an undelivered copy before its deadline";
    /// SYS-009.
    pub const NO_BACKFILL: &str = "SYS-009 a message reaches only the devices it was stored for";
    /// SYS-010.
    pub const NO_REREGISTRATION: &str = "SYS-010 a terminated identifier never registers again";
    /// SYS-011.
    pub const BLOCK_INVISIBLE: &str = "SYS-011 a blocked sender observes exactly what an unblocked one does";
    /// SYS-012.
    pub const RECORDS_EXPIRE: &str = "SYS-012 non-content records never outlive their lifetimes";
    /// SYS-013.
    pub const HOLD_KEEPS_NO_CONTENT: &str = "SYS-013 a preservation hold keeps no content";
}

impl Model for RetentionModel {
    type State = RState;
    type Action = Act;

    fn init_states(&self) -> Vec<RState> {
        let world = World::new();
        let ghost = Ghost { high: T0, ..Ghost::default() };
        let mut state =
            RState { log: Vec::new(), world, unblocked: None, ghost, records: [0; 4], held: BTreeSet::new() };
        for act in setup() {
            self.step(&mut state, act);
        }
        state.log.clear();
        vec![state]
    }

    fn actions(&self, state: &RState, actions: &mut Vec<Act>) {
        let g = &state.ghost;
        for k in 0..MESSAGES.len() {
            if !g.attempted.contains(&k) {
                actions.push(Act::Store(k));
            }
        }
        actions.extend(Dev::RECEIVERS.map(Act::Fetch));
        for k in &g.attempted {
            actions.extend(Dev::RECEIVERS.map(|d| Act::Ack(d, *k)));
            actions.extend([Act::Recall(Dev::A1, *k), Act::Recall(Dev::B1, *k)]);
        }
        if !g.devices.contains(&Dev::B2) && g.live.contains(&Acct::Bob) {
            actions.push(Act::AddDevice(Dev::B2));
        }
        if g.devices.contains(&Dev::B1) {
            actions.push(Act::RemoveDevice(Dev::B1));
        }
        if !g.members.contains(&Acct::Dave) && g.live.contains(&Acct::Dave) {
            actions.push(Act::Join(Acct::Dave));
        }
        if g.members.contains(&Acct::Bob) {
            actions.push(Act::Leave(Acct::Bob));
        }
        if g.live.contains(&Acct::Bob) {
            actions.push(if g.blocked { Act::Unblock } else { Act::Block });
        }
        for a in [Acct::Alice, Acct::Bob] {
            if g.live.contains(&a) {
                actions.push(Act::Terminate(a));
            }
        }
        if g.terminated.contains(&Acct::Alice) {
            actions.push(Act::Register(Acct::Alice));
        }
        if g.live.contains(&Acct::Alice) {
            actions.extend([Act::Hold(Acct::Alice), Act::Setting(Acct::Alice)]);
        }
        actions.extend(Self::times(state).into_iter().map(Act::Tick));
    }

    fn next_state(&self, state: &RState, action: Act) -> Option<RState> {
        let mut next = state.clone();
        self.step(&mut next, action);
        Some(next)
    }

    fn within_boundary(&self, state: &RState) -> bool {
        state.log.len() <= self.depth
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always(props::NOTHING_PAST_DEADLINE, |_: &Self, s: &RState| {
                s.held.iter().all(|k| s.ghost.sent.get(k).is_some_and(|m| m.may_hold(s.ghost.high)))
            }),
            Property::always(props::NOTHING_LOST, |_: &Self, s: &RState| {
                s.ghost.sent.iter().all(|(k, m)| !m.may_hold(s.ghost.high) || s.held.contains(k))
            }),
            Property::always(props::NO_BACKFILL, |_: &Self, s: &RState| !s.ghost.outsider_delivery),
            Property::always(props::NO_REREGISTRATION, |_: &Self, s: &RState| !s.ghost.reregistered),
            Property::always(props::BLOCK_INVISIBLE, |_: &Self, s: &RState| !s.ghost.observations_differ),
            Property::always(props::RECORDS_EXPIRE, |_: &Self, s: &RState| {
                Acct::ALL.iter().zip(s.records).all(|(a, n)| n <= s.ghost.records_allowed(*a))
            }),
            Property::always(props::HOLD_KEEPS_NO_CONTENT, |_: &Self, s: &RState| {
                let g = &s.ghost;
                let on_hold =
                    g.holds.iter().any(|(a, h)| *a == Acct::Alice && g.high < h.saturating_add(HOLD_LIFETIME));
                let may = |k: &usize| {
                    !g.terminated.contains(&Acct::Alice) && g.sent.get(k).is_some_and(|m| m.may_hold(g.high))
                };
                !on_hold || s.held.iter().all(may)
            }),
            Property::sometimes("example: purged once every recipient device acknowledged", |_: &Self, s: &RState| {
                s.ghost.sent.iter().any(|(k, m)| {
                    m.recipients.len() > 1 && m.recipients.iter().all(|d| m.done.contains(d)) && !s.held.contains(k)
                })
            }),
            Property::sometimes("example: a hold keeps records past 6 days", |_: &Self, s: &RState| {
                s.ghost.high >= T0 + RECORD_LIFETIME && s.records[0] > 0
            }),
            Property::sometimes(
                "example: a block changes what is held, not what alice sees",
                |_: &Self, s: &RState| s.unblocked.as_ref().is_some_and(|w| w.held() != s.held),
            ),
        ]
    }
}

fn hex_account(a: Acct) -> String {
    hex::encode(a.id().0)
}

/// One action as an event of a `retention.scenario` (vectors/src/retention.rs's format).
fn event_json(act: Act, at: u64) -> Value {
    let dev = |d: Dev| hex::encode(d.id());
    let room = hex::encode(ROOM);
    match act {
        Act::Store(k) => json!({
            "at": at, "event": "store", "device": dev(Dev::A1), "messageId": hex::encode(message_id(k)),
            "conversation": room, "sentAt": at, "ttl": MESSAGES[k], "ciphertext": hex::encode(ciphertext(k)),
        }),
        Act::Fetch(d) => json!({ "at": at, "event": "fetch", "device": dev(d) }),
        Act::Ack(d, k) => {
            json!({ "at": at, "event": "ack", "device": dev(d), "messageId": hex::encode(message_id(k)) })
        }
        Act::Recall(d, k) => {
            json!({ "at": at, "event": "recall", "device": dev(d), "messageId": hex::encode(message_id(k)) })
        }
        Act::AddDevice(d) => json!({
            "at": at, "event": "add_device", "account": hex_account(d.owner()), "device": dev(d), "platform": "ios",
        }),
        Act::RemoveDevice(d) => {
            json!({ "at": at, "event": "remove_device", "account": hex_account(d.owner()), "device": dev(d) })
        }
        Act::Join(a) => json!({ "at": at, "event": "join", "account": hex_account(a), "conversation": room }),
        Act::Leave(a) => json!({ "at": at, "event": "leave", "account": hex_account(a), "conversation": room }),
        Act::Block => json!({
            "at": at, "event": "block", "account": hex_account(Acct::Bob), "blocked": hex_account(Acct::Alice),
        }),
        Act::Unblock => json!({
            "at": at, "event": "unblock", "account": hex_account(Acct::Bob), "blocked": hex_account(Acct::Alice),
        }),
        Act::Terminate(a) => json!({ "at": at, "event": "terminate", "account": hex_account(a) }),
        Act::Register(a) => json!({ "at": at, "event": "register", "account": hex_account(a) }),
        Act::Hold(a) => json!({ "at": at, "event": "hold", "account": hex_account(a) }),
        Act::Setting(a) => {
            json!({ "at": at, "event": "change_setting", "account": hex_account(a), "change": "set_avatar" })
        }
        Act::Tick(_) => json!({ "at": at, "event": "tick" }),
    }
}

impl Scenario for RetentionModel {
    const PART: &'static str = "retention";

    fn scenario_args(&self, _init: &RState, actions: &[Act]) -> Value {
        let mut clock = T0;
        let mut events: Vec<Value> = setup().into_iter().map(|a| event_json(a, T0)).collect();
        for act in actions {
            if let Act::Tick(t) = act {
                clock = clock.max(*t);
            }
            events.push(event_json(*act, clock));
        }
        json!({ "profile": "consumer", "cap": CAP, "events": events })
    }

    fn expected(&self, args: &Value) -> Value {
        match cinder_vectors::retention::scenario(args) {
            Ok(Ok(expected)) => expected,
            Ok(Err(e)) => json!({ "error": e.code() }),
            Err(message) => json!({ "unreadable": message }),
        }
    }
}
