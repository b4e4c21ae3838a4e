"""Import rules, read from the source with `ast` (no imports executed):

- `shared` imports no service;
- no service imports another service (services/registry.py is the composition root);
- neither `services` nor `shared` imports `tools` (the `cpa` command, demo driver, seeders: tooling only);
- domain modules import neither FastAPI, Starlette, SQLAlchemy nor any routes module.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPOSITION_ROOT = {"services/registry.py"}
DOMAIN_MODULES = {
    "roadkill": ["domain"],
    "peaks": ["reference", "imaging", "exif", "verification", "synth"],
    "onestop": ["reference", "eligibility", "referral_states", "rrn", "minimisation", "hsds", "vulnerability"],
}
WEB_OR_DB = ("fastapi", "starlette", "sqlalchemy")


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path = ROOT) -> set[str]:
    """Every module a file imports, relative imports resolved to absolute names."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            found.add(stem)
            # `from pkg import mod` may import a submodule: count pkg.mod as well.
            found.update(f"{stem}.{alias.name}" for alias in node.names if alias.name != "*")
    return found


def py_files(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_shared_imports_no_service():
    bad = {rel(p): sorted(m for m in imports_of(p) if m == "services" or m.startswith("services."))
           for p in py_files("shared")}
    assert {k: v for k, v in bad.items() if v} == {}


@pytest.mark.parametrize("folder", ["services", "shared"])
def test_runtime_never_imports_tools(folder):
    """The tooling (tools/) may import the services; nothing the services run may import it."""
    bad = {rel(p): sorted(m for m in imports_of(p) if m == "tools" or m.startswith("tools."))
           for p in py_files(folder)}
    assert {k: v for k, v in bad.items() if v} == {}


@pytest.mark.parametrize("service", sorted(DOMAIN_MODULES))
def test_services_do_not_import_each_other(service):
    others = [s for s in DOMAIN_MODULES if s != service]
    bad = {}
    for p in py_files(f"services/{service}"):
        hits = sorted(m for m in imports_of(p) for o in others
                      if m == f"services.{o}" or m.startswith(f"services.{o}.")
                      or m == "services.registry")
        if hits:
            bad[rel(p)] = hits
    assert bad == {}


def test_every_service_module_belongs_to_a_known_service():
    """Outside the composition root, every module sits in one service folder the rules above cover."""
    for p in py_files("services"):
        if rel(p) in COMPOSITION_ROOT or p.parent == ROOT / "services":
            continue
        assert rel(p).split("/")[1] in DOMAIN_MODULES, f"unexpected service folder for {rel(p)}"


def _domain_files() -> list[Path]:
    out = []
    for service, names in DOMAIN_MODULES.items():
        for name in names:
            for candidate in (ROOT / f"services/{service}/{name}.py", ROOT / f"services/{service}/{name}/__init__.py"):
                if candidate.exists():
                    out.append(candidate)
            pkg = ROOT / f"services/{service}/{name}"
            if pkg.is_dir():
                out.extend(p for p in pkg.rglob("*.py") if p.name != "__init__.py")
    return out


@pytest.mark.parametrize("path", _domain_files(), ids=rel)
def test_domain_modules_are_pure(path):
    bad = sorted(m for m in imports_of(path) if m.split(".")[0] in WEB_OR_DB or "routes" in m.split("."))
    assert bad == [], f"{rel(path)} is a domain module: no web framework, database or routes imports"


def test_checker_catches_violations(tmp_path):
    """The rules above notice a violation (guards against a checker that silently sees nothing)."""
    probe = tmp_path / "services" / "roadkill" / "routing.py"
    probe.parent.mkdir(parents=True)
    probe.write_text("from fastapi import APIRouter\nfrom ..peaks import models\nfrom .routes import x\n"
                     "import sqlalchemy.orm\nfrom . import geo\n")
    found = imports_of(probe, tmp_path)
    assert {"fastapi", "services.peaks", "services.peaks.models", "services.roadkill.routes",
            "services.roadkill.routes.x", "sqlalchemy.orm", "services.roadkill.geo"} <= found
