"""Message envelopes (spec/envelope.md): `envelope.seal`, `envelope.open`, `envelope.decode`.

`seal()`, `open_envelope()` and `decode()` are the implementation, on bytes and ints; the three
functions at the bottom read the request and write the result. The sessions part seals and opens
through the same functions (SES-049).
"""

from __future__ import annotations

import os

from .args import Fields, Refused
from .primitives import (
    Reader,
    aead_open,
    aead_seal,
    ct_equal,
    hkdf_expand,
    hkdf_extract,
    sha256,
    u8,
    u16,
    u32,
    u64,
    vec8,
)

VERSION = SUITE = 0x01
FLAG_PADDED = 0x01
MAX_TTL = 31_536_000
MAX_RECIPIENTS = 1000
MAX_CONTENT = 1_048_576
SEALED_MIN, SEALED_MAX = 9, 1_081_344  # ENV-012
CONTENT_TYPES = (1, 2, 3)


def fail(kind: str) -> Refused:
    return Refused("envelope." + kind)


def padme(length: int) -> int:
    """ENV-031: the Padmé length for an unpadded sealed part of `length` (>= 9) bytes."""
    e = length.bit_length() - 1
    s = e.bit_length()
    mask = (1 << (e - s)) - 1
    return (length + mask) & ~mask


def encode_header(h: dict) -> bytes:
    flags = FLAG_PADDED if h["padded"] else 0
    return (
        bytes([VERSION, SUITE, flags])
        + h["messageId"]
        + vec8(h["conversationId"])
        + vec8(h["senderDevice"])
        + u64(h["sentAt"])
        + u32(h["ttl"])
    )


def schedule(content_key: bytes, header: bytes):
    """ENV section 3: (commitment, payload key, payload nonce)."""
    prk = hkdf_extract(b"cinder-env-v1", content_key)
    hh = sha256(header)
    okm = hkdf_expand(prk, b"payload" + hh, 44)
    return hkdf_expand(prk, b"commit" + hh, 32), okm[:32], okm[32:]


def slot_key(wrap_key: bytes, t: bytes, recipient: bytes):
    okm = hkdf_expand(hkdf_extract(b"cinder-env-v1 slot", wrap_key), b"wrap" + t + vec8(recipient), 44)
    return okm[:32], okm[32:]


def check_seal(h: dict, bor: int, content_type: int, content: bytes, devices: list):
    """ENV-040: refuses what would not decode or open, with the code opening would give."""
    if len(content) > MAX_CONTENT:
        raise fail("invalid_sealed")
    for field in ("conversationId", "senderDevice"):
        if not 1 <= len(h[field]) <= 64:
            raise fail("length_out_of_range")
    if not 1 <= h["ttl"] <= MAX_TTL:
        raise fail("invalid_header")
    if not 1 <= len(devices) <= MAX_RECIPIENTS or any(not 1 <= len(d) <= 64 for d in devices):
        raise fail("length_out_of_range")
    if bor > MAX_TTL or content_type not in CONTENT_TYPES:
        raise fail("invalid_sealed")
    if len(set(devices)) != len(devices):
        raise fail("duplicate_recipient")


def seal(h: dict, bor: int, content_type: int, content: bytes, recipients: list, content_key: bytes) -> bytes:
    """ENV-040's checks, then ENV section 3. `recipients`: [(device, wrap key)], in any order."""
    check_seal(h, bor, content_type, content, [device for device, _ in recipients])
    ordered = sorted(recipients)  # ENV-014: Python compares bytes as the spec does, shorter first on a prefix
    sealed = u32(bor) + u8(content_type) + u32(len(content)) + content
    if h["padded"]:
        sealed += bytes(padme(len(sealed)) - len(sealed))
    header = encode_header(h)
    commitment, pk, pn = schedule(content_key, header)
    t = sha256(header + commitment)
    slots = u16(len(ordered))
    for device, wrap_key in ordered:
        sk, sn = slot_key(wrap_key, t, device)
        slots += vec8(device) + aead_seal(sk, sn, b"", content_key)
    before = header + commitment + slots
    ct = aead_seal(pk, pn, before, sealed)
    return before + u32(len(sealed)) + ct


def decode(envelope: bytes) -> dict:
    """ENV-010..ENV-015, in the order the fields come."""
    r = Reader(envelope, fail)
    if r.int(1) != VERSION:
        raise fail("unknown_version")
    if r.int(1) != SUITE:
        raise fail("unknown_suite")
    flags = r.int(1)
    if flags & ~FLAG_PADDED:
        raise fail("reserved_bits")
    d = {"messageId": r.take(16), "conversationId": r.vec8(), "senderDevice": r.vec8()}
    d.update(sentAt=r.int(8), ttl=r.int(4), padded=bool(flags & FLAG_PADDED))
    if not 1 <= d["ttl"] <= MAX_TTL:
        raise fail("invalid_header")
    d["header"] = envelope[: r.pos]
    d["commitment"] = r.take(32)
    d["slots"] = []
    for _ in range(r.bounded(r.int(2), 1, MAX_RECIPIENTS)):
        device, wrapped = r.vec8(), r.take(48)
        if d["slots"]:
            previous = d["slots"][-1][0]
            if previous == device:
                raise fail("duplicate_recipient")
            if previous > device:
                raise fail("recipients_not_sorted")
        d["slots"].append((device, wrapped))
    d["before"] = envelope[: r.pos]
    length = r.bounded(r.int(4), SEALED_MIN, SEALED_MAX)
    d["payload"] = r.take(length + 16)
    r.finish()
    return d


def open_envelope(envelope: bytes, me: bytes, wrap_key: bytes) -> dict:
    """ENV-030: decode, find the slot, unwrap, check the commitment, decrypt, parse the sealed part."""
    d = decode(envelope)
    wrapped = next((w for device, w in d["slots"] if device == me), None)
    if wrapped is None:
        raise fail("not_a_recipient")
    sk, sn = slot_key(wrap_key, sha256(d["header"] + d["commitment"]), me)
    content_key = aead_open(sk, sn, b"", wrapped)
    if content_key is None:
        raise fail("authentication_failed")
    commitment, pk, pn = schedule(content_key, d["header"])
    if not ct_equal(commitment, d["commitment"]):
        raise fail("authentication_failed")
    sealed = aead_open(pk, pn, d["before"], d["payload"])
    if sealed is None:
        raise fail("authentication_failed")
    bor, content_type, length = int.from_bytes(sealed[:4], "big"), sealed[4], int.from_bytes(sealed[5:9], "big")
    end = 9 + length
    if bor > MAX_TTL or content_type not in CONTENT_TYPES or length > MAX_CONTENT or end > len(sealed):
        raise fail("invalid_sealed")
    padding = sealed[end:]
    if d["padded"]:
        if any(padding) or len(sealed) != padme(end):
            raise fail("invalid_sealed")
    elif padding:
        raise fail("invalid_sealed")
    d.update(bor=bor, contentType=content_type, content=sealed[9:end])
    return d


HEADER_OUT = ("messageId", "conversationId", "senderDevice", "sentAt", "ttl", "padded")


def out(d: dict, names) -> dict:
    return {k: (d[k].hex() if isinstance(d[k], bytes) else d[k]) for k in names}


def read_header(f: Fields) -> dict:
    return {
        "messageId": f.hex("messageId", 16),
        "conversationId": f.hex("conversationId"),
        "senderDevice": f.hex("senderDevice"),
        "sentAt": f.u64("sentAt"),
        "ttl": f.u32("ttl"),
        "padded": f.bool("padded"),
    }


SEAL_FIELDS = (*HEADER_OUT, "bor", "contentType", "content")


def op_seal(args: dict) -> dict:
    f = Fields(args).only(*SEAL_FIELDS, "recipients", "contentKey")
    h = read_header(f)
    recipients = [(r.only("device", "wrapKey").hex("device"), r.hex("wrapKey", 32)) for r in f.objects("recipients")]
    # ENV-020: the content key is the only randomness; a vector gives it, a real sender draws it.
    content_key = f.hex("contentKey", 32) if f.has("contentKey") else os.urandom(32)
    env = seal(h, f.u32("bor"), f.uint("contentType", 255), f.hex("content"), recipients, content_key)
    return {"envelope": env.hex()}


def op_open(args: dict) -> dict:
    f = Fields(args).only("envelope", "device", "wrapKey")
    d = open_envelope(f.hex("envelope"), f.hex("device"), f.hex("wrapKey", 32))
    return out(d, SEAL_FIELDS)


def op_decode(args: dict) -> dict:
    d = decode(Fields(args).only("envelope").hex("envelope"))
    result = out(d, HEADER_OUT)
    result.update(recipients=[device.hex() for device, _ in d["slots"]], payloadLength=len(d["payload"]) - 16)
    return result


OPS = {"envelope.seal": op_seal, "envelope.open": op_open, "envelope.decode": op_decode}
