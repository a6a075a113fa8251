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


# Deliberate departures from the chapter: the misreadings of spec/misreadings/envelope.md, run by
# misreadings.py. name -> (requirement IDs, the misreading, its kind). The model applies each where
# the rule it breaks is applied, reading the active set from M (empty except while misreadings.py
# runs a mutation).
MUTATIONS = {
    "sealed_without_bor": (("ENV-001",), "bor is not part of the sealed part (the sealed part is content type, length, content)", "wrong-rule"),
    "content_type_before_bor": (("ENV-001",), "the sealed part starts with the content type, then bor", "wrong-rule"),
    "sent_at_after_ttl": (("ENV-001",), "the header holds ttl before sent_at", "wrong-rule"),
    "version_unchecked": (("ENV-010",), "the version byte is not checked", "lenient-check"),
    "suite_unchecked": (("ENV-010",), "the suite byte is not checked", "lenient-check"),
    "version_2_accepted": (("ENV-010",), "versions up to 2 are accepted", "off-by-one"),
    "suite_2_accepted": (("ENV-010",), "suites up to 2 are accepted", "off-by-one"),
    "suite_before_version": (("ENV-010",), "the suite is checked before the version", "check-order"),
    "flags_before_version": (("ENV-010", "ENV-011"), "the three first bytes are read, then the reserved bits are checked before version and suite", "check-order"),
    "version_after_structure": (("ENV-010",), "the version is checked once the whole structure is read", "check-order"),
    "reserved_unchecked": (("ENV-011",), "reserved flag bits are ignored", "lenient-check"),
    "reserved_bit_7_free": (("ENV-011",), "only bits 1 to 6 are reserved", "off-by-one"),
    "reserved_bit_1_free": (("ENV-011",), "only bits 2 to 7 are reserved", "off-by-one"),
    "padded_bit_msb": (("ENV-011",), "bits are numbered from the most significant: padded is 0x80", "library-default"),
    "reserved_deferred": (("ENV-011",), "the reserved bits are checked after the whole structure is read", "check-order"),
    "id_max_65": (("ENV-012",), "conversation, sender and recipient IDs of 65 bytes are accepted", "off-by-one"),
    "id_empty_accepted": (("ENV-012",), "empty conversation, sender and recipient IDs are accepted", "off-by-one"),
    "id_max_255": (("ENV-012",), "an ID is bounded only by its u8 length (255)", "lenient-check"),
    "count_1001_accepted": (("ENV-012",), "1,001 recipients are accepted", "off-by-one"),
    "count_zero_accepted": (("ENV-012",), "an envelope with no recipients is accepted", "off-by-one"),
    "ciphertext_min_8": (("ENV-012",), "a ciphertext of 8 bytes passes the length check", "off-by-one"),
    "ciphertext_min_10": (("ENV-012",), "a ciphertext of 9 bytes (an empty message) is refused", "off-by-one"),
    "ciphertext_max_plus_one": (("ENV-012",), "a ciphertext of 1,081,345 bytes passes the length check", "off-by-one"),
    "ciphertext_max_is_content_max": (("ENV-012",), "the ciphertext is bounded by the content's 1,048,576 bytes", "wrong-rule"),
    "length_checked_after_bytes": (("ENV-012",), "a length is checked after the bytes it announces are read", "check-order"),
    "lengths_little_endian": (("ENV-012", "ENV-013"), "integers are little-endian (struct's native order)", "library-default"),
    "trailing_ignored": (("ENV-013",), "bytes after the tag are ignored", "lenient-check"),
    "trailing_as_truncated": (("ENV-013",), "bytes after the tag are reported as envelope.truncated", "wrong-rule"),
    "payload_to_end": (("ENV-013",), "the ciphertext runs to 16 bytes before the end, whatever its length says", "lenient-check"),
    "missing_bytes_zero": (("ENV-013",), "reading past the end gives zero bytes (a zero-filled buffer)", "library-default"),
    "open_stops_at_tag": (("ENV-013", "ENV-030"), "opening stops reading at the tag: trailing bytes are not refused by open", "lenient-check"),
    "order_unchecked": (("ENV-014",), "recipients may come in any order", "lenient-check"),
    "duplicates_allowed": (("ENV-014",), "a recipient may appear twice", "lenient-check"),
    "duplicate_as_not_sorted": (("ENV-014",), "a duplicate recipient is reported as recipients_not_sorted", "wrong-rule"),
    "descent_as_duplicate": (("ENV-014",), "any descent is reported as duplicate_recipient", "wrong-rule"),
    "shortlex_order": (("ENV-014",), "recipients are sorted by length first, then bytes", "wrong-rule"),
    "prefix_sorts_last": (("ENV-014",), "a recipient sorts after its own extensions (compared as if padded with 0xFF)", "wrong-rule"),
    "ttl_zero_accepted": (("ENV-015",), "ttl 0 is accepted", "off-by-one"),
    "ttl_max_plus_one": (("ENV-015",), "ttl 31,536,001 is accepted", "off-by-one"),
    "ttl_unchecked_at_decode": (("ENV-015",), "ttl is checked when sealing but not when decoding", "lenient-check"),
    "ttl_deferred": (("ENV-015",), "ttl is checked after the whole structure is read", "check-order"),
    "prk_is_content_key": (("ENV-020",), "HKDF-Extract is skipped: the content key is the PRK", "wrong-rule"),
    "extract_salt_empty": (("ENV-020",), "HKDF-Extract of the content key has an empty salt", "wrong-rule"),
    "slot_salt_of_content": (("ENV-020", "ENV-022"), "the slot PRK uses the content salt 'cinder-env-v1'", "wrong-rule"),
    "aad_header_only": (("ENV-021",), "the payload's associated data is the header alone", "lenient-check"),
    "aad_empty": (("ENV-021",), "the payload has no associated data", "lenient-check"),
    "aad_without_commitment": (("ENV-021",), "the payload's associated data is the header and the slots, without the commitment", "wrong-rule"),
    "slot_info_without_recipient": (("ENV-022",), "the slot key's info leaves out vec8(r)", "lenient-check"),
    "slot_recipient_unprefixed": (("ENV-022",), "the slot key's info holds r without its length byte", "wrong-rule"),
    "slot_t_header_only": (("ENV-022",), "t = SHA-256(header), without the commitment", "wrong-rule"),
    "slot_aad_header": (("ENV-022",), "each slot is encrypted with the header as associated data", "wrong-rule"),
    "commitment_unchecked": (("ENV-023",), "the commitment is not recomputed and compared", "lenient-check"),
    "commitment_info_swapped": (("ENV-023",), "the commitment is expanded with 'payload' and the payload keys with 'commit'", "wrong-rule"),
    "commitment_without_header_hash": (("ENV-023",), "the commitment is expanded with 'commit' alone", "wrong-rule"),
    "commitment_after_payload": (("ENV-023", "ENV-030"), "the payload is decrypted before the commitment is compared", "check-order"),
    "payload_nonce_zero": (("ENV-024",), "the payload nonce is twelve zero bytes (a fresh key, so a fixed nonce)", "wrong-rule"),
    "slot_nonce_zero": (("ENV-024",), "each slot nonce is twelve zero bytes", "wrong-rule"),
    "nonce_before_key": (("ENV-024",), "pn is the first 12 bytes of the expansion and pk the next 32", "wrong-rule"),
    "open_me_checked_first": (("ENV-030",), "open checks its own device ID's length (1-64) before decoding: length_out_of_range", "check-order"),
    "open_me_length_error": (("ENV-030",), "after decoding, a device ID outside 1-64 bytes is length_out_of_range, not not_a_recipient", "wrong-rule"),
    "first_slot_used": (("ENV-030",), "the first slot is unwrapped, whoever it is for", "wrong-event"),
    "unwrap_failure_not_recipient": (("ENV-030", "ENV-033"), "a slot that does not open is reported as not_a_recipient", "wrong-rule"),
    "recipient_match_casefold": (("ENV-030",), "the device ID is matched case-insensitively", "library-default"),
    "recipient_match_prefix": (("ENV-030",), "a recipient matches when one ID is a prefix of the other", "lenient-check"),
    "padding_nonzero_accepted": (("ENV-031",), "padding bytes need not be zero", "lenient-check"),
    "padding_length_unchecked": (("ENV-031",), "any amount of zero padding is accepted when padded is set", "lenient-check"),
    "padding_on_unpadded_accepted": (("ENV-031",), "zero padding is accepted with padded clear", "lenient-check"),
    "padme_s_off_by_one": (("ENV-031",), "Padme with S = floor(log2 E), without the + 1", "off-by-one"),
    "padme_of_content": (("ENV-031",), "Padme is applied to the content length, not to 9 + len(content)", "wrong-event"),
    "padme_power_of_two": (("ENV-031",), "padding rounds up to the next power of two", "wrong-rule"),
    "bor_max_plus_one_accepted": (("ENV-032",), "bor 31,536,001 is accepted", "off-by-one"),
    "content_type_zero_accepted": (("ENV-032",), "content type 0 is accepted", "off-by-one"),
    "content_type_4_accepted": (("ENV-032",), "content type 4 is accepted", "off-by-one"),
    "content_length_to_end": (("ENV-032",), "a content length beyond the plaintext takes what is there", "lenient-check"),
    "content_max_plus_one_accepted": (("ENV-032",), "content of 1,048,577 bytes is accepted", "off-by-one"),
    "bor_bounded_by_ttl": (("ENV-032",), "bor must not exceed ttl", "wrong-rule"),
    "commitment_mismatch_sealed": (("ENV-033",), "a commitment mismatch is reported as invalid_sealed", "wrong-rule"),
    "payload_failure_sealed": (("ENV-033",), "a payload that does not open is reported as invalid_sealed", "wrong-rule"),
    "seal_id_bounds_unchecked": (("ENV-040",), "seal does not check the lengths of conversation, sender and recipient IDs", "lenient-check"),
    "seal_count_unchecked": (("ENV-040",), "seal accepts no recipients or more than 1,000", "lenient-check"),
    "seal_duplicates_unchecked": (("ENV-040", "ENV-014"), "seal writes a recipient given twice twice", "lenient-check"),
    "seal_duplicate_adjacent_only": (("ENV-040",), "seal finds a duplicate only when the two are next to each other in the order given", "lenient-check"),
    "seal_ttl_unchecked": (("ENV-040", "ENV-015"), "seal does not check ttl", "lenient-check"),
    "seal_sealed_fields_unchecked": (("ENV-040", "ENV-032"), "seal does not check bor, the content type or the content length", "lenient-check"),
    "seal_sealed_codes_header": (("ENV-040",), "seal reports a bad bor, content type or content length as invalid_header", "wrong-rule"),
    "seal_length_codes_header": (("ENV-040",), "seal reports an ID length or recipient count as invalid_header", "wrong-rule"),
    "seal_keeps_order": (("ENV-040", "ENV-014"), "seal writes the recipients in the order given", "forgotten-reset"),
}

# Mutations that change nothing a vector can observe, and why.
EQUIVALENT = {
    "reserved_deferred": "the order of the reserved-bit check against later structural faults is free (spec/README.md "
                         "section 4), so every vector with reserved bits set holds no other fault",
    "ttl_deferred": "the order of the ttl check against later structural faults is free (spec/README.md section 4), "
                    "so every vector with a bad ttl holds no other fault",
    "commitment_after_payload": "a commitment that does not match and a payload that does not open give the same code "
                                "(ENV-033), so which is checked first is not observable",
}

M: frozenset = frozenset()


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
    if "padme_power_of_two" in M:
        return 1 << (length - 1).bit_length()
    e = length.bit_length() - 1  # floor(log2(L))
    s = e.bit_length() - ("padme_s_off_by_one" in M)  # floor(log2(E)) + 1
    mask = (1 << (e - s)) - 1
    return (length + mask) & ~mask


def padded_length(content_len: int) -> int:
    """len(sealed) of a padded sealed part with this much content (ENV-031)."""
    if "padme_of_content" in M:
        return SEALED_FIXED + (padme(content_len) if content_len >= SEALED_FIXED else content_len)
    return padme(SEALED_FIXED + content_len)


def fixed_len() -> int:
    return SEALED_FIXED - 4 * ("sealed_without_bor" in M)


def endian() -> str:
    return "<" if "lengths_little_endian" in M else ">"


# ---------------------------------------------------------------------------------------------
# Key schedule (section 3).
# ---------------------------------------------------------------------------------------------


def vec8(x: bytes) -> bytes:
    if len(x) > 255:
        raise ValueError("vec8 of more than 255 bytes")
    return bytes([len(x)]) + x


def content_keys(ck: bytes, header: bytes) -> tuple[bytes, bytes, bytes]:
    """commitment, pk, pn from the content key and the encoded header."""
    salt = b"" if "extract_salt_empty" in M else SALT_CONTENT
    prk = ck if "prk_is_content_key" in M else hkdf_extract(salt, ck)
    hh = hashlib.sha256(header).digest()
    commit, payload = (INFO_PAYLOAD, INFO_COMMIT) if "commitment_info_swapped" in M else (INFO_COMMIT, INFO_PAYLOAD)
    commitment = hkdf_expand(prk, commit + (b"" if "commitment_without_header_hash" in M else hh), COMMITMENT_LEN)
    okm = hkdf_expand(prk, payload + hh, KEY_LEN + NONCE_LEN)
    if "nonce_before_key" in M:
        return commitment, okm[NONCE_LEN:], okm[:NONCE_LEN]
    return commitment, okm[:KEY_LEN], bytes(NONCE_LEN) if "payload_nonce_zero" in M else okm[KEY_LEN:]


def slot_keys(wk: bytes, t: bytes, recipient: bytes) -> tuple[bytes, bytes]:
    """sk_r, sn_r from the wrap key, t = SHA-256(header || commitment) and the recipient."""
    sprk = hkdf_extract(SALT_CONTENT if "slot_salt_of_content" in M else SALT_SLOT, wk)
    r = b"" if "slot_info_without_recipient" in M else recipient if "slot_recipient_unprefixed" in M else vec8(recipient)
    okm = hkdf_expand(sprk, INFO_WRAP + t + r, KEY_LEN + NONCE_LEN)
    return okm[:KEY_LEN], bytes(NONCE_LEN) if "slot_nonce_zero" in M else okm[KEY_LEN:]


def transcript(header: bytes, commitment: bytes) -> bytes:
    """t = SHA-256(header || commitment)."""
    return hashlib.sha256(header if "slot_t_header_only" in M else header + commitment).digest()


def payload_aad(header: bytes, commitment: bytes, slots: bytes) -> bytes:
    """ENV-021: the payload's associated data."""
    if "aad_header_only" in M:
        return header
    if "aad_empty" in M:
        return b""
    if "aad_without_commitment" in M:
        return header + slots
    return header + commitment + slots


# ---------------------------------------------------------------------------------------------
# Encoding (section 2).
# ---------------------------------------------------------------------------------------------


def padded_flag() -> int:
    return 0x80 if "padded_bit_msb" in M else FLAG_PADDED


def encode_header(h: dict) -> bytes:
    flags = padded_flag() if h["padded"] else 0
    times = (struct.pack(endian() + "IQ", h["ttl"], h["sentAt"]) if "sent_at_after_ttl" in M
             else struct.pack(endian() + "QI", h["sentAt"], h["ttl"]))
    return (
        bytes([VERSION, SUITE, flags])
        + h["messageId"]
        + vec8(h["conversationId"])
        + vec8(h["senderDevice"])
        + times
    )


def encode_slots(slots: list[tuple[bytes, bytes]]) -> bytes:
    return struct.pack(endian() + "H", len(slots)) + b"".join(vec8(r) + w for r, w in slots)


def encode_sealed(bor: int, content_type: int, content: bytes, padded: bool) -> bytes:
    e = endian()
    if "sealed_without_bor" in M:
        body = struct.pack(e + "BI", content_type, len(content)) + content
    elif "content_type_before_bor" in M:
        body = struct.pack(e + "BII", content_type, bor, len(content)) + content
    else:
        body = struct.pack(e + "IBI", bor, content_type, len(content)) + content
    if padded:
        body += bytes(padded_length(len(content)) - len(body))
    return body


# ---------------------------------------------------------------------------------------------
# Sealing (section 5, ENV-040).
# ---------------------------------------------------------------------------------------------


def seal_faults(a: dict) -> list[tuple[str, str]]:
    """Every fault of seal inputs, in the order this script checks them (ENV-040)."""
    faults = []
    e_len = E_HEADER if "seal_length_codes_header" in M else E_LENGTH
    e_sealed = E_HEADER if "seal_sealed_codes_header" in M else E_SEALED
    ids = "seal_id_bounds_unchecked" not in M
    for name in ("conversationId", "senderDevice"):
        if ids and not id_ok(len(a[name])):
            faults.append((e_len, f"{name} is {len(a[name])} bytes"))
    if "seal_ttl_unchecked" not in M and not ttl_ok(a["ttl"]):
        faults.append((E_HEADER, f"ttl = {a['ttl']}"))
    recipients = [r for r, _ in a["recipients"]]
    if "seal_count_unchecked" not in M and not count_ok(len(recipients)):
        faults.append((e_len, f"{len(recipients)} recipients"))
    for r in recipients:
        if ids and not id_ok(len(r)):
            faults.append((e_len, f"recipient {r.hex()} is {len(r)} bytes"))
    ordered = recipients if "seal_duplicate_adjacent_only" in M else sorted(recipients)
    for x, y in zip(ordered, ordered[1:]):
        if x == y and "seal_duplicates_unchecked" not in M and "duplicates_allowed" not in M:
            faults.append((E_DUPLICATE, f"recipient {x.hex()} twice"))
    if "seal_sealed_fields_unchecked" not in M:
        for problem in sealed_field_faults(a["bor"], a["contentType"], len(a["content"]), a["ttl"]):
            # A sealed field out of its bounds: ENV-032's code, "as for opening" (ENV-040).
            faults.append((e_sealed, problem))
    return faults


def id_ok(n: int) -> bool:
    """ENV-012's bound on conversation, sender and recipient IDs."""
    if "id_max_255" in M:
        return 1 <= n <= 255
    return ID_LEN[0] - ("id_empty_accepted" in M) <= n <= ID_LEN[1] + ("id_max_65" in M)


def count_ok(n: int) -> bool:
    return COUNT[0] - ("count_zero_accepted" in M) <= n <= COUNT[1] + ("count_1001_accepted" in M)


def ttl_ok(ttl: int) -> bool:
    return TTL[0] - ("ttl_zero_accepted" in M) <= ttl <= TTL[1] + ("ttl_max_plus_one" in M)


def ciphertext_ok(n: int) -> bool:
    hi = CONTENT_MAX if "ciphertext_max_is_content_max" in M else CIPHERTEXT_LEN[1] + ("ciphertext_max_plus_one" in M)
    return CIPHERTEXT_LEN[0] - ("ciphertext_min_8" in M) + ("ciphertext_min_10" in M) <= n <= hi


def sealed_field_faults(bor: int, content_type: int, n: int, ttl: int) -> list[str]:
    """ENV-032's bounds on the sealed fields, shared by sealing and opening."""
    out = []
    if bor > BOR_MAX + ("bor_max_plus_one_accepted" in M):
        out.append(f"bor = {bor}")
    if "bor_bounded_by_ttl" in M and bor > ttl:
        out.append(f"bor {bor} above ttl {ttl}")
    allowed = CONTENT_TYPES + ((0,) if "content_type_zero_accepted" in M else ()) \
        + ((4,) if "content_type_4_accepted" in M else ())
    if content_type not in allowed:
        out.append(f"content type {content_type}")
    if n > CONTENT_MAX + ("content_max_plus_one_accepted" in M):
        out.append(f"content length {n}")
    return out


def assemble(
    a: dict, recipients: list[tuple[bytes, bytes]], sealed: bytes, commitment: bytes | None = None
) -> bytes:
    """Section 3 as written, with no checks: the recipients in the order given, the sealed part
    as given. `commitment` replaces the derived one (self-tests build faulty senders with it)."""
    header = encode_header(a)
    ck = a["contentKey"]
    derived, pk, pn = content_keys(ck, header)
    commitment = derived if commitment is None else commitment
    t = transcript(header, commitment)
    slots = []
    for r, wk in recipients:
        sk, sn = slot_keys(wk, t, r)
        slots.append((r, aead_seal(sk, sn, header if "slot_aad_header" in M else b"", ck)))
    encoded_slots = encode_slots(slots)
    ct_tag = aead_seal(pk, pn, payload_aad(header, commitment, encoded_slots), sealed)
    return header + commitment + encoded_slots + struct.pack(endian() + "I", len(sealed)) + ct_tag


def seal(a: dict) -> bytes:
    faults = seal_faults(a)
    if faults:
        raise EnvelopeError(*faults[0])
    recipients = list(a["recipients"]) if "seal_keeps_order" in M else sorted(a["recipients"], key=lambda rw: rw[0])
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
            if "missing_bytes_zero" not in M:
                raise EnvelopeError(E_TRUNCATED, f"input ends inside {what} at {len(self.buf)}")
            out = self.buf[self.pos :] + bytes(n - (len(self.buf) - self.pos))
            self.pos = len(self.buf)
            return out
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out

    def u8(self, what: str) -> int:
        return self.take(1, what)[0]

    def u16(self, what: str) -> int:
        return struct.unpack(endian() + "H", self.take(2, what))[0]

    def u32(self, what: str) -> int:
        return struct.unpack(endian() + "I", self.take(4, what))[0]

    def u64(self, what: str) -> int:
        return struct.unpack(endian() + "Q", self.take(8, what))[0]

    def bounded(self, width: str, ok, what: str) -> int:
        n = {"u8": self.u8, "u16": self.u16, "u32": self.u32}[width](f"{what} length")
        if not ok(n) and "length_checked_after_bytes" not in M:  # ENV-012: reported when the length is read
            raise EnvelopeError(E_LENGTH, f"{what} length {n}")
        return n

    def field(self, ok, what: str) -> bytes:
        """A vec8 field whose length `ok` bounds."""
        data = self.take(self.bounded("u8", ok, what), what)
        if "length_checked_after_bytes" in M and not ok(len(data)):
            raise EnvelopeError(E_LENGTH, f"{what} length {len(data)}")
        return data


def _sort_key(r: bytes):
    if "shortlex_order" in M:
        return (len(r), r)
    if "prefix_sorts_last" in M:
        return r + b"\xff" * (64 - len(r))
    return r


def decode(buf: bytes, deferred: bool = False, opening: bool = False) -> dict:
    """Decode an envelope. With deferred=True, the checks whose timing the spec leaves open
    (reserved bits, ttl, recipient order) run after the whole structure has been read."""
    rd = Reader(buf)
    later = []  # deferred semantic checks, as thunks

    def check(thunk, defer=False):
        if deferred or defer:
            later.append(thunk)
        else:
            thunk()

    def version_ok():
        allowed = (VERSION, 2) if "version_2_accepted" in M else (VERSION,)
        if version not in allowed and "version_unchecked" not in M:
            raise EnvelopeError(E_VERSION, f"version {version}")

    def suite_ok():
        allowed = (SUITE, 2) if "suite_2_accepted" in M else (SUITE,)
        if suite not in allowed and "suite_unchecked" not in M:
            raise EnvelopeError(E_SUITE, f"suite {suite}")

    def flags_ok():
        reserved = 0x7F if "padded_bit_msb" in M else FLAGS_RESERVED
        reserved &= ~(0x80 if "reserved_bit_7_free" in M else 0) & ~(0x02 if "reserved_bit_1_free" in M else 0)
        if flags & reserved and "reserved_unchecked" not in M:
            raise EnvelopeError(E_RESERVED, f"flags {flags:#04x}")

    if "flags_before_version" in M:
        version, suite, flags = rd.u8("version"), rd.u8("suite"), rd.u8("flags")
        flags_ok()
        version_ok()
        suite_ok()
    elif "suite_before_version" in M:
        version, suite = rd.u8("version"), rd.u8("suite")
        suite_ok()
        version_ok()
        flags = rd.u8("flags")
        check(flags_ok, "reserved_deferred" in M)
    else:
        # ENV-010's order is binding: never deferred, except by the misreading that defers it.
        version = rd.u8("version")
        if "version_after_structure" in M:
            later.append(version_ok)
        else:
            version_ok()
        suite = rd.u8("suite")
        if "version_after_structure" in M:
            later.append(suite_ok)
        else:
            suite_ok()
        flags = rd.u8("flags")
        check(flags_ok, "reserved_deferred" in M)
    message_id = rd.take(MESSAGE_ID_LEN, "message_id")
    conversation_id = rd.field(id_ok, "conversation_id")
    sender_device = rd.field(id_ok, "sender_device")
    if "sent_at_after_ttl" in M:
        ttl = rd.u32("ttl")
        sent_at = rd.u64("sent_at")
    else:
        sent_at = rd.u64("sent_at")
        ttl = rd.u32("ttl")

    def ttl_check():
        if not ttl_ok(ttl) and "ttl_unchecked_at_decode" not in M:
            raise EnvelopeError(E_HEADER, f"ttl = {ttl}")

    check(ttl_check, "ttl_deferred" in M)
    header_end = rd.pos
    commitment = rd.take(COMMITMENT_LEN, "commitment")
    count = rd.bounded("u16", count_ok, "recipient count")
    slots: list[tuple[bytes, bytes]] = []
    for i in range(count):
        r = rd.field(id_ok, f"recipient {i}")
        w = rd.take(WRAPPED_LEN, f"wrapped key {i}")
        if slots:
            prev = slots[-1][0]

            def order_ok(prev=prev, r=r, i=i):
                if r == prev and "duplicates_allowed" not in M:
                    raise EnvelopeError(E_NOT_SORTED if "duplicate_as_not_sorted" in M else E_DUPLICATE,
                                        f"recipient {i} repeats {r.hex()}")
                if _sort_key(r) < _sort_key(prev) and "order_unchecked" not in M:
                    raise EnvelopeError(E_DUPLICATE if "descent_as_duplicate" in M else E_NOT_SORTED,
                                        f"recipient {i} descends")

            check(order_ok)
        slots.append((r, w))
    payload_start = rd.pos
    n = rd.bounded("u32", ciphertext_ok, "ciphertext")
    if "payload_to_end" in M:
        n = max(len(buf) - rd.pos - TAG_LEN, 0)
        if not ciphertext_ok(n):
            raise EnvelopeError(E_LENGTH, f"ciphertext length {n}")
    ciphertext = rd.take(n, "ciphertext")
    if "length_checked_after_bytes" in M and not ciphertext_ok(n):
        raise EnvelopeError(E_LENGTH, f"ciphertext length {n}")
    tag = rd.take(TAG_LEN, "tag")
    lenient_end = "trailing_ignored" in M or (opening and "open_stops_at_tag" in M)
    if rd.pos != len(buf) and not lenient_end:
        raise EnvelopeError(E_TRUNCATED if "trailing_as_truncated" in M else E_TRAILING,
                            f"{len(buf) - rd.pos} bytes after the tag")
    for thunk in later:
        thunk()
    return {
        "header": buf[:header_end],
        "aad": buf[:payload_start],
        "padded": bool(flags & padded_flag()),
        "slot_bytes": buf[header_end + COMMITMENT_LEN : payload_start],
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


def parse_sealed(sealed: bytes, padded: bool, ttl: int = TTL[1]) -> tuple[int, int, bytes]:
    """ENV-031 and ENV-032; every failure is envelope.invalid_sealed."""
    fixed = fixed_len()
    if len(sealed) < fixed:  # cannot happen after ENV-012, kept for safety
        raise EnvelopeError(E_SEALED, "sealed part shorter than 9 bytes")
    e = endian()
    if "sealed_without_bor" in M:
        bor, (content_type, n) = 0, struct.unpack(e + "BI", sealed[:fixed])
    elif "content_type_before_bor" in M:
        content_type, bor, n = struct.unpack(e + "BII", sealed[:fixed])
    else:
        bor, content_type, n = struct.unpack(e + "IBI", sealed[:fixed])
    problems = sealed_field_faults(bor, content_type, n, ttl)
    if problems:
        raise EnvelopeError(E_SEALED, problems[0])
    if fixed + n > len(sealed):
        if "content_length_to_end" not in M:
            raise EnvelopeError(E_SEALED, f"content length {n} beyond the plaintext")
        n = len(sealed) - fixed
    content = sealed[fixed : fixed + n]
    padding = sealed[fixed + n :]
    if not padded:
        if padding and not ("padding_on_unpadded_accepted" in M and padding.count(0) == len(padding)):
            raise EnvelopeError(E_SEALED, f"{len(padding)} bytes of padding, flag clear")
    else:
        want = padded_length(n)
        if len(sealed) != want and "padding_length_unchecked" not in M:
            raise EnvelopeError(E_SEALED, f"sealed {len(sealed)} != padme {want}")
        if padding.count(0) != len(padding) and "padding_nonzero_accepted" not in M:
            raise EnvelopeError(E_SEALED, "non-zero padding")
    return bor, content_type, content


def _matches(r: bytes, me: bytes) -> bool:
    if "recipient_match_casefold" in M:
        return r.lower() == me.lower()
    if "recipient_match_prefix" in M:
        return r.startswith(me) or me.startswith(r)
    return r == me


def open_envelope(buf: bytes, me: bytes, wk: bytes, deferred: bool = False) -> dict:
    if "open_me_checked_first" in M and not ID_LEN[0] <= len(me) <= ID_LEN[1]:
        raise EnvelopeError(E_LENGTH, f"device ID of {len(me)} bytes")
    d = decode(buf, deferred, opening=True)  # step 1
    if "open_me_length_error" in M and not ID_LEN[0] <= len(me) <= ID_LEN[1]:
        raise EnvelopeError(E_LENGTH, f"device ID of {len(me)} bytes")
    wrapped = None
    for r, w in d["slots"]:  # step 2
        if _matches(r, me) or "first_slot_used" in M:
            wrapped = w
            break
    if wrapped is None:
        raise EnvelopeError(E_NOT_RECIPIENT, f"no slot for {me.hex()}")
    t = transcript(d["header"], d["commitment"])
    sk, sn = slot_keys(wk, t, me)  # step 3
    try:
        ck = aead_open(sk, sn, d["header"] if "slot_aad_header" in M else b"", wrapped)
    except EnvelopeError:
        if "unwrap_failure_not_recipient" in M:
            raise EnvelopeError(E_NOT_RECIPIENT, "the slot does not open") from None
        raise
    commitment, pk, pn = content_keys(ck, d["header"])  # step 4
    mismatch = not hmac.compare_digest(commitment, d["commitment"]) and "commitment_unchecked" not in M
    if mismatch and "commitment_after_payload" not in M:
        raise EnvelopeError(E_SEALED if "commitment_mismatch_sealed" in M else E_AUTH, "commitment mismatch")
    try:
        aad = payload_aad(d["header"], d["commitment"], d["slot_bytes"])
        sealed = aead_open(pk, pn, aad, d["ciphertext"] + d["tag"])  # step 5
    except EnvelopeError:
        if "payload_failure_sealed" in M:
            raise EnvelopeError(E_SEALED, "the payload does not open") from None
        raise
    if mismatch:
        raise EnvelopeError(E_AUTH, "commitment mismatch")
    bor, content_type, content = parse_sealed(sealed, d["padded"], d["ttl"])  # step 6
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


def mutation_vectors(path: str):
    """For misreadings.py: the vector file's groups, loaded once."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)["testGroups"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{path}: cannot load the envelope vectors: {e}") from None


def case_mismatch(op: str, t: dict) -> str | None:
    """The first difference between this model (under M) and one test's expected result, or None."""
    try:
        got, err = run_op(op, t["args"]), None
    except EnvelopeError as e:
        got, err = None, e
    except (BadArgs, KeyError, TypeError, ValueError, struct.error, OverflowError) as e:
        return f"cannot evaluate here ({type(e).__name__}: {e})"
    if t["result"] == "valid":
        if err is not None:
            return f"expected valid, rejected here with {err}"
        for k in sorted(set(t["expected"]) | set(got)):
            if t["expected"].get(k) != got.get(k):
                return f"{k} differs"
        return None
    if err is None:
        return f"expected {t['error']}, accepted here"
    if err.code != t["error"]:
        return f"expected {t['error']}, here {err.code} ({err.why})"
    return None


def failing_cases(groups, mut: frozenset) -> dict[str, str]:
    """For misreadings.py: case ID ("group/id") -> first mismatch, under the mutations `mut`."""
    global M
    out: dict[str, str] = {}
    M = frozenset(mut)
    try:
        for g in groups:
            for t in g["tests"]:
                line = case_mismatch(g["op"], t)
                if line:
                    out[f"{g['group']}/{t['id']}"] = f"{t['id']}: {line}"
    finally:
        M = frozenset()
    return out


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
