"""ServiceSpec.in_folder: a service's identity comes from its folder (name), its models (tables) and its data
files (parties, about text, API front matter in data/api.json), each checked when the spec is built."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from services.onestop import models as onestop_models
from shared.platform import ServiceSpec
from shared.reference import ReferenceDataError

SERVICES = Path(__file__).resolve().parents[2] / "services"


@pytest.mark.parametrize("name", ["roadkill", "peaks", "onestop"])
def test_the_openapi_document_opens_with_the_services_api_json(name):
    import importlib

    spec = importlib.import_module(f"services.{name}.app").SPEC
    api = json.loads((SERVICES / name / "data" / "api.json").read_text(encoding="utf-8"))
    assert spec.name == name
    assert (spec.title, spec.description) == (api["title"], api["description"])
    assert spec.tags == api.get("tags", [])
    doc = importlib.import_module(f"services.{name}.app").create_app().openapi()
    assert doc["info"]["title"] == api["title"]
    assert {t["name"] for t in api.get("tags", [])} <= {t["name"] for t in doc.get("tags", [])}


def _folder(tmp_path: Path, edit) -> Path:
    folder = tmp_path / "onestop"
    shutil.copytree(SERVICES / "onestop" / "data", folder / "data")
    path = folder / "data" / "api.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    edit(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return folder


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.pop("title"), r"api\.json: title"),
    (lambda d: d.update(description="  "), r"api\.json: description: must be a non-empty string"),
    (lambda d: d["tags"].append({"name": "x"}), r"api\.json: tags\[7\]\.description"),
])
def test_a_broken_api_json_is_refused_naming_the_field(tmp_path, edit, message):
    with pytest.raises(ReferenceDataError, match=message):
        ServiceSpec.in_folder(_folder(tmp_path, edit), onestop_models, routers=list)
