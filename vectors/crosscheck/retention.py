#!/usr/bin/env python3
"""Independent cross-check of Cinder's server retention vectors (vectors/retention.json).

This is a second implementation of the server retention chapter, written in Python from
spec/retention.md (requirements RET-001 to RET-062) and the conventions of spec/README.md, not from
the Rust reference, its test model or the vector generator. It is a direct reading of the chapter:
the state is the table of section 2 and nothing else (no indexes: every stage scans the whole
state), and a step is the two stages of RET-003 (time, then the event). For every
`retention.scenario` test it replays the events and compares every field of every step (reply,
error, outputs, held); a difference inside a field (a disclosure, an output list) is located by its
path. An invalid test (a server that cannot be created) must be refused here too, with the same code.

Before reading the vector file it runs self-tests: scenarios whose expected steps were worked out by
hand from the chapter (both caps and expiry one second before, at and after; ack order; no
backfill; a room joined after the send; a blocked sender's replies; a hold lapsing; a tombstone
re-registered; a disclosure), and the invariants of section 10 on every self-test and vector
scenario.

With --mutations it also runs deliberately broken variants of the model (each a small departure
from one rule) against the vectors and reports which of them the vectors do not catch, with a
scenario that would.

How this model reads the points an earlier version of the chapter left open. The chapter now states
each of them (where is given in brackets) and at least one vector tells each reading from the other;
READINGS below implements the other reading of each: a scenario that mismatches here but matches
under another reading is reported with that reading, and --mutations checks that the vectors refuse
every one of them (a reading the vectors accepted would be a point they leave open).

- R1 The clock of a new server is 0 [RET-003].
- R2 Every addition of a time and a duration saturates at 2^64 - 1, not only those of RET-020:
  records' `at + 518,400`, a hold's `clock + 7,776,000` [RET-003, RET-051, RET-053].
- R3 Days are `clock / 86,400` with the step's clock after stage 1, never the event's `now`, which
  can be behind the clock: `createdDay`, `lastUseDay` and a `message_counts` record's day
  [RET-003, RET-050, RET-051]. Vectors: records/store-clock-set-back-across-day,
  records/register-clock-set-back-across-day.
- R4 Last use is moved by the accepted events of which the account, or one of its devices, is the
  requester (RET-002's requester column): register, add_device, remove_device, join, leave, block,
  unblock, change_setting, store, fetch, ack, recall. Not by `hold`, `disclose` or `tick`, not by
  refused events [RET-050].
- R5 `platforms` is the set of platforms of every device the account has added (removal does not
  take one out), listed in the order of RET-002's enumeration: ios, android, desktop, web
  [RET-002, RET-050].
- R6 A removal that ends several pending deliveries handles one held copy after the other, in store
  order: `dropped`, then at once `purged(dropped)` when that copy has no pending recipient left,
  before the next copy's `dropped` [RET-033]. Vector: devices/removal-ends-two-deliveries-first-purged.
- R7 A device's removal (RET-033, and RET-054 step 2) also takes its acknowledged entries out of
  every held copy's recipient list, silently [RET-030, RET-033, RET-060]. Vector:
  devices/removal-forgets-acknowledged-device.
- R8 Termination removes devices "as in RET-033" but makes no `device_removed` records, clears the
  block list without a `block_list_changed` record, and removes memberships without output
  [RET-054].
- R9 `held` in a step lists one ID per held copy (an ID may be held more than once), in byte order
  [RET-012, section 14].
- R10 Recall matches a copy when its sending device ID is the recalling device's ID and its sending
  account is the recalling device's account, so a device ID removed and added again to the same
  account can recall what the old one sent [RET-024, RET-031]. Vector:
  recall/recall-after-readd-same-account.
- R11 A hold on an account whose hold is still active replaces its end (RET-053: "sets a new end").
  Only records held at the time of a hold have `held: true`; a record's `until` is its deadline.
- R12 In a disclosure: devices, rooms and the block list in the byte order of their IDs and
  identifiers (not in the order added, joined or blocked); records in record order (the order they
  were made); messages in store order, each copy on its own, its recipients in byte order with
  acknowledged ones included; a received message is listed while any current device of the
  account is a recipient, pending or acknowledged; `direct` and `room` are 0 in records other than
  `message_counts`. A tombstoned identifier's `devices`, `rooms`, `blockList`, `messages` are empty
  [RET-060]. Vectors: disclosure/disclose-received-after-every-own-ack,
  disclosure/disclose-rooms-in-byte-order, disclosure/disclose-block-list-in-byte-order.
- R13 A `message_counts` record is found by (account, day start, not held); a store whose day's
  record is held opens a new one [RET-051, RET-053].
- R14 `received` grows by one per account, not per recipient device (RET-011 "each other account
  with a recipient device has its received count grow by one").
- R15 The "account" of stage 1's orders ("(deadline, account, record order)", "(end, account)") is
  the identifier's bytes, not the order of registration [RET-003].

Usage:
    python3 retention.py                 # self-tests, then ../retention.json
    python3 retention.py --self-test     # self-tests only
    python3 retention.py --vectors FILE  # self-tests, then FILE
    python3 retention.py --mutations     # also: which broken models do the vectors catch?

Exit status: 0 when everything agrees, 1 on any mismatch or self-test failure, 2 when the vector
file is missing or malformed. Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time

# ---------------------------------------------------------------------------------------------
# Parameters (spec/retention.md).
# ---------------------------------------------------------------------------------------------

U64_MAX = 2**64 - 1
PROFILE_CAP = {"consumer": 518_400, "enterprise": 2_592_000}  # RET-001
ID_LEN = (1, 64)  # device and conversation IDs (RET-004, ENV-012)
TTL_RANGE = (1, 31_536_000)  # RET-004, ENV-015
CIPHERTEXT_LEN = (1, 1_194_559)  # RET-004
RECORD_LIFE = 518_400  # RET-051
HOLD_LIFE = 7_776_000  # RET-053
DAY = 86_400  # RET-050
MAX_EXTERNAL_IDS = 8  # RET-050
PLATFORMS = ("ios", "android", "desktop", "web")  # RET-002, also the listing order (R5)
CHANGES = ("link_external_id", "unlink_external_id", "set_avatar", "remove_avatar")
RECORD_KINDS = ("message_counts", "device_added", "device_removed", "block_list_changed",
                "external_id_linked", "external_id_unlinked", "avatar_changed")

E_INVALID_CAP = "retention.invalid_cap"
E_INVALID_EVENT = "retention.invalid_event"
E_ACCOUNT_EXISTS = "retention.account_exists"
E_TOMBSTONED = "retention.identifier_tombstoned"
E_UNKNOWN_ACCOUNT = "retention.unknown_account"
E_TERMINATED = "retention.account_terminated"
E_DEVICE_EXISTS = "retention.device_exists"
E_UNKNOWN_DEVICE = "retention.unknown_device"
E_NOT_A_MEMBER = "retention.not_a_member"
E_UNKNOWN_MESSAGE = "retention.unknown_message"
E_NO_CHANGE = "retention.no_change"

# Deliberate departures from the chapter: the misreadings of spec/misreadings/retention.md, run by
# misreadings.py and by --mutations. name -> (requirement IDs, the misreading, its kind).
MUTATIONS = {
    # configuration
    "consumer_cap_for_all": (("RET-001",), "the enterprise profile gets the consumer cap", "wrong-rule"),
    "profile_max_refused": (("RET-001",), "a configured cap equal to the profile's maximum is refused", "off-by-one"),
    "cap_zero_accepted": (("RET-001",), "a configured cap of 0 is accepted", "off-by-one"),
    "cap_above_max_accepted": (("RET-001",), "a configured cap one second above the profile's maximum is accepted", "off-by-one"),
    "configured_cap_ignored": (("RET-001", "RET-020"), "a configured cap is checked but the profile's maximum bounds the messages", "lenient-check"),
    # deadlines and purges
    "purge_on_first_ack": (("RET-022",), "a copy is purged (delivered) when the first recipient acks, not the last", "wrong-event"),
    "cap_one_second_late": (("RET-021",), "a capped message is still held at its deadline (purged at deadline + 1)", "off-by-one"),
    "cap_one_second_early": (("RET-020",), "capped = clock + cap - 1", "off-by-one"),
    "expiry_one_second_late": (("RET-021",), "an expiring message is still held at its deadline", "off-by-one"),
    "expiry_one_second_early": (("RET-020",), "expiry = start + ttl - 1", "off-by-one"),
    "trust_sent_at": (("RET-020",), "start = sent_at: a sender ahead of the clock lengthens the hold", "wrong-event"),
    "start_at_arrival": (("RET-020",), "start = clock: time in transit is not counted", "wrong-event"),
    "no_saturation": (("RET-020", "RET-003"), "sums wrap modulo 2^64 instead of saturating", "library-default"),
    "expired_store_held": (("RET-011", "RET-021"), "a message whose expiry is exactly the clock is held (case 1 taken as expiry < clock)", "off-by-one"),
    "cap_reason_on_tie": (("RET-020", "RET-021"), "reason cap when expiry == capped", "off-by-one"),
    "purge_in_store_order": (("RET-003",), "stage 1 purges in store order, not (deadline, store order)", "check-order"),
    "clock_goes_back": (("RET-003",), "clock := now instead of max(clock, now)", "forgotten-reset"),
    "refusal_undoes_time": (("RET-003",), "a refused step also undoes what stage 1 did", "forgotten-reset"),
    "event_before_time": (("RET-003", "RET-021"), "the event is handled before stage 1", "check-order"),
    "fetch_acknowledges": (("RET-022", "RET-026"), "fetch marks the device's deliveries done", "wrong-rule"),
    "stage1_records_first": (("RET-003",), "stage 1 deletes records before it purges messages (output order)", "check-order"),
    "cap_from_start": (("RET-020",), "capped = min(sent_at, clock) + cap: the cap counted from the send", "wrong-event"),
    # fetch
    "fetch_newest_first": (("RET-026",), "fetch lists the pending messages newest first", "wrong-rule"),
    "fetch_includes_acked": (("RET-026", "RET-022"), "fetch also returns held copies the device has acknowledged", "forgotten-reset"),
    "fetch_no_last_use": (("RET-026", "RET-050"), "fetch changes nothing at all, not even the last-use day", "lenient-check"),
    # recipients, backfill, blocks
    "new_device_backfilled": (("RET-031", "RET-030"), "an added device becomes a pending recipient of its account's held messages", "wrong-rule"),
    "late_member_sees_old": (("RET-032", "RET-030"), "a joining account's devices become recipients of the room's held messages", "wrong-rule"),
    "leave_drops_pending": (("RET-032",), "leaving drops the account's pending deliveries in the conversation", "wrong-rule"),
    "leaver_still_receives": (("RET-032", "RET-030"), "an account that left stays a recipient of later stores in the conversation", "forgotten-reset"),
    "sender_device_recipient": (("RET-030",), "the sending device is a recipient of its own message", "lenient-check"),
    "own_devices_excluded": (("RET-030", "RET-042"), "the sender's other devices are not recipients", "wrong-rule"),
    "block_ignored": (("RET-041",), "a blocking member's devices are still recipients", "lenient-check"),
    "block_counts_received": (("RET-041", "RET-011"), "a blocking member's received count grows though nothing is stored for it", "wrong-rule"),
    "blocked_sender_told": (("RET-042", "RET-005"), "a store that a block affects is refused (retention.not_a_member)", "wrong-rule"),
    "block_hides_own_devices": (("RET-042", "RET-030"), "a blocked store is not delivered to the sender's own devices", "wrong-rule"),
    "dedup_store": (("RET-012",), "a store of an ID already held is not stored again (not_stored no_recipients)", "wrong-rule"),
    "ack_first_copy_only": (("RET-022", "RET-012"), "an ack applies to the first pending copy of the ID only", "wrong-rule"),
    "reack_accepted": (("RET-023",), "an ack of an acknowledged delivery replies acked again", "lenient-check"),
    "ack_any_recipient": (("RET-023",), "an ack by a device that is no recipient of a held ID replies acked", "lenient-check"),
    "removed_device_kept": (("RET-033", "RET-025"), "a removed device's pending deliveries are kept", "forgotten-reset"),
    "reused_device_id_inherits": (("RET-031", "RET-033"), "a re-added device ID inherits the old device's pending deliveries", "forgotten-reset"),
    "remove_other_accounts_device": (("RET-033", "RET-004"), "remove_device of another account's device is accepted", "lenient-check"),
    # recall
    "stranger_recall": (("RET-024",), "a recall by any device purges every copy with the ID", "lenient-check"),
    "account_recall": (("RET-024",), "a recall by any device of the sending account is honoured", "lenient-check"),
    "recall_first_copy_only": (("RET-024", "RET-012"), "a recall purges only the first held copy of the ID", "wrong-rule"),
    "recall_unknown_refused": (("RET-024", "RET-005"), "a recall of an ID not held is refused with retention.unknown_message", "wrong-rule"),
    # conversations
    "direct_any_small": (("RET-034",), "a conversation of one or two members is direct", "off-by-one"),
    "join_twice_accepted": (("RET-034",), "a join by a member replies joined again", "lenient-check"),
    "leave_nonmember_accepted": (("RET-034",), "a leave by an account that is not a member replies left", "lenient-check"),
    # block lists
    "unblock_self_invalid": (("RET-004", "RET-040"), "unblock of one's own identifier is retention.invalid_event", "wrong-rule"),
    "block_self_allowed": (("RET-040", "RET-004"), "an account can put itself on its block list", "lenient-check"),
    "reblock_accepted": (("RET-040",), "a block of a listed identifier replies blocked again (and makes a record)", "lenient-check"),
    "unblock_unlisted_accepted": (("RET-040",), "an unblock of an unlisted identifier replies unblocked", "lenient-check"),
    # records, facts
    "records_kept_one_second_more": (("RET-051",), "a record is still kept at its deadline", "off-by-one"),
    "counts_from_clock": (("RET-051",), "a message_counts record's at is the clock, not the start of the day", "wrong-event"),
    "counts_only_stored": (("RET-011", "RET-051"), "a store that is not held (case 1 or 2) is not counted", "wrong-rule"),
    "received_per_device": (("RET-011",), "received grows once per recipient device", "wrong-rule"),
    "sender_counts_received": (("RET-011",), "the sender's own account's received grows when its other devices are recipients", "wrong-rule"),
    "last_use_on_refused": (("RET-050", "RET-003"), "a refused event moves the last-use day", "lenient-check"),
    "ninth_external_id_allowed": (("RET-050",), "a ninth external ID is linked", "off-by-one"),
    "eighth_external_id_refused": (("RET-050",), "an eighth external ID is already refused", "off-by-one"),
    "unlink_none_accepted": (("RET-050",), "unlink_external_id with none linked is accepted (the count stays 0)", "lenient-check"),
    "remove_avatar_none_accepted": (("RET-050",), "remove_avatar without an avatar is accepted", "lenient-check"),
    "removal_drops_platform": (("RET-050", "RET-062"), "removing a device takes its platform out of the platforms fact", "forgotten-reset"),
    "terminate_touches": (("RET-050", "RET-054"), "terminate moves the last-use day before a hold preserves the facts", "wrong-event"),
    "record_names_blocked": (("RET-052",), "a block_list_changed record keeps the identifier it blocked or unblocked", "wrong-rule"),
    "no_record_for_removal": (("RET-051",), "remove_device makes no device_removed record", "lenient-check"),
    "setting_record_one_kind": (("RET-051",), "every setting change makes an avatar_changed record", "wrong-rule"),
    # holds, termination
    "hold_keeps_content": (("RET-053",), "a hold extends the held messages the account sent to the hold's end", "wrong-rule"),
    "hold_never_lapses": (("RET-053",), "a hold never ends", "forgotten-reset"),
    "hold_covers_later_records": (("RET-053",), "records made during a hold are held too", "wrong-rule"),
    "hold_lapse_before_records": (("RET-053", "RET-003"), "the hold lapses before its records are deleted (output order)", "check-order"),
    "second_hold_keeps_end": (("RET-053",), "a second hold does not move the end", "forgotten-reset"),
    "hold_on_tombstoned": (("RET-053", "RET-055"), "a hold on a tombstoned identifier is accepted", "lenient-check"),
    "facts_kept_after_lapse": (("RET-053", "RET-061"), "preserved facts stay after the hold lapses", "forgotten-reset"),
    "hold_shortens_records": (("RET-053",), "a held record's deadline becomes the hold's end even when its own is later", "wrong-rule"),
    "tombstone_reregistration": (("RET-055",), "a tombstoned identifier can be registered again", "lenient-check"),
    "tombstone_says_exists": (("RET-055",), "register of a tombstoned identifier is retention.account_exists", "wrong-rule"),
    "terminate_keeps_messages": (("RET-054", "RET-025"), "a terminated account's held messages stay", "forgotten-reset"),
    "terminate_ignores_hold": (("RET-054", "RET-053"), "termination deletes held records and facts too", "lenient-check"),
    "terminate_messages_after_devices": (("RET-054",), "termination removes the devices before it purges the sent messages", "check-order"),
    # checks and disclosure
    "fields_after_requester": (("RET-004",), "the requester is checked before the fields", "check-order"),
    "ttl_zero_accepted": (("RET-004",), "a store with ttl 0 is accepted", "off-by-one"),
    "ttl_above_max_accepted": (("RET-004",), "a store with ttl 31,536,001 is accepted", "off-by-one"),
    "ciphertext_empty_accepted": (("RET-004", "RET-010"), "an empty ciphertext is accepted", "lenient-check"),
    "id_65_accepted": (("RET-004",), "a 65-byte device or conversation ID is accepted", "off-by-one"),
    "id_empty_accepted": (("RET-004",), "an empty device or conversation ID is accepted", "lenient-check"),
    "unknown_device_is_account": (("RET-004",), "an unregistered device is reported retention.unknown_account", "wrong-rule"),
    "disclose_skips_recipient": (("RET-060", "RET-061"), "a disclosure lists only messages the account sent", "lenient-check"),
    "disclose_unknown_empty": (("RET-060",), "disclosure of an unknown identifier is an empty disclosure, not an error", "lenient-check"),
    "records_oldest_first": (("RET-060",), "a disclosure lists records oldest first (by at), not in record order", "wrong-rule"),
    "tombstone_hides_hold": (("RET-060", "RET-061"), "a tombstoned identifier's disclosure shows no hold end", "forgotten-reset"),
    "ciphertext_length_hex": (("RET-060", "RET-010"), "ciphertextLength counts hex digits, not bytes", "library-default"),
    "stored_at_is_sent_at": (("RET-060", "RET-010"), "a disclosed message's storedAt is its sentAt", "wrong-event"),
    "disclosure_unheld_as_held": (("RET-060", "RET-053"), "a disclosure reports every record of a held account as held", "wrong-rule"),
    # The other readings of the points R1..R15 (see the docstring), which the chapter now states.
    "alt_platforms_added_order": (("RET-002", "RET-050"), "platforms in the order first added", "wrong-rule"),
    "alt_platforms_alphabetical": (("RET-002", "RET-050"), "platforms in alphabetical order", "library-default"),
    "drops_then_purges": (("RET-033",), "all dropped outputs of a removal first, then its purges", "check-order"),
    "alt_removal_keeps_acks": (("RET-033", "RET-030"), "a removed device's acknowledged entries stay in the recipient lists", "forgotten-reset"),
    "alt_terminate_device_records": (("RET-054",), "termination makes device_removed records (deleted at once, reason terminated)", "wrong-rule"),
    "alt_held_unique": (("RET-012",), "held lists each ID once, however many copies", "library-default"),
    "alt_recall_needs_same_device": (("RET-024", "RET-031"), "a re-added device ID cannot recall what the old device sent", "wrong-rule"),
    "alt_day_from_now": (("RET-003", "RET-050"), "days (createdDay, lastUseDay, message_counts) from the event's now, not the clock", "wrong-event"),
    "last_use_on_operator": (("RET-050",), "hold and disclose move the account's last-use day", "wrong-event"),
    "alt_records_wrap": (("RET-003", "RET-051"), "records' and holds' additions wrap instead of saturating", "library-default"),
    "alt_disclose_pending_only": (("RET-060",), "a disclosure lists received messages only while a device of the account is pending", "wrong-rule"),
    "alt_counts_into_held": (("RET-051", "RET-053"), "later messages of the day are counted in the held record", "forgotten-reset"),
    "alt_account_order_registration": (("RET-003",), "stage 1 orders accounts by registration, not by identifier bytes", "wrong-rule"),
    "alt_disclose_devices_added_order": (("RET-060",), "a disclosure lists devices in the order they were added", "wrong-rule"),
    "alt_disclose_rooms_join_order": (("RET-060",), "a disclosure lists rooms in the order they were joined", "wrong-rule"),
    "alt_disclose_blocks_insertion_order": (("RET-060", "RET-040"), "a disclosure lists the block list in the order of the blocks", "wrong-rule"),
}

# The mutations above that are the other reading of a point R1..R15 of the docstring. A scenario
# that mismatches the unmutated model but matches under one of these is reported with it.
READINGS = {name: MUTATIONS[name][1] for name in MUTATIONS if name.startswith("alt_") or name in (
    "drops_then_purges", "last_use_on_operator")}

# Mutations that change nothing a vector can observe, and why.
EQUIVALENT = {
    "hold_shortens_records": "a record's own deadline is at most clock + 518,400 and an earlier hold's end is before a later "
                             "hold's, so the later of the two is always the new hold's end (near 2^64 - 1 both saturate to "
                             "the same value)",
    "record_names_blocked": "a disclosed record has no field that could carry whom a block names, and nothing else reads "
                            "the record; RET-052 is kept by the reference's record type, which has no such field",
}

RANDOM_GROUPS = frozenset({"walks"})


class RetentionError(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def sat_add(a: int, b: int, mut: frozenset = frozenset()) -> int:
    """RET-020 (and R2): u64 addition saturating at 2^64 - 1."""
    if "no_saturation" in mut:
        return (a + b) & U64_MAX
    return min(a + b, U64_MAX)


def hx(b: bytes) -> str:
    return b.hex()


# ---------------------------------------------------------------------------------------------
# The state of section 2.
# ---------------------------------------------------------------------------------------------


class Account:
    def __init__(self, ident: bytes, day: int):
        self.ident = ident
        self.created_day = day
        self.last_use_day = day
        self.platforms: set[str] = set()
        self.platforms_added: list[str] = []  # only for the reading alt_platforms_added_order
        self.sent = 0
        self.received = 0
        self.external_ids = 0
        self.avatar = False
        self.block_list: dict[bytes, None] = {}  # a set; a dict keeps the order of the blocks

    def facts(self, mut: frozenset = frozenset()) -> dict:
        plats = [p for p in PLATFORMS if p in self.platforms]
        if "alt_platforms_added_order" in mut:
            plats = list(self.platforms_added)
        if "alt_platforms_alphabetical" in mut:
            plats = sorted(plats)
        return {"createdDay": self.created_day, "lastUseDay": self.last_use_day,
                "platforms": plats,
                "sent": self.sent, "received": self.received,
                "externalIds": self.external_ids, "avatar": self.avatar}


class Device:
    def __init__(self, ident: bytes, account: bytes, platform: str):
        self.ident = ident
        self.account = account
        self.platform = platform
        self.since = 0


class Message:
    """One held copy (RET-010, RET-012)."""

    def __init__(self, seq, mid, conv, sender, sender_device, sent_at, ttl, stored_at, deadline,
                 reason, ciphertext, recipients):
        self.seq = seq  # store order
        self.mid = mid
        self.conv = conv
        self.sender = sender
        self.sender_device = sender_device
        self.sent_at = sent_at
        self.ttl = ttl
        self.stored_at = stored_at
        self.deadline = deadline
        self.reason = reason  # "expiry" or "cap"
        self.ciphertext = ciphertext
        self.recipients: dict[bytes, bool] = {d: False for d in recipients}  # device -> acked

    def pending(self) -> list[bytes]:
        return [d for d, acked in self.recipients.items() if not acked]


class Record:
    """An activity record (RET-051, RET-052)."""

    def __init__(self, seq, account, kind, at, deadline):
        self.seq = seq  # record order
        self.account = account
        self.kind = kind
        self.at = at
        self.deadline = deadline
        self.held = False
        self.direct = 0
        self.room = 0


class Server:
    def __init__(self, profile: str, cap, mut: frozenset = frozenset()):
        self.mut = mut
        if profile not in PROFILE_CAP:
            raise ValueError(f"unknown profile {profile!r}")
        hi = PROFILE_CAP["consumer"] if "consumer_cap_for_all" in mut else PROFILE_CAP[profile]
        if cap is not None:
            lo = 0 if "cap_zero_accepted" in mut else 1
            top = hi + 1 if "cap_above_max_accepted" in mut else hi
            if not isinstance(cap, int) or cap < lo or cap > top or ("profile_max_refused" in mut and cap == hi):
                raise RetentionError(E_INVALID_CAP)  # RET-001
        self.cap = hi if cap is None or "configured_cap_ignored" in mut else cap
        self.clock = 0  # R1
        self.now = 0
        self.accounts: dict[bytes, Account] = {}
        self.devices: dict[bytes, Device] = {}
        self.conversations: dict[bytes, set[bytes]] = {}
        self.messages: list[Message] = []  # in store order
        self.records: list[Record] = []  # in record order
        self.tombstones: set[bytes] = set()
        self.holds: dict[bytes, int] = {}  # identifier -> hold end (live or tombstoned)
        self.preserved: dict[bytes, dict] = {}  # tombstoned identifier -> preserved facts
        self.seq = 0  # store order counter
        self.rseq = 0  # record order counter
        self.ghosts: list = []  # only for the mutation reused_device_id_inherits
        self.reg_order: dict[bytes, int] = {}
        self.left: dict[bytes, set[bytes]] = {}  # only for leaver_still_receives
        self.joined: dict[tuple, int] = {}

    # -- helpers --------------------------------------------------------------------------

    def day(self) -> int:
        if "alt_day_from_now" in self.mut:
            return self.now // DAY
        return self.clock // DAY  # R3

    def held_ids(self) -> list[str]:
        if "alt_held_unique" in self.mut:
            return sorted({hx(m.mid) for m in self.messages})
        return sorted(hx(m.mid) for m in self.messages)  # R9

    def touch(self, account: bytes) -> None:
        """R4: an accepted event of the account moves its last-use day."""
        self.accounts[account].last_use_day = self.day()

    def new_record(self, account: bytes, kind: str, at: int) -> Record:
        m = self.mut
        wrap = m | ({"no_saturation"} if "alt_records_wrap" in m else set())
        r = Record(self.rseq, account, kind, at, sat_add(at, RECORD_LIFE, wrap))
        self.rseq += 1
        if "hold_covers_later_records" in m and account in self.holds:
            r.held = True
            r.deadline = max(r.deadline, self.holds[account])
        self.records.append(r)
        return r

    def _purge(self, msg: Message, reason: str) -> dict:
        self.messages.remove(msg)
        return {"output": "purged", "messageId": hx(msg.mid), "reason": reason}

    def _reached(self, deadline: int, late: bool) -> bool:
        return self.clock > deadline if late else self.clock >= deadline

    # -- stage 1 (RET-003) ----------------------------------------------------------------

    def stage_time(self, now: int) -> list[dict]:
        m = self.mut
        self.now = now
        self.clock = now if "clock_goes_back" in m else max(self.clock, now)
        outs = []
        due = []
        for msg in self.messages:
            late = (msg.reason == "cap" and "cap_one_second_late" in m) or \
                   (msg.reason == "expiry" and "expiry_one_second_late" in m)
            if self._reached(msg.deadline, late):
                due.append(msg)
        if "purge_in_store_order" not in m:
            due.sort(key=lambda x: (x.deadline, x.seq))
        for msg in due:
            outs.append(self._purge(msg, msg.reason))
        rec_outs = []
        late = "records_kept_one_second_more" in m
        acct_key = (lambda a: self.reg_order.get(a, 0)) if "alt_account_order_registration" in m else (lambda a: a)
        for r in sorted((r for r in self.records if self._reached(r.deadline, late)),
                        key=lambda r: (r.deadline, acct_key(r.account), r.seq)):
            self.records.remove(r)
            rec_outs.append({"output": "record_deleted", "account": hx(r.account), "record": r.kind,
                             "at": r.at, "reason": "expired"})
        hold_outs = []
        if "hold_never_lapses" not in m:
            for acct, end in sorted(self.holds.items(), key=lambda kv: (kv[1], acct_key(kv[0]))):
                if self.clock >= end:
                    del self.holds[acct]
                    if "facts_kept_after_lapse" not in m:
                        self.preserved.pop(acct, None)
                    for r in self.records:
                        if r.account == acct:
                            r.held = False
                    hold_outs.append({"output": "hold_lapsed", "account": hx(acct)})
        if "hold_lapse_before_records" in m:
            return outs + hold_outs + rec_outs
        if "stage1_records_first" in m:
            return rec_outs + outs + hold_outs
        return outs + rec_outs + hold_outs

    # -- stage 2 ---------------------------------------------------------------------------

    def check_fields(self, ev: dict) -> None:
        """RET-004 (1): each field on its own."""
        kind = ev["event"]
        m = self.mut
        id_lo = ID_LEN[0] - ("id_empty_accepted" in m)
        id_hi = ID_LEN[1] + ("id_65_accepted" in m)
        for f in ("device", "conversation"):
            if f in ev and not id_lo <= len(bytes.fromhex(ev[f])) <= id_hi:
                raise RetentionError(E_INVALID_EVENT)
        if kind == "store":
            ttl_lo = TTL_RANGE[0] - ("ttl_zero_accepted" in m)
            ttl_hi = TTL_RANGE[1] + ("ttl_above_max_accepted" in m)
            if not ttl_lo <= ev["ttl"] <= ttl_hi:
                raise RetentionError(E_INVALID_EVENT)
            ct_lo = CIPHERTEXT_LEN[0] - ("ciphertext_empty_accepted" in m)
            ct_hi = CIPHERTEXT_LEN[1] + ("ciphertext_over_accepted" in m)
            if not ct_lo <= len(ev["ciphertext"]) // 2 <= ct_hi:
                raise RetentionError(E_INVALID_EVENT)
        if kind == "block" and ev["blocked"] == ev["account"] and "block_self_allowed" not in m:
            raise RetentionError(E_INVALID_EVENT)
        if kind == "unblock" and "unblock_self_invalid" in self.mut and ev["blocked"] == ev["account"]:
            raise RetentionError(E_INVALID_EVENT)

    def check_requester(self, ev: dict) -> None:
        """RET-004 (2)."""
        kind = ev["event"]
        if kind in ("register", "disclose", "tick"):
            return
        if kind == "hold" and "hold_on_tombstoned" in self.mut and bytes.fromhex(ev["account"]) in self.tombstones:
            return
        if "account" in ev:
            a = bytes.fromhex(ev["account"])
            if a in self.tombstones:
                raise RetentionError(E_TERMINATED)
            if a not in self.accounts:
                raise RetentionError(E_UNKNOWN_ACCOUNT)
        elif "device" in ev:
            if bytes.fromhex(ev["device"]) not in self.devices:
                raise RetentionError(E_UNKNOWN_ACCOUNT if "unknown_device_is_account" in self.mut else E_UNKNOWN_DEVICE)

    def step(self, ev: dict) -> tuple[dict | None, str | None, list[dict]]:
        """One step: (reply, error, outputs)."""
        m = self.mut
        now = ev["at"]
        self.now = now
        before = copy.deepcopy(self.__dict__) if "refusal_undoes_time" in m or "event_before_time" in m else None
        if "event_before_time" in m:
            try:
                reply, outs2 = self.event(ev)
                err = None
            except RetentionError as e:
                self._restore(before)
                reply, outs2, err = None, [], e.code
            outs1 = self.stage_time(now)
            return reply, err, outs2 + outs1
        outs1 = self.stage_time(now)
        after_time = copy.deepcopy(self.__dict__) if "last_use_on_refused" in m else None
        try:
            reply, outs2 = self.event(ev)
        except RetentionError as e:
            if "refusal_undoes_time" in m:
                self._restore(before)
                return None, e.code, []
            if "last_use_on_refused" in m:
                self._restore(after_time)
                acct = self._actor(ev)
                if acct is not None and acct in self.accounts:
                    self.touch(acct)
            return None, e.code, outs1
        return reply, None, outs1 + outs2

    def _restore(self, d: dict) -> None:
        mut = self.mut
        self.__dict__.clear()
        self.__dict__.update(d)
        self.mut = mut

    def _actor(self, ev: dict) -> bytes | None:
        if ev["event"] in ("hold", "disclose", "tick"):
            return None
        if "account" in ev:
            return bytes.fromhex(ev["account"])
        if "device" in ev:
            d = self.devices.get(bytes.fromhex(ev["device"]))
            return d.account if d else None
        return None

    def event(self, ev: dict) -> tuple[dict, list[dict]]:
        """RET-004 then the transition; raises RetentionError before any change."""
        kind = ev["event"]
        handler = getattr(self, "ev_" + kind, None)
        if handler is None:
            raise ValueError(f"unknown event {kind!r}")
        if "fields_after_requester" in self.mut:
            self.check_requester(ev)
            self.check_fields(ev)
        else:
            self.check_fields(ev)
            self.check_requester(ev)
        return handler(ev)

    # -- accounts --------------------------------------------------------------------------

    def ev_tick(self, ev):
        return {"reply": "ticked"}, []

    def ev_register(self, ev):
        a = bytes.fromhex(ev["account"])
        if a in self.accounts:
            raise RetentionError(E_ACCOUNT_EXISTS)
        if a in self.tombstones:
            if "tombstone_says_exists" in self.mut:
                raise RetentionError(E_ACCOUNT_EXISTS)
            if "tombstone_reregistration" not in self.mut:
                raise RetentionError(E_TOMBSTONED)  # RET-055
            self.tombstones.discard(a)
            self.preserved.pop(a, None)
        self.accounts[a] = Account(a, self.day())
        self.reg_order.setdefault(a, len(self.reg_order))  # only for alt_account_order_registration
        return {"reply": "registered"}, []

    def ev_add_device(self, ev):
        a = bytes.fromhex(ev["account"])
        d = bytes.fromhex(ev["device"])
        if d in self.devices:
            raise RetentionError(E_DEVICE_EXISTS)
        if ev["platform"] not in PLATFORMS:
            raise ValueError(f"unknown platform {ev['platform']!r}")
        self.devices[d] = Device(d, a, ev["platform"])
        self.devices[d].since = self.seq  # store order at the add: only for alt_recall_needs_same_device
        self.devices[d].added = self.rseq  # only for alt_disclose_devices_added_order
        acct = self.accounts[a]
        acct.platforms.add(ev["platform"])
        if ev["platform"] not in acct.platforms_added:
            acct.platforms_added.append(ev["platform"])
        self.new_record(a, "device_added", self.clock)
        self.touch(a)
        if "reused_device_id_inherits" in self.mut:
            for msg, gd in self.ghosts:
                if gd == d and msg in self.messages:
                    msg.recipients[d] = False
        if "new_device_backfilled" in self.mut:
            for msg in self.messages:
                if a in self.conversations.get(msg.conv, ()) and msg.sender_device != d:
                    msg.recipients[d] = False
        return {"reply": "device_added"}, []

    def _remove_device(self, d: bytes) -> list[dict]:
        """RET-033 (R6, R7)."""
        m = self.mut
        gone = self.devices.pop(d)
        if "removal_drops_platform" in m and gone.account in self.accounts:
            if not any(x.account == gone.account and x.platform == gone.platform for x in self.devices.values()):
                self.accounts[gone.account].platforms.discard(gone.platform)
        outs = []
        purges = []
        if "removed_device_kept" in m:
            return outs
        for msg in list(self.messages):
            if d not in msg.recipients:
                continue
            if msg.recipients[d] and "alt_removal_keeps_acks" in m:
                continue
            acked = msg.recipients.pop(d)
            if acked:
                continue
            outs.append({"output": "dropped", "messageId": hx(msg.mid), "device": hx(d)})
            if "reused_device_id_inherits" in m:
                self.ghosts.append((msg, d))
            if not msg.pending():
                if "drops_then_purges" in m:
                    purges.append(msg)
                else:
                    outs.append(self._purge(msg, "dropped"))
        for msg in purges:
            outs.append(self._purge(msg, "dropped"))
        return outs

    def ev_remove_device(self, ev):
        a = bytes.fromhex(ev["account"])
        d = bytes.fromhex(ev["device"])
        dev = self.devices.get(d)
        if dev is None or (dev.account != a and "remove_other_accounts_device" not in self.mut):
            raise RetentionError(E_UNKNOWN_DEVICE)
        outs = self._remove_device(d)
        if "no_record_for_removal" not in self.mut:
            self.new_record(a, "device_removed", self.clock)
        self.touch(a)
        return {"reply": "device_removed"}, outs

    def ev_join(self, ev):
        a = bytes.fromhex(ev["account"])
        c = bytes.fromhex(ev["conversation"])
        if a in self.conversations.get(c, ()):
            if "join_twice_accepted" in self.mut:
                self.touch(a)
                return {"reply": "joined"}, []
            raise RetentionError(E_NO_CHANGE)
        self.conversations.setdefault(c, set()).add(a)
        self.joined[(a, c)] = len(self.joined)  # only for alt_disclose_rooms_join_order
        self.touch(a)
        if "late_member_sees_old" in self.mut:
            for msg in self.messages:
                if msg.conv == c:
                    for d in sorted(x.ident for x in self.devices.values() if x.account == a):
                        if d != msg.sender_device:
                            msg.recipients.setdefault(d, False)
        return {"reply": "joined"}, []

    def ev_leave(self, ev):
        a = bytes.fromhex(ev["account"])
        c = bytes.fromhex(ev["conversation"])
        if a not in self.conversations.get(c, ()):
            if "leave_nonmember_accepted" in self.mut:
                self.touch(a)
                return {"reply": "left"}, []
            raise RetentionError(E_NOT_A_MEMBER)
        self._leave(a, c)
        self.left.setdefault(c, set()).add(a)
        self.touch(a)
        outs = []
        if "leave_drops_pending" in self.mut:
            mine = {d for d, x in self.devices.items() if x.account == a}
            for msg in list(self.messages):
                if msg.conv != c:
                    continue
                for d in sorted(mine):
                    if msg.recipients.get(d) is False:
                        del msg.recipients[d]
                        outs.append({"output": "dropped", "messageId": hx(msg.mid), "device": hx(d)})
                if not msg.pending():
                    outs.append(self._purge(msg, "dropped"))
        return {"reply": "left"}, outs

    def _leave(self, a: bytes, c: bytes) -> None:
        members = self.conversations[c]
        members.discard(a)
        if not members:
            del self.conversations[c]  # RET-034

    def ev_block(self, ev):
        a = bytes.fromhex(ev["account"])
        b = bytes.fromhex(ev["blocked"])
        acct = self.accounts[a]
        if b in acct.block_list and "reblock_accepted" not in self.mut:
            raise RetentionError(E_NO_CHANGE)
        acct.block_list[b] = None
        r = self.new_record(a, "block_list_changed", self.clock)
        if "record_names_blocked" in self.mut:
            r.names = b  # RET-052 forbids this; nothing the server outputs reads it
        self.touch(a)
        return {"reply": "blocked"}, []

    def ev_unblock(self, ev):
        a = bytes.fromhex(ev["account"])
        b = bytes.fromhex(ev["blocked"])
        acct = self.accounts[a]
        if b not in acct.block_list and "unblock_unlisted_accepted" not in self.mut:
            raise RetentionError(E_NO_CHANGE)
        acct.block_list.pop(b, None)
        self.new_record(a, "block_list_changed", self.clock)
        self.touch(a)
        return {"reply": "unblocked"}, []

    def ev_change_setting(self, ev):
        a = bytes.fromhex(ev["account"])
        acct = self.accounts[a]
        ch = ev["change"]
        if ch == "link_external_id":
            limit = MAX_EXTERNAL_IDS - ("eighth_external_id_refused" in self.mut)
            if acct.external_ids >= limit and "ninth_external_id_allowed" not in self.mut:
                raise RetentionError(E_INVALID_EVENT)
            acct.external_ids += 1
            kind = "external_id_linked"
        elif ch == "unlink_external_id":
            if acct.external_ids == 0 and "unlink_none_accepted" not in self.mut:
                raise RetentionError(E_NO_CHANGE)
            acct.external_ids = max(acct.external_ids - 1, 0)
            kind = "external_id_unlinked"
        elif ch == "set_avatar":
            acct.avatar = True
            kind = "avatar_changed"
        elif ch == "remove_avatar":
            if not acct.avatar and "remove_avatar_none_accepted" not in self.mut:
                raise RetentionError(E_NO_CHANGE)
            acct.avatar = False
            kind = "avatar_changed"
        else:
            raise ValueError(f"unknown change {ch!r}")
        if "setting_record_one_kind" in self.mut:
            kind = "avatar_changed"
        self.new_record(a, kind, self.clock)
        self.touch(a)
        return {"reply": "setting_changed"}, []

    # -- messages --------------------------------------------------------------------------

    def ev_store(self, ev):
        m = self.mut
        d = bytes.fromhex(ev["device"])
        c = bytes.fromhex(ev["conversation"])
        mid = bytes.fromhex(ev["messageId"])
        sender = self.devices[d].account
        members = self.conversations.get(c, set())
        if sender not in members:
            raise RetentionError(E_NOT_A_MEMBER)  # RET-034
        blocked = [a for a in members if sender in self.accounts[a].block_list]
        if "blocked_sender_told" in m and blocked:
            raise RetentionError(E_NOT_A_MEMBER)
        reply = {"reply": "accepted", "messageId": hx(mid)}
        # RET-020
        sent_at, ttl = ev["sentAt"], ev["ttl"]
        start = min(sent_at, self.clock)
        if "trust_sent_at" in m:
            start = sent_at
        if "start_at_arrival" in m:
            start = self.clock
        expiry = sat_add(start, ttl, m)
        if "expiry_one_second_early" in m:
            expiry -= 1
        capped = sat_add(start if "cap_from_start" in m else self.clock, self.cap, m)
        if "cap_one_second_early" in m:
            capped -= 1
        if "cap_reason_on_tie" in m:
            reason = "expiry" if expiry < capped else "cap"
        else:
            reason = "expiry" if expiry <= capped else "cap"
        deadline = min(expiry, capped)
        # RET-030
        recipients = []
        if "leaver_still_receives" in m:
            members = members | {a for a in self.left.get(c, ()) if a in self.accounts}
        for a in members:
            if a != sender and sender in self.accounts[a].block_list and "block_ignored" not in m:
                continue
            if a == sender and blocked and "block_hides_own_devices" in m:
                continue
            if a == sender and "own_devices_excluded" in m:
                continue
            for x in self.devices.values():
                if x.account == a and (x.ident != d or "sender_device_recipient" in m):
                    recipients.append(x.ident)
        recipients.sort()
        dup = "dedup_store" in m and any(x.mid == mid for x in self.messages)
        outs = []
        if (expiry < self.clock) if "expired_store_held" in m else (expiry <= self.clock):
            outs.append({"output": "not_stored", "messageId": hx(mid), "reason": "expired"})
            stored = False
        elif not recipients or dup:
            outs.append({"output": "not_stored", "messageId": hx(mid), "reason": "no_recipients"})
            stored = False
        else:
            msg = Message(self.seq, mid, c, sender, d, sent_at, ttl, self.clock, deadline, reason,
                          bytes.fromhex(ev["ciphertext"]), recipients)
            self.seq += 1
            self.messages.append(msg)
            outs.append({"output": "stored", "messageId": hx(mid), "recipients": [hx(r) for r in recipients],
                         "purgeBy": deadline})
            stored = True
        # Counts (RET-011, RET-051, RET-034)
        if stored or "counts_only_stored" not in m:
            acct = self.accounts[sender]
            acct.sent += 1
            n_members = len(self.conversations.get(c, ()))
            direct = (n_members <= 2) if "direct_any_small" in m else (n_members == 2)
            self._count(sender, direct)
        if stored and "block_counts_received" in m:
            for a in blocked:
                if a != sender and any(x.account == a for x in self.devices.values()):
                    self.accounts[a].received += 1
        if stored:
            if "received_per_device" in m:
                for r in recipients:
                    a = self.devices[r].account
                    if a != sender:
                        self.accounts[a].received += 1
            else:
                for a in {self.devices[r].account for r in recipients}:
                    if a != sender or "sender_counts_received" in m:
                        self.accounts[a].received += 1
        self.touch(sender)
        if stored and "hold_keeps_content" in m and sender in self.holds:
            msg.deadline = max(msg.deadline, self.holds[sender])
        return reply, outs

    def _count(self, account: bytes, direct: bool) -> None:
        """RET-051, R13: the open message_counts record of the account's day."""
        at = self.clock if "counts_from_clock" in self.mut else self.day() * DAY
        rec = None
        for r in self.records:
            if r.account == account and r.kind == "message_counts" and r.at == at and \
                    (not r.held or "alt_counts_into_held" in self.mut):
                rec = r
        if rec is None:
            rec = self.new_record(account, "message_counts", at)
        if direct:
            rec.direct += 1
        else:
            rec.room += 1

    def ev_fetch(self, ev):
        d = bytes.fromhex(ev["device"])
        out = []
        for msg in self.messages:  # store order
            if msg.recipients.get(d) is False or (d in msg.recipients and "fetch_includes_acked" in self.mut):
                out.append({"messageId": hx(msg.mid), "ciphertext": hx(msg.ciphertext)})
        if "fetch_newest_first" in self.mut:
            out.reverse()
        outs = []
        if "fetch_acknowledges" in self.mut:
            for msg in list(self.messages):
                if msg.recipients.get(d) is False:
                    msg.recipients[d] = True
                    if not msg.pending():
                        outs.append(self._purge(msg, "delivered"))
        if "fetch_no_last_use" not in self.mut:
            self.touch(self.devices[d].account)
        return {"reply": "messages", "messages": out}, outs

    def ev_ack(self, ev):
        m = self.mut
        d = bytes.fromhex(ev["device"])
        mid = bytes.fromhex(ev["messageId"])
        copies = [x for x in self.messages if x.mid == mid and x.recipients.get(d) is False]
        if not copies:
            if "reack_accepted" in m and any(x.mid == mid and x.recipients.get(d) for x in self.messages):
                self.touch(self.devices[d].account)
                return {"reply": "acked"}, []
            if "ack_any_recipient" in m and any(x.mid == mid for x in self.messages):
                self.touch(self.devices[d].account)
                return {"reply": "acked"}, []
            raise RetentionError(E_UNKNOWN_MESSAGE)  # RET-023
        if "ack_first_copy_only" in m:
            copies = copies[:1]
        outs = []
        for msg in copies:
            msg.recipients[d] = True
            if not msg.pending() or "purge_on_first_ack" in m:
                outs.append(self._purge(msg, "delivered"))
        self.touch(self.devices[d].account)
        return {"reply": "acked"}, outs

    def ev_recall(self, ev):
        m = self.mut
        d = bytes.fromhex(ev["device"])
        mid = bytes.fromhex(ev["messageId"])
        acct = self.devices[d].account
        outs = []
        if "recall_unknown_refused" in m and not any(x.mid == mid for x in self.messages):
            raise RetentionError(E_UNKNOWN_MESSAGE)
        for msg in list(self.messages):
            if msg.mid != mid:
                continue
            if "recall_first_copy_only" in m and outs:
                break
            mine = msg.sender_device == d and msg.sender == acct  # R10
            if "alt_recall_needs_same_device" in m and msg.seq < self.devices[d].since:
                mine = False
            if "stranger_recall" in m or ("account_recall" in m and msg.sender == acct):
                mine = True
            if mine:
                outs.append(self._purge(msg, "recalled"))
        self.touch(acct)
        return {"reply": "recalled", "messageId": hx(mid)}, outs

    # -- termination, holds, disclosure ------------------------------------------------------

    def ev_terminate(self, ev):
        m = self.mut
        a = bytes.fromhex(ev["account"])
        acct = self.accounts[a]
        outs = []
        if "terminate_touches" in m:
            self.touch(a)
        late = "terminate_messages_after_devices" in m
        if "terminate_keeps_messages" not in m and not late:
            for msg in list(self.messages):
                if msg.sender == a:
                    outs.append(self._purge(msg, "sender_terminated"))
        for d in sorted(x.ident for x in self.devices.values() if x.account == a):
            outs += self._remove_device(d)
            if "alt_terminate_device_records" in m:
                self.new_record(a, "device_removed", self.clock)
        if "terminate_keeps_messages" not in m and late:
            for msg in list(self.messages):
                if msg.sender == a:
                    outs.append(self._purge(msg, "sender_terminated"))
        for c in sorted(c for c, mem in self.conversations.items() if a in mem):
            self._leave(a, c)
        acct.block_list.clear()
        hold = a in self.holds
        for r in list(self.records):
            if r.account == a and (not (hold and r.held) or "terminate_ignores_hold" in m):
                self.records.remove(r)
                outs.append({"output": "record_deleted", "account": hx(a), "record": r.kind, "at": r.at,
                             "reason": "terminated"})
        if hold and "terminate_ignores_hold" not in m:
            self.preserved[a] = acct.facts(m)
        del self.accounts[a]
        self.tombstones.add(a)
        outs.append({"output": "tombstoned", "account": hx(a)})
        return {"reply": "terminated"}, outs

    def ev_hold(self, ev):
        m = self.mut
        a = bytes.fromhex(ev["account"])
        if "second_hold_keeps_end" in m and a in self.holds:
            end = self.holds[a]
        else:
            end = sat_add(self.clock, HOLD_LIFE, m | ({"no_saturation"} if "alt_records_wrap" in m else set()))
        self.holds[a] = end
        for r in self.records:
            if r.account == a:
                r.held = True
                r.deadline = end if "hold_shortens_records" in m else max(r.deadline, end)
        if "hold_keeps_content" in m:
            for msg in self.messages:
                if msg.sender == a:
                    msg.deadline = max(msg.deadline, end)
        if "last_use_on_operator" in m:
            self.touch(a)
        return {"reply": "held", "until": end}, []

    def ev_disclose(self, ev):
        m = self.mut
        a = bytes.fromhex(ev["account"])
        live = a in self.accounts
        if not live and a not in self.tombstones and "disclose_unknown_empty" not in m:
            raise RetentionError(E_UNKNOWN_ACCOUNT)
        if live and "last_use_on_operator" in m:
            self.touch(a)
        mine_recs = [r for r in self.records if r.account == a]
        if "records_oldest_first" in m:
            mine_recs.sort(key=lambda r: r.at)
        unheld_as_held = "disclosure_unheld_as_held" in m and a in self.holds
        recs = [{"record": r.kind, "at": r.at, "until": r.deadline, "held": r.held or unheld_as_held,
                 "direct": r.direct, "room": r.room} for r in mine_recs]
        hold_until = None if (not live and "tombstone_hides_hold" in m) else self.holds.get(a)
        out = {"reply": "disclosure", "account": hx(a), "terminated": not live,
               "facts": None, "devices": [], "rooms": [], "blockList": [], "records": recs,
               "holdUntil": hold_until, "messages": []}
        if not live:
            out["facts"] = self.preserved.get(a)
            return out, []
        acct = self.accounts[a]
        out["facts"] = acct.facts(m)
        mine = sorted(x.ident for x in self.devices.values() if x.account == a)
        out["devices"] = [{"device": hx(d), "platform": self.devices[d].platform} for d in mine]
        if "alt_disclose_devices_added_order" in m:
            mine = sorted(mine, key=lambda d: self.devices[d].added)
            out["devices"] = [{"device": hx(d), "platform": self.devices[d].platform} for d in mine]
        out["rooms"] = sorted(hx(c) for c, mem in self.conversations.items() if a in mem)
        if "alt_disclose_rooms_join_order" in m:
            out["rooms"] = [hx(c) for c in sorted((c for c, mem in self.conversations.items() if a in mem),
                                                  key=lambda c: self.joined[(a, c)])]
        out["blockList"] = sorted(hx(b) for b in acct.block_list)
        if "alt_disclose_blocks_insertion_order" in m:
            out["blockList"] = [hx(b) for b in acct.block_list]
        for msg in self.messages:
            concerned = msg.sender == a or (any(r in msg.recipients for r in mine)
                                             and "disclose_skips_recipient" not in m)
            if "alt_disclose_pending_only" in m and msg.sender != a:
                concerned = any(msg.recipients.get(r) is False for r in mine)
            if concerned:
                out["messages"].append({
                    "messageId": hx(msg.mid), "conversation": hx(msg.conv), "sender": hx(msg.sender),
                    "senderDevice": hx(msg.sender_device), "sentAt": msg.sent_at, "ttl": msg.ttl,
                    "storedAt": msg.sent_at if "stored_at_is_sent_at" in m else msg.stored_at,
                    "purgeBy": msg.deadline,
                    "ciphertextLength": len(msg.ciphertext) * (2 if "ciphertext_length_hex" in m else 1),
                    "recipients": [{"device": hx(r), "acked": msg.recipients[r]} for r in sorted(msg.recipients)]})
        return out, []

    # -- section 10, on the state alone -----------------------------------------------------

    def audit(self) -> list[str]:
        p = []
        for msg in self.messages:
            if not self.clock < msg.deadline:
                p.append(f"held message {hx(msg.mid)} at clock {self.clock} >= deadline {msg.deadline}")
            if msg.deadline > sat_add(msg.stored_at, self.cap):
                p.append(f"held message {hx(msg.mid)} past its cap")
            if msg.deadline > sat_add(min(msg.sent_at, msg.stored_at), msg.ttl):
                p.append(f"held message {hx(msg.mid)} past its expiry")
            if not msg.pending():
                p.append(f"held message {hx(msg.mid)} has no pending recipient")
            for r in msg.recipients:
                if r not in self.devices:
                    p.append(f"held message {hx(msg.mid)} names a removed device {hx(r)}")
            if msg.sender not in self.accounts:
                p.append(f"held message {hx(msg.mid)} from a terminated sender")
        for r in self.records:
            if not self.clock < r.deadline:
                p.append(f"record {r.kind} of {hx(r.account)[:8]} at clock >= deadline")
            if not r.held and r.deadline != sat_add(r.at, RECORD_LIFE):
                p.append(f"unheld record {r.kind} with deadline {r.deadline} != at + 518,400")
            if r.held and r.deadline > sat_add(self.clock, HOLD_LIFE):
                p.append(f"held record {r.kind} more than 90 days ahead")
            if r.account not in self.accounts and not (r.held and r.account in self.holds):
                p.append(f"record {r.kind} of a terminated account with no hold")
        if self.tombstones & set(self.accounts):
            p.append("an identifier is both live and tombstoned")
        return p + self.census()

    def census(self) -> list[str]:
        """RET-061: for every item of the state, the disclosure of each account it names contains it."""
        p = []
        disc = {a: self.ev_disclose({"account": hx(a)})[0] for a in set(self.accounts) | self.tombstones}
        for a, dv in self.devices.items():
            if {"device": hx(a), "platform": dv.platform} not in disc[dv.account]["devices"]:
                p.append(f"device {hx(a)} not in its owner's disclosure")
        for c, mem in self.conversations.items():
            for a in mem:
                if hx(c) not in disc[a]["rooms"]:
                    p.append(f"membership of {hx(c)} not disclosed")
        for a, acct in self.accounts.items():
            if sorted(hx(b) for b in acct.block_list) != disc[a]["blockList"]:
                p.append("block list not disclosed")
        for r in self.records:
            if not any(x["record"] == r.kind and x["at"] == r.at and x["until"] == r.deadline
                       for x in disc[r.account]["records"]):
                p.append(f"record {r.kind} not disclosed")
        for msg in self.messages:
            owners = {msg.sender} | {self.devices[d].account for d in msg.recipients if d in self.devices}
            for a in owners:
                if not any(x["messageId"] == hx(msg.mid) and x["storedAt"] == msg.stored_at
                           for x in disc[a]["messages"]):
                    p.append(f"held message {hx(msg.mid)} not in the disclosure of {hx(a)[:8]}")
        for a, end in self.holds.items():
            if disc[a]["holdUntil"] != end:
                p.append("hold not disclosed")
        for a in self.preserved:
            if disc[a]["facts"] is None:
                p.append("preserved facts not disclosed")
        return p


# ---------------------------------------------------------------------------------------------
# Running a scenario.
# ---------------------------------------------------------------------------------------------


def run_scenario(profile: str, cap, events: list[dict], mut: frozenset = frozenset(),
                 invariants: list | None = None) -> list[dict]:
    """Replay a scenario; raises RetentionError when the server cannot be created."""
    srv = Server(profile, cap, mut)
    steps = []
    tombs: set[bytes] = set()
    for i, ev in enumerate(events):
        reply, err, outs = srv.step(ev)
        steps.append({"reply": reply, "error": err, "outputs": outs, "held": srv.held_ids()})
        if invariants is not None:
            invariants += [f"step {i}: {p}" for p in srv.audit()]
            if not tombs <= srv.tombstones:
                invariants.append(f"step {i}: a tombstone disappeared")
            tombs = set(srv.tombstones)
            for o in outs:
                if o["output"] == "purged" and o["reason"] in ("expiry", "cap"):
                    pass  # reached deadline: audit shows nothing held past it
    return steps


def blocking_invisible(profile, cap, events) -> list[str]:
    """Section 10 'Blocking is invisible': the run without any `block` of the sender's account
    gives the sender's account and devices the same replies. Checked for each account that some
    block names: drop every block/unblock naming it and compare that account's replies."""
    problems = []
    names = {e["blocked"] for e in events if e["event"] == "block"}
    for target in sorted(names):
        kept = [e for e in events if not (e["event"] in ("block", "unblock") and e["blocked"] == target)]
        idx = [i for i, e in enumerate(events) if not (e["event"] in ("block", "unblock") and e["blocked"] == target)]
        try:
            a = run_scenario(profile, cap, events)
            b = run_scenario(profile, cap, kept)
        except RetentionError:
            return problems
        # The target's devices over time: a device is the target's from its add_device on.
        owner: dict[str, str] = {}
        for j, i in enumerate(idx):
            e = events[i]
            if e["event"] == "add_device" and a[i]["error"] is None:
                owner[e["device"]] = e["account"]
            actor = e.get("account") if e["event"] not in ("block", "unblock", "hold", "disclose") else None
            if e["event"] in ("store", "fetch", "ack", "recall"):
                actor = owner.get(e["device"])
            if e["event"] in ("block", "unblock") and e["account"] == target:
                actor = target
            if actor != target:
                continue
            if (a[i]["reply"], a[i]["error"]) != (b[j]["reply"], b[j]["error"]):
                problems.append(f"event {i} ({e['event']}) of the blocked account replies "
                                f"{a[i]['reply'] or a[i]['error']} with the block, "
                                f"{b[j]['reply'] or b[j]['error']} without")
    return problems


# ---------------------------------------------------------------------------------------------
# Self-tests: scenarios worked out by hand from the chapter. Expected values are literals.
# ---------------------------------------------------------------------------------------------

T = 1_767_225_600  # 2026-01-01T00:00:00Z, the start of day 20,454
ALICE = "aa" * 32
BOB = "bb" * 32
CAROL = "cc" * 32
A1 = b"alice-phone".hex()  # 616c6963652d70686f6e65
A2 = b"alice-laptop".hex()  # 616c6963652d6c6170746f70
B1 = b"bob-phone".hex()  # 626f622d70686f6e65
B2 = b"bob-laptop".hex()  # 626f622d6c6170746f70
C1 = b"carol-phone".hex()
DM = b"dm".hex()
ROOM = b"room".hex()
M1 = "01" * 16
M2 = "02" * 16
M3 = "03" * 16
CT = b"sealed envelope".hex()
WEEK_TTL = 604_800
YEAR_TTL = 31_536_000


def ev(at, kind, **kw):
    return {"at": at, "event": kind, **kw}


def reg(at, a):
    return ev(at, "register", account=a)


def dev(at, a, d, platform="ios"):
    return ev(at, "add_device", account=a, device=d, platform=platform)


def join(at, a, c):
    return ev(at, "join", account=a, conversation=c)


def store(at, d, mid, c=DM, sent=None, ttl=3600, ct=CT):
    return ev(at, "store", device=d, messageId=mid, conversation=c, sentAt=at if sent is None else sent,
              ttl=ttl, ciphertext=ct)


def fetch(at, d):
    return ev(at, "fetch", device=d)


def ack(at, d, mid):
    return ev(at, "ack", device=d, messageId=mid)


def S(reply=None, error=None, outputs=(), held=()):
    if isinstance(reply, str):
        reply = {"reply": reply}
    return {"reply": reply, "error": error, "outputs": list(outputs), "held": list(held)}


def accepted(mid):
    return {"reply": "accepted", "messageId": mid}


def msgs(*mids):
    return {"reply": "messages", "messages": [{"messageId": x, "ciphertext": CT} for x in mids]}


def o_stored(mid, recips, purge_by):
    return {"output": "stored", "messageId": mid, "recipients": list(recips), "purgeBy": purge_by}


def o_purged(mid, reason):
    return {"output": "purged", "messageId": mid, "reason": reason}


def o_not_stored(mid, reason):
    return {"output": "not_stored", "messageId": mid, "reason": reason}


def o_dropped(mid, d):
    return {"output": "dropped", "messageId": mid, "device": d}


def o_rec_del(a, kind, at, reason="expired"):
    return {"output": "record_deleted", "account": a, "record": kind, "at": at, "reason": reason}


# A DM between alice (A1) and bob (B1, B2), all set up at T - 10.
SETUP = [reg(T - 10, ALICE), reg(T - 10, BOB), dev(T - 10, ALICE, A1), dev(T - 10, BOB, B1, "android"),
         dev(T - 10, BOB, B2, "desktop"), join(T - 10, ALICE, DM), join(T - 10, BOB, DM)]
SETUP_STEPS = [S("registered"), S("registered"), S("device_added"), S("device_added"), S("device_added"),
               S("joined"), S("joined")]
BOBS = [B2, B1]  # byte order: "bob-l" < "bob-p"
# The device_added records of SETUP, deleted at T - 10 + 518,400 in (account, record order).
SETUP_RECORDS_GONE = [o_rec_del(ALICE, "device_added", T - 10), o_rec_del(BOB, "device_added", T - 10),
                      o_rec_del(BOB, "device_added", T - 10)]
CAP_C = 518_400
CAP_E = 2_592_000


def cap_case(profile, cap, offset):
    """A one-year ttl stored at T under `cap`; a tick at T + cap + offset."""
    events = SETUP + [store(T, A1, M1, ttl=YEAR_TTL), ev(T + cap + offset, "tick")]
    held = [M1] if offset < 0 else []
    tick_outs = [] if offset < 0 else [o_purged(M1, "cap")]
    if T + cap + offset >= T - 10 + 518_400:
        tick_outs += SETUP_RECORDS_GONE
    if T + cap + offset >= T + 518_400:  # alice's message_counts record of day 20,454 (at = T)
        tick_outs += [o_rec_del(ALICE, "message_counts", T)]
    return (f"{profile} cap {cap} at T+cap{offset:+d}", profile, None if cap == PROFILE_CAP[profile] else cap, events,
            SETUP_STEPS + [S(accepted(M1), outputs=[o_stored(M1, BOBS, T + cap)], held=[M1]),
                           S("ticked", outputs=tick_outs, held=held)])


def expiry_case(offset, kind):
    """ttl 60 stored at T, sent at T - 10 (10 s in transit): deadline T + 50 (reason expiry)."""
    events = SETUP + [store(T, A1, M1, sent=T - 10, ttl=60)]
    at = T + 50 + offset
    gone = offset >= 0
    out = [o_purged(M1, "expiry")] if gone else []
    if kind == "fetch":
        events.append(fetch(at, B1))
        last = S(msgs() if gone else msgs(M1), outputs=out, held=[] if gone else [M1])
    else:
        events.append(ack(at, B1, M1))
        last = S(None if gone else "acked", E_UNKNOWN_MESSAGE if gone else None, outputs=out,
                 held=[] if gone else [M1])
    return (f"expiry {kind} at deadline{offset:+d}", "consumer", None, events,
            SETUP_STEPS + [S(accepted(M1), outputs=[o_stored(M1, BOBS, T + 50)], held=[M1]), last])


def disclosure_alice(at_day, last_use_day, sent, records, holdUntil=None, messages=(), devices=None,
                     rooms=(DM,), terminated=False, facts=True, received=0):
    f = {"createdDay": at_day, "lastUseDay": last_use_day, "platforms": ["ios"], "sent": sent, "received": received,
         "externalIds": 0, "avatar": False} if facts else None
    return {"reply": "disclosure", "account": ALICE, "terminated": terminated, "facts": f,
            "devices": [{"device": A1, "platform": "ios"}] if devices is None else devices,
            "rooms": list(rooms), "blockList": [], "records": list(records), "holdUntil": holdUntil,
            "messages": list(messages)}


def rec(kind, at, until, held=False, direct=0, room=0):
    return {"record": kind, "at": at, "until": until, "held": held, "direct": direct, "room": room}


D0 = (T - 10) // DAY  # 20,453
D1 = T // DAY  # 20,454
HOLD_END = T + 100 + 7_776_000

SELF_TESTS = [
    # --- RET-001 ---------------------------------------------------------------------------------
    ("cap 0 refused", "consumer", 0, None, E_INVALID_CAP),
    ("consumer cap 518,401 refused", "consumer", 518_401, None, E_INVALID_CAP),
    ("enterprise cap 2,592,001 refused", "enterprise", 2_592_001, None, E_INVALID_CAP),
    ("consumer with the enterprise cap refused", "consumer", 2_592_000, None, E_INVALID_CAP),
    # --- caps: one second before, at, after (RET-020, RET-021) ---------------------------------
    cap_case("consumer", CAP_C, -1), cap_case("consumer", CAP_C, 0), cap_case("consumer", CAP_C, 1),
    cap_case("enterprise", CAP_E, -1), cap_case("enterprise", CAP_E, 0), cap_case("enterprise", CAP_E, 1),
    cap_case("consumer", 3600, -1), cap_case("consumer", 3600, 0), cap_case("consumer", 3600, 1),
    # --- expiry: one second before, at, after; fetch and ack ---------------------------------
    expiry_case(-1, "fetch"), expiry_case(0, "fetch"), expiry_case(1, "fetch"),
    expiry_case(-1, "ack"), expiry_case(0, "ack"), expiry_case(1, "ack"),
    ("arrives at its expiry: accepted, not stored, still counted", "consumer", None,
     SETUP + [store(T, A1, M1, sent=T - 60, ttl=60), store(T, A1, M2, sent=T - 59, ttl=60),
              ev(T + 1, "disclose", account=ALICE)],
     SETUP_STEPS + [S(accepted(M1), outputs=[o_not_stored(M1, "expired")]),
                    S(accepted(M2), outputs=[o_stored(M2, BOBS, T + 1)], held=[M2]),
                    S(disclosure_alice(D0, D1, 2, [rec("device_added", T - 10, T - 10 + 518_400),
                                                   rec("message_counts", T, T + 518_400, direct=2)]),
                      outputs=[o_purged(M2, "expiry")])]),
    ("sent_at in the future is treated as now; clock backwards keeps the clock", "consumer", None,
     SETUP + [store(T, A1, M1, sent=T + 1000, ttl=60), ev(T - 500, "tick"), fetch(T + 59, B1),
              fetch(T + 60, B1)],
     SETUP_STEPS + [S(accepted(M1), outputs=[o_stored(M1, BOBS, T + 60)], held=[M1]),
                    S("ticked", held=[M1]), S(msgs(M1), held=[M1]),
                    S(msgs(), outputs=[o_purged(M1, "expiry")])]),
    ("saturation: deadlines at 2^64 - 1", "consumer", None,
     [reg(U64_MAX - 5, ALICE), reg(U64_MAX - 5, BOB), dev(U64_MAX - 5, ALICE, A1), dev(U64_MAX - 5, BOB, B1),
      join(U64_MAX - 5, ALICE, DM), join(U64_MAX - 5, BOB, DM), store(U64_MAX - 5, A1, M1, ttl=60),
      ev(U64_MAX - 1, "tick"), ev(U64_MAX, "tick")],
     [S("registered"), S("registered"), S("device_added"), S("device_added"), S("joined"), S("joined"),
      S(accepted(M1), outputs=[o_stored(M1, [B1], U64_MAX)], held=[M1]), S("ticked", held=[M1]),
      S("ticked", outputs=[o_purged(M1, "expiry"),  # expiry == capped == 2^64 - 1: a tie is "expiry"
                           o_rec_del(ALICE, "device_added", U64_MAX - 5),
                           o_rec_del(ALICE, "message_counts", (U64_MAX - 5) // DAY * DAY),
                           o_rec_del(BOB, "device_added", U64_MAX - 5)])]),
    # --- ack order and copies (RET-012, RET-022, RET-023) ------------------------------------
    ("ack order: purged at the last ack; unknown_message for re-ack, sender, stranger", "consumer", None,
     SETUP + [store(T, A1, M1), fetch(T + 1, B2), fetch(T + 2, B2), ack(T + 3, B2, M1), ack(T + 4, B2, M1),
              ack(T + 5, A1, M1), fetch(T + 6, B2), fetch(T + 6, B1), ack(T + 7, B1, M1), ack(T + 8, B1, M1),
              ack(T + 9, B1, M2)],
     SETUP_STEPS + [S(accepted(M1), outputs=[o_stored(M1, BOBS, T + 3600)], held=[M1]),
                    S(msgs(M1), held=[M1]), S(msgs(M1), held=[M1]), S("acked", held=[M1]),
                    S(error=E_UNKNOWN_MESSAGE, held=[M1]), S(error=E_UNKNOWN_MESSAGE, held=[M1]),
                    S(msgs(), held=[M1]), S(msgs(M1), held=[M1]),
                    S("acked", outputs=[o_purged(M1, "delivered")]), S(error=E_UNKNOWN_MESSAGE),
                    S(error=E_UNKNOWN_MESSAGE)]),
    ("two copies of one ID: one ack covers both, purged in store order", "consumer", None,
     SETUP + [store(T, A1, M1), store(T + 1, A1, M1, ttl=60), ack(T + 2, B1, M1), fetch(T + 3, B2),
              ack(T + 4, B2, M1)],
     SETUP_STEPS + [S(accepted(M1), outputs=[o_stored(M1, BOBS, T + 3600)], held=[M1]),
                    S(accepted(M1), outputs=[o_stored(M1, BOBS, T + 61)], held=[M1, M1]),
                    S("acked", held=[M1, M1]), S(msgs(M1, M1), held=[M1, M1]),
                    S("acked", outputs=[o_purged(M1, "delivered"), o_purged(M1, "delivered")])]),
    # --- no backfill (RET-031, RET-033) --------------------------------------------------------
    ("no backfill: a device added later, and a device ID removed and added again", "consumer", None,
     SETUP + [store(T, A1, M1), dev(T + 1, BOB, b"bob-tablet".hex(), "web"), fetch(T + 2, b"bob-tablet".hex()),
              ack(T + 3, b"bob-tablet".hex(), M1), ev(T + 4, "remove_device", account=BOB, device=B1),
              dev(T + 5, BOB, B1), fetch(T + 6, B1), ack(T + 7, B1, M1), fetch(T + 8, B2),
              ev(T + 9, "remove_device", account=BOB, device=B2)],
     SETUP_STEPS + [S(accepted(M1), outputs=[o_stored(M1, BOBS, T + 3600)], held=[M1]),
                    S("device_added", held=[M1]), S(msgs(), held=[M1]), S(error=E_UNKNOWN_MESSAGE, held=[M1]),
                    S("device_removed", outputs=[o_dropped(M1, B1)], held=[M1]), S("device_added", held=[M1]),
                    S(msgs(), held=[M1]), S(error=E_UNKNOWN_MESSAGE, held=[M1]), S(msgs(M1), held=[M1]),
                    S("device_removed", outputs=[o_dropped(M1, B2), o_purged(M1, "dropped")])]),
    ("removal of an acked device forgets its ack; the other pending one still gets it", "consumer", None,
     SETUP + [store(T, A1, M1), ack(T + 1, B1, M1), ev(T + 2, "remove_device", account=BOB, device=B1),
              ev(T + 3, "remove_device", account=ALICE, device=B2), fetch(T + 4, B1), ack(T + 5, B2, M1)],
     SETUP_STEPS + [S(accepted(M1), outputs=[o_stored(M1, BOBS, T + 3600)], held=[M1]), S("acked", held=[M1]),
                    S("device_removed", held=[M1]), S(error=E_UNKNOWN_DEVICE, held=[M1]),
                    S(error=E_UNKNOWN_DEVICE, held=[M1]), S("acked", outputs=[o_purged(M1, "delivered")])]),
    # --- rooms (RET-030, RET-032, RET-034) ------------------------------------------------------
    ("room joined after the send: nothing old; leaving keeps what is pending", "consumer", None,
     SETUP + [reg(T, CAROL), dev(T, CAROL, C1), store(T + 1, A1, M1), join(T + 2, CAROL, DM),
              fetch(T + 3, C1), store(T + 4, B1, M2), ev(T + 5, "leave", account=BOB, conversation=DM),
              store(T + 6, A1, M3), fetch(T + 7, B2), fetch(T + 8, C1), join(T + 9, CAROL, DM),
              ev(T + 10, "leave", account=CAROL, conversation=ROOM)],
     SETUP_STEPS + [S("registered"), S("device_added"),
                    S(accepted(M1), outputs=[o_stored(M1, BOBS, T + 3601)], held=[M1]),
                    S("joined", held=[M1]), S(msgs(), held=[M1]),
                    S(accepted(M2), outputs=[o_stored(M2, [A1, B2, C1], T + 3604)], held=[M1, M2]),
                    S("left", held=[M1, M2]),
                    S(accepted(M3), outputs=[o_stored(M3, [C1], T + 3606)], held=[M1, M2, M3]),
                    S(msgs(M1, M2), held=[M1, M2, M3]), S(msgs(M2, M3), held=[M1, M2, M3]),
                    S(error=E_NO_CHANGE, held=[M1, M2, M3]), S(error=E_NOT_A_MEMBER, held=[M1, M2, M3])]),
    # --- blocks (RET-040..RET-042) -------------------------------------------------------------
    ("blocked sender: accepted, own devices still receive, not_stored when nobody else", "consumer", None,
     SETUP + [dev(T, ALICE, A2), ev(T, "block", account=BOB, blocked=ALICE), store(T + 1, A1, M1),
              ack(T + 2, A2, M1), ack(T + 3, A2, M1), ev(T + 4, "remove_device", account=ALICE, device=A2),
              store(T + 5, A1, M2), ev(T + 6, "recall", device=A1, messageId=M2),
              ev(T + 7, "block", account=BOB, blocked=ALICE), ev(T + 8, "block", account=BOB, blocked=BOB),
              ev(T + 9, "unblock", account=BOB, blocked=CAROL)],
     SETUP_STEPS + [S("device_added"), S("blocked"), S(accepted(M1), outputs=[o_stored(M1, [A2], T + 3601)], held=[M1]),
                    S("acked", outputs=[o_purged(M1, "delivered")]), S(error=E_UNKNOWN_MESSAGE),
                    S("device_removed"), S(accepted(M2), outputs=[o_not_stored(M2, "no_recipients")]),
                    S({"reply": "recalled", "messageId": M2}), S(error=E_NO_CHANGE), S(error=E_INVALID_EVENT),
                    S(error=E_NO_CHANGE)]),
    ("the same sender's steps without the block: identical replies", "consumer", None,
     SETUP + [dev(T, ALICE, A2), store(T + 1, A1, M1), ack(T + 2, A2, M1), ack(T + 3, A2, M1),
              ev(T + 4, "remove_device", account=ALICE, device=A2), store(T + 5, A1, M2),
              ev(T + 6, "recall", device=A1, messageId=M2)],
     SETUP_STEPS + [S("device_added"),
                    S(accepted(M1), outputs=[o_stored(M1, [A2, B2, B1], T + 3601)], held=[M1]),
                    S("acked", held=[M1]), S(error=E_UNKNOWN_MESSAGE, held=[M1]),
                    S("device_removed", held=[M1]),
                    S(accepted(M2), outputs=[o_stored(M2, BOBS, T + 3605)], held=[M1, M2]),
                    S({"reply": "recalled", "messageId": M2}, outputs=[o_purged(M2, "recalled")], held=[M1])]),
    # --- recall (RET-024) ----------------------------------------------------------------------
    ("recall by a stranger and by the sender's other device change nothing", "consumer", None,
     SETUP + [dev(T, ALICE, A2), store(T + 1, A1, M1), ev(T + 2, "recall", device=B1, messageId=M1),
              ev(T + 3, "recall", device=A2, messageId=M1), ev(T + 4, "recall", device=A1, messageId=M1),
              ev(T + 5, "recall", device=A1, messageId=M1)],
     SETUP_STEPS + [S("device_added"),
                    S(accepted(M1), outputs=[o_stored(M1, [A2, B2, B1], T + 3601)], held=[M1]),
                    S({"reply": "recalled", "messageId": M1}, held=[M1]),
                    S({"reply": "recalled", "messageId": M1}, held=[M1]),
                    S({"reply": "recalled", "messageId": M1}, outputs=[o_purged(M1, "recalled")]),
                    S({"reply": "recalled", "messageId": M1})]),
    ("stage 1 purges in (deadline, store order); a clock set back keeps the clock", "consumer", None,
     SETUP + [store(T, A1, M1, ttl=100), store(T + 1, A1, M2, ttl=50), store(T + 1, A1, M3, ttl=99),
              ev(T + 200, "tick"), store(T, A1, M1, ttl=60), store(T, A1, M2, sent=T)],
     SETUP_STEPS + [S(accepted(M1), outputs=[o_stored(M1, BOBS, T + 100)], held=[M1]),
                    S(accepted(M2), outputs=[o_stored(M2, BOBS, T + 51)], held=[M1, M2]),
                    S(accepted(M3), outputs=[o_stored(M3, BOBS, T + 100)], held=[M1, M2, M3]),
                    S("ticked", outputs=[o_purged(M2, "expiry"), o_purged(M1, "expiry"), o_purged(M3, "expiry")]),
                    S(accepted(M1), outputs=[o_not_stored(M1, "expired")]),
                    S(accepted(M2), outputs=[o_stored(M2, BOBS, T + 3600)], held=[M2])]),
    ("the cap counts from the store, not the send", "consumer", 3600,
     SETUP + [store(T, A1, M1, sent=T - 100, ttl=86_400)],
     SETUP_STEPS + [S(accepted(M1), outputs=[o_stored(M1, BOBS, T + 3600)], held=[M1])]),
    ("a one-member conversation is a room; the sender's own devices are no `received`", "consumer", None,
     [reg(T, ALICE), dev(T, ALICE, A1), dev(T, ALICE, A2, "web"), join(T, ALICE, ROOM), store(T, A1, M1, c=ROOM),
      ev(T, "disclose", account=ALICE)],
     [S("registered"), S("device_added"), S("device_added"), S("joined"),
      S(accepted(M1), outputs=[o_stored(M1, [A2], T + 3600)], held=[M1]),
      S({"reply": "disclosure", "account": ALICE, "terminated": False,
         "facts": {"createdDay": D1, "lastUseDay": D1, "platforms": ["ios", "web"], "sent": 1, "received": 0,
                   "externalIds": 0, "avatar": False},
         "devices": [{"device": A2, "platform": "web"}, {"device": A1, "platform": "ios"}], "rooms": [ROOM],
         "blockList": [], "records": [rec("device_added", T, T + 518_400), rec("device_added", T, T + 518_400),
                                      rec("message_counts", T, T + 518_400, room=1)],
         "holdUntil": None,
         "messages": [{"messageId": M1, "conversation": ROOM, "sender": ALICE, "senderDevice": A1, "sentAt": T,
                       "ttl": 3600, "storedAt": T, "purgeBy": T + 3600, "ciphertextLength": 15,
                       "recipients": [{"device": A2, "acked": False}]}]}, held=[M1])]),
    ("removal with several deliveries (R6) forgets its acknowledgements (R7)", "consumer", None,
     SETUP + [store(T, A1, M1), ack(T + 1, B2, M1), store(T + 2, A1, M2), store(T + 3, A1, M3), ack(T + 4, B1, M3),
              ev(T + 5, "remove_device", account=BOB, device=B1), ev(T + 6, "disclose", account=ALICE)],
     SETUP_STEPS + [S(accepted(M1), outputs=[o_stored(M1, BOBS, T + 3600)], held=[M1]), S("acked", held=[M1]),
                    S(accepted(M2), outputs=[o_stored(M2, BOBS, T + 3602)], held=[M1, M2]),
                    S(accepted(M3), outputs=[o_stored(M3, BOBS, T + 3603)], held=[M1, M2, M3]),
                    S("acked", held=[M1, M2, M3]),
                    S("device_removed", outputs=[o_dropped(M1, B1), o_purged(M1, "dropped"), o_dropped(M2, B1)],
                      held=[M2, M3]),
                    S(disclosure_alice(D0, D1, 3, [rec("device_added", T - 10, T - 10 + 518_400),
                                                   rec("message_counts", T, T + 518_400, direct=3)],
                                       messages=[{"messageId": mid, "conversation": DM, "sender": ALICE,
                                                  "senderDevice": A1, "sentAt": t, "ttl": 3600, "storedAt": t,
                                                  "purgeBy": t + 3600, "ciphertextLength": 15,
                                                  "recipients": [{"device": B2, "acked": False}]}
                                                 for mid, t in ((M2, T + 2), (M3, T + 3))]),
                      held=[M2, M3])]),
    # --- records (RET-051): one second before, at, after ---------------------------------------
    ("records: six days, before, at and after", "consumer", None,
     [reg(T, ALICE), dev(T, ALICE, A1), ev(T + 5, "change_setting", account=ALICE, change="set_avatar"),
      ev(T + 518_399, "tick"), ev(T + 518_400, "tick"), ev(T + 518_404, "tick"), ev(T + 518_405, "tick")],
     [S("registered"), S("device_added"), S("setting_changed"), S("ticked"),
      S("ticked", outputs=[o_rec_del(ALICE, "device_added", T)]), S("ticked"),
      S("ticked", outputs=[o_rec_del(ALICE, "avatar_changed", T + 5)])]),
    # --- holds (RET-053) ------------------------------------------------------------------------
    ("hold: records kept 90 days, later ones not, lapses before/at/after", "consumer", None,
     [reg(T, ALICE), dev(T, ALICE, A1), ev(T + 100, "hold", account=ALICE),
      ev(T + 200, "change_setting", account=ALICE, change="link_external_id"),
      ev(T + 518_400, "tick"), ev(T + 518_600, "tick"),
      ev(HOLD_END - 1, "disclose", account=ALICE), ev(HOLD_END, "tick"), ev(HOLD_END + 1, "disclose", account=ALICE)],
     [S("registered"), S("device_added"), S({"reply": "held", "until": HOLD_END}), S("setting_changed"),
      S("ticked"), S("ticked", outputs=[o_rec_del(ALICE, "external_id_linked", T + 200)]),
      S({"reply": "disclosure", "account": ALICE, "terminated": False,
         "facts": {"createdDay": D1, "lastUseDay": D1, "platforms": ["ios"], "sent": 0, "received": 0,
                   "externalIds": 1, "avatar": False},
         "devices": [{"device": A1, "platform": "ios"}], "rooms": [], "blockList": [],
         "records": [rec("device_added", T, HOLD_END, held=True)], "holdUntil": HOLD_END, "messages": []}),
      S("ticked", outputs=[o_rec_del(ALICE, "device_added", T), {"output": "hold_lapsed", "account": ALICE}]),
      S({"reply": "disclosure", "account": ALICE, "terminated": False,
         "facts": {"createdDay": D1, "lastUseDay": D1, "platforms": ["ios"], "sent": 0, "received": 0,
                   "externalIds": 1, "avatar": False},
         "devices": [{"device": A1, "platform": "ios"}], "rooms": [], "blockList": [],
         "records": [], "holdUntil": None, "messages": []})]),
    ("hold: a held message_counts record is closed, a new one opens; content is not kept", "consumer", None,
     SETUP + [store(T, A1, M1), ev(T + 100, "hold", account=ALICE), store(T + 200, A1, M2, c=DM),
              ev(T + 300, "disclose", account=ALICE), ev(T + 3600, "tick")],
     SETUP_STEPS + [S(accepted(M1), outputs=[o_stored(M1, BOBS, T + 3600)], held=[M1]),
                    S({"reply": "held", "until": HOLD_END}, held=[M1]),
                    S(accepted(M2), outputs=[o_stored(M2, BOBS, T + 3800)], held=[M1, M2]),
                    S(disclosure_alice(D0, D1, 2, [rec("device_added", T - 10, HOLD_END, held=True),
                                                   rec("message_counts", T, HOLD_END, held=True, direct=1),
                                                   rec("message_counts", T, T + 518_400, direct=1)],
                                       holdUntil=HOLD_END,
                                       messages=[{"messageId": mid, "conversation": DM, "sender": ALICE,
                                                  "senderDevice": A1, "sentAt": t, "ttl": 3600, "storedAt": t,
                                                  "purgeBy": t + 3600, "ciphertextLength": 15,
                                                  "recipients": [{"device": B2, "acked": False},
                                                                 {"device": B1, "acked": False}]}
                                                 for mid, t in ((M1, T), (M2, T + 200))]),
                      held=[M1, M2]),
                    S("ticked", outputs=[o_purged(M1, "expiry")], held=[M2])]),
    ("a second hold sets a new end for every record then held", "consumer", None,
     [reg(T, ALICE), dev(T, ALICE, A1), ev(T + 100, "hold", account=ALICE), ev(T + 200, "hold", account=ALICE),
      ev(HOLD_END, "tick"), ev(HOLD_END + 99, "tick"), ev(HOLD_END + 100, "tick")],
     [S("registered"), S("device_added"), S({"reply": "held", "until": HOLD_END}),
      S({"reply": "held", "until": HOLD_END + 100}), S("ticked"), S("ticked"),
      S("ticked", outputs=[o_rec_del(ALICE, "device_added", T), {"output": "hold_lapsed", "account": ALICE}])]),
    ("a block list is disclosed in byte order; unblocking oneself is no_change", "consumer", None,
     [reg(T, ALICE), ev(T + 1, "block", account=ALICE, blocked=CAROL), ev(T + 2, "block", account=ALICE, blocked=BOB),
      ev(T + 3, "unblock", account=ALICE, blocked=ALICE), ev(T + 4, "disclose", account=ALICE)],
     [S("registered"), S("blocked"), S("blocked"), S(error=E_NO_CHANGE),
      S({"reply": "disclosure", "account": ALICE, "terminated": False,
         "facts": {"createdDay": D1, "lastUseDay": D1, "platforms": [], "sent": 0, "received": 0,
                   "externalIds": 0, "avatar": False},
         "devices": [], "rooms": [], "blockList": [BOB, CAROL],
         "records": [rec("block_list_changed", T + 1, T + 518_401), rec("block_list_changed", T + 2, T + 518_402)],
         "holdUntil": None, "messages": []})]),
    ("eight external IDs at most; a refused event is no use", "consumer", None,
     [reg(T, ALICE)] + [ev(T + i, "change_setting", account=ALICE, change="link_external_id") for i in range(1, 9)]
     + [ev(T + 86_400, "change_setting", account=ALICE, change="link_external_id"),
        ev(T + 86_401, "disclose", account=ALICE)],
     [S("registered")] + [S("setting_changed")] * 8 + [S(error=E_INVALID_EVENT),
      S({"reply": "disclosure", "account": ALICE, "terminated": False,
         "facts": {"createdDay": D1, "lastUseDay": D1, "platforms": [], "sent": 0, "received": 0,
                   "externalIds": 8, "avatar": False},
         "devices": [], "rooms": [], "blockList": [],
         "records": [rec("external_id_linked", T + i, T + i + 518_400) for i in range(1, 9)],
         "holdUntil": None, "messages": []})]),
    # --- termination and tombstones (RET-054, RET-055, RET-060) ---------------------------------
    ("terminate with a hold: messages, devices, unheld records go; facts preserved; re-register refused",
     "consumer", None,
     SETUP + [store(T, B1, M1), store(T + 1, A1, M2), ev(T + 100, "hold", account=ALICE),
              ev(T + 101, "block", account=ALICE, blocked=CAROL), ev(T + 102, "terminate", account=ALICE),
              reg(T + 103, ALICE), ev(T + 104, "disclose", account=ALICE), fetch(T + 105, B2),
              ev(T + 106, "join", account=ALICE, conversation=DM), ev(T + 107, "hold", account=ALICE),
              ev(HOLD_END, "tick"), ev(HOLD_END + 1, "disclose", account=ALICE),
              reg(U64_MAX, ALICE), ev(U64_MAX, "disclose", account=CAROL)],
     SETUP_STEPS + [S(accepted(M1), outputs=[o_stored(M1, [A1, B2], T + 3600)], held=[M1]),
                    S(accepted(M2), outputs=[o_stored(M2, BOBS, T + 3601)], held=[M1, M2]),
                    S({"reply": "held", "until": HOLD_END}, held=[M1, M2]),
                    S("blocked", held=[M1, M2]),
                    S("terminated", outputs=[o_purged(M2, "sender_terminated"), o_dropped(M1, A1),
                                             o_rec_del(ALICE, "block_list_changed", T + 101, "terminated"),
                                             {"output": "tombstoned", "account": ALICE}], held=[M1]),
                    S(error=E_TOMBSTONED, held=[M1]),
                    S(disclosure_alice(D0, D1, 1, [rec("device_added", T - 10, HOLD_END, held=True),
                                                   rec("message_counts", T, HOLD_END, held=True, direct=1)],
                                       holdUntil=HOLD_END, devices=[], rooms=[], terminated=True, received=1),
                      held=[M1]),
                    S(msgs(M1), held=[M1]), S(error=E_TERMINATED, held=[M1]), S(error=E_TERMINATED, held=[M1]),
                    S("ticked", outputs=[o_purged(M1, "expiry")] + SETUP_RECORDS_GONE[1:]
                      + [o_rec_del(BOB, "message_counts", T),
                         o_rec_del(ALICE, "device_added", T - 10), o_rec_del(ALICE, "message_counts", T),
                         {"output": "hold_lapsed", "account": ALICE}]),
                    S({"reply": "disclosure", "account": ALICE, "terminated": True, "facts": None, "devices": [],
                       "rooms": [], "blockList": [], "records": [], "holdUntil": None, "messages": []}),
                    S(error=E_TOMBSTONED), S(error=E_UNKNOWN_ACCOUNT)]),
    ("terminate without a hold: everything goes; an unknown account is refused", "consumer", None,
     [reg(T, ALICE), dev(T, ALICE, A1), ev(T + 1, "terminate", account=ALICE),
      ev(T + 2, "terminate", account=ALICE), ev(T + 3, "hold", account=ALICE), ev(T + 4, "disclose", account=ALICE),
      ev(T + 5, "hold", account=BOB), dev(T + 6, ALICE, A1), dev(T + 7, BOB, b"".hex())],
     [S("registered"), S("device_added"),
      S("terminated", outputs=[o_rec_del(ALICE, "device_added", T, "terminated"),
                               {"output": "tombstoned", "account": ALICE}]),
      S(error=E_TERMINATED), S(error=E_TERMINATED),
      S({"reply": "disclosure", "account": ALICE, "terminated": True, "facts": None, "devices": [],
         "rooms": [], "blockList": [], "records": [], "holdUntil": None, "messages": []}),
      S(error=E_UNKNOWN_ACCOUNT), S(error=E_TERMINATED), S(error=E_INVALID_EVENT)]),
    # --- disclosure of a live account (RET-060) ------------------------------------------------
    ("disclosure: facts, devices, rooms, block list, records, messages sent and received", "consumer", None,
     SETUP + [dev(T, ALICE, A2, "web"), join(T, ALICE, ROOM), join(T, CAROL, ROOM), reg(T, CAROL),
              join(T, CAROL, ROOM), ev(T + 1, "block", account=ALICE, blocked=CAROL),
              ev(T + 2, "change_setting", account=ALICE, change="link_external_id"),
              ev(T + 3, "change_setting", account=ALICE, change="remove_avatar"),
              store(T + 4, B1, M1), store(T + 5, A1, M2, c=ROOM), ack(T + 6, A2, M1),
              ev(T + 100, "disclose", account=ALICE)],
     SETUP_STEPS + [S("device_added"), S("joined"), S(error=E_UNKNOWN_ACCOUNT), S("registered"), S("joined"),
                    S("blocked"), S("setting_changed"), S(error=E_NO_CHANGE),
                    S(accepted(M1), outputs=[o_stored(M1, [A2, A1, B2], T + 3604)], held=[M1]),
                    S(accepted(M2), outputs=[o_stored(M2, [A2], T + 3605)], held=[M1, M2]),
                    S("acked", held=[M1, M2]),
                    S({"reply": "disclosure", "account": ALICE, "terminated": False,
                       "facts": {"createdDay": D0, "lastUseDay": D1, "platforms": ["ios", "web"], "sent": 1,
                                 "received": 1, "externalIds": 1, "avatar": False},
                       "devices": [{"device": A2, "platform": "web"}, {"device": A1, "platform": "ios"}],
                       "rooms": [DM, ROOM], "blockList": [CAROL],
                       "records": [rec("device_added", T - 10, T - 10 + 518_400),
                                   rec("device_added", T, T + 518_400),
                                   rec("block_list_changed", T + 1, T + 518_401),
                                   rec("external_id_linked", T + 2, T + 518_402),
                                   rec("message_counts", T, T + 518_400, direct=1)],  # ROOM has 2 members
                       "holdUntil": None,
                       "messages": [
                           {"messageId": M1, "conversation": DM, "sender": BOB, "senderDevice": B1,
                            "sentAt": T + 4, "ttl": 3600, "storedAt": T + 4, "purgeBy": T + 3604,
                            "ciphertextLength": 15,
                            "recipients": [{"device": A2, "acked": True}, {"device": A1, "acked": False},
                                           {"device": B2, "acked": False}]},
                           {"messageId": M2, "conversation": ROOM, "sender": ALICE, "senderDevice": A1,
                            "sentAt": T + 5, "ttl": 3600, "storedAt": T + 5, "purgeBy": T + 3605,
                            "ciphertextLength": 15, "recipients": [{"device": A2, "acked": False}]}]},
                      held=[M1, M2])]),
]


def diff(path: str, want, got, out: list) -> None:
    """Every difference between want and got, each located by its path."""
    if isinstance(want, dict) and isinstance(got, dict):
        for k in want:
            if k not in got:
                out.append((f"{path}.{k}", want[k], "<absent>"))
            else:
                diff(f"{path}.{k}", want[k], got[k], out)
        for k in got:
            if k not in want:
                out.append((f"{path}.{k}", "<absent>", got[k]))
    elif isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        for i, (w, g) in enumerate(zip(want, got)):
            diff(f"{path}[{i}]", w, g, out)
    elif want != got or type(want) is not type(got):
        out.append((path, want, got))


def diff_steps(got: list[dict], want: list[dict]) -> list[tuple[int, str, object, object]]:
    out = []
    if len(got) != len(want):
        out.append((-1, "steps", len(want), len(got)))
    for i, (g, w) in enumerate(zip(got, want)):
        d = []
        for f in ("reply", "error", "outputs", "held"):
            if f not in w:
                d.append((f, "<absent>", g[f]))
            else:
                diff(f, w[f], g[f], d)
        for f in w:
            if f not in g:
                d.append((f, w[f], "<field not modelled>"))
        out += [(i, f, wv, gv) for f, wv, gv in d]
    return out


def self_test() -> list[str]:
    failures = []
    for name, profile, cap, events, want in SELF_TESTS:
        if events is None:
            try:
                Server(profile, cap)
                failures.append(f"{name}: server created, want {want}")
            except RetentionError as e:
                if e.code != want:
                    failures.append(f"{name}: {e.code}, want {want}")
            continue
        inv: list[str] = []
        got = run_scenario(profile, cap, events, invariants=inv)
        for i, f, w, g in diff_steps(got, want):
            ev_name = events[i]["event"] if 0 <= i < len(events) else "-"
            failures.append(f"{name}: step {i} ({ev_name}) {f}: want {json.dumps(w)}, got {json.dumps(g)}")
        failures += [f"{name}: invariant: {p}" for p in inv + blocking_invisible(profile, cap, events)]
    # The two block scenarios: the sender's replies, step by step, are identical (RET-042).
    by_name = {t[0]: t for t in SELF_TESTS}
    a = by_name["blocked sender: accepted, own devices still receive, not_stored when nobody else"]
    b = by_name["the same sender's steps without the block: identical replies"]

    def alices(t):
        return [(s["reply"], s["error"]) for s, e in zip(t[4], t[3])
                if e.get("account") == ALICE or e.get("device") in (A1, A2)]
    ra, rb = alices(a)[:len(alices(b))], alices(b)
    if len(rb) != 10 or ra != rb:
        failures.append(f"block pair: the sender's replies differ: {ra} / {rb}")
    return failures


# ---------------------------------------------------------------------------------------------
# The vector file.
# ---------------------------------------------------------------------------------------------


def load(path: str):
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        groups = doc["testGroups"]
        assert doc.get("part") == "retention", "part is not retention"
        return doc, groups
    except FileNotFoundError:
        print(f"crosscheck retention: {path}: no such file")
    except (OSError, ValueError, KeyError, AssertionError) as e:
        print(f"crosscheck retention: {path}: unreadable: {e}")
    return None, None


FIELDS = {
    "register": ("account",), "add_device": ("account", "device", "platform"),
    "remove_device": ("account", "device"), "join": ("account", "conversation"),
    "leave": ("account", "conversation"), "block": ("account", "blocked"), "unblock": ("account", "blocked"),
    "change_setting": ("account", "change"),
    "store": ("device", "messageId", "conversation", "sentAt", "ttl", "ciphertext"),
    "fetch": ("device",), "ack": ("device", "messageId"), "recall": ("device", "messageId"),
    "terminate": ("account",), "hold": ("account",), "disclose": ("account",), "tick": (),
}


def check_args(t: dict) -> None:
    """The vectors' own shape (section 14): times u64, bytes lowercase hex, accounts 32 bytes."""
    a = t["args"]
    assert a["profile"] in PROFILE_CAP, f"profile {a['profile']!r}"
    assert a["cap"] is None or (isinstance(a["cap"], int) and a["cap"] >= 0), f"cap {a['cap']!r}"
    for e in a["events"]:
        assert isinstance(e["at"], int) and 0 <= e["at"] <= U64_MAX, f"at {e['at']!r}"
        assert e["event"] in FIELDS, f"event {e['event']!r}"
        assert set(e) == {"at", "event", *FIELDS[e["event"]]}, f"{e['event']} fields {sorted(e)}"
        for k in ("sentAt", "ttl"):
            if k in e:
                assert isinstance(e[k], int) and 0 <= e[k] <= U64_MAX, f"{k} {e[k]!r}"
        for k in ("account", "blocked", "device", "conversation", "messageId", "ciphertext"):
            if k in e:
                v = e[k]
                assert isinstance(v, str) and v == v.lower() and len(v) % 2 == 0, f"{k} not lowercase hex"
                bytes.fromhex(v)
        for k in ("account", "blocked"):
            if k in e:
                assert len(e[k]) == 64, f"{k} is not 32 bytes"
        if "platform" in e:
            assert e["platform"] in PLATFORMS, f"platform {e['platform']!r}"
        if "change" in e:
            assert e["change"] in CHANGES, f"change {e['change']!r}"
    if t["result"] == "valid":
        assert len(t["expected"]["steps"]) == len(a["events"]), "one step per event"
        for st in t["expected"]["steps"]:
            assert set(st) == {"reply", "error", "outputs", "held"}, f"step fields {sorted(st)}"
            assert (st["reply"] is None) != (st["error"] is None), "exactly one of reply and error"
            assert isinstance(st["outputs"], list) and isinstance(st["held"], list), "outputs, held are lists"
    else:
        assert isinstance(t.get("error"), str) and "expected" not in t, "an invalid test has an error only"


def run_vectors(groups, mut: frozenset = frozenset(), invariants: list | None = None):
    """Returns (mismatch lines, scenarios, steps, invalid)."""
    mismatches = []
    scenarios = steps = invalid = 0
    for g in groups:
        if g["op"] != "retention.scenario":
            mismatches.append(f"retention/{g['group']}: unknown op {g['op']!r}")
            continue
        for t in g["tests"]:
            tid = f"retention/{g['group']}/{t['id']}"
            a = t["args"]
            if t["result"] == "invalid":
                try:
                    run_scenario(a["profile"], a["cap"], a["events"], mut)
                    mismatches.append(f"{tid}: expected {t['error']}, accepted here")
                except RetentionError as e:
                    if e.code != t["error"]:
                        mismatches.append(f"{tid}: expected {t['error']}, got {e.code}")
                    else:
                        invalid += 1
                continue
            if t["result"] != "valid":
                mismatches.append(f"{tid}: result {t['result']!r}")
                continue
            want = t["expected"]["steps"]
            inv = [] if invariants is not None else None
            try:
                got = run_scenario(a["profile"], a["cap"], a["events"], mut, invariants=inv)
            except RetentionError as e:
                mismatches.append(f"{tid}: server refused here with {e.code}")
                continue
            if invariants is not None:
                invariants += [f"{tid}: {p}" for p in inv + blocking_invisible(a["profile"], a["cap"], a["events"])]
            d = diff_steps(got, want)
            note = ""
            if d and not mut:
                fits = [r for r in READINGS
                        if not diff_steps(run_scenario(a["profile"], a["cap"], a["events"], frozenset([r])), want)]
                note = "".join(f"  [matches under the other reading {r}: {READINGS[r]}]" for r in fits)
            for i, f, w, gv in d:
                mismatches.append(f"{tid}: step {i} ({a['events'][i]['event'] if i >= 0 else '-'}) {f}: "
                                  f"expected {json.dumps(w)}, got {json.dumps(gv)}" + note)
            if not d:
                scenarios += 1
                steps += len(want)
    return mismatches, scenarios, steps, invalid


def check_vectors(path: str) -> int:
    doc, groups = load(path)
    if groups is None:
        return 2
    try:
        for g in groups:
            for t in g["tests"]:
                check_args(t)
    except (AssertionError, KeyError, TypeError, AttributeError, ValueError) as e:
        print(f"crosscheck retention: {path}: malformed: {e}")
        return 2
    n = sum(len(g["tests"]) for g in groups)
    if doc.get("numberOfTests") != n:
        print(f"note: numberOfTests is {doc.get('numberOfTests')}, the groups hold {n}")
    inv: list[str] = []
    mismatches, scenarios, steps, invalid = run_vectors(groups, invariants=inv)
    for m in mismatches:
        print(f"MISMATCH {m}")
    for p in inv:
        print(f"INVARIANT {p}")
    print(f"crosscheck retention: {scenarios} scenarios ({steps} steps) recomputed, {invalid} invalid rejected, "
          f"{len(mismatches)} mismatches")
    return 1 if mismatches or inv else 0


def check_mutations(path: str) -> int:
    _, groups = load(path)
    if groups is None:
        return 2

    def per_test(mism):
        d = {}
        for line in mism:
            d.setdefault(line.split(":")[0], []).append(line)
        return d

    baseline = per_test(run_vectors(groups)[0])
    uncaught = []
    print("Mutations: departures from a rule the chapter states.")
    for name, (_, what, _) in MUTATIONS.items():
        if name in READINGS:
            continue
        mut = frozenset([name])
        st = []
        for tname, profile, cap, events, want in SELF_TESTS:
            try:
                if events is None:
                    Server(profile, cap, mut)
                    st.append(tname)
                elif diff_steps(run_scenario(profile, cap, events, mut), want):
                    st.append(tname)
            except RetentionError:
                if events is not None:
                    st.append(tname)
        mism = per_test(run_vectors(groups, mut)[0])
        tests = sorted(t for t in set(mism) | set(baseline) if mism.get(t) != baseline.get(t))
        status = f"caught by {len(tests)} test{'s' if len(tests) != 1 else ''}" if tests else "NOT CAUGHT"
        print(f"mutation {name:30s} {status:22s} (self-tests: {len(st)}) — {what}")
        if tests:
            print(f"    e.g. {tests[0]}")
        else:
            uncaught.append(name)
            print(f"    a scenario that would: self-test \"{st[0]}\"" if st else "    (no self-test catches it either)")
    print(f"mutations: {len(MUTATIONS) - len(READINGS) - len(uncaught)} of {len(MUTATIONS) - len(READINGS)} caught by the vectors"
          + (f"; not caught: {', '.join(uncaught)}" if uncaught else ""))
    print("Readings: the other way to read each point the chapter once left open (docstring R1..R15).")
    open_points = []
    for name, what in READINGS.items():
        mism = per_test(run_vectors(groups, frozenset([name]))[0])
        tests = sorted(t for t in set(mism) | set(baseline) if mism.get(t) != baseline.get(t))
        if tests:
            print(f"reading  {name:30s} refused by {len(tests)} test{'s' if len(tests) != 1 else ''} — {what}")
            print(f"    e.g. {mism[tests[0]][0][:300]}")
        else:
            open_points.append(name)
            print(f"reading  {name:30s} ALSO FITS THE VECTORS — {what}")
    print(f"readings: {len(READINGS) - len(open_points)} of {len(READINGS)} settled by the vectors"
          + (f"; not settled by the vectors: {', '.join(open_points)}" if open_points else ""))
    return 0


def mutation_vectors(path: str):
    """For misreadings.py: the vector file's groups, loaded once."""
    _, groups = load(path)
    if groups is None:
        raise ValueError(f"{path}: cannot load the retention vectors")
    return groups


def failing_cases(groups, mut: frozenset) -> dict[str, str]:
    """For misreadings.py: case ID ("group/id") -> first mismatch, under the mutations `mut`."""
    out: dict[str, str] = {}
    for line in run_vectors(groups, mut)[0]:
        out.setdefault(line.split(":")[0].removeprefix("retention/"), line)
    return out


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--self-test", action="store_true", help="run the self-tests only")
    p.add_argument("--vectors", default=os.path.join(here, "..", "retention.json"), help="vector file")
    p.add_argument("--mutations", action="store_true", help="also run broken models against the vectors")
    opts = p.parse_args()

    start = time.monotonic()
    failures = self_test()
    for f in failures:
        print(f"SELF-TEST FAILED {f}")
    if failures:
        return 1
    print(f"self-tests passed: {len(SELF_TESTS)} hand-worked scenarios ({time.monotonic() - start:.2f} s)")
    if opts.self_test:
        return 0
    rc = check_vectors(opts.vectors)
    print(f"({time.monotonic() - start:.2f} s)")
    if opts.mutations and rc != 2:
        check_mutations(opts.vectors)
        print(f"({time.monotonic() - start:.2f} s)")
    return rc


if __name__ == "__main__":
    sys.exit(main())
