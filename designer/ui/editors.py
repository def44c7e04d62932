"""Field editors of the inspector, one per field type of ``field_specs``: numbers (with
units and ranges), booleans, enums, checked text (addresses, prefixes, ports, lists), choices
of other nodes (a rule's frontend), nested records and record lists (rule tables).

An editor commits through a callback that returns whether the model took the value; a value
is checked before it is committed, and an invalid one is refused (the ``refuse`` callback says
why) while the editor shows the model's value again.  ``set_value`` shows a value without
committing anything.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox,
                               QHBoxLayout, QLineEdit, QSpinBox, QWidget)

from ..model import field_specs
from ..model.components import FieldSpec
from ..model.values import address_problem, parse_cidr, parse_ipv4, parse_ports

INT_LIMIT = 2_147_483_647
FLOAT_LIMIT = 1e12

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


def field_tooltip(spec: FieldSpec) -> str:
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
            editor.widget.setToolTip(field_tooltip(sub))
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
        from .record_table import RecordListEditor  # (it builds its row form from here)
        editor = RecordListEditor(spec, commit, restructure or (lambda v, t: commit(v)), refuse,
                                  choices)
    else:
        editor = TextEditor(spec, commit, refuse)
    editor.widget.setObjectName(f"field-{spec.name}")
    return editor
