"""Edit actions of the main window that work with the view and the clipboard: place a node
at the centre, select all, cut / copy / paste, and revealing what was added.

:class:`EditActions` is a mixin of :class:`~designer.ui.main_window.MainWindow`; the gestures
themselves are the scene's (``designer.ui.canvas.editing``).
"""
from __future__ import annotations

import atexit
import json

from PySide6.QtCore import QMimeData, QPointF, QRectF
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QApplication

from ..model.validation import Finding
from .canvas import CLIPBOARD_MIME


def _clear_clipboard_at_exit() -> None:
    """Qt's clipboard owns the QMimeData we put there and deletes it in a static destructor,
    after Python has finalised; its wrapper then calls into a dead interpreter and the process
    segfaults on exit.  Clearing the clipboard while Python still runs avoids that."""
    global _CLIPBOARD_HOOKED
    if not _CLIPBOARD_HOOKED:
        _CLIPBOARD_HOOKED = True
        atexit.register(lambda: QApplication.instance() and QApplication.clipboard().clear())


_CLIPBOARD_HOOKED = False



class EditActions:
    """Placing, selecting and the clipboard for :class:`MainWindow` (a mixin)."""

    def place_at_centre(self, kind: str) -> str:
        """Palette double-click: a new node at a free spot near the view's centre (one after
        another they line up rather than pile up)."""
        centre = self.view.mapToScene(self.view.viewport().rect().center())
        node_id = self.scene.place_node(kind, self.scene.free_spot(kind, centre))
        self.view.setFocus()
        return node_id

    def select_all(self) -> None:
        self.scene.select_nodes(self.document.scenario.topology.node_ids())

    def copy(self) -> bool:
        data = self.scene.copy_selection()
        if not data or not data.get("nodes"):
            self.show_status("Nothing selected to copy")
            return False
        mime = QMimeData()
        text = json.dumps(data)
        mime.setData(CLIPBOARD_MIME, text.encode("utf-8"))
        mime.setText(text)
        QApplication.clipboard().setMimeData(mime)
        _clear_clipboard_at_exit()
        return True

    def cut(self) -> None:
        if self.copy():
            self.scene.delete_selection()

    def clipboard_items(self) -> dict | None:
        """The diagram items on the clipboard (a scenario document), or None."""
        mime = QApplication.clipboard().mimeData()
        if mime is None or not mime.hasFormat(CLIPBOARD_MIME):
            return None
        try:
            return json.loads(bytes(mime.data(CLIPBOARD_MIME)).decode("utf-8"))
        except ValueError:
            return None

    def paste(self, at: QPointF | None = None) -> list[str]:
        """Paste the clipboard's items at ``at`` (a scene point), else at the mouse cursor
        when it is over the canvas, else beside the originals."""
        data = self.clipboard_items()
        if data is None:
            self.show_status("The clipboard holds no diagram items")
            return []
        if at is None:
            viewport = self.view.viewport()
            cursor = viewport.mapFromGlobal(QCursor.pos())
            if viewport.rect().contains(cursor):
                at = self.view.mapToScene(cursor)
        ids = self.scene.paste(data, at=at)
        self._reveal(ids)
        return ids

    def _reveal(self, node_ids: list[str]) -> None:
        """Scroll the view so that new items (pasted, duplicated) are in sight."""
        rect = QRectF()
        for node_id in node_ids:
            item = self.scene.node_item(node_id)
            if item is not None:
                rect = rect.united(item.sceneBoundingRect())
        if not rect.isEmpty():
            self.view.ensureVisible(rect, 40, 40)

    def _selection_changed(self) -> None:
        scene = self.scene
        if scene is None:
            return
        self.inspector.show_selection(scene.selected_node_ids(), scene.selected_links())

    def _node_activated(self, node_id: str) -> None:
        self.dock_inspector.show()
        self.dock_inspector.raise_()

    def go_to_finding(self, finding: Finding) -> None:
        node_id = finding.node_id or (finding.link.source if finding.link else None)
        if node_id is None or node_id not in self.document.scenario.topology:
            return
        self.scene.select_nodes([node_id])
        item = self.scene.node_item(node_id)
        if item is not None:
            self.view.centerOn(item)

    def _findings_changed(self, findings: list) -> None:
        if self.scene is not None:
            self.scene.set_findings(findings)
        errors = sum(f.severity == "error" for f in findings)
        warnings = sum(f.severity == "warning" for f in findings)
        self.findings_label.setText(f"{errors} error(s), {warnings} warning(s)"
                                    if findings else "No findings")
