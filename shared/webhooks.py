"""Standard Webhooks signing and verification, with per-party secrets and rotation."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from shared.errors import Problem


def party_secret(master: str, party: str, version: int) -> str:
    """The `whsec_…` secret shared with one party, derived from the master secret.

    Derived rather than stored: nothing secret sits in the database, and rotating is a
    version bump. During the rotation window the sender signs with both versions and
    the receiver accepts either (Standard Webhooks allows several signatures).
    """
    raw = hmac.new(master.encode(), f"webhook:{party}:{version}".encode(), hashlib.sha256).digest()
    return "whsec_" + base64.b64encode(raw).decode()


def secrets_for(master: str, party: str, version: int, *, include_previous: bool) -> list[str]:
    out = [party_secret(master, party, version)]
    if include_previous and version > 1:
        out.append(party_secret(master, party, version - 1))
    return out


def envelope(kind: str, timestamp: datetime, data: Mapping[str, Any]) -> bytes:
    """The Standard Webhooks payload structure: {type, timestamp, data}."""
    return json.dumps({"type": kind, "timestamp": timestamp.isoformat(), "data": data},
                      ensure_ascii=False, separators=(",", ":"), default=str).encode()


def sign_headers(secrets: list[str], msg_id: str, timestamp: datetime, body: bytes) -> dict[str, str]:
    signatures = [Webhook(s).sign(msg_id, timestamp, body.decode()) for s in secrets]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
    }


def verify(body: bytes, headers: Mapping[str, str], secrets: list[str]) -> dict[str, Any]:
    """Verifies signature and timestamp tolerance (5 minutes, the library's window).

    Raises a 401 problem for a forged, altered or replayed (stale timestamp) message.
    """
    needed = {k: headers.get(k) for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    missing = [k for k, v in needed.items() if not v]
    if missing:
        raise Problem(401, "webhook-signature-invalid", f"Missing webhook headers: {', '.join(missing)}.")
    last_error = "signature does not match"
    for secret in secrets:
        try:
            payload = Webhook(secret).verify(body, dict(needed))
            if not isinstance(payload, dict):
                raise Problem(400, "webhook-payload-invalid", "Webhook payload must be a JSON object.")
            return payload
        except WebhookVerificationError as exc:
            last_error = str(exc)
            if "timestamp" in last_error.lower():
                break
        except (ValueError, TypeError) as exc:  # malformed signature header or body
            last_error = str(exc) or type(exc).__name__
    raise Problem(401, "webhook-signature-invalid", f"Webhook rejected: {last_error}.")
