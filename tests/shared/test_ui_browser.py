"""The UI kit in headless Chromium: landing page, act-as forms with inline problems, live regions over SSE.

A module of its own: while Playwright's sync API holds the browser open, `asyncio.run()` cannot be
used in the same thread, so browser tests stay apart from tests that run event loops themselves.
"""
from __future__ import annotations

import httpx
import pytest

from shared.testing import live_server, wait_until
from shared.ui import hub_for
from tests.browser import (  # noqa: F401  (fixtures are registered by importing them)
    browser,
    browser_page,
    close_streams,
    low_contrast_text,
    page_checker,
    screenshot,
    unlabelled_controls,
)
from tests.shared.test_ui_kit import kit_app

pytestmark = pytest.mark.browser

NOTES_HTML = """{% extends "base.html" %}
{% import "ui/macros.html" as ui %}
{% block content %}
<p>Pick a party above, then write a note.</p>
{% call ui.api_form("/v1/notes", id="new-note", submit="Create note", success="Note {id} created.",
                    reset=true, novalidate=true, label="New note") %}
  {{ ui.field("text", "Note text", required=true, form="new-note", hint="1–200 characters") }}
  {{ ui.field("notify", "Send it to Bob as a webhook", type="checkbox", value=true, form="new-note") }}
{% endcall %}
<h2 id="notes-h">Notes</h2>
{% call ui.live_region("notes", "/ui/notes/list", "notes", label="Notes, updated live") %}
  {% include "notes_list.html" %}
{% endcall %}
{{ sequence_figure(hops, registry, title="Every hop of these notes") }}
{{ svg_bar_chart({"notes": notes|length, "hops": hops|length}, title="Counts") }}
{% endblock %}
"""
NOTES_LIST_HTML = """<ul data-count="{{ notes|length }}">{% for n in notes %}<li>{{ n.text }} {% import "ui/macros.html" as ui %}{{ ui.status_badge(n.status) }}</li>{% else %}<li>No notes yet.</li>{% endfor %}</ul>"""


def test_kit_pages_in_chromium(make_settings, tmp_path, browser_page, page_checker):  # noqa: F811
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "notes.html").write_text(NOTES_HTML, encoding="utf-8")
    (tmp_path / "tpl" / "notes_list.html").write_text(NOTES_LIST_HTML, encoding="utf-8")
    app, _kit = kit_app(make_settings(), tmp_path / "tpl")
    page = browser_page
    with live_server(app) as server:
        page.goto(server.url + "/ui/")
        assert page.locator("h1").inner_text() == "Notes between parties"
        assert unlabelled_controls(page) == []
        assert low_contrast_text(page) == []
        page.wait_for_selector("body[data-sse-state=open]")
        page.evaluate("window.__noReload = 1")
        # A change the page is not told about: the "trace" topic's DB version poll picks it up.
        r = httpx.post(server.url + "/v1/notes", json={"text": "from another process"},
                       headers={"Authorization": "Bearer demo-alice"})
        assert r.status_code == 201
        page.wait_for_selector("#activity dl[data-hops='1']")
        assert page.evaluate("window.__noReload") == 1
        screenshot(page, "ui-kit-landing")

        page.goto(server.url + "/ui/notes")
        page_checker.allow_status(403, 422)  # provoked below on purpose
        page.select_option("#act-as", "op")
        assert unlabelled_controls(page) == []
        page.fill("#f-new-note-text", "as the operator")
        page.click("text=Create note")  # op may not write: the 403 problem is shown in the form
        page.wait_for_selector("#new-note [data-form-error]:not([hidden])")
        assert "may not use this operation" in page.inner_text("#new-note [data-form-error]")

        page.select_option("#act-as", "alice")
        page.fill("#f-new-note-text", "")
        page.click("text=Create note")  # empty text: the 422's errors[].field lands next to the field
        page.wait_for_selector("#f-new-note-text-error:not([hidden])")
        assert page.get_attribute("#f-new-note-text", "aria-invalid") == "true"
        assert page.inner_text("#f-new-note-text-error") == "Field required"  # empty fields are left out

        page.evaluate("window.__noReload = 2")
        page.wait_for_selector("body[data-sse-state=open]")
        page.fill("#f-new-note-text", "hello from the browser")
        page.click("text=Create note")
        page.wait_for_selector("#live-status:has-text('created')")
        assert page.input_value("#f-new-note-text") == ""  # data-reset
        # The page is told through the in-process hub (as a service route would do after commit).
        wait_until(lambda: hub_for(app.state.platform).publish("notes", {"changed": True}) > 0)
        page.wait_for_selector("#notes ul[data-count='2']")
        assert "hello from the browser" in page.inner_text("#notes")
        assert page.evaluate("window.__noReload") == 2
        page.reload()
        assert page.input_value("#act-as") == "alice"  # the switcher is remembered
        assert page.locator("svg.seq-diagram g.hop").count() == 2  # one webhook hop per note
        screenshot(page, "ui-kit-notes")
        close_streams(page)  # else uvicorn waits for the open event stream when the server stops
    page_checker.assert_clean()
