"""``outbound-designer export FILE OUT.{png,svg,pdf}``: render a diagram headless."""
from __future__ import annotations

import argparse
import os
import sys

from ..cli import EXIT_OK, CliError


def ensure_headless_app():
    """A QApplication for rendering; offscreen when there is no display to talk to."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) \
            and sys.platform.startswith("linux"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication
    return QApplication.instance() or QApplication(["outbound-designer-export"])


def scene_for(scenario):
    """A scene mirroring ``scenario`` (no view, no window)."""
    from PySide6.QtGui import QUndoStack

    from ..ui.canvas.scene import DiagramScene
    stack = QUndoStack()
    scene = DiagramScene(scenario, stack)
    stack.setParent(scene)  # lives as long as the scene
    return scene


def run_export(args: argparse.Namespace) -> int:
    from ..model import load_scenario
    from .diagram import ExportOptions, export_scene, exporter_for

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
