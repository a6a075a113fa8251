#!/usr/bin/env python3
"""Checks of cinder_py/ed25519.py that the vectors alone do not make: RFC 8032 section 7.1 tests 1
to 3 verify; each rule of SES-012 refuses what it is there to refuse. Exits non-zero on a failure.

    python3 conformance/adapters/python/test_ed25519.py
"""

import sys

from cinder_py import ed25519 as ed

RFC8032 = [  # (public key, message, signature): section 7.1, TEST 1, 2, 3
    (
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]


def le(n: int) -> bytes:
    return n.to_bytes(32, "little")


def main() -> int:
    failures = []

    def check(ok: bool, what: str):
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what)

    for n, (pk, msg, sig) in enumerate(RFC8032, 1):
        pk, msg, sig = bytes.fromhex(pk), bytes.fromhex(msg), bytes.fromhex(sig)
        check(ed.verify(pk, msg, sig), f"RFC 8032 test {n} verifies")
        check(not ed.verify(pk, msg + b"x", sig), f"RFC 8032 test {n} with another message fails")
        flipped = sig[:-1] + bytes([sig[-1] ^ 0x01])
        check(not ed.verify(pk, msg, flipped), f"RFC 8032 test {n} with a changed S fails")
        s = int.from_bytes(sig[32:], "little")
        if s + ed.L < 2**256:
            check(not ed.verify(pk, msg, sig[:32] + le(s + ed.L)), f"RFC 8032 test {n} with S + L (S >= L) fails")

    identity = le(1)
    check(not ed.verify(identity, b"any message", identity + bytes(32)), "identity A and R with S = 0 fails (small order)")
    # The point of order 2, (0, -1), as A and R: [8]P is the identity.
    order2 = le(ed.P - 1)
    check(ed.decode_point(order2) is not None and ed.small_order(ed.decode_point(order2)), "(0, -1) decodes and has small order")
    check(not ed.verify(order2, b"m", order2 + bytes(32)), "order-2 A and R with S = 0 fails")
    # Non-canonical encodings: y + p for y = 1 (the identity) and y = 0, and x = 0 with the sign bit set.
    check(ed.decode_point(le(ed.P + 1)) is None, "y = p + 1 (non-canonical identity) does not decode")
    check(ed.decode_point(le(ed.P)) is None, "y = p (non-canonical y = 0) does not decode")
    check(ed.decode_point(le(1 | 1 << 255)) is None, "x = 0 with the sign bit set does not decode")
    base = ed.decode_point(le(4 * pow(5, ed.P - 2, ed.P) % ed.P))
    check(base is not None and not ed.small_order(base), "the base point decodes and has large order")
    check(ed.same(ed.multiply(ed.L, base), ed.IDENTITY), "[L]B is the identity")
    # A mixed-order key A = [1]B + (0, -1): not of small order, but [L]A is not the identity. A
    # signature with r = 2 and S = r + k (a = 1) passes the cofactorless equation whenever k is even;
    # check 4 alone refuses it.
    import hashlib

    def encode(point) -> bytes:
        zi = pow(point[2], ed.P - 2, ed.P)
        x, y = point[0] * zi % ed.P, point[1] * zi % ed.P
        return le(y | (x & 1) << 255)

    mixed = encode(ed.add(base, ed.decode_point(order2)))
    r_enc = encode(ed.multiply(2, base))
    for i in range(64):
        msg = bytes([i])
        k = int.from_bytes(hashlib.sha512(r_enc + mixed + msg).digest(), "little") % ed.L
        if k % 2 == 0:
            break
    sig = r_enc + le((2 + k) % ed.L)
    lhs, rhs = ed.multiply((2 + k) % ed.L, base), ed.add(ed.decode_point(r_enc), ed.multiply(k, ed.decode_point(mixed)))
    check(k % 2 == 0 and ed.same(lhs, rhs), "a mixed-order key's signature passes the cofactorless equation")
    check(not ed.verify(mixed, msg, sig), "a mixed-order key is refused ([L]A is not the identity)")
    print(f"{len(failures)} failed" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
