#!/usr/bin/env python3
"""Requests no vector sends: arguments that cannot be read must be answered `adapter.bad_request`
(ADAPTER.md section 8), never an internal error or a spec code. Exits non-zero on a failure.

    python3 conformance/adapters/python/test_requests.py
"""

import sys

from adapter import answer

K = "01" * 32
MID = "00" * 16
ACCOUNT = "aa" * 32
CASES = [  # (op, args) that are all unreadable
    ("identity.canonicalize", {"kind": "fax", "input": "00"}),
    ("identity.canonicalize", {"kind": "phone", "input": "2B"}),
    ("identity.canonicalize", {"kind": "phone"}),
    ("identity.client_hash", {"kind": "email", "input": "61", "salt": "00" * 16, "rounds": 1000.5}),
    ("identity.client_hash", {"kind": "email", "input": "61", "salt": "00" * 16, "rounds": "1000"}),
    ("identity.client_hash", {"kind": "email", "input": "61", "salt": "00" * 16, "rounds": 2**32}),
    ("identity.client_hash", {"kind": "email", "input": "61", "salt": "00" * 16, "rounds": -1}),
    ("identity.server_hash", {"kind": "email", "clientHash": "00" * 31, "secret": "00" * 32, "rounds": 1000}),
    ("identity.contact_lookup", {"entries": [{"kind": "pager", "input": "00"}], "salt": "00" * 16, "rounds": 1000}),
    ("identity.verification_code", {"keyA": K, "keyB": 5}),
    ("envelope.seal", {"messageId": "00" * 15, "conversationId": "01", "senderDevice": "02", "sentAt": 0, "ttl": 1,
                       "padded": False, "bor": 0, "contentType": 1, "content": "", "recipients": []}),
    ("envelope.seal", {"messageId": MID, "conversationId": "01", "senderDevice": "02", "sentAt": 2**64, "ttl": 1,
                       "padded": False, "bor": 0, "contentType": 1, "content": "", "recipients": []}),
    ("envelope.open", {"envelope": "01", "device": "02", "wrapKey": "00" * 31}),
    ("envelope.decode", {"envelope": "0g"}),
    ("envelope.decode", {"envelope": "01", "extra": 1}),
    ("expiry.scenario", {"messageId": MID, "cap": None, "events": [{"at": 1, "event": "explode"}]}),
    ("expiry.scenario", {"messageId": MID, "cap": None, "events": [{"at": -1, "event": "read"}]}),
    ("expiry.scenario", {"messageId": MID, "cap": 2**32, "events": []}),
    ("expiry.scenario", {"messageId": MID, "cap": None, "events": [{"at": 1, "event": "read", "by": "01"}]}),
    ("retention.scenario", {"profile": "hobby", "cap": None, "events": []}),
    ("retention.scenario", {"profile": "consumer", "cap": None, "events": [{"at": 0, "event": "register", "account": "aa"}]}),
    ("retention.scenario", {"profile": "consumer", "cap": None,
                            "events": [{"at": 0, "event": "add_device", "account": ACCOUNT, "device": "01", "platform": "beos"}]}),
    ("retention.scenario", {"profile": "consumer", "cap": None, "events": "none"}),
    ("session.handshake", {"now": 0}),
    ("session.scenario", {"accounts": [{"account": "", "rootKey": K}], "devices": [], "events": []}),
    ("session.scenario", {"accounts": [], "devices": [{"certificate": "00", "identitySecret": K, "signedPrekey": "00",
                                                       "signedPrekeySecret": K, "oneTimePrekeys": [], "member": True}], "events": []}),
    ("session.scenario", {"accounts": [], "devices": [], "events": [{"at": 0, "event": "send_many", "from": "01", "to": "02", "count": 0}]}),
    ("session.scenario", {"accounts": [], "devices": [], "events": [{"at": 0, "event": "fly"}]}),
]


def main() -> int:
    failures = 0
    for n, (op, args) in enumerate(CASES, 1):
        got = answer({"id": n, "op": op, "args": args})
        code = got.get("error", {}).get("code")
        ok = code == "adapter.bad_request"
        failures += not ok
        print(("ok   " if ok else "FAIL ") + f"{op} {args!r:.90} -> {code or got}")
    not_object = answer({"id": 0, "op": "identity.canonicalize", "args": []})
    ok = not_object.get("error", {}).get("code") == "adapter.bad_request"
    failures += not ok
    print(("ok   " if ok else "FAIL ") + "args that are not an object")
    print(f"{failures} failed" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
