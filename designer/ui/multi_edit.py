"""Edit a field of several selected nodes at once (the inspector with a multiple selection).

The form shows the fields every selected node has, with the same type and choices (the
rate of five traffic generators, the state of twenty VMs, the SKU of three public IPs), but
not names, positions or rule tables.  A field whose values differ says so ("mixed") and
shows the first node's value; changing it sets it on every selected node in one undo step.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QFormLayout

from ..model import Link, field_specs
from ..model.components import FieldSpec
from .commands import SetFieldOfNodesCommand
from .editors import Editor, field_label, field_tooltip, make_editor
from .text import plain_label

#: fields never edited for several nodes at once
SKIPPED = ("name", "position", "size")


def common_fields(components) -> list[FieldSpec]:
    """The fields every component has, alike (same type and choices), in the first
    component's order."""
    first = field_specs(type(components[0]))
    out = []
    for spec in first:
        if spec.name in SKIPPED or spec.type in ("record", "record_list"):
            continue
        same = True
        for c in components[1:]:
            other = {s.name: s for s in field_specs(type(c))}.get(spec.name)
            if other is None or (other.type, other.choices, other.optional) != \
                    (spec.type, spec.choices, spec.optional):
                same = False
                break
        if same:
            out.append(spec)
    return out


class MultiEdit:
    """The inspector's form for several nodes (and the links selected with them)."""

    def __init__(self, inspector, form: QFormLayout, node_ids: list[str], links: list[Link]):
        self.inspector = inspector
        self.node_ids = [n for n in node_ids if n in inspector.scenario.topology]
        self.ids = set(self.node_ids)
        self.editors: dict[str, Editor] = {}
        self.labels: dict[str, Any] = {}
        topology = inspector.scenario.topology
        components = [topology.node(n) for n in self.node_ids]
        kinds = {c.KIND for c in components}
        noun = (f"{components[0].LABEL.lower()}s" if len(kinds) == 1 and components
                else "items")
        parts = [f"{len(components)} {noun}" if components else "",
                 f"{len(links)} link{'s' * (len(links) != 1)}" if links else ""]
        inspector.title.setText(" and ".join(p for p in parts if p) + " selected")
        specs = common_fields(components) if len(components) >= 2 and not links else []
        if not specs:
            hint = plain_label("Select nodes of one kind (without links) to edit a field of "
                               "all of them at once." if components else "")
            hint.setWordWrap(True)
            form.addRow(hint)
            return
        intro = plain_label(f"Changes apply to all {len(components)} {noun}.")
        intro.setWordWrap(True)
        form.addRow(intro)
        for spec in specs:
            editor = make_editor(spec, inspector._live(lambda v, f=spec.name: self.commit(f, v)),
                                 inspector.refuse)
            editor.widget.setToolTip(field_tooltip(spec))
            label = plain_label(field_label(spec))
            self.labels[spec.name] = label
            self.editors[spec.name] = editor
            form.addRow(label, editor.widget)
        self.sync()

    def sync(self) -> None:
        """Show the nodes' values (the first one's, marked mixed when they differ)."""
        topology = self.inspector.scenario.topology
        components = [topology.node(n) for n in self.node_ids if n in topology]
        if not components:
            return
        for name, editor in self.editors.items():
            values = [getattr(c, name) for c in components]
            editor.set_value(values[0])
            mixed = any(v != values[0] for v in values)
            spec_label = self.labels[name]
            base = spec_label.text().removesuffix(" (mixed)")
            spec_label.setText(base + (" (mixed)" if mixed else ""))

    def commit(self, field: str, value: Any) -> bool:
        inspector = self.inspector
        topology = inspector.scenario.topology
        ids = [n for n in self.node_ids if n in topology]
        if all(getattr(topology.node(n), field) == value for n in ids):
            return True
        try:
            command = SetFieldOfNodesCommand(inspector.scenario, ids, field, value)
        except ValueError as exc:
            inspector.refuse(str(exc))
            return False
        return inspector._push(command)
