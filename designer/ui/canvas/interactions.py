"""Interaction modes of the canvas as small handler objects.

The scene starts one on a mouse press (move a selection, resize a box, draw a connection) and
forwards move / release / cancel to it; the view owns panning (:class:`PanInteraction`) and
rubber-band selection is ``QGraphicsView``'s own.  Every gesture ends in ONE undo command
pushed on release; while it runs, only items move (the model is untouched until then).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QPainterPath
from PySide6.QtWidgets import QApplication, QGraphicsPathItem

from ...model import Link
from ..commands import MoveNodesCommand
from . import zorder
from .items import ContainerItem, NodeItem
from .style import cosmetic_pen, snap

if TYPE_CHECKING:
    from .scene import DiagramScene

ALT = Qt.KeyboardModifier.AltModifier


def snapping(scene: "DiagramScene", event) -> bool:
    return scene.snap_to_grid and not (event.modifiers() & ALT)


class Interaction:
    #: whether the scene should still pass the release to QGraphicsScene (selection clicks)
    passes_release = False

    def __init__(self, scene: "DiagramScene"):
        self.scene = scene

    def move(self, event) -> None:
        pass

    def release(self, event) -> None:
        pass

    def cancel(self) -> None:
        pass


# -------------------------------------------------------------------------------- moving

class MoveInteraction(Interaction):
    """Drag the selection (with every box's contents).  On release: one command with the
    move, plus the subnet / VNet membership changes of what was dropped into or out of a
    box ("Move vm-1 into subnet-1")."""

    passes_release = True

    def __init__(self, scene: "DiagramScene", grabbed: NodeItem | ContainerItem, event):
        super().__init__(scene)
        self.grabbed = grabbed
        self.press = QPointF(event.scenePos())
        self.press_screen = QPointF(event.screenPos())
        ids = set(scene.selected_node_ids()) | {grabbed.node_id}
        self.ids = scene.drag_set(ids)
        self.items = {i: scene.node_item(i) for i in self.ids}
        self.start = {i: QPointF(item.pos()) for i, item in self.items.items()}
        # what sat inside its box when the drag began (dragging it out leaves the box)
        self.was_inside = {i: scene.inside_own_box(i) for i in self.ids}
        self.started = False
        self.drop_target: ContainerItem | None = None

    def move(self, event) -> None:
        if not self.started:
            distance = (QPointF(event.screenPos()) - self.press_screen).manhattanLength()
            if distance < QApplication.startDragDistance():
                return
            self.started = True
            # what stays still is drawn once; each frame paints what moves
            self.scene.static_layer.begin(self.ids)
        start = self.start[self.grabbed.node_id]
        anchor = start + (event.scenePos() - self.press)
        if snapping(self.scene, event):
            anchor = QPointF(snap(anchor.x()), snap(anchor.y()))
        delta = anchor - start
        self.scene.defer_link_updates()
        try:
            for node_id, item in self.items.items():
                item.setPos(self.start[node_id] + delta)
                self.scene.item_geometry_changed(item)
        finally:
            self.scene.flush_link_updates()
        self._show_drop_target()

    def _show_drop_target(self) -> None:
        target = None
        if self.grabbed.kind in ("vm", "subnet"):
            box_kind = "subnet" if self.grabbed.kind == "vm" else "vnet"
            target = self.scene.container_at(self.scene.anchor_point(self.grabbed), box_kind,
                                             exclude=self.ids)
        if target is not self.drop_target:
            if self.drop_target is not None:
                self.drop_target.set_highlight(None)
            self.drop_target = target
            if target is not None:
                target.set_highlight("drop")
            for view in self.scene.views():  # over the static layer, where the box is drawn
                if hasattr(view, "show_drop_box"):
                    view.show_drop_box(target.scene_rect() if target is not None else None)

    def cancel(self) -> None:
        self.scene.static_layer.end()
        if self.drop_target is not None:
            self.drop_target.set_highlight(None)
        self.scene.defer_link_updates()
        for node_id, item in self.items.items():
            item.setPos(self.start[node_id])
            self.scene.item_geometry_changed(item)
        self.scene.flush_link_updates()

    def release(self, event) -> None:
        self.move(event)  # the release decides the final place (and its Alt state)
        self.scene.static_layer.end()
        if self.drop_target is not None:
            self.drop_target.set_highlight(None)
        if not self.started:
            return
        scene = self.scene
        positions = {i: (item.pos().x(), item.pos().y()) for i, item in self.items.items()
                     if item.pos() != self.start[i]}
        if not positions:
            return
        changes = scene.membership_changes(self.ids, self.was_inside)
        scene.push_move(positions, changes, primary=self.grabbed.node_id)


# ------------------------------------------------------------------------------ resizing

class ResizeInteraction(Interaction):
    """Drag a box's grip; on release one "Resize subnet-1" step (never smaller than what the
    box holds)."""

    def __init__(self, scene: "DiagramScene", box: ContainerItem, event):
        super().__init__(scene)
        self.box = box
        self.press = QPointF(event.scenePos())
        self.start_size = box.size
        self.minimum = scene.minimum_box_size(box.node_id)

    def move(self, event) -> None:
        delta = event.scenePos() - self.press
        w = self.start_size[0] + delta.x()
        h = self.start_size[1] + delta.y()
        if snapping(self.scene, event):
            left, top = self.box.pos().x(), self.box.pos().y()
            w, h = snap(left + w) - left, snap(top + h) - top
        w, h = max(w, self.minimum[0]), max(h, self.minimum[1])
        self.box.set_size((w, h))
        self.scene.item_geometry_changed(self.box)

    def cancel(self) -> None:
        self.box.set_size(self.start_size)
        self.scene.item_geometry_changed(self.box)

    def release(self, event) -> None:
        self.move(event)
        if self.box.size == self.start_size:
            return
        scene = self.scene
        pos = (self.box.pos().x(), self.box.pos().y())
        scene.undo_stack.push(MoveNodesCommand(
            scene.scenario, {self.box.node_id: pos}, text=f"Resize {self.box.component.display_name}",
            sizes={self.box.node_id: self.box.size}))


# ---------------------------------------------------------------------------- connecting

class ConnectInteraction(Interaction):
    """Drag from a node's handle (or anywhere on it with the Connect tool) to another node.

    Valid targets light up (using the model's link-rule table and the topology's limits), the
    others dim; hovering an invalid one shows the reason in the status bar.  The link kind is
    chosen automatically when one fits, else from a small menu.  The drag may go either way
    (VM to load balancer makes the load balancer's backend link)."""

    def __init__(self, scene: "DiagramScene", source: NodeItem | ContainerItem):
        super().__init__(scene)
        self.source = source
        self.options: dict[str, list[Link]] = {}
        self.reasons: dict[str, str] = {}
        for item in scene.all_node_items():
            if item is source:
                continue
            links, reason = scene.connect_options(source.node_id, item.node_id)
            self.options[item.node_id] = links
            if links:
                item.set_highlight("valid")
            else:
                self.reasons[item.node_id] = reason
                item.set_highlight("invalid")
        self.target: NodeItem | ContainerItem | None = None
        self.preview = QGraphicsPathItem()
        self.preview.setPen(cosmetic_pen(scene.palette.selection, 2.0, (6, 4)))
        self.preview.setZValue(zorder.CONNECT_PREVIEW)
        scene.addItem(self.preview)
        count = sum(1 for links in self.options.values() if links)
        scene.statusMessage.emit(
            f"Connect {source.component.display_name}: drop on a highlighted item "
            f"({count} possible), Esc to cancel" if count else
            f"Nothing can be connected to {source.component.display_name} now")

    def move(self, event) -> None:
        pos = event.scenePos()
        start = self.scene.anchor_point(self.source)
        path = QPainterPath(start)
        path.lineTo(pos)
        self.preview.setPath(path)
        target = self.scene.node_item_at(pos, exclude={self.source.node_id})
        if target is self.target:
            return
        if self.target is not None:
            self.target.set_highlight("valid" if self.options.get(self.target.node_id) else "invalid")
        self.target = target
        if target is None:
            return
        if self.options.get(target.node_id):
            target.set_highlight("target")
            kinds = ", ".join(sorted({l.kind for l in self.options[target.node_id]}))
            self.scene.statusMessage.emit(f"Release to connect to {target.component.display_name} ({kinds})")
        else:
            self.scene.statusMessage.emit(
                f"Cannot connect to {target.component.display_name}: {self.reasons[target.node_id]}")

    def _cleanup(self) -> None:
        for item in self.scene.all_node_items():
            item.set_highlight(None)
        self.scene.removeItem(self.preview)

    def cancel(self) -> None:
        self._cleanup()
        self.scene.statusMessage.emit("Connection cancelled")

    def release(self, event) -> None:
        target = self.scene.node_item_at(event.scenePos(), exclude={self.source.node_id})
        self._cleanup()
        if target is None:
            self.scene.statusMessage.emit("Connection cancelled: release over another item")
            return
        links = self.options.get(target.node_id, [])
        if not links:
            self.scene.statusMessage.emit(
                f"Cannot connect {self.source.component.display_name} to "
                f"{target.component.display_name}: {self.reasons.get(target.node_id, '')}")
            return
        link = links[0] if len(links) == 1 else self.scene.choose_link(links, event.screenPos())
        if link is not None:
            self.scene.connect_nodes(link)


# ------------------------------------------------------------------------------- panning

class PanInteraction:
    """Middle-button or Space+drag panning of a view (moves its scroll bars)."""

    def __init__(self, view, pos: QPoint):
        self.view = view
        self.last = QPoint(pos)
        view.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)

    def move(self, pos: QPoint) -> None:
        delta = pos - self.last
        self.last = QPoint(pos)
        h, v = self.view.horizontalScrollBar(), self.view.verticalScrollBar()
        h.setValue(h.value() - delta.x())
        v.setValue(v.value() - delta.y())

    def finish(self) -> None:
        self.view.viewport().unsetCursor()
