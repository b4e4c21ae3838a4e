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

One write route lives here: `POST /ui/api/residents/{id}/consents` (counsellors' key), the consent form
with all five PIPA Art. 17(2) items (consent.py), recorded through the same flow as the API.

Modules: pages.py builds each page's context from the flows, gate.py decides who a region is shown to,
labels.py names codes in English and Korean, consent.py checks the consent form.

Live updates: topics `referrals` and `access` (polled versions, see flows/queries.py) and the kit's `trace`;
changes made by the autopilot or another process reach open pages too. No publish hooks are needed.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from services.onestop.flows import consents, queries
from services.onestop.flows.common import HUB, today_kst
from services.onestop.routes.deps import PlatformDep
from services.onestop.ui import consent, pages
from services.onestop.ui.gate import ForAgencies, ForCounsellors
from services.onestop.ui.labels import agencies, local
from shared.auth import PUBLIC, Principal, RequireParty
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
    templates_dirs=[HERE / "templates"], static_dirs=[HERE / "static"], assets=["onestop.css", "onestop.js"],
    versions={**DEFAULT_VERSIONS, "referrals": queries.referrals_version, "access": queries.access_version})
kit.templates.env.globals.update(local_time=local, HUB=HUB)

routes = APIRouter(prefix="/ui", tags=["ui"], include_in_schema=False, dependencies=[PUBLIC])
api = APIRouter(prefix="/ui/api", tags=["ui"], include_in_schema=False)
Counsellor = Annotated[Principal, Depends(RequireParty(HUB))]


def _page(request: Request, name: str, ctx: dict[str, Any], title: str, **extra: Any) -> HTMLResponse:
    return kit.render(request, name, ctx, page_title=title, **extra)


def _counsellor_page(name: str, title: str, build: Callable[..., dict[str, Any]]) -> None:
    """A counsellors' page without parameters, /ui/{name}, and its live region /ui/partials/{name}
    (templates os_{name}.html and os_{name}_body.html), both showing `build`'s context as `d`."""

    @routes.get(f"/{name}", response_class=HTMLResponse, name=f"os_{name}")
    def page(request: Request, g: ForCounsellors) -> HTMLResponse:
        return _page(request, f"os_{name}.html", {"d": g.show(build)}, title)

    @routes.get(f"/partials/{name}", response_class=HTMLResponse, name=f"os_{name}_partial")
    def partial(request: Request, g: ForCounsellors) -> HTMLResponse:
        return kit.render(request, f"os_{name}_body.html", {"d": g.show(build)})


# ---- intake, case, consent --------------------------------------------------------------------------------

@routes.get("/intake", response_class=HTMLResponse, name="os_intake")
def intake_page(request: Request, p: PlatformDep, resident: str = id_query()) -> HTMLResponse:
    return _page(request, "os_intake.html", pages.intake(p, resident), "Intake and assessment")


@routes.get("/cases/{case_id}", response_class=HTMLResponse, name="os_case")
def case_page(request: Request, p: PlatformDep, g: ForCounsellors, case_id: str) -> HTMLResponse:
    ctx = {**queries.case_ids(p, case_id), "detail": g.show(pages.case_detail, case_id),
           "refs": g.show(pages.case_referrals, case_id)}
    return _page(request, "os_case.html", ctx, f"Case {case_id}")


@routes.get("/partials/cases/{case_id}", response_class=HTMLResponse, name="os_case_partial")
def case_partial(request: Request, g: ForCounsellors, case_id: str) -> HTMLResponse:
    return kit.render(request, "os_case_detail.html", {"detail": g.show(pages.case_detail, case_id)})


@routes.get("/partials/cases/{case_id}/referrals", response_class=HTMLResponse, name="os_case_refs_partial")
def case_refs_partial(request: Request, g: ForCounsellors, case_id: str) -> HTMLResponse:
    return kit.render(request, "os_case_referrals.html", {"refs": g.show(pages.case_referrals, case_id)})


@routes.get("/cases/{case_id}/consent", response_class=HTMLResponse, name="os_consent")
def consent_page(request: Request, p: PlatformDep, case_id: str, agency: str = id_query()) -> HTMLResponse:
    return _page(request, "os_consent.html", consent.form(p, case_id, agency), "Consent to give data to an agency")


@api.post("/residents/{resident_id}/consents", status_code=201)
def give_consent_from_form(p: PlatformDep, who: Counsellor, resident_id: str,
                           body: consent.ConsentForm) -> dict[str, Any]:
    """Records a consent from the form only when all five items are present and are the registered ones."""
    return consents.give(p, resident_id=resident_id, body=consent.to_consent(body), who=who)


# ---- referrals, inbox, board -----------------------------------------------------------------------------

@routes.get("/referrals/{referral_id}", response_class=HTMLResponse, name="os_referral")
def referral_page(request: Request, g: ForCounsellors, referral_id: str) -> HTMLResponse:
    return _page(request, "os_referral.html", {"d": g.show(pages.referral_detail, referral_id),
                                               "referral_id": referral_id}, f"Referral {referral_id}")


@routes.get("/partials/referrals/{referral_id}", response_class=HTMLResponse, name="os_referral_partial")
def referral_partial(request: Request, g: ForCounsellors, referral_id: str) -> HTMLResponse:
    return kit.render(request, "os_referral_body.html", {"d": g.show(pages.referral_detail, referral_id)})


@routes.get("/inbox", response_class=HTMLResponse, name="os_inbox")
def inbox_page(request: Request, p: PlatformDep, g: ForAgencies, referral: str = id_query()) -> HTMLResponse:
    ctx = {"d": g.show(pages.inbox, referral, with_data=bool(referral)), "referral": referral,
           "agencies": agencies(p)}
    return _page(request, "os_inbox.html", ctx, "Agency inbox", act_as=True)


@routes.get("/partials/inbox", response_class=HTMLResponse, name="os_inbox_partial")
def inbox_partial(request: Request, g: ForAgencies, referral: str = id_query(),
                  party: str = Query(default="", max_length=40)) -> HTMLResponse:
    # `party` only makes the URL differ per party; what is shown follows the key the request carries.
    return kit.render(request, "os_inbox_body.html", {"d": g.show(pages.inbox, referral), "referral": referral})


@routes.get("/partials/inbox/data", response_class=HTMLResponse, name="os_inbox_data_partial")
def inbox_data_partial(request: Request, g: ForAgencies, referral: str = id_query(),
                       party: str = Query(default="", max_length=40)) -> HTMLResponse:
    """The resident data of one referral as the agency API gives it (an audited read, made when opened)."""
    return kit.render(request, "os_inbox_data.html", {"d": g.show(pages.inbox, referral, with_data=True)})


_counsellor_page("board", "Referral board", pages.board)


# ---- access log, meetings, linkage -----------------------------------------------------------------------

@routes.get("/access-log", response_class=HTMLResponse, name="os_access_log")
def access_log_page(request: Request, g: ForCounsellors, resident: str = id_query()) -> HTMLResponse:
    return _page(request, "os_access_log.html", {"d": g.show(pages.access_log, resident), "resident": resident},
                 "The resident's access log")


@routes.get("/partials/access-log", response_class=HTMLResponse, name="os_access_log_partial")
def access_log_partial(request: Request, g: ForCounsellors, resident: str = id_query()) -> HTMLResponse:
    return kit.render(request, "os_access_log_body.html", {"d": g.show(pages.access_log, resident)})


@routes.get("/meetings", response_class=HTMLResponse, name="os_meetings")
def meetings_page(request: Request, p: PlatformDep, g: ForCounsellors) -> HTMLResponse:
    today = today_kst(p.clock()).isoformat()  # the service clock's day in Korea: the form's default
    return _page(request, "os_meetings.html", {"d": g.show(pages.meeting_list), "today": today},
                 "Case-management meetings")


@routes.get("/partials/meetings", response_class=HTMLResponse, name="os_meetings_partial")
def meetings_partial(request: Request, g: ForCounsellors) -> HTMLResponse:
    return kit.render(request, "os_meetings_body.html", {"d": g.show(pages.meeting_list)})


@routes.get("/meetings/{meeting_id}", response_class=HTMLResponse, name="os_meeting")
def meeting_page(request: Request, g: ForCounsellors, meeting_id: str) -> HTMLResponse:
    return _page(request, "os_meeting.html", {"d": g.show(pages.meeting_detail, meeting_id),
                                              "meeting_id": meeting_id}, "Meeting agenda")


@routes.get("/partials/meetings/{meeting_id}", response_class=HTMLResponse, name="os_meeting_partial")
def meeting_partial(request: Request, g: ForCounsellors, meeting_id: str) -> HTMLResponse:
    return kit.render(request, "os_meeting_body.html", {"d": g.show(pages.meeting_detail, meeting_id)})


_counsellor_page("linkage", "Linkage performance", pages.linkage)


routers = [kit.router, routes, api]
