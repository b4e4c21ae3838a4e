"""The peaks pHash (numpy DCT) gives imagehash.phash's hashes: imagehash is the independent reference here.

imagehash is in the test extra only (it brings SciPy and PyWavelets): docs/dependencies.md, "Perceptual hash".
"""

from __future__ import annotations

import io

import imagehash
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image, ImageFilter, ImageOps

from services.peaks.domain import imaging, phash, sample_photos

SIDE = phash.HASH_SIZE * 4


def _reference(img: Image.Image) -> tuple[str, str]:
    """What imaging.perceptual_hashes computed with imagehash: the same 32x32 LANCZOS reduction, hashed twice."""
    small = (img if img.mode == "L" else img.convert("L")).resize((SIDE, SIDE), Image.Resampling.LANCZOS)
    return (str(imagehash.phash(small, hash_size=phash.HASH_SIZE)),
            str(imagehash.phash(ImageOps.mirror(small), hash_size=phash.HASH_SIZE)))


def _reencode(img: Image.Image, fmt: str = "JPEG", **kw) -> Image.Image:
    out = io.BytesIO()
    img.save(out, fmt, **kw)
    return Image.open(io.BytesIO(out.getvalue()))


def _variants(seed: int) -> dict[str, Image.Image]:
    img = Image.open(io.BytesIO(sample_photos.make_photo(seed=seed))).convert("RGB")
    return {
        "original": img,
        "recompressed": _reencode(img, quality=55),
        "resized": _reencode(img.resize((320, 240)), quality=80),
        "mirrored": _reencode(ImageOps.mirror(img), quality=80),
        "png": _reencode(img, "PNG"),
        "blurred": img.filter(ImageFilter.GaussianBlur(3)),
        "grey": img.convert("L"),
    }


@pytest.mark.parametrize("seed", range(6))
def test_photos_and_their_copies_hash_as_imagehash_does(seed):
    for name, img in _variants(seed).items():
        assert phash.perceptual_hashes(img) == _reference(img), name


def test_an_upload_hashes_as_imagehash_does_on_its_reduced_decode(summit_jpeg, monkeypatch):
    seen: list[tuple[str, str]] = []
    real = imaging.perceptual_hashes

    def spy(img):
        seen.append(_reference(img))
        return real(img)

    monkeypatch.setattr(imaging, "perceptual_hashes", spy)
    facts = imaging.inspect(summit_jpeg)
    assert seen == [(facts.phash, facts.phash_mirror)]


def _clear_median(pixels: np.ndarray) -> bool:
    """False when a low-frequency coefficient sits on the median: that bit is rounding noise in any DCT."""
    low = phash._DCT_LOW @ pixels.astype(np.float64) @ phash._DCT_LOW.T
    return bool(np.min(np.abs(low - np.median(low))) > 1e-6 * max(1.0, float(np.max(np.abs(low)))))


@settings(max_examples=300, deadline=None)
@given(arrays(np.uint8, (SIDE, SIDE)))
def test_any_32x32_grey_image_hashes_as_imagehash_does(pixels):
    assume(_clear_median(pixels))
    small = Image.fromarray(pixels, "L")
    assert phash._phash(small) == str(imagehash.phash(small, hash_size=phash.HASH_SIZE))


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 400), st.integers(1, 400), st.integers(0, 2**32 - 1))
def test_any_size_of_image_hashes_as_imagehash_does(width, height, seed):
    rng = np.random.default_rng(seed)
    # A smooth gradient plus noise: photo-like low frequencies, not just white noise.
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.clip(rng.uniform(0, 255) * x / width + rng.uniform(0, 255) * y / height * 0.5
                     + rng.normal(0, 20, (height, width)), 0, 255).astype(np.uint8)
    img = Image.fromarray(pixels, "L")
    small = img.resize((SIDE, SIDE), Image.Resampling.LANCZOS)
    assume(_clear_median(np.asarray(small)) and _clear_median(np.asarray(ImageOps.mirror(small))))
    assert phash.perceptual_hashes(img) == _reference(img)


@settings(max_examples=200)
@given(st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1))
def test_hash_distance_is_imagehash_hamming_distance(a, b):
    ha, hb = f"{a:016x}", f"{b:016x}"
    assert phash.hash_distance(ha, hb) == imagehash.hex_to_hash(ha) - imagehash.hex_to_hash(hb)


def test_hashes_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="different lengths"):
        phash.hash_distance("0" * 16, "0" * 15)
