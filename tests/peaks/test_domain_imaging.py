"""Image intake: sniffing, bomb and truncation refusal, reduced-decode hashing, metadata-free derivatives."""

from __future__ import annotations

import io
import itertools

import pytest
from PIL import ExifTags, Image, ImageCms, ImageOps

from services.peaks.domain import imaging, phash, sample_photos
from services.peaks.domain.exif import read_photo_metadata
from services.peaks.domain.imaging import (
    CorruptImage,
    FileTooLarge,
    ImageTooLarge,
    UnsupportedFormat,
)
from services.peaks.domain.verification import DEFAULT_PARAMS
from tests.peaks import hostile_files

THRESHOLD = DEFAULT_PARAMS.near_duplicate_threshold


def _reencode(img: Image.Image, fmt: str = "JPEG", **kw) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **kw)
    return out.getvalue()


@pytest.mark.parametrize(
    "head, fmt",
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "png"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "webp"),
        (b"\x00\x00\x00\x1cftypheic\x00\x00\x00\x00mif1heic", "heic"),
        (b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1heic", "heic"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00mif1avif", None),
        (b"GIF89a\x01\x00", None),
        (b"<html><body>", None),
        (b"", None),
    ],
)
def test_sniff_format_uses_magic_bytes(head, fmt):
    assert imaging.sniff_format(head) == fmt


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIC"])
def test_inspect_accepts_each_supported_format(fmt):
    data = sample_photos.encode(sample_photos.picture((400, 300), seed=3), fmt=fmt)
    facts = imaging.inspect(data)
    assert (facts.width, facts.height) == (400, 300)
    assert facts.format == ("heic" if fmt == "HEIC" else fmt.lower())
    assert len(facts.phash) == 16 and len(facts.sha256) == 64


def test_png_bomb_is_refused_from_its_header():
    bomb = hostile_files.make_png_bomb(20_000, 20_000)
    assert len(bomb) < 2_000  # tiny file, 400 megapixels declared
    with pytest.raises(ImageTooLarge, match="400,000,000 pixels"):
        imaging.inspect(bomb)


def test_declared_size_over_max_pixels_is_refused_before_decoding(big_jpeg, monkeypatch):
    def no_decode(*_a, **_k):
        raise AssertionError("decoded a refused image")

    monkeypatch.setattr(imaging, "_reduced_decode", no_decode)
    with pytest.raises(ImageTooLarge, match="4,000x3,000 = 12,000,000 pixels; at most 10,000,000"):
        imaging.inspect(big_jpeg, max_pixels=10_000_000)


@pytest.mark.parametrize("keep", [0.3, 0.7, 0.98])
def test_truncated_jpeg_is_corrupt(summit_jpeg, keep):
    with pytest.raises(CorruptImage, match="truncated"):
        imaging.inspect(hostile_files.truncate(summit_jpeg, keep))


def test_truncated_png_header_is_corrupt():
    png = sample_photos.encode(sample_photos.picture((400, 300)), fmt="PNG")
    with pytest.raises(CorruptImage):
        imaging.inspect(png[:200])


def test_text_and_oversized_files_are_refused(summit_jpeg):
    with pytest.raises(UnsupportedFormat, match="not a JPEG, PNG, WebP or HEIC"):
        imaging.inspect(hostile_files.make_text_file())
    with pytest.raises(FileTooLarge, match="at most 1,000 bytes"):
        imaging.inspect(summit_jpeg, max_bytes=1_000)
    assert issubclass(FileTooLarge, ImageTooLarge) and issubclass(ImageTooLarge, imaging.ImageError)


def test_big_jpeg_is_hashed_from_a_draft_decode(big_jpeg, monkeypatch):
    seen: list[tuple[int, int]] = []
    real = imaging.perceptual_hashes

    def spy(img):
        seen.append(img.size)
        return real(img)

    monkeypatch.setattr(imaging, "perceptual_hashes", spy)
    facts = imaging.inspect(big_jpeg)
    assert (facts.width, facts.height) == (4000, 3000)
    assert seen == [(500, 375)] == [facts.hash_source_size]  # libjpeg decoded at 1/8 scale


def test_same_bytes_same_digest(summit_jpeg):
    assert imaging.inspect(summit_jpeg).sha256 == imaging.inspect(bytes(summit_jpeg)).sha256


def test_recompressed_resized_and_mirrored_copies_stay_close(summit_jpeg):
    original = imaging.inspect(summit_jpeg)
    img = Image.open(io.BytesIO(summit_jpeg)).convert("RGB")
    copies = {
        "recompressed": _reencode(img, quality=55),
        "resized": _reencode(img.resize((320, 240)), quality=80),
        "png": _reencode(img, "PNG"),
    }
    for name, data in copies.items():
        d = phash.hash_distance(original.phash, imaging.inspect(data).phash)
        assert d <= THRESHOLD, name
    mirrored = imaging.inspect(_reencode(ImageOps.mirror(img), quality=80))
    assert phash.hash_distance(original.phash, mirrored.phash) > THRESHOLD  # plain hash misses the flip...
    distance, was_mirrored = phash.closest(mirrored.phash, mirrored.phash_mirror, [original.phash])
    assert distance <= THRESHOLD and was_mirrored  # ...the mirrored hash catches it


def test_different_seeds_are_far_apart():
    hashes = [imaging.inspect(sample_photos.make_photo(seed=s)).phash for s in range(8)]
    distances = [phash.hash_distance(a, b) for a, b in itertools.combinations(hashes, 2)]
    assert min(distances) > 20


def test_closest_with_no_candidates():
    assert phash.closest("0" * 16, "f" * 16, []) is None


def _segments(jpeg: bytes) -> list[int]:
    """JPEG marker codes before the scan data (APPn, COM, DQT...)."""
    markers, i = [], 2
    while i < len(jpeg) and jpeg[i] == 0xFF:
        marker = jpeg[i + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        i += 2 + int.from_bytes(jpeg[i + 2 : i + 4], "big")
    return markers


def test_derivative_carries_no_metadata_at_all(gajisan):
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    src = sample_photos.picture((800, 600), seed=5)
    exif = sample_photos.build_exif(lat=gajisan.lat, lon=gajisan.lon, alt=1241, hpos_error=4)
    data = _reencode(
        src,
        quality=90,
        exif=exif.tobytes(),
        icc_profile=icc,
        comment=b"climber 42",
        xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>secret</x:xmpmeta>",
    )
    assert b"Exif" in data and read_photo_metadata(data).has_gps  # the source carries it all
    out = imaging.make_derivative(data, max_side=640)
    with Image.open(io.BytesIO(out)) as img:
        assert len(img.getexif()) == 0
        assert not img.info.get("icc_profile") and "comment" not in img.info and "xmp" not in img.info
        assert max(img.size) == 640
        assert img.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert not read_photo_metadata(out).has_exif
    assert b"Exif" not in out and b"GPS" not in out and b"xmpmeta" not in out
    assert not {0xE1, 0xE2, 0xFE} & set(_segments(out))  # no APP1 (EXIF/XMP), APP2 (ICC), COM


def test_derivative_applies_orientation_and_looks_the_same():
    data = sample_photos.make_photo(size=(640, 480), seed=9, orientation=6)  # 6 = rotate 90 degrees clockwise to view
    out = imaging.make_derivative(data, max_side=1280)
    with Image.open(io.BytesIO(out)) as img:
        assert img.size == (480, 640)
    assert phash.hash_distance(imaging.inspect(data).phash, imaging.inspect(out).phash) <= THRESHOLD


def test_derivative_of_a_big_jpeg_is_small(big_jpeg):
    out = imaging.make_derivative(big_jpeg, max_side=1280, quality=80)
    with Image.open(io.BytesIO(out)) as img:
        assert img.size == (1280, 960)
    assert len(out) < len(big_jpeg)


def test_derivative_refuses_what_inspect_refuses():
    with pytest.raises(ImageTooLarge):
        imaging.make_derivative(hostile_files.make_png_bomb())
    with pytest.raises(ValueError, match="quality"):
        imaging.make_derivative(b"", quality=0)
