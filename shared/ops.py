"""Operator endpoints shared by every service: about, dead letters, re-drive, party endpoints, trace."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field, HttpUrl
from sqlalchemy.dialects import postgresql, sqlite

from shared import case_account, endpoints, outbox, trace, url_safety, webhooks
from shared.answers import MERMAID, Attempt, EndpointSet, OutboxPage, Party, Redriven, Trace
from shared.auth import PUBLIC, Principal, RequireParty
from shared.case_figures import live_figures
from shared.db import utcnow
from shared.deps import PlatformDep
from shared.errors import Problem, field_problem
from shared.pii_guard import RRNGuarded


class EndpointIn(RRNGuarded):
    model_config = {"json_schema_extra": {"examples": [{"url": "https://hooks.acrc.example/roadkill", "enabled": True, "secret_version": 1}]}}

    url: HttpUrl = Field(description="Where the hub POSTs this party's signed webhooks")
    enabled: bool = True
    secret_version: int = Field(default=1, ge=1, le=1000, description="Bump to rotate the signing secret")


class EndpointState(BaseModel):
    party: str
    state: Literal["configured", "disabled", "unconfigured", "simulated"]
    url: str | None
    enabled: bool | None
    secret_version: int | None
    updated_at: str | None
    disabled_by: str | None = Field(description="Who disabled the endpoint: the operator or the receiver (410 Gone)")
    waiting: dict[str, int] = Field(description="Messages not yet delivered, by status")


class EndpointsOut(BaseModel):
    demo_mode: bool
    url_policy: str = Field(description="Which webhook URLs are accepted in this mode")
    items: list[EndpointState]


def ops_router(spec) -> APIRouter:
    operator = RequireParty(spec.parties.operator)
    OperatorDep = Annotated[Principal, Depends(operator)]
    router = APIRouter(prefix="/v1", tags=["operations"])

    account = case_account.account_of(spec.about)
    if account is not None:
        @router.get("/about", operation_id="about", dependencies=[PUBLIC])
        def about(platform: PlatformDep) -> case_account.About:
            """The case's account: the handbook's overview and considerations, figures, model, our extensions;
            every fact with its provenance (`by`: handbook + table, source, assumption, extension); live counts."""
            extra = spec.about_extra(platform) if spec.about_extra is not None else None
            return case_account.about_response(account, live=live_figures(platform), extra=extra)
    else:
        @router.get("/about", operation_id="about", dependencies=[PUBLIC])
        def about_text(platform: PlatformDep) -> dict[str, Any]:
            """What this service says about itself."""
            if spec.about_extra is None:
                return spec.about
            return {**spec.about, **spec.about_extra(platform)}

    @router.get("/parties", operation_id="list_parties", dependencies=[PUBLIC])
    def parties() -> list[Party]:
        """The parties of this collaboration and their roles."""
        return [{"code": p.code, "name": p.name, "name_ko": p.name_ko, "roles": sorted(p.roles),
                 "description": p.description} for p in spec.parties]

    @router.get("/ops/outbox", operation_id="list_outbox")
    def list_outbox(p: PlatformDep, _: OperatorDep,
                    status: Literal["pending", "delivering", "delivered", "dead", "no-endpoint", "disabled"] | None = None,
                    party: str | None = Query(default=None, max_length=40),
                    limit: int = Query(default=100, ge=1, le=500)) -> OutboxPage:
        """Outbox messages (dead letters with `status=dead`; waiting for an operator: `no-endpoint`,
        `disabled`) with their last error."""
        with p.db.read_session() as s:
            return {"items": outbox.list_messages(s, p.tables, status=status, party=party, limit=limit),
                    "counts": outbox.counts(s, p.tables)}

    @router.get("/ops/outbox/{message_id}/attempts", operation_id="list_attempts")
    def list_attempts(p: PlatformDep, _: OperatorDep, message_id: str) -> list[Attempt]:
        """Every delivery attempt of one message: status code, latency, error."""
        with p.db.read_session() as s:
            return outbox.attempts(s, p.tables, message_id)

    @router.post("/ops/outbox/{message_id}/redrive", operation_id="redrive")
    def redrive(p: PlatformDep, _: OperatorDep, message_id: str) -> Redriven:
        """Puts a dead-lettered message back in the queue."""
        with p.db.session() as s:
            return outbox.redrive(s, p.tables, message_id)

    @router.get("/ops/endpoints", operation_id="list_endpoints")
    def list_endpoints(p: PlatformDep, _: OperatorDep) -> EndpointsOut:
        """Every party that receives webhooks, at a glance: `configured`, `disabled` (by an operator or a
        410 Gone), `unconfigured` (outside demo mode: its messages wait as `no-endpoint`) or `simulated`
        (demo mode), with the messages waiting for it; and which URLs are allowed."""
        with p.db.read_session() as s:
            items = endpoints.overview(s, p)
        return EndpointsOut(demo_mode=p.settings.demo_mode, url_policy=p.relay.policy.description, items=items)

    @router.put("/ops/endpoints/{party}", operation_id="put_endpoint")
    def put_endpoint(p: PlatformDep, _: OperatorDep, party: str, body: EndpointIn) -> EndpointSet:
        """Points a party at an external URL (or enables it again after a 410 Gone); the response carries
        the secret to verify signatures. Messages waiting for the party are delivered from then on."""
        if party not in p.parties:
            raise Problem(404, "not-found", f"No party {party!r}; known parties: {', '.join(p.parties.codes())}.")
        try:
            url_safety.vet(str(body.url), p.relay.policy)
        except url_safety.UnsafeURL as exc:
            raise field_problem("url", f"{exc} (allowed: {p.relay.policy.description})") from None
        e = p.tables.endpoint
        values = {"party": party, "url": str(body.url), "enabled": body.enabled,
                  "secret_version": body.secret_version, "updated_at": utcnow()}
        dialect = postgresql if not p.db.is_sqlite else sqlite
        stmt = dialect.insert(e).values(**values)
        stmt = stmt.on_conflict_do_update(index_elements=[e.c.party], set_={k: v for k, v in values.items()
                                                                            if k != "party"})
        with p.db.session() as s:
            s.execute(stmt)
        p._external = (0.0, set())
        p.relay.notify()  # messages held for this party are due again
        return {**values, "updated_at": values["updated_at"].isoformat(), "url_policy": p.relay.policy.description,
                "signing_secret": webhooks.party_secret(p.settings.secret_key.get_secret_value(), party, body.secret_version)}

    @router.get("/ops/trace", operation_id="read_trace", response_model=Trace, responses=MERMAID)
    def read_trace(p: PlatformDep, _: OperatorDep,
                   subject_type: str = Query(max_length=40), subject_id: str = Query(max_length=64),
                   format: Literal["json", "mermaid"] = "json"):
        """Every cross-party message about one subject, as JSON or a Mermaid sequence diagram."""
        with p.db.read_session() as s:
            events = trace.read(s, p.tables, subject_type=subject_type, subject_ids=[subject_id])
        if format == "mermaid":
            return PlainTextResponse(trace.to_mermaid(events, p.parties), media_type="text/vnd.mermaid")
        return {"subject_type": subject_type, "subject_id": subject_id, "events": events}

    return router
