"""Parties of a collaboration: who they are, their roles, and how the hub reaches them."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import Field, model_validator

from shared.reference import Frozen, Items, Text, Versioned, load


class PartyEntry(Frozen):
    """One entry of parties.json."""

    code: Text
    name: Text
    name_ko: str = ""
    roles: Items[str] = ()
    description: str = ""
    simulated: bool = True


class PartiesFile(Versioned):
    """parties.json: who takes part in a service's collaboration, and which party operates the hub."""

    operator: str
    parties: Annotated[Items[PartyEntry], Field(min_length=1)]

    @model_validator(mode="after")
    def _operator_is_a_party(self) -> PartiesFile:
        codes = [p.code for p in self.parties]
        if len(set(codes)) != len(codes):
            raise ValueError(f"duplicate party codes: {sorted({c for c in codes if codes.count(c) > 1})}")
        if self.operator not in codes:
            raise ValueError(f"operator: {self.operator!r} is not a party")
        return self


@dataclass(frozen=True)
class Party:
    code: str
    name: str
    name_ko: str = ""
    roles: frozenset[str] = field(default_factory=frozenset)
    description: str = ""
    simulated: bool = True  # played by the autopilot unless an external endpoint is configured


class PartyRegistry:
    """The parties of one service, in a fixed order (the order a trace diagram shows them)."""

    def __init__(self, parties: Iterable[Party], operator: str):
        self._parties = {p.code: p for p in parties}
        if operator not in self._parties:
            raise ValueError(f"operator {operator!r} is not a party")
        self.operator = operator

    @classmethod
    def from_json(cls, path: Path) -> PartyRegistry:
        """Read a service's parties.json; a malformed file raises ReferenceDataError naming file and field."""
        doc = load(path, PartiesFile)
        parties = [Party(code=p.code, name=p.name, name_ko=p.name_ko, roles=frozenset(p.roles),
                         description=p.description, simulated=p.simulated) for p in doc.parties]
        return cls(parties, operator=doc.operator)

    def __contains__(self, code: object) -> bool:
        return code in self._parties

    def __iter__(self) -> Iterator[Party]:
        return iter(self._parties.values())

    def __len__(self) -> int:
        return len(self._parties)

    def get(self, code: str) -> Party:
        return self._parties[code]

    def codes(self) -> list[str]:
        return list(self._parties)

    def with_role(self, role: str) -> list[str]:
        return [p.code for p in self if role in p.roles]
