"""What the code imports is declared in pyproject.toml, and the private Starlette API we override still exists.

An import that works only because another package happens to bring its distribution along breaks the day
that package drops it; the walk below maps every third-party import to its distribution and requires it
among the declared dependencies (services/ and shared/: the runtime list; tests/: runtime plus the test extra).
"""

from __future__ import annotations

import ast
import asyncio
import importlib.metadata
import inspect
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from starlette.requests import Request

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
# The installed packages (services, shared, ...): their imports are runtime imports.
PACKAGES = sorted({p.split(".")[0].rstrip("*") for p in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]})
FIRST_PARTY = {*PACKAGES, "tests", "bench"}
RUNTIME = {canonicalize_name(Requirement(r).name) for r in PROJECT["dependencies"]}
TEST = RUNTIME | {canonicalize_name(Requirement(r).name) for r in PROJECT["optional-dependencies"]["test"]}


def imported_modules(*dirs: str) -> dict[str, set[str]]:
    """{top-level module: files importing it} for every absolute import under `dirs`, stdlib and ours left out."""
    found: dict[str, set[str]] = {}
    for d in dirs:
        for path in sorted((ROOT / d).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.partition(".")[0]
                    if top not in sys.stdlib_module_names and top not in FIRST_PARTY and top != "__future__":
                        found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def undeclared(modules: dict[str, set[str]], declared: set[str]) -> list[str]:
    distributions = importlib.metadata.packages_distributions()
    problems = []
    for module, files in sorted(modules.items()):
        dists = {canonicalize_name(d) for d in distributions.get(module, [])}
        if not dists:
            problems.append(f"{module} (no installed distribution provides it), imported by {sorted(files)}")
        elif not dists & declared:
            problems.append(f"{module} (distribution {sorted(dists)}) is not declared, imported by {sorted(files)}")
    return problems


def test_the_walk_sees_third_party_imports_and_maps_them():
    modules = imported_modules("services", "shared")
    assert {"fastapi", "sqlalchemy", "PIL", "numpy", "python_multipart"} <= modules.keys()
    assert undeclared({"PIL": {"x.py"}}, {"pillow"}) == []
    assert undeclared({"PIL": {"x.py"}}, set()) and undeclared({"no_such_module_xyz": {"x.py"}}, {"pillow"})


def test_services_and_shared_import_only_runtime_dependencies():
    assert {"services", "shared"} <= set(PACKAGES)
    problems = undeclared(imported_modules(*(p for p in PACKAGES if (ROOT / p).is_dir())), RUNTIME)
    assert not problems, "add to [project] dependencies in pyproject.toml, then `make lock`:\n" + "\n".join(problems)


def test_tests_import_only_runtime_and_test_dependencies():
    problems = undeclared(imported_modules("tests"), TEST)
    assert not problems, "add to the test extra in pyproject.toml, then `make lock`:\n" + "\n".join(problems)


# ------------------------------------------------------------------ private Starlette API: Request._get_form
# services/peaks/routes/photos.py overrides Request._get_form (the photo upload's in-memory multipart
# split) and calls it through super(). Starlette is bounded below 2 in pyproject; these tests fail on an
# upgrade within that range that renames or reshapes the method, instead of the upload quietly changing.

def test_starlette_request_has_the_overridden_private_get_form():
    from services.peaks.routes.photos import _PhotoUploadRequest

    assert inspect.iscoroutinefunction(Request._get_form)
    ours = inspect.signature(_PhotoUploadRequest._get_form).parameters
    theirs = inspect.signature(Request._get_form).parameters
    assert [(p.name, p.kind, p.default) for p in ours.values()] == \
        [(p.name, p.kind, p.default) for p in theirs.values()]
    assert list(theirs) == ["self", "max_files", "max_fields", "max_part_size"]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for name, p in theirs.items() if name != "self")


def test_request_form_goes_through_get_form_and_caches_in_form():
    """The override is reached only if Request.form() calls self._get_form and keeps the result in self._form."""
    source = inspect.getsource(Request.form)
    assert "self._get_form(" in source
    assert "self._form" in inspect.getsource(Request._get_form)


def test_get_form_override_is_what_form_runs(monkeypatch):
    from services.peaks.routes import multipart
    from services.peaks.routes.photos import _PhotoUploadRequest

    calls = []
    real = multipart.form_of

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(multipart, "form_of", spy)
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"peak\"\r\n\r\ngajisan\r\n"
            f"--{boundary}--\r\n").encode()
    scope = {"type": "http", "method": "POST", "path": "/v1/photos", "query_string": b"",
             "headers": [(b"content-type", f"multipart/form-data; boundary={boundary}".encode()),
                         (b"content-length", str(len(body)).encode())]}
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def main():
        async with _PhotoUploadRequest(scope, receive).form(max_part_size=4096) as form:
            return dict(form)

    assert asyncio.run(main()) == {"peak": "gajisan"}
    assert len(calls) == 1 and calls[0]["max_part_size"] == 4096  # Starlette passed its limits to the override
