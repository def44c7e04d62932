"""What every command shares: exit codes, the one-line error, the common options.

Exit codes (the public contract): 0 success; 1 the command found what it was asked to find
(error findings, a ``--fail-on`` condition) or failed on valid input; 2 unreadable input or
bad usage.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2


class CliError(Exception):
    """A failure to report as one line on stderr with an exit code."""

    def __init__(self, message: str, code: int = EXIT_BAD_INPUT):
        super().__init__(message)
        self.code = code


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more output (-vv for debug logging)")


EXIT_INTERRUPTED = 130


class Progress:
    """Progress of a long run on stderr, as a callable ``progress(now, end)``: on a terminal
    one line rewritten in place, with ``verbose`` (e.g. in a log) a line every few seconds,
    else nothing.  Nothing is shown for a run that ends within ``delay_s``."""

    def __init__(self, what: str, *, verbose: bool = False, stream=None,
                 delay_s: float = 1.0, every_s: float | None = None):
        import time
        self._clock = time.monotonic
        self.what = what
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = self.tty or verbose
        self.every_s = every_s if every_s is not None else (0.25 if self.tty else 5.0)
        self.start = self._clock()
        self.next_at = self.start + delay_s
        self.shown = False

    def __call__(self, now: float, end: float) -> None:
        if not self.enabled:
            return
        clock = self._clock()
        if clock < self.next_at:
            return
        self.next_at = clock + self.every_s
        elapsed = clock - self.start
        share = now / end if end > 0 else 0.0
        left = f", about {_duration(elapsed / share - elapsed)} left" if share > 0.01 else ""
        line = (f"{self.what}: {now:,.0f} s of {end:,.0f} s simulated ({share:.0%}), "
                f"{_duration(elapsed)} elapsed{left}")
        if self.tty:
            self.stream.write("\r" + line + "\x1b[K")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        """End the progress line (call before printing anything else)."""
        if self.shown and self.tty:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
        self.shown = False


def _duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min {seconds % 60:02.0f} s"
    return f"{seconds // 3600:.0f} h {seconds % 3600 // 60:02.0f} min"


def check_writable(target: str, option: str) -> None:
    """Fail early, with one line, when ``target`` cannot be written: no such folder, a folder
    we may not write, or a read-only file (the run would be wasted)."""
    from ..model.io import is_read_only, write_target
    real = write_target(target)
    folder = real.parent
    if not folder.is_dir():
        raise CliError(f"{option}: no such folder: {Path(target).parent}")
    if not os.access(folder, os.W_OK):
        raise CliError(f"cannot write {target}: the folder {folder} is not writable")
    if is_read_only(real):
        raise CliError(f"cannot write {target}: the file is read-only")
