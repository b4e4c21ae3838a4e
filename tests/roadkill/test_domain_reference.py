"""Reference data: the agencies and species files load, and a broken file is refused naming file and entry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.roadkill.domain import reference
from services.roadkill.domain.reference import ReferenceDataError, load_agencies, load_species


def _doc(name: str) -> dict:
    return json.loads((reference.DATA_DIR / name).read_text(encoding="utf-8"))


def _write(tmp_path: Path, name: str, doc: dict) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_shipped_files_load_with_versions_and_sources():
    agencies, species = reference.default_agencies(), reference.default_species()
    assert agencies.version and agencies.source and species.version and species.source
    assert agencies.get("kec").kind == "road_agency" and "expressway" in agencies.get("kec").manages
    assert {s.size_class for s in species.by_code.values()} <= reference.SIZE_CLASSES
    assert species.by_code["water_deer"].aliases_ko and species.by_code["unknown"].code == "unknown"
    with pytest.raises(KeyError, match="unknown agency code 'nobody'; known: "):
        agencies.get("nobody")


def test_shipped_data_round_trips_through_its_model(tmp_path):
    for name, loader in (("agencies.json", load_agencies), ("species.json", load_species)):
        loaded = loader(reference.DATA_DIR / name)
        again = loader(_write(tmp_path, name, loaded.model_dump(mode="json")))
        assert again == loaded and again.by_code == loaded.by_code


def test_legal_basis_may_be_absent_or_null_but_not_blank(tmp_path):
    doc = _doc("agencies.json")
    doc["agencies"][0]["legal_basis"] = None
    doc["agencies"][1].pop("legal_basis", None)
    loaded = load_agencies(_write(tmp_path, "agencies.json", doc))
    assert loaded.agencies[0].legal_basis == "" and loaded.agencies[1].legal_basis == ""
    doc["agencies"][2]["legal_basis"] = " "
    with pytest.raises(ReferenceDataError, match=r"agencies\[2\]\.legal_basis: must be a non-empty string"):
        load_agencies(_write(tmp_path, "agencies.json", doc))


def _unknown_removed(d: dict) -> None:
    d["species"] = [s for s in d["species"] if s["code"] != "unknown"]


@pytest.mark.parametrize(
    "file, edit, message",
    [
        ("species.json", lambda d: d["species"][0].update(size_class="huge"),
         r"species\[0\]\.size_class: 'huge' is not one of: 'small', 'medium' or 'large'"),
        ("species.json", lambda d: d["species"][1].update(protected="yes"),
         r"species\[1\]\.protected: expected bool, got str 'yes'"),
        ("species.json", lambda d: d["species"][2].update(aliases_ko=["고라니", ""]),
         r"species\[2\]\.aliases_ko\[1\]: must be a non-empty string"),
        ("species.json", lambda d: d["species"][0].pop("scientific_name"), r"species\[0\]\.scientific_name: missing"),
        ("species.json", lambda d: d["species"].append(dict(d["species"][0])), "duplicate code"),
        ("species.json", _unknown_removed, "needs a species with code 'unknown'"),
        ("species.json", lambda d: d.update(species=[]), "species: needs at least 1 item"),
        ("agencies.json", lambda d: d["agencies"][3].update(manages="local"), r"agencies\[3\]\.manages: expected list"),
        ("agencies.json", lambda d: d["agencies"][0].update(code=""), r"agencies\[0\]\.code: must be a non-empty"),
        ("agencies.json", lambda d: d.pop("source"), "source: missing"),
    ],
)
def test_broken_file_is_refused_naming_file_and_field(tmp_path, file, edit, message):
    doc = _doc(file)
    edit(doc)
    path = _write(tmp_path, file, doc)
    loader = load_species if file == "species.json" else load_agencies
    with pytest.raises(ReferenceDataError, match=message) as caught:
        loader(path)
    assert str(caught.value).startswith(f"{path}: ")


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ReferenceDataError, match=r"nowhere\.json: file not found"):
        load_species(tmp_path / "nowhere.json")
