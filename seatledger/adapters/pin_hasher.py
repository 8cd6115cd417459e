"""PIN hashing with scrypt: slow, salted, memory-hard, and compared in constant time.

A stored hash describes itself: ``scrypt$<log2 n>$<r>$<p>$<salt>$<hash>`` (base64),
so the cost can be raised later without breaking old hashes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from attrs import frozen


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@frozen
class ScryptPinHasher:
    """The ``PinHasher`` port over ``hashlib.scrypt``.

    The default cost (n = 2**15, r = 8, p = 1: 32 MiB and tens of
    milliseconds per check) makes guessing a 4-digit PIN offline from a
    stolen database take minutes instead of microseconds; the lockout after
    five wrong PINs stops guessing online.
    """

    log2_n: int = 15
    r: int = 8
    p: int = 1
    salt_bytes: int = 16
    key_bytes: int = 32

    def _derive(self, pin: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
        return hashlib.scrypt(
            pin.encode("utf-8"),
            salt=salt,
            n=2**log2_n,
            r=r,
            p=p,
            maxmem=2 * 128 * r * (2**log2_n) + 1024 * 1024,
            dklen=self.key_bytes,
        )

    def hash(self, pin: str) -> str:
        salt = secrets.token_bytes(self.salt_bytes)
        key = self._derive(pin, salt, self.log2_n, self.r, self.p)
        return f"scrypt${self.log2_n}${self.r}${self.p}${_b64(salt)}${_b64(key)}"

    def verify(self, pin: str, pin_hash: str) -> bool:
        try:
            scheme, log2_n, r, p, salt, key = pin_hash.split("$")
            if scheme != "scrypt":
                return False
            expected = base64.b64decode(key)
            actual = self._derive(pin, base64.b64decode(salt), int(log2_n), int(r), int(p))
        except (ValueError, TypeError):
            return False
        return hmac.compare_digest(actual, expected)
