"""The self-contained HTML simulation report (diagram, per-VM table, SNAT charts, event log)
for sharing a finding with a colleague.

It takes the report *dict* of ``designer.sim.report`` (scenario-format.md section 2; the JSON
and CSV writers live there) and the diagram as ready-made SVG bytes.
"""
from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

from ..model.io import atomic_write_text


# ------------------------------------------------------------------------------------ HTML

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;
max-width:1100px;color:#1b2430;padding:0 1em}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.8em;border-bottom:1px solid #d8dee6}
.meta{color:#5a6675}table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{padding:.3em .6em;border-bottom:1px solid #e3e8ee;text-align:left;vertical-align:top}
th{background:#f3f6f9}td.num{text-align:right;font-variant-numeric:tabular-nums}
.bad{color:#b3261e;font-weight:600}.ok{color:#1e7d32}.diagram svg{max-width:100%;height:auto;
border:1px solid #e3e8ee}.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:1em}
.chart{border:1px solid #e3e8ee;padding:.5em}.chart h3{font-size:.95em;margin:.1em 0 .3em}
.legend span{margin-right:1em}.legend i{display:inline-block;width:1em;height:.25em;vertical-align:middle;margin-right:.3em}
"""

_COLORS = {"used_ports": "#1f6feb", "allocated_ports": "#8a96a3", "failed": "#d1242f"}


def _chart_svg(title: str, times: list[float], metrics: dict[str, list[float]]) -> str:
    """A small line chart (inline SVG, no script) of one entity's series."""
    width, height, pad = 320, 150, 30
    values = [v for series in metrics.values() for v in series if isinstance(v, (int, float))]
    top = max(values + [1])
    t_max = max(times + [1])

    def xy(t: float, v: float) -> str:
        x = pad + (width - pad - 8) * (t / t_max)
        y = height - pad + 6 - (height - pad - 4) * (v / top)
        return f"{x:.1f},{y:.1f}"

    lines = []
    for name, series in sorted(metrics.items()):
        if not series:
            continue
        points = " ".join(xy(t, v) for t, v in zip(times, series) if isinstance(v, (int, float)))
        color = _COLORS.get(name, "#6e40c9")
        lines.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{points}"/>')
    legend = "".join(f'<span><i style="background:{_COLORS.get(n, "#6e40c9")}"></i>'
                     f'{html.escape(n.replace("_", " "))}</span>' for n in sorted(metrics))
    axis = (f'<line x1="{pad}" y1="{height - pad + 6}" x2="{width - 8}" y2="{height - pad + 6}" '
            f'stroke="#9aa5b1"/><line x1="{pad}" y1="4" x2="{pad}" y2="{height - pad + 6}" '
            f'stroke="#9aa5b1"/><text x="{pad - 4}" y="12" text-anchor="end" font-size="10">'
            f'{top:g}</text><text x="{width - 8}" y="{height - 8}" text-anchor="end" '
            f'font-size="10">{t_max:g} s</text>')
    return (f'<div class="chart"><h3>{html.escape(title)}</h3><svg xmlns="http://www.w3.org/2000/svg" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{html.escape(title)}">{axis}{"".join(lines)}</svg>'
            f'<div class="legend">{legend}</div></div>')


def report_html(report: dict[str, Any], diagram_svg: bytes | None = None) -> str:
    esc = html.escape
    title = f"SNAT report: {report.get('scenario', 'scenario')}"
    out = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
           f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
           f"<h1>{esc(title)}</h1>",
           f"<p class=\"meta\">semantics {esc(str(report.get('semantics')))} · seed "
           f"{esc(str(report.get('seed')))} · {esc(str(report.get('duration_s')))} simulated "
           f"seconds · sampled every {esc(str(report.get('sample_s')))} s</p>"]
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

    series = report.get("series") or {}
    times = list(series.get("t") or [])
    charts = []
    for group in sorted(k for k in series if k != "t"):
        for entity_id, metrics in sorted((series.get(group) or {}).items()):
            if isinstance(metrics, dict) and any(isinstance(v, list) for v in metrics.values()):
                charts.append(_chart_svg(f"{entity_id} ({group})", times,
                                         {k: v for k, v in metrics.items() if isinstance(v, list)}))
    if charts:
        out.append("<h2>SNAT ports over time</h2><div class=\"charts\">" + "".join(charts) + "</div>")

    events = report.get("events") or []
    out.append(f"<h2>Events ({len(events)})</h2>")
    if events:
        out.append("<table><tr><th>t (s)</th><th>event</th><th>details</th></tr>")
        for event in events:
            details = ", ".join(f"{k}={v}" for k, v in sorted(event.items()) if k not in ("t", "kind"))
            kind = str(event.get("kind", ""))
            css = " class=bad" if kind in ("snat_exhausted", "flows_failing", "probe_down") else ""
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
