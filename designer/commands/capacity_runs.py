"""What ``fixes`` and ``sweep`` share on the command line (a helper, not a command): the
execution options, the progress bar on stderr, and closing the executor whatever happens
(Ctrl+C included)."""
from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Callable, TextIO

from .base import EXIT_FINDINGS, CliError

if TYPE_CHECKING:  # the capacity package (numpy, the engine) is imported when a command runs
    from ..capacity.execute import Driver, Progress


def add_execution_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--duration", type=float, default=None, metavar="S",
                        help="simulated seconds per run (default: the scenario's last "
                             "generator stop, or 600)")
    parser.add_argument("--seeds", type=int, default=1, metavar="K",
                        help="runs per setting with seeds N, N+1, ... N+K-1 (N = the "
                             "scenario's seed; default 1)")
    parser.add_argument("--sample", type=float, default=60.0, metavar="S",
                        help="metric sampling interval of each run (default 60)")
    parser.add_argument("--scheduler", metavar="tcp://HOST:8786", default=None,
                        help="run on this Dask cluster (default: $DASK_SCHEDULER_ADDRESS, else "
                             "a local cluster of one process per core)")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="processes of the local cluster (default: one per core; 0 = run "
                             "in this process, one after another)")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar on stderr")


def check_execution_arguments(args: argparse.Namespace) -> None:
    if args.duration is not None and args.duration <= 0:
        raise CliError(f"--duration must be positive, got {args.duration:g}")
    if args.seeds < 1:
        raise CliError(f"--seeds must be at least 1, got {args.seeds}")
    if args.sample <= 0:
        raise CliError(f"--sample must be positive, got {args.sample:g}")
    if args.workers is not None and args.workers < 0:
        raise CliError(f"--workers must be 0 or more, got {args.workers}")


def check_targets(args: argparse.Namespace, options: tuple[str, ...]) -> None:
    """Refuse an output file in a folder that does not exist, before any run."""
    from pathlib import Path
    for option in options:
        target = getattr(args, option, None)
        if target and not Path(target).resolve().parent.is_dir():
            raise CliError(f"--{option}: no such folder: {Path(target).parent}")


def clock(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    return (f"{h}:" if h else "") + f"{rest // 60:02d}:{rest % 60:02d}"


class TerminalProgress:
    """``[#######.........] 12/32 runs  00:07 elapsed  ~00:11 left`` on stderr: redrawn in
    place on a terminal, one line per tenth otherwise (logs stay short)."""

    WIDTH = 24

    def __init__(self, stream: TextIO | None = None, what: str = "runs") -> None:
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.what = what
        self._last_line = ""
        self._last_tenth = -1
        self._last_draw = 0.0

    def line(self, p: "Progress") -> str:
        total = max(p.total, 1)
        filled = int(self.WIDTH * min(p.done, total) / total)
        left = p.remaining_s
        tail = f"  ~{clock(left)} left" if left is not None and p.done < p.total else ""
        return (f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {p.done}/{p.total} {self.what}"
                f"  {clock(p.elapsed_s)} elapsed{tail}")

    def __call__(self, p: "Progress") -> None:
        text = self.line(p)
        if self.tty:
            now = time.monotonic()
            if text != self._last_line and (now - self._last_draw > 0.1 or p.done >= p.total):
                self.stream.write("\r" + text.ljust(len(self._last_line)))
                self.stream.flush()
                self._last_line, self._last_draw = text, now
            return
        tenth = int(10 * p.done / max(p.total, 1))
        if tenth != self._last_tenth and p.done:
            self._last_tenth = tenth
            self.stream.write(text + "\n")
            self.stream.flush()

    def finish(self) -> None:
        if self.tty and self._last_line:
            self.stream.write("\n")
            self.stream.flush()


def run_with_driver(args: argparse.Namespace, work: Callable[["Driver"], object],
                    what: str = "runs", expected_cpu: float | None = None):
    """Open the executor the options ask for (``expected_cpu``: the CPU seconds the work
    should take, from ``capacity.execute.expected_cpu_s``), run ``work(driver)``, close it on
    every way out; errors become one line (CliError)."""
    from ..capacity.execute import Cancelled, CapacityError, Driver, open_executor

    def notice(text: str) -> None:
        print(f"outbound-designer: {text}", file=sys.stderr)
    progress = None if args.no_progress else TerminalProgress(what=what)
    cancel = threading.Event()
    previous = _catch_ctrl_c(cancel)
    try:
        try:
            executor = open_executor(args.scheduler, args.workers, notice, expected_cpu)
        except CapacityError as exc:
            raise CliError(str(exc)) from None
        try:
            if getattr(args, "verbose", 0):
                notice(f"running on {executor.description}")
            if cancel.is_set():
                raise Cancelled()
            return work(Driver(executor, progress, cancel))
        except CapacityError as exc:
            raise CliError(str(exc), EXIT_FINDINGS) from None
        except Cancelled:
            if progress is not None:
                progress.finish()
                progress = None
            notice("cancelled: the outstanding runs were dropped")
            raise KeyboardInterrupt from None
        finally:
            if progress is not None:
                progress.finish()
            executor.close()
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _catch_ctrl_c(cancel: threading.Event):
    """Ctrl+C asks the driver to cancel (at its next wake-up, within 0.2 s) instead of raising
    inside Dask's machinery; a second Ctrl+C interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
    return signal.signal(signal.SIGINT, handler)


def seeds_of(scenario, count: int) -> list[int]:
    return [scenario.seed + i for i in range(count)]
