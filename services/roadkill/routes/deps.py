"""Dependencies the roadkill routes share: who may call, and the platform with roadkill's parts."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.roadkill.parts import RoadkillPlatform
from shared.auth import Principal, RequireParty
from shared.deps import get_platform

# The platform with `RoadkillParts` (road network, dedup thresholds, map base layers).
PlatformDep = Annotated[RoadkillPlatform, Depends(get_platform)]

# The navigation partner (voice reports).
Partner = Annotated[Principal, Depends(RequireParty("tmap"))]
# ACRC, MOLIT and the road agencies: each agency's inbox and its steps.
Agency = Annotated[Principal, Depends(RequireParty("acrc", "molit", roles=("road_agency",)))]
# Need-to-know: the operator, ACRC, MOLIT and ME oversee every incident; road agencies see the ones
# they are or were responsible for. The partner uses /hazards and its status notices instead.
Reader = Annotated[Principal, Depends(RequireParty("chungnam", "acrc", "molit", "me", roles=("road_agency",)))]
HazardReader = Annotated[Principal, Depends(RequireParty("tmap", "chungnam"))]
# Aggregates (no personal data): ME, the operator, MOLIT and the road agencies that build the fences.
AnalyticsReader = Annotated[Principal, Depends(RequireParty("me", "chungnam", "molit", roles=("road_agency",)))]
# One row per incident: ME and the operator only.
ExportReader = Annotated[Principal, Depends(RequireParty("me", "chungnam"))]
