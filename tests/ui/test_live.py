"""The live simulation in the editor (issue 5): runs on the demo waited on simulated time,
edits and undo during a run, pause / step, stop / restart, closing while running, engine
errors, and the worker's slice function driven directly."""
from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QPointF

from designer.model import load_scenario
from designer.resources import demo_path
from designer.ui.live import gauges
from designer.ui.live.runner import SimWorker
from tests.ui.live_helpers import WAIT_MS, add_nat_gateway, failed_snat, frame_t, wait_sim


@pytest.fixture
def demo(window):
    assert window.open_example(demo_path())
    window.live.set_speed(None)      # as fast as possible: wait on simulated time
    return window


def sim_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t is not threading.main_thread()
            and t.is_alive() and "simulation" in t.name.lower()]


def test_demo_run_exhausts_web_1_gauge_and_logs_it(demo, qtbot):
    live = demo.live
    demo.action("action-sim-play").trigger()
    assert live.state == "running"
    assert live.runner.thread.isRunning()

    def exhausted() -> bool:
        gauge = live.overlay.gauges.get("web-1")   # the gauges the overlay draws
        return gauge is not None and gauge.used == gauge.allocated == 1024 \
            and "snat_exhausted" in live.events.kinds()

    qtbot.waitUntil(exhausted, timeout=WAIT_MS)
    assert live.overlay.gauges["web-1"].color == gauges.RED
    # the log row names the VM; the first exhaustion comes after ~106 simulated seconds (C8)
    first = next(e for e in live.events.events if e["kind"] == "snat_exhausted")
    assert first["vm"] == "web-1" and 90 < first["t"] < 130
    assert live.banner.isVisible() and "web-1" in live.banner.label.text()
    assert "NAT gateway" in live.banner.label.text()
    # web-3 reuses 8 pooled connections: green
    assert live.overlay.gauges["web-3"].color == gauges.GREEN
    assert {"lb-ip", "nat", "nat-ip"} <= set(live.overlay.gauges)
    assert live.clock.text() != "00:00"
    # flows were drawn: dots spawned in the overlay, which covers the view
    assert live.overlay.isVisible() and live.overlay.paints > 0


def test_nat_gateway_added_during_the_run_stops_failures_and_undo_brings_them_back(demo, qtbot):
    live = demo.live
    live.play()
    qtbot.waitUntil(lambda: live.frame is not None and failed_snat(demo, "web-1") > 50,
                    timeout=WAIT_MS)
    add_nat_gateway(demo)
    # the edit reaches the engine at the next tick; new flows leave through the NAT gateway
    qtbot.waitUntil(lambda: "nat-web" in live.frame.nat_gateways, timeout=WAIT_MS)
    t_fixed = frame_t(demo)
    before = failed_snat(demo, "web-1")
    wait_sim(qtbot, demo, t_fixed + 600)
    assert failed_snat(demo, "web-1") == before
    assert live.frame.nat_gateways["nat-web"]["tcp"].used > 0
    assert live.frame.vms["web-1"].succeeded > 0
    # undo during the run: web-1 is back on its 1,024 LB ports and fails again
    demo.action("action-edit-undo").trigger()
    qtbot.waitUntil(lambda: failed_snat(demo, "web-1") > before, timeout=WAIT_MS)


def test_pause_and_step(demo, qtbot):
    live = demo.live
    demo.action("action-sim-step-second").trigger()     # from stopped: starts paused
    assert live.state == "paused"
    qtbot.waitUntil(lambda: frame_t(demo) == 1.0, timeout=WAIT_MS)
    demo.action("action-sim-step-second").trigger()
    qtbot.waitUntil(lambda: frame_t(demo) == 2.0, timeout=WAIT_MS)
    received = live.frames_received
    logged = len(live.events.events)
    demo.action("action-sim-step-event").trigger()
    qtbot.waitUntil(lambda: live.frames_received > received, timeout=WAIT_MS)
    # the next *logged* event (web-1 runs out of ports after ~106 s), not the next flow
    qtbot.waitUntil(lambda: len(live.events.events) > logged, timeout=WAIT_MS)
    event = live.events.events[logged]
    assert event["kind"] == "snat_exhausted" and frame_t(demo) == event["t"] > 90
    assert live.state == "paused"
    # play, then pause: the clock stands still
    demo.action("action-sim-play").trigger()
    wait_sim(qtbot, demo, 50)
    demo.action("action-sim-pause").trigger()
    assert live.state == "paused"
    assert not demo.action("action-sim-pause").isEnabled()
    assert live.metrics.cursor.isVisible()
    qtbot.wait(100)
    t = frame_t(demo)
    qtbot.wait(200)
    assert frame_t(demo) == t
    assert live.clock.text() == live.controls.clock.text()


def test_reset_then_play_starts_again_from_zero(demo, qtbot):
    live = demo.live
    live.play()
    wait_sim(qtbot, demo, 200)
    demo.action("action-sim-reset").trigger()
    assert live.state == "stopped" and live.runner.thread is None
    assert live.frame is None and live.clock.text() == "00:00"
    assert not live.overlay.gauges
    assert not live.overlay.isVisible() and not live.events.events
    assert not sim_threads()
    live.set_speed(1.0)
    live.play()
    qtbot.waitUntil(lambda: live.frame is not None, timeout=WAIT_MS)
    assert live.frame.t < 5.0          # a new run, from 00:00
    live.reset()


def test_closing_the_window_while_running_leaves_no_thread(demo, qtbot):
    live = demo.live
    live.play()
    wait_sim(qtbot, demo, 10)
    thread = live.runner.thread
    demo.close()
    assert not demo.isVisible()
    assert live.runner.thread is None and thread.isFinished()
    assert not live.timer.isActive()
    assert not sim_threads()


def test_opening_another_document_ends_the_run(demo, qtbot):
    live = demo.live
    live.play()
    wait_sim(qtbot, demo, 10)
    demo.new_document()
    assert live.state == "stopped" and live.runner.thread is None
    assert live.scene is demo.scene and live.overlay.view is demo.view


def test_engine_error_is_shown_and_the_editor_keeps_working(demo, qtbot, monkeypatch, caplog):
    live = demo.live

    def broken(self):
        raise RuntimeError("port table corrupted")
    monkeypatch.setattr(SimWorker, "run_slice", broken)
    live.play()
    qtbot.waitUntil(lambda: live.state == "stopped", timeout=WAIT_MS)
    assert live.banner.isVisible() and "port table corrupted" in live.banner.label.text()
    assert any("port table corrupted" in r.getMessage() or
               "port table corrupted" in (r.exc_text or "") for r in caplog.records)
    assert live.runner.thread is None and not sim_threads()
    # the editor still edits
    node = demo.scene.place_node("vm", QPointF(0, 0))
    assert node in demo.document.scenario.topology


def test_editing_while_paused_reaches_the_engine(demo, qtbot):
    live = demo.live
    live.step("second")
    qtbot.waitUntil(lambda: frame_t(demo) == 1.0, timeout=WAIT_MS)
    add_nat_gateway(demo)
    qtbot.waitUntil(lambda: "nat-web" in live.frame.nat_gateways, timeout=WAIT_MS)
    assert live.frame.t == 1.0


# ------------------------------------------------------------------ the worker, no thread

def run_slices(seed: int, n: int, until: float = 0.0):
    """Frames after each of ``n`` slices of a worker, and more until one is past ``until``."""
    worker = SimWorker(load_scenario(demo_path()).snapshot(), seed=seed, speed=None)
    frames = []
    while len(frames) < n or frames[-1].t <= until:
        worker.run_slice()
        frames.append(worker.frame())
    return frames


def test_worker_frames_are_the_engines_for_a_seed_however_it_sliced():
    # the worker's slices follow the wall clock, so where its frames fall varies from run to
    # run; what each frame says does not: the engine's state at that simulated time for the
    # seed, as a headless engine run straight there has it
    from designer.sim.engine import Engine
    from designer.ui.live.runner import SAMPLES_PER_FRAME
    frames = run_slices(7, 12, until=150.0)      # web-1 runs out of ports at ~106 s
    assert len({f.t for f in frames}) > 6
    reference = Engine(load_scenario(demo_path()).snapshot(), seed=7,
                       sample_limit=SAMPLES_PER_FRAME)
    logged: list[dict] = []
    shown: list[dict] = []
    for f in frames:
        reference.run(until=f.t)
        ref = reference.frame()
        assert (f.vms, f.generators, f.snat, f.public_ips, f.nat_gateways) == \
            (ref.vms, ref.generators, ref.snat, ref.public_ips, ref.nat_gateways)
        logged += ref.events
        shown += f.events
    # events are compared short of the last frame's time: another event at exactly that time
    # (a probe and a metric sample) may fall on either side of a slice's end
    last = frames[-1].t
    assert [e for e in shown if e["t"] < last] == [e for e in logged if e["t"] < last]
    assert any(e["kind"] == "snat_exhausted" for e in shown)
    other = run_slices(8, 12)
    reference = Engine(load_scenario(demo_path()).snapshot(), seed=7)
    reference.run(until=other[-1].t)
    assert reference.frame().vms != other[-1].vms          # the seed does matter


@pytest.mark.parametrize("kernel, rests", [("compiled", False), ("interpreted", True)])
def test_worker_rests_between_slices_only_while_the_kernel_is_interpreted(
        monkeypatch, kernel, rests):
    # the compiled kernel releases the interpreter while it runs: a rest after each slice
    # would only cost simulated flows; the interpreted one holds it throughout a slice
    from designer.ui.live import runner
    monkeypatch.setenv("OUTBOUND_DESIGNER_KERNEL", kernel)
    monkeypatch.setattr(runner, "_lower_priority", lambda: None)
    worker = SimWorker(load_scenario(demo_path()).snapshot(), speed=None)
    slices = []
    original = SimWorker.run_slice

    def counted(self):
        slices.append(original(self))
        if len(slices) == 20:
            self.stop()
        return slices[-1]
    monkeypatch.setattr(SimWorker, "run_slice", counted)
    sleeps = []
    monkeypatch.setattr(runner.time, "sleep", sleeps.append)
    worker.run()
    assert slices.count("busy") >= 19
    assert sleeps == ([runner.REST_S] * slices.count("busy") if rests else [])


def test_worker_frames_follow_what_the_canvas_shows():
    # as fast as possible the canvas animates at ~30 Hz: frames beyond that cost the worker
    # (~2 ms each at 200 VMs) and show nothing more
    from designer.ui.live import controller, runner
    worker = SimWorker(load_scenario(demo_path()).snapshot(), speed=None)
    assert worker.frame_interval() == runner.FLAT_OUT_FRAME_INTERVAL_S
    assert runner.FLAT_OUT_FRAME_INTERVAL_S >= controller.FRAME_MS_FLAT_OUT / 1000 - 0.001
    worker.set_speed(10.0)
    assert worker.frame_interval() == runner.FRAME_INTERVAL_S < runner.FLAT_OUT_FRAME_INTERVAL_S


def test_worker_commands_pause_step_speed_and_snapshot():
    scenario = load_scenario(demo_path())
    worker = SimWorker(scenario.snapshot(), speed=None, paused=True)
    assert worker.run_slice() == "idle" and worker.engine.now == 0.0
    worker.request_step("second")
    assert worker.run_slice() == "changed" and worker.engine.now == 1.0
    with pytest.raises(ValueError):
        worker.request_step("minute")
    worker.set_snapshot(scenario.snapshot())
    assert worker.run_slice() == "changed" and worker.engine.now == 1.0
    worker.set_paused(False)
    worker.run_slice()
    assert worker.engine.now > 1.0
    worker.set_speed(1.0)
    worker.run_slice()
    assert worker.pacer.speed == 1.0


def test_the_banner_is_as_tall_as_its_wrapped_text_after_the_view_was_grabbed(demo, qtbot):
    """A grab of the view (an export, a screenshot) before the banner first shows left its
    label a one-line height: the fixes of a failing VM were cut off under the first line."""
    demo.resize(1500, 1000)
    demo.show()
    qtbot.waitExposed(demo)
    demo.view.grab()
    banner = demo.live.banner
    text = ("<b>web-1</b> is failing new TCP flows since <b>01:46</b>: its 1,024 SNAT ports "
            "are all in use (SNAT exhaustion). Documented fixes: add frontend public IPs (an "
            "outbound rule with more ports per instance), attach a NAT gateway to its subnet, "
            "give the VM an instance public IP, or reuse connections (a connection pool).")
    banner.show_message(text, subject="web-1", severity="failing")
    label = banner.label
    assert label.heightForWidth(label.width()) > 2 * label.fontMetrics().height()  # wraps
    assert label.height() >= label.heightForWidth(label.width())
    assert banner.height() >= label.geometry().bottom()
