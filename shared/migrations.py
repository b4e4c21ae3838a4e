"""Per-service Alembic histories: configuration, upgrade to head, head checks, env.py runner.

A service whose migrations folder has an `alembic.ini` names its version locations there; the
three services list their own versions/ and the shared `platform` branch (shared/platform_migrations),
which `%(platform_versions)s` points at. A history without an alembic.ini is self-contained.
"""
from __future__ import annotations

from pathlib import Path

from alembic import command, context, util
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, text

from shared import platform_migrations

VERSION_TABLE = "alembic_version"
INI = "alembic.ini"


def make_config(migrations_dir: Path, schema: str | None = None) -> Config:
    ini = Path(migrations_dir) / INI
    if ini.is_file():
        cfg = Config(str(ini), config_args={"platform_versions": str(platform_migrations.VERSIONS)})
    else:
        cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    cfg.attributes["schema"] = schema
    return cfg


def _heads(script: ScriptDirectory) -> set[str]:
    """The revisions a database at head has in its version table.

    Alembic lists a revision that another one `depends_on` (the root of the platform branch) among
    the heads, but once its dependant is applied the version table names only the dependant.
    """
    needed: set[str] = set()
    for rev in script.walk_revisions():
        for dep in util.to_tuple(rev.dependencies, default=()):
            needed.update(r.revision for r in script.get_revisions(dep) if r is not None)
    return set(script.get_heads()) - needed


def script_heads(migrations_dir: Path) -> set[str]:
    return _heads(ScriptDirectory.from_config(make_config(migrations_dir)))


def own_head(migrations_dir: Path) -> str:
    """The head of the service's own history (not of the platform branch): where a new revision goes.

    `head` for an empty history (its first revision)."""
    script = ScriptDirectory.from_config(make_config(migrations_dir))
    own = sorted(h for h in _heads(script) if platform_migrations.BRANCH not in script.get_revision(h).branch_labels)
    if len(own) > 1:
        raise RuntimeError(f"{migrations_dir}: the service's own history has several heads {own}; "
                           "merge them first (alembic merge)")
    return own[0] if own else "head"


def _target(revision: str) -> str:
    """`head` means every branch (the service's own and the platform branch)."""
    return "heads" if revision == "head" else revision


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
        command.upgrade(cfg, _target(revision))


def stamp(db, migrations_dir: Path, revision: str = "head") -> None:
    cfg = make_config(migrations_dir, db.schema)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.stamp(cfg, _target(revision))


def autogenerate(db, migrations_dir: Path, message: str, head: str | None = None) -> None:
    """Writes a new revision from the difference between models and the database.

    It goes on the service's own head unless `head` says otherwise (`platform@head` for a change
    of shared/tables.py, written to shared/platform_migrations/versions).
    """
    cfg = make_config(migrations_dir, db.schema)
    head = head or own_head(migrations_dir)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True, head=head)


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
