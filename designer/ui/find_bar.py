"""Find a node by name or id (Edit ▸ Find, Ctrl+F) and jump to it.

A bar over the canvas with a search field that completes names and ids; Enter selects the
best match and brings it into view (exact matches first, then names and ids that start with
the text, then those that contain it), Enter again goes to the next match, Esc closes the bar
and gives the canvas the keyboard back.
"""
from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (QCompleter, QHBoxLayout, QLabel, QLineEdit, QMenu, QToolButton,
                               QWidget)

from .text import plain_label

MAX_ZOOM_TO = 1.0


def matches(topology, text: str) -> list[str]:
    """Node ids whose id or name matches ``text``, best first."""
    text = text.strip().lower()
    if not text:
        return []
    ranked = []
    for c in topology.nodes():
        keys = [c.id.lower(), c.display_name.lower()]
        if text in keys:
            rank = 0
        elif any(k.startswith(text) for k in keys):
            rank = 1
        elif any(text in k for k in keys):
            rank = 2
        else:
            continue
        ranked.append((rank, c.display_name.lower(), c.id))
    return [node_id for _rank, _name, node_id in sorted(ranked)]


class FindBar(QWidget):
    def __init__(self, window):
        super().__init__(window.canvas_holder)
        self.setObjectName("find-bar")
        self.window = window
        self.field = QLineEdit(self)
        self.field.setObjectName("find-field")
        self.field.setPlaceholderText("Find a node by name or id…")
        self.field.setClearButtonEnabled(True)
        self.completions = QStringListModel(self)
        completer = QCompleter(self.completions, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.field.setCompleter(completer)
        completer.activated.connect(self._completed)
        self.result = plain_label()
        self.result.setObjectName("find-result")
        close = QToolButton(self)
        close.setText("✕")
        close.setToolTip("Close (Esc)")
        close.clicked.connect(self.close_bar)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 3, 6, 3)
        layout.addWidget(QLabel("Find:"))
        layout.addWidget(self.field, 1)
        layout.addWidget(self.result)
        layout.addWidget(close)
        self.field.returnPressed.connect(self.go)
        self.field.textEdited.connect(lambda _t: self._reset())
        self._found: list[str] = []
        self._index = -1
        self.hide()
        window.canvas_holder.layout().insertWidget(0, self)
        action = window._action("edit-find", "&Find…", self.open_bar, QKeySequence.Find,
                                "Find a node by name or id and go to it")
        edit = window.menuBar().findChild(QMenu, "menu-edit")
        if edit is not None:
            edit.insertAction(window.action("action-edit-select-all"), action)

    def open_bar(self) -> None:
        topology = self.window.document.scenario.topology
        self.completions.setStringList(sorted(
            {c.display_name for c in topology.nodes()} | set(topology.node_ids())))
        self.show()
        self.field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.field.selectAll()

    def close_bar(self) -> None:
        self.hide()
        if self.window.view is not None:
            self.window.view.setFocus()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close_bar()
            event.accept()
            return
        super().keyPressEvent(event)

    def _reset(self) -> None:
        self._found, self._index = [], -1
        self.result.clear()

    def _completed(self, text: str) -> None:
        self.field.setText(text)
        self._reset()
        self.go()

    def go(self) -> str | None:
        """Select the next match and bring it into view; its id, or None."""
        topology = self.window.document.scenario.topology
        if not self._found:
            self._found = matches(topology, self.field.text())
            self._index = -1
        if not self._found:
            self.result.setText("no match")
            return None
        self._index = (self._index + 1) % len(self._found)
        node_id = self._found[self._index]
        scene, view = self.window.scene, self.window.view
        scene.select_nodes([node_id])
        item = scene.node_item(node_id)
        if view.zoom_factor() < 0.6:  # far out: come close enough to read it
            view.set_zoom(min(MAX_ZOOM_TO, 1.0), item.sceneBoundingRect().center())
        view.centerOn(item)
        self.result.setText(f"{self._index + 1} of {len(self._found)}")
        return node_id


def install_find(window) -> FindBar:
    """Edit ▸ Find (Ctrl+F) for ``window``."""
    return FindBar(window)
