"""Fixtures for the onestop API tests: the app on a private database, demo keys, and small builders."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from services.onestop.app import create_app
from services.onestop.config import Settings
from services.onestop.flows.common import today_kst
from shared import testing

SERVICE_NAME = "onestop"
HUB = "bukgu-hub"
ALL = ["identity", "contact", "finance", "employment", "welfare"]


def auth(party: str) -> dict[str, str]:
    return {"Authorization": f"Bearer demo-{party}"}


def settings(db: dict[str, Any], **over: Any) -> Settings:
    return Settings(**{**db, "relay_enabled": False, "autopilot_enabled": False, "seed_demo_data": False,
                       "log_json": True, **over})


class Api:
    """The TestClient plus builders that go through the HTTP API as the counsellors would."""

    def __init__(self, client: TestClient):
        self.c = client
        self.app = client.app
        self.platform = client.app.state.platform

    def get(self, path: str, party: str = HUB, **kw):
        return self.c.get(path, headers={**auth(party), **kw.pop("headers", {})}, **kw)

    def post(self, path: str, json: Any = None, party: str = HUB, **kw):
        return self.c.post(path, json=json, headers={**auth(party), **kw.pop("headers", {})}, **kw)

    def resident(self, **over: Any) -> dict[str, Any]:
        body = {"name": "홍길동", "birth_date": "1980-05-05", "phone": "010-1234-5678",
                "address_district": "buk-gu", "gender": "male", **over}
        r = self.post("/v1/residents", body)
        assert r.status_code == 201, r.text
        return r.json()

    def case(self, resident_id: str, **assessment: Any) -> dict[str, Any]:
        body = {"household_size": 1, "monthly_income_krw": 800_000, "employment_status": "unemployed",
                **assessment}
        r = self.post("/v1/cases", {"resident_id": resident_id, "assessment": body})
        assert r.status_code == 201, r.text
        return r.json()

    def consent(self, resident_id: str, agency: str, categories=ALL, sensitive: bool = False) -> dict[str, Any]:
        r = self.post(f"/v1/residents/{resident_id}/consents",
                      {"agency": agency, "categories": list(categories), "sensitive_consent": sensitive,
                       "taken_by": "counsellor 7", "notice_shown": True, "language": "en"})
        assert r.status_code == 201, r.text
        return r.json()

    def refer(self, case_id: str, service: str, **kw) -> dict[str, Any]:
        r = self.post(f"/v1/cases/{case_id}/referrals", {"service": service}, **kw)
        assert r.status_code == 201, r.text
        return r.json()

    def referral_to(self, agency: str, service: str, *, categories=ALL, sensitive=False, **assessment):
        """A fresh resident + case + consent + referral; returns (resident, case, referral)."""
        res = self.resident(name=f"주민 {agency} {service[:6]}", phone="010-2222-3333")
        case = self.case(res["id"], debt_total_krw=8_000_000, months_overdue=132, credit_score=610, **assessment)
        self.consent(res["id"], agency, categories, sensitive)
        return res, case, self.refer(case["id"], service)

    def set_status(self, referral_id: str, party: str, status: str, headers: dict | None = None, **body: Any):
        return self.post(f"/v1/agency/referrals/{referral_id}/status", {"status": status, **body}, party=party,
                         headers=headers or {})

    def count(self, model) -> int:
        with self.platform.db.read_session() as s:
            return s.scalar(select(func.count()).select_from(model))

    def outbox(self, **where: Any) -> list[Any]:
        o = self.platform.tables.outbox
        q = select(o).order_by(o.c.created_at)
        for k, v in where.items():
            q = q.where(o.c[k] == v)
        with self.platform.db.read_session() as s:
            return list(s.execute(q).all())


def birth_for_age(age: int) -> date:
    t = today_kst(datetime.now(UTC))  # the tests' apps run on the real clock
    return date(t.year - age, t.month, 1) - timedelta(days=40)


@pytest.fixture
def db(tmp_path) -> Iterator[dict[str, Any]]:
    overrides = testing.database_overrides(tmp_path, SERVICE_NAME)
    yield overrides
    testing.drop_schema(overrides.get("db_schema"))


@pytest.fixture
def api(db) -> Iterator[Api]:
    """A fresh app and database for one test."""
    with TestClient(create_app(settings(db))) as c:
        yield Api(c)


@pytest.fixture(scope="module")
def shared_api(tmp_path_factory) -> Iterator[Api]:
    """One app for a whole module (tests create their own residents, so they do not interfere)."""
    overrides = testing.database_overrides(tmp_path_factory.mktemp("onestop"), SERVICE_NAME)
    try:
        with TestClient(create_app(settings(overrides))) as c:
            yield Api(c)
    finally:
        testing.drop_schema(overrides.get("db_schema"))
