"""``outbound-designer simulate FILE [--duration S] [--seed N] [--sample S] [--json]
[--out REPORT] [--csv CSV] [--html HTML]``: run a scenario headless and report.

Runs without Qt, except for ``--html``, whose report embeds the diagram and so needs the
(offscreen) exporter.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .base import EXIT_OK, CliError

HELP = "run a scenario headless and report"
DESCRIPTION = ("Run the simulation as fast as the machine allows and print a summary, or the "
               "JSON report with --json / --out.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--duration", type=float, default=None, metavar="S",
                        help="simulated seconds (default: the scenario's last generator stop, "
                             "or 600)")
    parser.add_argument("--seed", type=int, default=None, metavar="N",
                        help="random seed (default: the scenario's seed)")
    parser.add_argument("--sample", type=float, default=60.0, metavar="S",
                        help="metric sampling interval in seconds (default 60, as Azure "
                             "Monitor)")
    parser.add_argument("--json", action="store_true", help="print the JSON report on stdout")
    parser.add_argument("--out", metavar="REPORT", help="write the JSON report to this file")
    parser.add_argument("--csv", metavar="CSV", help="write the time series as CSV to this file")
    parser.add_argument("--html", metavar="HTML", help="write a self-contained HTML report")


def run(args: argparse.Namespace) -> int:
    from ..model import load_scenario
    from ..model.io import atomic_write_text
    from ..sim.report import dumps_report, series_csv, simulate, summary

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
                      sample_s=args.sample or 60.0, source=Path(args.file).name,
                      notify=lambda line: print(f"outbound-designer: {line}", file=sys.stderr))
    text = dumps_report(report)
    if args.out:
        atomic_write_text(args.out, text)
    if args.csv:
        atomic_write_text(args.csv, series_csv(report))
    if args.html:
        _write_html(scenario, report, args.html)
    sys.stdout.write(text if args.json else summary(report))
    return EXIT_OK


def _write_html(scenario, report: dict, target: str) -> None:
    # the HTML report embeds the diagram, which needs the (Qt) exporter
    from ..export.diagram import ExportOptions, svg_document
    from ..export.headless import ensure_headless_app, scene_for
    from ..export.reports import write_html
    ensure_headless_app()
    diagram = svg_document(scene_for(scenario), ExportOptions(title=scenario.name))
    write_html(report, target, diagram)
