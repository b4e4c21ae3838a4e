"""The container's conditions reproduced without a container runtime (tests/test_container.py).

What the image and docker-compose.yml give a service, rebuilt on this machine:

- **the image**: the tree the Dockerfile's COPY lines copy (the working directory, /app), the wheel built
  from it as `pip install --no-deps .` builds it, installed into a fresh venv together with the hashed
  runtime lock (`requirements/runtime.txt`). Tree and venv are owned by root and made read-only. The
  venv with the lock's packages is cached under the temporary directory, keyed by the lock's hash and
  the Python version; each run takes a fresh copy (hard links) and installs the new wheel into it.
- **the user**: an unprivileged one (`nobody:nogroup`, through `setpriv`), like the image's `cpa`; the
  image's ENV lines and compose's `environment` are its whole environment.
- **the volumes**: each named volume a service mounts is a directory owned by that user; environment
  values under the mount path point to it instead (no mount namespace needed, so no extra privilege).
- **the network**: compose's service names are loopback here. `postgres:5432` is the test server
  (shared.testing.PG_URL) with a fresh database per deployment, so the three services land in their
  own schemas of one database exactly as in compose; `<service>:<port>`, `HOST`/`PORT` and a published
  `127.0.0.1:<port>` become a free loopback port.
"""
from __future__ import annotations

import contextlib
import grp
import hashlib
import os
import pwd
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from shared import testing
from tests import compose_files

ROOT = compose_files.ROOT
USER, GROUP = "nobody", "nogroup"
LOCK = ROOT / "requirements" / "runtime.txt"
CACHE = Path(tempfile.gettempdir()) / "cpa-container-cache"
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc")  # .dockerignore's patterns inside copied folders


def _reachable_by_others(path: Path) -> bool:
    """Whether a user other than the owner may run `path` (every folder on the way searchable)."""
    real = path.resolve()
    return all(os.stat(p).st_mode & 0o001 for p in (real, *real.parents))


def base_python() -> Path | None:
    """A Python of this minor version the unprivileged user can run, with venv (the image's own Python
    is /usr/local/bin/python3.11; here the test's interpreter may live under a private home)."""
    name = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for cand in (getattr(sys, "_base_executable", sys.executable), f"/usr/local/bin/{name}", f"/usr/bin/{name}"):
        path = Path(cand)
        if path.is_file() and _reachable_by_others(path):
            r = subprocess.run([str(path), "-c", "import ensurepip, venv"], capture_output=True)
            if r.returncode == 0:
                return path
    return None


def missing_prerequisite() -> str | None:
    """Why this machine cannot reproduce the container (a reason to skip), or None."""
    if base_python() is None:
        return (f"no Python {sys.version_info.major}.{sys.version_info.minor} with venv that an unprivileged "
                "user can run (install python3-venv)")
    if os.geteuid() != 0:
        return "needs root: the services are handed to an unprivileged user with setpriv"
    if shutil.which("setpriv") is None:
        return "setpriv (util-linux) is not installed"
    try:
        pwd.getpwnam(USER), grp.getgrnam(GROUP)
    except KeyError:
        return f"no {USER}:{GROUP} account on this machine"
    engine = create_engine(testing.PG_URL)
    try:
        with engine.connect():
            pass
    except Exception as exc:  # noqa: BLE001 - any failure means: no server to run against
        return f"PostgreSQL at {make_url(testing.PG_URL).render_as_string()} is unreachable ({type(exc).__name__})"
    finally:
        engine.dispose()
    return None


def _run(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise AssertionError(f"{shlex.join(cmd)} exited {r.returncode}:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r


def _instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    out, pending = [], ""
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            word, _, rest = pending.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
            pending = ""
    return out


def image_env(dockerfile: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in _instructions(dockerfile):
        if word == "ENV":
            env.update(item.split("=", 1) for item in shlex.split(rest))
    return env


def _runtime_venv() -> Path:
    """A venv with the runtime lock's packages, built once per lock and Python."""
    python = base_python()
    assert python is not None
    version = _run([str(python), "-c", "import sys; print(sys.version)"]).stdout
    key = hashlib.sha256(LOCK.read_bytes() + f"{python}\n{version}".encode()).hexdigest()[:16]
    venv = CACHE / f"venv-{key}"
    if (venv / ".complete").is_file():
        os.utime(venv / ".complete")  # last used: other locks' venvs unused for a day are removed
        return venv
    CACHE.mkdir(parents=True, exist_ok=True)
    for old in CACHE.iterdir():
        marker = old / ".complete" if old.name.startswith("venv-") else old
        if time.time() - (marker.stat().st_mtime if marker.exists() else 0) > 86400:
            shutil.rmtree(old, ignore_errors=True)
    building = CACHE / f"building-{key}-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    _run([str(python), "-m", "venv", str(building)])
    _run([str(building / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
          "--require-hashes", "-r", str(LOCK)], timeout=900)
    (building / ".complete").touch()
    try:
        building.rename(venv)
    except OSError:  # another session finished first: use theirs
        shutil.rmtree(building, ignore_errors=True)
    return venv


def _read_only(path: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(path):
        for name in filenames + dirnames:
            p = os.path.join(dirpath, name)
            if not os.path.islink(p):
                os.chown(p, 0, 0)
                os.chmod(p, os.stat(p).st_mode & ~0o222)
    os.chown(path, 0, 0)
    os.chmod(path, os.stat(path).st_mode & ~0o222)


@dataclass
class Image:
    root: Path
    app: Path  # the working directory (/app): what the Dockerfile copies
    venv: Path
    env: dict[str, str]
    wheel: str
    build_s: float  # wheel, venv copy and install (the cached lock venv aside when it exists)

    @classmethod
    def build(cls, root: Path) -> Image:
        started = time.monotonic()
        dockerfile = ROOT / "Dockerfile"
        app, venv, wheels = root / "app", root / "venv", root / "wheels"
        app.mkdir()
        for word, rest in _instructions(dockerfile):
            if word == "COPY" and not rest.startswith("--"):
                src, dst = shlex.split(rest)
                target = app / dst
                if dst.endswith("/"):
                    target = target / Path(src).name
                target.parent.mkdir(parents=True, exist_ok=True)
                if (ROOT / src).is_dir():
                    shutil.copytree(ROOT / src, target, ignore=IGNORED)
                else:
                    shutil.copy2(ROOT / src, target)
        cached = _runtime_venv()
        try:
            shutil.copytree(cached, venv, symlinks=True, copy_function=os.link)
        except (OSError, shutil.Error):
            shutil.rmtree(venv, ignore_errors=True)
            shutil.copytree(cached, venv, symlinks=True)
        python = str(venv / "bin" / "python")
        pip = [python, "-m", "pip", "-q", "--disable-pip-version-check"]
        # The Dockerfile's `pip install --no-deps .`: a wheel built from the copied tree, no dependency
        # beyond the lock (pip check proves the lock satisfies the wheel's requirements).
        _run(pip + ["wheel", "--no-deps", "--wheel-dir", str(wheels), str(app)], timeout=600)
        wheel = next(wheels.glob("cpa-*.whl"))
        _run(pip + ["install", "--no-deps", "--no-index", str(wheel)], timeout=600)
        _run(pip + ["check"])
        shutil.rmtree(app / "build", ignore_errors=True)
        for egg in app.glob("*.egg-info"):
            shutil.rmtree(egg)
        _read_only(app)
        _read_only(venv)
        return cls(root=root, app=app, venv=venv, env=image_env(dockerfile), wheel=wheel.name,
                   build_s=time.monotonic() - started)


STALE_S = 6 * 3600  # what a killed run left (a run takes minutes; a younger one may be another session's)


@contextlib.contextmanager
def built_image() -> Iterator[Image]:
    for old in Path(tempfile.gettempdir()).glob("cpa-container-*"):
        if old != CACHE and time.time() - old.stat().st_mtime > STALE_S:
            shutil.rmtree(old, ignore_errors=True)
    root = Path(tempfile.mkdtemp(prefix="cpa-container-"))
    root.chmod(0o755)  # the unprivileged user must reach the tree and its volumes
    try:
        yield Image.build(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """A new, empty PostgreSQL database on the test server; its name. Dropped afterwards."""
    name = f"ct_{int(time.time()):x}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(testing.PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for old in conn.scalars(text(r"SELECT datname FROM pg_database WHERE datname ~ '^ct_[0-9a-f]{8}_'")):
                if time.time() - int(old.split("_")[1], 16) > STALE_S:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield name
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@dataclass
class Deployment:
    """docker-compose's services as processes of the unprivileged user; `config` is the merged compose."""

    image: Image
    config: dict[str, Any]
    database: str
    name: str
    ports: dict[str, int] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.volumes = self.image.root / f"{self.name}-volumes"
        self.logs = self.image.root / f"{self.name}-logs"
        self.volumes.mkdir()
        self.logs.mkdir()
        for svc, spec in self.services.items():
            if "PORT" in compose_files.environment(spec):
                self.ports[svc] = testing.free_port()

    @property
    def services(self) -> dict[str, Any]:
        return self.config["services"]

    def url(self, svc: str) -> str:
        return f"http://127.0.0.1:{self.ports[svc]}"

    def volume(self, name: str) -> Path:
        path = self.volumes / name
        if not path.exists():  # a new named volume takes the image directory's owner: the app user
            path.mkdir(mode=0o750)
            os.chown(path, pwd.getpwnam(USER).pw_uid, grp.getgrnam(GROUP).gr_gid)
        return path

    def _addresses(self, value: str) -> str:
        for svc, port in self.ports.items():
            inside = compose_files.environment(self.services[svc])["PORT"]
            published = [str(p).split(":")[-2] for p in self.services[svc].get("ports", []) if str(p).count(":") >= 1]
            for host_port in (f"{svc}:{inside}", *(f"{h}:{p}" for p in published for h in ("127.0.0.1", "localhost"))):
                value = value.replace(f"//{host_port}", f"//127.0.0.1:{port}")
        return value

    def _database_url(self, value: str) -> str:
        url = make_url(value)
        if url.host != "postgres":
            return value
        server = make_url(testing.PG_URL)
        url = url.set(host=server.host, port=server.port, username=server.username, database=self.database,
                      password=server.password if server.password is not None else url.password)
        return url.render_as_string(hide_password=False)

    def env(self, svc: str) -> dict[str, str]:
        spec = self.services[svc]
        env = {**self.image.env, **compose_files.environment(spec)}
        mounts = {target: self.volume(name) for name, target in compose_files.volume_mounts(spec).items()}
        for key, value in env.items():
            for target, path in mounts.items():
                if value == target or value.startswith(target + "/"):
                    value = str(path) + value[len(target):]
            env[key] = self._addresses(value)
        if "DATABASE_URL" in env:
            env["DATABASE_URL"] = self._database_url(env["DATABASE_URL"])
        if svc in self.ports:
            env.update(HOST="127.0.0.1", PORT=str(self.ports[svc]))
        env.update(PATH=f"{self.image.venv / 'bin'}:/usr/local/bin:/usr/bin:/bin", HOME="/nonexistent",
                   LANG="C.UTF-8")
        return env

    def _as_user(self, cmd: list[str]) -> list[str]:
        return ["setpriv", f"--reuid={USER}", f"--regid={GROUP}", "--clear-groups", "--", *cmd]

    def run(self, svc: str, timeout: float = 180) -> subprocess.CompletedProcess:
        """A one-shot service (compose's `migrate`): its command to the end, as the user."""
        return subprocess.run(self._as_user(compose_files.command(self.services[svc])), env=self.env(svc),
                              cwd=self.image.app, capture_output=True, text=True, timeout=timeout)

    def start(self, svc: str) -> subprocess.Popen:
        log = (self.logs / f"{svc}.log").open("wb")
        proc = subprocess.Popen(self._as_user(compose_files.command(self.services[svc])), env=self.env(svc),
                                cwd=self.image.app, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.procs[svc] = proc
        return proc

    def log(self, svc: str) -> str:
        path = self.logs / f"{svc}.log"
        return path.read_text(encoding="utf-8", errors="replace")[-4000:] if path.exists() else ""

    def healthcheck(self, svc: str) -> bool:
        """Compose's health check of the service (its `test`), run as the user in its environment."""
        hc = self.services[svc]["healthcheck"]
        test = hc["test"]
        cmd = test[1:] if test[0] == "CMD" else ["sh", "-c", test[1] if isinstance(test, list) else test]
        timeout = float(re.sub(r"s$", "", str(hc.get("timeout", "30s"))))
        try:
            r = subprocess.run(self._as_user(cmd), env=self.env(svc), cwd=self.image.app, capture_output=True,
                               timeout=timeout + 5)
        except subprocess.TimeoutExpired:
            return False
        return r.returncode == 0

    def wait_healthy(self, svcs: list[str], timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        waiting = list(svcs)
        while waiting:
            for svc in list(waiting):
                proc = self.procs[svc]
                if proc.poll() is not None:
                    raise AssertionError(f"{svc} exited with {proc.returncode}:\n{self.log(svc)}")
                if self.healthcheck(svc):
                    waiting.remove(svc)
            if waiting and time.monotonic() > deadline:
                raise AssertionError(f"not healthy in {timeout:.0f} s: {waiting}\n" +
                                     "\n".join(f"--- {s}\n{self.log(s)}" for s in waiting))
            if waiting:
                time.sleep(0.5)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@contextlib.contextmanager
def deployment(image: Image, files: list[Path], env: Mapping[str, str], name: str) -> Iterator[Deployment]:
    config = compose_files.load(files, env)
    with fresh_database() as database:
        d = Deployment(image=image, config=config, database=database, name=name)
        try:
            yield d
        finally:
            d.stop()


def connected_to(pid: int, port: int) -> bool:
    """Whether process `pid` holds an established TCP connection to `port` (its sockets in /proc)."""
    inodes = set()
    with contextlib.suppress(FileNotFoundError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(FileNotFoundError):  # an fd closed meanwhile
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:["):
                    inodes.add(link[8:-1])
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(FileNotFoundError), open(f"/proc/{pid}/net/{table}") as fh:
            for row in list(fh)[1:]:
                cols = row.split()
                if int(cols[2].rsplit(":", 1)[1], 16) == port and cols[3] == "01" and cols[9] in inodes:
                    return True
    return False


def files_owned_by_user(path: Path) -> list[Path]:
    uid = pwd.getpwnam(USER).pw_uid
    return [p for p in path.rglob("*") if p.lstat().st_uid == uid]
