"""The onestop trainer pages, server-side: every page renders with data, carries the CSP, loads nothing from
another host, shows personal data only to the party the API would show it to, and the consent form's five
PIPA items are required by the page and by the server (the browser journey is test_ui_browser.py)."""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from services.onestop.app import create_app
from services.onestop.domain.consent_policy import consent_policy
from services.onestop.flows import queries
from services.onestop.models import Consent

from .conftest import HUB, Api, auth, settings

SERVICE_NAME = "onestop"
# A URL the browser would fetch or navigate to on another host: src/href/action with a scheme or `//`.
EXTERNAL = re.compile(r"""(?:src|href|action|srcset|poster|data-[a-z-]+)\s*=\s*["']\s*(?:[a-z][a-z0-9+.-]*:)?//""", re.I)
FIVE = {"recipient", "purpose", "categories", "retention", "refusal_explained"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[Api]:
    """The app with the demo residents, cases, consents and referrals of seed.py, plus a meeting."""
    from shared import testing

    overrides = testing.database_overrides(tmp_path_factory.mktemp("onestop-ui"), SERVICE_NAME)
    try:
        with TestClient(create_app(settings(overrides, seed_demo_data=True))) as c:
            api = Api(c)
            r = api.post("/v1/meetings", {"title": "Weekly", "held_on": _today(), "stalled_days": {"requested": 0}})
            assert r.status_code == 201, r.text
            api.meeting = r.json()
            yield api
    finally:
        testing.drop_schema(overrides.get("db_schema"))


def _today() -> str:
    from services.onestop.flows.common import today_kst

    return today_kst(datetime.now(UTC)).isoformat()  # the app runs on the real clock


def _referrals(api: Api) -> list[dict]:
    r = api.get("/v1/referrals")
    assert r.status_code == 200, r.text
    return r.json()["items"]


def _page(api: Api, url: str, party: str | None = HUB) -> str:
    r = api.c.get(url, headers=auth(party) if party else {})
    assert r.status_code == 200, f"{url}: {r.status_code} {r.text[:300]}"
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "default-src" in csp, csp
    assert not EXTERNAL.findall(r.text), f"{url} links to another host: {EXTERNAL.findall(r.text)}"
    assert "<script>" not in r.text and " on" + "click=" not in r.text  # no inline script (CSP)
    return r.text


def test_every_page_renders_with_data(demo):
    refs = _referrals(demo)
    assert refs, "seed.py makes demo referrals"
    ref = refs[0]
    case_id, resident_id = ref["case_id"], demo.get(f"/v1/cases/{ref['case_id']}").json()["resident_id"]
    checks = {
        "/ui/": ["Who takes part", "북구"],
        "/ui/intake": ['name="assessment.household_size"', 'data-redirect="/ui/cases/{id}"'],
        f"/ui/cases/{case_id}": ["data-rules-version", "data-verdict=\"eligible\"", f'data-referral="{ref["id"]}"'],
        f"/ui/cases/{case_id}/consent?agency=kamco": ["PIPA Art. 17(2)1", "PIPA Art. 17(2)5", "한국자산관리공사"],
        f"/ui/referrals/{ref['id']}": ["seq-diagram", "Fields each party received", 'data-hops="1"'],
        "/ui/board": ['data-state="requested"', "의뢰", f'data-referral="{ref["id"]}"'],
        f"/ui/access-log?resident={resident_id}": ["data-resource=", "bukgu-hub"],
        "/ui/meetings": [demo.meeting["id"]],
        f"/ui/meetings/{demo.meeting['id']}": ["agenda-item", "Why:", "Record decision"],
        "/ui/linkage": ["chart-svg", "Referrals sent", 'data-suppressed="true"', "&lt;5"],
    }
    for url, needles in checks.items():
        html = _page(demo, url)
        for needle in needles:
            assert needle in html, f"{url} lacks {needle!r}"
    inbox = _page(demo, f"/ui/inbox?referral={ref['id']}", party=ref["agency"])
    assert 'id="act-as"' in inbox and f'data-referral="{ref["id"]}"' in inbox and "received-data" in inbox
    for partial in ("/ui/partials/board", f"/ui/partials/cases/{case_id}", f"/ui/partials/referrals/{ref['id']}",
                    "/ui/partials/linkage", "/ui/partials/meetings", f"/ui/partials/meetings/{demo.meeting['id']}",
                    f"/ui/partials/access-log?resident={resident_id}", f"/ui/partials/cases/{case_id}/referrals"):
        assert "data-locked" not in _page(demo, partial), partial


def test_pages_opened_without_a_key_show_no_personal_data(demo):
    ref = _referrals(demo)[0]
    resident_id = demo.get(f"/v1/cases/{ref['case_id']}").json()["resident_id"]
    person = demo.get(f"/v1/residents/{resident_id}").json()
    for url in ("/ui/board", f"/ui/cases/{ref['case_id']}", f"/ui/referrals/{ref['id']}", "/ui/linkage",
                f"/ui/inbox?referral={ref['id']}", f"/ui/access-log?resident={resident_id}",
                f"/ui/meetings/{demo.meeting['id']}", f"/ui/partials/inbox?referral={ref['id']}",
                f"/ui/partials/inbox/data?referral={ref['id']}"):
        html = _page(demo, url, party=None)
        assert "data-locked" in html, url
        assert person["name"] not in html and person["phone"] not in html, url
        assert "(demo)" not in html, url
    # An agency's key does not open the counsellors' views, and the counsellors' key is not an agency's.
    assert "may not" in _page(demo, "/ui/partials/board", party="kamco")
    assert "is not an agency" in _page(demo, "/ui/partials/inbox", party=HUB)


def test_inbox_shows_only_that_agencys_referrals_and_consented_fields(api):
    res, _case, ref = api.referral_to("kamco", "kamco-bad-debt-adjustment", categories=["identity", "finance"],
                                      disability_registered=True)
    _r2, _c2, other = api.referral_to("ccrs", "ccrs-debt-adjustment")
    html = _page(api, f"/ui/partials/inbox?referral={ref['id']}", party="kamco")
    assert f'data-referral="{ref["id"]}"' in html and f'data-referral="{other["id"]}"' not in html
    data = _page(api, f"/ui/partials/inbox/data?referral={ref['id']}", party="kamco")
    shown = set(re.search(r'data-fields="([^"]*)"', data).group(1).split())
    via_api = api.get(f"/v1/agency/referrals/{ref['id']}", party="kamco").json()["data"]
    assert shown == set(via_api)  # exactly what the agency API returns
    assert "debt_total_krw" in shown and "disability_registered" not in shown and "phone" not in shown
    assert res["phone"] not in data  # contact was not consented
    assert "debt_total_krw" not in html  # the live list and status part carry no personal data
    # Legal next states only: from "requested" the agency may accept, reject or void the record.
    allowed = re.search(r'data-allowed="([^"]*)"', html).group(1).split()
    assert allowed == api.get(f"/v1/agency/referrals/{ref['id']}", party="kamco").json()["allowed_next"]
    assert "Move to Completed" not in html and "Move to In progress" not in html
    # Another agency neither lists it nor can open it.
    ccrs = _page(api, f"/ui/partials/inbox?referral={ref['id']}", party="ccrs")
    assert f'data-referral="{ref["id"]}"' not in ccrs and f'data-missing="{ref["id"]}"' in ccrs
    ccrs_data = _page(api, f"/ui/partials/inbox/data?referral={ref['id']}", party="ccrs")
    assert "received-data" not in ccrs_data and "debt_total_krw" not in ccrs_data
    # Each opening is the agency's read and lands in the resident's access log (the page's one, then the
    # test's two API reads); the refused read by ccrs leaves nothing.
    log = api.get(f"/v1/residents/{res['id']}/access-log").json()["items"]
    assert [e["party"] for e in log].count("kamco") == 3 and "ccrs" not in [e["party"] for e in log]


def test_consent_form_marks_the_five_items_required(api):
    res = api.resident()
    case = api.case(res["id"])
    html = _page(api, f"/ui/cases/{case['id']}/consent?agency=ccrs")
    start = html.index(f'data-api="/ui/api/residents/{res["id"]}/consents"')
    form = html[start:html.index("</form>", start)]
    for name in FIVE:
        control = re.search(rf'<(?:select|input|textarea)\b[^>]*\bname="{name}"[^>]*>', form, re.S)
        assert control, name
        assert re.search(r"\brequired\b", control.group(0)), f"{name} is not required in the form"
    policy = consent_policy().agencies["ccrs"]
    assert policy.purpose_en in form and policy.retention_en in form


def _form_body(**over):
    p = consent_policy().agencies["ccrs"]
    body = {"recipient": "ccrs", "purpose": p.purpose_en, "categories": ["identity", "finance"],
            "retention": p.retention_en, "refusal_explained": True, "language": "en", "taken_by": "counsellor 3"}
    body.update(over)
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize("missing", sorted(FIVE))
def test_server_refuses_the_form_without_any_of_the_five_items(api, missing):
    res = api.resident()
    url = f"/ui/api/residents/{res['id']}/consents"
    before = api.count(Consent)
    empty = {"categories": [], "refusal_explained": False}.get(missing, "")
    for body in (_form_body(**{missing: None}), _form_body(**{missing: empty})):
        r = api.post(url, body)
        assert r.status_code == 422, (missing, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert missing in {e["field"].split(".")[-1] for e in r.json()["errors"]}, r.json()
    assert api.count(Consent) == before  # nothing written


def test_server_refuses_a_purpose_or_retention_other_than_the_registered_one(api):
    res = api.resident()
    url = f"/ui/api/residents/{res['id']}/consents"
    r = api.post(url, _form_body(purpose="marketing", retention="forever"))
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} == {"purpose", "retention"}
    r = api.post(url, _form_body(recipient="acme-bank"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "recipient"
    r = api.post(url, _form_body(categories=["identity", "health"]))  # sensitive without a separate consent
    assert r.status_code == 422 and "separate" in r.text
    assert api.post(url, _form_body(), party="kamco").status_code == 403  # counsellors only
    ok = api.post(url, _form_body(language="ko", purpose=consent_policy().agencies["ccrs"].purpose_ko))
    assert ok.status_code == 201, ok.text
    got = ok.json()
    assert got["agency"] == "ccrs" and got["taken_by"] == "counsellor 3" and got["language"] == "ko"
    assert [n["code"] for n in got["notice"]] == ["recipient", "purpose", "items", "retention", "refusal"]


def test_the_consent_api_itself_refuses_what_it_requires(api):
    """The API asks for recipient (agency), categories and notice_shown=true; purpose, retention and the refusal
    notice come from consent.json — which is why the form goes through /ui/api/… and checks all five."""
    res = api.resident()
    url = f"/v1/residents/{res['id']}/consents"
    full = {"agency": "ccrs", "categories": ["identity"], "taken_by": "c", "notice_shown": True}
    for drop in ("agency", "categories", "notice_shown"):
        r = api.post(url, {k: v for k, v in full.items() if k != drop})
        assert r.status_code == 422, drop
    assert api.post(url, {**full, "notice_shown": False}).status_code == 422
    assert api.post(url, {**full, "categories": []}).status_code == 422
    assert api.count(Consent) == 0


def test_live_versions_follow_changes(api):
    p = api.platform
    v0, a0 = queries.referrals_version(p), queries.access_version(p)
    res, case, ref = api.referral_to("kamco", "kamco-bad-debt-adjustment")
    v1 = queries.referrals_version(p)
    assert v1 != v0
    api.set_status(ref["id"], "kamco", "accepted")
    assert queries.referrals_version(p) != v1
    api.get(f"/v1/agency/referrals/{ref['id']}", party="kamco")
    assert queries.access_version(p) > a0
