#!/usr/bin/env python3
"""Builds fuzz/corpus/<target>/ seed corpora from the committed vector files.

Usage: python3 fuzz/seeds.py   (from anywhere; paths are relative to this file)

identity: every identifier in vectors/identity.json (canonicalize, client_hash and contact_lookup
arguments) becomes one seed, and every verification-code key pair another, in the input format of
fuzz/src/identity.rs: a control byte, then the identifier bytes. The control byte selects the kind
(its index in KIND_ORDER, which must equal `IdentifierKind::ALL`; a unit test in the fuzz crate checks
that) and sets HASH_CHECKS so that the hash checks run on the seed.

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


def write_corpus(target, seeds):
    out = FUZZ_DIR / "corpus" / target
    out.mkdir(parents=True, exist_ok=True)
    names = set()
    for control, data in seeds:
        content = bytes([control]) + data
        name = hashlib.sha1(content).hexdigest()
        (out / name).write_bytes(content)
        names.add(name)
    if not names:
        sys.exit(f"seeds.py: no seeds for {target}: has the vector format changed?")
    print(f"seeds.py: {len(names)} seeds in {out.relative_to(REPO)}")


def main():
    path = REPO / "vectors" / "identity.json"
    try:
        vectors = json.loads(path.read_text())
    except FileNotFoundError:
        sys.exit(f"seeds.py: {path} not found")
    write_corpus("identity", identity_seeds(vectors))


if __name__ == "__main__":
    main()
