"""The diagram scene: a mirror of the model.

It subscribes to the scenario's topology and keeps ``id -> item`` maps, creating, updating
and removing items on every :class:`ChangeEvent`.  Items never write to the model; every
gesture (place, move, resize, connect, delete, paste, align, layout) ends in one command from
:mod:`designer.ui.commands` pushed on the undo stack, and the model's notifications bring the
items up to date.
"""
from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from typing import Any, Iterable

import networkx as nx
from PySide6.QtCore import QLineF, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QPainter, QTransform, QUndoCommand, QUndoStack
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QMenu

from ...model import Link, Scenario, Topology, new_component
from ...model.io import from_document, to_document
from ...model.links import LINK_RULES, link_kinds_between, why_not
from ...model.topology import ChangeEvent
from ..commands import (AddNodeCommand, AddNodesCommand, ConnectCommand, DeleteCommand,
                        DisconnectCommand, MoveNodesCommand, copy_with_fresh_ids)
from . import interactions
from .items import (DETAIL_FULL, DETAIL_MINIMAL, ContainerItem, FarLayer, Handle, LinkItem,
                    NodeItem, ResizeGrip, node_items)
from .style import GRID_STEP, TILE_SIZE, color, cosmetic_pen, palette_for, snap

#: clipboard MIME type of copied canvas selections (the payload is a scenario document)
CLIPBOARD_MIME = "application/x-outbound-designer-selection"
#: containment links: drawn only when the member sits outside its box
CONTAINMENT = {"in_subnet": "subnet", "in_vnet": "vnet"}
MEMBER_KIND = {"subnet": "vm", "vnet": "subnet"}
BOX_PADDING = 30.0


def _exit_point(rect: QRectF, start: QPointF, toward: QPointF) -> QPointF:
    """Where the ray from ``start`` (inside ``rect``) toward ``toward`` leaves ``rect``."""
    d = toward - start
    dx, dy = d.x(), d.y()
    if abs(dx) < 1e-9 and abs(dy) < 1e-9:
        return QPointF(start)
    ts = []
    if dx > 0:
        ts.append((rect.right() - start.x()) / dx)
    elif dx < 0:
        ts.append((rect.left() - start.x()) / dx)
    if dy > 0:
        ts.append((rect.bottom() - start.y()) / dy)
    elif dy < 0:
        ts.append((rect.top() - start.y()) / dy)
    t = min(min(ts), 1.0)
    return start + d * t


def _exit_xy(cx: float, cy: float, half_w: float, up: float, down: float,
             tx: float, ty: float) -> tuple[float, float]:
    """Where the ray from (cx, cy) toward (tx, ty) leaves the box [cx - half_w, cx + half_w]
    x [cy - up, cy + down]; (tx, ty) itself when it lies inside."""
    dx, dy = tx - cx, ty - cy
    t = 1.0
    if dx > 0:
        t = min(t, half_w / dx)
    elif dx < 0:
        t = min(t, -half_w / dx)
    if dy > 0:
        t = min(t, down / dy)
    elif dy < 0:
        t = min(t, -up / dy)
    return cx + dx * t, cy + dy * t


def _nearest_on_border(rect: QRectF, p: QPointF) -> QPointF:
    x = min(max(p.x(), rect.left()), rect.right())
    y = min(max(p.y(), rect.top()), rect.bottom())
    if rect.contains(p):  # inside: project to the nearest edge
        distances = [(p.x() - rect.left(), QPointF(rect.left(), y)),
                     (rect.right() - p.x(), QPointF(rect.right(), y)),
                     (p.y() - rect.top(), QPointF(x, rect.top())),
                     (rect.bottom() - p.y(), QPointF(x, rect.bottom()))]
        return min(distances, key=lambda d: d[0])[1]
    return QPointF(x, y)


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


class DiagramScene(QGraphicsScene):
    statusMessage = Signal(str)
    nodeActivated = Signal(str)

    def __init__(self, scenario: Scenario, undo_stack: QUndoStack, parent=None):
        super().__init__(parent)
        self.scenario = scenario
        self.undo_stack = undo_stack
        self.palette = palette_for(False)
        self.export_mode = False
        self._export_transparent = False
        self._grid_visible = True
        self._snap_to_grid = True
        self.connect_tool = False
        self.detail_level = DETAIL_FULL
        self.interaction: interactions.Interaction | None = None
        #: replaced in tests / by the window: (candidate links, screen pos) -> chosen link
        self.link_chooser = self._menu_choose_link
        self._nodes: dict[str, NodeItem | ContainerItem] = {}
        self._links: dict[tuple, LinkItem] = {}
        self._links_by_node: dict[str, set[tuple]] = defaultdict(set)
        self._node_findings: dict[str, list] = {}
        self._link_findings: dict[tuple, list] = {}
        self._containers: dict[str, ContainerItem] = {}
        #: link keys waiting for a geometry update while a drag moves many items
        self._deferred_links: set[tuple] | None = None
        self._paste_count = 0
        # no BSP index: with thousands of items, re-indexing on every move costs far more
        # than a linear scan for the few hit tests per event (perf-baselines.md, section 2)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.setBackgroundBrush(QBrush(color(self.palette.background)))
        self.far_layer = FarLayer(self)
        self.addItem(self.far_layer)
        self._styled_selection: set[QGraphicsItem] = set()
        self.selectionChanged.connect(self._restyle_selection)
        topology = scenario.topology
        for component in topology.nodes():
            self._add_node_item(component)
        for link in topology.links():
            self._add_link_item(link)
        topology.subscribe(self._on_change)

    def _restyle_selection(self) -> None:
        current = set(self.selectedItems())
        for item in current ^ self._styled_selection:
            item.restyle()
        self._styled_selection = current
        self.far_layer.restyled()

    def detach(self) -> None:
        """Stop mirroring (the window drops this scene for another document)."""
        self.scenario.topology.unsubscribe(self._on_change)

    # =========================================================================== mirroring
    def _on_change(self, event: ChangeEvent) -> None:
        self.far_layer.geometry_changed()
        kind = event.kind
        if kind == "node_added":
            item = self._add_node_item(event.new)
            self._refresh_containment_around(item)
        elif kind == "node_removed":
            item = self._nodes.pop(event.node_id, None)
            self._containers.pop(event.node_id, None)
            if item is not None:
                self.removeItem(item)
            self._links_by_node.pop(event.node_id, None)
        elif kind == "link_added":
            self._add_link_item(event.link)
        elif kind == "link_removed":
            item = self._links.pop(event.link.key, None)
            if item is not None:
                self.removeItem(item)
            for node_id in (event.link.source, event.link.target):
                self._links_by_node[node_id].discard(event.link.key)
        elif kind in ("moved", "property_changed"):
            item = self._nodes.get(event.node_id)
            if item is None:
                return
            component = self.scenario.topology.node(event.node_id)
            if kind == "moved":
                item.component = component
                item.setPos(QPointF(*component.position))
                self.item_geometry_changed(item)
            else:
                item.update_component(component)
                self.item_geometry_changed(item)

    def _add_node_item(self, component) -> NodeItem | ContainerItem:
        cls = ContainerItem if component.CONTAINER else NodeItem
        item = cls(component, self.palette)
        item.setPos(QPointF(*component.position))
        if cls is ContainerItem:
            item.forget_geometry()
        self.addItem(item)
        item.set_detail_level(self.detail_level)
        self._nodes[component.id] = item
        if isinstance(item, ContainerItem):
            self._containers[component.id] = item
        return item

    def _add_link_item(self, link: Link) -> LinkItem:
        item = LinkItem(link, self.palette)
        item.set_detail_level(DETAIL_FULL if self.export_mode else self.detail_level)
        self.addItem(item)
        self._links[link.key] = item
        self._links_by_node[link.source].add(link.key)
        self._links_by_node[link.target].add(link.key)
        item.restyle()
        self._update_link(item)
        return item

    # ----------------------------------------------------------------- geometry of links
    def item_geometry_changed(self, item) -> None:
        item.far_rect = None
        if item.__class__ is ContainerItem:
            item.forget_geometry()
        if self.far_layer.isVisible():
            r = item.scene_rect()
            self.far_layer.extend(r.left(), r.top(), r.right(), r.bottom())
        keys = self._links_by_node.get(item.node_id, ())
        if self._deferred_links is not None:
            self._deferred_links.update(keys)
            return
        for key in keys:
            link_item = self._links.get(key)
            if link_item is not None:
                self._update_link(link_item)

    def defer_link_updates(self) -> None:
        """Collect link updates until :meth:`flush_link_updates` (one update per link per
        drag frame, however many of its ends moved)."""
        if self._deferred_links is None:
            self._deferred_links = set()

    def flush_link_updates(self) -> None:
        keys, self._deferred_links = self._deferred_links, None
        for key in keys or ():
            link_item = self._links.get(key)
            if link_item is not None:
                self._update_link(link_item)

    def _refresh_containment_around(self, item) -> None:
        self.item_geometry_changed(item)

    def anchor_point(self, item) -> QPointF:
        """The point that decides which box an item is in: a node's centre, a box's centre."""
        if isinstance(item, ContainerItem):
            return item.scene_rect().center()
        return QPointF(item.pos())

    def _update_link(self, link_item: LinkItem) -> None:
        link = link_item.link
        src, dst = self._nodes.get(link.source), self._nodes.get(link.target)
        if src is None or dst is None:
            return
        if link.kind in CONTAINMENT:
            inside = dst.scene_rect().contains(self.anchor_point(src))
            if inside == link_item.shown:
                link_item.setVisible(not inside)
                link_item.shown = not inside
            link_item.set_mismatch(not inside)
            if inside:
                return
        if type(src) is NodeItem and type(dst) is NodeItem:
            # the common case, in floats: from tile to tile
            sp, tp = src.pos(), dst.pos()
            sx, sy, tx, ty = sp.x(), sp.y(), tp.x(), tp.y()
            half = TILE_SIZE / 2
            x1, y1 = _exit_xy(sx, sy, half + 2, half + 2, src.anchor_below + 2, tx, ty)
            x2, y2 = _exit_xy(tx, ty, half + 3, half + 3, dst.anchor_below + 3, x1, y1)
            link_item.set_endpoints_xy(x1, y1, x2, y2)
            if self.far_layer.isVisible():
                self.far_layer.extend(min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
            return
        ref_s, ref_t = self.anchor_point(src), self.anchor_point(dst)
        end_t = _nearest_on_border(dst.scene_rect(), ref_s) if isinstance(dst, ContainerItem) else None
        if isinstance(src, ContainerItem):
            end_s = _nearest_on_border(src.scene_rect(), end_t if end_t is not None else ref_t)
        else:
            end_s = _exit_point(src.anchor_rect(2.0), ref_s, end_t if end_t is not None else ref_t)
        if end_t is None:
            end_t = _exit_point(dst.anchor_rect(3.0), ref_t, end_s)
        link_item.set_endpoints(end_s, end_t)
        if self.far_layer.isVisible():
            self.far_layer.extend(min(end_s.x(), end_t.x()), min(end_s.y(), end_t.y()),
                                  max(end_s.x(), end_t.x()), max(end_s.y(), end_t.y()))

    # ========================================================================= queries
    def node_item(self, node_id: str) -> NodeItem | ContainerItem | None:
        return self._nodes.get(node_id)

    def link_item(self, link: Link) -> LinkItem | None:
        return self._links.get(link.key)

    def all_node_items(self) -> list[NodeItem | ContainerItem]:
        return list(self._nodes.values())

    def all_link_items(self) -> list[LinkItem]:
        return list(self._links.values())

    def plain_node_items(self) -> list[NodeItem]:
        """Every node drawn as a tile (not the boxes)."""
        return [i for i in self._nodes.values() if i.__class__ is NodeItem]

    def selected_set(self) -> set[QGraphicsItem]:
        """The selected items as last styled (kept in step with selectionChanged)."""
        return self._styled_selection

    def items_with_findings(self) -> list:
        return [self._nodes[n] for n in self._node_findings if n in self._nodes]

    def selected_node_ids(self) -> list[str]:
        return sorted(i.node_id for i in node_items(self.selectedItems()))

    def selected_links(self) -> list[Link]:
        return sorted((i.link for i in self.selectedItems() if isinstance(i, LinkItem)),
                      key=lambda l: l.key)

    def select_nodes(self, ids: Iterable[str]) -> None:
        wanted = set(ids)
        self.blockSignals(True)
        try:
            self.clearSelection()
            for node_id in wanted:
                item = self._nodes.get(node_id)
                if item is not None:
                    item.setSelected(True)
        finally:
            self.blockSignals(False)
        self.selectionChanged.emit()

    def select_links(self, links: Iterable[Link]) -> None:
        self.blockSignals(True)
        try:
            self.clearSelection()
            for link in links:
                item = self._links.get(link.key)
                if item is not None:
                    item.setSelected(True)
        finally:
            self.blockSignals(False)
        self.selectionChanged.emit()

    def items_bounding_rect(self) -> QRectF:
        """The bounding rectangle of the diagram (nodes, boxes, links, labels)."""
        rect = QRectF()
        for item in self._nodes.values():
            rect = rect.united(item.sceneBoundingRect() | item.mapRectToScene(item.childrenBoundingRect()))
        for item in self._links.values():
            if item.isVisible():
                rect = rect.united(item.sceneBoundingRect())
        return rect

    def _hit_items(self, pos: QPointF) -> list[QGraphicsItem]:
        return self.items(pos, Qt.ItemSelectionMode.IntersectsItemShape,
                          Qt.SortOrder.DescendingOrder, QTransform())

    def _hit(self, pos: QPointF) -> QGraphicsItem | None:
        """The topmost interactive thing under ``pos``: a handle, a grip or a root item."""
        for item in self._hit_items(pos):
            if not item.isVisible():
                continue
            if isinstance(item, (Handle, ResizeGrip, NodeItem, ContainerItem, LinkItem)):
                return item
        return None

    def node_item_at(self, pos: QPointF, exclude: set[str] = frozenset()):
        for item in self._hit_items(pos):
            if isinstance(item, (Handle, ResizeGrip)):
                item = item.owner
            if isinstance(item, (NodeItem, ContainerItem)) and item.node_id not in exclude:
                return item
        return None

    def container_at(self, pos: QPointF, kind: str, exclude: Iterable[str] = ()) -> ContainerItem | None:
        """The topmost box of ``kind`` (subnet / vnet) containing ``pos``."""
        exclude = set(exclude)
        best = None
        for item in self._containers.values():
            if item.kind == kind and item.node_id not in exclude and item.scene_rect().contains(pos):
                # the smallest box wins when boxes overlap
                if best is None or item.size[0] * item.size[1] < best.size[0] * best.size[1]:
                    best = item
        return best

    def inside_own_box(self, node_id: str) -> bool:
        """Whether a VM sits inside its subnet's box (a subnet inside its VNet's box)."""
        item = self._nodes[node_id]
        topology = self.scenario.topology
        box_id = (topology.subnet_of(node_id) if item.kind == "vm" else
                  topology.vnet_of(node_id) if item.kind == "subnet" else None)
        box = self._nodes.get(box_id) if box_id else None
        return box is not None and box.scene_rect().contains(self.anchor_point(item))

    def contents_closure(self, box_id: str) -> set[str]:
        """Everything a box carries along: its members (by the model), what lies inside it
        on the canvas, and their contents in turn."""
        out: set[str] = set()
        todo = [box_id]
        topology = self.scenario.topology
        while todo:
            current = todo.pop()
            box = self._nodes.get(current)
            if not isinstance(box, ContainerItem):
                continue
            rect = box.scene_rect()
            members = set(topology.contents(current))
            for item in self._nodes.values():
                if item is box or item.node_id in out:
                    continue
                if isinstance(item, ContainerItem):
                    geometric = rect.contains(item.scene_rect()) and \
                        item.size[0] * item.size[1] < box.size[0] * box.size[1]
                else:
                    geometric = rect.contains(item.pos())
                if geometric or item.node_id in members:
                    out.add(item.node_id)
                    todo.append(item.node_id)
        return out

    def drag_set(self, ids: Iterable[str]) -> set[str]:
        out = set(ids)
        for node_id in list(out):
            out |= self.contents_closure(node_id)
        return out

    def minimum_box_size(self, box_id: str) -> tuple[float, float]:
        box = self._nodes[box_id]
        w, h = ContainerItem.MIN_SIZE
        origin = box.pos()
        for member in self.scenario.topology.contents(box_id):
            item = self._nodes.get(member)
            if item is None:
                continue
            rect = item.scene_rect()
            if not box.scene_rect().contains(self.anchor_point(item)):
                continue
            w = max(w, rect.right() - origin.x() + BOX_PADDING / 2)
            h = max(h, rect.bottom() - origin.y() + BOX_PADDING / 2)
        return w, h

    def connect_options(self, a: str, b: str) -> tuple[list[Link], str]:
        """Links the user may draw between ``a`` and ``b`` (either direction), or the reason
        none is allowed."""
        topology = self.scenario.topology
        ka, kb = topology.node(a).KIND, topology.node(b).KIND
        candidates = [Link(a, b, k) for k in link_kinds_between(ka, kb)] + \
                     [Link(b, a, k) for k in link_kinds_between(kb, ka)]
        if not candidates:
            return [], why_not(None, ka, kb) or "no link fits"
        allowed, reasons = [], []
        for link in candidates:
            reason = topology.can_connect(link)
            if reason is None:
                allowed.append(link)
            else:
                reasons.append(reason)
        return allowed, "; ".join(dict.fromkeys(reasons))

    # ========================================================================= commands
    def connect_nodes(self, link: Link) -> bool:
        reason = self.scenario.topology.can_connect(link)
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
            action = menu.addAction(f"{LINK_RULES[link.kind].label}  ({link.source} → {link.target})")
            action.setData(links.index(link))
        chosen = menu.exec(QPoint(int(screen_pos.x()), int(screen_pos.y())))
        return links[chosen.data()] if chosen is not None else None

    def choose_link(self, links: list[Link], screen_pos) -> Link | None:
        return self.link_chooser(links, screen_pos)

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
        ids = self.selected_node_ids()
        links = self.selected_links()
        if not ids and not links:
            return False
        self.undo_stack.push(DeleteCommand(self.scenario, ids, links))
        return True

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
        components, links = copy_with_fresh_ids(clip, ids, offset=offset,
                                                taken=set(self.scenario.topology.node_ids()))
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
        ids = self.selected_node_ids()
        if not ids:
            return
        positions = self._positions_after({i: QPointF(dx, dy) for i in ids})
        self.push_move(positions, self.membership_changes(positions, {
            i: self.inside_own_box(i) for i in positions}))

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
        """Lay the diagram out with networkx (one undoable step): nodes by a seeded spring
        layout of the link graph, then every box fitted around its members."""
        from .layout import layout_positions
        positions, sizes = layout_positions(self.scenario.topology)
        if not positions:
            return
        self.undo_stack.push(MoveNodesCommand(self.scenario, positions, text="Auto-layout",
                                              sizes=sizes))

    # ========================================================================= findings
    def set_findings(self, findings: list) -> None:
        by_node: dict[str, list] = defaultdict(list)
        by_link: dict[tuple, list] = defaultdict(list)
        for f in findings:
            if f.link is not None:
                by_link[f.link.key].append(f)
            elif f.node_id:
                by_node[f.node_id].append(f)
        for node_id in set(self._node_findings) | set(by_node):
            item = self._nodes.get(node_id)
            if item is not None:
                item.set_findings(by_node.get(node_id, []))
        for key in set(self._link_findings) | set(by_link):
            item = self._links.get(key)
            if item is not None:
                item.set_findings(by_link.get(key, []))
        self._node_findings, self._link_findings = dict(by_node), dict(by_link)

    # ======================================================================= appearance
    @property
    def grid_visible(self) -> bool:
        return self._grid_visible

    @grid_visible.setter
    def grid_visible(self, visible: bool) -> None:
        self._grid_visible = bool(visible)
        self._background_changed()

    def _background_changed(self) -> None:
        # views cache their background (CacheBackground): tell them it changed
        self.invalidate(QRectF(), QGraphicsScene.SceneLayer.BackgroundLayer)
        self.update()

    @property
    def snap_to_grid(self) -> bool:
        return self._snap_to_grid

    @snap_to_grid.setter
    def snap_to_grid(self, on: bool) -> None:
        self._snap_to_grid = bool(on)

    def _restyle_all(self) -> None:
        for item in self._nodes.values():
            item.restyle()
        for item in self._links.values():
            item.restyle()

    def set_theme(self, dark: bool) -> None:
        self.palette = palette_for(dark)
        self.setBackgroundBrush(QBrush(color(self.palette.background)))
        self._restyle_all()
        self.far_layer.restyled()
        self._background_changed()

    def set_export_mode(self, on: bool, transparent: bool = False) -> None:
        """For rendering without a view: no grid, no selection, hover, handles or grips, full
        detail (labels at any scale), vectors and real text rather than pixel caches (PDF and
        SVG stay sharp and searchable); ``transparent`` leaves the background unpainted."""
        self.export_mode = bool(on)
        self._export_transparent = bool(on and transparent)
        for item in self._nodes.values():
            item.set_caching(not on)
            if on:
                item.hovered = False
        self.set_detail_level(DETAIL_FULL if on else self.detail_level, force=True)
        self._restyle_all()
        self._background_changed()

    def set_detail_level(self, level: int, force: bool = False) -> None:
        """Level of detail chosen by the main view from its zoom (labels and glyphs fade out
        when far away); export mode always draws full detail."""
        if not force:
            self.detail_level = level
        effective = DETAIL_FULL if self.export_mode else level
        changed = False
        for item in self._nodes.values():
            changed |= item.detail_level != effective
            item.set_detail_level(effective)
        if changed:
            for link_item in self._links.values():
                link_item.set_detail_level(effective)
        self.far_layer.setVisible(effective == DETAIL_MINIMAL)

        self.far_layer.geometry_changed()
        self.far_layer.restyled()

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        if self._export_transparent:
            return
        painter.fillRect(rect, self.backgroundBrush())
        if self.export_mode or not self._grid_visible:
            return
        scale = painter.worldTransform().m11()
        antialiased = painter.testRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)  # axis-aligned lines
        for step, colour, min_px in ((GRID_STEP, self.palette.grid_minor, 9),
                                     (GRID_STEP * 5, self.palette.grid_major, 16)):
            if step * scale < min_px:
                continue
            left = math.floor(rect.left() / step) * step
            top = math.floor(rect.top() / step) * step
            lines = []
            x = left
            while x <= rect.right():
                if step == GRID_STEP * 5 or round(x / GRID_STEP) % 5:
                    lines.append(QLineF(x, rect.top(), x, rect.bottom()))
                x += step
            y = top
            while y <= rect.bottom():
                if step == GRID_STEP * 5 or round(y / GRID_STEP) % 5:
                    lines.append(QLineF(rect.left(), y, rect.right(), y))
                y += step
            painter.setPen(cosmetic_pen(colour, 1.0))
            painter.drawLines(lines)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, antialiased)

    # ==================================================================== mouse handling
    def mousePressEvent(self, event) -> None:
        if self.interaction is not None:
            self.interaction.cancel()
            self.interaction = None
        hit = self._hit(event.scenePos())
        left = event.button() == Qt.MouseButton.LeftButton
        if left and (isinstance(hit, Handle) or
                     (self.connect_tool and isinstance(hit, (NodeItem, ContainerItem)))):
            source = hit.owner if isinstance(hit, Handle) else hit
            self.interaction = interactions.ConnectInteraction(self, source)
            event.accept()
            return
        if left and isinstance(hit, ResizeGrip):
            self.interaction = interactions.ResizeInteraction(self, hit.owner, event)
            event.accept()
            return
        super().mousePressEvent(event)
        if left and isinstance(hit, (NodeItem, ContainerItem)) and hit.isSelected():
            self.interaction = interactions.MoveInteraction(self, hit, event)

    def mouseMoveEvent(self, event) -> None:
        if self.interaction is not None:
            self.interaction.move(event)
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        interaction, self.interaction = self.interaction, None
        if interaction is not None:
            interaction.release(event)
            if not interaction.passes_release:
                event.accept()
                return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        hit = self._hit(event.scenePos())
        if isinstance(hit, (NodeItem, ContainerItem)):
            self.nodeActivated.emit(hit.node_id)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape and self.interaction is not None:
            self.interaction.cancel()
            self.interaction = None
            event.accept()
            return
        super().keyPressEvent(event)
