#!/usr/bin/env python3
"""Independent cross-check of Cinder's device-session vectors (vectors/session.json).

This is a second implementation of the sessions chapter, written in Python from spec/session.md
(requirements SES-001 to SES-081) and the conventions of spec/README.md, not from the Rust
reference or the vector generator. For every test it recomputes the result from the arguments:

- `session.handshake`: the initiator (SES-025) on the bundle, the responder (SES-026) on the init
  message, every derived key (DH values, transcript hash, chain keys, confirmation key, session ID),
  the init message, and the first three message keys of each direction as the receiver computes
  them (SES-040, SES-043); or the refusal, with the same code;
- `session.scenario`: a network of accounts and devices (section 6) driven by the events of SES-081,
  with every step's output or error and the checkpoint of SES-080 after it. The envelopes of the
  `seal` and `open` events come from vectors/crosscheck/envelope.py, the independent implementation
  of the envelope chapter.

Primitives come from outside this project: X25519, Ed25519 signing, HKDF and ChaCha20-Poly1305 from
the `cryptography` package (Ed25519 verification is written out, see below), HMAC and SHA-256
from the standard library. Before touching the vectors the script checks them against published answers (RFC 8032 section 7.1 tests 1 to 3, RFC 7748 section
6.1, RFC 5869 appendix A.1), and checks its own encodings, chain step and receive window against
values worked out by hand from the chapter.

How this model reads the places where the chapter leaves room (each is stated so that a mismatch
that relies on one of them can be recognised):

- Ed25519 verification is written out here from RFC 8032 with SES-012's five rules (`ed25519_ok`),
  not `cryptography`'s: OpenSSL's verify accepts small-order keys and `R`. After the vectors, the
  script runs every handshake case again under each lenient reading of SIGNATURE_MUTATIONS
  (OpenSSL's own verify among them) and fails if one is caught by fewer than two cases.
- X25519 through `cryptography` refuses an all-zero output with an exception; this model treats
  that exception, and only it, as `session.invalid_key` (SES-023), and checks the output for zeros
  itself as well.
- In a `seal` event, the envelope's own checks (ENV-040) are those of envelope.py, applied before
  any message key is taken; vectors have one fault each, so its order of checks does not matter.
- A device or account that the setup does not list is `session.revoked` (SES-066).

Usage:
    python3 session.py                 # self-tests, then ../session.json
    python3 session.py --self-test     # self-tests only
    python3 session.py --vectors FILE  # self-tests, then FILE

Exit status: 0 when everything agrees, 1 on any mismatch or self-test failure, 2 when the vector
file is missing or malformed. Python 3.9 or later and the `cryptography` package.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import hmac
import importlib.util
import json
import os
import struct
import sys
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand

HERE = os.path.dirname(os.path.abspath(__file__))

# The envelope chapter's independent implementation, for `seal` and `open` events.
_spec = importlib.util.spec_from_file_location("envelope_crosscheck", os.path.join(HERE, "envelope.py"))
envelope = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(envelope)

# ---------------------------------------------------------------------------------------------
# Parameters (spec/session.md).
# ---------------------------------------------------------------------------------------------

VERSION = 0x01  # SES-020
SUITE = 0x01  # SES-020
FLAG_OPK = 0x01  # SES-020
ID_LEN = (1, 64)  # SES-001
WINDOW = 64  # SES-043
MAX_MESSAGES = 65_536  # SES-046
REKEY_AFTER = 604_800  # SES-047
U64_MAX = 2**64 - 1

LABEL_DEVICE = b"cinder-ses-v1 device"  # SES-010
LABEL_PREKEY = b"cinder-ses-v1 prekey"  # SES-011
LABEL_TRANSCRIPT = b"cinder-ses-v1 transcript"  # SES-022
LABEL_KEYS = b"cinder-ses-v1 keys"  # SES-024
LABEL_CONFIRM = b"cinder-ses-v1 confirm"  # SES-024
LABEL_STEP = b"cinder-ses-v1 step"  # SES-040
LABEL_CHECKPOINT = b"cinder-ses-v1 checkpoint"  # SES-080

E = {
    name: f"session.{name}"
    for name in (
        "unknown_version unknown_suite reserved_bits length_out_of_range truncated trailing_data "
        "authentication_failed wrong_account wrong_device expired unknown_prekey prekey_reused "
        "invalid_key replay too_old too_far_ahead closed rekey_required revoked terminated"
    ).split()
}


class Refused(Exception):
    """A protocol refusal with its spec error code."""

    def __init__(self, code: str, why: str = ""):
        super().__init__(f"{code}: {why}" if why else code)
        self.code = code


class BadArgs(Exception):
    """Arguments that cannot be read (an adapter's bad_request), never a protocol fault."""


def refuse(name: str, why: str = "") -> Refused:
    return Refused(E[name], why)


# ---------------------------------------------------------------------------------------------
# Primitives.
# ---------------------------------------------------------------------------------------------


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def hmac_sha256(key: bytes, msg: bytes) -> bytes:
    return hmac.new(key, msg, hashlib.sha256).digest()


def hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    return HKDFExpand(algorithm=hashes.SHA256(), length=length, info=info).derive(prk)


def hkdf_expand_hmac(prk: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 section 2.3 spelled out with hmac, for the chain step (it is called often)."""
    out, t, counter = b"", b"", 1
    while len(out) < length:
        t = hmac_sha256(prk, t + info + bytes([counter]))
        out += t
        counter += 1
    return out[:length]


def x25519_public(secret: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(secret).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def x25519(secret: bytes, public: bytes) -> bytes:
    """SES-023: an all-zero output is session.invalid_key."""
    try:
        out = X25519PrivateKey.from_private_bytes(secret).exchange(X25519PublicKey.from_public_bytes(public))
    except ValueError as e:  # cryptography refuses the all-zero shared secret
        raise refuse("invalid_key", f"X25519 with {public.hex()}: {e}")
    if out == bytes(32):
        raise refuse("invalid_key", "all-zero X25519 output")
    return out


def ed25519_public(seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def ed25519_sign(seed: bytes, msg: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).sign(msg)


# Ed25519 verification (SES-012), written out from RFC 8032 in affine coordinates rather than taken
# from `cryptography`: OpenSSL's verify accepts keys and `R` of small order (see `openssl_accepts`,
# kept only to report what it does). The rules, numbered as in SES-012:
#   1. S < L, S as received;  2. A and R canonical;  3. [8]R is not the identity;
#   4. [8]A is not the identity and [L]A is;  5. [S]B == R + [k]A, k = SHA-512(R || A || M) mod L.
# SIGNATURE_READING names the lenient readings of SIGNATURE_MUTATIONS to apply instead (empty: the
# rules as written); report_leniency and the misreadings driver set it.

ED_P = 2**255 - 19
ED_L = 2**252 + 27742317777372353535851937790883648493
ED_D = -121665 * pow(121666, -1, ED_P) % ED_P
ED_SQRT_M1 = pow(2, (ED_P - 1) // 4, ED_P)
ED_O = (0, 1)
ED_B = None  # set below, once decoding exists

SIGNATURE_MUTATIONS = {
    "ed25519_no_small_order_checks": (
        ("SES-012",),
        "no small-order or subgroup check on A or R (a plain library verify, ed25519-dalek's verify)",
        "library-default",
    ),
    "ed25519_openssl_verify": (
        ("SES-012",),
        "the platform's verify: OpenSSL's Ed25519 through the cryptography package",
        "library-default",
    ),
    "ed25519_no_r_check": (("SES-012",), "R of small order accepted (rule 3 skipped)", "lenient-check"),
    "ed25519_no_key_order_check": (("SES-012",), "[8]A is not checked: the identity as key passes", "lenient-check"),
    "ed25519_no_subgroup_check": (
        ("SES-012",),
        "[L]A is not checked: a mixed-order key passes (ed25519-dalek's verify_strict)",
        "lenient-check",
    ),
    "ed25519_reduce_s": (("SES-012",), "S reduced mod L instead of S >= L refused", "lenient-check"),
    "ed25519_mask_s": (("SES-012",), "the top three bits of S cleared, as if S were a clamped scalar", "wrong-rule"),
    "ed25519_cofactored": (
        ("SES-012",),
        "the cofactored equation [8][S]B == [8]R + [8][k]A (RFC 8032 allows it) with every other check",
        "wrong-rule",
    ),
    "ed25519_cofactored_lenient": (
        ("SES-012",),
        "the cofactored equation and no small-order or subgroup checks",
        "library-default",
    ),
    "ed25519_lax_decoding": (
        ("SES-012",),
        "non-canonical encodings decoded (y reduced mod p, the sign of x = 0 ignored)",
        "lenient-check",
    ),
}
SIGNATURE_EQUIVALENT = {
    "ed25519_lax_decoding": "every non-canonical encoding of a point is of a point with y < 19 or x = 0; "
    "those a signer can use (it must know the discrete log of A, and R = [S]B - [k]A) are the small-order "
    "points, which rules 3 and 4 refuse however they are decoded, so no vector can tell rule 2 apart",
}
SIGNATURE_READING: frozenset = frozenset()


def ed_add(p, q):
    (x1, y1), (x2, y2) = p, q
    t = ED_D * x1 * x2 * y1 * y2 % ED_P
    return (
        (x1 * y2 + x2 * y1) * pow(1 + t, -1, ED_P) % ED_P,
        (y1 * y2 + x1 * x2) * pow(1 - t, -1, ED_P) % ED_P,
    )


@functools.lru_cache(maxsize=None)
def ed_mul(n: int, point):
    acc = ED_O
    for bit in bin(n)[2:]:
        acc = ed_add(acc, acc)
        if bit == "1":
            acc = ed_add(acc, point)
    return acc


def ed_decode(encoding: bytes, lax: bool):
    """RFC 8032 section 5.1.3; `lax` also takes y >= p and a sign bit on x = 0. None: no point."""
    n = int.from_bytes(encoding, "little")
    sign, y = n >> 255, n & (2**255 - 1)
    if y >= ED_P:
        if not lax:
            return None
        y -= ED_P
    xx = (y * y - 1) * pow(ED_D * y * y + 1, -1, ED_P) % ED_P
    x = pow(xx, (ED_P + 3) // 8, ED_P)
    if (x * x - xx) % ED_P:
        x = x * ED_SQRT_M1 % ED_P
    if (x * x - xx) % ED_P:
        return None
    if x == 0 and sign and not lax:
        return None
    if x & 1 != sign:
        x = -x % ED_P
    return (x, y)


ED_B = ed_decode((4 * pow(5, -1, ED_P) % ED_P).to_bytes(32, "little"), False)


def openssl_accepts(public: bytes, msg: bytes, sig: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(sig, msg)
        return True
    except (InvalidSignature, ValueError):
        return False


_ED_CACHE: dict = {}


def ed25519_ok(public: bytes, msg: bytes, sig: bytes, reading: frozenset | None = None) -> bool:
    """SES-012's five rules (or the lenient `reading`, SIGNATURE_READING by default)."""
    reading = SIGNATURE_READING if reading is None else reading
    key = (public, msg, sig, reading)
    if key not in _ED_CACHE:
        _ED_CACHE[key] = _ed25519_check(public, msg, sig, reading)
    return _ED_CACHE[key]


def _ed25519_check(public: bytes, msg: bytes, sig: bytes, reading: frozenset) -> bool:
    if "ed25519_openssl_verify" in reading:
        return openssl_accepts(public, msg, sig)
    if len(public) != 32 or len(sig) != 64:
        return False
    lax = "ed25519_lax_decoding" in reading
    a, r = ed_decode(public, lax), ed_decode(sig[:32], lax)
    if a is None or r is None:
        return False
    s = int.from_bytes(sig[32:], "little")
    if "ed25519_mask_s" in reading:
        s &= 2**253 - 1
    if s >= ED_L:  # rule 1
        if "ed25519_reduce_s" not in reading:
            return False
        s %= ED_L
    lenient = {"ed25519_no_small_order_checks", "ed25519_cofactored_lenient"} & reading
    if not lenient and "ed25519_no_r_check" not in reading and ed_mul(8, r) == ED_O:  # rule 3
        return False
    if not lenient and "ed25519_no_key_order_check" not in reading and ed_mul(8, a) == ED_O:  # rule 4
        return False
    if not lenient and "ed25519_no_subgroup_check" not in reading and ed_mul(ED_L, a) != ED_O:  # rule 4
        return False
    k = int.from_bytes(hashlib.sha512(sig[:32] + public + msg).digest(), "little") % ED_L
    left, right = ed_mul(s, ED_B), ed_add(r, ed_mul(k, a))
    if {"ed25519_cofactored", "ed25519_cofactored_lenient"} & reading:
        return ed_mul(8, left) == ed_mul(8, right)
    return left == right  # rule 5


def vec8(x: bytes) -> bytes:
    assert len(x) <= 255
    return bytes([len(x)]) + x


def u32(n: int) -> bytes:
    return struct.pack(">I", n)


def u64(n: int) -> bytes:
    return struct.pack(">Q", n)


# ---------------------------------------------------------------------------------------------
# Decoding: one reader, strict.
# ---------------------------------------------------------------------------------------------


class Reader:
    def __init__(self, buf: bytes):
        self.buf, self.pos = buf, 0

    def take(self, n: int, what: str) -> bytes:
        if self.pos + n > len(self.buf):
            raise refuse("truncated", what)
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out

    def u8(self, what: str) -> int:
        return self.take(1, what)[0]

    def u32(self, what: str) -> int:
        return struct.unpack(">I", self.take(4, what))[0]

    def u64(self, what: str) -> int:
        return struct.unpack(">Q", self.take(8, what))[0]

    def ident(self, what: str) -> bytes:
        """SES-001: the length is checked before the bytes it announces are read."""
        n = self.u8(what)
        if not ID_LEN[0] <= n <= ID_LEN[1]:
            raise refuse("length_out_of_range", f"{what} of {n} bytes")
        return self.take(n, what)

    def end(self, what: str) -> None:
        if self.pos != len(self.buf):
            raise refuse("trailing_data", what)


# ---------------------------------------------------------------------------------------------
# The identity chain (section 3).
# ---------------------------------------------------------------------------------------------


def read_certificate(r: Reader) -> dict:
    """SES-010."""
    start = r.pos
    c = {
        "account": r.ident("account_id"),
        "device": r.ident("device_id"),
        "ik": r.take(32, "identity key"),
        "dsk": r.take(32, "signing key"),
        "not_before": r.u64("not_before"),
        "not_after": r.u64("not_after"),
    }
    c["signed"] = r.buf[start : r.pos]
    c["signature"] = r.take(64, "signature")
    c["bytes"] = r.buf[start : r.pos]
    return c


def decode_certificate(buf: bytes) -> dict:
    r = Reader(buf)
    c = read_certificate(r)
    r.end("certificate")
    return c


def encode_certificate_fields(account, device, ik, dsk, not_before, not_after) -> bytes:
    return vec8(account) + vec8(device) + ik + dsk + u64(not_before) + u64(not_after)


def decode_signed_prekey(buf: bytes) -> dict:
    """SES-011."""
    r = Reader(buf)
    p = {
        "id": r.u32("prekey id"),
        "key": r.take(32, "prekey"),
        "not_after": r.u64("not_after"),
        "signature": r.take(64, "signature"),
    }
    r.end("signed prekey")
    return p


def prekey_statement(account: bytes, device: bytes, p: dict) -> bytes:
    return LABEL_PREKEY + vec8(account) + vec8(device) + u32(p["id"]) + p["key"] + u64(p["not_after"])


def verify_certificate(c: dict, root: bytes, account: bytes, device: bytes, t: int) -> None:
    """SES-014, in its order; SES-013 for the validity."""
    if c["account"] != account:
        raise refuse("wrong_account")
    if c["device"] != device:
        raise refuse("wrong_device")
    if not ed25519_ok(root, LABEL_DEVICE + c["signed"], c["signature"]):
        raise refuse("authentication_failed", "certificate signature")
    if not c["not_before"] <= t < c["not_after"]:
        raise refuse("expired", "certificate")


def verify_signed_prekey(p: dict, dsk: bytes, account: bytes, device: bytes, t: int) -> None:
    """SES-015."""
    if not ed25519_ok(dsk, prekey_statement(account, device, p), p["signature"]):
        raise refuse("authentication_failed", "signed prekey signature")
    if not t < p["not_after"]:
        raise refuse("expired", "signed prekey")


# ---------------------------------------------------------------------------------------------
# The handshake (section 4).
# ---------------------------------------------------------------------------------------------


def decode_init(buf: bytes) -> dict:
    """SES-020, SES-021."""
    r = Reader(buf)
    version = r.u8("version")
    if version != VERSION:
        raise refuse("unknown_version", hex(version))
    suite = r.u8("suite")
    if suite != SUITE:
        raise refuse("unknown_suite", hex(suite))
    flags = r.u8("flags")
    if flags & ~FLAG_OPK & 0xFF:
        raise refuse("reserved_bits", hex(flags))
    m = {"flags": flags, "cert": read_certificate(r)}
    m["account_b"] = r.ident("responder account")
    m["device_b"] = r.ident("responder device")
    m["spk_id"] = r.u32("signed prekey id")
    m["opk_id"] = r.u32("one-time prekey id") if flags & FLAG_OPK else None
    m["ek"] = r.take(32, "ephemeral key")
    m["confirm"] = r.take(32, "confirm")
    r.end("init message")
    return m


def encode_init(cert_bytes: bytes, account_b, device_b, spk_id, opk_id, ek, confirm) -> bytes:
    flags = FLAG_OPK if opk_id is not None else 0
    out = bytes([VERSION, SUITE, flags]) + cert_bytes + vec8(account_b) + vec8(device_b) + u32(spk_id)
    if opk_id is not None:
        out += u32(opk_id)
    return out + ek + confirm


def transcript(a: dict, b: dict, spk_id: int, spk: bytes, opk, ek: bytes) -> bytes:
    """SES-022. a and b: account, device, rk, dsk, ik."""
    data = LABEL_TRANSCRIPT + bytes([SUITE])
    for p in (a, b):
        data += vec8(p["account"]) + vec8(p["device"]) + p["rk"] + p["dsk"] + p["ik"]
    data += u32(spk_id) + spk
    if opk is None:
        data += bytes([0])
    else:
        data += bytes([FLAG_OPK]) + u32(opk[0]) + opk[1]
    return sha256(data + ek)


def key_schedule(th: bytes, dhs: list[bytes]) -> dict:
    """SES-024."""
    okm = hkdf(th, b"".join(dhs), LABEL_KEYS, 112)
    keys = {"ck_ab": okm[:32], "ck_ba": okm[32:64], "kc": okm[64:96], "sid": okm[96:112]}
    keys["confirm"] = hmac_sha256(keys["kc"], LABEL_CONFIRM + th)
    return keys


def party(cert: dict, rk: bytes) -> dict:
    return {"account": cert["account"], "device": cert["device"], "rk": rk, "dsk": cert["dsk"], "ik": cert["ik"]}


def initiate(me: dict, target: dict, ek_secret: bytes, t: int) -> tuple[bytes, dict, dict]:
    """SES-025. me: rk, cert (decoded), ik_secret. target: account, device, rk, cert, spk, opk.
    Returns the init message, the session parts, and the trace."""
    cert_b = decode_certificate(target["cert"])
    verify_certificate(cert_b, target["rk"], target["account"], target["device"], t)
    spk = decode_signed_prekey(target["spk"])
    verify_signed_prekey(spk, cert_b["dsk"], target["account"], target["device"], t)
    ek = x25519_public(ek_secret)
    dhs = [x25519(me["ik_secret"], spk["key"]), x25519(ek_secret, cert_b["ik"]), x25519(ek_secret, spk["key"])]
    if target["opk"] is not None:
        dhs.append(x25519(ek_secret, target["opk"][1]))
    th = transcript(party(me["cert"], me["rk"]), party(cert_b, target["rk"]), spk["id"], spk["key"], target["opk"], ek)
    keys = key_schedule(th, dhs)
    opk_id = target["opk"][0] if target["opk"] is not None else None
    init = encode_init(me["cert"]["bytes"], target["account"], target["device"], spk["id"], opk_id, ek, keys["confirm"])
    session = {"sid": keys["sid"], "send": keys["ck_ab"], "recv": keys["ck_ba"]}
    return init, session, {"dh": dhs, "th": th, **keys}


def respond(me: dict, store: dict, m: dict, initiator_rk: bytes, t: int) -> tuple[dict, callable]:
    """SES-026 steps 2 to 8 on a decoded message; returns the session parts and the commit (step 9),
    so that a caller can refuse for reasons of its own before committing."""
    if m["account_b"] != me["cert"]["account"] or m["device_b"] != me["cert"]["device"]:
        raise refuse("wrong_device", "init message for another device")
    a = m["cert"]
    verify_certificate(a, initiator_rk, a["account"], a["device"], t)
    spk = store["signed"].get(m["spk_id"])
    if spk is None:
        raise refuse("unknown_prekey", f"signed prekey {m['spk_id']}")
    if not t < spk["not_after"]:
        raise refuse("expired", "signed prekey at the responder")
    opk = None
    if m["opk_id"] is not None:
        if m["opk_id"] in store["used"]:
            raise refuse("prekey_reused", f"one-time prekey {m['opk_id']}")
        if m["opk_id"] not in store["one_time"]:
            raise refuse("unknown_prekey", f"one-time prekey {m['opk_id']}")
        opk = (m["opk_id"], store["one_time"][m["opk_id"]])
    dhs = [x25519(spk["secret"], a["ik"]), x25519(me["ik_secret"], m["ek"]), x25519(spk["secret"], m["ek"])]
    if opk is not None:
        dhs.append(x25519(opk[1], m["ek"]))
    opk_public = (opk[0], x25519_public(opk[1])) if opk is not None else None
    th = transcript(party(a, initiator_rk), party(me["cert"], me["rk"]), m["spk_id"], x25519_public(spk["secret"]), opk_public, m["ek"])
    keys = key_schedule(th, dhs)
    if not hmac.compare_digest(keys["confirm"], m["confirm"]):
        raise refuse("authentication_failed", "confirm")
    if keys["sid"] in spk["accepted"]:
        raise refuse("replay", "init message accepted before")

    def commit():
        spk["accepted"].add(keys["sid"])
        if opk is not None:
            del store["one_time"][opk[0]]
            store["used"].add(opk[0])

    return {"sid": keys["sid"], "send": keys["ck_ba"], "recv": keys["ck_ab"]}, commit


# ---------------------------------------------------------------------------------------------
# The ratchet (section 5).
# ---------------------------------------------------------------------------------------------


def step(ck: bytes) -> tuple[bytes, bytes]:
    """SES-040: message key, next chain key."""
    okm = hkdf_expand_hmac(ck, LABEL_STEP, 64)
    return okm[:32], okm[32:]


class Session:
    def __init__(self, sid, role, peer, established, send_ck, recv_ck):
        self.sid, self.role, self.peer, self.established = sid, role, peer, established
        self.send_ck, self.sent = send_ck, 0  # send_ck None: exhausted (SES-046)
        self.recv_ck, self.next, self.received = recv_ck, 0, set()
        self.skipped = {}  # index -> key

    def can_send(self, t: int) -> None:
        if t >= min(self.established + REKEY_AFTER, U64_MAX):  # SES-047
            raise refuse("rekey_required", "seven days")
        if self.send_ck is None:  # SES-046
            raise refuse("rekey_required", "chain exhausted")

    def send(self, t: int) -> tuple[bytes, int, bytes]:
        self.can_send(t)
        index = self.sent
        mk, self.send_ck = step(self.send_ck)
        self.sent += 1
        if self.sent == MAX_MESSAGES:
            self.send_ck = None
        return self.sid + u32(index), index, mk

    def key_for(self, index: int):
        """SES-043 without changing anything; returns the key and the commit."""
        if index >= MAX_MESSAGES or index >= self.next + WINDOW:
            raise refuse("too_far_ahead", str(index))
        if index < self.next:
            if self.next - index > WINDOW:
                raise refuse("too_old", str(index))
            if index in self.received:
                raise refuse("replay", str(index))
            key = self.skipped[index]

            def commit():
                del self.skipped[index]
                self.received.add(index)

            return key, commit
        ck, new = self.recv_ck, {}
        for j in range(self.next, index):
            new[j], ck = step(ck)
        key, ck = step(ck)

        def commit():
            self.recv_ck = ck
            self.next = index + 1
            self.skipped.update(new)
            self.received.add(index)
            floor = self.next - WINDOW
            self.skipped = {i: k for i, k in self.skipped.items() if i >= floor}
            self.received = {i for i in self.received if i >= floor}

        return key, commit

    def received_bits(self) -> int:
        """SES-080: bit k is index next - 1 - k."""
        return sum(1 << (self.next - 1 - i) for i in self.received if 0 <= self.next - 1 - i < 64)

    def state(self) -> bytes:
        account, device = self.peer
        return (
            vec8(account)
            + vec8(device)
            + self.sid
            + bytes([0 if self.role == "initiator" else 1])
            + u64(self.established)
            + u32(self.sent)
            + u32(self.next)
            + u64(self.received_bits())
        )


def decode_header(buf: bytes) -> tuple[bytes, int]:
    """SES-041."""
    r = Reader(buf)
    sid = r.take(16, "session id")
    index = r.u32("index")
    r.end("session header")
    return sid, index


# ---------------------------------------------------------------------------------------------
# Arguments.
# ---------------------------------------------------------------------------------------------


def unhex(v, what: str, n: int | None = None) -> bytes:
    if not isinstance(v, str) or v != v.lower():
        raise BadArgs(f"{what} is not lowercase hex")
    try:
        b = bytes.fromhex(v)
    except ValueError:
        raise BadArgs(f"{what} is not hex")
    if n is not None and len(b) != n:
        raise BadArgs(f"{what} is not {n} bytes")
    return b


def uint(v, what: str, top: int = U64_MAX) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= top:
        raise BadArgs(f"{what} is not an integer in 0..{top}")
    return v


def only(obj: dict, fields: set[str], what: str) -> None:
    extra = set(obj) - fields
    if extra:
        raise BadArgs(f"{what} has unknown fields {sorted(extra)}")


# ---------------------------------------------------------------------------------------------
# session.handshake
# ---------------------------------------------------------------------------------------------


def op_handshake(a: dict) -> dict:
    only(a, {"now", "receivedAt", "initiator", "responder", "bundle", "ephemeralSecret", "earlierInitMessages", "initMessage"}, "args")
    now, received_at = uint(a["now"], "now"), uint(a["receivedAt"], "receivedAt")
    i = a["initiator"]
    try:
        i_cert = decode_certificate(unhex(i["certificate"], "initiator.certificate"))
    except Refused as e:
        raise BadArgs(f"initiator.certificate: {e}")
    me = {"rk": unhex(i["rootKey"], "rootKey", 32), "cert": i_cert, "ik_secret": unhex(i["identitySecret"], "identitySecret", 32)}
    r = a["responder"]
    try:
        r_cert = decode_certificate(unhex(r["certificate"], "responder.certificate"))
    except Refused as e:
        raise BadArgs(f"responder.certificate: {e}")
    r_me = {"rk": unhex(r["rootKey"], "rootKey", 32), "cert": r_cert, "ik_secret": unhex(r["identitySecret"], "identitySecret", 32)}
    store = {"signed": {}, "one_time": {}, "used": set()}
    for s in r["signedPrekeys"]:
        store["signed"][uint(s["id"], "id", 2**32 - 1)] = {
            "secret": unhex(s["secret"], "secret", 32),
            "not_after": uint(s["notAfter"], "notAfter"),
            "accepted": set(),
        }
    for o in r["oneTimePrekeys"]:
        store["one_time"][uint(o["id"], "id", 2**32 - 1)] = unhex(o["secret"], "secret", 32)
    for u in r["usedOneTimePrekeys"]:
        store["used"].add(uint(u, "used id", 2**32 - 1))
    for acc in r["acceptedSessions"]:
        store["signed"][acc["signedPrekeyId"]]["accepted"].add(unhex(acc["sessionId"], "sessionId", 16))
    b = a["bundle"]
    opk = b["oneTimePrekey"]
    target = {
        "account": unhex(b["account"], "account"),
        "device": unhex(b["device"], "device"),
        "rk": unhex(b["rootKey"], "rootKey", 32),
        "cert": unhex(b["certificate"], "certificate"),
        "spk": unhex(b["signedPrekey"], "signedPrekey"),
        "opk": None if opk is None else (uint(opk["id"], "id", 2**32 - 1), unhex(opk["key"], "key", 32)),
    }
    init, i_session, trace = initiate(me, target, unhex(a["ephemeralSecret"], "ephemeralSecret", 32), now)
    # Earlier deliveries: a refused one must leave the store as it was (SES-027), an accepted one
    # commits like any other.
    for earlier in a.get("earlierInitMessages", []):
        try:
            _, commit_earlier = respond(r_me, store, decode_init(unhex(earlier, "earlierInitMessages[]")), me["rk"], received_at)
            commit_earlier()
        except Refused:
            pass
    delivered = unhex(a["initMessage"], "initMessage") if a.get("initMessage") is not None else init
    m = decode_init(delivered)
    r_session, commit = respond(r_me, store, m, me["rk"], received_at)
    commit()
    i_side = Session(i_session["sid"], "initiator", None, now, i_session["send"], i_session["recv"])
    r_side = Session(r_session["sid"], "responder", None, received_at, r_session["send"], r_session["recv"])

    def first_keys(receiver: Session) -> list[str]:
        out = []
        for index in range(3):
            key, commit_receive = receiver.key_for(index)
            commit_receive()
            out.append(key.hex())
        return out

    return {
        "initMessage": init.hex(),
        "sessionId": trace["sid"].hex(),
        "transcriptHash": trace["th"].hex(),
        "dh": [d.hex() for d in trace["dh"]],
        "chainKeyInitiatorToResponder": trace["ck_ab"].hex(),
        "chainKeyResponderToInitiator": trace["ck_ba"].hex(),
        "confirmKey": trace["kc"].hex(),
        "initiatorToResponder": first_keys(r_side),
        "responderToInitiator": first_keys(i_side),
    }


# ---------------------------------------------------------------------------------------------
# session.scenario: the network of section 6 and the events of SES-081.
# ---------------------------------------------------------------------------------------------


class Device:
    def __init__(self, d: dict):
        only(d, {"certificate", "identitySecret", "signedPrekey", "signedPrekeySecret", "oneTimePrekeys", "member"}, "device")
        try:
            self.cert = decode_certificate(unhex(d["certificate"], "certificate"))
            spk_bytes = unhex(d["signedPrekey"], "signedPrekey")
            spk = decode_signed_prekey(spk_bytes)
        except Refused as e:
            raise BadArgs(f"device setup: {e}")
        self.account, self.id = self.cert["account"], self.cert["device"]
        self.ik_secret = unhex(d["identitySecret"], "identitySecret", 32)
        self.published = {"cert": self.cert["bytes"], "spk": spk_bytes, "opk": {}}
        self.store = {
            "signed": {spk["id"]: {"secret": unhex(d["signedPrekeySecret"], "secret", 32), "not_after": spk["not_after"], "accepted": set()}},
            "one_time": {},
            "used": set(),
        }
        for o in d["oneTimePrekeys"]:
            secret = unhex(o["secret"], "secret", 32)
            self.store["one_time"][o["id"]] = secret
            self.published["opk"][o["id"]] = x25519_public(secret)
        self.status = "member" if d["member"] else "pending"
        self.sessions: dict[tuple[bytes, bytes], Session] = {}

    def holds(self) -> bool:
        return self.status in ("pending", "member")

    def wipe(self, status: str) -> None:
        self.status = status
        self.sessions = {}
        self.store = {"signed": {}, "one_time": {}, "used": set()}


STATUS_BYTE = {"pending": 0, "member": 1, "removed": 2, "terminated": 3}


class Network:
    def __init__(self, args: dict):
        self.accounts = []  # [account, root key, terminated]
        for acc in args["accounts"]:
            only(acc, {"account", "rootKey"}, "account")
            self.accounts.append([unhex(acc["account"], "account"), unhex(acc["rootKey"], "rootKey", 32), False])
        self.devices = [Device(d) for d in args["devices"]]

    def root(self, account: bytes) -> bytes:
        return next(a[1] for a in self.accounts if a[0] == account)

    def terminated(self, account: bytes) -> bool:
        return any(a[2] for a in self.accounts if a[0] == account)

    def device(self, name: bytes) -> Device:
        for d in self.devices:
            if d.id == name:
                return d
        raise refuse("revoked", f"no device {name!r}")

    def check(self, d: Device) -> None:
        """SES-066."""
        if self.terminated(d.account) or d.status == "terminated":
            raise refuse("terminated")
        if d.status != "member":
            raise refuse("revoked", d.status)

    def close_with(self, pred) -> int:
        n = 0
        for d in self.devices:
            for key in [k for k in d.sessions if pred(k)]:
                del d.sessions[key]
                n += 1
        return n

    # -- events ---------------------------------------------------------------------------

    def handshake(self, e: dict, t: int) -> dict:
        i, r = self.device(unhex(e["initiator"], "initiator")), self.device(unhex(e["responder"], "responder"))
        self.check(i)
        self.check(r)
        if i is r:
            raise refuse("wrong_device", "a session with itself")
        opk_id = e["oneTimePrekey"]
        opk = None
        if opk_id is not None:
            if opk_id not in r.published["opk"]:
                raise refuse("unknown_prekey", "not published")
            opk = (opk_id, r.published["opk"][opk_id])
        me = {"rk": self.root(i.account), "cert": i.cert, "ik_secret": i.ik_secret}
        target = {"account": r.account, "device": r.id, "rk": self.root(r.account), "cert": r.published["cert"], "spk": r.published["spk"], "opk": opk}
        init, i_parts, _ = initiate(me, target, unhex(e["ephemeralSecret"], "ephemeralSecret", 32), t)
        m = decode_init(init)
        r_me = {"rk": self.root(r.account), "cert": r.cert, "ik_secret": r.ik_secret}
        r_parts, commit = respond(r_me, r.store, m, self.root(m["cert"]["account"]), t)
        commit()
        replaced = (r.account, r.id) in i.sessions or (i.account, i.id) in r.sessions
        i.sessions[(r.account, r.id)] = Session(i_parts["sid"], "initiator", (r.account, r.id), t, i_parts["send"], i_parts["recv"])
        r.sessions[(i.account, i.id)] = Session(r_parts["sid"], "responder", (i.account, i.id), t, r_parts["send"], r_parts["recv"])
        return {"sessionId": i_parts["sid"].hex(), "initMessage": init.hex(), "replaced": replaced}

    def session_to(self, f: Device, to: Device) -> Session:
        s = f.sessions.get((to.account, to.id))
        if s is None:
            raise refuse("closed", "no session with that device")
        return s

    def send(self, e: dict, t: int) -> dict:
        f, to = self.device(unhex(e["from"], "from")), self.device(unhex(e["to"], "to"))
        self.check(f)
        self.check(to)
        header, index, mk = self.session_to(f, to).send(t)
        return {"header": header.hex(), "index": index, "messageKey": mk.hex()}

    def send_many(self, e: dict, t: int) -> dict:
        count = uint(e["count"], "count", MAX_MESSAGES)
        if count == 0:
            raise BadArgs("count is 0")
        out = None
        for _ in range(count):
            out = self.send(e, t)
        return out

    def find(self, to: Device, header: bytes):
        sid, index = decode_header(header)
        for s in to.sessions.values():
            if s.sid == sid:
                return s, index
        raise refuse("closed", "no open session with that ID")

    def receive(self, e: dict, t: int) -> dict:
        to = self.device(unhex(e["to"], "to"))
        self.check(to)
        s, index = self.find(to, unhex(e["header"], "header"))
        key, commit = s.key_for(index)
        commit()
        return {"index": index, "messageKey": key.hex()}

    def seal(self, e: dict, t: int) -> dict:
        f = self.device(unhex(e["from"], "from"))
        self.check(f)
        targets = []
        for name in e["to"]:
            d = self.device(unhex(name, "to[]"))
            self.check(d)
            targets.append(d)
        for d in targets:
            self.session_to(f, d).can_send(t)
        a = {
            "messageId": unhex(e["messageId"], "messageId", 16),
            "conversationId": unhex(e["conversationId"], "conversationId"),
            "senderDevice": f.id,
            "sentAt": uint(e["sentAt"], "sentAt"),
            "ttl": uint(e["ttl"], "ttl", 2**32 - 1),
            "padded": e["padded"],
            "bor": uint(e["bor"], "bor", 2**32 - 1),
            "contentType": uint(e["contentType"], "contentType", 255),
            "content": unhex(e["content"], "content"),
            "recipients": [(d.id, bytes(32)) for d in targets],
            "contentKey": unhex(e["contentKey"], "contentKey", 32),
        }
        faults = envelope.seal_faults(a)
        if faults:
            raise Refused(faults[0][0], faults[0][1])
        taken = [(d, *self.session_to(f, d).send(t)) for d in targets]
        a["recipients"] = [(d.id, mk) for d, _, _, mk in taken]
        sealed = envelope.seal(a)
        return {
            "envelope": sealed.hex(),
            "recipients": [{"device": d.id.hex(), "header": h.hex(), "messageKey": mk.hex()} for d, h, _, mk in taken],
        }

    def open(self, e: dict, t: int) -> dict:
        to = self.device(unhex(e["to"], "to"))
        self.check(to)
        s, index = self.find(to, unhex(e["header"], "header"))
        key, commit = s.key_for(index)
        try:
            opened = envelope.open_envelope(unhex(e["envelope"], "envelope"), to.id, key)
        except envelope.EnvelopeError as err:
            raise Refused(err.code, err.why)
        if opened["senderDevice"] != s.peer[1]:
            raise refuse("wrong_device", "the envelope's sender is not the session's peer")
        commit()
        return {"index": index, "bor": opened["bor"], "contentType": opened["contentType"], "content": opened["content"].hex()}

    def add_device(self, e: dict, t: int) -> dict:
        d = self.device(unhex(e["device"], "device"))
        if self.terminated(d.account) or d.status == "terminated":
            raise refuse("terminated")
        if d.status == "removed":
            raise refuse("revoked")
        d.status = "member"
        return {"closed": 0}

    def remove_device(self, e: dict, t: int) -> dict:
        d = self.device(unhex(e["device"], "device"))
        if self.terminated(d.account) or d.status == "terminated":
            raise refuse("terminated")
        if d.status == "removed":
            raise refuse("revoked")
        own = len(d.sessions)
        d.wipe("removed")
        return {"closed": own + self.close_with(lambda k: k == (d.account, d.id))}

    def account(self, name: bytes) -> list:
        for a in self.accounts:
            if a[0] == name:
                return a
        raise refuse("revoked", f"no account {name!r}")

    def password_reset(self, e: dict, t: int) -> dict:
        a = self.account(unhex(e["account"], "account"))
        if a[2]:
            raise refuse("terminated")
        n = 0
        for d in self.devices:
            if d.account == a[0] and d.holds():
                n += len(d.sessions)
                d.sessions = {}
        return {"closed": n + self.close_with(lambda k: k[0] == a[0])}

    def terminate(self, e: dict, t: int) -> dict:
        a = self.account(unhex(e["account"], "account"))
        if a[2]:
            raise refuse("terminated")
        n = 0
        for d in self.devices:
            if d.account == a[0]:
                n += len(d.sessions)
                d.wipe("terminated")
        a[2] = True
        return {"closed": n + self.close_with(lambda k: k[0] == a[0])}

    EVENTS = {
        "handshake": ({"initiator", "responder", "ephemeralSecret", "oneTimePrekey"}, "handshake"),
        "send": ({"from", "to"}, "send"),
        "send_many": ({"from", "to", "count"}, "send_many"),
        "receive": ({"to", "header"}, "receive"),
        "seal": ({"from", "to", "messageId", "conversationId", "sentAt", "ttl", "padded", "bor", "contentType", "content", "contentKey"}, "seal"),
        "open": ({"to", "header", "envelope"}, "open"),
        "add_device": ({"device"}, "add_device"),
        "remove_device": ({"device"}, "remove_device"),
        "password_reset": ({"account"}, "password_reset"),
        "terminate": ({"account"}, "terminate"),
    }

    # -- state ----------------------------------------------------------------------------

    def checkpoint(self) -> str:
        """SES-080."""
        data = LABEL_CHECKPOINT + struct.pack(">H", len(self.accounts))
        for a in self.accounts:
            data += vec8(a[0]) + bytes([1 if a[2] else 0])
        data += struct.pack(">H", len(self.devices))
        for d in self.devices:
            status = "terminated" if self.terminated(d.account) else d.status
            data += vec8(d.account) + vec8(d.id) + bytes([STATUS_BYTE[status]])
            used = sorted(d.store["used"]) if d.holds() else []
            data += struct.pack(">H", len(used)) + b"".join(u32(u) for u in used)
            sessions = sorted(d.sessions.items()) if d.holds() else []
            data += struct.pack(">H", len(sessions)) + b"".join(s.state() for _, s in sessions)
        return sha256(data).hex()

    def step(self, e: dict) -> dict:
        t = uint(e["at"], "at")
        name = e["event"]
        if name not in self.EVENTS:
            raise BadArgs(f"unknown event {name}")
        fields, method = self.EVENTS[name]
        only(e, fields | {"at", "event"}, f"event {name}")
        before = self.checkpoint()
        try:
            if name == "send_many":
                # Sends before a refusal stay done (SES-081); the step is then refused.
                output, error = self.send_many(e, t), None
            else:
                output, error = getattr(self, method)(e, t), None
        except Refused as r:
            output, error = None, r.code
        after = self.checkpoint()
        if error is not None and name != "send_many" and after != before:
            raise AssertionError(f"model bug: refused {name} changed the state")
        return {"output": output, "error": error, "checkpoint": after}


def op_scenario(a: dict) -> dict:
    only(a, {"accounts", "devices", "events"}, "args")
    net = Network(a)
    return {"steps": [net.step(e) for e in a["events"]]}


# ---------------------------------------------------------------------------------------------
# Self-tests.
# ---------------------------------------------------------------------------------------------

RFC8032 = [  # RFC 8032 section 7.1: secret, public, message, signature
    ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7", "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
]
# RFC 7748 section 6.1.
RFC7748 = {
    "a": "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
    "A": "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
    "b": "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
    "B": "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
    "K": "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
}
# RFC 5869 appendix A.1.
RFC5869 = {
    "ikm": "0b" * 22,
    "salt": "000102030405060708090a0b0c",
    "info": "f0f1f2f3f4f5f6f7f8f9",
    "okm": "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
}


def self_test() -> list[str]:
    failures = []

    def check(what: str, cond: bool) -> None:
        if not cond:
            failures.append(what)

    for n, (sk, pk, msg, sig) in enumerate(RFC8032, 1):
        check(f"RFC 8032 test {n} public key", ed25519_public(bytes.fromhex(sk)).hex() == pk)
        check(f"RFC 8032 test {n} signature", ed25519_sign(bytes.fromhex(sk), bytes.fromhex(msg)).hex() == sig)
        check(f"RFC 8032 test {n} verifies", ed25519_ok(bytes.fromhex(pk), bytes.fromhex(msg), bytes.fromhex(sig)))
        bad = bytearray.fromhex(sig)
        bad[0] ^= 1
        check(f"RFC 8032 test {n} flipped fails", not ed25519_ok(bytes.fromhex(pk), bytes.fromhex(msg), bytes(bad)))
    check("RFC 7748 A", x25519_public(bytes.fromhex(RFC7748["a"])).hex() == RFC7748["A"])
    check("RFC 7748 B", x25519_public(bytes.fromhex(RFC7748["b"])).hex() == RFC7748["B"])
    check("RFC 7748 K", x25519(bytes.fromhex(RFC7748["a"]), bytes.fromhex(RFC7748["B"])).hex() == RFC7748["K"])
    try:
        x25519(bytes.fromhex(RFC7748["a"]), bytes(32))
        check("X25519 with u = 0 is refused", False)
    except Refused as r:
        check("X25519 with u = 0 is session.invalid_key", r.code == E["invalid_key"])
    okm = hkdf(bytes.fromhex(RFC5869["salt"]), bytes.fromhex(RFC5869["ikm"]), bytes.fromhex(RFC5869["info"]), 42)
    check("RFC 5869 A.1", okm.hex() == RFC5869["okm"])
    prk = hmac_sha256(bytes.fromhex(RFC5869["salt"]), bytes.fromhex(RFC5869["ikm"]))
    check("HKDF-Expand by hand = cryptography's", hkdf_expand_hmac(prk, b"x", 64) == hkdf_expand(prk, b"x", 64))

    # SES-040: the chain step is HKDF-Expand's two blocks; T(1) is the message key.
    ck = bytes(range(32))
    mk, nxt = step(ck)
    check("SES-040 message key = HMAC(ck, info || 0x01)", mk == hmac_sha256(ck, LABEL_STEP + b"\x01"))
    check("SES-040 next chain key = HMAC(ck, T1 || info || 0x02)", nxt == hmac_sha256(ck, mk + LABEL_STEP + b"\x02"))

    # SES-010: a certificate of one-byte IDs, laid out by hand: 148 bytes.
    root = bytes([7]) * 32
    fields = b"\x01a\x01b" + bytes([1]) * 32 + bytes([2]) * 32 + bytes(7) + b"\x01" + bytes(7) + b"\x02"
    cert = fields + ed25519_sign(root, LABEL_DEVICE + fields)
    check("SES-010 minimum certificate length", len(cert) == 148)
    c = decode_certificate(cert)
    check("SES-010 fields", (c["account"], c["device"], c["not_before"], c["not_after"]) == (b"a", b"b", 1, 2))
    for cut in range(len(cert)):
        try:
            decode_certificate(cert[:cut])
            check(f"SES-010 certificate cut to {cut} refused", False)
        except Refused as r:
            check(f"SES-010 certificate cut to {cut}: {r.code}", r.code == E["truncated"])
    try:
        verify_certificate(c, ed25519_public(root), b"a", b"b", 2)
        check("SES-013 not_after is exclusive", False)
    except Refused as r:
        check("SES-013 not_after is exclusive", r.code == E["expired"])
    verify_certificate(c, ed25519_public(root), b"a", b"b", 1)
    for expect, args in [("wrong_account", (b"x", b"b")), ("wrong_device", (b"a", b"x"))]:
        try:
            verify_certificate(c, ed25519_public(root), *args, 1)
            check(f"SES-014 {expect}", False)
        except Refused as r:
            check(f"SES-014 {expect}", r.code == E[expect])

    # SES-043: the window, worked by hand. Receive 63 (63 skipped), 127 (0..62 fall out), 64, 63.
    s = Session(bytes(16), "responder", (b"a", b"b"), 0, bytes(32), bytes(32))
    for index, want in [(63, None), (127, None), (64, None), (63, "too_old"), (62, "too_old"), (128 + 64, "too_far_ahead"), (100, None), (100, "replay")]:
        try:
            _, commit = s.key_for(index)
            commit()
            got = None
        except Refused as r:
            got = r.code
        check(f"SES-043 index {index}: {want}", got == (None if want is None else E[want]))
    check("SES-045 at most 63 skipped keys", len(s.skipped) <= 63 and min(s.skipped) >= s.next - WINDOW)
    check("SES-080 received bits", s.received_bits() == (1 << 0) | (1 << (127 - 100)) | (1 << (127 - 64)))
    s2 = Session(bytes(16), "initiator", (b"a", b"b"), 0, bytes(32), bytes(32))
    try:
        check("SES-043 index 63 from next = 0 has the 64th key", s2.key_for(63)[0] == keys_from(bytes(32), 64)[63])
    except Refused as r:
        check(f"SES-043 index 63 from next = 0 is in the window, not {r.code}", False)
    return failures


def keys_from(ck: bytes, n: int) -> list[bytes]:
    out = []
    for _ in range(n):
        mk, ck = step(ck)
        out.append(mk)
    return out


# ---------------------------------------------------------------------------------------------
# Vectors.
# ---------------------------------------------------------------------------------------------

OPS = {"session.handshake": op_handshake, "session.scenario": op_scenario}


def first_difference(want, got, path="") -> str:
    if isinstance(want, dict) and isinstance(got, dict):
        for k in want:
            if k not in got:
                return f"{path}.{k} missing"
            d = first_difference(want[k], got[k], f"{path}.{k}")
            if d:
                return d
        return ""
    if isinstance(want, list) and isinstance(got, list):
        for n, (w, g) in enumerate(zip(want, got)):
            d = first_difference(w, g, f"{path}[{n}]")
            if d:
                return d
        return "" if len(want) == len(got) else f"{path}: {len(want)} items expected, {len(got)} computed"
    return "" if want == got else f"{path}: expected {json.dumps(want)[:200]}, computed {json.dumps(got)[:200]}"


def check_vectors(path: str) -> int:
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        print(f"cannot read {path}: {e}")
        return 2
    if data.get("part") != "session":
        print(f"{path} is not a session vector file")
        return 2
    counts = {"valid": 0, "invalid": 0, "steps": 0, "mismatch": 0}
    for group in data["testGroups"]:
        op = OPS.get(group["op"])
        if op is None:
            print(f"unknown op {group['op']}")
            return 2
        for test in group["tests"]:
            name = f"session/{group['group']}/{test['id']}"
            mismatch, steps = outcome_mismatch(op, test)
            if mismatch:
                print(f"MISMATCH {name}: {mismatch}")
                counts["mismatch"] += 1
            else:
                counts["valid" if test["result"] == "valid" else "invalid"] += 1
                counts["steps"] += steps
    print(
        f"crosscheck session: {counts['valid']} valid recomputed ({counts['steps']} scenario steps), "
        f"{counts['invalid']} invalid rejected, {counts['mismatch']} mismatches"
    )
    if counts["mismatch"]:
        return 1
    return report_leniency(data)


def outcome_mismatch(op, test: dict) -> tuple[str | None, int]:
    """What is wrong with this model's answer to `test` (None: nothing), and its scenario steps."""
    try:
        got, error = op(test["args"]), None
    except Refused as r:
        got, error = None, r.code
    except BadArgs as b:
        got, error = None, f"adapter.bad_request ({b})"
    except Exception as e:  # a fault of this model: report it as a mismatch, keep going
        got, error = None, f"model failure {type(e).__name__}: {e}"
    if test["result"] != "valid":
        return (None if error == test["error"] else f"expected {test['error']}, computed {error or 'success'}"), 0
    if error is not None:
        return f"expected success, computed {error}", 0
    diff = first_difference(test["expected"], got)
    return (diff or None), len(got.get("steps", []))


def report_leniency(data: dict) -> int:
    """Every handshake case again under each lenient Ed25519 reading: each must be caught by two
    cases at least (one declared equivalent by none), or the vectors let such a verifier pass."""
    global SIGNATURE_READING
    cases = [(g["group"], t) for g in data["testGroups"] if g["op"] == "session.handshake" for t in g["tests"]]
    bad = 0
    caught_by: dict[str, list[str]] = {}
    print(f"lenient Ed25519 readings (SES-012), over {len(cases)} handshake cases:")
    try:
        for name, (_, what, _) in SIGNATURE_MUTATIONS.items():
            SIGNATURE_READING = frozenset({name})
            caught = caught_by[name] = [f"{g}/{t['id']}" for g, t in cases if outcome_mismatch(op_handshake, t)[0]]
            equivalent = name in SIGNATURE_EQUIVALENT
            ok = not caught if equivalent else len(caught) >= 2
            bad += not ok
            verdict = "equivalent" if equivalent else f"caught by {len(caught)}"
            print(f"  {'ok  ' if ok else 'FAIL'} {name}: {verdict} ({what})")
            if not ok or len(caught) <= 3:
                for c in caught:
                    print(f"         {c}")
    finally:
        SIGNATURE_READING = frozenset()
    # Every signature-strictness case expects session.authentication_failed, so one that OpenSSL's
    # verify gets wrong is one it lets through.
    strict = sum(g == "signature-strictness" for g, _ in cases)
    accepted = sum(c.startswith("signature-strictness/") for c in caught_by["ed25519_openssl_verify"])
    print(f"OpenSSL's verify (cryptography) lets {accepted} of {strict} signature-strictness cases through")
    return 1 if bad else 0


# ---------------------------------------------------------------------------------------------
# Misreadings (spec/misreadings/session.md), for misreadings.py: every plausible way to misread a
# rule of the chapter, as a named patch of this model. A patch replaces one function or method of
# the model while a mutation runs, and each changes exactly the one rule it names; the model above
# is never edited for them.
# ---------------------------------------------------------------------------------------------

import copy  # noqa: E402 -- the misreadings below copy networks

MUTATIONS = {
    # identifiers and encodings
    "id_65_accepted": (("SES-001", "SES-010"), "an account or device ID of 65 bytes is read", "off-by-one"),
    "id_empty_accepted": (("SES-001", "SES-010"), "an empty account or device ID is read", "lenient-check"),
    "length_checked_after_bytes": (("SES-001", "SES-010"), "an ID's length is checked after the bytes it announces are read (truncated first)", "check-order"),
    "cert_trailing_ignored": (("SES-010",), "bytes after a certificate are ignored", "lenient-check"),
    "spk_trailing_ignored": (("SES-011",), "bytes after a signed prekey are ignored", "lenient-check"),
    "init_trailing_ignored": (("SES-020", "SES-021"), "bytes after an init message are ignored", "lenient-check"),
    "header_trailing_ignored": (("SES-041",), "bytes after a session header are ignored", "lenient-check"),
    "init_version_ignored": (("SES-021",), "any init-message version byte is read as 0x01", "lenient-check"),
    "init_suite_ignored": (("SES-021",), "any suite byte is read as 0x01", "lenient-check"),
    "reserved_bits_ignored": (("SES-021",), "reserved flag bits of the init message are ignored", "lenient-check"),
    # the identity chain
    "cert_not_after_inclusive": (("SES-013",), "a certificate is in force at its not_after", "off-by-one"),
    "cert_not_before_exclusive": (("SES-013",), "a certificate is in force only after its not_before", "off-by-one"),
    "cert_account_unchecked": (("SES-014",), "a certificate naming another account is accepted", "lenient-check"),
    "cert_device_unchecked": (("SES-014",), "a certificate naming another device is accepted", "lenient-check"),
    "cert_validity_first": (("SES-014", "SES-013"), "a certificate's validity is checked before its binding and signature", "check-order"),
    "cert_signature_first": (("SES-014",), "a certificate's signature is checked before the account and device it names", "check-order"),
    "spk_not_after_inclusive": (("SES-015", "SES-013"), "a signed prekey is in force at its not_after", "off-by-one"),
    "spk_expiry_first": (("SES-015",), "a signed prekey's expiry is checked before its signature", "check-order"),
    "spk_statement_unbound": (("SES-011", "SES-015"), "the prekey statement signed is the prekey alone, without account and device", "wrong-rule"),
    # the handshake
    "opk_reuse_allowed": (("SES-016",), "a one-time prekey recorded as used is accepted again", "lenient-check"),
    "opk_unknown_before_reused": (("SES-016", "SES-026"), "a used one-time prekey is reported unknown_prekey (the store is looked at first)", "check-order"),
    "responder_cert_before_address": (("SES-026",), "the responder verifies the initiator's certificate before checking the message is for it", "check-order"),
    "responder_spk_expiry_unchecked": (("SES-026", "SES-028"), "the responder accepts an init message under a signed prekey past its not_after", "lenient-check"),
    "confirm_unchecked": (("SES-026", "SES-024", "SES-027"), "the responder does not compare confirm", "lenient-check"),
    "replay_unchecked": (("SES-028",), "session IDs accepted under a signed prekey are not remembered", "forgotten-reset"),
    "replay_before_confirm": (("SES-026", "SES-028"), "the replay check comes before confirm", "check-order"),
    "failed_handshake_consumes_opk": (("SES-027", "SES-016", "SES-026"), "a refused init message naming a one-time prekey still uses it up", "forgotten-reset"),
    "transcript_without_ek": (("SES-022",), "the transcript hash leaves out the ephemeral key", "wrong-rule"),
    "zero_dh_accepted": (("SES-023", "SES-025"), "an all-zero DH output is used as any other", "library-default"),
    "sid_from_front": (("SES-024",), "the session ID is the first 16 bytes of okm", "wrong-rule"),
    "chains_swapped": (("SES-024", "SES-040"), "ck_AB is the responder's sending chain", "wrong-rule"),
    "unpublished_prekey_after_bundle": (("SES-081", "SES-025"), "an unpublished one-time prekey ID is found only after the bundle's certificate and signed prekey are checked", "check-order"),
    "handshake_reports_delivered": (("SES-025", "SES-026"), "session.handshake reports the init message the responder handled, not the one the initiator wrote", "wrong-event"),
    "handshake_keys_from_initiator": (("SES-025", "SES-026"), "session.handshake's initiatorToResponder are the initiator's sending keys, not the responder's receiving keys", "wrong-event"),
    # a session with oneself
    "self_handshake_allowed": (("SES-030",), "a device may set up a session with itself", "lenient-check"),
    "self_check_first": (("SES-030", "SES-066"), "a handshake with oneself is refused before the lifecycle checks", "check-order"),
    "self_check_after_prekey": (("SES-030", "SES-081"), "an unpublished one-time prekey is found before the handshake with oneself", "check-order"),
    "self_send_wrong_device": (("SES-030", "SES-065"), "a send or seal to oneself is session.wrong_device", "wrong-rule"),
    "ephemeral_is_identity": (("SES-003", "SES-002"), "the initiator uses its identity secret as the ephemeral secret", "wrong-rule"),
    "ephemeral_kept": (("SES-029", "SES-003"), "the initiator keeps the ephemeral secret after the handshake", "forgotten-reset"),
    "device_statement_without_label": (("SES-010", "SES-014"), "the certificate signature is over the fields without the label", "wrong-rule"),
    "init_opk_id_always_read": (("SES-020",), "the init message always carries a one-time prekey ID, whatever flag bit 0 says", "wrong-rule"),
    "transcript_parties_swapped": (("SES-022",), "the transcript lists the responder before the initiator", "wrong-rule"),
    "dh_order_swapped": (("SES-023", "SES-024"), "ikm starts with DH2, then DH1", "wrong-rule"),
    "rekey_keeps_counters": (("SES-048", "SES-030"), "a rekey's new session starts counting where the old one stopped", "forgotten-reset"),
    # the ratchet
    "step_with_extract": (("SES-040",), "the chain step is HKDF with an extract (empty salt) before the expand", "library-default"),
    "header_index_little_endian": (("SES-041",), "the header's index is read little-endian", "library-default"),
    "send_keeps_chain_key": (("SES-042", "SES-040"), "sending does not replace the chain key: every message gets the first key", "forgotten-reset"),
    "step_halves_swapped": (("SES-040", "SES-042", "SES-043"), "the message key is the second half of the chain step", "wrong-rule"),
    "index_from_one": (("SES-042", "SES-041"), "the first message of a chain has index 1", "off-by-one"),
    "too_far_inclusive": (("SES-043",), "an index of next + 64 is accepted", "off-by-one"),
    "too_far_short": (("SES-043",), "an index of next + 63 is already too far ahead", "off-by-one"),
    "too_old_inclusive": (("SES-043",), "an index exactly 64 below next is too old", "off-by-one"),
    "replay_is_too_old": (("SES-043",), "an index received before is reported too_old", "wrong-rule"),
    "commit_on_failed_open": (("SES-044", "SES-049"), "a message that fails to open still moves the window", "lenient-check"),
    "skipped_keys_kept": (("SES-045",), "skipped keys below the window are not erased", "forgotten-reset"),
    "exhausted_one_early": (("SES-046", "SES-042"), "a chain is exhausted after 65,535 messages", "off-by-one"),
    "rekey_sum_wraps": (("SES-047",), "established_at + 604,800 wraps modulo 2^64", "library-default"),
    "rekey_strict": (("SES-047",), "a send at exactly established_at + 604,800 is allowed", "off-by-one"),
    "rekey_limits_receive": (("SES-047",), "receiving is refused too once the session is 7 days old", "wrong-rule"),
    "old_session_kept_on_rekey": (("SES-048", "SES-065", "SES-030"), "after a rekey the old session still opens headers naming it", "forgotten-reset"),
    "sender_check_skipped": (("SES-049",), "open does not check that the envelope's sender is the session's peer", "lenient-check"),
    "sender_check_after_commit": (("SES-049", "SES-044"), "open commits before it checks the envelope's sender", "check-order"),
    # lifecycle
    "add_member_closes": (("SES-060", "SES-061", "SES-065"), "add_device of a member closes its sessions", "wrong-rule"),
    "add_member_refused": (("SES-060",), "add_device of a member is session.revoked", "wrong-rule"),
    "add_removed_allowed": (("SES-060", "SES-062"), "a removed device can be added again", "forgotten-reset"),
    "pending_can_act": (("SES-060", "SES-066", "SES-061"), "a pending device may handshake, send and receive", "lenient-check"),
    "peer_removed_header_revoked": (("SES-062",), "a header for a session closed by its peer's removal is session.revoked", "wrong-rule"),
    "removal_keeps_peer_ends": (("SES-062", "SES-065"), "removing a device closes its own sessions but not its peers' ends", "forgotten-reset"),
    "reset_keeps_peer_ends": (("SES-063", "SES-065"), "a password reset closes the account's own session ends only", "forgotten-reset"),
    "reset_forgets_used_prekeys": (("SES-063", "SES-016"), "a password reset forgets the used one-time prekeys", "forgotten-reset"),
    "peer_terminated_header_terminated": (("SES-064",), "a header for a session closed by its peer's termination is session.terminated", "wrong-rule"),
    "terminate_skips_removed": (("SES-064", "SES-080"), "a device removed before its account is terminated stays removed", "forgotten-reset"),
    "closed_counts_sessions": (("SES-065", "SES-081", "SES-062"), "closed counts each session once rather than each closed end", "wrong-rule"),
    "recipient_checked_first": (("SES-066",), "a send checks the recipient before the sender", "check-order"),
    "revoked_before_terminated": (("SES-066", "SES-064"), "any device that is not a member is session.revoked, before its account's termination is looked at", "check-order"),
    # the checkpoint and the scenario events
    "sessions_in_handshake_order": (("SES-080",), "the checkpoint lists a device's sessions in the order they were made", "wrong-rule"),
    "received_bits_reversed": (("SES-080",), "bit k of received is index next - 64 + k", "wrong-rule"),
    "used_prekeys_descending": (("SES-080",), "the checkpoint lists used one-time prekey IDs in descending order", "wrong-rule"),
    "send_many_one_short": (("SES-081",), "send_many sends count - 1 messages", "off-by-one"),
    "send_many_all_or_nothing": (("SES-081",), "a send_many refused part-way undoes the sends it made", "wrong-rule"),
    "seal_envelope_checks_first": (("SES-081", "SES-049"), "seal makes the envelope's own checks before it looks for the sessions", "check-order"),
}

EQUIVALENT = {
    "ephemeral_kept": "no output, error or checkpoint contains a secret (SES-080): keeping the ephemeral secret shows nowhere a "
                      "vector looks; its erasure is the reference's (zeroizing types, SES-029)",
    "skipped_keys_kept": "SES-043 refuses an index below the window (too_old) before it looks for a skipped key, so a key "
                         "kept past the window is never used or shown; that it is erased is checked by the reference's "
                         "tests (holds_secret_for_testing_only)",
}

RANDOM_GROUPS = frozenset({"walks"})


def _patches(name: str) -> list:
    """The (owner, attribute, replacement) triples of one mutation."""
    g = sys.modules[__name__]
    P = []

    def put(owner, attr, new):
        P.append((owner, attr, new))

    if name in ("id_65_accepted", "id_empty_accepted", "length_checked_after_bytes"):
        def ident(self, what):
            n = self.u8(what)
            lo, hi = ID_LEN[0] - (name == "id_empty_accepted"), ID_LEN[1] + (name == "id_65_accepted")
            if name == "length_checked_after_bytes":
                out = self.take(n, what)
                if not ID_LEN[0] <= n <= ID_LEN[1]:
                    raise refuse("length_out_of_range", f"{what} of {n} bytes")
                return out
            if not lo <= n <= hi:
                raise refuse("length_out_of_range", f"{what} of {n} bytes")
            return self.take(n, what)
        put(Reader, "ident", ident)
    elif name == "cert_trailing_ignored":
        put(g, "decode_certificate", lambda buf: read_certificate(Reader(buf)))
    elif name == "spk_trailing_ignored":
        orig = decode_signed_prekey
        put(g, "decode_signed_prekey", lambda buf: orig(buf[:4 + 32 + 8 + 64]) if len(buf) > 108 else orig(buf))
    elif name == "init_trailing_ignored":
        orig_end = Reader.end

        def end(self, what):
            if what != "init message":
                orig_end(self, what)
        put(Reader, "end", end)
    elif name == "header_trailing_ignored":
        orig = decode_header
        put(g, "decode_header", lambda buf: orig(buf[:20]) if len(buf) > 20 else orig(buf))
    elif name in ("init_version_ignored", "init_suite_ignored", "reserved_bits_ignored"):
        orig = decode_init

        def decode(buf):
            b = bytearray(buf)
            if name == "init_version_ignored" and b:
                b[0] = VERSION
            if name == "init_suite_ignored" and len(b) > 1:
                b[1] = SUITE
            if name == "reserved_bits_ignored" and len(b) > 2:
                b[2] &= FLAG_OPK
            return orig(bytes(b))
        put(g, "decode_init", decode)
    elif name.startswith("cert_"):
        def verify(c, root, account, device, t):
            lo_ok = c["not_before"] < t if name == "cert_not_before_exclusive" else c["not_before"] <= t
            hi_ok = t <= c["not_after"] if name == "cert_not_after_inclusive" else t < c["not_after"]
            checks = [
                ("binding", lambda: c["account"] == account or name == "cert_account_unchecked", "wrong_account"),
                ("binding", lambda: c["device"] == device or name == "cert_device_unchecked", "wrong_device"),
                ("signature", lambda: ed25519_ok(root, LABEL_DEVICE + c["signed"], c["signature"]), "authentication_failed"),
                ("validity", lambda: lo_ok and hi_ok, "expired"),
            ]
            if name == "cert_validity_first":
                checks = checks[3:] + checks[:3]
            if name == "cert_signature_first":
                checks = [checks[2], checks[0], checks[1], checks[3]]
            for _, ok, code in checks:
                if not ok():
                    raise refuse(code)
        put(g, "verify_certificate", verify)
    elif name in ("spk_not_after_inclusive", "spk_expiry_first", "spk_statement_unbound"):
        def verify_spk(p, dsk, account, device, t):
            statement = prekey_statement(account, device, p)
            if name == "spk_statement_unbound":
                statement = LABEL_PREKEY + u32(p["id"]) + p["key"] + u64(p["not_after"])
            in_force = t <= p["not_after"] if name == "spk_not_after_inclusive" else t < p["not_after"]
            if name == "spk_expiry_first" and not in_force:
                raise refuse("expired", "signed prekey")
            if not ed25519_ok(dsk, statement, p["signature"]):
                raise refuse("authentication_failed", "signed prekey signature")
            if not in_force:
                raise refuse("expired", "signed prekey")
        put(g, "verify_signed_prekey", verify_spk)
    elif name in ("opk_reuse_allowed", "opk_unknown_before_reused", "responder_cert_before_address",
                  "responder_spk_expiry_unchecked", "confirm_unchecked", "replay_unchecked", "replay_before_confirm"):
        put(g, "respond", lambda me, store, m, rk, t: _respond_mutated(name, me, store, m, rk, t))
    elif name == "failed_handshake_consumes_opk":
        orig = respond

        def respond_consuming(me, store, m, rk, t):
            try:
                return orig(me, store, m, rk, t)
            except Refused:
                opk = m.get("opk_id")
                if opk is not None and opk in store["one_time"]:
                    del store["one_time"][opk]
                    store["used"].add(opk)
                raise
        put(g, "respond", respond_consuming)
    elif name == "transcript_without_ek":
        orig = transcript
        put(g, "transcript", lambda a, b, spk_id, spk, opk, ek: orig(a, b, spk_id, spk, opk, b""))
    elif name == "zero_dh_accepted":
        orig = x25519

        def dh(secret, public):
            try:
                return orig(secret, public)
            except Refused as e:
                if e.code == E["invalid_key"]:
                    return bytes(32)
                raise
        put(g, "x25519", dh)
    elif name in ("sid_from_front", "chains_swapped"):
        orig = key_schedule

        def schedule(th, dhs):
            keys = orig(th, dhs)
            if name == "sid_from_front":
                keys["sid"] = keys["ck_ab"][:16]
            else:
                keys["ck_ab"], keys["ck_ba"] = keys["ck_ba"], keys["ck_ab"]
            return keys
        put(g, "key_schedule", schedule)
    elif name in ("unpublished_prekey_after_bundle", "self_handshake_allowed", "self_check_first", "self_check_after_prekey",
                  "pending_can_act"):
        put(Network, "handshake", lambda self, e, t: _handshake_mutated(name, self, e, t))
        if name == "pending_can_act":
            orig_check = Network.check

            def check(self, d):
                if d.status == "pending" and not self.terminated(d.account):
                    return
                orig_check(self, d)
            put(Network, "check", check)
    elif name in ("handshake_reports_delivered", "handshake_keys_from_initiator"):
        orig = op_handshake

        def op(a):
            out = orig(a)
            if a.get("initMessage") is None:
                return out
            if name == "handshake_reports_delivered":
                out["initMessage"] = a["initMessage"]
            else:
                ck, keys = unhex(out["chainKeyInitiatorToResponder"], "ck"), []
                for _ in range(3):
                    mk, ck = step(ck)
                    keys.append(mk.hex())
                out["initiatorToResponder"] = keys
            return out
        put(g, "op_handshake", op)
        OPS_M = dict(OPS)
        OPS_M["session.handshake"] = op
        put(g, "OPS", OPS_M)
    elif name == "self_send_wrong_device":
        orig = Network.session_to

        def session_to(self, f, to):
            if f is to:
                raise refuse("wrong_device", "oneself")
            return orig(self, f, to)
        put(Network, "session_to", session_to)
    elif name == "step_halves_swapped":
        orig = step

        def step_swapped(ck):
            mk, nxt = orig(ck)
            return nxt, mk
        put(g, "step", step_swapped)
    elif name == "index_from_one":
        orig = Session.send

        def send(self, t):
            header, index, mk = orig(self, t)
            return self.sid + u32(index + 1), index + 1, mk
        put(Session, "send", send)
    elif name in ("too_far_inclusive", "too_far_short", "too_old_inclusive", "replay_is_too_old"):
        orig = Session.key_for

        def key_for(self, index):
            if name == "too_far_inclusive" and index == self.next + WINDOW and index < MAX_MESSAGES:
                return _key_ahead(self, index)
            if name == "too_far_short" and index == self.next + WINDOW - 1:
                raise refuse("too_far_ahead", str(index))
            if name == "too_old_inclusive" and index < self.next and self.next - index == WINDOW:
                raise refuse("too_old", str(index))
            if name == "replay_is_too_old" and index < self.next and index in self.received and self.next - index <= WINDOW:
                raise refuse("too_old", str(index))
            return orig(self, index)
        put(Session, "key_for", key_for)
    elif name in ("commit_on_failed_open", "sender_check_skipped", "sender_check_after_commit"):
        put(Network, "open", lambda self, e, t: _open_mutated(name, self, e, t))
    elif name == "skipped_keys_kept":
        orig = Session.key_for

        def key_for(self, index):
            key, commit = orig(self, index)

            def keep():
                before = dict(self.skipped)
                commit()
                floor = self.next - WINDOW
                self.skipped.update({i: k for i, k in before.items() if i < floor and i not in self.received})
            return key, keep
        put(Session, "key_for", key_for)
    elif name == "exhausted_one_early":
        orig = Session.send

        def send(self, t):
            out = orig(self, t)
            if self.sent == MAX_MESSAGES - 1:
                self.send_ck = None
            return out
        put(Session, "send", send)
    elif name in ("rekey_sum_wraps", "rekey_strict"):
        orig = Session.can_send

        def can_send(self, t):
            limit = (self.established + REKEY_AFTER) & U64_MAX if name == "rekey_sum_wraps" else min(self.established + REKEY_AFTER, U64_MAX)
            if (t > limit) if name == "rekey_strict" else (t >= limit):
                raise refuse("rekey_required", "seven days")
            if self.send_ck is None:
                raise refuse("rekey_required", "chain exhausted")
        put(Session, "can_send", can_send)
    elif name == "rekey_limits_receive":
        orig = Network.find

        def find(self, to, header):
            s, index = orig(self, to, header)
            if self._now >= min(s.established + REKEY_AFTER, U64_MAX):
                raise refuse("rekey_required", "receiving after seven days")
            return s, index
        orig_step = Network.step

        def net_step(self, e):
            self._now = uint(e["at"], "at")
            return orig_step(self, e)
        put(Network, "find", find)
        put(Network, "step", net_step)
    elif name == "old_session_kept_on_rekey" or name in ("peer_removed_header_revoked", "peer_terminated_header_terminated"):
        orig_hs, orig_find = Network.handshake, Network.find

        def hs(self, e, t):
            i, r = self.device(unhex(e["initiator"], "initiator")), self.device(unhex(e["responder"], "responder"))
            old = [s for s in (i.sessions.get((r.account, r.id)), r.sessions.get((i.account, i.id))) if s is not None]
            out = orig_hs(self, e, t)
            book = self.__dict__.setdefault("_book", {})
            book[(id(i), bytes.fromhex(out["sessionId"]))] = r
            book[(id(r), bytes.fromhex(out["sessionId"]))] = i
            if name == "old_session_kept_on_rekey":
                retired = self.__dict__.setdefault("_retired", {})
                for s in old:
                    retired[s.sid] = s
            return out

        def find(self, to, header):
            try:
                return orig_find(self, to, header)
            except Refused:
                sid, index = decode_header(header)
                if name == "old_session_kept_on_rekey" and sid in self.__dict__.get("_retired", {}):
                    return self._retired[sid], index
                peer = self.__dict__.get("_book", {}).get((id(to), sid))
                if peer is not None and name == "peer_removed_header_revoked" and peer.status == "removed":
                    raise refuse("revoked", "peer removed")
                if peer is not None and name == "peer_terminated_header_terminated" and self.terminated(peer.account):
                    raise refuse("terminated", "peer terminated")
                raise
        put(Network, "handshake", hs)
        put(Network, "find", find)
    elif name in ("add_member_closes", "add_member_refused", "add_removed_allowed"):
        orig = Network.add_device

        def add(self, e, t):
            d = self.device(unhex(e["device"], "device"))
            if d.status == "member" and not self.terminated(d.account):
                if name == "add_member_refused":
                    raise refuse("revoked", "already a member")
                if name == "add_member_closes":
                    own = len(d.sessions)
                    d.sessions = {}
                    return {"closed": own + self.close_with(lambda k: k == (d.account, d.id))}
            if name == "add_removed_allowed" and d.status == "removed" and not self.terminated(d.account):
                d.status = "member"
                return {"closed": 0}
            return orig(self, e, t)
        put(Network, "add_device", add)
    elif name in ("removal_keeps_peer_ends", "closed_counts_sessions"):
        def remove(self, e, t):
            d = self.device(unhex(e["device"], "device"))
            if self.terminated(d.account) or d.status == "terminated":
                raise refuse("terminated")
            if d.status == "removed":
                raise refuse("revoked")
            own = len(d.sessions)
            d.wipe("removed")
            if name == "removal_keeps_peer_ends":
                return {"closed": own}
            self.close_with(lambda k: k == (d.account, d.id))
            return {"closed": own}
        put(Network, "remove_device", remove)
    elif name in ("reset_keeps_peer_ends", "reset_forgets_used_prekeys"):
        orig = Network.password_reset

        def reset(self, e, t):
            if name == "reset_forgets_used_prekeys":
                out = orig(self, e, t)
                for d in self.devices:
                    if d.account == unhex(e["account"], "account") and d.holds():
                        d.store["used"] = set()
                return out
            a = self.account(unhex(e["account"], "account"))
            if a[2]:
                raise refuse("terminated")
            n = 0
            for d in self.devices:
                if d.account == a[0] and d.holds():
                    n += len(d.sessions)
                    d.sessions = {}
            return {"closed": n}
        put(Network, "password_reset", reset)
    elif name == "terminate_skips_removed":
        orig = Network.terminate

        def terminate(self, e, t):
            removed = [d for d in self.devices if d.status == "removed"]
            out = orig(self, e, t)
            for d in removed:
                d.was_removed = True
            return out
        put(Network, "terminate", terminate)
        put(Network, "checkpoint", lambda self: _checkpoint(self, name))
    elif name == "recipient_checked_first":
        def send(self, e, t):
            f, to = self.device(unhex(e["from"], "from")), self.device(unhex(e["to"], "to"))
            self.check(to)
            self.check(f)
            header, index, mk = self.session_to(f, to).send(t)
            return {"header": header.hex(), "index": index, "messageKey": mk.hex()}
        put(Network, "send", send)
    elif name == "revoked_before_terminated":
        def check(self, d):
            if d.status != "member":
                raise refuse("revoked", d.status)
            if self.terminated(d.account) or d.status == "terminated":
                raise refuse("terminated")
        put(Network, "check", check)
    elif name == "sessions_in_handshake_order":
        put(Network, "checkpoint", lambda self: _checkpoint(self, name))
    elif name == "received_bits_reversed":
        def bits(self):
            return sum(1 << (i - (self.next - 64)) for i in self.received if 0 <= i - (self.next - 64) < 64)
        put(Session, "received_bits", bits)
    elif name == "send_many_all_or_nothing":
        orig = Network.step

        def net_step(self, e):
            if e.get("event") != "send_many":
                return orig(self, e)
            saved = copy.deepcopy(self.devices)
            out = orig(self, e)
            if out["error"] is not None:
                self.devices = saved
                out["checkpoint"] = self.checkpoint()
            return out
        put(Network, "step", net_step)
    elif name == "seal_envelope_checks_first":
        orig = Network.seal

        def seal(self, e, t):
            f = self.device(unhex(e["from"], "from"))
            a = {
                "messageId": unhex(e["messageId"], "messageId", 16),
                "conversationId": unhex(e["conversationId"], "conversationId"),
                "senderDevice": f.id, "sentAt": uint(e["sentAt"], "sentAt"), "ttl": uint(e["ttl"], "ttl", 2**32 - 1),
                "padded": e["padded"], "bor": uint(e["bor"], "bor", 2**32 - 1),
                "contentType": uint(e["contentType"], "contentType", 255), "content": unhex(e["content"], "content"),
                "recipients": [(unhex(n, "to[]"), bytes(32)) for n in e["to"]],
                "contentKey": unhex(e["contentKey"], "contentKey", 32),
            }
            faults = envelope.seal_faults(a)
            if faults:
                raise Refused(faults[0][0], faults[0][1])
            return orig(self, e, t)
        put(Network, "seal", seal)
    elif name == "ephemeral_is_identity":
        orig = initiate
        put(g, "initiate", lambda me, target, ek_secret, t: orig(me, target, me["ik_secret"], t))
    elif name == "ephemeral_kept":
        orig = initiate
        kept = []

        def initiate_keeping(me, target, ek_secret, t):
            kept.append(ek_secret)
            return orig(me, target, ek_secret, t)
        put(g, "initiate", initiate_keeping)
    elif name == "device_statement_without_label":
        orig = ed25519_ok
        put(g, "ed25519_ok", lambda public, msg, sig: orig(public, msg[len(LABEL_DEVICE):], sig) if msg.startswith(LABEL_DEVICE) else orig(public, msg, sig))
    elif name == "init_opk_id_always_read":
        orig = decode_init

        def decode(buf):
            if len(buf) > 2 and not buf[2] & FLAG_OPK:
                return orig(bytes([buf[0], buf[1], buf[2] | FLAG_OPK]) + buf[3:])
            return orig(buf)
        put(g, "decode_init", decode)
    elif name == "transcript_parties_swapped":
        orig = transcript
        put(g, "transcript", lambda a, b, spk_id, spk, opk, ek: orig(b, a, spk_id, spk, opk, ek))
    elif name == "dh_order_swapped":
        orig = key_schedule

        def schedule(th, dhs):
            return orig(th, [dhs[1], dhs[0], *dhs[2:]])
        put(g, "key_schedule", schedule)
    elif name == "rekey_keeps_counters":
        orig = Network.handshake

        def hs(self, e, t):
            i, r = self.device(unhex(e["initiator"], "initiator")), self.device(unhex(e["responder"], "responder"))
            old = {k: (s.sent, s.send_ck) for d, k in ((i, (r.account, r.id)), (r, (i.account, i.id))) if (s := d.sessions.get(k)) is not None}
            out = orig(self, e, t)
            for d, k in ((i, (r.account, r.id)), (r, (i.account, i.id))):
                if k in old:
                    d.sessions[k].sent = old[k][0]
            return out
        put(Network, "handshake", hs)
    elif name == "step_with_extract":
        def step_extract(ck):
            okm = hkdf(b"", ck, LABEL_STEP, 64)
            return okm[:32], okm[32:]
        put(g, "step", step_extract)
    elif name == "header_index_little_endian":
        orig = decode_header

        def decode(buf):
            sid, index = orig(buf)
            return sid, struct.unpack("<I", struct.pack(">I", index))[0]
        put(g, "decode_header", decode)
    elif name == "send_keeps_chain_key":
        orig = Session.send

        def send(self, t):
            ck = self.send_ck
            out = orig(self, t)
            if self.send_ck is not None:
                self.send_ck = ck
            return out
        put(Session, "send", send)
    elif name == "used_prekeys_descending":
        put(Network, "checkpoint", lambda self: _checkpoint(self, name))
    elif name == "send_many_one_short":
        orig = Network.send_many

        def send_many(self, e, t):
            count = uint(e["count"], "count", MAX_MESSAGES)
            if count <= 1:
                return orig(self, e, t)
            return orig(self, dict(e, count=count - 1), t)
        put(Network, "send_many", send_many)
    else:
        raise KeyError(f"no patch for mutation {name}")
    return P



def _checkpoint(net, name: str) -> str:
    """Network.checkpoint (SES-080) with a removed device of a terminated account kept removed
    (terminate_skips_removed), or each device's sessions in the order they were made."""
    data = LABEL_CHECKPOINT + struct.pack(">H", len(net.accounts))
    for a in net.accounts:
        data += vec8(a[0]) + bytes([1 if a[2] else 0])
    data += struct.pack(">H", len(net.devices))
    for d in net.devices:
        status = "terminated" if net.terminated(d.account) else d.status
        if name == "terminate_skips_removed" and getattr(d, "was_removed", False):
            status = "removed"
        data += vec8(d.account) + vec8(d.id) + bytes([STATUS_BYTE[status]])
        used = sorted(d.store["used"], reverse=name == "used_prekeys_descending") if d.holds() else []
        data += struct.pack(">H", len(used)) + b"".join(u32(u) for u in used)
        sessions = list(d.sessions.items()) if name == "sessions_in_handshake_order" else sorted(d.sessions.items())
        data += struct.pack(">H", len(sessions) if d.holds() else 0)
        data += b"".join(s.state() for _, s in sessions) if d.holds() else b""
    return sha256(data).hex()


def _key_ahead(s: Session, index: int):
    """The key of an index the chapter refuses, computed as if the window reached it."""
    ck, new = s.recv_ck, {}
    for j in range(s.next, index):
        new[j], ck = step(ck)
    key, ck = step(ck)

    def commit():
        s.recv_ck, s.next = ck, index + 1
        s.skipped.update(new)
        s.received.add(index)
        floor = s.next - WINDOW
        s.skipped = {i: k for i, k in s.skipped.items() if i >= floor}
        s.received = {i for i in s.received if i >= floor}
    return key, commit


def _respond_mutated(name: str, me: dict, store: dict, m: dict, initiator_rk: bytes, t: int):
    """respond() with one of its checks skipped or moved (SES-016, SES-026, SES-028)."""
    def address():
        if m["account_b"] != me["cert"]["account"] or m["device_b"] != me["cert"]["device"]:
            raise refuse("wrong_device", "init message for another device")

    a = m["cert"]
    if name != "responder_cert_before_address":
        address()
    verify_certificate(a, initiator_rk, a["account"], a["device"], t)
    if name == "responder_cert_before_address":
        address()
    spk = store["signed"].get(m["spk_id"])
    if spk is None:
        raise refuse("unknown_prekey", f"signed prekey {m['spk_id']}")
    if not t < spk["not_after"] and name != "responder_spk_expiry_unchecked":
        raise refuse("expired", "signed prekey at the responder")
    opk = None
    if m["opk_id"] is not None:
        reused = m["opk_id"] in store["used"] and name != "opk_reuse_allowed"
        if reused and name != "opk_unknown_before_reused":
            raise refuse("prekey_reused", f"one-time prekey {m['opk_id']}")
        if m["opk_id"] not in store["one_time"]:
            if name == "opk_reuse_allowed" and m["opk_id"] in store["used"]:
                raise refuse("authentication_failed", "the reused prekey's secret is gone")
            raise refuse("unknown_prekey", f"one-time prekey {m['opk_id']}")
        opk = (m["opk_id"], store["one_time"][m["opk_id"]])
    dhs = [x25519(spk["secret"], a["ik"]), x25519(me["ik_secret"], m["ek"]), x25519(spk["secret"], m["ek"])]
    if opk is not None:
        dhs.append(x25519(opk[1], m["ek"]))
    opk_public = (opk[0], x25519_public(opk[1])) if opk is not None else None
    th = transcript(party(a, initiator_rk), party(me["cert"], me["rk"]), m["spk_id"], x25519_public(spk["secret"]), opk_public, m["ek"])
    keys = key_schedule(th, dhs)
    replayed = keys["sid"] in spk["accepted"] and name != "replay_unchecked"
    if name == "replay_before_confirm" and replayed:
        raise refuse("replay", "init message accepted before")
    if not hmac.compare_digest(keys["confirm"], m["confirm"]) and name != "confirm_unchecked":
        raise refuse("authentication_failed", "confirm")
    if replayed:
        raise refuse("replay", "init message accepted before")

    def commit():
        spk["accepted"].add(keys["sid"])
        if opk is not None:
            del store["one_time"][opk[0]]
            store["used"].add(opk[0])

    return {"sid": keys["sid"], "send": keys["ck_ba"], "recv": keys["ck_ab"]}, commit


def _handshake_mutated(name: str, net, e: dict, t: int) -> dict:
    """Network.handshake with the self check or the one-time prekey lookup moved (SES-030, SES-081)."""
    i, r = net.device(unhex(e["initiator"], "initiator")), net.device(unhex(e["responder"], "responder"))

    def self_check():
        if i is r and name != "self_handshake_allowed":
            raise refuse("wrong_device", "a session with itself")

    opk_id = e["oneTimePrekey"]

    def prekey():
        if opk_id is not None and opk_id not in r.published["opk"]:
            raise refuse("unknown_prekey", "not published")
        return None if opk_id is None else (opk_id, r.published["opk"][opk_id])

    if name == "self_check_first":
        self_check()
    net.check(i)
    net.check(r)
    if name == "self_check_after_prekey":
        opk = prekey()
        self_check()
    else:
        if name != "self_check_first":
            self_check()
        opk = None if name == "unpublished_prekey_after_bundle" else prekey()
    me = {"rk": net.root(i.account), "cert": i.cert, "ik_secret": i.ik_secret}
    if name == "unpublished_prekey_after_bundle":
        cert_b = decode_certificate(r.published["cert"])
        verify_certificate(cert_b, net.root(r.account), r.account, r.id, t)
        verify_signed_prekey(decode_signed_prekey(r.published["spk"]), cert_b["dsk"], r.account, r.id, t)
        opk = prekey()
    target = {"account": r.account, "device": r.id, "rk": net.root(r.account), "cert": r.published["cert"],
              "spk": r.published["spk"], "opk": opk}
    init, i_parts, _ = initiate(me, target, unhex(e["ephemeralSecret"], "ephemeralSecret", 32), t)
    m = decode_init(init)
    r_me = {"rk": net.root(r.account), "cert": r.cert, "ik_secret": r.ik_secret}
    r_parts, commit = respond(r_me, r.store, m, net.root(m["cert"]["account"]), t)
    commit()
    replaced = (r.account, r.id) in i.sessions or (i.account, i.id) in r.sessions
    i.sessions[(r.account, r.id)] = Session(i_parts["sid"], "initiator", (r.account, r.id), t, i_parts["send"], i_parts["recv"])
    r.sessions[(i.account, i.id)] = Session(r_parts["sid"], "responder", (i.account, i.id), t, r_parts["send"], r_parts["recv"])
    return {"sessionId": i_parts["sid"].hex(), "initMessage": init.hex(), "replaced": replaced}


def _open_mutated(name: str, net, e: dict, t: int) -> dict:
    """Network.open with the commit or the sender check moved (SES-044, SES-049)."""
    to = net.device(unhex(e["to"], "to"))
    net.check(to)
    s, index = net.find(to, unhex(e["header"], "header"))
    key, commit = s.key_for(index)
    try:
        opened = envelope.open_envelope(unhex(e["envelope"], "envelope"), to.id, key)
    except envelope.EnvelopeError as err:
        if name == "commit_on_failed_open":
            commit()
        raise Refused(err.code, err.why)
    if name == "sender_check_after_commit":
        commit()
    if opened["senderDevice"] != s.peer[1] and name != "sender_check_skipped":
        raise refuse("wrong_device", "the envelope's sender is not the session's peer")
    if name != "sender_check_after_commit":
        commit()
    return {"index": index, "bor": opened["bor"], "contentType": opened["contentType"], "content": opened["content"].hex()}


def mutation_vectors(path: str):
    """For misreadings.py: the vector file's groups, loaded once, and for each case the model's
    functions it calls. A mutation patches some of them; a case that calls none of them runs
    exactly as without the mutation, up to its end, so it cannot catch it and is not run again."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: {e}")
    if data.get("part") != "session":
        raise ValueError(f"{path} is not a session vector file")
    groups = data["testGroups"]
    g = sys.modules[__name__]
    targets = {(owner, attr) for name in MUTATIONS for owner, attr, _ in _patches(name)}
    seen: set = set()
    saved = []
    for owner, attr in targets:
        fn = owner.__dict__.get(attr) if isinstance(owner, type) else getattr(owner, attr, None)
        if not callable(fn):
            continue

        def traced(*a, _fn=fn, _key=(owner, attr), **k):
            seen.add(_key)
            return _fn(*a, **k)
        saved.append((owner, attr, fn))
        setattr(owner, attr, traced)
    touched = {}
    resume = {}
    try:
        for group in groups:
            for test in group["tests"]:
                cid = f"{group['group']}/{test['id']}"
                seen.clear()
                if group["op"] == "session.scenario" and test["result"] == "valid":
                    # Per step: what it calls, and the network before it (deep copies, which patched
                    # class methods still apply to), so that a mutation can resume at its first
                    # step that calls a patched function.
                    net = Network(test["args"])
                    steps = [(frozenset(seen), None)]
                    for e in test["args"]["events"]:
                        before = copy.deepcopy(net)
                        seen.clear()
                        net.step(e)
                        steps.append((frozenset(seen), before))
                    resume[cid] = steps
                    touched[cid] = frozenset().union(*(t for t, _ in steps))
                    continue
                _run_case(group, test)
                # OPS hands out op_handshake itself, which the tracer above never sees.
                always = {(g, "OPS"), (g, "op_handshake")} if group["op"] == "session.handshake" else set()
                touched[cid] = frozenset(seen) | always
    finally:
        for owner, attr, fn in saved:
            setattr(owner, attr, fn)
    return {"groups": groups, "touched": touched, "resume": resume}


def _run_case(group: dict, test: dict, start=None) -> str:
    """The first mismatch of one test under the current model, or "". A valid scenario is compared
    step by step and stops at its first wrong step: the steps after it cannot undo the catch.
    start: (step index, a copy of the network before that step) to resume a scenario from."""
    if group["op"] == "session.scenario" and test["result"] == "valid":
        a, want = test["args"], test["expected"]["steps"]
        try:
            only(a, {"accounts", "devices", "events"}, "args")
            first, net = start if start is not None else (0, Network(a))
            for n, e in enumerate(a["events"]):
                if n < first:
                    continue
                d = first_difference(want[n], net.step(e), f".steps[{n}]") if n < len(want) else "too many steps"
                if d:
                    return d
        except BadArgs as b:
            return f"expected success, computed adapter.bad_request ({b})"
        except Exception as e:  # a mutated model may fail outright: that is a catch too
            return f"expected success, computed model failure {type(e).__name__}: {e}"
        return "" if len(want) == len(a["events"]) else "too few steps"
    # A mutated model may fail outright: outcome_mismatch counts that as a catch too.
    return outcome_mismatch(OPS.get(group["op"]), test)[0] or ""


def failing_cases(loaded, mut: frozenset) -> dict[str, str]:
    """For misreadings.py: case ID ("group/id") -> first mismatch, under the mutations `mut`."""
    g = sys.modules[__name__]
    patches = [p for name in sorted(mut) for p in _patches(name)]
    saved = [(owner, attr, owner.__dict__.get(attr, _MISSING) if isinstance(owner, type) else getattr(owner, attr, _MISSING))
             for owner, attr, _ in patches]
    try:
        for owner, attr, new in patches:
            setattr(owner, attr, new)
        keys = {(owner, attr) for owner, attr, _ in patches}
        out = {}
        for group in loaded["groups"]:
            for test in group["tests"]:
                cid = f"{group['group']}/{test['id']}"
                if keys and not keys & loaded["touched"][cid]:
                    continue
                start = None
                steps = loaded["resume"].get(cid) if keys else None
                if steps is not None and not keys & steps[0][0]:
                    # Resume at the first step that calls a patched function: every step before it
                    # runs as without the mutation, and matched the vector then.
                    k = next(n for n, (t, _) in enumerate(steps) if n > 0 and keys & t)
                    start = (k - 1, copy.deepcopy(steps[k][1]))
                d = _run_case(group, test, start)
                if d:
                    out[cid] = d
        return out
    finally:
        for owner, attr, old in reversed(saved):
            if old is _MISSING:
                delattr(owner, attr)
            else:
                setattr(owner, attr, old)
        assert g.OPS["session.handshake"] is op_handshake


_MISSING = object()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--self-test", action="store_true", help="run the self-tests only")
    p.add_argument("--vectors", default=os.path.join(HERE, "..", "session.json"), help="vector file")
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
