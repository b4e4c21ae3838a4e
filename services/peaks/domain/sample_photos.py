"""Sample summit photos with real EXIF: the demo rows seeded at start-up (demo mode), the demo driver, benchmarks and tests.

Deliberately broken files (decompression bombs, garbage EXIF) are test-only: tests/peaks/hostile_files.py.
"""

from __future__ import annotations

import io
import struct
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction
from typing import Any

import numpy as np
from PIL import ExifTags, Image, ImageDraw
from PIL.TiffImagePlugin import IFDRational

from services.peaks.domain import exif as tags


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
    make: str | None = "CPA",
    model: str | None = "SummitCam synthetic",
    maker_note: bytes | None = None,
) -> Image.Exif:
    """EXIF as a real camera writes it: GPS IFD (0x8825) with rational triples, Exif IFD (0x8769) with times
    (and the maker's private MakerNote block when given)."""
    exif = Image.Exif()
    if make is not None:
        exif[tags.MAKE] = make
    if model is not None:
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
        if maker_note is not None:
            exif_ifd[tags.MAKER_NOTE] = maker_note
        exif[ExifTags.IFD.Exif] = exif_ifd
    if gps:
        exif[ExifTags.IFD.GPSInfo] = gps
    return exif


def with_thumbnail(exif: Image.Exif, picture_: Image.Image) -> bytes:
    """The EXIF block with an IFD1 holding a 160x120 JPEG thumbnail of `picture_`, as cameras write it
    (Pillow writes IFD0 and its sub-IFDs only, so IFD1 is appended here and IFD0's next-IFD link set)."""
    raw = exif.tobytes()
    head, tiff = raw[:6], bytearray(raw[6:])  # b"Exif\0\0", then the TIFF structure
    order = "<" if tiff[:2] == b"II" else ">"
    ifd0 = struct.unpack(order + "I", tiff[4:8])[0]
    count = struct.unpack(order + "H", tiff[ifd0:ifd0 + 2])[0]
    link = ifd0 + 2 + 12 * count
    thumb = io.BytesIO()
    small = picture_.convert("RGB").copy()
    small.thumbnail((160, 120))
    small.save(thumb, "JPEG", quality=70)
    data = thumb.getvalue()
    if len(tiff) % 2:
        tiff += b"\0"
    ifd1 = len(tiff)
    entries = [(0x0103, 3, 1, 6), (tags.THUMB_OFFSET, 4, 1, ifd1 + 2 + 12 * 3 + 4), (tags.THUMB_LENGTH, 4, 1, len(data))]
    block = struct.pack(order + "H", len(entries))
    for tag, kind, n, value in entries:
        block += struct.pack(order + "HHI", tag, kind, n) + (struct.pack(order + "HH", value, 0) if kind == 3
                                                            else struct.pack(order + "I", value))
    tiff[link:link + 4] = struct.pack(order + "I", ifd1)
    return head + bytes(tiff) + block + struct.pack(order + "I", 0) + data


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
        from services.peaks.domain.imaging import register_heif

        register_heif()
        fmt, params["quality"] = "HEIF", quality
    img.save(out, fmt.upper(), **params)
    return out.getvalue()


def make_photo(
    *,
    size: tuple[int, int] = (640, 480),
    seed: int = 0,
    fmt: str = "JPEG",
    quality: int = 85,
    camera: tuple[str, str, bytes] | None = None,
    **capture: Any,
) -> bytes:
    """A synthetic summit photo with real EXIF. `capture` is `build_exif`'s position, time and orientation
    (lat, lon, alt, taken_at, offset, gps_time, hpos_error, orientation); leave lat/lon out for a photo
    without GPS.

    `camera` = (make, model, maker note) writes what a phone writes besides the GPS and times: its make and
    model, a MakerNote block and an embedded thumbnail (without it: the synthetic make, no note, no thumbnail).
    """
    if camera is None:
        exif = build_exif(**capture)
    else:
        make, model, note = camera
        exif = build_exif(**capture, make=make, model=model, maker_note=note)
    img = picture(size, seed)
    return encode(img, fmt=fmt, quality=quality, exif=with_thumbnail(exif, img) if camera else exif)
