"""The peaks map page (`/ui/map`): the five local governments on Statistics Korea's census boundaries
with the nine peaks, numbered as in the table beneath, and the boundaries' attribution (its navigation entry is
in pages.py with the others)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.peaks.domain import peaks_map
from services.peaks.ui.pages import kit
from shared.auth import PUBLIC

router = APIRouter(prefix="/ui", tags=["ui"], include_in_schema=False, dependencies=[PUBLIC])


@router.get("/map", response_class=HTMLResponse, name="pk_map")
def map_page(request: Request) -> HTMLResponse:
    b = peaks_map.boundaries()
    return kit.render(request, "pk_map.html", {"svg": peaks_map.svg(), "peaks": peaks_map.peak_rows(),
                                                "attribution": b.attribution},
                      page_title="Map of the Yeongnam Alps")
