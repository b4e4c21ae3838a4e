"""Open311 GeoReport v2 at /open311/v2/, every endpoint as `.json` and `.xml`.

Routes are PUBLIC as the standard has it: reading needs no key, and POST requests checks its `api_key`
form field itself (a partner's key such as `demo-tmap`; the operator's key works too). The key comes
first: a missing or unknown key, or a party that does not submit reports, gets 403 before any field is
validated; then a malformed request (unknown service code, no usable location) gets 400. A request may
locate itself by `lat`+`long`, `address_string` or `address_id` (domain.address). Errors on these
paths are Open311 error arrays (`error_formatter`, registered for the /open311/ prefix in app.py).
"""
from __future__ import annotations

import json
import math
import secrets
from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from services.roadkill.domain import address as addresses
from services.roadkill.domain import georeport as open311
from services.roadkill.domain.reference import default_species
from services.roadkill.flows import open311 as requests_flow
from services.roadkill.routes.deps import PlatformDep
from services.roadkill.schemas import (
    Open311Created,
    Open311Discovery,
    Open311Error,
    Open311Request,
    Open311Service,
    Open311ServiceDefinition,
    Open311Token,
    ReportIn,
)
from shared.auth import PUBLIC, Principal
from shared.errors import Problem
from shared.ids import keyed_hash
from shared.pii_guard import refuse_rrn

router = APIRouter(prefix="/open311/v2", tags=["open311"])
PERSONAL_FIELDS = ("email", "phone", "first_name", "last_name", "device_id", "account_id")
SUBMITTER_ROLES = frozenset({"reporter", "operator"})
MAX_IDS = 200

_ERRORS_JSON = {400: {"model": list[Open311Error], "description": "Bad request (Open311 error array)"},
                404: {"model": list[Open311Error], "description": "Not found (Open311 error array)"}}
_XML = {"content": {"text/xml": {"schema": {"type": "string"}}}, "description": "The document as XML"}
_ERRORS_XML = {400: {**_XML, "description": "Bad request (<errors>)"},
               404: {**_XML, "description": "Not found (<errors>)"}}


def respond(fmt: str, root: str, item: str | None, data: Any, status: int = 200,
            headers: dict[str, str] | None = None) -> Response:
    if fmt == "xml":
        return Response(open311.to_xml(root, item, data), status_code=status, media_type=open311.XML_TYPE, headers=headers)
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, status_code=status, media_type=open311.JSON_TYPE, headers=headers)


def format_of(path: str) -> str:
    return "xml" if path.rstrip("/").endswith(".xml") else "json"


def error_formatter(request: Request, problem: Problem) -> Response:
    """Every error under /open311/ as the standard's [{code, description}] array, in the requested format.

    Validation failures are 400 (the standard's "other" error), a missing or wrong key 403.
    """
    status = {422: 400, 401: 403}.get(problem.status, problem.status)
    errors = problem.extensions.get("errors") if isinstance(problem.extensions.get("errors"), list) else None
    if errors:
        items = [{"code": status, "description": f"{e.get('field', 'request')}: {e.get('message', 'invalid')}"}
                 for e in errors if isinstance(e, dict)]
    else:
        items = [{"code": status, "description": problem.detail}]
    headers = {k: v for k, v in problem.headers.items() if k.lower() != "content-type"}
    return respond(format_of(request.url.path), "errors", "error", items, status=status, headers=headers)


def _docs(fmt: str, model: Any, *extra: int) -> dict[int | str, Any]:
    errors = _ERRORS_JSON if fmt == "json" else _ERRORS_XML
    out: dict[int | str, Any] = {200: {"model": model} if fmt == "json" else _XML}
    out.update({k: v for k, v in errors.items()})
    for code in extra:
        out[code] = ({"model": list[Open311Error], "description": "Open311 error array"} if fmt == "json"
                     else {**_XML, "description": "<errors>"})
    return out


def _service_code_ok(code: str | None) -> None:
    if code is not None and code != open311.SERVICE_CODE:
        raise open311.error(400, f"service_code {code[:60]!r} is not offered here; GET services lists "
                                 f"{open311.SERVICE_CODE!r}")


async def submitter(request: Request, platform: PlatformDep) -> Principal:
    """The party behind the form's `api_key`, checked before any other field is validated (FastAPI solves
    dependencies before the body's fields; the form is parsed once and cached on the request)."""
    raw = (await request.form()).get("api_key")
    key = raw.strip() if isinstance(raw, str) else ""
    principal = await run_in_threadpool(platform.keys.resolve, key) if 0 < len(key) <= 300 else None
    if principal is None:
        raise open311.error(403, "Invalid api_key received -- can't proceed with create_request.")
    if not (principal.roles & SUBMITTER_ROLES):
        raise open311.error(403, f"Party '{principal.party}' does not submit service requests.")
    return principal


def _location(platform: PlatformDep, lat: str | None, long: str | None, address_string: str | None,
              address_id: str | None) -> tuple[float, float, str]:
    """lat/long as given, or the point of the census area an address names, with a notice saying so."""
    if lat is not None or long is not None or not (address_string or address_id):
        if lat is None or long is None:
            raise open311.error(400, "send lat and long (both), address_string or address_id")
        return _coordinate("lat", lat, 90.0), _coordinate("long", long, 180.0), ""
    areas = platform.parts.network.areas
    try:
        found = (addresses.by_id(areas, address_id) if address_id else addresses.locate(areas, address_string or ""))
    except addresses.AddressError as exc:
        raise open311.error(400, str(exc)) from None
    return found.lat, found.lon, found.notice


def _route(fmt: str) -> None:
    """Registers every endpoint for one format (`.json` / `.xml`)."""

    @router.get(f"/discovery.{fmt}", dependencies=[PUBLIC], response_class=Response, response_model=None,
                responses=_docs(fmt, Open311Discovery), name=f"open311_discovery_{fmt}",
                summary=f"Service discovery ({fmt.upper()})")
    def discovery(platform: PlatformDep) -> Response:
        s = platform.settings
        return respond(fmt, "discovery", None, open311.discovery(s.base_url, s.demo_mode))

    @router.get(f"/services.{fmt}", dependencies=[PUBLIC], response_class=Response, response_model=None,
                responses=_docs(fmt, list[Open311Service]), name=f"open311_services_{fmt}",
                summary=f"Service list ({fmt.upper()})")
    def services() -> Response:
        return respond(fmt, "services", "service", open311.services())

    @router.get(f"/services/{{service_code}}.{fmt}", dependencies=[PUBLIC], response_class=Response,
                response_model=None, responses=_docs(fmt, Open311ServiceDefinition),
                name=f"open311_service_definition_{fmt}", summary=f"Service definition: attributes ({fmt.upper()})")
    def service_definition(service_code: str) -> Response:
        if service_code != open311.SERVICE_CODE:
            raise open311.error(404, f"No service {service_code[:60]!r}; GET services lists "
                                     f"{open311.SERVICE_CODE!r}")
        return respond(fmt, "service_definition", None, open311.service_definition())

    @router.post(f"/requests.{fmt}", dependencies=[PUBLIC], response_class=Response, response_model=None,
                 responses=_docs(fmt, list[Open311Created], 403), name=f"open311_create_request_{fmt}",
                 summary=f"Create a service request ({fmt.upper()})")
    def create_request(
        platform: PlatformDep,
        principal: Principal = Depends(submitter),
        api_key: str | None = Form(default=None, max_length=300,
                                   description="Your API key (e.g. demo-tmap in demo mode); missing or wrong → 403"),
        service_code: str = Form(max_length=100, description="`roadkill`"),
        lat: str | None = Form(default=None, max_length=40, description="WGS84 latitude"),
        long: str | None = Form(default=None, max_length=40, description="WGS84 longitude"),
        address_string: str | None = Form(default=None, max_length=500, description=(
            "Instead of lat/long: an address naming a city or county of Chungnam and, for a closer point, an "
            "eup, myeon or dong (Korean or English); located approximately, 400 if it names none")),
        address_id: str | None = Form(default=None, max_length=100, description=(
            "Instead of lat/long: the code of a census area (GET /v1/geodata/areas.geojson); 400 if unknown")),
        description: str | None = Form(default=None, max_length=4000,
                                       description="What you saw (Korean or English)"),
        species: str | None = Form(default=None, alias="attribute[species]", max_length=40,
                                   description="A key of the species attribute (GET services/roadkill)"),
        lane: str | None = Form(default=None, alias="attribute[lane]", max_length=40,
                                description="A key of the lane attribute"),
        email: str | None = Form(default=None, max_length=300, description="Stored only as a keyed hash"),
        phone: str | None = Form(default=None, max_length=100, description="Stored only as a keyed hash"),
        first_name: str | None = Form(default=None, max_length=200, description="Stored only as a keyed hash"),
        last_name: str | None = Form(default=None, max_length=200, description="Stored only as a keyed hash"),
        device_id: str | None = Form(default=None, max_length=300, description="Stored only as a keyed hash"),
        account_id: str | None = Form(default=None, max_length=300, description="Stored only as a keyed hash"),
        media_url: str | None = Form(default=None, max_length=2000, description="Accepted, not stored"),
    ) -> Response:
        # 0. A resident registration number in a field other than the description → 400 naming the field
        # (the description is accepted with the number masked).
        refuse_rrn({"api_key": api_key, "service_code": service_code, "lat": lat, "long": long,
                    "address_string": address_string, "address_id": address_id, "attribute[species]": species,
                    "attribute[lane]": lane, "email": email, "phone": phone, "first_name": first_name,
                    "last_name": last_name, "device_id": device_id, "account_id": account_id, "media_url": media_url})
        # 1. The key was checked first (`submitter`: 403). Malformed → 400.
        _service_code_ok(service_code)
        lat_v, lon_v, located = _location(platform, lat, long, address_string, address_id)
        species_ref = default_species().by_code
        if species is not None and species not in species_ref:
            raise open311.error(400, f"attribute[species]: {species[:40]!r} is not one of "
                                     f"{', '.join(species_ref)}")
        if lane is not None and lane not in open311.LANES:
            raise open311.error(400, f"attribute[lane]: {lane[:40]!r} is not one of {', '.join(open311.LANES)}")
        text = (description or "").strip()
        if species is None and not text:
            raise open311.error(400, "send attribute[species] or a description of the animal")
        # 2. The same intake as a voice report.
        secret = platform.settings.secret_key.get_secret_value()
        given = {"email": (email or "").strip().lower(), "phone": "".join(ch for ch in (phone or "") if ch.isdigit()),
                 "first_name": (first_name or "").strip(), "last_name": (last_name or "").strip(),
                 "device_id": (device_id or "").strip(), "account_id": (account_id or "").strip()}
        hashes = {k: keyed_hash(secret, f"open311:{k}", v) for k, v in given.items() if v}
        token = secrets.token_urlsafe(18)
        reporter = next((f"{k}:{given[k]}" for k in ("device_id", "account_id", "email", "phone") if given[k]),
                        f"token:{token}")
        transcript = open311.transcript_of(species, lane, text)
        try:
            data = ReportIn(reporter=reporter[:128], consent=True, transcript=transcript, lat=lat_v, lon=lon_v,
                            reported_at=platform.clock())
        except ValidationError as exc:
            first = exc.errors()[0]
            raise open311.error(400, f"{'.'.join(str(x) for x in first.get('loc', ()))}: {first.get('msg')}") from None
        result = requests_flow.create_request(platform, data, partner=principal.party, personal_hashes=hashes,
                                              token=token, description=text)
        d = result.decision
        notice = located + (f"Merged with the open report of the same carcass ({result.report_count} reports). "
                  if result.merged else "")
        notice += f"Routed to {d.agency_name} ({d.agency_name_ko}). {d.explanation}"
        body = [{"service_request_id": result.incident_id, "token": token, "service_notice": notice,
                 "account_id": None}]
        return respond(fmt, "service_requests", "request", body)

    @router.get(f"/requests.{fmt}", dependencies=[PUBLIC], response_class=Response, response_model=None,
                responses=_docs(fmt, list[Open311Request]), name=f"open311_requests_{fmt}",
                summary=f"Service requests ({fmt.upper()}); default: the last 90 days")
    def list_requests(
        platform: PlatformDep,
        service_request_id: str | None = Query(default=None, max_length=10_000,
                                               description="Comma-separated ids; overrides every other filter"),
        service_code: str | None = Query(default=None, max_length=500, description="Comma-separated codes"),
        status: str | None = Query(default=None, max_length=20, description="open | closed (comma-separated)"),
        start_date: str | None = Query(default=None, max_length=40, description="W3C datetime"),
        end_date: str | None = Query(default=None, max_length=40, description="W3C datetime"),
        page: int = Query(default=1, ge=1, le=100_000, description="Extension: page number"),
        page_size: int = Query(default=100, ge=1, le=1000, description="Extension: requests per page"),
    ) -> Response:
        if service_request_id is not None:
            ids = [i.strip() for i in service_request_id.split(",") if i.strip()]
            if not ids:
                raise open311.error(400, "service_request_id: give one or more comma-separated ids")
            if len(ids) > MAX_IDS:
                raise open311.error(400, f"service_request_id: at most {MAX_IDS} ids at once")
            rows = requests_flow.get_requests(platform, list(dict.fromkeys(ids)))
            return respond(fmt, "service_requests", "request", [open311.request_doc(r) for r in rows])
        if service_code is not None:
            for code in (c.strip() for c in service_code.split(",")):
                _service_code_ok(code)
        wanted = {x.strip().lower() for x in status.split(",")} if status else set()
        if wanted - {"open", "closed"}:
            raise open311.error(400, "status: must be open or closed (or both, comma-separated)")
        start, end = open311.date_range(start_date, end_date, platform.clock())
        rows = requests_flow.list_requests(platform, start=start, end=end, page=page, page_size=page_size,
                                           status=wanted.pop() if len(wanted) == 1 else None)
        return respond(fmt, "service_requests", "request", [open311.request_doc(r) for r in rows])

    @router.get(f"/requests/{{service_request_id}}.{fmt}", dependencies=[PUBLIC], response_class=Response,
                response_model=None, responses=_docs(fmt, list[Open311Request]),
                name=f"open311_request_{fmt}", summary=f"One service request ({fmt.upper()})")
    def get_request(platform: PlatformDep, service_request_id: str) -> Response:
        rows = requests_flow.get_requests(platform, [service_request_id])
        if not rows:
            raise open311.error(404, f"No service request {service_request_id[:60]!r}.")
        return respond(fmt, "service_requests", "request", [open311.request_doc(rows[0])])

    @router.get(f"/tokens/{{token}}.{fmt}", dependencies=[PUBLIC], response_class=Response, response_model=None,
                responses=_docs(fmt, list[Open311Token]), name=f"open311_token_{fmt}",
                summary=f"Service request id of a token ({fmt.upper()})")
    def get_token(platform: PlatformDep, token: str) -> Response:
        incident_id = requests_flow.incident_of_token(platform, token)
        if incident_id is None:
            raise open311.error(404, f"No service request for token {token[:60]!r}.")
        return respond(fmt, "service_requests", "request",
                               [{"service_request_id": incident_id, "token": token}])


def _coordinate(name: str, raw: str, limit: float) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > limit:
        raise open311.error(400, f"{name}: {raw[:40]!r} is not a number between -{limit:g} and {limit:g}")
    return value


for _fmt in open311.FORMATS:
    _route(_fmt)
