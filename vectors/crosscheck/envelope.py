#!/usr/bin/env python3
"""Independent cross-check of Cinder's message-envelope vectors (vectors/envelope.json).

This is a second implementation of the message-envelope chapter, written in Python from
spec/envelope.md (requirements ENV-001 to ENV-040) and the conventions of spec/README.md, not from
the Rust reference or the vector generator. It reads the vector file and, for every test:

- `envelope.seal`: rebuilds the envelope from the header fields, the sealed fields, the recipients
  and the content key, and compares it byte for byte; or rejects the inputs with the same code;
- `envelope.open`: decodes, finds the slot, unwraps the content key, checks the commitment,
  decrypts and parses the sealed part, and compares every opened field; or fails with the same code;
- `envelope.decode`: decodes the routing structure without a key and compares every field; or fails
  with the same code.

Primitives come from outside this project: HMAC and SHA-256 from the standard library, HKDF-Expand
and ChaCha20-Poly1305 from the `cryptography` package. Before touching the vectors the script
checks them against published answers (RFC 8439 section 2.8.2, RFC 5869 appendix A.1), checks
`cryptography`'s HKDF-Expand against the expansion spelled out from RFC 5869 with `hmac`, and checks
its own encoding, Padme function and decoder against values worked out by hand. It also checks that
it rejects three faults no test in envelope.json exercises: a commitment that is not the content
key's with slots and payload bound to it (ENV-023), a correctly padded body of 1 MiB + 1 byte
(ENV-032), and a recipient placed after its own extension (ENV-014).

Order of checks. Where the spec fixes an order the script follows it: version, then suite, before
any other field (ENV-010); each length when it is read, before the bytes it announces (ENV-012); the
opening steps of ENV-030. Where the spec does not fix an order (when the reserved flag bits, `ttl`
and the recipient order are checked relative to later structural faults), the script checks each
field as it is read, and additionally decodes every invalid vector a second time with those checks
deferred to after the whole structure has been read. A test whose code differs between the two
orders depends on an order the spec leaves open; such tests are listed (they are not mismatches).
For seal, every fault of the inputs is listed, and tests with more than one are reported.

Usage:
    python3 envelope.py                 # self-tests, then ../envelope.json
    python3 envelope.py --self-test     # self-tests only
    python3 envelope.py --vectors FILE  # self-tests, then FILE

Exit status: 0 when everything agrees, 1 on any mismatch or self-test failure, 2 when the vector
file is missing or malformed.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import struct
import sys
import time

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand

# ---------------------------------------------------------------------------------------------
# Parameters (spec/envelope.md section 1, section 2, section 3).
# ---------------------------------------------------------------------------------------------

VERSION = 0x01
SUITE = 0x01
FLAG_PADDED = 0x01
FLAGS_RESERVED = 0xFE  # bits 1..7

MESSAGE_ID_LEN = 16
ID_LEN = (1, 64)  # conversation_id, sender_device, each recipient
COUNT = (1, 1000)
TTL = (1, 31_536_000)
BOR_MAX = 31_536_000
CONTENT_TYPES = (0x01, 0x02, 0x03)
CONTENT_MAX = 1_048_576
SEALED_FIXED = 9  # u32(bor) || u8(content_type) || u32(len(content))
CIPHERTEXT_LEN = (9, 1_081_344)
COMMITMENT_LEN = 32
WRAPPED_LEN = 48
TAG_LEN = 16
KEY_LEN = 32
NONCE_LEN = 12

SALT_CONTENT = b"cinder-env-v1"
SALT_SLOT = b"cinder-env-v1 slot"
INFO_COMMIT = b"commit"
INFO_PAYLOAD = b"payload"
INFO_WRAP = b"wrap"

U32_MAX = 2**32 - 1
U64_MAX = 2**64 - 1

E_VERSION = "envelope.unknown_version"
E_SUITE = "envelope.unknown_suite"
E_RESERVED = "envelope.reserved_bits"
E_LENGTH = "envelope.length_out_of_range"
E_TRUNCATED = "envelope.truncated"
E_TRAILING = "envelope.trailing_data"
E_NOT_SORTED = "envelope.recipients_not_sorted"
E_DUPLICATE = "envelope.duplicate_recipient"
E_HEADER = "envelope.invalid_header"
E_NOT_RECIPIENT = "envelope.not_a_recipient"
E_AUTH = "envelope.authentication_failed"
E_SEALED = "envelope.invalid_sealed"


class EnvelopeError(Exception):
    """A protocol rejection, carrying its error code (spec/README.md section 4)."""

    def __init__(self, code: str, why: str):
        super().__init__(f"{code}: {why}")
        self.code = code
        self.why = why


class BadArgs(Exception):
    """Arguments that are malformed rather than a protocol fault (the adapter's bad_request)."""


# ---------------------------------------------------------------------------------------------
# Primitives.
# ---------------------------------------------------------------------------------------------


def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    """RFC 5869 section 2.2: PRK = HMAC-Hash(salt, IKM)."""
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    return HKDFExpand(algorithm=hashes.SHA256(), length=length, info=info).derive(prk)


def hkdf_expand_by_hand(prk: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 section 2.3 spelled out with hmac, to check the library's HKDF-Expand."""
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([i]), hashlib.sha256).digest()
        out += block
        i += 1
    return out[:length]


def aead_seal(key: bytes, nonce: bytes, aad: bytes, plaintext: bytes) -> bytes:
    """ChaCha20-Poly1305 (RFC 8439): ciphertext || tag."""
    return ChaCha20Poly1305(key).encrypt(nonce, plaintext, aad)


def aead_open(key: bytes, nonce: bytes, aad: bytes, sealed: bytes) -> bytes:
    try:
        return ChaCha20Poly1305(key).decrypt(nonce, sealed, aad)
    except InvalidTag:
        raise EnvelopeError(E_AUTH, "tag does not verify") from None


def padme(length: int) -> int:
    """ENV-031, for L >= 9."""
    if length < SEALED_FIXED:
        raise ValueError("padme is defined for L >= 9")
    e = length.bit_length() - 1  # floor(log2(L))
    s = e.bit_length()  # floor(log2(E)) + 1
    mask = (1 << (e - s)) - 1
    return (length + mask) & ~mask


# ---------------------------------------------------------------------------------------------
# Key schedule (section 3).
# ---------------------------------------------------------------------------------------------


def vec8(x: bytes) -> bytes:
    if len(x) > 255:
        raise ValueError("vec8 of more than 255 bytes")
    return bytes([len(x)]) + x


def content_keys(ck: bytes, header: bytes) -> tuple[bytes, bytes, bytes]:
    """commitment, pk, pn from the content key and the encoded header."""
    prk = hkdf_extract(SALT_CONTENT, ck)
    hh = hashlib.sha256(header).digest()
    commitment = hkdf_expand(prk, INFO_COMMIT + hh, COMMITMENT_LEN)
    okm = hkdf_expand(prk, INFO_PAYLOAD + hh, KEY_LEN + NONCE_LEN)
    return commitment, okm[:KEY_LEN], okm[KEY_LEN:]


def slot_keys(wk: bytes, t: bytes, recipient: bytes) -> tuple[bytes, bytes]:
    """sk_r, sn_r from the wrap key, t = SHA-256(header || commitment) and the recipient."""
    sprk = hkdf_extract(SALT_SLOT, wk)
    okm = hkdf_expand(sprk, INFO_WRAP + t + vec8(recipient), KEY_LEN + NONCE_LEN)
    return okm[:KEY_LEN], okm[KEY_LEN:]


# ---------------------------------------------------------------------------------------------
# Encoding (section 2).
# ---------------------------------------------------------------------------------------------


def encode_header(h: dict) -> bytes:
    flags = FLAG_PADDED if h["padded"] else 0
    return (
        bytes([VERSION, SUITE, flags])
        + h["messageId"]
        + vec8(h["conversationId"])
        + vec8(h["senderDevice"])
        + struct.pack(">QI", h["sentAt"], h["ttl"])
    )


def encode_slots(slots: list[tuple[bytes, bytes]]) -> bytes:
    return struct.pack(">H", len(slots)) + b"".join(vec8(r) + w for r, w in slots)


def encode_sealed(bor: int, content_type: int, content: bytes, padded: bool) -> bytes:
    body = struct.pack(">IBI", bor, content_type, len(content)) + content
    if padded:
        body += bytes(padme(len(body)) - len(body))
    return body


# ---------------------------------------------------------------------------------------------
# Sealing (section 5, ENV-040).
# ---------------------------------------------------------------------------------------------


def seal_faults(a: dict) -> list[tuple[str, str]]:
    """Every fault of seal inputs, in the order this script checks them (ENV-040)."""
    faults = []
    for name in ("conversationId", "senderDevice"):
        if not ID_LEN[0] <= len(a[name]) <= ID_LEN[1]:
            faults.append((E_LENGTH, f"{name} is {len(a[name])} bytes"))
    if not TTL[0] <= a["ttl"] <= TTL[1]:
        faults.append((E_HEADER, f"ttl = {a['ttl']}"))
    recipients = [r for r, _ in a["recipients"]]
    if not COUNT[0] <= len(recipients) <= COUNT[1]:
        faults.append((E_LENGTH, f"{len(recipients)} recipients"))
    for r in recipients:
        if not ID_LEN[0] <= len(r) <= ID_LEN[1]:
            faults.append((E_LENGTH, f"recipient {r.hex()} is {len(r)} bytes"))
    ordered = sorted(recipients)
    for x, y in zip(ordered, ordered[1:]):
        if x == y:
            faults.append((E_DUPLICATE, f"recipient {x.hex()} twice"))
    if a["bor"] > BOR_MAX:
        faults.append((E_SEALED, f"bor = {a['bor']}"))
    if a["contentType"] not in CONTENT_TYPES:
        faults.append((E_SEALED, f"content type {a['contentType']}"))
    if len(a["content"]) > CONTENT_MAX:
        # A sealed field out of its bounds: ENV-032's code, "as for opening" (ENV-040).
        faults.append((E_SEALED, f"content of {len(a['content'])} bytes"))
    return faults


def assemble(
    a: dict, recipients: list[tuple[bytes, bytes]], sealed: bytes, commitment: bytes | None = None
) -> bytes:
    """Section 3 as written, with no checks: the recipients in the order given, the sealed part
    as given. `commitment` replaces the derived one (self-tests build faulty senders with it)."""
    header = encode_header(a)
    ck = a["contentKey"]
    derived, pk, pn = content_keys(ck, header)
    commitment = derived if commitment is None else commitment
    t = hashlib.sha256(header + commitment).digest()
    slots = []
    for r, wk in recipients:
        sk, sn = slot_keys(wk, t, r)
        slots.append((r, aead_seal(sk, sn, b"", ck)))
    aad = header + commitment + encode_slots(slots)
    ct_tag = aead_seal(pk, pn, aad, sealed)
    return aad + struct.pack(">I", len(sealed)) + ct_tag


def seal(a: dict) -> bytes:
    faults = seal_faults(a)
    if faults:
        raise EnvelopeError(*faults[0])
    recipients = sorted(a["recipients"], key=lambda rw: rw[0])  # ENV-014
    sealed = encode_sealed(a["bor"], a["contentType"], a["content"], a["padded"])
    return assemble(a, recipients, sealed)


# ---------------------------------------------------------------------------------------------
# Decoding (section 2, ENV-010..ENV-015).
# ---------------------------------------------------------------------------------------------


class Reader:
    def __init__(self, buf: bytes):
        self.buf = buf
        self.pos = 0

    def take(self, n: int, what: str) -> bytes:
        if len(self.buf) - self.pos < n:
            raise EnvelopeError(E_TRUNCATED, f"input ends inside {what} at {len(self.buf)}")
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out

    def u8(self, what: str) -> int:
        return self.take(1, what)[0]

    def u16(self, what: str) -> int:
        return struct.unpack(">H", self.take(2, what))[0]

    def u32(self, what: str) -> int:
        return struct.unpack(">I", self.take(4, what))[0]

    def u64(self, what: str) -> int:
        return struct.unpack(">Q", self.take(8, what))[0]

    def bounded(self, width: str, bounds: tuple[int, int], what: str) -> int:
        n = {"u8": self.u8, "u16": self.u16, "u32": self.u32}[width](f"{what} length")
        if not bounds[0] <= n <= bounds[1]:  # ENV-012: reported when the length is read
            raise EnvelopeError(E_LENGTH, f"{what} length {n}")
        return n


def decode(buf: bytes, deferred: bool = False) -> dict:
    """Decode an envelope. With deferred=True, the checks whose timing the spec leaves open
    (reserved bits, ttl, recipient order) run after the whole structure has been read."""
    rd = Reader(buf)
    later = []  # deferred semantic checks, as thunks

    def check(thunk):
        if deferred:
            later.append(thunk)
        else:
            thunk()

    version = rd.u8("version")
    if version != VERSION:
        raise EnvelopeError(E_VERSION, f"version {version}")
    suite = rd.u8("suite")
    if suite != SUITE:
        raise EnvelopeError(E_SUITE, f"suite {suite}")
    flags = rd.u8("flags")

    def flags_ok():
        if flags & FLAGS_RESERVED:
            raise EnvelopeError(E_RESERVED, f"flags {flags:#04x}")

    check(flags_ok)
    message_id = rd.take(MESSAGE_ID_LEN, "message_id")
    conversation_id = rd.take(rd.bounded("u8", ID_LEN, "conversation_id"), "conversation_id")
    sender_device = rd.take(rd.bounded("u8", ID_LEN, "sender_device"), "sender_device")
    sent_at = rd.u64("sent_at")
    ttl = rd.u32("ttl")

    def ttl_ok():
        if not TTL[0] <= ttl <= TTL[1]:
            raise EnvelopeError(E_HEADER, f"ttl = {ttl}")

    check(ttl_ok)
    header_end = rd.pos
    commitment = rd.take(COMMITMENT_LEN, "commitment")
    count = rd.bounded("u16", COUNT, "recipient count")
    slots: list[tuple[bytes, bytes]] = []
    for i in range(count):
        r = rd.take(rd.bounded("u8", ID_LEN, f"recipient {i}"), f"recipient {i}")
        w = rd.take(WRAPPED_LEN, f"wrapped key {i}")
        if slots:
            prev = slots[-1][0]

            def order_ok(prev=prev, r=r, i=i):
                if r == prev:
                    raise EnvelopeError(E_DUPLICATE, f"recipient {i} repeats {r.hex()}")
                if r < prev:
                    raise EnvelopeError(E_NOT_SORTED, f"recipient {i} descends")

            check(order_ok)
        slots.append((r, w))
    payload_start = rd.pos
    n = rd.bounded("u32", CIPHERTEXT_LEN, "ciphertext")
    ciphertext = rd.take(n, "ciphertext")
    tag = rd.take(TAG_LEN, "tag")
    if rd.pos != len(buf):
        raise EnvelopeError(E_TRAILING, f"{len(buf) - rd.pos} bytes after the tag")
    for thunk in later:
        thunk()
    return {
        "header": buf[:header_end],
        "aad": buf[:payload_start],
        "padded": bool(flags & FLAG_PADDED),
        "messageId": message_id,
        "conversationId": conversation_id,
        "senderDevice": sender_device,
        "sentAt": sent_at,
        "ttl": ttl,
        "commitment": commitment,
        "slots": slots,
        "ciphertext": ciphertext,
        "tag": tag,
    }


def reencode(d: dict) -> bytes:
    return (
        encode_header(d)
        + d["commitment"]
        + encode_slots(d["slots"])
        + struct.pack(">I", len(d["ciphertext"]))
        + d["ciphertext"]
        + d["tag"]
    )


# ---------------------------------------------------------------------------------------------
# Opening (section 4, ENV-030..ENV-033).
# ---------------------------------------------------------------------------------------------


def parse_sealed(sealed: bytes, padded: bool) -> tuple[int, int, bytes]:
    """ENV-031 and ENV-032; every failure is envelope.invalid_sealed."""
    if len(sealed) < SEALED_FIXED:  # cannot happen after ENV-012, kept for safety
        raise EnvelopeError(E_SEALED, "sealed part shorter than 9 bytes")
    bor, content_type, n = struct.unpack(">IBI", sealed[:SEALED_FIXED])
    if bor > BOR_MAX:
        raise EnvelopeError(E_SEALED, f"bor = {bor}")
    if content_type not in CONTENT_TYPES:
        raise EnvelopeError(E_SEALED, f"content type {content_type}")
    if n > CONTENT_MAX:
        raise EnvelopeError(E_SEALED, f"content length {n}")
    if SEALED_FIXED + n > len(sealed):
        raise EnvelopeError(E_SEALED, f"content length {n} beyond the plaintext")
    content = sealed[SEALED_FIXED : SEALED_FIXED + n]
    padding = sealed[SEALED_FIXED + n :]
    if not padded:
        if padding:
            raise EnvelopeError(E_SEALED, f"{len(padding)} bytes of padding, flag clear")
    else:
        if len(sealed) != padme(SEALED_FIXED + n):
            raise EnvelopeError(E_SEALED, f"sealed {len(sealed)} != padme {padme(SEALED_FIXED + n)}")
        if padding.count(0) != len(padding):
            raise EnvelopeError(E_SEALED, "non-zero padding")
    return bor, content_type, content


def open_envelope(buf: bytes, me: bytes, wk: bytes, deferred: bool = False) -> dict:
    d = decode(buf, deferred)  # step 1
    wrapped = None
    for r, w in d["slots"]:  # step 2
        if r == me:
            wrapped = w
            break
    if wrapped is None:
        raise EnvelopeError(E_NOT_RECIPIENT, f"no slot for {me.hex()}")
    t = hashlib.sha256(d["header"] + d["commitment"]).digest()
    sk, sn = slot_keys(wk, t, me)  # step 3
    ck = aead_open(sk, sn, b"", wrapped)
    commitment, pk, pn = content_keys(ck, d["header"])  # step 4
    if not hmac.compare_digest(commitment, d["commitment"]):
        raise EnvelopeError(E_AUTH, "commitment mismatch")
    sealed = aead_open(pk, pn, d["aad"], d["ciphertext"] + d["tag"])  # step 5
    bor, content_type, content = parse_sealed(sealed, d["padded"])  # step 6
    return {
        "messageId": d["messageId"],
        "conversationId": d["conversationId"],
        "senderDevice": d["senderDevice"],
        "sentAt": d["sentAt"],
        "ttl": d["ttl"],
        "padded": d["padded"],
        "bor": bor,
        "contentType": content_type,
        "content": content,
    }


# ---------------------------------------------------------------------------------------------
# Self-tests: published values for the primitives, hand-worked values for the rest.
# ---------------------------------------------------------------------------------------------

RFC8439_KEY = bytes(range(0x80, 0xA0))
RFC8439_NONCE = bytes.fromhex("070000004041424344454647")
RFC8439_AAD = bytes.fromhex("50515253c0c1c2c3c4c5c6c7")
RFC8439_PT = (
    b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
    b"future, sunscreen would be it."
)
RFC8439_CT = bytes.fromhex(
    "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
    "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
    "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
    "3ff4def08e4b7a9de576d26586cec64b6116"
)
RFC8439_TAG = bytes.fromhex("1ae10b594f09e26a7e902ecbd0600691")

RFC5869_IKM = bytes([0x0B] * 22)
RFC5869_SALT = bytes(range(0x00, 0x0D))
RFC5869_INFO = bytes(range(0xF0, 0xFA))
RFC5869_PRK = bytes.fromhex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5")
RFC5869_OKM = bytes.fromhex(
    "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
)


def self_test() -> list[str]:
    failures = []

    def expect(name, got, want):
        if got != want:
            failures.append(f"{name}: got {got!r}, want {want!r}")

    # RFC 8439 section 2.8.2.
    out = aead_seal(RFC8439_KEY, RFC8439_NONCE, RFC8439_AAD, RFC8439_PT)
    expect("RFC 8439 2.8.2 encrypt", out, RFC8439_CT + RFC8439_TAG)
    expect("RFC 8439 2.8.2 decrypt", aead_open(RFC8439_KEY, RFC8439_NONCE, RFC8439_AAD, out), RFC8439_PT)
    for i in (0, len(out) // 2, len(out) - 1):
        bad = bytearray(out)
        bad[i] ^= 0x01
        try:
            aead_open(RFC8439_KEY, RFC8439_NONCE, RFC8439_AAD, bytes(bad))
            failures.append(f"RFC 8439 2.8.2: flipped byte {i} still opens")
        except EnvelopeError as e:
            expect(f"RFC 8439 2.8.2 flipped byte {i}", e.code, E_AUTH)

    # RFC 5869 appendix A.1 (test case 1): extract with hmac, expand with the library and by hand.
    prk = hkdf_extract(RFC5869_SALT, RFC5869_IKM)
    expect("RFC 5869 A.1 PRK", prk, RFC5869_PRK)
    expect("RFC 5869 A.1 OKM (HKDFExpand)", hkdf_expand(prk, RFC5869_INFO, 42), RFC5869_OKM)
    expect("RFC 5869 A.1 OKM (by hand)", hkdf_expand_by_hand(prk, RFC5869_INFO, 42), RFC5869_OKM)
    full = HKDF(algorithm=hashes.SHA256(), length=42, salt=RFC5869_SALT, info=RFC5869_INFO)
    expect("RFC 5869 A.1 OKM (HKDF)", full.derive(RFC5869_IKM), RFC5869_OKM)
    # The two lengths the key schedule uses, with info shaped like its own.
    for n in (32, 44):
        info = INFO_WRAP + bytes(range(32)) + vec8(b"bob-phone")
        expect(f"HKDF-Expand {n} bytes vs by hand", hkdf_expand(prk, info, n), hkdf_expand_by_hand(prk, info, n))

    # Padme (ENV-031), worked by hand: E = floor(log2 L), S = floor(log2 E) + 1, mask = 2^(E-S) - 1.
    for length, want in [
        (9, 10),  # E=3 S=2 mask=1
        (10, 10),
        (21, 22),  # E=4 S=3 mask=1
        (22, 22),
        (100, 104),  # E=6 S=3 mask=7
        (109, 112),
        (112, 112),
        (255, 256),  # E=7 S=3 mask=15
        (256, 256),  # E=8 S=4 mask=15
        (257, 272),
        (1000, 1024),  # E=9 S=4 mask=31
        (65536, 65536),  # E=16 S=5 mask=2047
        (65537, 67584),
        (1_048_585, 1_081_344),  # the largest sealed part: 9 + 1 MiB (ENV-012)
    ]:
        expect(f"padme({length})", padme(length), want)
    for length in range(9, 1 << 16):
        p = padme(length)
        if not (length <= p and (p - length) * 100 <= 12 * length and padme(p) == p):
            failures.append(f"padme({length}) = {p}: not a fixed point within 12%")
            break

    # Header layout, written out by hand from section 2.
    h = {
        "padded": True,
        "messageId": bytes(range(16)),
        "conversationId": b"room",
        "senderDevice": b"al",
        "sentAt": 0x0102030405060708,
        "ttl": 86400,
    }
    want = bytes.fromhex(
        "01" "01" "01" "000102030405060708090a0b0c0d0e0f" "04" "726f6f6d" "02" "616c"
        "0102030405060708" "00015180"
    )
    expect("header bytes", encode_header(h), want)
    expect(
        "sealed bytes, padded",
        encode_sealed(60, 1, b"hi", True),
        bytes.fromhex("0000003c" "01" "00000002" "6869" "00"),  # L = 11, padme(11) = 12
    )
    expect("sealed bytes, unpadded", encode_sealed(0, 3, b"", False), bytes.fromhex("00000000" "03" "00000000"))

    # A small envelope through seal, decode, open; every proper prefix is truncated, any
    # appended byte is trailing data, and decoding then encoding gives back the same bytes.
    args = dict(h)
    args.update(
        bor=60,
        contentType=1,
        content=b"hello",
        contentKey=bytes([7]) * 32,
        recipients=[(b"carol", bytes([3]) * 32), (b"bob", bytes([2]) * 32), (b"bob-phone", bytes([1]) * 32)],
    )
    env = seal(args)
    d = decode(env)
    expect("decode recipients sorted", [r for r, _ in d["slots"]], [b"bob", b"bob-phone", b"carol"])
    expect("decode ciphertext length", len(d["ciphertext"]), padme(9 + 5))
    expect("re-encode", reencode(d), env)
    payload_len = 4 + len(d["ciphertext"]) + TAG_LEN
    expect("aad is the bytes before the payload", (env[: -payload_len], len(env)), (d["aad"], len(d["aad"]) + payload_len))
    for r, wk in args["recipients"]:
        o = open_envelope(env, r, wk)
        expect(f"open as {r!r}", (o["content"], o["bor"], o["contentType"]), (b"hello", 60, 1))
    for cut in range(len(env)):
        try:
            decode(env[:cut])
            failures.append(f"prefix of {cut} bytes decodes")
        except EnvelopeError as e:
            if e.code != E_TRUNCATED:
                failures.append(f"prefix of {cut} bytes: {e.code}")
                break
    for extra in (b"\x00", b"\xff", env):
        try:
            decode(env + extra)
            failures.append("trailing bytes decode")
        except EnvelopeError as e:
            expect("trailing", e.code, E_TRAILING)
    # Flipping any bit before the payload, or in it, fails for bob (or drops his slot).
    for i in range(len(env)):
        bad = bytearray(env)
        bad[i] ^= 0x01
        try:
            open_envelope(bytes(bad), b"bob", bytes([2]) * 32)
            failures.append(f"bit flip at {i} still opens")
        except EnvelopeError:
            pass

    # Faults no vector in envelope.json exercises (see the README): each must be rejected here.
    recipients = sorted(args["recipients"])

    def expect_code(name, thunk, code):
        try:
            thunk()
            failures.append(f"{name}: accepted, want {code}")
        except EnvelopeError as e:
            expect(name, e.code, code)

    # ENV-023: a sender writes a commitment that is not the content key's, and binds slots and
    # payload to it consistently. Only the commitment check catches it.
    wrong = assemble(args, recipients, encode_sealed(60, 1, b"hello", True), commitment=bytes(32))
    expect("wrong commitment decodes", decode(wrong)["commitment"], bytes(32))
    expect_code("ENV-023 wrong commitment", lambda: open_envelope(wrong, b"bob", bytes([2]) * 32), E_AUTH)
    # ENV-032: a 1 MiB + 1 byte body, correctly padded, fits ENV-012's bound; open must refuse it.
    big = encode_sealed(0, 1, bytes(CONTENT_MAX + 1), True)
    expect("1 MiB + 1 padded length", len(big), CIPHERTEXT_LEN[1])
    too_big = assemble(args, recipients, big)
    expect_code("ENV-032 body of 1 MiB + 1", lambda: open_envelope(too_big, b"bob", bytes([2]) * 32), E_SEALED)
    # ENV-014: a recipient after its own extension ("bob-phone" then "bob") descends.
    swapped = [recipients[1], recipients[0], recipients[2]]
    expect_code("ENV-014 prefix after extension", lambda: decode(assemble(args, swapped, big[:16])), E_NOT_SORTED)
    return failures


# ---------------------------------------------------------------------------------------------
# Vectors.
# ---------------------------------------------------------------------------------------------


def unhex(value: object, name: str, length: int | None = None) -> bytes:
    if not isinstance(value, str) or value != value.lower():
        raise BadArgs(f"{name} is not lowercase hex")
    try:
        out = bytes.fromhex(value)
    except ValueError:
        raise BadArgs(f"{name} is not hex") from None
    if length is not None and len(out) != length:
        raise BadArgs(f"{name} is {len(out)} bytes, not {length}")
    return out


def uint(value: object, name: str, top: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= top:
        raise BadArgs(f"{name} is not an integer in 0..{top}")
    return value


def seal_args(a: dict) -> dict:
    if not isinstance(a.get("padded"), bool):
        raise BadArgs("padded is not a boolean")
    return {
        "messageId": unhex(a["messageId"], "messageId", MESSAGE_ID_LEN),
        "conversationId": unhex(a["conversationId"], "conversationId"),
        "senderDevice": unhex(a["senderDevice"], "senderDevice"),
        "sentAt": uint(a["sentAt"], "sentAt", U64_MAX),
        # ttl, bor and contentType: out-of-range values are protocol faults, so only their
        # encodability is checked here; seal_faults checks the bounds.
        "ttl": uint(a["ttl"], "ttl", U32_MAX),
        "padded": a["padded"],
        "bor": uint(a["bor"], "bor", U32_MAX),
        "contentType": uint(a["contentType"], "contentType", 255),
        "content": unhex(a["content"], "content"),
        "recipients": [
            (unhex(r["device"], "device"), unhex(r["wrapKey"], "wrapKey", KEY_LEN)) for r in a["recipients"]
        ],
        "contentKey": unhex(a["contentKey"], "contentKey", KEY_LEN),
    }


def as_json(fields: dict) -> dict:
    return {k: (v.hex() if isinstance(v, bytes) else v) for k, v in fields.items()}


def run_op(op: str, args: dict, deferred: bool = False) -> dict:
    if op == "envelope.seal":
        return {"envelope": seal(seal_args(args)).hex()}
    if op == "envelope.open":
        env = unhex(args["envelope"], "envelope")
        me = unhex(args["device"], "device")
        out = open_envelope(env, me, unhex(args["wrapKey"], "wrapKey", KEY_LEN), deferred)
        return as_json(out)
    if op == "envelope.decode":
        d = decode(unhex(args["envelope"], "envelope"), deferred)
        out = {k: d[k] for k in ("messageId", "conversationId", "senderDevice", "sentAt", "ttl", "padded")}
        out["recipients"] = [r.hex() for r, _ in d["slots"]]
        out["payloadLength"] = len(d["ciphertext"])
        return as_json(out)
    raise BadArgs(f"unknown op {op}")


def consistency(op: str, args: dict, expected: dict) -> list[str]:
    """Extra checks on valid tests, beyond comparing `expected`."""
    problems = []
    if op == "envelope.seal":
        a = seal_args(args)
        env = bytes.fromhex(expected["envelope"])
        d = decode(env)
        if reencode(d) != env:
            problems.append("the expected envelope does not re-encode to itself")
        for name in ("messageId", "conversationId", "senderDevice", "sentAt", "ttl", "padded"):
            if d[name] != a[name]:
                problems.append(f"decoded {name} differs from the seal argument")
        recipients = sorted(a["recipients"], key=lambda rw: rw[0])
        sample = recipients if len(recipients) <= 8 else recipients[:2] + recipients[-2:]
        for r, wk in sample:
            o = open_envelope(env, r, wk)
            if (o["bor"], o["contentType"], o["content"]) != (a["bor"], a["contentType"], a["content"]):
                problems.append(f"opened as {r.hex()}: sealed fields differ from the seal arguments")
    elif op == "envelope.decode":
        env = bytes.fromhex(args["envelope"])
        if reencode(decode(env)) != env:
            problems.append("decoding then encoding does not give back the same bytes (ENV-014)")
    return problems


def first_difference(a: str, b: str) -> str:
    for i in range(0, min(len(a), len(b)), 2):
        if a[i : i + 2] != b[i : i + 2]:
            return f"first differing byte at offset {i // 2} (lengths {len(a) // 2} and {len(b) // 2})"
    return f"lengths {len(a) // 2} and {len(b) // 2}"


def check_vectors(path: str) -> int:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        groups = data["testGroups"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"crosscheck envelope: cannot read {path}: {e}", file=sys.stderr)
        return 2

    mismatches: list[str] = []
    order_dependent: list[str] = []
    multi_fault: list[str] = []
    valid = invalid = 0
    total = sum(len(g["tests"]) for g in groups)
    if data.get("part") != "envelope":
        mismatches.append(f"file: part is {data.get('part')!r}, not 'envelope'")
    if data.get("numberOfTests") != total:
        mismatches.append(f"file: numberOfTests {data.get('numberOfTests')} but {total} tests")
    seen_ids: set[str] = set()

    for g in groups:
        op = g["op"]
        for t in g["tests"]:
            tid = t["id"]
            if tid in seen_ids:
                mismatches.append(f"{tid}: duplicate test ID")
            seen_ids.add(tid)
            try:
                got = run_op(op, t["args"])
                err = None
            except EnvelopeError as e:
                got, err = None, e
            except (BadArgs, KeyError, TypeError) as e:
                mismatches.append(f"{tid}: malformed arguments here: {e}")
                continue

            if t["result"] == "valid":
                if err is not None:
                    mismatches.append(f"{tid}: expected valid, rejected here with {err}")
                    continue
                exp = t["expected"]
                bad = False
                for k in sorted(set(exp) | set(got)):
                    if k not in exp:
                        mismatches.append(f"{tid}: field {k} computed here is missing from expected")
                        bad = True
                    elif k not in got:
                        mismatches.append(f"{tid}: expected field {k} is not computed here")
                        bad = True
                    elif got[k] != exp[k]:
                        if isinstance(got[k], str) and isinstance(exp[k], str):
                            detail = first_difference(got[k], exp[k])
                        else:
                            detail = f"here {got[k]!r}, vector {exp[k]!r}"
                        mismatches.append(f"{tid}: {k} differs: {detail}")
                        bad = True
                try:
                    problems = consistency(op, t["args"], exp)
                except EnvelopeError as e:
                    problems = [f"round trip failed: {e}"]
                mismatches.extend(f"{tid}: {p}" for p in problems)
                if not bad and not problems:
                    valid += 1
            elif t["result"] == "invalid":
                want = t["error"]
                if err is None:
                    mismatches.append(f"{tid}: expected {want}, accepted here")
                    continue
                if err.code != want:
                    mismatches.append(f"{tid}: expected {want}, here {err.code} ({err.why})")
                    continue
                invalid += 1
                # Does the code depend on an order of checks the spec leaves open?
                if op == "envelope.seal":
                    faults = seal_faults(seal_args(t["args"]))
                    if len({c for c, _ in faults}) > 1:
                        multi_fault.append(f"{tid}: " + "; ".join(f"{c} ({w})" for c, w in faults))
                else:
                    try:
                        run_op(op, t["args"], deferred=True)
                        alt = "accepted"
                    except EnvelopeError as e:
                        alt = e.code
                    if alt != want:
                        order_dependent.append(f"{tid}: {want} checking as read, {alt} with checks deferred")
            else:
                mismatches.append(f"{tid}: result {t['result']!r}")

    for m in mismatches:
        print(f"MISMATCH {m}")
    for o in order_dependent:
        print(f"note: order-dependent {o}")
    for o in multi_fault:
        print(f"note: several faults {o}")
    print(f"crosscheck envelope: {valid} valid recomputed, {invalid} invalid rejected, {len(mismatches)} mismatches")
    return 1 if mismatches else 0


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--self-test", action="store_true", help="run the self-tests only")
    p.add_argument("--vectors", default=os.path.join(here, "..", "envelope.json"), help="vector file")
    opts = p.parse_args()

    start = time.monotonic()
    failures = self_test()
    for f in failures:
        print(f"SELF-TEST FAILED {f}")
    if failures:
        return 1
    print(f"self-tests passed ({time.monotonic() - start:.2f} s)")
    if opts.self_test:
        return 0
    rc = check_vectors(opts.vectors)
    print(f"({time.monotonic() - start:.2f} s)")
    return rc


if __name__ == "__main__":
    sys.exit(main())
