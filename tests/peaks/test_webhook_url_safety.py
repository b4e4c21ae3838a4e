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
