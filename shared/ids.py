"""Opaque, time-ordered public identifiers (ULID layout) and keyed hashes for pseudonyms."""
from __future__ import annotations

import hashlib
import hmac
import os
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid() -> str:
    """A 26-character ULID: 48-bit millisecond time + 80 random bits, Crockford base32.

    Written by hand (15 lines) because only the string form is needed: sortable by
    creation time, so keyset pagination on the id follows creation order.
    """
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    out = []
    for _ in range(26):
        out.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(out))


def new_id(prefix: str) -> str:
    """A prefixed public id such as `inc_01J…`; never a sequential integer."""
    return f"{prefix}_{ulid()}"


def keyed_hash(secret: str, purpose: str, value: str) -> str:
    """HMAC-SHA256 pseudonym of a personal value; `purpose` separates the uses of one secret."""
    mac = hmac.new(secret.encode(), f"{purpose}\x00{value}".encode(), hashlib.sha256)
    return mac.hexdigest()
