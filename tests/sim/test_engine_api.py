"""Engine shape: step/run/now, frames, samples, pacer, snapshots; the CLI; no Qt."""
import json
import pytest

from designer.cli import main
from designer.model import save_scenario
from designer.sim import Engine, Pacer, simulate
from designer.sim.engine import SAMPLE_LIMIT, SliceSizer, run_sliced

from .helpers import Builder, Hold


def web(rate=20.0, **gen):
    b = Builder("classic", seed=7)
    b.vms(2)
    b.pip("lb-ip", "52.0.0.10")
    b.lb("lb", ["vm-1"], ["lb-ip"])
    b.endpoint("api", "20.50.1.4")
    b.gen("gen", ["vm-1", "vm-2"], ["api"], rate_per_s=rate, stop_s=600, **gen)
    return b


def test_step_run_now():
    e = web().engine()
    assert e.now == 0
    t1 = e.step()
    t2 = e.step()
    assert 0 <= t1 <= t2 == e.now
    e.run(100)
    assert e.now == 100
    with pytest.raises(ValueError):
        e.run(50)


def test_frame_counters_events_and_bounded_samples():
    e = web(rate=2000, hold=Hold("fixed", 1000.0)).engine()
    e.run(2)
    f = e.frame()
    assert f.t == 2
    c = f.vms["vm-1"]
    assert c.attempted == c.succeeded + c.failed_snat + c.denied_nsg + c.no_route
    assert f.generators["gen"].attempted == f.vms["vm-1"].attempted + f.vms["vm-2"].attempted
    assert len(f.samples) == SAMPLE_LIMIT and f.samples_dropped > 0
    fail = next(s for s in f.samples if s.outcome == "failed_snat" and s.vm == "vm-1")
    assert fail.failed_at == "lb-ip" and fail.nodes == ("vm-1", "lb", "lb-ip", "api")
    assert any(ev["kind"] == "snat_exhausted" for ev in f.events)
    m = f.azure_metrics()["vm-1"]
    assert m["AllocatedSnatPorts"]["tcp"] == 1024 and m["UsedSnatPorts"]["tcp"] == 1024
    assert m["SnatConnectionCount"] == {"Successful": c.succeeded, "Failed": c.failed_snat}
    f2 = e.frame()
    assert f2.events == () and f2.samples == ()          # only what is new
    with pytest.raises(TypeError):
        f2.vms["vm-1"] = None                            # immutable


def test_failure_samples_name_the_node_where_it_failed():
    b = web()
    b.subnet("sn", "10.0.1.0/24", vms=["vm-2"], default_route="virtual_appliance")
    e = b.engine()
    e.run(5)
    f = e.frame()
    no_route = [s for s in f.samples if s.outcome == "no_route"]
    assert no_route and no_route[0].failed_at == "vm-2"


def test_same_seed_same_report_and_other_seed_differs():
    b = web()
    a = json.dumps(simulate(b.scenario, duration=300), sort_keys=True)
    assert a == json.dumps(simulate(b.scenario, duration=300), sort_keys=True)
    assert a != json.dumps(simulate(b.scenario, duration=300, seed=99), sort_keys=True)


def test_snapshot_mid_run_adds_generator_and_applies_at_next_step():
    b = web()
    e = b.engine()
    e.run(10)
    b.endpoint("other", "20.9.9.9")
    b.gen("gen-2", ["vm-2"], ["other"], rate_per_s=50, stop_s=600)
    e.set_snapshot(b.snapshot())
    assert "gen-2" not in e.frame().generators           # not before the next step
    e.run(20)
    assert e.frame().generators["gen-2"].attempted > 100
    # removing a VM ends its flows and releases their ports
    b.t.remove_node("vm-2")
    e.set_snapshot(b.snapshot())
    e.run(21)
    assert all(m[0] != "default:vm:vm-2" for m in e.live_mappings())
    alloc, released, live = e.port_accounting()
    assert alloc == released + live


def test_pacer_follows_the_clock_at_a_speed_factor():
    now = [0.0]
    e = web().engine()
    pacer = Pacer(e, speed=10.0, clock=lambda: now[0])
    now[0] = 2.0
    while not pacer.tick():
        pass
    assert e.now == pytest.approx(20.0)
    pacer.speed = 1000.0
    now[0] = 2.5
    while not pacer.tick():
        pass
    assert e.now == pytest.approx(520.0)
    pacer.pause()
    now[0] = 10.0
    assert pacer.tick() and e.now == pytest.approx(520.0)
    pacer.resume()
    unlimited = Pacer(e, speed=None, first_events=100)
    before = e.now
    unlimited.tick(limit=600)
    assert e.now > before


class SteppedClock:
    """A wall clock that moves ``per_event`` seconds for every event the engine processed."""

    def __init__(self, engine, per_event):
        self.engine, self.per_event, self.events = engine, per_event, 0
        original = engine.run

        def run(until, max_events=None):
            now = original(until, max_events)
            self.events += max_events if engine.last_run_cut else 1
            return now
        engine.run = run

    def __call__(self):
        return self.events * self.per_event


def test_slices_are_sized_by_wall_time_whatever_the_kernel_speed():
    # a fast kernel (1 us an event) grows 2 ms slices towards 2,000 events, a slow one
    # (50 us, interpreted) shrinks them towards 40: a stop flag is seen within milliseconds
    for per_event, expected in ((1e-6, 2_000), (50e-6, 40)):
        e = web(rate=5000).engine()
        sizer = SliceSizer(0.002, 500, clock=SteppedClock(e, per_event))
        for _ in range(20):
            sizer.run(e, 600.0)
        assert sizer.events == pytest.approx(expected, rel=0.05)
    # a slice that reached ``until`` says nothing about the speed
    e = web(rate=5000).engine()
    sizer = SliceSizer(0.002, 500, clock=SteppedClock(e, 1e-6))
    sizer.run(e, 0.001)
    assert sizer.events == 500 and e.now == 0.001


def test_run_sliced_reports_progress_and_stops_when_asked():
    e = web(rate=200).engine()
    seen = []
    assert run_sliced(e, 300.0, lambda now, end: seen.append((now, end)), slice_s=1e-5,
                      first_events=50) == 300.0
    assert len(seen) > 3 and seen[-1] == (300.0, 300.0)
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:]))
    e = web(rate=200).engine()
    slices = []
    run_sliced(e, 300.0, lambda now, end: slices.append(now), slice_s=1e-5, first_events=50,
               should_stop=lambda: len(slices) == 2)
    assert len(slices) == 2 and e.now == slices[-1] < 300.0


def test_slicing_does_not_change_the_report():
    whole, sliced = web(rate=300).engine(), web(rate=300).engine()
    whole.run(300.0)
    run_sliced(sliced, 300.0, slice_s=1e-6, first_events=16)
    assert whole.frame().vms == sliced.frame().vms and whole.events == sliced.events


def test_report_shape(tmp_path):
    b = web()
    report = simulate(b.scenario, duration=120, sample_s=60)
    assert report["format"] == "outbound-designer-report" and report["version"] == 1
    vm = report["vms"]["vm-1"]
    assert vm["outbound"] == "load_balancer" and vm["public_ip"] == "52.0.0.10"
    assert set(vm["flows"]) == {"attempted", "succeeded", "failed_snat", "denied_nsg",
                                "no_route"}
    assert report["vms"]["vm-2"]["assigned_by"] == "azure"
    assert report["series"]["t"] == [0, 60, 120]
    assert len(report["series"]["vms"]["vm-1"]["used_ports"]) == 3
    assert report["endpoints"]["api"]["seen_sources"][0] in ("52.0.0.10",) or \
        "52.0.0.10" in report["endpoints"]["api"]["seen_sources"]
    times = [ev["t"] for ev in report["events"]]
    assert times == sorted(times)


def test_cli_simulate(tmp_path, capsys):
    path = tmp_path / "web.outbound.json"
    save_scenario(web().scenario, path)
    out = tmp_path / "report.json"
    csv = tmp_path / "series.csv"
    assert main(["simulate", str(path), "--duration", "120", "--seed", "3", "--json",
                 "--out", str(out), "--csv", str(csv)]) == 0
    printed = capsys.readouterr().out
    assert json.loads(printed) == json.loads(out.read_text())
    assert csv.read_text().startswith("t,vm-1.used_ports,vm-1.failed")
    assert main(["simulate", str(path), "--duration", "60"]) == 0
    text = capsys.readouterr().out
    assert "vm-1: load_balancer via 52.0.0.10" in text and "why:" in text
    assert main(["simulate", str(path), "--duration", "60", "--html", str(tmp_path / "r.html")]) == 0
    assert "<svg" in (tmp_path / "r.html").read_text()
    assert main(["simulate", str(path), "--html", str(tmp_path / "no" / "r.html")]) == 2
    assert main(["simulate", str(tmp_path / "missing.json")]) == 2


def test_allocated_ports_are_computed_once_per_snapshot(monkeypatch):
    # every metric sample and every frame read AllocatedSnatPorts of every VM: it changes only
    # with a snapshot, and is computed once for each
    b = web(rate=50)
    e = b.engine()
    calls = []
    original = Engine.route_allocated
    monkeypatch.setattr(Engine, "route_allocated",
                        lambda self, route: calls.append(route) or original(self, route))
    e.run(600)                                    # 11 metric samples
    e.frame()
    e.frame()
    per_snapshot = len(calls)
    assert 0 < per_snapshot <= 4                  # 2 VMs x 2 protocols, once
    assert e.frame().snat["vm-1"]["tcp"].allocated == 1024
    b.t.remove_node("vm-2")
    e.set_snapshot(b.snapshot())
    e.run(660)
    assert per_snapshot < len(calls) <= 2 * per_snapshot
    assert "vm-2" not in e.frame().snat and e.frame().snat["vm-1"]["tcp"].allocated == 1024
