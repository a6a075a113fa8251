#!/usr/bin/env python3
"""Independent cross-check of Cinder's identity-hashing vectors (vectors/identity.json).

This is a second implementation of the identity-hashing construction, written in Python from the
rules of spec/identity.md (requirements IDH-002 to IDH-042), not from the Rust reference. It reads
the vector file, recomputes every valid test's expected output from its arguments, and checks that
every invalid test is rejected here too, with the same error code.

Primitives come from outside this project, so that a bug in the reference's primitives cannot be
repeated here: PBKDF2-HMAC-SHA256 from `hashlib.pbkdf2_hmac`, HKDF-SHA256 from the `cryptography`
package. Before touching the vectors the script checks those primitives against published answers
(RFC 7914 section 11, RFC 5869 appendix A) and checks its own canonicalisation against cases worked
out by hand from the rules.

Usage:
    python3 identity.py                 # self-tests, then ../identity.json
    python3 identity.py --self-test     # self-tests only
    python3 identity.py --vectors FILE  # self-tests, then FILE

Exit status: 0 when everything agrees, 1 on any mismatch or self-test failure, 2 when the vector
file is missing or malformed.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# ---------------------------------------------------------------------------------------------
# Parameters of the construction (spec/identity.md).
# ---------------------------------------------------------------------------------------------

KIND_BYTE = {"user_id": 0x01, "phone": 0x02, "email": 0x03, "device_id": 0x04}
LAYER_CLIENT = 0x01
LAYER_SERVER = 0x02
HASH_LABEL = b"cinder-idh-v1"

RAW_INPUT_MAX = 512  # IDH-002, every kind, before trimming
TRIMMED_BYTES = b" \t\n\r"  # IDH-003: exactly SP, HT, LF, CR

USER_ID_LEN = (3, 64)
USER_ID_ALPHABET = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789._-")
ALNUM = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789")

PHONE_DIGITS = (7, 15)
PHONE_SEPARATORS = frozenset(b" -.()")
DIGITS = frozenset(b"0123456789")

EMAIL_MAX = 254
EMAIL_LOCAL_MAX = 64
EMAIL_DOMAIN_MAX = 253
EMAIL_LABEL_MAX = 63
# RFC 5322 section 3.2.3 atext: ALPHA / DIGIT / the seventeen specials below. Upper case letters
# cannot occur here because the whole address is lower-cased first.
ATEXT = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-/=?^_`{|}~")
LABEL_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789-")

DEVICE_ID_LEN = (1, 128)

CLIENT_SALT_LEN = (16, 64)
SERVER_SECRET_LEN = (32, 64)
ROUNDS = (1000, 1_000_000)
LOOKUP_ENTRIES = (1, 1000)
LOOKUP_KINDS = ("phone", "email")

KEY_LEN = 32
VC_SALT = b"cinder-vc-v1"
VC_INFO = b"key verification code"
VC_GROUPS = 8

ERROR_FOR_KIND = {
    "user_id": "identity.invalid_user_id",
    "phone": "identity.invalid_phone",
    "email": "identity.invalid_email",
    "device_id": "identity.invalid_device_id",
}
INVALID_SALT = "identity.invalid_salt"
INVALID_ROUNDS = "identity.invalid_rounds"
INVALID_BATCH = "identity.invalid_batch"
INVALID_KEY = "identity.invalid_key"


class Rejected(Exception):
    """The input has no valid result; `code` is the spec error code."""

    def __init__(self, code: str, why: str):
        super().__init__(f"{code}: {why}")
        self.code = code
        self.why = why


class VectorProblem(Exception):
    """The vector file itself is not what this script understands (not a protocol answer)."""


# ---------------------------------------------------------------------------------------------
# Canonicalisation (IDH-002 .. IDH-013), one function per kind.
# ---------------------------------------------------------------------------------------------


def _text(kind: str, raw: bytes) -> bytes:
    """The shared front end of the three text kinds: trim, then refuse empty and non-ASCII."""
    fail = ERROR_FOR_KIND[kind]
    start, end = 0, len(raw)
    while start < end and raw[start] in TRIMMED_BYTES:
        start += 1
    while end > start and raw[end - 1] in TRIMMED_BYTES:
        end -= 1
    text = raw[start:end]
    if not text:
        raise Rejected(fail, "empty after trimming")
    if max(text) >= 0x80:
        raise Rejected(fail, "byte >= 0x80")
    return text


def _user_id(text: bytes) -> bytes:
    fail = ERROR_FOR_KIND["user_id"]
    lowered = text.lower()  # bytes.lower() touches ASCII A-Z only
    if not USER_ID_LEN[0] <= len(lowered) <= USER_ID_LEN[1]:
        raise Rejected(fail, f"length {len(lowered)}")
    if not set(lowered) <= USER_ID_ALPHABET:
        raise Rejected(fail, "character outside [a-z0-9._-]")
    if lowered[0] not in ALNUM or lowered[-1] not in ALNUM:
        raise Rejected(fail, "first or last character not alphanumeric")
    return lowered


def _phone(text: bytes) -> bytes:
    fail = ERROR_FOR_KIND["phone"]
    if text[:1] != b"+":
        raise Rejected(fail, "does not start with '+'")
    body = text[1:]
    if b"(0)" in body:
        raise Rejected(fail, "national trunk marker (0)")
    digits = bytearray()
    for byte in body:
        if byte in DIGITS:
            digits.append(byte)
        elif byte not in PHONE_SEPARATORS:
            raise Rejected(fail, f"byte {byte:#04x} is neither digit nor separator")
    if not PHONE_DIGITS[0] <= len(digits) <= PHONE_DIGITS[1]:
        raise Rejected(fail, f"{len(digits)} digits")
    if digits[0] == ord("0"):
        raise Rejected(fail, "country code starts with 0")
    return b"+" + bytes(digits)


def _email(text: bytes) -> bytes:
    fail = ERROR_FOR_KIND["email"]
    address = text.lower()
    if len(address) > EMAIL_MAX:
        raise Rejected(fail, f"length {len(address)}")
    if address.count(b"@") != 1:
        raise Rejected(fail, "not exactly one '@'")
    local, domain = address.split(b"@")
    if not 1 <= len(local) <= EMAIL_LOCAL_MAX:
        raise Rejected(fail, f"local part length {len(local)}")
    for atom in local.split(b"."):
        # An empty atom is a leading, trailing or doubled dot.
        if not atom or not set(atom) <= ATEXT:
            raise Rejected(fail, "local part is not dot-separated atext")
    if len(domain) > EMAIL_DOMAIN_MAX:
        raise Rejected(fail, f"domain length {len(domain)}")
    labels = domain.split(b".")
    if len(labels) < 2:
        raise Rejected(fail, "domain has fewer than two labels")
    for label in labels:
        if not 1 <= len(label) <= EMAIL_LABEL_MAX:
            raise Rejected(fail, f"label length {len(label)}")
        if not set(label) <= LABEL_CHARS or label.startswith(b"-") or label.endswith(b"-"):
            raise Rejected(fail, "bad domain label")
    if set(labels[-1]) <= DIGITS:
        raise Rejected(fail, "last label is all digits")
    return address


def _device_id(raw: bytes) -> bytes:
    fail = ERROR_FOR_KIND["device_id"]
    if not DEVICE_ID_LEN[0] <= len(raw) <= DEVICE_ID_LEN[1]:
        raise Rejected(fail, f"length {len(raw)}")
    return raw


def canonicalize(kind: str, raw: bytes) -> bytes:
    """The canonical form of `raw` as an identifier of `kind`, or Rejected with the kind's code."""
    if kind not in KIND_BYTE:
        raise VectorProblem(f"unknown identifier kind {kind!r}")
    if len(raw) > RAW_INPUT_MAX:
        raise Rejected(ERROR_FOR_KIND[kind], f"raw input of {len(raw)} bytes")
    if kind == "device_id":
        return _device_id(raw)
    text = _text(kind, raw)
    return {"user_id": _user_id, "phone": _phone, "email": _email}[kind](text)


# ---------------------------------------------------------------------------------------------
# Hashing (IDH-020 .. IDH-032) and verification codes (IDH-040 .. IDH-042).
# ---------------------------------------------------------------------------------------------


def hash_message(layer: int, kind: str, data: bytes) -> bytes:
    """M(layer, kind, x) = label || layer || kind || u16be(len x) || x (IDH-023)."""
    return HASH_LABEL + bytes([layer, KIND_BYTE[kind]]) + len(data).to_bytes(2, "big") + data


def check_rounds(rounds: int) -> int:
    if isinstance(rounds, bool) or not isinstance(rounds, int):
        raise VectorProblem(f"rounds {rounds!r} is not an integer")
    if not ROUNDS[0] <= rounds <= ROUNDS[1]:
        raise Rejected(INVALID_ROUNDS, f"{rounds} rounds")
    return rounds


def check_len(value: bytes, bounds: tuple[int, int], what: str) -> bytes:
    if not bounds[0] <= len(value) <= bounds[1]:
        raise Rejected(INVALID_SALT, f"{what} of {len(value)} bytes")
    return value


def client_hash(kind: str, raw: bytes, salt: bytes, rounds: int) -> bytes:
    # Precedence chosen here: salt, then rounds, then the identifier. See README.md.
    check_len(salt, CLIENT_SALT_LEN, "client salt")
    check_rounds(rounds)
    canonical = canonicalize(kind, raw)
    return hashlib.pbkdf2_hmac("sha256", hash_message(LAYER_CLIENT, kind, canonical), salt, rounds, 32)


def server_hash(kind: str, client: bytes, secret: bytes, rounds: int) -> bytes:
    if kind not in KIND_BYTE:
        raise VectorProblem(f"unknown identifier kind {kind!r}")
    if len(client) != 32:
        raise VectorProblem(f"client hash of {len(client)} bytes (the spec defines no error for it)")
    check_len(secret, SERVER_SECRET_LEN, "server secret")
    check_rounds(rounds)
    return hashlib.pbkdf2_hmac("sha256", hash_message(LAYER_SERVER, kind, client), secret, rounds, 32)


def contact_lookup(entries: list[tuple[str, bytes]], salt: bytes, rounds: int) -> list[bytes]:
    # Precedence chosen here: salt, rounds, batch size, batch kinds, then entries in order.
    check_len(salt, CLIENT_SALT_LEN, "client salt")
    check_rounds(rounds)
    if not LOOKUP_ENTRIES[0] <= len(entries) <= LOOKUP_ENTRIES[1]:
        raise Rejected(INVALID_BATCH, f"{len(entries)} entries")
    for kind, _ in entries:
        if kind not in LOOKUP_KINDS:
            raise Rejected(INVALID_BATCH, f"entry of kind {kind!r}")
    hashes = {client_hash(kind, raw, salt, rounds) for kind, raw in entries}
    return sorted(hashes)


def code_from_okm(okm: bytes) -> str:
    """Eight groups: u32 big-endian of each 4-byte slice, mod 100000, five digits (IDH-042)."""
    groups = []
    for i in range(VC_GROUPS):
        value = int.from_bytes(okm[4 * i : 4 * i + 4], "big") % 100_000
        groups.append(f"{value:05d}")
    return " ".join(groups)


def hkdf_sha256(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def verification_code(key_a: bytes, key_b: bytes) -> str:
    if len(key_a) != KEY_LEN or len(key_b) != KEY_LEN:
        raise Rejected(INVALID_KEY, "key is not 32 bytes")
    if key_a == key_b:
        raise Rejected(INVALID_KEY, "keys are equal")
    lo, hi = sorted((key_a, key_b))
    return code_from_okm(hkdf_sha256(VC_SALT, lo + hi, VC_INFO, 4 * VC_GROUPS))


# ---------------------------------------------------------------------------------------------
# Every fault an invalid test has, regardless of precedence: used to point out vectors whose
# expected error depends on an ordering of checks the spec may not state.
# ---------------------------------------------------------------------------------------------


def _canonical_fault(kind: str, raw: bytes) -> str | None:
    try:
        canonicalize(kind, raw)
    except Rejected as e:
        return e.code
    return None


def all_faults(op: str, args: dict) -> list[str]:
    faults: list[str] = []
    if op == "identity.canonicalize":
        fault = _canonical_fault(args["kind"], unhex(args["input"], "input"))
        faults += [fault] if fault else []
    elif op in ("identity.client_hash", "identity.contact_lookup"):
        if not CLIENT_SALT_LEN[0] <= len(unhex(args["salt"], "salt")) <= CLIENT_SALT_LEN[1]:
            faults.append(INVALID_SALT)
        if not ROUNDS[0] <= args["rounds"] <= ROUNDS[1]:
            faults.append(INVALID_ROUNDS)
        if op == "identity.client_hash":
            fault = _canonical_fault(args["kind"], unhex(args["input"], "input"))
            faults += [fault] if fault else []
        else:
            entries = args["entries"]
            if not LOOKUP_ENTRIES[0] <= len(entries) <= LOOKUP_ENTRIES[1]:
                faults.append(INVALID_BATCH)
            if any(e["kind"] not in LOOKUP_KINDS for e in entries) and INVALID_BATCH not in faults:
                faults.append(INVALID_BATCH)
            for e in entries:
                if e["kind"] in LOOKUP_KINDS:
                    fault = _canonical_fault(e["kind"], unhex(e["input"], "entry input"))
                    if fault and fault not in faults:
                        faults.append(fault)
    elif op == "identity.server_hash":
        if not SERVER_SECRET_LEN[0] <= len(unhex(args["secret"], "secret")) <= SERVER_SECRET_LEN[1]:
            faults.append(INVALID_SALT)
        if not ROUNDS[0] <= args["rounds"] <= ROUNDS[1]:
            faults.append(INVALID_ROUNDS)
    elif op == "identity.verification_code":
        try:
            verification_code(unhex(args["keyA"], "keyA"), unhex(args["keyB"], "keyB"))
        except Rejected as e:
            faults.append(e.code)
    return faults


# ---------------------------------------------------------------------------------------------
# Running the vector file.
# ---------------------------------------------------------------------------------------------


def unhex(value: object, name: str) -> bytes:
    if not isinstance(value, str):
        raise VectorProblem(f"{name} is not a hex string: {value!r}")
    if value != value.lower():
        raise VectorProblem(f"{name} is not lowercase hex: {value!r}")
    try:
        return bytes.fromhex(value)
    except ValueError as e:
        raise VectorProblem(f"{name} is not hex: {e}") from None


def run_op(op: str, args: dict) -> dict:
    """The output object a valid test expects, computed here; raises Rejected for invalid input."""
    if op == "identity.canonicalize":
        return {"canonical": canonicalize(args["kind"], unhex(args["input"], "input")).hex()}
    if op == "identity.client_hash":
        h = client_hash(args["kind"], unhex(args["input"], "input"), unhex(args["salt"], "salt"), args["rounds"])
        return {"hash": h.hex()}
    if op == "identity.server_hash":
        client = unhex(args["clientHash"], "clientHash")
        h = server_hash(args["kind"], client, unhex(args["secret"], "secret"), args["rounds"])
        return {"hash": h.hex()}
    if op == "identity.contact_lookup":
        entries = [(e["kind"], unhex(e["input"], "entry input")) for e in args["entries"]]
        hs = contact_lookup(entries, unhex(args["salt"], "salt"), args["rounds"])
        return {"hashes": [h.hex() for h in hs]}
    if op == "identity.verification_code":
        return {"code": verification_code(unhex(args["keyA"], "keyA"), unhex(args["keyB"], "keyB"))}
    raise VectorProblem(f"unknown op {op!r}")


def check_vectors(path: str) -> int:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        groups = data["testGroups"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"crosscheck identity: cannot read {path}: {e}", file=sys.stderr)
        return 2

    valid = invalid = 0
    mismatches: list[str] = []
    multi_fault: list[str] = []
    seen_ops: dict[str, int] = {}
    for group in groups:
        op = group["op"]
        for test in group["tests"]:
            tid = test.get("id", "<no id>")
            seen_ops[op] = seen_ops.get(op, 0) + 1
            args = test["args"]
            try:
                outcome = run_op(op, args)
                err = None
            except Rejected as e:
                outcome, err = None, e
            except (VectorProblem, KeyError, TypeError) as e:
                mismatches.append(f"{tid}: cannot evaluate ({type(e).__name__}: {e})")
                continue

            if test["result"] == "valid":
                valid += 1
                expected = test.get("expected")
                if err is not None:
                    mismatches.append(f"{tid}: vectors say valid {expected}, Python rejects with {err}")
                elif outcome != expected:
                    mismatches.append(f"{tid}: vectors expect {expected}, Python computes {outcome}")
            elif test["result"] == "invalid":
                invalid += 1
                want = test.get("error")
                faults = all_faults(op, args)
                if len(faults) > 1:
                    multi_fault.append(f"{tid}: faults {faults}, vectors expect {want}")
                if err is None:
                    mismatches.append(f"{tid}: vectors expect error {want}, Python accepts with {outcome}")
                elif err.code != want:
                    mismatches.append(
                        f"{tid}: vectors expect error {want}, Python rejects with {err.code} ({err.why})"
                        + (f" [precedence: all faults {faults}]" if want in faults else "")
                    )
            else:
                mismatches.append(f"{tid}: result {test['result']!r} is neither valid nor invalid")

    declared = data.get("numberOfTests")
    if declared is not None and declared != sum(seen_ops.values()):
        mismatches.append(f"numberOfTests says {declared}, file holds {sum(seen_ops.values())}")
    for op in sorted(seen_ops):
        print(f"  {op}: {seen_ops[op]} tests")
    for line in multi_fault:
        print(f"  note: multi-fault invalid test {line}")
    for line in mismatches:
        print(f"MISMATCH {line}")
    print(f"crosscheck identity: {valid} valid recomputed, {invalid} invalid rejected, {len(mismatches)} mismatches")
    return 1 if mismatches else 0


# ---------------------------------------------------------------------------------------------
# Self-tests: primitives against published answers, the construction against hand-worked cases.
# ---------------------------------------------------------------------------------------------


def _hexjoin(*lines: str) -> bytes:
    return bytes.fromhex("".join(lines).replace(" ", ""))


def _pbkdf2_by_definition(password: bytes, salt: bytes, c: int, dklen: int) -> bytes:
    """RFC 8018 section 5.2 spelled out with the hmac module, to watch hashlib from a second angle."""
    out = b""
    block = 1
    while len(out) < dklen:
        u = hmac.new(password, salt + block.to_bytes(4, "big"), hashlib.sha256).digest()
        t = bytearray(u)
        for _ in range(c - 1):
            u = hmac.new(password, u, hashlib.sha256).digest()
            t = bytearray(a ^ b for a, b in zip(t, u))
        out += bytes(t)
        block += 1
    return out[:dklen]


def self_test() -> list[str]:
    failures: list[str] = []

    def check(name: str, got: object, want: object) -> None:
        if got != want:
            failures.append(f"{name}: got {got!r}, want {want!r}")

    def rejects(name: str, fn, code: str) -> None:
        try:
            got = fn()
        except Rejected as e:
            if e.code != code:
                failures.append(f"{name}: rejected with {e.code}, want {code}")
            return
        failures.append(f"{name}: accepted ({got!r}), want {code}")

    # RFC 7914 section 11: PBKDF2-HMAC-SHA256.
    rfc7914_1 = _hexjoin(
        "55 ac 04 6e 56 e3 08 9f ec 16 91 c2 25 44 b6 05",
        "f9 41 85 21 6d de 04 65 e6 8b 9d 57 c2 0d ac bc",
        "49 ca 9c cc f1 79 b6 45 99 16 64 b3 9d 77 ef 31",
        "7c 71 b8 45 b1 e3 0b d5 09 11 20 41 d3 a1 97 83",
    )
    rfc7914_2 = _hexjoin(
        "4d dc d8 f6 0b 98 be 21 83 0c ee 5e f2 27 01 f9",
        "64 1a 44 18 d0 4c 04 14 ae ff 08 87 6b 34 ab 56",
        "a1 d4 25 a1 22 58 33 54 9a db 84 1b 51 c9 b3 17",
        "6a 27 2b de bb a1 d0 78 47 8f 62 b3 97 f3 3c 8d",
    )
    check("RFC 7914 PBKDF2 passwd/salt/1", hashlib.pbkdf2_hmac("sha256", b"passwd", b"salt", 1, 64), rfc7914_1)
    check("RFC 7914 PBKDF2 Password/NaCl/80000", hashlib.pbkdf2_hmac("sha256", b"Password", b"NaCl", 80000, 64), rfc7914_2)
    # The construction uses dkLen 32, i.e. the first block only; the first 32 bytes of the RFC
    # answer are that block.
    check("RFC 7914 PBKDF2 first block", hashlib.pbkdf2_hmac("sha256", b"passwd", b"salt", 1, 32), rfc7914_1[:32])
    check("PBKDF2 by definition, RFC 7914 #1", _pbkdf2_by_definition(b"passwd", b"salt", 1, 64), rfc7914_1)
    for c in (1000, 1001):
        m = hash_message(LAYER_CLIENT, "phone", b"+15550109999")
        check(
            f"PBKDF2 by definition vs hashlib, c={c}",
            _pbkdf2_by_definition(m, b"s" * 16, c, 32),
            hashlib.pbkdf2_hmac("sha256", m, b"s" * 16, c, 32),
        )

    # RFC 5869 appendix A.1 and A.3: HKDF-SHA256.
    check(
        "RFC 5869 A.1",
        hkdf_sha256(bytes.fromhex("000102030405060708090a0b0c"), b"\x0b" * 22, bytes.fromhex("f0f1f2f3f4f5f6f7f8f9"), 42),
        bytes.fromhex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"),
    )
    check(
        "RFC 5869 A.3",
        hkdf_sha256(b"", b"\x0b" * 22, b"", 42),
        bytes.fromhex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"),
    )

    # IDH-023: the message layout, written out byte by byte.
    check(
        "hash message layout",
        hash_message(LAYER_CLIENT, "phone", b"+15550109999"),
        b"cinder-idh-v1" + b"\x01" + b"\x02" + b"\x00\x0c" + b"+15550109999",
    )
    check("hash message server layer", hash_message(LAYER_SERVER, "device_id", b"\xff")[13:], b"\x02\x04\x00\x01\xff")

    # IDH-042: grouping, on hand-chosen OKM bytes whose values are easy to work out.
    okm = bytes.fromhex(
        "00000000"  # 0 -> 00000
        "ffffffff"  # 4294967295 mod 100000 = 67295
        "000186a0"  # 100000 -> 00000
        "0001869f"  # 99999
        "00000007"  # 7 -> 00007
        "3b9aca00"  # 1000000000 -> 00000
        "00003039"  # 12345
        "80000000"  # 2147483648 -> 83648
    )
    check("verification code grouping", code_from_okm(okm), "00000 67295 00000 99999 00007 00000 12345 83648")

    # Canonicalisation, worked out by hand from the rules.
    cases_ok = [
        ("user_id", b"  Alice.Smith_01 \r\n", b"alice.smith_01"),
        ("user_id", b"a-b", b"a-b"),
        ("user_id", b"9" * 64, b"9" * 64),
        ("phone", b" +1 (555) 010-9999 ", b"+15550109999"),
        ("phone", b"\t+44.20.7946.0000\n", b"+442079460000"),
        ("phone", b"+1234567", b"+1234567"),
        ("phone", b"+" + b"9" * 15, b"+" + b"9" * 15),
        ("email", b" Alice.O'Brien+Tag@Example.COM\t", b"alice.o'brien+tag@example.com"),
        ("email", b"x@a-b.c0m", b"x@a-b.c0m"),
        ("email", b"{}|~@1.2.3.io", b"{}|~@1.2.3.io"),
        ("email", b"l" * 64 + b"@d.io", b"l" * 64 + b"@d.io"),
        ("device_id", b" \x00\xff\r", b" \x00\xff\r"),
        ("device_id", b"\x80" * 128, b"\x80" * 128),
        ("user_id", b" " * 500 + b"alice" + b" " * 7, b"alice"),  # 512 raw bytes: allowed
        ("email", b"a@" + (b"l" * 60 + b".") * 4 + b"io", b"a@" + (b"l" * 60 + b".") * 4 + b"io"),  # 248 bytes
    ]
    for kind, raw, want in cases_ok:
        try:
            check(f"canonicalize {kind} {raw[:40]!r}", canonicalize(kind, raw), want)
        except Rejected as e:
            failures.append(f"canonicalize {kind} {raw[:40]!r}: rejected {e}")
    cases_bad = [
        ("user_id", b"ab"),
        ("user_id", b"a" * 65),
        ("user_id", b"_abc"),
        ("user_id", b"abc."),
        ("user_id", b"al ice"),
        ("user_id", "\u00c4bc".encode()),
        ("user_id", b"   \t\r\n"),
        ("user_id", b" " * 500 + b"alice" + b" " * 8),  # 513 raw bytes: too long before trimming
        ("user_id", b"\x0babc"),  # vertical tab is not trimmed
        ("phone", b"0015550109999"),
        ("phone", b"+44 (0)20 7946 0000"),
        ("phone", b"+0 555 010 9999"),
        ("phone", b"+123456"),
        ("phone", b"+" + b"9" * 16),
        ("phone", b"+1/555/010/9999"),
        ("phone", b"+1 555 010 9999 ext 2"),
        ("phone", b"++15550109999"),
        ("phone", b"+(1) 0"),
        ("email", b"a..b@x.io"),
        ("email", b".a@x.io"),
        ("email", b"a.@x.io"),
        ("email", b"a@b@x.io"),
        ("email", b"ab.x.io"),
        ("email", b"a@localhost"),
        ("email", b"a@example.123"),
        ("email", b"a@-x.io"),
        ("email", b"a@x-.io"),
        ("email", b"a@x..io"),
        ("email", b"a@x.io."),
        ("email", b"a(b)@x.io"),
        ("email", b"a@x_y.io"),
        ("email", b"l" * 65 + b"@d.io"),
        ("email", b"a@" + b"l" * 64 + b".io"),
        ("device_id", b""),
        ("device_id", b"\x00" * 129),
    ]
    for kind, raw in cases_bad:
        rejects(f"canonicalize {kind} {raw[:40]!r}", lambda k=kind, r=raw: canonicalize(k, r), ERROR_FOR_KIND[kind])
    # An address of 255 bytes breaks IDH-010. (The domain bound of IDH-012, 253, cannot be reached
    # on its own: an address of at most 254 bytes with a non-empty local part and one '@' leaves at
    # most 252 bytes for the domain.)
    long_address = b"l" * 64 + b"@" + (b"l" * 61 + b".") * 3 + b"abcd"  # 64 + 1 + 186 + 4 = 255
    rejects("email address > 254", lambda: canonicalize("email", long_address), INVALID_EMAIL_CODE)

    # Bounds and errors of the hashing layer.
    rejects("salt of 15 bytes", lambda: client_hash("phone", b"+15550109999", b"s" * 15, 1000), INVALID_SALT)
    rejects("salt of 65 bytes", lambda: client_hash("phone", b"+15550109999", b"s" * 65, 1000), INVALID_SALT)
    rejects("999 rounds", lambda: client_hash("phone", b"+15550109999", b"s" * 16, 999), INVALID_ROUNDS)
    rejects("1000001 rounds", lambda: client_hash("phone", b"+15550109999", b"s" * 16, 1_000_001), INVALID_ROUNDS)
    rejects("secret of 31 bytes", lambda: server_hash("phone", b"\x00" * 32, b"k" * 31, 1000), INVALID_SALT)
    rejects("empty lookup", lambda: contact_lookup([], b"s" * 16, 1000), INVALID_BATCH)
    rejects("1001 entries", lambda: contact_lookup([("phone", b"+15550109999")] * 1001, b"s" * 16, 1000), INVALID_BATCH)
    rejects("user_id in lookup", lambda: contact_lookup([("user_id", b"alice")], b"s" * 16, 1000), INVALID_BATCH)
    rejects("bad phone in lookup", lambda: contact_lookup([("phone", b"555")], b"s" * 16, 1000), "identity.invalid_phone")
    rejects("equal keys", lambda: verification_code(b"\x01" * 32, b"\x01" * 32), INVALID_KEY)
    rejects("short key", lambda: verification_code(b"\x01" * 31, b"\x02" * 32), INVALID_KEY)

    # The construction end to end, against PBKDF2 spelled out by definition.
    salt = bytes(range(16))
    want = _pbkdf2_by_definition(b"cinder-idh-v1\x01\x03\x00\x0ca@example.io", salt, 1000, 32)
    check("client hash of an email", client_hash("email", b" A@Example.IO ", salt, 1000), want)
    secret = bytes(range(32))
    want_server = _pbkdf2_by_definition(b"cinder-idh-v1\x02\x03\x00\x20" + want, secret, 1000, 32)
    check("server hash of that client hash", server_hash("email", want, secret, 1000), want_server)
    spellings = [("phone", b"+1 555 010 9999"), ("email", b"A@Example.IO"), ("phone", b"+15550109999")]
    got = contact_lookup(spellings, salt, 1000)
    check("lookup deduplicates and sorts", got, sorted({want, client_hash("phone", b"+15550109999", salt, 1000)}))
    a, b = bytes(range(32)), bytes(range(1, 33))
    check("verification code symmetric", verification_code(a, b), verification_code(b, a))
    okm_ab = hkdf_sha256(VC_SALT, a + b, VC_INFO, 32)
    check("verification code from HKDF", verification_code(b, a), code_from_okm(okm_ab))
    return failures


INVALID_EMAIL_CODE = ERROR_FOR_KIND["email"]


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vectors", default=os.path.join(here, "..", "identity.json"), help="vector file")
    parser.add_argument("--self-test", action="store_true", help="run the self-tests only")
    opts = parser.parse_args()

    failures = self_test()
    for line in failures:
        print(f"SELF-TEST FAILED {line}")
    print(f"self-test: {'ok' if not failures else f'{len(failures)} failures'}")
    if failures:
        return 1
    if opts.self_test:
        return 0
    if not os.path.exists(opts.vectors):
        print(f"crosscheck identity: {opts.vectors} does not exist", file=sys.stderr)
        return 2
    return check_vectors(opts.vectors)


if __name__ == "__main__":
    sys.exit(main())
