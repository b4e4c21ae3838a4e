"""Request and response models of the peaks API (core: catalogue, climbers, photos, review)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from services.peaks.domain.reference import KST, Peak, Season
from shared.pii_guard import RRNGuarded


def kst(value: datetime | None) -> str | None:
    return value.astimezone(KST).isoformat() if value is not None else None


class PeakPublic(BaseModel):
    code: str
    name_en: str
    name_ko: str
    aliases: list[dict[str, str]]
    elevation_m: int
    lat: float
    lon: float
    approximate: bool
    coordinate_uncertainty_m: float
    source: str
    radius_m: float
    municipalities: list[str]
    active: bool  # counts in the current season

    @classmethod
    def of(cls, p: Peak, season: Season | None) -> PeakPublic:
        return cls(code=p.code, name_en=p.name_en, name_ko=p.name_ko,
                   aliases=[{"name_en": a.name_en, "name_ko": a.name_ko} for a in p.aliases],
                   elevation_m=p.elevation_m, lat=p.lat, lon=p.lon, approximate=p.approximate,
                   coordinate_uncertainty_m=p.coordinate_uncertainty_m, source=p.source, radius_m=p.radius_m,
                   municipalities=list(p.municipalities), active=bool(season and season.is_active(p.code)))


class PeaksPublic(BaseModel):
    items: list[PeakPublic]
    season: str | None
    versions: dict[str, str]


class SeasonPublic(BaseModel):
    id: str
    year: int
    start_date: date
    capture_from: date | None
    end_date: date
    finish_deadline: date
    peaks: list[str]
    method: str
    gps_required: bool
    sign_required: bool
    per_day_limit: int | None
    per_month_limit: int | None
    min_age: int | None
    medal_stock: int | Literal["unlimited"]
    medals_remaining: int | None  # None when the stock is unlimited
    completions: int
    completions_per_year: int | None
    sources: list[str]
    assumptions: dict[str, str]
    version: str


class ClimberCreate(RRNGuarded):
    """A new climber; a resident registration number in any field (the display name is shown publicly)
    is refused with 422 naming the field (`shared.pii_guard`)."""

    model_config = {"json_schema_extra": {"examples": [{"display_name": "김등산 Kim", "contact": "climber@example.kr", "birth_year": 1985, "gallery_consent": True}]}}

    display_name: str = Field(min_length=1, max_length=80, description="Shown in the gallery and on the public certificate "
                              "verification only with gallery_consent; always on your own copy")
    contact: str = Field(min_length=3, max_length=200, description="E-mail or phone; never shown publicly")
    birth_year: int = Field(ge=1900, le=2100, description="For the season's minimum-age rule")
    gallery_consent: bool = Field(description="May approved photos, and your display name on the public "
                                              "certificate verification, be shown?")

    @field_validator("display_name", "contact")
    @classmethod
    def _strip(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("must not be blank")
        return v


class ClimberCreated(BaseModel):
    id: str
    display_name: str
    gallery_consent: bool
    token: str = Field(description="Bearer token for your own routes; shown only once, keep it safe")


class CheckOut(BaseModel):
    code: str
    result: Literal["pass", "fail", "warn", "skip"]
    reason: str
    details: dict[str, Any] = {}


class PhotoOut(BaseModel):
    """A photo as its owner and reviewers see it (never public: it carries the checks)."""

    id: str
    climber_id: str
    peak: str
    season: str
    verdict: Literal["approved", "needs_review", "rejected"]
    score: int
    checks: list[CheckOut]
    format: str
    width: int
    height: int
    size_bytes: int
    taken_at: str | None
    capture_day: date
    reviewed_by: str | None
    review_reason: str | None
    reviewed_at: str | None
    created_at: str
    updated_at: str
    version: int
    image_url: str

    @classmethod
    def of(cls, p: Any) -> PhotoOut:
        """From a photo row (`models.Photo`)."""
        return cls(id=p.id, climber_id=p.climber_id, peak=p.peak_code, season=p.season_id, verdict=p.status,
                   score=p.score, checks=[CheckOut(**c) for c in p.checks], format=p.format, width=p.width,
                   height=p.height, size_bytes=p.size_bytes, taken_at=kst(p.taken_at), capture_day=p.capture_day,
                   reviewed_by=p.reviewed_by, review_reason=p.review_reason, reviewed_at=kst(p.reviewed_at),
                   created_at=kst(p.created_at) or "", updated_at=kst(p.updated_at) or "", version=p.version,
                   image_url=f"/v1/photos/{p.id}/image")


class PhotosOut(BaseModel):
    items: list[PhotoOut]
    next_cursor: str | None


class ReviewIn(RRNGuarded):
    model_config = {"json_schema_extra": {"examples": [{"decision": "approve", "reason": "summit sign visible; GPS inside the radius"}]}}

    decision: Literal["approve", "reject"]
    reason: str = Field(min_length=3, max_length=1000, description="Shown to the climber")


class CertificateBrief(BaseModel):
    id: str = Field(description="The certificate's public address (random): /v1/certificates/{id}")
    number: str
    rank: int
    first_place: bool = Field(description="First place granted")
    medal: bool = Field(description="A medal granted")
    award_status: Literal["none", "granted", "held", "refused"] = Field(
        description="held: the medal/first place wait for Ulju-gun's review (signals of a forged or scripted set)")
    award_due: list[Literal["medal", "first_place"]] = Field(description="What the award is about")
    medal_inscription: list[dict[str, str]] | None = Field(
        description="The medal record: the five sponsoring municipalities' names it bears")
    issued_at: str


class ProgressOut(BaseModel):
    climber_id: str
    season: str
    peaks_total: int
    done: list[str]
    pending: list[str]
    remaining: list[str]
    complete: bool
    certificate: CertificateBrief | None
    medal_due: bool
    shipping_address_set: bool


class ShippingAddressIn(RRNGuarded):
    model_config = {"json_schema_extra": {"examples": [{"address": "울산광역시 울주군 상북면 알프스온천5길 103-8"}]}}

    address: str = Field(min_length=5, max_length=500)


class ShippingAddressOut(BaseModel):
    climber_id: str
    certificate: str
    shipping_address_set: bool


class WebhookIn(RRNGuarded):
    model_config = {"json_schema_extra": {"examples": [{"url": "https://hooks.miryang.example/peaks", "events": ["photo.approved"], "territory": True}]}}

    url: str = Field(min_length=8, max_length=2000, description="https:// URL that receives the POSTs")
    events: list[Literal["photo.approved", "certificate.issued", "certificate.award_changed"]] = Field(
        min_length=1, max_length=3)
    territory: bool = Field(default=False, description="photo.approved only for peaks in your territory")


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[str]
    peaks: list[str] | None
    active: bool
    created_at: str
    secret: str = Field(description="Standard Webhooks signing secret (whsec_…) to verify deliveries")
    secret_version: int
    signature: str = "Standard Webhooks: headers webhook-id, webhook-timestamp, webhook-signature"


class WebhooksOut(BaseModel):
    items: list[WebhookOut]


class AwardSignalOut(BaseModel):
    code: str
    reason: str
    details: dict[str, Any] = {}


class AwardOut(BaseModel):
    """A certificate's medal/first-place award as Ulju-gun reviews it (not public: it names the climber id)."""

    certificate_id: str
    number: str
    season: str
    rank: int
    climber_id: str
    display_name: str
    held: list[Literal["medal", "first_place"]]
    status: Literal["none", "granted", "held", "refused"]
    signals: list[AwardSignalOut]
    photos: list[str]
    issued_at: str
    decided_by: str | None
    reason: str | None
    decided_at: str | None


class AwardsOut(BaseModel):
    items: list[AwardOut]


class AwardDecisionIn(RRNGuarded):
    model_config = {"json_schema_extra": {"examples": [{"decision": "approve", "reason": "verified: the photos are the climber's"}]}}

    decision: Literal["approve", "refuse"]
    reason: str = Field(min_length=3, max_length=1000, description="Kept with the decision")
