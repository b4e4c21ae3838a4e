"""Webhooks to partners: a real HTTP receiver verifies the Standard Webhooks signature with the secret the
subscription returned; every event arrives exactly once, and only for the partner's own peaks."""
from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.shared.receiver import Receiver
from tests.shared.webhook_schema import webhook_errors

from .support import ACTIVE, month_of, photo, register, staff, upload

SERVICE_NAME = "peaks"


@pytest.fixture
def peaks_settings(peaks_settings):
    """No demo climbers (their photos cost ~1 s of start-up per app); these tests make their own data."""
    return peaks_settings.model_copy(update={"seed_on_start": False})


def test_partner_webhooks_are_delivered_signed_once(peaks_app):
    platform = peaks_app.state.platform
    seeds = iter(range(31, 64, 2))
    with Receiver().serve() as rcv, TestClient(peaks_app, raise_server_exceptions=False) as c:
        subs = {}
        for party, body in (("miryang", {"events": ["photo.approved"], "territory": True}),
                            ("ulju", {"events": ["photo.approved", "certificate.issued"]}),
                            ("gyeongju", {"events": ["certificate.issued"]})):
            r = c.post("/open/v1/webhooks", headers=staff(party), json={"url": rcv.hook_url, **body})
            assert r.status_code == 201, r.text
            subs[party] = r.json()
        # The receiver accepts only what one of the returned secrets signed.
        rcv.secrets = [s["secret"] for s in subs.values()]
        _, climber = register(c, "Finisher")
        for i, code in enumerate(ACTIVE):
            body = upload(c, climber, code, photo(code, seed=next(seeds), month=month_of(i))).json()
            assert body["verdict"] == "approved", body["checks"]
        _, shy = register(c, "Shy", consent=False)  # no gallery consent: partners are not told
        assert upload(c, shy, "gajisan", photo("gajisan", seed=next(seeds))).json()["verdict"] == "approved"

        o = platform.tables.outbox
        with platform.db.read_session() as s:
            queued = s.execute(select(o.c.id, o.c.to_party, o.c.kind, o.c.payload, o.c.target_url)).all()
        miryang_peaks = {"gajisan", "unmunsan", "cheonhwangsan", "jaeyaksan"}
        expected = Counter({("ulju", "photo.approved"): len(ACTIVE), ("ulju", "certificate.issued"): 1,
                            ("gyeongju", "certificate.issued"): 1,
                            ("miryang", "photo.approved"): len(miryang_peaks & set(ACTIVE))})
        assert Counter((q.to_party, q.kind) for q in queued) == expected
        assert {q.target_url for q in queued} == {rcv.hook_url}
        for q in queued:  # payloads: ids, peak, season, display name at most
            text = str(q.payload)
            assert "finisher@example.org" not in text and "birth" not in text and "lat" not in text

        delivered = asyncio.run(platform.relay.drain())
        assert delivered == len(queued)
        assert rcv.rejected == 0 and rcv.duplicates == 0
        assert set(rcv.delivered) == {q.id for q in queued} and all(n == 1 for n in rcv.delivered.values())
        assert all(rcv.attempts_for(q.id) == 1 for q in queued)
        doc = c.get("/openapi.json").json()  # each delivery as the OpenAPI `webhooks` entry promises it
        assert {q.id: webhook_errors(doc, q.kind, rcv.payloads[q.id]) for q in queued} == {q.id: [] for q in queued}
        # Nothing is sent twice: a second drain finds nothing due.
        assert asyncio.run(platform.relay.drain()) == 0
        assert len(rcv.requests) == len(queued)
        with platform.db.read_session() as s:
            assert set(s.scalars(select(o.c.status))) == {"delivered"}
        # An unsubscribed partner gets nothing more.
        assert c.delete(f"/open/v1/webhooks/{subs['miryang']['id']}", headers=staff("miryang")).status_code == 204
        _, late = register(c, "Late")
        assert upload(c, late, "gajisan", photo("gajisan", seed=next(seeds))).json()["verdict"] == "approved"
        with platform.db.read_session() as s:
            newest = s.execute(select(o.c.to_party).where(o.c.status == "pending")).scalars().all()
        assert newest == ["ulju"]


def test_the_events_one_can_subscribe_to_are_the_events_sent_and_documented():
    from typing import get_args

    from services.peaks.answers.webhooks import WEBHOOKS
    from services.peaks.flows.events import EVENTS
    from services.peaks.schemas import WebhookIn

    (literal,) = get_args(WebhookIn.model_fields["events"].annotation)
    assert set(get_args(literal)) == set(EVENTS) == {w.kind for w in WEBHOOKS}
    limits = [m.max_length for m in WebhookIn.model_fields["events"].metadata if hasattr(m, "max_length")]
    assert limits == [len(EVENTS)], "one may subscribe to all of them at once"
