//! An independent model of spec/retention.md, written from the chapter and not from
//! `reference/src/retention/server.rs`: plain vectors, no indexes, every step scans the whole
//! state. It is slow on purpose and short enough to check against the text line by line.
//!
//! Used by `reference/tests/retention.rs` (property tests against the reference) and by
//! `vectors/tests/retention.rs` (every step of every scenario in `vectors/retention.json`).

use cinder::retention::{
    AccountId, Config, DAY, Delivery, Disclosure, Event, EventProblem, Facts, HOLD_LIFETIME, MAX_CIPHERTEXT_LEN,
    MAX_EXTERNAL_IDS, MAX_TTL, MessageId, MessageView, NotStoredReason, Output, Platform, PurgeReason, RECORD_LIFETIME,
    RecipientView, RecordEnd, RecordKind, RecordView, Reply, RetentionError, RouteId, SettingChange, Step, Store,
};

#[derive(Clone, Debug)]
struct Account {
    id: AccountId,
    facts: Facts,
    blocks: Vec<AccountId>,
    hold: Option<u64>,
}

#[derive(Clone, Debug)]
struct Device {
    id: Vec<u8>,
    account: AccountId,
    platform: Platform,
    /// Which registration of this ID: a device removed and added again is another device.
    registration: u64,
}

#[derive(Clone, Debug)]
struct Recipient {
    registration: u64,
    device: Vec<u8>,
    acked: bool,
}

#[derive(Clone, Debug)]
struct Message {
    order: u64,
    id: MessageId,
    conversation: Vec<u8>,
    sender: AccountId,
    sender_device: Vec<u8>,
    sent_at: u64,
    ttl: u32,
    stored_at: u64,
    deadline: u64,
    reason: PurgeReason,
    ciphertext: Vec<u8>,
    recipients: Vec<Recipient>,
}

#[derive(Clone, Debug)]
struct Record {
    account: AccountId,
    order: u64,
    kind: RecordKind,
    at: u64,
    deadline: u64,
    held: bool,
    direct: u64,
    room: u64,
}

/// The model server.
#[derive(Clone, Debug)]
pub(crate) struct Model {
    cap: u64,
    /// The model's clock.
    pub(crate) clock: u64,
    accounts: Vec<Account>,
    tombstones: Vec<AccountId>,
    devices: Vec<Device>,
    /// (conversation, member) pairs.
    members: Vec<(Vec<u8>, AccountId)>,
    messages: Vec<Message>,
    records: Vec<Record>,
    preserved: Vec<(AccountId, Facts, u64)>,
    next_message: u64,
    next_record: u64,
    next_registration: u64,
}

fn id_ok(bytes: &[u8]) -> bool {
    (1..=64).contains(&bytes.len())
}

fn route(bytes: &[u8]) -> RouteId {
    RouteId::new(bytes).expect("the model only builds route IDs of checked bytes")
}

impl Model {
    /// A model server with a configuration already checked by [`Config::new`].
    #[must_use]
    pub(crate) fn new(config: Config) -> Self {
        Self {
            cap: u64::from(config.cap()),
            clock: 0,
            accounts: Vec::new(),
            tombstones: Vec::new(),
            devices: Vec::new(),
            members: Vec::new(),
            messages: Vec::new(),
            records: Vec::new(),
            preserved: Vec::new(),
            next_message: 0,
            next_record: 0,
            next_registration: 0,
        }
    }

    /// IDs of the held messages, in byte order.
    #[must_use]
    pub(crate) fn held(&self) -> Vec<MessageId> {
        let mut ids: Vec<MessageId> = self.messages.iter().map(|m| m.id).collect();
        ids.sort_unstable();
        ids
    }

    /// One step: time, then the event (RET-003).
    pub(crate) fn step(&mut self, event: &Event<'_>, now: u64) -> Step {
        self.clock = self.clock.max(now);
        let mut out = Vec::new();
        // Messages whose deadline has come, earliest (deadline, store order) first.
        loop {
            let due = self
                .messages
                .iter()
                .enumerate()
                .filter(|(_, m)| m.deadline <= self.clock)
                .min_by_key(|(_, m)| (m.deadline, m.order))
                .map(|(i, _)| i);
            let Some(i) = due else { break };
            let m = self.messages.remove(i);
            out.push(Output::Purged { message_id: m.id, reason: m.reason });
        }
        loop {
            let due = self
                .records
                .iter()
                .enumerate()
                .filter(|(_, r)| r.deadline <= self.clock)
                .min_by_key(|(_, r)| (r.deadline, r.account, r.order))
                .map(|(i, _)| i);
            let Some(i) = due else { break };
            let r = self.records.remove(i);
            out.push(Output::RecordDeleted {
                account: r.account,
                record: r.kind,
                at: r.at,
                reason: RecordEnd::Expired,
            });
        }
        let mut lapsing: Vec<(u64, AccountId)> = self
            .accounts
            .iter()
            .filter_map(|a| a.hold.filter(|u| *u <= self.clock).map(|u| (u, a.id)))
            .chain(self.preserved.iter().filter(|p| p.2 <= self.clock).map(|p| (p.2, p.0)))
            .collect();
        lapsing.sort_unstable();
        for (_, account) in lapsing {
            if let Some(a) = self.accounts.iter_mut().find(|a| a.id == account) {
                a.hold = None;
            }
            self.preserved.retain(|p| p.0 != account);
            out.push(Output::HoldLapsed { account });
        }
        let result = self.event(event, &mut out);
        Step { outputs: out, result }
    }

    fn actor(&self, account: &AccountId) -> Result<usize, RetentionError> {
        if self.tombstones.contains(account) {
            return Err(RetentionError::AccountTerminated);
        }
        self.accounts.iter().position(|a| a.id == *account).ok_or(RetentionError::UnknownAccount)
    }

    fn device(&self, device: &[u8]) -> Result<usize, RetentionError> {
        if !id_ok(device) {
            return Err(RetentionError::InvalidEvent(EventProblem::Device));
        }
        self.devices.iter().position(|d| d.id == device).ok_or(RetentionError::UnknownDevice)
    }

    fn used(&mut self, account: &AccountId) {
        let today = self.clock / DAY;
        if let Some(a) = self.accounts.iter_mut().find(|a| a.id == *account) {
            a.facts.last_use_day = today;
        }
    }

    fn record(&mut self, account: AccountId, kind: RecordKind) {
        let order = self.next_record;
        self.next_record += 1;
        let deadline = self.clock.saturating_add(RECORD_LIFETIME);
        self.records.push(Record { account, order, kind, at: self.clock, deadline, held: false, direct: 0, room: 0 });
    }

    fn is_member(&self, conversation: &[u8], account: &AccountId) -> bool {
        self.members.iter().any(|(c, a)| c == conversation && a == account)
    }

    /// Purges every message that `which` picks, in store order.
    fn purge_where(&mut self, which: impl Fn(&Message) -> bool, reason: PurgeReason, out: &mut Vec<Output>) {
        let mut picked: Vec<u64> = self.messages.iter().filter(|m| which(m)).map(|m| m.order).collect();
        picked.sort_unstable();
        for order in picked {
            if let Some(i) = self.messages.iter().position(|m| m.order == order) {
                self.purge_at(i, reason, out);
            }
        }
    }

    fn purge_at(&mut self, i: usize, reason: PurgeReason, out: &mut Vec<Output>) {
        let m = self.messages.remove(i);
        out.push(Output::Purged { message_id: m.id, reason });
    }

    /// Removes device number `i` (RET-033).
    fn remove_device_at(&mut self, i: usize, out: &mut Vec<Output>) {
        let d = self.devices.remove(i);
        let mut orders: Vec<u64> = self.messages.iter().map(|m| m.order).collect();
        orders.sort_unstable();
        for order in orders {
            let Some(mi) = self.messages.iter().position(|m| m.order == order) else { continue };
            let m = &mut self.messages[mi];
            let pending = m.recipients.iter().any(|r| r.registration == d.registration && !r.acked);
            m.recipients.retain(|r| r.registration != d.registration);
            if pending {
                out.push(Output::Dropped { message_id: m.id, device: route(&d.id) });
                if m.recipients.iter().all(|r| r.acked) {
                    self.purge_at(mi, PurgeReason::Dropped, out);
                }
            }
        }
    }

    fn event(&mut self, event: &Event<'_>, out: &mut Vec<Output>) -> Result<Reply, RetentionError> {
        match *event {
            Event::Register { account } => {
                if self.tombstones.contains(&account) {
                    return Err(RetentionError::IdentifierTombstoned);
                }
                if self.accounts.iter().any(|a| a.id == account) {
                    return Err(RetentionError::AccountExists);
                }
                let day = self.clock / DAY;
                let facts = Facts {
                    created_day: day,
                    last_use_day: day,
                    platforms: Vec::new(),
                    sent: 0,
                    received: 0,
                    external_ids: 0,
                    avatar: false,
                };
                self.accounts.push(Account { id: account, facts, blocks: Vec::new(), hold: None });
                Ok(Reply::Registered)
            }
            Event::AddDevice { account, device, platform } => {
                if !id_ok(device) {
                    return Err(RetentionError::InvalidEvent(EventProblem::Device));
                }
                let a = self.actor(&account)?;
                if self.devices.iter().any(|d| d.id == device) {
                    return Err(RetentionError::DeviceExists);
                }
                let registration = self.next_registration;
                self.next_registration += 1;
                self.devices.push(Device { id: device.to_vec(), account, platform, registration });
                let platforms = &mut self.accounts[a].facts.platforms;
                if !platforms.contains(&platform) {
                    platforms.push(platform);
                    platforms.sort();
                }
                self.used(&account);
                self.record(account, RecordKind::DeviceAdded);
                Ok(Reply::DeviceAdded)
            }
            Event::RemoveDevice { account, device } => {
                if !id_ok(device) {
                    return Err(RetentionError::InvalidEvent(EventProblem::Device));
                }
                self.actor(&account)?;
                let i = self
                    .devices
                    .iter()
                    .position(|d| d.id == device && d.account == account)
                    .ok_or(RetentionError::UnknownDevice)?;
                self.remove_device_at(i, out);
                self.used(&account);
                self.record(account, RecordKind::DeviceRemoved);
                Ok(Reply::DeviceRemoved)
            }
            Event::Join { account, conversation } => {
                if !id_ok(conversation) {
                    return Err(RetentionError::InvalidEvent(EventProblem::Conversation));
                }
                self.actor(&account)?;
                if self.is_member(conversation, &account) {
                    return Err(RetentionError::NoChange);
                }
                self.members.push((conversation.to_vec(), account));
                self.used(&account);
                Ok(Reply::Joined)
            }
            Event::Leave { account, conversation } => {
                if !id_ok(conversation) {
                    return Err(RetentionError::InvalidEvent(EventProblem::Conversation));
                }
                self.actor(&account)?;
                if !self.is_member(conversation, &account) {
                    return Err(RetentionError::NotAMember);
                }
                self.members.retain(|(c, a)| !(c == conversation && *a == account));
                self.used(&account);
                Ok(Reply::Left)
            }
            Event::Block { account, blocked } => {
                if account == blocked {
                    return Err(RetentionError::InvalidEvent(EventProblem::SelfBlock));
                }
                let a = self.actor(&account)?;
                if self.accounts[a].blocks.contains(&blocked) {
                    return Err(RetentionError::NoChange);
                }
                self.accounts[a].blocks.push(blocked);
                self.used(&account);
                self.record(account, RecordKind::BlockListChanged);
                Ok(Reply::Blocked)
            }
            Event::Unblock { account, blocked } => {
                let a = self.actor(&account)?;
                if !self.accounts[a].blocks.contains(&blocked) {
                    return Err(RetentionError::NoChange);
                }
                self.accounts[a].blocks.retain(|b| *b != blocked);
                self.used(&account);
                self.record(account, RecordKind::BlockListChanged);
                Ok(Reply::Unblocked)
            }
            Event::ChangeSetting { account, change } => {
                let a = self.actor(&account)?;
                let facts = &mut self.accounts[a].facts;
                let kind = match change {
                    SettingChange::LinkExternalId if facts.external_ids == MAX_EXTERNAL_IDS => {
                        return Err(RetentionError::InvalidEvent(EventProblem::TooManyExternalIds));
                    }
                    SettingChange::LinkExternalId => {
                        facts.external_ids += 1;
                        RecordKind::ExternalIdLinked
                    }
                    SettingChange::UnlinkExternalId if facts.external_ids == 0 => return Err(RetentionError::NoChange),
                    SettingChange::UnlinkExternalId => {
                        facts.external_ids -= 1;
                        RecordKind::ExternalIdUnlinked
                    }
                    SettingChange::SetAvatar => {
                        facts.avatar = true;
                        RecordKind::AvatarChanged
                    }
                    SettingChange::RemoveAvatar if !facts.avatar => return Err(RetentionError::NoChange),
                    SettingChange::RemoveAvatar => {
                        facts.avatar = false;
                        RecordKind::AvatarChanged
                    }
                };
                self.used(&account);
                self.record(account, kind);
                Ok(Reply::SettingChanged)
            }
            Event::Store(store) => self.store(&store, out),
            Event::Fetch { device } => {
                let d = self.devices[self.device(device)?].clone();
                let mut waiting: Vec<&Message> = self
                    .messages
                    .iter()
                    .filter(|m| m.recipients.iter().any(|r| r.registration == d.registration && !r.acked))
                    .collect();
                waiting.sort_by_key(|m| m.order);
                let list =
                    waiting.iter().map(|m| Delivery { message_id: m.id, ciphertext: m.ciphertext.clone() }).collect();
                self.used(&d.account);
                Ok(Reply::Messages(list))
            }
            Event::Ack { device, message_id } => {
                let d = self.devices[self.device(device)?].clone();
                let mine = |m: &Message| {
                    m.id == message_id && m.recipients.iter().any(|r| r.registration == d.registration && !r.acked)
                };
                if !self.messages.iter().any(mine) {
                    return Err(RetentionError::UnknownMessage);
                }
                for m in self.messages.iter_mut().filter(|m| m.id == message_id) {
                    for r in m.recipients.iter_mut().filter(|r| r.registration == d.registration) {
                        r.acked = true;
                    }
                }
                self.used(&d.account);
                self.purge_where(
                    |m| m.id == message_id && m.recipients.iter().all(|r| r.acked),
                    PurgeReason::Delivered,
                    out,
                );
                Ok(Reply::Acked)
            }
            Event::Recall { device, message_id } => {
                let d = self.devices[self.device(device)?].clone();
                self.used(&d.account);
                self.purge_where(
                    |m| m.id == message_id && m.sender_device == d.id && m.sender == d.account,
                    PurgeReason::Recalled,
                    out,
                );
                Ok(Reply::Recalled { message_id })
            }
            Event::Terminate { account } => {
                let a = self.actor(&account)?;
                self.purge_where(|m| m.sender == account, PurgeReason::SenderTerminated, out);
                let mut own: Vec<Vec<u8>> =
                    self.devices.iter().filter(|d| d.account == account).map(|d| d.id.clone()).collect();
                own.sort();
                for id in own {
                    if let Some(i) = self.devices.iter().position(|d| d.id == id) {
                        self.remove_device_at(i, out);
                    }
                }
                self.members.retain(|(_, m)| *m != account);
                let mut unheld: Vec<&Record> =
                    self.records.iter().filter(|r| r.account == account && !r.held).collect();
                unheld.sort_by_key(|r| r.order);
                for r in unheld {
                    out.push(Output::RecordDeleted {
                        account,
                        record: r.kind,
                        at: r.at,
                        reason: RecordEnd::Terminated,
                    });
                }
                self.records.retain(|r| r.account != account || r.held);
                let gone = self.accounts.remove(a);
                if let Some(until) = gone.hold {
                    self.preserved.push((account, gone.facts, until));
                }
                self.tombstones.push(account);
                out.push(Output::Tombstoned { account });
                Ok(Reply::Terminated)
            }
            Event::Hold { account } => {
                let a = self.actor(&account)?;
                let until = self.clock.saturating_add(HOLD_LIFETIME);
                self.accounts[a].hold = Some(until);
                for r in self.records.iter_mut().filter(|r| r.account == account) {
                    r.held = true;
                    r.deadline = r.deadline.max(until);
                }
                Ok(Reply::Held { until })
            }
            Event::Disclose { account } => self.disclose(&account).map(|d| Reply::Disclosure(Box::new(d))),
            Event::Tick => Ok(Reply::Ticked),
        }
    }

    fn store(&mut self, s: &Store<'_>, out: &mut Vec<Output>) -> Result<Reply, RetentionError> {
        if !id_ok(s.device) {
            return Err(RetentionError::InvalidEvent(EventProblem::Device));
        }
        if !id_ok(s.conversation) {
            return Err(RetentionError::InvalidEvent(EventProblem::Conversation));
        }
        if s.ttl == 0 || s.ttl > MAX_TTL {
            return Err(RetentionError::InvalidEvent(EventProblem::Ttl));
        }
        if s.ciphertext.is_empty() || s.ciphertext.len() > MAX_CIPHERTEXT_LEN {
            return Err(RetentionError::InvalidEvent(EventProblem::Ciphertext));
        }
        let sender = self.devices[self.device(s.device)?].account;
        if !self.is_member(s.conversation, &sender) {
            return Err(RetentionError::NotAMember);
        }
        self.used(&sender);
        let reply = Ok(Reply::Accepted { message_id: s.message_id });
        let member_list: Vec<AccountId> =
            self.members.iter().filter(|(c, _)| c == s.conversation).map(|(_, a)| *a).collect();
        let direct = member_list.len() == 2;
        self.count(sender, direct);
        let start = s.sent_at.min(self.clock);
        let expiry = start.saturating_add(u64::from(s.ttl));
        let capped = self.clock.saturating_add(self.cap);
        if expiry <= self.clock {
            out.push(Output::NotStored { message_id: s.message_id, reason: NotStoredReason::Expired });
            return reply;
        }
        let blocks = |m: &AccountId| self.accounts.iter().any(|a| a.id == *m && a.blocks.contains(&sender));
        let recipients: Vec<&Device> = self
            .devices
            .iter()
            .filter(|d| member_list.contains(&d.account) && d.id != s.device)
            .filter(|d| d.account == sender || !blocks(&d.account))
            .collect();
        if recipients.is_empty() {
            out.push(Output::NotStored { message_id: s.message_id, reason: NotStoredReason::NoRecipients });
            return reply;
        }
        let receivers: Vec<AccountId> =
            recipients.iter().map(|d| d.account).filter(|a| *a != sender).collect::<Vec<_>>();
        let list: Vec<Recipient> = recipients
            .iter()
            .map(|d| Recipient { registration: d.registration, device: d.id.clone(), acked: false })
            .collect();
        let mut names: Vec<Vec<u8>> = recipients.iter().map(|d| d.id.clone()).collect();
        names.sort();
        for a in self.accounts.iter_mut().filter(|a| receivers.contains(&a.id)) {
            a.facts.received += 1;
        }
        let (deadline, reason) =
            if expiry <= capped { (expiry, PurgeReason::Expiry) } else { (capped, PurgeReason::Cap) };
        let order = self.next_message;
        self.next_message += 1;
        self.messages.push(Message {
            order,
            id: s.message_id,
            conversation: s.conversation.to_vec(),
            sender,
            sender_device: s.device.to_vec(),
            sent_at: s.sent_at,
            ttl: s.ttl,
            stored_at: self.clock,
            deadline,
            reason,
            ciphertext: s.ciphertext.to_vec(),
            recipients: list,
        });
        out.push(Output::Stored {
            message_id: s.message_id,
            recipients: names.iter().map(|n| route(n)).collect(),
            purge_by: deadline,
        });
        reply
    }

    /// RET-050, RET-051: the sent count and the day's open message-count record.
    fn count(&mut self, account: AccountId, direct: bool) {
        if let Some(a) = self.accounts.iter_mut().find(|a| a.id == account) {
            a.facts.sent += 1;
        }
        let day_start = self.clock / DAY * DAY;
        let open = self
            .records
            .iter()
            .position(|r| r.account == account && r.kind == RecordKind::MessageCounts && r.at == day_start && !r.held);
        let i = match open {
            Some(i) => i,
            None => {
                let order = self.next_record;
                self.next_record += 1;
                self.records.push(Record {
                    account,
                    order,
                    kind: RecordKind::MessageCounts,
                    at: day_start,
                    deadline: day_start.saturating_add(RECORD_LIFETIME),
                    held: false,
                    direct: 0,
                    room: 0,
                });
                self.records.len() - 1
            }
        };
        if direct {
            self.records[i].direct += 1;
        } else {
            self.records[i].room += 1;
        }
    }

    fn disclose(&self, account: &AccountId) -> Result<Disclosure, RetentionError> {
        let mut own: Vec<&Record> = self.records.iter().filter(|r| r.account == *account).collect();
        own.sort_by_key(|r| r.order);
        let records = own
            .iter()
            .map(|r| RecordView {
                kind: r.kind,
                at: r.at,
                until: r.deadline,
                held: r.held,
                direct: r.direct,
                room: r.room,
            })
            .collect();
        let Some(a) = self.accounts.iter().find(|a| a.id == *account) else {
            if !self.tombstones.contains(account) {
                return Err(RetentionError::UnknownAccount);
            }
            let kept = self.preserved.iter().find(|p| p.0 == *account);
            return Ok(Disclosure {
                account: *account,
                terminated: true,
                facts: kept.map(|p| p.1.clone()),
                devices: Vec::new(),
                rooms: Vec::new(),
                block_list: Vec::new(),
                records,
                hold_until: kept.map(|p| p.2),
                messages: Vec::new(),
            });
        };
        let mut devices: Vec<(RouteId, Platform)> =
            self.devices.iter().filter(|d| d.account == *account).map(|d| (route(&d.id), d.platform)).collect();
        devices.sort();
        let mut rooms: Vec<RouteId> =
            self.members.iter().filter(|(_, m)| m == account).map(|(c, _)| route(c)).collect();
        rooms.sort();
        let mut block_list = a.blocks.clone();
        block_list.sort();
        let mine: Vec<u64> = self.devices.iter().filter(|d| d.account == *account).map(|d| d.registration).collect();
        let mut messages: Vec<&Message> = self
            .messages
            .iter()
            .filter(|m| m.sender == *account || m.recipients.iter().any(|r| mine.contains(&r.registration)))
            .collect();
        messages.sort_by_key(|m| m.order);
        let messages = messages
            .iter()
            .map(|m| {
                let mut recipients: Vec<RecipientView> =
                    m.recipients.iter().map(|r| RecipientView { device: route(&r.device), acked: r.acked }).collect();
                recipients.sort_by_key(|r| r.device);
                MessageView {
                    message_id: m.id,
                    conversation: route(&m.conversation),
                    sender: m.sender,
                    sender_device: route(&m.sender_device),
                    sent_at: m.sent_at,
                    ttl: m.ttl,
                    stored_at: m.stored_at,
                    purge_by: m.deadline,
                    ciphertext_len: m.ciphertext.len(),
                    recipients,
                }
            })
            .collect();
        Ok(Disclosure {
            account: *account,
            terminated: false,
            facts: Some(a.facts.clone()),
            devices,
            rooms,
            block_list,
            records,
            hold_until: a.hold,
            messages,
        })
    }
}
