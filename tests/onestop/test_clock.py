"""onestop takes every business time from the service clock (`Platform.clock`): "today" for birth dates,
meeting dates and ages is Korea's date on that clock, and every record is stamped with its time. The clock
is pinned far from the machine's date (15 June 2031), so none of this can pass on the real date."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from services.onestop.app import create_app
from services.onestop.domain import eligibility, vulnerability
from services.onestop.flows.common import KST, today_kst
from services.onestop.flows.meetings import check_held_on
from services.onestop.flows.residents import check_birth_date
from services.onestop.models import AccessLog, Case, Consent, Meeting, Referral, ReferralEvent, Resident
from shared.errors import Problem

from .conftest import Api, settings

SERVICE_NAME = "onestop"
PINNED = datetime(2031, 6, 15, 3, 0, tzinfo=UTC)  # 12:00 in Korea
PINNED_KST = PINNED.astimezone(KST).isoformat()


@pytest.fixture
def pinned(api: Api) -> Api:
    api.platform.clock = lambda: PINNED
    return api


def _refused(r, field: str) -> None:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == [field], r.text


def test_meeting_dates_are_judged_against_the_service_clock(pinned: Api):
    ok = pinned.post("/v1/meetings", {"title": "June case meeting", "held_on": "2031-06-20"})
    assert ok.status_code == 201, ok.text
    assert ok.json()["created_at"] == PINNED_KST
    before = pinned.count(Meeting)
    _refused(pinned.post("/v1/meetings", {"title": "old", "held_on": "2026-06-20"}), "held_on")
    _refused(pinned.post("/v1/meetings", {"title": "far", "held_on": "2032-06-20"}), "held_on")
    assert pinned.count(Meeting) == before  # nothing written


def test_birth_dates_are_judged_against_the_service_clock(pinned: Api):
    born = pinned.resident(birth_date="2031-01-01")
    assert born["created_at"] == PINNED_KST
    before = pinned.count(Resident)
    _refused(pinned.post("/v1/residents", {"name": "미래", "birth_date": "2031-07-01", "phone": "010-1111-2222",
                                           "address_district": "buk-gu"}), "birth_date")
    _refused(pinned.post("/v1/residents", {"name": "옛날", "birth_date": "1899-12-31", "phone": "010-1111-2222",
                                           "address_district": "buk-gu"}), "birth_date")
    assert pinned.count(Resident) == before


def test_today_is_the_date_in_korea(api: Api):
    """15:30 UTC on 15 June is already 16 June in Korea: a resident born that day is accepted."""
    api.platform.clock = lambda: datetime(2031, 6, 15, 15, 30, tzinfo=UTC)
    api.resident(birth_date="2031-06-16")
    _refused(api.post("/v1/residents", {"name": "내일", "birth_date": "2031-06-17", "phone": "010-1111-2222",
                                        "address_district": "buk-gu"}), "birth_date")


def test_every_record_carries_the_service_clock_time(pinned: Api):
    res, case, ref = pinned.referral_to("ccrs", "ccrs-debt-adjustment")
    assert case["age"] == 51  # born 5 May 1980: 51 on 15 June 2031 by the pinned clock (46 in Dec 2026)
    assert pinned.get(f"/v1/residents/{res['id']}").status_code == 200
    assert pinned.get(f"/v1/cases/{case['id']}/recommendations").status_code == 200
    assert pinned.get(f"/v1/agency/referrals/{ref['id']}", party="ccrs").status_code == 200
    later = PINNED + timedelta(hours=2)
    pinned.platform.clock = lambda: later
    assert pinned.set_status(ref["id"], "ccrs", "accepted").status_code == 200
    assert ref["created_at"] == ref["sent_at"] == PINNED_KST
    with pinned.platform.db.read_session() as s:
        assert s.get(Resident, res["id"]).created_at == PINNED
        assert s.get(Case, case["id"]).created_at == PINNED
        assert [c.taken_at for c in s.scalars(select(Consent).where(Consent.resident_id == res["id"]))] == [PINNED]
        row = s.get(Referral, ref["id"])
        assert (row.created_at, row.sent_at, row.accepted_at, row.status_changed_at) == (PINNED, PINNED, later, later)
        events = s.scalars(select(ReferralEvent.at).where(ReferralEvent.referral_id == ref["id"])
                           .order_by(ReferralEvent.version)).all()
        assert events == [PINNED, later]
        reads = s.scalars(select(AccessLog.at).where(AccessLog.resident_id == res["id"])).all()
        assert len(reads) == 3 and set(reads) == {PINNED}


def test_withdrawal_and_decisions_carry_the_service_clock_time(pinned: Api):
    res, case, ref = pinned.referral_to("kinfa", "kinfa-special-sunshine-loan")
    meeting = pinned.post("/v1/meetings", {"title": "m", "held_on": "2031-06-15"}).json()
    consent = pinned.get(f"/v1/residents/{res['id']}/consents").json()["items"][0]
    r = pinned.post(f"/v1/consents/{consent['id']}/withdraw", {"withdrawn_by": "resident"})
    assert r.status_code == 200, r.text
    assert r.json()["withdrawn_at"] == PINNED_KST
    with pinned.platform.db.read_session() as s:
        assert s.get(Referral, ref["id"]).status_changed_at == PINNED  # cancelled on withdrawal
        assert s.get(Meeting, meeting["id"]).created_at == PINNED


def test_demo_seed_runs_on_the_service_clock(db):
    app = create_app(settings(db, seed_demo_data=True))
    app.state.platform.clock = lambda: PINNED
    with TestClient(app):
        with app.state.platform.db.read_session() as s:
            residents = s.scalars(select(Resident)).all()
            assert residents and {r.created_at for r in residents} == {PINNED}
            assert {r.birth_date.year for r in residents} == {2031 - 52, 2031 - 38, 2031 - 29}
            assert {c.age for c in s.scalars(select(Case))} == {52, 38, 29}
            assert {r.created_at for r in s.scalars(select(Referral))} == {PINNED}


def test_eligibility_needs_the_reference_date():
    """The domain reads no clock: the day ages are computed for must be given."""
    with pytest.raises(TypeError):
        eligibility.derive_facts(eligibility.rules(), {"birth_date": "1980-05-05"})  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        eligibility.evaluate(eligibility.rules(), {"birth_date": "1980-05-05"})  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        vulnerability.score({"birth_date": "1980-05-05"})  # type: ignore[call-arg]
    facts = eligibility.derive_facts(eligibility.rules(), {"birth_date": "1980-05-05"},
                                     reference_date=date(2031, 6, 15))
    assert facts["age"] == 51


instants = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.just(UTC))


@given(now=instants, offset=st.integers(min_value=-800, max_value=800))
def test_held_on_within_a_year_of_the_korean_day(now: datetime, offset: int):
    held_on = today_kst(now) + timedelta(days=offset)
    if abs(offset) <= 366:
        check_held_on(held_on, now)
    else:
        with pytest.raises(Problem) as exc:
            check_held_on(held_on, now)
        assert exc.value.status == 422 and exc.value.extensions["errors"][0]["field"] == "held_on"


@given(now=instants, offset=st.integers(min_value=-40_000, max_value=400))
def test_birth_date_up_to_the_korean_day(now: datetime, offset: int):
    born = today_kst(now) + timedelta(days=offset)
    if offset <= 0 and born >= date(1900, 1, 1):
        check_birth_date(born, now)
    else:
        with pytest.raises(Problem) as exc:
            check_birth_date(born, now)
        assert exc.value.extensions["errors"][0]["field"] == "birth_date"
