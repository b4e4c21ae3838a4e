"""Body limits match routes exactly, and callers without a valid credential cannot make the server read a
large body: a declared length over the limit is refused before a byte is read, a chunked body is cut off
once it passes the limit; the answer is a 413 problem.

The app is driven at the ASGI level with a `receive` that counts the body messages it hands out, so
"before reading" is observed directly rather than timed.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from shared import testing
from shared.body_limits import BodyLimits
from tests.reliability.support import create_app, quiet_settings
from tests.shared.minisvc.app import create_app as mini_app

CHUNK = 65_536
PHOTO = "/v1/photos"
REVIEW = "/v1/photos/pho_01JABCDEFGHJKMNPQRSTVWXYZ0/review"


class Posted:
    def __init__(self, status: int, body: bytes, pulled: int):
        self.status, self.body, self.pulled = status, body, pulled


def post(client: TestClient, path: str, headers: dict[str, str], size: int) -> Posted:
    """POSTs `size` bytes of JSON-ish filler in 64 KiB messages through the whole ASGI stack."""
    pulled = 0
    messages: list[dict] = []

    async def receive() -> dict:
        nonlocal pulled
        if pulled * CHUNK >= size:
            return {"type": "http.disconnect"}
        pulled += 1
        return {"type": "http.request", "body": b"[" + b"0," * (CHUNK // 2 - 1) + b"0",
                "more_body": pulled * CHUNK < size}

    async def send(message: dict) -> None:
        messages.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80), "state": {}}
    assert client.portal is not None
    client.portal.call(client.app, scope, receive, send)
    start = next(m for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return Posted(start["status"], body, pulled)


def assert_413(r: Posted, *, pulled_at_most: int, anonymous: bool) -> None:
    assert r.status == 413 and b"payload-too-large" in r.body, r.body[:300]
    assert (b"without a valid API key" in r.body) is anonymous, r.body[:300]
    assert r.pulled <= pulled_at_most, f"read {r.pulled} body messages before refusing"


@pytest.fixture
def peaks(tmp_path) -> Iterator[TestClient]:
    db = testing.database_overrides(tmp_path, "peaks")
    try:
        with TestClient(create_app("peaks", **quiet_settings(db, tmp_path)), raise_server_exceptions=False) as c:
            yield c
    finally:
        testing.drop_schema(db.get("db_schema"))


def test_route_limits_apply_to_their_route_only():
    limits = BodyLimits(1_000, {"/v1/photos": 26_000_000, "/v1/things/{thing_id}": 5_000})
    assert limits.for_path("/v1/photos") == 26_000_000
    assert limits.for_path("/v1/things/abc") == 5_000
    for path in ("/v1/photos/", REVIEW, "/v1/photosx", "/v1/things/abc/more", "/v1/things/"):
        assert limits.for_path(path) == 1_000, path


@given(tail=st.text(alphabet="abcdefghij0123456789_-/", min_size=1, max_size=40))
def test_no_path_below_a_limited_route_inherits_its_limit(tail):
    limits = BodyLimits(1_000, {"/v1/photos": 26_000_000})
    assert limits.for_path(f"/v1/photos/{tail}") == 1_000


def test_a_24_mb_anonymous_review_is_refused_before_reading(peaks):
    size = 24 * 1024 * 1024
    headers = {"content-type": "application/json", "content-length": str(size)}
    # The review route has the default limit (1 MiB), not the upload route's 26 MB: refused for anyone.
    assert_413(post(peaks, REVIEW, headers, size), pulled_at_most=0, anonymous=False)
    # Under the route's limit but over the anonymous one: refused for a caller without a credential.
    small = 200_000
    assert_413(post(peaks, REVIEW, {**headers, "content-length": str(small)}, small), pulled_at_most=0,
               anonymous=True)
    # A reviewer's key does not open the upload limit on the review route either.
    assert_413(post(peaks, REVIEW, {**headers, "authorization": "Bearer demo-ulju"}, size),
               pulled_at_most=0, anonymous=False)


def test_the_upload_route_takes_large_bodies_from_climbers_only(peaks):
    size = 2 * 1024 * 1024
    headers = {"content-type": "multipart/form-data; boundary=xyzzy", "content-length": str(size)}
    for caller in ({}, {"authorization": "Bearer clt_not-a-real-token"}, {"x-api-key": "wrong"}):
        assert_413(post(peaks, PHOTO, {**headers, **caller}, size), pulled_at_most=0, anonymous=True)
    token = peaks.post("/v1/climbers", json={"display_name": "Kim", "contact": "k@example.kr", "birth_year": 1980,
                                             "gallery_consent": False}).json()["token"]
    r = post(peaks, PHOTO, {**headers, "authorization": f"Bearer {token}"}, size)
    assert r.status != 413 and r.pulled * CHUNK >= size  # read in full: the route's own limit holds


@pytest.mark.parametrize("size", [10 * 1024 * 1024, 200_000])
def test_chunked_anonymous_bodies_are_cut_off_at_the_anonymous_limit(make_settings, size):
    with TestClient(mini_app(make_settings())) as c:
        limit = c.app.state.platform.settings.max_anonymous_body_bytes
        r = post(c, "/v1/notes", {"content-type": "application/json"}, size)
        assert_413(r, pulled_at_most=limit // CHUNK + 1, anonymous=True)
        authenticated = post(c, "/v1/notes", {"content-type": "application/json",
                                              "authorization": "Bearer demo-alice"}, size)
        if size > c.app.state.platform.settings.max_body_bytes:
            assert_413(authenticated, pulled_at_most=c.app.state.platform.settings.max_body_bytes // CHUNK + 1,
                       anonymous=False)
        else:
            assert authenticated.status == 422  # read in full, then refused for what it says


def test_small_anonymous_bodies_are_untouched(make_settings):
    with TestClient(mini_app(make_settings())) as c:
        r = c.post("/v1/notes", json={"text": "x"})
        assert r.status_code == 401  # the route's own answer, not a limit
