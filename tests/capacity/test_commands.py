"""The ``fixes`` and ``sweep`` commands: their JSON contract (scenario-format.md section 4),
CSV and HTML files, one-line errors, and the in-process fallback without dask."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from designer.cli import main
from designer.resources import demo_path

ROOT = Path(__file__).resolve().parents[2]


def test_sweep_json_csv_and_html(tmp_path, capsys):
    out, csv_path, page = tmp_path / "s.json", tmp_path / "s.csv", tmp_path / "s.html"
    code = main(["sweep", str(demo_path()), "--duration", "120", "--workers", "0",
                 "--vary", "flood.rate_per_s=4,12", "--vary", "nat.public_ips=1..2",
                 "--out", str(out), "--csv", str(csv_path), "--html", str(page),
                 "--no-progress", "--metric", "peak_used"])
    assert code == 0
    doc = json.loads(out.read_text())
    assert doc["format"] == "outbound-designer-sweep" and doc["version"] == 1
    assert doc["vary"] == [{"path": "flood.rate_per_s", "values": [4, 12]},
                           {"path": "nat.public_ips", "values": [1, 2]}]
    point = doc["points"][0]
    assert set(point) >= {"values", "seed", "totals", "vms", "estimate"}
    assert set(point["totals"]) == {"attempted", "succeeded", "failed_snat", "denied_nsg",
                                    "no_route"}
    assert set(point["vms"]["web-1"]) == {"snat_ports_used_peak", "snat_ports_allocated",
                                          "failed_snat"}
    assert point["estimate"]["web-1"]["ports_needed_p99"] > 0
    rows = csv_path.read_text().splitlines()
    assert rows[0].startswith("flood.rate_per_s,nat.public_ips,seed,attempted")
    assert len(rows) == 1 + 4
    html = page.read_text()
    assert "<svg" in html and "heatmap" in html and "http" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert "flood.rate_per_s" in capsys.readouterr().out


def test_sweep_line_chart_for_one_field(tmp_path):
    page = tmp_path / "s.html"
    assert main(["sweep", str(demo_path()), "--duration", "60", "--workers", "0",
                 "--vary", "flood.rate_per_s=1:3:1", "--html", str(page), "--no-progress"]) == 0
    assert "<polyline" in page.read_text()


def test_fixes_json_shape(tmp_path, capsys):
    out = tmp_path / "f.json"
    code = main(["fixes", str(demo_path()), "--duration", "200", "--workers", "0",
                 "--kinds", "nat_gateway,instance_ip", "--no-headroom", "--out", str(out),
                 "--html", str(tmp_path / "f.html"), "--no-progress"])
    assert code == 0
    doc = json.loads(out.read_text())
    assert doc["format"] == "outbound-designer-fixes" and doc["seeds"] == [42]
    keys = {"kind", "setting", "failed_snat", "peak_used", "allocated", "headroom_rate",
            "public_ips", "azure_change", "scenario"}
    for variant in doc["variants"]:
        assert keys <= set(variant)
        assert variant["scenario"]["format"] == "outbound-designer"
    assert [v["kind"] for v in doc["variants"]] == ["original", "nat_gateway", "instance_ip"]
    text = capsys.readouterr().out
    assert "attach a NAT gateway with 1 Standard public IP to subnet web" in text
    assert "smallest fix that holds" in text
    assert "<table>" in (tmp_path / "f.html").read_text()


def test_errors_are_one_line(tmp_path, capsys):
    assert main(["sweep", str(demo_path()), "--vary", "flood.speed=1,2", "--workers", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has no field 'speed'" in err
    assert main(["fixes", str(demo_path()), "--kinds", "magic"]) == 2
    assert "unknown kind 'magic'" in capsys.readouterr().err
    assert main(["fixes", str(demo_path()), "--seeds", "0"]) == 2
    assert main(["sweep", str(demo_path()), "--vary", "flood.rate_per_s=1",
                 "--out", str(tmp_path / "no" / "x.json")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_without_dask_runs_in_process_and_says_so_once(tmp_path):
    """dask.distributed made unimportable: the command still works, one run after another,
    and one line on stderr says so."""
    code = textwrap.dedent("""
        import importlib.abc, sys, runpy
        class Blocker(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.partition(".")[0] in ("distributed", "dask"):
                    raise ImportError(f"{name} is blocked for this test")
        sys.meta_path.insert(0, Blocker())
        runpy.run_module("designer", run_name="__main__", alter_sys=True)
    """)
    result = subprocess.run(
        [sys.executable, "-c", code, "sweep", str(demo_path()), "--duration", "60",
         "--vary", "flood.rate_per_s=1,2", "--seeds", "2", "--json", "--no-progress"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("dask.distributed is not installed") == 1
    assert len(json.loads(result.stdout)["points"]) == 4


def test_sweep_heatmap_is_wide_enough_for_its_titles_and_the_table_says_each_figure_once():
    """A grid of two varied fields with long paths: the title used to be one line starting
    at the grid's left edge and ran off a narrow picture; the table repeated failed_snat."""
    import re
    from designer.capacity.html import TEXT_PX_PER_CHAR, sweep_html
    points = [{"values": {"web-frontend-flood.rate_per_s": x, "egress-nat.public_ips": y},
               "seed": 1, "totals": {"attempted": 10, "succeeded": 10 - x, "failed_snat": x,
                                     "denied_nsg": 0, "no_route": 0},
               "vms": {"v": {"snat_ports_used_peak": 5, "snat_ports_allocated": 8,
                             "failed_snat": x}},
               "estimate": {"v": {"ports_needed_p99": 6}}}
              for x in (1, 2) for y in (1, 2)]
    doc = {"scenario": "s", "semantics": "modern", "duration_s": 60, "seeds": [1],
           "metric": "failed_snat", "points": points,
           "vary": [{"path": "web-frontend-flood.rate_per_s", "values": [1, 2]},
                    {"path": "egress-nat.public_ips", "values": [1, 2]}]}
    page = sweep_html(doc)
    svg = re.search(r"<svg[^>]*width=\"(\d+)\".*?</svg>", page, re.S)
    width = int(svg.group(1))
    for x, text in re.findall(r'<text x="([\d.]+)" y="[\d.]+">([^<]*)</text>', svg.group(0)):
        assert float(x) + TEXT_PX_PER_CHAR * len(text) <= width, text
    header = re.search(r"<h2>Points</h2><table><tr>(.*?)</tr>", page).group(1)
    assert header.count("failed") == 1


def test_small_work_runs_in_process_unless_workers_are_asked_for():
    """A comparison or sweep expected to take less computing than a local cluster takes to
    start runs here, one after another; --workers N (or a scheduler) still gets the cluster."""
    from designer.capacity import execute
    from designer.model import load_scenario
    demo = load_scenario(demo_path())
    small = execute.expected_cpu_s(demo, 60.0, 60.0, runs=4)
    assert 0 < small < execute.LOCAL_CLUSTER_MIN_CPU_S
    big = execute.expected_cpu_s(demo, 86_400.0, 60.0, runs=32)
    assert big > execute.LOCAL_CLUSTER_MIN_CPU_S
    executor = execute.open_executor(None, None, None, small)
    assert isinstance(executor, execute.SerialExecutor)
    assert "less than a local cluster takes to start" in executor.description
    assert execute.SerialExecutor.description == "this process, one run after another"
    if execute.dask_available():
        asked = execute.open_executor(None, 1, None, small)
        try:
            assert isinstance(asked, execute.DaskExecutor)
        finally:
            asked.close()
