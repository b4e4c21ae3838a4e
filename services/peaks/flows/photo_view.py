"""One photo as its climber and its reviewers see it: the record with every check, and its images.

The same answer for "absent" and "not yours" (404): ids of others' photos are not confirmed.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from services.peaks.domain.errors import FlowError
from services.peaks.domain.programme import can_review
from services.peaks.flows.derivatives import SIZES, derivative_bytes
from services.peaks.models import Photo
from services.peaks.schemas import PhotoOut

if TYPE_CHECKING:
    from services.peaks.parts import PeaksPlatform


def not_found(photo_id: str) -> FlowError:
    """The one answer for a photo that does not exist and for one the caller may not see or review."""
    return FlowError(404, "not-found", f"No photo {photo_id} that you may see.")


def _visible(platform: PeaksPlatform, photo_id: str, climber_id: str | None, party: str | None) -> Photo:
    with platform.db.read_session() as s:
        photo = s.get(Photo, photo_id)
        if photo is not None:
            s.expunge(photo)  # keep its loaded state after the read transaction ends
    if photo is not None:
        seen = (photo.climber_id == climber_id if climber_id is not None else
                can_review(party or "", photo.peak_code, platform.parties.operator))
        if seen:
            return photo
    raise not_found(photo_id)


def photo(platform: PeaksPlatform, photo_id: str, *, climber_id: str | None, party: str | None) -> PhotoOut:
    """The photo's record for its climber (`climber_id`) or a reviewing `party`; FlowError 404 otherwise."""
    return PhotoOut.of(_visible(platform, photo_id, climber_id, party))


def image(platform: PeaksPlatform, photo_id: str, size: str, *, climber_id: str | None,
          party: str | None) -> bytes:
    """The EXIF-free `size` derivative (made on first request), never the original; FlowError 404 if the
    caller may not see the photo or the image is not in the store, 422 for an unknown size."""
    found = _visible(platform, photo_id, climber_id, party)
    if size not in SIZES:
        raise FlowError(422, "validation-error", "size: must be 'display' or 'thumb'")
    data = derivative_bytes(platform, photo_id, size, found.derivative_key if size == "display" else found.thumb_key)
    if data is None:
        raise FlowError(404, "not-found", f"The image of photo {photo_id} is not in the store.")
    return data
