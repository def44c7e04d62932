"""``outbound-designer export FILE OUT.{png,svg,pdf}``: render a diagram headless.

The formats are those of the exporter registry (``designer.export.diagram``), the same one
that serves File ▸ Export in the editor.
"""
from __future__ import annotations

import argparse
import sys

from .base import EXIT_OK, CliError

HELP = "render the diagram to PNG, SVG or PDF (headless)"
DESCRIPTION = "Render the diagram headless to OUT (.png, .svg or .pdf)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("out", metavar="OUT")
    parser.add_argument("--scale", type=float, default=1.0, metavar="F", help="PNG scale 1-4")
    parser.add_argument("--margin", type=float, default=24.0, metavar="PX",
                        help="margin around the drawing")
    parser.add_argument("--transparent", action="store_true", help="transparent background")
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    parser.add_argument("--grid", action="store_true", help="draw the grid")
    parser.add_argument("--at", type=float, default=None, metavar="S",
                        help="draw the live gauges as they stand S simulated seconds into a run")
    parser.add_argument("--select", metavar="IDS",
                        help="export only these comma-separated node ids")
    parser.add_argument("--max-memory", metavar="SIZE", default=None,
                        help="with --at: refuse a run estimated to need more memory than SIZE "
                             "(like 4G; none = no limit; default: 80%% of this machine's "
                             "memory)")


def run(args: argparse.Namespace) -> int:
    from ..export.diagram import ExportOptions, export_scene, exporter_for
    from ..export.headless import ensure_headless_app, scene_for
    from ..model import load_scenario

    try:
        exporter_for(args.out)
        options = ExportOptions(scale=args.scale, margin=args.margin,
                                transparent=args.transparent, dark=args.theme == "dark",
                                grid=args.grid,
                                node_ids=[s.strip() for s in (args.select or "").split(",")
                                          if s.strip()])
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if args.at is not None and args.at != 0:
        from ..sim.budget import check_run_range
        try:
            check_run_range(args.at)
        except ValueError as exc:
            raise CliError(f"--at: {exc}") from None
    scenario = load_scenario(args.file)  # ScenarioFormatError -> one line, exit 2 (cli.main)
    options.title = scenario.name
    ensure_headless_app()
    scene = scene_for(scenario)
    if args.at is not None:
        # the live gauges as they stand ``--at`` simulated seconds into a headless run
        from ..ui.live.gauges import apply_frame
        apply_frame(scene, _frame_at(scenario, args))
        options.title = f"{scenario.name} at {args.at:g} s"
    try:
        for note in export_scene(scene, args.out, options):
            print(f"outbound-designer: note: {note}", file=sys.stderr)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    if args.verbose:
        print(f"wrote {args.out}")
    return EXIT_OK


def _frame_at(scenario, args: argparse.Namespace):
    """The frame ``args.at`` simulated seconds into a run of ``scenario``: within the memory
    limit, with progress on stderr, and stopped by Ctrl+C (exit 130, nothing written)."""
    from ..sim import budget
    from ..sim.engine import Engine
    from .base import EXIT_INTERRUPTED, Progress
    snapshot = scenario.snapshot()
    try:
        limit = budget.default_limit() if args.max_memory is None else \
            budget.parse_size(args.max_memory)
    except ValueError as exc:
        raise CliError(f"--max-memory: {exc}") from None
    cost = budget.estimate(snapshot, args.at or None, fast_forward=False)
    too_big = cost.over_limit(limit)
    if too_big:
        raise CliError(f"{args.file}: --at {args.at:g}: {too_big}; raise the limit with "
                       f"--max-memory {budget.suggest_limit(cost)}, or draw an earlier moment")
    engine = Engine(snapshot, record_samples=False)
    progress = Progress(f"simulating {args.file} to {args.at:g} s", verbose=bool(args.verbose))
    try:
        budget.run_sliced(engine, float(args.at), progress)
    except KeyboardInterrupt:
        raise CliError(f"interrupted at {engine.now:,.3f} s of {args.at:g} s simulated; "
                       f"nothing was written", EXIT_INTERRUPTED) from None
    finally:
        progress.finish()
    return engine.frame()
