"""The simulation thread's lifecycle in the editor (issue 15, "The editor"): Play -> Stop
leaves no engine or worker behind, Stop never destroys a thread that still runs and never
waits for it, an edit then Stop or close in the middle of a long engine step is safe, edits
are autosaved before anything risky, and Play answers at once however large the scenario
(the engine is built in the worker, with progress shown)."""
from __future__ import annotations

import dataclasses
import gc
import threading
import time
import weakref

import pytest
from PySide6.QtCore import QCoreApplication, QEvent

from designer.model import Link, Scenario, make_component
from designer.resources import demo_path
from designer.sim import engine as engine_module
from designer.ui.live import runner as runner_module

WAIT_MS = 15_000


def sim_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t is not threading.main_thread()
            and t.is_alive() and "simulation" in t.name.lower()]


def settle(qapp) -> None:
    """Let posted events and deferred deletes run, then collect cycles."""
    for _ in range(3):
        qapp.processEvents()
        QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    gc.collect()


@pytest.fixture
def engines(monkeypatch):
    """Weak references to every Engine built during the test."""
    made: list[weakref.ref] = []
    original = engine_module.Engine.__init__

    def tracking(self, *args, **kwargs):
        made.append(weakref.ref(self))
        original(self, *args, **kwargs)
    monkeypatch.setattr(engine_module.Engine, "__init__", tracking)
    return made


def test_play_stop_cycles_leave_no_engine_and_no_worker(window, qtbot, qapp, engines):
    assert window.open_example(demo_path())
    live = window.live
    live.set_speed(None)
    workers = []
    for _ in range(4):
        live.play()
        qtbot.waitUntil(lambda: live.frame is not None and live.frame.t > 5, timeout=WAIT_MS)
        workers.append(weakref.ref(live.runner.worker))
        live.reset()
    # a worker caught in its slice ends by itself, then is disposed of (never destroyed
    # while it runs)
    qtbot.waitUntil(lambda: runner_module.retired_count() == 0, timeout=WAIT_MS)
    settle(qapp)
    assert len(engines) == 4
    assert [r for r in engines if r() is not None] == []
    assert [r for r in workers if r() is not None] == []
    assert runner_module.retired_count() == 0


def slow_scenario(vms: int = 30) -> Scenario:
    s = Scenario(name="slow")
    s.topology.add_node(make_component("endpoint", "api", address="20.0.0.1", port=443))
    s.topology.add_node(make_component("traffic_generator", "gen", rate_per_s=5.0))
    s.topology.connect(Link("gen", "api", "destination"))
    for i in range(vms):
        s.topology.add_node(make_component("vm", f"vm-{i}", position=(i * 100.0, 0.0)))
        s.topology.connect(Link("gen", f"vm-{i}", "source"))
    return s


@pytest.fixture
def slow_apply(monkeypatch):
    """Building the engine, and every edited snapshot the worker hands it, takes
    ``slow_apply.seconds`` (as a large scenario does), in the worker thread."""
    class Slow:
        seconds = 1.2
        entered = threading.Event()
    build = engine_module.Engine.__init__
    take = runner_module.SimWorker._take_commands

    def slow_build(self, *args, **kwargs):
        time.sleep(Slow.seconds)
        build(self, *args, **kwargs)

    def slow_take(self):
        if self._snapshot is not None:
            Slow.entered.set()
            time.sleep(Slow.seconds)
        return take(self)
    monkeypatch.setattr(engine_module.Engine, "__init__", slow_build)
    monkeypatch.setattr(runner_module.SimWorker, "_take_commands", slow_take)
    return Slow


def run_then_edit_into_a_long_step(window, qtbot, slow_apply) -> None:
    """Play, then an edit while it runs: the engine is inside the (slow) apply of the new
    snapshot when this returns."""
    window.set_document(window.document.__class__(slow_scenario()))
    slow_apply.seconds = 0.0
    window.live.play()
    qtbot.waitUntil(lambda: window.live.frame is not None, timeout=WAIT_MS)
    slow_apply.seconds = 1.5
    slow_apply.entered.clear()
    window.scene.place_node("vm", window.view.mapToScene(10, 10))
    qtbot.waitUntil(slow_apply.entered.is_set, timeout=WAIT_MS)


def test_stop_during_a_long_engine_step_neither_waits_nor_destroys_the_thread(
        window, qtbot, slow_apply):
    live = window.live
    run_then_edit_into_a_long_step(window, qtbot, slow_apply)
    started = time.monotonic()
    live.reset()                                  # Stop, in the middle of the step
    assert time.monotonic() - started < 0.5       # no join, no timeout
    assert live.state == "stopped"
    assert runner_module.retired_count() == 1     # kept alive until it ends by itself
    qtbot.waitUntil(lambda: runner_module.retired_count() == 0, timeout=WAIT_MS)
    assert not sim_threads()


def test_close_during_a_long_engine_step_waits_for_it_safely(window, qtbot, slow_apply):
    run_then_edit_into_a_long_step(window, qtbot, slow_apply)
    window.document.undo_stack.setClean()         # no save question on close
    window.close()
    assert not window.isVisible()
    assert not sim_threads() and runner_module.retired_count() == 0


def test_edits_are_autosaved_before_play_and_before_stop(window, qtbot):
    window.set_document(window.document.__class__(slow_scenario(3)))
    saved = []
    window.autosaver.saved.connect(saved.append)
    window.scene.place_node("vm", window.view.mapToScene(10, 10))
    window.live.play()
    assert len(saved) == 1                         # before the run starts
    qtbot.waitUntil(lambda: window.live.frame is not None, timeout=WAIT_MS)
    window.scene.place_node("vm", window.view.mapToScene(60, 10))
    window.live.reset()
    assert len(saved) == 2                         # the edit made while running, before Stop


def test_play_answers_at_once_and_shows_that_it_prepares(window, qtbot, slow_apply):
    window.set_document(window.document.__class__(slow_scenario()))
    live = window.live
    slow_apply.seconds = 1.0
    started = time.monotonic()
    live.play()
    assert time.monotonic() - started < 0.3      # the engine is built in the worker
    assert live.state == "running"
    qtbot.waitUntil(lambda: "Preparing" in window.statusBar().currentMessage(), timeout=2000)
    qtbot.waitUntil(lambda: live.frame is not None, timeout=WAIT_MS)
    live.reset()
    qtbot.waitUntil(lambda: not sim_threads(), timeout=WAIT_MS)


def test_step_one_second_is_sliced_so_stop_lands_within_it():
    busy = slow_scenario(30)
    busy.topology.replace_node(dataclasses.replace(busy.topology.node("gen"),
                                                   rate_per_s=2000.0))  # 60,000 flows a second
    worker = runner_module.SimWorker(busy.snapshot(), speed=None, paused=True)
    calls = []
    original = engine_module.Engine.run

    def run(self, until, max_events=None):
        calls.append(max_events)
        if len(calls) == 3:
            worker.stop()                              # Stop pressed during the step
        return original(self, until, max_events)
    engine_module.Engine.run = run
    try:
        worker.request_step("second")
        worker.run_slice()
    finally:
        engine_module.Engine.run = original
    # slices of ~2 ms of wall time, the first of 500 events: the stop landed after the third
    assert len(calls) == 3 and calls[0] == 500 and 0 < worker.engine.now < 1.0


def test_a_run_over_the_memory_limit_asks_first(window, qtbot, answer):
    from PySide6.QtWidgets import QMessageBox

    from designer.ui import run_limits
    assert window.action("action-sim-memory-limit") is not None
    run_limits.set_memory_limit(window, "1M")
    window.set_document(window.document.__class__(slow_scenario(3)))
    live = window.live
    answer.question = QMessageBox.No
    live.play()
    qtbot.waitUntil(lambda: bool(answer.calls), timeout=WAIT_MS)
    assert "more than the memory limit of 1 MB" in answer.calls[0][2]
    qtbot.waitUntil(lambda: not sim_threads(), timeout=WAIT_MS)
    assert live.state == "stopped" and live.frame is None
    answer.question = QMessageBox.Yes
    live.play()
    qtbot.waitUntil(lambda: live.frame is not None, timeout=WAIT_MS)   # run anyway
    assert len(answer.calls) == 2 and live.state == "running"
    live.reset()
    run_limits.set_memory_limit(window, "")
    assert run_limits.memory_limit(window) == run_limits.budget.default_limit()


def test_saving_over_a_read_only_file_asks_first(window, answer, tmp_path):
    from PySide6.QtWidgets import QMessageBox
    target = tmp_path / "locked.outbound.json"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o444)
    window.scene.place_node("vm", window.view.mapToScene(10, 10))
    answer.question = QMessageBox.Cancel
    assert not window._save_to(target)
    assert target.read_text(encoding="utf-8") == "old" and window.document.modified
    assert "read-only" in answer.calls[-1][2]
    answer.question = QMessageBox.Yes
    assert window._save_to(target)
    assert target.read_text(encoding="utf-8").startswith("{") and not window.document.modified
