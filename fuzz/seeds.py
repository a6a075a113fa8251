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


if __name__ == "__main__":
    main()
