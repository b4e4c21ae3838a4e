"""Photo submission (verdict with every check), a photo's record and its display image."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from services.peaks import photos, reference
from services.peaks.models import Climber, Photo
from services.peaks.photos import FlowError, PhotoInputError
from services.peaks.routes.deps import ClimberOnly, ClimberOrReviewer, platform_of, problem_of
from services.peaks.schemas import PhotoOut
from services.peaks.storage import StorageError, storage_of
from shared.errors import Problem

router = APIRouter(prefix="/v1", tags=["photos"])

_BAD_FILE = {400: {"description": "Malformed multipart body"},
             413: {"description": "The upload is larger than the limit (refused before it is read)"},
             415: {"description": "`file` is not a JPEG, PNG, WebP or HEIC image"},
             422: {"description": "`peak` unknown or not active; `file` corrupt, truncated or too many pixels"}}


@router.post("/photos", status_code=201, response_model=PhotoOut, responses=_BAD_FILE)
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
        data = file.file.read(p.settings.photo_max_bytes + 1)
        prepared = photos.prepare_upload(p, data)
        with p.db.session() as s:
            climber = s.get(Climber, caller.climber_id)
            if climber is None:
                raise Problem(401, "unauthorized", "The climber token is not valid.")
            photo = photos.submit_photo(s, p, climber=climber, peak_code=peak, data=data, now=now,
                                        prepared=prepared)
    except (PhotoInputError, FlowError) as exc:
        photos.discard(p, prepared)
        raise problem_of(exc) from None
    except BaseException:
        photos.discard(p, prepared)
        raise
    return PhotoOut.of(photo)


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
    key = photo.derivative_key if size == "display" else photo.thumb_key
    try:
        data = storage_of(platform_of(request)).get(key)
    except StorageError:
        raise Problem(404, "not-found", f"The image of photo {photo_id} is not in the store.") from None
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})
