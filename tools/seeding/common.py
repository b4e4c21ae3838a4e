"""What every `cpa seed SERVICE` command shares: database options, a migrated platform, safe logging."""
from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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
