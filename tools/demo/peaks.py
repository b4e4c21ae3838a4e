"""Peaks: climbers upload generated summit photos (real EXIF GPS and times) until some finish and are certified."""
from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from services.peaks.domain import sample_photos
from tools.demo.common import DemoError, Part

KST = timezone(timedelta(hours=9))
NAMES = ("Jiho", "Seoyeon", "Minjun", "Hayoon", "Dohyun", "Jiwoo", "Yuna", "Taeyang", "Soomin", "Eunji",
         "Junseo", "Chaewon", "Hyunwoo", "Dayeon", "Sungmin", "Yerin", "Kyungsoo", "Nari", "Woojin", "Bora")


def picture(rng: random.Random, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A summit-ish scene whose perceptual hash is random: 63 random signs painted into the 8x8 lowest
    DCT terms (as services.peaks.domain.sample_photos does with its 126 fixed patterns), so thousands of demo photos,
    run after run, never look like near-duplicates of each other by accident."""
    w, h = size
    signs = np.array([rng.choice((-1.0, 1.0)) for _ in range(64)], dtype=np.float32).reshape(8, 8)
    signs[0, 0] = 0.0
    freqs = np.arange(8, dtype=np.float32)[:, None]
    cos_y = np.cos(np.pi * (2 * np.arange(h, dtype=np.float32)[None, :] + 1) * freqs / (2 * h))
    cos_x = np.cos(np.pi * (2 * np.arange(w, dtype=np.float32)[None, :] + 1) * freqs / (2 * w))
    lum = 128 + 10.0 * (cos_y.T @ signs @ cos_x)
    tint = np.array([rng.uniform(0.55, 0.8), rng.uniform(0.7, 0.95), rng.uniform(0.85, 1.0)], dtype=np.float32)
    img = Image.fromarray(np.clip(lum[:, :, None] * tint, 0, 255).astype(np.uint8), "RGB")
    layer = img.copy()
    draw = ImageDraw.Draw(layer)
    ridge = [(x, int(h * (0.45 + 0.12 * math.sin(x / w * 6.28 * rng.uniform(0.6, 1.8) + rng.uniform(0, 3)))))
             for x in range(0, w + 1, 16)]
    draw.polygon([*ridge, (w, h), (0, h)], fill=(60, 90, 60))
    sx, sy = rng.randint(w // 3, w // 2), int(h * 0.62)
    draw.rectangle((sx, sy, sx + 70, sy + 110), fill=(150, 150, 140))  # the summit stone
    return Image.blend(img, layer, 0.22)


@dataclass
class Climber:
    name: str
    birth_year: int
    finisher: bool
    id: str = ""
    token: str = ""
    plan: list[tuple[str, datetime]] = field(default_factory=list)  # (peak, capture time)
    photos: dict[str, dict] = field(default_factory=dict)  # peak -> last photo answer
    images: dict[str, Image.Image] = field(default_factory=dict)


def capture_days(season: dict[str, Any], today: date) -> list[date]:
    first = date.fromisoformat(season.get("capture_from") or season["start_date"])
    last = min(date.fromisoformat(season["end_date"]), today - timedelta(days=1))
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def schedule(rng: random.Random, peaks: list[str], days: list[date], per_day: int | None,
             per_month: int | None) -> list[tuple[str, datetime]] | None:
    """Capture times for `peaks` that keep within the season's per-day and per-month limits, else None."""
    months: dict[tuple[int, int], list[date]] = defaultdict(list)
    for d in days:
        months[(d.year, d.month)].append(d)
    cap = per_month or len(peaks)  # distinct days, so any per-day limit of 1 or more holds too
    slots: list[date] = []
    for key in rng.sample(sorted(months), len(months)):
        slots += rng.sample(months[key], min(cap, len(peaks) - len(slots), len(months[key])))
        if len(slots) == len(peaks):
            break
    if len(slots) < len(peaks):
        return None
    order = rng.sample(peaks, len(peaks))
    return [(p, datetime.combine(d, time(rng.randint(9, 15), rng.randint(0, 59)), KST))
            for p, d in zip(order, sorted(slots), strict=True)]


def service_date(api, part: Part) -> date:
    """The day the peaks service believes it is (`clock` of /v1/about: real time, CLOCK_AT or, in demo mode
    between seasons, a training clock inside the last season); capture times are planned before it."""
    clock = api.get("/v1/about").get("clock") or {}
    if not clock.get("service_date"):
        return datetime.now(KST).date()
    if clock.get("mode") != "real":
        part.say(f"peaks: {clock['mode']} clock — the service's date is {clock['service_date']} "
                 f"(real date {clock.get('real_date')}): {clock.get('reason', '')}")
    return date.fromisoformat(clock["service_date"])


def steps(n: int) -> int:
    return n * 9 + 7


def run(part: Part, n: int) -> None:
    api, rng = part.api, part.rng
    resp = api.request("GET", "/v1/seasons/current", ok=(200, 404))
    if resp.status_code == 404:
        raise DemoError("peaks: no certification season is open today, so photos cannot be submitted "
                        f"({resp.json().get('detail', '')})")
    season = resp.json()
    peaks = {p["code"]: p for p in api.get("/v1/peaks")["items"]}
    active = [c for c in season["peaks"] if c in peaks]
    today = part.today or service_date(api, part)
    days = capture_days(season, today)
    finishers = max(2, n // 3)
    climbers: list[Climber] = []
    part.describe("peaks: climbers register")
    for i in range(n):
        c = Climber(f"{NAMES[i % len(NAMES)]} {chr(65 + rng.randrange(26))}.", rng.randint(1958, 2006),
                    i < finishers)
        todo = active if c.finisher else rng.sample(active, rng.randint(2, max(2, len(active) - 2)))
        c.plan = schedule(rng, todo, days, season.get("per_day_limit"), season.get("per_month_limit")) or []
        if c.finisher and not c.plan:
            part.say(f"peaks: the {season['id']} season is too young for anyone to finish "
                     f"({season.get('per_month_limit')} peaks a month): climbers upload what they can")
            c.finisher = False
            c.plan = schedule(rng, active[:2], days, season.get("per_day_limit"), season.get("per_month_limit")) or []
        out = api.post("/v1/climbers", json={"display_name": c.name, "contact": f"climber{rng.getrandbits(32)}@"
                                             "example.invalid", "birth_year": c.birth_year,
                                             "gallery_consent": rng.random() < 0.8})
        c.id, c.token = out["id"], out["token"]
        climbers.append(c)
        part.step()
    part.created["climbers"] = [c.id for c in climbers]
    photo_ids = part.created.setdefault("photos", [])

    def upload(c: Climber, peak: str, taken: datetime, *, gps: bool = True, away_m: float = 0.0,
               image: Image.Image | None = None) -> dict[str, Any]:
        pk = peaks[peak]
        img = image or picture(rng)
        lat, lon = pk["lat"], pk["lon"]
        if away_m:
            lat += away_m / 111_195.0
        exif = sample_photos.build_exif(lat=lat if gps else None, lon=lon if gps else None,
                                alt=pk["elevation_m"] - rng.uniform(0, 8) - (300 if away_m else 0) if gps else None,
                                taken_at=taken, gps_time=gps, hpos_error=round(rng.uniform(3, 12), 1) if gps else None)
        data = sample_photos.encode(img, quality=rng.randint(80, 92), exif=exif)
        out = api.post("/v1/photos", token=c.token, data={"peak": peak},
                       files={"file": (f"{peak}.jpg", data, "image/jpeg")})
        photo_ids.append(out["id"])
        c.photos[peak], c.images[peak] = out, img
        part.step()
        return out

    # 1. Everyone climbs in the order of their capture dates; finishers forget GPS once (phone setting).
    part.describe("peaks: summit photos")
    uploads = sorted(((t, i, p) for i, c in enumerate(climbers) for p, t in c.plan), key=lambda x: x[0])
    no_gps = {i: rng.choice(c.plan)[0] for i, c in enumerate(climbers) if c.plan and (c.finisher or i % 3 == 2)}
    far = next((i for i, c in enumerate(climbers) if c.finisher), None)
    held = climbers[far].plan[-1][0] if far is not None else None
    for t, i, p in uploads:
        if i == far and p == held:
            continue
        upload(climbers[i], p, t, gps=no_gps.get(i) != p)

    # 2. One photo from 5 km away (rejected, with the distance), then the real climb.
    if far is not None:
        c, t = climbers[far], dict(climbers[far].plan)[held]
        out = upload(c, held, t - timedelta(hours=2), away_m=5000)
        reason = next((ch["reason"] for ch in out["checks"] if ch["code"] == "distance"), "")
        part.say(f"peaks: {c.name}'s photo of {peaks[held]['name_en']} → {out['verdict']}: {reason}")
        upload(c, held, t)

    # 3. A climber submits someone else's photo, mirrored: flagged as a near-duplicate.
    src = next((c for c in climbers if c.finisher and c.images), None)
    cheat = next((c for c in climbers if not c.finisher and c is not src), None)
    reused = None
    if src and cheat:
        peak = next((p for p in src.images if p not in cheat.photos), None) or next(iter(src.images))
        taken = datetime.combine(days[-1], time(11, 5), KST)
        reused = upload(cheat, peak, taken, image=ImageOps.mirror(src.images[peak]))
        part.say(f"peaks: {cheat.name} uploaded {src.name}'s {peaks[peak]['name_en']} photo, mirrored → "
                 f"{reused['verdict']} (near-duplicate)")

    # 4. Ulju-gun works through the review queue: approves the honest ones, rejects the copy.
    part.describe("peaks: review by Ulju-gun")
    owner = {p["id"]: c for c in climbers for p in c.photos.values()}
    queue = [p for p in api.pages("/v1/review", party="ulju", limit=200) if p["id"] in owner]
    doubtful = 0
    for p in queue:
        doubtful += not owner[p["id"]].finisher
        if reused and p["id"] == reused["id"]:
            body = {"decision": "reject", "reason": "This is a mirrored copy of another climber's summit photo; "
                                                    "please upload a photo you took yourself."}
        elif not owner[p["id"]].finisher and doubtful % 3 == 2:
            body = {"decision": "reject", "reason": "The summit stone cannot be recognised in this photo; "
                                                    "please upload one that shows it."}
        else:
            body = {"decision": "approve", "reason": "No GPS in the photo, but the summit stone of this peak is "
                                                     "clearly visible."}
        api.post(f"/v1/photos/{p['id']}/review", party="ulju", json=body)
        part.step()

    # 5. The demo's climbers are a script: each finisher's medal and first place wait for Ulju-gun, with the
    #    reasons (uploads minutes apart, months after capture, synthetic EXIF). Ulju-gun checks and grants them.
    part.describe("peaks: awards held for review")
    mine = {c.id for c in climbers}
    for award in api.get("/v1/awards/held", party="ulju")["items"]:
        if award["climber_id"] not in mine:
            continue
        part.say(f"peaks: certificate {award['number']}: {' and '.join(award['held']).replace('_', ' ')} held — "
                 + "; ".join(s["reason"].rstrip(".") for s in award["signals"][:2]))
        api.post(f"/v1/certificates/{award['certificate_id']}/award", party="ulju",
                 json={"decision": "approve", "reason": "Training run: the demo's own climbers, checked by the trainer."})
    part.step()

    part.describe("peaks: certificates")
    for c in climbers:
        prog = api.get(f"/v1/climbers/{c.id}/progress", token=c.token)
        if prog.get("certificate"):
            cert = prog["certificate"]
            part.say(f"peaks: {c.name} finished all {prog['peaks_total']} peaks — certificate {cert['number']}, "
                     f"rank {cert['rank']}{', medal' if cert['medal'] else ''}")
    part.step()


def summary(api, created: dict[str, Any]) -> dict[str, Any]:
    """Figures read back from the service: each photo's verdict, each climber's progress, the season."""
    verdicts: dict[str, int] = defaultdict(int)
    reviewed = 0
    for pid in created.get("photos", []):
        p = api.get(f"/v1/photos/{pid}", party="ulju")
        verdicts[p["verdict"]] += 1
        reviewed += p["reviewed_by"] is not None
    certs = []
    for cid in created.get("climbers", []):
        cert = api.get(f"/v1/climbers/{cid}/progress", party="ulju").get("certificate")
        if cert:
            certs.append(cert["id"])  # the certificate's public address (its number is no address)
    season = api.get("/v1/seasons/current")
    out = {"climbers registered": len(created.get("climbers", [])), "photos uploaded": len(created.get("photos", [])),
           **{f"photos {k}": v for k, v in sorted(verdicts.items())}, "photos decided in review": reviewed,
           "certificates issued": len(certs),
           f"season {season['id']}: completions / medals left": f"{season['completions']} / {season['medals_remaining']}"}
    if certs and api.request("GET", f"/v1/certificates/{certs[0]}", ok=(200, 404)).status_code == 200:
        out["certificate check"] = f"/v1/certificates/{certs[0]} verifies"
    return out
