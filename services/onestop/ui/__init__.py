"""The trainer's web pages of the onestop service (issue 6), on the shared UI kit.

Pages (public shells, server-rendered; the data regions are fetched by the browser with a party's key):
  /ui/                              the case, its parties and the six considerations (kit)
  /ui/intake                        counsellor intake: register a resident, then the one assessment
  /ui/cases/{id}                    assessment, recommendations with reasons and rule version, consents, referrals
  /ui/cases/{id}/consent?agency=    consent with the five PIPA Art. 17(2) items (all required)
  /ui/referrals/{id}                one referral: status, history, SVG sequence diagram, fields each party received
  /ui/inbox                         agency inbox: act as an agency; its referrals and consented fields only
  /ui/board                         referral board by status, live
  /ui/access-log?resident=          the resident's access log (who read what, when, why), live
  /ui/meetings, /ui/meetings/{id}   case-management meetings: generated agenda with reasons, decisions
  /ui/linkage                       linkage dashboard: sent/accepted/completed/rejected per agency, groups (<5)

One write route lives here: `POST /ui/api/residents/{id}/consents` (counsellors' key). The consent API
derives purpose, retention and the refusal notice from consent.json and only asks for `notice_shown`;
the consent form sends all five items and this route refuses the form unless each one is there and is
the registered one, then records the consent through the same flow as the API.

Live updates: topics `referrals` and `access` (polled versions, see views.py) and the kit's `trace`;
changes made by the autopilot or another process reach open pages too. No publish hooks are needed.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import Field, ValidationError

from services.onestop.flows import consents
from services.onestop.flows.common import HUB, today_kst
from services.onestop.routes.deps import PlatformDep
from services.onestop.schemas import Category, ConsentCreate, Input
from services.onestop.ui import views
from shared.auth import PUBLIC, Principal, RequireParty
from shared.deps import SessionDep
from shared.errors import Problem
from shared.ui import DEFAULT_VERSIONS, NavItem, UIKit

HERE = Path(__file__).parent


def id_query() -> Any:
    """A fresh Query per parameter: FastAPI writes the parameter's alias into the object it is given."""
    return Query(default="", max_length=40, pattern=r"^[A-Za-z0-9_\-]*$")


kit = UIKit(
    pages=[NavItem("Intake", "/ui/intake", "Register a resident and make the one assessment"),
           NavItem("Agency inbox", "/ui/inbox", "Act as an agency: its referrals and consented data only"),
           NavItem("Referral board", "/ui/board", "Every referral by status, updated live"),
           NavItem("Access log", "/ui/access-log", "Who read a resident's data, when and why"),
           NavItem("Meetings", "/ui/meetings", "Case-management meetings: generated agenda and decisions"),
           NavItem("Linkage", "/ui/linkage", "Sent, accepted, completed and rejected per agency")],
    templates_dirs=[HERE / "templates"], static_dirs=[HERE / "static"],
    versions={**DEFAULT_VERSIONS, "referrals": views.referrals_version, "access": views.access_version})
kit.templates.env.globals.update(local_time=views.local, HUB=HUB)

pages = APIRouter(prefix="/ui", tags=["ui"], include_in_schema=False, dependencies=[PUBLIC])
api = APIRouter(prefix="/ui/api", tags=["ui"], include_in_schema=False)
Counsellor = Annotated[Principal, Depends(RequireParty(HUB))]


def _page(request: Request, name: str, ctx: dict[str, Any], title: str, **extra: Any) -> HTMLResponse:
    return kit.render(request, name, ctx, page_title=title, **extra)


# ---- intake, case, consent --------------------------------------------------------------------------------

@pages.get("/intake", response_class=HTMLResponse, name="os_intake")
def intake_page(request: Request, p: PlatformDep, resident: str = id_query()) -> HTMLResponse:
    return _page(request, "os_intake.html", views.intake(p, request, resident), "Intake and assessment")


@pages.get("/cases/{case_id}", response_class=HTMLResponse, name="os_case")
def case_page(request: Request, p: PlatformDep, case_id: str) -> HTMLResponse:
    ctx = {**views.case_shell(p, request, case_id), "detail": views.case_detail(p, request, case_id),
           "refs": views.case_referrals(p, request, case_id)}
    return _page(request, "os_case.html", ctx, f"Case {case_id}")


@pages.get("/partials/cases/{case_id}", response_class=HTMLResponse, name="os_case_partial")
def case_partial(request: Request, p: PlatformDep, case_id: str) -> HTMLResponse:
    return kit.render(request, "os_case_detail.html", {"detail": views.case_detail(p, request, case_id)})


@pages.get("/partials/cases/{case_id}/referrals", response_class=HTMLResponse, name="os_case_refs_partial")
def case_refs_partial(request: Request, p: PlatformDep, case_id: str) -> HTMLResponse:
    return kit.render(request, "os_case_referrals.html", {"refs": views.case_referrals(p, request, case_id)})


@pages.get("/cases/{case_id}/consent", response_class=HTMLResponse, name="os_consent")
def consent_page(request: Request, p: PlatformDep, case_id: str, agency: str = id_query()) -> HTMLResponse:
    return _page(request, "os_consent.html", views.consent_form(p, request, case_id, agency),
                 "Consent to give data to an agency")


class ConsentForm(Input):
    """The consent form as sent: the five PIPA Art. 17(2) items, each required."""

    recipient: str = Field(min_length=2, max_length=40, description="1. Recipient (agency party code)")
    purpose: str = Field(min_length=1, max_length=500, description="2. The recipient's purpose of use")
    categories: list[Category] = Field(min_length=1, max_length=6, description="3. Data categories provided")
    retention: str = Field(min_length=1, max_length=200, description="4. Retention and use period")
    refusal_explained: bool = Field(description="5. The right to refuse and its consequence were explained")
    sensitive_consent: bool = False
    language: Literal["en", "ko"] = "en"
    taken_by: str = Field(min_length=1, max_length=100)


@api.post("/residents/{resident_id}/consents", status_code=201)
def give_consent_from_form(p: PlatformDep, s: SessionDep, who: Counsellor, resident_id: str,
                           body: ConsentForm) -> dict[str, Any]:
    """Records a consent from the form only when all five items are present and are the registered ones."""
    consents.check_agency(body.recipient, field="recipient")
    errors = views.check_five_items(body.recipient, body.purpose, body.retention, body.refusal_explained)
    if errors:
        raise Problem(422, "consent-notice-incomplete",
                      "The consent is not valid without all five items of PIPA Art. 17(2): "
                      + "; ".join(f"{e['field']}: {e['message']}" for e in errors),
                      title="Consent notice incomplete", errors=errors)
    try:
        create = ConsentCreate(agency=body.recipient, categories=body.categories,
                               sensitive_consent=body.sensitive_consent, language=body.language,
                               taken_by=body.taken_by, notice_shown=True)
    except ValidationError as exc:
        message = "; ".join(str(e.get("msg", "")).removeprefix("Value error, ") for e in exc.errors())
        raise Problem(422, "validation-error", f"categories: {message}", title="Request validation failed",
                      errors=[{"field": "categories", "message": message}]) from None
    return consents.give(s, tables=p.tables, resident_id=resident_id, body=create, who=who)


# ---- referrals, inbox, board -----------------------------------------------------------------------------

@pages.get("/referrals/{referral_id}", response_class=HTMLResponse, name="os_referral")
def referral_page(request: Request, p: PlatformDep, referral_id: str) -> HTMLResponse:
    return _page(request, "os_referral.html", {"d": views.referral_detail(p, request, referral_id),
                                               "referral_id": referral_id}, f"Referral {referral_id}")


@pages.get("/partials/referrals/{referral_id}", response_class=HTMLResponse, name="os_referral_partial")
def referral_partial(request: Request, p: PlatformDep, referral_id: str) -> HTMLResponse:
    return kit.render(request, "os_referral_body.html", {"d": views.referral_detail(p, request, referral_id)})


@pages.get("/inbox", response_class=HTMLResponse, name="os_inbox")
def inbox_page(request: Request, p: PlatformDep, referral: str = id_query()) -> HTMLResponse:
    ctx = {"d": views.inbox(p, request, referral, with_data=bool(referral)), "referral": referral,
           "agencies": views.agencies(p)}
    return _page(request, "os_inbox.html", ctx, "Agency inbox", act_as=True)


@pages.get("/partials/inbox", response_class=HTMLResponse, name="os_inbox_partial")
def inbox_partial(request: Request, p: PlatformDep, referral: str = id_query(),
                  party: str = Query(default="", max_length=40)) -> HTMLResponse:
    # `party` only makes the URL differ per party; what is shown follows the key the request carries.
    return kit.render(request, "os_inbox_body.html", {"d": views.inbox(p, request, referral), "referral": referral})


@pages.get("/partials/inbox/data", response_class=HTMLResponse, name="os_inbox_data_partial")
def inbox_data_partial(request: Request, p: PlatformDep, referral: str = id_query(),
                       party: str = Query(default="", max_length=40)) -> HTMLResponse:
    """The resident data of one referral as the agency API gives it (an audited read, made when opened)."""
    return kit.render(request, "os_inbox_data.html", {"d": views.inbox(p, request, referral, with_data=True)})


@pages.get("/board", response_class=HTMLResponse, name="os_board")
def board_page(request: Request, p: PlatformDep) -> HTMLResponse:
    return _page(request, "os_board.html", {"d": views.board(p, request)}, "Referral board")


@pages.get("/partials/board", response_class=HTMLResponse, name="os_board_partial")
def board_partial(request: Request, p: PlatformDep) -> HTMLResponse:
    return kit.render(request, "os_board_body.html", {"d": views.board(p, request)})


# ---- access log, meetings, linkage -----------------------------------------------------------------------

@pages.get("/access-log", response_class=HTMLResponse, name="os_access_log")
def access_log_page(request: Request, p: PlatformDep, resident: str = id_query()) -> HTMLResponse:
    return _page(request, "os_access_log.html", {"d": views.access_log(p, request, resident), "resident": resident},
                 "The resident's access log")


@pages.get("/partials/access-log", response_class=HTMLResponse, name="os_access_log_partial")
def access_log_partial(request: Request, p: PlatformDep, resident: str = id_query()) -> HTMLResponse:
    return kit.render(request, "os_access_log_body.html", {"d": views.access_log(p, request, resident)})


@pages.get("/meetings", response_class=HTMLResponse, name="os_meetings")
def meetings_page(request: Request, p: PlatformDep) -> HTMLResponse:
    return _page(request, "os_meetings.html", {"d": views.meeting_list(p, request), "today": today_kst().isoformat()},
                 "Case-management meetings")


@pages.get("/partials/meetings", response_class=HTMLResponse, name="os_meetings_partial")
def meetings_partial(request: Request, p: PlatformDep) -> HTMLResponse:
    return kit.render(request, "os_meetings_body.html", {"d": views.meeting_list(p, request)})


@pages.get("/meetings/{meeting_id}", response_class=HTMLResponse, name="os_meeting")
def meeting_page(request: Request, p: PlatformDep, meeting_id: str) -> HTMLResponse:
    return _page(request, "os_meeting.html", {"d": views.meeting_detail(p, request, meeting_id),
                                              "meeting_id": meeting_id}, "Meeting agenda")


@pages.get("/partials/meetings/{meeting_id}", response_class=HTMLResponse, name="os_meeting_partial")
def meeting_partial(request: Request, p: PlatformDep, meeting_id: str) -> HTMLResponse:
    return kit.render(request, "os_meeting_body.html", {"d": views.meeting_detail(p, request, meeting_id)})


@pages.get("/linkage", response_class=HTMLResponse, name="os_linkage")
def linkage_page(request: Request, p: PlatformDep) -> HTMLResponse:
    return _page(request, "os_linkage.html", {"d": views.linkage(p, request)}, "Linkage performance")


@pages.get("/partials/linkage", response_class=HTMLResponse, name="os_linkage_partial")
def linkage_partial(request: Request, p: PlatformDep) -> HTMLResponse:
    return kit.render(request, "os_linkage_body.html", {"d": views.linkage(p, request)})


routers = [kit.router, pages, api]
