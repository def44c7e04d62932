"""``outbound-designer export FILE OUT``: render the diagram headless (``.png``, ``.svg``,
``.pdf``) or write the design as code (``.arm.json``, ``.bicep``, ``.tf``).

The formats are those of the exporter registry (``designer.export.registry``), the same one
that serves File ▸ Export and File ▸ Export as Code in the editor. Code needs no Qt.
"""
from __future__ import annotations

import argparse
import sys

from .base import EXIT_OK, CliError

HELP = "render the diagram (PNG, SVG, PDF) or write the design as code (ARM, Bicep, Terraform)"
DESCRIPTION = ("Render the diagram headless to OUT (.png, .svg or .pdf), or write the design "
               "as infrastructure code (.arm.json, .bicep or .tf; see docs/export-as-code.md).")


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
    parser.add_argument("--no-simulation", action="store_true",
                        help="code: do not simulate for the verdict comment at the top")


def run(args: argparse.Namespace) -> int:
    from ..export.registry import CODE, exporter_for
    try:
        exporter = exporter_for(args.out)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if exporter.kind == CODE:
        return _export_code(args, exporter)
    if args.no_simulation:
        raise CliError(f"--no-simulation: only for code (.arm.json, .bicep, .tf), not for "
                       f"{exporter.label}s")
    from ..export.diagram import ExportOptions, export_scene
    from ..export.headless import ensure_headless_app, scene_for
    from ..model import load_scenario

    try:
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
    from ..sim.engine import Engine, run_sliced
    from ..sim.report import choose_kernel
    from .base import EXIT_INTERRUPTED, Progress
    snapshot = scenario.snapshot()
    try:
        limit = budget.default_limit() if args.max_memory is None else \
            budget.parse_size(args.max_memory)
    except ValueError as exc:
        raise CliError(f"--max-memory: {exc}") from None
    cost = budget.estimate(snapshot, args.at or None)
    too_big = cost.over_limit(limit)
    if too_big:
        raise CliError(f"{args.file}: --at {args.at:g}: {too_big}; raise the limit with "
                       f"--max-memory {budget.suggest_limit(cost)}, or draw an earlier moment")
    choose_kernel(snapshot, float(args.at),
                  notify=lambda line: print(f"outbound-designer: {line}", file=sys.stderr))
    engine = Engine(snapshot, record_samples=False)
    progress = Progress(f"simulating {args.file} to {args.at:g} s", verbose=bool(args.verbose))
    try:
        run_sliced(engine, float(args.at), progress)
    except KeyboardInterrupt:
        raise CliError(f"interrupted at {engine.now:,.3f} s of {args.at:g} s simulated; "
                       f"nothing was written", EXIT_INTERRUPTED) from None
    finally:
        progress.finish()
    return engine.frame()
def _export_code(args: argparse.Namespace, exporter) -> int:
    """ARM, Bicep or Terraform: no Qt, the conversion notes on stderr."""
    from pathlib import Path

    from ..export.code import CodeOptions
    from ..model import load_scenario

    diagram_only = [flag for flag, used in (("--scale", args.scale != 1.0),
                                            ("--margin", args.margin != 24.0),
                                            ("--transparent", args.transparent),
                                            ("--theme", args.theme != "light"),
                                            ("--grid", args.grid), ("--at", args.at is not None),
                                            ("--select", bool(args.select))) if used]
    if diagram_only:
        raise CliError(f"{', '.join(diagram_only)}: only for diagrams (.png, .svg, .pdf), not "
                       f"for {exporter.label}s")
    scenario = load_scenario(args.file)  # ScenarioFormatError -> one line, exit 2 (cli.main)
    options = CodeOptions(simulate=not args.no_simulation, source=Path(args.file).name)
    try:
        notes = exporter.write(scenario, args.out, options) or []
    except OSError as exc:
        raise CliError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    for note in notes:
        print(f"outbound-designer: {note}", file=sys.stderr)
    if args.verbose:
        print(f"wrote {args.out}")
    return EXIT_OK
