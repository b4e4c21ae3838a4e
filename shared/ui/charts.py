"""Small, dependency-free SVG charts for analytics pages, each with a data table fallback."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup

from shared.svg import clip, esc, fmt_number, stable_id, text_width

FONT = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans', 'Noto Sans CJK KR', sans-serif"
INK = "#1a1a1a"
MUTED = "#4a4a4a"
GRID = "#d9d9d9"
# Okabe-Ito derived, darkened so every colour reaches 3:1 against white (WCAG non-text contrast);
# line charts also vary the dash pattern so series stay apart in greyscale print.
PALETTE = ["#0b5cad", "#b35900", "#1b6e35", "#a3246b", "#5b4a9e", "#00677a", "#8a5300", "#4a4a4a"]
DASHES = ["", "6 3", "2 3", "8 3 2 3", "4 4", "1 2", "10 4", "3 6"]

Pairs = Mapping[str, float] | Sequence[tuple[str, float]]


def _pairs(series: Pairs) -> list[tuple[str, float]]:
    items = series.items() if isinstance(series, Mapping) else series
    return [(str(k), float(v)) for k, v in items]


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """0 … a round number ≥ top in 1/2/5 × 10^n steps, so axis labels are easy to read."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / max(count - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    n = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(n + 1)]


def _figure(svg: str, table: str, title: str, note: str) -> Markup:
    note_html = f'<p class="chart-note">{esc(note)}</p>' if note else ""
    return Markup(f'<figure class="chart"><figcaption>{esc(title)}</figcaption>{svg}{note_html}'
                  f'<details class="table-fallback"><summary>Data table</summary>{table}</details></figure>')


def _svg_open(uid: str, width: float, height: float, title: str, desc: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="img" viewBox="0 0 {width:g} {height:g}" '
            f'width="{width:g}" height="{height:g}" aria-labelledby="{uid}-t {uid}-d" font-family="{FONT}">'
            f'<title id="{uid}-t">{esc(title)}</title><desc id="{uid}-d">{esc(desc)}</desc>')


def svg_bar_chart(series: Pairs, *, title: str, unit: str = "", width: int = 640, bar_h: int = 22,
                  colour: str = PALETTE[0], note: str = "", label_header: str = "category") -> Markup:
    """Horizontal bars (long Korean or English labels stay readable), value written at each bar end."""
    data = _pairs(series)
    uid = stable_id("bar", title, data)
    unit_s = f" {unit}" if unit else ""
    label_w = min(max((text_width(label, 12) for label, _ in data), default=40) + 12, width * 0.4)
    value_w = max((text_width(fmt_number(v) + unit_s, 12) for _, v in data), default=20) + 10
    plot_w = max(width - label_w - value_w - 8, 40)
    top_v = max((v for _, v in data), default=0.0)
    scale = plot_w / top_v if top_v > 0 else 0.0
    gap = 8
    height = 12 + max(len(data), 1) * (bar_h + gap) + 8
    desc = (f"{len(data)} bars" + (f", largest {fmt_number(top_v)}{unit_s}" if data else ", no data")
            + ". The same values are in the data table.")
    out = [_svg_open(uid, width, height, title, desc)]
    out.append(f'<line x1="{label_w:g}" y1="8" x2="{label_w:g}" y2="{height - 8:g}" stroke="{MUTED}"/>')
    if not data:
        out.append(f'<text x="{width / 2:g}" y="{height / 2 + 4:g}" text-anchor="middle" font-size="12" '
                   f'fill="{MUTED}">No data</text>')
    for i, (label, value) in enumerate(data):
        y = 12 + i * (bar_h + gap)
        w = max(value * scale, 0.0)
        shown = clip(label, max(int((label_w - 12) / (12 * 0.56)), 4))
        out.append(f'<g class="bar"><title>{esc(label)}: {esc(fmt_number(value))}{esc(unit_s)}</title>'
                   f'<text x="{label_w - 6:g}" y="{y + bar_h / 2 + 4:g}" text-anchor="end" font-size="12" '
                   f'fill="{INK}">{esc(shown)}</text>'
                   f'<rect x="{label_w:g}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{esc(colour)}"/>'
                   f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h / 2 + 4:g}" font-size="12" fill="{INK}">'
                   f'{esc(fmt_number(value))}{esc(unit_s)}</text></g>')
    out.append("</svg>")
    return _figure("".join(out), _table(title, [label_header, f"value{' (' + unit + ')' if unit else ''}"],
                                        [[label, fmt_number(v)] for label, v in data]), title, note)


def svg_line_chart(series: Mapping[str, Pairs], *, title: str, unit: str = "", width: int = 640,
                   height: int = 260, note: str = "", x_header: str = "x") -> Markup:
    """One line per series over shared categorical x values (dates, seasons) in first-seen order."""
    data = {name: _pairs(points) for name, points in series.items()}
    xs: list[str] = []
    for points in data.values():
        for xv, _ in points:
            if xv not in xs:
                xs.append(xv)
    uid = stable_id("line", title, sorted(data.items()))
    unit_s = f" {unit}" if unit else ""
    ticks = nice_ticks(max((v for pts in data.values() for _, v in pts), default=0.0))
    # The widest tick label sets the margin ("1.5" is wider than "2").
    left = max(text_width(fmt_number(t), 11) for t in ticks) + 14
    legend_h = 20 * math.ceil(len(data) / 3) if len(data) > 1 else 0
    right, top, bottom = 16, 12 + legend_h, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    step_x = plot_w / max(len(xs) - 1, 1)

    def px(i: int) -> float:
        return left + (i * step_x if len(xs) > 1 else plot_w / 2)

    def py(v: float) -> float:
        return top + plot_h - (v / ticks[-1]) * plot_h

    desc = (f"{len(data)} series over {len(xs)} points" + (f" from {xs[0]} to {xs[-1]}" if xs else "")
            + ". The same values are in the data table.")
    out = [_svg_open(uid, width, height, title, desc)]
    for t in ticks:
        out.append(f'<line x1="{left:g}" y1="{py(t):.1f}" x2="{width - right:g}" y2="{py(t):.1f}" stroke="{GRID}"/>'
                   f'<text x="{left - 6:g}" y="{py(t) + 4:.1f}" text-anchor="end" font-size="11" fill="{MUTED}">'
                   f'{esc(fmt_number(t))}</text>')
    every = max(math.ceil(len(xs) / max(plot_w // 70, 1)), 1)  # thin x labels so they never overlap
    for i, xv in enumerate(xs):
        # The last label is always shown; a regular one too close to it is skipped.
        if (i % every == 0 and len(xs) - 1 - i >= every) or i == len(xs) - 1:
            out.append(f'<text x="{px(i):.1f}" y="{height - bottom + 16:g}" text-anchor="middle" font-size="11" '
                       f'fill="{MUTED}">{esc(clip(xv, 12))}</text>')
    out.append(f'<line x1="{left:g}" y1="{top + plot_h:g}" x2="{width - right:g}" y2="{top + plot_h:g}" '
               f'stroke="{MUTED}"/>')
    if not xs:
        out.append(f'<text x="{width / 2:g}" y="{height / 2:g}" text-anchor="middle" font-size="12" '
                   f'fill="{MUTED}">No data</text>')
    for n, (name, points) in enumerate(data.items()):
        colour, dash = PALETTE[n % len(PALETTE)], DASHES[n % len(DASHES)]
        coords = [(px(xs.index(xv)), py(v), xv, v) for xv, v in points]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<g class="series" data-series="{esc(name)}">')
        if len(coords) > 1:
            path = " ".join(f"{'M' if j == 0 else 'L'}{cx:.1f} {cy:.1f}" for j, (cx, cy, _, _) in enumerate(coords))
            out.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2.5"{dash_attr}/>')
        for cx, cy, xv, v in coords:
            out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="{colour}"><title>{esc(name)}, {esc(xv)}: '
                       f'{esc(fmt_number(v))}{esc(unit_s)}</title></circle>')
        out.append("</g>")
        if len(data) > 1:
            lx, ly = left + (n % 3) * (plot_w / 3), 14 + 20 * (n // 3)
            out.append(f'<g class="legend-item"><line x1="{lx:.1f}" y1="{ly - 4}" x2="{lx + 24:.1f}" y2="{ly - 4}" '
                       f'stroke="{colour}" stroke-width="2.5"{dash_attr}/><text x="{lx + 30:.1f}" y="{ly}" '
                       f'font-size="12" fill="{INK}">{esc(clip(name, 28))}</text></g>')
    out.append("</svg>")
    names = list(data)
    rows = [[xv] + [_value_at(data[name], xv) for name in names] for xv in xs]
    return _figure("".join(out), _table(title, [x_header] + [f"{n}{' (' + unit + ')' if unit else ''}"
                                                             for n in names], rows), title, note)


def _value_at(points: list[tuple[str, float]], xv: str) -> str:
    for k, v in points:
        if k == xv:
            return fmt_number(v)
    return "–"


def _table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in headers)
    body = "".join("<tr>" + f'<th scope="row">{esc(r[0])}</th>' + "".join(f'<td class="num">{esc(c)}</td>'
                                                                        for c in r[1:]) + "</tr>" for r in rows)
    if not rows:
        body = f'<tr><td colspan="{len(headers)}">No data.</td></tr>'
    return (f'<div class="table-scroll"><table class="data"><caption>{esc(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")
