"""Parties of a collaboration: who they are, their roles, and how the hub reaches them."""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path


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
        doc = json.loads(path.read_text(encoding="utf-8"))
        parties = [Party(code=p["code"], name=p["name"], name_ko=p.get("name_ko", ""),
                         roles=frozenset(p.get("roles", [])), description=p.get("description", ""),
                         simulated=p.get("simulated", True)) for p in doc["parties"]]
        return cls(parties, operator=doc["operator"])

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
