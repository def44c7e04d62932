"""The HTML report: one self-contained file with the diagram, per-VM table, charts and events."""
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
