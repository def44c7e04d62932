"""The self-contained HTML simulation report (diagram, per-VM table, SNAT charts, event log)
for sharing a finding with a colleague.

Charts (one per VM, public IP and NAT gateway with a series): used SNAT ports next to the
allocated ones on one scale - a VM using 8 ports does not look like one using 1,024 of 1,024 -
with failed flows per interval as bars, SNAT exhaustion shaded from ``snat_exhausted`` to
``snat_recovered``, and the edits of a watched run as numbered lines (E1, E2, ... in the event
table).  docs/reports.md describes the report files.

It takes the report *dict* of ``designer.sim.report`` (scenario-format.md section 2; the JSON
and CSV writers live there) and the diagram as ready-made SVG bytes.
"""
from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

from ..html_style import BASE_CSS
from ..model.io import atomic_write_text


# ------------------------------------------------------------------------------------ HTML

_CSS = BASE_CSS + """
.diagram svg{max-width:100%;height:auto;border:1px solid #e3e8ee}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:1em}
.chart{border:1px solid #e3e8ee;padding:.5em}.chart h3{font-size:.95em;margin:.1em 0 .3em}
.edit{color:#8250df;font-weight:600}.legend span{margin-right:1em}.legend i{display:inline-block;width:1em;height:.25em;vertical-align:middle;margin-right:.3em}
"""

_COLORS = {"used_ports": "#1f6feb", "allocated_ports": "#6e7781", "failed": "#d1242f"}
_LABELS = {"used_ports": "used SNAT ports", "allocated_ports": "allocated SNAT ports",
           "failed": "failed flows (SNAT) per interval"}
#: an allocation that grew this many times during the run, and beyond the peak use, is drawn
#: off scale so that the use stays readable (a VM that moved to a NAT gateway: 1,024 used of
#: 1,024, then of 64,512)
OFF_SCALE_RATIO = 8
_W, _H, _PAD_L, _PAD_R, _PAD_T, _PAD_B = 340, 170, 46, 10, 12, 36


def _numbers(series) -> list[float]:
    return [v for v in series or [] if isinstance(v, (int, float))]


def _nice(value: float) -> float:
    """A round number a little above ``value`` for an axis top (1,024 -> 1,200)."""
    value *= 1.08
    if value <= 1:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def exhaustion_spans(events: list[dict], matches) -> list[tuple[float, float | None]]:
    """(from, to) of each exhaustion whose event ``matches``; to is None while still open."""
    spans: list[list] = []
    open_keys: dict[tuple, int] = {}
    for e in events:
        key = (e.get("vm"), e.get("protocol"))
        if e.get("kind") == "snat_exhausted" and matches(e) and key not in open_keys:
            open_keys[key] = len(spans)
            spans.append([float(e["t"]), None])
        elif e.get("kind") == "snat_recovered" and key in open_keys:
            spans[open_keys.pop(key)][1] = float(e["t"])
    return [tuple(x) for x in spans]


def _chart_svg(title: str, times: list[float], metrics: dict[str, list[float]],
               spans: list[tuple[float, float | None]] = (), edits: list[tuple[int, float]] = (),
               duration: float | None = None) -> str:
    """One entity's chart (inline SVG, no script): used next to allocated ports on one scale,
    failed flows per interval as bars, exhaustion shaded red, edits as numbered lines."""
    x0, x1 = _PAD_L, _W - _PAD_R
    y0, y1 = _H - _PAD_B, _PAD_T
    used = _numbers(metrics.get("used_ports"))
    allocated = _numbers(metrics.get("allocated_ports"))
    failed = _numbers(metrics.get("failed"))
    peak_used = max(used + [0])
    top_alloc = max(allocated + [0])
    # the allocation grew during the run (a NAT gateway took over): keep the use readable
    low_alloc = min([a for a in allocated if a > 0] or [top_alloc])
    off_scale = top_alloc > OFF_SCALE_RATIO * low_alloc and \
        top_alloc > OFF_SCALE_RATIO * max(peak_used, 1)
    top = _nice(max(peak_used, low_alloc, 10) if off_scale else max(top_alloc, peak_used, 1))
    t_max = max([duration or 0] + [t for t in times if isinstance(t, (int, float))] + [1])

    def x(t: float) -> float:
        return x0 + (x1 - x0) * (t / t_max)

    def y(v: float) -> float:
        return y0 - (y0 - y1) * (min(v, top) / top)

    def polyline(series, color: str, dash: str = "", steps: bool = False) -> str:
        pairs = [(t, v) for t, v in zip(times, series) if isinstance(v, (int, float))]
        if steps:   # a level holds until the next sample shows another one
            held = []
            for k, (t, v) in enumerate(pairs):
                if k:
                    held.append((t, pairs[k - 1][1]))
                held.append((t, v))
            pairs = held
        points = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in pairs)
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        return (f'<polyline fill="none" stroke="{color}" stroke-width="2"{extra} '
                f'points="{points}"/>')

    parts = []
    for start, end in spans:                     # exhaustion: shaded while new flows fail
        right = x(end) if end is not None else x1
        parts.append(f'<rect x="{x(start):.1f}" y="{y1}" width="{max(right - x(start), 1.5):.1f}" '
                     f'height="{y0 - y1}" fill="#d1242f" fill-opacity="0.12"><title>SNAT '
                     f'exhausted from {start:g} s' + (f" to {end:g} s" if end is not None else "")
                     + '</title></rect>')
    if failed and max(failed) > 0:               # failures per interval, bars on their own scale
        most = max(failed)
        width = max((x1 - x0) / max(len(times), 1) * 0.6, 2)
        for t, v in zip(times, metrics["failed"]):
            if isinstance(v, (int, float)) and v > 0:
                h = (y0 - y1) * 0.3 * v / most
                parts.append(f'<rect x="{x(t) - width / 2:.1f}" y="{y0 - h:.1f}" '
                             f'width="{width:.1f}" height="{h:.1f}" fill="{_COLORS["failed"]}" '
                             f'fill-opacity="0.7"><title>{v:g} failed flows</title></rect>')
    if allocated:
        parts.append(polyline(metrics["allocated_ports"], _COLORS["allocated_ports"], "5 3",
                              steps=True))
        if off_scale:
            parts.append(f'<text x="{x1 - 2}" y="{y1 + 20}" text-anchor="end" font-size="9" '
                         f'fill="{_COLORS["allocated_ports"]}">allocated {top_alloc:,.0f} '
                         f'(off scale) ↑</text>')
    if used:
        parts.append(polyline(metrics["used_ports"], _COLORS["used_ports"]))
    for number, t in edits:                      # edits during a watched run
        parts.append(f'<line x1="{x(t):.1f}" y1="{y1}" x2="{x(t):.1f}" y2="{y0}" '
                     f'stroke="#8250df" stroke-dasharray="3 2"/><text x="{x(t) + 2:.1f}" '
                     f'y="{y1 + 9}" font-size="9" fill="#8250df">E{number}</text>')
    axis = (f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="#9aa5b1"/>'
            f'<line x1="{x0}" y1="{y1}" x2="{x0}" y2="{y0}" stroke="#9aa5b1"/>'
            f'<text x="{x0 - 4}" y="{y1 + 8}" text-anchor="end" font-size="10">{top:,.0f}</text>'
            f'<text x="{x0 - 4}" y="{y0}" text-anchor="end" font-size="10">0</text>'
            f'<text x="{x0}" y="{y0 + 14}" font-size="10">0</text>'
            f'<text x="{x1}" y="{y0 + 14}" text-anchor="end" font-size="10">{t_max:,.0f} s</text>')
    legend = []
    for name in ("used_ports", "allocated_ports", "failed"):
        if name not in metrics:
            continue
        label = _LABELS[name]
        if name == "allocated_ports" and off_scale:
            label += f" ({top_alloc:,.0f}: off scale)"
        elif name == "allocated_ports" and top_alloc:
            label += f" (up to {top_alloc:,.0f})"
        if name == "failed" and failed and max(failed) > 0:
            label += f" (max {max(failed):,.0f})"
        legend.append(f'<span><i style="background:{_COLORS[name]}"></i>{html.escape(label)}</span>')
    if spans:
        legend.append('<span><i style="background:#d1242f;opacity:.3"></i>SNAT exhausted</span>')
    return (f'<div class="chart"><h3>{html.escape(title)}</h3><svg xmlns="http://www.w3.org/2000/svg" '
            f'width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}" role="img" '
            f'aria-label="{html.escape(title)}">{axis}{"".join(parts)}</svg>'
            f'<div class="legend">{"".join(legend)}</div></div>')


def _charts(report: dict[str, Any]) -> list[str]:
    """A chart per VM, public IP and NAT gateway with a series."""
    series = report.get("series") or {}
    times = list(series.get("t") or [])
    events = sorted(report.get("events") or [], key=lambda e: e.get("t", 0))
    edits = [(i + 1, float(e["t"])) for i, e in enumerate(x for x in events
                                                          if x.get("kind") == "edit")]
    addresses = {pip_id: (entry or {}).get("address")
                 for pip_id, entry in (report.get("public_ips") or {}).items()}
    groups = (("vms", "VM", lambda node: lambda e: e.get("vm") == node),
              ("public_ips", "public IP", lambda node: lambda e: bool(addresses.get(node)) and
               addresses.get(node) in str(e.get("public_ip", "")).split(", ")),
              ("nat_gateways", "NAT gateway", lambda node: lambda e: e.get("via") == node))
    charts = []
    for group, word, matcher in groups:
        for node_id, metrics in sorted((series.get(group) or {}).items()):
            if not isinstance(metrics, dict):
                continue
            lists = {k: v for k, v in metrics.items() if isinstance(v, list)}
            if not lists:
                continue
            charts.append(_chart_svg(f"{node_id} ({word})", times, lists,
                                     exhaustion_spans(events, matcher(node_id)), edits,
                                     report.get("duration_s")))
    return charts


def report_html(report: dict[str, Any], diagram_svg: bytes | None = None) -> str:
    esc = html.escape
    title = f"SNAT report: {report.get('scenario', 'scenario')}"
    out = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
           f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
           f"<h1>{esc(title)}</h1>",
           f"<p class=\"meta\">semantics {esc(str(report.get('semantics')))} · seed "
           f"{esc(str(report.get('seed')))} · {esc(str(report.get('duration_s')))} simulated "
           f"seconds · sampled every {esc(str(report.get('sample_s')))} s</p>"]
    if report.get("watched"):
        edits = sum(1 for e in report.get("events") or [] if e.get("kind") == "edit")
        out.append(f"<p class=meta>The run as watched in the editor, exported after "
                   f"{esc(str(report.get('duration_s')))} simulated seconds, with {edits} "
                   f"edit{'' if edits == 1 else 's'} made during it.</p>")
    if diagram_svg:
        svg = diagram_svg.decode("utf-8")
        svg = svg[svg.find("<svg"):]  # drop the XML declaration: inline SVG in HTML
        out.append(f"<h2>Diagram</h2><div class=\"diagram\">{svg}</div>")

    out.append("<h2>Virtual machines</h2><table><tr><th>VM</th><th>outbound</th><th>public IP</th>"
               "<th>SNAT ports allocated</th><th>peak used</th><th>attempted</th><th>succeeded</th>"
               "<th>failed (SNAT)</th><th>denied (NSG)</th><th>no route</th><th>probe</th>"
               "<th>why</th></tr>")
    for vm_id, vm in sorted((report.get("vms") or {}).items()):
        flows = vm.get("flows", {})
        failed = flows.get("failed_snat", 0)
        public_ip = vm.get("public_ip")
        if isinstance(public_ip, list):
            public_ip = ", ".join(map(str, public_ip))
        out.append(
            f"<tr><td>{esc(vm_id)}</td><td>{esc(str(vm.get('outbound', '')))}</td>"
            f"<td>{esc(str(public_ip or ''))}</td>"
            f"<td class=num>{esc(str(vm.get('snat_ports_allocated', '')))}</td>"
            f"<td class=num>{esc(str(vm.get('snat_ports_used_peak', '')))}</td>"
            f"<td class=num>{flows.get('attempted', 0)}</td><td class=num>{flows.get('succeeded', 0)}</td>"
            f"<td class=\"num{' bad' if failed else ''}\">{failed}</td>"
            f"<td class=num>{flows.get('denied_nsg', 0)}</td><td class=num>{flows.get('no_route', 0)}</td>"
            f"<td>{esc(str(vm.get('probe') or '—'))}</td><td>{esc(str(vm.get('reason', '')))}</td></tr>")
    out.append("</table>")

    charts = _charts(report)
    if charts:
        out.append("<h2>SNAT ports over time</h2><p class=meta>Used next to allocated ports on "
                   "one scale; red bars: flows that failed for want of a SNAT port in each "
                   "interval; shaded: SNAT exhaustion (new flows fail); E1, E2…: edits made "
                   "during the run.</p><div class=\"charts\">" + "".join(charts) + "</div>")

    events = report.get("events") or []
    out.append(f"<h2>Events ({len(events)})</h2>")
    if events:
        out.append("<table><tr><th>t (s)</th><th>event</th><th>details</th></tr>")
        edit_number = 0
        for event in events:
            kind = str(event.get("kind", ""))
            if kind == "edit":
                edit_number += 1
                details = f"E{edit_number}: {event.get('what', '')}" + (
                    f" ({', '.join(map(str, event.get('nodes') or []))})"
                    if event.get("nodes") else "")
            else:
                details = ", ".join(f"{k}={v}" for k, v in sorted(event.items())
                                    if k not in ("t", "kind"))
            css = " class=bad" if kind in ("snat_exhausted", "flows_failing", "probe_down",
                                           "nsg_denied", "no_route") \
                else " class=edit" if kind == "edit" else ""
            out.append(f"<tr><td class=num>{esc(str(event.get('t', '')))}</td><td{css}>{esc(kind)}"
                       f"</td><td>{esc(details)}</td></tr>")
        out.append("</table>")
    else:
        out.append("<p class=ok>No events: nothing ran out, nothing went down.</p>")

    findings = report.get("findings") or []
    if findings:
        out.append("<h2>Validation findings</h2><ul>")
        for finding in findings:
            out.append(f"<li>{esc(str(finding.get('severity', '')))}: "
                       f"{esc(str(finding.get('message', '')))} "
                       f"<code>{esc(str(finding.get('code', '')))}</code></li>")
        out.append("</ul>")
    out.append("<p class=meta>Made with Outbound Designer.</p></body></html>\n")
    return "\n".join(out)


def write_html(report: dict[str, Any], path: str | os.PathLike,
               diagram_svg: bytes | None = None) -> None:
    atomic_write_text(Path(path), report_html(report, diagram_svg))
