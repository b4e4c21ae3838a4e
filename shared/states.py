"""A state machine declared as data: states, transitions, who may make each one, and what each needs.

One JSON shape for every case (roadkill incidents, onestop referrals)::

    {
      "version": "…", "initial": "requested",
      "actors": {"hub": "who this is", "agency": "…"},
      "states": [{"code": "requested", "label": "Requested", "terminal": false, …any other keys…}],
      "transitions": [
        {"event": "rejected",                 # optional name; a transition is found by name or by target
         "from": ["requested"],               # or "*": every state but the target, terminal ones included
         "to": "rejected",
         "actors": ["agency"],                # the actor roles that may make it
         "requires": {"reason": ["not-eligible", "…"], "note": null},  # field → accepted values (null: any)
         "notifies": ["hub"], "description": "…"}
      ]
    }

`load_machine` validates the document (pydantic) and its graph (declared states and actors, reachable
states, a way out of every non-terminal state, none out of a terminal one but `"*"` corrections, unique
names and pairs). `Machine.check` says whether an actor may make a move, or what is allowed instead.
Pure: no web framework, no database; a service keeps only its case-specific rules on top.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

ANY_SOURCE = "*"


class StateMachineError(ValueError):
    """A state machine document is malformed or its graph inconsistent; the message says where."""


class TransitionError(ValueError):
    """A requested move cannot be made; subclasses carry what is accepted instead."""


class UnknownState(TransitionError):
    def __init__(self, state: str, known: list[str]) -> None:
        self.state, self.known = state, known
        super().__init__(f"unknown state {state!r}; known: {', '.join(known)}")


class UnknownActor(TransitionError):
    def __init__(self, actor: str, known: list[str]) -> None:
        self.actor, self.known = actor, known
        super().__init__(f"unknown actor {actor!r}; accepted: {', '.join(known)}")


class IllegalTransition(TransitionError):
    """No transition leads there from the current state (for this actor: `allowed` lists what does)."""

    def __init__(self, state: str, wanted: str, actor: str | None, allowed: list[str]) -> None:
        self.state, self.wanted, self.actor, self.allowed = state, wanted, actor, allowed
        who = f" for {actor}" if actor else ""
        super().__init__(f"{wanted!r} is not possible from {state!r}{who}; allowed: {', '.join(allowed) or 'nothing'}")


class ActorNotAllowed(IllegalTransition):
    """The transition exists but belongs to another actor; `permitted` names who may make it."""

    def __init__(self, state: str, wanted: str, actor: str, allowed: list[str], permitted: list[str]) -> None:
        super().__init__(state, wanted, actor, allowed)
        self.permitted = permitted
        self.args = (f"{actor} may not make {wanted!r} from {state!r}; only {', '.join(permitted)} may",)


class MissingRequirement(TransitionError):
    """A field the transition requires is absent, or has a value it does not accept."""

    def __init__(self, transition: Transition, name: str, accepted: list[str] | None, given: Any) -> None:
        self.transition, self.field, self.accepted, self.given = transition, name, accepted, given
        if given is None or given == "":
            what = "is required"
        else:
            what = f"does not accept {given!r}"
        listed = f"; accepted: {', '.join(accepted)}" if accepted else ""
        super().__init__(f"{name} {what} for {transition.key!r}{listed}")


# -- the document ----------------------------------------------------------------------------------

class _StateDoc(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    code: str = Field(min_length=1)
    label: str = Field(min_length=1)
    terminal: bool


class _TransitionDoc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    event: str | None = Field(default=None, min_length=1)
    sources: list[str] | Literal["*"] = Field(alias="from")
    to: str
    actors: list[str] = Field(min_length=1)
    requires: dict[str, list[str] | None] = {}
    notifies: list[str] = []
    description: str = ""

    @field_validator("sources")
    @classmethod
    def _some_source(cls, v: list[str] | str) -> list[str] | str:
        if isinstance(v, list) and not v:
            raise ValueError("lists no state; use a state list or '*'")
        return v


class _MachineDoc(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    version: str = Field(min_length=1)
    initial: str
    actors: dict[str, str] = Field(min_length=1)
    states: list[_StateDoc] = Field(min_length=1)
    transitions: list[_TransitionDoc]


# -- the machine -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class State:
    code: str
    label: str
    terminal: bool
    data: Mapping[str, Any]  # the state's object as written (label_ko, description, case-specific keys)


@dataclass(frozen=True, slots=True)
class Transition:
    event: str | None
    sources: tuple[str, ...]
    to: str
    actors: tuple[str, ...]
    requires: Mapping[str, tuple[str, ...] | None]
    notifies: tuple[str, ...] = ()
    description: str = ""
    from_any: bool = False  # declared with "from": "*"

    @property
    def key(self) -> str:
        """What callers name the transition by: its event, or else its target state."""
        return self.event or self.to

    @property
    def actor(self) -> str:
        """The one actor of a single-actor transition."""
        if len(self.actors) != 1:
            raise AttributeError(f"transition {self.key!r} has several actors: {', '.join(self.actors)}")
        return self.actors[0]


@dataclass(frozen=True)
class Machine:
    version: str
    initial: str
    states: Mapping[str, State]
    transitions: tuple[Transition, ...]
    actors: Mapping[str, str]
    extra: Mapping[str, Any] = field(default_factory=dict)  # the document's case-specific sections

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self.states)

    @property
    def terminal(self) -> frozenset[str]:
        return frozenset(c for c, s in self.states.items() if s.terminal)

    def state(self, code: str) -> State:
        """The declared state, or UnknownState naming the known ones."""
        try:
            return self.states[code]
        except KeyError:
            raise UnknownState(code, list(self.states)) from None

    def _actor(self, actor: str | None) -> None:
        if actor is not None and actor not in self.actors:
            raise UnknownActor(actor, list(self.actors))

    def moves(self, state: str, actor: str | None = None) -> list[Transition]:
        """Transitions out of `state` (that `actor` may make; anyone's when None), in table order."""
        self._actor(actor)
        return [t for t in self.transitions
                if state in t.sources and (actor is None or actor in t.actors)]

    def allowed(self, state: str, actor: str | None = None) -> list[str]:
        """Keys (event or target) of the moves out of `state`; [] for an unknown state."""
        return [t.key for t in self.moves(state, actor)]

    def find(self, state: str, *, event: str | None = None, to: str | None = None) -> Transition | None:
        """The transition out of `state` with that event name or that target, if there is one."""
        if (event is None) == (to is None):
            raise TypeError("name the transition by event or by target, not both")
        for t in self.transitions:
            if state in t.sources and (t.event == event if event is not None else t.to == to):
                return t
        return None

    def check(self, state: str, *, event: str | None = None, to: str | None = None, actor: str | None = None,
              given: Mapping[str, Any] | None = None) -> Transition:
        """The transition `actor` makes from `state` (by event or target) with the fields `given`.

        Raises UnknownActor, UnknownState, IllegalTransition (`allowed` for this actor),
        ActorNotAllowed (`permitted` actors) or MissingRequirement (the first field missing or refused).
        With actor=None the actor is not checked (the caller resolves who may act itself).
        """
        self._actor(actor)
        self.state(state)
        if to is not None:
            self.state(to)
        wanted = event if event is not None else to
        t = self.find(state, event=event, to=to)
        allowed = self.allowed(state, actor)
        if t is None:
            raise IllegalTransition(state, str(wanted), actor, allowed)
        if actor is not None and actor not in t.actors:
            raise ActorNotAllowed(state, str(wanted), actor, allowed, sorted(t.actors))
        values = given or {}
        for name, accepted in t.requires.items():
            value = values.get(name)
            if value is None or value == "" or (accepted is not None and value not in accepted):
                raise MissingRequirement(t, name, list(accepted) if accepted is not None else None, value)
        return t

    def reachable(self, start: str | None = None) -> set[str]:
        """States reachable from `start` (default: the initial state), itself included."""
        seen, todo = set(), [start or self.initial]
        while todo:
            s = todo.pop()
            if s not in seen:
                seen.add(s)
                todo.extend(t.to for t in self.moves(s))
        return seen


def load_machine(doc: Mapping[str, Any], where: str = "state machine") -> Machine:
    """Validate a document of the shape above and build its Machine (StateMachineError names the place)."""
    try:
        d = _MachineDoc.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise StateMachineError(f"{where}: {loc}: {first['msg']}") from None
    states: dict[str, State] = {}
    for s in d.states:
        if s.code in states:
            raise StateMachineError(f"{where}: state {s.code!r} declared twice")
        states[s.code] = State(s.code, s.label, s.terminal, MappingProxyType(s.model_dump()))

    def known(code: str, w: str) -> str:
        if code not in states:
            raise StateMachineError(f"{w}: unknown state {code!r}; known: {', '.join(states)}")
        return code

    known(d.initial, f"{where}.initial")
    transitions: list[Transition] = []
    names: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    for i, raw in enumerate(d.transitions):
        w = f"{where}.transitions[{i}]"
        to = known(raw.to, w)
        wildcard = raw.sources == ANY_SOURCE
        sources = tuple(s for s in states if s != to) if wildcard else tuple(known(s, w) for s in raw.sources)
        if not wildcard:
            closed = [s for s in sources if states[s].terminal]
            if closed:
                raise StateMachineError(f"{w}: terminal state {closed[0]!r} cannot have outgoing transitions "
                                        "(only a '*' transition, a correction, leaves a terminal state)")
        unknown_actors = [a for a in raw.actors if a not in d.actors]
        if unknown_actors:
            raise StateMachineError(f"{w}: actors {unknown_actors} are not declared in `actors`")
        if raw.event is not None:
            if raw.event in names:
                raise StateMachineError(f"{w}: event {raw.event!r} declared twice")
            names.add(raw.event)
        for pair in ((s, to) for s in sources):
            if pair in pairs:
                raise StateMachineError(f"{w}: a transition from {pair[0]!r} to {pair[1]!r} is declared twice")
            pairs.add(pair)
        transitions.append(Transition(
            event=raw.event, sources=sources, to=to, actors=tuple(raw.actors),
            requires=MappingProxyType({k: tuple(v) if v is not None else None for k, v in raw.requires.items()}),
            notifies=tuple(raw.notifies), description=raw.description, from_any=wildcard))
    extra = {k: v for k, v in doc.items() if k not in _MachineDoc.model_fields}
    machine = Machine(version=d.version, initial=d.initial, states=MappingProxyType(states),
                      transitions=tuple(transitions), actors=MappingProxyType(dict(d.actors)),
                      extra=MappingProxyType(extra))
    stuck = [c for c, s in states.items() if not s.terminal and not machine.moves(c)]
    if stuck:
        raise StateMachineError(f"{where}: non-terminal states {stuck} have no transition out (mark them terminal)")
    unreachable = [c for c in states if c not in machine.reachable()]
    if unreachable:
        raise StateMachineError(f"{where}: states {unreachable} cannot be reached from {d.initial!r}")
    return machine

