"""Keys on the canvas: arrow keys nudge the selection (Shift: ten times as far), Tab and
Shift+Tab move the selection from node to node in reading order (rows top to bottom, left
to right in a row), bringing it into view.

:func:`handle_key` is called first by the view's ``keyPressEvent``; it returns True when it
used the key.  Without a selection the arrow keys scroll the view as usual.
"""
from __future__ import annotations

from PySide6.QtCore import Qt

from .style import GRID_STEP

ARROWS = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0),
          Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}
#: a nudge without snapping (with snapping on, one grid step)
FINE_STEP = 5.0
SHIFT_FACTOR = 10
#: nodes whose centres are this close in y count as one row for Tab
ROW_TOLERANCE = 40.0


def nudge_step(scene, shift: bool) -> float:
    step = GRID_STEP if scene.snap_to_grid else FINE_STEP
    return step * (SHIFT_FACTOR if shift else 1)


def reading_order(scene) -> list:
    """Every node and box in reading order (boxes by their top-left corner)."""
    def key(item):
        p = item.pos()
        return (round(p.y() / ROW_TOLERANCE), p.x(), item.node_id)
    return sorted(scene.all_node_items(), key=key)


def step_selection(view, backwards: bool) -> bool:
    scene = view.diagram_scene()
    order = reading_order(scene)
    if not order:
        return False
    selected = scene.selected_node_ids()
    if selected:
        ids = [i.node_id for i in order]
        current = ids.index(selected[-1 if not backwards else 0]) if \
            selected[0] in ids else -1
        index = (current + (-1 if backwards else 1)) % len(order)
    else:
        index = len(order) - 1 if backwards else 0
    item = order[index]
    scene.select_nodes([item.node_id])
    view.ensureVisible(item.sceneBoundingRect(), 60, 60)
    return True


def handle_key(view, event) -> bool:
    scene = view.diagram_scene()
    if scene.interaction is not None:
        return False
    key, modifiers = event.key(), event.modifiers()
    Mod = Qt.KeyboardModifier
    if key in ARROWS and not modifiers & (Mod.ControlModifier | Mod.AltModifier | Mod.MetaModifier):
        if not scene.selected_node_ids():
            return False  # nothing selected: the arrows scroll
        dx, dy = ARROWS[key]
        step = nudge_step(scene, bool(modifiers & Mod.ShiftModifier))
        scene.nudge(dx * step, dy * step)
        return True
    if key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and not modifiers & Mod.ControlModifier:
        backwards = key == Qt.Key.Key_Backtab or bool(modifiers & Mod.ShiftModifier)
        return step_selection(view, backwards)
    return False
