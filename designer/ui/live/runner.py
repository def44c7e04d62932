"""The engine in a worker thread (architecture.md, Threads).

``SimWorker`` lives in a ``QThread``.  It builds its engine there (a large scenario takes
seconds: Play answers at once, and the worker says that it prepares), then advances it in
short slices through a ``Pacer``; between slices it applies the GUI's commands (pause, step,
speed, a new snapshot) and checks a ``threading.Event`` stop flag.  Frames go to the GUI by a
queued signal at most ~60 times a wall second; the GUI keeps only the latest one (counters are
cumulative, so a frame that is never painted loses nothing) but collects every frame's events.

Stopping never needs a timeout to be safe.  ``SimRunner.stop()`` sets the flag and returns at
once; a worker still inside a long engine step (applying a large edited snapshot) finishes it
and ends by itself.  Until then its thread and worker are kept (``retired``): nothing is
destroyed while it runs.  A thread that has ended hands its worker back to the GUI thread, so
both are deleted there and the engine goes with them.  Only closing the window waits
(``stop(wait=True)``), for at most the step under way.

``SimWorker.run_slice()`` is the unit of work: the tests call it directly, without a thread.
"""
from __future__ import annotations

import gc
import logging
from concurrent.futures import Future
import os
import sys
import threading
import time
import traceback

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from ...model.topology import Scenario
from ...sim import budget
from ...sim import kernel as kernel_module
from ...sim.engine import Engine, Frame, Pacer, run_sliced

log = logging.getLogger(__name__)

#: speeds offered by the controls; None = as fast as possible
SPEEDS: tuple[float | None, ...] = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 100.0, 300.0, 1000.0, None)
#: wall seconds of a slice (the Pacer sizes slices in events from the kernel's speed): short
#: enough that stop, pause and edits take effect within milliseconds, long enough that the
#: worker spends its time in the kernel (which releases the GIL) rather than between slices,
#: where it waits for the GUI thread to hand it the interpreter (~0.4 ms a slice)
SLICE_S = 0.005
#: "Step to event" runs single engine steps: the stop flag is checked every this many
STOP_CHECK_STEPS = 500
#: a frame is published at most this often (wall seconds)
FRAME_INTERVAL_S = 1 / 60
#: ... and at most this often as fast as possible, where the canvas animates at ~30 Hz
#: (controller.FRAME_MS_FLAT_OUT): a frame of 200 VMs costs the worker ~2 ms
FLAT_OUT_FRAME_INTERVAL_S = 1 / 30
#: how long the worker waits when it has caught up with the wall clock
IDLE_WAIT_S = 0.004
#: flow samples the engine keeps per frame for the animation, half for starts and ends, half
#: for failures (the overlay shows at most overlay.VISIBLE_CAP dots; beyond that it is in
#: density mode and counts the dropped ones).  Each kept sample costs the worker a Python
#: object: at 1,000 a frame, full speed on the demo lost ~8 % of its flows to them while the
#: overlay drew one sample in 25; 300 still bring ~4,000 starts a wall second at 30 frames
SAMPLES_PER_FRAME = 300
#: building a frame costs ~45 us per VM; frames are spaced so that this stays below this
#: share of the worker's time (a 200-VM scenario at full speed: ~15 frames a second; the
#: overlay still animates at 60 Hz, the dots move on the wall clock)
FRAME_SHARE = 0.15
#: but at least this often (the clock and new dots should not stutter)
MAX_FRAME_INTERVAL_S = 0.1
#: "Step to event" gives up after this many engine steps or simulated seconds without a
#: logged event (a quiet scenario must not hang the worker)
STEP_EVENT_MAX_STEPS = 200_000
STEP_EVENT_MAX_S = 3600.0
#: while the kernel runs interpreted (the first run after an install, until its background
#: compile is ready) the worker holds the interpreter throughout a slice: it rests this long
#: after each, so the GUI thread takes it without waiting.  The compiled kernel releases it
#: while it runs, and the worker does not rest.
REST_S = 0.0005
#: garbage collector thresholds while a run is live: the engine keeps ~10^5 containers alive,
#: and a full collection over them stalls whichever thread triggers it (the GUI, mid-paint)
#: for ~0.7 s; while live, objects older than the run are frozen and full collections wait
#: until the run ends (young ones are still collected; the engine's flows are acyclic)
GC_THRESHOLDS_LIVE = (50_000, 50, 1_000_000)
#: how much nicer than the GUI the worker thread runs (Linux)
WORKER_NICE = 5
#: the interpreter's thread switch interval while a run is live (Python's default is 5 ms:
#: the GUI thread would wait up to that long after every Qt call)
SWITCH_INTERVAL_S = 0.0005


def speed_label(speed: float | None) -> str:
    if speed is None:
        return "max"
    return f"{speed:g}×"


class SimWorker(QObject):
    """Owns the engine; every method except the command setters runs in the worker thread."""

    frameReady = Signal(object)      # Frame
    failed = Signal(str, str)        # message, traceback
    #: the run was not started: its estimated memory exceeds the limit (the why, in words)
    refused = Signal(str)
    #: what the worker is doing before the first frame ("Preparing the simulation ...")
    preparing = Signal(str)
    finished = Signal()

    def __init__(self, scenario: Scenario, seed: int | None = None,
                 speed: float | None = 1.0, paused: bool = False,
                 memory_limit: float | None = None):
        super().__init__()
        self.scenario = scenario
        self.seed = seed
        self.memory_limit = memory_limit
        #: built by prepare() (in the worker thread when there is one)
        self.engine: Engine | None = None
        self.pacer: Pacer | None = None
        self.stop_flag = threading.Event()
        self._lock = threading.Lock()
        self._paused = paused
        self._speed = speed
        self._speed_dirty = False
        self._snapshot: Scenario | None = None
        self._notes: list[dict] = []         # what the pending snapshot changed
        #: the edits applied during the run, as report events ({"t", "kind": "edit", ...})
        self.edits: list[dict] = []
        self._calls: list[tuple] = []        # (function of the engine, Future)
        self._steps: list[str] = []          # "second" | "event"
        self._resume = False
        self._last_emit = 0.0
        self._frame_cost = 0.0
        #: as fast as possible, frames are spaced at least this much (the GUI sets it to the
        #: interval it animates at: a frame it does not paint is lost work)
        self.flat_out_frame_interval = FLAT_OUT_FRAME_INTERVAL_S

    # ------------------------------------------------------------ commands (any thread)
    def set_paused(self, paused: bool) -> None:
        with self._lock:
            if self._paused and not paused:
                self._resume = True
            self._paused = paused

    def set_speed(self, speed: float | None) -> None:
        with self._lock:
            self._speed = speed
            self._speed_dirty = True

    def set_flat_out_frame_interval(self, seconds: float) -> None:
        """As fast as possible, publish frames at most every ``seconds`` (the canvas's pace)."""
        self.flat_out_frame_interval = max(float(seconds), FLAT_OUT_FRAME_INTERVAL_S)

    def set_snapshot(self, scenario: Scenario, note: dict | None = None) -> None:
        """Hand the engine an edited snapshot; ``note`` (what changed: ``what``, ``nodes``)
        becomes an ``edit`` event at the simulated time the engine applies it."""
        with self._lock:
            self._snapshot = scenario      # a newer one replaces an unapplied older one
            if note:
                self._notes.append(note)

    def call(self, function) -> Future:
        """Run ``function(engine)`` on the worker thread between two slices (the engine is
        never read while it runs); the future holds its result."""
        future: Future = Future()
        with self._lock:
            self._calls.append((function, future))
        return future

    def request_step(self, what: str) -> None:
        if what not in ("second", "event"):
            raise ValueError(f"step what? {what!r} (second or event)")
        with self._lock:
            self._steps.append(what)

    def stop(self) -> None:
        self.stop_flag.set()

    # ------------------------------------------------------------ work (worker thread)
    def too_big(self) -> str | None:
        """Why the run should not start without asking (its estimate exceeds the memory
        limit), or None."""
        if self.memory_limit is None:
            return None
        cost = budget.estimate(self.scenario, None)
        return cost.over_limit(self.memory_limit)

    def prepare(self) -> None:
        """Build the engine (seconds for a large scenario)."""
        if self.engine is not None:
            return
        self.engine = Engine(self.scenario, seed=self.seed, sample_limit=SAMPLES_PER_FRAME)
        self.pacer = Pacer(self.engine, self._speed, slice_s=SLICE_S)
        if self._paused:
            self.pacer.pause()

    def _take_commands(self) -> tuple[list[str], bool]:
        with self._lock:
            if self._snapshot is not None:
                self.engine.set_snapshot(self._snapshot)
                self._snapshot = None
                for note in self._notes:
                    self.edits.append({"t": self.engine.now, "kind": "edit", **note})
                self._notes = []
            calls, self._calls = self._calls, []
            if self._speed_dirty:
                self.pacer.speed = self._speed
                self._speed_dirty = False
            if self._paused:
                self.pacer.pause()
            elif self._resume or self.pacer.paused:
                self.pacer.resume()
            self._resume = False
            steps, self._steps = self._steps, []
        for function, future in calls:
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(function(self.engine))
                except Exception as exc:  # noqa: BLE001 - handed to the caller
                    future.set_exception(exc)
        return steps, self._paused

    def run_slice(self) -> str:
        """One unit of work: apply the GUI's commands, then advance one slice (or the
        requested steps).  Returns "changed" (steps or an edit while paused: publish now),
        "idle" (caught up with the wall clock, or paused: the loop may wait) or "busy"."""
        self.prepare()
        steps, paused = self._take_commands()
        if steps:
            for what in steps:
                if what == "second":
                    # in slices, so that a stop lands within milliseconds at any rate
                    run_sliced(self.engine, self.engine.now + 1.0,
                               should_stop=self.stop_flag.is_set, slice_s=SLICE_S,
                               first_events=500)
                else:
                    self.step_to_event()
            return "changed"
        if paused:
            if self.engine._pending is not None:
                # an edit while paused reaches the engine at once (applied at the current time)
                self.engine.run(until=self.engine.now, max_events=0)
                return "changed"
            return "idle"
        return "idle" if self.pacer.tick() else "busy"

    def step_to_event(self) -> bool:
        """Advance to the next logged event (exhaustion, recovery, probe change, ...), not the
        next flow; True when one came (False: none within the limits, stopped there)."""
        engine = self.engine
        before = len(engine.events)
        limit = engine.now + STEP_EVENT_MAX_S
        for k in range(STEP_EVENT_MAX_STEPS):
            if k % STOP_CHECK_STEPS == 0 and self.stop_flag.is_set():
                return False        # a stop lands within a slice's time, as everywhere
            if engine.peek() > limit:
                engine.run(until=limit)
                return False
            engine.step()
            if len(engine.events) > before:
                return True
        return False

    def frame(self) -> Frame:
        return self.engine.frame()

    @Slot()
    def run(self) -> None:
        """The thread's loop: prepare, then slices until the stop flag is set."""
        _lower_priority()
        try:
            why = self.too_big()
            if why is not None:
                self.refused.emit(why)
                return
            if self.stop_flag.is_set():
                return
            self.preparing.emit(f"Preparing the simulation of "
                                f"{len(self.scenario.topology.nodes('vm')):,} VMs\u2026")
            self.prepare()
            self._publish()
            while not self.stop_flag.is_set():
                state = self.run_slice()
                now = time.monotonic()
                if state == "changed" or now - self._last_emit >= self.frame_interval():
                    self._publish(now)
                if state == "idle":
                    self.stop_flag.wait(IDLE_WAIT_S)
                elif self.engine.kernel is not kernel_module:
                    time.sleep(REST_S)      # interpreted: let the GUI thread have it
            self._publish()
        except MemoryError:
            self.engine = self.pacer = None      # give the memory back before saying so
            self.failed.emit("out of memory: the scenario is too large for this machine "
                             "(lower the rates, or simulate fewer VMs)", "MemoryError")
        except Exception as exc:  # noqa: BLE001 - shown to the user, thread ends
            # logged by the GUI thread: logging here would leave a threading._DummyThread
            now = f" (at {self.engine.now:.3f} s)" if self.engine is not None else ""
            self.failed.emit(f"{type(exc).__name__}: {exc}{now}", traceback.format_exc())
        finally:
            # back to the GUI thread, whose event loop deletes it (an object left in a
            # finished thread is never deleted: its engine would stay for good)
            app = QCoreApplication.instance()
            if app is not None:
                self.moveToThread(app.thread())
            self.finished.emit()

    def frame_interval(self) -> float:
        least = FRAME_INTERVAL_S if self._speed is not None else self.flat_out_frame_interval
        return min(max(least, self._frame_cost / FRAME_SHARE), MAX_FRAME_INTERVAL_S)

    def _publish(self, now: float | None = None) -> None:
        start = time.perf_counter()
        frame = self.engine.frame()
        cost = time.perf_counter() - start
        self._frame_cost = cost if not self._frame_cost else 0.7 * self._frame_cost + 0.3 * cost
        self._last_emit = time.monotonic() if now is None else now
        self.frameReady.emit(frame)


def _lower_priority() -> None:
    """Give the calling thread a higher nice value (Linux sets it per thread), so on a busy
    machine the GUI thread wins the CPU and the engine takes what is left."""
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + WORKER_NICE)
    except (AttributeError, OSError):   # not Linux / not permitted: run at normal priority
        pass


#: threads that were stopped while their worker was still busy, with their workers: kept here
#: (not under any window) until they end by themselves, so nothing is destroyed while it runs
_RETIRED: set[tuple[QThread, SimWorker]] = set()


def retired_count() -> int:
    """Stopped simulation threads that have not ended yet."""
    return len(_RETIRED)


def wait_for_retired() -> None:
    """Block until every stopped simulation thread has ended (at application exit)."""
    for thread, worker in list(_RETIRED):
        thread.wait()
        _dispose(thread, worker)


def _dispose(thread: QThread, worker: SimWorker) -> None:
    _RETIRED.discard((thread, worker))
    worker.engine = worker.pacer = None
    worker.deleteLater()
    thread.deleteLater()


class _Reaper(QObject):
    """Lives in the GUI thread: disposes of retired threads once they have ended (their
    ``finished`` signal reaches it queued, whatever window is gone by then)."""

    @Slot()
    def reap(self) -> None:
        for thread, worker in list(_RETIRED):
            if thread.isFinished():
                _dispose(thread, worker)


_reaper: _Reaper | None = None


def _the_reaper() -> _Reaper:
    global _reaper
    if _reaper is None:
        _reaper = _Reaper()
    return _reaper


class SimRunner(QObject):
    """Starts and stops one ``SimWorker`` in a ``QThread``; relays its frames and errors."""

    frameReady = Signal(object)
    failed = Signal(str, str)
    refused = Signal(str)
    preparing = Signal(str)
    stopped = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.thread: QThread | None = None
        self.worker: SimWorker | None = None
        self._switch_interval: float | None = None
        self._gc_thresholds = gc.get_threshold()

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.isRunning()

    def start(self, scenario: Scenario, seed: int | None = None, speed: float | None = 1.0,
              paused: bool = False, memory_limit: float | None = None) -> SimWorker:
        """Start a run of ``scenario``; returns at once (the engine is built in the worker)."""
        self.stop()
        worker = SimWorker(scenario, seed, speed, paused, memory_limit)
        thread = QThread()
        thread.setObjectName("simulation-thread")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.finished.connect(thread.quit)
        worker.frameReady.connect(self._relay_frame)
        worker.failed.connect(self._relay_failure)
        worker.refused.connect(self._relay_refusal)
        worker.preparing.connect(self._relay_preparing)
        self.thread, self.worker = thread, worker
        if self._switch_interval is None:
            self._switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(SWITCH_INTERVAL_S)
            self._gc_thresholds = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(*GC_THRESHOLDS_LIVE)
        thread.start()
        return worker

    @Slot(object)
    def _relay_frame(self, frame: Frame) -> None:
        if self.sender() is self.worker:     # frames of a stopped worker are stale
            self.frameReady.emit(frame)

    @Slot(str, str)
    def _relay_failure(self, message: str, details: str) -> None:
        if self.sender() is self.worker:
            self.failed.emit(message, details)

    @Slot(str)
    def _relay_refusal(self, why: str) -> None:
        if self.sender() is self.worker:
            self.refused.emit(why)

    @Slot(str)
    def _relay_preparing(self, what: str) -> None:
        if self.sender() is self.worker:
            self.preparing.emit(what)

    def stop(self, wait: bool = False) -> bool:
        """Stop the worker.  Returns at once (True when its thread has already ended); a
        worker still inside an engine step is kept until it ends by itself, never destroyed
        while it runs.  ``wait``: block until it has ended (no timeout: at most the step under
        way) - for closing the window."""
        thread, worker = self.thread, self.worker
        if thread is None:
            return True
        worker.stop()
        thread.quit()                # the thread's event loop ends once the worker returns
        self.thread = self.worker = None     # its frames and errors are stale from now on
        if wait:
            thread.wait()
        _RETIRED.add((thread, worker))
        thread.finished.connect(_the_reaper().reap)
        ended = thread.isFinished()      # after connecting: an end in between is not missed
        if ended:
            _dispose(thread, worker)
        if self._switch_interval is not None:
            sys.setswitchinterval(self._switch_interval)
            self._switch_interval = None
            gc.set_threshold(*self._gc_thresholds)
            gc.unfreeze()
        self.stopped.emit()
        return ended
