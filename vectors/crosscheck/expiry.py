#!/usr/bin/env python3
"""Independent cross-check of Cinder's expiry and burn-on-read vectors (vectors/expiry.json).

This is a second implementation of the expiry chapter, written in Python from spec/expiry.md
(requirements EXP-001 to EXP-050) and the conventions of spec/README.md, not from the Rust
reference or the vector generator. It is a small state machine: a phase, a clock, the
administrator's cap, and a step function that handles one event in the two stages of EXP-003
(time first, then the event). For every `expiry.scenario` test it replays the events and compares
every field of every step (phase, readable, deadline, reason, outputs, error); an invalid test (a
machine that cannot be created) must be refused here too, with the same code.

Before reading the vector file it runs self-tests: scenarios whose expected steps were worked out by
hand from the chapter (deadline one second before, at and after; burn versus expiry ties; cap
lowering; saturation at 2^64 - 1; recall before arrival; clock going backwards; skew).

With --mutations it also runs a set of deliberately broken variants of the model (each a one-line
departure from the chapter) against the vectors and reports which of them the vectors catch, so
that gaps in the vector set are visible.

How this model reads the places where the chapter leaves room (each is stated, not guessed at
silently; a mismatch at a step that relied on one of them says so):

- The clock of a new machine is 0 (EXP-020: "the highest `now` it has seen"; it has seen none).
- `forget_at = clock + 31,536,300` saturates at 2^64 - 1 like the sums of EXP-013.
- `forget_at` is fixed by the first recall (absent -> recall_noted); later recalls from other devices
  are added to the set without moving it (EXP-032: "remembering `by` until forget_at").
- A recall in `recall_noted` from a new device adds it with output `recall_noted`; one from a device
  already noted changes nothing and has no output (EXP-032, settled in spec 1.0.0 after this model
  first read the table's cell "add `by`" as always reporting `recall_noted`).
- `receive` in `absent`/`recall_noted` checks EXP-050 first, then EXP-032, then EXP-010 (EXP-010:
  "after EXP-050 and EXP-032"); in `unread`, `read` and `destroyed` the phase decides
  (`expiry.duplicate` / `expiry.destroyed`) and the message's bounds are not looked at.
- `recall(by)` checks the length of `by` (1..64) first, in every phase (EXP-030: "in every phase").
- A message destroyed before anything arrived (device_removed in `absent` or `recall_noted`) has an
  unknown sender, so any well-formed recall of it succeeds (EXP-031, the table's "sender or
  unknown"); one destroyed on arrival (recalled, expired) knows its sender.
- `set_cap` checks the cap first in every phase; an invalid cap is refused and changes nothing.
- `set_cap(none)` on a live message changes no deadline (EXP-014: "Raising or clearing the cap
  never moves a deadline later").
- The `readable` of a step is "the phase is `unread` or `read`" (EXP-001's table); `deadline` is
  that of a live message and null otherwise; `reason` is that of a destroyed message, else null.
- `skewed` compares `sent_at > clock + 300` in exact arithmetic (no u64 overflow is possible in
  the comparison, and a saturating one gives the same answer).

Usage:
    python3 expiry.py                 # self-tests, then ../expiry.json
    python3 expiry.py --self-test     # self-tests only
    python3 expiry.py --vectors FILE  # self-tests, then FILE
    python3 expiry.py --mutations     # also: which broken models do the vectors catch?

Exit status: 0 when everything agrees, 1 on any mismatch or self-test failure, 2 when the vector
file is missing or malformed. Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

# ---------------------------------------------------------------------------------------------
# Parameters (spec/expiry.md).
# ---------------------------------------------------------------------------------------------

U64_MAX = 2**64 - 1
TTL_RANGE = (1, 31_536_000)  # EXP-050
BOR_RANGE = (0, 31_536_000)  # EXP-050
CAP_RANGE = (1, 31_536_000)  # EXP-014
DEVICE_ID_LEN = (1, 64)  # EXP-050 (sender), EXP-030 (by)
SKEW_TOLERANCE = 300  # EXP-021
FORGET_AFTER = 31_536_300  # EXP-032: longest lifetime + skew tolerance
RECALL_NOTES_MAX = 4  # EXP-032

LIVE = ("unread", "read")

# Readings of points the chapter leaves open that a vector step can depend on (see the docstring).

E_INVALID_MESSAGE = "expiry.invalid_message"
E_INVALID_CAP = "expiry.invalid_cap"
E_DUPLICATE = "expiry.duplicate"
E_DESTROYED = "expiry.destroyed"
E_UNKNOWN = "expiry.unknown_message"
E_NOT_SENDER = "expiry.not_sender"
E_RECALL_LIMIT = "expiry.recall_limit"

# Deliberate departures from the chapter: the misreadings of spec/misreadings/expiry.md, run by
# misreadings.py and by --mutations. name -> (requirement IDs, the misreading, its kind).
MUTATIONS = {
    "readable_at_deadline": (("EXP-012",), "a message is destroyed only once clock > deadline", "off-by-one"),
    "burn_extends_expiry": (("EXP-011", "EXP-022"), "deadline = read_at + bor, without the min with expires_at", "wrong-rule"),
    "clock_goes_back": (("EXP-020",), "clock := now instead of max(clock, now)", "forgotten-reset"),
    "stranger_recall_live": (("EXP-030",), "a recall by anyone destroys a live message", "lenient-check"),
    "stranger_recall_first": (("EXP-032",), "a noted recall by anyone destroys the message on arrival", "lenient-check"),
    "stranger_recall_destroyed": (("EXP-030", "EXP-031"), "a stranger's recall of a destroyed message succeeds", "lenient-check"),
    "no_saturation": (("EXP-013",), "sums wrap modulo 2^64 instead of saturating", "library-default"),
    "signed_times": (("EXP-013",), "times are signed 64-bit: sums saturate at 2^63 - 1", "library-default"),
    "trust_sent_at": (("EXP-021", "EXP-010"), "start = sent_at: a sender ahead of the clock lengthens the life", "wrong-event"),
    "start_at_arrival": (("EXP-010",), "start = clock: time in transit is not counted", "wrong-event"),
    "skew_off_by_one": (("EXP-021",), "skewed when sent_at >= clock + 300", "off-by-one"),
    "skew_no_tolerance": (("EXP-021",), "skewed whenever sent_at > clock (no 300-second tolerance)", "wrong-rule"),
    "skew_both_ways": (("EXP-021",), "skewed also when sent_at < clock - 300 (a clock behind counts too)", "wrong-rule"),
    "burn_reason_always_expired": (("EXP-003",), "a burn is reported as expired", "wrong-rule"),
    "burn_reason_on_tie": (("EXP-003",), "reason burned when deadline <= expires_at (a tie counts as burn)", "off-by-one"),
    "cap_ignored_at_receive": (("EXP-010", "EXP-014"), "the cap does not bound ttl at receive", "lenient-check"),
    "set_cap_can_raise": (("EXP-014", "EXP-022"), "set_cap sets expires_at = start + cap, even later", "wrong-rule"),
    "set_cap_moves_only_expiry": (("EXP-014",), "set_cap lowers expires_at but not a read message's deadline", "forgotten-reset"),
    "set_cap_reached_is_moved": (("EXP-014", "EXP-003"), "a new deadline already reached gives deadline_moved, not destroyed", "check-order"),
    "reread_restarts_burn": (("EXP-011", "EXP-022"), "every read restarts the burn clock", "wrong-event"),
    "bor_zero_burns_now": (("EXP-011",), "bor = 0 is not 'off' but a zero-second burn", "wrong-rule"),
    "no_recall_limit": (("EXP-032",), "any number of devices may be noted", "lenient-check"),
    "recall_limit_three": (("EXP-032",), "a fourth device is already refused", "off-by-one"),
    "never_forget": (("EXP-032",), "a recall note is never forgotten", "forgotten-reset"),
    "forget_without_skew": (("EXP-032",), "forget_at = clock + 31,536,000 (the skew tolerance left out)", "off-by-one"),
    "reset_keeps_note": (("EXP-040",), "password_reset leaves a recall note", "forgotten-reset"),
    "removed_device_receives": (("EXP-040",), "receive after device_removed is stored", "forgotten-reset"),
    "delete_destroyed_errors": (("EXP-040",), "delete of a destroyed message is refused", "wrong-rule"),
    "event_before_time": (("EXP-003",), "the event is handled before time", "check-order"),
    "ttl_zero_accepted": (("EXP-050",), "ttl 0 is accepted", "off-by-one"),
    "ttl_above_max_accepted": (("EXP-050",), "ttl 31,536,001 is accepted", "off-by-one"),
    "bor_above_max_accepted": (("EXP-050",), "bor 31,536,001 is accepted", "off-by-one"),
    "sender_65_accepted": (("EXP-050",), "a 65-byte sender ID is accepted", "off-by-one"),
    "sender_empty_accepted": (("EXP-050",), "an empty sender ID is accepted", "lenient-check"),
    "bounds_before_phase": (("EXP-050", "EXP-041"), "receive checks EXP-050 before the phase: an out-of-range copy of a live or destroyed message is invalid_message", "check-order"),
    "cap_unchecked": (("EXP-014",), "any cap is accepted, at creation and by set_cap", "lenient-check"),
    "cap_zero_accepted": (("EXP-014",), "a cap of 0 is accepted", "off-by-one"),
    "cap_above_max_accepted": (("EXP-014",), "a cap of 31,536,001 is accepted", "off-by-one"),
    "recall_by_unchecked": (("EXP-030",), "a recall by an empty or 65-byte device ID is handled as any other", "lenient-check"),
    "recall_by_checked_when_live": (("EXP-030",), "the recalling device ID is checked only when the message is live", "check-order"),
    "refusal_undoes_time": (("EXP-003",), "a refused step also undoes what time did", "forgotten-reset"),
    "refusal_drops_time_output": (("EXP-003",), "a refused step keeps what time did but reports none of its outputs", "wrong-rule"),
    "no_tick_destroy": (("EXP-012", "EXP-002"), "a tick never destroys (only read/receive look at the deadline)", "wrong-event"),
    "receive_at_expiry_stored": (("EXP-010", "EXP-012"), "a message arriving exactly at its expiry is stored", "off-by-one"),
    "receive_uses_now": (("EXP-010", "EXP-021"), "start and skew use the event's now, not the machine clock", "wrong-event"),
    "read_at_now": (("EXP-011", "EXP-020"), "read_at = now, not the machine clock", "wrong-event"),
    "burn_from_arrival": (("EXP-011",), "the burn counts from arrival (start + bor), not from the read", "wrong-event"),
    "expiry_before_recall_note": (("EXP-032", "EXP-010"), "on arrival, the expiry check comes before the recall notes", "check-order"),
    "cap_from_read_at": (("EXP-014", "EXP-001"), "a read copy holds no start: set_cap on it caps read_at + c", "wrong-event"),
    "cap_before_arrival_ignored": (("EXP-014", "EXP-001"), "a cap set while nothing is here is not stored", "forgotten-reset"),
    "cap_clear_ignored": (("EXP-014", "EXP-002"), "set_cap(none) leaves the old cap in force for later receives", "forgotten-reset"),
    "forget_refreshed": (("EXP-032",), "every accepted recall moves forget_at to clock + 31,536,300", "wrong-event"),
    "repeat_recall_counts": (("EXP-032",), "a device recalling twice takes two of the four places", "wrong-rule"),
    "unknown_sender_recall_refused": (("EXP-031",), "a recall of a destroyed message whose sender is unknown is refused", "wrong-rule"),
    "recall_destroyed_refused": (("EXP-031",), "the sender's recall of a destroyed message is refused with expiry.destroyed", "wrong-rule"),
    "destroyed_forgets_sender": (("EXP-001", "EXP-031"), "a destroyed copy holds no sender, so anyone may recall it", "forgotten-reset"),
    "reset_destroys_absent": (("EXP-040",), "password_reset with nothing here destroys (password_reset)", "wrong-rule"),
    "removed_absent_stays": (("EXP-040",), "device_removed with nothing here changes nothing", "wrong-rule"),
    "set_cap_reason_burned": (("EXP-014", "EXP-003"), "a read message destroyed by set_cap is reported burned", "wrong-rule"),
    "reread_no_output": (("EXP-011", "EXP-001"), "a later read shows nothing", "wrong-rule"),
    "replay_after_destroy_stored": (("EXP-041",), "a message destroyed for another reason than device removal is stored again when it is received again", "forgotten-reset"),
    "duplicate_is_destroyed": (("EXP-041",), "a receive while the message is live is refused with expiry.destroyed", "wrong-rule"),
    "read_unknown_is_destroyed": (("EXP-040",), "read or delete of a message that never arrived is refused with expiry.destroyed", "wrong-rule"),
    "shred_late": (("EXP-042",), "content is kept in memory after the destruction is reported", "forgotten-reset"),
    "moved_reports_expiry": (("EXP-014",), "deadline_moved reports the new expires_at rather than the new deadline", "wrong-event"),
}

# Mutations that change nothing a vector can observe, and why.
EQUIVALENT = {
    "shred_late": "the vectors see only outputs and the phase: whether freed memory was overwritten is checked by "
                  "the reference's zeroizing storage (reference/src/expiry.rs), not by a transcript",
    "moved_reports_expiry": "when set_cap moves a deadline, the new deadline and the new expires_at are both start + c",
}

RANDOM_GROUPS = frozenset({"walks"})


class ExpiryError(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def sat_add(a: int, b: int, mut: frozenset = frozenset()) -> int:
    """EXP-013: u64 addition saturating at 2^64 - 1."""
    if "no_saturation" in mut:
        return (a + b) & U64_MAX
    if "signed_times" in mut:
        return min(a + b, 2**63 - 1)
    return min(a + b, U64_MAX)


def valid_cap(cap, mut: frozenset = frozenset()) -> bool:
    if cap is None or "cap_unchecked" in mut:
        return True
    lo = CAP_RANGE[0] - ("cap_zero_accepted" in mut)
    hi = CAP_RANGE[1] + ("cap_above_max_accepted" in mut)
    return isinstance(cap, int) and lo <= cap <= hi


def valid_device_id(b: bytes, mut: frozenset = frozenset()) -> bool:
    if "recall_by_unchecked" in mut:
        return True
    return DEVICE_ID_LEN[0] <= len(b) <= DEVICE_ID_LEN[1]


# ---------------------------------------------------------------------------------------------
# The machine (EXP-001 .. EXP-050).
# ---------------------------------------------------------------------------------------------


class Machine:
    """One device's copy of one message."""

    def __init__(self, cap, mut: frozenset = frozenset()):
        self.mut = mut
        if not valid_cap(cap, mut):  # EXP-014: also when a machine is created
            raise ExpiryError(E_INVALID_CAP)
        self.cap = cap
        self.clock = 0  # the highest `now` seen; none seen yet
        self.phase = "absent"
        # recall_noted
        self.notes: list[bytes] = []
        self.forget_at: int | None = None
        # unread / read
        self.content: bytes | None = None
        self.sender: bytes | None = None  # also kept (or None = unknown) in destroyed
        self.start: int | None = None
        self.bor: int | None = None
        self.expires_at: int | None = None
        self.read_at: int | None = None
        self.read_deadline: int | None = None
        # destroyed
        self.reason: str | None = None
        # Which of this model's readings of an open point the last step relied on, if any.
        self.reading: str | None = None

    # -- views -----------------------------------------------------------------------------

    def deadline(self) -> int | None:
        """EXP-001: of unread, expires_at; of read, deadline; none otherwise."""
        if self.phase == "unread":
            return self.expires_at
        if self.phase == "read":
            return self.read_deadline
        return None

    def snapshot(self) -> dict:
        return {
            "phase": self.phase,
            "readable": self.phase in LIVE,
            "deadline": self.deadline(),
            "reason": self.reason if self.phase == "destroyed" else None,
        }

    def _save(self) -> dict:
        d = dict(self.__dict__)
        d["notes"] = list(self.notes)
        return d

    def _restore(self, d: dict) -> None:
        self.__dict__.update(d)
        self.notes = list(d["notes"])

    # -- transitions -----------------------------------------------------------------------

    def _destroy(self, reason: str) -> dict:
        """EXP-041/042: final; content and keys shredded (here: dropped), the sender kept."""
        self.phase = "destroyed"
        self.reason = reason
        self.content = None
        self.start = self.bor = self.expires_at = self.read_at = self.read_deadline = None
        self.notes = []
        self.forget_at = None
        return {"output": "destroyed", "reason": reason}

    def _to_absent(self) -> dict:
        self.phase = "absent"
        self.notes = []
        self.forget_at = None
        return {"output": "recall_forgotten"}

    def _time(self, now: int) -> list[dict]:
        """EXP-003 stage 1."""
        m = self.mut
        self.clock = now if "clock_goes_back" in m else max(self.clock, now)
        if self.phase in LIVE:
            dl = self.deadline()
            reached = self.clock > dl if "readable_at_deadline" in m else self.clock >= dl
            if reached:
                burned = self.phase == "read" and (
                    dl <= self.expires_at if "burn_reason_on_tie" in m else dl < self.expires_at
                )
                if "burn_reason_always_expired" in m:
                    burned = False
                return [self._destroy("burned" if burned else "expired")]
        elif self.phase == "recall_noted" and "never_forget" not in m:
            if self.clock >= self.forget_at:
                return [self._to_absent()]
        return []

    def step(self, now: int, ev: dict) -> tuple[list[dict], str | None]:
        """One step: (outputs, error code or None). A refused event changes nothing else."""
        m = self.mut
        self.reading = None
        before = self._save()
        kind = ev["event"]
        if "event_before_time" in m:
            try:
                out2 = self._event(ev, now)
                err = None
            except ExpiryError as e:
                self._restore(before)
                out2, err = [], e.code
            out1 = self._time(now)
            return (out2 + out1)[:2], err
        if "no_tick_destroy" in m and kind == "tick":
            self.clock = max(self.clock, now)
            return [], None
        out1 = self._time(now)
        after_time = self._save()
        try:
            out2 = self._event(ev, now)
        except ExpiryError as e:
            self._restore(before if "refusal_undoes_time" in m else after_time)
            drop = "refusal_undoes_time" in m or "refusal_drops_time_output" in m
            return ([] if drop else out1), e.code
        outs = out1 + out2
        assert len(outs) <= 2, outs
        return outs, None

    def _event(self, ev: dict, now: int) -> list[dict]:
        """EXP-003 stage 2: the table."""
        kind = ev["event"]
        ph = self.phase
        m = self.mut
        if kind == "tick":
            return []
        if kind == "receive":
            return self._receive(ev)
        if kind == "read":
            if ph in ("absent", "recall_noted"):
                raise ExpiryError(E_DESTROYED if "read_unknown_is_destroyed" in m else E_UNKNOWN)
            if ph == "destroyed":
                raise ExpiryError(E_DESTROYED)
            if ph == "read" and "reread_no_output" in m:
                return []
            if ph == "unread" or "reread_restarts_burn" in m:
                # EXP-011
                self.read_at = now if "read_at_now" in m else self.clock
                if self.bor > 0:
                    burn = sat_add(self.start if "burn_from_arrival" in m else self.read_at, self.bor, m)
                    self.read_deadline = burn if "burn_extends_expiry" in m else min(self.expires_at, burn)
                elif "bor_zero_burns_now" in m:
                    self.read_deadline = self.read_at
                else:
                    self.read_deadline = self.expires_at
                self.phase = "read"
            return [{"output": "shown", "content": self.content.hex(), "deadline": self.read_deadline}]
        if kind == "recall":
            return self._recall(bytes.fromhex(ev["by"]))
        if kind == "delete":
            if ph in ("absent", "recall_noted"):
                raise ExpiryError(E_DESTROYED if "read_unknown_is_destroyed" in m else E_UNKNOWN)
            if ph == "destroyed":
                if "delete_destroyed_errors" in m:
                    raise ExpiryError(E_DESTROYED)
                return []
            return [self._destroy("deleted")]
        if kind == "password_reset":
            if ph == "recall_noted":
                if "reset_keeps_note" in m:
                    return []
                return [self._to_absent()]
            if ph in LIVE or (ph == "absent" and "reset_destroys_absent" in m):
                if ph == "absent":
                    self.sender = None
                return [self._destroy("password_reset")]
            return []
        if kind == "device_removed":
            if ph == "destroyed" or (ph == "absent" and "removed_absent_stays" in m):
                return []
            if ph in ("absent", "recall_noted"):
                self.sender = None  # nothing arrived: the sender is unknown
            return [self._destroy("device_removed")]
        if kind == "set_cap":
            return self._set_cap(ev["cap"])
        raise ValueError(f"unknown event {kind!r}")

    def _receive(self, ev: dict) -> list[dict]:
        clock = ev["at"] if "receive_uses_now" in self.mut else self.clock
        ph = self.phase
        m = self.mut
        if "bounds_before_phase" in m and ph in LIVE + ("destroyed",):
            self._bounds(ev)
        if ph in LIVE:
            raise ExpiryError(E_DESTROYED if "duplicate_is_destroyed" in m else E_DUPLICATE)  # EXP-041
        if ph == "destroyed":
            again = "replay_after_destroy_stored" in m and self.reason != "device_removed"
            if again or ("removed_device_receives" in m and self.reason == "device_removed"):
                self.phase = "absent"
                self.reason = None
                return self._receive(ev)
            raise ExpiryError(E_DESTROYED)  # EXP-040, EXP-041
        self._bounds(ev)
        sender = bytes.fromhex(ev["sender"])
        sent_at = ev["sentAt"]
        ttl, bor = ev["ttl"], ev["bor"]
        content = bytes.fromhex(ev["content"])
        # EXP-032: a recall that overtook its message
        noted = ph == "recall_noted" and (sender in self.notes or "stranger_recall_first" in m)
        if "expiry_before_recall_note" in m:
            noted = False
        if noted:
            self.sender = sender
            return [self._destroy("recalled")]
        # EXP-010
        start = min(sent_at, clock)
        if "trust_sent_at" in m:
            start = sent_at
        if "start_at_arrival" in m:
            start = clock
        ttl_eff = ttl if self.cap is None or "cap_ignored_at_receive" in m else min(ttl, self.cap)
        expires_at = sat_add(start, ttl_eff, m)
        self.sender = sender
        self.notes = []
        self.forget_at = None
        if (self.clock > expires_at if "receive_at_expiry_stored" in m else self.clock >= expires_at):
            return [self._destroy("expired")]
        if "expiry_before_recall_note" in m and ph == "recall_noted" and sender in self.notes:
            return [self._destroy("recalled")]
        skewed = sent_at >= clock + SKEW_TOLERANCE if "skew_off_by_one" in m else sent_at > clock + SKEW_TOLERANCE
        if "skew_no_tolerance" in m:
            skewed = sent_at > clock
        if "skew_both_ways" in m:
            skewed = skewed or sent_at + SKEW_TOLERANCE < clock
        self.phase = "unread"
        self.content = content
        self.start = start
        self.bor = bor
        self.expires_at = expires_at
        return [{"output": "stored", "deadline": expires_at, "skewed": skewed}]

    def _bounds(self, ev: dict) -> None:
        """EXP-050."""
        m = self.mut
        ttl_lo, ttl_hi = TTL_RANGE[0] - ("ttl_zero_accepted" in m), TTL_RANGE[1] + ("ttl_above_max_accepted" in m)
        bor_hi = BOR_RANGE[1] + ("bor_above_max_accepted" in m)
        id_lo = DEVICE_ID_LEN[0] - ("sender_empty_accepted" in m)
        id_hi = DEVICE_ID_LEN[1] + ("sender_65_accepted" in m)
        n = len(ev["sender"]) // 2
        if not (ttl_lo <= ev["ttl"] <= ttl_hi and BOR_RANGE[0] <= ev["bor"] <= bor_hi and id_lo <= n <= id_hi):
            raise ExpiryError(E_INVALID_MESSAGE)

    def _recall(self, by: bytes) -> list[dict]:
        ph = self.phase
        m = self.mut
        if "recall_by_checked_when_live" in m and ph not in LIVE:
            pass
        elif not valid_device_id(by, m):
            raise ExpiryError(E_NOT_SENDER)  # EXP-030: "in every phase"
        if ph == "absent":
            self.phase = "recall_noted"
            self.notes = [by]
            after = FORGET_AFTER - 300 if "forget_without_skew" in m else FORGET_AFTER
            self.forget_at = sat_add(self.clock, after, m)
            return [{"output": "recall_noted"}]
        if ph == "recall_noted":
            if "forget_refreshed" in m:
                self.forget_at = sat_add(self.clock, FORGET_AFTER, m)
            if by not in self.notes or "repeat_recall_counts" in m:
                limit = RECALL_NOTES_MAX
                if "recall_limit_three" in m:
                    limit = 3
                if len(self.notes) >= limit and "no_recall_limit" not in m:
                    raise ExpiryError(E_RECALL_LIMIT)
                self.notes.append(by)
                return [{"output": "recall_noted"}]
            return []  # EXP-032: a device already noted changes nothing, no output
        if ph in LIVE:
            if by == self.sender or "stranger_recall_live" in m:
                return [self._destroy("recalled")]
            raise ExpiryError(E_NOT_SENDER)
        # destroyed: EXP-031
        if "recall_destroyed_refused" in m:
            raise ExpiryError(E_DESTROYED)
        unknown = self.sender is None or "destroyed_forgets_sender" in m
        if (unknown and "unknown_sender_recall_refused" not in m) or by == self.sender \
                or "stranger_recall_destroyed" in m:
            return []
        raise ExpiryError(E_NOT_SENDER)

    def _set_cap(self, cap) -> list[dict]:
        m = self.mut
        if not valid_cap(cap, m):
            raise ExpiryError(E_INVALID_CAP)
        if not ("cap_before_arrival_ignored" in m and self.phase in ("absent", "recall_noted")) \
                and not ("cap_clear_ignored" in m and cap is None):
            self.cap = cap
        if self.phase not in LIVE or cap is None:
            return []
        base = self.read_at if "cap_from_read_at" in m and self.phase == "read" else self.start
        capped = sat_add(base, cap, m)
        old = self.deadline()
        if "set_cap_can_raise" in m:
            self.expires_at = capped
            if self.phase == "read":
                self.read_deadline = capped
        else:
            self.expires_at = min(self.expires_at, capped)
            if self.phase == "read" and "set_cap_moves_only_expiry" not in m:
                self.read_deadline = min(self.read_deadline, capped)
        new = self.deadline()
        if new == old:
            return []
        if self.clock >= new and "set_cap_reached_is_moved" not in m:
            if "set_cap_reason_burned" in m and self.phase == "read":
                return [self._destroy("burned")]
            return [self._destroy("expired")]
        return [{"output": "deadline_moved", "deadline": self.expires_at if "moved_reports_expiry" in m else new}]


def run_scenario(cap, events: list[dict], mut: frozenset = frozenset()) -> list[dict]:
    """Replay a scenario; raises ExpiryError when the machine cannot be created."""
    mach = Machine(cap, mut)
    steps = []
    for ev in events:
        outs, err = mach.step(ev["at"], ev)
        s = mach.snapshot()
        s["outputs"] = outs
        s["error"] = err
        if mach.reading:
            s["_reading"] = mach.reading
        steps.append(s)
    return steps


# ---------------------------------------------------------------------------------------------
# Self-tests: scenarios worked out by hand from the chapter. Expected values are literals.
# ---------------------------------------------------------------------------------------------

T0 = 1_000_000
ALICE = b"alice-phone".hex()
BOB = b"bob-laptop".hex()
MALLORY = b"mallory".hex()
MSG = b"burn after reading".hex()


def rx(at, sender=ALICE, sent=None, ttl=60, bor=0, content=MSG):
    return {"at": at, "event": "receive", "sender": sender, "sentAt": at if sent is None else sent,
            "ttl": ttl, "bor": bor, "content": content}


def ev(at, kind, **kw):
    return {"at": at, "event": kind, **kw}


def S(phase, deadline=None, reason=None, outputs=(), error=None):
    return {"phase": phase, "readable": phase in LIVE, "deadline": deadline, "reason": reason,
            "outputs": list(outputs), "error": error}


def stored(d, skewed=False):
    return {"output": "stored", "deadline": d, "skewed": skewed}


def shown(d, content=MSG):
    return {"output": "shown", "content": content, "deadline": d}


def destroyed(r):
    return {"output": "destroyed", "reason": r}


NOTED = {"output": "recall_noted"}
FORGOT = {"output": "recall_forgotten"}


def moved(d):
    return {"output": "deadline_moved", "deadline": d}


M = U64_MAX

SELF_TESTS = [
    # --- expiry: one second before, at, after expires_at = sent + ttl -------------------------
    ("expiry before: read at T0+59", None, [rx(T0), ev(T0 + 59, "read")],
     [S("unread", T0 + 60, outputs=[stored(T0 + 60)]), S("read", T0 + 60, outputs=[shown(T0 + 60)])]),
    ("expiry at: read at T0+60 is refused after destroyed(expired)", None, [rx(T0), ev(T0 + 60, "read")],
     [S("unread", T0 + 60, outputs=[stored(T0 + 60)]),
      S("destroyed", reason="expired", outputs=[destroyed("expired")], error=E_DESTROYED)]),
    ("expiry after: tick at T0+61, then read", None, [rx(T0), ev(T0 + 61, "tick"), ev(T0 + 62, "read")],
     [S("unread", T0 + 60, outputs=[stored(T0 + 60)]),
      S("destroyed", reason="expired", outputs=[destroyed("expired")]),
      S("destroyed", reason="expired", error=E_DESTROYED)]),
    ("read then expire, bor 0", None, [rx(T0), ev(T0 + 1, "read"), ev(T0 + 59, "read"), ev(T0 + 60, "tick")],
     [S("unread", T0 + 60, outputs=[stored(T0 + 60)]), S("read", T0 + 60, outputs=[shown(T0 + 60)]),
      S("read", T0 + 60, outputs=[shown(T0 + 60)]), S("destroyed", reason="expired", outputs=[destroyed("expired")])]),
    ("transit counts: sent T0-50 ttl 60 arrives T0", None, [rx(T0, sent=T0 - 50), ev(T0 + 9, "tick"), ev(T0 + 10, "tick")],
     [S("unread", T0 + 10, outputs=[stored(T0 + 10)]), S("unread", T0 + 10),
      S("destroyed", reason="expired", outputs=[destroyed("expired")])]),
    ("arrives exactly at its expiry", None, [rx(T0, sent=T0 - 60), ev(T0, "read")],
     [S("destroyed", reason="expired", outputs=[destroyed("expired")]), S("destroyed", reason="expired", error=E_DESTROYED)]),
    ("arrives one second before its expiry", None, [rx(T0, sent=T0 - 59)],
     [S("unread", T0 + 1, outputs=[stored(T0 + 1)])]),
    # --- burn vs expiry --------------------------------------------------------------------------
    ("burn earlier than expiry", None,
     [rx(T0, ttl=100, bor=40), ev(T0 + 59, "read"), ev(T0 + 98, "read"), ev(T0 + 99, "tick")],
     [S("unread", T0 + 100, outputs=[stored(T0 + 100)]), S("read", T0 + 99, outputs=[shown(T0 + 99)]),
      S("read", T0 + 99, outputs=[shown(T0 + 99)]), S("destroyed", reason="burned", outputs=[destroyed("burned")])]),
    ("burn ties expiry: reason expired", None,
     [rx(T0, ttl=100, bor=40), ev(T0 + 60, "read"), ev(T0 + 100, "tick")],
     [S("unread", T0 + 100, outputs=[stored(T0 + 100)]), S("read", T0 + 100, outputs=[shown(T0 + 100)]),
      S("destroyed", reason="expired", outputs=[destroyed("expired")])]),
    ("burn would pass expiry: never extends", None,
     [rx(T0, ttl=100, bor=40), ev(T0 + 61, "read"), ev(T0 + 100, "read")],
     [S("unread", T0 + 100, outputs=[stored(T0 + 100)]), S("read", T0 + 100, outputs=[shown(T0 + 100)]),
      S("destroyed", reason="expired", outputs=[destroyed("expired")], error=E_DESTROYED)]),
    ("burn at the burn deadline, read refused", None,
     [rx(T0, ttl=3600, bor=10), ev(T0 + 5, "read"), ev(T0 + 14, "read"), ev(T0 + 15, "read")],
     [S("unread", T0 + 3600, outputs=[stored(T0 + 3600)]), S("read", T0 + 15, outputs=[shown(T0 + 15)]),
      S("read", T0 + 15, outputs=[shown(T0 + 15)]),
      S("destroyed", reason="burned", outputs=[destroyed("burned")], error=E_DESTROYED)]),
    # --- cap -------------------------------------------------------------------------------------
    ("cap at creation bounds ttl", 30, [rx(T0, ttl=60), ev(T0 + 30, "tick")],
     [S("unread", T0 + 30, outputs=[stored(T0 + 30)]), S("destroyed", reason="expired", outputs=[destroyed("expired")])]),
    ("cap lowered, cleared, raised, lowered past the clock", None,
     [rx(T0, sent=T0 - 10, ttl=3600), ev(T0 + 100, "set_cap", cap=600), ev(T0 + 200, "set_cap", cap=None),
      ev(T0 + 250, "set_cap", cap=3600), ev(T0 + 260, "set_cap", cap=0), ev(T0 + 300, "set_cap", cap=60),
      ev(T0 + 301, "set_cap", cap=30)],
     [S("unread", T0 + 3590, outputs=[stored(T0 + 3590)]), S("unread", T0 + 590, outputs=[moved(T0 + 590)]),
      S("unread", T0 + 590), S("unread", T0 + 590), S("unread", T0 + 590, error=E_INVALID_CAP),
      S("destroyed", reason="expired", outputs=[destroyed("expired")]), S("destroyed", reason="expired")]),
    ("cap lowered to exactly the clock", None, [rx(T0, ttl=3600), ev(T0 + 100, "set_cap", cap=100)],
     [S("unread", T0 + 3600, outputs=[stored(T0 + 3600)]), S("destroyed", reason="expired", outputs=[destroyed("expired")])]),
    ("cap on a read message: burn earlier than cap, no output; then cap below burn", None,
     [rx(T0, ttl=3600, bor=100), ev(T0 + 10, "read"), ev(T0 + 20, "set_cap", cap=1000), ev(T0 + 30, "set_cap", cap=50),
      ev(T0 + 50, "tick")],
     [S("unread", T0 + 3600, outputs=[stored(T0 + 3600)]), S("read", T0 + 110, outputs=[shown(T0 + 110)]),
      S("read", T0 + 110), S("read", T0 + 50, outputs=[moved(T0 + 50)]),
      S("destroyed", reason="expired", outputs=[destroyed("expired")])]),
    ("cap lowered below a read message's burn deadline, already reached: destroyed(expired)", None,
     [rx(T0, ttl=3600, bor=100), ev(T0 + 10, "read"), ev(T0 + 60, "set_cap", cap=50)],
     [S("unread", T0 + 3600, outputs=[stored(T0 + 3600)]), S("read", T0 + 110, outputs=[shown(T0 + 110)]),
      S("destroyed", reason="expired", outputs=[destroyed("expired")])]),
    ("cap set before arrival applies at receive", None, [ev(T0 - 5, "set_cap", cap=20), rx(T0, ttl=60)],
     [S("absent"), S("unread", T0 + 20, outputs=[stored(T0 + 20)])]),
    ("invalid cap at creation", 31_536_001, None, E_INVALID_CAP),
    ("cap 0 at creation", 0, None, E_INVALID_CAP),
    # --- saturation (EXP-013) -------------------------------------------------------------------
    ("saturation: start + ttl", None, [rx(M - 100, ttl=3600), ev(M - 1, "tick"), ev(M, "tick")],
     [S("unread", M, outputs=[stored(M)]), S("unread", M), S("destroyed", reason="expired", outputs=[destroyed("expired")])]),
    ("saturation: read_at + bor ties the saturated expiry", None,
     [rx(M - 100, ttl=3600, bor=10), ev(M - 2, "read"), ev(M, "read")],
     [S("unread", M, outputs=[stored(M)]), S("read", M, outputs=[shown(M)]),
      S("destroyed", reason="expired", outputs=[destroyed("expired")], error=E_DESTROYED)]),
    ("saturation: burn before the saturated expiry", None,
     [rx(M - 100, ttl=3600, bor=10), ev(M - 50, "read"), ev(M - 40, "tick")],
     [S("unread", M, outputs=[stored(M)]), S("read", M - 40, outputs=[shown(M - 40)]),
      S("destroyed", reason="burned", outputs=[destroyed("burned")])]),
    ("saturation: a message arriving at 2^64-1 is expired at once", None, [rx(M, ttl=60)],
     [S("destroyed", reason="expired", outputs=[destroyed("expired")])]),
    # --- clock (EXP-020, EXP-021) ---------------------------------------------------------------
    ("clock backwards after expiry: still destroyed", None, [rx(T0), ev(T0 + 60, "tick"), ev(T0, "read")],
     [S("unread", T0 + 60, outputs=[stored(T0 + 60)]), S("destroyed", reason="expired", outputs=[destroyed("expired")]),
      S("destroyed", reason="expired", error=E_DESTROYED)]),
    ("clock backwards while live: burn counts from the machine clock", None,
     [rx(T0, ttl=60, bor=10), ev(T0 + 30, "tick"), ev(T0 - 1000, "read"), ev(T0 + 39, "tick"), ev(T0 + 40, "tick")],
     [S("unread", T0 + 60, outputs=[stored(T0 + 60)]), S("unread", T0 + 60), S("read", T0 + 40, outputs=[shown(T0 + 40)]),
      S("read", T0 + 40), S("destroyed", reason="burned", outputs=[destroyed("burned")])]),
    ("clock backwards before receive: start and skew from the machine clock", None,
     [ev(T0, "tick"), rx(T0 - 500, sent=T0 - 100, ttl=600)],
     [S("absent"), S("unread", T0 + 500, outputs=[stored(T0 + 500, False)])]),
    ("skew: sent_at = clock + 300 is not skewed", None, [rx(T0, sent=T0 + 300, ttl=60)],
     [S("unread", T0 + 60, outputs=[stored(T0 + 60, False)])]),
    ("skew: sent_at = clock + 301 is skewed, start = clock", None, [rx(T0, sent=T0 + 301, ttl=60)],
     [S("unread", T0 + 60, outputs=[stored(T0 + 60, True)])]),
    ("skew: sent_at = 2^64-1", None, [rx(T0, sent=M, ttl=60)],
     [S("unread", T0 + 60, outputs=[stored(T0 + 60, True)])]),
    # --- recall (EXP-030..EXP-032) --------------------------------------------------------------
    ("recall before arrival, then the message", None,
     [ev(T0, "recall", by=ALICE), rx(T0 + 1), ev(T0 + 2, "recall", by=ALICE), ev(T0 + 3, "recall", by=BOB),
      ev(T0 + 4, "read"), ev(T0 + 5, "delete")],
     [S("recall_noted", outputs=[NOTED]), S("destroyed", reason="recalled", outputs=[destroyed("recalled")]),
      S("destroyed", reason="recalled"), S("destroyed", reason="recalled", error=E_NOT_SENDER),
      S("destroyed", reason="recalled", error=E_DESTROYED), S("destroyed", reason="recalled")]),
    ("stranger recalls first: ignored on arrival", None,
     [ev(T0, "recall", by=MALLORY), rx(T0 + 1), ev(T0 + 2, "read"), ev(T0 + 3, "recall", by=MALLORY),
      ev(T0 + 4, "recall", by=ALICE)],
     [S("recall_noted", outputs=[NOTED]), S("unread", T0 + 61, outputs=[stored(T0 + 61)]),
      S("read", T0 + 61, outputs=[shown(T0 + 61)]), S("read", T0 + 61, error=E_NOT_SENDER),
      S("destroyed", reason="recalled", outputs=[destroyed("recalled")])]),
    ("stranger first, then the sender, then the message", None,
     [ev(T0, "recall", by=MALLORY), ev(T0, "recall", by=ALICE), rx(T0 + 1)],
     [S("recall_noted", outputs=[NOTED]), S("recall_noted", outputs=[NOTED]),
      S("destroyed", reason="recalled", outputs=[destroyed("recalled")])]),
    ("recall limit: a fifth device is refused, the four stay", None,
     [ev(T0, "recall", by=b"d1".hex()), ev(T0, "recall", by=b"d2".hex()), ev(T0, "recall", by=b"d3".hex()),
      ev(T0, "recall", by=b"d4".hex()), ev(T0, "recall", by=ALICE), ev(T0, "recall", by=b"d4".hex()), rx(T0 + 1)],
     [S("recall_noted", outputs=[NOTED])] * 4
     + [S("recall_noted", error=E_RECALL_LIMIT), S("recall_noted"),
        S("unread", T0 + 61, outputs=[stored(T0 + 61)])]),
    ("recall note forgotten at forget_at, not before", None,
     [ev(T0, "recall", by=ALICE), ev(T0 + 31_536_299, "tick"), ev(T0 + 31_536_300, "tick"),
      rx(T0 + 31_536_301, sent=T0 + 31_536_301)],
     [S("recall_noted", outputs=[NOTED]), S("recall_noted"), S("absent", outputs=[FORGOT]),
      S("unread", T0 + 31_536_361, outputs=[stored(T0 + 31_536_361)])]),
    ("forget_at is fixed by the first recall; a later device's recall does not move it", None,
     [ev(T0, "recall", by=MALLORY), ev(T0 + 1000, "recall", by=ALICE), ev(T0 + 31_536_300, "tick")],
     [S("recall_noted", outputs=[NOTED]), S("recall_noted", outputs=[NOTED]), S("absent", outputs=[FORGOT])]),
    ("recall note forgotten in the same step as receive", None,
     [ev(T0, "recall", by=ALICE), rx(T0 + 31_536_300)],
     [S("recall_noted", outputs=[NOTED]), S("unread", T0 + 31_536_360, outputs=[FORGOT, stored(T0 + 31_536_360)])]),
    ("recall by a bad device ID is not_sender in every phase", None,
     [ev(T0, "recall", by=""), ev(T0, "recall", by="ab" * 65), ev(T0, "recall", by="ab" * 64), ev(T0, "recall", by=""),
      rx(T0), ev(T0, "recall", by=""), ev(T0, "device_removed"), ev(T0, "recall", by="ab" * 65)],
     [S("absent", error=E_NOT_SENDER), S("absent", error=E_NOT_SENDER), S("recall_noted", outputs=[NOTED]),
      S("recall_noted", error=E_NOT_SENDER), S("unread", T0 + 60, outputs=[stored(T0 + 60)]),
      S("unread", T0 + 60, error=E_NOT_SENDER), S("destroyed", reason="device_removed", outputs=[destroyed("device_removed")]),
      S("destroyed", reason="device_removed", error=E_NOT_SENDER)]),
    ("recall of a destroyed message whose sender is unknown", None,
     [ev(T0, "device_removed"), ev(T0, "recall", by=MALLORY), rx(T0)],
     [S("destroyed", reason="device_removed", outputs=[destroyed("device_removed")]), S("destroyed", reason="device_removed"),
      S("destroyed", reason="device_removed", error=E_DESTROYED)]),
    ("recall of an expired message by sender and stranger", None,
     [rx(T0), ev(T0 + 60, "recall", by=ALICE), ev(T0 + 61, "recall", by=MALLORY)],
     [S("unread", T0 + 60, outputs=[stored(T0 + 60)]), S("destroyed", reason="expired", outputs=[destroyed("expired")]),
      S("destroyed", reason="expired", error=E_NOT_SENDER)]),
    # --- destruction (EXP-040, EXP-041) ---------------------------------------------------------
    ("delete, password reset, unknown message", None,
     [ev(T0, "delete"), ev(T0, "read"), ev(T0, "password_reset"), rx(T0), rx(T0), ev(T0 + 1, "password_reset"),
      ev(T0 + 2, "delete"), rx(T0 + 3)],
     [S("absent", error=E_UNKNOWN), S("absent", error=E_UNKNOWN), S("absent"), S("unread", T0 + 60, outputs=[stored(T0 + 60)]),
      S("unread", T0 + 60, error=E_DUPLICATE), S("destroyed", reason="password_reset", outputs=[destroyed("password_reset")]),
      S("destroyed", reason="password_reset"), S("destroyed", reason="password_reset", error=E_DESTROYED)]),
    ("password reset forgets a recall note", None,
     [ev(T0, "recall", by=ALICE), ev(T0 + 1, "password_reset"), rx(T0 + 2)],
     [S("recall_noted", outputs=[NOTED]), S("absent", outputs=[FORGOT]), S("unread", T0 + 62, outputs=[stored(T0 + 62)])]),
    ("bounds: ttl 0, bor too long, long sender, then a good one", None,
     [rx(T0, ttl=0), rx(T0, ttl=31_536_001), rx(T0, bor=31_536_001), rx(T0, sender="ab" * 65), rx(T0, sender=""),
      rx(T0, ttl=31_536_000, bor=31_536_000, sender="ab" * 64)],
     [S("absent", error=E_INVALID_MESSAGE)] * 5 + [S("unread", T0 + 31_536_000, outputs=[stored(T0 + 31_536_000)])]),
    ("device removed while live, then receive", None,
     [rx(T0), ev(T0 + 1, "device_removed"), ev(T0 + 2, "device_removed"), rx(T0 + 3), ev(T0 + 4, "set_cap", cap=5)],
     [S("unread", T0 + 60, outputs=[stored(T0 + 60)]), S("destroyed", reason="device_removed", outputs=[destroyed("device_removed")]),
      S("destroyed", reason="device_removed"), S("destroyed", reason="device_removed", error=E_DESTROYED),
      S("destroyed", reason="device_removed")]),
    ("expiry in stage 1, then device_removed is a no-op on destroyed", None,
     [rx(T0), ev(T0 + 60, "device_removed")],
     [S("unread", T0 + 60, outputs=[stored(T0 + 60)]), S("destroyed", reason="expired", outputs=[destroyed("expired")])]),
]


def diff_steps(got: list[dict], want: list[dict]) -> list[tuple[int, str, object, object]]:
    out = []
    if len(got) != len(want):
        out.append((-1, "steps", len(want), len(got)))
    for i, (g, w) in enumerate(zip(got, want)):
        for f in w:
            if f not in g:
                out.append((i, f, w[f], "<field not modelled>"))
            elif g[f] != w[f] or type(g[f]) is not type(w[f]):
                out.append((i, f, w[f], g[f]))
        for f in g:
            if f not in w and not f.startswith("_"):
                out.append((i, f, "<missing in vector>", g[f]))
    return out


def self_test() -> list[str]:
    failures = []
    for name, cap, events, want in SELF_TESTS:
        if events is None:
            try:
                Machine(cap)
                failures.append(f"{name}: machine created, want {want}")
            except ExpiryError as e:
                if e.code != want:
                    failures.append(f"{name}: {e.code}, want {want}")
            continue
        got = run_scenario(cap, events)
        for i, f, w, g in diff_steps(got, want):
            failures.append(f"{name}: step {i} {f}: want {w!r}, got {g!r}")
    # Invariants of section 8 on every self-test scenario.
    for name, cap, events, _ in SELF_TESTS:
        if events is not None:
            failures += [f"{name}: {p}" for p in check_invariants(cap, events)]
    return failures


def check_invariants(cap, events) -> list[str]:
    """Section 8: never readable at/after the deadline, deadline <= expires_at, the deadline never
    increases, destroyed is final with the same reason."""
    problems = []
    mach = Machine(cap)
    last_dl = None
    reason = None
    for i, e in enumerate(events):
        mach.step(e["at"], e)
        dl = mach.deadline()
        if mach.phase in LIVE:
            if not mach.clock < dl:
                problems.append(f"step {i}: live with clock {mach.clock} >= deadline {dl}")
            if not dl <= mach.expires_at:
                problems.append(f"step {i}: deadline {dl} > expires_at {mach.expires_at}")
            if last_dl is not None and dl > last_dl:
                problems.append(f"step {i}: deadline rose from {last_dl} to {dl}")
            last_dl = dl
        if reason is not None and (mach.phase != "destroyed" or mach.reason != reason):
            problems.append(f"step {i}: left destroyed({reason})")
        if mach.phase == "destroyed":
            reason = mach.reason
    return problems


# ---------------------------------------------------------------------------------------------
# The vector file.
# ---------------------------------------------------------------------------------------------


def load(path: str):
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        groups = doc["testGroups"]
        assert doc.get("part") == "expiry", "part is not expiry"
        return doc, groups
    except FileNotFoundError:
        print(f"crosscheck expiry: {path}: no such file")
    except (OSError, ValueError, KeyError, AssertionError) as e:
        print(f"crosscheck expiry: {path}: unreadable: {e}")
    return None, None


def check_args(t: dict) -> None:
    """The vectors' own shape: times are u64, bytes are lowercase hex."""
    for e in t["args"]["events"]:
        assert isinstance(e["at"], int) and 0 <= e["at"] <= U64_MAX, f"at {e['at']!r}"
        if e["event"] == "receive":
            for k in ("sentAt", "ttl", "bor"):
                assert isinstance(e[k], int) and 0 <= e[k] <= U64_MAX, f"{k} {e[k]!r}"
        for k in ("sender", "content", "by"):
            if k in e:
                assert e[k] == e[k].lower() and len(e[k]) % 2 == 0, f"{k} not lowercase hex"


def run_vectors(groups, mut: frozenset = frozenset()):
    """Returns (mismatch lines, scenarios, steps, invalid)."""
    mismatches = []
    scenarios = steps = invalid = 0
    for g in groups:
        if g["op"] != "expiry.scenario":
            mismatches.append(f"{g['group']}: unknown op {g['op']!r}")
            continue
        for t in g["tests"]:
            tid = f"expiry/{g['group']}/{t['id']}"
            a = t["args"]
            if t["result"] == "invalid":
                try:
                    run_scenario(a["cap"], a["events"], mut)
                    mismatches.append(f"{tid}: expected {t['error']}, accepted here")
                except ExpiryError as e:
                    if e.code != t["error"]:
                        mismatches.append(f"{tid}: expected {t['error']}, got {e.code}")
                    else:
                        invalid += 1
                continue
            if t["result"] != "valid":
                mismatches.append(f"{tid}: result {t['result']!r}")
                continue
            want = t["expected"]["steps"]
            try:
                got = run_scenario(a["cap"], a["events"], mut)
            except ExpiryError as e:
                mismatches.append(f"{tid}: machine refused here with {e.code}")
                continue
            d = diff_steps(got, want)
            for i, f, w, gv in d:
                note = got[i].get("_reading") if 0 <= i < len(got) else None
                mismatches.append(f"{tid}: step {i} ({a['events'][i]['event'] if i >= 0 else '-'}) {f}: "
                                  f"expected {json.dumps(w)}, got {json.dumps(gv)}"
                                  + (f"  [the spec is silent here; this model's reading: {note}]" if note else ""))
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
    except (AssertionError, KeyError, TypeError, AttributeError) as e:
        print(f"crosscheck expiry: {path}: malformed: {e}")
        return 2
    n = sum(len(g["tests"]) for g in groups)
    if doc.get("numberOfTests") != n:
        print(f"note: numberOfTests is {doc.get('numberOfTests')}, the groups hold {n}")
    mismatches, scenarios, steps, invalid = run_vectors(groups)
    for m in mismatches:
        print(f"MISMATCH {m}")
    # Section 8 invariants, checked on this model's run of every vector scenario.
    inv = []
    for g in groups:
        for t in g["tests"]:
            if t["result"] == "valid":
                inv += [f"{t['id']}: {p}" for p in check_invariants(t["args"]["cap"], t["args"]["events"])]
    for p in inv:
        print(f"INVARIANT {p}")
    print(f"crosscheck expiry: {scenarios} scenarios ({steps} steps) recomputed, {invalid} invalid rejected, "
          f"{len(mismatches)} mismatches")
    return 1 if mismatches or inv else 0


def mutation_vectors(path: str):
    """For misreadings.py: the vector file's groups, loaded once."""
    _, groups = load(path)
    if groups is None:
        raise ValueError(f"{path}: cannot load the expiry vectors")
    return groups


def failing_cases(groups, mut: frozenset) -> dict[str, str]:
    """For misreadings.py: case ID ("group/id") -> first mismatch, under the mutations `mut`."""
    out: dict[str, str] = {}
    for line in run_vectors(groups, mut)[0]:
        out.setdefault(line.split(":")[0].removeprefix("expiry/"), line)
    return out


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
    for name, what in MUTATIONS.items():
        mut = frozenset([name])
        # Must the hand-written self-tests catch it? Report both.
        st = 0
        for tname, cap, events, want in SELF_TESTS:
            try:
                if events is None:
                    Machine(cap, mut)
                    st += 1
                elif diff_steps(run_scenario(cap, events, mut), want):
                    st += 1
            except ExpiryError:
                st += events is not None
        mism = per_test(run_vectors(groups, mut)[0])
        # A test catches the mutation when its mismatches differ from the unmutated model's.
        tests = sorted(t for t in set(mism) | set(baseline) if mism.get(t) != baseline.get(t))
        status = f"caught by {len(tests)} test{'s' if len(tests) != 1 else ''}" if tests else "NOT CAUGHT"
        print(f"mutation {name:28s} {status:22s} (self-tests: {st}) — {', '.join(what[0])}: {what[1]}")
        if tests:
            print(f"    e.g. {tests[0]}")
        else:
            uncaught.append(name)
    print(f"mutations: {len(MUTATIONS) - len(uncaught)} of {len(MUTATIONS)} caught by the vectors"
          + (f"; not caught: {', '.join(uncaught)}" if uncaught else ""))
    return 0


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--self-test", action="store_true", help="run the self-tests only")
    p.add_argument("--vectors", default=os.path.join(here, "..", "expiry.json"), help="vector file")
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
