"""Every API key has its own short random public id; `cpa keys revoke` takes exactly one key.

Party codes share starts (`chungnam`, `chungnam-road`), so a key prefix without a random part named
several parties' keys at once: `cpa keys revoke --prefix cpa_chungnam` revoked three keys of two
parties. Keys created before the public id existed get one from the migration.
"""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import column, insert, select, table
from sqlalchemy.exc import IntegrityError

from shared import auth, migrations
from shared.db import UTCDateTime
from shared.platform import Platform
from tests.shared.conftest import REAL_SECRET
from tools import cli

SERVICE_NAME = "roadkill"
PLATFORM_ROOT = "ba00a79a251d"


@pytest.fixture
def roadkill_env(db_overrides, monkeypatch):
    """`cpa` run in this process against the test database, outside demo mode."""
    monkeypatch.setenv("DATABASE_URL", db_overrides["database_url"])
    if "db_schema" in db_overrides:
        monkeypatch.setenv("DB_SCHEMA", db_overrides["db_schema"])
    monkeypatch.setenv("DEMO_MODE", "false")
    monkeypatch.setenv("SECRET_KEY", REAL_SECRET)
    return db_overrides


def _cpa(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _active(db_overrides) -> dict[str, str]:
    """public id → party of the active keys."""
    from services.roadkill.app import SPEC, Settings

    platform = Platform(SPEC, Settings(**db_overrides, demo_mode=False, secret_key=REAL_SECRET))
    try:
        t = platform.tables.api_key
        with platform.db.read_session() as s:
            return dict(s.execute(select(t.c.public_id, t.c.party).where(t.c.revoked_at.is_(None))).all())
    finally:
        platform.db.dispose()


def test_a_shared_prefix_is_refused_and_an_id_revokes_exactly_one_key(roadkill_env, capsys):
    keys = []
    for party in ("chungnam", "chungnam", "chungnam-road"):
        code, out, _ = _cpa(capsys, "keys", "create", "--service", "roadkill", "--party", party)
        assert code == 0
        keys.append(out.strip().splitlines()[-1])
    ids = list(_active(roadkill_env))
    assert len(ids) == 3 and all(len(i) == auth.PUBLIC_ID_LENGTH for i in ids)
    # Each key carries its own id, and `list` shows every id.
    assert sorted(k.split("_")[2] for k in keys) == sorted(ids)
    code, listed, _ = _cpa(capsys, "keys", "list", "--service", "roadkill")
    assert code == 0 and all(i in listed for i in ids) and not any(k in listed for k in keys)

    # The 12-character prefix of every chungnam key, and of the chungnam-road key, is the same.
    assert keys[0][:12] == keys[1][:12] == keys[2][:12] == "cpa_chungnam"
    code, out, err = _cpa(capsys, "keys", "revoke", "--service", "roadkill", "--prefix", "cpa_chungnam")
    assert code == 2 and "matches 3 keys" in err and "nothing was revoked" in err and "--id" in err
    assert len(_active(roadkill_env)) == 3

    target = ids[0]
    code, out, _ = _cpa(capsys, "keys", "revoke", "--service", "roadkill", "--id", target)
    assert code == 0 and "revoked 1 key" in out and target in out
    assert set(_active(roadkill_env)) == set(ids) - {target}
    # Revoking it again finds no active key.
    code, _, err = _cpa(capsys, "keys", "revoke", "--service", "roadkill", "--id", target)
    assert code == 2 and "no active key" in err


def test_an_id_start_naming_two_keys_is_refused(roadkill_env, capsys, monkeypatch):
    fixed = iter(["abcdefgh22", "abcdefgh33"])
    monkeypatch.setattr(auth, "new_public_id", lambda: next(fixed))
    for _ in range(2):
        assert _cpa(capsys, "keys", "create", "--service", "roadkill", "--party", "acrc")[0] == 0
    code, _, err = _cpa(capsys, "keys", "revoke", "--service", "roadkill", "--id", "abcdefgh")
    assert code == 2 and "matches 2 keys" in err and "abcdefgh22" in err and "abcdefgh33" in err
    assert len(_active(roadkill_env)) == 2
    code, out, _ = _cpa(capsys, "keys", "revoke", "--service", "roadkill", "--id", "abcdefgh3")
    assert code == 0 and "abcdefgh33" in out
    assert set(_active(roadkill_env)) == {"abcdefgh22"}


@settings(max_examples=30)
@given(party=st.sampled_from(["acrc", "chungnam", "chungnam-road", "bukgu-hub"]))
def test_issued_keys_embed_their_public_id(party):
    ids = {auth.new_public_id() for _ in range(200)}
    assert len(ids) == 200 and all(set(i) <= set(auth.PUBLIC_ID_ALPHABET) for i in ids)
    public_id = auth.new_public_id()
    key = auth.generate_key(party, public_id)
    assert key.startswith(f"cpa_{party.replace('-', '')}_{public_id}_") and len(key) > 60


def test_keys_made_before_the_public_id_get_one_from_the_migration(db_overrides):
    from services.roadkill.app import SPEC, Settings

    platform = Platform(SPEC, Settings(**db_overrides))
    try:
        migrations.upgrade(platform.db, SPEC.migrations_dir, PLATFORM_ROOT)
        now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        # The table as the root revision made it: no public_id column yet.
        old_keys = table("api_key", *(column(n) for n in ("id", "key_hash", "prefix", "party", "label")),
                         column("created_at", UTCDateTime()))
        with platform.db.engine.begin() as conn:
            for i in range(5):
                conn.execute(insert(old_keys).values(id=f"key_{i}", key_hash=f"{i:064d}", prefix="cpa_chungnam",
                                                     party="chungnam", label="", created_at=now))
        migrations.upgrade(platform.db, SPEC.migrations_dir)
        t = platform.tables.api_key
        with platform.db.read_session() as s:
            ids = [r.public_id for r in s.execute(select(t).order_by(t.c.id)).all()]
        assert len(ids) == 5 and len(set(ids)) == 5
        assert all(len(i) == auth.PUBLIC_ID_LENGTH and set(i) <= set(auth.PUBLIC_ID_ALPHABET) for i in ids)
        # Unique from now on: a duplicate id is refused by the database.
        with pytest.raises(IntegrityError), platform.db.engine.begin() as conn:
            conn.execute(insert(t).values(id="key_dup", public_id=ids[0], key_hash="f" * 64, prefix="x",
                                          party="acrc", label="", created_at=now))
    finally:
        platform.db.dispose()
