"""Labels of the onestop trainer pages: English with Korean beside it, for codes of parties, states and
services, and the choices the forms offer."""
from __future__ import annotations

from typing import Any

from services.onestop.domain import referral_states
from services.onestop.domain.consent_policy import consent_policy
from services.onestop.domain.reference import directory
from services.onestop.parts import OnestopPlatform

EMPLOYMENT = [("unemployed", "Unemployed · 실업"), ("employed", "Employed · 취업"),
              ("self-employed", "Self-employed · 자영업"), ("not-in-labour-force", "Not in the labour force · 비경제활동")]
CRISIS = [("eviction-risk", "Eviction risk · 퇴거 위기"), ("utilities-cut", "Utilities cut · 단전·단수"),
          ("food-insecurity", "Food insecurity · 식생활 위기"), ("medical-emergency", "Medical emergency · 의료 위기"),
          ("domestic-violence", "Domestic violence · 가정폭력"), ("suicide-risk", "Suicide risk · 자살 위험"),
          ("homelessness", "Homelessness · 노숙")]
VERDICTS = {"eligible": ("Eligible", "대상"), "maybe": ("Maybe", "확인 필요"), "not_eligible": ("Not eligible", "비대상")}
GROUPS_KO = {"disability": "장애인", "career-interrupted": "경력단절", "marriage-immigrant": "결혼이민자",
             "caregiver": "가족돌봄", "basic-livelihood": "기초생활수급", "near-poor": "차상위",
             "unemployed": "실업", "middle-aged": "중장년", "youth": "청년", "older": "노인"}
DECISIONS = [("refer", "Refer to another service · 연계"), ("task", "Create a task · 과제"),
             ("monitor", "Monitor · 모니터링"), ("close", "Close the case · 종결")]


def party(p: OnestopPlatform, code: str) -> dict[str, str]:
    if code in p.parties:
        got = p.parties.get(code)
        return {"code": code, "en": got.name, "ko": got.name_ko}
    return {"code": code, "en": code, "ko": ""}


def state(code: str | None) -> dict[str, str]:
    meta = referral_states.table().states.get(code or "", {})
    return {"code": code or "", "en": meta.get("label", code or ""), "ko": meta.get("label_ko", "")}


def service(key: str) -> dict[str, str]:
    try:
        s = directory().service(key)
    except KeyError:
        return {"key": key, "en": key, "ko": "", "agency": ""}
    return {"key": s.key, "en": s.name_en, "ko": s.name_ko, "agency": s.agency}


def agencies(p: OnestopPlatform) -> list[dict[str, str]]:
    d = directory()
    return [party(p, code) for code in d.agencies if code != d.operator]


def category_options() -> list[dict[str, Any]]:
    return [{"code": c.code, "en": c.label_en, "ko": c.label_ko, "fields": sorted(c.all_fields),
             "sensitive": c.sensitive} for c in consent_policy().categories.values()]


def local(value: str | None) -> str:
    """'2026-11-29T17:03:12.5+09:00' -> '2026-11-29 17:03' (times are already Korean time)."""
    return (value or "")[:16].replace("T", " ")
