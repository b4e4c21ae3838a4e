"""What every `cpa seed SERVICE` command shares: database options, a migrated platform, safe logging,
time-ordered ids, bulk writing helpers, progress lines and the statistics refresh after a load."""
from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.engine import Connection

from shared import migrations
from shared.platform import Platform, ServiceSpec


def add_database_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", help="default: DATABASE_URL / the service's configured database")
    parser.add_argument("--db-schema", help="PostgreSQL schema (default: the service name)")


def safe_url(settings) -> str:
    """The database URL without its credentials (never print a password), with the schema."""
    url = settings.resolved_database_url
    if "@" in url:
        scheme, rest = url.split("://", 1)
        url = f"{scheme}://…@{rest.split('@', 1)[1]}"
    return url + (f" (schema {settings.schema})" if not settings.is_sqlite else "")


@contextmanager
def migrated_platform(spec: ServiceSpec, settings_cls: type, args: argparse.Namespace) -> Iterator[Platform]:
    """The service's platform on the chosen database, migrated to head; disposed afterwards."""
    overrides: dict[str, Any] = {}
    if getattr(args, "database_url", None):
        overrides["database_url"] = args.database_url
    if getattr(args, "db_schema", None):
        overrides["db_schema"] = args.db_schema
    platform = Platform(spec, settings_cls(**overrides))
    try:
        t0 = time.perf_counter()
        migrations.upgrade(platform.db, spec.migrations_dir)
        print(f"migrations at head ({time.perf_counter() - t0:.1f} s) on {safe_url(platform.settings)}", flush=True)
        yield platform
    finally:
        platform.db.dispose()


# --------------------------------------------------------------------------- row helpers every seeder uses

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid(ms: int, rng: random.Random) -> str:
    """A 26-character ULID: `ms` (Unix milliseconds) then 80 random bits, in Crockford base 32.

    Ids made in creation order sort in creation order, as the services' own ids do.
    """
    value = (ms << 80) | rng.getrandbits(80)
    out = [""] * 26
    for k in range(25, -1, -1):
        out[k] = _CROCKFORD[value & 31]
        value >>= 5
    return "".join(out)


def pick(rng: random.Random, pairs: Sequence[tuple[Any, float]]) -> Any:
    """A value drawn from (value, weight) pairs."""
    r, acc = rng.random() * sum(w for _, w in pairs), 0.0
    for value, w in pairs:
        acc += w
        if r < acc:
            return value
    return pairs[-1][0]


def sqlite_datetime(value: datetime) -> str:
    """A datetime as SQLAlchemy's SQLite DateTime writes it (UTC, naive text), so reads and comparisons match."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def copy_rows(conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """PostgreSQL: rows (values in `columns` order) through COPY on the connection's driver (psycopg)."""
    raw = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
        for r in rows:
            copy.write_row(r)


def progress_printer(noun: str, every: int) -> Callable[[int, int], None]:
    """A `progress(done, total)` that prints a line each time `done` passes a multiple of `every`, and at the end."""
    t0 = time.perf_counter()
    last = 0

    def progress(done: int, total: int) -> None:
        nonlocal last
        if done == total or done // every != last:
            last = done // every
            print(f"  {done:,} / {total:,} {noun} ({time.perf_counter() - t0:.1f} s)", flush=True)

    return progress


def refresh_statistics(platform: Platform, table: Table, *, every_table: bool = False) -> tuple[int, float]:
    """ANALYZE after a bulk load (`table`, or every table); returns (rows now in `table`, seconds taken)."""
    t0 = time.perf_counter()
    with platform.db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE" if every_table else f"ANALYZE {table.name}")
    with platform.db.read_session() as s:
        total = s.execute(select(func.count()).select_from(table)).scalar_one()
    return total, time.perf_counter() - t0
