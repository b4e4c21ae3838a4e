"""`cpa demo`: drives the training scenario over HTTP against the running services (`make run`).

Roadkill reports over Chungnam (hotspots, one carcass reported by several drivers, a transfer between
agencies), climbers certifying summits with generated photos (real EXIF GPS and times; no GPS, reuse,
5 km away), residents referred to agencies (accepted, declined, stalled, a meeting). The three run side
by side, each as its parties with the demo keys `demo-<party>`; the summary is read back from the APIs.
"""
from __future__ import annotations

import argparse
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tools.demo import onestop, peaks, roadkill
from tools.demo.common import SIZES, Api, DemoError, Part

PARTS: dict[str, tuple[Any, str]] = {"roadkill": (roadkill, "reports"), "peaks": (peaks, "climbers"),
                                     "onestop": (onestop, "residents")}
DEFAULT_URLS = {"roadkill": "http://127.0.0.1:8001", "peaks": "http://127.0.0.1:8002",
                "onestop": "http://127.0.0.1:8003"}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cpa demo", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", choices=list(SIZES), default="small",
                   help="small (a minute), medium (a few minutes), large; counts below override it")
    p.add_argument("--reports", type=int, help="about this many roadkill reports")
    p.add_argument("--climbers", type=int, help="climbers (a third of them finish every peak)")
    p.add_argument("--residents", type=int, help="residents assessed and referred")
    p.add_argument("--speed", type=float, default=0.2, metavar="SECONDS",
                   help="pause between scenario steps, so an audience can follow on the pages (0 = flat out)")
    p.add_argument("--seed", type=int, help="random seed (default: a new one each run; printed)")
    p.add_argument("--only", default="", help="comma-separated subset: roadkill,peaks,onestop")
    for name, url in DEFAULT_URLS.items():
        p.add_argument(f"--{name}-url", default=url, help=f"base URL of {name} (default {url})")
    p.add_argument("--quiet", action="store_true", help="no story lines, only the progress and the summary")
    p.add_argument("--today", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                   help="plan peaks photo capture dates up to this day (default: the date the peaks service "
                        "reports in /v1/about: today in Korea, or its training clock's day between seasons)")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(argv or [])
    if argv[:1] == ["--"]:  # `cpa demo -- --size medium`: the separator is not ours
        argv = argv[1:]
    args = build_parser().parse_args(argv)
    console = Console(highlight=False)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(PARTS)
    unknown = [n for n in names if n not in PARTS]
    if unknown or args.speed < 0:
        console.print(f"[red]unknown service {', '.join(unknown)}; choose from {', '.join(PARTS)}[/red]"
                      if unknown else "[red]--speed must be 0 or more[/red]")
        return 2
    counts = {n: getattr(args, PARTS[n][1]) or SIZES[args.size][PARTS[n][1]] for n in names}
    if any(c < 1 for c in counts.values()):
        console.print("[red]counts must be at least 1[/red]")
        return 2
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1_000_000)
    apis = {n: Api(n, getattr(args, f"{n}_url")) for n in names}
    try:
        for api in apis.values():
            api.check()
        return _run(console, args, names, counts, seed, apis)
    except DemoError as exc:
        console.print(f"[red]demo: {exc}[/red]")
        return 1
    finally:
        for api in apis.values():
            api.close()


def _run(console: Console, args, names: list[str], counts: dict[str, int], seed: int, apis: dict[str, Api]) -> int:
    console.print(f"Training demo: size {args.size} ({', '.join(f'{n} {counts[n]} {PARTS[n][1]}' for n in names)}),"
                  f" speed {args.speed:g} s, seed {seed}")
    started = datetime.now(UTC)
    t0 = time.monotonic()
    errors: dict[str, str] = {}
    parts: dict[str, Part] = {}
    with Progress(TextColumn("{task.fields[service]:9s}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.description}"), TimeElapsedColumn(), console=console) as progress:
        threads = []
        for k, n in enumerate(names):
            module = PARTS[n][0]
            task = progress.add_task("starting", total=module.steps(counts[n]), service=n)
            part = Part(n, apis[n], random.Random(seed * 31 + k), args.speed, started,
                        advance=_advance(progress, task), describe=_describe(progress, task),
                        say=(lambda text: None) if args.quiet else progress.console.print, today=args.today)
            parts[n] = part
            threads.append(threading.Thread(target=_play, args=(part, module, counts[n], errors, progress, task),
                                            name=f"demo-{n}", daemon=True))
        for t in threads:
            t.start()
        try:
            while any(t.is_alive() for t in threads):
                for t in threads:
                    t.join(timeout=0.2)
        except KeyboardInterrupt:
            for part in parts.values():
                part.stop.set()
            for t in threads:
                t.join(timeout=10)
            console.print("[yellow]interrupted[/yellow]")
            return 130
    elapsed = time.monotonic() - t0
    _summary(console, parts, errors, elapsed)
    for n, err in errors.items():
        console.print(f"[red]{n}: {err}[/red]")
    return 1 if errors else 0


def _advance(progress: Progress, task) -> Callable[[int], None]:
    return lambda n: progress.advance(task, n)


def _describe(progress: Progress, task) -> Callable[[str], None]:
    return lambda text: progress.update(task, description=text.split(": ", 1)[-1])


def _play(part: Part, module, count: int, errors: dict[str, str], progress: Progress, task) -> None:
    try:
        module.run(part, count)
        progress.update(task, description="[green]done[/green]", completed=progress.tasks[task].total)
    except DemoError as exc:
        errors[part.name] = str(exc)
        progress.update(task, description="[red]failed[/red]")
    except Exception as exc:  # a bug in the demo must not hide the other services' results
        errors[part.name] = f"{type(exc).__name__}: {exc}"
        progress.update(task, description="[red]failed[/red]")


def _summary(console: Console, parts: dict[str, Part], errors: dict[str, str], elapsed: float) -> None:
    """Per service, what this run created and where it stands now, as the APIs report it."""
    table = Table(title=f"Training demo — read back from the services ({elapsed:.0f} s)")
    table.add_column("service", style="bold")
    table.add_column("figure")
    table.add_column("value", justify="right")
    pages = {"roadkill": "/ui/ (incident board, map, agency console)",
             "peaks": "/ui/ (progress, gallery, review, certificates)",
             "onestop": "/ui/ (referral board, agency inbox, meeting agenda, linkage)"}
    for name, part in parts.items():
        try:
            if name == "roadkill":
                figures = roadkill.summary(part.api, part.started, part.created.get("incidents", []))
            elif name == "peaks":
                figures = peaks.summary(part.api, part.created)
            else:
                figures = onestop.summary(part.api, part.created)
        except DemoError as exc:
            errors.setdefault(name, str(exc))
            continue
        figures["pages"] = part.api.base_url + pages[name]
        for k, (label, value) in enumerate(figures.items()):
            table.add_row(name if k == 0 else "", label, str(value), end_section=k == len(figures) - 1)
    console.print(table)
