"""Closed-loop referral state machine, driven by the transition table in data/referral_transitions.json.

The table is a `shared.states` machine keyed by target status (FHIR Task.status); this module keeps
what is particular to referrals: the two FHIR roles, statusReason codes per target, and the
completion outcomes (with the amount a loan needs), and words its errors for the referral API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from services.onestop.domain.reference import ReferenceDataError, read_data_file, req
from shared import states

Actor = Literal["hub", "agency"]
ACTORS: tuple[Actor, ...] = ("hub", "agency")


# The shared machine's errors, worded for the referral API.
TransitionError = states.TransitionError


class UnknownState(states.UnknownState):
    def __init__(self, state: str, known: list[str]) -> None:
        super().__init__(state, known)
        self.args = (f"unknown referral status {state!r}; known: {', '.join(known)}",)


class IllegalTransition(states.IllegalTransition):
    """The move is not in the table, or the actor is not the party allowed to make it."""

    def __init__(self, current: str, target: str, actor: str, allowed: list[str], message: str) -> None:
        super().__init__(current, target, actor, allowed)
        self.args = (message,)


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
    """The shared machine plus the referral-specific views the API, UI and seeder read."""

    machine: states.Machine
    version: str
    initial_state: str
    states: dict[str, dict[str, Any]]  # code -> {label, label_ko, terminal}
    terminal: frozenset[str]
    moves: dict[tuple[str, str], frozenset[str]]  # (from, to) -> actors allowed to make the move
    reasons: dict[str, tuple[str, ...]]  # target -> accepted reason codes (presence = reason required)
    outcome_codes: dict[str, str]
    completion_state: str
    completion_outcomes: dict[str, bool]  # code -> requires_amount


def parse_table(doc: Mapping[str, Any], where: str = "referral_transitions.json") -> TransitionTable:
    """Validate the table (shared.states) and the referral rules: the two FHIR actors, one reason
    list per target drawn from the outcome codes, and a completion state that requires an outcome."""
    try:
        m = states.load_machine(doc, where)
    except states.StateMachineError as exc:
        raise ReferenceDataError(str(exc)) from None
    if set(m.actors) != set(ACTORS):
        raise ReferenceDataError(f"{where}.actors: must be exactly {ACTORS}, got {sorted(m.actors)}")
    codes = req(doc, "outcome_codes", dict, where)
    reasons: dict[str, tuple[str, ...]] = {}
    for i, t in enumerate(m.transitions):
        w = f"{where}.transitions[{i}]"
        if t.event is not None:
            raise ReferenceDataError(f"{w}: referral transitions are named by their target; drop `event`")
        extra = set(t.requires) - {"reason", "outcome"}
        if extra:
            raise ReferenceDataError(f"{w}: requires only `reason` or `outcome`, got {sorted(extra)}")
        accepted = t.requires.get("reason")
        if "reason" in t.requires:
            unknown = set(accepted or ()) - set(codes)
            if accepted is None or unknown:
                raise ReferenceDataError(f"{w}.requires.reason: must list codes from outcome_codes; "
                                         f"unknown: {sorted(unknown)}")
            if reasons.setdefault(t.to, accepted) != accepted:
                raise ReferenceDataError(f"{w}.requires.reason: {t.to!r} has another reason list elsewhere")
        elif t.to in reasons:
            raise ReferenceDataError(f"{w}: {t.to!r} needs a reason on every transition into it")
    completion = req(doc, "completion", dict, where)
    completion_state = req(completion, "state", str, f"{where}.completion")
    if completion_state not in m.states:
        raise ReferenceDataError(f"{where}.completion: unknown state {completion_state!r}")
    into = [t for t in m.transitions if t.to == completion_state]
    if req(completion, "outcome_required", bool, f"{where}.completion") and \
            not all("outcome" in t.requires for t in into):
        raise ReferenceDataError(f"{where}.completion: every transition to {completion_state!r} must require `outcome`")
    moves: dict[tuple[str, str], frozenset[str]] = {}
    for explicit in (True, False):  # table order: a state's own moves, then the corrections from any state
        for src in m.states:
            for t in m.moves(src):
                if t.from_any != explicit:
                    moves[(src, t.to)] = frozenset(t.actors)
    return TransitionTable(
        machine=m,
        version=m.version,
        initial_state=m.initial,
        states={c: {k: v for k, v in s.data.items() if k != "code"} for c, s in m.states.items()},
        terminal=m.terminal,
        moves=moves,
        reasons=reasons,
        outcome_codes=codes,
        completion_state=completion_state,
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
    return t.machine.allowed(state, actor)


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
    try:
        t.machine.check(current, to=target, actor=actor, given={"reason": reason, "outcome": outcome})
    except states.UnknownActor:
        raise IllegalTransition(
            current, target, str(actor), [], f"unknown actor {actor!r}; accepted: {', '.join(ACTORS)}"
        ) from None
    except states.UnknownState as exc:
        raise UnknownState(exc.state, exc.known) from None
    except states.ActorNotAllowed as exc:
        # The move exists but belongs to the other party (FHIR: requester vs. performer).
        raise IllegalTransition(current, target, actor, exc.allowed,
                                f"{actor} may not move a referral from {current!r} to {target!r}; "
                                f"only {', '.join(exc.permitted)} may") from None
    except states.IllegalTransition as exc:
        allowed = ", ".join(exc.allowed)
        if current in t.terminal:
            msg = f"referral is {current!r}, a final status; {actor} may move it only to: {allowed or 'nothing'}"
        else:
            msg = f"cannot move a referral from {current!r} to {target!r}; {actor} may move it to: {allowed}"
        raise IllegalTransition(current, target, actor, exc.allowed, msg) from None
    except states.MissingRequirement as exc:
        if exc.field == "reason":
            raise MissingReason(target, exc.accepted or [], exc.given) from None
        accepted = list(t.completion_outcomes)
        got = "no outcome" if exc.given is None else f"outcome {exc.given!r}"
        raise InvalidOutcome(
            f"completing a referral needs an outcome; got {got}; accepted: {', '.join(accepted)}", accepted
        ) from None
    if target == t.completion_state:
        accepted = list(t.completion_outcomes)
        if outcome not in t.completion_outcomes:
            raise InvalidOutcome(
                f"completing a referral needs an outcome; got outcome {outcome!r}; accepted: {', '.join(accepted)}",
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
