"""The inspector: the selected node's fields as proper editors, generated from ``field_specs``;
a selected link's kind and ends; the scenario's metadata when nothing is selected.

Every edit is an undo command (SetPropertyCommand, ReplaceNodeCommand, SetMetaCommand);
consecutive edits of one field merge (the commands' ``mergeWith``).  A value is checked before
any command is made: an invalid one is refused with a message and the editor shows the model's
value again, so nothing is ever half-applied.  The editors follow the model's change events
(including undo and redo) without being rebuilt, so typing is never interrupted.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (QApplication, QComboBox, QFormLayout, QFrame, QGroupBox,
                               QLineEdit, QPlainTextEdit, QScrollArea, QSpinBox, QVBoxLayout,
                               QWidget)

from ..model import LINK_RULES, OPTION_SPECS, Link, Scenario, field_specs
from ..model.io import SEMANTICS
from ..model.topology import ChangeEvent, TopologyError
from .commands import ReplaceNodeCommand, SetMetaCommand, SetPropertyCommand
from .editors import INT_LIMIT, Editor, field_label, field_tooltip, format_value, make_editor
from .multi_edit import MultiEdit
from .text import plain_label

#: fields the canvas edits (dragging, resizing); the inspector leaves them out
CANVAS_FIELDS = ("position", "size")


# ============================================================================ the inspector

class Inspector(QWidget):
    """Shows the selection; ``statusMessage`` carries refusals for the status bar."""

    statusMessage = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.scenario: Scenario | None = None
        self.undo_stack: QUndoStack | None = None
        self.node_id: str | None = None
        self.link: Link | None = None
        self.mode = "empty"  # empty / node / link / scenario / multiple
        self.editors: dict[str, Editor] = {}
        self.title = plain_label()  # names are shown as written, never as rich text
        self.title.setObjectName("inspector-title")
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.title.setFont(font)
        self.title.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.error = plain_label()
        self.error.setObjectName("inspector-error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d93025;")
        self.error.hide()
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.error)
        layout.addWidget(self.scroll, 1)
        self.content: QWidget | None = None
        self._multi_sync = QTimer(self)
        self._multi_sync.setObjectName("inspector-multi-sync")
        self._multi_sync.setSingleShot(True)
        self._multi_sync.setInterval(0)
        self._multi_sync.timeout.connect(lambda: self.mode == "multiple" and self.multi.sync())
        #: node forms kept per kind (building one costs tens of ms; selecting is frequent)
        self._node_forms: dict[str, tuple[QWidget, QFormLayout, dict[str, Editor]]] = {}

    # ------------------------------------------------------------------ document
    def set_document(self, scenario: Scenario, undo_stack: QUndoStack) -> None:
        self.detach()
        self.scenario = scenario
        self.undo_stack = undo_stack
        scenario.topology.subscribe(self._on_change)
        self.show_selection([], [])

    def detach(self) -> None:
        self._flush_focus()
        self._clear_forms()
        if self.scenario is not None:
            self.scenario.topology.unsubscribe(self._on_change)
        self.scenario = None
        self.undo_stack = None

    def show_selection(self, node_ids: list[str], links: list[Link]) -> None:
        self._flush_focus()
        self.clear_error()
        if self.scenario is None:
            return
        if len(node_ids) == 1 and not links and node_ids[0] in self.scenario.topology:
            self._build_node(node_ids[0])
        elif len(links) == 1 and not node_ids:
            self._build_link(links[0])
        elif node_ids or links:
            self._build_multiple(node_ids, links)
        else:
            self._build_scenario()

    # ------------------------------------------------------------------ messages
    def refuse(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
        self.statusMessage.emit(message)

    def clear_error(self) -> None:
        self.error.clear()
        self.error.hide()

    # ------------------------------------------------------------------ building
    def _flush_focus(self) -> None:
        """Finish the edit in progress (a line edit commits on focus out) while its node and
        document are still the ones shown, before the editors go away."""
        focus = QApplication.focusWidget()
        if focus is not None and self.content is not None and self.content.isAncestorOf(focus):
            focus.clearFocus()

    def _live(self, commit: Callable) -> Callable:
        """``commit`` while the editors it was made for are the ones shown (a late signal of
        an editor that was taken away, e.g. by a document switch, changes nothing)."""
        content = self.content

        def call(*args):
            if self.content is not content or self.scenario is None:
                return False
            return commit(*args)
        return call

    def _clear_forms(self) -> None:
        for widget, _form, _editors in self._node_forms.values():
            if widget is not self.content:
                widget.deleteLater()
        self._node_forms.clear()

    def _take_content(self) -> None:
        old = self.scroll.takeWidget()
        if old is None:
            return
        if any(old is w for w, _f, _e in self._node_forms.values()):
            old.hide()
            old.setParent(self)  # kept for the next node of its kind, owned by the inspector
        else:
            old.deleteLater()

    def _new_content(self) -> QFormLayout:
        self.editors = {}
        self.node_id = None
        self.link = None
        self._take_content()
        self.content = QWidget()
        self.content.setObjectName("inspector-content")
        outer = QVBoxLayout(self.content)
        outer.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        outer.addLayout(form)
        outer.addStretch(1)
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.WrapLongRows)
        self.scroll.setWidget(self.content)
        return form

    def _build_node(self, node_id: str) -> None:
        component = self.scenario.topology.node(node_id)
        self.title.setText(f"{component.LABEL} · {component.display_name}"
                           + (f" (id {node_id})" if component.display_name != node_id else ""))
        cached = self._node_forms.get(component.KIND)
        if cached is not None:  # the same editors, now showing this node
            widget, _form, editors = cached
            if self.content is not widget:
                self._take_content()
                self.content = widget
                self.scroll.setWidget(widget)
            self.editors = editors
            self.link = None
            self.mode = "node"
            self.node_id = node_id
            self._sync_node()
            return
        form = self._new_content()
        self.mode = "node"
        self.node_id = node_id
        # the editors commit to whichever node they show (self.node_id at the time)
        choices = {"frontend": lambda: self.scenario.topology.frontends(self.node_id)} \
            if component.KIND == "load_balancer" else None
        for spec in field_specs(type(component)):
            if spec.name in CANVAS_FIELDS:
                continue
            editor = make_editor(
                spec, self._live(lambda v, f=spec.name: self._commit_node(self.node_id, f, v)),
                self.refuse,
                self._live(lambda v, text, f=spec.name:
                           self._restructure_node(self.node_id, f, v, text)),
                choices)
            editor.widget.setToolTip(field_tooltip(spec))
            self.editors[spec.name] = editor
            if spec.type in ("record", "record_list"):
                form.addRow(editor.widget)
            else:
                form.addRow(field_label(spec), editor.widget)
        self._node_forms[component.KIND] = (self.content, form, self.editors)
        self._sync_node()

    def _build_link(self, link: Link) -> None:
        form = self._new_content()
        self.mode = "link"
        self.link = link
        topology = self.scenario.topology
        rule = LINK_RULES[link.kind]
        self.title.setText(f"Link · {rule.label}")
        src, dst = topology.get(link.source), topology.get(link.target)
        for name, title, node, node_id in (("from", "From", src, link.source),
                                           ("to", "To", dst, link.target)):
            label = plain_label(f"{node.display_name} ({node.LABEL})" if node else node_id)
            label.setObjectName(f"link-{name}")
            form.addRow(title, label)
        kind = plain_label(rule.label)
        kind.setObjectName("field-link-kind")
        form.addRow("Kind", kind)
        meaning = plain_label(rule.meaning)
        meaning.setWordWrap(True)
        form.addRow(meaning)

    def _build_multiple(self, node_ids: list[str], links: list[Link]) -> None:
        form = self._new_content()
        self.mode = "multiple"
        self.multi = MultiEdit(self, form, node_ids, links)
        self.editors = self.multi.editors

    def _build_scenario(self) -> None:
        form = self._new_content()
        self.mode = "scenario"
        self.title.setText("Scenario")
        name = QLineEdit()
        name.setObjectName("meta-name")
        name.editingFinished.connect(self._live(
            lambda: self._commit_meta("name", name.text().strip() or "Untitled")))
        form.addRow("Name", name)
        description = QPlainTextEdit()
        description.setObjectName("meta-description")
        description.setMaximumHeight(90)
        description.textChanged.connect(self._live(
            lambda: self._commit_meta("description", description.toPlainText())))
        form.addRow("Description", description)
        semantics = QComboBox()
        semantics.setObjectName("meta-semantics")
        semantics.addItems(list(SEMANTICS))
        semantics.setToolTip("classic: the 2015-2019 documents (section M-A); modern: the "
                             "current documents (section M-B)")
        semantics.activated.connect(self._live(
            lambda i: self._commit_meta("semantics", SEMANTICS[i])))
        form.addRow("Semantics", semantics)
        seed = QSpinBox()
        seed.setObjectName("meta-seed")
        seed.setRange(0, INT_LIMIT)
        seed.setKeyboardTracking(False)
        seed.valueChanged.connect(self._live(lambda v: self._commit_meta("seed", int(v))))
        form.addRow("Random seed", seed)
        options_box = QGroupBox("Options")
        options_form = QFormLayout(options_box)
        options_form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self._option_boxes: dict[str, QComboBox] = {}
        for option in OPTION_SPECS.values():
            combo = QComboBox()
            combo.setObjectName(f"meta-option-{option.name}")
            combo.addItem(f"default ({format_value(option.default)})", None)
            for choice in option.choices:
                combo.addItem(format_value(choice), choice)
            combo.setToolTip(option.help)
            combo.activated.connect(self._live(
                lambda i, o=option.name, c=combo: self._commit_option(o, c.itemData(i), i == 0)))
            options_form.addRow(option.name.replace("_", " "), combo)
            self._option_boxes[option.name] = combo
        form.addRow(options_box)
        self._meta_widgets = {"name": name, "description": description,
                              "semantics": semantics, "seed": seed}
        self._sync_scenario()

    # ------------------------------------------------------------------ syncing
    def _sync_node(self) -> None:
        component = self.scenario.topology.get(self.node_id)
        if component is None:
            return
        for name, editor in self.editors.items():
            editor.set_value(getattr(component, name))

    def _sync_scenario(self) -> None:
        s = self.scenario
        w = self._meta_widgets
        for widget in w.values():
            widget.blockSignals(True)
        if w["name"].text() != s.name:
            w["name"].setText(s.name)
        if w["description"].toPlainText() != s.description:
            w["description"].setPlainText(s.description)
        if s.semantics in SEMANTICS:
            w["semantics"].setCurrentIndex(SEMANTICS.index(s.semantics))
        w["seed"].setValue(int(s.seed))
        for widget in w.values():
            widget.blockSignals(False)
        for name, combo in self._option_boxes.items():
            combo.blockSignals(True)
            index = 0
            if name in s.options:
                for i in range(1, combo.count()):
                    value = combo.itemData(i)
                    if value == s.options[name] and type(value) is type(s.options[name]):
                        index = i
            combo.setCurrentIndex(index)
            combo.blockSignals(False)

    def _on_change(self, event: ChangeEvent) -> None:
        if self.mode == "node" and event.node_id == self.node_id:
            if event.kind == "node_removed":
                self.show_selection([], [])
            else:
                self._sync_node()
        elif self.mode == "link" and event.kind == "link_removed" and event.link == self.link:
            self.show_selection([], [])
        elif self.mode == "scenario" and event.kind == "scenario_changed":
            self._sync_scenario()
        elif self.mode == "multiple" and event.kind != "moved" and \
                event.node_id in self.multi.ids:
            self._multi_sync.start()  # once per burst (a layout changes thousands of nodes)

    # ------------------------------------------------------------------ commits
    def _push(self, command) -> bool:
        self.clear_error()
        try:
            self.undo_stack.push(command)
        except (TopologyError, ValueError, TypeError) as exc:
            self.refuse(str(exc))
            return False
        return True

    def _commit_node(self, node_id: str, field: str, value: Any) -> bool:
        if self.scenario is None or node_id not in self.scenario.topology:
            return False
        component = self.scenario.topology.node(node_id)
        if getattr(component, field) == value:
            return True
        try:
            command = SetPropertyCommand(self.scenario, node_id, field, value)
        except ValueError as exc:
            self.refuse(str(exc))
            return False
        return self._push(command)

    def _restructure_node(self, node_id: str, field: str, value: Any, text: str) -> bool:
        if self.scenario is None or node_id not in self.scenario.topology:
            return False
        component = self.scenario.topology.node(node_id)
        new = dataclasses.replace(component, **{field: value})
        return self._push(ReplaceNodeCommand(self.scenario, new,
                                             f"{text} of {component.display_name}"))

    def _commit_meta(self, field: str, value: Any) -> bool:
        if self.scenario is None or getattr(self.scenario, field) == value:
            return True
        return self._push(SetMetaCommand(self.scenario, field, value))

    def _commit_option(self, name: str, value: Any, is_default: bool) -> None:
        options = dict(self.scenario.options)
        if is_default:
            options.pop(name, None)
        else:
            options[name] = value
        if options != self.scenario.options:
            self._push(SetMetaCommand(self.scenario, "options", options))
