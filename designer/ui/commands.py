"""Undo commands: every model change made in the editor is one of these.

They change the model only (the scene mirrors the model through its notifications), carry a
user-facing text ("Add load balancer", "Move 3 items"), and compose: deleting a node with its
links is one command with children.  Consecutive edits of the same field merge into one step
(``id()`` / ``mergeWith``).  Selection, zoom and pan are not undoable.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Iterable

from PySide6.QtGui import QUndoCommand

from ..model import Component, Link, Scenario, field_specs

#: merge ids for QUndoCommand.id(); -1 (the default) means "never merge"
MERGE_SET_PROPERTY = 1001
MERGE_SET_META = 1002
MERGE_NUDGE = 1003


def _kind_label(component: Component) -> str:
    label = component.LABEL
    if label[:2].isupper():  # an acronym stays as it is: "Add NAT gateway"
        return label
    return label[:1].lower() + label[1:]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


class AddNodesCommand(QUndoCommand):
    """Add several nodes and the links among them at once (paste, duplicate, templates)."""

    def __init__(self, scenario: Scenario, components: list[Component], links: list[Link],
                 text: str | None = None, parent: QUndoCommand | None = None):
        super().__init__(text or f"Paste {_plural(len(components), 'item')}", parent)
        self.scenario = scenario
        self.components = list(components)
        self.links = list(links)

    def redo(self) -> None:
        topology = self.scenario.topology
        for component in self.components:
            topology.add_node(component)
        for link in self.links:
            topology.connect(link, check_limits=False)

    def undo(self) -> None:
        topology = self.scenario.topology
        for link in reversed(self.links):
            if topology.has_link(link):
                topology.disconnect(link)
        for component in reversed(self.components):
            topology.remove_node(component.id)


class AddNodeCommand(AddNodesCommand):
    """Add one node (optionally with links to existing nodes, e.g. a generator that connects
    itself to the VM it was dropped on)."""

    def __init__(self, scenario: Scenario, component: Component,
                 links: Iterable[Link] = (), text: str | None = None,
                 parent: QUndoCommand | None = None):
        super().__init__(scenario, [component], list(links),
                         text or f"Add {_kind_label(component)}", parent)
        self.component = component


class ConnectCommand(QUndoCommand):
    def __init__(self, scenario: Scenario, link: Link, parent: QUndoCommand | None = None):
        super().__init__(f"Connect {link.source} to {link.target}", parent)
        self.scenario = scenario
        self.link = link

    def redo(self) -> None:
        self.scenario.topology.connect(self.link, check_limits=False)

    def undo(self) -> None:
        self.scenario.topology.disconnect(self.link)


class DisconnectCommand(QUndoCommand):
    def __init__(self, scenario: Scenario, link: Link, parent: QUndoCommand | None = None):
        super().__init__(f"Disconnect {link.source} from {link.target}", parent)
        self.scenario = scenario
        self.link = link

    def redo(self) -> None:
        self.scenario.topology.disconnect(self.link)

    def undo(self) -> None:
        self.scenario.topology.connect(self.link, check_limits=False)


class DeleteCommand(QUndoCommand):
    """Delete nodes and links as one undo step: links first (as children), then nodes."""

    def __init__(self, scenario: Scenario, node_ids: Iterable[str] = (),
                 links: Iterable[Link] = (), parent: QUndoCommand | None = None):
        node_ids = [n for n in dict.fromkeys(node_ids)]
        topology = scenario.topology
        all_links: dict[tuple, Link] = {link.key: link for link in links}
        for node_id in node_ids:
            for link in topology.links_of(node_id):
                all_links[link.key] = link
        count = len(node_ids) or len(all_links)
        if len(node_ids) == 1:
            text = f"Delete {topology.node(node_ids[0]).display_name}"
        elif node_ids:
            text = f"Delete {_plural(count, 'item')}"
        else:
            text = f"Delete {_plural(count, 'link')}"
        super().__init__(text, parent)
        self.scenario = scenario
        self.links = list(all_links.values())
        self.components = [topology.node(n) for n in node_ids]

    def redo(self) -> None:
        topology = self.scenario.topology
        for link in self.links:
            if topology.has_link(link):
                topology.disconnect(link)
        for component in self.components:
            topology.remove_node(component.id)

    def undo(self) -> None:
        topology = self.scenario.topology
        for component in reversed(self.components):
            topology.add_node(component)
        for link in reversed(self.links):
            topology.connect(link, check_limits=False)


class SetPropertyCommand(QUndoCommand):
    """Set one field of one node.  Consecutive edits of the same field of the same node merge
    into one undo step (typing in a spin box is one "Change rate" entry)."""

    def __init__(self, scenario: Scenario, node_id: str, field: str, value: Any,
                 parent: QUndoCommand | None = None):
        component = scenario.topology.node(node_id)
        specs = {s.name: s for s in field_specs(type(component))}
        if field not in specs:
            raise ValueError(f"a {component.KIND} has no field {field!r}")
        super().__init__(f"Change {specs[field].title.lower()} of {component.display_name}",
                         parent)
        self.scenario = scenario
        self.node_id = node_id
        self.field = field
        self.old = getattr(component, field)
        self.new = value

    def id(self) -> int:
        return MERGE_SET_PROPERTY

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetPropertyCommand) or \
                (other.node_id, other.field) != (self.node_id, self.field) or \
                other.field == "position":
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.scenario.topology.set_property(self.node_id, self.field, self.new)

    def undo(self) -> None:
        self.scenario.topology.set_property(self.node_id, self.field, self.old)


class SetFieldOfNodesCommand(QUndoCommand):
    """Set one field of several nodes at once (the inspector with several nodes selected):
    one undo step, "Change rate of 5 traffic generators"."""

    def __init__(self, scenario: Scenario, node_ids: Iterable[str], field: str, value: Any,
                 parent: QUndoCommand | None = None):
        topology = scenario.topology
        self.node_ids = [n for n in node_ids if n in topology]
        components = [topology.node(n) for n in self.node_ids]
        specs = {s.name: s for s in field_specs(type(components[0]))} if components else {}
        if not components or field not in specs:
            raise ValueError(f"these nodes have no common field {field!r}")
        kinds = {c.KIND for c in components}
        what = (f"{len(components)} {_kind_label(components[0])}s" if len(kinds) == 1
                else _plural(len(components), "item"))
        super().__init__(f"Change {specs[field].title.lower()} of {what}", parent)
        self.scenario = scenario
        self.field = field
        self.old = {c.id: getattr(c, field) for c in components}
        self.new = value

    def redo(self) -> None:
        for node_id in self.node_ids:
            self.scenario.topology.set_property(node_id, self.field, self.new)

    def undo(self) -> None:
        for node_id in self.node_ids:
            self.scenario.topology.set_property(node_id, self.field, self.old[node_id])


class ReplaceNodeCommand(QUndoCommand):
    """Replace a node's whole component (several fields at once, e.g. a generator preset)."""

    def __init__(self, scenario: Scenario, component: Component, text: str,
                 parent: QUndoCommand | None = None):
        super().__init__(text, parent)
        self.scenario = scenario
        self.old = scenario.topology.node(component.id)
        self.new = component

    def redo(self) -> None:
        self.scenario.topology.replace_node(self.new)

    def undo(self) -> None:
        self.scenario.topology.replace_node(self.old)


class MoveNodesCommand(QUndoCommand):
    """Move nodes (one command per drag gesture, pushed on release; also nudge, align,
    distribute and auto-layout).  Container boxes may change size in the same step."""

    def __init__(self, scenario: Scenario, positions: dict[str, tuple[float, float]],
                 text: str | None = None, sizes: dict[str, tuple[float, float]] | None = None,
                 parent: QUndoCommand | None = None):
        topology = scenario.topology
        super().__init__(text or (f"Move {topology.node(next(iter(positions))).display_name}"
                                  if len(positions) == 1 else
                                  f"Move {_plural(len(positions), 'item')}"), parent)
        self.scenario = scenario
        self.new_positions = dict(positions)
        self.old_positions = {n: topology.node(n).position for n in positions}
        self.new_sizes = dict(sizes or {})
        self.old_sizes = {n: topology.node(n).size for n in self.new_sizes}

    def _apply(self, positions, sizes) -> None:
        topology = self.scenario.topology
        for node_id, pos in positions.items():
            topology.move(node_id, pos)
        for node_id, size in sizes.items():
            topology.set_property(node_id, "size", (float(size[0]), float(size[1])))

    def redo(self) -> None:
        self._apply(self.new_positions, self.new_sizes)

    def undo(self) -> None:
        self._apply(self.old_positions, self.old_sizes)


class NudgeCommand(MoveNodesCommand):
    """Arrow-key moves: holding an arrow key is one "Nudge" step per selection, not one per
    key repeat (consecutive nudges of the same nodes merge)."""

    def __init__(self, scenario: Scenario, positions: dict[str, tuple[float, float]],
                 parent: QUndoCommand | None = None):
        names = scenario.topology
        who = (names.node(next(iter(positions))).display_name if len(positions) == 1
               else _plural(len(positions), "item"))
        super().__init__(scenario, positions, text=f"Nudge {who}", parent=parent)

    def id(self) -> int:
        return MERGE_NUDGE

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, NudgeCommand) or set(other.new_positions) != set(self.new_positions):
            return False
        self.new_positions = dict(other.new_positions)
        return True


class SetMetaCommand(QUndoCommand):
    """Change scenario metadata: name, description, semantics, seed or options."""

    def __init__(self, scenario: Scenario, field: str, value: Any,
                 parent: QUndoCommand | None = None):
        super().__init__(f"Change scenario {field}", parent)
        self.scenario = scenario
        self.field = field
        self.old = getattr(scenario, field)
        if field == "options":
            self.old = dict(self.old)
        self.new = value

    def id(self) -> int:
        return MERGE_SET_META

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetMetaCommand) or other.field != self.field:
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.scenario.set_meta(self.field, self.new)

    def undo(self) -> None:
        self.scenario.set_meta(self.field, self.old)


class GestureCommand(QUndoCommand):
    """One gesture made of several commands (move + leave a subnet + join another) as one
    undo step.  The parts are kept and run from Python rather than made Qt children: a
    QUndoCommand(parent=...) child created from Python is owned by its Python wrapper, so
    Qt's parent would either see it vanish or delete it twice."""

    def __init__(self, text: str):
        super().__init__(text)
        self.parts: list[QUndoCommand] = []

    def add(self, command_class, *args, **kwargs) -> QUndoCommand:
        command = command_class(*args, **kwargs)
        self.parts.append(command)
        return command

    def redo(self) -> None:
        for part in self.parts:
            part.redo()

    def undo(self) -> None:
        for part in reversed(self.parts):
            part.undo()


def copy_with_fresh_ids(scenario: Scenario, node_ids: Iterable[str],
                        offset: tuple[float, float] = (40.0, 40.0),
                        taken: set[str] | None = None,
                        taken_names: set[str] | None = None) -> tuple[list[Component], list[Link]]:
    """Copies of ``node_ids`` moved by ``offset``, and copies of the links *among* them
    (links to nodes outside the selection are not copied).  A copy keeps its id when that
    is free in ``taken`` (pasting into another document), else gets a fresh readable one
    (``web-3``); a name of its own is kept unless another node already shows it
    (``taken_names``), then it becomes "name (copy)"."""
    topology = scenario.topology
    node_ids = list(dict.fromkeys(node_ids))
    taken = set(taken if taken is not None else topology.node_ids())
    shown = set(taken_names if taken_names is not None else
                (c.display_name for c in topology.nodes()))
    mapping: dict[str, str] = {}
    components = []
    for node_id in node_ids:
        original = topology.node(node_id)
        new_id = node_id
        if new_id in taken:
            stem = node_id.rstrip("0123456789").rstrip("-") or original.KIND
            n = 1
            while f"{stem}-{n}" in taken:
                n += 1
            new_id = f"{stem}-{n}"
        taken.add(new_id)
        mapping[node_id] = new_id
        x, y = original.position
        changes: dict[str, Any] = {"id": new_id, "position": (x + offset[0], y + offset[1])}
        if original.name and original.name == node_id:
            changes["name"] = new_id
        elif original.name:
            name, n = original.name, 1
            while name in shown:
                n += 1
                name = f"{original.name} (copy)" if n == 2 else f"{original.name} (copy {n - 1})"
            changes["name"] = name
        shown.add(changes.get("name") or new_id)
        components.append(dataclasses.replace(original, **changes))
    # a copied load balancer's rules name frontends by id: point them at the copied IPs
    components = [_remap_frontends(c, mapping) if c.KIND == "load_balancer" else c
                  for c in components]
    links = [Link(mapping[l.source], mapping[l.target], l.kind)
             for node_id in node_ids for l in topology.links_from(node_id)
             if l.target in mapping]
    return components, links


def _remap_frontends(lb: Component, mapping: dict[str, str]) -> Component:
    rules = tuple(dataclasses.replace(r, frontend=mapping.get(r.frontend, r.frontend))
                  for r in lb.rules)
    outbound = tuple(dataclasses.replace(r, frontends=tuple(mapping.get(f, f) for f in r.frontends))
                     for r in lb.outbound_rules)
    return dataclasses.replace(lb, rules=rules, outbound_rules=outbound)
