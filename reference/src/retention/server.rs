//! The server's state and its transition function (spec/retention.md sections 2 to 6).
//!
//! Every collection is ordered, so iteration order — and with it the order of outputs — is a
//! function of the state alone. The *indexes* (`message_ids`, `deadlines`, `record_deadlines`,
//! `buckets`, `holds`, `device_keys` and the per-device and per-account sets of sequence numbers)
//! are derived from the primary tables and exist only so that a step costs
//! `O((purged + touched) · log n)`: advancing the clock reads the deadline index from its low
//! end and stops at the first deadline still in the future; it never visits a message that stays.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;
use core::cmp::min;

use super::disclosure::{Disclosure, Facts, MessageView, RecipientView, RecordView};
use super::{
    AccountId, Config, DAY, Delivery, Event, EventProblem, HOLD_LIFETIME, MAX_CIPHERTEXT_LEN, MAX_EXTERNAL_IDS,
    MAX_TTL, MessageId, NotStoredReason, Output, Platform, PurgeReason, RECORD_LIFETIME, RecordEnd, RecordKind, Reply,
    RetentionError, RouteId, SettingChange, Step, Store,
};

/// Store order of a held message; assigned once, never reused.
type Seq = u64;
/// A device registration; a device ID removed and added again gets a new key (RET-031).
type DeviceKey = u64;
/// An activity record's number; assigned once, never reused.
type RecordNo = u64;

/// A live account (RET-050): its facts, and what it owns.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Account {
    facts: Facts,
    devices: BTreeSet<RouteId>,
    rooms: BTreeSet<RouteId>,
    blocks: BTreeSet<AccountId>,
    /// Index: held messages this account sent.
    sent: BTreeSet<Seq>,
    hold_until: Option<u64>,
}

/// A registered device.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Device {
    key: DeviceKey,
    account: AccountId,
    platform: Platform,
    /// Index: held messages waiting for this device.
    pending: BTreeSet<Seq>,
    /// Index: held messages this device has acknowledged (others are still pending).
    acked: BTreeSet<Seq>,
}

/// One recipient of a held message and whether it has acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Recipient {
    key: DeviceKey,
    acked: bool,
}

/// A held message (RET-010): the ciphertext and routing metadata, nothing else.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Held {
    id: MessageId,
    conversation: RouteId,
    sender: AccountId,
    sender_device: RouteId,
    sent_at: u64,
    ttl: u32,
    stored_at: u64,
    deadline: u64,
    /// `Expiry` or `Cap`: which bound the deadline is (RET-021).
    bound: PurgeReason,
    ciphertext: Box<[u8]>,
    recipients: Vec<Recipient>,
}

/// An activity record (RET-051).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Record {
    kind: RecordKind,
    at: u64,
    deadline: u64,
    held: bool,
    direct: u64,
    room: u64,
}

/// What a hold keeps of a terminated account: its facts, until the hold lapses (RET-053).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Preserved {
    facts: Facts,
    until: u64,
}

/// How many items of each kind the server holds: what [`Server::census`] counts and every
/// account's [`Disclosure`] together cover (RET-061).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Census {
    /// Live accounts (each with its facts).
    pub accounts: usize,
    /// Tombstoned identifiers.
    pub tombstones: usize,
    /// Terminated accounts whose facts a hold preserves.
    pub preserved: usize,
    /// Registered devices.
    pub devices: usize,
    /// (account, conversation) memberships.
    pub memberships: usize,
    /// Block-list entries.
    pub block_entries: usize,
    /// Activity records.
    pub records: usize,
    /// Held messages.
    pub messages: usize,
    /// (message, recipient device) entries of held messages, pending or acknowledged.
    pub deliveries: usize,
    /// Bytes of held ciphertext.
    pub ciphertext_bytes: usize,
}

/// An invariant of spec/retention.md section 9 that [`Server::audit`] found broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditError(pub &'static str);

impl core::fmt::Display for AuditError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "invariant broken: {}", self.0)
    }
}

impl core::error::Error for AuditError {}

/// The retention server (spec/retention.md): configuration, clock and holdings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Server {
    config: Config,
    clock: u64,
    accounts: BTreeMap<AccountId, Account>,
    tombstones: BTreeSet<AccountId>,
    preserved: BTreeMap<AccountId, Preserved>,
    devices: BTreeMap<RouteId, Device>,
    device_keys: BTreeMap<DeviceKey, RouteId>,
    next_device: DeviceKey,
    rooms: BTreeMap<RouteId, BTreeSet<AccountId>>,
    /// Boxed: store orders only grow, so the map's nodes end up about half full, and a node of
    /// large inline values would waste half its bytes (the `retention` bench measures it).
    messages: BTreeMap<Seq, Box<Held>>,
    /// Index: (message ID, store order) of every held message. IDs are not unique (RET-012).
    message_ids: BTreeSet<(MessageId, Seq)>,
    deadlines: BTreeSet<(u64, Seq)>,
    next_seq: Seq,
    records: BTreeMap<(AccountId, RecordNo), Record>,
    record_deadlines: BTreeSet<(u64, AccountId, RecordNo)>,
    /// Index: today's unheld message-count record of an account, by (account, day).
    buckets: BTreeMap<(AccountId, u64), RecordNo>,
    next_record: RecordNo,
    holds: BTreeSet<(u64, AccountId)>,
}

fn route(bytes: &[u8], problem: EventProblem) -> Result<RouteId, RetentionError> {
    RouteId::new(bytes).ok_or(RetentionError::InvalidEvent(problem))
}

/// Takes the next value of a counter. The counters are `u64` and advance by one per accepted
/// event, so they cannot reach 2^64 (at 10^9 events a second that takes 584 years); saturating
/// keeps even that impossible case free of panics.
fn take(counter: &mut u64) -> u64 {
    let value = *counter;
    *counter = counter.saturating_add(1);
    value
}

impl Server {
    /// An empty server: no accounts, no messages, clock 0.
    #[must_use]
    pub const fn new(config: Config) -> Self {
        Self {
            config,
            clock: 0,
            accounts: BTreeMap::new(),
            tombstones: BTreeSet::new(),
            preserved: BTreeMap::new(),
            devices: BTreeMap::new(),
            device_keys: BTreeMap::new(),
            next_device: 0,
            rooms: BTreeMap::new(),
            messages: BTreeMap::new(),
            message_ids: BTreeSet::new(),
            deadlines: BTreeSet::new(),
            next_seq: 0,
            records: BTreeMap::new(),
            record_deadlines: BTreeSet::new(),
            buckets: BTreeMap::new(),
            next_record: 0,
            holds: BTreeSet::new(),
        }
    }

    /// The configuration.
    #[must_use]
    pub const fn config(&self) -> Config {
        self.config
    }

    /// The server's clock: the highest `now` it has seen (RET-003).
    #[must_use]
    pub const fn clock(&self) -> u64 {
        self.clock
    }

    /// How many messages are held.
    #[must_use]
    pub fn held_count(&self) -> usize {
        self.messages.len()
    }

    /// The IDs of the held messages, in byte order; an ID held twice (RET-012) appears twice.
    pub fn held_ids(&self) -> impl Iterator<Item = &MessageId> {
        self.message_ids.iter().map(|(id, _)| id)
    }

    /// The held messages in store order, each as its ID and deadline (RET-020).
    pub fn held(&self) -> impl Iterator<Item = (MessageId, u64)> + '_ {
        self.messages.values().map(|m| (m.id, m.deadline))
    }

    /// Store orders of the held messages with this ID.
    fn copies(&self, message_id: &MessageId) -> Vec<Seq> {
        self.message_ids.range((*message_id, 0)..=(*message_id, Seq::MAX)).map(|&(_, seq)| seq).collect()
    }

    /// Whether `account` is tombstoned (RET-055).
    #[must_use]
    pub fn is_tombstoned(&self, account: &AccountId) -> bool {
        self.tombstones.contains(account)
    }

    /// Whether `account` is registered and not terminated.
    #[must_use]
    pub fn is_live(&self, account: &AccountId) -> bool {
        self.accounts.contains_key(account)
    }

    /// Every identifier the server knows: live accounts and tombstones, in byte order.
    #[must_use]
    pub fn known_accounts(&self) -> Vec<AccountId> {
        let mut all: Vec<AccountId> = self.accounts.keys().chain(self.tombstones.iter()).copied().collect();
        all.sort_unstable();
        all
    }

    /// Counts every item of the state (RET-061).
    #[must_use]
    pub fn census(&self) -> Census {
        Census {
            accounts: self.accounts.len(),
            tombstones: self.tombstones.len(),
            preserved: self.preserved.len(),
            devices: self.devices.len(),
            memberships: self.rooms.values().map(BTreeSet::len).sum(),
            block_entries: self.accounts.values().map(|a| a.blocks.len()).sum(),
            records: self.records.len(),
            messages: self.messages.len(),
            deliveries: self.messages.values().map(|m| m.recipients.len()).sum(),
            ciphertext_bytes: self.messages.values().map(|m| m.ciphertext.len()).sum(),
        }
    }

    /// One step (RET-003): time passes to `max(clock, now)` and purges what it reaches, then the
    /// event is applied. A refused event changes nothing; what time did stands.
    pub fn handle(&mut self, event: &Event<'_>, now: u64) -> Step {
        let mut outputs = Vec::new();
        self.advance(now, &mut outputs);
        let result = self.apply(event, &mut outputs);
        Step { outputs, result }
    }

    /// Stage 1 of a step (RET-003, RET-021, RET-051, RET-053): in order, messages, records and
    /// holds whose deadline is at or before the new clock. Each loop reads its index from the
    /// earliest deadline and stops at the first that is still ahead: the cost is
    /// `O(purged · log n)`, independent of how much stays.
    fn advance(&mut self, now: u64, out: &mut Vec<Output>) {
        self.clock = self.clock.max(now);
        while let Some(&(deadline, seq)) = self.deadlines.first() {
            if deadline > self.clock {
                break;
            }
            let reason = self.messages.get(&seq).map_or(PurgeReason::Cap, |m| m.bound);
            self.purge(seq, reason, out);
        }
        while let Some(&(deadline, account, no)) = self.record_deadlines.first() {
            if deadline > self.clock {
                break;
            }
            self.delete_record(account, no, RecordEnd::Expired, out);
        }
        while let Some(&(until, account)) = self.holds.first() {
            if until > self.clock {
                break;
            }
            self.holds.remove(&(until, account));
            if let Some(live) = self.accounts.get_mut(&account) {
                live.hold_until = None;
            }
            self.preserved.remove(&account);
            out.push(Output::HoldLapsed { account });
        }
    }

    /// Stage 2: the event. Every check comes before the first change (RET-003).
    fn apply(&mut self, event: &Event<'_>, out: &mut Vec<Output>) -> Result<Reply, RetentionError> {
        match *event {
            Event::Register { account } => self.register(account),
            Event::AddDevice { account, device, platform } => self.add_device(account, device, platform),
            Event::RemoveDevice { account, device } => self.remove_device(account, device, out),
            Event::Join { account, conversation } => self.join(account, conversation),
            Event::Leave { account, conversation } => self.leave(account, conversation),
            Event::Block { account, blocked } => self.block(account, blocked, true),
            Event::Unblock { account, blocked } => self.block(account, blocked, false),
            Event::ChangeSetting { account, change } => self.change_setting(account, change),
            Event::Store(store) => self.store(&store, out),
            Event::Fetch { device } => self.fetch(device),
            Event::Ack { device, message_id } => self.ack(device, &message_id, out),
            Event::Recall { device, message_id } => self.recall(device, message_id, out),
            Event::Terminate { account } => self.terminate(account, out),
            Event::Hold { account } => self.hold(account),
            Event::Disclose { account } => self.disclose(&account).map(|d| Reply::Disclosure(Box::new(d))),
            Event::Tick => Ok(Reply::Ticked),
        }
    }

    /// The actor of an account event must be live (RET-004, RET-055).
    fn live(&self, account: &AccountId) -> Result<&Account, RetentionError> {
        match self.accounts.get(account) {
            Some(live) => Ok(live),
            None if self.tombstones.contains(account) => Err(RetentionError::AccountTerminated),
            None => Err(RetentionError::UnknownAccount),
        }
    }

    fn live_mut(&mut self, account: &AccountId) -> Result<&mut Account, RetentionError> {
        if self.tombstones.contains(account) {
            return Err(RetentionError::AccountTerminated);
        }
        self.accounts.get_mut(account).ok_or(RetentionError::UnknownAccount)
    }

    fn touch(&mut self, account: &AccountId) {
        let today = self.clock / DAY;
        if let Some(live) = self.accounts.get_mut(account) {
            live.facts.last_use_day = today;
        }
    }

    /// RET-055: a tombstoned identifier is never registered again.
    fn register(&mut self, account: AccountId) -> Result<Reply, RetentionError> {
        if self.tombstones.contains(&account) {
            return Err(RetentionError::IdentifierTombstoned);
        }
        if self.accounts.contains_key(&account) {
            return Err(RetentionError::AccountExists);
        }
        let today = self.clock / DAY;
        let facts = Facts {
            created_day: today,
            last_use_day: today,
            platforms: Vec::new(),
            sent: 0,
            received: 0,
            external_ids: 0,
            avatar: false,
        };
        let live = Account {
            facts,
            devices: BTreeSet::new(),
            rooms: BTreeSet::new(),
            blocks: BTreeSet::new(),
            sent: BTreeSet::new(),
            hold_until: None,
        };
        self.accounts.insert(account, live);
        Ok(Reply::Registered)
    }

    /// RET-031: a new device, with a key no earlier registration had.
    fn add_device(&mut self, account: AccountId, device: &[u8], platform: Platform) -> Result<Reply, RetentionError> {
        let id = route(device, EventProblem::Device)?;
        self.live(&account)?;
        if self.devices.contains_key(&id) {
            return Err(RetentionError::DeviceExists);
        }
        let key = take(&mut self.next_device);
        self.devices.insert(id, Device { key, account, platform, pending: BTreeSet::new(), acked: BTreeSet::new() });
        self.device_keys.insert(key, id);
        if let Some(live) = self.accounts.get_mut(&account) {
            live.devices.insert(id);
            if !live.facts.platforms.contains(&platform) {
                live.facts.platforms.push(platform);
                live.facts.platforms.sort_unstable();
            }
        }
        self.touch(&account);
        self.add_record(account, RecordKind::DeviceAdded);
        Ok(Reply::DeviceAdded)
    }

    /// RET-033.
    fn remove_device(
        &mut self,
        account: AccountId,
        device: &[u8],
        out: &mut Vec<Output>,
    ) -> Result<Reply, RetentionError> {
        let id = route(device, EventProblem::Device)?;
        let live = self.live(&account)?;
        if !live.devices.contains(&id) {
            return Err(RetentionError::UnknownDevice);
        }
        self.drop_device(id, out);
        if let Some(live) = self.accounts.get_mut(&account) {
            live.devices.remove(&id);
        }
        self.touch(&account);
        self.add_record(account, RecordKind::DeviceRemoved);
        Ok(Reply::DeviceRemoved)
    }

    /// Removes a device: each pending delivery is dropped (and its message purged when no
    /// delivery is left pending), acknowledged entries are forgotten (RET-033).
    fn drop_device(&mut self, id: RouteId, out: &mut Vec<Output>) {
        let Some(device) = self.devices.remove(&id) else { return };
        self.device_keys.remove(&device.key);
        for seq in device.pending {
            let Some(held) = self.messages.get_mut(&seq) else { continue };
            held.recipients.retain(|r| r.key != device.key);
            let message_id = held.id;
            let done = held.recipients.iter().all(|r| r.acked);
            out.push(Output::Dropped { message_id, device: id });
            if done {
                self.purge(seq, PurgeReason::Dropped, out);
            }
        }
        for seq in device.acked {
            if let Some(held) = self.messages.get_mut(&seq) {
                held.recipients.retain(|r| r.key != device.key);
            }
        }
    }

    /// RET-034.
    fn join(&mut self, account: AccountId, conversation: &[u8]) -> Result<Reply, RetentionError> {
        let room = route(conversation, EventProblem::Conversation)?;
        if self.live(&account)?.rooms.contains(&room) {
            return Err(RetentionError::NoChange);
        }
        self.rooms.entry(room).or_default().insert(account);
        if let Some(live) = self.accounts.get_mut(&account) {
            live.rooms.insert(room);
        }
        self.touch(&account);
        Ok(Reply::Joined)
    }

    /// RET-032, RET-034.
    fn leave(&mut self, account: AccountId, conversation: &[u8]) -> Result<Reply, RetentionError> {
        let room = route(conversation, EventProblem::Conversation)?;
        if !self.live(&account)?.rooms.contains(&room) {
            return Err(RetentionError::NotAMember);
        }
        self.leave_room(account, room);
        if let Some(live) = self.accounts.get_mut(&account) {
            live.rooms.remove(&room);
        }
        self.touch(&account);
        Ok(Reply::Left)
    }

    fn leave_room(&mut self, account: AccountId, room: RouteId) {
        if let Some(members) = self.rooms.get_mut(&room) {
            members.remove(&account);
            if members.is_empty() {
                self.rooms.remove(&room);
            }
        }
    }

    /// RET-040.
    fn block(&mut self, account: AccountId, other: AccountId, add: bool) -> Result<Reply, RetentionError> {
        if add && other == account {
            return Err(RetentionError::InvalidEvent(EventProblem::SelfBlock));
        }
        let live = self.live_mut(&account)?;
        let changed = if add { live.blocks.insert(other) } else { live.blocks.remove(&other) };
        if !changed {
            return Err(RetentionError::NoChange);
        }
        self.touch(&account);
        self.add_record(account, RecordKind::BlockListChanged);
        Ok(if add { Reply::Blocked } else { Reply::Unblocked })
    }

    /// RET-050, RET-051.
    fn change_setting(&mut self, account: AccountId, change: SettingChange) -> Result<Reply, RetentionError> {
        let facts = &mut self.live_mut(&account)?.facts;
        let kind = match change {
            SettingChange::LinkExternalId => {
                if facts.external_ids >= MAX_EXTERNAL_IDS {
                    return Err(RetentionError::InvalidEvent(EventProblem::TooManyExternalIds));
                }
                facts.external_ids += 1;
                RecordKind::ExternalIdLinked
            }
            SettingChange::UnlinkExternalId => {
                facts.external_ids = facts.external_ids.checked_sub(1).ok_or(RetentionError::NoChange)?;
                RecordKind::ExternalIdUnlinked
            }
            SettingChange::SetAvatar => {
                facts.avatar = true;
                RecordKind::AvatarChanged
            }
            SettingChange::RemoveAvatar => {
                if !facts.avatar {
                    return Err(RetentionError::NoChange);
                }
                facts.avatar = false;
                RecordKind::AvatarChanged
            }
        };
        self.touch(&account);
        self.add_record(account, kind);
        Ok(Reply::SettingChanged)
    }

    /// RET-011, RET-012, RET-020, RET-021, RET-030, RET-041.
    fn store(&mut self, store: &Store<'_>, out: &mut Vec<Output>) -> Result<Reply, RetentionError> {
        let sender_device = route(store.device, EventProblem::Device)?;
        let room = route(store.conversation, EventProblem::Conversation)?;
        if store.ttl == 0 || store.ttl > MAX_TTL {
            return Err(RetentionError::InvalidEvent(EventProblem::Ttl));
        }
        if store.ciphertext.is_empty() || store.ciphertext.len() > MAX_CIPHERTEXT_LEN {
            return Err(RetentionError::InvalidEvent(EventProblem::Ciphertext));
        }
        let sender = self.devices.get(&sender_device).ok_or(RetentionError::UnknownDevice)?.account;
        let members = match self.rooms.get(&room) {
            Some(members) if members.contains(&sender) => members,
            _ => return Err(RetentionError::NotAMember),
        };
        let message_id = store.message_id;
        let reply = Reply::Accepted { message_id };
        // Accepted from here on: the reply is the same whatever follows (RET-011, RET-042).
        let direct = members.len() == 2;
        // RET-030, RET-041: recipients are fixed now: every device of every member, except the
        // sending device and the devices of members who block the sender.
        let mut recipients: Vec<(RouteId, DeviceKey)> = Vec::new();
        let mut receivers: Vec<AccountId> = Vec::new();
        for member in members {
            let Some(live) = self.accounts.get(member) else { continue };
            if *member != sender && live.blocks.contains(&sender) {
                continue;
            }
            let before = recipients.len();
            for device in &live.devices {
                if *device != sender_device
                    && let Some(d) = self.devices.get(device)
                {
                    recipients.push((*device, d.key));
                }
            }
            if *member != sender && recipients.len() > before {
                receivers.push(*member);
            }
        }
        self.touch(&sender);
        self.count_sent(sender, direct);
        // RET-020: the deadline, computed once; it never moves later.
        let start = min(store.sent_at, self.clock);
        let expiry = start.saturating_add(u64::from(store.ttl));
        let capped = self.clock.saturating_add(u64::from(self.config.cap()));
        if expiry <= self.clock {
            out.push(Output::NotStored { message_id, reason: NotStoredReason::Expired });
            return Ok(reply);
        }
        if recipients.is_empty() {
            out.push(Output::NotStored { message_id, reason: NotStoredReason::NoRecipients });
            return Ok(reply);
        }
        for receiver in &receivers {
            if let Some(live) = self.accounts.get_mut(receiver) {
                live.facts.received = live.facts.received.saturating_add(1);
            }
        }
        let (deadline, bound) =
            if expiry <= capped { (expiry, PurgeReason::Expiry) } else { (capped, PurgeReason::Cap) };
        let seq = take(&mut self.next_seq);
        for (id, _) in &recipients {
            if let Some(device) = self.devices.get_mut(id) {
                device.pending.insert(seq);
            }
        }
        if let Some(live) = self.accounts.get_mut(&sender) {
            live.sent.insert(seq);
        }
        self.messages.insert(
            seq,
            Box::new(Held {
                id: message_id,
                conversation: room,
                sender,
                sender_device,
                sent_at: store.sent_at,
                ttl: store.ttl,
                stored_at: self.clock,
                deadline,
                bound,
                ciphertext: store.ciphertext.into(),
                recipients: recipients.iter().map(|&(_, key)| Recipient { key, acked: false }).collect(),
            }),
        );
        self.message_ids.insert((message_id, seq));
        self.deadlines.insert((deadline, seq));
        let mut ids: Vec<RouteId> = recipients.into_iter().map(|(id, _)| id).collect();
        ids.sort_unstable();
        out.push(Output::Stored { message_id, recipients: ids, purge_by: deadline });
        Ok(reply)
    }

    /// RET-026.
    fn fetch(&mut self, device: &[u8]) -> Result<Reply, RetentionError> {
        let id = route(device, EventProblem::Device)?;
        let found = self.devices.get(&id).ok_or(RetentionError::UnknownDevice)?;
        let account = found.account;
        let messages = found
            .pending
            .iter()
            .filter_map(|seq| self.messages.get(seq))
            .map(|m| Delivery { message_id: m.id, ciphertext: m.ciphertext.to_vec() })
            .collect();
        self.touch(&account);
        Ok(Reply::Messages(messages))
    }

    /// RET-022, RET-023: the ack applies to every held copy of the ID pending for this device
    /// (RET-012); one refusal, `unknown_message`, when there is none.
    fn ack(&mut self, device: &[u8], message_id: &MessageId, out: &mut Vec<Output>) -> Result<Reply, RetentionError> {
        let id = route(device, EventProblem::Device)?;
        let found = self.devices.get(&id).ok_or(RetentionError::UnknownDevice)?;
        let (key, account) = (found.key, found.account);
        let pending: Vec<Seq> = self
            .copies(message_id)
            .into_iter()
            .filter(|seq| self.messages.get(seq).is_some_and(|m| m.recipients.iter().any(|r| r.key == key && !r.acked)))
            .collect();
        if pending.is_empty() {
            return Err(RetentionError::UnknownMessage);
        }
        let mut done = Vec::new();
        for seq in pending {
            let Some(held) = self.messages.get_mut(&seq) else { continue };
            for r in held.recipients.iter_mut().filter(|r| r.key == key) {
                r.acked = true;
            }
            if held.recipients.iter().all(|r| r.acked) {
                done.push(seq);
            }
            if let Some(d) = self.devices.get_mut(&id) {
                d.pending.remove(&seq);
                d.acked.insert(seq);
            }
        }
        self.touch(&account);
        for seq in done {
            self.purge(seq, PurgeReason::Delivered, out);
        }
        Ok(Reply::Acked)
    }

    /// RET-024: the reply is the same whether or not anything is purged.
    fn recall(&mut self, device: &[u8], message_id: MessageId, out: &mut Vec<Output>) -> Result<Reply, RetentionError> {
        let id = route(device, EventProblem::Device)?;
        let account = self.devices.get(&id).ok_or(RetentionError::UnknownDevice)?.account;
        let own: Vec<Seq> = self
            .copies(&message_id)
            .into_iter()
            .filter(|seq| self.messages.get(seq).is_some_and(|m| m.sender_device == id && m.sender == account))
            .collect();
        self.touch(&account);
        for seq in own {
            self.purge(seq, PurgeReason::Recalled, out);
        }
        Ok(Reply::Recalled { message_id })
    }

    /// RET-054: in order, the account's sent messages, its devices, its memberships, its block
    /// list, its unheld records, its facts (kept if a hold is active); then the tombstone.
    fn terminate(&mut self, account: AccountId, out: &mut Vec<Output>) -> Result<Reply, RetentionError> {
        self.live(&account)?;
        let Some(live) = self.accounts.remove(&account) else { return Err(RetentionError::UnknownAccount) };
        for seq in &live.sent {
            self.purge(*seq, PurgeReason::SenderTerminated, out);
        }
        for device in &live.devices {
            self.drop_device(*device, out);
        }
        for room in &live.rooms {
            self.leave_room(account, *room);
        }
        let unheld: Vec<RecordNo> = self
            .records
            .range((account, 0)..=(account, RecordNo::MAX))
            .filter(|(_, r)| !r.held)
            .map(|(&(_, no), _)| no)
            .collect();
        for no in unheld {
            self.delete_record(account, no, RecordEnd::Terminated, out);
        }
        self.forget_buckets(account);
        if let Some(until) = live.hold_until {
            self.preserved.insert(account, Preserved { facts: live.facts, until });
        }
        self.tombstones.insert(account);
        out.push(Output::Tombstoned { account });
        Ok(Reply::Terminated)
    }

    /// RET-053: every record the account has now is kept until `clock + 90 days`; so are its
    /// facts, should it be terminated meanwhile.
    fn hold(&mut self, account: AccountId) -> Result<Reply, RetentionError> {
        let until = self.clock.saturating_add(HOLD_LIFETIME);
        let live = self.live_mut(&account)?;
        if let Some(old) = live.hold_until.replace(until) {
            self.holds.remove(&(old, account));
        }
        self.holds.insert((until, account));
        for (&(_, no), record) in self.records.range_mut((account, 0)..=(account, RecordNo::MAX)) {
            if record.deadline < until {
                self.record_deadlines.remove(&(record.deadline, account, no));
                record.deadline = until;
                self.record_deadlines.insert((until, account, no));
            }
            record.held = true;
        }
        // A held message-count record is frozen: later messages of its day count in a new one.
        self.forget_buckets(account);
        Ok(Reply::Held { until })
    }

    /// RET-060: everything the server holds about `account`.
    ///
    /// # Errors
    /// `retention.unknown_account` when the identifier is neither registered nor tombstoned.
    pub fn disclose(&self, account: &AccountId) -> Result<Disclosure, RetentionError> {
        let records: Vec<RecordView> = self
            .records
            .range((*account, 0)..=(*account, RecordNo::MAX))
            .map(|(_, r)| RecordView {
                kind: r.kind,
                at: r.at,
                until: r.deadline,
                held: r.held,
                direct: r.direct,
                room: r.room,
            })
            .collect();
        let Some(live) = self.accounts.get(account) else {
            if !self.tombstones.contains(account) {
                return Err(RetentionError::UnknownAccount);
            }
            let kept = self.preserved.get(account);
            return Ok(Disclosure {
                account: *account,
                terminated: true,
                facts: kept.map(|p| p.facts.clone()),
                devices: Vec::new(),
                rooms: Vec::new(),
                block_list: Vec::new(),
                records,
                hold_until: kept.map(|p| p.until),
                messages: Vec::new(),
            });
        };
        let mut seqs: BTreeSet<Seq> = live.sent.clone();
        let mut devices = Vec::new();
        for id in &live.devices {
            if let Some(d) = self.devices.get(id) {
                devices.push((*id, d.platform));
                seqs.extend(d.pending.iter().chain(d.acked.iter()));
            }
        }
        let messages = seqs.iter().filter_map(|seq| self.messages.get(seq)).map(|m| self.view(m)).collect();
        Ok(Disclosure {
            account: *account,
            terminated: false,
            facts: Some(live.facts.clone()),
            devices,
            rooms: live.rooms.iter().copied().collect(),
            block_list: live.blocks.iter().copied().collect(),
            records,
            hold_until: live.hold_until,
            messages,
        })
    }

    fn view(&self, m: &Held) -> MessageView {
        let mut recipients: Vec<RecipientView> = m
            .recipients
            .iter()
            .filter_map(|r| self.device_keys.get(&r.key).map(|id| RecipientView { device: *id, acked: r.acked }))
            .collect();
        recipients.sort_unstable_by_key(|r| r.device);
        MessageView {
            message_id: m.id,
            conversation: m.conversation,
            sender: m.sender,
            sender_device: m.sender_device,
            sent_at: m.sent_at,
            ttl: m.ttl,
            stored_at: m.stored_at,
            purge_by: m.deadline,
            ciphertext_len: m.ciphertext.len(),
            recipients,
        }
    }

    /// Removes a held message and every index entry of it.
    fn purge(&mut self, seq: Seq, reason: PurgeReason, out: &mut Vec<Output>) {
        let Some(held) = self.messages.remove(&seq) else { return };
        self.message_ids.remove(&(held.id, seq));
        self.deadlines.remove(&(held.deadline, seq));
        for r in &held.recipients {
            if let Some(device) = self.device_keys.get(&r.key).and_then(|id| self.devices.get_mut(id)) {
                device.pending.remove(&seq);
                device.acked.remove(&seq);
            }
        }
        if let Some(live) = self.accounts.get_mut(&held.sender) {
            live.sent.remove(&seq);
        }
        out.push(Output::Purged { message_id: held.id, reason });
    }

    fn add_record(&mut self, account: AccountId, kind: RecordKind) {
        let no = take(&mut self.next_record);
        let deadline = self.clock.saturating_add(RECORD_LIFETIME);
        let record = Record { kind, at: self.clock, deadline, held: false, direct: 0, room: 0 };
        self.records.insert((account, no), record);
        self.record_deadlines.insert((deadline, account, no));
    }

    /// RET-051: message counts per account and day, kept until 6 days after the day began.
    fn count_sent(&mut self, account: AccountId, direct: bool) {
        if let Some(live) = self.accounts.get_mut(&account) {
            live.facts.sent = live.facts.sent.saturating_add(1);
        }
        let day = self.clock / DAY;
        let existing = self.buckets.get(&(account, day)).copied();
        let no = match existing {
            Some(no) => no,
            None => {
                let no = take(&mut self.next_record);
                let at = day.saturating_mul(DAY);
                let deadline = at.saturating_add(RECORD_LIFETIME);
                let record = Record { kind: RecordKind::MessageCounts, at, deadline, held: false, direct: 0, room: 0 };
                self.records.insert((account, no), record);
                self.record_deadlines.insert((deadline, account, no));
                self.buckets.insert((account, day), no);
                no
            }
        };
        if let Some(record) = self.records.get_mut(&(account, no)) {
            if direct {
                record.direct = record.direct.saturating_add(1);
            } else {
                record.room = record.room.saturating_add(1);
            }
        }
    }

    /// Drops the account's entries from the index of open message-count records.
    fn forget_buckets(&mut self, account: AccountId) {
        let open: Vec<(AccountId, u64)> =
            self.buckets.range((account, 0)..=(account, u64::MAX)).map(|(k, _)| *k).collect();
        for key in open {
            self.buckets.remove(&key);
        }
    }

    fn delete_record(&mut self, account: AccountId, no: RecordNo, reason: RecordEnd, out: &mut Vec<Output>) {
        let Some(record) = self.records.remove(&(account, no)) else { return };
        self.record_deadlines.remove(&(record.deadline, account, no));
        if record.kind == RecordKind::MessageCounts {
            let day = record.at / DAY;
            if self.buckets.get(&(account, day)) == Some(&no) {
                self.buckets.remove(&(account, day));
            }
        }
        out.push(Output::RecordDeleted { account, record: record.kind, at: record.at, reason });
    }

    /// Checks every invariant of spec/retention.md section 9 that the state alone can show, and
    /// that every index agrees with the tables it is derived from. It visits the whole state
    /// (`O(n log n)`): for tests and fuzzing, not for steps.
    ///
    /// # Errors
    /// The first broken invariant found.
    pub fn audit(&self) -> Result<(), AuditError> {
        let cap = u64::from(self.config.cap());
        for (seq, m) in &self.messages {
            // RET-021: nothing is held at or after its deadline, and no deadline is later than the
            // cap or the expiry.
            if m.deadline <= self.clock {
                return Err(AuditError("RET-021: a message is held at or after its deadline"));
            }
            if m.deadline > m.stored_at.saturating_add(cap) {
                return Err(AuditError("RET-020: a deadline is later than stored_at + cap"));
            }
            if m.deadline > min(m.sent_at, m.stored_at).saturating_add(u64::from(m.ttl)) {
                return Err(AuditError("RET-020: a deadline is later than the message's expiry"));
            }
            // RET-022, RET-033: a held message always has a pending recipient.
            if m.recipients.iter().all(|r| r.acked) {
                return Err(AuditError("RET-022: a message with no pending recipient is held"));
            }
            if !self.message_ids.contains(&(m.id, *seq)) || !self.deadlines.contains(&(m.deadline, *seq)) {
                return Err(AuditError("index: a held message is missing from an index"));
            }
            if !self.accounts.get(&m.sender).is_some_and(|a| a.sent.contains(seq)) {
                return Err(AuditError("RET-054: a held message's sender is not a live account"));
            }
            for r in &m.recipients {
                let device = self.device_keys.get(&r.key).and_then(|id| self.devices.get(id));
                let Some(device) = device else {
                    return Err(AuditError("RET-033: a held message names a removed device"));
                };
                let indexed = if r.acked { &device.acked } else { &device.pending };
                if !indexed.contains(seq) {
                    return Err(AuditError("index: a delivery is missing from its device's set"));
                }
            }
        }
        if self.message_ids.len() != self.messages.len() || self.deadlines.len() != self.messages.len() {
            return Err(AuditError("index: message indexes hold entries for purged messages"));
        }
        let deliveries: usize = self.devices.values().map(|d| d.pending.len() + d.acked.len()).sum();
        if deliveries != self.census().deliveries {
            return Err(AuditError("index: device sets hold entries for purged messages"));
        }
        for (id, d) in &self.devices {
            if self.device_keys.get(&d.key) != Some(id)
                || !self.accounts.get(&d.account).is_some_and(|a| a.devices.contains(id))
            {
                return Err(AuditError("index: a device is not its account's"));
            }
        }
        for (account, live) in &self.accounts {
            // RET-055: tombstones are never live again.
            if self.tombstones.contains(account) {
                return Err(AuditError("RET-055: a tombstoned identifier is live"));
            }
            if live.hold_until.is_some_and(|u| u <= self.clock) {
                return Err(AuditError("RET-053: a hold outlived its 90 days"));
            }
            for room in &live.rooms {
                if !self.rooms.get(room).is_some_and(|m| m.contains(account)) {
                    return Err(AuditError("index: a membership is one-sided"));
                }
            }
        }
        for (account, p) in &self.preserved {
            if !self.tombstones.contains(account) || p.until <= self.clock {
                return Err(AuditError("RET-053: preserved facts without a tombstone or past their hold"));
            }
        }
        for ((account, no), r) in &self.records {
            // RET-051, RET-053: records live 6 days, or until their hold ends, never longer.
            if r.deadline <= self.clock {
                return Err(AuditError("RET-051: a record is kept at or after its deadline"));
            }
            let own = r.at.saturating_add(RECORD_LIFETIME);
            if !r.held && r.deadline != own {
                return Err(AuditError("RET-051: an unheld record's deadline is not 6 days after it"));
            }
            if r.held && r.deadline.saturating_sub(self.clock) > HOLD_LIFETIME {
                return Err(AuditError("RET-053: a held record is kept more than 90 days ahead"));
            }
            let owner_known = self.accounts.contains_key(account) || self.preserved.contains_key(account);
            if !owner_known && !r.held {
                return Err(AuditError("RET-054: a terminated account's unheld record remains"));
            }
            if !self.record_deadlines.contains(&(r.deadline, *account, *no)) {
                return Err(AuditError("index: a record is missing from the deadline index"));
            }
        }
        if self.record_deadlines.len() != self.records.len() {
            return Err(AuditError("index: the record index holds deleted records"));
        }
        Ok(())
    }
}
