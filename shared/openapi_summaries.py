"""Operation summaries that read well in Swagger UI: the docstring's first sentence, not the function name."""
from __future__ import annotations

import re
from typing import Any


def summarise(op: dict[str, Any]) -> None:
    """FastAPI's default summary is the function's name in title case ("Get Referral Trace"): the first
    sentence of the docstring reads better in Swagger UI, so it replaces a default one."""
    summary = op.get("summary") or ""
    paragraph = (op.get("description") or "").strip().split("\n\n")[0].replace("\n", " ")
    first = re.split(r"(?<=[a-z)`])\.\s+(?=[A-Z`])", paragraph)[0].rstrip(".")
    for cut in ("; ", ": ", " ("):  # a long sentence: its head (never inside parentheses)
        head = first.split(cut)[0]
        if len(first) > 90 and cut in first and head.count("(") == head.count(")"):
            first = head
    if first and summary == summary.title() and len(first) <= 110:
        op["summary"] = first
