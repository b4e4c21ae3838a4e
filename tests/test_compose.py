"""docker-compose.yml, docker-compose.dev.yml and the Dockerfile follow the deployment rules.

The base file is production: no demo mode, every variable required (`${NAME?message}`: compose stops and
says which), no port published, migrations in a one-shot `migrate` service the apps wait for, health
checks on /readyz, each app's files on its own named volume owned by the image's user. Demo mode and
ports (on loopback only) are in the development override. tests/test_container.py runs these files.
"""
from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess

import pytest
import yaml

from services.registry import SERVICES
from shared.settings import PLACEHOLDER_SECRETS, ServiceSettings
from tests import compose_files
from tests.compose_files import BASE, DEV, DEV_ENV, ROOT, MissingVariable, environment, volume_mounts

TEST_ENV = {"SECRET_KEY": "x" * 32, "POSTGRES_PASSWORD": "pw0123456789",
            **{f"{name.upper()}_PUBLIC_URL": f"https://{name}.example.org" for name in SERVICES}}
WORKERS = {f"{name}-worker": name for name in SERVICES}


@pytest.fixture(scope="module")
def base() -> dict:
    return compose_files.load([BASE], TEST_ENV)["services"]


@pytest.fixture(scope="module")
def dev() -> dict:
    return compose_files.load([BASE, DEV], compose_files.read_env_file(DEV_ENV))["services"]


def image_services(services: dict) -> dict:
    return {name: svc for name, svc in services.items() if svc.get("image") == "cpa:latest"}


def healthcheck_text(svc: dict) -> str:
    test = svc["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


def test_postgres_with_pg_isready(base):
    pg = base["postgres"]
    assert re.fullmatch(r"postgres:1[56](\.\d+)?(-alpine)?", pg["image"])
    assert "pg_isready" in healthcheck_text(pg)
    assert "ports" not in pg


def test_every_variable_of_the_base_file_is_required_with_a_message():
    found = compose_files.variables(BASE)
    assert {name for name, _, _ in found} == set(TEST_ENV)
    for name, op, message in found:
        assert op in ("?", ":?") and len(message) > 20, (name, op, message)


@pytest.mark.parametrize("missing", sorted(TEST_ENV))
def test_a_missing_variable_stops_compose_naming_it(missing):
    env = {k: v for k, v in TEST_ENV.items() if k != missing}
    with pytest.raises(MissingVariable) as err:
        compose_files.load([BASE], env)
    assert err.value.name == missing and missing in err.value.message


def test_base_file_is_not_demo_mode_and_publishes_no_port(base):
    for name, svc in image_services(base).items():
        assert environment(svc)["DEMO_MODE"] == "false", name
        assert "ports" not in svc, name
    text = BASE.read_text(encoding="utf-8")
    assert not re.search(r"(?m)^[^#]*DEMO_MODE:\s*[\"']?true", text)
    assert not re.search(r"(?m)^[^#]*\bdemo-", text), "no demo key or placeholder outside comments"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_app(base, name):
    svc, port = base[name], SERVICES[name].port
    assert compose_files.command(svc) == ["cpa", "serve", name]
    env = environment(svc)
    assert env["HOST"] == "0.0.0.0" and env["PORT"] == str(port)
    assert env["DATABASE_URL"].startswith("postgresql+psycopg://") and "@postgres:5432/" in env["DATABASE_URL"]
    assert env["RELAY_ENABLED"] == "false"
    assert env["AUTO_MIGRATE"] == "false"  # only `migrate` migrates
    assert env["SECRET_KEY"] == TEST_ENV["SECRET_KEY"]
    assert env["PUBLIC_BASE_URL"] == TEST_ENV[f"{name.upper()}_PUBLIC_URL"]
    assert svc["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert svc["depends_on"]["postgres"]["condition"] == "service_healthy"
    hc = healthcheck_text(svc)
    assert "/readyz" in hc and "/healthz" not in hc and "os.environ['PORT']" in hc


def test_settings_the_compose_files_set_exist():
    """Every variable compose gives the apps is a setting (a misspelt one would be ignored silently)."""
    names = set()
    for svc in image_services(compose_files.load([BASE, DEV], compose_files.read_env_file(DEV_ENV))
                                    ["services"]).values():
        names |= set(environment(svc))
    fields = set(ServiceSettings.model_fields)
    for name in SERVICES:
        fields |= set(importlib.import_module(f"services.{name}.config").Settings.model_fields)
    assert {n.lower() for n in names} <= fields


def test_migrate_is_one_shot_and_covers_every_service(base):
    m = base["migrate"]
    assert m["restart"] == "no"
    assert m["depends_on"]["postgres"]["condition"] == "service_healthy"
    cmd = " ".join(compose_files.command(m))
    assert [s for s in re.findall(r"\bcpa migrate (\w+)", cmd)] == list(SERVICES)
    assert cmd.count("&&") == len(SERVICES) - 1, "the first failure stops it with a non-zero exit"
    assert environment(m)["DATABASE_URL"] == environment(base["roadkill"])["DATABASE_URL"]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_app_writes_only_on_its_own_volume(base, name):
    svc = base[name]
    mounts = volume_mounts(svc)
    assert len(mounts) == 1, mounts
    (volume, target), = mounts.items()
    top = yaml.safe_load(BASE.read_text(encoding="utf-8"))["volumes"]
    assert volume in top and volume.startswith(name)
    env = environment(svc)
    assert env["VAR_DIR"] == target
    if name == "peaks":
        assert env["STORAGE_DIR"].startswith(target + "/")
    # An empty named volume takes the owner of the image's directory: the image's user must own it.
    docker = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    user = re.search(r"(?m)^USER (\w+)", docker)[1]
    assert re.search(rf"install -d -o {user} -g {user}\b[^\n]* {re.escape(target)}\b", docker), target


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_one_relay_worker_per_service(base, name):
    workers = [s for s in base.values() if "command" in s and compose_files.command(s) == ["cpa", "worker", name]]
    assert len(workers) == 1
    w = workers[0]
    assert w["depends_on"][name]["condition"] == "service_healthy"
    assert environment(w)["DATABASE_URL"] == environment(base[name])["DATABASE_URL"]
    assert environment(w)["PUBLIC_BASE_URL"] == environment(base[name])["PUBLIC_BASE_URL"]


def test_development_override_is_demo_mode_on_loopback_ports(dev):
    override = yaml.safe_load(DEV.read_text(encoding="utf-8"))["services"]
    assert set(override) == set(image_services(dev))  # every service of the image, nothing else
    for name, svc in image_services(dev).items():
        assert environment(svc)["DEMO_MODE"] == "true", name
    for name in SERVICES:
        port = SERVICES[name].port
        assert dev[name]["ports"] == [f"127.0.0.1:{port}:{port}"]
    for worker, name in WORKERS.items():
        # the worker delivers to the simulated parties on the app's container
        assert environment(dev[worker])["PUBLIC_BASE_URL"] == f"http://{name}:{SERVICES[name].port}"


def test_development_env_file_is_refused_without_the_override():
    env = compose_files.read_env_file(DEV_ENV)
    assert set(env) == set(TEST_ENV)
    assert env["SECRET_KEY"] in PLACEHOLDER_SECRETS  # DEMO_MODE=false (the base file) refuses to start with it


def test_dockerfile():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    assert re.search(r"^RUN pip install --require-hashes -r requirements/runtime\.txt$", text, re.M)
    assert re.search(r"^RUN pip install --no-deps \.", text, re.M)
    assert re.search(r"^USER (?!root)\w+", text, re.M)
    # Hangul on certificate PDFs: a Korean font the PDF renderer finds.
    assert re.search(r"apt-get install -y --no-install-recommends[^\n]*\bfonts-(nanum|noto-cjk)\b", text)
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".venv", "var", ".git", "tests"} <= set(ignored)


def _docker_compose(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    exe = shutil.which("docker-compose")
    if exe is None:
        pytest.skip("docker-compose is not installed; tests/compose_files.py read the files above")
    # Only the given variables (and no .env file's): what an operator passes is all compose sees.
    return subprocess.run([exe, "--project-directory", str(ROOT), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={"PATH": os.environ.get("PATH", ""), **env})


def test_docker_compose_agrees_with_the_reading_above():
    for files, env in (([BASE], TEST_ENV), ([BASE, DEV], compose_files.read_env_file(DEV_ENV))):
        args = [a for f in files for a in ("-f", str(f))]
        r = _docker_compose([*args, "config"], env)
        assert r.returncode == 0, r.stderr
        theirs = yaml.safe_load(r.stdout)["services"]
        ours = compose_files.load(files, env)["services"]
        assert set(theirs) == set(ours)
        for name in ours:
            assert environment(theirs[name]) == environment(ours[name]), name
            if "command" in ours[name]:
                assert compose_files.command(theirs[name]) == compose_files.command(ours[name]), name


def test_docker_compose_refuses_to_start_without_the_secret():
    r = _docker_compose(["-f", str(BASE), "config", "-q"], {k: v for k, v in TEST_ENV.items() if k != "SECRET_KEY"})
    assert r.returncode != 0 and "SECRET_KEY" in r.stderr
