"""A read-only FHIR R4 view of a referral: ServiceRequest + Task (SDOH Clinical Care), no personal data.

Served as `application/fhir+json`. FHIR ids allow `[A-Za-z0-9.-]{1,64}` only, so our ids map reversibly:
`ref_01J…` ↔ `ref-01J…` (our ids are a prefix, `_` and a ULID: they hold no `-`); a resource's id is
`sr.` or `task.` and that (`task.ref-01J…`).
"""
from __future__ import annotations

import re
from typing import Any

MEDIA_TYPE = "application/fhir+json"
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def fhir_id(our_id: str) -> str:
    """The FHIR id of one of our ids (`_` → `-`); ValueError when the id cannot map reversibly."""
    # 58 characters at most: `task.` in front still makes a FHIR id (64).
    if "-" in our_id or "." in our_id or not FHIR_ID.fullmatch(our_id.replace("_", "-")) or len(our_id) > 58:
        raise ValueError(f"id {our_id!r} has no reversible FHIR id")
    return our_id.replace("_", "-")


def our_id(resource_id: str) -> str:
    """The referral id of a resource id: `task.ref-01J…` → `ref_01J…` (the inverse of `fhir_id` after the
    resource prefix, which ends at the first `.`)."""
    return resource_id.split(".", 1)[-1].replace("-", "_")

# Our referral statuses are FHIR Task statuses already; ServiceRequest has its own, coarser set.
_SR_STATUS = {"requested": "active", "accepted": "active", "in-progress": "active", "on-hold": "on-hold",
              "completed": "completed", "rejected": "revoked", "failed": "revoked", "cancelled": "revoked",
              "entered-in-error": "entered-in-error"}
_SYSTEM = "urn:cpa:onestop"


def bundle(ref: Any, history: list[dict[str, Any]]) -> dict[str, Any]:
    """`ref` is a referral row (attributes as in models.Referral); `history` its events, oldest first."""
    sr_id, task_id = f"sr.{fhir_id(ref.id)}", f"task.{fhir_id(ref.id)}"
    service_request = {
        "resourceType": "ServiceRequest", "id": sr_id,
        "identifier": [{"system": f"{_SYSTEM}/referral", "value": ref.id}],
        "status": _SR_STATUS[ref.status], "intent": "order",
        "category": [{"coding": [{"system": "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes",
                                  "code": "sdoh-category-unspecified"}]}],
        "code": {"coding": [{"system": f"{_SYSTEM}/service", "code": ref.service_key}]},
        "subject": {"identifier": {"system": f"{_SYSTEM}/resident-ref", "value": "pseudonymised"}},
        "authoredOn": ref.created_at.isoformat(),
        "requester": {"identifier": {"system": f"{_SYSTEM}/party", "value": "bukgu-hub"}},
        "performer": [{"identifier": {"system": f"{_SYSTEM}/party", "value": ref.agency}}],
    }
    task: dict[str, Any] = {
        "resourceType": "Task", "id": task_id, "status": ref.status, "intent": "order",
        "focus": {"reference": f"ServiceRequest/{sr_id}"},
        "authoredOn": ref.created_at.isoformat(), "lastModified": ref.status_changed_at.isoformat(),
        "requester": {"identifier": {"system": f"{_SYSTEM}/party", "value": "bukgu-hub"}},
        "owner": {"identifier": {"system": f"{_SYSTEM}/party", "value": ref.agency}},
        "meta": {"versionId": str(ref.version)},
        "extension": [{"url": f"{_SYSTEM}/history", "valueString": " → ".join(h["to"] for h in history)}],
    }
    if ref.reason:
        task["statusReason"] = {"coding": [{"system": f"{_SYSTEM}/outcome-codes", "code": ref.reason}]}
    if ref.outcome:
        out: dict[str, Any] = {"type": {"coding": [{"system": f"{_SYSTEM}/completion", "code": ref.outcome}]},
                               "valueString": ref.outcome}
        if ref.amount_krw:
            out["valueMoney"] = {"value": ref.amount_krw, "currency": "KRW"}
            out.pop("valueString")
        task["output"] = [out]
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": service_request}, {"resource": task}]}
