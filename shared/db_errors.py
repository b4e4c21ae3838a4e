"""Telling an operator that the database cannot be reached, in words, with the password masked."""
from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError

from shared.settings import OperatorError, ServiceSettings


def connection_error(exc: BaseException, settings: ServiceSettings, *,
                     at_connect: bool = False) -> OperatorError | None:
    """An OperatorError for "cannot reach or open the database", else None (a genuine bug stays a bug).

    `at_connect`: the error came from opening a connection, so it is a connection failure whatever
    its text. The message shows the URL with its password masked and the driver's first line with
    any occurrence of the password removed (drivers name host, port and user, not the password).
    """
    if not isinstance(exc, OperationalError | InterfaceError):
        return None
    text = str(exc.orig if exc.orig is not None else exc).strip()
    if not (at_connect or _looks_like_connection_failure(text)):
        return None
    reason = (text.splitlines()[0] if text else type(exc).__name__).removeprefix("connection failed: ")
    password = make_url(settings.resolved_database_url).password
    if password:
        reason = reason.replace(password, "***")
    if settings.is_sqlite:
        hint = "check that the SQLite file's directory exists and is writable, or fix DATABASE_URL"
    else:
        hint = "start PostgreSQL, or fix host, port, user, password or database name in DATABASE_URL"
    return OperatorError(f"cannot connect to the database {settings.masked_database_url}: {reason}", hint)


_CONNECTION_MARKERS = ("connection", "connect to server", "could not translate host name", "name or service not known",
                       "timeout expired", "password authentication failed", "authentication failed",
                       "does not exist", "no pg_hba.conf entry", "unable to open database file",
                       "server closed the connection", "the database system is starting up",
                       "too many clients", "ssl", "role")


def _looks_like_connection_failure(message: str) -> bool:
    text = message.lower()
    return any(marker in text for marker in _CONNECTION_MARKERS)
