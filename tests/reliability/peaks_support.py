"""Peaks specifics of the reliability suite: hostile photo files and the public-read minimisation check."""
from __future__ import annotations

import io
import json
import re
import struct
import zipfile
from datetime import datetime, timedelta, timezone

from tests.reliability.support import (
    assert_problem,
    first_route,
    record_figure,
    register_climber,
    service_client,
)

KST = timezone(timedelta(hours=9))
PHOTOS = "/v1/photos"


def _huge_jpeg_dimensions(jpeg: bytes, w: int = 65_000, h: int = 65_000) -> bytes:
    """The same JPEG with its SOF header declaring w×h (4 gigapixels): a decoder must refuse it."""
    data = bytearray(jpeg)
    i = 2
    while i < len(data) - 9:
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            data[i + 5:i + 9] = struct.pack(">HH", h, w)
            return bytes(data)
        i += 2 + length
    raise AssertionError("no SOF marker")


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("payload.html", "<script>alert(1)</script>")
    return buf.getvalue()


def corpus() -> dict[str, tuple[bytes, str, bool]]:
    """name → (bytes, declared content type, must be refused with 4xx)."""
    from services.peaks.domain import reference, sample_photos
    from tests.peaks import hostile_files

    peak = reference.peaks()["gajisan"]
    taken = datetime.now(KST) - timedelta(hours=1)
    good = sample_photos.make_photo(lat=peak.lat, lon=peak.lon, alt=1235, taken_at=taken, seed=11)
    out: dict[str, tuple[bytes, str, bool]] = {
        "text_named_jpg": (hostile_files.make_text_file(), "image/jpeg", True),
        "empty": (b"", "image/jpeg", True),
        "truncated_jpeg": (hostile_files.truncate(good, 0.4), "image/jpeg", True),
        "jpeg_magic_then_html": (b"\xff\xd8\xff\xe0" + b"<html><script>alert(1)</script></html>" * 20,
                                 "image/jpeg", True),
        "png_bomb_20000x20000": (hostile_files.make_png_bomb(), "image/png", True),
        "jpeg_declaring_65000x65000": (_huge_jpeg_dimensions(good), "image/jpeg", True),
        "pdf_as_image": (b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "image/jpeg", True),
        "svg_script": (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                       "image/svg+xml", True),
        # A valid JPEG with a ZIP appended (a classic polyglot): may be accepted, but nothing of the
        # appended payload may ever be served back.
        "jpeg_zip_polyglot": (good + _zip_bytes(), "image/jpeg", False),
        "jpeg_sent_as_text_plain": (sample_photos.make_photo(lat=peak.lat, lon=peak.lon, taken_at=taken, seed=12),
                                    "text/plain", False),
    }
    for kind in hostile_files.GARBAGE_KINDS:
        out[f"garbage_exif_{kind}"] = (hostile_files.make_garbage_exif_photo(kind, seed=20 + len(out)), "image/jpeg", False)
    return out


def hostile_files(tmp_path, row_counts, files_under, unchanged) -> int:
    with service_client("peaks", tmp_path) as c:
        p = c.app.state.platform
        store = p.settings.resolved_storage_dir
        token = register_climber(c)["token"]
        auth = {"authorization": f"Bearer {token}"}
        tried = 0
        results: dict[str, int] = {}
        for name, (data, ctype, must_refuse) in corpus().items():
            rows, files = row_counts(p), files_under(store)
            r = c.post(PHOTOS, data={"peak": "gajisan"}, files={"file": ("summit.jpg", data, ctype)}, headers=auth)
            tried += 1
            results[name] = r.status_code
            assert r.status_code < 500, f"{name}: HTTP {r.status_code}: {r.text[:300]}"
            if r.status_code >= 400:
                assert_problem(r, PHOTOS)
                unchanged(rows, row_counts(p), name)
                assert files_under(store) == files, f"{name}: a refused upload left a file behind"
            else:
                assert not must_refuse, f"{name} was accepted: {r.text[:300]}"
                assert r.json()["verdict"] in {"approved", "needs_review", "rejected"}
                image = c.get(f"{PHOTOS}/{r.json()['id']}/image", headers=auth)
                assert image.status_code in (200, 404)
                assert b"PK\x03\x04" not in image.content and b"<script>" not in image.content
        # Unknown and inactive peaks are refused before the file is read; nothing stored.
        for peak in ("everest", "' OR 1=1 --", "가지산\u202e"):
            rows, files = row_counts(p), files_under(store)
            r = c.post(PHOTOS, data={"peak": peak}, files={"file": ("a.jpg", corpus()["empty"][0] or b"x", "image/jpeg")},
                       headers=auth)
            assert 400 <= r.status_code < 500, (peak, r.status_code)
            assert_problem(r, PHOTOS)
            unchanged(rows, row_counts(p), f"peak={peak!r}")
            assert files_under(store) == files
            tried += 1
        record_figure("hostile_peaks_files", results)
    return tried


PERSONAL_FIELDS = {"contact", "birth_year", "shipping_address", "address", "phone", "email", "token",
                   "token_hash"}


def public_minimisation(tmp_path) -> None:
    """Public and open-API responses carry no climber contact, birth year or address."""
    contact, birth_year, address = "climber.secret@example.kr", 1977, "울산광역시 울주군 상북면 알프스온천5길 103-8"
    with service_client("peaks", tmp_path) as c:
        climber = register_climber(c, display_name="공개 이름", contact=contact, birth_year=birth_year)
        auth = {"authorization": f"Bearer {climber['token']}"}
        if first_route("peaks", "PUT", r"/v1/climbers/\{[^}]+\}/shipping-address"):
            c.put(f"/v1/climbers/{climber['id']}/shipping-address",
                  json={"name": "홍길동", "address": address, "postal_code": "44900", "phone": "010-5555-0100"},
                  headers=auth)
        # Public (no key) GET routes, and the open API as each partner sees it.
        from tests.reliability.support import (
            Synth,
            decision_of,
            fill_path,
            http_routes,
            spec_of,
        )

        registry = spec_of("peaks").parties
        synth = Synth(c.app.openapi())
        checked = 0
        for method, path, route in http_routes(c.app):
            d = decision_of(route)
            if method != "GET" or d is None or path.startswith(("/docs", "/redoc", "/openapi", "/ui/events")):
                continue
            public = d.kind == "public"
            open_api = path.startswith("/open/")
            if not (public or open_api):
                continue
            callers = [{}] if public else [{"authorization": f"Bearer demo-{x}"} for x in d.allowed_parties(registry)]
            for headers in callers:
                r = c.get(fill_path(path, climber_id=climber["id"]), params=synth.request("GET", path).get("params"),
                          headers=headers)
                checked += 1
                text = r.text
                for secret in (contact, address, "010-5555-0100", climber["token"]):
                    assert secret not in text, f"GET {path} leaks {secret!r}"
                # The birth year as a number of its own (not the digits inside a metric like 0.019774).
                if path != "/metrics":
                    assert not re.search(rf"(?<![\d.]){birth_year}(?![\d.])", text), f"GET {path} leaks {birth_year}"
                if r.headers.get("content-type", "").startswith("application/json"):
                    keys = set(json.dumps(r.json()).split('"')[1::2])
                    assert not (keys & PERSONAL_FIELDS - {"address"}), (path, keys & PERSONAL_FIELDS)
        record_figure("minimisation_peaks_public", {"public_reads_checked": checked})
