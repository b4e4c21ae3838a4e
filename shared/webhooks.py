"""Standard Webhooks signing and verification, with per-party secrets and rotation."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from standardwebhooks.webhooks import Webhook

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


def verify(body: bytes, headers: Mapping[str, str], secrets: list[str], *, tolerance_s: float = 300,
           now: datetime | None = None) -> dict[str, Any]:
    """Verifies the signature and that `webhook-timestamp` is within `tolerance_s` of `now` (real time by
    default; the setting `WEBHOOK_TOLERANCE_S`). Signatures are computed by the Standard Webhooks library.

    Raises a 401 problem for a forged, altered or replayed (stale timestamp) message.
    """
    needed = {k: headers.get(k) for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    missing = [k for k, v in needed.items() if not v]
    if missing:
        raise Problem(401, "webhook-signature-invalid", f"Missing webhook headers: {', '.join(missing)}.")
    msg_id, stamp, signature = (str(needed[k]) for k in ("webhook-id", "webhook-timestamp", "webhook-signature"))
    try:
        sent = datetime.fromtimestamp(int(stamp), tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise Problem(401, "webhook-signature-invalid", "Webhook rejected: webhook-timestamp is not a Unix time.") from None
    skew = ((now or datetime.now(UTC)) - sent).total_seconds()
    if abs(skew) > tolerance_s:
        raise Problem(401, "webhook-signature-invalid",
                      f"Webhook rejected: webhook-timestamp too {'old' if skew > 0 else 'new'} ({abs(skew):.0f} s "
                      f"from now; the tolerance is {tolerance_s:g} s).")
    passed = [sig.split(",", 1)[1].encode("utf-8", "replace") for sig in signature.split() if sig.startswith("v1,")]
    try:
        text = body.decode()
        expected = [Webhook(secret).sign(msg_id, sent, text).split(",", 1)[1].encode() for secret in secrets]
    except (UnicodeDecodeError, ValueError, TypeError):
        raise Problem(401, "webhook-signature-invalid", "Webhook rejected: malformed body or secret.") from None
    if not any(hmac.compare_digest(e, p) for e in expected for p in passed):
        raise Problem(401, "webhook-signature-invalid", "Webhook rejected: signature does not match.")
    try:
        payload = json.loads(text)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise Problem(400, "webhook-payload-invalid", "Webhook payload must be a JSON object.")
    return payload
