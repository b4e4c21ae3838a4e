"""Resident registration numbers in peaks (issue 14, M2): a display name is shown publicly (gallery,
certificate), so one written there in any form is refused with 422 naming the field, never echoed, and
no climber is stored; the other fields and the query parameters refuse one too."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import func, select

from services.peaks.models import Climber
from shared.rrn import contains_rrn
from tests.shared.rrn_variants import ISSUE_VARIANTS, written_rrns

from .support import register, staff

FEW = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _climbers(c) -> int:
    with c.app.state.platform.db.read_session() as s:
        return s.scalar(select(func.count()).select_from(Climber))


def _refused(r, field: str) -> None:
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["type"].endswith("/rrn-refused") and [e["field"] for e in body["errors"]] == [field]
    assert not contains_rrn(r.text)


def _registration(name: str, **over) -> dict:
    return {"display_name": name, "contact": "kim@example.org", "birth_year": 1985, "gallery_consent": True, **over}


@pytest.mark.parametrize("variant", ISSUE_VARIANTS)
def test_a_display_name_holding_a_number_is_refused(peaks_client, variant):
    before = _climbers(peaks_client)
    _refused(peaks_client.post("/v1/climbers", json=_registration(f"김등산 {variant}")), "display_name")
    assert _climbers(peaks_client) == before


@FEW
@given(number=written_rrns())
def test_generated_numbers_are_refused_in_the_display_name_and_the_contact(peaks_client, number):
    _refused(peaks_client.post("/v1/climbers", json=_registration(number)), "display_name")
    _refused(peaks_client.post("/v1/climbers", json=_registration("Kim", contact=f"tel {number}")), "contact")


def test_ordinary_names_and_contacts_pass(peaks_client):
    r = peaks_client.post("/v1/climbers", json=_registration("Kim 2026-05-01", contact="010-1234-5678"))
    assert r.status_code == 201, r.text


def test_review_reason_upload_field_and_queries_refuse_one(peaks_client):
    c = peaks_client
    _cid, h = register(c)
    r = c.post("/v1/photos/pho_x/review", json={"decision": "reject", "reason": "RRN 850101-1234567 on the sign"},
               headers=staff("ulju"))
    _refused(r, "reason")
    r = c.post("/v1/photos", data={"peak": "850101\u22121234567"}, files={"file": ("a.jpg", b"x", "image/jpeg")},
               headers=h)
    _refused(r, "peak")
    for url in ("/v1/gallery?peak=850101-1234567", "/open/v1/photos?peak=%EF%BC%98%EF%BC%95%EF%BC%90%EF%BC%91"
                "%EF%BC%90%EF%BC%91-1234567"):
        r = c.get(url, headers=staff("miryang"))
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "peak", r.text
        assert not contains_rrn(r.text)
