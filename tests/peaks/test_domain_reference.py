"""Reference data: the peaks, municipalities and seasons load, agree with each other and follow the programme's history."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest

from services.peaks.domain import reference
from services.peaks.domain.reference import KST, ReferenceDataError

NINE = {
    "gajisan",
    "unmunsan",
    "cheonhwangsan",
    "jaeyaksan",
    "sinbulsan",
    "yeongchuksan",
    "ganwolsan",
    "goheonsan",
    "munboksan",
}


def test_nine_peaks_with_sources_and_only_gajisan_precise():
    peaks = reference.peaks()
    assert set(peaks) == NINE
    assert [p.code for p in peaks.values() if not p.approximate] == ["gajisan"]
    assert all(p.source and p.radius_m == 100 and 1000 < p.elevation_m < 1300 for p in peaks.values())
    assert all(35.4 < p.lat < 35.7 and 128.9 < p.lon < 129.1 for p in peaks.values())
    assert peaks["gajisan"].municipalities == ("ulju", "miryang", "cheongdo")


@pytest.mark.parametrize(
    "name, code",
    [
        ("Sajabong", "cheonhwangsan"),
        ("사자봉", "cheonhwangsan"),
        ("수미봉", "jaeyaksan"),
        ("Chwiseosan", "yeongchuksan"),
        ("취서산", "yeongchuksan"),
        ("가지산", "gajisan"),
        ("GAJISAN", "gajisan"),
        ("Mont Blanc", None),
    ],
)
def test_aliases_resolve(name, code):
    peak = reference.find_peak(name)
    assert (peak.code if peak else None) == code


def test_five_municipalities_one_managing():
    m = reference.municipalities()
    assert {x.code: x.name_ko for x in m.values()} == {
        "ulju": "울주군",
        "miryang": "밀양시",
        "yangsan": "양산시",
        "gyeongju": "경주시",
        "cheongdo": "청도군",
    }
    assert [x.code for x in m.values() if x.role == "managing"] == ["ulju"]


def test_seasons_follow_the_programme_history():
    s = {x.id: x for x in reference.seasons()}
    assert list(s) == [str(y) for y in range(2019, 2028)]
    assert s["2019"].capture_from is None and not s["2019"].gps_required  # earlier photos accepted at launch
    assert s["2020"].sign_required and s["2021"].sign_required
    assert s["2022"].gps_required and s["2022"].per_day_limit == 3 and s["2022"].min_age == 14
    assert len(s["2022"].peaks) == 9
    assert (
        not s["2023"].is_active("munboksan") and len(s["2023"].peaks) == 8 and s["2023"].medal_stock == 30000
    )
    for sid in ("2025", "2026", "2027"):
        assert len(s[sid].peaks) == 7 and s[sid].per_month_limit == 2 and s[sid].completions_per_year == 1
    assert not s["2026"].is_active("jaeyaksan")
    assert s["2027"].assumptions  # not yet announced: must say so


def test_current_season():
    assert reference.current_season(date(2026, 11, 29)).id == "2026"
    assert reference.current_season(datetime(2026, 11, 30, 23, 59, tzinfo=KST)).id == "2026"
    assert reference.current_season(date(2026, 12, 15)) is None  # the programme pauses in December
    assert reference.current_season(date(2027, 3, 1)).id == "2027"
    # 2020 overlaps 2019's two-year window; the newest season wins.
    assert reference.current_season(date(2020, 6, 1)).id == "2020"
    with pytest.raises(ValueError, match="aware"):
        reference.current_season(datetime(2026, 5, 1))


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(reference.DATA_DIR, tmp_path / "data")
    return tmp_path / "data"


def _edit(path: Path, fn) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    fn(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")


@pytest.mark.parametrize(
    "file, edit, message",
    [
        ("peaks.json", lambda d: d["peaks"][0].update(municipalities=["busan"]), "unknown: \\['busan'\\]"),
        ("peaks.json", lambda d: d["peaks"][0].update(lat="35.6"), r"peaks\.json: peaks\[0\]\.lat: expected int/float"),
        ("peaks.json", lambda d: d.pop("version"), "missing a `version`"),
        ("seasons.json", lambda d: d["seasons"][0].update(end_date="2018-01-01"), "start_date <= end_date"),
        ("seasons.json", lambda d: d["seasons"][0].update(peaks=["everest"]), "unknown: \\['everest'\\]"),
        ("seasons.json", lambda d: d["seasons"][0].update(end_date="2020-13-01"), "not an ISO date"),
        ("seasons.json", lambda d: d["seasons"][0].update(per_day_limit=-1), "must be >= 0"),
        ("municipalities.json", lambda d: d["municipalities"][1].update(role="managing"), "exactly one"),
        ("peaks.json", lambda d: d["peaks"].append(dict(d["peaks"][0])), r"peaks: \[9\]\.code: duplicate code 'gajisan'"),
        ("municipalities.json", lambda d: d["municipalities"][2].update(code=d["municipalities"][0]["code"]),
         r"municipalities: \[2\]\.code: duplicate code"),
    ],
)
def test_validation_names_file_and_field(tmp_path, file, edit, message):
    data = _copy(tmp_path)
    _edit(data / file, edit)
    with pytest.raises(ReferenceDataError, match=message):
        reference.load(data)


def test_invalid_json_is_reported_with_line(tmp_path):
    data = _copy(tmp_path)
    (data / "seasons.json").write_text('{"version": "x",\n  oops}', encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="invalid JSON at line 2"):
        reference.load(data)


PEAKS = reference.DATA_DIR.parent
# Every module of the domain package (the sample-photo maker included).
DOMAIN_MODULES = sorted(str(p.relative_to(PEAKS)) for p in (PEAKS / "domain").rglob("*.py"))
# The pure part of the platform a domain module may use (itself checked below: no HTTP, no database, no shared).
PURE_SHARED = {"shared.reference", "shared.svg"}


def _imports(path: Path) -> set[str]:
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    return imported | {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}


@pytest.mark.parametrize("name", DOMAIN_MODULES)
def test_domain_modules_know_nothing_about_http_or_the_database(name):
    assert len(DOMAIN_MODULES) > 10
    imported = _imports(PEAKS / name) - PURE_SHARED
    banned = (
        "fastapi",
        "starlette",
        "sqlalchemy",
        "shared",
        "services.peaks.routes",
        "services.peaks.ui",
        "services.peaks.flows",
        "services.peaks.models",
        "services.peaks.parts",
    )
    assert not [m for m in imported if m.startswith(banned)]


@pytest.mark.parametrize("module", sorted(PURE_SHARED))
def test_the_shared_modules_domain_code_uses_are_pure(module):
    root = reference.DATA_DIR.parent.parent.parent
    imported = _imports(root / (module.replace(".", "/") + ".py"))
    assert not [m for m in imported if m.startswith(("fastapi", "starlette", "sqlalchemy", "shared", "services"))]


def test_shipped_files_round_trip_through_their_models(tmp_path):
    """Each file's model dumps to JSON that loads back to the same reference data."""
    from shared.reference import load as load_file

    ref = reference.reference()
    m = load_file(reference.DATA_DIR / "municipalities.json", reference.Municipalities)
    p = load_file(reference.DATA_DIR / "peaks.json", reference.Peaks, context={"municipalities": ref.municipalities})
    s = load_file(reference.DATA_DIR / "seasons.json", reference.Seasons, context={"peaks": ref.peaks})
    for name, model in (("municipalities.json", m), ("peaks.json", p), ("seasons.json", s)):
        (tmp_path / name).write_text(json.dumps(model.model_dump(mode="json")), encoding="utf-8")
    assert reference.load(tmp_path) == ref
