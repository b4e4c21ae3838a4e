"""Photo submission (verdict with every check), a photo's record and its display image."""
from __future__ import annotations

from collections.abc import Callable, Coroutine
from contextlib import aclosing
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from fastapi.routing import APIRoute
from python_multipart.multipart import parse_options_header

from services.peaks import photos, reference
from services.peaks.models import Climber, Photo
from services.peaks.photos import FlowError, PhotoInputError
from services.peaks.routes import multipart
from services.peaks.routes.deps import ClimberOnly, ClimberOrReviewer, platform_of, problem_of
from services.peaks.schemas import PhotoOut
from services.peaks.storage import StorageError, storage_of
from shared.errors import Problem

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


@_upload.post("/photos", status_code=201, response_model=PhotoOut, responses=_BAD_FILE)
def submit(request: Request, caller: ClimberOnly,
           peak: Annotated[str, Form(max_length=80, description="Peak code, name or alias (가지산, Sajabong…)")],
           file: Annotated[UploadFile, File(description="The summit photo (JPEG, PNG, WebP, HEIC; ≤ 25 MB)")],
           ) -> PhotoOut:
    """Submit a summit photo. The answer (201) carries the verdict (`approved`, `needs_review`,
    `rejected`), a score and every check with its result and reason. A file that is not a usable
    image is refused with a problem naming `file`, and nothing is stored. `Idempotency-Key` honoured."""
    p = platform_of(request)
    now = photos.now_of(p)
    prepared = None
    try:
        photos.resolve_peak(peak, reference.current_season(now))  # before reading the file
        data = file.file.read(p.settings.photo_max_bytes + 1)  # the part's own bytes object (no copy)
        file.file.close()
        prepared = photos.prepare_upload(p, data)
        del data  # stored and described: the bytes are not needed for the transaction
        with p.db.session() as s:
            climber = s.get(Climber, caller.climber_id)
            if climber is None:
                raise Problem(401, "unauthorized", "The climber token is not valid.")
            photo = photos.submit_photo(s, p, climber=climber, peak_code=peak, prepared=prepared, now=now)
    except (PhotoInputError, FlowError) as exc:
        photos.discard(p, prepared)
        raise problem_of(exc) from None
    except BaseException:
        photos.discard(p, prepared)
        raise
    return PhotoOut.of(photo)


router.include_router(_upload)


def _visible(caller, photo: Photo, operator: str) -> bool:
    if caller.is_climber:
        return caller.owns(photo.climber_id)
    return photos.can_review(caller.party or "", photo.peak_code, operator)


def _load(request: Request, caller, photo_id: str) -> Photo:
    p = platform_of(request)
    with p.db.read_session() as s:
        photo = s.get(Photo, photo_id)
        if photo is not None:
            s.expunge(photo)  # keep its loaded state after the read transaction ends
    # The same answer for "absent" and "not yours": ids of others' photos are not confirmed.
    if photo is None or not _visible(caller, photo, p.parties.operator):
        raise Problem(404, "not-found", f"No photo {photo_id} that you may see.")
    return photo


@router.get("/photos/{photo_id}", response_model=PhotoOut)
def get_photo(request: Request, caller: ClimberOrReviewer, photo_id: str) -> PhotoOut:
    """A photo's verdict, checks and review decision (with its reason): its climber, Ulju-gun, or a
    partner for peaks in its territory."""
    return PhotoOut.of(_load(request, caller, photo_id))


@router.get("/photos/{photo_id}/image", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}, "description": "Display-size JPEG without EXIF"}})
def get_photo_image(request: Request, caller: ClimberOrReviewer, photo_id: str, size: str = "display") -> Response:
    """The photo at display size (`size=thumb` for the thumbnail), upright and without any EXIF, for the
    climber and the reviewers. The original is never served."""
    photo = _load(request, caller, photo_id)
    if size not in ("display", "thumb"):
        raise Problem(422, "validation-error", "size: must be 'display' or 'thumb'")
    known = photo.derivative_key if size == "display" else photo.thumb_key
    p = platform_of(request)
    try:
        key = photos.derivative_key(p, photo_id, size, known)  # made on first request (lazy)
        if key is None:
            raise StorageError(photo_id)
        data = storage_of(p).get(key)
    except StorageError:
        raise Problem(404, "not-found", f"The image of photo {photo_id} is not in the store.") from None
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})
