"""Ed25519 seal signatures with keys kept in files outside the database (``cryptography``).

The private key signs each issued document's seal; only the public keys are
needed to check them, so a client or an auditor can verify an exported
invoice with nothing but the vendor's public key (decision 0037).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

# A key file is a few hundred bytes; anything much larger is not one (bounded read).
MAX_KEY_FILE = 16 * 1024


class KeyFileError(ValueError):
    """A key file is missing, too large, or not an Ed25519 key in PEM."""


def key_id(public: Ed25519PublicKey) -> str:
    """The first 16 hex digits of the SHA-256 of the raw public key."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> str:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_KEY_FILE + 1)
    except OSError as error:
        raise KeyFileError(f"cannot read {path}: {error.strerror or error}") from None
    if len(data) > MAX_KEY_FILE:
        raise KeyFileError(f"{path} is larger than {MAX_KEY_FILE} bytes: not a key file")
    return data


class Ed25519Signer:
    """``Signer`` with a private key in PEM (PKCS#8, unencrypted), e.g. from
    ``openssl genpkey -algorithm ed25519``."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.public = private.public_key()
        self._key_id = key_id(self.public)

    @classmethod
    def from_file(cls, path: Path) -> Ed25519Signer:
        try:
            loaded = serialization.load_pem_private_key(_read(path), password=None)
        except (ValueError, TypeError) as error:
            raise KeyFileError(f"{path} holds no unencrypted private key in PEM: {error}") from None
        if not isinstance(loaded, Ed25519PrivateKey):
            raise KeyFileError(f"{path} holds a private key, but not an Ed25519 one")
        return cls(loaded)

    @property
    def key_id(self) -> str:
        return self._key_id

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self._private.sign(message)).decode("ascii")


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        loaded = serialization.load_pem_public_key(_read(path))
    except (ValueError, TypeError) as error:
        raise KeyFileError(f"{path} holds no public key in PEM ({error})") from None
    if not isinstance(loaded, Ed25519PublicKey):
        raise KeyFileError(f"{path} holds a public key, but not an Ed25519 one")
    return loaded


class Ed25519Checker:
    """``SignatureChecker`` over the public keys given (by their key ids)."""

    def __init__(self, keys: Iterable[Ed25519PublicKey]) -> None:
        self._keys: Mapping[str, Ed25519PublicKey] = {key_id(k): k for k in keys}

    def knows(self, key: str) -> bool:
        return key in self._keys

    def check(self, key: str, message: bytes, signature: str) -> bool:
        public = self._keys.get(key)
        if public is None:
            return False
        try:
            public.verify(base64.b64decode(signature, validate=True), message)
        except (InvalidSignature, ValueError):
            return False
        return True
