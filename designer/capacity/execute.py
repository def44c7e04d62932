"""Where the runs go: a Dask cluster (local or remote) or this process, one after another.

``open_executor()`` picks:

- ``scheduler`` given (or ``DASK_SCHEDULER_ADDRESS`` set): a ``distributed.Client`` on that
  scheduler; the cluster is the user's and is left running;
- else, with ``dask.distributed`` installed and ``workers`` != 0: a ``LocalCluster`` of
  processes (one per core, one thread each), started here and closed when the work ends,
  on success, error, Ctrl+C or Cancel alike — unless ``workers`` is not given and the work
  is expected to take less than :data:`LOCAL_CLUSTER_MIN_CPU_S` of computing (see
  :func:`expected_cpu_s`), which a cluster would take longer to start than to share;
- else: runs in this process one after another, and says so once (``notice``).

The :class:`Driver` feeds runs to the executor.  Work comes from *searches*: generators that
yield a batch of :class:`~designer.capacity.runs.RunSpec` and receive the reports (JSON text,
same order), so every bisection of a fix comparison advances at once and all their runs share
the workers.  Equal runs are simulated once.  A worker that dies has its runs moved to the
others by the Dask scheduler (and each run is retried once more on an error); ``cancel()``
cancels every outstanding run.
"""
from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Generator, Iterable

from .runs import RunSpec, run_report

log = logging.getLogger(__name__)

#: how often the driver wakes up to check Cancel and refresh the progress (seconds)
POLL_S = 0.2
#: how long to wait for a scheduler given with --scheduler
CONNECT_TIMEOUT_S = 10
#: Dask settings of the local cluster's workers
WORKER_CONFIG = {"distributed.worker.profile.enabled": False,
                 "distributed.admin.system-monitor.gil.enabled": False}
SERIAL_NOTICE = ("dask.distributed is not installed: the runs go one after another in this "
                 "process (pip install 'outbound-designer[parallel]' to use every core or a "
                 "cluster)")


class CapacityError(RuntimeError):
    """A comparison or sweep that cannot go on (one line for the user)."""


class Cancelled(Exception):
    """The user cancelled (Ctrl+C, or Cancel in the editor)."""


def dask_available() -> bool:
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class Progress:
    done: int
    total: int
    elapsed_s: float

    @property
    def remaining_s(self) -> float | None:
        if self.done <= 0 or self.total <= self.done:
            return None if self.done <= 0 else 0.0
        return self.elapsed_s / self.done * (self.total - self.done)


# ============================================================================ executors

class SerialExecutor:
    """Runs in this process, one at a time (no dask, or ``--workers 0``)."""

    description = "this process, one run after another"

    def __init__(self) -> None:
        self._queue: list[tuple[Any, RunSpec]] = []

    def submit(self, tag: Any, spec: RunSpec) -> None:
        self._queue.append((tag, spec))

    def wait(self, timeout: float) -> list[tuple[Any, str]]:
        if not self._queue:
            return []
        tag, spec = self._queue.pop(0)
        return [(tag, run_report(*spec.args()))]

    def pending(self) -> int:
        return len(self._queue)

    def cancel(self) -> None:
        self._queue.clear()

    def close(self) -> None:
        self._queue.clear()


class DaskExecutor:
    """Runs on a Dask cluster: a local one it starts (and closes), or one at ``address``."""

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        from distributed import Client
        _quiet_dask_logs()
        self.cluster = None
        self._futures: dict[Any, Any] = {}
        self._lock = threading.Lock()
        self._finished = threading.Event()
        import dask
        if address:
            try:
                self.client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise CapacityError(f"cannot reach the Dask scheduler at {address}: {exc}") \
                    from None
            n = len(self.client.scheduler_info().get("workers", {}))
            self.description = f"the Dask cluster at {address} ({n} workers)"
        else:
            from distributed import LocalCluster
            n = workers or os.cpu_count() or 1
            # a run is one long call: Dask's 10 ms statistical profiler and 1 ms GIL monitor
            # would only take CPU from it (measured: half again the CPU per run)
            with _workers_ignore_ctrl_c(), dask.config.set(WORKER_CONFIG):
                self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                            dashboard_address=":0", silence_logs=logging.ERROR,
                                            scheduler_port=0,
                                            scheduler_kwargs={"dashboard": False})
            self.client = Client(self.cluster, set_as_default=False)
            self.description = f"a local Dask cluster of {n} processes"
            # every worker loads the engine now, side by side, not on its first run
            self.client.run(_warm_up)

    def submit(self, tag: Any, spec: RunSpec) -> None:
        future = self.client.submit(run_report, *spec.args(), pure=False, retries=1)
        with self._lock:
            self._futures[tag] = future
        # called on the client's event-loop thread when the run ends (any way)
        future.add_done_callback(lambda _f: self._finished.set())

    def wait(self, timeout: float) -> list[tuple[Any, str]]:
        with self._lock:
            items = list(self._futures.items())
        if not items:
            return []
        if not any(f.done() for _, f in items):
            self._finished.wait(timeout)
        self._finished.clear()
        out = []
        for tag, future in items:
            if future.done():
                with self._lock:
                    self._futures.pop(tag, None)
                if future.status == "error":
                    exc = future.exception()
                    raise CapacityError(f"a run failed on a worker: {type(exc).__name__}: {exc}")
                if future.status == "cancelled":
                    raise Cancelled()
                out.append((tag, future.result()))
        return out

    def pending(self) -> int:
        with self._lock:
            return len(self._futures)

    def cancel(self) -> None:
        with self._lock:
            futures = list(self._futures.values())
            self._futures.clear()
        if futures:
            try:
                self.client.cancel(futures, force=True)
            except Exception:  # noqa: BLE001 - the client may be closing already
                log.debug("cancel failed", exc_info=True)

    def close(self) -> None:
        self.cancel()
        try:
            self.client.close(timeout=5)
        except Exception:  # noqa: BLE001
            log.debug("client close failed", exc_info=True)
        if self.cluster is not None:
            try:
                self.cluster.close(timeout=10)
            except Exception:  # noqa: BLE001
                log.debug("cluster close failed", exc_info=True)
            self.cluster = None


@contextlib.contextmanager
def _workers_ignore_ctrl_c():
    """Start the local workers with SIGINT ignored (inherited through exec): Ctrl+C at the
    terminal reaches the whole process group, and it is this process that cancels and closes
    the cluster, without a traceback from every worker."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _warm_up() -> None:
    import designer.capacity.runs  # noqa: F401 - numpy, networkx, the engine


def _quiet_dask_logs() -> None:
    """Dask logs every scheduler and worker step at INFO: keep the terminal for our progress
    (warnings and errors still show; -vv shows everything)."""
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        for name in ("distributed", "dask"):
            logging.getLogger(name).setLevel(logging.ERROR)


#: below this much expected computing a local cluster costs more than it saves: starting and
#: closing one took 1.4-1.8 s on 2 cores, and a sweep of 32 points of 0.05 s ran 0.65x as
#: fast on it as one after another (tests/benchmarks/test_capacity_speed.py)
LOCAL_CLUSTER_MIN_CPU_S = 5.0


def expected_cpu_s(scenario, duration: float | None, sample_s: float, runs: int) -> float:
    """CPU seconds ``runs`` runs of about ``scenario``'s size are expected to take (the run
    budget's estimate; a guide for where to run them, not a promise)."""
    from ..sim.budget import estimate
    from ..sim.report import default_duration
    snapshot = scenario.snapshot()
    cost = estimate(snapshot, duration if duration else default_duration(snapshot), sample_s)
    return cost.cpu_seconds * runs


def open_executor(scheduler: str | None = None, workers: int | None = None,
                  notice: Callable[[str], None] | None = None,
                  expected_cpu: float | None = None):
    """The executor for these settings (see the module docstring); ``expected_cpu`` is
    :func:`expected_cpu_s` of the work, when known."""
    address = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS") or None
    if address:
        if not dask_available():
            raise CapacityError("--scheduler needs dask.distributed: pip install "
                                "'outbound-designer[parallel]'")
        return DaskExecutor(address=address)
    if workers == 0:
        return SerialExecutor()
    if not dask_available():
        if notice is not None:
            notice(SERIAL_NOTICE)
        return SerialExecutor()
    if workers is None and expected_cpu is not None and expected_cpu < LOCAL_CLUSTER_MIN_CPU_S:
        executor = SerialExecutor()
        executor.description = (f"this process, one run after another: the runs should take "
                                f"about {expected_cpu:.2g} s of computing, less than a local "
                                f"cluster takes to start (--workers N to use one anyway)")
        return executor
    return DaskExecutor(workers=workers)


# ============================================================================ driver

Search = Generator[list[RunSpec], list[str], Any]


class Hint:
    """What a search expects to still need (for the progress estimate)."""

    def __init__(self) -> None:
        self.remaining = 0


class Driver:
    """Runs searches to completion on an executor, with progress and cancellation."""

    def __init__(self, executor, progress: Callable[[Progress], None] | None = None,
                 cancel_event: threading.Event | None = None) -> None:
        self.executor = executor
        self.progress = progress
        self.cancel_event = cancel_event or threading.Event()
        self.cache: dict[tuple, str] = {}
        self.done = 0
        self.started = time.monotonic()

    def run(self, searches: Iterable[tuple[Search, Hint]]) -> list[Any]:
        searches = list(searches)
        results: list[Any] = [None] * len(searches)
        slots: dict[int, list[str | None]] = {}
        waiting: dict[tuple, list[tuple[int, int]]] = {}   # run key -> (search, slot)
        specs: dict[tuple, RunSpec] = {}
        ready: list[tuple[int, list[str] | None]] = [(i, None) for i in range(len(searches))]
        while True:
            while ready:
                i, value = ready.pop()
                gen = searches[i][0]
                try:
                    batch = next(gen) if value is None else gen.send(value)
                except StopIteration as stop:
                    results[i] = stop.value
                    continue
                slots[i] = [None] * len(batch)
                for j, spec in enumerate(batch):
                    key = spec.key
                    if key in self.cache:
                        slots[i][j] = self.cache[key]
                    elif key in waiting:
                        waiting[key].append((i, j))
                    else:
                        waiting[key] = [(i, j)]
                        specs[key] = spec
                        self.executor.submit(key, spec)
                if all(s is not None for s in slots[i]):
                    ready.append((i, list(slots.pop(i))))
            if not waiting:
                break
            self._report(searches)
            if self.cancel_event.is_set():
                self.executor.cancel()
                raise Cancelled()
            for key, text in self.executor.wait(POLL_S):
                self.cache[key] = text
                self.done += 1
                specs.pop(key, None)
                for i, j in waiting.pop(key, ()):
                    slots[i][j] = text
                    if all(s is not None for s in slots[i]):
                        ready.append((i, list(slots.pop(i))))
        self._report(searches)
        return results

    def _report(self, searches) -> None:
        if self.progress is None:
            return
        expected = sum(h.remaining for _, h in searches)
        total = self.done + self.executor.pending() + expected
        self.progress(Progress(self.done, max(total, self.done),
                               time.monotonic() - self.started))


def run_all(driver: Driver, specs: list[RunSpec]) -> list[str]:
    """Every spec (equal ones once), the reports in the same order (a sweep)."""
    def one_batch() -> Search:
        reports = yield specs
        return reports
    return driver.run([(one_batch(), Hint())])[0]
