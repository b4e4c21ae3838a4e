"""The plan of the house (docs/architecture.md), checked on the source.

The import rules are import-linter contracts in `.importlinter` (tools above services above shared; wings
independent; in every wing app -> routes | ui | parties -> flows -> models/schemas/parts/config -> domain; pure
domain; routes and pages without SQL). The tests below run them and add what a contract cannot say: every
module sits in a layer, no module is over 300 lines, and no route or page opens a session.
"""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("roadkill", "peaks", "onestop")
# What may sit directly in a wing; everything else lives in one of its layer packages.
# `photo_store` is peaks' file store for originals, a typed platform part on the same floor as `parts`.
WING_MODULES = {"__init__", "app", "config", "models", "schemas", "answers", "parts", "photo_store"}
WING_PACKAGES = {"routes", "ui", "flows", "domain", "parties", "migrations", "data", "answers"}
MAX_LINES = 300
SESSION_CALLS = {"session", "read_session"}
SESSION_DEPS = {"SessionDep", "ReadSessionDep"}


def lint_imports(cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(exe), "--config", str(cwd / ".importlinter"), "--no-cache"], cwd=cwd,
                          capture_output=True, text=True, timeout=300, env=env)


def py_files(*folders: str) -> list[Path]:
    out: list[Path] = []
    for folder in folders:
        out.extend(p for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)
    return sorted(out)


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_import_contracts_hold():
    r = lint_imports(ROOT)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "0 broken" in r.stdout


def test_contracts_catch_a_violation(tmp_path):
    """A domain module importing SQLAlchemy and a route importing a model break the contracts."""
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    for pkg in ("tools", "shared", "services"):
        (tmp_path / pkg).mkdir()
        (tmp_path / pkg / "__init__.py").write_text("")
    for svc in SERVICES:
        base = tmp_path / "services" / svc
        for layer in ("", "routes", "ui", "parties", "flows", "domain"):
            (base / layer).mkdir(parents=True, exist_ok=True)
            (base / layer / "__init__.py").write_text("")
        for mod in ("app", "models", "schemas", "parts", "config"):
            (base / f"{mod}.py").write_text("")
    (tmp_path / "services/roadkill/domain/rules.py").write_text("import sqlalchemy\n")
    (tmp_path / "services/peaks/routes/photos.py").write_text("from services.peaks import models\n")
    (tmp_path / "services/onestop/flows/cases.py").write_text("from services.onestop.routes import x\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    r = lint_imports(tmp_path, env)
    assert r.returncode != 0, r.stdout
    for contract in ("domain modules import no web framework", "routes and pages hold no SQL", "one inner plan"):
        assert f"{contract}" in r.stdout and "BROKEN" in r.stdout, r.stdout[-3000:]


@pytest.mark.parametrize("service", SERVICES)
def test_every_module_of_a_wing_sits_in_a_layer(service):
    base = ROOT / "services" / service
    loose = sorted(p.name for p in base.iterdir()
                   if (p.suffix == ".py" and p.stem not in WING_MODULES)
                   or (p.is_dir() and p.name not in WING_PACKAGES and p.name != "__pycache__"))
    assert loose == [], f"services/{service}: put these in routes/ ui/ flows/ domain/ (docs/architecture.md)"
    for layer in ("routes", "flows", "domain"):
        assert (base / layer / "__init__.py").exists(), f"services/{service}/{layer}/ is missing"


def _counted(path: Path) -> bool:
    parts = path.relative_to(ROOT).parts
    return "migrations" not in parts and "platform_migrations" not in parts and "data" not in parts


@pytest.mark.parametrize("path", [p for p in py_files("services", "shared", "tools") if _counted(p)], ids=rel)
def test_modules_are_small(path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{rel(path)} has {n} lines; split it by responsibility (at most {MAX_LINES})"


def _session_uses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SESSION_CALLS:
            found.append(f"line {node.lineno}: .{node.func.attr}()")
        elif isinstance(node, ast.Name) and node.id in SESSION_DEPS:
            found.append(f"line {node.lineno}: {node.id}")
    return found


@pytest.mark.parametrize("path", py_files(*(f"services/{s}/{layer}" for s in SERVICES for layer in ("routes", "ui"))),
                         ids=rel)
def test_routes_and_pages_open_no_session(path):
    assert _session_uses(path) == [], f"{rel(path)}: a route or page calls a flow, which owns the transaction"


def test_session_check_sees_a_session(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f(platform, s: SessionDep):\n    with platform.db.session() as t:\n        pass\n")
    assert len(_session_uses(probe)) == 2


# A revision is frozen when it is written: it may use the column types (shared.db) and the platform branch's
# own steps, never application code whose later changes would change what an old upgrade does.
REVISION_IMPORTS_ALLOWED = ("shared.db", "shared.platform_migrations")


def _project_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
    return [n for n in names if n.split(".")[0] in {"shared", "services", "tools"}]


REVISIONS = [p for p in py_files("shared/platform_migrations", *(f"services/{s}/migrations" for s in SERVICES))
             if p.name not in {"env.py", "__init__.py"}]


@pytest.mark.parametrize("path", REVISIONS, ids=rel)
def test_migrations_import_no_application_code(path):
    wrong = [n for n in _project_imports(path)
             if not any(n == ok or n.startswith(ok + ".") for ok in REVISION_IMPORTS_ALLOWED)]
    assert wrong == [], f"{rel(path)} imports {wrong}: copy what the revision needs into it, frozen"


def test_migration_import_check_sees_an_application_import(tmp_path):
    probe = tmp_path / "rev.py"
    probe.write_text("import shared.db\nfrom shared.auth import new_public_id\nfrom alembic import op\n")
    assert _project_imports(probe) == ["shared.db", "shared.auth"]
