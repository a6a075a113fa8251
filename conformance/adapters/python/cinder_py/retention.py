"""Server retention policy (spec/retention.md): one server's message store and account records,
driven by `retention.scenario`.

`Server.handle(event, now)` is RET-003: stage 1 (time: purges, record deletions, lapsed holds, in
that order), then stage 2 (the event, whose checks all come before its first change). Messages are
kept by *store order* (`seq`), devices by a *registration key* (a device ID removed and added again
is a new recipient, RET-031) and records by *record order* (`no`).
"""

from __future__ import annotations

from .args import U64, BadRequest, Fields, Refused, read_events

DAY = 86_400
CAPS = {"consumer": 518_400, "enterprise": 2_592_000}  # RET-001
RECORD_LIFETIME = 518_400  # RET-051
HOLD_LIFETIME = 7_776_000  # RET-053
MAX_TTL = 31_536_000
MAX_CIPHERTEXT = 1_194_559  # RET-004
MAX_EXTERNAL_IDS = 8  # RET-050
PLATFORMS = ("ios", "android", "desktop", "web")
CHANGES = ("link_external_id", "unlink_external_id", "set_avatar", "remove_avatar")


def sat(n: int) -> int:
    return min(n, U64)


def fail(kind: str) -> Refused:
    return Refused("retention." + kind)


def route(value: bytes) -> bytes:
    """A device or conversation ID: 1 to 64 bytes (RET-004)."""
    if not 1 <= len(value) <= 64:
        raise fail("invalid_event")
    return value


class Server:
    def __init__(self, profile: str, cap: int | None):
        if cap is not None and not 1 <= cap <= CAPS[profile]:
            raise fail("invalid_cap")
        self.cap = CAPS[profile] if cap is None else cap
        self.clock = 0
        self.accounts: dict[bytes, dict] = {}  # live accounts
        self.tombstones: set[bytes] = set()
        self.preserved: dict[bytes, tuple] = {}  # account -> (facts, until)
        self.devices: dict[bytes, dict] = {}  # device ID -> {key, account, platform, pending, acked}
        self.device_ids: dict[int, bytes] = {}  # registration key -> device ID
        self.rooms: dict[bytes, set] = {}
        self.messages: dict[int, dict] = {}  # seq -> held copy, in store order
        self.records: dict[tuple, dict] = {}  # (account, no) -> record
        self.buckets: dict[tuple, int] = {}  # (account, day) -> no of the open message_counts record
        self.holds: dict[bytes, int] = {}  # account -> hold end
        self.next_device = self.next_seq = self.next_record = 0
        self.out: list[dict] = []

    # --- stage 1 ---------------------------------------------------------------------------------

    def advance(self, now: int):
        self.clock = max(self.clock, now)
        for seq in sorted((m["deadline"], s) for s, m in self.messages.items() if m["deadline"] <= self.clock):
            self.purge(seq[1], self.messages[seq[1]]["bound"])
        due = sorted((r["deadline"], a, no) for (a, no), r in self.records.items() if r["deadline"] <= self.clock)
        for _, account, no in due:
            self.delete_record(account, no, "expired")
        for until, account in sorted((u, a) for a, u in self.holds.items() if u <= self.clock):
            del self.holds[account]
            if account in self.accounts:
                self.accounts[account]["hold_until"] = None
            self.preserved.pop(account, None)
            self.out.append({"output": "hold_lapsed", "account": account.hex()})

    # --- the state's small operations ----------------------------------------------------------------

    def live(self, account: bytes) -> dict:
        """RET-004 (2): a tombstoned actor, then an unknown one."""
        if account in self.tombstones:
            raise fail("account_terminated")
        if account not in self.accounts:
            raise fail("unknown_account")
        return self.accounts[account]

    def device(self, device: bytes) -> dict:
        route(device)
        if device not in self.devices:
            raise fail("unknown_device")
        return self.devices[device]

    def touch(self, account: bytes):
        if account in self.accounts:
            self.accounts[account]["facts"]["lastUseDay"] = self.clock // DAY

    def purge(self, seq: int, reason: str):
        m = self.messages.pop(seq, None)
        if m is None:
            return
        for r in m["recipients"]:
            device_id = self.device_ids.get(r["key"])
            if device_id is not None:
                self.devices[device_id]["pending"].discard(seq)
                self.devices[device_id]["acked"].discard(seq)
        if m["sender"] in self.accounts:
            self.accounts[m["sender"]]["sent"].discard(seq)
        self.out.append({"output": "purged", "messageId": m["id"].hex(), "reason": reason})

    def new_record(self, account: bytes, kind: str, at: int) -> int:
        no = self.next_record
        self.next_record += 1
        self.records[(account, no)] = {
            "record": kind, "at": at, "deadline": sat(at + RECORD_LIFETIME), "held": False, "direct": 0, "room": 0,
        }
        return no

    def delete_record(self, account: bytes, no: int, reason: str):
        r = self.records.pop((account, no), None)
        if r is None:
            return
        if r["record"] == "message_counts" and self.buckets.get((account, r["at"] // DAY)) == no:
            del self.buckets[(account, r["at"] // DAY)]
        self.out.append({"output": "record_deleted", "account": account.hex(), "record": r["record"], "at": r["at"], "reason": reason})

    def account_records(self, account: bytes) -> list:
        return sorted(no for a, no in self.records if a == account)

    def forget_buckets(self, account: bytes):
        for key in [k for k in self.buckets if k[0] == account]:
            del self.buckets[key]

    def count_sent(self, account: bytes, direct: bool):
        """RET-011, RET-051: the sender's `sent` fact and its open message_counts record of the day."""
        facts = self.accounts[account]["facts"]
        facts["sent"] = sat(facts["sent"] + 1)
        day = self.clock // DAY
        if (account, day) not in self.buckets:
            self.buckets[(account, day)] = self.new_record(account, "message_counts", day * DAY)
        record = self.records[(account, self.buckets[(account, day)])]
        field = "direct" if direct else "room"
        record[field] = sat(record[field] + 1)

    def drop_device(self, device_id: bytes):
        """RET-033: drop each pending delivery in store order, purging a copy left with none."""
        d = self.devices.pop(device_id)
        del self.device_ids[d["key"]]
        for seq in sorted(d["pending"]):
            m = self.messages.get(seq)
            if m is None:
                continue
            m["recipients"] = [r for r in m["recipients"] if r["key"] != d["key"]]
            self.out.append({"output": "dropped", "messageId": m["id"].hex(), "device": device_id.hex()})
            if all(r["acked"] for r in m["recipients"]):
                self.purge(seq, "dropped")
        for seq in d["acked"]:
            if seq in self.messages:
                m = self.messages[seq]
                m["recipients"] = [r for r in m["recipients"] if r["key"] != d["key"]]

    def leave_room(self, account: bytes, room: bytes):
        members = self.rooms.get(room)
        if members is not None:
            members.discard(account)
            if not members:
                del self.rooms[room]

    # --- stage 2: the events (sections 3 to 8) -------------------------------------------------------

    def on_register(self, e):
        account = e["account"]
        if account in self.tombstones:
            raise fail("identifier_tombstoned")
        if account in self.accounts:
            raise fail("account_exists")
        today = self.clock // DAY
        facts = {"createdDay": today, "lastUseDay": today, "platforms": [], "sent": 0, "received": 0, "externalIds": 0, "avatar": False}
        self.accounts[account] = {"facts": facts, "devices": set(), "rooms": set(), "blocks": set(), "sent": set(), "hold_until": None}
        return {"reply": "registered"}

    def on_add_device(self, e):
        device = route(e["device"])
        live = self.live(e["account"])
        if device in self.devices:
            raise fail("device_exists")
        key = self.next_device
        self.next_device += 1
        self.devices[device] = {"key": key, "account": e["account"], "platform": e["platform"], "pending": set(), "acked": set()}
        self.device_ids[key] = device
        live["devices"].add(device)
        platforms = live["facts"]["platforms"]
        if e["platform"] not in platforms:
            platforms.append(e["platform"])
            platforms.sort(key=PLATFORMS.index)
        self.touch(e["account"])
        self.new_record(e["account"], "device_added", self.clock)
        return {"reply": "device_added"}

    def on_remove_device(self, e):
        device = route(e["device"])
        live = self.live(e["account"])
        if device not in live["devices"]:
            raise fail("unknown_device")
        self.drop_device(device)
        live["devices"].discard(device)
        self.touch(e["account"])
        self.new_record(e["account"], "device_removed", self.clock)
        return {"reply": "device_removed"}

    def on_join(self, e):
        room = route(e["conversation"])
        live = self.live(e["account"])
        if room in live["rooms"]:
            raise fail("no_change")
        self.rooms.setdefault(room, set()).add(e["account"])
        live["rooms"].add(room)
        self.touch(e["account"])
        return {"reply": "joined"}

    def on_leave(self, e):
        room = route(e["conversation"])
        live = self.live(e["account"])
        if room not in live["rooms"]:
            raise fail("not_a_member")
        self.leave_room(e["account"], room)
        live["rooms"].discard(room)
        self.touch(e["account"])
        return {"reply": "left"}

    def block_change(self, e, add: bool):
        if add and e["blocked"] == e["account"]:
            raise fail("invalid_event")  # RET-040
        blocks = self.live(e["account"])["blocks"]
        if (e["blocked"] in blocks) == add:
            raise fail("no_change")
        (blocks.add if add else blocks.discard)(e["blocked"])
        self.touch(e["account"])
        self.new_record(e["account"], "block_list_changed", self.clock)
        return {"reply": "blocked" if add else "unblocked"}

    def on_block(self, e):
        return self.block_change(e, True)

    def on_unblock(self, e):
        return self.block_change(e, False)

    def on_change_setting(self, e):
        facts = self.live(e["account"])["facts"]
        change = e["change"]
        if change == "link_external_id":
            if facts["externalIds"] >= MAX_EXTERNAL_IDS:
                raise fail("invalid_event")
            facts["externalIds"] += 1
            kind = "external_id_linked"
        elif change == "unlink_external_id":
            if facts["externalIds"] == 0:
                raise fail("no_change")
            facts["externalIds"] -= 1
            kind = "external_id_unlinked"
        elif change == "set_avatar":
            facts["avatar"] = True
            kind = "avatar_changed"
        else:
            if not facts["avatar"]:
                raise fail("no_change")
            facts["avatar"] = False
            kind = "avatar_changed"
        self.touch(e["account"])
        self.new_record(e["account"], kind, self.clock)
        return {"reply": "setting_changed"}

    def on_store(self, e):
        sender_device, room = route(e["device"]), route(e["conversation"])
        if not 1 <= e["ttl"] <= MAX_TTL or not 1 <= len(e["ciphertext"]) <= MAX_CIPHERTEXT:
            raise fail("invalid_event")
        sender = self.device(sender_device)["account"]
        members = self.rooms.get(room, set())
        if sender not in members:
            raise fail("not_a_member")
        mid = e["messageId"]
        reply = {"reply": "accepted", "messageId": mid.hex()}
        recipients, receivers = [], []  # RET-030, RET-041
        for member in sorted(members):
            live = self.accounts.get(member)
            if live is None or (member != sender and sender in live["blocks"]):
                continue
            mine = [d for d in sorted(live["devices"]) if d != sender_device]
            recipients += mine
            if member != sender and mine:
                receivers.append(member)
        self.touch(sender)
        self.count_sent(sender, len(members) == 2)
        expiry = sat(min(e["sentAt"], self.clock) + e["ttl"])  # RET-020
        capped = sat(self.clock + self.cap)
        if expiry <= self.clock:
            self.out.append({"output": "not_stored", "messageId": mid.hex(), "reason": "expired"})
            return reply
        if not recipients:
            self.out.append({"output": "not_stored", "messageId": mid.hex(), "reason": "no_recipients"})
            return reply
        for receiver in receivers:
            facts = self.accounts[receiver]["facts"]
            facts["received"] = sat(facts["received"] + 1)
        deadline, bound = (expiry, "expiry") if expiry <= capped else (capped, "cap")
        seq = self.next_seq
        self.next_seq += 1
        for d in recipients:
            self.devices[d]["pending"].add(seq)
        self.accounts[sender]["sent"].add(seq)
        self.messages[seq] = {
            "id": mid, "conversation": room, "sender": sender, "senderDevice": sender_device, "sentAt": e["sentAt"],
            "ttl": e["ttl"], "storedAt": self.clock, "deadline": deadline, "bound": bound, "ciphertext": e["ciphertext"],
            "recipients": [{"key": self.devices[d]["key"], "acked": False} for d in recipients],
        }
        self.out.append({"output": "stored", "messageId": mid.hex(), "recipients": [d.hex() for d in sorted(recipients)], "purgeBy": deadline})
        return reply

    def on_fetch(self, e):
        d = self.device(e["device"])
        messages = [
            {"messageId": self.messages[s]["id"].hex(), "ciphertext": self.messages[s]["ciphertext"].hex()}
            for s in sorted(d["pending"]) if s in self.messages
        ]
        self.touch(d["account"])
        return {"reply": "messages", "messages": messages}

    def on_ack(self, e):
        d = self.device(e["device"])
        pending = [
            s for s, m in self.messages.items()
            if m["id"] == e["messageId"] and any(r["key"] == d["key"] and not r["acked"] for r in m["recipients"])
        ]
        if not pending:
            raise fail("unknown_message")  # RET-023: one code for every case
        done = []
        for seq in pending:
            m = self.messages[seq]
            for r in m["recipients"]:
                if r["key"] == d["key"]:
                    r["acked"] = True
            if all(r["acked"] for r in m["recipients"]):
                done.append(seq)
            d["pending"].discard(seq)
            d["acked"].add(seq)
        self.touch(d["account"])
        for seq in done:
            self.purge(seq, "delivered")
        return {"reply": "acked"}

    def on_recall(self, e):
        device_id = route(e["device"])
        account = self.device(device_id)["account"]
        own = [
            s for s, m in self.messages.items()
            if m["id"] == e["messageId"] and m["senderDevice"] == device_id and m["sender"] == account
        ]
        self.touch(account)
        for seq in own:
            self.purge(seq, "recalled")
        return {"reply": "recalled", "messageId": e["messageId"].hex()}

    def on_terminate(self, e):
        """RET-054, in its order."""
        account = e["account"]
        self.live(account)
        live = self.accounts.pop(account)
        for seq in sorted(live["sent"]):
            self.purge(seq, "sender_terminated")
        for device in sorted(live["devices"]):
            self.drop_device(device)
        for room in live["rooms"]:
            self.leave_room(account, room)
        for no in self.account_records(account):
            if not self.records[(account, no)]["held"]:
                self.delete_record(account, no, "terminated")
        self.forget_buckets(account)
        if live["hold_until"] is not None:
            self.preserved[account] = (live["facts"], live["hold_until"])
        self.tombstones.add(account)
        self.out.append({"output": "tombstoned", "account": account.hex()})
        return {"reply": "terminated"}

    def on_hold(self, e):
        """RET-053."""
        account = e["account"]
        until = sat(self.clock + HOLD_LIFETIME)
        live = self.live(account)
        live["hold_until"] = until
        self.holds[account] = until
        for no in self.account_records(account):
            r = self.records[(account, no)]
            r["deadline"] = max(r["deadline"], until)
            r["held"] = True
        self.forget_buckets(account)
        return {"reply": "held", "until": until}

    def on_disclose(self, e):
        """RET-060."""
        account = e["account"]
        records = [
            {k: r[k] for k in ("record", "at")} | {"until": r["deadline"], "held": r["held"], "direct": r["direct"], "room": r["room"]}
            for r in (self.records[(account, no)] for no in self.account_records(account))
        ]
        d = {"reply": "disclosure", "account": account.hex()}
        live = self.accounts.get(account)
        if live is None:
            if account not in self.tombstones:
                raise fail("unknown_account")
            kept = self.preserved.get(account)
            d.update(terminated=True, facts=dict(kept[0]) if kept else None, devices=[], rooms=[], blockList=[], records=records, holdUntil=kept[1] if kept else None, messages=[])
            return d
        seqs = set(live["sent"])
        for device in live["devices"]:
            seqs |= self.devices[device]["pending"] | self.devices[device]["acked"]
        d.update(
            terminated=False,
            facts=dict(live["facts"], platforms=list(live["facts"]["platforms"])),
            devices=[{"device": x.hex(), "platform": self.devices[x]["platform"]} for x in sorted(live["devices"])],
            rooms=[r.hex() for r in sorted(live["rooms"])],
            blockList=[b.hex() for b in sorted(live["blocks"])],
            records=records,
            holdUntil=live["hold_until"],
            messages=[self.view(self.messages[s]) for s in sorted(seqs) if s in self.messages],
        )
        return d

    def view(self, m: dict) -> dict:
        recipients = sorted(
            (self.device_ids[r["key"]], r["acked"]) for r in m["recipients"] if r["key"] in self.device_ids
        )
        return {
            "messageId": m["id"].hex(), "conversation": m["conversation"].hex(), "sender": m["sender"].hex(),
            "senderDevice": m["senderDevice"].hex(), "sentAt": m["sentAt"], "ttl": m["ttl"], "storedAt": m["storedAt"],
            "purgeBy": m["deadline"], "ciphertextLength": len(m["ciphertext"]),
            "recipients": [{"device": d.hex(), "acked": acked} for d, acked in recipients],
        }

    def on_tick(self, _e):
        return {"reply": "ticked"}

    def handle(self, event: dict, now: int) -> dict:
        self.out = []
        self.advance(now)
        try:
            reply, error = getattr(self, "on_" + event["event"])(event), None
        except Refused as e:
            reply, error = None, e.code
        held = sorted(m["id"] for m in self.messages.values())
        return {"reply": reply, "error": error, "outputs": self.out, "held": [h.hex() for h in held]}


ACCOUNT_FIELDS = ("account", "blocked")
EVENT_FIELDS = {
    "register": ("account",),
    "add_device": ("account", "device", "platform"),
    "remove_device": ("account", "device"),
    "join": ("account", "conversation"),
    "leave": ("account", "conversation"),
    "block": ("account", "blocked"),
    "unblock": ("account", "blocked"),
    "change_setting": ("account", "change"),
    "store": ("device", "messageId", "conversation", "sentAt", "ttl", "ciphertext"),
    "fetch": ("device",),
    "ack": ("device", "messageId"),
    "recall": ("device", "messageId"),
    "terminate": ("account",),
    "hold": ("account",),
    "disclose": ("account",),
    "tick": (),
}


def read_field(f: Fields, field: str, _event: str):
    if field in ACCOUNT_FIELDS:
        return f.hex(field, 32)
    if field == "messageId":
        return f.hex(field, 16)
    if field == "platform":
        return f.str(field, PLATFORMS)
    if field == "change":
        return f.str(field, CHANGES)
    if field == "sentAt":
        return f.u64(field)
    if field == "ttl":
        return f.u32(field)
    return f.hex(field)


def op_scenario(args: dict) -> dict:
    f = Fields(args).only("profile", "cap", "events")
    profile = f.str("profile", CAPS)
    cap = f.optional_u32("cap")
    events = read_events(f, EVENT_FIELDS, read_field)
    server = Server(profile, cap)
    return {"steps": [server.handle(e, at) for at, e in events]}


OPS = {"retention.scenario": op_scenario}

__all__ = ["OPS", "BadRequest"]
