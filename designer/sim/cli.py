"""``outbound-designer simulate FILE [--duration S] [--seed N] [--sample S] [--json]
[--out REPORT] [--csv CSV]`` (the arguments are defined in designer/cli.py)."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from ..model import load_scenario
from .report import dumps_report, series_csv, simulate, summary


def _write_atomic(path: str, text: str) -> None:
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=str(target.parent or "."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def run_simulate(args: argparse.Namespace) -> int:
    from ..cli import EXIT_OK, CliError
    if getattr(args, "html", None):
        raise CliError("--html is not available yet; use --json, --out REPORT or --csv CSV")
    if args.duration is not None and args.duration <= 0:
        raise CliError(f"--duration must be positive, got {args.duration}")
    if args.sample is not None and args.sample <= 0:
        raise CliError(f"--sample must be positive, got {args.sample}")
    for option in ("out", "csv"):
        target = getattr(args, option, None)
        if target and not Path(target).resolve().parent.is_dir():
            raise CliError(f"--{option}: no such folder: {Path(target).parent}")
    scenario = load_scenario(args.file)
    report = simulate(scenario, duration=args.duration, seed=args.seed,
                      sample_s=args.sample or 60.0, source=Path(args.file).name)
    text = dumps_report(report)
    if args.out:
        _write_atomic(args.out, text)
    if getattr(args, "csv", None):
        _write_atomic(args.csv, series_csv(report))
    if args.json:
        sys.stdout.write(text)
    else:
        sys.stdout.write(summary(report))
    return EXIT_OK
