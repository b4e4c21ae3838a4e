"""Climber bearer tokens: a random `clt_…` shown once at registration; only its SHA-256 is stored
(256 random bits need no slow hash, and the digest doubles as the lookup key)."""
from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "clt_"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
