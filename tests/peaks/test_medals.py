"""Medals for every season that awards them (issue 15): the nine-peak seasons too, with an explicit unlimited
stock, and each medal record bears the five sponsoring municipalities' names like the certificate."""
from __future__ import annotations

import json
from datetime import datetime

import pytest

from services.peaks.domain import reference
from services.peaks.domain.reference import DATA_DIR, KST, ReferenceDataError

from .support import SAFE_SEEDS, finish_ordinarily, staff

SERVICE_NAME = "peaks"
FIVE_EN = ["Ulju-gun", "Miryang-si", "Yangsan-si", "Gyeongju-si", "Cheongdo-gun"]
FIVE_KO = ["울주군", "밀양시", "양산시", "경주시", "청도군"]


@pytest.fixture
def peaks_settings(peaks_settings):
    return peaks_settings.model_copy(update={"seed_on_start": False})


def test_every_season_awards_medals_and_no_stock_is_null():
    raw = json.loads((DATA_DIR / "seasons.json").read_text(encoding="utf-8"))
    assert all(s["medal_stock"] is not None for s in raw["seasons"])
    for s in reference.seasons():
        assert s.awards_medals, s.id
        assert s.medal_stock == "unlimited" or s.medal_stock > 0, s.id
    nine = [s for s in reference.seasons() if len(s.peaks) == 9]
    assert [s.id for s in nine] == ["2019", "2020", "2021", "2022"]
    assert all(s.medal_stock == "unlimited" and s.finite_medal_stock is None for s in nine)
    assert all("medal_stock" in s.assumptions for s in nine)  # our modelling, said so


def test_a_null_medal_stock_is_refused(tmp_path):
    for name in ("municipalities.json", "peaks.json"):
        (tmp_path / name).write_text((DATA_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    raw = json.loads((DATA_DIR / "seasons.json").read_text(encoding="utf-8"))
    raw["seasons"][0]["medal_stock"] = None
    (tmp_path / "seasons.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=r"seasons\[0\]\.medal_stock"):
        reference.load(tmp_path)


def test_a_nine_peak_season_completion_gets_a_medal_with_five_names(peaks_client, peaks_app):
    c = peaks_client
    season = reference.season("2022")
    cid, auth = finish_ordinarily(c, peaks_app, "Nine Peaks", iter(SAFE_SEEDS), peaks=season.peaks, year=2022)
    prog = c.get(f"/v1/climbers/{cid}/progress", params={"season": "2022"}, headers=auth).json()
    assert prog["complete"] and prog["peaks_total"] == 9
    cert = prog["certificate"]
    assert cert["medal"] and cert["award_status"] == "granted" and prog["medal_due"]
    assert [m["name_en"] for m in cert["medal_inscription"]] == FIVE_EN
    assert [m["name_ko"] for m in cert["medal_inscription"]] == FIVE_KO
    r = c.put(f"/v1/climbers/{cid}/shipping-address", json={"address": "9 Peaks-ro, Ulju-gun"}, headers=auth)
    assert r.status_code == 200
    sheet = c.get("/v1/medals/shipments.csv", params={"season": "2022"}, headers=staff("ulju")).text
    assert cert["number"] in sheet
    peaks_app.state.platform.clock = lambda: datetime(2022, 11, 1, 12, tzinfo=KST)
    now = c.get("/v1/seasons/current").json()
    assert now["id"] == "2022" and now["medal_stock"] == "unlimited" and now["medals_remaining"] is None
    assert "every finisher gets one" in c.get("/ui/stats").text
