"""The incident state machine, loaded from data/incident_states.json (used by the API, autopilot and docs)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from services.roadkill.reference import DATA_DIR, read_json

STATES_FILE = DATA_DIR / "incident_states.json"


class IllegalTransition(ValueError):
    """An event that the incident's current state does not allow; `allowed` lists what it does."""

    def __init__(self, state: str, event: str, allowed: list[str]):
        self.state, self.event, self.allowed = state, event, allowed
        listed = ", ".join(allowed) if allowed else "none (the incident is closed)"
        super().__init__(f"'{event}' is not allowed while the incident is '{state}'; allowed now: {listed}")


@dataclass(frozen=True, slots=True)
class Transition:
    event: str
    sources: tuple[str, ...]
    to: str
    actor: str  # a party code, or "agency" = the incident's current responsible agency
    requires: tuple[str, ...]
    notifies: tuple[str, ...]
    description: str


@dataclass(frozen=True, slots=True)
class StateMachine:
    version: str
    initial: str
    states: tuple[dict[str, Any], ...]
    outcomes: tuple[str, ...]
    transitions: dict[str, Transition]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(s["code"] for s in self.states)

    @property
    def open_states(self) -> tuple[str, ...]:
        return tuple(s["code"] for s in self.states if s["open311"] == "open")

    @property
    def events(self) -> tuple[str, ...]:
        return tuple(self.transitions)

    def allowed(self, state: str) -> list[str]:
        """Events that may happen to an incident in `state`."""
        return [t.event for t in self.transitions.values() if state in t.sources]

    def check(self, state: str, event: str) -> Transition:
        """The transition for `event` from `state`, or IllegalTransition naming the allowed events."""
        t = self.transitions.get(event)
        if t is None or state not in t.sources:
            raise IllegalTransition(state, event, self.allowed(state))
        return t

    def open311_status(self, state: str) -> str:
        """Open311 knows only open and closed."""
        return next((s["open311"] for s in self.states if s["code"] == state), "open")

    def label(self, state: str) -> str:
        return next((s["label"] for s in self.states if s["code"] == state), state)

    def as_table(self) -> list[dict[str, Any]]:
        """The transition table for documentation and the API (`GET /v1/incident-states`)."""
        return [{"event": t.event, "from": list(t.sources), "to": t.to, "actor": t.actor,
                 "requires": list(t.requires), "notifies": list(t.notifies), "description": t.description}
                for t in self.transitions.values()]


def load(path: Path | None = None) -> StateMachine:
    doc = read_json(path or STATES_FILE)
    codes = {s["code"] for s in doc["states"]}
    transitions: dict[str, Transition] = {}
    for raw in doc["transitions"]:
        t = Transition(event=raw["event"], sources=tuple(raw["from"]), to=raw["to"], actor=raw["actor"],
                       requires=tuple(raw.get("requires", [])), notifies=tuple(raw.get("notifies", [])),
                       description=raw.get("description", ""))
        unknown = ({t.to} | set(t.sources)) - codes
        if unknown:
            raise ValueError(f"{path or STATES_FILE}: transition {t.event!r} names unknown states {sorted(unknown)}")
        transitions[t.event] = t
    if doc["initial"] not in codes:
        raise ValueError(f"initial state {doc['initial']!r} is not a state")
    return StateMachine(version=doc["version"], initial=doc["initial"], states=tuple(doc["states"]),
                        outcomes=tuple(o["code"] for o in doc["outcomes"]), transitions=transitions)


@lru_cache(maxsize=1)
def machine() -> StateMachine:
    return load()


def check_transition(state: str, event: str) -> Transition:
    """Module-level shortcut on the shipped table."""
    return machine().check(state, event)


def open311_status(state: str) -> str:
    return machine().open311_status(state)
