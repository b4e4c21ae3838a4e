"""FastAPI dependencies every service shares: the running platform and database sessions.

Routes declare what they need in their signature instead of reaching into `request.app.state`:

    @router.post("/things")
    def create(platform: PlatformDep, s: SessionDep, body: ThingIn) -> ThingOut: ...

`SessionDep` is a write transaction that commits after the route function returns but *before* the
response is sent (a `function`-scoped dependency: FastAPI closes it ahead of sending), so a client
never gets a 2xx for something that was not stored; a failed commit reaches the error handlers and
answers problem+json (5xx). A route raising an error rolls the transaction back. The sessions' queries
block, so routes that take one are plain `def` routes (FastAPI runs them in a worker thread).
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractContextManager, asynccontextmanager
from typing import Annotated, Any

import anyio
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


@asynccontextmanager
async def _transaction(cm: AbstractContextManager[Session]) -> AsyncIterator[Session]:
    """Runs a `Database` session context: entered on the event loop (it only creates the Session; the
    connection is taken at the first statement, in the route's thread), left in a worker thread (the
    commit or rollback is I/O). One thread hop fewer per request than a sync generator dependency."""
    session = cm.__enter__()
    try:
        yield session
    except BaseException as exc:
        await anyio.to_thread.run_sync(cm.__exit__, type(exc), exc, exc.__traceback__)
        raise
    await anyio.to_thread.run_sync(cm.__exit__, None, None, None)


async def get_session(platform: PlatformDep) -> AsyncIterator[Session]:
    """A write transaction (`Database.session()`): commits when the route returns, rolls back on error."""
    async with _transaction(platform.db.session()) as s:
        yield s


async def get_read_session(platform: PlatformDep) -> AsyncIterator[Session]:
    """A read-only transaction (`Database.read_session()`), always rolled back."""
    async with _transaction(platform.db.read_session()) as s:
        yield s


# scope="function": the session closes (and commits) before the response is sent.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]
