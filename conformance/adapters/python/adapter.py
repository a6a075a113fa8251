#!/usr/bin/env python3
"""A Cinder adapter in Python: the template to copy when you wrap your own implementation.

It speaks adapter protocol v1 (conformance/ADAPTER.md) on stdin/stdout. This file is the whole
protocol loop; each part of the protocol is one module of `cinder_py/` with an `OPS` table mapping
operation names to functions `args -> result` (identity, envelope, expiry, retention, session). The
modules are a complete, independent Python implementation of Cinder (standard library, plus the
`cryptography` package for X25519 and ChaCha20-Poly1305; Ed25519 verification is done here, in
`cinder_py/ed25519.py`, because the strict rules of SES-012 are not OpenSSL's).

To wrap your own implementation, keep this file and replace the bodies of the part modules with calls
into your code: raise `Refused(code)` for what the spec refuses and `BadRequest` for arguments that
cannot be read.

    cargo run --release -p cinder-conformance -- run \
        --adapter "python3 conformance/adapters/python/adapter.py"
"""

from __future__ import annotations

import json
import sys
import traceback

from cinder_py import envelope, expiry, identity, retention, session
from cinder_py.args import BadRequest, Refused

PROTOCOL = 1
NAME = "cinder-python-adapter 0.2.0"

# The operations this adapter implements, one table per part. An operation left out is not listed
# in `hello`'s capabilities, so the runner counts its cases as unsupported instead of sending them.
OPS = {}
for part in (identity, envelope, expiry, retention, session):
    OPS.update(part.OPS)


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
    try:
        if not isinstance(args, dict):
            raise BadRequest("args is not an object")
        return {"id": rid, "ok": run(args)}
    except Refused as e:
        return {"id": rid, "error": {"code": e.code, "message": str(e)}}
    except BadRequest as e:
        return {"id": rid, "error": {"code": "adapter.bad_request", "message": str(e)}}
    except Exception as e:  # noqa: BLE001  ADAPTER.md section 3: never exit because one request failed
        traceback.print_exc(file=sys.stderr)
        return {"id": rid, "error": {"code": "adapter.internal_error", "message": f"{type(e).__name__}: {e}"}}


def main() -> int:
    # Read each line whole: a request can be megabytes long (ADAPTER.md section 2).
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
