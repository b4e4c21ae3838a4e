"""Perceptual hashes of summit photos (pHash as imagehash computes it, without SciPy) and their distances:
how near-duplicates of another climber's photo are found."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from PIL import Image, ImageOps

# 64-bit pHash (8x8 DCT coefficients), the default size of the imagehash library's phash.
HASH_SIZE = 8


def perceptual_hashes(img: Image.Image) -> tuple[str, str]:
    """64-bit pHash of `img` and of its mirror image, as 16-digit hex strings."""
    # pHash reduces to 32x32 (LANCZOS) first; reduce once and mirror the small image (the filter is
    # symmetric, so this is the mirror's reduction) instead of resampling the full image twice.
    small = (img if img.mode == "L" else img.convert("L")).resize((_PHASH_SIDE, _PHASH_SIDE), Image.Resampling.LANCZOS)
    return _phash(small), _phash(ImageOps.mirror(small))


# pHash as imagehash.phash computes it (hash_size 8, highfreq_factor 4), without SciPy: the 2-D DCT-II
# (scipy.fftpack.dct's unnormalised scaling) of the 32x32 grey image, cut to its 8x8 low frequencies,
# is `D @ X @ D.T` with D the first 8 rows of the 32-point DCT-II matrix; a bit is set where the
# coefficient exceeds the median of the 64. Same bits in the same order (row-major, most significant
# first), so hashes stored before the change compare unchanged; tests/peaks/test_domain_imaging.py
# checks it against imagehash. Measurements and the decision: docs/dependencies.md, "Perceptual hash".
_PHASH_SIDE = HASH_SIZE * 4
_DCT_LOW = 2.0 * np.cos(
    np.pi * np.arange(HASH_SIZE)[:, None] * (2 * np.arange(_PHASH_SIDE)[None, :] + 1) / (2 * _PHASH_SIDE)
)


def _phash(small: Image.Image) -> str:
    """64-bit pHash of a 32x32 grey image, as imagehash.phash's 16-digit hex string."""
    low = _DCT_LOW @ np.asarray(small, dtype=np.float64) @ _DCT_LOW.T
    return np.packbits(low > np.median(low)).tobytes().hex()


def hash_distance(a: str, b: str) -> int:
    """Hamming distance between two hex pHashes (0 = same picture, 24+ = different photos of one spot)."""
    if len(a) != len(b):
        raise ValueError(f"pHashes of different lengths cannot be compared: {a!r}, {b!r}")
    return (int(a, 16) ^ int(b, 16)).bit_count()


def closest(phash: str, phash_mirror: str, others: Iterable[str]) -> tuple[int, bool] | None:
    """Smallest distance from this photo (or its mirror) to any of `others`; (distance, mirrored) or None."""
    best: tuple[int, bool] | None = None
    mine, mirror = int(phash, 16), int(phash_mirror, 16)
    for other in others:  # one popcount per candidate: called over every photo of a peak
        o = int(other, 16)
        for candidate, mirrored in ((mine, False), (mirror, True)):
            d = (candidate ^ o).bit_count()
            if best is None or d < best[0]:
                best = (d, mirrored)
        if best is not None and best[0] == 0:
            break
    return best
