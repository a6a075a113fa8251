#!/usr/bin/env python3
"""Builds fuzz/corpus/<target>/ seed corpora from the committed vector files.

Usage: python3 fuzz/seeds.py   (from anywhere; paths are relative to this file)

identity: every identifier in vectors/identity.json (canonicalize, client_hash and contact_lookup
arguments) becomes one seed, and every verification-code key pair another, in the input format of
fuzz/src/identity.rs: a control byte, then the identifier bytes. The control byte selects the kind
(its index in KIND_ORDER, which must equal `IdentifierKind::ALL`; a unit test in the fuzz crate checks
that) and sets HASH_CHECKS so that the hash checks run on the seed.

envelope_decode: every envelope in vectors/envelope.json (the `envelope` argument of the decode and
open tests, valid and invalid) of at most MAX_DECODE_SEED bytes, as is.

envelope_roundtrip and envelope_open: the arguments of every valid seal test, written as a scenario
in the layout of fuzz/src/envelope.rs (SCENARIO_LAYOUT, which must equal the Rust constant; a unit
test in the fuzz crate checks), cut to the fuzz targets' caps (8 recipients, a shorter body). Each
envelope_open seed puts a MUTATION_LEN-byte mutation in front of a scenario: one seed per mutation
kind and scenario.

retention: every valid scenario of vectors/retention.json, translated event by event into the
input format of fuzz/src/retention.rs: a configuration byte, then four bytes `[kind, a, b, time]` per
event. The fuzz target knows 4 accounts, 6 devices (and an empty one), 2 conversations (and a 65-byte
one), 4 message IDs, 8 ttls and 4 ciphertexts; a scenario's own values are given those slots in the
order they first appear (folded when there are more; an out-of-bounds ID takes the target's
out-of-bounds slot; a ttl or cap the tables lack takes the nearest). Accounts that the scenario
discloses get the even slots first, since the target discloses only accounts 0 and 2; a disclosure
of an account in an odd slot becomes a tick. Time moves only by the steps of the target's table
(RETENTION_DELTAS), so a gap between two events becomes up to RETENTION_MAX_TICKS ticks and the
event's own step, chosen greedily, and the error never accumulates (each event aims at its own
time). A seed is cut at RETENTION_MAX_EVENTS events. The tables must equal the Rust ones (`delta`,
`TTLS`, the decoder's arms); seeds.py decodes every seed it writes with a Python copy of the
decoder and stops if a seed does not say what it was meant to.

session_init: every encoding in vectors/session.json that the target decodes, as is: the init
messages (the initiator's, delivered ones and earlier ones, valid and faulty), the certificates and
signed prekeys of every handshake and scenario setup, and the session headers of scenario events.
The target's responder has keys of its own, so a genuine init message from the vectors reaches key
confirmation and is refused there. (session_events has no seeds: its 4-byte events name the
target's own small network, and the vectors' scenarios do not translate into it.)

Seeds are named by the SHA-1 of their content, as libFuzzer names the inputs it adds, so running
the script twice, or after fuzzing, adds nothing twice. Exits nonzero if a vector file is missing or
holds no usable test, so CI notices a format change instead of fuzzing from an empty corpus.
"""

import hashlib
import json
import pathlib
import sys

FUZZ_DIR = pathlib.Path(__file__).resolve().parent
REPO = FUZZ_DIR.parent

KIND_ORDER = ["user_id", "phone", "email", "device_id"]
HASH_CHECKS = 0b100
# Look-up batches of up to 1,000 generated entries differ little from each other: a few per test
# suffice as seeds, and keep libFuzzer's first pass over the corpus short.
ENTRIES_PER_TEST = 8

# Envelopes above this size (1 MiB bodies) make slow seeds and add no structure the others lack.
MAX_DECODE_SEED = 64 * 1024
SCENARIO_LAYOUT = "shape:1 message_id:16 sent_at:8 ttl:4 bor:4 content_key:32 conversation_id:len8 sender_device:len8 recipients:(key:1 device:len8)* body:rest"
MUTATION_LEN = 10
MAX_FUZZ_RECIPIENTS = 8
MAX_FUZZ_BODY = 512  # envelope_open
MAX_ROUNDTRIP_BODY = 4096
MAX_TTL = 31_536_000
ID_MAX_LEN = 64
MUTATION_KINDS = 6  # nothing, flip, truncate, append, splice, swap slots

# fuzz/src/retention.rs: `delta`, `TTLS`, the decoder's tables and its event kinds (`kind % 17`).
RETENTION_DELTAS = [0, 1, 60, 3600, 86_400, 518_399, 518_400, 518_401, 2_591_999, 2_592_000, 2_592_001,
                    7_776_000, -1, -3600, -86_400, 29]
RETENTION_TTLS = [0, 1, 60, 3600, 86_400, 518_400, 2_592_000, 31_536_000]
RETENTION_CAPS = [None, 1, 3600, 86_400]  # configuration bits 1-2
RETENTION_PROFILES = ["consumer", "enterprise"]  # configuration bit 0
RETENTION_PROFILE_CAP = {"consumer": 518_400, "enterprise": 2_592_000}
RETENTION_PLATFORMS = ["ios", "android", "desktop", "web"]
RETENTION_CHANGES = ["link_external_id", "unlink_external_id", "set_avatar", "remove_avatar"]
RETENTION_CIPHERTEXT_LENS = [0, 1, 10, 64]
RETENTION_ACCOUNTS = 4
RETENTION_DEVICES = 6  # and slot 6, the empty (out-of-bounds) device ID
RETENTION_ROOMS = 2  # and slot 2, a 65-byte (out-of-bounds) conversation ID
RETENTION_MESSAGES = 4  # message IDs [1; 16] to [4; 16]
RETENTION_KINDS = {"register": 0, "add_device": 1, "remove_device": 2, "join": 3, "leave": 4, "block": 5,
                   "unblock": 6, "change_setting": 7, "store": 8, "fetch": 10, "ack": 11, "recall": 13,
                   "terminate": 14, "hold": 15, "disclose": 16, "tick": 16}
RETENTION_T0 = 1_767_225_600
RETENTION_MAX_EVENTS = 256
RETENTION_MAX_TICKS = 12
U64_MAX = 2**64 - 1


def identity_seeds(vectors):
    """Yields (control byte, identifier bytes) for every identifier and key pair in the file."""
    for group in vectors["testGroups"]:
        for test in group["tests"]:
            args = test["args"]
            entries = args.get("entries", [args])[:ENTRIES_PER_TEST]
            for entry in entries:
                if "kind" in entry and "input" in entry:
                    control = KIND_ORDER.index(entry["kind"]) | HASH_CHECKS
                    yield control, bytes.fromhex(entry["input"])
            if "keyA" in args and "keyB" in args:
                # The fuzz input's first 64 bytes are read as two verification-code keys.
                yield KIND_ORDER.index("device_id"), bytes.fromhex(args["keyA"]) + bytes.fromhex(args["keyB"])


def envelope_decode_seeds(vectors):
    """Yields every envelope argument of at most MAX_DECODE_SEED bytes."""
    for group in vectors["testGroups"]:
        for test in group["tests"]:
            envelope = test["args"].get("envelope")
            if envelope is not None and len(envelope) // 2 <= MAX_DECODE_SEED:
                yield bytes.fromhex(envelope)


def id_field(data):
    """An ID in the scenario layout: a length byte l, then 1 + l % 64 bytes."""
    return bytes([len(data) - 1]) + data


def scenario(args, max_body):
    """The scenario bytes of a seal test's arguments, or None when the layout cannot express them."""
    ids = [bytes.fromhex(args["conversationId"]), bytes.fromhex(args["senderDevice"])]
    recipients = [(bytes.fromhex(r["device"]), bytes.fromhex(r["wrapKey"])) for r in args["recipients"]]
    recipients = recipients[:MAX_FUZZ_RECIPIENTS]
    ids += [device for device, _ in recipients]
    if not recipients or any(not 1 <= len(i) <= ID_MAX_LEN for i in ids):
        return None
    if not 1 <= args["ttl"] <= MAX_TTL or not 0 <= args["bor"] <= MAX_TTL or args["contentType"] not in (1, 2, 3):
        return None
    shape = (len(recipients) - 1) | (0b1000 if args["padded"] else 0) | ((args["contentType"] - 1) << 4)
    out = bytes([shape]) + bytes.fromhex(args["messageId"])
    out += args["sentAt"].to_bytes(8, "big") + (args["ttl"] - 1).to_bytes(4, "big") + args["bor"].to_bytes(4, "big")
    out += bytes.fromhex(args["contentKey"]) + id_field(ids[0]) + id_field(ids[1])
    for device, wrap_key in recipients:
        # The layout's wrap key is 32 copies of one byte: the vector key's first byte stands in.
        out += bytes([wrap_key[0]]) + id_field(device)
    return out + bytes.fromhex(args["content"])[:max_body]


def seal_args(vectors):
    for group in vectors["testGroups"]:
        for test in group["tests"]:
            if group["op"] == "envelope.seal" and test["result"] == "valid":
                yield test["args"]


def envelope_roundtrip_seeds(vectors):
    for args in seal_args(vectors):
        seed = scenario(args, MAX_ROUNDTRIP_BODY)
        if seed is not None:
            yield seed


def envelope_open_seeds(vectors):
    """One seed per mutation kind and scenario; openers, keys and offsets vary with the test's index."""
    for index, args in enumerate(seal_args(vectors)):
        seed = scenario(args, MAX_FUZZ_BODY)
        if seed is None:
            continue
        for kind in range(MUTATION_KINDS):
            opener = (index + kind) % (MAX_FUZZ_RECIPIENTS + 1)
            key = index % 4 if kind == 0 else 0
            a, b, d = (97 * index + 31 * kind) % 65536, (13 * index + kind) % 65536, 8 + index % 64
            c = (index + kind) % 256
            mutation = bytes([kind, opener, key]) + a.to_bytes(2, "big") + b.to_bytes(2, "big")
            mutation += d.to_bytes(2, "big") + bytes([c])
            assert len(mutation) == MUTATION_LEN
            yield mutation + seed


def nearest(value, table):
    """The index of the entry of `table` closest to `value` (the first on a tie)."""
    return min(range(len(table)), key=lambda i: abs(table[i] - value))


class Slots:
    """Gives a scenario's values the fuzz target's slots, in the order they first appear."""

    def __init__(self, size):
        self.size = size
        self.map = {}

    def get(self, value):
        if value not in self.map:
            self.map[value] = len(self.map) % self.size
        return self.map[value]


def account_slots(events):
    """Slots for the scenario's accounts: the first two it discloses on slots 0 and 2 (the target
    discloses only those), then the others in the order they first appear."""
    seen = []
    for e in events:
        for field in ("account", "blocked"):
            if field in e and e[field] not in seen:
                seen.append(e[field])
    disclosed = {e["account"] for e in events if e["event"] == "disclose"}
    slots = {a: 2 * n for n, a in enumerate([a for a in seen if a in disclosed][:2])}
    free = [i for i in range(RETENTION_ACCOUNTS) if i not in slots.values()]
    for n, a in enumerate([a for a in seen if a not in slots]):
        slots[a] = free[n] if n < len(free) else n % RETENTION_ACCOUNTS
    return slots


def retention_config(profile, cap):
    """The configuration byte: the profile, and the target's cap nearest to `cap`."""
    caps = list(RETENTION_CAPS)
    if cap is None or cap == RETENTION_PROFILE_CAP[profile]:
        index = 0
    else:
        caps[0] = RETENTION_PROFILE_CAP[profile]
        index = nearest(cap, caps)
    return RETENTION_PROFILES.index(profile) | index << 1


def time_steps(gap):
    """Steps of RETENTION_DELTAS that move the clock by about `gap`: (ticks, the event's own)."""
    ahead = [i for i, d in enumerate(RETENTION_DELTAS) if d > 0]
    ticks = []
    while gap > 0 and len(ticks) < RETENTION_MAX_TICKS:
        fits = [i for i in ahead if RETENTION_DELTAS[i] <= gap]
        i = max(fits, key=lambda i: RETENTION_DELTAS[i])
        if RETENTION_DELTAS[i] == gap:
            break
        ticks.append(i)
        gap -= RETENTION_DELTAS[i]
    # The event's own step: the closest one that moves the clock the same way as what is left.
    same_way = [i for i, d in enumerate(RETENTION_DELTAS) if (d >= 0 if gap >= 0 else d <= 0)]
    own = min(same_way, key=lambda i: abs(RETENTION_DELTAS[i] - gap))
    return ticks, own


def find_byte(ok):
    """The first byte value for which `ok` holds."""
    return next(b for b in range(256) if ok(b))


def retention_scenario(args):
    """The fuzz input of one scenario's args, and the events the target must decode from it:
    (bytes, [(delta, op)]) with ops in the form of `retention_decode`."""
    events = args["events"]
    accounts = account_slots(events)
    devices = Slots(RETENTION_DEVICES)
    rooms = Slots(RETENTION_ROOMS)
    messages = Slots(RETENTION_MESSAGES)

    def device(hexid):
        return devices.get(hexid) if 1 <= len(hexid) // 2 <= 64 else RETENTION_DEVICES

    def room(hexid):
        return rooms.get(hexid) if 1 <= len(hexid) // 2 <= 64 else RETENTION_ROOMS

    out = bytearray([retention_config(args["profile"], args["cap"])])
    want = []
    now, origin = RETENTION_T0, events[0]["at"] if events else 0

    def push(kind, a, b, time, op):
        out.extend([kind, a, b, time])
        want.append((RETENTION_DELTAS[time % 16], op))

    for e in events:
        target = RETENTION_T0 + (e["at"] - origin)
        ticks, own = time_steps(target - now)
        for t in ticks:
            push(RETENTION_KINDS["tick"], 1, 0, t, ("tick",))
            now = max(0, min(U64_MAX, now + RETENTION_DELTAS[t]))
        now = max(0, min(U64_MAX, now + RETENTION_DELTAS[own]))
        kind = RETENTION_KINDS[e["event"]]
        who = accounts.get(e.get("account"), 0)
        name = e["event"]
        if name in ("register", "terminate", "hold"):
            push(kind, who, 0, own, (name, who))
        elif name == "disclose":
            if who % 2 == 0:
                push(kind, who, 0, own, ("disclose", who))
            else:
                push(kind, 1, 0, own, ("tick",))
        elif name == "tick":
            push(kind, 1, 0, own, ("tick",))
        elif name == "add_device":
            platform = RETENTION_PLATFORMS.index(e["platform"])
            d = device(e["device"])
            push(kind, 16 * platform + who, d, own, ("add_device", who, d, platform))
        elif name == "remove_device":
            d = device(e["device"])
            push(kind, who, d, own, ("remove_device", who, d))
        elif name in ("join", "leave"):
            r = room(e["conversation"])
            push(kind, 4 * r + who, 0, own, (name, who, r))
        elif name in ("block", "unblock"):
            other = accounts[e["blocked"]]
            push(kind, who, other, own, (name, who, other))
        elif name == "change_setting":
            change = RETENTION_CHANGES.index(e["change"])
            push(kind, who, change, own, ("change_setting", who, change))
        elif name == "fetch":
            d = device(e["device"])
            push(kind, 0, d, own, ("fetch", d))
        elif name in ("ack", "recall"):
            d, m = device(e["device"]), 1 + messages.get(e["messageId"])
            b = find_byte(lambda b: b % 7 == d and 1 + b // 8 % 4 == m)
            push(kind, 0, b, own, (name, d, m))
        elif name == "store":
            d, m, r = device(e["device"]), 1 + messages.get(e["messageId"]), room(e["conversation"])
            ttl = nearest(e["ttl"], RETENTION_TTLS)
            c = nearest(len(e["ciphertext"]) // 2, RETENTION_CIPHERTEXT_LENS)
            skew = nearest(e["sentAt"] - e["at"], RETENTION_DELTAS)
            b = find_byte(lambda b: b % 7 == d and 1 + b // 8 % 4 == m)
            push(kind + 17 * c, 12 * ttl + 4 * r, b, skew << 4 | own,
                 ("store", d, m, r, RETENTION_TTLS[ttl], c, RETENTION_DELTAS[skew]))
        else:
            raise ValueError(f"unknown retention event {name!r}")
        if len(want) >= RETENTION_MAX_EVENTS:
            break
    return bytes(out[:1 + 4 * RETENTION_MAX_EVENTS]), want[:RETENTION_MAX_EVENTS]


def retention_decode(data):
    """A copy of `decode` in fuzz/src/retention.rs: the configuration byte and the timed events."""
    first, rest = (data[0], data[1:]) if data else (0, b"")
    config = (RETENTION_PROFILES[first & 1], RETENTION_CAPS[(first >> 1) & 3])
    events = []
    for i in range(0, min(len(rest), 4 * RETENTION_MAX_EVENTS), 4):
        kind, a, b, time = (list(rest[i:i + 4]) + [0, 0, 0])[:4]
        who, d, r, m = a % 4, b % 7, a // 4 % 3, 1 + b // 8 % 4
        k = kind % 17
        op = {
            0: lambda: ("register", who),
            1: lambda: ("add_device", who, d, a // 16 % 4),
            2: lambda: ("remove_device", who, d),
            3: lambda: ("join", who, r),
            4: lambda: ("leave", who, r),
            5: lambda: ("block", who, b % 4),
            6: lambda: ("unblock", who, b % 4),
            7: lambda: ("change_setting", who, b % 4),
            8: lambda: ("store", d, m, r, RETENTION_TTLS[a // 12 % 8], kind // 17 % 4,
                        RETENTION_DELTAS[((time << 4 | time >> 4) & 0xff) % 16]),
            10: lambda: ("fetch", d),
            11: lambda: ("ack", d, m),
            13: lambda: ("recall", d, m),
            14: lambda: ("terminate", who),
            15: lambda: ("hold", who),
        }.get({9: 8, 12: 11}.get(k, k))
        if op is not None:
            op = op()
        elif a % 2 == 0:
            op = ("disclose", who)
        else:
            op = ("tick",)
        events.append((RETENTION_DELTAS[time % 16], op))
    return config, events


def retention_seeds(vectors):
    """Yields one seed per valid scenario; stops if a seed does not decode to its events."""
    for group in vectors["testGroups"]:
        for test in group["tests"]:
            if group["op"] != "retention.scenario" or test["result"] != "valid":
                continue
            seed, want = retention_scenario(test["args"])
            (profile, _), got = retention_decode(seed)
            if got != want or profile != test["args"]["profile"]:
                sys.exit(f"seeds.py: the retention seed of {test['id']} does not decode to its events")
            yield seed


def session_init_seeds(vectors):
    """Yields every init message, certificate, signed prekey and session header in the file."""
    for group in vectors["testGroups"]:
        for test in group["tests"]:
            args = test["args"]
            if group["op"] == "session.handshake":
                found = [args.get("initMessage"), test.get("expected", {}).get("initMessage")]
                found += args.get("earlierInitMessages", [])
                found += [args["initiator"]["certificate"], args["responder"]["certificate"]]
                found += [args["bundle"]["certificate"], args["bundle"]["signedPrekey"]]
            else:
                found = [d["certificate"] for d in args["devices"]] + [d["signedPrekey"] for d in args["devices"]]
                found += [event.get("header") for event in args["events"]]
            for value in found:
                if isinstance(value, str):
                    yield bytes.fromhex(value)


def write_corpus(target, seeds):
    out = FUZZ_DIR / "corpus" / target
    out.mkdir(parents=True, exist_ok=True)
    names = set()
    for content in seeds:
        name = hashlib.sha1(content).hexdigest()
        (out / name).write_bytes(content)
        names.add(name)
    if not names:
        sys.exit(f"seeds.py: no seeds for {target}: has the vector format changed?")
    print(f"seeds.py: {len(names)} seeds in {out.relative_to(REPO)}")


def load(name):
    path = REPO / "vectors" / name
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        sys.exit(f"seeds.py: {path} not found")


def main():
    identity = load("identity.json")
    write_corpus("identity", (bytes([control]) + data for control, data in identity_seeds(identity)))
    envelope = load("envelope.json")
    write_corpus("envelope_decode", envelope_decode_seeds(envelope))
    write_corpus("envelope_roundtrip", envelope_roundtrip_seeds(envelope))
    write_corpus("envelope_open", envelope_open_seeds(envelope))
    retention = load("retention.json")
    write_corpus("retention", retention_seeds(retention))
    session = load("session.json")
    write_corpus("session_init", session_init_seeds(session))


if __name__ == "__main__":
    main()
