"""`cpa seed onestop`: a small synthetic history on the test database keeps every domain rule the API keeps,
and the agency API lists it exactly as the hub's ORM view shows it."""
from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from services.onestop.domain import referral_states
from services.onestop.domain.consent_policy import consent_policy
from services.onestop.domain.eligibility import age_on
from services.onestop.domain.reference import directory
from services.onestop.flows.common import HUB, KST, pseudonym
from services.onestop.models import Case, Consent, Referral, ReferralEvent, Resident
from services.onestop.schemas import AgencyReferralPage, Assessment
from tools.seeding import onestop as seeding

N = 300
HUB_ONLY = {"case_id", "agenda_item_id"}


@pytest.fixture(scope="module")
def seeded(shared_api):
    p = shared_api.platform
    summary = seeding.seed_referrals(p.db.engine, N, secret=p.settings.secret_key.get_secret_value(), rng=random.Random(3),
                                     batch=120, keep_ids=True)
    with p.db.read_session() as s:
        # plain rows (attribute access like the models), read once for every test of the module
        data = {m.__tablename__: s.execute(select(m.__table__)).all() for m in (Resident, Case, Consent, Referral)}
        t = ReferralEvent.__table__
        data["events"] = s.execute(select(t).order_by(t.c.id)).all()
    return shared_api, summary, data


def test_counts_and_summary(seeded):
    _, summary, data = seeded
    assert summary.referrals == N == len(data["referral"]) == len(summary.referral_ids)
    assert summary.residents == len(data["resident"]) == len(data["case"]) == summary.cases
    assert summary.consents == len(data["consent"]) and summary.events == len(data["events"])
    assert sum(summary.by_status.values()) == N
    assert Counter(r.status for r in data["referral"]) == Counter(summary.by_status)
    now = datetime.now(UTC)
    assert all(summary.start <= r.created_at <= now for r in data["referral"])
    # a history over months, not one instant; and several agencies
    assert max(r.created_at for r in data["referral"]) - min(r.created_at for r in data["referral"]) > \
        timedelta(days=90)
    assert len(summary.by_agency) >= 5


def test_residents_and_cases_follow_the_rules(seeded):
    api, _, data = seeded
    secret = api.platform.settings.secret_key.get_secret_value()
    cases = {c.resident_id: c for c in data["case"]}
    assert len({r.pseudonym for r in data["resident"]}) == len(data["resident"])
    for r in data["resident"]:
        assert r.pseudonym == pseudonym(secret, r.id)
        case = cases[r.id]
        assert case.created_at >= r.created_at
        # the stored age is the completed years on the day the case was opened (Korean time)
        assert case.age == age_on(r.birth_date, case.created_at.astimezone(KST).date())
        Assessment(**case.assessment)  # the assessment is one the API itself would accept
        assert case.urgent_flag_count == len(case.urgent_flags) and case.status in ("open", "closed")


def test_every_referral_has_its_case_resident_and_consent(seeded):
    _, _, data = seeded
    d = directory()
    t = referral_states.table()
    policy = consent_policy()
    cases = {c.id: c for c in data["case"]}
    consents = {c.id: c for c in data["consent"]}
    open_pairs = Counter()
    for ref in data["referral"]:
        case = cases[ref.case_id]
        assert case.resident_id == ref.resident_id
        svc = d.service(ref.service_key)
        assert svc.id == ref.service_id and svc.agency == ref.agency != d.operator and svc.status == "active"
        con = consents[ref.consent_id]
        assert (con.resident_id, con.agency) == (ref.resident_id, ref.agency)
        assert con.taken_at <= ref.created_at and con.superseded_at is None
        assert not set(con.categories) & {c for c, cat in policy.categories.items() if cat.sensitive}
        assert bool(con.sensitive_categories) == con.sensitive_consent
        assert con.notice_recipient and con.notice_items and con.purpose
        # PIPA Art. 37: after a withdrawal only completed referrals keep access, open ones were cancelled
        if con.withdrawn_at is not None and ref.status != "completed":
            assert ref.access_revoked
        if ref.access_revoked:
            assert con.withdrawn_at is not None and ref.status in t.terminal
        assert ref.status in t.states
        if ref.status not in t.terminal:
            open_pairs[(ref.resident_id, ref.service_key)] += 1
    assert max(open_pairs.values(), default=1) == 1  # never two open referrals to one service


def test_histories_walk_the_transition_table(seeded):
    _, _, data = seeded
    t = referral_states.table()
    events = defaultdict(list)
    for e in data["events"]:
        events[e.referral_id].append(e)
    assert set(events) == {r.id for r in data["referral"]}
    for ref in data["referral"]:
        hist = events[ref.id]
        first = hist[0]
        assert (first.from_status, first.to_status, first.party, first.version, first.at) == \
            (None, t.initial_state, HUB, 1, ref.created_at)
        for prev, e in zip(hist, hist[1:], strict=False):
            assert e.from_status == prev.to_status and e.at >= prev.at and e.version == prev.version + 1
            actor = "hub" if e.party == HUB else "agency"
            assert actor == "hub" or e.party == ref.agency
            referral_states.check_transition(e.from_status, e.to_status, actor=actor, reason=e.reason,
                                             outcome=e.outcome, amount_krw=e.amount_krw)
        last = hist[-1]
        assert (ref.status, ref.version, ref.status_changed_at) == (last.to_status, last.version, last.at)
        assert (ref.accepted_at is not None) == any(e.to_status == "accepted" for e in hist)
        assert (ref.completed_at is not None) == (ref.status == t.completion_state)
        assert (ref.outcome is not None) == (ref.status == t.completion_state)
        if ref.status in t.reasons:
            assert ref.reason in t.reasons[ref.status]
        assert ref.sent_at == ref.created_at <= ref.status_changed_at


def _pages(api, party: str, path: str, **params) -> list[dict]:
    items, cursor = [], None
    while True:
        q = {"limit": 37, **params, **({"cursor": cursor} if cursor else {})}
        r = api.get(path, party=party, params=q)
        assert r.status_code == 200, r.text
        if path == "/v1/agency/referrals":  # the page the OpenAPI document describes
            AgencyReferralPage.model_validate(r.json())
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if not cursor:
            return items


def test_agency_list_returns_the_seeded_referrals(seeded):
    """Every agency pages through exactly its own referrals, newest first, item for item what the hub's
    ORM-built view shows without the hub-only fields."""
    api, summary, data = seeded
    by_agency = defaultdict(list)
    for ref in data["referral"]:
        by_agency[ref.agency].append(ref)
    for agency, refs in by_agency.items():
        listed = _pages(api, agency, "/v1/agency/referrals")
        expected = sorted(refs, key=lambda r: (r.created_at, r.id), reverse=True)
        assert [i["id"] for i in listed] == [r.id for r in expected]
        hub_view = _pages(api, HUB, "/v1/referrals", agency=agency)
        assert listed == [{k: v for k, v in h.items() if k not in HUB_ONLY} for h in hub_view]
        for item in listed:
            assert set(item) == {"id", "agency", "service_key", "service_id", "status", "version", "reason",
                                 "outcome", "amount_krw", "access_revoked", "created_at", "status_changed_at",
                                 "sent_at", "accepted_at", "completed_at"}
            assert item["created_at"].endswith("+09:00") and "name" not in item
    # the status filter uses the same path and gives the same subset
    agency, refs = max(by_agency.items(), key=lambda kv: len(kv[1]))
    status = Counter(r.status for r in refs).most_common(1)[0][0]
    listed = _pages(api, agency, "/v1/agency/referrals", status=status)
    assert [i["id"] for i in listed] == [r.id for r in sorted((r for r in refs if r.status == status),
                                                             key=lambda r: (r.created_at, r.id), reverse=True)]


def test_agency_reads_follow_consent(seeded):
    api, _, data = seeded
    revoked = [r for r in data["referral"] if r.access_revoked]
    readable = [r for r in data["referral"] if not r.access_revoked][:5]
    pseudonyms = {r.id: r.pseudonym for r in data["resident"]}
    for ref in readable:
        r = api.get(f"/v1/agency/referrals/{ref.id}", party=ref.agency)
        assert r.status_code == 200, r.text
        assert r.json()["resident_ref"] == pseudonyms[ref.resident_id]
    for ref in revoked[:3]:
        assert api.get(f"/v1/agency/referrals/{ref.id}", party=ref.agency).status_code == 410


def test_cli_main_seeds_the_configured_database(tmp_path, monkeypatch, capsys):
    if api_backend_is_postgres():
        pytest.skip("the CLI path is the same on PostgreSQL; the module fixture covers the writes there")
    url = f"sqlite:///{tmp_path}/cli.db"
    assert seeding.main(["--referrals", "40", "--database-url", url, "--months", "3"]) == 0
    out = capsys.readouterr().out
    assert "seeded 40 referrals" in out and "40 referrals stored in total" in out


def api_backend_is_postgres() -> bool:
    from shared import testing

    return testing.using_postgres()


def test_list_time_formatting_matches_iso():
    """The agency list formats stored UTC text without datetimes: the same strings `iso()` makes."""
    from services.onestop.flows.common import iso, iso_from_utc_text, utc_isoformat

    rng = random.Random(5)
    base = datetime(2024, 2, 28, 14, 59, 59, tzinfo=UTC)
    samples = [base + timedelta(seconds=rng.randrange(0, 3 * 366 * 86400), microseconds=rng.choice((0, rng.randrange(10**6))))
               for _ in range(2000)]
    samples += [datetime(2024, 12, 31, 15, 0, tzinfo=UTC), datetime(2025, 2, 28, 15, 30, 0, 1, tzinfo=UTC)]
    for dt in samples:
        raw = dt.strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLite stores it (PostgreSQL: to_char, same layout)
        assert iso_from_utc_text(raw) == iso(dt)
        assert utc_isoformat(raw) == dt.isoformat()
        assert iso_from_utc_text(dt) == iso(dt)  # other databases hand back datetimes
    assert iso_from_utc_text(None) is None
