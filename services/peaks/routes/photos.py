"""Photo submission (verdict with every check), a photo's record and its display image."""
from __future__ import annotations

from collections.abc import Callable, Coroutine
from contextlib import aclosing
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from fastapi.routing import APIRoute
from python_multipart.multipart import parse_options_header

from services.peaks.domain.errors import FlowError, InputError
from services.peaks.flows import photo_view, submission
from services.peaks.routes import multipart
from services.peaks.routes.deps import ClimberOnly, ClimberOrReviewer, problem_of
from services.peaks.schemas import PhotoOut
from shared.answers import binary_answer
from shared.deps import PlatformDep
from shared.pii_guard import refuse_rrn

router = APIRouter(prefix="/v1", tags=["photos"])


class _PhotoUploadRequest(Request):
    async def _get_form(self, *, max_files: int | float = 1000, max_fields: int | float = 1000,
                        max_part_size: int = 1024 * 1024):
        content_type = self.headers.get("Content-Type")
        if self._form is None and parse_options_header(content_type)[0] == b"multipart/form-data":
            # Received once and split with bytes.find (`multipart`); the received chunks are locals,
            # gone when this returns: only the file part's bytes live on (in its UploadFile).
            async with aclosing(self.stream()) as stream:
                body = multipart.Chunks([chunk async for chunk in stream])
            try:
                self._form = multipart.form_of(body, content_type, max_files=max_files, max_fields=max_fields,
                                               max_part_size=max_part_size)
            except multipart.MalformedMultipart as exc:
                raise multipart.problem_of(exc) from None
        return await super()._get_form(max_files=max_files, max_fields=max_fields, max_part_size=max_part_size)


class _PhotoUploadRoute(APIRoute):
    """The photo upload's route: its multipart body is split in memory (`multipart`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def upload_handler(request: Request) -> Response:
            return await handler(_PhotoUploadRequest(request.scope, request.receive))

        return upload_handler


_upload = APIRouter(route_class=_PhotoUploadRoute)

_BAD_FILE = {400: {"description": "Malformed multipart body"},
             413: {"description": "The upload is larger than the limit (refused before it is read)"},
             415: {"description": "`file` is not a JPEG, PNG, WebP or HEIC image"},
             422: {"description": "`peak` unknown or not active; `file` corrupt, truncated or too many pixels"}}


@_upload.post("/photos", status_code=201, response_model=PhotoOut, responses=_BAD_FILE, openapi_extra={
    "requestBody": {"content": {"multipart/form-data": {"example": {"peak": "가지산", "file": "(a JPEG taken on the summit)"}}}}})
def submit(platform: PlatformDep, caller: ClimberOnly,
           peak: Annotated[str, Form(max_length=80, description="Peak code, name or alias (가지산, Sajabong…)")],
           file: Annotated[UploadFile, File(description="The summit photo (JPEG, PNG, WebP, HEIC; ≤ 25 MB)")],
           ) -> PhotoOut:
    """Submit a summit photo. The answer (201) carries the verdict (`approved`, `needs_review`,
    `rejected`), a score and every check with its result and reason. A file that is not a usable
    image is refused with a problem naming `file`, and nothing is stored. `Idempotency-Key` honoured."""
    refuse_rrn({"peak": peak})  # before the unknown-peak answer would quote it
    try:
        return submission.submit(platform, climber_id=caller.climber_id or "", peak=peak, file=file.file)
    except (InputError, FlowError) as exc:
        raise problem_of(exc) from None


router.include_router(_upload)


@router.get("/photos/{photo_id}", response_model=PhotoOut)
def get_photo(platform: PlatformDep, caller: ClimberOrReviewer, photo_id: str) -> PhotoOut:
    """A photo's verdict, checks and review decision (with its reason): its climber, Ulju-gun, or a
    partner for peaks in its territory."""
    try:
        return photo_view.photo(platform, photo_id, climber_id=caller.climber_id, party=caller.party)
    except FlowError as exc:
        raise problem_of(exc) from None


@router.get("/photos/{photo_id}/image", response_class=Response,
            responses=binary_answer("image/jpeg", "Display-size JPEG without EXIF"))
def get_photo_image(platform: PlatformDep, caller: ClimberOrReviewer, photo_id: str,
                    size: Literal["display", "thumb"] = "display") -> Response:
    """The photo at display size (`size=thumb` for the thumbnail), upright and without any EXIF, for the
    climber and the reviewers. The original is never served."""
    try:
        data = photo_view.image(platform, photo_id, size, climber_id=caller.climber_id, party=caller.party)
    except FlowError as exc:
        raise problem_of(exc) from None
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})
