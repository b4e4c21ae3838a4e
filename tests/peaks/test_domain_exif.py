"""EXIF reading: real camera layouts decode exactly, and no garbage (typed, structural or byte-level) ever raises."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational

from services.peaks.domain import exif, sample_photos
from services.peaks.domain.exif import PhotoMetadata, read_photo_metadata
from services.peaks.domain.reference import KST
from tests.peaks import hostile_files

from .conftest import TAKEN

# Pillow warns (UserWarning) about the malformed tags we feed it on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def test_reads_what_a_camera_writes(summit_jpeg, gajisan):
    m = read_photo_metadata(summit_jpeg)
    assert m.problems == ()
    assert m.has_exif and m.has_gps
    assert math.isclose(m.lat, gajisan.lat, abs_tol=1e-6) and math.isclose(m.lon, gajisan.lon, abs_tol=1e-6)
    assert m.altitude_m == 1235 and m.hpos_error_m == 5
    assert m.taken_local == datetime(2026, 5, 2, 10, 30) and m.offset == timedelta(hours=9)
    assert m.taken_at() == TAKEN and m.gps_time == TAKEN.astimezone(UTC)
    assert (m.make, m.model) == ("CPA", "SummitCam synthetic")


def test_accepts_image_exif_and_mapping(summit_jpeg):
    with Image.open(__import__("io").BytesIO(summit_jpeg)) as img:
        from_img = read_photo_metadata(img)
        from_exif = read_photo_metadata(img.getexif())
    mapping = {271: "X", ExifTags.IFD.GPSInfo: {1: "S", 2: (10, 30, 0), 3: "W", 4: (IFDRational(20), 0, 0)}}
    m = read_photo_metadata(mapping)
    assert from_img == from_exif == read_photo_metadata(summit_jpeg)
    assert (m.lat, m.lon) == (-10.5, -20.0)


def test_heic_metadata_is_read():
    data = sample_photos.encode(
        sample_photos.picture((320, 240)), fmt="HEIC", exif=sample_photos.build_exif(lat=35.5, lon=129.0, taken_at=TAKEN)
    )
    m = read_photo_metadata(data)
    assert (m.lat, m.lon, m.taken_at()) == (35.5, 129.0, TAKEN)


def test_missing_offset_and_southern_western_refs():
    data = sample_photos.make_photo(lat=-33.5, lon=-70.25, alt=-20, taken_at=TAKEN, offset=None)
    m = read_photo_metadata(data)
    assert (m.lat, m.lon, m.altitude_m) == (-33.5, -70.25, -20)
    assert m.offset is None and m.taken_at() is None
    assert m.taken_at(timedelta(hours=9)) == TAKEN  # the caller decides: verification assumes KST


@pytest.mark.parametrize(
    "kind, broken, note",
    [
        ("lat_single_number", ("lat", "lon"), "got a single number"),
        ("lat_as_text", ("lat", "lon"), "got str"),
        (
            "wrong_types",
            ("lat", "lon", "altitude_m", "gps_time", "taken_local", "offset", "make", "model", "orientation"),
            "not text",
        ),
        ("nan_rationals", ("lat", "altitude_m", "hpos_error_m"), "not a finite number"),
        ("impossible_date", ("taken_local", "gps_time"), "not a real date"),
        ("huge_tag", (), "60,000 characters"),
        ("missing_refs", ("lat", "lon"), "GPSLatitudeRef is missing"),
        ("out_of_range", ("lat", "altitude_m"), "out of range"),
        ("bad_offset", ("offset",), "not a UTC offset"),
    ],
)
def test_garbage_files_become_none_plus_a_note(kind, broken, note):
    m = read_photo_metadata(hostile_files.make_garbage_exif_photo(kind))
    assert all(getattr(m, name) is None for name in broken), m
    assert any(note in p for p in m.problems), m.problems
    if kind == "huge_tag":
        assert len(m.make) == exif.MAX_TEXT and m.has_gps  # the rest of the file still reads


@pytest.mark.parametrize(
    "source", [b"", b"not an image", b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00MM\x00*", 42, None]
)
def test_non_images_never_raise(source):
    m = read_photo_metadata(source)
    assert isinstance(m, PhotoMetadata) and not m.has_gps and m.problems


# --------------------------------------------------------------------------- property tests

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.binary(max_size=40),
    st.just("9" * 100_000),
    st.just("1999:99:99 99:99:99"),
    st.builds(IFDRational, st.integers(-(2**40), 2**40), st.integers(-3, 2**32)),
    st.tuples(st.integers(), st.integers(-2, 5)),
)
_values = st.recursive(
    _scalars, lambda c: st.lists(c, max_size=4).map(tuple) | st.lists(c, max_size=4), max_leaves=8
)
_gps_tags = st.sampled_from([0, 1, 2, 3, 4, 5, 6, 7, 29, 31]) | st.integers(0, 70_000)
_exif_tags = st.sampled_from([36867, 36881, 37521]) | st.integers(0, 70_000)


def _sane(m: PhotoMetadata) -> None:
    assert isinstance(m, PhotoMetadata)
    assert m.lat is None or (-90 <= m.lat <= 90 and math.isfinite(m.lat))
    assert m.lon is None or (-180 <= m.lon <= 180 and math.isfinite(m.lon))
    assert (m.lat is None) == (m.lon is None)
    assert m.altitude_m is None or math.isfinite(m.altitude_m)
    assert m.hpos_error_m is None or (m.hpos_error_m >= 0 and math.isfinite(m.hpos_error_m))
    assert m.gps_time is None or m.gps_time.tzinfo is not None
    assert m.make is None or len(m.make) <= exif.MAX_TEXT
    assert all(isinstance(p, str) for p in m.problems) and len(m.problems) <= 50
    m.taken_at(timedelta(hours=9))  # must not raise either


@settings(max_examples=300, deadline=None)
@given(
    gps=st.dictionaries(_gps_tags, _values, max_size=12) | _values,
    exif_ifd=st.dictionaries(_exif_tags, _values, max_size=6) | _values,
    ifd0=st.dictionaries(st.sampled_from([271, 272, 274, 306]), _values, max_size=4),
)
def test_garbage_dictionaries_never_raise(gps, exif_ifd, ifd0):
    _sane(read_photo_metadata({**ifd0, ExifTags.IFD.GPSInfo: gps, ExifTags.IFD.Exif: exif_ifd}))


_typed_entry = st.one_of(
    st.tuples(st.just(2), st.text(st.characters(max_codepoint=255), max_size=30)),
    st.tuples(st.just(3), st.lists(st.integers(0, 65_535), min_size=1, max_size=4)),
    st.tuples(st.just(4), st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=4)),
    st.tuples(
        st.just(5),
        st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)), min_size=1, max_size=4),
    ),
    st.tuples(
        st.just(10),
        st.lists(
            st.tuples(st.integers(-(2**31), 2**31 - 1), st.integers(-(2**31), 2**31 - 1)),
            min_size=1,
            max_size=4,
        ),
    ),
    st.tuples(st.sampled_from([1, 7]), st.binary(min_size=1, max_size=20)),
)


def _entries(tags: st.SearchStrategy[int]) -> st.SearchStrategy[list]:
    return st.dictionaries(tags, _typed_entry, max_size=10).map(
        lambda d: [(t, typ, v) for t, (typ, v) in d.items()]
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ifd0=_entries(st.sampled_from([271, 272, 274])),
    gps=_entries(st.sampled_from([1, 2, 3, 4, 5, 6, 7, 29, 31])),
    exif_ifd=_entries(st.sampled_from([36867, 36881])),
)
def test_wrongly_typed_tags_in_real_files_never_raise(ifd0, gps, exif_ifd):
    data = sample_photos.encode(sample_photos.picture((32, 32)), exif=hostile_files.raw_exif(ifd0, gps=gps, exif_ifd=exif_ifd))
    _sane(read_photo_metadata(data))


_BASE = sample_photos.make_photo(
    lat=35.6203,
    lon=129.0031,
    alt=1241,
    taken_at=datetime(2026, 5, 1, 10, tzinfo=KST),
    hpos_error=5,
    size=(32, 32),
)
_APP1_START = _BASE.index(b"\xff\xe1Exif"[:2])  # after Pillow's JFIF APP0 segment
_APP1_END = _APP1_START + 2 + int.from_bytes(_BASE[_APP1_START + 2 : _APP1_START + 4], "big")


def test_fuzz_target_is_the_exif_segment():
    assert _BASE[_APP1_START + 4 : _APP1_START + 10] == b"Exif\x00\x00" and _APP1_END - _APP1_START > 100


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(_APP1_START + 10, _APP1_END - 1), st.integers(0, 255)), min_size=1, max_size=12
    )
)
def test_flipped_bytes_in_the_exif_segment_never_raise(flips):
    data = bytearray(_BASE)
    for pos, byte in flips:
        data[pos] = byte
    _sane(read_photo_metadata(bytes(data)))
