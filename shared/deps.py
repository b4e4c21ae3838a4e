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

from shared.platform import Platform


def get_platform(request: Request) -> Platform[Any]:
    """The platform of the app serving the request (the one place that reads `app.state`)."""
    return request.app.state.platform


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
