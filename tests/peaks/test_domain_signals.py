"""The award-review signals (pure): the rules table, what an ordinary phone set and a scripted set look like,
and the camera facts read from the EXIF (maker note, embedded thumbnail)."""
from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.peaks.domain import exif, reference, sample_photos
from services.peaks.domain.verification import signals
from services.peaks.domain.verification.signals import PhotoEvidence

from .support import PHONE

START = datetime(2026, 4, 3, 1, 31, 7, tzinfo=UTC)


def _ordinary(n: int, gaps_days: list[int], seconds: list[int], lags_h: list[float], dist: list[float]):
    out, t = [], START
    for i in range(n):
        t = t + timedelta(days=gaps_days[i])
        taken = t.replace(second=seconds[i])
        out.append(PhotoEvidence(make="samsung", model="SM-S918N", maker_note=True, thumbnail=True, taken_at=taken,
                                 uploaded_at=taken + timedelta(hours=lags_h[i]), distance_m=dist[i]))
    return out


@st.composite
def ordinary_sets(draw):
    n = draw(st.integers(3, 9))
    ints = st.lists(st.integers(1, 40), min_size=n, max_size=n)
    return _ordinary(n, draw(ints), draw(st.lists(st.integers(1, 59), min_size=n, max_size=n)),
                     draw(st.lists(st.floats(0.05, 24 * 13), min_size=n, max_size=n)),
                     draw(st.lists(st.floats(2.5, 120), min_size=n, max_size=n)))


@settings(max_examples=60, deadline=None)
@given(ordinary_sets(), st.integers(1, 5))
def test_an_ordinary_set_shows_no_signal(photos, registrations):
    assert signals.evaluate(photos, registrations) == []


@settings(max_examples=60, deadline=None)
@given(ordinary_sets(), st.data())
def test_half_the_set_without_thumbnails_is_a_signal_and_less_is_not(photos, data):
    n = len(photos)
    k = data.draw(st.integers(0, n))
    stripped = [dataclasses.replace(p, thumbnail=i >= k) for i, p in enumerate(photos)]
    fired = {s.code for s in signals.evaluate(stripped, None)}
    assert ("thumbnail_missing" in fired) == (k >= max(2, -(-n // 2)))


def test_the_scripted_set_fires_every_sign_it_shows():
    taken = [datetime(2026, 4 + i // 2, 2, 1, 30, tzinfo=UTC) for i in range(7)]
    upload = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
    photos = [PhotoEvidence(make=None if i % 2 == 0 else "CPA", model="SummitCam" if i < 3 else f"Cam {i}",
                            maker_note=False, thumbnail=False, taken_at=t,
                            uploaded_at=upload + timedelta(seconds=i), distance_m=0.0) for i, t in enumerate(taken)]
    found = {s.code: s for s in signals.evaluate(photos, 40)}
    assert set(found) == {r.code for r in signals.rules().rules}  # every rule of the table can fire
    assert found["upload_burst"].reason.startswith("all 7 photos of the season were uploaded within 0 minutes")
    assert "registered 40 climbers" in found["client_registrations"].reason
    assert "6 different cameras" in found["camera_inconsistent"].reason
    stored = signals.signals_json(list(found.values()))
    assert json.loads(json.dumps(stored)) == stored and not any(s["reason"][0].islower() for s in stored)


def test_unknown_client_counts_never_fire():
    photos = _ordinary(7, [10] * 7, [17] * 7, [2.0] * 7, [20.0] * 7)
    assert signals.evaluate(photos, None) == []
    assert [s.code for s in signals.evaluate(photos, 6)] == ["client_registrations"]


def test_rules_table_thresholds_are_data():
    table = signals.rules()
    assert table.version and table.source.startswith("assumption")
    strict = table.model_copy(update={"rules": tuple(
        r.model_copy(update={"params": {**r.params, "max_days": 0}}) if r.code == "capture_upload_lag" else r
        for r in table.rules)})
    photos = _ordinary(7, [10] * 7, [17] * 7, [2.0] * 7, [20.0] * 7)
    assert [s.code for s in signals.evaluate(photos, 1, strict)] == ["capture_upload_lag"]


def test_exif_reads_the_maker_note_and_the_embedded_thumbnail():
    when = datetime(2026, 5, 2, 1, 31, 17, tzinfo=UTC)
    phone = exif.read_photo_metadata(sample_photos.make_photo(lat=35.5, lon=129.0, taken_at=when, camera=PHONE))
    assert phone.maker_note and phone.thumbnail and (phone.make, phone.model) == PHONE[:2] and not phone.problems
    script = exif.read_photo_metadata(sample_photos.make_photo(lat=35.5, lon=129.0, taken_at=when))
    assert not script.maker_note and not script.thumbnail
    assert signals.evidence_of(phone) == {"make": "samsung", "model": "SM-S918N", "maker_note": True,
                                          "thumbnail": True}
    assert not exif.read_photo_metadata({}).thumbnail  # a plain mapping without IFD1


def test_late_uploads_are_no_signal_in_a_season_that_accepts_earlier_climbs():
    """2019: photos of climbs before the launch counted, so uploading old photos late was the rule."""
    photos = _ordinary(7, [10] * 7, [17] * 7, [24 * 400.0] * 7, [20.0] * 7)
    assert [s.code for s in signals.evaluate(photos, 1)] == ["capture_upload_lag"]
    assert signals.evaluate(photos, 1, earlier_climbs_count=True) == []
    assert reference.season("2019").capture_from is None  # the season where this applies
