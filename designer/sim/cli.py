"""``outbound-designer simulate FILE [--duration S] [--seed N] [--sample S] [--json]
[--out REPORT] [--csv CSV]`` (the arguments are defined in designer/cli.py)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

from ..model import Scenario, load_scenario
from ..model.io import atomic_write_text as _write_atomic
from .report import dumps_report, series_csv, simulate, summary


def run_simulate(args: argparse.Namespace,
                 on_report: Callable[[Scenario, dict], None] | None = None) -> int:
    """The simulate command.  ``on_report(scenario, report)`` lets the front door add writers
    that need Qt (the HTML report with its diagram) without this module importing them."""
    from ..cli import EXIT_OK, CliError
    if args.duration is not None and args.duration <= 0:
        raise CliError(f"--duration must be positive, got {args.duration}")
    if args.sample is not None and args.sample <= 0:
        raise CliError(f"--sample must be positive, got {args.sample}")
    for option in ("out", "csv", "html"):
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
    if on_report is not None:
        on_report(scenario, report)
    if args.json:
        sys.stdout.write(text)
    else:
        sys.stdout.write(summary(report))
    return EXIT_OK
