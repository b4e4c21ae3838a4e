"""Operator endpoints shared by every service: about, dead letters, re-drive, party endpoints, trace."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field, HttpUrl
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from shared import case_account, outbox, trace, webhooks
from shared.auth import PUBLIC, Principal, RequireParty
from shared.case_figures import live_figures
from shared.db import utcnow
from shared.deps import PlatformDep
from shared.errors import Problem


class EndpointIn(BaseModel):
    url: HttpUrl = Field(description="Where the hub POSTs this party's signed webhooks")
    enabled: bool = True
    secret_version: int = Field(default=1, ge=1, le=1000, description="Bump to rotate the signing secret")


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
    def parties() -> list[dict[str, Any]]:
        """The parties of this collaboration and their roles."""
        return [{"code": p.code, "name": p.name, "name_ko": p.name_ko, "roles": sorted(p.roles),
                 "description": p.description} for p in spec.parties]

    @router.get("/ops/outbox", operation_id="list_outbox")
    def list_outbox(p: PlatformDep, _: OperatorDep,
                    status: Literal["pending", "delivering", "delivered", "dead"] | None = None,
                    party: str | None = Query(default=None, max_length=40),
                    limit: int = Query(default=100, ge=1, le=500)) -> dict[str, Any]:
        """Outbox messages (dead letters with `status=dead`) with their last error."""
        with p.db.read_session() as s:
            return {"items": outbox.list_messages(s, p.tables, status=status, party=party, limit=limit),
                    "counts": outbox.counts(s, p.tables)}

    @router.get("/ops/outbox/{message_id}/attempts", operation_id="list_attempts")
    def list_attempts(p: PlatformDep, _: OperatorDep, message_id: str) -> list[dict[str, Any]]:
        """Every delivery attempt of one message: status code, latency, error."""
        with p.db.read_session() as s:
            return outbox.attempts(s, p.tables, message_id)

    @router.post("/ops/outbox/{message_id}/redrive", operation_id="redrive")
    def redrive(p: PlatformDep, _: OperatorDep, message_id: str) -> dict[str, Any]:
        """Puts a dead-lettered message back in the queue."""
        with p.db.session() as s:
            return outbox.redrive(s, p.tables, message_id)

    @router.get("/ops/endpoints", operation_id="list_endpoints")
    def list_endpoints(p: PlatformDep, _: OperatorDep) -> list[dict[str, Any]]:
        """Parties configured with an external webhook URL (others are simulated in-process)."""
        e = p.tables.endpoint
        with p.db.read_session() as s:
            return [{"party": r.party, "url": r.url, "enabled": r.enabled, "secret_version": r.secret_version,
                     "updated_at": r.updated_at.isoformat()} for r in s.execute(select(e)).all()]

    @router.put("/ops/endpoints/{party}", operation_id="put_endpoint")
    def put_endpoint(p: PlatformDep, _: OperatorDep, party: str, body: EndpointIn) -> dict[str, Any]:
        """Points a party at an external URL; the response carries the secret to verify signatures."""
        if party not in p.parties:
            raise Problem(404, "not-found", f"No party {party!r}; known parties: {', '.join(p.parties.codes())}.")
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
        p.relay._endpoints = (0.0, {})
        return {**values, "updated_at": values["updated_at"].isoformat(),
                "signing_secret": webhooks.party_secret(p.settings.secret_key.get_secret_value(), party, body.secret_version)}

    @router.get("/ops/trace", operation_id="read_trace")
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
