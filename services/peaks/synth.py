"""Synthetic summit photos with real EXIF (and deliberately broken files) for tests and demos."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction
from typing import Any

import numpy as np
from PIL import ExifTags, Image, ImageDraw
from PIL.TiffImagePlugin import IFDRational

from services.peaks import exif as tags


def _rational(value: float, den: int = 1_000_000) -> IFDRational:
    frac = Fraction(value).limit_denominator(den)
    return IFDRational(frac.numerator, frac.denominator)


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    value = abs(value)
    d = int(value)
    m = int((value - d) * 60)
    s = (value - d - m / 60) * 3600
    return IFDRational(d, 1), IFDRational(m, 1), IFDRational(round(s * 10_000), 10_000)


def _hadamard_signs(seed: int) -> np.ndarray:
    """An 8x8 sign pattern: a row of the 64x64 Sylvester-Hadamard matrix (or its negation) chosen by seed.

    Distinct rows differ in exactly 32 of 64 places, and their first entry is always +1, which we
    leave to the DC term. 126 seeds get distinct patterns; beyond that they repeat.
    """
    h = np.array([[1]])
    for _ in range(6):
        h = np.block([[h, h], [h, -h]])
    row = h[1 + seed % 63] * (-1 if (seed // 63) % 2 else 1)  # a new array, safe to edit
    row[0] = 0  # the DC coefficient is the mean brightness, set separately
    return row.reshape(8, 8).astype(np.float32)


def picture(size: tuple[int, int] = (640, 480), seed: int = 0) -> Image.Image:
    """A varied RGB picture determined by `seed`: a low-frequency pattern, a tint, faint shapes, a ridge.

    pHash keeps the signs of the 8x8 lowest DCT coefficients of a 32x32 reduction. We paint those
    coefficients directly with a Hadamard code word, so two seeds differ in about 32 hash bits by
    construction (random pictures also average 32, but a few pairs fall near 20).
    """
    rng = np.random.default_rng(seed)
    full = size
    # Paint at most 640 px wide and upscale: a 12 MP test photo then costs milliseconds, not seconds.
    scale = min(1.0, 640 / max(size))
    w, h = max(8, round(size[0] * scale)), max(8, round(size[1] * scale))
    ys, xs = (np.arange(n, dtype=np.float32) for n in (h, w))
    freqs = np.arange(8, dtype=np.float32)[:, None]
    cos_y = np.cos(np.pi * (2 * ys[None, :] + 1) * freqs / (2 * h))  # 8 x h
    cos_x = np.cos(np.pi * (2 * xs[None, :] + 1) * freqs / (2 * w))  # 8 x w
    lum = 128 + 9.0 * (cos_y.T @ _hadamard_signs(seed) @ cos_x)  # h x w
    tint = rng.uniform(0.6, 1.0, size=3).astype(np.float32)
    rgb = np.clip(lum[:, :, None] * tint[None, None, :] + rng.uniform(0, 40), 0, 255).astype(np.uint8)
    img = Image.fromarray(rgb, "RGB")
    layer = img.copy()
    draw = ImageDraw.Draw(layer)
    for _ in range(int(rng.integers(4, 9))):
        x0, x1 = sorted(int(v) for v in rng.integers(0, w, 2))
        y0, y1 = sorted(int(v) for v in rng.integers(0, h, 2))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x0, y0, max(x1, x0 + 2), max(y1, y0 + 2)), fill=colour)
    # A "ridge line": summit photos share a horizon; detail for the eye, too faint to move the hash.
    ridge = [
        (x, int(h * (0.3 + 0.15 * np.sin(x / w * 6.28 * float(rng.uniform(0.5, 2))))))
        for x in range(0, w + 1, max(1, w // 32))
    ]
    draw.line(ridge, fill=(40, 60, 40), width=max(1, h // 120))
    out = Image.blend(img, layer, 0.25)
    return out if out.size == full else out.resize(full, Image.Resampling.BICUBIC)


def build_exif(
    *,
    lat: float | None = None,
    lon: float | None = None,
    alt: float | None = None,
    taken_at: datetime | None = None,
    offset: str | None = "+09:00",
    gps_time: bool = True,
    hpos_error: float | None = None,
    orientation: int | None = None,
    make: str = "CPA",
    model: str = "SummitCam synthetic",
) -> Image.Exif:
    """EXIF as a real camera writes it: GPS IFD (0x8825) with rational triples, Exif IFD (0x8769) with times."""
    exif = Image.Exif()
    exif[tags.MAKE] = make
    exif[tags.MODEL] = model
    if orientation is not None:
        exif[tags.ORIENTATION] = orientation
    gps: dict[int, Any] = {}
    if lat is not None and lon is not None:
        gps[0] = b"\x02\x03\x00\x00"  # GPSVersionID 2.3
        gps[tags.GPS_LAT_REF] = "N" if lat >= 0 else "S"
        gps[tags.GPS_LAT] = _dms(lat)
        gps[tags.GPS_LON_REF] = "E" if lon >= 0 else "W"
        gps[tags.GPS_LON] = _dms(lon)
    if alt is not None:
        gps[tags.GPS_ALT_REF] = b"\x00" if alt >= 0 else b"\x01"
        gps[tags.GPS_ALT] = _rational(abs(alt), 100)
    if hpos_error is not None:
        gps[tags.GPS_HPOS_ERROR] = _rational(hpos_error, 100)
    if taken_at is not None:
        if taken_at.tzinfo is None:
            raise ValueError("taken_at must be an aware datetime")
        if gps_time:
            utc = taken_at.astimezone(UTC)
            gps[tags.GPS_DATE] = utc.strftime("%Y:%m:%d")
            gps[tags.GPS_TIME] = (
                IFDRational(utc.hour, 1),
                IFDRational(utc.minute, 1),
                IFDRational(utc.second, 1),
            )
        local = taken_at.astimezone(_parse_offset(offset)) if offset else taken_at
        exif_ifd: dict[int, Any] = {tags.DATETIME_ORIGINAL: local.strftime("%Y:%m:%d %H:%M:%S")}
        if offset:
            exif_ifd[tags.OFFSET_TIME_ORIGINAL] = offset
        exif[ExifTags.IFD.Exif] = exif_ifd
    if gps:
        exif[ExifTags.IFD.GPSInfo] = gps
    return exif


def _parse_offset(offset: str) -> timezone:
    sign = -1 if offset.startswith("-") else 1
    hh, mm = offset[1:].split(":")
    return timezone(sign * timedelta(hours=int(hh), minutes=int(mm)))


def encode(
    img: Image.Image, *, fmt: str = "JPEG", quality: int = 85, exif: Image.Exif | bytes | None = None
) -> bytes:
    """Encode `img`; `exif` is written as given (a JPEG APP1 segment for JPEG)."""
    out = io.BytesIO()
    params: dict[str, Any] = {}
    if exif is not None:
        params["exif"] = exif.tobytes() if isinstance(exif, Image.Exif) else exif
    if fmt.upper() in ("JPEG", "WEBP"):
        params["quality"] = quality
    if fmt.upper() in ("HEIF", "HEIC"):
        from services.peaks.imaging import register_heif

        register_heif()
        fmt, params["quality"] = "HEIF", quality
    img.save(out, fmt.upper(), **params)
    return out.getvalue()


def make_photo(
    *,
    lat: float | None = None,
    lon: float | None = None,
    alt: float | None = None,
    taken_at: datetime | None = None,
    offset: str | None = "+09:00",
    gps_time: bool = True,
    hpos_error: float | None = None,
    size: tuple[int, int] = (640, 480),
    seed: int = 0,
    fmt: str = "JPEG",
    quality: int = 85,
    orientation: int | None = None,
) -> bytes:
    """A synthetic summit photo with real EXIF. Leave lat/lon None for a photo without GPS."""
    exif = build_exif(
        lat=lat,
        lon=lon,
        alt=alt,
        taken_at=taken_at,
        offset=offset,
        gps_time=gps_time,
        hpos_error=hpos_error,
        orientation=orientation,
    )
    return encode(picture(size, seed), fmt=fmt, quality=quality, exif=exif)


def make_big_jpeg(*, size: tuple[int, int] = (4000, 3000), seed: int = 7, **kwargs: Any) -> bytes:
    """A 12-megapixel phone-sized JPEG (about a second to build: call once per test session)."""
    return make_photo(size=size, seed=seed, quality=kwargs.pop("quality", 80), **kwargs)


def truncate(data: bytes, keep: float = 0.5) -> bytes:
    """The first `keep` fraction of a file, as an interrupted upload leaves it."""
    return data[: max(4, int(len(data) * keep))]


def make_text_file() -> bytes:
    """Not an image at all, whatever the filename or content type claims."""
    return b"This is a text file, not a summit photo.\n" * 20


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def make_png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A tiny PNG whose IHDR declares width x height (400 megapixels by default) without allocating it.

    Only the header is real (with a valid CRC); the IDAT is a few compressed zero bytes, so any
    reader that decodes before checking the declared size would try to allocate gigabytes.
    """
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    idat = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


# --------------------------------------------------------------------------- raw EXIF writer
# Pillow refuses to write a value whose type contradicts the tag's registered type (text in a
# rational, a number in an ASCII field), yet real files contain exactly that; so we write the
# TIFF structure ourselves. Entry = (tag, TIFF type, value); types: 1 BYTE, 2 ASCII, 3 SHORT,
# 4 LONG, 5 RATIONAL, 7 UNDEFINED, 10 SRATIONAL. Rationals are (numerator, denominator) pairs.
Entry = tuple[int, int, Any]
_PACK = {3: "<H", 4: "<I", 5: "<II", 10: "<ii"}


def _payload(typ: int, value: Any) -> tuple[int, bytes]:
    if typ == 2:
        raw = value.encode("latin-1", "replace") if isinstance(value, str) else bytes(value)
        return len(raw) + 1, raw + b"\x00"
    if typ in (1, 7):
        return len(value), bytes(value)
    items = value if isinstance(value, list) else [value]
    return len(items), b"".join(
        struct.pack(_PACK[typ], *(v if isinstance(v, tuple) else (v,))) for v in items
    )


def _ifd(entries: list[Entry], start: int) -> bytes:
    entries = sorted(entries, key=lambda e: e[0])
    data_at = start + 2 + 12 * len(entries) + 4
    head, data = [struct.pack("<H", len(entries))], b""
    for tag, typ, value in entries:
        count, raw = _payload(typ, value)
        if len(raw) <= 4:
            field = raw.ljust(4, b"\x00")
        else:
            field = struct.pack("<I", data_at + len(data))
            data += raw + (b"\x00" if len(raw) % 2 else b"")  # keep offsets word-aligned
        head.append(struct.pack("<HHI", tag, typ, count) + field)
    return b"".join(head) + struct.pack("<I", 0) + data


def raw_exif(ifd0: list[Entry], gps: list[Entry] | None = None, exif_ifd: list[Entry] | None = None) -> bytes:
    """An EXIF block ("Exif\\0\\0" + little-endian TIFF) written exactly as given, types and all."""
    subs = [(t, e) for t, e in ((ExifTags.IFD.Exif, exif_ifd), (ExifTags.IFD.GPSInfo, gps)) if e is not None]
    pointers: list[Entry] = [(t, 4, 0) for t, _ in subs]
    first = _ifd(ifd0 + pointers, 8)  # sized once with dummy pointers: sizes do not depend on values
    offsets, blocks, at = {}, [], 8 + len(first)
    for tag, entries in subs:
        offsets[tag] = at
        block = _ifd(entries, at)
        blocks.append(block)
        at += len(block)
    first = _ifd(ifd0 + [(t, 4, offsets[t]) for t, _ in subs], 8)
    return b"Exif\x00\x00II*\x00" + struct.pack("<I", 8) + first + b"".join(blocks)


def _wrong_types_exif() -> bytes:
    """Every field present, every field of the wrong type."""
    return raw_exif(
        [(tags.MAKE, 5, (1, 0)), (tags.MODEL, 3, 7), (tags.ORIENTATION, 2, "upside down")],
        gps=[
            (tags.GPS_LAT_REF, 3, 78),
            (tags.GPS_LAT, 2, "35.6203"),
            (tags.GPS_LON_REF, 5, (69, 1)),
            (tags.GPS_LON, 2, "129.0031"),
            (tags.GPS_ALT_REF, 2, "up"),
            (tags.GPS_ALT, 2, "1241 m"),
            (tags.GPS_TIME, 2, "10:00:00"),
            (tags.GPS_DATE, 5, (2026, 1)),
            (tags.GPS_HPOS_ERROR, 2, "eight"),
        ],
        exif_ifd=[(tags.DATETIME_ORIGINAL, 4, 1_777_777_777), (tags.OFFSET_TIME_ORIGINAL, 10, (9, 1))],
    )


GARBAGE_KINDS = (
    "lat_single_number",
    "lat_as_text",
    "wrong_types",
    "nan_rationals",
    "impossible_date",
    "huge_tag",
    "missing_refs",
    "out_of_range",
    "bad_offset",
)


def garbage_exif(kind: str) -> Image.Exif | bytes:
    """EXIF with one kind of real-world garbage (see GARBAGE_KINDS); other fields are sane.

    Returns a Pillow `Image.Exif`, or raw EXIF bytes for kinds Pillow itself refuses to write.
    """
    if kind == "wrong_types":
        return _wrong_types_exif()
    if kind == "lat_as_text":
        return raw_exif(
            [],
            gps=[
                (tags.GPS_LAT_REF, 2, "N"),
                (tags.GPS_LAT, 2, "35.6203"),
                (tags.GPS_LON_REF, 2, "E"),
                (tags.GPS_LON, 5, [(129, 1), (0, 1), (111, 10)]),
            ],
        )
    exif = build_exif(
        lat=35.6203,
        lon=129.0031,
        alt=1241,
        taken_at=datetime(2026, 5, 1, 10, 0, tzinfo=_parse_offset("+09:00")),
    )
    gps = dict(exif[ExifTags.IFD.GPSInfo])  # build_exif stored the sub-IFDs as plain dicts
    exif_ifd = dict(exif[ExifTags.IFD.Exif])
    if kind == "lat_single_number":
        gps[tags.GPS_LAT] = IFDRational(356203, 10_000)
    elif kind == "nan_rationals":
        gps[tags.GPS_LAT] = (IFDRational(0, 0), IFDRational(0, 0), IFDRational(0, 0))
        gps[tags.GPS_ALT] = IFDRational(1, 0)
        gps[tags.GPS_HPOS_ERROR] = IFDRational(0, 0)
    elif kind == "impossible_date":
        exif_ifd[tags.DATETIME_ORIGINAL] = "1999:99:99 99:99:99"
        gps[tags.GPS_DATE] = "1999:99:99"
    elif kind == "huge_tag":
        exif[tags.MAKE] = "X" * 60_000  # close to the 64 KB limit of a JPEG APP1 segment
    elif kind == "missing_refs":
        del gps[tags.GPS_LAT_REF], gps[tags.GPS_LON_REF]
    elif kind == "out_of_range":
        gps[tags.GPS_LAT] = (IFDRational(135, 1), IFDRational(75, 1), IFDRational(0, 1))
        gps[tags.GPS_ALT] = IFDRational(123_456_789, 1)
    elif kind == "bad_offset":
        exif_ifd[tags.OFFSET_TIME_ORIGINAL] = "nine hours"
    else:
        raise ValueError(f"unknown garbage kind {kind!r}; choose one of {GARBAGE_KINDS}")
    exif[ExifTags.IFD.GPSInfo] = gps
    exif[ExifTags.IFD.Exif] = exif_ifd
    return exif


def make_garbage_exif_photo(kind: str, *, seed: int = 0) -> bytes:
    """A decodable JPEG whose EXIF carries one kind of garbage (see GARBAGE_KINDS)."""
    return encode(picture((480, 360), seed), exif=garbage_exif(kind))
