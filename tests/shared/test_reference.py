"""shared.reference: a reference file is validated by a Pydantic model, and every failure names file and field."""

from __future__ import annotations

import json
import tempfile
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import Field, ValidationInfo, field_validator, model_validator

from shared.reference import (
    Frozen,
    Items,
    ReferenceDataError,
    Text,
    Versioned,
    json_path,
    load,
    read_json,
    read_versioned,
    req,
    validate,
)


class Point(Frozen):
    code: Text
    kind: Literal["summit", "pass"]
    height_m: Annotated[int, Field(ge=0, le=9000)]
    opened: date
    closed: date | None = None
    tags: Items[Text] = ()
    region: str = ""

    @model_validator(mode="after")
    def _closed_after_opened(self) -> Point:
        if self.closed is not None and self.closed < self.opened:
            raise ValueError("closed is before opened")
        return self

    @field_validator("region")
    @classmethod
    def _known_region(cls, region: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get("regions")
        if known is not None and region not in known:
            raise ValueError(f"unknown region {region!r}")
        return region


class Sample(Versioned):
    points: Annotated[Items[Point], Field(min_length=1)]


def good() -> dict[str, Any]:
    return {
        "version": "2026.1",
        "description": "extra keys such as descriptions and notes are ignored",
        "points": [
            {"code": "gajisan", "kind": "summit", "height_m": 1241, "opened": "2019-08-01", "tags": ["ulju"]},
            {"code": "baejae", "kind": "pass", "height_m": 700, "opened": "2020-01-01", "closed": "2020-12-31"},
        ],
    }


def write(tmp_path: Path, doc: Any, name: str = "sample.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_a_valid_file_loads_into_frozen_models(tmp_path):
    sample = load(write(tmp_path, good()), Sample)
    assert sample.version == "2026.1"
    assert sample.points[0].opened == date(2019, 8, 1) and sample.points[0].tags == ("ulju",)
    assert sample.points[1].closed == date(2020, 12, 31) and sample.points[1].tags == ()
    with pytest.raises(ValueError, match="frozen"):
        sample.points[0].height_m = 1  # type: ignore[misc]
    assert hash(sample) == hash(load(write(tmp_path, good(), "again.json"), Sample))


def test_a_package_file_loads_like_a_path(tmp_path):
    """`load` takes an importlib.resources Traversable, e.g. a data file inside a zipped package."""
    archive = tmp_path / "pkg.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("pkg/data/sample.json", json.dumps(good()))
    sample = load(zipfile.Path(archive, "pkg/data/sample.json"), Sample)
    assert [p.code for p in sample.points] == ["gajisan", "baejae"]


def edit(fn):
    doc = good()
    fn(doc)
    return doc


@pytest.mark.parametrize(
    "doc, field, message",
    [
        # wrong type: strict, a numeric string is not a number and true is not 1
        (edit(lambda d: d["points"][0].update(height_m="1241")), "points[0].height_m", "expected int, got str '1241'"),
        (edit(lambda d: d["points"][1].update(height_m=True)), "points[1].height_m", "expected int, got bool True"),
        (edit(lambda d: d.update(points={"gajisan": {}})), "points", "expected list, got dict"),
        # missing field
        (edit(lambda d: d["points"][1].pop("code")), "points[1].code", "missing"),
        # out-of-range value
        (edit(lambda d: d["points"][0].update(height_m=-3)), "points[0].height_m", "must be >= 0, got -3"),
        (edit(lambda d: d["points"][0].update(height_m=9001)), "points[0].height_m", "must be <= 9000, got 9001"),
        (edit(lambda d: d.update(points=[])), "points", "needs at least 1 item"),
        # unknown enum member
        (edit(lambda d: d["points"][1].update(kind="valley")), "points[1].kind", "'valley' is not one of: 'summit'"),
        # blank text, bad date, cross-field check
        (edit(lambda d: d["points"][0].update(tags=["ok", "  "])), "points[0].tags[1]", "non-empty string"),
        (edit(lambda d: d["points"][0].update(opened="2020-13-01")), "points[0].opened", "not an ISO date"),
        (edit(lambda d: d["points"][1].update(closed="2019-01-01")), "points[1]", "closed is before opened"),
    ],
)
def test_a_bad_value_names_the_file_and_the_json_path(tmp_path, doc, field, message):
    path = write(tmp_path, doc)
    with pytest.raises(ReferenceDataError) as caught:
        load(path, Sample)
    err = caught.value
    assert err.file == str(path) and err.fields == (field,)
    assert str(err).startswith(f"{path}: {field}: ")
    assert message in str(err)


def test_every_bad_field_is_reported_up_to_a_limit(tmp_path):
    doc = good()
    doc["points"] = [{**doc["points"][0], "height_m": -i - 1} for i in range(8)]
    with pytest.raises(ReferenceDataError) as caught:
        load(write(tmp_path, doc), Sample)
    assert caught.value.fields == tuple(f"points[{i}].height_m" for i in range(5))
    assert str(caught.value).endswith("and 3 more")


def test_an_unversioned_file_is_refused(tmp_path):
    doc = edit(lambda d: d.pop("version"))
    with pytest.raises(ReferenceDataError, match="missing a `version` string .*must be versioned"):
        load(write(tmp_path, doc), Sample)
    with pytest.raises(ReferenceDataError, match="must be versioned"):
        read_versioned(write(tmp_path, doc, "plain.json"))
    assert read_versioned(write(tmp_path, {"rules_version": "3"}, "r.json"), ("version", "rules_version"))


def test_file_level_failures_name_the_file(tmp_path):
    with pytest.raises(ReferenceDataError, match=r"missing\.json: file not found"):
        load(tmp_path / "missing.json", Sample)
    broken = tmp_path / "broken.json"
    broken.write_text('{"version": "1",\n  oops}', encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=r"broken\.json: invalid JSON at line 2"):
        load(broken, Sample)
    with pytest.raises(ReferenceDataError, match=r"list\.json: expected a JSON object at the top level"):
        load(write(tmp_path, [good()], "list.json"), Sample)
    (tmp_path / "latin1.json").write_bytes('{"version": "é"}'.encode("latin-1"))
    with pytest.raises(ReferenceDataError, match="not valid UTF-8"):
        read_json(tmp_path / "latin1.json")


def test_cross_file_checks_read_the_validation_context(tmp_path):
    doc = edit(lambda d: d["points"][0].update(region="ulju"))
    path = write(tmp_path, doc)
    assert load(path, Sample, context={"regions": {"ulju"}}).points[0].region == "ulju"
    with pytest.raises(ReferenceDataError, match=r"points\[0\]\.region: unknown region 'ulju'"):
        load(path, Sample, context={"regions": {"miryang"}})


def test_validate_applies_the_file_rules_to_a_parsed_document():
    """A dict built in code gets the same JSON-mode checks as the file: ISO strings become dates, types stay strict."""
    assert validate(good(), Sample, "sample.json").points[0].opened == date(2019, 8, 1)
    with pytest.raises(ReferenceDataError, match=r"^sample\.json: points\[0\]\.height_m: expected int"):
        validate(edit(lambda d: d["points"][0].update(height_m=1.5)), Sample, "sample.json")
    with pytest.raises(ReferenceDataError, match="not a JSON document"):
        validate({"version": "1", "points": [{"opened": date(2020, 1, 1)}]}, Sample, "sample.json")


def test_json_path_and_req():
    assert json_path(("seasons", 0, "peaks", 2)) == "seasons[0].peaks[2]"
    assert json_path(()) == ""
    assert req({"n": 3}, "n", int, "f.json") == 3
    with pytest.raises(ReferenceDataError, match=r"f\.json: missing `n`"):
        req({}, "n", int, "f.json")
    with pytest.raises(ReferenceDataError, match=r"f\.json\.n: expected int, got bool True"):
        req({"n": True}, "n", int, "f.json")


# --------------------------------------------------------------------------- round trip

codes = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12).filter(lambda s: s.strip("-"))
points = st.builds(
    lambda code, kind, height, opened, days, tags: {
        "code": code,
        "kind": kind,
        "height_m": height,
        "opened": opened.isoformat(),
        "closed": None if days is None else (opened + timedelta(days=days)).isoformat(),
        "tags": tags,
        "region": "",
    },
    codes,
    st.sampled_from(["summit", "pass"]),
    st.integers(0, 9000),
    st.dates(date(1900, 1, 1), date(2100, 12, 31)),
    st.none() | st.integers(0, 3650),
    st.lists(st.text(min_size=1, max_size=8).filter(str.strip), max_size=3),
)
documents = st.builds(
    lambda version, pts: {"version": version, "points": pts},
    st.text(min_size=1, max_size=10).filter(str.strip),
    st.lists(points, min_size=1, max_size=5),
)


@given(documents)
def test_valid_generated_data_round_trips(doc):
    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder), doc)
        sample = load(path, Sample)
        assert sample.model_dump(mode="json") == doc
        again = load(write(Path(folder), sample.model_dump(mode="json"), "again.json"), Sample)
    assert again == sample


def test_parties_files_use_the_shared_loader(tmp_path):
    from shared.parties import PartyRegistry

    doc = {"version": "1", "operator": "op", "parties": [{"code": "op", "name": "Operator", "roles": ["operator"]}]}
    registry = PartyRegistry.from_json(write(tmp_path, doc, "parties.json"))
    assert registry.operator == "op" and registry.get("op").roles == frozenset({"operator"})
    assert registry.get("op").simulated
    doc["parties"].append({"code": "x", "name": "X", "roles": "agency"})
    with pytest.raises(ReferenceDataError, match=r"parties\.json: parties\[1\]\.roles: expected list, got str"):
        PartyRegistry.from_json(write(tmp_path, doc, "parties.json"))
    doc["parties"][1]["roles"] = []
    doc["operator"] = "hub"
    with pytest.raises(ReferenceDataError, match="operator: 'hub' is not a party"):
        PartyRegistry.from_json(write(tmp_path, doc, "parties.json"))
