"""Database engines, sessions and conventions shared by every service (SQLite and PostgreSQL)."""
from __future__ import annotations

import functools
import hashlib
import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Integer,
    MetaData,
    Table,
    create_engine,
    event,
    insert,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from shared.db_errors import connection_error
from shared.settings import ServiceSettings

log = logging.getLogger("shared.db")

# One naming convention for every constraint, so Alembic migrations are stable and
# the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")


# Surrogate integer keys: BIGINT on PostgreSQL, INTEGER on SQLite (its autoincrement needs INTEGER).
SEQUENCE_ID = BigInteger().with_variant(Integer(), "sqlite")


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; SQLite gives them back aware too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type:
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


WAL_BACKSTOP_PAGES = 20_000  # 80 MB of WAL before a commit checkpoints by itself
CHECKPOINT_EVERY_S = 1.0


def _sqlite_pragmas(immediate: bool):
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own handling
        # would defer it and break BEGIN IMMEDIATE).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=10000")
        # Checkpoints (which fsync the database file) run in `Database`'s checkpointer thread,
        # not inside a committing request; this large limit is only the backstop if it lags.
        cur.execute(f"PRAGMA wal_autocheckpoint={WAL_BACKSTOP_PAGES}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    def on_begin(conn: Any) -> None:
        # Writers take the write lock at BEGIN: a read-then-write transaction in WAL mode
        # would otherwise fail with SQLITE_BUSY instead of waiting for the lock.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return on_connect, on_begin


def _make_engine(settings: ServiceSettings, *, immediate: bool) -> Engine:
    # hide_parameters: a database error's message otherwise carries the bound values
    # (names, phone numbers…) into the logged traceback.
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10},
                               pool_size=settings.db_pool_size, max_overflow=20, hide_parameters=True)
        on_connect, on_begin = _sqlite_pragmas(immediate)
        event.listen(engine, "connect", on_connect)
        event.listen(engine, "begin", on_begin)
        return engine
    schema = settings.schema
    engine = create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=10,
        pool_pre_ping=True,
        pool_timeout=10,
        hide_parameters=True,
        connect_args={"connect_timeout": 5, "options": f"-csearch_path={schema},public"},
    )
    return engine


class Database:
    """Engines and session factories of one service.

    On SQLite there are two engines on the same file: `session()` for writes begins
    IMMEDIATE (serialising writers, which makes check-then-insert safe), `read_session()`
    begins a plain deferred transaction so reads run concurrently. On PostgreSQL both
    are the same engine, and callers that need mutual exclusion use `advisory_lock`.
    """

    def __init__(self, settings: ServiceSettings):
        self.settings = settings
        self.is_sqlite = settings.is_sqlite
        self.engine = _make_engine(settings, immediate=True)
        self.read_engine = _make_engine(settings, immediate=False) if self.is_sqlite else self.engine
        self.Session = sessionmaker(self.engine, expire_on_commit=False)
        self.ReadSession = sessionmaker(self.read_engine, expire_on_commit=False)
        self.schema = settings.schema
        self._checkpointer: threading.Thread | None = None
        self._checkpoint_stop = threading.Event()

    def start_checkpointer(self) -> None:
        """SQLite: WAL checkpoints in a background thread, every `CHECKPOINT_EVERY_S`.

        SQLite's automatic checkpoint runs inside whichever commit crosses 1,000 WAL pages and
        fsyncs the database file there, stalling that request and every writer queued behind it
        (measured: 35 % of intake wall time idle in fsync). A PASSIVE checkpoint from another
        connection copies the same pages without blocking readers or writers. Durability is
        unchanged: commits were never fsynced in WAL mode with synchronous=NORMAL; the
        checkpoint only moves committed pages into the main file.
        """
        if not self.is_sqlite or ":memory:" in str(self.engine.url) or self._checkpointer is not None:
            return
        self._checkpoint_stop.clear()
        self._checkpointer = threading.Thread(target=self._checkpoint_loop, name="sqlite-checkpointer",
                                              daemon=True)
        self._checkpointer.start()

    def _checkpoint_loop(self) -> None:
        while not self._checkpoint_stop.wait(CHECKPOINT_EVERY_S):
            try:
                with self.read_engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception as exc:  # a missing file or a locked database: try again next time
                log.debug("checkpoint skipped: %s", exc)

    def stop_checkpointer(self) -> None:
        thread, self._checkpointer = self._checkpointer, None
        if thread is not None:
            self._checkpoint_stop.set()
            thread.join(5)

    def check_connection(self) -> None:
        """Opens one connection (what `cpa` does before migrating or serving); raises OperatorError
        naming the masked URL and the driver's reason when the database cannot be reached."""
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except (OperationalError, InterfaceError) as exc:
            raise connection_error(exc, self.settings, at_connect=True) from None

    def ensure_schema(self) -> None:
        if self.schema:
            with self.engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))

    def drop_schema(self) -> None:
        if self.schema:
            with self.engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A write transaction: commits on success, rolls back on any error."""
        with self.Session() as s:
            try:
                yield s
                s.commit()
            except BaseException:
                s.rollback()
                raise

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        with self.ReadSession() as s:
            try:
                yield s
            finally:
                s.rollback()

    def dispose(self) -> None:
        self.stop_checkpointer()
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()


def advisory_lock(session: Session, namespace: str, key: str) -> None:
    """Serialise concurrent writers on one logical key until the transaction ends.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: writers already hold the
    database write lock from BEGIN IMMEDIATE, so nothing more is needed.
    """
    advisory_locks(session, [(namespace, key)])


def advisory_locks(session: Session, keys: Iterable[tuple[str, str]]) -> None:
    """Several advisory locks in one round trip, always taken in ascending lock-id order.

    Every caller taking more than one lock goes through here, so two transactions never take
    the same two locks in opposite orders (no deadlock).
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    ids = sorted({int.from_bytes(hashlib.blake2b(f"{ns}:{key}".encode(), digest_size=8).digest(), "big",
                                 signed=True) for ns, key in keys})
    if len(ids) == 1:
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ids[0]})
    elif ids:
        # The sorted subquery feeds the lock calls row by row, in its order.
        session.execute(text("SELECT count(pg_advisory_xact_lock(k)) FROM "
                             "(SELECT unnest(CAST(:ks AS bigint[])) AS k ORDER BY k) AS sorted_keys"),
                        {"ks": ids})


# -- rows written at the end of a group-commit batch -------------------------------------------------
DEFERRED = "deferred_inserts"


@functools.cache
def _insert(table: Table):
    """One INSERT construct per table, executed with parameter dicts: SQLAlchemy's compiled cache
    then serves every call (building `.values(...)` anew costs ~40 µs on the hot path)."""
    return insert(table)


def insert_row(session: Session, table: Table, row: dict[str, Any]) -> None:
    """Inserts an append-only row: at once, or inside a `shared.writer` batch together with the
    batch's other rows of that table (one executemany per table just before the commit).

    Only for rows nothing in the same transaction reads back (outbox, trace, history); tables are
    flushed parents first (the metadata's dependency order), so a row follows the rows it refers to.
    """
    buffer = session.info.get(DEFERRED)
    if buffer is None:
        session.execute(_insert(table), row)
    else:
        buffer.setdefault(table, []).append(row)


def defer_inserts(session: Session) -> None:
    session.info[DEFERRED] = {}


def flush_inserts(session: Session) -> None:
    buffer = session.info.pop(DEFERRED, None)
    if not buffer:
        return
    # Parents before children (foreign keys are checked per statement), whatever order jobs used.
    order = {t: i for i, t in enumerate(next(iter(buffer)).metadata.sorted_tables)}
    for table in sorted(buffer, key=lambda t: order.get(t, len(order))):
        session.execute(_insert(table), buffer[table])
