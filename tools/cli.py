"""`cpa`: run the services, relay workers, migrations, API keys, seeding and the demo."""
from __future__ import annotations

import argparse
import asyncio
import errno
import importlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from services.registry import SERVICES
from shared.settings import OperatorError, explain_validation_error, load_settings

# `cpa keys create` prints keys `cpa_<party>_<random>`; `cpa keys list` shows their first 12 characters.
KEY_PREFIX = re.compile(r"cpa_[a-z0-9][A-Za-z0-9_-]{7}")
_URL_CREDENTIALS = re.compile(r"(//[^:/@\s]*:)[^@\s]*@")  # the password of a URL inside a driver message


def _service(name: str):
    if name not in SERVICES:
        raise OperatorError(f"unknown service {name!r}", f"choose from {', '.join(SERVICES)}")
    return SERVICES[name], SERVICES[name].load()


def _settings(module, **overrides):
    """The service's settings; an invalid or missing value is an OperatorError naming the variable."""
    return load_settings(module.Settings, **overrides)


def _connected_platform(module, settings):
    """The service's platform once its database answers (an unreachable one is an OperatorError)."""
    from shared.platform import Platform

    platform = Platform(module.SPEC, settings)
    try:
        platform.db.check_connection()
    except BaseException:
        platform.db.dispose()
        raise
    return platform


def _bind(host: str, port: int, service: str, hint: str) -> socket.socket:
    """A listening socket on host:port (as uvicorn binds it), or an OperatorError if the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise OperatorError(f"{service}: port {port} on {host} is already in use by another process", hint) from None
        raise OperatorError(f"cannot listen on {host}:{port} for {service}: {exc.strerror or exc}",
                            "set HOST (or --host) to an address of this machine, e.g. 127.0.0.1 or 0.0.0.0") from None
    sock.set_inheritable(True)
    return sock


def _preflight(name: str, host: str, port: int, others: list[str]) -> None:
    """Settings, database and port of one service, checked before anything starts."""
    _entry, module = _service(name)
    settings = _settings(module, host=host, port=port)
    hint = "stop that process (an earlier `cpa run`?)" + \
        (f", or start the others alone: cpa run --only {','.join(others)}" if others else "")
    _connected_platform(module, settings).db.dispose()
    _bind(host, port, name, hint).close()


def cmd_serve(args: argparse.Namespace) -> int:
    """One service in this process (uvicorn, uvloop + httptools): what `cpa run` starts per service."""
    import uvicorn

    entry, module = _service(args.service)
    env_settings = _settings(module)
    host = args.host or env_settings.host
    port = args.port or env_settings.port
    settings = _settings(module, host=host, port=port)
    _connected_platform(module, settings).db.dispose()
    sock = _bind(host, port, args.service, f"stop that process, or choose another: cpa serve {args.service} --port PORT")
    if args.reload:  # developers: uvicorn's reloader re-imports the factory (settings from the environment)
        sock.close()
        os.environ.update(HOST=host, PORT=str(port))
        uvicorn.run(f"{entry.module}:create_app", factory=True, host=host, port=port, reload=True,
                    access_log=False)
        return 0
    config = uvicorn.Config(module.create_app(settings), loop="uvloop", http="httptools", access_log=False,
                            timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0 if server.started else 3


def cmd_run(args: argparse.Namespace) -> int:
    names = [n.strip() for n in args.only.split(",")] if args.only else list(SERVICES)
    for n in names:
        _service(n)
    # Everything an operator can get wrong is reported once, here, before any service starts.
    for n in names:
        _preflight(n, args.host, SERVICES[n].port, [o for o in names if o != n])
    procs: list[subprocess.Popen] = []
    for n in names:
        entry = SERVICES[n]
        env = dict(os.environ, PORT=str(entry.port), HOST=args.host)
        cmd = [sys.executable, "-m", "services.cli", "serve", n, "--host", args.host, "--port", str(entry.port)]
        if args.reload:
            cmd.append("--reload")
        print(f"  {n:9s} http://{args.host}:{entry.port}/ui/   (API docs: /docs)", flush=True)
        # Each service in its own process group, so Ctrl-C in the terminal reaches us once
        # and we stop the children in order rather than racing them.
        procs.append(subprocess.Popen(cmd, env=env, start_new_session=True))

    stopping = False

    def stop(signum, _frame):
        nonlocal stopping
        if stopping:
            return
        stopping = True
        print("\nstopping services…", flush=True)
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    rc = 0
    try:
        while True:
            alive = [p for p in procs if p.poll() is None]
            if not alive:
                break
            if not stopping and len(alive) < len(procs):
                dead = [p for p in procs if p.poll() is not None]
                print(f"a service exited (code {dead[0].returncode}); stopping the others", flush=True)
                rc = dead[0].returncode or 1
                stop(signal.SIGTERM, None)
            time.sleep(0.2)
    finally:
        deadline = time.monotonic() + 15
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    return rc


def cmd_worker(args: argparse.Namespace) -> int:
    """The outbox relay alone, for scale-out (run the apps with RELAY_ENABLED=false)."""
    from shared.observability import configure_logging

    _entry, module = _service(args.service)
    settings = _settings(module)
    configure_logging(settings.log_level, settings.log_json)
    platform = _connected_platform(module, settings)
    if args.worker_id:
        platform.relay.worker_id = args.worker_id

    async def main() -> None:
        if args.once:
            n = await platform.relay.drain()
            print(f"delivered or attempted {n} messages")
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await platform.relay.run(stop)

    try:
        asyncio.run(main())
    finally:
        platform.db.dispose()
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from shared import migrations

    _entry, module = _service(args.service)
    platform = _connected_platform(module, _settings(module))
    migrations.upgrade(platform.db, module.SPEC.migrations_dir, args.revision)
    if args.seed and module.SPEC.seed:
        module.SPEC.seed(platform)
    print(f"{args.service}: database at {args.revision}")
    platform.db.dispose()
    return 0


def cmd_makemigrations(args: argparse.Namespace) -> int:
    from shared import migrations
    from shared.platform import Platform

    _entry, module = _service(args.service)
    platform = Platform(module.SPEC, _settings(module, database_url=f"sqlite:///var/_autogen_{args.service}.db"))
    Path("var").mkdir(exist_ok=True)
    migrations.upgrade(platform.db, module.SPEC.migrations_dir)
    migrations.autogenerate(platform.db, module.SPEC.migrations_dir, args.message)
    platform.db.dispose()
    Path(f"var/_autogen_{args.service}.db").unlink(missing_ok=True)
    return 0


def _check_key_arguments(args: argparse.Namespace) -> list[str]:
    """The services `cpa keys` acts on, after checking every argument (no database, no files yet)."""
    action = f"cpa keys {args.action}"
    if args.service is not None and args.service not in SERVICES:
        raise OperatorError(f"unknown service {args.service!r}", f"choose from {', '.join(SERVICES)}")
    names = [args.service] if args.service else list(SERVICES)
    if args.action == "create" and (not args.service or not args.party):
        raise OperatorError(f"{action} needs --service and --party",
                            "e.g. cpa keys create --service roadkill --party acrc")
    if args.party is not None:
        if args.action == "revoke":
            raise OperatorError(f"{action} takes --prefix, not --party", "list the keys with: cpa keys list")
        unknown = [n for n in names if args.party not in SERVICES[n].load().SPEC.parties]
        if len(unknown) == len(names):
            codes = ", ".join(SERVICES[names[0]].load().SPEC.parties.codes()) if len(names) == 1 else ""
            raise OperatorError(f"unknown party {args.party!r} for {' or '.join(names)}",
                                f"parties: {codes}" if codes else "list each service's parties with: cpa keys list")
        names = [n for n in names if n not in unknown]
    if args.action == "revoke":
        if not args.prefix:
            raise OperatorError(f"{action} needs --prefix (the 12 characters `cpa keys list` shows)",
                                "e.g. cpa keys revoke --service roadkill --prefix cpa_acrc_AbC")
        if not KEY_PREFIX.fullmatch(args.prefix):
            # A whole key pasted by mistake is a secret: never echo what was given.
            raise OperatorError("--prefix must be the first 12 characters of a key, as `cpa keys list` shows them",
                                "e.g. cpa keys revoke --service roadkill --prefix cpa_acrc_AbC")
    elif args.prefix is not None:
        raise OperatorError(f"{action} takes no --prefix", "--prefix is for cpa keys revoke")
    if args.label is not None and args.action != "create":
        raise OperatorError(f"{action} takes no --label", "--label is for cpa keys create")
    if args.label is not None and (len(args.label) > 200 or not args.label.isprintable()):
        raise OperatorError("--label must be printable text of at most 200 characters",
                            "e.g. --label 'T-map production'")
    return names


def cmd_keys(args: argparse.Namespace) -> int:
    from sqlalchemy import select, update

    from shared import auth, migrations
    from shared.db import utcnow

    names = _check_key_arguments(args)
    for name in names:
        _entry, module = _service(name)
        settings = _settings(module)
        platform = _connected_platform(module, settings)
        try:
            migrations.upgrade(platform.db, module.SPEC.migrations_dir)
            t = platform.tables.api_key
            if args.action == "create":
                with platform.db.session() as s:
                    key = auth.create_key(s, platform.tables, party=args.party, label=args.label or "")
                print("Store this key now; only its hash is kept:\n" + key)
            elif args.action == "revoke":
                with platform.db.session() as s:
                    n = s.execute(update(t).where(t.c.prefix == args.prefix, t.c.revoked_at.is_(None))
                                  .values(revoked_at=utcnow())).rowcount
                print(f"{name}: revoked {n} key(s)")
            else:
                query = select(t).order_by(t.c.party, t.c.created_at)
                if args.party:
                    query = query.where(t.c.party == args.party)
                with platform.db.read_session() as s:
                    rows = s.execute(query).all()
                print(f"== {name} ==")
                if platform.settings.demo_mode:
                    print("  demo mode: every party also accepts the documented key demo-<party>:")
                    for p in platform.parties:
                        if not args.party or p.code == args.party:
                            print(f"    demo-{p.code:18s} {p.name}")
                for r in rows:
                    state = "revoked" if r.revoked_at else "active"
                    print(f"  {r.prefix}…  {r.party:18s} {state:8s} {r.created_at:%Y-%m-%d %H:%M}  {r.label}")
        finally:
            platform.db.dispose()
    return 0


def cmd_delegate(args: argparse.Namespace) -> int:
    """`cpa seed SERVICE …` and `cpa demo …` are implemented by the services' own modules."""
    if args.command == "seed":
        _service(args.service)
        module = importlib.import_module(f"services.{args.service}.seeding")
        return int(module.main(args.rest) or 0)
    module = importlib.import_module("services.demo")
    return int(module.main(args.rest) or 0)


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error in two lines (the error, then where the help is) and exit code 2."""

    def error(self, message: str):
        self.exit(2, f"error: {self.prog}: {message}\nhint: see `{self.prog} --help`\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cpa", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the services (SQLite under var/ by default) until Ctrl-C")
    run.add_argument("--only", help="comma-separated subset, e.g. roadkill,peaks")
    run.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    run.add_argument("--reload", action="store_true", help=argparse.SUPPRESS)
    run.set_defaults(func=cmd_run)
    serve = sub.add_parser("serve", help="run one service in this process (what `cpa run` starts for each)")
    serve.add_argument("service", choices=list(SERVICES))
    serve.add_argument("--host", help="default: HOST or 127.0.0.1")
    serve.add_argument("--port", type=int, help="default: PORT or the service's port")
    serve.add_argument("--reload", action="store_true", help=argparse.SUPPRESS)
    serve.set_defaults(func=cmd_serve)
    worker = sub.add_parser("worker", help="run one service's outbox relay as a separate process")
    worker.add_argument("service", choices=list(SERVICES))
    worker.add_argument("--once", action="store_true", help="deliver what is due, then exit")
    worker.add_argument("--worker-id")
    worker.set_defaults(func=cmd_worker)
    mig = sub.add_parser("migrate", help="apply a service's migrations")
    mig.add_argument("service", choices=list(SERVICES))
    mig.add_argument("--revision", default="head")
    mig.add_argument("--seed", action="store_true", help="also load reference data")
    mig.set_defaults(func=cmd_migrate)
    mk = sub.add_parser("makemigrations", help="(developers) autogenerate a migration from the models")
    mk.add_argument("service", choices=list(SERVICES))
    mk.add_argument("-m", "--message", required=True)
    mk.set_defaults(func=cmd_makemigrations)
    keys = sub.add_parser("keys", help="list, create or revoke API keys")
    keys.add_argument("action", choices=["list", "create", "revoke"])
    keys.add_argument("--service", choices=list(SERVICES))
    keys.add_argument("--party")
    keys.add_argument("--label")
    keys.add_argument("--prefix", help="key prefix to revoke")
    keys.set_defaults(func=cmd_keys)
    seed = sub.add_parser("seed", help="load a synthetic history, e.g. `cpa seed roadkill --incidents 1000000`")
    seed.add_argument("service", choices=list(SERVICES))
    seed.add_argument("rest", nargs=argparse.REMAINDER)
    seed.set_defaults(func=cmd_delegate)
    demo = sub.add_parser("demo", help="drive the training scenario against running services")
    demo.add_argument("rest", nargs=argparse.REMAINDER)
    demo.set_defaults(func=cmd_delegate)
    return parser


def operator_error(exc: BaseException) -> OperatorError | None:
    """What an operator must fix, from an exception that reached the top of a command; else None."""
    from pydantic import ValidationError
    from sqlalchemy.exc import ArgumentError, InterfaceError, NoSuchModuleError, OperationalError

    if isinstance(exc, OperatorError):
        return exc
    if isinstance(exc, ValidationError) and exc.title.endswith("Settings"):
        return explain_validation_error(exc)  # settings built outside `_settings` (e.g. by `cpa seed`)
    if isinstance(exc, ArgumentError | NoSuchModuleError):
        return OperatorError("DATABASE_URL (or --database-url) is not a database URL SQLAlchemy can use",
                             "use sqlite:///var/{service}.db or postgresql+psycopg://user:password@host:5432/db")
    if isinstance(exc, OperationalError | InterfaceError) and exc.statement is None:
        # Raised while connecting (no statement yet), outside `_connected_platform`, e.g. by `cpa seed`.
        text = str(exc.orig if exc.orig is not None else exc).strip()
        reason = text.splitlines()[0].removeprefix("connection failed: ") if text else type(exc).__name__
        reason = _URL_CREDENTIALS.sub(r"\1***@", reason)
        return OperatorError(f"cannot connect to the database: {reason}",
                             "start the database, or fix host, port, user, password or database name in DATABASE_URL")
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        # `cpa demo --size medium`: the demo's options belong to services.demo, whose own parser
        # has the help text (argparse.REMAINDER would refuse a leading option).
        if argv[:1] == ["demo"]:
            return int(importlib.import_module("services.demo").main(argv[1:]) or 0)
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except Exception as exc:
        error = operator_error(exc)
        if error is None:
            raise
        print("\n".join(error.lines()), file=sys.stderr, flush=True)
        return error.exit_code


if __name__ == "__main__":
    sys.exit(main())
