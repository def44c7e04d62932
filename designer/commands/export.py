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
    scenario = load_scenario(args.file)  # ScenarioFormatError -> one line, exit 2 (cli.main)
    options.title = scenario.name
    ensure_headless_app()
    scene = scene_for(scenario)
    if args.at is not None:
        # the live gauges as they stand ``--at`` simulated seconds into a headless run
        from ..ui.live.gauges import apply_frame, frame_at
        try:
            apply_frame(scene, frame_at(scenario, args.at))
        except ValueError as exc:
            raise CliError(str(exc)) from None
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
