"""Closed-loop referral state machine, driven by the transition table in data/referral_transitions.json."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from services.onestop.reference import ReferenceDataError, read_data_file, req

Actor = Literal["hub", "agency"]
ACTORS: tuple[Actor, ...] = ("hub", "agency")


class TransitionError(ValueError):
    """Base class: a requested status change cannot be made; the message says what is accepted."""


class UnknownState(TransitionError):
    def __init__(self, state: str, known: list[str]) -> None:
        self.state, self.known = state, known
        super().__init__(f"unknown referral status {state!r}; known: {', '.join(known)}")


class IllegalTransition(TransitionError):
    """The move is not in the table, or the actor is not the party allowed to make it."""

    def __init__(self, current: str, target: str, actor: str, allowed: list[str], message: str) -> None:
        self.current, self.target, self.actor, self.allowed = current, target, actor, allowed
        super().__init__(message)


class MissingReason(TransitionError):
    """The target status needs a statusReason (FHIR SDOH: rejected, cancelled, on-hold, failed)."""

    def __init__(self, target: str, accepted: list[str], given: str | None = None) -> None:
        self.target, self.accepted, self.given = target, accepted, given
        what = "needs a reason" if given is None else f"does not accept reason {given!r}"
        super().__init__(f"status {target!r} {what}; accepted reasons: {', '.join(accepted)}")


class InvalidOutcome(TransitionError):
    """Completion needs a known outcome code, and an amount for outcomes such as loan-granted."""

    def __init__(self, message: str, accepted: list[str]) -> None:
        self.accepted = accepted
        super().__init__(message)


@dataclass(frozen=True)
class TransitionTable:
    version: str
    initial_state: str
    states: dict[str, dict[str, Any]]
    terminal: frozenset[str]
    moves: dict[tuple[str, str], frozenset[str]]  # (from, to) -> actors allowed to make the move
    reasons: dict[str, tuple[str, ...]]  # target -> accepted reason codes (presence = reason required)
    outcome_codes: dict[str, str]
    completion_state: str
    completion_outcomes: dict[str, bool]  # code -> requires_amount


def parse_table(doc: Mapping[str, Any], where: str = "referral_transitions.json") -> TransitionTable:
    """Validate the table: known states, known actors, reasons drawn from the outcome codes."""
    states = req(doc, "states", dict, where)
    terminal = frozenset(
        s for s, meta in states.items() if req(meta, "terminal", bool, f"{where}.states.{s}")
    )

    def state(name: str, w: str) -> str:
        if name not in states:
            raise ReferenceDataError(f"{w}: unknown state {name!r}")
        return name

    def actors(names: list[str], w: str) -> frozenset[str]:
        bad = set(names) - set(ACTORS)
        if bad or not names:
            raise ReferenceDataError(f"{w}: actors must be a non-empty subset of {ACTORS}, got {names}")
        return frozenset(names)

    moves: dict[tuple[str, str], frozenset[str]] = {}
    for i, t in enumerate(req(doc, "transitions", list, where)):
        w = f"{where}.transitions[{i}]"
        src, dst = state(req(t, "from", str, w), w), state(req(t, "to", str, w), w)
        if src in terminal:
            raise ReferenceDataError(f"{w}: terminal state {src!r} cannot have outgoing transitions")
        moves[(src, dst)] = actors([req(t, "actor", str, w)], w)
    for i, t in enumerate(doc.get("from_any", [])):
        w = f"{where}.from_any[{i}]"
        dst = state(req(t, "to", str, w), w)
        for src in states:
            if src != dst:
                moves[(src, dst)] = actors(req(t, "actors", list, w), w)
    codes = req(doc, "outcome_codes", dict, where)
    reasons = {}
    for target, accepted in req(doc, "reason_required", dict, where).items():
        state(target, f"{where}.reason_required")
        unknown = set(accepted) - set(codes)
        if unknown:
            raise ReferenceDataError(
                f"{where}.reason_required.{target}: codes {sorted(unknown)} not in outcome_codes"
            )
        reasons[target] = tuple(accepted)
    completion = req(doc, "completion", dict, where)
    return TransitionTable(
        version=req(doc, "version", str, where),
        initial_state=state(req(doc, "initial_state", str, where), where),
        states=states,
        terminal=terminal,
        moves=moves,
        reasons=reasons,
        outcome_codes=codes,
        completion_state=state(req(completion, "state", str, f"{where}.completion"), f"{where}.completion"),
        completion_outcomes={
            code: req(meta, "requires_amount", bool, f"{where}.completion.outcomes.{code}")
            for code, meta in req(completion, "outcomes", dict, f"{where}.completion").items()
        },
    )


@cache
def table() -> TransitionTable:
    """The shipped transition table, parsed once."""
    return parse_table(read_data_file("referral_transitions.json"))


def _known(state: str, t: TransitionTable) -> None:
    if state not in t.states:
        raise UnknownState(state, list(t.states))


def allowed_from(state: str, actor: Actor | None = None, *, t: TransitionTable | None = None) -> list[str]:
    """Target states reachable from `state` (by `actor`, or by anyone when actor is None), in table order."""
    t = t or table()
    _known(state, t)
    return [dst for (src, dst), who in t.moves.items() if src == state and (actor is None or actor in who)]


def is_terminal(state: str, *, t: TransitionTable | None = None) -> bool:
    t = t or table()
    _known(state, t)
    return state in t.terminal


def terminal_states(*, t: TransitionTable | None = None) -> frozenset[str]:
    return (t or table()).terminal


def check_transition(
    current: str,
    target: str,
    *,
    actor: Actor,
    reason: str | None = None,
    outcome: str | None = None,
    amount_krw: int | None = None,
    t: TransitionTable | None = None,
) -> None:
    """Return None if `actor` may move a referral from `current` to `target`, else raise.

    Raises UnknownState, IllegalTransition (with `.allowed` for this actor), MissingReason
    (reason absent or not accepted for the target) or InvalidOutcome (completion without a
    known outcome, or loan-granted without an amount).
    """
    t = t or table()
    if actor not in ACTORS:
        raise IllegalTransition(
            current, target, str(actor), [], f"unknown actor {actor!r}; accepted: hub, agency"
        )
    _known(current, t)
    _known(target, t)
    allowed = allowed_from(current, actor, t=t)
    if target not in allowed:
        who = t.moves.get((current, target))
        if who:
            # The move exists but belongs to the other party (FHIR: requester vs. performer).
            msg = f"{actor} may not move a referral from {current!r} to {target!r}; only {', '.join(sorted(who))} may"
        elif current in t.terminal:
            msg = f"referral is {current!r}, a final status; {actor} may move it only to: {', '.join(allowed) or 'nothing'}"
        else:
            msg = f"cannot move a referral from {current!r} to {target!r}; {actor} may move it to: {', '.join(allowed)}"
        raise IllegalTransition(current, target, actor, allowed, msg)
    if target in t.reasons:
        if reason is None or reason not in t.reasons[target]:
            raise MissingReason(target, list(t.reasons[target]), reason)
    if target == t.completion_state:
        accepted = list(t.completion_outcomes)
        if outcome not in t.completion_outcomes:
            got = "no outcome" if outcome is None else f"outcome {outcome!r}"
            raise InvalidOutcome(
                f"completing a referral needs an outcome; got {got}; accepted: {', '.join(accepted)}",
                accepted,
            )
        if t.completion_outcomes[outcome] and (amount_krw is None or amount_krw <= 0):
            raise InvalidOutcome(f"outcome {outcome!r} needs amount_krw > 0 (e.g. the loan amount)", accepted)


def describe() -> list[dict[str, Any]]:
    """The table as rows {from, to, actors, reason_required, reasons} for docs and the UI."""
    t = table()
    return [
        {
            "from": src,
            "to": dst,
            "actors": sorted(who),
            "reason_required": dst in t.reasons,
            "reasons": list(t.reasons.get(dst, ())),
        }
        for (src, dst), who in t.moves.items()
    ]
