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

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QCheckBox, QComboBox, QDoubleSpinBox,
                               QFormLayout, QFrame, QGroupBox, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QPlainTextEdit, QPushButton, QScrollArea, QSizePolicy, QSpinBox,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ..model import LINK_RULES, OPTION_SPECS, Link, Scenario, field_specs
from ..model.components import FieldSpec
from ..model.io import SEMANTICS
from ..model.topology import ChangeEvent, TopologyError
from ..model.values import address_problem, parse_cidr, parse_ipv4, parse_ports
from .commands import ReplaceNodeCommand, SetMetaCommand, SetPropertyCommand

INT_LIMIT = 2_147_483_647
FLOAT_LIMIT = 1e12
#: fields the canvas edits (dragging, resizing); the inspector leaves them out
CANVAS_FIELDS = ("position", "size")

Commit = Callable[[Any], bool]


# ============================================================================ value parsing

def parse_text(spec: FieldSpec, text: str) -> Any:
    """The value typed for a text-edited field, or ValueError with a message for the user."""
    text = text.strip()
    if spec.type in ("str_list", "cidr_list"):
        items = tuple(p.strip() for p in text.split(",") if p.strip())
        if spec.type == "cidr_list":
            for item in items:
                if parse_cidr(item) is None:
                    raise ValueError(f"{field_label(spec)}: {item!r} is not a CIDR prefix like "
                                     f"10.0.0.0/16")
        return items
    if not text:
        if spec.optional:
            return None
        if spec.type == "str" and not spec.required:
            return ""
        raise ValueError(f"{field_label(spec)} must not be empty")
    if spec.type == "ipv4" and parse_ipv4(text) is None:
        raise ValueError(f"{field_label(spec)}: expected an IPv4 address like 10.0.0.4, got {text!r}")
    if spec.type == "cidr" and parse_cidr(text) is None:
        raise ValueError(f"{field_label(spec)}: expected a CIDR prefix like 10.0.1.0/24, got {text!r}")
    if spec.type == "address":
        problem = address_problem(text)
        if problem:
            raise ValueError(f"{field_label(spec)}: {problem}")
    if spec.type == "ports":
        try:
            parse_ports(text)
        except ValueError as exc:
            raise ValueError(f"{field_label(spec)}: {exc}") from None
    return text


def format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (tuple, list)):
        return ", ".join(format_value(v) for v in value)
    return str(value)


# ============================================================================ editors

class Editor:
    """One field's editor widget: ``set_value`` shows the model's value without committing."""

    widget: QWidget

    def set_value(self, value: Any) -> None:
        raise NotImplementedError


#: words shown in capitals in field labels
ACRONYMS = {"ip": "IP", "ips": "IPs", "snat": "SNAT", "tcp": "TCP", "udp": "UDP", "lb": "LB",
            "nsg": "NSG", "nat": "NAT", "sku": "SKU", "cidr": "CIDR", "http": "HTTP"}


def field_label(spec: FieldSpec) -> str:
    """The label of a field's editor: its spec title with acronyms in capitals, without a
    trailing unit word that the spin box shows as a suffix anyway ("Idle timeout min")."""
    words = spec.title.split()
    if spec.unit and len(words) > 1 and words[-1].lower() in (spec.unit.lower(), "s", "min"):
        words = words[:-1]
        if len(words) > 1 and words[-1] == "per":
            words = words[:-1]
    return " ".join(ACRONYMS.get(w.lower(), w) for w in words)


def _tooltip(spec: FieldSpec) -> str:
    parts = [spec.help] if spec.help else []
    if spec.minimum is not None or spec.maximum is not None:
        lo = "" if spec.minimum is None else f"{spec.minimum:g}"
        hi = "" if spec.maximum is None else f"{spec.maximum:g}"
        parts.append(f"range {lo}..{hi}{' ' + spec.unit if spec.unit else ''}")
    return "\n".join(parts)


class CompactDoubleSpinBox(QDoubleSpinBox):
    """Shows 10 and 2.5 rather than 10.000 and 2.500 (still accepts three decimals)."""

    def textFromValue(self, value: float) -> str:
        return f"{value:.{self.decimals()}f}".rstrip("0").rstrip(".")


class NumberEditor(Editor):
    def __init__(self, spec: FieldSpec, commit: Commit):
        self.spec = spec
        if spec.type == "int":
            box = QSpinBox()
            box.setRange(int(spec.minimum) if spec.minimum is not None else -INT_LIMIT,
                         int(spec.maximum) if spec.maximum is not None else INT_LIMIT)
        else:
            box = CompactDoubleSpinBox()
            box.setDecimals(3)
            box.setRange(spec.minimum if spec.minimum is not None else -FLOAT_LIMIT,
                         spec.maximum if spec.maximum is not None else FLOAT_LIMIT)
        if spec.unit:
            box.setSuffix(f" {spec.unit}")
        box.setKeyboardTracking(False)  # typing commits on Enter / focus out; arrows step
        box.setAccelerated(True)
        self.box = box
        self.widget = box
        self._commit = commit
        box.valueChanged.connect(self._changed)

    def _changed(self, value) -> None:
        self._commit(int(value) if self.spec.type == "int" else float(value))

    def set_value(self, value: Any) -> None:
        self.box.blockSignals(True)
        self.box.setValue(value if value is not None else self.box.minimum())
        self.box.blockSignals(False)


class BoolEditor(Editor):
    def __init__(self, spec: FieldSpec, commit: Commit):
        self.box = QCheckBox()
        self.widget = self.box
        self.box.toggled.connect(lambda on: commit(bool(on)))

    def set_value(self, value: Any) -> None:
        self.box.blockSignals(True)
        self.box.setChecked(bool(value))
        self.box.blockSignals(False)


class EnumEditor(Editor):
    NONE = "(none)"

    def __init__(self, spec: FieldSpec, commit: Commit):
        self.box = QComboBox()
        self.widget = self.box
        self.values: list[Any] = ([None] if spec.optional else []) + list(spec.choices)
        for value in self.values:
            self.box.addItem(self.NONE if value is None else str(value))
        self.box.activated.connect(lambda index: commit(self.values[index]))

    def set_value(self, value: Any) -> None:
        self.box.blockSignals(True)
        if value in self.values:
            self.box.setCurrentIndex(self.values.index(value))
        self.box.blockSignals(False)


class TextEditor(Editor):
    """Line edit for strings, addresses, prefixes, ports and lists; checked on Enter / focus
    out; an invalid text is refused (``refuse`` shows why) and the model's value comes back."""

    def __init__(self, spec: FieldSpec, commit: Commit, refuse: Callable[[str], None]):
        self.spec = spec
        self.edit = QLineEdit()
        self.widget = self.edit
        self.value: Any = None
        self._commit = commit
        self._refuse = refuse
        placeholder = {"ipv4": "e.g. 10.0.0.4", "cidr": "e.g. 10.0.1.0/24",
                       "address": "*, 10.0.0.0/24, 1.2.3.4 or a service tag",
                       "ports": "*, 443, 1000-2000 or 80,443",
                       "cidr_list": "10.0.0.0/16, 10.1.0.0/16",
                       "str_list": "comma-separated"}.get(spec.type, "")
        if spec.optional and not placeholder:
            placeholder = "(none)"
        elif spec.optional:
            placeholder = f"(auto) {placeholder}"
        self.edit.setPlaceholderText(placeholder)
        self.edit.editingFinished.connect(self._finished)

    def _finished(self) -> None:
        text = self.edit.text()
        if text == format_value(self.value):
            return
        try:
            value = parse_text(self.spec, text)
        except ValueError as exc:
            self._refuse(str(exc))
            self.set_value(self.value)
            return
        if not self._commit(value):
            self.set_value(self.value)

    def set_value(self, value: Any) -> None:
        self.value = value
        text = format_value(value)
        if self.edit.text() != text:
            self.edit.blockSignals(True)
            self.edit.setText(text)
            self.edit.blockSignals(False)


class ChoiceEditor(Editor):
    """A string naming another node (a load balancer rule's frontend): a combo box of the
    ids that fit now (from ``options()``), keeping an unknown current value visible."""

    def __init__(self, spec: FieldSpec, commit: Commit, options: Callable[[], list[str]]):
        self.box = QComboBox()
        self.widget = self.box
        self.options = options
        self.values: list[str] = []
        self.box.activated.connect(lambda index: commit(self.values[index]))

    def set_value(self, value: Any) -> None:
        self.values = list(self.options())
        if value not in self.values:
            self.values.insert(0, value)
        self.box.blockSignals(True)
        self.box.clear()
        for v in self.values:
            self.box.addItem(v if v else "(none)")
        self.box.setCurrentIndex(self.values.index(value))
        self.box.blockSignals(False)


class OptionalNumberEditor(Editor):
    """A number that may be unset: a check box switches it on (at its default or minimum)."""

    def __init__(self, spec: FieldSpec, commit: Commit):
        self.widget = QWidget()
        layout = QHBoxLayout(self.widget)
        layout.setContentsMargins(0, 0, 0, 0)
        self.check = QCheckBox()
        self.check.setToolTip("set a value (unchecked: not set)")
        self.number = NumberEditor(spec, self._number_changed)
        layout.addWidget(self.check)
        layout.addWidget(self.number.widget, 1)
        self._commit = commit
        self.spec = spec
        self.check.toggled.connect(self._toggled)

    def _number_changed(self, value) -> bool:
        return self._commit(value) if self.check.isChecked() else True

    def _toggled(self, on: bool) -> None:
        self.number.widget.setEnabled(on)
        if on:
            start = self.spec.default if self.spec.default is not None else \
                (self.spec.minimum if self.spec.minimum is not None else 0)
            value = int(start) if self.spec.type == "int" else float(start)
            self.number.set_value(value)
            self._commit(value)
        else:
            self._commit(None)

    def set_value(self, value: Any) -> None:
        self.check.blockSignals(True)
        self.check.setChecked(value is not None)
        self.check.blockSignals(False)
        self.number.widget.setEnabled(value is not None)
        self.number.set_value(value)


class RecordEditor(Editor):
    """A nested record (health probe, hold time) as a group box of its fields; an optional
    record's group box is checkable (unchecked = no record)."""

    def __init__(self, spec: FieldSpec, commit: Commit, refuse: Callable[[str], None],
                 restructure: Callable[[Any, str], bool] | None = None):
        self.spec = spec
        self.record_cls = spec.record
        self._restructure = restructure or (lambda value, text: commit(value))
        self.value: Any = None
        self._commit = commit
        self.box = QGroupBox(field_label(spec))
        self.widget = self.box
        self.box.setCheckable(spec.optional)
        form = QFormLayout(self.box)
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.editors: dict[str, Editor] = {}
        for sub in field_specs(self.record_cls):
            editor = make_editor(sub, lambda v, name=sub.name: self._field_changed(name, v),
                                 refuse)
            self.editors[sub.name] = editor
            form.addRow(field_label(sub), editor.widget)
            editor.widget.setToolTip(_tooltip(sub))
        if spec.optional:
            self.box.toggled.connect(self._toggled)

    def _field_changed(self, name: str, value: Any) -> bool:
        current = self.value if self.value is not None else self.record_cls()
        return self._commit(dataclasses.replace(current, **{name: value}))

    def _toggled(self, on: bool) -> None:
        # switching a record on or off is its own undo step, not merged with field edits
        title = self.spec.title.lower()
        if not self._restructure(self.record_cls() if on else None,
                                 f"{'Add' if on else 'Remove'} {title}"):
            self.set_value(self.value)

    def set_value(self, value: Any) -> None:
        self.value = value
        if self.spec.optional:
            self.box.blockSignals(True)
            self.box.setChecked(value is not None)
            self.box.blockSignals(False)
        shown = value if value is not None else self.record_cls()
        for name, editor in self.editors.items():
            editor.set_value(getattr(shown, name))


class RecordListEditor(Editor):
    """A list of records (NSG rules, LB rules, outbound rules): a table of every record with
    add / remove / move up / move down, and the selected record's fields below as editors.
    Add, remove and reorder are separate undo steps; field edits merge per field."""

    def __init__(self, spec: FieldSpec, commit: Commit, restructure: Callable[[tuple, str], bool],
                 refuse: Callable[[str], None],
                 choices: dict[str, Callable[[], list[str]]] | None = None):
        self.spec = spec
        self.record_cls = spec.record
        self.specs = field_specs(self.record_cls)
        self.value: tuple = ()
        self._commit = commit
        self._restructure = restructure
        self.choices = choices or {}
        self.box = QGroupBox(field_label(spec))
        self.widget = self.box
        layout = QVBoxLayout(self.box)
        self.table = QTableWidget(0, len(self.specs))
        self.table.setObjectName(f"table-{spec.name}")
        self.table.setHorizontalHeaderLabels([field_label(s) for s in self.specs])
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.setMinimumHeight(80)
        self.table.setMaximumHeight(150)
        # the table scrolls inside itself: it must not widen the inspector
        self.table.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollPerPixel)
        layout.addWidget(self.table)
        buttons = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        noun = self.record_cls.__name__.replace("Lb", "LB ").replace("Nsg", "NSG ")
        noun = {"OutboundRule": "outbound rule"}.get(self.record_cls.__name__, noun)
        self.noun = noun.replace("Rule", "rule").strip()
        for key, text, tip in (("add", "Add", f"add a {self.noun}"),
                               ("remove", "Remove", f"remove the selected {self.noun}"),
                               ("up", "Up", "move the selected row up"),
                               ("down", "Down", "move the selected row down")):
            button = QPushButton(text)
            button.setObjectName(f"button-{spec.name}-{key}")
            button.setToolTip(tip)
            buttons.addWidget(button)
            self.buttons[key] = button
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.detail = QGroupBox("Selected row")
        detail_form = QFormLayout(self.detail)
        detail_form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.editors: dict[str, Editor] = {}
        for sub in self.specs:
            editor = make_editor(sub, lambda v, name=sub.name: self._field_changed(name, v),
                                 refuse, choices=choices)
            editor.widget.setToolTip(_tooltip(sub))
            self.editors[sub.name] = editor
            detail_form.addRow(field_label(sub), editor.widget)
        layout.addWidget(self.detail)
        self.buttons["add"].clicked.connect(self.add_row)
        self.buttons["remove"].clicked.connect(self.remove_row)
        self.buttons["up"].clicked.connect(lambda: self.move_row(-1))
        self.buttons["down"].clicked.connect(lambda: self.move_row(+1))
        self.table.itemSelectionChanged.connect(self._show_detail)

    # ------------------------------------------------------------------ rows
    def current_row(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    def select_row(self, row: int) -> None:
        if 0 <= row < self.table.rowCount():
            self.table.selectRow(row)
        self._show_detail()

    def add_row(self) -> None:
        names = {getattr(r, "name", None) for r in self.value}
        stem = self.record_cls().name if hasattr(self.record_cls, "name") else "item"
        n = 1
        while f"{stem}-{n}" in names:
            n += 1
        changes: dict[str, Any] = {"name": f"{stem}-{n}"} if "name" in \
            {s.name for s in self.specs} else {}
        if "priority" in {s.name for s in self.specs}:
            used = [getattr(r, "priority") for r in self.value]
            changes["priority"] = min(max(used, default=90) + 10, 4096)
        for sub in self.specs:  # a rule starts on the first frontend that exists
            if sub.type == "str" and sub.name in self.choices:
                options = self.choices[sub.name]()
                if options:
                    changes[sub.name] = options[0]
        record = self.record_cls(**changes)
        if self._restructure(self.value + (record,), f"Add {self.noun}"):
            self.select_row(len(self.value) - 1)

    def remove_row(self) -> None:
        row = self.current_row()
        if row < 0:
            return
        rows = list(self.value)
        del rows[row]
        if self._restructure(tuple(rows), f"Remove {self.noun}"):
            self.select_row(min(row, len(rows) - 1))

    def move_row(self, delta: int) -> None:
        row = self.current_row()
        target = row + delta
        if row < 0 or not 0 <= target < len(self.value):
            return
        rows = list(self.value)
        rows[row], rows[target] = rows[target], rows[row]
        if self._restructure(tuple(rows), f"Move {self.noun} {'up' if delta < 0 else 'down'}"):
            self.select_row(target)

    def _field_changed(self, name: str, value: Any) -> bool:
        row = self.current_row()
        if row < 0:
            return False
        rows = list(self.value)
        rows[row] = dataclasses.replace(rows[row], **{name: value})
        return self._commit(tuple(rows))

    def _show_detail(self) -> None:
        row = self.current_row()
        self.detail.setEnabled(row >= 0)
        self.buttons["remove"].setEnabled(row >= 0)
        self.buttons["up"].setEnabled(row > 0)
        self.buttons["down"].setEnabled(0 <= row < len(self.value) - 1)
        shown = self.value[row] if row >= 0 else self.record_cls()
        for name, editor in self.editors.items():
            editor.set_value(getattr(shown, name))

    def set_value(self, value: Any) -> None:
        self.value = tuple(value or ())
        row = self.current_row()
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.value))
        for r, record in enumerate(self.value):
            for c, sub in enumerate(self.specs):
                text = format_value(getattr(record, sub.name))
                item = self.table.item(r, c)
                if item is None:
                    self.table.setItem(r, c, QTableWidgetItem(text))
                elif item.text() != text:
                    item.setText(text)
        if row >= len(self.value):
            row = len(self.value) - 1
        if row >= 0:
            self.table.selectRow(row)
        elif self.value:
            self.table.selectRow(0)
        self.table.blockSignals(False)
        self._show_detail()


def make_editor(spec: FieldSpec, commit: Commit, refuse: Callable[[str], None],
                restructure: Callable[[tuple, str], bool] | None = None,
                choices: dict[str, Callable[[], list[str]]] | None = None) -> Editor:
    """The editor for one field; ``choices`` maps field names that name other nodes to a
    function listing the ids that fit (a load balancer rule's frontend)."""
    if spec.type == "str" and choices and spec.name in choices:
        editor = ChoiceEditor(spec, commit, choices[spec.name])
    elif spec.type in ("int", "float"):
        editor = OptionalNumberEditor(spec, commit) if spec.optional else \
            NumberEditor(spec, commit)
    elif spec.type == "bool":
        editor = BoolEditor(spec, commit)
    elif spec.type == "enum":
        editor = EnumEditor(spec, commit)
    elif spec.type == "record":
        editor = RecordEditor(spec, commit, refuse, restructure)
    elif spec.type == "record_list":
        editor = RecordListEditor(spec, commit, restructure or (lambda v, t: commit(v)), refuse,
                                  choices)
    else:
        editor = TextEditor(spec, commit, refuse)
    editor.widget.setObjectName(f"field-{spec.name}")
    return editor


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
        self.title = QLabel()
        self.title.setObjectName("inspector-title")
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.title.setFont(font)
        self.title.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.error = QLabel()
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
            self._build_multiple(len(node_ids), len(links))
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
            editor.widget.setToolTip(_tooltip(spec))
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
            label = QLabel(f"{node.display_name} ({node.LABEL})" if node else node_id)
            label.setObjectName(f"link-{name}")
            form.addRow(title, label)
        kind = QLabel(rule.label)
        kind.setObjectName("field-link-kind")
        form.addRow("Kind", kind)
        meaning = QLabel(rule.meaning)
        meaning.setWordWrap(True)
        form.addRow(meaning)

    def _build_multiple(self, nodes: int, links: int) -> None:
        self._new_content()
        self.mode = "multiple"
        parts = [f"{nodes} item{'s' * (nodes != 1)}" if nodes else "",
                 f"{links} link{'s' * (links != 1)}" if links else ""]
        self.title.setText(" and ".join(p for p in parts if p) + " selected")

    def _build_scenario(self) -> None:
        form = self._new_content()
        self.mode = "scenario"
        self.title.setText("Scenario")
        scenario = self.scenario
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
