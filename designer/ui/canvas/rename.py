"""Rename on the canvas: F2, or a double-click on a node's name or a box's title, opens an
editor over the name; Enter (or clicking elsewhere) renames in one undo step, Esc leaves
the name as it was.  An empty name goes back to the id.
"""
from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLineEdit

from ..commands import SetPropertyCommand
from .items import ContainerItem


class InlineRename(QLineEdit):
    """The editor over a name (a child of the view's viewport)."""

    def __init__(self, view, node_id: str):
        super().__init__(view.viewport())
        self.setObjectName("canvas-rename")
        self.view = view
        self.node_id = node_id
        self._done = False
        scene = view.diagram_scene()
        item = scene.node_item(node_id)
        component = item.component
        self.setText(component.name or "")
        self.setPlaceholderText(component.id)
        self.selectAll()
        self.setToolTip("Enter to rename, Esc to keep the name; empty: the id")
        # over the caption: under a node's tile, or along a box's top edge
        if isinstance(item, ContainerItem):
            anchor = view.mapFromScene(item.scene_rect().topLeft()) + QPoint(30, 4)
            self.move(anchor)
        else:
            below = view.mapFromScene(item.pos().x(), item.pos().y() + 30)
            width = max(140, self.fontMetrics().horizontalAdvance(self.text()) + 30)
            self.resize(width, self.sizeHint().height())
            self.move(below - QPoint(width // 2, 0))
        self.editingFinished.connect(self.commit)
        self.show()
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.cancel()
            event.accept()
            return
        super().keyPressEvent(event)

    def commit(self) -> None:
        if self._done:
            return
        self._done = True
        scene = self.view.diagram_scene()
        topology = scene.scenario.topology
        if self.node_id in topology:
            name = self.text().strip() or None
            if topology.node(self.node_id).name != name:
                scene.undo_stack.push(SetPropertyCommand(scene.scenario, self.node_id, "name",
                                                         name))
        self._close()

    def cancel(self) -> None:
        self._done = True
        self._close()

    def _close(self) -> None:
        self.hide()
        self.view.setFocus()
        self.deleteLater()
        if self.view.renaming is self:
            self.view.renaming = None
