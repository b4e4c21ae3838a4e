"""Certificates as the public sees them: the verification document and the PDF (fpdf2) with a QR code (segno).

Pure rendering: the certificate is looked up by `flows.certificates`.

The public view carries no personal data: number, season, rank, completion date, first-place mark, the
five municipalities' names in Korean and English, and the display name only when the climber agreed to
show it (gallery consent); otherwise `display_name` is None and the PDF says the name is withheld. A
certificate is addressed by its random id (`programme.new_certificate_id`), never by its number.

The PDF embeds a Korean-capable TrueType font when the system has one (Debian `fonts-nanum`,
installed by `.ci/run`; found by path or `fc-match`), so names print in Hangul and English. Without
one it falls back to the core Helvetica font with the romanised names only (and any non-Latin
characters of a display name replaced), and says so in the PDF's keywords.
"""
from __future__ import annotations

import functools
import io
import logging
import shutil
import subprocess
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import segno
from fpdf import FPDF

from services.peaks.domain import reference
from services.peaks.domain.reference import KST

KOREAN_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
    "/usr/share/fonts/truetype/nanum/NanumBarunGothic.ttf",
    "/usr/share/fonts/truetype/nanum/NanumMyeongjo.ttf",
    "/usr/share/fonts/truetype/unfonts-core/UnDotum.ttf",
    "/usr/share/fonts/truetype/baekmuk/gulim.ttf",
)
# fontTools reports every hinting table it drops while subsetting a font; that is expected.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)
NUMBER_PATTERN = r"^YA-[0-9A-Za-z]{1,16}-[0-9]{1,9}$"
WITHHELD_EN, WITHHELD_KO = "Name withheld at the climber's request", "이름 비공개"


# --------------------------------------------------------------------------- public view


@dataclass(frozen=True, slots=True)
class CertificateView:
    number: str
    display_name: str | None  # None: the climber did not agree to show their name
    season: str
    rank: int
    first_place: bool
    issued_at: datetime
    id: str = ""  # the public address (crt_…); "" only for a view that was never stored

    @property
    def completed_on(self) -> str:
        return self.issued_at.astimezone(KST).date().isoformat()


def municipalities() -> list[dict[str, str]]:
    """The five municipalities, the managing one (Ulju-gun) first."""
    ms = sorted(reference.municipalities().values(), key=lambda m: m.role != "managing")
    return [{"code": m.code, "name_ko": m.name_ko, "name_en": m.name_en, "province_ko": m.province_ko,
             "province_en": m.province_en, "role": m.role} for m in ms]


def verification_path(certificate_id: str) -> str:
    return f"/v1/certificates/{certificate_id}"


def public_document(view: CertificateView, base_url: str) -> dict[str, Any]:
    return {
        "id": view.id, "number": view.number, "valid": True, "display_name": view.display_name,
        "name_shown": view.display_name is not None, "season": view.season,
        "rank": view.rank, "first_place": view.first_place, "completed_on": view.completed_on,
        "issued_at": view.issued_at.astimezone(KST).isoformat(),
        "title_en": "Yeongnam Alps Nine Peaks Certification", "title_ko": "영남알프스 9봉 완등 인증",
        "municipalities": municipalities(),
        "verification_url": base_url + verification_path(view.id),
        "pdf_url": base_url + verification_path(view.id) + ".pdf",
    }


# --------------------------------------------------------------------------- PDF


@functools.cache
def korean_font() -> Path | None:
    """A TrueType/OpenType font with Hangul, or None (fpdf2 cannot use .ttc collections)."""
    for cand in KOREAN_FONT_CANDIDATES:
        if Path(cand).is_file():
            return Path(cand)
    if shutil.which("fc-match"):
        try:
            out = subprocess.run(["fc-match", "-f", "%{file}", ":lang=ko"], capture_output=True, text=True,
                                 timeout=5).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out.lower().endswith((".ttf", ".otf")) and Path(out).is_file():
            return Path(out)
    return None


def qr_png(url: str) -> bytes:
    buf = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buf, kind="png", scale=10, border=4)
    return buf.getvalue()


def _latin(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def render_pdf(view: CertificateView, verification_url: str) -> bytes:
    """An A4 certificate: title, name, season, rank, date, the five municipalities and a QR code."""
    font = korean_font()
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(f"Certificate {view.number}")
    pdf.set_author("Ulju-gun (managing entity), Yeongnam Alps Nine Peaks Certification")
    pdf.set_subject("Yeongnam Alps nine peaks completion certificate")
    pdf.set_keywords("korean-font" if font else "romanised-only")
    pdf.set_creation_date(view.issued_at)
    pdf.set_auto_page_break(False)
    pdf.set_margins(22, 20, 22)
    pdf.add_page()
    if font is not None:
        pdf.add_font("Korean", "", str(font))
        family = "Korean"

        def t(ko: str, en: str) -> str:
            return f"{ko}  {en}" if ko else en
    else:
        family = "Helvetica"

        def t(ko: str, en: str) -> str:
            return _latin(en)

    w = pdf.w - 2 * pdf.l_margin
    pdf.set_draw_color(40, 90, 60)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    pdf.set_line_width(0.3)
    pdf.rect(13, 13, pdf.w - 26, pdf.h - 26)

    pdf.set_y(28)
    pdf.set_font(family, size=12)
    pdf.cell(w, 8, t("영남알프스 9봉 완등 인증서", ""), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=24)
    pdf.cell(w, 14, "Certificate of Completion", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=12)
    pdf.cell(w, 8, "Yeongnam Alps Nine Peaks Certification", align="C", new_x="LMARGIN", new_y="NEXT")

    pdf.ln(12)
    if view.display_name is None:
        pdf.set_font(family, size=16)
        name = t(WITHHELD_KO, WITHHELD_EN)
    else:
        pdf.set_font(family, size=26)
        name = view.display_name if font else _latin(view.display_name)
    pdf.cell(w, 16, name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(family, size=12)
    text = (f"has climbed every peak of the {view.season} season of the Yeongnam Alps certification "
            f"and is hereby certified as finisher no. {view.rank}"
            + (" - the first finisher of the season." if view.first_place else "."))
    pdf.multi_cell(w, 7, text, align="C", new_x="LMARGIN", new_y="NEXT")
    if font:
        pdf.multi_cell(w, 7, f"위 사람은 {view.season}년 영남알프스 9봉 완등 인증 과정을 완주하였기에 "
                             f"이 인증서를 드립니다 (완등 순위 {view.rank}위).", align="C",
                       new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(family, size=11)
    for label, value in ((t("인증번호", "Certificate no."), view.number),
                         (t("완등일", "Completed on"), view.completed_on),
                         (t("시즌", "Season"), view.season),
                         (t("순위", "Rank"), str(view.rank))):
        pdf.cell(w / 2, 7, label + ":", align="R")
        pdf.cell(w / 2, 7, "  " + value, align="L", new_x="LMARGIN", new_y="NEXT")

    pdf.ln(10)
    pdf.set_font(family, size=12)
    pdf.cell(w, 8, t("공동 주관 지방자치단체", "Awarded jointly by the five municipalities"), align="C",
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=11)
    for m in municipalities():
        line = t(f"{m['province_ko']} {m['name_ko']}", f"{m['name_en']} ({m['province_en']})")
        pdf.cell(w, 7, line, align="C", new_x="LMARGIN", new_y="NEXT")

    qr_size = 42
    qr_x, qr_y = pdf.w - 20 - qr_size, pdf.h - 24 - qr_size - 10
    pdf.image(io.BytesIO(qr_png(verification_url)), x=qr_x, y=qr_y, w=qr_size, h=qr_size)
    pdf.set_font(family, size=8)
    pdf.set_xy(22, qr_y + 8)
    pdf.multi_cell(qr_x - 26, 5, t("진위 확인", "Verify this certificate online:") + "\n" + verification_url,
                   align="L")
    pdf.set_xy(22, qr_y + qr_size - 4)
    pdf.cell(qr_x - 26, 5, "Ulju-gun, managing entity / " + t("울주군 (주관)", ""), align="L")
    return bytes(pdf.output())


class PdfCache:
    """Certificates never change once issued: keep the last rendered PDFs (font subsetting is slow)."""

    def __init__(self, size: int = 64):
        self.size = size
        self._items: OrderedDict[tuple[str, bool, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, view: CertificateView, url: str) -> bytes:
        key = (view.id or view.number, view.display_name is not None, url)  # public and own (named) copies
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        data = render_pdf(view, url)
        with self._lock:
            self._items[key] = data
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return data
