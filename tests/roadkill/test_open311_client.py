"""Independent Open311 clients drive the roadkill GeoReport v2 endpoints over real HTTP.

Our own schemas could share a misreading of the specification with our own server; third-party clients,
written by others from the same specification, would trip over it. Two packages from PyPI:

- `georeport` (0.3.x, "Python wrapper for the Open311 GeoReport v2 API") takes any base URL and reads:
  service list, service definition, request list and one request, in JSON and in XML (parsed with
  xmltodict). It cannot create requests (its README: "does not currently support the creation of new 311
  service requests").
- `civicbot` (0.4.x, MIT) has a GeoReport v2 client that posts: it builds the form (`attribute[code]`
  keys, `api_key`), checks it against the live service list and definition first, and only sends with
  `dry_run=False, confirm="SEND"`. (The older `open311` 1.1 and `three` 0.8 packages import only on
  Python 2: implicit relative imports and `itertools.ifilter`.)
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest
import requests
from civicbot import Endpoint, HttpError, Open311Client
from civicbot.http import HttpTransport, RateLimiter
from georeport import GeoReport
from sqlalchemy import select

from services.roadkill.domain.reference import default_species
from services.roadkill.models import incident
from shared.testing import free_port, live_server
from tests.roadkill.conftest import EXPRESSWAY
from tests.roadkill.open311_schema import validate

SERVICE_NAME = "roadkill"
REPORTER_KEY = "demo-tmap"


class Server(NamedTuple):
    url: str
    platform: Any


@pytest.fixture
def server(make_settings) -> Iterator[Server]:
    """The roadkill app under a real uvicorn server on loopback (the clients speak real HTTP)."""
    from services.roadkill.app import create_app

    port = free_port()
    app = create_app(make_settings(public_base_url=f"http://127.0.0.1:{port}"))
    with live_server(app, port) as live:
        yield Server(live.url, app.state.platform)


def poster(base_url: str) -> Open311Client:
    endpoint = Endpoint(id="roadkill-test", name="Chungnam roadkill (test server)", base_url=base_url, write=True)
    # No politeness delay against our own loopback server.
    return Open311Client(endpoint, transport=HttpTransport(rate_limiter=RateLimiter(min_interval=0.0)))


def test_independent_clients_list_define_post_and_read(server):
    base = f"{server.url}/open311/v2"
    reader = GeoReport(base, api_key=REPORTER_KEY)

    services = reader.get_service_list()
    validate(services, "services.json")
    assert [(s["service_code"], s["type"], s["metadata"]) for s in services] == [("roadkill", "realtime", True)]

    definition = reader.get_service_definition("roadkill")
    validate(definition, "service-definition.json")
    species = next(a for a in definition["attributes"] if a["code"] == "species")
    assert [v["key"] for v in species["values"]] == list(default_species().by_code)

    # POST with the reporter's api_key; validate_remote makes the client check its form against the live
    # service list and definition (known service code, allowed attribute keys) before it sends.
    sent = poster(base).create_request(
        "roadkill", dry_run=False, confirm="SEND", api_key=REPORTER_KEY, validate_remote=True,
        lat=EXPRESSWAY[0], lng=EXPRESSWAY[1], description="Dead water deer in the second lane",
        attributes={"species": "water_deer", "lane": "lane_2"})
    assert sent.form["attribute[species]"] == "water_deer" and sent.form["api_key"] == REPORTER_KEY
    created = sent.response
    validate(created, "post-response.json")
    sr_id = created[0]["service_request_id"]
    assert sr_id.startswith("inc_") and created[0]["token"]
    assert "Korea Expressway Corporation" in created[0]["service_notice"]
    with server.platform.db.read_session() as s:
        row = s.execute(select(incident).where(incident.c.id == sr_id)).one()
    assert (row.species, row.agency, row.road_class) == ("water_deer", "kec", "expressway")

    listed = reader.get_service_requests(service_code="roadkill", status="open")
    validate(listed, "requests.json")
    assert [r["service_request_id"] for r in listed] == [sr_id]

    one = reader.get_service_request(sr_id)
    validate([one], "requests.json")
    assert (one["service_request_id"], one["status"], one["service_code"]) == (sr_id, "open", "roadkill")
    assert abs(one["lat"] - EXPRESSWAY[0]) < 0.01 and abs(one["long"] - EXPRESSWAY[1]) < 0.01
    assert "Water deer" in one["description"]


def test_the_xml_rendering_reads_the_same_through_georeport(server):
    base = f"{server.url}/open311/v2"
    sent = poster(base).create_request("roadkill", dry_run=False, confirm="SEND", api_key=REPORTER_KEY,
                                       lat=EXPRESSWAY[0], lng=EXPRESSWAY[1], attributes={"species": "cat"})
    sr_id = sent.response[0]["service_request_id"]
    as_json, as_xml = GeoReport(base), GeoReport(base, output_format="xml")

    service = as_xml.get_service_list()  # xmltodict: one <service> is a dict, not a list
    assert service["service_code"] == "roadkill" and service["metadata"] == "true"
    assert service["type"] == as_json.get_service_list()[0]["type"]

    definition = as_xml.get_service_definition("roadkill")
    attributes = definition["attributes"]["attribute"]
    assert [a["code"] for a in attributes] == [a["code"] for a in as_json.get_service_definition("roadkill")["attributes"]]
    assert [v["key"] for v in attributes[0]["values"]["value"]] == list(default_species().by_code)

    one_xml, one_json = as_xml.get_service_request(sr_id), as_json.get_service_request(sr_id)
    assert list(one_xml) == list(one_json)
    assert (one_xml["service_request_id"], one_xml["status"]) == (sr_id, "open")
    assert one_xml["requested_datetime"] == one_json["requested_datetime"]
    assert float(one_xml["lat"]) == one_json["lat"]
    listed = as_xml.get_service_requests(service_request_id=sr_id)
    assert listed["service_request_id"] == sr_id


def test_errors_reach_the_clients_as_open311_errors(server):
    base = f"{server.url}/open311/v2"
    with pytest.raises(HttpError) as refused:
        poster(base).create_request("roadkill", dry_run=False, confirm="SEND", api_key="cpa_nope_000",
                                    lat=EXPRESSWAY[0], lng=EXPRESSWAY[1], attributes={"species": "cat"})
    assert refused.value.status == 403
    body = json.loads(refused.value.body)
    validate(body, "errors.json")
    assert body[0]["code"] == 403

    with pytest.raises(requests.HTTPError) as missing:
        GeoReport(base).get_service_request("inc_NOPE")
    assert missing.value.response.status_code == 404
    validate(missing.value.response.json(), "errors.json")
    with pytest.raises(requests.HTTPError) as unknown:
        GeoReport(base).get_service_definition("potholes")
    assert unknown.value.response.status_code == 404
