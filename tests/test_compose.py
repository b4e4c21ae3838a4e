"""docker-compose.yml and Dockerfile: the scale-out shape is wired as documented."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from services.registry import SERVICES

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def command_text(svc: dict) -> str:
    cmd = svc["command"]
    return " ".join(cmd) if isinstance(cmd, list) else cmd


def healthcheck_text(svc: dict) -> str:
    test = svc["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


def test_postgres_with_pg_isready(compose):
    pg = compose["services"]["postgres"]
    assert re.fullmatch(r"postgres:1[56](\.\d+)?(-alpine)?", pg["image"])
    assert "pg_isready" in healthcheck_text(pg)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_service(compose, name):
    svc = compose["services"][name]
    port = SERVICES[name].port
    assert f"{port}:{port}" in [str(p) for p in svc["ports"]]
    cmd = command_text(svc)
    # `cpa serve` checks settings, database and port first (two lines and exit 2), then runs uvicorn.
    assert re.search(rf"\bcpa migrate {name}\b.*&&.*\bcpa serve {name}\b", cmd), cmd
    assert f"--port {port}" in cmd and "--host 0.0.0.0" in cmd
    env = svc["environment"]
    assert env["DATABASE_URL"].startswith("postgresql+psycopg://") and "@postgres:5432/" in env["DATABASE_URL"]
    assert str(env["RELAY_ENABLED"]).lower() == "false"
    assert "DEMO_MODE" in env
    assert re.fullmatch(r"\$\{SECRET_KEY:-[^}]+\}", env["SECRET_KEY"]), "SECRET_KEY comes from the environment"
    assert svc["depends_on"]["postgres"]["condition"] == "service_healthy"
    hc = healthcheck_text(svc)
    assert "/healthz" in hc
    if "PORT" in hc:
        assert str(env["PORT"]) == str(port)
    else:
        assert str(port) in hc


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_one_relay_worker_per_service(compose, name):
    workers = [s for s in compose["services"].values()
               if "command" in s and re.fullmatch(rf"cpa worker {name}", command_text(s))]
    assert len(workers) == 1
    w = workers[0]
    assert w["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert w["environment"]["DATABASE_URL"] == compose["services"][name]["environment"]["DATABASE_URL"]
    # The worker reaches the simulated parties on the service's container, not its own loopback.
    assert f"//{name}:{SERVICES[name].port}" in w["environment"]["PUBLIC_BASE_URL"]


def test_demo_secret_default_is_the_placeholder_refused_outside_demo_mode(compose):
    from shared.settings import PLACEHOLDER_SECRETS

    default = compose["services"]["roadkill"]["environment"]["SECRET_KEY"].split(":-", 1)[1].rstrip("}")
    assert default in PLACEHOLDER_SECRETS


def test_dockerfile():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    assert re.search(r"^RUN pip install --require-hashes -r requirements/runtime\.txt$", text, re.M)
    assert re.search(r"^RUN pip install --no-deps \.", text, re.M)
    assert re.search(r"^USER (?!root)\w+", text, re.M)
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".venv", "var", ".git"} <= set(ignored)


def test_docker_compose_config_validates():
    exe = shutil.which("docker-compose")
    if exe is None:
        pytest.skip("docker-compose is not installed; the YAML checks above still ran")
    r = subprocess.run([exe, "config", "-q"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
