"""Dependencies the onestop routes share: who may call, the platform with onestop's parts, header parsing."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query

from services.onestop.parts import OnestopPlatform
from shared.auth import Principal, RequireParty
from shared.deps import get_platform
from shared.errors import Problem

# The platform with `OnestopParts`.
PlatformDep = Annotated[OnestopPlatform, Depends(get_platform)]

Counsellor = Annotated[Principal, Depends(RequireParty("bukgu-hub"))]
Agency = Annotated[Principal, Depends(RequireParty(roles=("agency",)))]
Purpose = Annotated[str, Query(max_length=300, description="Why the data is read (goes into the access log)")]
DEFAULT_PURPOSE = "one-stop counselling and case management"


IF_MATCH = Header(alias="If-Match", description="The referral's version you read (its ETag), e.g. \"3\"",
                  # An optional header is absent or a version; never the text "null".
                  json_schema_extra={"anyOf": [{"type": "string", "pattern": '^(W/)?"?[1-9][0-9]{0,17}"?$'}]})


def if_match(value: Annotated[str | None, IF_MATCH] = None) -> int | None:
    """The referral version from `If-Match` (`3`, `"3"` or `W/"3"`), or None."""
    if value is None:
        return None
    raw = value.strip().removeprefix("W/").strip('"')
    if not raw.isdigit() or int(raw) < 1:
        raise Problem(400, "bad-if-match", "If-Match must be the referral's version, e.g. If-Match: \"3\".",
                      errors=[{"field": "If-Match", "in": "header", "message": "expected a version number"}])
    return int(raw)


IfMatch = Annotated[int | None, Depends(if_match)]
