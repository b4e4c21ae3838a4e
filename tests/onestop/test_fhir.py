"""The referral's FHIR view is real FHIR: served as application/fhir+json, read by an independent library
(fhir.resources, R4B models: Task and ServiceRequest are the same as R4's), with valid FHIR ids that map
back to the referral's id."""
from __future__ import annotations

import re

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task
from hypothesis import given
from hypothesis import strategies as st

from services.onestop.domain import fhir, referral_states
from shared.ids import new_id

from .test_api_transitions import SERVICE, body_for, post_as, referral_in

SERVICE_NAME = "onestop"
T = referral_states.table()
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def read(api, ref_id: str) -> tuple[ServiceRequest, Task, dict]:
    r = api.get(f"/v1/referrals/{ref_id}/fhir")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == "application/fhir+json"
    body = r.json()
    bundle = Bundle.model_validate(body)  # raises on any member FHIR does not allow
    assert bundle.type == "collection" and len(bundle.entry) == 2
    sr, task = (e.resource for e in bundle.entry)
    assert isinstance(sr, ServiceRequest) and isinstance(task, Task)
    for resource in (sr, task):
        assert FHIR_ID.fullmatch(resource.id) and fhir.our_id(resource.id) == ref_id
    assert task.focus.reference == f"ServiceRequest/{sr.id}"
    return sr, task, body


@pytest.mark.parametrize("state", sorted(T.states))
def test_every_referral_state_is_a_valid_task(shared_api, state):
    ref_id = referral_in(shared_api, state)
    sr, task, _ = read(shared_api, ref_id)
    assert task.status == state and sr.status in {"active", "on-hold", "completed", "revoked", "entered-in-error"}
    assert sr.identifier[0].value == ref_id


def test_outcome_and_reason_travel_as_fhir_members(shared_api):
    ref_id = referral_in(shared_api, "in-progress")
    assert post_as(shared_api, "agency", ref_id, body_for("completed")).status_code == 200
    _, task, _ = read(shared_api, ref_id)
    assert task.output[0].valueMoney.value == 3_000_000 and task.output[0].valueMoney.currency == "KRW"
    assert task.meta.versionId == str(shared_api.get(f"/v1/referrals/{ref_id}").json()["version"])

    ref_id = referral_in(shared_api, "requested")
    assert post_as(shared_api, "agency", ref_id, body_for("rejected")).status_code == 200
    sr, task, body = read(shared_api, ref_id)
    assert sr.status == "revoked" and task.statusReason.coding[0].code == T.reasons["rejected"][0]
    assert "requested → rejected" in body["entry"][1]["resource"]["extension"][0]["valueString"]


def test_no_personal_data_in_the_view(shared_api):
    res, _, ref = shared_api.referral_to(*SERVICE)
    text = shared_api.get(f"/v1/referrals/{ref['id']}/fhir").text
    assert res["id"] not in text and "주민" not in text and "010" not in text


def test_unknown_referral_is_a_404_problem(shared_api):
    r = shared_api.get("/v1/referrals/ref_NOPE/fhir")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


@given(st.sampled_from(["ref", "case", "res", "inc", "x"]))
def test_ids_map_to_fhir_ids_and_back(prefix):
    ours = new_id(prefix)
    mapped = fhir.fhir_id(ours)
    assert FHIR_ID.fullmatch(mapped) and "_" not in mapped and fhir.our_id(f"task.{mapped}") == ours


@given(st.text(min_size=1, max_size=80))
def test_an_id_that_cannot_map_back_is_refused(text):
    try:
        mapped = fhir.fhir_id(text)
    except ValueError:
        return
    assert FHIR_ID.fullmatch(f"task.{mapped}") and fhir.our_id(f"task.{mapped}") == text
