"""Referral state machine: every legal move works, every illegal one explains what is allowed."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.onestop.domain import referral_states as rs
from services.onestop.domain.referral_states import (
    IllegalTransition,
    InvalidOutcome,
    MissingReason,
    check_transition,
)

T = rs.table()
STATES = list(T.states)
EXPECTED = {
    "requested": {"accepted", "rejected", "cancelled", "entered-in-error"},
    "accepted": {"in-progress", "on-hold", "completed", "failed", "cancelled", "entered-in-error"},
    "in-progress": {"on-hold", "completed", "failed", "cancelled", "entered-in-error"},
    "on-hold": {"in-progress", "completed", "failed", "cancelled", "entered-in-error"},
}


def good_args(target):
    """Arguments that satisfy the reason/outcome requirements of `target`."""
    args = {}
    if target in T.reasons:
        args["reason"] = T.reasons[target][0]
    if target == "completed":
        args.update(outcome="loan-granted", amount_krw=5_000_000)
    return args


def test_table_matches_the_fhir_sdoh_machine():
    for state in STATES:
        assert set(rs.allowed_from(state)) == EXPECTED.get(state, set()) | (
            {"entered-in-error"} if state != "entered-in-error" else set()
        )
    assert rs.terminal_states() == {"rejected", "completed", "failed", "cancelled", "entered-in-error"}
    assert rs.allowed_from("requested", "hub") == ["cancelled", "entered-in-error"]
    assert rs.allowed_from("requested", "agency") == ["accepted", "rejected", "entered-in-error"]


@pytest.mark.parametrize(("current", "target"), sorted(T.moves))
def test_every_legal_transition_works_for_its_actor(current, target):
    for actor in T.moves[(current, target)]:
        assert check_transition(current, target, actor=actor, **good_args(target)) is None


@pytest.mark.parametrize(
    ("current", "target"), [pair for pair in itertools.product(STATES, STATES) if pair not in T.moves]
)
def test_every_illegal_transition_raises_with_allowed_list(current, target):
    for actor in rs.ACTORS:
        with pytest.raises(IllegalTransition) as info:
            check_transition(current, target, actor=actor, **good_args(target))
        assert info.value.allowed == rs.allowed_from(current, actor)
        assert target not in info.value.allowed


def test_wrong_actor_is_told_who_may():
    with pytest.raises(IllegalTransition, match="only agency may") as info:
        check_transition("requested", "accepted", actor="hub")
    assert info.value.allowed == ["cancelled", "entered-in-error"]
    with pytest.raises(IllegalTransition, match="only hub may"):
        check_transition("in-progress", "cancelled", actor="agency", reason="duplicate")


@pytest.mark.parametrize("target", ["rejected", "on-hold", "failed", "cancelled"])
def test_reason_required(target):
    current = "requested" if target == "rejected" else "accepted"
    actor = "hub" if target == "cancelled" else "agency"
    with pytest.raises(MissingReason) as info:
        check_transition(current, target, actor=actor)
    assert info.value.accepted == list(T.reasons[target])
    with pytest.raises(MissingReason, match="does not accept reason 'bored'"):
        check_transition(current, target, actor=actor, reason="bored")


def test_completion_needs_an_outcome_and_loans_an_amount():
    with pytest.raises(InvalidOutcome, match="needs an outcome"):
        check_transition("in-progress", "completed", actor="agency")
    with pytest.raises(InvalidOutcome, match="needs amount_krw"):
        check_transition("in-progress", "completed", actor="agency", outcome="loan-granted")
    check_transition("in-progress", "completed", actor="agency", outcome="job-placed")
    check_transition("on-hold", "completed", actor="agency", outcome="debt-adjusted")


def test_unknown_state_is_named():
    with pytest.raises(rs.UnknownState, match="unknown referral status 'closed'"):
        check_transition("closed", "requested", actor="hub")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(STATES), st.sampled_from(rs.ACTORS), st.booleans()), max_size=12))
def test_random_sequences_never_reach_an_invalid_state(steps):
    state = T.initial_state
    for target, actor, well_formed in steps:
        args = good_args(target) if well_formed else {}
        try:
            check_transition(state, target, actor=actor, **args)
        except rs.TransitionError:
            continue
        assert (state, target) in T.moves and actor in T.moves[(state, target)]
        if target in T.reasons:
            assert args.get("reason") in T.reasons[target]
        state = target
    assert state in T.states
    if state == "entered-in-error":
        assert rs.allowed_from(state) == []
    elif state in T.terminal:
        assert rs.allowed_from(state) == ["entered-in-error"]
