#!/usr/bin/env python3
"""A Cinder adapter in Python: the template to copy when you wrap your own implementation.

It speaks adapter protocol v1 (conformance/ADAPTER.md) on stdin/stdout and serves two parts of the
protocol, identity hashing and message envelopes, from the independent Python implementations in
vectors/crosscheck/ (standard library plus the `cryptography` package). To wrap your own code, keep
`main()` and `answer()` as they are and replace the functions in OPS with calls into your code.

    cargo run --release -p cinder-conformance -- run \
        --adapter "python3 conformance/adapters/python/adapter.py" \
        --vectors vectors/identity.json --vectors vectors/envelope.json
"""

from __future__ import annotations

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "vectors", "crosscheck"))

import envelope as envelope_impl  # noqa: E402  (the path is set just above)
import identity as identity_impl  # noqa: E402

PROTOCOL = 1
NAME = "cinder-python-adapter 0.1.0"


class BadRequest(Exception):
    """Arguments that cannot be read: answered with `adapter.bad_request`."""


def identity_op(op: str):
    def run(args: dict) -> dict:
        return identity_impl.run_op(op, args)

    return run


def envelope_op(op: str):
    def run(args: dict) -> dict:
        if op == "envelope.seal" and "contentKey" not in args:
            # ADAPTER.md: without `contentKey` the adapter draws its own content key (ENV-020).
            args = dict(args, contentKey=os.urandom(32).hex())
        return envelope_impl.run_op(op, args)

    return run


# The operations this adapter implements. Everything not listed here is left out of `hello`'s
# capabilities, so the runner counts those cases as unsupported instead of sending them.
OPS = {
    op: identity_op(op)
    for op in (
        "identity.canonicalize",
        "identity.client_hash",
        "identity.server_hash",
        "identity.contact_lookup",
        "identity.verification_code",
    )
}
OPS.update({op: envelope_op(op) for op in ("envelope.seal", "envelope.open", "envelope.decode")})


def answer(request: dict) -> dict:
    """One response object for one request object (ADAPTER.md section 3)."""
    rid = request.get("id")
    op = request.get("op")
    args = request.get("args")
    if op == "hello":
        if not isinstance(args, dict) or args.get("protocol") != PROTOCOL:
            return {"id": rid, "error": {"code": "adapter.unsupported_protocol", "message": f"speaks {PROTOCOL}"}}
        return {"id": rid, "ok": {"adapter": NAME, "protocol": PROTOCOL, "capabilities": sorted(OPS)}}
    run = OPS.get(op)
    if run is None:
        return {"id": rid, "unsupported": True}
    if not isinstance(args, dict):
        return {"id": rid, "error": {"code": "adapter.bad_request", "message": "args is not an object"}}
    try:
        return {"id": rid, "ok": run(args)}
    except identity_impl.Rejected as e:
        return {"id": rid, "error": {"code": e.code, "message": str(e)}}
    except envelope_impl.EnvelopeError as e:
        return {"id": rid, "error": {"code": e.code, "message": e.why}}
    except (
        BadRequest,
        identity_impl.VectorProblem,
        envelope_impl.BadArgs,
        KeyError,
        TypeError,
        ValueError,
    ) as e:
        return {"id": rid, "error": {"code": "adapter.bad_request", "message": f"{type(e).__name__}: {e}"}}


def main() -> int:
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            request = json.loads(line)
        except json.JSONDecodeError as e:
            print(f"cannot parse request: {e}", file=sys.stderr)
            continue
        if not isinstance(request, dict):
            print("request is not a JSON object", file=sys.stderr)
            continue
        sys.stdout.write(json.dumps(answer(request), separators=(",", ":")) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
