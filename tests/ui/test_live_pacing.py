"""As fast as possible the animation slows down while the GUI thread costs too much
(designer/ui/live/pacing.py), and the worker's frames follow the pace: driven with a fake
clock, so nothing here depends on the machine's speed."""
from __future__ import annotations

import pytest

from designer.model import load_scenario
from designer.resources import demo_path
from designer.ui.live import controller, runner
from designer.ui.live.pacing import AnimationPace
from designer.ui.live.runner import SimWorker
from tests.ui.live_helpers import wait_sim


class FakeClocks:
    """Wall and GUI-thread CPU clocks advanced by hand: ``work(ms)`` per tick of ``tick_ms``."""

    def __init__(self):
        self.wall = self.cpu = 0.0

    def tick(self, tick_ms: float, work_ms: float) -> None:
        self.wall += tick_ms / 1000
        self.cpu += work_ms / 1000


def run_ticks(pace: AnimationPace, clocks: FakeClocks, seconds: float, work_ms: float,
              per_picture: bool = True) -> list[int]:
    """Tick at the pace's interval for ``seconds``; the GUI works ``work_ms`` a tick
    (``per_picture``) or ``work_ms`` per 33 ms whatever the pace.  Returns the changes."""
    changes = []
    end = clocks.wall + seconds
    while clocks.wall < end:
        interval = pace.interval_ms
        clocks.tick(interval, work_ms if per_picture else work_ms * interval / 33)
        new = pace.sample()
        if new is not None:
            assert new == pace.interval_ms
            changes.append(new)
    return changes


def test_a_costly_gui_thread_slows_the_animation_down_to_its_slowest_and_no_further():
    clocks = FakeClocks()
    pace = AnimationPace(33, 66, target=0.10, wall=lambda: clocks.wall, cpu=lambda: clocks.cpu)
    assert pace.interval_ms == 33 and pace.slowdown == 1.0
    changes = run_ticks(pace, clocks, 5.0, work_ms=8.0)        # 24 % of the wall time at 33 ms
    assert changes and changes == sorted(changes) and changes[-1] == 66
    assert pace.interval_ms == 66 and pace.slowdown == 2.0
    assert pace.share == pytest.approx(8 / 66, rel=0.05)        # still above: held at slowest
    # the work per picture falls (dots thin out): the pace comes back, but never past fastest
    changes = run_ticks(pace, clocks, 10.0, work_ms=1.0)
    assert changes == sorted(changes, reverse=True) and pace.interval_ms == 33


def test_a_pace_near_its_target_holds_still():
    clocks = FakeClocks()
    pace = AnimationPace(33, 66, target=0.10, wall=lambda: clocks.wall, cpu=lambda: clocks.cpu)
    # 7.5 % of the wall time: under the target, but not so far under that it should speed up
    assert run_ticks(pace, clocks, 5.0, work_ms=2.5) == [] and pace.interval_ms == 33
    # work that does not depend on the pace (frames received, docks) slows it to its slowest
    changes = run_ticks(pace, clocks, 5.0, work_ms=6.0, per_picture=False)
    assert changes and pace.interval_ms == 66
    pace.reset()
    assert pace.interval_ms == 33 and pace.share is None
    with pytest.raises(ValueError):
        AnimationPace(66, 33)


def test_the_worker_publishes_frames_at_the_canvas_pace_never_faster_than_its_floor():
    worker = SimWorker(load_scenario(demo_path()).snapshot(), speed=None)
    assert worker.frame_interval() == runner.FLAT_OUT_FRAME_INTERVAL_S
    worker.set_flat_out_frame_interval(0.066)
    assert worker.frame_interval() == pytest.approx(0.066)
    worker.set_flat_out_frame_interval(0.001)
    assert worker.frame_interval() == runner.FLAT_OUT_FRAME_INTERVAL_S
    worker.set_speed(10.0)                 # a set speed keeps its own frame rate
    worker.set_flat_out_frame_interval(0.066)
    assert worker.frame_interval() == runner.FRAME_INTERVAL_S


def test_the_live_run_follows_the_pace_and_a_set_speed_leaves_it(window, qtbot, monkeypatch):
    assert window.open_example(demo_path())
    live = window.live
    live.set_speed(None)
    assert live.timer.interval() == controller.FRAME_MS_FLAT_OUT
    # the GUI thread is found costly at the next tick
    monkeypatch.setattr(live.pace, "sample", lambda: 50)
    live.play()
    wait_sim(qtbot, window, 5.0)
    qtbot.waitUntil(lambda: live.timer.interval() == 50, timeout=5000)
    assert live.runner.worker.flat_out_frame_interval == pytest.approx(0.050)
    live.set_speed(1.0)
    assert live.timer.interval() == controller.FRAME_MS
    live.reset()
