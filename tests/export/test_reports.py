"""The HTML report: one self-contained file with the diagram, per-VM table, charts and events."""
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from designer.export.reports import report_html
from designer.model import load_scenario
from designer.resources import demo_path
from designer.sim.report import simulate


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.external = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        for key in ("src", "href"):
            if attrs.get(key) and not attrs[key].startswith(("#", "data:")):
                self.external.append(attrs[key])


def test_html_report_is_self_contained_with_table_charts_and_events():
    report = simulate(load_scenario(demo_path()), duration=300, source="demo.outbound.json")
    page = report_html(report, diagram_svg=b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><text>web-1</text></svg>')
    parser = _Collector()
    parser.feed(page)
    assert parser.external == []                      # nothing to fetch: one file
    assert parser.tags.count("svg") >= 2              # the diagram and at least one chart
    assert "<?xml" not in page                        # inline SVG without its declaration
    for vm in report["vms"]:
        assert f"<td>{vm}</td>" in page
    assert "snat_exhausted" in page                   # web-1 runs out in the demo


def test_simulate_writes_html_csv_and_json(tmp_path):
    html, csv, out = tmp_path / "r.html", tmp_path / "r.csv", tmp_path / "r.json"
    done = subprocess.run([sys.executable, "-m", "designer", "simulate", str(demo_path()),
                           "--duration", "240", "--html", str(html), "--csv", str(csv),
                           "--out", str(out)], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    page = html.read_text()
    start = page.index('<div class="diagram">') + len('<div class="diagram">')
    svg = page[start:page.index("</svg>", start) + len("</svg>")]
    ET.fromstring(svg)                                # the embedded diagram is well-formed SVG
    rows = csv.read_text().splitlines()
    assert rows[0].startswith("t,") and len(rows) == 1 + 5   # samples at 0, 60, ..., 240
    assert out.read_text().startswith("{")


def test_html_charts_draw_allocated_next_to_used_and_mark_exhaustion_and_edits():
    report = {
        "scenario": "x", "semantics": "modern", "seed": 1, "duration_s": 240, "sample_s": 60,
        "watched": True, "vms": {},
        "public_ips": {"lb-ip": {"address": "52.0.0.10"}},
        "series": {"t": [0, 60, 120, 180, 240],
                   "vms": {"busy": {"used_ports": [0, 1024, 1024, 700, 10],
                                    "allocated_ports": [1024, 1024, 1024, 64512, 64512],
                                    "failed": [0, 40, 90, 0, 0]},
                           "idle": {"used_ports": [0, 8, 8, 8, 8],
                                    "allocated_ports": [1024] * 5, "failed": [0] * 5}},
                   "public_ips": {"lb-ip": {"used_ports": [0, 1032, 1032, 0, 0],
                                            "allocated_ports": [2048] * 5}},
                   "nat_gateways": {"nat": {"used_ports": [0, 0, 0, 700, 10],
                                            "allocated_ports": [0, 0, 0, 64512, 64512]}}},
        "events": [{"t": 51.5, "kind": "snat_exhausted", "vm": "busy", "protocol": "tcp",
                    "public_ip": "52.0.0.10", "via": "lb"},
                   {"t": 150.0, "kind": "edit", "what": "Add NAT gateway", "nodes": ["nat"]},
                   {"t": 150.0, "kind": "snat_recovered", "vm": "busy", "protocol": "tcp"}],
        "findings": [],
    }
    page = report_html(report)
    charts = {title: body for title, body in
              re.findall(r'<div class="chart"><h3>(.*?)</h3>(.*?)</div></div>', page, re.S)}
    assert set(charts) == {"busy (VM)", "idle (VM)", "lb-ip (public IP)", "nat (NAT gateway)"}
    busy, idle = charts["busy (VM)"], charts["idle (VM)"]
    # allocated next to used, on one scale: 8 of 1,024 is drawn near the bottom
    assert busy.count("<polyline") == 2 and 'stroke-dasharray="5 3"' in busy
    ys = [float(p.split(",")[1]) for p in
          re.search(r'stroke="#1f6feb" stroke-width="2" points="([^"]+)"', idle).group(1).split()]
    assert max(ys) - min(ys) < 5           # 8 ports of 1,024: a flat line at the bottom
    # the allocation that grew to a NAT gateway's 64,512 is drawn off scale, the use readable
    assert "allocated 64,512 (off scale)" in busy
    # exhaustion shaded from 51.5 s to the recovery, failures as bars, the edit numbered
    assert "SNAT exhausted from 51.5 s to 150 s" in busy
    assert "90 failed flows" in busy
    assert ">E1</text>" in busy and ">E1</text>" in charts["nat (NAT gateway)"]
    # the frontend IP that logged the exhaustion is shaded too (Azure logs it per frontend)
    assert "SNAT exhausted from 51.5 s" in charts["lb-ip (public IP)"]
    assert "SNAT exhausted" not in idle
    assert "E1: Add NAT gateway (nat)" in page and "The run as watched" in page


def test_csv_has_allocated_ports_and_public_ip_and_nat_gateway_columns():
    from designer.sim.report import series_csv
    report = simulate(load_scenario(demo_path()), duration=120, source="demo.outbound.json")
    rows = [line.split(",") for line in series_csv(report).splitlines()]
    header = rows[0]
    # the original columns first (scripts read them by position), then the new ones
    assert header[:3] == ["t", "app-1.used_ports", "app-1.failed"]
    for column in ("web-1.allocated_ports", "lb-ip.used_ports", "lb-ip.allocated_ports",
                   "nat-ip.used_ports", "nat.used_ports", "nat.allocated_ports"):
        assert column in header, column
    last = dict(zip(header, rows[-1]))
    assert last["web-1.allocated_ports"] == "1024" and last["nat.allocated_ports"] == "64512"
    assert int(last["lb-ip.used_ports"]) >= int(last["web-1.used_ports"])
