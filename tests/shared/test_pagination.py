"""Keyset pagination: every row exactly once, in order, whatever the data; bad cursors are 400."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select

from shared import pagination
from tests.shared.minisvc.app import note

BOB = {"authorization": "Bearer demo-bob"}
T0 = datetime(2026, 1, 1, tzinfo=UTC)

rows_strategy = st.lists(
    st.tuples(st.integers(min_value=0, max_value=5),  # few distinct times: many ties broken by id
              st.text(alphabet="0123456789ABCDEFGHJKMNPQRSTVWXYZ", min_size=1, max_size=6)),
    max_size=40, unique_by=lambda r: r[1])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows_strategy, limit=st.integers(min_value=1, max_value=7), descending=st.booleans())
def test_pages_cover_every_row_once_in_order(client, rows, limit, descending):
    p = client.app.state.platform
    with p.db.session() as s:
        s.execute(delete(note))
        if rows:
            s.execute(insert(note), [{"id": f"note_{i}", "text": "t", "status": "new",
                                      "created_at": T0 + timedelta(seconds=sec)} for sec, i in rows])
    expected = sorted(((T0 + timedelta(seconds=sec), f"note_{i}") for sec, i in rows), reverse=descending)
    seen: list[tuple[datetime, str]] = []
    cursor = None
    for _ in range(len(rows) + 2):
        q = pagination.keyset(select(note), [note.c.created_at, note.c.id], cursor, limit, descending=descending)
        with p.db.read_session() as s:
            got = s.execute(q).all()
        items, cursor = pagination.page(got, limit, key=lambda r: (r.created_at.isoformat(), r.id))
        assert len(items) <= limit
        seen.extend((r.created_at, r.id) for r in items)
        if cursor is None:
            break
    assert seen == expected


def test_http_pages_and_bad_cursor(client):
    ids = {client.post("/v1/notes", json={"text": f"n{i}", "notify": False},
                       headers={"authorization": "Bearer demo-alice"}).json()["id"] for i in range(7)}
    seen, cursor = [], None
    while True:
        r = client.get("/v1/notes", params={"limit": 3, **({"cursor": cursor} if cursor else {})}, headers=BOB)
        assert r.status_code == 200, r.text
        seen += [i["id"] for i in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 7 and set(seen) == ids
    assert seen == sorted(seen, reverse=True)  # ULIDs follow creation time

    for bad in ["garbage!!", pagination.encode_cursor(["x"]), pagination.encode_cursor(["not-a-date", "n"]),
                pagination.encode_cursor([{"a": 1}, "n"])]:
        r = client.get("/v1/notes", params={"cursor": bad}, headers=BOB)
        assert r.status_code == 400, (bad, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        body = r.json()
        assert body["type"].endswith("/problems/bad-cursor") and body["errors"][0]["field"] == "cursor"
        assert "cursor" in body["detail"]
