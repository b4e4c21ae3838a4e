"""The lock (uv.lock and its hashed exports in requirements/) matches pyproject.toml: a dependency added or
changed without `make lock` fails here, before an install from the lock silently leaves it out."""

from __future__ import annotations

import tomllib
from collections import defaultdict
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
UV_LOCK = tomllib.loads((ROOT / "uv.lock").read_text())
RELOCK = "pyproject.toml and the lock disagree: run `make lock` and commit uv.lock and requirements/"

RUNTIME = [Requirement(r) for r in PYPROJECT["dependencies"]]
TEST = [Requirement(r) for r in PYPROJECT["optional-dependencies"]["test"]]
LOCK_FILES = {"runtime": (ROOT / "requirements/runtime.txt", RUNTIME),
              "test": (ROOT / "requirements/test.txt", RUNTIME + TEST)}


def parse_lock(path: Path) -> dict[str, list[tuple[Version, list[str]]]]:
    """{name: [(pinned version, hashes), ...]}: one entry per marker variant (e.g. numpy by Python version)."""
    pins: dict[str, list[tuple[Version, list[str]]]] = defaultdict(list)
    for line in path.read_text().replace("\\\n", " ").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        spec, *hashes = line.split(" --hash=")
        req = Requirement(spec)
        (pin,) = req.specifier  # exactly one `==` clause
        assert pin.operator == "==", f"{path.name}: {spec} is not pinned with =="
        pins[canonicalize_name(req.name)].append((Version(pin.version), [h.strip() for h in hashes]))
    return dict(pins)


def _locked_packages() -> dict[str, dict]:
    return {canonicalize_name(p["name"]): p for p in UV_LOCK["package"]}


@pytest.mark.parametrize("which", LOCK_FILES)
def test_every_declared_dependency_is_pinned_within_its_range(which):
    path, declared = LOCK_FILES[which]
    pins = parse_lock(path)
    locked = _locked_packages()
    for req in declared:
        name = canonicalize_name(req.name)
        assert name in pins, f"{req} is not in {path.relative_to(ROOT)}: {RELOCK}"
        for version, _ in pins[name]:
            assert req.specifier.contains(version, prereleases=True), \
                f"{path.name} pins {name}=={version}, outside {req}: {RELOCK}"
        for extra in req.extras:  # e.g. psycopg[binary] brings psycopg-binary
            extra_deps = locked[name].get("optional-dependencies", {}).get(extra)
            assert extra_deps, f"uv.lock has no extra [{extra}] of {name}: {RELOCK}"
            for dep in extra_deps:
                assert canonicalize_name(dep["name"]) in pins, f"{name}[{extra}] needs {dep['name']}: {RELOCK}"


@pytest.mark.parametrize("which", LOCK_FILES)
def test_every_pin_is_hashed(which):
    path, _ = LOCK_FILES[which]
    for name, variants in parse_lock(path).items():
        for version, hashes in variants:
            assert hashes and all(h.startswith("sha256:") for h in hashes), f"{name}=={version} has no sha256 hash"


def test_the_lock_records_exactly_the_dependencies_of_pyproject():
    """uv.lock keeps the requirements it was resolved for: they must be pyproject's, specifiers and extras too."""
    def key(name, specifier, extras, extra_marker):
        return canonicalize_name(name), str(specifier), tuple(sorted(extras)), extra_marker

    declared = {key(r.name, r.specifier, r.extras, None) for r in RUNTIME}
    declared |= {key(r.name, r.specifier, r.extras, "test") for r in TEST}
    (project,) = [p for p in UV_LOCK["package"] if p["name"] == PYPROJECT["name"]]
    recorded = set()
    for r in project["metadata"]["requires-dist"]:
        marker = r.get("marker")
        recorded.add(key(r["name"], Requirement(f"x{r.get('specifier', '')}").specifier, r.get("extras", ()),
                         "test" if marker == "extra == 'test'" else marker))
    assert recorded == declared, f"{RELOCK}\nonly in pyproject: {sorted(declared - recorded)}\n" \
                                 f"only in uv.lock: {sorted(recorded - declared)}"


@pytest.mark.parametrize("which", LOCK_FILES)
def test_requirement_files_are_exports_of_uv_lock(which):
    path, _ = LOCK_FILES[which]
    locked = _locked_packages()
    for name, variants in parse_lock(path).items():
        assert name in locked, f"{path.name} pins {name}, which uv.lock does not have: {RELOCK}"
        versions = {Version(p["version"]) for p in UV_LOCK["package"] if canonicalize_name(p["name"]) == name}
        for version, _ in variants:
            assert version in versions, f"{path.name} pins {name}=={version}; uv.lock has {versions}: {RELOCK}"


def test_runtime_lock_is_the_test_lock_without_the_test_extra():
    runtime, test = parse_lock(LOCK_FILES["runtime"][0]), parse_lock(LOCK_FILES["test"][0])
    for name, variants in runtime.items():
        assert test.get(name) == variants, f"{name}: the runtime and test locks pin different versions: {RELOCK}"
    # The browser (Playwright) and the pHash reference (imagehash, with SciPy) are for the tests alone.
    assert not {"playwright", "imagehash", "scipy", "pywavelets", "pytest"} & runtime.keys()
