#!/usr/bin/env python3
"""Misreadings: every plausible wrong reading of a chapter, run against that chapter's vectors.

Each chapter's cross-check (vectors/crosscheck/<part>.py) is an independent model of the chapter. It
also carries named *mutations*: one-rule departures that an implementer could plausibly make while
reading the chapter (a library default, an off-by-one at a bound, counting from the wrong event,
checking in another order, forgetting a state on reset...). This driver loads each chapter's vector
file once, runs every mutation of that chapter's model against it in-process, and prints, per
mutation, the vector cases that catch it (a case catches a mutation when the mutated model disagrees
with the case's expected result).

It fails (exit 1) when a mutation that is not declared equivalent is caught by fewer than two cases,
or by no case outside a random-walk group; when a mutation declared equivalent is caught (it was not
equivalent); or when spec/misreadings/<part>.md is not byte-identical to the table it generates.

The interface a chapter module provides (vectors/crosscheck/README.md, "Misreadings"):

    MUTATIONS = {name: (("EXP-012", ...), "one-sentence misreading", kind), ...}
    EQUIVALENT = {name: "why nothing observable changes", ...}      # optional; names in MUTATIONS
    RANDOM_GROUPS = frozenset({"walks"})                              # optional; groups of random cases
    def mutation_vectors(path) -> object                              # loads the vector file once
    def failing_cases(loaded, mut: frozenset) -> dict[str, str]       # case ID -> first mismatch

`failing_cases(loaded, frozenset())` must be empty (the model agrees with every vector). A case ID is
"<group>/<test id>".

Usage:
    python3 misreadings.py                 # every part: run, print, check the tables
    python3 misreadings.py --bless         # rewrite spec/misreadings/<part>.md
    python3 misreadings.py --part expiry   # one part (repeatable)
    python3 misreadings.py --quiet         # only failures and the summary lines

Exit status: 0 when every mutation is caught twice and the tables are current, 1 otherwise, 2 when a
vector file or a module cannot be loaded.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
TABLES = os.path.join(ROOT, "spec", "misreadings")

# The chapters whose cross-check carries mutations in the form above, in spec/README.md's order.
PARTS = ["identity", "envelope", "expiry", "retention", "session"]

# What kind of misreading a mutation is. A mutation names exactly one.
KINDS = {
    "library-default": "a library's default behaviour instead of the chapter's rule (Unicode case folding, "
                       "a trim of every whitespace class, a lenient parser)",
    "off-by-one": "a bound taken one too far or one too short, or an inclusive comparison for an exclusive one",
    "wrong-event": "a time or a count taken from the wrong event or the wrong value",
    "check-order": "the same checks made in another order, so another error wins",
    "forgotten-reset": "a state that should be cleared, kept or restored is not",
    "lenient-check": "a check the chapter makes is skipped or weakened",
    "wrong-rule": "another plausible rule in place of the chapter's",
}

MIN_CATCHES = 2
ID_RE = re.compile(r"^\*\*([A-Z]{3}-[0-9]{3})\.\*\*", re.M)
EXAMPLES = 3


class Problem(Exception):
    pass


def chapter_ids(part: str) -> list[str]:
    with open(os.path.join(ROOT, "spec", f"{part}.md"), encoding="utf-8") as f:
        return ID_RE.findall(f.read())


def validate(part: str, mod, ids: list[str]) -> list[str]:
    """The module's declarations themselves: shape, kinds, IDs that exist."""
    bad = []
    muts = getattr(mod, "MUTATIONS", None)
    if not isinstance(muts, dict) or not muts:
        return [f"{part}: no MUTATIONS"]
    for name, entry in muts.items():
        if not (isinstance(entry, tuple) and len(entry) == 3):
            bad.append(f"{part}: mutation {name}: not (ids, misreading, kind)")
            continue
        rids, what, kind = entry
        if not rids or any(r not in ids for r in rids):
            bad.append(f"{part}: mutation {name}: requirement IDs {rids!r} not all defined in spec/{part}.md")
        if kind not in KINDS:
            bad.append(f"{part}: mutation {name}: unknown kind {kind!r}")
        if not what or "\n" in what or "|" in what:
            bad.append(f"{part}: mutation {name}: the misreading must be one line without '|'")
    for name in getattr(mod, "EQUIVALENT", {}):
        if name not in muts:
            bad.append(f"{part}: EQUIVALENT names {name}, which is not in MUTATIONS")
    return bad


def run_part(part: str, quiet: bool) -> tuple[dict, list[str]]:
    """Runs every mutation of one part. Returns ({name: sorted catching case IDs}, failures)."""
    mod = importlib.import_module(part)
    ids = chapter_ids(part)
    failures = validate(part, mod, ids)
    if failures:
        return {}, failures
    loaded = mod.mutation_vectors(os.path.join(ROOT, "vectors", f"{part}.json"))
    base = mod.failing_cases(loaded, frozenset())
    if base:
        first = sorted(base)[0]
        return {}, [f"{part}: the unmutated model fails {len(base)} cases (first {first}: {base[first]})"]
    random_groups = getattr(mod, "RANDOM_GROUPS", frozenset())
    equivalent = getattr(mod, "EQUIVALENT", {})
    caught = {}
    for name, (rids, what, kind) in mod.MUTATIONS.items():
        cases = sorted(mod.failing_cases(loaded, frozenset([name])))
        caught[name] = cases
        named = [c for c in cases if c.split("/")[0] not in random_groups]
        if name in equivalent:
            verdict = "equivalent" if not cases else "NOT EQUIVALENT"
            if cases:
                failures.append(f"{part}: {name} is declared equivalent but {len(cases)} cases catch it "
                                f"(first {cases[0]})")
        elif len(cases) < MIN_CATCHES:
            verdict = "CAUGHT ONCE" if cases else "NOT CAUGHT"
            failures.append(f"{part}: {name} ({', '.join(rids)}) caught by {len(cases)} case(s): {what}")
        elif not named:
            verdict = "ONLY BY WALKS"
            failures.append(f"{part}: {name} ({', '.join(rids)}) caught only by random groups: {what}")
        else:
            verdict = "ok"
        if not quiet or verdict not in ("ok", "equivalent"):
            print(f"{part} {name:34s} {len(cases):4d} ({len(named)} named) {verdict:14s} {', '.join(rids)}: {what}")
            if cases and not quiet:
                print(f"    {' '.join(cases[:8])}{' ...' if len(cases) > 8 else ''}")
    return caught, failures


def table(part: str, mod, caught: dict) -> str:
    """spec/misreadings/<part>.md, generated."""
    ids = chapter_ids(part)
    random_groups = getattr(mod, "RANDOM_GROUPS", frozenset())
    equivalent = getattr(mod, "EQUIVALENT", {})
    by_id = {i: [] for i in ids}
    for name, (rids, _, _) in mod.MUTATIONS.items():
        for r in rids:
            by_id[r].append(name)
    real = [n for n in mod.MUTATIONS if n not in equivalent]
    counts = [len(caught[n]) for n in real]
    per_id = sum(len(v) for v in by_id.values()) / len(ids)
    out = [
        f"# Misreadings: {part}",
        "",
        f"Generated by `python3 vectors/crosscheck/misreadings.py --bless` from the mutations in "
        f"`vectors/crosscheck/{part}.py`, run against `vectors/{part}.json`. Do not edit by hand: CI checks "
        f"that this file is what the script writes.",
        "",
        f"Each row is a plausible way to misread [spec/{part}.md](../{part}.md): a named one-rule change to the "
        f"independent Python model of the chapter. *Caught by* counts the vector cases whose expected result "
        f"the changed model gets wrong (in brackets: how many of them are outside the random-walk groups), "
        f"with up to {EXAMPLES} of them named. Every misreading that is not equivalent must be caught by at "
        f"least {MIN_CATCHES} cases, one of them hand-written; an equivalent one changes nothing an "
        f"implementation can observe, and the row says why.",
        "",
        f"Summary: {len(mod.MUTATIONS)} misreadings ({len(equivalent)} equivalent) over {len(ids)} requirements, "
        f"{per_id:.1f} per requirement on average; the smallest catch count is "
        f"{min(counts) if counts else 0}.",
        "",
        "Kinds: " + "; ".join(f"*{k}*: {v}" for k, v in KINDS.items()) + ".",
        "",
    ]
    for rid in ids:
        out.append(f"## {rid}")
        out.append("")
        names = by_id[rid]
        if not names:
            out.append("No misreading is named for this requirement.")
            out.append("")
            continue
        out.append("| misreading | kind | caught by | e.g. |")
        out.append("|---|---|---|---|")
        for n in names:
            _, what, kind = mod.MUTATIONS[n]
            cases = caught[n]
            named = [c for c in cases if c.split("/")[0] not in random_groups]
            if n in equivalent:
                count, eg = "equivalent", equivalent[n].replace("|", "/")
            else:
                count = f"{len(cases)} ({len(named)})"
                shown = (named or cases)[:EXAMPLES]
                eg = ", ".join(f"`{c}`" for c in shown)
            out.append(f"| `{n}`: {what} | {kind} | {count} | {eg} |")
        out.append("")
    return "\n".join(out)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bless", action="store_true", help="rewrite spec/misreadings/<part>.md")
    p.add_argument("--part", action="append", choices=PARTS, help="only this part (repeatable)")
    p.add_argument("--quiet", action="store_true", help="print only failures and summaries")
    opts = p.parse_args()
    sys.path.insert(0, HERE)
    start = time.monotonic()
    failures: list[str] = []
    for part in opts.part or PARTS:
        t0 = time.monotonic()
        try:
            caught, fails = run_part(part, opts.quiet)
        except (OSError, ValueError, KeyError) as e:
            print(f"misreadings {part}: cannot load: {e}")
            return 2
        failures += fails
        if not caught:
            continue
        mod = sys.modules[part]
        text = table(part, mod, caught)
        path = os.path.join(TABLES, f"{part}.md")
        if opts.bless:
            os.makedirs(TABLES, exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
        else:
            try:
                with open(path, encoding="utf-8", newline="") as f:
                    current = f.read()
            except FileNotFoundError:
                current = None
            if current != text:
                failures.append(f"{part}: spec/misreadings/{part}.md is not what the mutations give "
                                f"(run `python3 vectors/crosscheck/misreadings.py --bless`)")
        equivalent = getattr(mod, "EQUIVALENT", {})
        real = [len(v) for n, v in caught.items() if n not in equivalent]
        ids = chapter_ids(part)
        print(f"misreadings {part}: {len(caught)} mutations ({len(equivalent)} equivalent) over {len(ids)} "
              f"requirements ({sum(len(m[0]) for m in mod.MUTATIONS.values()) / len(ids):.1f} per requirement), "
              f"smallest catch count {min(real) if real else 0} ({time.monotonic() - t0:.2f} s)")
    for f in failures:
        print(f"FAIL {f}")
    print(f"misreadings: {len(failures)} failures ({time.monotonic() - start:.2f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
