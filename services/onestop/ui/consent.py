"""The consent form of the trainer's pages: the five PIPA Art. 17(2) items, each shown and each required.

The consent API derives purpose, retention and the refusal notice from consent.json and only asks for
`notice_shown`; the form sends all five items, and `to_consent` refuses it unless each one is there and
is the registered one, then hands the API's own request model to the same flow as the API.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationError

from services.onestop.domain.consent_policy import consent_policy
from services.onestop.domain.reference import directory
from services.onestop.flows import consents, queries
from services.onestop.parts import OnestopPlatform
from services.onestop.schemas import Category, ConsentCreate, Input
from services.onestop.ui.labels import agencies, category_options
from shared.errors import Problem


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


def form(p: OnestopPlatform, case_id: str, agency: str) -> dict[str, Any]:
    """The form's context: every agency with its registered purpose, retention and refusal notice."""
    ctx: dict[str, Any] = queries.case_ids(p, case_id)
    policy = consent_policy()
    d = directory()
    options = []
    for a in agencies(p):
        purpose = policy.agencies[a["code"]]
        org = d.agency(a["code"])
        needed = sorted({c for s in org.services for c in s.data_categories})
        options.append({**a, "purpose_en": purpose.purpose_en, "purpose_ko": purpose.purpose_ko,
                        "retention_en": purpose.retention_en, "retention_ko": purpose.retention_ko,
                        "refusal_en": refusal_text(a["code"], "en"), "refusal_ko": refusal_text(a["code"], "ko"),
                        "needed": needed})
    chosen = next((o for o in options if o["code"] == agency), None)
    ctx.update(agency=chosen["code"] if chosen else "", chosen=chosen, options=options,
               categories=category_options(), policy_version=policy.version,
               articles={i.code: i.article for i in policy.notice_items})
    return ctx


def refusal_text(agency: str, language: str) -> str:
    item = consent_policy().notice_items[-1]
    org = directory().agency(agency)
    text = item.text_ko if language == "ko" else item.text_en
    return text.format(recipient=org.name_ko if language == "ko" else org.name_en)


def check_five_items(recipient: str, purpose: str, retention: str, refusal_explained: bool) -> list[dict[str, str]]:
    """What is wrong with the five PIPA Art. 17(2) items as the form sent them (empty list: all fine).

    Purpose and retention must be the ones registered for the recipient (consent.json): a consent to
    any other purpose would be a use the agency's agreement does not cover (PIPA Art. 18).
    """
    errors = []
    registered = consent_policy().agencies.get(recipient)
    if registered is None:
        return [{"field": "recipient", "message": "choose one of the agencies in the list"}]
    if purpose.strip() not in (registered.purpose_en, registered.purpose_ko):
        errors.append({"field": "purpose", "message": f"must be the purpose registered for {recipient}: "
                                                      f"“{registered.purpose_en}” or “{registered.purpose_ko}”"})
    if retention.strip() not in (registered.retention_en, registered.retention_ko):
        errors.append({"field": "retention", "message": f"must be the retention period registered for {recipient}: "
                                                        f"“{registered.retention_en}” or “{registered.retention_ko}”"})
    if not refusal_explained:
        errors.append({"field": "refusal_explained",
                       "message": "tell the resident they may refuse and what refusing means (PIPA Art. 17(2)5), "
                                  "then tick this box"})
    return errors


def to_consent(body: ConsentForm) -> ConsentCreate:
    """The API's consent request for a form whose five items are all present and registered (else 422)."""
    consents.check_agency(body.recipient, field="recipient")
    errors = check_five_items(body.recipient, body.purpose, body.retention, body.refusal_explained)
    if errors:
        raise Problem(422, "consent-notice-incomplete",
                      "The consent is not valid without all five items of PIPA Art. 17(2): "
                      + "; ".join(f"{e['field']}: {e['message']}" for e in errors),
                      title="Consent notice incomplete", errors=errors)
    try:
        return ConsentCreate(agency=body.recipient, categories=body.categories,
                             sensitive_consent=body.sensitive_consent, language=body.language,
                             taken_by=body.taken_by, notice_shown=True)
    except ValidationError as exc:
        message = "; ".join(str(e.get("msg", "")).removeprefix("Value error, ") for e in exc.errors())
        raise Problem(422, "validation-error", f"categories: {message}", title="Request validation failed",
                      errors=[{"field": "categories", "message": message}]) from None
