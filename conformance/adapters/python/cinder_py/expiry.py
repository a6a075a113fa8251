"""Expiry and burn-on-read (spec/expiry.md): one device's copy of one message, `expiry.scenario`.

`Message` is the state machine of EXP-001 (absent, recall noted, unread, read, destroyed);
`handle(event, now)` first lets time act (stage 1 of EXP-003), then applies the event (stage 2).
To wrap your own implementation, replace `Message` and keep `scenario()`'s reading and writing.
"""

from __future__ import annotations

from .args import U64, BadRequest, Fields, Refused, read_events

MAX_TTL = 31_536_000  # EXP-010
SKEW_TOLERANCE = 300  # EXP-021
MAX_PENDING_RECALLERS = 4  # EXP-031
RECALL_MEMORY = MAX_TTL + SKEW_TOLERANCE  # EXP-031
SENDER_MAX_LEN = 64


def sat_add(a: int, b: int) -> int:
    return min(a + b, U64)


def valid_device(device: bytes) -> bool:
    return 1 <= len(device) <= SENDER_MAX_LEN


class Message:
    """One message copy. `phase` is one of absent, recall_noted, unread, read, destroyed."""

    def __init__(self, cap: int | None):
        if cap is not None and not 1 <= cap <= MAX_TTL:
            raise Refused("expiry.invalid_cap", "cap outside 1..31,536,000 (EXP-014)")
        self.cap = cap
        self.clock = 0
        self.phase = "absent"
        self.reason = None  # when destroyed
        self.sender = None  # the sender of a received copy (kept when destroyed, EXP-032)
        self.recallers: list[bytes] = []  # while recall_noted
        self.forget_at = 0
        self.start = self.bor = self.expires_at = self.read_at = self.deadline = 0
        self.content = b""

    def current_deadline(self):
        return {"unread": self.expires_at, "read": self.deadline}.get(self.phase)

    def handle(self, event: dict, now: int):
        """One event at time `now`: (outputs, error code or None)."""
        outputs: list[dict] = []
        self.clock = max(self.clock, now)  # EXP-020: the clock never goes back
        self.advance_time(outputs)
        try:
            getattr(self, "on_" + event["event"])(event, outputs)
            return outputs, None
        except Refused as e:
            return outputs, e.code

    def advance_time(self, outputs):
        if self.phase == "unread" and self.clock >= self.expires_at:
            self.destroy("expired", outputs)
        elif self.phase == "read" and self.clock >= self.deadline:
            self.destroy("burned" if self.deadline < self.expires_at else "expired", outputs)
        elif self.phase == "recall_noted" and self.clock >= self.forget_at:
            self.phase, self.recallers = "absent", []
            outputs.append({"output": "recall_forgotten"})

    def destroy(self, reason: str, outputs):
        if self.phase not in ("unread", "read"):
            self.sender = None
        self.phase, self.reason, self.content = "destroyed", reason, b""
        outputs.append({"output": "destroyed", "reason": reason})

    def on_receive(self, e, outputs):
        if self.phase in ("unread", "read"):
            raise Refused("expiry.duplicate")
        if self.phase == "destroyed":
            raise Refused("expiry.destroyed")
        if not valid_device(e["sender"]) or not 1 <= e["ttl"] <= MAX_TTL or e["bor"] > MAX_TTL:
            raise Refused("expiry.invalid_message")
        pre_recalled = self.phase == "recall_noted" and e["sender"] in self.recallers
        self.recallers = []
        self.sender = e["sender"]
        self.start = min(e["sentAt"], self.clock)  # EXP-021: a sent time in the future counts as now
        ttl = e["ttl"] if self.cap is None else min(e["ttl"], self.cap)
        self.bor, self.expires_at = e["bor"], sat_add(self.start, ttl)
        if pre_recalled:
            self.phase = "unread"
            self.destroy("recalled", outputs)
        elif self.clock >= self.expires_at:
            self.phase = "unread"
            self.destroy("expired", outputs)
        else:
            self.phase, self.content = "unread", e["content"]
            skewed = e["sentAt"] > sat_add(self.clock, SKEW_TOLERANCE)
            outputs.append({"output": "stored", "deadline": self.expires_at, "skewed": skewed})

    def on_read(self, _e, outputs):
        if self.phase == "unread":
            # EXP-011: burn-on-read never extends expiration.
            self.deadline = self.expires_at if self.bor == 0 else min(self.expires_at, sat_add(self.clock, self.bor))
            self.phase, self.read_at = "read", self.clock
        if self.phase == "read":
            outputs.append({"output": "shown", "content": self.content.hex(), "deadline": self.deadline})
        elif self.phase == "destroyed":
            raise Refused("expiry.destroyed")
        else:
            raise Refused("expiry.unknown_message")

    def on_tick(self, _e, _outputs):
        pass

    def on_recall(self, e, outputs):
        by = e["by"]
        if not valid_device(by):
            raise Refused("expiry.not_sender")
        if self.phase in ("unread", "read"):
            if self.sender != by:
                raise Refused("expiry.not_sender")
            self.destroy("recalled", outputs)
        elif self.phase == "destroyed":
            if self.sender is not None and self.sender != by:
                raise Refused("expiry.not_sender")
        elif self.phase == "absent":
            self.phase, self.recallers = "recall_noted", [by]
            self.forget_at = sat_add(self.clock, RECALL_MEMORY)
            outputs.append({"output": "recall_noted"})
        elif by not in self.recallers:
            if len(self.recallers) == MAX_PENDING_RECALLERS:
                raise Refused("expiry.recall_limit")
            self.recallers.append(by)
            outputs.append({"output": "recall_noted"})

    def on_delete(self, _e, outputs):
        if self.phase in ("unread", "read"):
            self.destroy("deleted", outputs)
        elif self.phase in ("absent", "recall_noted"):
            raise Refused("expiry.unknown_message")

    def on_password_reset(self, _e, outputs):
        if self.phase in ("unread", "read"):
            self.destroy("password_reset", outputs)
        elif self.phase == "recall_noted":
            self.phase, self.recallers = "absent", []
            outputs.append({"output": "recall_forgotten"})

    def on_device_removed(self, _e, outputs):
        if self.phase != "destroyed":
            self.destroy("device_removed", outputs)

    def on_set_cap(self, e, outputs):
        cap = e["cap"]
        if cap is not None and not 1 <= cap <= MAX_TTL:
            raise Refused("expiry.invalid_cap")
        self.cap = cap
        if cap is None or self.phase not in ("unread", "read"):
            return
        capped = sat_add(self.start, cap)
        moved = None
        if self.phase == "unread" and capped < self.expires_at:
            self.expires_at = moved = capped
        elif self.phase == "read":
            self.expires_at = min(self.expires_at, capped)
            if capped < self.deadline:
                self.deadline = moved = capped
        if moved is not None:
            if self.clock >= moved:
                self.destroy("expired", outputs)
            else:
                outputs.append({"output": "deadline_moved", "deadline": moved})

    def step(self, outputs, error) -> dict:
        return {
            "phase": self.phase,
            "readable": self.phase in ("unread", "read"),
            "deadline": self.current_deadline(),
            "reason": self.reason if self.phase == "destroyed" else None,
            "outputs": outputs,
            "error": error,
        }


EVENT_FIELDS = {
    "receive": ("sender", "sentAt", "ttl", "bor", "content"),
    "read": (),
    "tick": (),
    "recall": ("by",),
    "delete": (),
    "password_reset": (),
    "device_removed": (),
    "set_cap": ("cap",),
}


def read_field(f: Fields, field: str, _event: str):
    if field in ("sentAt",):
        return f.u64(field)
    if field in ("ttl", "bor"):
        return f.u32(field)
    if field == "cap":
        return f.optional_u32(field)
    return f.hex(field)


def op_scenario(args: dict) -> dict:
    f = Fields(args).only("messageId", "cap", "events")
    f.hex("messageId", 16)
    cap = f.optional_u32("cap")
    events = read_events(f, EVENT_FIELDS, read_field)
    message = Message(cap)
    steps = []
    for at, event in events:
        outputs, error = message.handle(event, at)
        steps.append(message.step(outputs, error))
    return {"steps": steps}


OPS = {"expiry.scenario": op_scenario}

__all__ = ["OPS", "BadRequest"]
