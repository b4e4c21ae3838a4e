"""The three-cases page for trainers (`/ui/three-cases`), the same on every service.

The three cases side by side along the handbook's considerations (Tables 4, 6 and 8), Table 2's questions,
Table 9's two models with the model each case fits, the handbook's figures and live counts. Each service's
account and live counts are read from its `GET /v1/about` over HTTP (httpx, short timeout, addresses from
`CASES_BASE_URLS`); this service's own come from its spec and database. A service that does not answer is
shown as not running and the page still renders.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx

from shared.case_account import CONSIDERATION_KEYS, About, CaseAccount, account_of, framework
from shared.case_figures import live_figures
from shared.reference import ReferenceDataError, validate_json
from shared.ui.about import MODEL_NAMES, ROW_LABELS, consideration_groups, questions_of

LIVE_LABELS = {"messages": "messages between parties", "parties_reached": "parties that received messages",
               "webhooks_delivered": "webhooks delivered"}


@dataclass
class CaseColumn:
    """One service on the page: its account and live counts, or why they are missing."""

    name: str
    base_url: str  # "" for the service showing the page (its links stay relative)
    account: CaseAccount | None = None
    live: dict[str, Any] | None = None
    status: str = "running"  # running | not running | not an account
    detail: str = ""
    groups: dict[str, Any] = field(default_factory=dict)

    @property
    def model_name(self) -> str:
        return MODEL_NAMES.get(self.account.model_fit.model, "") if self.account is not None else ""


async def _fetch(client: httpx.AsyncClient, name: str, base_url: str) -> CaseColumn:
    column = CaseColumn(name, base_url.rstrip("/"))
    try:
        response = await client.get(f"{column.base_url}/v1/about", headers={"accept": "application/json"})
    except httpx.HTTPError as exc:
        column.status, column.detail = "not running", f"no answer from {column.base_url} ({type(exc).__name__})"
        return column
    if response.status_code != 200:
        column.status, column.detail = "not running", f"{column.base_url}/v1/about answered {response.status_code}"
        return column
    try:
        about = validate_json(response.content, About, f"{name} /v1/about")
    except ReferenceDataError as exc:
        column.status, column.detail = "not an account", str(exc)[:300]
        return column
    column.account, column.live = about, about.live
    return column


def _own(platform: Any) -> CaseColumn:
    column = CaseColumn(platform.spec.name, "", account_of(platform.spec.about))
    if column.account is None:
        column.status, column.detail = "not an account", "this service has no case account"
    column.live = live_figures(platform)
    return column


async def columns(platform: Any) -> list[CaseColumn]:
    """The services in CASES_BASE_URLS order (this one included even when not listed), each with its account."""
    settings = platform.settings
    own = platform.spec.name
    urls = dict(settings.cases_base_urls)
    async with httpx.AsyncClient(timeout=settings.cases_timeout_s, follow_redirects=False) as client:
        fetched = await asyncio.gather(*(_fetch(client, name, url) for name, url in urls.items() if name != own))
    by_name = {c.name: c for c in fetched}
    by_name[own] = await anyio.to_thread.run_sync(_own, platform)
    order = list(urls) if own in urls else [own, *urls]
    out = [by_name[name] for name in order]
    for c in out:
        c.groups = {key: consideration_groups(c.account, key) for key in CONSIDERATION_KEYS} if c.account else {}
    return out


def page_context(cols: list[CaseColumn]) -> dict[str, Any]:
    fw = framework()
    rows = [{"key": key, "label": ROW_LABELS[key], "questions": questions_of(key)} for key in CONSIDERATION_KEYS]
    subject_types = sorted({t for c in cols for t in (c.live or {}).get("subjects", {})})
    return {"columns": cols, "rows": rows, "framework": fw, "live_labels": LIVE_LABELS,
            "subject_types": subject_types}
