"""Small helpers shared by the SVG renderers: escaping, truncation, stable ids, number format."""
from __future__ import annotations

import hashlib
import html
import re
from typing import Any

# Characters XML 1.0 forbids even when escaped; a stray one would make the whole page's SVG invalid.
# Average advance of a Latin glyph in em for common UI sans fonts (DejaVu Sans is among the widest).
LATIN_EM = 0.6
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def esc(value: Any) -> str:
    """Text or attribute value, escaped for HTML and XML alike (quotes included)."""
    return html.escape(_XML_INVALID.sub("", str(value)), quote=True)


def clip(value: Any, limit: int) -> str:
    """Shortens to `limit` characters with an ellipsis (the full text goes in a <title>)."""
    text = str(value)
    if limit <= 1:
        return "…" if text else ""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def stable_id(prefix: str, *parts: Any) -> str:
    """A deterministic id for aria references, distinct for different content on one page."""
    digest = hashlib.sha1(repr(parts).encode("utf-8", "replace")).hexdigest()[:8]
    return f"{prefix}-{digest}"


def fmt_number(value: float) -> str:
    """1234.0 -> '1,234', 0.25 -> '0.25': integers without a trailing .0."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def text_width(text: str, size: float) -> float:
    """Rough rendered width of `text` in a sans-serif font: enough to size boxes without a font engine."""
    wide = sum(1 for ch in text if ord(ch) > 0x2E80)  # CJK glyphs are about one em wide
    return (len(text) - wide) * size * LATIN_EM + wide * size * 1.0


def fit(text: Any, room: float, size: float) -> str:
    """`text` clipped so it fits `room` px at font `size` (the full text belongs in a <title>)."""
    text = str(text)
    if text_width(text, size) <= room:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # longest prefix (plus ellipsis) that fits
        mid = (lo + hi + 1) // 2
        if text_width(text[:mid] + "…", size) <= room:
            lo = mid
        else:
            hi = mid - 1
    return clip(text, max(lo + 1, 2))
