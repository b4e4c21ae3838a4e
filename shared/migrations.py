"""Per-service Alembic histories: configuration, upgrade to head, head checks, env.py runner."""
from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, text

VERSION_TABLE = "alembic_version"


def make_config(migrations_dir: Path, schema: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    cfg.attributes["schema"] = schema
    return cfg


def script_heads(migrations_dir: Path) -> set[str]:
    return set(ScriptDirectory.from_config(make_config(migrations_dir)).get_heads())


def current_heads(connection, schema: str | None) -> set[str]:
    ctx = MigrationContext.configure(connection, opts={"version_table_schema": schema})
    return set(ctx.get_current_heads())


def upgrade(db, migrations_dir: Path, revision: str = "head") -> None:
    """Applies migrations; concurrent starters on PostgreSQL wait for each other."""
    db.ensure_schema()
    cfg = make_config(migrations_dir, db.schema)
    with db.engine.begin() as conn:
        if not db.is_sqlite:
            conn.execute(text("SELECT pg_advisory_xact_lock(7311003)"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def stamp(db, migrations_dir: Path, revision: str = "head") -> None:
    cfg = make_config(migrations_dir, db.schema)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.stamp(cfg, revision)


def autogenerate(db, migrations_dir: Path, message: str) -> None:
    """Writes a new revision from the difference between models and the database."""
    cfg = make_config(migrations_dir, db.schema)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True)


def run_env(target_metadata: MetaData) -> None:
    """Body of every service's migrations/env.py (online mode on a passed connection)."""
    cfg = context.config
    connection = cfg.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `cpa migrate SERVICE` (it passes the connection)")
    schema = cfg.attributes.get("schema")
    context.configure(connection=connection, target_metadata=target_metadata,
                      version_table_schema=schema, render_as_batch=connection.dialect.name == "sqlite",
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
