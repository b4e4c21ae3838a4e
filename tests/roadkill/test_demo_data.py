"""Demo seed: an empty demo database gets a handful of incidents, once."""
from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from services.roadkill.app import SPEC, create_app
from services.roadkill.models import incident

SERVICE_NAME = "roadkill"


def _count(platform) -> int:
    with platform.db.read_session() as s:
        return s.scalar(select(func.count()).select_from(incident))


def test_demo_incidents_are_seeded_once(make_settings):
    app = create_app(make_settings(seed_demo_incidents=True))
    with TestClient(app) as c:
        p = app.state.platform
        n = _count(p)
        assert n == 5
        SPEC.seed(p)  # idempotent: a second start adds nothing
        assert _count(p) == n
        agencies = {i["agency"] for i in c.get("/v1/incidents", headers={"authorization": "Bearer demo-chungnam"})
                    .json()["items"]}
        assert {"kec", "daejeon-rolm", "chungnam-road", "cheonan", "boryeong"} <= agencies


def test_no_demo_incidents_outside_demo_mode(make_settings):
    app = create_app(make_settings(seed_demo_incidents=True, demo_mode=False,
                                   secret_key="sNPbP14Ya7i3u156VtQ5WUDRvYu8Cph1XzEyVzhzZso"))
    with TestClient(app):
        assert _count(app.state.platform) == 0
