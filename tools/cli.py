"""`cpa`: run the services, relay workers, migrations, API keys, seeding and the demo."""
from __future__ import annotations

import argparse
import importlib
import os
import re
import sys

from services.registry import SERVICES
from shared.settings import OperatorError, explain_validation_error
from tools.database import cmd_keys, cmd_makemigrations, cmd_migrate, service_module
from tools.processes import cmd_run, cmd_serve, cmd_worker

_URL_CREDENTIALS = re.compile(r"(//[^:/@\s]*:)[^@\s]*@")  # the password of a URL inside a driver message


def cmd_delegate(args: argparse.Namespace) -> int:
    """`cpa seed SERVICE …` and `cpa demo …` are implemented by tools.seeding and tools.demo."""
    if args.command == "seed":
        service_module(args.service)
        module = importlib.import_module(f"tools.seeding.{args.service}")
        return int(module.main(args.rest) or 0)
    module = importlib.import_module("tools.demo")
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
    keys.add_argument("--id", help="the id of the one key to revoke (or its first 4+ characters), as list shows it")
    keys.add_argument("--prefix", help="revoke the one active key starting with these 12 characters")
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
        return explain_validation_error(exc)  # settings built outside `settings_of` (e.g. by `cpa seed`)
    if isinstance(exc, ArgumentError | NoSuchModuleError):
        return OperatorError("DATABASE_URL (or --database-url) is not a database URL SQLAlchemy can use",
                             "use sqlite:///var/{service}.db or postgresql+psycopg://user:password@host:5432/db")
    if isinstance(exc, OperationalError | InterfaceError) and exc.statement is None:
        # Raised while connecting (no statement yet), outside `connected_platform`, e.g. by `cpa seed`.
        text = str(exc.orig if exc.orig is not None else exc).strip()
        reason = text.splitlines()[0].removeprefix("connection failed: ") if text else type(exc).__name__
        reason = _URL_CREDENTIALS.sub(r"\1***@", reason)
        return OperatorError(f"cannot connect to the database: {reason}",
                             "start the database, or fix host, port, user, password or database name in DATABASE_URL")
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        # `cpa demo --size medium`: the demo's options belong to tools.demo, whose own parser
        # has the help text (argparse.REMAINDER would refuse a leading option).
        if argv[:1] == ["demo"]:
            return int(importlib.import_module("tools.demo").main(argv[1:]) or 0)
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
