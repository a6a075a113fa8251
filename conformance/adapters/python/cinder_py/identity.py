"""Identity hashing (spec/identity.md): canonical forms, the two PBKDF2 layers, contact-finder
look-ups and key-verification codes."""

from __future__ import annotations

import hashlib

from .args import Fields, Refused
from .primitives import hkdf, u16

KIND_BYTES = {"user_id": 1, "phone": 2, "email": 3, "device_id": 4}  # IDH-001
MAX_INPUT = 512  # IDH-002
WHITESPACE = b" \t\n\r"  # IDH-003
USER_ID_BYTES = set(b"abcdefghijklmnopqrstuvwxyz0123456789._-")
ALNUM = set(b"abcdefghijklmnopqrstuvwxyz0123456789")
ATEXT = ALNUM | set(b"!#$%&'*+-/=?^_`{|}~")
LABEL_BYTES = ALNUM | {ord("-")}
PHONE_SEPARATORS = set(b" -.()")


def canonicalize(kind: str, raw: bytes) -> bytes:
    """IDH-002..IDH-013: the canonical form, or Refused with the kind's error code."""
    code = "identity.invalid_" + kind

    def need(ok: bool):
        if not ok:
            raise Refused(code)

    need(len(raw) <= MAX_INPUT)
    if kind == "device_id":
        need(1 <= len(raw) <= 128)
        return raw
    x = raw.strip(WHITESPACE)
    need(len(x) > 0 and all(b < 0x80 for b in x))
    if kind == "user_id":
        x = x.lower()
        need(3 <= len(x) <= 64 and set(x) <= USER_ID_BYTES and x[0] in ALNUM and x[-1] in ALNUM)
        return x
    if kind == "phone":
        need(x[:1] == b"+" and b"(0)" not in x)
        rest = x[1:]
        need(all(chr(b).isdigit() or b in PHONE_SEPARATORS for b in rest))
        digits = bytes(b for b in rest if b not in PHONE_SEPARATORS)
        need(7 <= len(digits) <= 15 and digits[:1] != b"0")
        return b"+" + digits
    # email, IDH-010..IDH-012
    x = x.lower()
    need(len(x) <= 254 and x.count(b"@") == 1)
    local, domain = x.split(b"@")
    need(1 <= len(local) <= 64 and all(atom and set(atom) <= ATEXT for atom in local.split(b".")))
    labels = domain.split(b".")
    need(len(labels) >= 2)
    for label in labels:
        need(1 <= len(label) <= 63 and set(label) <= LABEL_BYTES and label[:1] != b"-" and label[-1:] != b"-")
    need(not labels[-1].isdigit())
    return x


def check_rounds(rounds: int):
    if not 1000 <= rounds <= 1_000_000:
        raise Refused("identity.invalid_rounds")  # IDH-022


def layer(layer_byte: int, kind: str, x: bytes, salt: bytes, rounds: int) -> bytes:
    """IDH-023, IDH-024: PBKDF2-HMAC-SHA256 over the hash message."""
    message = b"cinder-idh-v1" + bytes([layer_byte, KIND_BYTES[kind]]) + u16(len(x)) + x
    return hashlib.pbkdf2_hmac("sha256", message, salt, rounds, 32)


def client_hash(kind: str, raw: bytes, salt: bytes, rounds: int) -> bytes:
    if not 16 <= len(salt) <= 64:
        raise Refused("identity.invalid_salt")  # IDH-020
    check_rounds(rounds)
    return layer(1, kind, canonicalize(kind, raw), salt, rounds)


def server_hash(kind: str, client: bytes, secret: bytes, rounds: int) -> bytes:
    if not 32 <= len(secret) <= 64:
        raise Refused("identity.invalid_salt")  # IDH-021
    check_rounds(rounds)
    return layer(2, kind, client, secret, rounds)


def contact_lookup(entries: list, salt: bytes, rounds: int) -> list:
    """IDH-030..IDH-032: every entry client-hashed, sorted, duplicates removed."""
    if not 1 <= len(entries) <= 1000 or any(kind not in ("phone", "email") for kind, _ in entries):
        raise Refused("identity.invalid_batch")
    if not 16 <= len(salt) <= 64:
        raise Refused("identity.invalid_salt")
    check_rounds(rounds)
    canonical = [(kind, canonicalize(kind, raw)) for kind, raw in entries]  # the first bad entry decides
    return sorted({layer(1, kind, c, salt, rounds) for kind, c in canonical})


def verification_code(key_a: bytes, key_b: bytes) -> str:
    """IDH-040..IDH-042."""
    if len(key_a) != 32 or len(key_b) != 32 or key_a == key_b:
        raise Refused("identity.invalid_key")
    lo, hi = sorted((key_a, key_b))
    okm = hkdf(b"cinder-vc-v1", lo + hi, b"key verification code", 32)
    return " ".join(f"{int.from_bytes(okm[4 * i : 4 * i + 4], 'big') % 100000:05d}" for i in range(8))


def read_rounds(f: Fields) -> int:
    """A u32 (ADAPTER.md section 3): 999 or 2^32 - 1 is the spec's `invalid_rounds`, a negative
    number or one above 2^32 - 1 cannot be read."""
    return f.u32("rounds")


def op_canonicalize(args):
    f = Fields(args).only("kind", "input")
    return {"canonical": canonicalize(f.str("kind", KIND_BYTES), f.hex("input")).hex()}


def op_client_hash(args):
    f = Fields(args).only("kind", "input", "salt", "rounds")
    return {"hash": client_hash(f.str("kind", KIND_BYTES), f.hex("input"), f.hex("salt"), read_rounds(f)).hex()}


def op_server_hash(args):
    f = Fields(args).only("kind", "clientHash", "secret", "rounds")
    kind, client = f.str("kind", KIND_BYTES), f.hex("clientHash", 32)
    return {"hash": server_hash(kind, client, f.hex("secret"), read_rounds(f)).hex()}


def op_contact_lookup(args):
    f = Fields(args).only("entries", "salt", "rounds")
    entries = [(e.only("kind", "input").str("kind", KIND_BYTES), e.hex("input")) for e in f.objects("entries")]
    return {"hashes": [h.hex() for h in contact_lookup(entries, f.hex("salt"), read_rounds(f))]}


def op_verification_code(args):
    f = Fields(args).only("keyA", "keyB")
    return {"code": verification_code(f.hex("keyA"), f.hex("keyB"))}


OPS = {
    "identity.canonicalize": op_canonicalize,
    "identity.client_hash": op_client_hash,
    "identity.server_hash": op_server_hash,
    "identity.contact_lookup": op_contact_lookup,
    "identity.verification_code": op_verification_code,
}
