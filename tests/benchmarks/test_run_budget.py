"""The run-cost estimate against the real peak memory, and the editor's Play at 900 VMs.

Run with ``pytest tests/benchmarks/test_run_budget.py -s``.  Each workload runs ``simulate``'s
code in a fresh process that prints its own peak RSS; the table gives the estimate of
``designer.sim.budget`` beside it (the ratio should stay between about 0.5 and 2: the
estimate is for refusing runs that cannot fit, not an accounting).  Re-run after an engine
change and update ``budget.MemoryModel``.  The editor part prints how long Play takes to
return at 900 VMs (target: under 100 ms, the engine being built in the worker), how long
until the first frame, and the memory after repeated Play/Stop cycles (it must not grow).
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.benchmark

ROOT = Path(__file__).resolve().parents[2]


def scenario(tmp_path: Path, name: str, *, vms: int, rate: float, semantics="classic",
             nat: bool = False, close: str = "fin", nat_ips: int = 1,
             destinations: int = 1) -> Path:
    nodes = [{"id": f"vm-{i}", "kind": "vm"} for i in range(vms)]
    nodes += [{"id": f"api-{d}", "kind": "endpoint", "address": f"20.0.{d // 250}.{d % 250 + 1}",
               "port": 443} for d in range(destinations)]
    links = []
    if rate:
        nodes.append({"id": "gen", "kind": "traffic_generator", "rate_per_s": rate,
                      "close": close})
        links += [{"from": "gen", "to": f"api-{d}"} for d in range(destinations)]
        links += [{"from": "gen", "to": f"vm-{i}"} for i in range(vms)]
    if nat:
        nodes += [{"id": "sub", "kind": "subnet", "prefix": "10.0.0.0/16"},
                  {"id": "nat", "kind": "nat_gateway"}]
        nodes += [{"id": f"nip-{k}", "kind": "public_ip", "sku": "standard"}
                  for k in range(nat_ips)]
        links += [{"from": f"vm-{i}", "to": "sub"} for i in range(vms)]
        links += [{"from": "nat", "to": "sub", "kind": "nat"}]
        links += [{"from": "nat", "to": f"nip-{k}", "kind": "nat"} for k in range(nat_ips)]
    path = tmp_path / f"{name}.outbound.json"
    path.write_text(json.dumps({"format": "outbound-designer", "version": 1, "name": name,
                                "semantics": semantics, "nodes": nodes, "links": links}))
    return path


CHILD = textwrap.dedent("""
    import json, resource, sys, time
    from designer.model import load_scenario
    from designer.sim import budget
    from designer.sim.report import simulate
    path, duration, sample = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    scenario = load_scenario(path)
    cost = budget.estimate(scenario.snapshot(), duration, sample)
    start = time.process_time()
    simulate(scenario, duration=duration, sample_s=sample)
    cpu = time.process_time() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"estimate": cost.memory_bytes, "peak": peak, "cpu": cpu,
                      "cpu_estimate": cost.cpu_seconds, "largest": cost.largest()}))
""")


def measure(path: Path, duration: float, sample: float = 60.0) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), str(duration), str(sample)],
                         cwd=ROOT, capture_output=True, text=True, timeout=900, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_estimate_against_the_real_peak(tmp_path):
    modern_nat = {"semantics": "modern", "nat": True}
    cases = [
        ("1 idle VM (the program itself)", scenario(tmp_path, "one", vms=1, rate=0), 5.0, 60.0),
        ("1,000 idle VMs, default SNAT (addresses)",
         scenario(tmp_path, "idle", vms=1000, rate=0), 5.0, 60.0),
        ("4,000 idle VMs behind a NAT gateway (VMs)",
         scenario(tmp_path, "natidle", vms=4000, rate=0, **modern_nat), 5.0, 60.0),
        ("1 VM, 1e7 flows in 100 s, Basic (flows: not held)",
         scenario(tmp_path, "flood", vms=1, rate=100_000), 100.0, 60.0),
        ("5 VMs, NAT 16 IPs, 50 dests, 2,000/s FIN, 300 s (live flows)",
         scenario(tmp_path, "live", vms=5, rate=2000, nat_ips=16, destinations=50,
                  close="fin", **modern_nat), 300.0, 60.0),
        ("200 VMs, NAT 2 IPs, 50 dests, 50/s RST, 600 s",
         scenario(tmp_path, "nat200", vms=200, rate=50, nat_ips=2, destinations=50,
                  close="rst", **modern_nat), 600.0, 60.0),
        ("500 idle VMs, 8,640 samples (series)",
         scenario(tmp_path, "series", vms=500, rate=0), 86_400.0, 10.0),
    ]
    print(f"\nload: {os.getloadavg()}")
    print(f"{'workload':64} {'estimate':>10} {'peak':>10} {'ratio':>6} {'cpu est':>8} "
          f"{'cpu':>6}")
    for label, path, duration, sample in cases:
        r = measure(path, duration, sample)
        print(f"{label:64} {r['estimate'] / 1e6:9.0f}M {r['peak'] / 1e6:9.0f}M "
              f"{r['estimate'] / r['peak']:6.2f} {r['cpu_estimate']:7.1f}s {r['cpu']:5.1f}s")


def test_play_at_900_vms_answers_at_once_and_stop_frees_the_run(qapp, monkeypatch):
    from PySide6.QtCore import QStandardPaths
    from PySide6.QtWidgets import QMessageBox

    from designer.model import Link, Scenario, make_component
    from designer.resources import demo_path
    from designer.ui.app import configure_application
    from designer.ui.document import Document
    from designer.ui.live import runner
    from designer.ui.main_window import MainWindow
    QStandardPaths.setTestModeEnabled(True)
    configure_application(qapp)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Discard)
    s = Scenario(name="900")
    s.topology.add_node(make_component("endpoint", "api", address="20.0.0.1", port=443,
                                       position=(0.0, -300.0)))
    s.topology.add_node(make_component("traffic_generator", "gen", rate_per_s=1.0,
                                       position=(0.0, -500.0)))
    s.topology.connect(Link("gen", "api", "destination"))
    for i in range(900):
        s.topology.add_node(make_component("vm", f"vm-{i}",
                                           position=((i % 30) * 120.0, (i // 30) * 120.0)))
        s.topology.connect(Link("gen", f"vm-{i}", "source"))
    window = MainWindow()
    window.show()
    window.set_document(Document(s))
    qapp.processEvents()
    live = window.live
    start = time.perf_counter()
    live.play()
    returned = time.perf_counter() - start
    while live.frame is None and time.perf_counter() - start < 120:
        qapp.processEvents()
        time.sleep(0.005)
    first_frame = time.perf_counter() - start
    live.reset()
    while runner.retired_count():
        qapp.processEvents()
        time.sleep(0.01)
    print(f"\nload: {os.getloadavg()}")
    print(f"900 VMs: Play returned in {returned * 1000:.0f} ms (target < 100 ms); first frame "
          f"after {first_frame:.1f} s (the engine built in the worker)")
    window.open_example(demo_path())
    live.set_speed(None)
    rss = []
    for cycle in range(10):
        live.play()
        while live.frame is None or live.frame.t < 30:
            qapp.processEvents()
            time.sleep(0.002)
        live.reset()
        while runner.retired_count():
            qapp.processEvents()
            time.sleep(0.002)
        qapp.processEvents()
        rss.append(_rss_mb())
    print(f"demo, RSS after each of 10 Play/Stop cycles (MB): {[round(r) for r in rss]}; "
          f"growth over the last 5: {rss[-1] - rss[4]:+.1f} MB")
    window.close()
    assert returned < 1.0


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
