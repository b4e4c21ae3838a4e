"""FastAPI dependencies every service shares: the running platform and database sessions.

Routes declare what they need in their signature instead of reaching into `request.app.state`:

    @router.post("/things")
    def create(platform: PlatformDep, s: SessionDep, body: ThingIn) -> ThingOut: ...

`SessionDep` is a write transaction that commits after the route function returns but *before* the
response is sent (a `function`-scoped dependency: FastAPI closes it ahead of sending), so a client
never gets a 2xx for something that was not stored; a failed commit reaches the error handlers and
answers problem+json (5xx). A route raising an error rolls the transaction back.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from shared.platform import Platform


def find_platform(conn: HTTPConnection) -> Platform[Any] | None:
    """The platform of the app serving the request, or None for an app built without `build_app`
    (the ui kit's own tests). The one place that reads `app.state.platform`."""
    return getattr(conn.app.state, "platform", None)


async def get_platform(request: Request) -> Platform[Any]:
    """The platform of the app serving the request (async: solved on the event loop, no thread hop)."""
    platform = find_platform(request)
    if platform is None:
        raise RuntimeError("this app has no platform: build it with shared.platform.build_app")
    return platform


PlatformDep = Annotated[Platform[Any], Depends(get_platform)]


def get_session(platform: PlatformDep) -> Iterator[Session]:
    """A write transaction (`Database.session()`): commits when the route returns, rolls back on error."""
    with platform.db.session() as s:
        yield s


def get_read_session(platform: PlatformDep) -> Iterator[Session]:
    """A read-only transaction (`Database.read_session()`), always rolled back."""
    with platform.db.read_session() as s:
        yield s


# scope="function": the session closes (and commits) before the response is sent.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]
