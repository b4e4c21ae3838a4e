"""Health, readiness (DB reachable, migrations at head), Prometheus metrics and JSON logs."""
from __future__ import annotations

import json
import logging
import sys
import time
from typing import TYPE_CHECKING, Any

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import text

from shared.access import OpenInDemo
from shared.answers import Readiness
from shared.auth import PUBLIC
from shared.errors import Problem

if TYPE_CHECKING:
    from shared.platform import Platform


class Metrics:
    def __init__(self, service: str):
        self.registry = CollectorRegistry()
        self.requests = Counter("http_requests_total", "HTTP requests", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("http_request_duration_seconds", "HTTP request latency", ["method", "route"],
                                 registry=self.registry,
                                 buckets=(.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
        self.deliveries = Counter("webhook_deliveries_total", "Webhook delivery attempts", ["to_party", "outcome"],
                                  registry=self.registry)
        self.delivery_latency = Histogram("webhook_delivery_seconds", "Webhook delivery latency",
                                          registry=self.registry)
        self._children: dict[tuple[str, str, int], tuple] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        # The labelled children are looked up once per (method, route, status): `labels()` costs
        # a lock and a tuple build per call, on every request.
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (self.requests.labels(method, route, str(status)),
                                              self.latency.labels(method, route))
        children[0].inc()
        children[1].observe(seconds)

    def observe_delivery(self, party: str, outcome: str, seconds: float) -> None:
        self.deliveries.labels(party, outcome).inc()
        self.delivery_latency.observe(seconds)

    def add_outbox_collector(self, platform: Platform) -> None:
        from shared import outbox

        class _Outbox:
            def collect(self_inner):
                g = GaugeMetricFamily("outbox_messages", "Outbox messages by status", labels=["status"])
                try:
                    with platform.db.read_session() as s:
                        for status, n in outbox.counts(s, platform.tables).items():
                            g.add_metric([status], n)
                except Exception:  # metrics must answer even when the database does not
                    pass
                yield g

        self.registry.register(_Outbox())


def health_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", operation_id="healthz", dependencies=[PUBLIC])
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers (no database call)."""
        return {"status": "ok"}

    @router.get("/readyz", operation_id="readyz", dependencies=[PUBLIC],
                responses={503: {"description": "Not ready", "content": {"application/problem+json": {}}}})
    async def readyz(request: Request) -> Readiness:
        """Readiness: database reachable and migrations at head."""
        platform = request.app.state.platform
        try:
            state = await anyio.to_thread.run_sync(platform.readiness)
        except Exception as exc:
            raise Problem(503, "database-unavailable", f"Database unreachable ({type(exc).__name__}).",
                          headers={"Retry-After": "5"}) from None
        if not state["migrations_at_head"]:
            raise Problem(503, "migrations-pending", "Database schema is not at the latest migration.",
                          headers={"Retry-After": "30"}, **state)
        return {"status": "ready", **state}

    @router.get("/metrics", operation_id="metrics", dependencies=[Depends(OpenInDemo("metrics_token"))],
                response_class=Response)
    async def metrics(request: Request) -> Response:
        """Prometheus text exposition. Outside demo mode: the operator's key or `METRICS_TOKEN` as bearer."""
        registry = request.app.state.platform.metrics.registry
        body = await anyio.to_thread.run_sync(generate_latest, registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return router


def check_database(engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


class JsonFormatter(logging.Formatter):
    """One JSON object per line; only explicitly passed `extra` fields are included."""

    _SKIP = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName"}

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + "Z",
                               "level": record.levelname, "logger": record.name, "msg": record.getMessage()}
        for k, v in record.__dict__.items():
            if k not in self._SKIP:
                out[k] = v
        if record.exc_info:
            out["exc_type"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def configure_logging(level: str = "INFO", json_logs: bool = True) -> None:
    root = logging.getLogger()
    if getattr(root, "_cpa_configured", False):
        root.setLevel(level)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_logs else logging.Formatter("%(levelname)s %(name)s %(message)s"))
    # Replace plain console handlers only (basicConfig's, which would print every line
    # twice); subclasses such as pytest's capture handler or a file handler stay attached.
    root.handlers = [h for h in root.handlers if type(h) is not logging.StreamHandler] + [handler]
    root.setLevel(level)
    root._cpa_configured = True  # type: ignore[attr-defined]
    # uvicorn's access log prints the full path and query string, which can carry personal
    # data; our own access log records only the route template.
    logging.getLogger("uvicorn.access").disabled = True
    # httpx logs every request URL at INFO; URLs can carry identifiers, so keep it quiet.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
