"""PNG exports at 2x-4x scale the link lines with the glyphs and text (no 1-pixel lines next
to glyphs four times their size)."""
from __future__ import annotations

from PySide6.QtGui import QImage, QUndoStack

from designer.export.diagram import ExportOptions, export_scene
from designer.model import Link, Scenario, make_component
from designer.ui.canvas.scene import DiagramScene


def line_thickness(image: QImage, x: int) -> int:
    """How many pixels of column ``x`` are darker than the background (the link line)."""
    background = image.pixelColor(x, 2)
    return sum(1 for y in range(image.height())
               if abs(image.pixelColor(x, y).lightness() - background.lightness()) > 40)


def test_link_lines_scale_with_the_export(qapp, tmp_path):
    scenario = Scenario()
    t = scenario.topology
    t.add_node(make_component("load_balancer", "lb", position=(0.0, 0.0)))
    t.add_node(make_component("vm", "vm", position=(600.0, 0.0)))
    t.connect(Link("lb", "vm", "backend"))
    stack = QUndoStack()
    scene = DiagramScene(scenario, stack)
    widths = {}
    for scale in (1, 3):
        out = tmp_path / f"x{scale}.png"
        export_scene(scene, out, ExportOptions(scale=scale, margin=10))
        image = QImage(str(out))
        # the middle of the link, far from both tiles
        widths[scale] = line_thickness(image, image.width() // 2)
    assert widths[1] >= 1
    assert widths[3] >= 2 * widths[1], widths  # cosmetic pens gave the same width at 3x
    # and on screen the scene is back to cosmetic (one-pixel-per-unit-width) pens
    assert scene.link_item(Link("lb", "vm", "backend")).line.pen().isCosmetic()
