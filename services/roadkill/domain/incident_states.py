"""The incident state machine, loaded from data/incident_states.json (used by the API, autopilot and docs).

The table is a `shared.states` machine keyed by event; this module adds what is particular to
incidents: the Open311 status of each state, the closing outcomes, and the error wording.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from services.roadkill.domain.reference import DATA_DIR, read_json
from shared import states

STATES_FILE = DATA_DIR / "incident_states.json"

# A transition's `actor` is a party code, or "agency" = the incident's current responsible agency.
Transition = states.Transition


class IllegalTransition(states.IllegalTransition):
    """An event that the incident's current state does not allow; `allowed` lists what it does."""

    def __init__(self, state: str, event: str, allowed: list[str]):
        super().__init__(state, event, None, allowed)
        self.event = event
        listed = ", ".join(allowed) if allowed else "none (the incident is closed)"
        self.args = (f"'{event}' is not allowed while the incident is '{state}'; allowed now: {listed}",)


@dataclass(frozen=True)
class StateMachine:
    machine: states.Machine

    @property
    def version(self) -> str:
        return self.machine.version

    @property
    def initial(self) -> str:
        return self.machine.initial

    @cached_property
    def states(self) -> tuple[dict[str, Any], ...]:
        """Each state as written in the data file (code, labels, terminal, open311, description)."""
        return tuple(dict(s.data) for s in self.machine.states.values())

    @cached_property
    def outcomes(self) -> tuple[str, ...]:
        return tuple(o["code"] for o in self.machine.extra["outcomes"])

    @cached_property
    def transitions(self) -> dict[str, Transition]:
        return {t.key: t for t in self.machine.transitions}

    @property
    def codes(self) -> tuple[str, ...]:
        return self.machine.codes

    @cached_property
    def open_states(self) -> tuple[str, ...]:
        return tuple(c for c, s in self.machine.states.items() if s.data["open311"] == "open")

    @property
    def events(self) -> tuple[str, ...]:
        return tuple(self.transitions)

    def allowed(self, state: str) -> list[str]:
        """Events that may happen to an incident in `state`."""
        return self.machine.allowed(state)

    def check(self, state: str, event: str) -> Transition:
        """The transition for `event` from `state`, or IllegalTransition naming the allowed events.

        Who may make it (`t.actor`) and its required fields (`t.requires`) are checked by the caller,
        which knows the incident's responsible agency and the request body.
        """
        t = self.machine.find(state, event=event)
        if t is None:
            raise IllegalTransition(state, event, self.allowed(state))
        return t

    def open311_status(self, state: str) -> str:
        """Open311 knows only open and closed."""
        s = self.machine.states.get(state)
        return s.data["open311"] if s is not None else "open"

    def label(self, state: str) -> str:
        s = self.machine.states.get(state)
        return s.label if s is not None else state

    def as_table(self) -> list[dict[str, Any]]:
        """The transition table for documentation and the API (`GET /v1/incident-states`)."""
        return [{"event": t.event, "from": list(t.sources), "to": t.to, "actor": t.actor,
                 "requires": list(t.requires), "notifies": list(t.notifies), "description": t.description}
                for t in self.machine.transitions]


def load(path: Path | None = None) -> StateMachine:
    """Read and validate the table; the incident-specific parts (outcomes, Open311 status) checked here."""
    where = str(path or STATES_FILE)
    m = states.load_machine(read_json(path or STATES_FILE), where)
    for t in m.transitions:
        if t.event is None or len(t.actors) != 1:
            raise states.StateMachineError(f"{where}: transition to {t.to!r} needs an event and exactly one actor")
    bad = [c for c, s in m.states.items() if s.data.get("open311") != ("closed" if s.terminal else "open")]
    if bad:
        raise states.StateMachineError(f"{where}: states {bad} need open311 'closed' if terminal, else 'open'")
    if not m.extra.get("outcomes"):
        raise states.StateMachineError(f"{where}: `outcomes` lists no closing outcome")
    return StateMachine(m)


@lru_cache(maxsize=1)
def machine() -> StateMachine:
    return load()


def check_transition(state: str, event: str) -> Transition:
    """Module-level shortcut on the shipped table."""
    return machine().check(state, event)


def open311_status(state: str) -> str:
    return machine().open311_status(state)
