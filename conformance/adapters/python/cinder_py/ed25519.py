"""Strict Ed25519 verification (RFC 8032 section 5.1.7 with the checks of spec/session.md SES-012),
written out here rather than taken from a library.

Why not the `cryptography` package: OpenSSL's Ed25519 verification accepts a public key or an `R`
of small order, so the identity point as both with `S = 0` verifies for every message; SES-012
refuses exactly that. Every check below is one of SES-012's:

1. `A` and `R` are canonical encodings of curve points (RFC 8032 section 5.1.3, plus: the
   y-coordinate is below p, and x = 0 is not written with its sign bit set);
2. `S < L`;
3. neither `A` nor `R` has small order: `[8]A` and `[8]R` are not the identity;
4. `A` is in the prime-order subgroup: `[L]A` is the identity (a key `[a]B + T` with a small-order
   `T` passes check 3; ed25519-dalek's `verify_strict` accepts it);
5. `[S]B == R + [k]A` with `k = SHA-512(R || A || M) mod L` (cofactorless: the cofactored equation
   that RFC 8032 also allows accepts an `R` with a small-order component, which SES-012 refuses).

The arithmetic is variable-time, which is fine for verification: every input is public.
"""

from __future__ import annotations

import hashlib

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)

# Points in extended coordinates (X, Y, Z, T) with x = X/Z, y = Y/Z, x*y = T/Z.
IDENTITY = (0, 1, 1, 0)


def add(p, q):
    """RFC 8032 section 5.1.4, complete addition on the twisted Edwards curve (a = -1)."""
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = 2 * t1 * t2 * D % P
    d = 2 * z1 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def multiply(scalar: int, point):
    result = IDENTITY
    while scalar:
        if scalar & 1:
            result = add(result, point)
        point = add(point, point)
        scalar >>= 1
    return result


def same(p, q) -> bool:
    """Projective equality: x1/z1 == x2/z2 and y1/z1 == y2/z2."""
    return (p[0] * q[2] - q[0] * p[2]) % P == 0 and (p[1] * q[2] - q[1] * p[2]) % P == 0


def decode_point(encoding: bytes):
    """RFC 8032 section 5.1.3, refusing non-canonical encodings; None when it is no point."""
    if len(encoding) != 32:
        return None
    n = int.from_bytes(encoding, "little")
    sign, y = n >> 255, n & ((1 << 255) - 1)
    if y >= P:
        return None  # non-canonical: y + p written instead of y
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    if v * x * x % P == u:
        pass
    elif v * x * x % P == (-u) % P:
        x = x * SQRT_M1 % P
    else:
        return None  # no square root: not on the curve
    if x == 0 and sign:
        return None  # non-canonical: "-0"
    if x & 1 != sign:
        x = P - x
    return (x, y, 1, x * y % P)


BASE = decode_point((4 * pow(5, P - 2, P) % P).to_bytes(32, "little"))


def small_order(point) -> bool:
    return same(multiply(8, point), IDENTITY)


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """SES-012: True only when every check passes. The caller reports any False the same way."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a, r = decode_point(public_key), decode_point(signature[:32])
    if a is None or r is None or small_order(a) or small_order(r):
        return False
    if not same(multiply(L, a), IDENTITY):
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % L
    return same(multiply(s, BASE), add(r, multiply(k, a)))
