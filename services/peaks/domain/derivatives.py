"""Display and thumbnail derivatives of an accepted upload, both from one reduced decode.

Not on the upload path: an upload is verified from `imaging.inspect`'s 1/8-scale decode and only
its original is stored; `flows.derivatives.ensure_derivatives` calls `make_derivatives` on the first request
of a photo's image. `process` (inspect + derivatives at once) serves the seeders.

`imaging.make_derivative` decodes the file once per size and asks the JPEG decoder for a
square box, which for a 4000x3000 photo means a half-scale (2000x1500) decode plus a costly
resize. On the upload path we need two sizes, so this decodes once, asking for an
aspect-correct box (a 4000x3000 photo and a 1000 px display size decode directly at
quarter scale, 1000x750, with no resize at all), then makes the thumbnail from that image.
Same privacy rule as `make_derivative`: the output is rebuilt from raw pixels, so no EXIF,
GPS, XMP, ICC profile or comment survives.
"""
from __future__ import annotations

import hashlib
import io
import math
from dataclasses import dataclass

from PIL import Image, ImageOps

from services.peaks.domain import imaging
from services.peaks.domain.phash import perceptual_hashes


@dataclass(frozen=True, slots=True)
class Derivatives:
    display: bytes
    thumb: bytes


def _jpeg(img: Image.Image, quality: int) -> bytes:
    clean = Image.frombytes("RGB", img.size, img.tobytes())  # fresh image: empty .info
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=quality, exif=b"")
    return out.getvalue()


def _decode(img: Image.Image, side: int) -> Image.Image:
    """Decode at the smallest JPEG scale whose long side is still >= `side`; upright RGB."""
    w, h = img.size
    if img.format == "JPEG" and max(w, h) > side:
        f = side / max(w, h)
        img.draft("RGB", (math.ceil(w * f), math.ceil(h * f)))
    try:
        img.load()
    except Exception as exc:  # already decoded once by imaging.inspect; kept defensive
        raise imaging.CorruptImage(f"The image could not be decoded: {exc}.") from exc
    try:
        img = ImageOps.exif_transpose(img)
    except Exception:  # a garbage Orientation tag keeps the stored orientation (as imaging does)
        pass
    if img.mode in ("RGBA", "LA", "P", "PA") or "A" in img.mode:
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return img.convert("RGB") if img.mode != "RGB" else img


def make_derivatives(data: bytes, *, display_side: int = 1000, thumb_side: int = 320,
                     max_pixels: int = imaging.DEFAULT_MAX_PIXELS, quality: int = 82) -> Derivatives:
    """EXIF-free upright JPEGs at most `display_side` / `thumb_side` px on the long side.

    Call only after `imaging.inspect` accepted the bytes (it raises the same ImageError otherwise).
    """
    img = imaging.open_image(data, max_pixels=max_pixels, max_bytes=max(len(data), imaging.DEFAULT_MAX_BYTES))
    with img:
        icc = img.info.get("icc_profile")
        upright = _decode(img, display_side)
    upright = imaging._to_srgb(upright, icc)  # convert colours, then drop the profile
    if max(upright.size) > display_side:
        upright.thumbnail((display_side, display_side), Image.Resampling.BICUBIC, reducing_gap=2.0)
    display = _jpeg(upright, quality)
    small = upright.copy()
    small.thumbnail((thumb_side, thumb_side), Image.Resampling.BICUBIC, reducing_gap=2.0)
    return Derivatives(display=display, thumb=_jpeg(small, quality))


def process(data: bytes, *, display_side: int = 1000, thumb_side: int = 320,
            max_pixels: int = imaging.DEFAULT_MAX_PIXELS, max_bytes: int = imaging.DEFAULT_MAX_BYTES,
            quality: int = 82) -> tuple[imaging.ImageFacts, Derivatives]:
    """`imaging.inspect` and the derivatives from ONE reduced decode (seeders: demo and bench data).

    Same refusals as `imaging.inspect` (UnsupportedFormat, ImageTooLarge, FileTooLarge,
    CorruptImage, raised by `imaging.open_image` before any pixel is decoded, or by the decode);
    the perceptual hashes come from the display-size decode instead of a separate 1/8 one
    (pHash looks at a 32x32 reduction, so the source size moves it by a bit or two at most).
    """
    img = imaging.open_image(data, max_pixels=max_pixels, max_bytes=max_bytes)
    fmt = imaging.sniff_format(data[:64])
    assert fmt is not None  # open_image refused anything else
    width, height = img.size
    with img:
        icc = img.info.get("icc_profile")
        try:
            upright = _decode(img, display_side)
        except imaging.CorruptImage:
            raise imaging.CorruptImage(
                f"The {fmt.upper()} could not be decoded (is the file truncated?).") from None
    # Hash a box-reduced copy (~500 px, what imaging.inspect's 1/8 draft of a 12 MP photo gives):
    # pHash only looks at 32x32, and resampling 1000 px down to that costs more than the reduce.
    factor = max(1, max(upright.size) // (2 * imaging.HASH_DRAFT_SIDE))
    phash, phash_mirror = perceptual_hashes(upright.reduce(factor) if factor > 1 else upright)
    facts = imaging.ImageFacts(format=fmt, width=width, height=height, size_bytes=len(data),
                               sha256=hashlib.sha256(data).hexdigest(), phash=phash, phash_mirror=phash_mirror,
                               hash_source_size=upright.size)
    upright = imaging._to_srgb(upright, icc)
    if max(upright.size) > display_side:
        upright.thumbnail((display_side, display_side), Image.Resampling.BICUBIC, reducing_gap=2.0)
    display = _jpeg(upright, quality)
    small = upright.copy()
    small.thumbnail((thumb_side, thumb_side), Image.Resampling.BICUBIC, reducing_gap=2.0)
    return facts, Derivatives(display=display, thumb=_jpeg(small, quality))
