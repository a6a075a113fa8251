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

It also carries the chapter's misreadings (MUTATIONS below): one-rule departures an implementer could
make, which misreadings.py runs against the vectors (spec/misreadings/identity.md).

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
import re
import sys
import unicodedata

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
# Misreadings (spec/misreadings/identity.md, run by misreadings.py): deliberate one-rule departures
# from the chapter. name -> (requirement IDs, the misreading, its kind). The functions below take
# the set of active mutations as `m` and apply each where the rule it breaks is applied.
# ---------------------------------------------------------------------------------------------

MUTATIONS = {
    # IDH-001 and IDH-023: the kind bytes.
    "kind_bytes_from_zero": (("IDH-001", "IDH-023"), "kind bytes counted from 0x00 (user ID 0x00 ... device ID 0x03)", "off-by-one"),
    "phone_email_bytes_swapped": (("IDH-001", "IDH-023"), "phone numbers take kind byte 0x03 and e-mail addresses 0x02", "wrong-rule"),
    "device_id_hashed_as_user_id": (("IDH-001", "IDH-023"), "a device ID is hashed under the user ID's kind byte", "wrong-rule"),
    # IDH-002: the raw bound.
    "raw_limit_inclusive": (("IDH-002",), "an input of exactly 512 bytes is already refused", "off-by-one"),
    "raw_limit_513": (("IDH-002",), "an input of 513 bytes is still accepted", "off-by-one"),
    "raw_limit_after_trim": (("IDH-002", "IDH-003"), "the 512-byte bound is checked after trimming", "check-order"),
    "raw_limit_in_characters": (("IDH-002",), "the 512 bound counts UTF-8 characters, not bytes", "library-default"),
    "raw_limit_skipped_for_device_id": (("IDH-002", "IDH-013"), "device IDs skip the 512-byte bound (their own bound is 128)", "lenient-check"),
    # IDH-003: trimming.
    "trim_bytes_strip": (("IDH-003",), "trimming is bytes.strip(): VT and FF are trimmed too", "library-default"),
    "trim_str_strip": (("IDH-003",), "trimming is str.strip() on the decoded text: U+00A0, U+3000 and 0x1C..0x1F are trimmed too", "library-default"),
    "trim_spaces_only": (("IDH-003",), "only 0x20 is trimmed, not HT, LF or CR", "lenient-check"),
    "trim_leading_only": (("IDH-003",), "only leading whitespace is trimmed", "lenient-check"),
    "trim_trailing_only": (("IDH-003",), "only trailing whitespace is trimmed", "lenient-check"),
    "no_trim": (("IDH-003",), "nothing is trimmed", "lenient-check"),
    "whitespace_removed_inside": (("IDH-003",), "whitespace is removed everywhere, inside the identifier too", "wrong-rule"),
    "empty_after_trim_unchecked": (("IDH-003",), "an input empty after trimming goes on to the kind's own rules", "lenient-check"),
    # IDH-004: ASCII only.
    "nfkc_applied": (("IDH-004",), "text is NFKC-normalised before the checks (fullwidth forms become ASCII)", "library-default"),
    "unicode_lower": (("IDH-004", "IDH-005", "IDH-010"), "user IDs and e-mail addresses are lower-cased with str.lower() on the decoded text (KELVIN SIGN becomes k)", "library-default"),
    "unicode_digits": (("IDH-004", "IDH-009"), "any Unicode decimal digit counts as its ASCII digit in a phone number", "library-default"),
    "invalid_utf8_dropped": (("IDH-004",), "the input is decoded with errors='ignore': invalid UTF-8 bytes vanish", "library-default"),
    "bom_stripped": (("IDH-004",), "a leading UTF-8 byte-order mark is removed (utf-8-sig decoding)", "library-default"),
    "zero_width_removed": (("IDH-004",), "zero-width characters (U+200B..U+200D) are removed", "library-default"),
    "idna_domain": (("IDH-004", "IDH-012"), "a Unicode e-mail domain is converted to its A-label (the idna codec)", "library-default"),
    "utf8_local_part": (("IDH-004", "IDH-011"), "a UTF-8 local part is accepted (RFC 6531)", "wrong-rule"),
    # IDH-005, IDH-006: user IDs.
    "user_id_case_kept": (("IDH-005",), "user IDs are not lower-cased (upper-case letters are refused)", "lenient-check"),
    "user_id_alphabet_before_lower": (("IDH-005", "IDH-006"), "the user ID alphabet is checked before lower-casing", "check-order"),
    "user_id_min_2": (("IDH-006",), "a two-byte user ID is accepted", "off-by-one"),
    "user_id_min_4": (("IDH-006",), "a three-byte user ID is refused", "off-by-one"),
    "user_id_max_65": (("IDH-006",), "a 65-byte user ID is accepted", "off-by-one"),
    "user_id_max_63": (("IDH-006",), "a 64-byte user ID is refused", "off-by-one"),
    "user_id_length_before_trim": (("IDH-006", "IDH-003"), "the user ID's 3-64 bound is checked on the untrimmed input", "check-order"),
    "user_id_edges_unchecked": (("IDH-006",), "a user ID may start or end with '.', '_' or '-'", "lenient-check"),
    "user_id_last_unchecked": (("IDH-006",), "only the first byte of a user ID must be a letter or digit", "lenient-check"),
    "user_id_edges_letters": (("IDH-006",), "a user ID must start and end with a letter (digits refused there)", "wrong-rule"),
    "user_id_no_repeated_punctuation": (("IDH-006",), "two punctuation bytes in a row are refused in a user ID", "wrong-rule"),
    "user_id_email_chars": (("IDH-006",), "'+' and '@' are allowed in user IDs", "lenient-check"),
    # IDH-007 .. IDH-009: phone numbers.
    "phone_00_prefix": (("IDH-007",), "a leading 00 is read as '+'", "wrong-rule"),
    "phone_plus_optional": (("IDH-007",), "a number without '+' is accepted as it is", "lenient-check"),
    "phone_tel_uri": (("IDH-007",), "a 'tel:' prefix is removed", "wrong-rule"),
    "trunk_removed": (("IDH-008",), "'(0)' is removed with its zero", "wrong-rule"),
    "trunk_kept": (("IDH-008",), "'(0)' is read as separators around a digit", "lenient-check"),
    "trunk_with_separators": (("IDH-008",), "'( 0 )' and other spellings with separators inside are the trunk marker too", "wrong-rule"),
    "trunk_any_parenthesised_zero": (("IDH-008",), "any '(' followed by '0' is refused (an area code like (06) too)", "wrong-rule"),
    "dots_not_separators": (("IDH-008",), "'.' is not a separator", "wrong-rule"),
    "parentheses_not_separators": (("IDH-008",), "'(' and ')' are not separators", "wrong-rule"),
    "whitespace_separators": (("IDH-008", "IDH-003"), "every ASCII whitespace byte (tab, LF, CR) inside a number is a separator", "library-default"),
    "slash_separator": (("IDH-008",), "'/' is a separator", "lenient-check"),
    "letters_on_keypad": (("IDH-008",), "letters are translated to keypad digits (vanity numbers)", "wrong-rule"),
    "second_plus_ignored": (("IDH-008",), "a '+' after the first is ignored like a separator", "lenient-check"),
    "extension_dropped": (("IDH-008",), "an extension ('ext', 'x' and what follows) is dropped", "wrong-rule"),
    "phone_min_6": (("IDH-009",), "six digits are enough", "off-by-one"),
    "phone_min_8": (("IDH-009",), "seven digits are too few", "off-by-one"),
    "phone_max_16": (("IDH-009",), "sixteen digits are accepted", "off-by-one"),
    "phone_max_14": (("IDH-009",), "fifteen digits are too many", "off-by-one"),
    "phone_count_includes_plus": (("IDH-009",), "the 7-15 bound counts the canonical form with its '+'", "off-by-one"),
    "phone_count_with_separators": (("IDH-009",), "the 7-15 bound counts the number before separators are removed", "check-order"),
    "phone_leading_zero": (("IDH-009",), "a first digit 0 is accepted", "lenient-check"),
    "phone_canonical_without_plus": (("IDH-009", "IDH-014"), "the canonical form is the digits without '+' (not itself canonical)", "wrong-rule"),
    # IDH-010 .. IDH-012: e-mail addresses.
    "email_case_kept": (("IDH-010",), "e-mail addresses are not lower-cased", "lenient-check"),
    "email_local_case_kept": (("IDH-010",), "only the domain is lower-cased (RFC 5321 local parts)", "wrong-rule"),
    "email_max_255": (("IDH-010",), "a 255-byte address is accepted", "off-by-one"),
    "email_max_253": (("IDH-010",), "a 254-byte address is refused", "off-by-one"),
    "email_length_before_trim": (("IDH-010", "IDH-003"), "the 254-byte bound is checked before trimming", "check-order"),
    "email_split_at_last_at": (("IDH-010",), "several '@' are allowed and the last one splits", "lenient-check"),
    "local_max_65": (("IDH-011",), "a 65-byte local part is accepted", "off-by-one"),
    "local_max_63": (("IDH-011",), "a 64-byte local part is refused", "off-by-one"),
    "local_dots_lenient": (("IDH-011",), "leading, trailing and doubled dots are allowed in the local part", "lenient-check"),
    "quoted_local": (("IDH-011",), "a quoted local part is accepted", "lenient-check"),
    "comments_removed": (("IDH-011",), "RFC 5322 comments in parentheses are removed", "wrong-rule"),
    "local_common_regex": (("IDH-011",), "the local part is [a-z0-9._%+-] only (the common regex, not atext)", "wrong-rule"),
    "plus_tag_dropped": (("IDH-011",), "a '+tag' is removed from the local part", "wrong-rule"),
    "local_dots_removed": (("IDH-011",), "dots are removed from the local part (one provider's rule)", "wrong-rule"),
    "single_label_domain": (("IDH-012",), "a one-label domain (localhost) is accepted", "lenient-check"),
    "label_max_64": (("IDH-012",), "a 64-byte domain label is accepted", "off-by-one"),
    "label_max_62": (("IDH-012",), "a 63-byte domain label is refused", "off-by-one"),
    "label_hyphen_edges": (("IDH-012",), "a label may start or end with '-'", "lenient-check"),
    "label_underscore": (("IDH-012",), "'_' is allowed in domain labels", "lenient-check"),
    "numeric_tld": (("IDH-012",), "an all-digit last label is accepted", "lenient-check"),
    "numeric_labels_refused": (("IDH-012",), "every all-digit label is refused, not only the last", "wrong-rule"),
    "address_literal": (("IDH-012",), "an address literal in brackets is accepted", "lenient-check"),
    "root_dot_removed": (("IDH-012",), "a trailing root dot is removed", "wrong-rule"),
    "empty_labels_skipped": (("IDH-012",), "empty labels (leading, trailing or doubled dots) are skipped", "lenient-check"),
    "tld_letters_only": (("IDH-012",), "the last label must be letters only", "wrong-rule"),
    "a_label_refused": (("IDH-012",), "a label with '--' in its third and fourth bytes is refused", "wrong-rule"),
    "domain_max_252": (("IDH-012", "IDH-010"), "the domain bound is taken as 252 bytes instead of 253", "off-by-one"),
    # IDH-013: device IDs.
    "device_id_trimmed": (("IDH-013",), "device IDs are trimmed like text", "wrong-rule"),
    "device_id_lowered": (("IDH-013",), "device IDs are lower-cased", "wrong-rule"),
    "device_id_max_129": (("IDH-013",), "a 129-byte device ID is accepted", "off-by-one"),
    "device_id_max_127": (("IDH-013",), "a 128-byte device ID is refused", "off-by-one"),
    "device_id_empty": (("IDH-013",), "an empty device ID is accepted", "off-by-one"),
    "device_id_ascii_only": (("IDH-013", "IDH-004"), "device IDs must be ASCII like text kinds", "wrong-rule"),
    # IDH-020 .. IDH-022: parameters.
    "salt_min_15": (("IDH-020",), "a 15-byte client salt is accepted", "off-by-one"),
    "salt_min_17": (("IDH-020",), "a 16-byte client salt is refused", "off-by-one"),
    "salt_max_65": (("IDH-020",), "a 65-byte client salt is accepted", "off-by-one"),
    "salt_max_63": (("IDH-020",), "a 64-byte client salt is refused", "off-by-one"),
    "salt_unchecked": (("IDH-020",), "any client salt is accepted", "lenient-check"),
    "secret_min_31": (("IDH-021",), "a 31-byte server secret is accepted", "off-by-one"),
    "secret_min_33": (("IDH-021",), "a 32-byte server secret is refused", "off-by-one"),
    "secret_max_65": (("IDH-021",), "a 65-byte server secret is accepted", "off-by-one"),
    "secret_max_63": (("IDH-021",), "a 64-byte server secret is refused", "off-by-one"),
    "secret_bounds_of_salt": (("IDH-021", "IDH-020"), "the server secret takes the client salt's bounds (16-64)", "wrong-rule"),
    "rounds_min_999": (("IDH-022",), "999 rounds are accepted", "off-by-one"),
    "rounds_min_1001": (("IDH-022",), "1,000 rounds are refused", "off-by-one"),
    "rounds_max_1000001": (("IDH-022",), "1,000,001 rounds are accepted", "off-by-one"),
    "rounds_max_999999": (("IDH-022",), "1,000,000 rounds are refused", "off-by-one"),
    "rounds_unchecked": (("IDH-022",), "any positive round count is accepted", "lenient-check"),
    "server_rounds_unchecked": (("IDH-022", "IDH-026"), "the server layer does not check its round count", "lenient-check"),
    # IDH-023, IDH-024: the construction.
    "label_without_version": (("IDH-023",), "the label is 'cinder-idh' without '-v1'", "wrong-rule"),
    "no_length_prefix": (("IDH-023",), "the hash message has no u16 length", "lenient-check"),
    "length_one_byte": (("IDH-023",), "the length is one byte", "wrong-rule"),
    "length_little_endian": (("IDH-023",), "the length is little-endian", "library-default"),
    "layer_byte_omitted": (("IDH-023",), "the hash message has no layer byte", "lenient-check"),
    "layers_swapped": (("IDH-023",), "the client layer byte is 0x02 and the server's 0x01", "wrong-rule"),
    "length_of_raw_input": (("IDH-023", "IDH-025"), "the length field counts the raw input, not the canonical form", "wrong-event"),
    "prf_sha1": (("IDH-024",), "PBKDF2 with HMAC-SHA1 (a common library default)", "library-default"),
    "prf_sha512": (("IDH-024",), "PBKDF2 with HMAC-SHA512, cut to 32 bytes", "wrong-rule"),
    "password_salt_swapped": (("IDH-024",), "the salt is PBKDF2's password and the message its salt", "wrong-rule"),
    "rounds_minus_one": (("IDH-024", "IDH-022"), "one round fewer than the count (U1 not counted as a round)", "off-by-one"),
    # IDH-025, IDH-026: where each layer runs.
    "hash_raw_input": (("IDH-025",), "the client hashes the input as given, not its canonical form", "wrong-event"),
    "hash_invalid_input": (("IDH-025",), "an input with no canonical form is hashed as it is", "lenient-check"),
    "server_kind_fixed": (("IDH-026", "IDH-023"), "the server layer always uses the user ID's kind byte", "wrong-rule"),
    "server_hashes_hex": (("IDH-026",), "the server layer hashes the client hash's hex text", "wrong-rule"),
    # IDH-030 .. IDH-032: contact finder.
    "batch_max_1001": (("IDH-030",), "a batch of 1,001 entries is accepted", "off-by-one"),
    "batch_max_999": (("IDH-030",), "a batch of 1,000 entries is refused", "off-by-one"),
    "batch_empty_ok": (("IDH-030",), "an empty batch gives an empty result", "lenient-check"),
    "batch_any_kind": (("IDH-030",), "user ID and device ID entries are hashed like the others", "lenient-check"),
    "batch_counts_distinct": (("IDH-030", "IDH-032"), "the 1,000 bound counts distinct hashes, after duplicates are removed", "check-order"),
    "batch_kinds_in_entry_order": (("IDH-030", "IDH-031"), "each entry's kind is checked when that entry is reached, after the entries before it", "check-order"),
    "batch_last_bad_entry": (("IDH-031",), "the last bad entry decides the code, not the first", "check-order"),
    "batch_bad_entries_skipped": (("IDH-031",), "entries with no canonical form are skipped", "lenient-check"),
    "batch_all_as_phone": (("IDH-031",), "every entry is hashed under the phone kind", "wrong-rule"),
    "batch_default_rounds": (("IDH-031", "IDH-022"), "batch entries are hashed at the default 20,000 rounds", "wrong-event"),
    "batch_not_deduplicated": (("IDH-032",), "duplicate hashes are kept", "lenient-check"),
    "batch_not_sorted": (("IDH-032",), "hashes stay in batch order", "lenient-check"),
    "batch_sorted_descending": (("IDH-032",), "hashes are sorted in descending order", "wrong-rule"),
    "batch_dedup_inputs": (("IDH-032",), "duplicates are removed by input bytes before canonicalisation", "wrong-event"),
    "batch_sorted_by_hex": (("IDH-032",), "hashes are sorted as hex text", "library-default"),
    # IDH-040 .. IDH-042: verification codes.
    "key_length_unchecked": (("IDH-040",), "keys of any length are accepted", "lenient-check"),
    "equal_keys_allowed": (("IDH-040",), "two equal keys give a code", "lenient-check"),
    "key_a_only_checked": (("IDH-040",), "only the first key's length is checked", "lenient-check"),
    "key_33_accepted": (("IDH-040",), "a 33-byte key is accepted (a length bound of at most 33)", "off-by-one"),
    "keys_not_sorted": (("IDH-041",), "the keys are used in argument order", "lenient-check"),
    "keys_sorted_descending": (("IDH-041",), "the keys are concatenated high first", "wrong-rule"),
    "hkdf_salt_info_swapped": (("IDH-041",), "HKDF's salt and info are swapped", "wrong-rule"),
    "hkdf_empty_salt": (("IDH-041",), "HKDF without the salt", "lenient-check"),
    "groups_little_endian": (("IDH-041",), "each group's u32 is read little-endian", "library-default"),
    "group_mod_99999": (("IDH-041",), "each group is taken mod 99,999", "off-by-one"),
    "groups_not_padded": (("IDH-042",), "groups are not zero-padded to five digits", "library-default"),
    "groups_dash_separated": (("IDH-042",), "groups are separated by '-'", "wrong-rule"),
    "groups_unseparated": (("IDH-042",), "groups are written without separators", "wrong-rule"),
}

# Mutations that change nothing a vector can observe, and why.
EQUIVALENT = {
    "raw_limit_in_characters": "an input longer than 512 bytes but not 512 characters holds a byte >= 0x80, which IDH-004 "
                               "refuses with the same code (and a device ID is refused past 128 bytes anyway)",
    "raw_limit_skipped_for_device_id": "every device ID longer than 512 bytes is longer than 128: IDH-013 refuses it with the "
                                       "same code",
    "empty_after_trim_unchecked": "an empty text breaks every kind's own first rule (the user ID's length, the phone's '+', "
                                  "the e-mail's single '@'), so the code is the same",
    "email_split_at_last_at": "the '@' left on one side is neither atext nor a label byte, so the address is refused with "
                              "the same code",
    "domain_max_252": "an address of at most 254 bytes with a non-empty local part leaves at most 252 bytes of domain, so "
                      "the domain bound of IDH-012 is never what refuses an address",
    "batch_sorted_by_hex": "hashes are all 32 bytes, and lowercase hex of equal-length strings sorts as their bytes",
}

RANDOM_GROUPS: frozenset = frozenset()

NONE: frozenset = frozenset()

# Text characters some library "simplification" removes (U+200B..U+200D).
ZERO_WIDTH = ("\u200b", "\u200c", "\u200d")
KEYPAD = {c: d for d, letters in zip("23456789", ("abc", "def", "ghi", "jkl", "mno", "pqrs", "tuv", "wxyz")) for c in letters}


def _decoded(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


# ---------------------------------------------------------------------------------------------
# Canonicalisation (IDH-002 .. IDH-013), one function per kind.
# ---------------------------------------------------------------------------------------------


def _trim(raw: bytes, m: frozenset) -> bytes:
    if "no_trim" in m:
        return raw
    if "trim_bytes_strip" in m:
        return raw.strip()
    if "trim_str_strip" in m:
        return raw.decode("utf-8", "surrogateescape").strip().encode("utf-8", "surrogateescape")
    trimmed = b" " if "trim_spaces_only" in m else TRIMMED_BYTES
    if "whitespace_removed_inside" in m:
        return bytes(b for b in raw if b not in trimmed)
    start, end = 0, len(raw)
    if "trim_trailing_only" not in m:
        while start < end and raw[start] in trimmed:
            start += 1
    if "trim_leading_only" not in m:
        while end > start and raw[end - 1] in trimmed:
            end -= 1
    return raw[start:end]


def _text(kind: str, raw: bytes, m: frozenset = NONE) -> bytes:
    """The shared front end of the three text kinds: trim, then refuse empty and non-ASCII."""
    fail = ERROR_FOR_KIND[kind]
    text = _trim(raw, m)
    if "raw_limit_after_trim" in m and len(text) > RAW_INPUT_MAX:
        raise Rejected(fail, f"trimmed input of {len(text)} bytes")
    if not text and "empty_after_trim_unchecked" not in m:
        raise Rejected(fail, "empty after trimming")
    if "invalid_utf8_dropped" in m:
        text = text.decode("utf-8", "ignore").encode()
    if "bom_stripped" in m and text.startswith(b"\xef\xbb\xbf"):
        text = text[3:]
    decoded = _decoded(text)
    if decoded is not None:
        if "zero_width_removed" in m:
            decoded = "".join(c for c in decoded if c not in ZERO_WIDTH)
        if "nfkc_applied" in m:
            decoded = unicodedata.normalize("NFKC", decoded)
        if "unicode_lower" in m and kind in ("user_id", "email"):
            decoded = decoded.lower()
        if "unicode_digits" in m and kind == "phone":
            decoded = "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in decoded)
        text = decoded.encode()
    if text and max(text) >= 0x80:
        # Two misreadings let some non-ASCII e-mail text through to _email, which deals with it.
        if not (kind == "email" and ("idna_domain" in m or "utf8_local_part" in m) and decoded is not None):
            raise Rejected(fail, "byte >= 0x80")
    return text


def _user_id(text: bytes, m: frozenset = NONE) -> bytes:
    fail = ERROR_FOR_KIND["user_id"]
    if "user_id_alphabet_before_lower" in m and not set(text) <= USER_ID_ALPHABET:
        raise Rejected(fail, "character outside [a-z0-9._-] before lower-casing")
    lowered = text if "user_id_case_kept" in m else text.lower()  # bytes.lower() touches ASCII A-Z only
    lo = USER_ID_LEN[0] - ("user_id_min_2" in m) + ("user_id_min_4" in m)
    hi = USER_ID_LEN[1] + ("user_id_max_65" in m) - ("user_id_max_63" in m)
    if not lo <= len(lowered) <= hi:
        raise Rejected(fail, f"length {len(lowered)}")
    alphabet = USER_ID_ALPHABET | (frozenset(b"+@") if "user_id_email_chars" in m else frozenset())
    if not set(lowered) <= alphabet:
        raise Rejected(fail, "character outside [a-z0-9._-]")
    edge = frozenset(b"abcdefghijklmnopqrstuvwxyz") if "user_id_edges_letters" in m else ALNUM
    if "user_id_edges_unchecked" not in m:
        if lowered[0] not in edge or ("user_id_last_unchecked" not in m and lowered[-1] not in edge):
            raise Rejected(fail, "first or last character not alphanumeric")
    if "user_id_no_repeated_punctuation" in m:
        if any(a not in ALNUM and b not in ALNUM for a, b in zip(lowered, lowered[1:])):
            raise Rejected(fail, "two punctuation bytes in a row")
    return lowered


def _phone(text: bytes, m: frozenset = NONE) -> bytes:
    fail = ERROR_FOR_KIND["phone"]
    if "phone_tel_uri" in m and text[:4].lower() == b"tel:":
        text = text[4:]
    if "phone_00_prefix" in m and text[:2] == b"00":
        text = b"+" + text[2:]
    if text[:1] != b"+":
        if "phone_plus_optional" not in m:
            raise Rejected(fail, "does not start with '+'")
        body = text
    else:
        body = text[1:]
    if "extension_dropped" in m:
        low = body.lower()
        cuts = [i for i in (low.find(b"ext"), low.find(b"x")) if i >= 0]
        if cuts:
            body = body[: min(cuts)]
    if "trunk_removed" in m:
        body = body.replace(b"(0)", b"")
    elif "trunk_with_separators" in m:
        if re.search(rb"\([ .\-]*0[ .\-]*\)", body):
            raise Rejected(fail, "national trunk marker with separators")
    elif "trunk_any_parenthesised_zero" in m:
        if b"(0" in body:
            raise Rejected(fail, "'(' followed by '0'")
    elif "trunk_kept" not in m and b"(0)" in body:
        raise Rejected(fail, "national trunk marker (0)")
    separators = set(PHONE_SEPARATORS)
    if "dots_not_separators" in m:
        separators.discard(ord("."))
    if "parentheses_not_separators" in m:
        separators -= {ord("("), ord(")")}
    if "whitespace_separators" in m:
        separators |= set(b"\t\n\r\x0b\x0c")
    if "slash_separator" in m:
        separators.add(ord("/"))
    if "second_plus_ignored" in m:
        separators.add(ord("+"))
    digits = bytearray()
    for byte in body:
        if byte in DIGITS:
            digits.append(byte)
        elif "letters_on_keypad" in m and chr(byte).lower() in KEYPAD:
            digits.append(ord(KEYPAD[chr(byte).lower()]))
        elif byte not in separators:
            raise Rejected(fail, f"byte {byte:#04x} is neither digit nor separator")
    lo = PHONE_DIGITS[0] - ("phone_min_6" in m) + ("phone_min_8" in m)
    hi = PHONE_DIGITS[1] + ("phone_max_16" in m) - ("phone_max_14" in m)
    count = len(digits)
    if "phone_count_includes_plus" in m:
        count += 1
    if "phone_count_with_separators" in m:
        count = len(body)
    if not lo <= count <= hi or not digits:
        raise Rejected(fail, f"{len(digits)} digits")
    if digits[0] == ord("0") and "phone_leading_zero" not in m:
        raise Rejected(fail, "country code starts with 0")
    return bytes(digits) if "phone_canonical_without_plus" in m else b"+" + bytes(digits)


def _email(text: bytes, m: frozenset = NONE) -> bytes:
    fail = ERROR_FOR_KIND["email"]
    if "email_case_kept" in m:
        address = text
    elif "email_local_case_kept" in m and b"@" in text:
        at = text.rindex(b"@")
        address = text[:at] + text[at:].lower()
    else:
        address = text.lower()
    if "comments_removed" in m:
        address = re.sub(rb"\([^()]*\)", b"", address)
    limit = EMAIL_MAX + ("email_max_255" in m) - ("email_max_253" in m)
    if len(address) > limit:
        raise Rejected(fail, f"length {len(address)}")
    if "email_split_at_last_at" in m:
        if b"@" not in address:
            raise Rejected(fail, "no '@'")
        local, domain = address.rsplit(b"@", 1)
    else:
        if address.count(b"@") != 1:
            raise Rejected(fail, "not exactly one '@'")
        local, domain = address.split(b"@")
    if "idna_domain" in m and domain and max(domain) >= 0x80:
        try:
            domain = domain.decode().encode("idna")
        except UnicodeError:
            raise Rejected(fail, "the idna codec refuses the domain") from None
    if "plus_tag_dropped" in m and b"+" in local:
        local = local[: local.index(b"+")]
    if "local_dots_removed" in m:
        local = local.replace(b".", b"")
    local_max = EMAIL_LOCAL_MAX + ("local_max_65" in m) - ("local_max_63" in m)
    if not 1 <= len(local) <= local_max:
        raise Rejected(fail, f"local part length {len(local)}")
    quoted = "quoted_local" in m and len(local) >= 2 and local[:1] == local[-1:] == b'"' \
        and all(0x20 <= b < 0x7F and b not in b'"\\' for b in local[1:-1])
    if not quoted:
        atext = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789._%+-") if "local_common_regex" in m else ATEXT
        if "utf8_local_part" in m:
            atext = atext | frozenset(range(0x80, 0x100))
        atoms = local.split(b".")
        if "local_dots_lenient" in m:
            atoms = [a for a in atoms if a] or [b""]
        for atom in atoms:
            # An empty atom is a leading, trailing or doubled dot.
            if not atom or not set(atom) <= atext:
                raise Rejected(fail, "local part is not dot-separated atext")
    if domain and max(domain) >= 0x80:
        raise Rejected(fail, "byte >= 0x80 in the domain")
    if "address_literal" in m and domain[:1] == b"[" and domain[-1:] == b"]":
        return local + b"@" + domain
    if "root_dot_removed" in m and domain.endswith(b"."):
        domain = domain[:-1]
    if len(domain) > EMAIL_DOMAIN_MAX - ("domain_max_252" in m):
        raise Rejected(fail, f"domain length {len(domain)}")
    labels = domain.split(b".")
    if "empty_labels_skipped" in m:
        labels = [x for x in labels if x] or [b""]
    if len(labels) < 2 and "single_label_domain" not in m:
        raise Rejected(fail, "domain has fewer than two labels")
    label_max = EMAIL_LABEL_MAX + ("label_max_64" in m) - ("label_max_62" in m)
    chars = LABEL_CHARS | (frozenset(b"_") if "label_underscore" in m else frozenset())
    for label in labels:
        if not 1 <= len(label) <= label_max:
            raise Rejected(fail, f"label length {len(label)}")
        if not set(label) <= chars:
            raise Rejected(fail, "bad domain label")
        if "label_hyphen_edges" not in m and (label.startswith(b"-") or label.endswith(b"-")):
            raise Rejected(fail, "label starts or ends with '-'")
        if "a_label_refused" in m and label[2:4] == b"--":
            raise Rejected(fail, "'--' in the third and fourth bytes")
        if "numeric_labels_refused" in m and set(label) <= DIGITS:
            raise Rejected(fail, "all-digit label")
    if set(labels[-1]) <= DIGITS and "numeric_tld" not in m:
        raise Rejected(fail, "last label is all digits")
    if "tld_letters_only" in m and not set(labels[-1]) <= frozenset(b"abcdefghijklmnopqrstuvwxyz"):
        raise Rejected(fail, "last label is not letters only")
    return local + b"@" + domain


def _device_id(raw: bytes, m: frozenset = NONE) -> bytes:
    fail = ERROR_FOR_KIND["device_id"]
    if "device_id_trimmed" in m:
        raw = _trim(raw, NONE)
    if "device_id_lowered" in m:
        raw = raw.lower()
    lo = DEVICE_ID_LEN[0] - ("device_id_empty" in m)
    hi = DEVICE_ID_LEN[1] + ("device_id_max_129" in m) - ("device_id_max_127" in m)
    if not lo <= len(raw) <= hi:
        raise Rejected(fail, f"length {len(raw)}")
    if "device_id_ascii_only" in m and raw and max(raw) >= 0x80:
        raise Rejected(fail, "byte >= 0x80")
    return raw


def canonicalize(kind: str, raw: bytes, m: frozenset = NONE) -> bytes:
    """The canonical form of `raw` as an identifier of `kind`, or Rejected with the kind's code."""
    if kind not in KIND_BYTE:
        raise VectorProblem(f"unknown identifier kind {kind!r}")
    skip_raw = ("raw_limit_after_trim" in m and kind != "device_id") or \
               ("raw_limit_skipped_for_device_id" in m and kind == "device_id")
    size = len(raw.decode("utf-8", "replace")) if "raw_limit_in_characters" in m else len(raw)
    too_long = size >= RAW_INPUT_MAX if "raw_limit_inclusive" in m else size > RAW_INPUT_MAX + ("raw_limit_513" in m)
    if too_long and not skip_raw:
        raise Rejected(ERROR_FOR_KIND[kind], f"raw input of {len(raw)} bytes")
    if kind == "device_id":
        return _device_id(raw, m)
    if "user_id_length_before_trim" in m and kind == "user_id" and not USER_ID_LEN[0] <= len(raw) <= USER_ID_LEN[1]:
        raise Rejected(ERROR_FOR_KIND[kind], f"untrimmed length {len(raw)}")
    if "email_length_before_trim" in m and kind == "email" and len(raw) > EMAIL_MAX:
        raise Rejected(ERROR_FOR_KIND[kind], f"untrimmed length {len(raw)}")
    text = _text(kind, raw, m)
    return {"user_id": _user_id, "phone": _phone, "email": _email}[kind](text, m)


# ---------------------------------------------------------------------------------------------
# Hashing (IDH-020 .. IDH-032) and verification codes (IDH-040 .. IDH-042).
# ---------------------------------------------------------------------------------------------


def kind_byte(kind: str, m: frozenset = NONE) -> int:
    if "kind_bytes_from_zero" in m:
        return KIND_BYTE[kind] - 1
    if "phone_email_bytes_swapped" in m and kind in ("phone", "email"):
        return KIND_BYTE["email" if kind == "phone" else "phone"]
    if "device_id_hashed_as_user_id" in m and kind == "device_id":
        return KIND_BYTE["user_id"]
    return KIND_BYTE[kind]


def hash_message(layer: int, kind: str, data: bytes, m: frozenset = NONE, length: int | None = None) -> bytes:
    """M(layer, kind, x) = label || layer || kind || u16be(len x) || x (IDH-023)."""
    n = len(data) if length is None else length
    if "layers_swapped" in m:
        layer = 3 - layer
    if "no_length_prefix" in m:
        size = b""
    elif "length_one_byte" in m:
        size = bytes([n & 0xFF])
    else:
        size = n.to_bytes(2, "little" if "length_little_endian" in m else "big")
    label = b"cinder-idh" if "label_without_version" in m else HASH_LABEL
    layer_byte = b"" if "layer_byte_omitted" in m else bytes([layer])
    return label + layer_byte + bytes([kind_byte(kind, m)]) + size + data


# PBKDF2 outputs computed so far, by (prf, password, salt, rounds): the misreadings rerun the same
# hashes many times.
_PBKDF2_CACHE: dict[tuple[str, bytes, bytes, int], bytes] = {}
# While misreadings.py runs a mutation, a PBKDF2 of SLOW_ROUNDS or more whose inputs the unmutated
# model never used is not computed: PBKDF2 is a PRF, so inputs the unmutated model did not use give
# another output than the one it computed and the vector expects, except with probability 2^-256.
# The case is caught either way; this keeps the 1,000,000-round vectors from dominating the run.
SLOW_ROUNDS = 100_000
_skip_new_slow = False
_cache_filled = False


class SlowSkipped(Exception):
    """A slow PBKDF2 under new inputs, not computed (see SLOW_ROUNDS)."""


def _pbkdf2(prf: str, password: bytes, salt: bytes, rounds: int) -> bytes:
    key = (prf, password, salt, rounds)
    out = _PBKDF2_CACHE.get(key)
    if out is None:
        if _skip_new_slow and rounds >= SLOW_ROUNDS:
            raise SlowSkipped(f"{rounds}-round PBKDF2 under inputs the chapter's model never uses")
        out = _PBKDF2_CACHE[key] = hashlib.pbkdf2_hmac(prf, password, salt, rounds, 32)
    return out


def pbkdf2(message: bytes, salt: bytes, rounds: int, m: frozenset = NONE) -> bytes:
    """IDH-024: PBKDF2-HMAC-SHA256, one 32-byte block (cached: the misreadings rerun it often)."""
    if "password_salt_swapped" in m:
        message, salt = salt, message
    if "rounds_minus_one" in m:
        rounds -= 1
        if rounds < 1:
            raise Rejected(INVALID_ROUNDS, "no round left")
    prf = "sha1" if "prf_sha1" in m else "sha512" if "prf_sha512" in m else "sha256"
    return _pbkdf2(prf, message, salt, rounds)


def check_rounds(rounds: int, m: frozenset = NONE) -> int:
    if isinstance(rounds, bool) or not isinstance(rounds, int):
        raise VectorProblem(f"rounds {rounds!r} is not an integer")
    lo = ROUNDS[0] - ("rounds_min_999" in m) + ("rounds_min_1001" in m)
    hi = ROUNDS[1] + ("rounds_max_1000001" in m) - ("rounds_max_999999" in m)
    if "rounds_unchecked" in m:
        lo, hi = 1, 2**32 - 1
    if not lo <= rounds <= hi:
        raise Rejected(INVALID_ROUNDS, f"{rounds} rounds")
    return rounds


def check_len(value: bytes, bounds: tuple[int, int], what: str) -> bytes:
    if not bounds[0] <= len(value) <= bounds[1]:
        raise Rejected(INVALID_SALT, f"{what} of {len(value)} bytes")
    return value


def salt_bounds(m: frozenset = NONE) -> tuple[int, int]:
    if "salt_unchecked" in m:
        return (0, 1 << 20)
    return (CLIENT_SALT_LEN[0] - ("salt_min_15" in m) + ("salt_min_17" in m),
            CLIENT_SALT_LEN[1] + ("salt_max_65" in m) - ("salt_max_63" in m))


def secret_bounds(m: frozenset = NONE) -> tuple[int, int]:
    if "secret_bounds_of_salt" in m:
        return CLIENT_SALT_LEN
    return (SERVER_SECRET_LEN[0] - ("secret_min_31" in m) + ("secret_min_33" in m),
            SERVER_SECRET_LEN[1] + ("secret_max_65" in m) - ("secret_max_63" in m))


def client_hash(kind: str, raw: bytes, salt: bytes, rounds: int, m: frozenset = NONE) -> bytes:
    # Precedence chosen here: salt, then rounds, then the identifier. See README.md.
    check_len(salt, salt_bounds(m), "client salt")
    check_rounds(rounds, m)
    try:
        canonical = canonicalize(kind, raw, m)
    except Rejected:
        if "hash_invalid_input" not in m:
            raise
        canonical = raw
    if "hash_raw_input" in m:
        canonical = raw
    length = len(raw) if "length_of_raw_input" in m else None
    return pbkdf2(hash_message(LAYER_CLIENT, kind, canonical, m, length), salt, rounds, m)


def server_hash(kind: str, client: bytes, secret: bytes, rounds: int, m: frozenset = NONE) -> bytes:
    if kind not in KIND_BYTE:
        raise VectorProblem(f"unknown identifier kind {kind!r}")
    if len(client) != 32:
        raise VectorProblem(f"client hash of {len(client)} bytes (the spec defines no error for it)")
    check_len(secret, secret_bounds(m), "server secret")
    if "server_rounds_unchecked" not in m:
        check_rounds(rounds, m)
    if "server_kind_fixed" in m:
        kind = "user_id"
    if "server_hashes_hex" in m:
        client = client.hex().encode()
    return pbkdf2(hash_message(LAYER_SERVER, kind, client, m), secret, rounds, m)


class NotExpected(Exception):
    """A batch entry hashed to a value the vector's expected set lacks: the result cannot match."""


def contact_lookup(entries: list[tuple[str, bytes]], salt: bytes, rounds: int, m: frozenset = NONE,
                   expected: frozenset | None = None) -> list[bytes]:
    """IDH-030..IDH-032. With `expected` (a valid vector's hashes), stops at the first hash outside
    it: the misreadings rerun 1,000-entry batches many times, and this keeps that cheap."""
    # Precedence: salt, rounds (free, chosen here), then the binding order of IDH-031: batch size,
    # the kinds in the batch, then entries in batch order.
    check_len(salt, salt_bounds(m), "client salt")
    check_rounds(rounds, m)
    lo = LOOKUP_ENTRIES[0] - ("batch_empty_ok" in m)
    hi = LOOKUP_ENTRIES[1] + ("batch_max_1001" in m) - ("batch_max_999" in m)
    if not lo <= len(entries) <= hi and "batch_counts_distinct" not in m:
        raise Rejected(INVALID_BATCH, f"{len(entries)} entries")
    kinds = LOOKUP_KINDS + (("user_id", "device_id") if "batch_any_kind" in m else ())
    if "batch_kinds_in_entry_order" not in m:
        for kind, _ in entries:
            if kind not in kinds:
                raise Rejected(INVALID_BATCH, f"entry of kind {kind!r}")
    if "batch_dedup_inputs" in m:
        entries = list(dict.fromkeys(entries))
    order = reversed(entries) if "batch_last_bad_entry" in m else entries
    kept = []
    for kind, raw in order:
        if kind not in kinds:
            raise Rejected(INVALID_BATCH, f"entry of kind {kind!r}")
        try:
            canonicalize(kind, raw, m)
        except Rejected:
            if "batch_bad_entries_skipped" in m:
                continue
            raise
        kept.append((kind, raw))
    if "batch_last_bad_entry" in m:
        kept.reverse()
    batch_rounds = 20_000 if "batch_default_rounds" in m else rounds
    hashes = []
    for kind, raw in kept:
        h = client_hash("phone" if "batch_all_as_phone" in m else kind, raw, salt, batch_rounds, m)
        if expected is not None and h not in expected:
            raise NotExpected(h.hex())
        hashes.append(h)
    if "batch_not_deduplicated" not in m and "batch_dedup_inputs" not in m:
        hashes = list(dict.fromkeys(hashes))
    if "batch_counts_distinct" in m and not lo <= len(hashes) <= hi:
        raise Rejected(INVALID_BATCH, f"{len(hashes)} distinct entries")
    if "batch_not_sorted" in m:
        return hashes
    if "batch_sorted_by_hex" in m:
        return sorted(hashes, key=bytes.hex)
    return sorted(hashes, reverse="batch_sorted_descending" in m)


def code_from_okm(okm: bytes, m: frozenset = NONE) -> str:
    """Eight groups: u32 big-endian of each 4-byte slice, mod 100000, five digits (IDH-042)."""
    groups = []
    for i in range(VC_GROUPS):
        value = int.from_bytes(okm[4 * i : 4 * i + 4], "little" if "groups_little_endian" in m else "big")
        value %= 99_999 if "group_mod_99999" in m else 100_000
        groups.append(str(value) if "groups_not_padded" in m else f"{value:05d}")
    return ("-" if "groups_dash_separated" in m else "" if "groups_unseparated" in m else " ").join(groups)


def hkdf_sha256(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def verification_code(key_a: bytes, key_b: bytes, m: frozenset = NONE) -> str:
    if "key_length_unchecked" not in m:
        ok = (KEY_LEN, KEY_LEN + 1) if "key_33_accepted" in m else (KEY_LEN,)
        if len(key_a) not in ok or ("key_a_only_checked" not in m and len(key_b) not in ok):
            raise Rejected(INVALID_KEY, "key is not 32 bytes")
    if key_a == key_b and "equal_keys_allowed" not in m:
        raise Rejected(INVALID_KEY, "keys are equal")
    lo, hi = (key_a, key_b) if "keys_not_sorted" in m else sorted((key_a, key_b))
    if "keys_sorted_descending" in m:
        lo, hi = hi, lo
    salt, info = VC_SALT, VC_INFO
    if "hkdf_salt_info_swapped" in m:
        salt, info = info, salt
    if "hkdf_empty_salt" in m:
        salt = b""
    return code_from_okm(hkdf_sha256(salt, lo + hi, info, 4 * VC_GROUPS), m)


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


def run_op(op: str, args: dict, m: frozenset = NONE, expected: frozenset | None = None) -> dict:
    """The output object a valid test expects, computed here; raises Rejected for invalid input."""
    if op == "identity.canonicalize":
        return {"canonical": canonicalize(args["kind"], unhex(args["input"], "input"), m).hex()}
    if op == "identity.client_hash":
        h = client_hash(args["kind"], unhex(args["input"], "input"), unhex(args["salt"], "salt"), args["rounds"], m)
        return {"hash": h.hex()}
    if op == "identity.server_hash":
        client = unhex(args["clientHash"], "clientHash")
        h = server_hash(args["kind"], client, unhex(args["secret"], "secret"), args["rounds"], m)
        return {"hash": h.hex()}
    if op == "identity.contact_lookup":
        entries = [(e["kind"], unhex(e["input"], "entry input")) for e in args["entries"]]
        hs = contact_lookup(entries, unhex(args["salt"], "salt"), args["rounds"], m, expected)
        return {"hashes": [h.hex() for h in hs]}
    if op == "identity.verification_code":
        return {"code": verification_code(unhex(args["keyA"], "keyA"), unhex(args["keyB"], "keyB"), m)}
    raise VectorProblem(f"unknown op {op!r}")


def check_case(op: str, test: dict, m: frozenset = NONE) -> str | None:
    """The first mismatch between this model (under the mutations `m`) and one test, or None."""
    tid = test.get("id", "<no id>")
    args = test["args"]
    want_hashes = None
    if op == "identity.contact_lookup" and test["result"] == "valid":
        want_hashes = frozenset(bytes.fromhex(h) for h in test["expected"]["hashes"])
    try:
        outcome, err = run_op(op, args, m, want_hashes), None
    except Rejected as e:
        outcome, err = None, e
    except NotExpected as e:
        return f"{tid}: Python computes hash {e} for an entry, which the vectors do not expect"
    except SlowSkipped as e:
        return f"{tid}: the vectors expect {test.get('expected') or test.get('error')}, Python needs a {e}"
    except (VectorProblem, KeyError, TypeError) as e:
        return f"{tid}: cannot evaluate ({type(e).__name__}: {e})"
    if test["result"] == "valid":
        expected = test.get("expected")
        if err is not None:
            return f"{tid}: vectors say valid {expected}, Python rejects with {err}"
        if outcome != expected:
            return f"{tid}: vectors expect {expected}, Python computes {outcome}"
        return None
    if test["result"] == "invalid":
        want = test.get("error")
        if err is None:
            return f"{tid}: vectors expect error {want}, Python accepts with {outcome}"
        if err.code != want:
            faults = all_faults(op, args)
            return (f"{tid}: vectors expect error {want}, Python rejects with {err.code} ({err.why})"
                    + (f" [precedence: all faults {faults}]" if want in faults else ""))
        return None
    return f"{tid}: result {test['result']!r} is neither valid nor invalid"


def load_groups(path: str) -> tuple[dict | None, str | None]:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        data["testGroups"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        return None, str(e)
    return data, None


def check_vectors(path: str) -> int:
    data, problem = load_groups(path)
    if data is None:
        print(f"crosscheck identity: cannot read {path}: {problem}", file=sys.stderr)
        return 2

    valid = invalid = 0
    mismatches: list[str] = []
    multi_fault: list[str] = []
    seen_ops: dict[str, int] = {}
    for group in data["testGroups"]:
        op = group["op"]
        for test in group["tests"]:
            seen_ops[op] = seen_ops.get(op, 0) + 1
            if test.get("result") == "valid":
                valid += 1
            elif test.get("result") == "invalid":
                invalid += 1
                faults = all_faults(op, test["args"])
                if len(faults) > 1:
                    multi_fault.append(f"{test.get('id')}: faults {faults}, vectors expect {test.get('error')}")
            line = check_case(op, test)
            if line:
                mismatches.append(line)

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


def mutation_vectors(path: str):
    """For misreadings.py: the vector file, loaded once."""
    data, problem = load_groups(path)
    if data is None:
        raise ValueError(f"{path}: cannot load the identity vectors: {problem}")
    return data["testGroups"]


def failing_cases(groups, mut: frozenset) -> dict[str, str]:
    """For misreadings.py: case ID ("group/id") -> first mismatch, under the mutations `mut`."""
    global _skip_new_slow, _cache_filled
    out: dict[str, str] = {}
    if mut and not _cache_filled:
        failing_cases(groups, frozenset())  # fills the cache with every input the chapter uses
    _skip_new_slow = bool(mut)
    try:
        for group in groups:
            for test in group["tests"]:
                line = check_case(group["op"], test, mut)
                if line:
                    out[f"{group['group']}/{test['id']}"] = line
    finally:
        _skip_new_slow = False
    if not mut:
        _cache_filled = True
    return out


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
