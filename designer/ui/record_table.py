"""Rule tables in the inspector (NSG rules, load-balancing rules, outbound rules): a table
of every record with Add / Remove / Up / Down, the selected record's fields in a row form
below, and every cell editable in place (double-click or F2) with the editor its field
needs: a list for enums and frontends, a spin box for numbers, a checked line for
addresses and ports.  A cell edit is checked like the row form's (a bad value is refused
with the reason and the cell shows the model's value again) and is one undo step.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDoubleSpinBox, QFormLayout,
                               QGroupBox, QHBoxLayout, QHeaderView, QLineEdit, QPushButton,
                               QSizePolicy, QSpinBox, QStyledItemDelegate, QTableWidget,
                               QTableWidgetItem, QVBoxLayout)

from ..model import field_specs
from ..model.components import FieldSpec
from .editors import (FLOAT_LIMIT, INT_LIMIT, Commit, Editor, field_label, field_tooltip,
                      format_value, make_editor, parse_text)


class RecordCellDelegate(QStyledItemDelegate):
    """In-place editors for the cells of a :class:`RecordListEditor`'s table."""

    def __init__(self, owner: "RecordListEditor"):
        super().__init__(owner.table)
        self.owner = owner

    def _spec(self, index) -> FieldSpec:
        return self.owner.specs[index.column()]

    def _choices(self, spec: FieldSpec) -> list[Any] | None:
        if spec.type == "enum":
            return ([None] if spec.optional else []) + list(spec.choices)
        if spec.type == "bool":
            return [True, False]
        if spec.type == "str" and spec.name in self.owner.choices:
            return list(self.owner.choices[spec.name]())
        return None

    def createEditor(self, parent, option, index):
        spec = self._spec(index)
        choices = self._choices(spec)
        if choices is not None:
            box = QComboBox(parent)
            box.setObjectName(f"cell-{spec.name}")
            current = self.owner.cell_value(index.row(), spec.name)
            if current not in choices:
                choices.insert(0, current)
            box.setProperty("values", choices)
            for value in choices:
                box.addItem("(none)" if value is None else format_value(value))
            return box
        if spec.type in ("int", "float") and not spec.optional:
            box = QSpinBox(parent) if spec.type == "int" else QDoubleSpinBox(parent)
            limit = INT_LIMIT if spec.type == "int" else FLOAT_LIMIT
            box.setRange(spec.minimum if spec.minimum is not None else -limit,
                         spec.maximum if spec.maximum is not None else limit)
            if spec.unit:
                box.setSuffix(f" {spec.unit}")
            box.setObjectName(f"cell-{spec.name}")
            return box
        edit = QLineEdit(parent)
        edit.setObjectName(f"cell-{spec.name}")
        return edit

    def setEditorData(self, editor, index) -> None:
        value = self.owner.cell_value(index.row(), self._spec(index).name)
        if isinstance(editor, QComboBox):
            values = editor.property("values")
            editor.setCurrentIndex(values.index(value) if value in values else 0)
        elif isinstance(editor, (QSpinBox, QDoubleSpinBox)):
            editor.setValue(value)
        else:
            editor.setText(format_value(value))

    def setModelData(self, editor, model, index) -> None:
        # the table shows the model: the cell is written back by the model's change event
        spec = self._spec(index)
        if isinstance(editor, QComboBox):
            value = editor.property("values")[editor.currentIndex()]
        elif isinstance(editor, QSpinBox):
            value = int(editor.value())
        elif isinstance(editor, QDoubleSpinBox):
            value = float(editor.value())
        else:
            try:
                if spec.type in ("int", "float"):  # optional numbers: empty = not set
                    text = editor.text().strip()
                    value = None if not text else (int(text) if spec.type == "int"
                                                    else float(text))
                else:
                    value = parse_text(spec, editor.text())
            except ValueError as exc:
                message = str(exc)
                if "invalid literal" in message or "could not convert" in message:
                    message = f"{field_label(spec)}: expected a number, got {editor.text()!r}"
                self.owner.refuse(message)
                return
        self.owner.commit_cell(index.row(), spec.name, value)


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
        self.refuse = refuse
        self.box = QGroupBox(field_label(spec))
        self.widget = self.box
        layout = QVBoxLayout(self.box)
        self.table = QTableWidget(0, len(self.specs))
        self.table.setObjectName(f"table-{spec.name}")
        self.table.setHorizontalHeaderLabels([field_label(s) for s in self.specs])
        # a double-click (or F2) edits the cell in place; the row form below edits it too
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked |
                                   QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.setItemDelegate(RecordCellDelegate(self))
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
            editor.widget.setToolTip(field_tooltip(sub))
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

    def cell_value(self, row: int, name: str) -> Any:
        return getattr(self.value[row], name) if 0 <= row < len(self.value) else None

    def commit_cell(self, row: int, name: str, value: Any) -> bool:
        """A cell edited in place: the record of ``row`` with ``name`` set to ``value``."""
        if not 0 <= row < len(self.value) or getattr(self.value[row], name) == value:
            self.set_value(self.value)
            return False
        rows = list(self.value)
        try:
            rows[row] = dataclasses.replace(rows[row], **{name: value})
        except (TypeError, ValueError) as exc:
            self.refuse(str(exc))
            self.set_value(self.value)
            return False
        if not self._commit(tuple(rows)):
            self.set_value(self.value)
            return False
        return True

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
