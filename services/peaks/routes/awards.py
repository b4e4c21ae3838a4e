"""Award review: medals and first places held because the completing set showed signals of forgery or
scripting, with the reasons; Ulju-gun (which awards them) grants or refuses each."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from services.peaks.domain.errors import FlowError
from services.peaks.flows import awards
from services.peaks.routes.deps import problem_of
from services.peaks.schemas import AwardDecisionIn, AwardOut, AwardsOut
from shared.auth import Principal, RequireParty
from shared.deps import PlatformDep

router = APIRouter(prefix="/v1", tags=["awards"])

Operator = Annotated[Principal, Depends(RequireParty("ulju"))]
CertificateId = Annotated[str, Path(max_length=40, description="The certificate's id (crt_…)")]


@router.get("/awards/held", response_model=AwardsOut)
def held_awards(platform: PlatformDep, who: Operator) -> AwardsOut:
    """Held medals and first places, oldest first, each with every signal's reason and the set's photos
    (open them with `GET /v1/photos/{id}` and its image)."""
    return AwardsOut(items=[AwardOut(**a) for a in awards.held(platform)])


@router.post("/certificates/{certificate_id}/award", response_model=AwardOut,
             responses={404: {"description": "No such certificate"},
                        409: {"description": "The award is not held for review"}})
def decide_award(platform: PlatformDep, who: Operator, certificate_id: CertificateId,
                 body: AwardDecisionIn) -> AwardOut:
    """Grant (`approve`) or `refuse` a held award. Refusing gives a medal back to the stock and passes a
    first place on to the next finisher; the certificate stays."""
    try:
        return AwardOut(**awards.decide(platform, certificate_id=certificate_id, party=who.party,
                                        decision=body.decision, reason=body.reason))
    except FlowError as exc:
        raise problem_of(exc) from None
