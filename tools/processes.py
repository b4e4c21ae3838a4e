"""`cpa run`, `cpa serve` and `cpa worker`: the services and their relay workers as processes."""
from __future__ import annotations

import argparse
import asyncio
import errno
import os
import signal
import socket
import subprocess
import sys
import time

from services.registry import SERVICES
from shared.settings import OperatorError
from tools.database import connected_platform, service_module, settings_of


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
    _entry, module = service_module(name)
    settings = settings_of(module, host=host, port=port)
    hint = "stop that process (an earlier `cpa run`?)" + \
        (f", or start the others alone: cpa run --only {','.join(others)}" if others else "")
    connected_platform(module, settings).db.dispose()
    _bind(host, port, name, hint).close()


def cmd_serve(args: argparse.Namespace) -> int:
    """One service in this process (uvicorn, uvloop + httptools): what `cpa run` starts per service."""
    import uvicorn

    entry, module = service_module(args.service)
    env_settings = settings_of(module)
    host = args.host or env_settings.host
    port = args.port or env_settings.port
    settings = settings_of(module, host=host, port=port)
    connected_platform(module, settings).db.dispose()
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
        service_module(n)
    # Everything an operator can get wrong is reported once, here, before any service starts.
    for n in names:
        _preflight(n, args.host, SERVICES[n].port, [o for o in names if o != n])
    procs: list[subprocess.Popen] = []
    for n in names:
        entry = SERVICES[n]
        env = dict(os.environ, PORT=str(entry.port), HOST=args.host)
        cmd = [sys.executable, "-m", "tools.cli", "serve", n, "--host", args.host, "--port", str(entry.port)]
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

    _entry, module = service_module(args.service)
    settings = settings_of(module)
    configure_logging(settings.log_level, settings.log_json)
    platform = connected_platform(module, settings)
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
