"""Qt without a window: an application for rendering and a scene that mirrors a scenario.

Used by the commands that draw (``export``, ``simulate --html``) and by tests.
"""
from __future__ import annotations

import os
import sys


def ensure_headless_app():
    """A QApplication for rendering; offscreen when there is no display to talk to."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) \
            and sys.platform.startswith("linux"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication
    return QApplication.instance() or QApplication(["outbound-designer-export"])


def scene_for(scenario):
    """A scene mirroring ``scenario`` (no view, no window).  Nodes the scenario was read
    without a position are laid out first (``designer.model.layout``), so a file written by
    hand, a script or an importer draws as a diagram rather than a pile at one point."""
    from PySide6.QtGui import QUndoStack

    from ..model.layout import lay_out_unplaced
    from ..ui.canvas.scene import DiagramScene
    lay_out_unplaced(scenario)
    stack = QUndoStack()
    scene = DiagramScene(scenario, stack)
    stack.setParent(scene)  # lives as long as the scene
    return scene
