//! Retention bugs, as a wrapper around the reference server rather than a second implementation
//! (the server model is the largest part; writing it twice is a job for its own issue).
//!
//! `retention.scenario` is answered by the reference ([`dispatch`]); an [`Observer`] then walks
//! the scenario's events beside the reference's steps, keeping what the bugs need to know (who
//! owns which device, who is in which conversation, who blocks whom, which copies are held for
//! whom, who is on hold). It checks itself at every step: the copies it believes held must be
//! exactly the step's `held` list, or the adapter answers `adapter.internal_error` instead of
//! guessing; `--no-bug` runs it over every retention vector.
//!
//! A bug changes the answer **at the first step where a server with that bug would answer
//! differently**, the way that server would, and leaves later steps as the reference gives them.
//! Whether a case catches a bug depends only on whether any step differs, and the first
//! difference is exactly the buggy server's, so the catch table is what a real buggy server
//! would give. Some bugs first change hidden state (a backfilled delivery) and show later (in a
//! fetch, an ack, a purge that does not happen, a dropped delivery, a disclosure); the observer
//! tracks that state until it shows.

use cinder_conformance::dispatch::dispatch;
use cinder_conformance::protocol::{INTERNAL_ERROR, Response};
use serde_json::{Value, json};

use crate::bugs::Info;

/// The operations this part answers.
pub(crate) const OPS: &[&str] = &["retention.scenario"];

/// One realistic retention bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bug {
    PurgeBeforeEveryAck,
    NewDeviceBackfilled,
    LateMemberSeesOldMessages,
    BlockedSenderTold,
    HoldKeepsContent,
    TombstoneReregistered,
}

/// The retention bugs, as `--list-bugs` shows them.
pub(crate) const BUGS: &[Info<Bug>] = &[
    Info {
        bug: Bug::PurgeBeforeEveryAck,
        name: "retention-purge-before-every-ack",
        breaks: "RET-022",
        summary: "a message is purged as soon as one recipient device acknowledges it, not once every one has",
    },
    Info {
        bug: Bug::NewDeviceBackfilled,
        name: "retention-new-device-backfilled",
        breaks: "RET-031",
        summary: "a device added later is given the messages already held for its account's conversations",
    },
    Info {
        bug: Bug::LateMemberSeesOldMessages,
        name: "retention-late-member-sees-old-messages",
        breaks: "RET-032",
        summary: "an account that joins a conversation is given the messages already held there",
    },
    Info {
        bug: Bug::BlockedSenderTold,
        name: "retention-blocked-sender-told",
        breaks: "RET-042",
        summary: "a store from a sender a member blocks is refused (not_a_member), so the sender learns it is blocked",
    },
    Info {
        bug: Bug::HoldKeepsContent,
        name: "retention-hold-keeps-content",
        breaks: "RET-053, RET-025",
        summary: "a preservation hold also keeps the account's sent messages past their expiry or cap",
    },
    Info {
        bug: Bug::TombstoneReregistered,
        name: "retention-tombstone-reregistered",
        breaks: "RET-055",
        summary: "a terminated account's identifier can be registered again",
    },
];

/// The retention part, with at most one bug.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Retention {
    pub(crate) bug: Option<Bug>,
}

impl Retention {
    /// The reference's answer to `retention.scenario`, changed where the bug first shows.
    pub(crate) fn answer(&self, op: &str, args: &Value) -> Response {
        let response = dispatch(op, args);
        let Response::Ok(mut fields) = response else { return response };
        let events = args.get("events").and_then(Value::as_array).cloned().unwrap_or_default();
        let Some(Value::Array(steps)) = fields.get_mut("steps") else { return Response::Ok(fields) };
        let mut observer = Observer::default();
        for (index, (event, step)) in events.iter().zip(steps.iter_mut()).enumerate() {
            let lost = |why: String| {
                Response::error(INTERNAL_ERROR, format!("the retention observer lost track at step {index}: {why}"))
            };
            let purged = match observer.time(step) {
                Ok(purged) => purged,
                Err(why) => return lost(why),
            };
            if let Some(bug) = self.bug
                && observer.shows(bug, event, step, &purged)
            {
                // The first difference is made; later steps need not be tracked.
                return Response::Ok(fields);
            }
            if let Err(why) = observer.event(event, step) {
                return lost(why);
            }
            if let Err(why) = observer.check_held(step) {
                return lost(why);
            }
            if let Some(bug) = self.bug {
                observer.after(bug, event, step);
            }
        }
        Response::Ok(fields)
    }
}

/// One held copy of a message (message IDs may repeat, RET-012).
#[derive(Clone, Debug)]
struct Copy {
    id: String,
    conversation: String,
    sender: String,
    sender_device: String,
    ciphertext: String,
    sent_at: u64,
    ttl: u64,
    stored_at: u64,
    recipients: Vec<String>,
    acked: Vec<String>,
    purge_by: u64,
}

impl Copy {
    fn pending_for(&self, device: &str) -> bool {
        self.recipients.iter().any(|r| r == device) && !self.acked.iter().any(|a| a == device)
    }
}

/// A delivery only the buggy server would make (RET-031, RET-032 broken), not yet shown.
#[derive(Clone, Debug)]
struct Backfill {
    device: String,
    copy: usize,
    acked: bool,
}

/// A copy purged at a deadline, and whether its sender's account was on hold at that moment.
#[derive(Clone, Debug)]
struct TimePurge {
    copy: Copy,
    sender_held: bool,
}

#[derive(Debug, Default)]
struct Observer {
    /// The server clock: the highest `at` so far.
    clock: u64,
    /// Device → owning account.
    owners: Vec<(String, String)>,
    /// Conversation → member accounts.
    members: Vec<(String, Vec<String>)>,
    /// (account, blocked account).
    blocks: Vec<(String, String)>,
    /// Accounts with a hold in force.
    holds: Vec<String>,
    /// Copies ever stored; `None` once purged (indices stay stable for backfills).
    copies: Vec<Option<Copy>>,
    backfills: Vec<Backfill>,
}

fn text<'a>(value: &'a Value, name: &str) -> &'a str {
    value.get(name).and_then(Value::as_str).unwrap_or_default()
}

fn outputs(step: &Value) -> Vec<Value> {
    step.get("outputs").and_then(Value::as_array).cloned().unwrap_or_default()
}

fn accepted(step: &Value) -> bool {
    step.get("error").is_some_and(Value::is_null)
}

/// Whether an output comes from the time stage of a step (RET-003): purges at a deadline,
/// records and holds that end.
fn is_time_output(output: &Value) -> bool {
    match text(output, "output") {
        "purged" => matches!(text(output, "reason"), "expiry" | "cap"),
        "hold_lapsed" => true,
        "record_deleted" => text(output, "reason") == "expired",
        _ => false,
    }
}

fn held_of(step: &Value) -> Vec<String> {
    step.get("held")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

fn remove_one(step: &mut Value, id: &str) {
    if let Some(Value::Array(held)) = step.get_mut("held")
        && let Some(at) = held.iter().position(|h| h.as_str() == Some(id))
    {
        held.remove(at);
    }
}

fn add_one(step: &mut Value, id: &str) {
    if let Some(Value::Array(held)) = step.get_mut("held") {
        held.push(id.into());
        held.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    }
}

fn push_output(step: &mut Value, output: Value) {
    if let Some(Value::Array(list)) = step.get_mut("outputs") {
        list.push(output);
    }
}

impl Observer {
    fn owner(&self, device: &str) -> Option<&str> {
        self.owners.iter().find(|(d, _)| d == device).map(|(_, a)| a.as_str())
    }

    fn devices_of(&self, account: &str) -> Vec<String> {
        self.owners.iter().filter(|(_, a)| a == account).map(|(d, _)| d.clone()).collect()
    }

    fn members_of(&self, conversation: &str) -> Vec<String> {
        self.members.iter().find(|(c, _)| c == conversation).map(|(_, m)| m.clone()).unwrap_or_default()
    }

    fn blocks(&self, account: &str, other: &str) -> bool {
        self.blocks.iter().any(|(a, b)| a == account && b == other)
    }

    fn live(&self) -> impl Iterator<Item = (usize, &Copy)> {
        self.copies.iter().enumerate().filter_map(|(i, c)| c.as_ref().map(|c| (i, c)))
    }

    /// Removes the copy `pick` chooses among the held copies of `id` (the earliest deadline,
    /// then the earliest stored), and returns it.
    fn purge(&mut self, id: &str, pick: impl Fn(&Copy) -> bool) -> Result<Copy, String> {
        let found = self
            .live()
            .filter(|(_, c)| c.id == id && pick(c))
            .map(|(i, c)| (i, c.purge_by))
            .min_by_key(|&(i, by)| (by, i));
        let (index, _) = found.ok_or_else(|| format!("a purge of {id} matches no held copy"))?;
        self.copies[index].take().ok_or_else(|| format!("copy {index} of {id} purged twice"))
    }

    /// Stage 1 of a step: the clock, deadlines and holds. Returns the copies purged at a deadline.
    fn time(&mut self, step: &Value) -> Result<Vec<TimePurge>, String> {
        let mut purged = Vec::new();
        for output in outputs(step).iter().take_while(|o| is_time_output(o)) {
            match text(output, "output") {
                "purged" => {
                    let copy = self.purge(text(output, "messageId"), |_| true)?;
                    let sender_held = self.holds.contains(&copy.sender);
                    purged.push(TimePurge { copy, sender_held });
                }
                "hold_lapsed" => {
                    let account = text(output, "account");
                    self.holds.retain(|a| a != account);
                }
                _ => {}
            }
        }
        Ok(purged)
    }

    /// Stage 2: an accepted event's effects, from the event and the step's outputs.
    fn event(&mut self, event: &Value, step: &Value) -> Result<(), String> {
        self.clock = self.clock.max(event.get("at").and_then(Value::as_u64).unwrap_or_default());
        if !accepted(step) {
            return Ok(());
        }
        let account = text(event, "account").to_owned();
        let device = text(event, "device").to_owned();
        let event_outputs: Vec<Value> = outputs(step).into_iter().skip_while(is_time_output).collect();
        match text(event, "event") {
            "add_device" => self.owners.push((device, account)),
            "join" => {
                let conversation = text(event, "conversation");
                match self.members.iter_mut().find(|(c, _)| c == conversation) {
                    Some((_, members)) => members.push(account),
                    None => self.members.push((conversation.to_owned(), vec![account])),
                }
            }
            "leave" => {
                let conversation = text(event, "conversation");
                for (c, members) in &mut self.members {
                    if c == conversation {
                        members.retain(|m| *m != account);
                    }
                }
            }
            "block" => self.blocks.push((account, text(event, "blocked").to_owned())),
            "unblock" => {
                let blocked = text(event, "blocked");
                self.blocks.retain(|(a, b)| !(*a == account && b == blocked));
            }
            "hold" if !self.holds.contains(&account) => self.holds.push(account),
            "store" => {
                for output in event_outputs.iter().filter(|o| text(o, "output") == "stored") {
                    let recipients: Vec<String> = output["recipients"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect();
                    self.copies.push(Some(Copy {
                        id: text(output, "messageId").to_owned(),
                        conversation: text(event, "conversation").to_owned(),
                        sender: self.owner(&device).unwrap_or_default().to_owned(),
                        sender_device: device.clone(),
                        ciphertext: text(event, "ciphertext").to_owned(),
                        sent_at: event["sentAt"].as_u64().unwrap_or_default(),
                        ttl: event["ttl"].as_u64().unwrap_or_default(),
                        stored_at: self.clock,
                        recipients,
                        acked: Vec::new(),
                        purge_by: output["purgeBy"].as_u64().unwrap_or(u64::MAX),
                    }));
                }
            }
            "ack" => {
                let id = text(event, "messageId");
                for copy in self.copies.iter_mut().flatten() {
                    if copy.id == id && copy.pending_for(&device) {
                        copy.acked.push(device.clone());
                    }
                }
                self.event_purges(&event_outputs)?;
            }
            "recall" => self.event_purges(&event_outputs)?,
            "remove_device" => {
                self.event_purges(&event_outputs)?;
                self.forget_device(&device);
            }
            "terminate" => {
                self.event_purges(&event_outputs)?;
                for device in self.devices_of(&account) {
                    self.forget_device(&device);
                }
                for (_, members) in &mut self.members {
                    members.retain(|m| *m != account);
                }
                self.blocks.retain(|(a, _)| *a != account);
                self.holds.retain(|a| *a != account);
            }
            _ => {}
        }
        Ok(())
    }

    /// Drops, and purges after an ack, a recall, a device removal or a termination.
    fn event_purges(&mut self, outputs: &[Value]) -> Result<(), String> {
        for output in outputs {
            let id = text(output, "messageId");
            match (text(output, "output"), text(output, "reason")) {
                ("dropped", _) => {
                    let device = text(output, "device").to_owned();
                    let copy = self
                        .copies
                        .iter_mut()
                        .flatten()
                        .find(|c| c.id == id && c.pending_for(&device))
                        .ok_or_else(|| format!("a drop of {id} for {device} matches no pending delivery"))?;
                    copy.recipients.retain(|r| *r != device);
                }
                ("purged", "delivered" | "dropped") => {
                    self.purge(id, |c| c.recipients.iter().all(|r| c.acked.contains(r)))?;
                }
                ("purged", "recalled" | "sender_terminated") => {
                    self.purge(id, |_| true)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// A removed device's deliveries are gone, acknowledged or not (RET-033).
    fn forget_device(&mut self, device: &str) {
        for copy in self.copies.iter_mut().flatten() {
            copy.recipients.retain(|r| r != device);
            copy.acked.retain(|a| a != device);
        }
        self.owners.retain(|(d, _)| d != device);
    }

    fn check_held(&self, step: &Value) -> Result<(), String> {
        let mut mine: Vec<String> = self.live().map(|(_, c)| c.id.clone()).collect();
        let mut theirs = held_of(step);
        mine.sort_unstable();
        theirs.sort_unstable();
        if mine == theirs { Ok(()) } else { Err(format!("it believes {mine:?} held, the reference holds {theirs:?}")) }
    }

    /// After an accepted event: the hidden deliveries a backfilling server would make.
    fn after(&mut self, bug: Bug, event: &Value, step: &Value) {
        if !accepted(step) {
            return;
        }
        let account = text(event, "account");
        let (devices, conversations): (Vec<String>, Vec<String>) = match (bug, text(event, "event")) {
            (Bug::NewDeviceBackfilled, "add_device") => (
                vec![text(event, "device").to_owned()],
                self.members.iter().filter(|(_, m)| m.iter().any(|a| a == account)).map(|(c, _)| c.clone()).collect(),
            ),
            (Bug::LateMemberSeesOldMessages, "join") => {
                (self.devices_of(account), vec![text(event, "conversation").to_owned()])
            }
            _ => return,
        };
        let mut new = Vec::new();
        for (index, copy) in self.live() {
            let blocked = copy.sender != account && self.blocks(account, &copy.sender);
            if !conversations.contains(&copy.conversation) || blocked {
                continue;
            }
            for device in &devices {
                if *device != copy.sender_device && !copy.recipients.contains(device) {
                    new.push(Backfill { device: device.clone(), copy: index, acked: false });
                }
            }
        }
        self.backfills.extend(new);
    }

    /// Whether `bug` shows at this step (after its time stage); if so, makes the step what the
    /// buggy server answers.
    fn shows(&mut self, bug: Bug, event: &Value, step: &mut Value, purged: &[TimePurge]) -> bool {
        // A backfilled delivery whose copy is gone (by time, or below) is gone for both servers.
        self.backfills.retain(|b| self.copies.get(b.copy).is_some_and(Option::is_some));
        match bug {
            Bug::TombstoneReregistered => {
                let refused = text(step, "error") == "retention.identifier_tombstoned";
                if text(event, "event") == "register" && refused {
                    step["reply"] = json!({ "reply": "registered" });
                    step["error"] = Value::Null;
                    return true;
                }
                false
            }
            Bug::PurgeBeforeEveryAck => self.ack_purges(event, step),
            Bug::BlockedSenderTold => self.blocked_store(event, step),
            Bug::HoldKeepsContent => hold_keeps(step, purged),
            Bug::NewDeviceBackfilled | Bug::LateMemberSeesOldMessages => self.backfill_shows(event, step),
        }
    }

    /// RET-022 broken: the acknowledged copies are purged even with recipients still pending.
    fn ack_purges(&self, event: &Value, step: &mut Value) -> bool {
        if text(event, "event") != "ack" || !accepted(step) {
            return false;
        }
        let (device, id) = (text(event, "device"), text(event, "messageId"));
        let touched = self.live().filter(|(_, c)| c.id == id && c.pending_for(device)).count();
        let purged = outputs(step)
            .iter()
            .filter(|o| text(o, "output") == "purged" && text(o, "messageId") == id && text(o, "reason") == "delivered")
            .count();
        if touched <= purged {
            return false;
        }
        for _ in purged..touched {
            push_output(step, json!({ "output": "purged", "messageId": id, "reason": "delivered" }));
            remove_one(step, id);
        }
        true
    }

    /// RET-042 broken: a blocked sender's store is refused.
    fn blocked_store(&self, event: &Value, step: &mut Value) -> bool {
        if text(event, "event") != "store" || !accepted(step) {
            return false;
        }
        let Some(sender) = self.owner(text(event, "device")) else { return false };
        let conversation = text(event, "conversation");
        if !self.members_of(conversation).iter().any(|m| m != sender && self.blocks(m, sender)) {
            return false;
        }
        let id = text(event, "messageId");
        let stored = outputs(step).iter().any(|o| text(o, "output") == "stored" && text(o, "messageId") == id);
        step["reply"] = Value::Null;
        step["error"] = "retention.not_a_member".into();
        if let Some(Value::Array(list)) = step.get_mut("outputs") {
            list.retain(|o| !(matches!(text(o, "output"), "stored" | "not_stored") && text(o, "messageId") == id));
        }
        if stored {
            remove_one(step, id);
        }
        true
    }

    /// RET-031 / RET-032 broken: a hidden delivery shows.
    fn backfill_shows(&mut self, event: &Value, step: &mut Value) -> bool {
        let live: Vec<Backfill> = self.backfills.iter().filter(|b| !b.acked).cloned().collect();
        if live.is_empty() {
            return false;
        }
        let copy = |b: &Backfill| self.copies[b.copy].clone();
        let kind = text(event, "event");
        let device = text(event, "device");
        if kind == "fetch" && accepted(step) {
            let extra: Vec<Value> = live
                .iter()
                .filter(|b| b.device == device)
                .filter_map(copy)
                .map(|c| json!({ "messageId": c.id, "ciphertext": c.ciphertext }))
                .collect();
            if extra.is_empty() {
                return false;
            }
            if let Some(Value::Array(messages)) = step.pointer_mut("/reply/messages") {
                messages.splice(0..0, extra);
            }
            return true;
        }
        if kind == "ack" {
            let id = text(event, "messageId");
            let mine: Vec<usize> = live
                .iter()
                .filter(|b| b.device == device && copy(b).is_some_and(|c| c.id == id))
                .map(|b| b.copy)
                .collect();
            if mine.is_empty() {
                return false;
            }
            if !accepted(step) {
                step["reply"] = json!({ "reply": "acked" });
                step["error"] = Value::Null;
                return true;
            }
            // The reference acknowledged a real delivery too; the backfilled ones are acknowledged
            // silently (and shown only if that changes a purge, below).
            for b in &mut self.backfills {
                if b.device == device && mine.contains(&b.copy) {
                    b.acked = true;
                }
            }
        }
        // A purge because every delivery is done (acknowledged, or dropped) does not happen while
        // a backfilled delivery is pending.
        let done = |o: &&Value| text(o, "output") == "purged" && matches!(text(o, "reason"), "delivered" | "dropped");
        for output in outputs(step).iter().filter(done) {
            let id = text(output, "messageId");
            let blocking = self.backfills.iter().any(|b| !b.acked && copy(b).is_some_and(|c| c.id == id));
            if blocking {
                if let Some(Value::Array(list)) = step.get_mut("outputs") {
                    list.retain(|o| !(text(o, "output") == "purged" && text(o, "messageId") == id));
                }
                add_one(step, id);
                return true;
            }
        }
        // Removing the device, or its account, drops the backfilled deliveries too.
        let gone: Vec<String> = match kind {
            "remove_device" if accepted(step) => vec![device.to_owned()],
            "terminate" if accepted(step) => self.devices_of(text(event, "account")),
            _ => Vec::new(),
        };
        let dropped: Vec<Value> = live
            .iter()
            .filter(|b| gone.contains(&b.device))
            .filter_map(|b| copy(b).map(|c| json!({ "output": "dropped", "messageId": c.id, "device": b.device })))
            .collect();
        if !dropped.is_empty() {
            for output in dropped {
                push_output(step, output);
            }
            return true;
        }
        // A disclosure of the device's account, or of the sender, shows the delivery.
        if kind == "disclose" && accepted(step) {
            let account = text(event, "account");
            for b in &live {
                let Some(c) = copy(b) else { continue };
                if self.owner(&b.device) == Some(account) || c.sender == account {
                    disclose_backfill(step, &c, &b.device);
                    return true;
                }
            }
        }
        false
    }
}

/// RET-053 broken: a copy purged at its deadline stays held while its sender's account is held.
fn hold_keeps(step: &mut Value, purged: &[TimePurge]) -> bool {
    let Some(kept) = purged.iter().find(|p| p.sender_held) else { return false };
    let id = kept.copy.id.as_str();
    if let Some(Value::Array(list)) = step.get_mut("outputs")
        && let Some(at) =
            list.iter().position(|o| text(o, "output") == "purged" && text(o, "messageId") == id && is_time_output(o))
    {
        list.remove(at);
    }
    add_one(step, id);
    true
}

/// A disclosure as the backfilling server gives it: the message, with the backfilled device
/// among its recipients (added to the message's entry, or the entry added).
fn disclose_backfill(step: &mut Value, copy: &Copy, device: &str) {
    let mut recipients: Vec<Value> = copy
        .recipients
        .iter()
        .map(|r| json!({ "device": r, "acked": copy.acked.contains(r) }))
        .chain([json!({ "device": device, "acked": false })])
        .collect();
    recipients.sort_by(|a, b| text(a, "device").cmp(text(b, "device")));
    let Some(Value::Array(messages)) = step.pointer_mut("/reply/messages") else { return };
    if let Some(entry) = messages.iter_mut().find(|m| text(m, "messageId") == copy.id) {
        entry["recipients"] = recipients.into();
        return;
    }
    messages.push(json!({
        "messageId": copy.id,
        "conversation": copy.conversation,
        "sender": copy.sender,
        "senderDevice": copy.sender_device,
        "sentAt": copy.sent_at,
        "ttl": copy.ttl,
        "storedAt": copy.stored_at,
        "purgeBy": copy.purge_by,
        "ciphertextLength": copy.ciphertext.len() / 2,
        "recipients": recipients,
    }));
}
