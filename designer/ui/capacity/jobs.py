"""A comparison or sweep off the GUI thread: a QThread runs the capacity driver (a local Dask
cluster, or in-process without dask), reports progress by queued signals and stops on Cancel.
The cluster is started and closed by the job, whatever way it ends."""
from __future__ import annotations

import logging
import threading
import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot

from ...capacity.execute import Cancelled, Driver, Progress, open_executor

log = logging.getLogger(__name__)


class _Job(QObject):
    progressed = Signal(object)          # capacity.execute.Progress
    notice = Signal(str)
    done = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, work: Callable[[Driver], Any], workers: int | None,
                 cancel: threading.Event, expected_cpu: Callable[[], float] | None = None):
        super().__init__()
        self.work, self.workers, self.cancel = work, workers, cancel
        self.expected_cpu = expected_cpu

    @Slot()
    def run(self) -> None:
        executor = None
        try:
            # (estimated here, off the GUI thread: it resolves every VM's path)
            expected = self.expected_cpu() if self.expected_cpu is not None else None
            executor = open_executor(None, self.workers, self.notice.emit, expected)
            self.notice.emit(f"running on {executor.description}")
            result = self.work(Driver(executor, self.progressed.emit, self.cancel))
        except Cancelled:
            self.cancelled.emit()
        except Exception as exc:  # noqa: BLE001 - shown in the status bar, details logged
            log.error("capacity job failed\n%s", traceback.format_exc())
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.done.emit(result)
        finally:
            if executor is not None:
                executor.close()
            QThread.currentThread().quit()


class JobRunner(QObject):
    """At most one job at a time; ``busy`` while it runs."""

    progressed = Signal(object)
    notice = Signal(str)
    finished = Signal(str, object)       # what ("fixes" / "sweep"), result
    failed = Signal(str, str)
    cancelled = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.thread: QThread | None = None
        self.job: _Job | None = None
        self.what = ""
        self.cancel_event = threading.Event()
        #: processes of the local cluster (None: one per core; 0: in the job's thread)
        self.workers: int | None = None

    @property
    def busy(self) -> bool:
        return self.thread is not None

    def start(self, what: str, work: Callable[[Driver], Any],
              expected_cpu: Callable[[], float] | None = None) -> None:
        """Run ``work`` on a thread of its own; ``expected_cpu`` (called there) gives the CPU
        seconds the work should take, so that small work does not start a cluster."""
        if self.busy:
            raise RuntimeError("a capacity job is already running")
        self.what = what
        self.cancel_event = threading.Event()
        self.thread = QThread()
        self.thread.setObjectName(f"capacity-{what}")
        self.job = _Job(work, self.workers, self.cancel_event, expected_cpu)
        self.job.moveToThread(self.thread)
        self.thread.started.connect(self.job.run)
        self.job.progressed.connect(self.progressed)
        self.job.notice.connect(self.notice)
        # slots of this object (GUI thread): queued, never run on the job's thread
        self.job.done.connect(self._on_done)
        self.job.failed.connect(self._on_failed)
        self.job.cancelled.connect(self._on_cancelled)
        self.thread.start()

    @Slot(object)
    def _on_done(self, result) -> None:
        self._join()
        self.finished.emit(self.what, result)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._join()
        self.failed.emit(self.what, message)

    @Slot()
    def _on_cancelled(self) -> None:
        self._join()
        self.cancelled.emit(self.what)

    def _join(self) -> None:
        if self.thread is not None:
            self.thread.quit()
            self.thread.wait()
            self.thread.deleteLater()
            self.job.deleteLater()
        self.thread = self.job = None

    def cancel(self) -> None:
        self.cancel_event.set()

    def stop(self) -> None:
        """Cancel and wait for the thread (window closing)."""
        if self.thread is not None:
            self.cancel_event.set()
            self.thread.wait()
            self._join()


def progress_text(what: str, p: Progress) -> str:
    from ...commands.capacity_runs import clock
    left = p.remaining_s
    tail = f" · ~{clock(left)} left" if left is not None and p.done < p.total else ""
    return f"{what}: {p.done} of {p.total} runs · {clock(p.elapsed_s)} elapsed{tail}"
