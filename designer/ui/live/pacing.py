"""The animation's pace as fast as possible: it slows down while the GUI thread costs too much.

As fast as possible the engine's worker takes all it can; every millisecond the GUI thread
works - painting dots, composing the window, handling frames - is taken from it, through the
interpreter the two share and through the cores (two, on a busy machine).  Profiling the demo
at 1920x1080 put the GUI thread at 15-30 % of the wall time at 30 frames a second, and the
flows simulated per second at 0.65-0.8 of headless (tests/benchmarks/test_live_speed.py).

:class:`AnimationPace` watches the GUI thread's own CPU time against the wall clock over a
window of half a second and lengthens the animation's interval while that share is above its
target (down to ``slowest_ms``, ~15 frames a second), and shortens it again when the share falls
well below.  The dots still move on the wall clock (overlay.py): a longer interval shows the
same journeys with fewer pictures, never other flows.  Qt-free, so it is tested on its own.
"""
from __future__ import annotations

import time
from typing import Callable

#: the GUI thread's share of the wall time the pace aims at (as fast as possible)
GUI_SHARE_TARGET = 0.10
#: the interval changes at least by this factor per window (at most 2x slower at once)
STEP = 1.25
#: wall seconds over which the share is measured
WINDOW_S = 0.5


class AnimationPace:
    """The animation timer's interval (ms) from the GUI thread's measured share."""

    def __init__(self, fastest_ms: int, slowest_ms: int, target: float = GUI_SHARE_TARGET,
                 window_s: float = WINDOW_S, wall: Callable[[], float] = time.perf_counter,
                 cpu: Callable[[], float] = time.thread_time):
        if not 0 < fastest_ms <= slowest_ms:
            raise ValueError(f"fastest {fastest_ms} ms, slowest {slowest_ms} ms")
        self.fastest_ms, self.slowest_ms = fastest_ms, slowest_ms
        self.target, self.window_s = target, window_s
        self._wall, self._cpu = wall, cpu
        self.interval_ms = fastest_ms
        #: the share measured over the last whole window (None before the first)
        self.share: float | None = None
        self._start: tuple[float, float] | None = None

    @property
    def slowdown(self) -> float:
        """How much slower than the fastest pace it runs (1.0 at the fastest)."""
        return self.interval_ms / self.fastest_ms

    def reset(self) -> None:
        """Start again at the fastest pace (a new run, another speed)."""
        self.interval_ms = self.fastest_ms
        self.share = None
        self._start = None

    def sample(self) -> int | None:
        """Call once per animation tick (on the GUI thread).  Returns the new interval when it
        changed at the end of a window, else None."""
        now = (self._wall(), self._cpu())
        if self._start is None:
            self._start = now
            return None
        wall = now[0] - self._start[0]
        if wall < self.window_s:
            return None
        self.share = (now[1] - self._start[1]) / wall
        self._start = now
        if self.share > self.target:
            # in proportion (most of the cost is per picture), at most twice as slow at once
            factor = min(max(self.share / self.target, STEP), 2.0)
            interval = min(self.slowest_ms, round(self.interval_ms * factor))
        elif self.share < self.target / 2:
            interval = max(self.fastest_ms, round(self.interval_ms / STEP))
        else:
            return None
        if interval == self.interval_ms:
            return None
        self.interval_ms = interval
        return interval
