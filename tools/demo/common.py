"""What every part of the demo shares: the HTTP client that acts as a party, sizes, the run context."""
from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import httpx

# Per size: roadkill reports, climbers, residents. `--reports/--climbers/--residents` override.
SIZES: dict[str, dict[str, int]] = {
    "small": {"reports": 14, "climbers": 4, "residents": 6},
    "medium": {"reports": 60, "climbers": 12, "residents": 20},
    "large": {"reports": 250, "climbers": 40, "residents": 80},
}
RETRY_STATUSES = frozenset({502, 503, 504})


class DemoError(Exception):
    """Something the trainer has to fix (a service down, keys refused); the message says what."""


class Api:
    """One service, called as any of its parties (`demo-<party>` keys, or a climber's token)."""

    def __init__(self, name: str, base_url: str, *, timeout: float = 30.0):
        self.name, self.base_url = name, base_url.rstrip("/")
        self.client = httpx.Client(base_url=self.base_url, timeout=timeout)

    def close(self) -> None:
        self.client.close()

    def request(self, method: str, path: str, *, party: str | None = None, token: str | None = None,
                ok: tuple[int, ...] = (200, 201), **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if party or token:
            headers["authorization"] = f"Bearer {token or 'demo-' + party}"
        if method != "GET" and (party or token):
            # Retried on a network error or 50x with the same key, so nothing is created twice. Anonymous
            # requests (a climber registering) take no Idempotency-Key: it is scoped to a credential.
            headers.setdefault("idempotency-key", uuid.uuid4().hex)
        for attempt in range(4):
            try:
                resp = self.client.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError as exc:
                if attempt == 3:
                    raise DemoError(f"{self.name} at {self.base_url} stopped answering ({type(exc).__name__}) "
                                    f"during {method} {path}; is it still running?") from None
                time.sleep(0.5 * (attempt + 1))
                continue
            if resp.status_code in RETRY_STATUSES and attempt < 3:
                time.sleep(0.5 * (attempt + 1))
                continue
            break
        if resp.status_code in (401, 403) and party and resp.status_code not in ok:
            raise DemoError(f"{self.name} refused the demo key demo-{party} ({resp.status_code}) on {method} {path}; "
                            "the services must run in demo mode (DEMO_MODE=true, the default of `make run`).")
        if resp.status_code not in ok:
            raise DemoError(f"{self.name}: {method} {path} answered {resp.status_code}: {_detail(resp)}")
        return resp

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs).json()

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs).json()

    def pages(self, path: str, *, limit: int = 200, stop: Callable[[dict], bool] | None = None,
              **kwargs: Any) -> list[dict]:
        """Every item of a cursor-paginated list (newest first); `stop(item)` ends early."""
        params = dict(kwargs.pop("params", None) or {}, limit=limit)
        out: list[dict] = []
        while True:
            body = self.get(path, params=params, **kwargs)
            for item in body["items"]:
                if stop and stop(item):
                    return out
                out.append(item)
            if not body.get("next_cursor"):
                return out
            params["cursor"] = body["next_cursor"]

    def check(self) -> dict[str, Any]:
        """The service answers and is the one we expect; a clear DemoError otherwise."""
        try:
            self.client.get("/healthz", timeout=3.0).raise_for_status()
            about = self.client.get("/v1/about", timeout=5.0).json()
        except (httpx.HTTPError, ValueError) as exc:
            raise DemoError(f"{self.name} is not reachable at {self.base_url} ({type(exc).__name__}). Start the "
                            f"services with `make run` in another terminal, or pass --{self.name}-url.") from None
        if about.get("service") not in (None, self.name):
            raise DemoError(f"{self.base_url} is the {about.get('service')} service, not {self.name}; "
                            f"check --{self.name}-url.")
        return about


def _detail(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:300]
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("title") or body)[:500]
    return str(body)[:500]


@dataclass
class Part:
    """One service's share of the run: its client, random source, pacing and progress reporting."""

    name: str
    api: Api
    rng: random.Random
    speed: float
    started: datetime
    advance: Callable[[int], None] = lambda n: None
    say: Callable[[str], None] = lambda text: None
    describe: Callable[[str], None] = lambda text: None
    created: dict[str, Any] = field(default_factory=dict)  # ids the summary reads back
    stop: threading.Event = field(default_factory=threading.Event)
    today: date | None = None  # `--today`: overrides the date the peaks service reports (its /v1/about clock)

    def step(self, n: int = 1) -> None:
        """One scenario step done: move the bar and wait `--speed` seconds so a trainer can follow it."""
        self.advance(n)
        if self.speed > 0:
            self.stop.wait(self.speed)
        if self.stop.is_set():
            raise DemoError("interrupted")


def wait_for(predicate: Callable[[], Any], timeout: float, interval: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
