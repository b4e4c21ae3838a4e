"""Hostile and broken files for the peaks tests: decompression bombs, truncated uploads, text named .jpg,
and EXIF with real-world garbage that Pillow itself refuses to write (so the TIFF structure is written here).

Test-only: the sane synthetic photos these start from are services.peaks.domain.sample_photos's.
"""

from __future__ import annotations

import struct
import zlib
from datetime import datetime, timedelta, timezone
from typing import Any

from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational

from services.peaks.domain import exif as tags
from services.peaks.domain.sample_photos import build_exif, encode, make_photo, picture

KST = timezone(timedelta(hours=9))


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
        taken_at=datetime(2026, 5, 1, 10, 0, tzinfo=KST),
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
