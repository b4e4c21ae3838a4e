"""Data minimisation: project resident data onto consented categories for webhooks and agency reads.

PIPA Art. 17(2) consent names the items given to each recipient and Art. 18 forbids any other
use, so every payload that leaves the hub is cut down to the consented categories here, and
the sensitive health category travels only with its own separate consent (Art. 23).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from services.onestop.domain.consent_policy import ConsentCategory, ConsentPolicy, consent_policy
from services.onestop.domain.reference import directory
from shared.rrn import assert_no_rrn


class ConsentScopeError(ValueError):
    """Unknown category, or a sensitive category without its separate consent."""


def _scope(
    categories: Iterable[str], separate_consents: Collection[str], policy: ConsentPolicy
) -> frozenset[str]:
    wanted = frozenset(categories) | frozenset(separate_consents)
    unknown = wanted - policy.categories.keys()
    if unknown:
        raise ConsentScopeError(
            f"unknown consent categories {sorted(unknown)}; known: {', '.join(policy.categories)}"
        )
    for code in wanted:
        if policy.categories[code].sensitive and code not in separate_consents:
            # Art. 23(1)1: a general consent never covers sensitive data, so refuse loudly
            # rather than silently drop it and hide the caller's mistake.
            raise ConsentScopeError(
                f"category {code!r} is sensitive (PIPA Art. 23): it needs its own consent; "
                "pass it in separate_consents"
            )
    return wanted


def fields_for(
    categories: Iterable[str],
    *,
    separate_consents: Collection[str] = (),
    policy: ConsentPolicy | None = None,
) -> frozenset[str]:
    """Resident fields (stored and derived) covered by the consented categories."""
    policy = policy or consent_policy()
    scope = _scope(categories, separate_consents, policy)
    return frozenset().union(*(policy.categories[c].all_fields for c in scope))


def project_payload(
    data: Mapping[str, Any],
    consented_categories: Iterable[str],
    *,
    separate_consents: Collection[str] = (),
    needed_categories: Collection[str] | None = None,
    policy: ConsentPolicy | None = None,
) -> dict[str, Any]:
    """Keep only the envelope (referral_id, service_id, resident_ref) and consented fields of `data`.

    `data` is a flat resident/assessment mapping with fields named as in consent.json. Fields no
    category covers (free-text notes, internal flags) are dropped: deny by default.
    `needed_categories` narrows further to what the receiving service needs (directory
    `data_categories`), so an agency never sees a consented category it has no use for.
    Raises ConsentScopeError for unknown or sensitive-without-separate-consent categories and
    RRNFound if a kept value holds a resident registration number.
    """
    policy = policy or consent_policy()
    scope = _scope(consented_categories, separate_consents, policy)
    if needed_categories is not None:
        scope &= frozenset(needed_categories)
    allowed = frozenset().union(*(policy.categories[c].all_fields for c in scope)) - policy.never_collect
    envelope = set(policy.envelope_fields)
    out = {k: v for k, v in data.items() if k in envelope or k in allowed}
    assert_no_rrn(out)
    return out


def without_personal_fields(payload: Mapping[str, Any], policy: ConsentPolicy | None = None) -> dict[str, Any]:
    """`payload` without any field of any consent category (stored or derived): what the hub keeps of a
    message once the resident withdrew consent to its recipient. Marked so a reader knows why."""
    policy = policy or consent_policy()
    personal = frozenset().union(*(c.all_fields for c in policy.categories.values()))
    if not personal & payload.keys():
        return dict(payload)
    return {**{k: v for k, v in payload.items() if k not in personal}, "personal_data": "erased: consent withdrawn"}


def referral_payload(
    *,
    referral_id: str,
    service_key: str,
    resident_ref: str,
    data: Mapping[str, Any],
    consented_categories: Iterable[str],
    separate_consents: Collection[str] = (),
) -> dict[str, Any]:
    """The body of a referral webhook or agency read: envelope + fields the service needs and the resident allowed.

    `resident_ref` is the pseudonymous resident reference (a keyed hash), never a name or RRN.
    """
    service = directory().service(service_key)
    envelope = {"referral_id": referral_id, "service_id": service.id, "resident_ref": resident_ref}
    body = project_payload(
        {**data, **envelope},
        consented_categories,
        separate_consents=separate_consents,
        needed_categories=service.data_categories,
    )
    return {**body, "service_key": service.key, "agency": service.agency}


def _item_text(category: ConsentCategory, ko: bool) -> str:
    label = category.label_ko if ko else category.label_en
    return f"{label} ({', '.join(sorted(category.fields))})"


def consent_notice(
    agency: str,
    categories: Iterable[str],
    *,
    language: str = "en",
    policy: ConsentPolicy | None = None,
) -> list[dict[str, str]]:
    """The five items of a third-party consent (PIPA Art. 17(2)) for `agency` and `categories`.

    Each item: {code, article, text}. Sensitive categories are listed too: the caller shows them
    in a separate consent box, as Art. 23 requires.
    """
    policy = policy or consent_policy()
    if language not in ("en", "ko"):
        raise ValueError(f"language must be 'en' or 'ko', got {language!r}")
    org = directory().agency(agency)
    purpose = policy.agencies.get(agency)
    if purpose is None:
        raise ValueError(f"no default purpose for agency {agency!r} in consent.json")
    cats = list(dict.fromkeys(categories))
    unknown = set(cats) - policy.categories.keys()
    if unknown:
        raise ConsentScopeError(f"unknown consent categories {sorted(unknown)}")
    ko = language == "ko"
    values = {
        "recipient": org.name_ko if ko else org.name_en,
        "purpose": purpose.purpose_ko if ko else purpose.purpose_en,
        "items": "; ".join(_item_text(policy.categories[code], ko) for code in cats),
        "retention": purpose.retention_ko if ko else purpose.retention_en,
    }
    return [
        {
            "code": item.code,
            "article": item.article,
            "text": (item.text_ko if ko else item.text_en).format(**values),
        }
        for item in policy.notice_items
    ]
