"""shared.states: the loader keeps every machine sound, and `check` allows exactly the declared moves.

Property-based (hypothesis): machines are generated at random, valid by construction, and then broken
on purpose; the two shipped tables (roadkill incidents, onestop referrals) are checked the same way.
"""
from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared import states
from shared.states import (
    ActorNotAllowed,
    IllegalTransition,
    MissingRequirement,
    StateMachineError,
    UnknownActor,
    UnknownState,
    load_machine,
)

ACTORS = ["hub", "agency", "ministry"]
REASONS = ["r1", "r2", "r3"]


@st.composite
def machine_docs(draw) -> dict[str, Any]:
    """A valid document: every state reachable from s0, no way out of a terminal state but the
    optional correction ("from": "*"), every non-terminal state with a way out."""
    n = draw(st.integers(min_value=2, max_value=7))
    codes = [f"s{i}" for i in range(n)]
    terminal = [False] + [draw(st.booleans()) for _ in range(n - 1)]
    open_codes = [c for c, t in zip(codes, terminal, strict=True) if not t]
    actors = st.lists(st.sampled_from(ACTORS), min_size=1, max_size=3, unique=True)
    requires = st.dictionaries(st.sampled_from(["reason", "note"]),
                               st.none() | st.lists(st.sampled_from(REASONS), min_size=1, unique=True), max_size=2)
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for i in range(1, n):  # a spanning tree from s0: each state entered from an earlier open state
        src = draw(st.sampled_from([c for c in codes[:i] if c in open_codes]))
        pairs[(src, codes[i])] = {}
    for c in open_codes:  # no dead end
        if not any(src == c for src, _ in pairs):
            pairs[(c, "s0")] = {}
    extra = draw(st.lists(st.tuples(st.sampled_from(open_codes), st.sampled_from(codes)), max_size=8))
    for pair in extra:
        pairs.setdefault(pair, {})
    transitions = [{"from": [src], "to": dst, "actors": draw(actors), "requires": draw(requires)}
                   for (src, dst) in pairs]
    states_ = [{"code": c, "label": c.upper(), "terminal": t} for c, t in zip(codes, terminal, strict=True)]
    if draw(st.booleans()):  # a correction from any state into a state of its own
        states_.append({"code": "void", "label": "Void", "terminal": True})
        transitions.append({"from": "*", "to": "void", "actors": draw(actors)})
    return {"version": "t", "initial": "s0", "actors": {a: a for a in ACTORS},
            "states": states_, "transitions": draw(st.permutations(transitions))}


def shipped() -> list[states.Machine]:
    from services.onestop.domain import referral_states
    from services.roadkill.domain import incident_states

    return [incident_states.machine().machine, referral_states.table().machine]


def _given(t: states.Transition) -> dict[str, str]:
    """Values that satisfy every requirement of `t`."""
    return {name: (accepted[0] if accepted else "x") for name, accepted in t.requires.items()}


def _assert_sound(m: states.Machine) -> None:
    assert m.reachable() == set(m.states)
    for code, s in m.states.items():
        moves = m.moves(code)
        if s.terminal:
            assert all(t.from_any for t in moves), f"{code} is terminal but has {[t.key for t in moves]}"
        else:
            assert moves, f"{code} is a dead end"
        for t in moves:
            assert t.to != code or not t.from_any


@settings(max_examples=200, deadline=None)
@given(machine_docs())
def test_generated_machines_load_and_are_sound(doc):
    _assert_sound(load_machine(doc))


@pytest.mark.parametrize("machine", shipped(), ids=["roadkill-incidents", "onestop-referrals"])
def test_shipped_machines_are_sound(machine):
    _assert_sound(machine)
    for state in machine.terminal:
        assert [t for t in machine.moves(state) if not t.from_any] == []


@settings(max_examples=200, deadline=None)
@given(machine_docs(), st.data())
def test_check_allows_exactly_the_declared_moves(doc, data):
    m = load_machine(doc)
    state = data.draw(st.sampled_from(list(m.states)), label="state")
    target = data.draw(st.sampled_from(list(m.states)), label="target")
    actor = data.draw(st.sampled_from(ACTORS), label="actor")
    t = m.find(state, to=target)
    good = data.draw(st.booleans(), label="requirements met")
    values = _given(t) if t is not None and good else {}
    try:
        made = m.check(state, to=target, actor=actor, given=values)
    except ActorNotAllowed as exc:
        assert t is not None and actor not in t.actors and exc.permitted == sorted(t.actors)
        assert target not in exc.allowed and exc.allowed == m.allowed(state, actor)
    except IllegalTransition as exc:
        assert t is None and exc.allowed == m.allowed(state, actor) and target not in exc.allowed
    except MissingRequirement as exc:
        assert t is not None and actor in t.actors and not good and exc.field in t.requires
    else:
        assert made is t and actor in t.actors and (good or not t.requires)
        assert target in m.allowed(state, actor)


@settings(max_examples=100, deadline=None)
@given(machine_docs(), st.text(min_size=1).filter(lambda a: a not in ACTORS))
def test_unknown_actor_is_refused(doc, stranger):
    m = load_machine(doc)
    t = m.transitions[0]
    with pytest.raises(UnknownActor) as info:
        m.check(t.sources[0], to=t.to, actor=stranger, given=_given(t))
    assert info.value.known == ACTORS
    with pytest.raises(UnknownActor):
        m.allowed(t.sources[0], stranger)


@settings(max_examples=100, deadline=None)
@given(machine_docs(), st.lists(st.tuples(st.integers(0, 10), st.sampled_from(ACTORS)), max_size=20))
def test_random_walks_stay_on_declared_states(doc, steps):
    m = load_machine(doc)
    state = m.initial
    for pick, actor in steps:
        moves = m.moves(state, actor)
        if not moves:
            continue
        t = moves[pick % len(moves)]
        assert m.check(state, to=t.to, actor=actor, given=_given(t)) is t
        state = t.to
        assert state in m.states
        if m.states[state].terminal:
            assert all(t.from_any for t in m.moves(state))


# -- the loader refuses unsound tables -------------------------------------------------------------

@settings(max_examples=100, deadline=None)
@given(machine_docs(), st.data())
def test_a_transition_out_of_a_terminal_state_is_refused(doc, data):
    closed = [s["code"] for s in doc["states"] if s["terminal"] and s["code"] != "void"]
    if not closed:
        closed = [doc["states"][-1]["code"]]
        doc["states"][-1]["terminal"] = True
    broken = copy.deepcopy(doc)
    src = data.draw(st.sampled_from(closed))
    broken["transitions"].append({"from": [src], "to": "s0" if src != "s0" else "s1", "actors": ["hub"]})
    with pytest.raises(StateMachineError, match=f"terminal state '{src}' cannot have outgoing"):
        load_machine(broken)


@settings(max_examples=100, deadline=None)
@given(machine_docs())
def test_an_unreachable_state_is_refused(doc):
    doc["states"].append({"code": "island", "label": "Island", "terminal": True})
    with pytest.raises(StateMachineError, match=r"\['island'\] cannot be reached from 's0'"):
        load_machine(doc)


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["transitions"].append({"from": ["s0"], "to": "s1", "actors": ["hub"]}), "declared twice"),
    (lambda d: d["transitions"].append({"from": ["s0"], "to": "nowhere", "actors": ["hub"]}),
     "unknown state 'nowhere'"),
    (lambda d: d["transitions"][0].update(actors=["stranger"]), r"actors \['stranger'\] are not declared"),
    (lambda d: d["transitions"][0].update(actors=[]), "actors"),
    (lambda d: d.update(initial="s9"), "initial: unknown state 's9'"),
    (lambda d: d["states"].append({"code": "s2", "label": "S2", "terminal": False}) or
     d["transitions"].append({"from": ["s0"], "to": "s2", "actors": ["hub"]}),
     r"non-terminal states \['s2'\] have no transition out"),
    (lambda d: d["transitions"][0].update(event="go") or d["transitions"][1].update(event="go"),
     "event 'go' declared twice"),
    (lambda d: d["states"][0].pop("terminal"), r"states\.0\.terminal"),
    (lambda d: d["transitions"][0].update(**{"from": []}), "lists no state"),
])
def test_malformed_tables_are_refused_with_the_place(change, message):
    doc = {"version": "t", "initial": "s0", "actors": {"hub": "the hub"},
           "states": [{"code": "s0", "label": "S0", "terminal": False}, {"code": "s1", "label": "S1", "terminal": True}],
           "transitions": [{"from": ["s0"], "to": "s1", "actors": ["hub"]},
                           {"from": ["s0"], "to": "s0", "actors": ["hub"]}]}
    load_machine(copy.deepcopy(doc))  # the unchanged table is fine
    change(doc)
    with pytest.raises(StateMachineError, match=message):
        load_machine(doc, "t.json")


def test_requirements_name_the_field_and_what_is_accepted():
    m = load_machine({"version": "t", "initial": "open", "actors": {"clerk": "c"},
                      "states": [{"code": "open", "label": "Open", "terminal": False},
                                 {"code": "shut", "label": "Shut", "terminal": True}],
                      "transitions": [{"event": "close", "from": ["open"], "to": "shut", "actors": ["clerk"],
                                       "requires": {"reason": ["done", "dup"], "note": None}}]})
    with pytest.raises(MissingRequirement, match="reason is required for 'close'; accepted: done, dup"):
        m.check("open", event="close", actor="clerk")
    with pytest.raises(MissingRequirement, match="reason does not accept 'bored'") as info:
        m.check("open", event="close", actor="clerk", given={"reason": "bored", "note": "n"})
    assert info.value.field == "reason" and info.value.accepted == ["done", "dup"]
    with pytest.raises(MissingRequirement, match="note is required"):
        m.check("open", event="close", actor="clerk", given={"reason": "dup", "note": ""})
    assert m.check("open", event="close", actor="clerk", given={"reason": "dup", "note": "n"}).to == "shut"
    with pytest.raises(UnknownState, match="unknown state 'ajar'; known: open, shut"):
        m.check("ajar", event="close", actor="clerk")
    with pytest.raises(IllegalTransition, match="'close' is not possible from 'shut' for clerk; allowed: nothing"):
        m.check("shut", event="close", actor="clerk")
