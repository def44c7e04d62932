"""The scene's editing gestures: every one ends in ONE command pushed on the undo stack.

Placing, connecting, deleting, copying and pasting, moving (with the subnet / VNet
membership changes a drop implies), nudging, aligning, distributing and auto-layout.
:class:`SceneEditing` is a mixin of :class:`~designer.ui.canvas.scene.DiagramScene`: it uses
the scene's item maps and queries and never touches items itself (the model's
notifications bring them up to date).
"""
from __future__ import annotations

import dataclasses
from typing import Any, Iterable

from PySide6.QtCore import QPoint, QPointF, QRectF
from PySide6.QtWidgets import QMenu

from ...model import Link, Scenario, Topology, new_component
from ...model.io import from_document, to_document
from ...model.layout import layout_positions
from ...model.links import LINK_RULES
from ..commands import (AddNodeCommand, AddNodesCommand, ConnectCommand, DeleteCommand,
                        DisconnectCommand, GestureCommand, MoveNodesCommand, NudgeCommand,
                        ReplaceNodeCommand,
                        copy_with_fresh_ids)
from ..text import menu_text
from . import references
from .style import snap


class SceneEditing:
    """Gestures of :class:`DiagramScene` that change the model (one undo step each)."""

    # ========================================================================= commands
    def connect_nodes(self, link: Link) -> bool:
        topology = self.scenario.topology
        reason = topology.can_connect(link) or topology.public_ip_taken(link)
        if reason:
            self.statusMessage.emit(f"Cannot connect: {reason}")
            return False
        self.undo_stack.push(ConnectCommand(self.scenario, link))
        self.statusMessage.emit(f"Connected {link.source} to {link.target} "
                                f"({LINK_RULES[link.kind].label.lower()})")
        return True

    def _menu_choose_link(self, links: list[Link], screen_pos) -> Link | None:
        menu = QMenu()
        menu.setObjectName("menu-link-kind")
        for link in links:
            action = menu.addAction(menu_text(f"{LINK_RULES[link.kind].label}  "
                                              f"({link.source} → {link.target})"))
            action.setData(links.index(link))
        chosen = menu.exec(QPoint(int(screen_pos.x()), int(screen_pos.y())))
        return links[chosen.data()] if chosen is not None else None

    def choose_link(self, links: list[Link], screen_pos) -> Link | None:
        return self.link_chooser(links, screen_pos)

    def free_spot(self, kind: str, near: QPointF) -> QPointF:
        """The nearest point to ``near`` where a new node of ``kind`` (its centre) overlaps
        no node and, for a box, no other box either."""
        from ...model.components import component_class
        from ...model.layout import FOOTPRINT, spiral
        box = component_class(kind).CONTAINER
        w, h = component_class(kind)(id="probe").size if box else (0.0, 0.0)
        left, up, right, down = FOOTPRINT
        for x, y in spiral(snap(near.x()), snap(near.y()), 80.0, rings=40):
            if box:
                rect = QRectF(x - w / 2, y - h / 2, w, h)
                clear = not self._tiles_in(rect.adjusted(-left, -up, right, down)) and not any(
                    rect.intersects(c.scene_rect()) for c in self._containers.values())
            else:
                rect = QRectF(x - left - right, y - up - down, 2 * (left + right), 2 * (up + down))
                clear = not self._tiles_in(rect)
            if clear:
                return QPointF(x, y)
        return near

    def place_node(self, kind: str, scene_pos: QPointF) -> str:
        """Add a node of ``kind`` at ``scene_pos`` (snapped); a VM dropped into a subnet box
        joins it, a subnet dropped into a VNet box joins it.  One undo step."""
        topology = self.scenario.topology
        component = new_component(topology, kind)
        x, y = scene_pos.x(), scene_pos.y()
        if component.CONTAINER:
            w, h = component.size
            x, y = x - w / 2, y - h / 2
        if self._snap_to_grid:
            x, y = snap(x), snap(y)
        component = dataclasses.replace(component, position=(x, y))
        links = []
        text = None
        if kind in ("vm", "subnet"):
            box_kind = "subnet" if kind == "vm" else "vnet"
            probe = QPointF(x + component.size[0] / 2, y + component.size[1] / 2) \
                if component.CONTAINER else QPointF(x, y)
            box = self.container_at(probe, box_kind)
            if box is not None:
                links.append(Link(component.id, box.node_id,
                                  "in_subnet" if kind == "vm" else "in_vnet"))
                text = f"Add {component.LABEL[:1].lower() + component.LABEL[1:]} to " \
                       f"{box.component.display_name}"
        self.undo_stack.push(AddNodeCommand(self.scenario, component, links, text=text))
        self.select_nodes([component.id])
        return component.id

    def delete_selection(self) -> bool:
        """Delete the selection (a node with its links) in one step; rules that name a
        deleted public IP as their frontend are removed or pointed at another frontend in
        that same step, as the user chooses (``reference_chooser``)."""
        ids = self.selected_node_ids()
        links = self.selected_links()
        if not ids and not links:
            return False
        topology = self.scenario.topology
        refs = references.references_to(topology, set(ids))
        if not refs:
            self.undo_stack.push(DeleteCommand(self.scenario, ids, links))
            return True
        choice = self.reference_chooser(topology, refs)
        if choice is None:
            self.statusMessage.emit("Nothing deleted")
            return False
        delete = DeleteCommand(self.scenario, ids, links)
        gesture = GestureCommand(delete.text() + (" and its rules" if choice == "remove" else
                                                  " (rules moved to another frontend)"))
        for ref in refs:
            gesture.add(ReplaceNodeCommand, self.scenario,
                        references.fixed_balancer(topology, ref, set(ids), choice), "")
        gesture.parts.append(delete)
        self.undo_stack.push(gesture)
        return True

    def reference_chooser(self, topology, refs) -> str | None:
        """What becomes of rules naming a deleted public IP: "remove", "repoint" or None
        (cancel).  A dialog; tests put their answer here."""
        views = self.views()
        return references.ask(views[0] if views else None, topology, refs)

    # ----------------------------------------------------------------- copy and paste
    def copy_selection(self) -> dict[str, Any]:
        """The selected nodes and the links among them, as a scenario document (plain JSON
        data: the window puts it on the clipboard)."""
        ids = set(self.selected_node_ids())
        source = self.scenario.topology
        sub = Topology()
        for node_id in sorted(ids):
            sub.add_node(source.node(node_id))
        for link in source.links():
            if link.source in ids and link.target in ids:
                sub.connect(link, check_limits=False)
        return to_document(Scenario(sub, name="Copied items", semantics=self.scenario.semantics))

    def paste(self, data: dict[str, Any], at: QPointF | None = None) -> list[str]:
        """Add copies of the nodes in ``data`` (from :meth:`copy_selection`) with fresh ids,
        keeping the links among them; at ``at`` (scene point, the copies' centre) or offset
        from the originals.  One undo step; the copies end up selected."""
        clip = from_document(data, "clipboard")
        ids = clip.topology.node_ids()
        if not ids:
            return []
        if at is None:
            self._paste_count += 1
            offset = (40.0 * self._paste_count, 40.0 * self._paste_count)
        else:
            bounds = QRectF()
            for c in clip.topology.nodes():
                x, y = c.position
                w, h = c.size if c.CONTAINER else (0.0, 0.0)
                bounds = bounds.united(QRectF(x, y, max(w, 1), max(h, 1)))
            centre = bounds.center()
            offset = (snap(at.x() - centre.x()), snap(at.y() - centre.y()))
        here = self.scenario.topology
        components, links = copy_with_fresh_ids(
            clip, ids, offset=offset, taken=set(here.node_ids()),
            taken_names={c.display_name for c in here.nodes()})
        return self._add_copies(components, links, f"Paste {len(components)} item"
                                + ("" if len(components) == 1 else "s"))

    def duplicate_selection(self) -> list[str]:
        ids = self.selected_node_ids()
        if not ids:
            return []
        components, links = copy_with_fresh_ids(self.scenario, ids, offset=(40.0, 40.0))
        return self._add_copies(components, links, f"Duplicate {len(components)} item"
                                + ("" if len(components) == 1 else "s"))

    def _add_copies(self, components, links, text: str) -> list[str]:
        # copies that land inside a box without a membership among the copies join that box
        members = {(l.source, l.kind) for l in links}
        extra = []
        copied_boxes = {c.id: c for c in components if c.CONTAINER}
        for c in components:
            if c.KIND not in ("vm", "subnet"):
                continue
            kind = "in_subnet" if c.KIND == "vm" else "in_vnet"
            if (c.id, kind) in members:
                continue
            box_kind = "subnet" if c.KIND == "vm" else "vnet"
            point = QPointF(c.position[0] + c.size[0] / 2, c.position[1] + c.size[1] / 2) \
                if c.CONTAINER else QPointF(*c.position)
            box = next((b for b in copied_boxes.values() if b.KIND == box_kind and
                        QRectF(QPointF(*b.position), QPointF(b.position[0] + b.size[0],
                                                             b.position[1] + b.size[1])).contains(point)),
                       None)
            target = box.id if box is not None else None
            if target is None:
                item = self.container_at(point, box_kind)
                target = item.node_id if item is not None else None
            if target is not None:
                extra.append(Link(c.id, target, kind))
        self.undo_stack.push(AddNodesCommand(self.scenario, components, links + extra, text=text))
        ids = [c.id for c in components]
        self.select_nodes(ids)
        return ids

    # -------------------------------------------------------------- moving and layout
    def membership_changes(self, moved: Iterable[str], was_inside: dict[str, bool] | None = None
                           ) -> list[tuple[str, str | None, str | None]]:
        """For moved VMs and subnets whose box did not move with them: (id, old box, new
        box) when the drop changes which subnet / VNet they are in."""
        moved = set(moved)
        topology = self.scenario.topology
        out = []
        for node_id in sorted(moved):
            item = self._nodes[node_id]
            if item.kind not in ("vm", "subnet"):
                continue
            old = topology.subnet_of(node_id) if item.kind == "vm" else topology.vnet_of(node_id)
            if old is not None and old in moved:
                continue  # carried along by its own box
            box_kind = "subnet" if item.kind == "vm" else "vnet"
            box = self.container_at(self.anchor_point(item), box_kind, exclude={node_id})
            new = box.node_id if box is not None else None
            if new == old:
                continue
            if new is None and not (was_inside or {}).get(node_id, True):
                continue  # was drawn outside its box already: moving it around keeps it
            out.append((node_id, old, new))
        return out

    def push_move(self, positions: dict[str, tuple[float, float]],
                  changes: list[tuple[str, str | None, str | None]], primary: str | None = None,
                  text: str | None = None) -> None:
        topology = self.scenario.topology
        if not changes:
            self.undo_stack.push(MoveNodesCommand(self.scenario, positions, text=text))
            return
        name = topology.node(primary).display_name if primary and len(positions) == 1 else None
        targets = {new for _, _, new in changes}
        if len(changes) == 1 or len(targets) == 1:
            node_id, old, new = changes[0]
            who = name or (topology.node(node_id).display_name if len(changes) == 1 and
                           set(positions) <= {node_id} | set(self.contents_closure(node_id))
                           else f"{len(positions)} items")
            if new is not None:
                text = f"Move {who} into {topology.node(new).display_name}"
            else:
                text = f"Move {who} out of {topology.node(old).display_name}"
        else:
            text = f"Move {len(positions)} items"
        gesture = GestureCommand(text)
        gesture.add(MoveNodesCommand, self.scenario, positions)
        for node_id, old, new in changes:
            kind = "in_subnet" if topology.node(node_id).KIND == "vm" else "in_vnet"
            if old is not None:
                gesture.add(DisconnectCommand, self.scenario, Link(node_id, old, kind))
            if new is not None:
                gesture.add(ConnectCommand, self.scenario, Link(node_id, new, kind))
        self.undo_stack.push(gesture)

    def _positions_after(self, deltas: dict[str, QPointF]) -> dict[str, tuple[float, float]]:
        """Apply per-item deltas, carrying every box's contents along."""
        out: dict[str, tuple[float, float]] = {}
        for node_id, delta in deltas.items():
            if delta.isNull():
                continue
            for member in {node_id} | self.contents_closure(node_id):
                if member in out:
                    continue
                p = self._nodes[member].pos() + delta
                out[member] = (p.x(), p.y())
        return out

    def nudge(self, dx: float, dy: float) -> None:
        """Move the selection by (dx, dy): arrow keys.  Repeated nudges of the same nodes
        are one undo step; a nudge into or out of a box changes membership as a drop does."""
        ids = self.selected_node_ids()
        if not ids:
            return
        positions = self._positions_after({i: QPointF(dx, dy) for i in ids})
        if not positions:
            return
        changes = self.membership_changes(positions, {i: self.inside_own_box(i)
                                                       for i in positions})
        if changes:
            self.push_move(positions, changes)
        else:
            self.undo_stack.push(NudgeCommand(self.scenario, positions))

    def _rect_of(self, node_id: str) -> QRectF:
        return self._nodes[node_id].scene_rect()

    def align(self, edge: str) -> None:
        """Align the selection: left, right, top, bottom, hcenter (centres on one vertical
        line) or vcenter (on one horizontal line)."""
        ids = self.selected_node_ids()
        if len(ids) < 2:
            self.statusMessage.emit("Select two or more items to align")
            return
        rects = {i: self._rect_of(i) for i in ids}
        edge = {"center": "hcenter", "middle": "vcenter"}.get(edge, edge)
        getters = {
            "left": (lambda r: r.left(), min, "x"), "right": (lambda r: r.right(), max, "x"),
            "top": (lambda r: r.top(), min, "y"), "bottom": (lambda r: r.bottom(), max, "y"),
            "hcenter": (lambda r: r.center().x(), None, "x"),
            "vcenter": (lambda r: r.center().y(), None, "y"),
        }
        if edge not in getters:
            raise ValueError(f"unknown edge {edge!r} (expected one of {', '.join(getters)})")
        get, pick, axis = getters[edge]
        values = [get(r) for r in rects.values()]
        goal = pick(values) if pick else sum(values) / len(values)
        deltas = {i: (QPointF(goal - get(r), 0) if axis == "x" else QPointF(0, goal - get(r)))
                  for i, r in rects.items()}
        positions = self._positions_after(deltas)
        if positions:
            self.push_move(positions, [], text=f"Align {len(ids)} items")

    def distribute(self, axis: str) -> None:
        """Space the selection's centres evenly: horizontal ("x") or vertical ("y")."""
        ids = self.selected_node_ids()
        if len(ids) < 3:
            self.statusMessage.emit("Select three or more items to distribute")
            return
        horizontal = axis in ("horizontal", "x", "h")
        if not horizontal and axis not in ("vertical", "y", "v"):
            raise ValueError(f"unknown axis {axis!r} (expected horizontal or vertical)")
        coord = (lambda r: r.center().x()) if horizontal else (lambda r: r.center().y())
        order = sorted(ids, key=lambda i: coord(self._rect_of(i)))
        first, last = coord(self._rect_of(order[0])), coord(self._rect_of(order[-1]))
        step = (last - first) / (len(order) - 1)
        deltas = {}
        for n, node_id in enumerate(order):
            d = first + n * step - coord(self._rect_of(node_id))
            deltas[node_id] = QPointF(d, 0) if horizontal else QPointF(0, d)
        positions = self._positions_after(deltas)
        if positions:
            self.push_move(positions, [], text=f"Distribute {len(ids)} items")

    def auto_layout(self) -> None:
        """Lay the whole diagram out (``designer.model.layout``): one undoable step."""
        positions, sizes = layout_positions(self.scenario.topology)
        if not positions:
            return
        self.undo_stack.push(MoveNodesCommand(self.scenario, positions, text="Auto-layout",
                                              sizes=sizes))
