"""Existence leaks in the review API (issue 14, L3): every party × a photo waiting for review on every
active peak. A partner reviewing a photo outside its territory gets exactly the answer of a photo that
does not exist — 404, same type, same text — never a 403 naming the peak nor a 409 showing the photo's
state; the photo's own GET answers alike. Partners in the territory and Ulju-gun get the real answer."""
from __future__ import annotations

from services.peaks.app import SPEC
from services.peaks.domain import reference

from .support import ACTIVE, SAFE_SEEDS, month_of, photo, register, staff, upload

MISSING = "pho_01J00000000000000000000000"


def _answers(c, party: str, photo_id: str) -> list[tuple[int, str]]:
    r = c.post(f"/v1/photos/{photo_id}/review", json={"decision": "reject", "reason": "Summit stone not visible"},
               headers=staff(party))
    g = c.get(f"/v1/photos/{photo_id}", headers=staff(party))
    return [(r.status_code, r.text if r.status_code >= 400 else ""), (g.status_code, g.text if g.status_code >= 400 else "")]


def test_every_party_on_every_peak(peaks_client):
    c = peaks_client
    _cid, h = register(c)
    photos = {}
    for i, peak in enumerate(ACTIVE):
        r = upload(c, h, peak, photo(peak, seed=SAFE_SEEDS[i], month=month_of(i), gps=False))
        assert r.status_code == 201 and r.json()["verdict"] == "needs_review", r.text
        photos[peak] = r.json()["id"]
    operator = SPEC.parties.operator
    missing = {p: [(s, t.replace(MISSING, "<id>")) for s, t in _answers(c, p, MISSING)] for p in SPEC.parties.codes()}
    assert all(s == 404 for answers in missing.values() for s, _ in answers)

    leaks, wrong = [], []
    for peak, photo_id in photos.items():
        territory = set(reference.peaks()[peak].municipalities) | {operator}
        # Outside the territory first, then the municipalities, Ulju-gun last.
        order = sorted(SPEC.parties.codes(), key=lambda p: (p in territory, p == operator))
        first_inside = True
        for party in order:
            answers = _answers(c, party, photo_id)
            if party not in territory:
                if [(s, t.replace(photo_id, "<id>")) for s, t in answers] != missing[party]:
                    leaks.append((party, peak, answers))
                continue
            # The first reviewer inside decides; another partner then finds it decided (409); Ulju-gun
            # may overturn a rejection (200).
            expected = 200 if first_inside or party == operator else 409
            first_inside = False
            if [s for s, _ in answers] != [expected, 200]:
                wrong.append((party, peak, answers))
    assert not leaks, leaks[:3]
    assert not wrong, wrong[:3]
    print(f"[figure] peaks review authz: {len(photos) * len(SPEC.parties.codes())} party × photo pairs, 0 leaks")
