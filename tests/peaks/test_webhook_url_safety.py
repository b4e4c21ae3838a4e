"""Partner webhook subscriptions outside demo-mode rules: every spelling of a private address and every
name resolving to one is refused; the check resolves names (a stub here, never real DNS)."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .support import staff

PARTNERS = ("ulju", "miryang", "yangsan", "gyeongju", "cheongdo")
REFUSED = ("https://0x7f000001/h", "https://2130706433/h", "https://127.1/h", "https://0/h", "https://localhost./h",
           "https://[::1]/h", "https://169.254.169.254/latest/meta-data", "https://u:p@hooks.partner.example/h",
           "https://[::ffff:127.0.0.1]/h", "https://intranet.partner.example/h", "http://hooks.partner.example/h")


@pytest.fixture
def strict(peaks_settings):
    """Production rules for webhook URLs; the relay's resolver answers from a table."""
    from services.peaks.app import create_app

    app = create_app(peaks_settings.model_copy(update={"open_api_allow_private_webhooks": False,
                                                       "open_api_burst": 1000, "seed_on_start": False}))
    answers = {"intranet.partner.example": ["10.20.30.40"], "hooks.partner.example": ["93.184.216.34"]}
    app.state.platform.relay.resolver = lambda host, port: answers.get(host, [])
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("url", REFUSED)
def test_private_and_disguised_subscription_urls_refused(strict, url):
    r = strict.post("/open/v1/webhooks", headers=staff("miryang"), json={"url": url, "events": ["photo.approved"]})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "url"


def test_public_subscription_url_accepted(strict):
    r = strict.post("/open/v1/webhooks", headers=staff("yangsan"),
                    json={"url": "https://hooks.partner.example/peaks", "events": ["certificate.issued"]})
    assert r.status_code == 201, r.text


def test_a_receiver_answering_410_stops_the_subscription(peaks_app):
    """Standard Webhooks: 410 Gone means "stop sending". The message is not retried and the partner's
    subscription at that URL stops, so later events are not even queued for it."""
    import asyncio

    from sqlalchemy import select

    from tests.shared.receiver import Receiver, Reply

    from .support import ACTIVE, month_of, photo, register, upload

    platform = peaks_app.state.platform
    o = platform.tables.outbox
    with Receiver().serve() as rcv, TestClient(peaks_app, raise_server_exceptions=False) as c:
        rcv.default = Reply(410)
        r = c.post("/open/v1/webhooks", headers=staff("ulju"), json={"url": rcv.hook_url, "events": ["photo.approved"]})
        assert r.status_code == 201, r.text
        _, climber = register(c, "Gone")
        first, second = ACTIVE[0], ACTIVE[1]
        assert upload(c, climber, first, photo(first, seed=71, month=month_of(0))).json()["verdict"] == "approved"
        assert asyncio.run(platform.relay.drain()) == 1
        with platform.db.read_session() as s:
            (msg,) = s.execute(select(o.c.status, o.c.attempts, o.c.last_error)).all()
        assert msg.status == "dead" and msg.attempts == 1 and "subscription is stopped" in msg.last_error
        assert c.get("/open/v1/webhooks", headers=staff("ulju")).json()["items"] == []
        assert upload(c, climber, second, photo(second, seed=73, month=month_of(1))).json()["verdict"] == "approved"
        with platform.db.read_session() as s:
            assert len(s.execute(select(o.c.id)).all()) == 1, "no event queued for the stopped subscription"
        assert len(rcv.requests) == 1
