"""Database tables of the peaks service (plus the shared platform tables).

A `climber` registers once and holds a bearer token (only its SHA-256 is stored). Each upload
is a `photo` row with the verdict and every check; a photo's files live in the
content-addressed store (`photo_store.py`), the row holds their keys. A climber who completes a
season's active peaks gets one `certificate`; `season_counter` is the per-season row that
hands out completion ranks and medals first-come (see `flows.certification.maybe_certify`).

Personal data: `climber.contact`, `climber.birth_year`, `climber.shipping_address` and the
photo's GPS position. None of them may appear in a public response or a log line.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import JSONType, UTCDateTime
from shared.tables import service_metadata

metadata, platform_tables = service_metadata()


class Base(DeclarativeBase):
    metadata = metadata


class Climber(Base):
    """A registered climber; authenticated by the bearer token whose SHA-256 is `token_hash`."""

    __tablename__ = "climber"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # clm_<ULID>
    display_name: Mapped[str] = mapped_column(String(80))  # public (gallery, certificate page)
    contact: Mapped[str] = mapped_column(String(200))  # personal: e-mail or phone, never public
    birth_year: Mapped[int | None] = mapped_column(Integer, nullable=True)  # personal: minimum-age rule
    gallery_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the token
    shipping_address: Mapped[str | None] = mapped_column(Text, nullable=True)  # personal; only once a medal is due
    # Keyed hash (SECRET_KEY) of the registering client's address: counts registrations per client for the
    # award review (`domain.verification.signals`); the address itself is never stored. None: before 2026-12.
    client_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Photo(Base):
    """One uploaded summit photo with its verdict (checks as JSON) and its stored files."""

    __tablename__ = "photo"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # pho_<ULID>
    climber_id: Mapped[str] = mapped_column(ForeignKey("climber.id"), index=True)
    peak_code: Mapped[str] = mapped_column(String(32))
    season_id: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # approved | needs_review | rejected
    score: Mapped[int] = mapped_column(Integer)
    checks: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)  # [{code, result, reason, details}]
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # exact duplicates
    phash: Mapped[str] = mapped_column(String(16))  # 64-bit pHash, hex
    phash_mirror: Mapped[str] = mapped_column(String(16))
    format: Mapped[str] = mapped_column(String(8))  # jpeg | png | webp | heic
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(100))  # original (never served publicly)
    derivative_key: Mapped[str] = mapped_column(String(100))  # display size, EXIF-free JPEG
    thumb_key: Mapped[str] = mapped_column(String(100))  # thumbnail, EXIF-free JPEG
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)  # personal (where the climber was)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    altitude_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    capture_day: Mapped[date] = mapped_column(Date)  # KST date the per-day/month limits count against
    # Camera facts for the award review: {make, model, maker_note, thumbnail} (`signals.evidence_of`).
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(40), nullable=True)  # party code
    review_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)  # open API `updated_since`
    version: Mapped[int] = mapped_column(Integer, default=1)  # bumped on every change (ETags)

    __table_args__ = (
        # Progress, limits and "peak already certified": one climber's photos in one season.
        Index("ix_photo_climber_season_status", "climber_id", "season_id", "status"),
        # Near-duplicate search compares pHashes of the same peak; review queue by peak and status.
        Index("ix_photo_peak_status_created", "peak_code", "status", "created_at"),
        # Gallery / open API: approved photos newest first.
        Index("ix_photo_status_created", "status", "created_at"),
    )


class Certificate(Base):
    """A season completion: issued exactly once per climber and season, with its rank.

    `id` is what public addresses use (random, 128 bits: not guessable); `number` is the human-readable
    completion number printed on it. The medal and first-place award are granted at once, or — when the
    set shows signals of forgery or scripting — held for Ulju-gun's review (`award_status` "held", the
    reasons in `award_signals`) and then granted or refused; the certificate itself stays either way.
    """

    __tablename__ = "certificate"

    number: Mapped[str] = mapped_column(String(20), primary_key=True)  # YA-2026-000123 (rank in season)
    id: Mapped[str] = mapped_column(String(40), unique=True)  # crt_<22 url-safe chars>: public, unguessable
    climber_id: Mapped[str] = mapped_column(ForeignKey("climber.id"), index=True)
    season_id: Mapped[str] = mapped_column(String(16))
    rank: Mapped[int] = mapped_column(Integer)  # 1 = first finisher of the season
    first_place: Mapped[bool] = mapped_column(Boolean, default=False)  # the first-place reward, granted
    medal: Mapped[bool] = mapped_column(Boolean, default=False)  # a medal was granted (first-come)
    # none (nothing due) | granted | held (waits for review) | refused; `award_due`: what it is about,
    # a list of "medal" / "first_place" (a held medal is taken from the stock, given back if refused).
    award_status: Mapped[str] = mapped_column(String(16), default="none", index=True)
    award_due: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    award_signals: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType, nullable=True)
    award_decided_by: Mapped[str | None] = mapped_column(String(40), nullable=True)  # party code
    award_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    award_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The medal record: the five sponsoring municipalities' names it bears [{name_ko, name_en, ...}].
    medal_inscription: Mapped[list[dict[str, str]] | None] = mapped_column(JSONType, nullable=True)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # medal sent
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("climber_id", "season_id"),  # exactly once per climber and season
        UniqueConstraint("season_id", "rank"),
    )


class SeasonCounter(Base):
    """Per-season tallies handed out with single atomic UPDATEs: completion ranks and medal stock.

    `medals_remaining` starts at the season's `medal_stock`; both are None for a season whose medal stock
    is "unlimited" (every finisher gets one).
    """

    __tablename__ = "season_counter"

    season_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    completions: Mapped[int] = mapped_column(Integer, default=0)  # last rank given
    medal_stock: Mapped[int | None] = mapped_column(Integer, nullable=True)
    medals_remaining: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GalleryView(Base):
    """Gallery page views per KST day (the case's headline figure: 500 → 1,200 a day)."""

    __tablename__ = "gallery_view"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class WebhookSubscription(Base):
    """A partner's subscription to events (`photo.approved`, `certificate.issued`,
    `certificate.award_changed`) at its URL."""

    __tablename__ = "webhook_subscription"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # whs_<ULID>
    party: Mapped[str] = mapped_column(String(40), index=True)
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(JSONType)
    # Optional territory filter: only photo events for these peak codes (None or []: every peak).
    peaks: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
