"""Self-contained HTML reports of a fix comparison and of a sweep (inline SVG, no script, no
network): one table, and plots — bars for the fixes, a line chart for a sweep of one field,
a heatmap for two.  Plain strings, no Qt (like the simulation report's writer in
designer/export/reports.py, whose look it follows)."""
from __future__ import annotations

import html
import statistics
from typing import Any

from ..html_style import BASE_CSS
from .fixes import headroom_text, ports_text
from .runs import names
from .sweep import METRICS, metric_value

_CSS = BASE_CSS + """
.ok{font-weight:600}.na{color:#6b7785}
svg text{font:11px system-ui,sans-serif;fill:#3b4652}
"""
BLUE, GREY, RED, GREEN = "#1f6feb", "#8a96a3", "#d1242f", "#1e7d32"
#: the widest a character of the 11 px SVG font is on average (for sizing pictures to text)
TEXT_PX_PER_CHAR = 6.5


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _num(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "—" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return _esc(value)


def _page(title: str, meta: str, body: list[str]) -> str:
    return "\n".join([f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
                      f'<title>{_esc(title)}</title><style>{_CSS}</style></head><body>',
                      f"<h1>{_esc(title)}</h1>", f'<p class="meta">{meta}</p>', *body,
                      '<p class="meta">Made with Outbound Designer.</p></body></html>\n'])


def _setting_text(setting: dict) -> str:
    return ", ".join(f"{k} {v if not isinstance(v, (list, dict)) else v}"
                     for k, v in setting.items()) or "—"


# ================================================================================ fixes

def fixes_html(doc: dict[str, Any]) -> str:
    seeds = ", ".join(map(str, doc.get("seeds", [])))
    meta = (f"{_esc(doc.get('semantics', ''))} semantics · {_num(doc.get('duration_s'))} "
            f"simulated seconds · seeds {_esc(seeds)} · failing VMs: "
            f"{_esc(names(doc.get('failing_vms', [])) or 'none')}")
    rows = ["<table><tr><th>variant</th><th>setting</th><th>failed flows (mean, range)</th>"
            "<th>peak used / allocated</th><th>headroom (flows/s)</th><th>public IPs</th>"
            "<th>what changes in Azure</th></tr>"]
    for v in doc.get("variants", []):
        f = v["failed_snat"]
        css = "ok" if v.get("holds") else "bad"
        headroom = _esc(headroom_text(v))
        if v.get("headroom_note"):
            headroom = f'<span title="{_esc(v["headroom_note"])}">{headroom}</span>'
        rows.append(
            f"<tr><td class={css}>{_esc(v['kind'])}</td><td>{_esc(_setting_text(v['setting']))}"
            f"</td><td class=num>{_num(f['mean'])} ({_num(f['min'])}–{_num(f['max'])})</td>"
            f"<td class=num>{_esc(ports_text(v))}</td>"
            f"<td class=num>{headroom}</td><td class=num>{_num(v['public_ips'])}</td>"
            f"<td>{_esc(v['azure_change'])}</td></tr>")
    for n in doc.get("not_applicable", []):
        rows.append(f"<tr class=na><td>{_esc(n['kind'])}</td><td colspan=6>not applicable: "
                    f"{_esc(n['reason'])}</td></tr>")
    rows.append("</table>")
    best = doc.get("smallest_holding")
    body = [f"<p>{'Smallest fix that holds: <b>' + _esc(best) + '</b>' if best else 'No variant holds.'}"
            f"</p>", "<h2>Variants</h2>", *rows, "<h2>Failed flows and ports used</h2>",
            _bars(doc.get("variants", []))]
    return _page(f"SNAT fixes: {doc.get('scenario', '')}", meta, body)


def _bars(variants: list[dict]) -> str:
    """Horizontal bars: failed flows (red) and peak used of allocated (blue on grey)."""
    width, row, left = 760, 26, 160
    height = row * len(variants) + 24
    top_failed = max([v["failed_snat"]["mean"] for v in variants] + [1])
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="failed flows per variant">']
    half = (width - left - 20) / 2
    out.append(f'<text x="{left}" y="12">failed flows</text>'
               f'<text x="{left + half + 10}" y="12">peak used of allocated ports</text>')
    for i, v in enumerate(variants):
        y = 20 + i * row
        out.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end">{_esc(v["kind"])}</text>')
        w = (half - 70) * v["failed_snat"]["mean"] / top_failed   # room for the label
        out.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="14" fill="{RED}"/>')
        out.append(f'<text x="{left + w + 4:.1f}" y="{y + 14}">{_num(v["failed_snat"]["mean"])}</text>')
        alloc, peak = v.get("allocated") or 0, v.get("peak_used") or 0
        x0 = left + half + 10
        ratio = min(1.0, peak / alloc) if alloc else 0.0
        out.append(f'<rect x="{x0}" y="{y + 3}" width="{half - 20:.1f}" height="14" fill="#e3e8ee"/>'
                   f'<rect x="{x0}" y="{y + 3}" width="{(half - 20) * ratio:.1f}" height="14" '
                   f'fill="{BLUE if ratio < 1 else RED}"/>')
    out.append("</svg>")
    return "".join(out)


# ================================================================================ sweep

def _mean_by_values(doc: dict, metric: str) -> dict[tuple, float | None]:
    groups: dict[tuple, list[float]] = {}
    paths = [v["path"] for v in doc["vary"]]
    for p in doc["points"]:
        key = tuple(p["values"][path] for path in paths)
        value = metric_value(p, metric)
        groups.setdefault(key, [])
        if value is not None:
            groups[key].append(value)
    return {k: (statistics.fmean(v) if v else None) for k, v in groups.items()}


def sweep_html(doc: dict[str, Any]) -> str:
    metric = doc.get("metric", "failed_snat")
    paths = [v["path"] for v in doc["vary"]]
    meta = (f"{_esc(doc.get('semantics', ''))} semantics · {_num(doc.get('duration_s'))} "
            f"simulated seconds · seeds {_esc(', '.join(map(str, doc.get('seeds', []))))} · "
            f"metric: {_esc(METRICS.get(metric, metric))}")
    body = []
    if len(paths) == 1:
        body += ["<h2>Plot</h2>", _line_chart(doc, metric)]
    elif len(paths) == 2:
        body += ["<h2>Plot</h2>", _heatmap(doc, metric)]
    head = "".join(f"<th>{_esc(p)}</th>" for p in paths)
    # the metric's own column, unless it is one the table shows anyway
    extra = metric not in ("attempted", "failed_snat", "ports_needed_p99")
    rows = [f"<h2>Points</h2><table><tr>{head}<th>seed</th>"
            + (f"<th>{_esc(metric)}</th>" if extra else "") +
            f"<th>attempted</th><th>failed (SNAT)</th><th>peak used / allocated (busiest VM)"
            f"</th><th>ports needed p99 (estimate)</th></tr>"]
    for p in doc["points"]:
        cells = "".join(f"<td class=num>{_num(p['values'][path])}</td>" for path in paths)
        est = max((e["ports_needed_p99"] for e in p.get("estimate", {}).values()), default=0)
        if "totals" in p:
            busiest = max(p["vms"].values(), key=lambda v: (
                v["snat_ports_used_peak"] / v["snat_ports_allocated"]
                if v["snat_ports_allocated"] else 0), default=None)
            pu = (f"{_num(busiest['snat_ports_used_peak'])} / "
                  f"{_num(busiest['snat_ports_allocated'])}" if busiest else "—")
            failed = p["totals"]["failed_snat"]
            rows.append(f"<tr>{cells}<td class=num>{p['seed']}</td>"
                        + (f"<td class=num>{_num(metric_value(p, metric))}</td>" if extra
                           else "") +
                        f"<td class=num>{_num(p['totals']['attempted'])}</td>"
                        f"<td class=\"num{' bad' if failed else ''}\">{_num(failed)}</td>"
                        f"<td class=num>{pu}</td><td class=num>{_num(est)}</td></tr>")
        else:
            rows.append(f"<tr class=na>{cells}<td class=num>{p['seed']}</td>"
                        f"<td colspan={4 if extra else 3}>"
                        f"not simulated: the estimate says it {_esc(p['estimate_verdict'])}"
                        f"</td><td class=num>{_num(est)}</td></tr>")
    rows.append("</table>")
    return _page(f"SNAT sweep: {doc.get('scenario', '')}", meta, body + rows)


def _line_chart(doc: dict, metric: str) -> str:
    width, height, pad = 720, 300, 56
    path = doc["vary"][0]["path"]
    means = _mean_by_values(doc, metric)
    xs = [k[0] for k in means]
    if not all(isinstance(x, (int, float)) for x in xs):
        xs_pos = {x: i for i, x in enumerate(xs)}
    else:
        xs_pos = None
    est = _mean_by_values(doc, "ports_needed_p99") if metric in ("peak_used",) else None
    values = [v for v in means.values() if v is not None] + (
        [v for v in est.values() if v is not None] if est else [])
    top = max(values + [1])
    x_lo = 0 if xs_pos else min(xs)
    x_hi = (len(xs) - 1 or 1) if xs_pos else (max(xs) if max(xs) > min(xs) else min(xs) + 1)

    def pt(x, y) -> str:
        xv = xs_pos[x] if xs_pos else x
        px = pad + (width - pad - 16) * (xv - x_lo) / ((x_hi - x_lo) or 1)
        py = height - pad + 8 - (height - pad - 8) * (y / top)
        return f"{px:.1f},{py:.1f}"

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{_esc(metric)} by {_esc(path)}">',
           f'<line x1="{pad}" y1="{height - pad + 8}" x2="{width - 16}" y2="{height - pad + 8}" stroke="#9aa5b1"/>',
           f'<line x1="{pad}" y1="8" x2="{pad}" y2="{height - pad + 8}" stroke="#9aa5b1"/>',
           f'<text x="{pad - 6}" y="16" text-anchor="end">{_num(top)}</text>',
           f'<text x="{pad - 6}" y="{height - pad + 8}" text-anchor="end">0</text>',
           f'<text x="{(width + pad) / 2}" y="{height - 12}" text-anchor="middle">{_esc(path)}</text>',
           f'<text x="14" y="{(height - pad) / 2}" transform="rotate(-90 14 {(height - pad) / 2})" '
           f'text-anchor="middle">{_esc(metric)}</text>']
    for x in xs:
        xy = pt(x, 0).split(",")
        out.append(f'<text x="{xy[0]}" y="{height - pad + 22}" text-anchor="middle">{_num(x)}</text>')
    pts = [(k[0], v) for k, v in means.items() if v is not None]
    if pts:
        out.append(f'<polyline fill="none" stroke="{RED if metric == "failed_snat" else BLUE}" '
                   f'stroke-width="2" points="{" ".join(pt(x, y) for x, y in pts)}"/>')
        out += [f'<circle cx="{pt(x, y).split(",")[0]}" cy="{pt(x, y).split(",")[1]}" r="3" '
                f'fill="{RED if metric == "failed_snat" else BLUE}"/>' for x, y in pts]
    if est:
        ept = [(k[0], v) for k, v in est.items() if v is not None]
        out.append(f'<polyline fill="none" stroke="{GREY}" stroke-dasharray="5 4" stroke-width="2" '
                   f'points="{" ".join(pt(x, y) for x, y in ept)}"/>')
        out.append(f'<text x="{pad + 10}" y="24" fill="{GREY}">dashed: ports needed, p99 '
                   f'(estimate)</text>')
    out.append("</svg>")
    return "".join(out)


def _heatmap(doc: dict, metric: str) -> str:
    (vx, vy) = doc["vary"]
    means = _mean_by_values(doc, metric)
    cell_w, cell_h, left, top_pad = 56, 28, 110, 48
    # the title in two lines from the left edge, and the picture wide enough for them (at
    # most ~6.5 px per character of the 11 px font): one line used to run off a narrow grid
    titles = [f"{METRICS.get(metric, metric)}, mean over seeds",
              f"across: {vx['path']} · down: {vy['path']}"]
    width = max(left + cell_w * len(vx["values"]) + 20,
                int(16 + TEXT_PX_PER_CHAR * max(map(len, titles))))
    height = top_pad + cell_h * len(vy["values"]) + 50
    values = [v for v in means.values() if v is not None]
    hi = max(values + [1e-9])
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{_esc(metric)} heatmap">',
           f'<text x="8" y="16">{_esc(titles[0])}</text>',
           f'<text x="8" y="32">{_esc(titles[1])}</text>']
    for j, y in enumerate(vy["values"]):
        out.append(f'<text x="{left - 6}" y="{top_pad + j * cell_h + 18}" text-anchor="end">'
                   f'{_num(y)}</text>')
        for i, x in enumerate(vx["values"]):
            v = means.get((x, y))
            if v is None:
                fill, label = "#f3f6f9", "–"
            else:
                t = v / hi if hi else 0
                # white -> red for failures, white -> blue for other metrics
                r, g, b = ((255, int(255 - 180 * t), int(255 - 200 * t)) if metric == "failed_snat"
                           else (int(255 - 200 * t), int(255 - 130 * t), 255))
                fill, label = f"rgb({r},{g},{b})", _num(round(v, 2) if isinstance(v, float) else v)
            out.append(f'<rect x="{left + i * cell_w}" y="{top_pad + j * cell_h}" '
                       f'width="{cell_w - 2}" height="{cell_h - 2}" fill="{fill}"/>'
                       f'<text x="{left + i * cell_w + cell_w / 2 - 1}" '
                       f'y="{top_pad + j * cell_h + 18}" text-anchor="middle">{label}</text>')
    for i, x in enumerate(vx["values"]):
        out.append(f'<text x="{left + i * cell_w + cell_w / 2}" '
                   f'y="{top_pad + len(vy["values"]) * cell_h + 16}" text-anchor="middle">'
                   f'{_num(x)}</text>')
    out.append("</svg>")
    return "".join(out)
