"""Values sealed at rest with a key derived from SECRET_KEY (AES-256-GCM, from the `cryptography` package).

One SECRET_KEY serves several purposes; each gets its own 256-bit key through HKDF-SHA256 with the
purpose as `info`, so a key for one use never decrypts another's data. A sealed value is bound to
the context it was stored under (`aad`: e.g. the idempotency record's scope and key), so a value
copied to another row does not open there. Changing SECRET_KEY makes sealed values unreadable,
which their users treat as "not stored".
"""
from __future__ import annotations

import functools
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = b"\x01"  # layout: version byte, 12-byte nonce, ciphertext with its 16-byte tag
_NONCE = 12


@functools.lru_cache(maxsize=32)
def derived_key(secret: str, purpose: str) -> bytes:
    """A 256-bit key for one purpose, derived from SECRET_KEY (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=f"cpa/{purpose}".encode()).derive(secret.encode())


def seal(secret: str, purpose: str, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(_NONCE)
    return VERSION + nonce + AESGCM(derived_key(secret, purpose)).encrypt(nonce, plaintext, aad)


def unseal(secret: str, purpose: str, sealed: bytes, aad: bytes) -> bytes | None:
    """The plaintext, or None when it was sealed under another secret, purpose or context (or altered)."""
    if len(sealed) < 1 + _NONCE + 16 or sealed[:1] != VERSION:
        return None
    nonce, body = sealed[1:1 + _NONCE], sealed[1 + _NONCE:]
    try:
        return AESGCM(derived_key(secret, purpose)).decrypt(nonce, body, aad)
    except InvalidTag:
        return None
