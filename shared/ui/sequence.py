"""A trace (from `shared.trace.read`) as an inline SVG sequence diagram, with a table fallback."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup

from shared.parties import PartyRegistry
from shared.svg import esc, fit, stable_id, text_width

# Layout constants (px in the viewBox; the SVG scales down to its container through CSS).
COL_W = 176
LEFT = 78  # room for "#12" and the time of each hop
TOP = 10
HEAD_H = 58
ROW_H = 56
FOOT_H = 34
LABEL_SIZE = 12
SMALL_SIZE = 10.5
INK = "#1a1a1a"
MUTED = "#4a4a4a"

# Arrow colour by delivery status; the status is always written out too (colour is never the only cue).
STATUS_COLOURS = {
    "delivered": "#1b6e35", "received": "#1f5fa8", "pending": "#8a5300", "delivering": "#8a5300",
    "dead": "#b3261e", "failed": "#b3261e",
}


def party_order(events: Sequence[Mapping[str, Any]], parties: PartyRegistry | None) -> list[str]:
    """Parties that appear, in registry order (stable between diagrams), unknown ones last."""
    used: list[str] = []
    for e in events:
        for code in (str(e["from"]), str(e["to"])):
            if code not in used:
                used.append(code)
    if parties is None:
        return used
    return [c for c in parties.codes() if c in used] + [c for c in used if c not in parties]


def _names(code: str, parties: PartyRegistry | None) -> tuple[str, str]:
    if parties is not None and code in parties:
        p = parties.get(code)
        return p.name, p.name_ko
    return code, ""


def _time(at: Any) -> str:
    text = str(at or "")
    return text[11:19] if len(text) >= 19 and text[10] == "T" else text[:8]


def _detail_text(status: str, fields: Sequence[str], room: float) -> str:
    """'delivered · fields: a, b (+3)': the status first (never clipped away), then as many fields as fit."""
    head = f"{status} · " if status else ""
    if not fields:
        return fit(head + "no personal fields", room, SMALL_SIZE)
    for shown in range(len(fields), 0, -1):
        rest = len(fields) - shown
        text = head + "fields: " + ", ".join(fields[:shown]) + (f" (+{rest})" if rest else "")
        if text_width(text, SMALL_SIZE) <= room:
            return text
    return fit(head + f"{len(fields)} field{'s' if len(fields) != 1 else ''}", room, SMALL_SIZE)


def svg_sequence(events: Sequence[Mapping[str, Any]], parties: PartyRegistry | None = None, *,
                 title: str = "Message sequence") -> Markup:
    """One lifeline per party (registry order), one arrow per hop (in `seq` order).

    Every text is escaped, so a field name like `<script>` is shown, never run. The output
    depends only on the input (no clock, no randomness), so it can be snapshot-tested.
    """
    events = sorted(events, key=lambda e: (e.get("seq") or 0))
    order = party_order(events, parties)
    uid = stable_id("seq", title, [(e.get("seq"), e["from"], e["to"], e.get("kind")) for e in events])
    cols = max(len(order), 1)
    width = LEFT + cols * COL_W + 12
    height = TOP + HEAD_H + max(len(events), 1) * ROW_H + FOOT_H
    x = {code: LEFT + i * COL_W + COL_W / 2 for i, code in enumerate(order)}
    life_top, life_bottom = TOP + HEAD_H, height - FOOT_H + 4
    summary = (f"{len(events)} message{'s' if len(events) != 1 else ''} between {len(order)} "
               f"part{'ies' if len(order) != 1 else 'y'}: " + ", ".join(order) + ". Times are UTC.")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="seq-diagram" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-labelledby="{uid}-t {uid}-d" '
        f'font-family="system-ui, -apple-system, \'Segoe UI\', \'Noto Sans\', \'Noto Sans CJK KR\', sans-serif">',
        f'<title id="{uid}-t">{esc(title)}</title>',
        f'<desc id="{uid}-d">{esc(summary)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    for code in order:
        cx = x[code]
        name, name_ko = _names(code, parties)
        box_w = COL_W - 14
        out.append(f'<g class="lifeline" data-party="{esc(code)}"><title>{esc(code)}: {esc(name)}'
                   f'{" (" + esc(name_ko) + ")" if name_ko else ""}</title>')
        out.append(f'<line x1="{cx:g}" y1="{life_top}" x2="{cx:g}" y2="{life_bottom}" stroke="#8c8c8c" '
                   f'stroke-width="1" stroke-dasharray="4 4"/>')
        out.append(f'<rect x="{cx - box_w / 2:g}" y="{TOP}" width="{box_w}" height="{HEAD_H - 8}" rx="6" '
                   f'fill="#f2f5f9" stroke="#5b6b7f"/>')
        out.append(f'<text x="{cx:g}" y="{TOP + 17}" text-anchor="middle" font-size="{LABEL_SIZE + 1}" '
                   f'font-weight="700" fill="{INK}">{esc(fit(code, box_w - 8, LABEL_SIZE + 1))}</text>')
        out.append(f'<text x="{cx:g}" y="{TOP + 32}" text-anchor="middle" font-size="{SMALL_SIZE}" '
                   f'fill="{MUTED}">{esc(fit(name, box_w - 8, SMALL_SIZE))}</text>')
        if name_ko:
            out.append(f'<text x="{cx:g}" y="{TOP + 45}" text-anchor="middle" font-size="{SMALL_SIZE}" '
                       f'fill="{MUTED}" lang="ko">{esc(fit(name_ko, box_w - 8, SMALL_SIZE))}</text>')
        out.append('</g>')
    if not events:
        out.append(f'<text x="{width / 2:g}" y="{life_top + ROW_H / 2:g}" text-anchor="middle" '
                   f'font-size="{LABEL_SIZE}" fill="{MUTED}">No messages yet</text>')
    for i, e in enumerate(events):
        out.append(_hop(e, i, x, width))
    legend_y = height - 12
    out.append(f'<g class="legend" font-size="{SMALL_SIZE}" fill="{MUTED}">'
               f'<line x1="8" y1="{legend_y - 4}" x2="38" y2="{legend_y - 4}" stroke="{MUTED}" stroke-width="2"/>'
               f'<text x="44" y="{legend_y}">webhook from the hub (outbox)</text>'
               f'<line x1="230" y1="{legend_y - 4}" x2="260" y2="{legend_y - 4}" stroke="{MUTED}" '
               f'stroke-width="2" stroke-dasharray="6 4"/>'
               f'<text x="266" y="{legend_y}">API call by a party</text></g>')
    out.append('</svg>')
    return Markup("".join(out))


def _hop(e: Mapping[str, Any], i: int, x: Mapping[str, float], width: float) -> str:
    src, dst = str(e["from"]), str(e["to"])
    kind, status = str(e.get("kind", "")), str(e.get("status") or "")
    fields = [str(f) for f in (e.get("fields") or [])]
    colour = STATUS_COLOURS.get(status, "#3d3d3d")
    dash = ' stroke-dasharray="6 4"' if e.get("channel") != "webhook" else ""
    top = TOP + HEAD_H + i * ROW_H
    y = top + 24
    x1, x2 = x[src], x[dst]
    tip = (f"#{e.get('seq', i + 1)} {src} → {dst}: {kind}" + (f" [{status}]" if status else "")
           + f" via {e.get('channel', '?')} at {e.get('at', '')}"
           + (f"; {e['attempts']} attempt(s)" if e.get("attempts") else "")
           + (f". {e['summary']}" if e.get("summary") else "")
           + ". Fields: " + (", ".join(fields) if fields else "none"))
    parts = [f'<g class="hop" data-seq="{esc(e.get("seq", i + 1))}" data-status="{esc(status)}">'
             f'<title>{esc(tip)}</title>']
    if i % 2 == 1:  # zebra rows help follow a row across a wide diagram
        parts.append(f'<rect x="0" y="{top}" width="{width:g}" height="{ROW_H}" fill="#f7f7f7"/>')
    parts.append(f'<text x="8" y="{y + 4}" font-size="{LABEL_SIZE}" font-weight="700" fill="{INK}">'
                 f'#{esc(e.get("seq", i + 1))}</text>'
                 f'<text x="8" y="{y + 18}" font-size="{SMALL_SIZE}" fill="{MUTED}">{esc(_time(e.get("at")))}</text>')
    if src == dst:  # a party talking to itself: a small loop to the right of its lifeline
        parts.append(f'<path class="msg" d="M{x1:g} {y - 8} h34 v16 h-30" fill="none" stroke="{colour}" '
                     f'stroke-width="2"{dash}/>')
        parts.append(_head(x1 + 2, y + 8, -1, colour))
        room = COL_W - 44
        lx, anchor = x1 + 40, "start"
    else:
        direction = 1 if x2 > x1 else -1
        parts.append(f'<line class="msg" x1="{x1:g}" y1="{y}" x2="{x2 - direction * 8:g}" y2="{y}" '
                     f'stroke="{colour}" stroke-width="2"{dash}/>')
        parts.append(_head(x2, y, direction, colour))
        room = abs(x2 - x1) - 10
        lx, anchor = (x1 + x2) / 2, "middle"
    parts.append(f'<text x="{lx:g}" y="{y - 6}" text-anchor="{anchor}" font-size="{LABEL_SIZE}" '
                 f'fill="{INK}">{esc(fit(kind, room, LABEL_SIZE))}</text>')
    parts.append(f'<text x="{lx:g}" y="{y + 16}" text-anchor="{anchor}" font-size="{SMALL_SIZE}" '
                 f'fill="{MUTED}">{esc(_detail_text(status, fields, room))}</text>')
    parts.append('</g>')
    return "".join(parts)


def _head(tip_x: float, y: float, direction: int, colour: str) -> str:
    back = tip_x - direction * 9
    return (f'<polygon points="{tip_x:g},{y:g} {back:g},{y - 5:g} {back:g},{y + 5:g}" fill="{colour}"/>')


def trace_table(events: Sequence[Mapping[str, Any]], parties: PartyRegistry | None = None, *,
                caption: str = "Messages in order") -> Markup:
    """The same hops as a table: the accessible (and printable) fallback of the diagram."""
    rows = []
    for e in sorted(events, key=lambda e: (e.get("seq") or 0)):
        cells = [f'<th scope="row">{esc(e.get("seq", ""))}</th>',
                 f'<td><time datetime="{esc(e.get("at", ""))}">{esc(_time(e.get("at")))}</time></td>',
                 f"<td>{_party_cell(str(e['from']), parties)}</td>",
                 f"<td>{_party_cell(str(e['to']), parties)}</td>",
                 f"<td>{esc(e.get('channel', ''))}</td>",
                 f"<td><code>{esc(e.get('kind', ''))}</code></td>",
                 f'<td><span class="status status-{esc(e.get("status") or "none")}">'
                 f"{esc(e.get('status') or '')}</span></td>",
                 "<td>" + (", ".join(f"<code>{esc(f)}</code>" for f in e.get("fields") or []) or "none") + "</td>"]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    if not rows:
        rows.append('<tr><td colspan="8">No messages yet.</td></tr>')
    head = "".join(f'<th scope="col">{h}</th>' for h in
                   ("#", "time (UTC)", "from", "to", "channel", "kind", "status", "fields shared"))
    return Markup(f'<div class="table-scroll"><table class="data trace-table"><caption>{esc(caption)}</caption>'
                  f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def _party_cell(code: str, parties: PartyRegistry | None) -> str:
    name, name_ko = _names(code, parties)
    ko = f' <span lang="ko">{esc(name_ko)}</span>' if name_ko else ""
    return f'<abbr title="{esc(name)}">{esc(code)}</abbr>{ko}'


def sequence_figure(events: Sequence[Mapping[str, Any]], parties: PartyRegistry | None = None, *,
                    title: str = "Message sequence", table_open: bool = False) -> Markup:
    """Diagram plus its table in a <details>, in one <figure>: what trace pages embed."""
    open_attr = ' open="open"' if table_open else ""
    return Markup(f'<figure class="sequence"><figcaption>{esc(title)}</figcaption>'
                  f'<div class="diagram-scroll">{svg_sequence(events, parties, title=title)}</div>'
                  f'<details class="table-fallback"{open_attr}><summary>Table view</summary>'
                  f"{trace_table(events, parties, caption=title)}</details></figure>")
