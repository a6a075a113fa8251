"""The primitives every part uses: SHA-256, HMAC-SHA256 and HKDF-SHA256 (RFC 5869) from the
standard library; X25519 and ChaCha20-Poly1305 from the `cryptography` package. (Ed25519 is
`ed25519.py`: its strict verification rules are not the library's.)"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac_sha256(salt, ikm)


def hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac_sha256(prk, block + info + bytes([counter]))
        out += block
        counter += 1
    return out[:length]


def hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    return hkdf_expand(hkdf_extract(salt, ikm), info, length)


def ct_equal(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


def x25519(secret: bytes, public: bytes) -> bytes:
    """X25519(secret, public); an all-zero output is returned as such (the caller refuses it)."""
    return X25519PrivateKey.from_private_bytes(secret).exchange(X25519PublicKey.from_public_bytes(public))


def x25519_public(secret: bytes) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return X25519PrivateKey.from_private_bytes(secret).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def aead_seal(key: bytes, nonce: bytes, aad: bytes, plaintext: bytes) -> bytes:
    """ChaCha20-Poly1305: ciphertext || tag."""
    return ChaCha20Poly1305(key).encrypt(nonce, plaintext, aad)


def aead_open(key: bytes, nonce: bytes, aad: bytes, sealed: bytes) -> bytes | None:
    """The plaintext, or None when the tag does not verify (nothing is released then)."""
    try:
        return ChaCha20Poly1305(key).decrypt(nonce, sealed, aad)
    except InvalidTag:
        return None


def u8(n: int) -> bytes:
    return n.to_bytes(1, "big")


def u16(n: int) -> bytes:
    return n.to_bytes(2, "big")


def u32(n: int) -> bytes:
    return n.to_bytes(4, "big")


def u64(n: int) -> bytes:
    return n.to_bytes(8, "big")


def vec8(x: bytes) -> bytes:
    return u8(len(x)) + x


class Reader:
    """Reads an encoding field by field. `fail(kind)` builds the part's error for `truncated`,
    `length_out_of_range` and `trailing_data`, so every decoder shares one strictness."""

    def __init__(self, data: bytes, fail):
        self.data, self.pos, self.fail = data, 0, fail

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise self.fail("truncated")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def int(self, size: int) -> int:
        return int.from_bytes(self.take(size), "big")

    def bounded(self, value: int, low: int, high: int) -> int:
        if not low <= value <= high:
            raise self.fail("length_out_of_range")
        return value

    def vec8(self, low: int = 1, high: int = 64) -> bytes:
        return self.take(self.bounded(self.int(1), low, high))

    def finish(self):
        if self.pos != len(self.data):
            raise self.fail("trailing_data")
