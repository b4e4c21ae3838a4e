"""The peaks API's answers (response models): what each operation returns, for the OpenAPI document."""
from __future__ import annotations

from pydantic import Field

from shared.answers import Answer, CursorPage, Day, Timestamp


class Images(Answer):
    display: str = Field(description="URL of the EXIF-free display JPEG")
    thumb: str = Field(description="URL of the EXIF-free thumbnail JPEG")


class PublicPhoto(Answer):
    """An approved photo of a climber who consented to the gallery: display name only."""

    id: str = Field(examples=["pho_01J9Z8X7W6V5T4S3R2Q1P0N9M8"])
    peak: str = Field(examples=["gajisan"])
    peak_name_en: str
    peak_name_ko: str
    season: str = Field(examples=["2026"])
    display_name: str | None = None
    capture_day: Day | None = None
    approved_at: Timestamp | None = None
    updated_at: Timestamp
    images: Images


class PhotoPage(CursorPage[PublicPhoto]):
    """`{items, next_cursor}`; answered with an ETag (send it in If-None-Match: 304 when unchanged)."""


class Alias(Answer):
    name_en: str | None = None
    name_ko: str | None = None


class Peak(Answer):
    code: str = Field(examples=["gajisan"])
    name_en: str
    name_ko: str
    aliases: list[Alias]
    elevation_m: int
    lat: float
    lon: float
    approximate: bool = Field(description="The summit coordinates are approximate")
    coordinate_uncertainty_m: float | None = None
    radius_m: float = Field(description="How close to the summit a photo must be taken")
    municipalities: list[str]
    active: bool = Field(description="Counts in this season")


class Peaks(Answer):
    season: str | None = None
    versions: dict[str, str] = Field(description="Version of each reference file")
    items: list[Peak]


class PeakApprovals(Answer):
    peak: str
    name_en: str
    name_ko: str
    active: bool
    approved: int


class DayViews(Answer):
    day: Day
    views: int


class Statistics(Answer):
    """Figures of one season."""

    season: str
    participants: int
    completions: int
    photos: dict[str, int] = Field(description="Photos by verdict", examples=[{"approved": 12, "rejected": 1}])
    approvals_per_peak: list[PeakApprovals]
    medals: dict[str, int] = Field(description="stock and remaining", examples=[{"stock": 100, "remaining": 97}])
    gallery_views: list[DayViews]


class Municipality(Answer):
    code: str
    name_ko: str
    name_en: str
    province_ko: str | None = None
    province_en: str | None = None
    role: str = Field(examples=["managing"])


class CertificateVerification(Answer):
    """What anyone may check about a certificate: no personal data beyond the display name shown by consent."""

    number: str = Field(examples=["YA-2026-000001"])
    valid: bool
    display_name: str | None = None
    season: str
    rank: int
    first_place: bool
    completed_on: Day
    issued_at: Timestamp
    title_en: str
    title_ko: str
    municipalities: list[Municipality]
    verification_url: str
    pdf_url: str
