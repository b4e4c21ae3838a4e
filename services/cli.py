"""`cpa`: run the services, relay workers, migrations, API keys, seeding and the demo."""
from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from services.registry import SERVICES


def _service(name: str):
    if name not in SERVICES:
        raise SystemExit(f"unknown service {name!r}; choose from {', '.join(SERVICES)}")
    return SERVICES[name], SERVICES[name].load()


def _settings(module, **overrides):
    return module.Settings(**overrides)


def cmd_run(args: argparse.Namespace) -> int:
    names = [n.strip() for n in args.only.split(",")] if args.only else list(SERVICES)
    for n in names:
        _service(n)
    Path("var").mkdir(exist_ok=True)
    procs: list[subprocess.Popen] = []
    for n in names:
        entry = SERVICES[n]
        env = dict(os.environ, PORT=str(entry.port), HOST=args.host)
        cmd = [sys.executable, "-m", "uvicorn", f"{entry.module}:create_app", "--factory",
               "--host", args.host, "--port", str(entry.port), "--no-access-log", "--timeout-graceful-shutdown", "5"]
        if not args.reload:
            cmd += ["--loop", "uvloop", "--http", "httptools"]
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
    from shared.platform import Platform

    _entry, module = _service(args.service)
    settings = _settings(module)
    configure_logging(settings.log_level, settings.log_json)
    platform = Platform(module.SPEC, settings)
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
    from shared.platform import Platform

    _entry, module = _service(args.service)
    platform = Platform(module.SPEC, _settings(module))
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


def cmd_keys(args: argparse.Namespace) -> int:
    from sqlalchemy import select, update

    from shared import auth, migrations
    from shared.db import utcnow
    from shared.platform import Platform

    services = [args.service] if args.service else list(SERVICES)
    for name in services:
        _entry, module = _service(name)
        platform = Platform(module.SPEC, _settings(module))
        migrations.upgrade(platform.db, module.SPEC.migrations_dir)
        t = platform.tables.api_key
        if args.action == "create":
            if not args.service or not args.party:
                raise SystemExit("cpa keys create needs --service and --party")
            if args.party not in platform.parties:
                raise SystemExit(f"unknown party {args.party!r} for {name}; parties: {', '.join(platform.parties.codes())}")
            with platform.db.session() as s:
                key = auth.create_key(s, platform.tables, party=args.party, label=args.label or "")
            print("Store this key now; only its hash is kept:\n" + key)
        elif args.action == "revoke":
            with platform.db.session() as s:
                n = s.execute(update(t).where(t.c.prefix == args.prefix, t.c.revoked_at.is_(None))
                              .values(revoked_at=utcnow())).rowcount
            print(f"revoked {n} key(s)")
        else:
            with platform.db.read_session() as s:
                rows = s.execute(select(t).order_by(t.c.party, t.c.created_at)).all()
            print(f"== {name} ==")
            if platform.settings.demo_mode:
                print("  demo mode: every party also accepts the documented key demo-<party>:")
                for p in platform.parties:
                    print(f"    demo-{p.code:18s} {p.name}")
            for r in rows:
                state = "revoked" if r.revoked_at else "active"
                print(f"  {r.prefix}…  {r.party:18s} {state:8s} {r.created_at:%Y-%m-%d %H:%M}  {r.label}")
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cpa", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the services (SQLite under var/ by default) until Ctrl-C")
    run.add_argument("--only", help="comma-separated subset, e.g. roadkill,peaks")
    run.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    run.add_argument("--reload", action="store_true", help=argparse.SUPPRESS)
    run.set_defaults(func=cmd_run)
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


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # `cpa demo --size medium`: the demo's options belong to services.demo, whose own parser
    # has the help text (argparse.REMAINDER would refuse a leading option).
    if argv[:1] == ["demo"]:
        return int(importlib.import_module("services.demo").main(argv[1:]) or 0)
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
