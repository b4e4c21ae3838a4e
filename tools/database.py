"""`cpa migrate`, `cpa makemigrations` and `cpa keys`, and how every command reaches a service's database."""
from __future__ import annotations

import argparse
import re
from pathlib import Path

from services.registry import SERVICES
from shared.settings import OperatorError, load_settings

# `cpa keys create` prints keys `cpa_<party>_<public id>_<random>`; `cpa keys list` shows each key's public
# id and its first 12 characters. `revoke --id` takes a public id or its start, `--prefix` those 12 characters.
KEY_PREFIX = re.compile(r"cpa_[a-z0-9][A-Za-z0-9_-]{7}")
KEY_ID = re.compile(r"[a-z2-9]{4,16}")
REVOKE_HINT = "revoke one key by its id: cpa keys revoke --id <id> (cpa keys list shows the ids)"


def service_module(name: str):
    """The registry entry and module of a service (an unknown name is an OperatorError)."""
    if name not in SERVICES:
        raise OperatorError(f"unknown service {name!r}", f"choose from {', '.join(SERVICES)}")
    return SERVICES[name], SERVICES[name].load()


def settings_of(module, **overrides):
    """The service's settings; an invalid or missing value is an OperatorError naming the variable."""
    return load_settings(module.Settings, **overrides)


def connected_platform(module, settings):
    """The service's platform once its database answers (an unreachable one is an OperatorError)."""
    from shared.platform import Platform

    platform = Platform(module.SPEC, settings)
    try:
        platform.db.check_connection()
    except BaseException:
        platform.db.dispose()
        raise
    return platform


def cmd_migrate(args: argparse.Namespace) -> int:
    from shared import migrations

    _entry, module = service_module(args.service)
    platform = connected_platform(module, settings_of(module))
    migrations.upgrade(platform.db, module.SPEC.migrations_dir, args.revision)
    if args.seed and module.SPEC.seed:
        module.SPEC.seed(platform)
    print(f"{args.service}: database at {args.revision}")
    platform.db.dispose()
    return 0


def cmd_makemigrations(args: argparse.Namespace) -> int:
    from shared import migrations
    from shared.platform import Platform

    _entry, module = service_module(args.service)
    platform = Platform(module.SPEC, settings_of(module, database_url=f"sqlite:///var/_autogen_{args.service}.db"))
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
            raise OperatorError(f"{action} takes --id (or --prefix), not --party", "list the keys with: cpa keys list")
        unknown = [n for n in names if args.party not in SERVICES[n].load().SPEC.parties]
        if len(unknown) == len(names):
            codes = ", ".join(SERVICES[names[0]].load().SPEC.parties.codes()) if len(names) == 1 else ""
            raise OperatorError(f"unknown party {args.party!r} for {' or '.join(names)}",
                                f"parties: {codes}" if codes else "list each service's parties with: cpa keys list")
        names = [n for n in names if n not in unknown]
    if args.action == "revoke":
        if bool(args.id) == bool(args.prefix):
            raise OperatorError(f"{action} needs --id (the key's id `cpa keys list` shows) or --prefix, not both",
                                "e.g. cpa keys revoke --service roadkill --id k7m2x9qpa4")
        if args.id and not KEY_ID.fullmatch(args.id):
            raise OperatorError("--id must be a key id (or its first 4+ characters) as `cpa keys list` shows it",
                                "e.g. cpa keys revoke --service roadkill --id k7m2x9qpa4")
        if args.prefix and not KEY_PREFIX.fullmatch(args.prefix):
            # A whole key pasted by mistake is a secret: never echo what was given.
            raise OperatorError("--prefix must be the first 12 characters of a key, as `cpa keys list` shows them",
                                "e.g. cpa keys revoke --service roadkill --prefix cpa_acrc_AbC")
    elif args.prefix is not None or args.id is not None:
        raise OperatorError(f"{action} takes no --id or --prefix", "--id and --prefix are for cpa keys revoke")
    if args.label is not None and args.action != "create":
        raise OperatorError(f"{action} takes no --label", "--label is for cpa keys create")
    if args.label is not None and (len(args.label) > 200 or not args.label.isprintable()):
        raise OperatorError("--label must be printable text of at most 200 characters",
                            "e.g. --label 'T-map production'")
    return names


def cmd_keys(args: argparse.Namespace) -> int:
    names = _check_key_arguments(args)
    if args.action == "revoke":
        return _revoke_one(args, names)
    from sqlalchemy import select

    from shared import auth, migrations

    for name in names:
        _entry, module = service_module(name)
        settings = settings_of(module)
        platform = connected_platform(module, settings)
        try:
            migrations.upgrade(platform.db, module.SPEC.migrations_dir)
            t = platform.tables.api_key
            if args.action == "create":
                with platform.db.session() as s:
                    issued = auth.issue_key(s, platform.tables, party=args.party, label=args.label or "")
                print(f"{name}: key id {issued.public_id} (cpa keys list shows it; cpa keys revoke --id names it)\n"
                      "Store this key now; only its hash is kept:\n" + issued.key)
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
                    print(f"  {r.public_id:16s} {r.prefix}…  {r.party:18s} {state:8s} "
                          f"{r.created_at:%Y-%m-%d %H:%M}  {r.label}")
        finally:
            platform.db.dispose()
    return 0


def _revoke_one(args: argparse.Namespace, names: list[str]) -> int:
    """Revokes exactly one active key: the one the --id (or --prefix) names among the services searched."""
    from shared import auth, migrations

    given = f"--id {args.id}" if args.id else f"--prefix {args.prefix}"
    found: list[tuple[str, object]] = []
    platforms = {}
    try:
        for name in names:
            _entry, module = service_module(name)
            platform = platforms[name] = connected_platform(module, settings_of(module))
            migrations.upgrade(platform.db, module.SPEC.migrations_dir)
            with platform.db.read_session() as s:
                found += [(name, r) for r in auth.find_keys(s, platform.tables, id_start=args.id, prefix=args.prefix)]
        if not found:
            raise OperatorError(f"no active key matches {given}", "cpa keys list shows every key with its id")
        if len(found) > 1:
            ids = ", ".join(f"{n}:{r.public_id} ({r.party})" for n, r in found[:10])
            raise OperatorError(f"{given} matches {len(found)} keys ({ids}); nothing was revoked", REVOKE_HINT)
        name, row = found[0]
        with platforms[name].db.session() as s:
            auth.revoke_key(s, platforms[name].tables, public_id=row.public_id)
        print(f"{name}: revoked 1 key: {row.public_id} ({row.party}, {row.prefix}…)")
    finally:
        for platform in platforms.values():
            platform.db.dispose()
    return 0
