"""Defensive photo intake: format sniffing, bomb and corruption refusal, perceptual hashes, clean derivatives."""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import cache
from typing import Literal

from PIL import Image, ImageCms, ImageOps

from services.peaks.domain.phash import perceptual_hashes

Format = Literal["jpeg", "png", "webp", "heic"]

# Phones shoot 12-50 MP; anything declaring more is refused before a single pixel is decoded.
DEFAULT_MAX_PIXELS = 50_000_000
DEFAULT_MAX_BYTES = 25_000_000
# JPEG draft target for hashing: pHash looks at a 32x32 reduction, so a 1/8-scale DCT decode
# (a 4000x3000 photo becomes 500x375) keeps all the information it uses at a fraction of the cost.
HASH_DRAFT_SIDE = 256

# Brands of the ISO-BMFF `ftyp` box that mean HEIF/HEIC stills (AVIF is `avif`, not accepted).
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"}
_HEIF_GENERIC = {b"mif1", b"msf1"}
_PIL_FORMATS: dict[str, Format] = {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp", "HEIF": "heic"}


class ImageError(ValueError):
    """Base class of intake refusals; `code` is a stable machine-readable name, the message is for people."""

    code = "image_error"


class UnsupportedFormat(ImageError):
    code = "unsupported_format"


class ImageTooLarge(ImageError):
    """Too many declared pixels (a decompression bomb, or simply more than a phone shoots)."""

    code = "image_too_large"


class FileTooLarge(ImageTooLarge):
    """Too many bytes; refused before the file is even parsed."""

    code = "file_too_large"


class CorruptImage(ImageError):
    code = "corrupt_image"


@dataclass(frozen=True, slots=True)
class ImageFacts:
    """What intake learned about an accepted upload."""

    format: Format
    width: int  # as stored, before EXIF orientation is applied
    height: int
    size_bytes: int
    sha256: str  # hex digest of the exact bytes: equal digests = exact duplicate
    phash: str  # 16 hex digits, 64-bit pHash of the orientation-corrected image
    phash_mirror: str  # pHash of its mirror image, to catch flipped reuse
    hash_source_size: tuple[int, int]  # size of the reduced decode the hashes came from

    @property
    def pixels(self) -> int:
        return self.width * self.height


def sniff_format(head: bytes) -> Format | None:
    """Identify JPEG, PNG, WebP or HEIC from the first bytes (16 suffice); names and content types lie."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        major = head[8:12]
        if major in _HEIC_BRANDS:
            return "heic"
        if major in _HEIF_GENERIC:
            # Generic HEIF: look for an HEVC compatible brand inside the ftyp box.
            box_len = int.from_bytes(head[:4], "big")
            compatible = head[16 : min(box_len, len(head))]
            brands = {compatible[i : i + 4] for i in range(0, len(compatible) - 3, 4)}
            if brands & _HEIC_BRANDS:
                return "heic"
    return None


@cache
def register_heif() -> bool:
    """Teach Pillow to open HEIC (iPhone default); done lazily so importing this module stays cheap."""
    try:
        from pillow_heif import register_heif_opener
    except ImportError:  # pragma: no cover - pillow-heif is a declared dependency
        return False
    register_heif_opener()
    return True


def open_image(
    data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, max_bytes: int = DEFAULT_MAX_BYTES
) -> Image.Image:
    """Open `data` lazily (header only) after sniffing and size checks; raises an ImageError subclass."""
    if len(data) > max_bytes:
        raise FileTooLarge(f"The file is {len(data):,} bytes; at most {max_bytes:,} bytes are accepted.")
    fmt = sniff_format(data[:64])
    if fmt is None:
        raise UnsupportedFormat(
            "The file is not a JPEG, PNG, WebP or HEIC image (checked by its content, not its name)."
        )
    if fmt == "heic" and not register_heif():
        raise UnsupportedFormat("HEIC images cannot be read on this server; please upload a JPEG.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=[k for k, v in _PIL_FORMATS.items() if v == fmt])
    except Image.DecompressionBombError as exc:
        declared = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(declared[1]):,} pixels" if declared else "an enormous size"
        raise ImageTooLarge(
            f"The image declares {size} (a decompression bomb); at most {max_pixels:,} pixels are accepted."
        ) from exc
    except Exception as exc:  # Pillow raises many types on hostile headers
        raise CorruptImage(f"The {fmt.upper()} header could not be read: {exc}.") from exc
    w, h = img.size
    if w <= 0 or h <= 0:
        raise CorruptImage(f"The image declares an impossible size of {w}x{h} pixels.")
    if w * h > max_pixels:
        # Refused on the declared size alone, before any pixel is decoded (decompression-bomb defence).
        raise ImageTooLarge(
            f"The image declares {w:,}x{h:,} = {w * h:,} pixels; at most {max_pixels:,} are accepted."
        )
    return img


def _reduced_decode(img: Image.Image, side: int, *, gray: bool = False, nbytes: int = 0) -> Image.Image:
    """Decode at reduced size where the codec allows it (JPEG DCT scaling), apply orientation.

    Returns RGB, or L when `gray` and the file is a colour or grey JPEG: libjpeg then converts only
    the luma channel (the chroma channels are still entropy-decoded: the whole stream is read).
    """
    if img.format == "JPEG":
        # draft() must precede load(): libjpeg then decodes at 1/2, 1/4 or 1/8 scale directly.
        img.draft("L" if gray else "RGB", (side, side))
        # `nbytes`: the file's size. The JPEG tile starts at offset 0, so libjpeg then gets the whole
        # file in one call (a BytesIO over bytes returns its own buffer: no copy) instead of 64 KB
        # reads, each a suspension and resumption of the decoder and a copy of the leftover.
        img.decodermaxblock = max(img.decodermaxblock, nbytes)
    fmt = img.format or "image"
    try:
        img.load()
    except Exception as exc:  # truncated streams, bad Huffman tables, CRC errors...
        raise CorruptImage(f"The {fmt} could not be decoded (is the file truncated?): {exc}.") from exc
    try:
        oriented = ImageOps.exif_transpose(img)
    except Exception:  # a garbage Orientation tag must not stop intake; keep the stored orientation
        oriented = img
    if oriented.mode == "L" and gray:
        return oriented
    if oriented.mode not in ("RGB", "L"):
        if "A" in oriented.mode or oriented.mode == "P":
            oriented = oriented.convert("RGBA")
            flat = Image.new("RGB", oriented.size, (255, 255, 255))
            flat.paste(oriented, mask=oriented.getchannel("A"))
            oriented = flat
        else:
            oriented = oriented.convert("RGB")
    return oriented


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# Files at least this big are hashed on `_HASHER` alongside their decode (below it, the hand-off costs
# more than it saves). Two workers: hashing is ~15x cheaper than decoding, so they never queue long.
PARALLEL_SHA_MIN = 256 * 1024
_HASHER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="peaks-sha256")


def inspect(
    data: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    decode_slot: AbstractContextManager | None = None,
) -> ImageFacts:
    """Check an upload and describe it; raises UnsupportedFormat, ImageTooLarge or CorruptImage.

    One reduced decode both proves the file decodes to the end and feeds the perceptual hashes,
    so a 12-megapixel JPEG is never held in memory at full size. `decode_slot` (e.g. a semaphore)
    is held around the decode alone, so a caller can bound how many decodes run at once.
    """
    img = open_image(data, max_pixels=max_pixels, max_bytes=max_bytes)
    fmt = _PIL_FORMATS[img.format or ""]
    width, height = img.size
    # The SHA-256 (~2 ms for 3 MB) and the decode both run without the GIL: hash on a helper thread
    # while this one decodes, so a photo's answer waits for the longer of the two, not their sum.
    digest = _HASHER.submit(_sha256_hex, data) if len(data) >= PARALLEL_SHA_MIN else None
    try:
        with img:  # `reduced` may be `img` itself: hash before it is closed
            with decode_slot or nullcontext():
                # Luma only: the hashes look at grey levels, and a JPEG's Y channel is that grey image.
                reduced = _reduced_decode(img, HASH_DRAFT_SIDE, gray=True, nbytes=len(data))
            hash_source_size = reduced.size
            phash, phash_mirror = perceptual_hashes(reduced)
            del reduced
        sha256 = digest.result() if digest is not None else _sha256_hex(data)
    finally:
        if digest is not None:
            digest.cancel()  # refused: no need for the digest (a no-op once it ran)
    return ImageFacts(
        format=fmt,
        width=width,
        height=height,
        size_bytes=len(data),
        sha256=sha256,
        phash=phash,
        phash_mirror=phash_mirror,
        hash_source_size=hash_source_size,
    )


def _to_srgb(img: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert from an embedded ICC profile to sRGB so the profile itself need not be published."""
    if not icc or img.mode != "RGB":
        return img
    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(img, src, ImageCms.createProfile("sRGB"), outputMode="RGB")
    except Exception:  # a broken profile is dropped; colours may shift slightly, privacy is kept
        return img
    return converted if isinstance(converted, Image.Image) else img


def make_derivative(
    data: bytes, max_side: int = 1280, quality: int = 82, *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> bytes:
    """A publishable JPEG: upright, at most `max_side` px on its long side, with no metadata at all.

    Architecture rule: strip EXIF GPS from any published photo. We go further and rebuild the
    image from raw pixels, so no EXIF, GPS, XMP, ICC profile, comment or maker note can ride along.
    """
    if max_side < 16 or not 1 <= quality <= 95:
        raise ValueError("max_side must be >= 16 and quality between 1 and 95")
    img = open_image(data, max_pixels=max_pixels, max_bytes=max(len(data), DEFAULT_MAX_BYTES))
    with img:
        icc = img.info.get("icc_profile")
        upright = _reduced_decode(img, max_side, nbytes=len(data))
    upright = _to_srgb(upright.convert("RGB"), icc)
    upright.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    clean = Image.frombytes("RGB", upright.size, upright.tobytes())  # fresh image: empty .info
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=quality, optimize=True, exif=b"")
    return out.getvalue()
