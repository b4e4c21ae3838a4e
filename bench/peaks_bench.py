"""Peaks scenarios: verifying a 12 MP JPEG (5a), 3 MB uploads (5b), the open API page and its 304 (6)."""
from __future__ import annotations

import io
import os
import secrets
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta, timezone
from datetime import time as dtime
from pathlib import Path

import httpx

from bench.common import Ctx, Row, interleave, median, settle, wrk_errors
from bench.load import wrk
from bench.server import ROOT, Server

BOUNDARY = "benchb0undary7e1"
def bench_clock() -> tuple[datetime, dict[str, str]]:
    """The moment the peaks scenarios run at, and the env that starts the service's clock there.

    Today when a season is open; otherwise (the programme has no season in December) noon KST
    on the last capture day of the latest season that has started, via the service's CLOCK_AT.
    """
    from services.peaks.domain import reference

    now = datetime.now(UTC)
    if reference.current_season(now) is not None:
        return now, {}
    today = reference.today_kst(now)
    season = max((s for s in reference.seasons() if s.start_date <= today), key=lambda s: s.start_date)
    kst = timezone(timedelta(hours=9))
    at = datetime.combine(min(season.end_date, season.finish_deadline), dtime(12), kst).astimezone(UTC)
    return at, {"CLOCK_AT": at.isoformat()}


PHOTO_PEAKS = ("gajisan", "unmunsan", "cheonhwangsan", "sinbulsan", "yeongchuksan", "ganwolsan", "goheonsan")


def jpeg_3mb(peak_code: str, seed: int, *, size: tuple[int, int] = (4000, 3000), sigma: float = 9.0) -> bytes:
    """A phone-like 12 MP JPEG of about 3 MB with GPS at the summit (sample_photos' picture plus sensor noise:
    the bare synthetic picture compresses to a few hundred KB, far smaller than a real photo)."""
    import numpy as np
    from PIL import Image

    from services.peaks.domain import reference, sample_photos

    peak = reference.peaks()[peak_code]
    img = sample_photos.picture(size, seed)
    rng = np.random.default_rng(seed)
    noisy = np.asarray(img, dtype=np.int16) + rng.normal(0, sigma, (size[1], size[0], 1)).astype(np.int16)
    img = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
    exif = sample_photos.build_exif(lat=peak.lat, lon=peak.lon, alt=float(peak.elevation_m),
                            taken_at=bench_clock()[0] - timedelta(hours=2), offset="+09:00", gps_time=True,
                            hpos_error=5.0, orientation=None)
    return sample_photos.encode(img, quality=85, exif=exif)


# -- 5a: verification vs a full-size decode (in-process) -------------------------------------------

def scenario_verify(ctx: Ctx) -> list[Row]:
    from PIL import Image

    from services.peaks.domain import exif, imaging, reference, verification
    from services.peaks.domain.verification.verdict import History

    data = jpeg_3mb("gajisan", 11)
    now = bench_clock()[0]
    season = reference.current_season(now)
    if season is None:
        raise RuntimeError(f"no current peaks season on {now:%Y-%m-%d} (seasons.json): verification has no rules")
    peak = reference.peaks()["gajisan"]

    def decode() -> float:
        t = time.perf_counter()
        with Image.open(io.BytesIO(data)) as im:
            im.load()
        return time.perf_counter() - t

    def verify() -> float:
        t = time.perf_counter()
        facts = imaging.inspect(data)
        meta = exif.read_photo_metadata(data)
        verification.verify(facts=facts, meta=meta, peak=peak, season=season, climber_birth_year=1980, now=now,
                            history=History())
        return time.perf_counter() - t

    decode(), verify()  # warm-up (imports, codec tables)
    reps = 3 if ctx.quick else 9
    d_runs, v_runs = interleave(reps, decode, verify)
    d_ms, v_ms = median(d_runs) * 1000, median(v_runs) * 1000
    return [Row("5 peaks verify", f"verify 12 MP JPEG ({len(data) / 1e6:.1f} MB), median of {reps}", v_ms, "ms",
                baseline=d_ms, target="≤ 0.5× full decode", note="baseline: Image.open().load()",
                detail={"verify_s": v_runs, "decode_s": d_runs}).judge(at_most=0.5)]


# -- 5b: 3 MB uploads vs the bare store-the-bytes endpoint -----------------------------------------

def register_climbers(srv: Server, n: int) -> list[str]:
    tokens = []
    with httpx.Client(base_url=srv.url, timeout=30) as client:
        for i in range(n):
            r = client.post("/v1/climbers", json={"display_name": f"Bench climber {i}", "contact": f"b{i}@example.org",
                                                  "birth_year": 1970 + i % 40, "gallery_consent": True})
            if r.status_code != 201:
                raise RuntimeError(f"POST /v1/climbers answered {r.status_code}: {r.text[:300]}")
            tokens.append(r.json()["token"])
    return tokens


def _multipart(peak: str, jpeg: bytes) -> tuple[bytes, int]:
    head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"peak\"\r\n\r\n{peak}\r\n"
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"summit.jpg\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n").encode()
    return head + jpeg + f"\r\n--{BOUNDARY}--\r\n".encode(), len(head)


def _photos(ctx: Ctx, k: int) -> list[tuple[str, bytes]]:
    if "jpegs" not in ctx.state:
        ctx.state["jpegs"] = [(PHOTO_PEAKS[i % len(PHOTO_PEAKS)], jpeg_3mb(PHOTO_PEAKS[i % len(PHOTO_PEAKS)], 100 + i))
                              for i in range(k)]
    return ctx.state["jpegs"]


def _manifest(ctx: Ctx, name: str, photos: list[tuple[str, bytes]], tokens: list[str]) -> Path:
    folder = ctx.tmp / f"upload-{name}"
    folder.mkdir(exist_ok=True)
    lines = []
    for i, (peak, jpeg) in enumerate(photos):
        body, offset = _multipart(peak, jpeg)
        path = folder / f"{i}.bin"
        path.write_bytes(body)
        lines.append(f"{path}\t{tokens[i % len(tokens)] if tokens else ''}\t{offset}")
    manifest = folder / "manifest.tsv"
    manifest.write_text("\n".join(lines) + "\n")
    return manifest


def _upload(url: str, manifest: Path, d: int, unique: bool = True) -> dict:
    return wrk(url, script="upload.lua", duration_s=d, connections=8,
               env={"BENCH_MANIFEST": str(manifest), "BENCH_BOUNDARY": BOUNDARY, "BENCH_UNIQUE": "1" if unique else "0",
                    "BENCH_SALT": secrets.token_hex(4)})


def scenario_upload(ctx: Ctx) -> list[Row]:
    d = max(ctx.duration, 5)  # an upload takes long enough that a 2 s run may complete none
    photos = _photos(ctx, 4 if ctx.quick else 8)
    base = ctx.baseline()
    store = ctx.tmp / "baseline-store"
    # 60 climbers register from this one machine: lift the per-client registration limit for the bench.
    with ctx.server("peaks", "pk_upload", REGISTRATION_BURST="1000", **bench_clock()[1]) as svc:
        tokens = register_climbers(svc, 10 if ctx.quick else 60)
        # Each climber sends to several peaks: rotate photos × climbers so no climber repeats a peak early.
        pairs = [(photos[i % len(photos)], tokens[i % len(tokens)]) for i in range(len(tokens))]
        man_svc = _manifest(ctx, "svc", [p for p, _ in pairs], [t for _, t in pairs])
        man_base = _manifest(ctx, "base", photos, [])
        body, _ = _multipart(*photos[0])
        r = httpx.post(svc.url + "/v1/photos", content=body, timeout=60,
                       headers={"Authorization": f"Bearer {tokens[0]}",
                                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
        if r.status_code != 201:
            raise RuntimeError(f"POST /v1/photos answered {r.status_code}: {r.text[:300]}")
        first_verdict = r.json().get("verdict")

        def run_base() -> dict:
            res = _upload(base.url + "/upload", man_base, d)
            shutil.rmtree(store, ignore_errors=True)
            store.mkdir(exist_ok=True)
            return res

        _upload(svc.url + "/v1/photos", man_svc, 2)
        settle(svc)
        b_runs, s_runs = interleave(1 if ctx.quick else 2, run_base,
                                    lambda: _upload(svc.url + "/v1/photos", man_svc, d), quiet=(base, svc))
        rss = svc.rss_mb()
    ctx.note_rss("peaks", rss)
    b_rps, s_rps = median([r["rps"] for r in b_runs]), median([r["rps"] for r in s_runs])
    return [Row("5 peaks upload", f"3 MB JPEG uploads ({len(photos[0][1]) / 1e6:.1f} MB, c=8)", s_rps, "req/s",
                p50_ms=median([r["p50_ms"] for r in s_runs]), p99_ms=median([r["p99_ms"] for r in s_runs]),
                rss_mb=rss, baseline=b_rps, target="≥ 0.5× bare /upload", errors=sum(wrk_errors(r) for r in s_runs),
                note=f"first verdict: {first_verdict}", detail={"service": s_runs, "baseline": b_runs}
                ).judge(at_least=0.5)]


# -- 6: open API page and its 304 ------------------------------------------------------------------

def _seed_photos(ctx: Ctx, db: dict[str, str], n: int) -> str:
    """`cpa seed peaks --photos N` when the service has it; else bench.peaks_seed (metadata bulk insert)."""
    env = {**os.environ, **ctx.service_env("peaks", "pk_open", port=0, db=db)}
    if (ROOT / "tools" / "seeding" / "peaks.py").exists():
        cmd, how = [sys.executable, "-m", "tools.cli", "seed", "peaks", "--photos", str(n)], "cpa seed peaks"
    else:
        cmd, how = [sys.executable, "-m", "bench.peaks_seed", str(n)], "bench bulk insert (no cpa seed peaks yet)"
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"{how} failed ({proc.returncode}): {proc.stderr[-800:]}")
    return how


def _get(srv: Server, path: str, d: int, auth: str | None = None, header: str | None = None) -> dict:
    return wrk(srv.url, script="get.lua", duration_s=d, connections=16,
               env={"BENCH_PATHS": path, "BENCH_AUTH": auth or "", "BENCH_HEADER": header or ""})


def scenario_open_api(ctx: Ctx) -> list[Row]:
    n = 5_000 if ctx.quick else 100_000
    db = ctx.database("pk_open")
    t0 = time.monotonic()
    how = _seed_photos(ctx, db, n)
    ctx.log(f"seeded {n:,} photos in {time.monotonic() - t0:.0f}s ({how})")
    base = ctx.baseline()
    path, key = "/open/v1/photos?limit=100", "demo-miryang"
    # The per-key rate limit stays on but can never refuse: the bench measures the API, not the policy.
    with ctx.server("peaks", "pk_open", db=db, OPEN_API_RATE_PER_MINUTE="60000000",
                    OPEN_API_BURST="1000000") as svc:
        r = httpx.get(svc.url + path, headers={"Authorization": f"Bearer {key}"}, timeout=30)
        if r.status_code != 200:
            raise RuntimeError(f"GET {path} answered {r.status_code}: {r.text[:300]}")
        items = len(r.json().get("items", r.json().get("data", [])))
        etag = r.headers.get("etag")
        r304 = httpx.get(svc.url + path, headers={"Authorization": f"Bearer {key}", "If-None-Match": etag or ""})
        rounds = 1 if ctx.quick else 2
        _get(svc, path, 1, key)
        settle(svc)
        b_runs, p_runs, n_runs = interleave(
            rounds, lambda: _get(base, "/item", ctx.duration), lambda: _get(svc, path, ctx.duration, key),
            lambda: _get(svc, path, ctx.duration, key, f"If-None-Match: {etag}"), quiet=(base, svc))
        rss = svc.rss_mb()
    ctx.note_rss("peaks", rss)
    b_rps = median([r["rps"] for r in b_runs])
    rows = []
    for label, runs, floor in ((f"GET {items}-item photo page ({n:,} stored)", p_runs, 0.6),
                               (f"304 path (If-None-Match; first answer {r304.status_code})", n_runs, 0.8)):
        rows.append(Row("6 peaks open API", label, median([r["rps"] for r in runs]), "req/s",
                        p50_ms=median([r["p50_ms"] for r in runs]), p99_ms=median([r["p99_ms"] for r in runs]),
                        rss_mb=rss, baseline=b_rps, target=f"≥ {floor}× baseline GET",
                        errors=sum(wrk_errors(r) for r in runs), note=how,
                        detail={"service": runs, "baseline": b_runs}
                        ).judge(at_least=floor))
    if r304.status_code != 304:
        rows[-1].note = f"no 304: answered {r304.status_code} (ETag {etag!r})"
    return rows
