"""The Darwin Core Archive export, read by an independent reader (python-dwca-reader): every row checked
against the incidents it comes from and against the CSV export; meta.xml's terms and eml.xml's title,
publisher, licence and coverage are what the rows say."""
from __future__ import annotations

import csv
import io
import random
import zipfile
from datetime import date, datetime

import pytest
from dwca.read import DwCAReader
from fastapi.testclient import TestClient
from sqlalchemy import or_, select

from services.roadkill.app import create_app
from services.roadkill.config import Settings
from services.roadkill.domain import darwin_core
from services.roadkill.flows import exports
from services.roadkill.models import incident
from shared import testing
from tests.roadkill.conftest import auth
from tools.seeding.roadkill import seed_history

SERVICE_NAME = "roadkill"
N = 400
DWC, DC = darwin_core.DWC, darwin_core.DC


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    overrides = testing.database_overrides(tmp_path_factory.mktemp("dwca"), SERVICE_NAME)
    app = create_app(Settings(**overrides, relay_enabled=False, autopilot_enabled=False, seed_demo_incidents=False,
                              log_level="WARNING"))
    try:
        with TestClient(app) as client:
            seed_history(app.state.platform.db.engine, N, hotspots_n=1, rng=random.Random(11))
            yield client, app.state.platform
    finally:
        testing.drop_schema(overrides.get("db_schema"))


def archive(client, tmp_path, **params):
    r = client.get("/v1/exports/darwin-core.zip", params=params, headers=auth("me"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    path = tmp_path / "roadkill.zip"
    path.write_bytes(r.content)
    assert sorted(zipfile.ZipFile(path).namelist()) == ["eml.xml", "meta.xml", "occurrence.txt"]
    return path


def test_every_row_is_read_back_by_an_independent_reader(seeded, tmp_path):
    client, platform = seeded
    with platform.db.read_session() as s:
        incidents = {r.id: r for r in s.execute(select(incident).where(
            or_(incident.c.outcome.is_(None), incident.c.outcome != "duplicate")))}
    csv_rows = {row["occurrenceID"]: row for row in csv.DictReader(io.StringIO(
        client.get("/v1/exports/darwin-core.csv", headers=auth("me")).text))}
    with DwCAReader(str(archive(client, tmp_path))) as dwca:
        assert dwca.descriptor.core.type == DWC + "Occurrence"
        assert dwca.descriptor.core.terms == {darwin_core.term_uri(t) for t in darwin_core.TERMS}
        rows = list(dwca)
        assert len(rows) == len(incidents) == len(csv_rows) > 0
        seen = set()
        for row in rows:
            d = row.data
            occurrence = d[DWC + "occurrenceID"]
            assert row.id == occurrence and occurrence not in seen
            seen.add(occurrence)
            inc = incidents[occurrence.removeprefix(exports.OCCURRENCE_PREFIX)]
            assert (d[DWC + "vitality"], d[DWC + "geodeticDatum"], d[DWC + "basisOfRecord"]) == (
                "dead", "WGS84", "HumanObservation")
            assert (d[DC + "license"], d[DC + "rightsHolder"]) == (darwin_core.LICENSE, darwin_core.RIGHTS_HOLDER)
            assert float(d[DWC + "decimalLatitude"]) == round(inc.lat, 6)
            assert float(d[DWC + "decimalLongitude"]) == round(inc.lon, 6)
            assert d[DWC + "eventDate"].endswith("+09:00")
            # Same values as the CSV, term by term.
            assert {t: d[darwin_core.term_uri(t)] for t in darwin_core.TERMS} == csv_rows[occurrence]
        assert seen == set(csv_rows)


def test_eml_says_title_publisher_licence_and_the_rows_coverage(seeded, tmp_path):
    client, platform = seeded
    with DwCAReader(str(archive(client, tmp_path))) as dwca:
        rows = list(dwca)
        eml = dwca.metadata
    ds = eml.find("dataset")
    assert ds.findtext("title") == darwin_core.TITLE
    assert ds.find("publisher").findtext("organizationName") == darwin_core.PUBLISHER
    assert ds.find("intellectualRights/para/ulink").get("url") == darwin_core.LICENSE
    assert ds.findtext("pubDate") == platform.clock().date().isoformat()
    lats = [float(r.data[DWC + "decimalLatitude"]) for r in rows]
    lons = [float(r.data[DWC + "decimalLongitude"]) for r in rows]
    days = [datetime.fromisoformat(r.data[DWC + "eventDate"]).date() for r in rows]
    box = ds.find("coverage/geographicCoverage/boundingCoordinates")
    assert [float(box.findtext(f"{side}BoundingCoordinate")) for side in ("west", "east", "south", "north")] == \
        pytest.approx([min(lons), max(lons), min(lats), max(lats)], abs=1e-6)
    dates = ds.find("coverage/temporalCoverage/rangeOfDates")
    assert date.fromisoformat(dates.findtext("beginDate/calendarDate")) == min(days)
    assert date.fromisoformat(dates.findtext("endDate/calendarDate")) == max(days)


def test_an_empty_period_is_a_valid_archive_with_the_province_as_coverage(seeded, tmp_path):
    client, platform = seeded
    with DwCAReader(str(archive(client, tmp_path, since="2099-01-01T00:00:00+09:00"))) as dwca:
        assert list(dwca) == []
        ds = dwca.metadata.find("dataset")
    west, south, east, north = platform.parts.network.areas.province.bbox
    box = ds.find("coverage/geographicCoverage/boundingCoordinates")
    assert float(box.findtext("westBoundingCoordinate")) == pytest.approx(west, abs=1e-6)
    assert float(box.findtext("northBoundingCoordinate")) == pytest.approx(north, abs=1e-6)
    assert ds.find("coverage/temporalCoverage") is None


def test_only_the_export_readers_get_it(seeded):
    client, _ = seeded
    assert client.get("/v1/exports/darwin-core.zip").status_code == 401
    assert client.get("/v1/exports/darwin-core.zip", headers=auth("tmap")).status_code == 403
    assert client.get("/v1/exports/darwin-core.zip", headers=auth("chungnam")).status_code == 200


@pytest.mark.parametrize("value", ["a\tb", "line\nbreak", "x\r\ny", None, 3.5, "plain"])
def test_values_never_break_the_tab_separated_file(value):
    cleaned = darwin_core.clean(value)
    assert "\t" not in cleaned and "\n" not in cleaned and "\r" not in cleaned
