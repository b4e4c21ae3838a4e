"""Operator errors as an operator meets them: `cpa …` in a real process answers a bad DATABASE_URL, an
unreachable database, a busy port, a missing or weak SECRET_KEY, any other invalid setting and a wrong
`cpa keys` argument with at most two lines on stderr (what is wrong, what to do), exit code 2, and never
the secret or password it was given."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.registry import SERVICES
from shared import testing
from shared.settings import ServiceSettings, load_settings
from tests.shared.conftest import REAL_SECRET

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "s3cretpw"
UNREACHABLE = f"postgresql+psycopg://u:{PASSWORD}@127.0.0.1:1/x"  # nothing listens on port 1
SETTINGS_VARS = {"DATABASE_URL", "DB_SCHEMA", "DEMO_MODE", "SECRET_KEY", "PORT", "HOST", "RELAY_MAX_ATTEMPTS",
                 "RELAY_TIMEOUT_S", "LOG_LEVEL"}


def cpa(*args: str, cwd: Path, timeout: float = 90, **env: str) -> subprocess.CompletedProcess:
    """Runs `cpa` to its end; on a timeout its whole process group goes (servers it started included), so a
    failing test leaves nothing listening on the fixed ports for the next one."""
    full_env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
    full_env.update(PYTHONPATH=str(ROOT), AUTOPILOT_ENABLED="false", **env)
    with subprocess.Popen([sys.executable, "-m", "tools.cli", *args], env=full_env, cwd=cwd, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def assert_operator_error(r: subprocess.CompletedProcess, *hints: str, secret: str | None = None) -> list[str]:
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode == 2, (r.returncode, r.stderr[-3000:])
    assert 1 <= len(lines) <= 2, r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    for hint in hints:
        assert hint in r.stderr, (hint, r.stderr)
    if secret is not None:
        assert secret not in r.stdout and secret not in r.stderr, "a secret was printed"
    return lines


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- DATABASE_URL -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "hint"), [
    (f"foo://u:{PASSWORD}@db.example/x", "unsupported database 'foo'"),
    (f"mysql+pymysql://u:{PASSWORD}@db.example/x", "unsupported database 'mysql'"),
    (f"postgresql+nodriver://u:{PASSWORD}@db.example/x", "unknown driver"),
    (f"not a url {PASSWORD}", "is not a database URL"),
], ids=["unknown-dialect", "unsupported-dialect", "unknown-driver", "garbage"])
def test_malformed_database_url(tmp_path, url, hint):
    r = cpa("migrate", "roadkill", cwd=tmp_path, DATABASE_URL=url)
    lines = assert_operator_error(r, hint, "DATABASE_URL", "hint: set DATABASE_URL to", secret=PASSWORD)
    assert lines[0].startswith("error: DATABASE_URL")
    assert not (tmp_path / "var").exists()


@pytest.mark.parametrize("command", [
    ["migrate", "peaks"], ["worker", "onestop", "--once"], ["keys", "list", "--service", "roadkill"],
    ["serve", "roadkill", "--port", "0"], ["run", "--only", "peaks"],
    ["seed", "roadkill", "--incidents", "10"],
], ids=lambda c: " ".join(c[:2]))
def test_unreachable_database(tmp_path, command):
    if command[0] == "serve":
        command = [*command[:-1], str(free_port())]
    r = cpa(*command, cwd=tmp_path, DATABASE_URL=UNREACHABLE)
    lines = assert_operator_error(r, "cannot connect to the database", "Connection refused", "DATABASE_URL",
                                  secret=PASSWORD)
    assert lines[1].startswith("hint: start")
    if command[0] != "seed":  # seeding names the URL itself; the preflight shows the masked URL
        assert "postgresql+psycopg://u:***@127.0.0.1:1/x" in lines[0]


def test_unreachable_database_through_the_seed_option(tmp_path):
    r = cpa("seed", "onestop", "--referrals", "10", "--database-url", UNREACHABLE, cwd=tmp_path)
    assert_operator_error(r, "cannot connect to the database", "DATABASE_URL", secret=PASSWORD)


# -- ports ------------------------------------------------------------------------------------------

def test_busy_port_cpa_serve(tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        r = cpa("serve", "peaks", "--port", str(port), cwd=tmp_path,
                DATABASE_URL=f"sqlite:///{tmp_path}/{{service}}.db")
    lines = assert_operator_error(r, f"port {port} on 127.0.0.1 is already in use",
                                  "cpa serve peaks --port PORT")
    assert lines[0] == f"error: peaks: port {port} on 127.0.0.1 is already in use by another process"


def test_busy_port_cpa_run(tmp_path):
    """`cpa run` uses the registry's fixed ports: hold roadkill's (or find it held already)."""
    port = SERVICES["roadkill"].port
    listener = socket.socket()
    # SO_REUSEADDR: the port may still have TIME_WAIT connections of an earlier test's `cpa run`, which
    # would refuse a plain bind although nothing listens (and then `cpa run` would start and never end).
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        try:
            listener.bind(("127.0.0.1", port))
            listener.listen()
        except OSError:  # some other process listens there: the same situation for `cpa run`
            with socket.create_connection(("127.0.0.1", port), timeout=5):
                pass
        r = cpa("run", "--only", "roadkill,onestop", cwd=tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/{{service}}.db")
    finally:
        listener.close()
    assert_operator_error(r, f"roadkill: port {port} on 127.0.0.1 is already in use", "cpa run --only onestop")
    assert "http://" not in r.stdout, "nothing starts when one service cannot"


# -- SECRET_KEY and other settings -------------------------------------------------------------------

@pytest.mark.parametrize(("secret", "hint"), [
    (None, "SECRET_KEY is not set"),
    ("weak-s3cret", "SECRET_KEY is too weak"),
    ("change-me", "SECRET_KEY is a placeholder"),
], ids=["missing", "weak", "placeholder"])
@pytest.mark.parametrize("command", [["migrate", "onestop"], ["keys", "list", "--service", "peaks"],
                                     ["run", "--only", "roadkill"]], ids=lambda c: c[0])
def test_secret_key_outside_demo_mode(tmp_path, secret, hint, command):
    env = {"DEMO_MODE": "false", "DATABASE_URL": f"sqlite:///{tmp_path}/{{service}}.db"}
    if secret is not None:
        env["SECRET_KEY"] = secret
    r = cpa(*command, cwd=tmp_path, **env)
    lines = assert_operator_error(r, hint, "secrets.token_urlsafe", "DEMO_MODE=true",
                                  secret="weak-s3cret" if secret == "weak-s3cret" else None)
    assert lines[0].startswith("error: SECRET_KEY") and lines[1].startswith("hint: set SECRET_KEY")
    assert not list(tmp_path.glob("*.db")), "nothing touched the database"


@pytest.mark.parametrize(("var", "value", "hint"), [
    ("RELAY_MAX_ATTEMPTS", "many", "RELAY_MAX_ATTEMPTS: Input should be a valid integer"),
    ("DEMO_MODE", "perhaps", "DEMO_MODE: Input should be a valid boolean"),
    ("RELAY_TIMEOUT_S", f"{PASSWORD}-typed-in-the-wrong-place", "RELAY_TIMEOUT_S: Input should be a valid number"),
    ("DEDUP_DISTANCE_M", "-5", "DEDUP_DISTANCE_M: Input should be greater than 0"),
])
def test_invalid_setting_names_the_variable_not_the_value(tmp_path, var, value, hint):
    r = cpa("migrate", "roadkill", cwd=tmp_path, **{var: value})
    assert_operator_error(r, hint, 'see README "Configuration"', secret=value)
    assert not (tmp_path / "var").exists()


# -- cpa keys ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "hint"), [
    (["create", "--service", "roadkill", "--party", "nobody"], "unknown party 'nobody' for roadkill"),
    (["create", "--service", "roadkill"], "needs --service and --party"),
    (["create", "--party", "acrc"], "needs --service and --party"),
    (["create", "--service", "atlantis", "--party", "acrc"], "invalid choice: 'atlantis'"),
    (["list", "--party", "nobody"], "unknown party 'nobody'"),
    (["list", "--prefix", "cpa_acrc_AbC"], "takes no --id or --prefix"),
    (["list", "--id", "k7m2x9qpa4"], "takes no --id or --prefix"),
    (["revoke", "--service", "roadkill"], "needs --id"),
    (["revoke", "--id", "k7m2x9qpa4", "--prefix", "cpa_acrc_AbC"], "needs --id"),
    (["revoke", "--id", "k7"], "--id must be a key id"),
    (["revoke", "--service", "roadkill", "--prefix", "acrc"], "--prefix must be the first 12 characters"),
    (["revoke", "--party", "acrc", "--prefix", "cpa_acrc_AbC"], "takes --id (or --prefix), not --party"),
    (["rotate"], "invalid choice: 'rotate'"),
    (["create", "--service", "peaks", "--party", "miryang", "--label", "bad\x07label"], "--label must be printable"),
])
def test_keys_arguments_are_checked_before_the_database(tmp_path, args, hint):
    # An unreachable database: a command that got past its arguments would say "cannot connect".
    r = cpa("keys", *args, cwd=tmp_path, DATABASE_URL=UNREACHABLE)
    assert_operator_error(r, hint, "hint: ", secret=PASSWORD)
    assert "cannot connect" not in r.stderr
    r = cpa("keys", *args, cwd=tmp_path)  # the default SQLite database under var/
    assert_operator_error(r, hint)
    assert not (tmp_path / "var").exists(), "no database file was created"


def test_keys_revoke_never_echoes_a_whole_key(tmp_path):
    key = "cpa_acrc_" + "Q" * 43
    r = cpa("keys", "revoke", "--prefix", key, cwd=tmp_path)
    assert_operator_error(r, "--prefix must be the first 12 characters", secret=key[12:])


def test_keys_list_filters_by_party(tmp_path):
    overrides = testing.database_overrides(tmp_path, "roadkill")
    env = {"DATABASE_URL": overrides["database_url"], "DEMO_MODE": "false", "SECRET_KEY": REAL_SECRET}
    if "db_schema" in overrides:
        env["DB_SCHEMA"] = overrides["db_schema"]
    try:
        for party in ("acrc", "tmap"):
            created = cpa("keys", "create", "--service", "roadkill", "--party", party, cwd=tmp_path, **env)
            assert created.returncode == 0, created.stderr
        listed = cpa("keys", "list", "--service", "roadkill", "--party", "tmap", cwd=tmp_path, **env)
        assert listed.returncode == 0, listed.stderr
        rows = [line for line in listed.stdout.splitlines() if "…" in line]
        assert len(rows) == 1 and "tmap" in rows[0]
    finally:
        testing.drop_schema(overrides.get("db_schema"))


# -- in-process: the settings themselves never show a secret -----------------------------------------

def test_settings_hide_secret_and_password():
    url = f"postgresql+psycopg://cpa:{PASSWORD}@db.example:5432/cpa"
    s = ServiceSettings(database_url=url, secret_key=REAL_SECRET)
    assert REAL_SECRET not in repr(s) and PASSWORD not in repr(s) and PASSWORD not in str(s.model_dump())
    assert s.secret_key.get_secret_value() == REAL_SECRET and s.resolved_database_url == url
    assert s.masked_database_url == "postgresql+psycopg://cpa:***@db.example:5432/cpa"
    with pytest.raises(ValidationError) as exc:
        ServiceSettings(demo_mode=False, secret_key="weak-s3cret", database_url=url)
    assert "weak-s3cret" not in str(exc.value) and PASSWORD not in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        ServiceSettings(database_url=f"foo://u:{PASSWORD}@h/x")
    assert PASSWORD not in str(exc.value) and "DATABASE_URL foo://u:***@h/x" in str(exc.value)


def test_load_settings_explains_in_two_lines():
    from shared.settings import OperatorError

    with pytest.raises(OperatorError) as exc:
        load_settings(ServiceSettings, demo_mode=False, relay_batch_size="lots")
    lines = exc.value.lines()
    assert len(lines) == 2
    assert lines == ["error: RELAY_BATCH_SIZE: Input should be a valid integer, unable to parse string as an integer",
                     'hint: fix the environment variable (see README "Configuration")']
