"""Defensive reading of the photo metadata verification needs (GPS, altitude, capture times, camera)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

from PIL import ExifTags, Image

from services.peaks.domain.exif_values import (
    MAX_RAW_TEXT,
    MAX_TEXT,
    Notes,
    as_number,
    as_text,
    read_coordinate,
    shorten,
)

# Tag numbers (EXIF 2.32 / CIPA DC-008). GPS tags live in the GPS IFD (0x8825); DateTimeOriginal and
# OffsetTimeOriginal only in the Exif IFD (0x8769), never in IFD0, which is where naive readers look.
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON, GPS_ALT_REF, GPS_ALT = 1, 2, 3, 4, 5, 6
GPS_TIME, GPS_DATE, GPS_HPOS_ERROR = 7, 29, 31
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 36867, 36881
MAKE, MODEL, ORIENTATION = 271, 272, 274
MAKER_NOTE = 37500  # Exif IFD: the camera maker's private block (phones and cameras write one)
THUMB_OFFSET, THUMB_LENGTH = 513, 514  # IFD1: JPEGInterchangeFormat(Length), the embedded thumbnail

# Plausible GPS altitude on Earth (Dead Sea shore to above Everest); anything else is a broken value.
ALT_RANGE = (-500.0, 9000.0)

T = TypeVar("T")

_DATE_RE = re.compile(r"^(\d{4}):(\d{2}):(\d{2})$")
_DATETIME_RE = re.compile(r"^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})$")
_OFFSET_RE = re.compile(r"^([+-])(\d{2}):(\d{2})$")


@dataclass(frozen=True, slots=True)
class PhotoMetadata:
    """Metadata read from a photo; a value that was absent or unusable is None, and `problems` says why."""

    has_exif: bool = False
    lat: float | None = None  # decimal degrees, north positive
    lon: float | None = None  # decimal degrees, east positive
    altitude_m: float | None = None  # metres above sea level (below: negative)
    gps_time: datetime | None = None  # aware UTC, from GPSDateStamp (29) + GPSTimeStamp (7)
    hpos_error_m: float | None = None  # GPSHPositioningError (31), the device's stated accuracy
    taken_local: datetime | None = None  # naive DateTimeOriginal (36867), camera wall-clock time
    offset: timedelta | None = None  # OffsetTimeOriginal (36881), e.g. +09:00
    make: str | None = None
    model: str | None = None
    orientation: int | None = None  # 1..8
    maker_note: bool = False  # a non-empty MakerNote (37500) in the Exif IFD
    thumbnail: bool = False  # IFD1 points at an embedded JPEG thumbnail (cameras write one; scripts rarely)
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def has_gps(self) -> bool:
        return self.lat is not None and self.lon is not None

    def taken_at(self, default_offset: timedelta | None = None) -> datetime | None:
        """DateTimeOriginal as an aware datetime, using OffsetTimeOriginal or else `default_offset`."""
        if self.taken_local is None:
            return None
        off = self.offset if self.offset is not None else default_offset
        return None if off is None else self.taken_local.replace(tzinfo=timezone(off))


class Unreadable(ValueError):
    """A tag is present but unusable; the message is the note the verdict shows."""


def _read(ifd: Mapping[int, Any], tag: int, notes: Notes, parse: Callable[[Any, Notes], T]) -> T | None:
    """`parse(raw, notes)` of a tag that is present; a tag `parse` finds Unreadable becomes a note and None."""
    raw = ifd.get(tag)
    if raw is None:
        return None
    try:
        return parse(raw, notes)
    except Unreadable as bad:
        notes.add(str(bad))
        return None


def _altitude(gps: Mapping[int, Any], notes: Notes) -> float | None:
    def parse(raw: Any, notes: Notes) -> float:
        alt = as_number(raw)
        if alt is None:
            raise Unreadable(f"GPSAltitude is not a finite number: {shorten(raw)}.")
        ref = gps.get(GPS_ALT_REF, 0)  # EXIF default: 0 = above sea level
        if isinstance(ref, bytes):
            ref = ref[0] if len(ref) == 1 else None
        if ref not in (0, 1):
            raise Unreadable(
                f"GPSAltitudeRef should be 0 (above) or 1 (below sea level), got {shorten(ref)}; altitude ignored."
            )
        alt = -alt if ref == 1 else alt
        if not ALT_RANGE[0] <= alt <= ALT_RANGE[1]:
            raise Unreadable(f"GPSAltitude {alt:,.1f} m is not a plausible altitude on Earth.")
        return alt

    return _read(gps, GPS_ALT, notes, parse)


def _gps_time(gps: Mapping[int, Any], notes: Notes) -> datetime | None:
    raw_date, raw_time = gps.get(GPS_DATE), gps.get(GPS_TIME)
    if raw_date is None and raw_time is None:
        return None
    if raw_date is None or raw_time is None:
        notes.add("GPS time needs both GPSDateStamp and GPSTimeStamp; one of them is missing.")
        return None
    text = as_text(raw_date)
    match = _DATE_RE.match(text) if text is not None and len(text) <= MAX_RAW_TEXT else None
    if not isinstance(raw_time, tuple | list) or len(raw_time) != 3:
        notes.add(f"GPSTimeStamp should be three rationals (hours, minutes, seconds): {shorten(raw_time)}.")
        return None
    hms = [as_number(v) for v in raw_time]
    if match is None or any(v is None for v in hms):
        notes.add(f"GPS date/time is malformed: {shorten(raw_date)} {shorten(raw_time)}.")
        return None
    h, m, s = (v for v in hms if v is not None)
    if not (0 <= h < 24 and 0 <= m < 60 and 0 <= s < 61):
        notes.add(f"GPSTimeStamp out of range: {h}:{m}:{s}.")
        return None
    try:
        day = datetime(int(match[1]), int(match[2]), int(match[3]), tzinfo=UTC)
    except ValueError:
        notes.add(f"GPSDateStamp is not a real date: {text!r}.")
        return None
    return day + timedelta(hours=int(h), minutes=int(m), seconds=min(s, 59.999999))


def _datetime_original(raw: Any, notes: Notes) -> datetime:
    text = as_text(raw)
    match = _DATETIME_RE.match(text) if text is not None and len(text) <= MAX_RAW_TEXT else None
    if match is None:
        raise Unreadable(f"DateTimeOriginal is not 'YYYY:MM:DD HH:MM:SS': {shorten(raw)}.")
    try:
        return datetime(*(int(g) for g in match.groups()))
    except ValueError:
        raise Unreadable(f"DateTimeOriginal is not a real date and time: {text!r}.") from None


def _offset(raw: Any, notes: Notes) -> timedelta:
    text = as_text(raw)
    match = _OFFSET_RE.match(text) if text is not None and len(text) <= MAX_RAW_TEXT else None
    if match is None or int(match[2]) > 14 or int(match[3]) > 59:
        raise Unreadable(f"OffsetTimeOriginal is not a UTC offset like +09:00: {shorten(raw)}.")
    delta = timedelta(hours=int(match[2]), minutes=int(match[3]))
    return -delta if match[1] == "-" else delta


def _label(name: str) -> Callable[[Any, Notes], str | None]:
    def parse(raw: Any, notes: Notes) -> str | None:
        text = as_text(raw)
        if text is None:
            raise Unreadable(f"{name} is not text: {shorten(raw)}.")
        if len(text) > MAX_TEXT:
            notes.add(f"{name} is {len(text):,} characters long; truncated to {MAX_TEXT}.")
            text = text[:MAX_TEXT]
        return "".join(ch for ch in text if ch.isprintable()) or None

    return parse


def _hpos_error(raw: Any, notes: Notes) -> float:
    hpos = as_number(raw)
    if hpos is None or hpos < 0:
        raise Unreadable(f"GPSHPositioningError is not a non-negative number: {shorten(raw)}.")
    return hpos


def _orientation(raw: Any, notes: Notes) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool) and 1 <= raw <= 8:
        return raw
    raise Unreadable(f"Orientation should be 1..8, got {shorten(raw)}.")


def _sub_ifd(exif: Any, tag: int, name: str, notes: Notes) -> Mapping[int, Any]:
    try:
        ifd = exif.get(tag)
        if isinstance(exif, Image.Exif) and not isinstance(ifd, Mapping):
            ifd = exif.get_ifd(tag)  # a file offset: Pillow resolves it
    except Exception as exc:  # Pillow raises struct.error, KeyError, ValueError... on broken offsets
        notes.add(f"The {name} IFD could not be read: {type(exc).__name__}.")
        return {}
    if ifd is None or isinstance(ifd, int):  # an unresolved offset in a plain mapping: nothing to read
        return {}
    if not isinstance(ifd, Mapping):
        notes.add(f"The {name} IFD is not a directory: {shorten(ifd)}.")
        return {}
    return ifd


def _thumbnail(exif: Any) -> bool:
    """True when IFD1 (the thumbnail directory) names a thumbnail of non-zero length."""
    try:
        ifd1 = exif.get_ifd(ExifTags.IFD.IFD1) if isinstance(exif, Image.Exif) else exif.get(ExifTags.IFD.IFD1)
    except Exception:  # a broken IFD1 offset: no usable thumbnail
        return False
    if not isinstance(ifd1, Mapping):
        return False
    length = as_number(ifd1.get(THUMB_LENGTH))
    return ifd1.get(THUMB_OFFSET) is not None and length is not None and length > 0


def _load_exif(source: bytes | Image.Image | Image.Exif | Mapping[int, Any], notes: Notes) -> Any:
    if isinstance(source, Image.Exif | Mapping):
        return source
    try:
        if isinstance(source, bytes | bytearray | memoryview):
            from services.peaks.domain.imaging import register_heif  # HEIC needs the opener registered

            register_heif()
            with Image.open(io.BytesIO(bytes(source))) as img:
                return img.getexif()
        if isinstance(source, Image.Image):
            return source.getexif()
    except Exception as exc:
        notes.add(f"The EXIF block could not be read: {type(exc).__name__}.")
        return {}
    notes.add(f"Expected image bytes, a PIL image or an EXIF mapping, got {type(source).__name__}.")
    return {}


def read_photo_metadata(source: bytes | Image.Image | Image.Exif | Mapping[int, Any]) -> PhotoMetadata:
    """Read GPS, altitude, capture times and camera from a photo. Never raises: bad values become None + a problem note.

    `source` may be the file bytes, an opened PIL image, a PIL `Image.Exif`, or a plain mapping of IFD0
    tags whose 0x8825/0x8769 entries are themselves mappings (handy for tests and other EXIF readers).
    """
    notes = Notes()
    try:
        exif = _load_exif(source, notes)
        try:
            ifd0: Mapping[int, Any] = dict(exif.items()) if exif is not None else {}
        except Exception as exc:
            notes.add(f"The main EXIF directory could not be read: {type(exc).__name__}.")
            ifd0 = {}
        gps = _sub_ifd(exif, ExifTags.IFD.GPSInfo, "GPS", notes) if ExifTags.IFD.GPSInfo in ifd0 else {}
        exif_ifd = _sub_ifd(exif, ExifTags.IFD.Exif, "Exif", notes) if ExifTags.IFD.Exif in ifd0 else {}
        lat = read_coordinate(gps, GPS_LAT, GPS_LAT_REF, "NS", 90.0, "GPSLatitude", notes)
        lon = read_coordinate(gps, GPS_LON, GPS_LON_REF, "EW", 180.0, "GPSLongitude", notes)
        if (lat is None) != (lon is None):
            notes.add("Only one of latitude and longitude is usable; the position is ignored.")
            lat = lon = None
        return PhotoMetadata(
            has_exif=bool(ifd0),
            lat=lat,
            lon=lon,
            altitude_m=_altitude(gps, notes),
            gps_time=_gps_time(gps, notes),
            hpos_error_m=_read(gps, GPS_HPOS_ERROR, notes, _hpos_error),
            taken_local=_read(exif_ifd, DATETIME_ORIGINAL, notes, _datetime_original),
            offset=_read(exif_ifd, OFFSET_TIME_ORIGINAL, notes, _offset),
            make=_read(ifd0, MAKE, notes, _label("Make")),
            model=_read(ifd0, MODEL, notes, _label("Model")),
            orientation=_read(ifd0, ORIENTATION, notes, _orientation),
            maker_note=bool(exif_ifd.get(MAKER_NOTE)),
            thumbnail=_thumbnail(exif),
            problems=tuple(notes.items),
        )
    except Exception as exc:  # last line of defence: metadata must never break an upload
        notes.add(f"Metadata could not be read: {type(exc).__name__}.")
        return PhotoMetadata(problems=tuple(notes.items))
