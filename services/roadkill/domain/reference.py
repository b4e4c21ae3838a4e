"""Models and accessors of the roadkill reference data: agencies and species (versioned JSON files)."""

from __future__ import annotations

from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal, get_args

from pydantic import Field, model_validator

from shared.reference import Coded, Frozen, Items, ReferenceDataError, Text, Versioned, load, read_json

__all__ = [
    "DATA_DIR",
    "SIZE_CLASSES",
    "Agencies",
    "Agency",
    "ReferenceDataError",
    "Species",
    "SpeciesList",
    "default_agencies",
    "default_species",
    "load_agencies",
    "load_species",
    "read_json",
]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
SizeClass = Literal["small", "medium", "large"]
SIZE_CLASSES = frozenset(get_args(SizeClass))


class Agency(Frozen):
    code: Text
    kind: Text  # road_agency | city | county | complaints | ministry | partner | province
    name_en: Text
    name_ko: Text
    manages: Items[str] = ()
    legal_basis: Text = ""  # absent or null: none recorded

    @model_validator(mode="before")
    @classmethod
    def _null_legal_basis(cls, data: object) -> object:
        if isinstance(data, dict) and "legal_basis" in data and data["legal_basis"] is None:
            return {k: v for k, v in data.items() if k != "legal_basis"}
        return data


class Agencies(Versioned):
    """agencies.json: every agency a report may be routed to or copied to."""

    source: Text
    agencies: Coded[Agency] = Field(min_length=1)

    @cached_property
    def by_code(self) -> dict[str, Agency]:
        return {a.code: a for a in self.agencies}

    def get(self, code: str) -> Agency:
        try:
            return self.by_code[code]
        except KeyError:
            raise KeyError(
                f"unknown agency code {code!r}; known: {', '.join(sorted(self.by_code))}"
            ) from None


class Species(Frozen):
    code: Text
    name_en: Text
    name_ko: Text
    scientific_name: Text
    protected: bool  # protected species' carcasses also go to the environment authorities
    size_class: SizeClass
    aliases_ko: Items[Text] = ()
    aliases_en: Items[Text] = ()


class SpeciesList(Versioned):
    """species.json: the species a report may name; it must contain an `unknown` entry."""

    source: Text
    species: Coded[Species] = Field(min_length=1)

    @model_validator(mode="after")
    def _has_unknown(self) -> SpeciesList:
        if not any(s.code == "unknown" for s in self.species):
            raise ValueError("needs a species with code 'unknown' for unrecognised reports")
        return self

    @cached_property
    def by_code(self) -> dict[str, Species]:
        return {s.code: s for s in self.species}


def load_agencies(path: Path | None = None) -> Agencies:
    """Parse agencies.json (default: the shipped file)."""
    return load(path or DATA_DIR / "agencies.json", Agencies)


def load_species(path: Path | None = None) -> SpeciesList:
    """Parse species.json (default: the shipped file)."""
    return load(path or DATA_DIR / "species.json", SpeciesList)


@lru_cache(maxsize=1)
def default_agencies() -> Agencies:
    return load_agencies()


@lru_cache(maxsize=1)
def default_species() -> SpeciesList:
    return load_species()
