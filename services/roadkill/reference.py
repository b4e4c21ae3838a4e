"""Loaders and typed views of the roadkill reference data: agencies and species (versioned JSON files)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
SIZE_CLASSES = frozenset({"small", "medium", "large"})


class ReferenceDataError(ValueError):
    """A reference data file is missing or malformed; the message names the file and the entry."""


def read_json(path: Path) -> dict[str, Any]:
    """Read a JSON object from `path`, turning every failure into a ReferenceDataError naming it."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ReferenceDataError(f"{path}: file not found") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ReferenceDataError(f"{path}: not valid UTF-8 JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise ReferenceDataError(f"{path}: expected a JSON object at the top level")
    return doc


def _str(obj: dict[str, Any], key: str, where: str, *, optional: bool = False) -> str:
    value = obj.get(key)
    if value is None and optional:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise ReferenceDataError(f"{where}: `{key}` must be a non-empty string, got {value!r}")
    return value


def _versioned(doc: dict[str, Any], path: Path) -> tuple[str, str]:
    return _str(doc, "version", str(path)), _str(doc, "source", str(path))


@dataclass(frozen=True, slots=True)
class Agency:
    code: str
    kind: str  # road_agency | city | county | complaints | ministry | partner | province
    name_en: str
    name_ko: str
    manages: tuple[str, ...]
    legal_basis: str


@dataclass(frozen=True, slots=True)
class Agencies:
    version: str
    source: str
    by_code: dict[str, Agency]

    def get(self, code: str) -> Agency:
        try:
            return self.by_code[code]
        except KeyError:
            raise KeyError(
                f"unknown agency code {code!r}; known: {', '.join(sorted(self.by_code))}"
            ) from None


@dataclass(frozen=True, slots=True)
class Species:
    code: str
    name_en: str
    name_ko: str
    scientific_name: str
    protected: bool  # protected species' carcasses also go to the environment authorities
    size_class: str
    aliases_ko: tuple[str, ...]
    aliases_en: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SpeciesList:
    version: str
    source: str
    by_code: dict[str, Species]


def load_agencies(path: Path | None = None) -> Agencies:
    """Parse agencies.json (default: the shipped file)."""
    path = path or DATA_DIR / "agencies.json"
    doc = read_json(path)
    version, source = _versioned(doc, path)
    items = doc.get("agencies")
    if not isinstance(items, list) or not items:
        raise ReferenceDataError(f"{path}: `agencies` must be a non-empty list")
    by_code: dict[str, Agency] = {}
    for i, raw in enumerate(items):
        where = f"{path}: agencies[{i}]"
        if not isinstance(raw, dict):
            raise ReferenceDataError(f"{where}: expected an object")
        code = _str(raw, "code", where)
        if code in by_code:
            raise ReferenceDataError(f"{where}: duplicate code {code!r}")
        manages = raw.get("manages", [])
        if not isinstance(manages, list) or not all(isinstance(m, str) for m in manages):
            raise ReferenceDataError(f"{where}: `manages` must be a list of strings")
        by_code[code] = Agency(
            code=code,
            kind=_str(raw, "kind", where),
            name_en=_str(raw, "name_en", where),
            name_ko=_str(raw, "name_ko", where),
            manages=tuple(manages),
            legal_basis=_str(raw, "legal_basis", where, optional=True),
        )
    return Agencies(version=version, source=source, by_code=by_code)


def load_species(path: Path | None = None) -> SpeciesList:
    """Parse species.json (default: the shipped file); it must contain an `unknown` entry."""
    path = path or DATA_DIR / "species.json"
    doc = read_json(path)
    version, source = _versioned(doc, path)
    items = doc.get("species")
    if not isinstance(items, list) or not items:
        raise ReferenceDataError(f"{path}: `species` must be a non-empty list")
    by_code: dict[str, Species] = {}
    for i, raw in enumerate(items):
        where = f"{path}: species[{i}]"
        if not isinstance(raw, dict):
            raise ReferenceDataError(f"{where}: expected an object")
        code = _str(raw, "code", where)
        if code in by_code:
            raise ReferenceDataError(f"{where}: duplicate code {code!r}")
        size = _str(raw, "size_class", where)
        if size not in SIZE_CLASSES:
            raise ReferenceDataError(f"{where}: size_class {size!r} is not one of {sorted(SIZE_CLASSES)}")
        if not isinstance(raw.get("protected"), bool):
            raise ReferenceDataError(f"{where}: `protected` must be true or false")
        aliases = {}
        for key in ("aliases_ko", "aliases_en"):
            value = raw.get(key, [])
            if not isinstance(value, list) or not all(isinstance(a, str) and a.strip() for a in value):
                raise ReferenceDataError(f"{where}: `{key}` must be a list of non-empty strings")
            aliases[key] = tuple(value)
        by_code[code] = Species(
            code=code,
            name_en=_str(raw, "name_en", where),
            name_ko=_str(raw, "name_ko", where),
            scientific_name=_str(raw, "scientific_name", where),
            protected=raw["protected"],
            size_class=size,
            aliases_ko=aliases["aliases_ko"],
            aliases_en=aliases["aliases_en"],
        )
    if "unknown" not in by_code:
        raise ReferenceDataError(f"{path}: needs a species with code 'unknown' for unrecognised reports")
    return SpeciesList(version=version, source=source, by_code=by_code)


@lru_cache(maxsize=1)
def default_agencies() -> Agencies:
    return load_agencies()


@lru_cache(maxsize=1)
def default_species() -> SpeciesList:
    return load_species()
