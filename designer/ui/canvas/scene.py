"""The diagram scene: a mirror of the model.

It subscribes to the scenario's topology and keeps ``id -> item`` maps, creating, updating
and removing items on every :class:`ChangeEvent`.  Items never write to the model; every
gesture (place, move, resize, connect, delete, paste, align, layout) ends in one command from
:mod:`designer.ui.commands` pushed on the undo stack, and the model's notifications bring the
items up to date.
"""
from __future__ import annotations

import math
import weakref
from collections import defaultdict
from typing import Iterable

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QPainter, QTransform, QUndoStack
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene

from ...model import Link, Scenario
from ...model.links import link_kinds_between, refusal
from ...model.topology import ChangeEvent
from . import interactions
from .editing import SceneEditing
from .geometry import exit_xy, nearest_on_border_xy
from .draglayer import StaticLayer
from .farlayer import FarLayer
from .items import (CAPTION_SCALE, DETAIL_FULL, DETAIL_MINIMAL, ContainerItem, Handle, LinkItem,
                    NodeItem, ResizeGrip, node_items)
from .style import GRID_STEP, TILE_SIZE, color, cosmetic_pen, palette_for

#: clipboard MIME type of copied canvas selections (the payload is a scenario document)
CLIPBOARD_MIME = "application/x-outbound-designer-selection"
#: containment links: drawn only when the member sits outside its box
CONTAINMENT = {"in_subnet": "subnet", "in_vnet": "vnet"}
MEMBER_KIND = {"subnet": "vm", "vnet": "subnet"}
BOX_PADDING = 30.0


class DiagramScene(SceneEditing, QGraphicsScene):
    statusMessage = Signal(str)
    nodeActivated = Signal(str)
    #: the model changed (after the items follow it) or the theme did: for the overview,
    #: which must not listen to ``changed`` (thousands of rectangles per drag frame)
    contentChanged = Signal()

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
        #: what stays still during a drag, drawn once per view (see draglayer.py)
        self.static_layer = StaticLayer(self)
        self._styled_selection: set[QGraphicsItem] = set()
        self.selectionChanged.connect(self._restyle_selection)
        topology = scenario.topology
        for component in topology.nodes():
            self._add_node_item(component)
        for link in topology.links():
            self._add_link_item(link)
        topology.subscribe(self._on_change)
        # a plain function holding a weak reference: a bound method of this QObject made
        # PySide look up a slot on a scene that may be gone when the stack emits
        scene_ref = weakref.ref(self)

        def command_done(_index: int) -> None:
            scene = scene_ref()
            if scene is not None:
                scene._end_burst()
        undo_stack.indexChanged.connect(command_done)
        self._burst_timer = QTimer(self)
        self._burst_timer.setObjectName("scene-link-burst")
        self._burst_timer.setSingleShot(True)
        self._burst_timer.setInterval(0)
        self._burst_timer.timeout.connect(self._end_burst)
        self._captions_timer = QTimer(self)
        self._captions_timer.setObjectName("scene-captions")
        self._captions_timer.setSingleShot(True)
        self._captions_timer.setInterval(0)
        self._captions_timer.timeout.connect(self._apply_captions)

    def _restyle_selection(self) -> None:
        current = set(self.selectedItems())
        previous, self._styled_selection = self._styled_selection, current
        changed = current ^ previous
        if (len(current) == 1) != (len(previous) == 1):
            changed |= current | previous  # a lone selection shows its handle, many do not
        for item in changed:
            item.restyle()
        self.far_layer.restyled()

    def detach(self) -> None:
        """Stop mirroring (the window drops this scene for another document)."""
        self.scenario.topology.unsubscribe(self._on_change)

    # =========================================================================== mirroring
    def _on_change(self, event: ChangeEvent) -> None:
        self._mirror(event)
        self.contentChanged.emit()

    def _mirror(self, event: ChangeEvent) -> None:
        self.far_layer.content_changed()
        kind = event.kind
        if kind == "node_added":
            item = self._add_node_item(event.new)
            self._refresh_containment_around(item)
        elif kind == "node_removed":
            item = self._nodes.pop(event.node_id, None)
            if item is not None:
                self._grid_update(item, removed=True)
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
                self._defer_for_burst()
                item.component = component
                item.setPos(QPointF(*component.position))
                self.item_geometry_changed(item)
            else:
                item.update_component(component)
                self.item_geometry_changed(item)
                self._captions_later()  # a new name may no longer fit

    def _add_node_item(self, component) -> NodeItem | ContainerItem:
        cls = ContainerItem if component.CONTAINER else NodeItem
        item = cls(component, self.palette)
        item.setPos(QPointF(*component.position))
        if cls is ContainerItem:
            item.forget_geometry()
        self.addItem(item)
        item.set_detail_level(self.detail_level)
        if self.text_zoom < CAPTION_SCALE:
            item.set_text_zoom(self.text_zoom, not self.export_mode)
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
        self._grid_update(item)
        self._captions_later()
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

    _burst = False

    def _defer_for_burst(self) -> None:
        """Model moves come in bursts (a layout or its undo moves 2,000 nodes in one
        command): their links are updated once each, when the command is done (the undo
        stack's indexChanged), or for a change made outside the stack when the event loop
        next runs, or when someone asks for link items first."""
        if self._deferred_links is None:
            self._deferred_links = set()
            self._burst = True
            self._burst_timer.start()

    def _end_burst(self) -> None:
        if self._burst:
            self._burst = False
            self._burst_timer.stop()
            self.flush_link_updates()

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
        half = TILE_SIZE / 2
        s_box, d_box = src.__class__ is ContainerItem, dst.__class__ is ContainerItem
        if s_box:
            sr = src.scene_rect()
            sl, st, sright, sb = sr.left(), sr.top(), sr.right(), sr.bottom()
            sx, sy = (sl + sright) / 2, (st + sb) / 2
        else:
            sp = src.pos()
            sx, sy = sp.x(), sp.y()
        if d_box:
            dr = dst.scene_rect()
            dl, dt, dright, db = dr.left(), dr.top(), dr.right(), dr.bottom()
            tx, ty = (dl + dright) / 2, (dt + db) / 2
        else:
            tp = dst.pos()
            tx, ty = tp.x(), tp.y()
        # tiles: from the edge of the tile (stretched down over the name); boxes: from the
        # point of their border nearest to the other end
        if d_box:
            x2, y2 = nearest_on_border_xy(dl, dt, dright, db, sx, sy)
            aim_x, aim_y = x2, y2
        else:
            aim_x, aim_y = tx, ty
        if s_box:
            x1, y1 = nearest_on_border_xy(sl, st, sright, sb, aim_x, aim_y)
        else:
            x1, y1 = exit_xy(sx, sy, half + 2, half + 2, src.anchor_below + 2, aim_x, aim_y)
        if not d_box:
            x2, y2 = exit_xy(tx, ty, half + 3, half + 3, dst.anchor_below + 3, x1, y1)
        # while a drag runs far out, the far layer draws the line: the hit area can wait
        link_item.set_endpoints_xy(x1, y1, x2, y2, hit=not self.static_layer.active)
        if self.far_layer.isVisible():
            self.far_layer.extend(min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))

    # ========================================================================= queries
    def node_item(self, node_id: str) -> NodeItem | ContainerItem | None:
        return self._nodes.get(node_id)

    def link_item(self, link: Link) -> LinkItem | None:
        self._end_burst()
        return self._links.get(link.key)

    def link_keys_of(self, node_id: str) -> set[tuple]:
        """Keys of the links at a node (for :meth:`link_item_by_key`)."""
        return set(self._links_by_node.get(node_id, ()))

    def link_item_by_key(self, key: tuple) -> LinkItem | None:
        self._end_burst()
        return self._links.get(key)

    def all_node_items(self) -> list[NodeItem | ContainerItem]:
        return list(self._nodes.values())

    def all_link_items(self) -> list[LinkItem]:
        self._end_burst()
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
        # the set kept in step with selectionChanged: selectedItems() converts every
        # selected item to Python, each time (tens of ms with 2,000 selected)
        return sorted(i.node_id for i in node_items(self._styled_selection))

    def selected_links(self) -> list[Link]:
        return sorted((i.link for i in self._styled_selection if isinstance(i, LinkItem)),
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

    def items_bounding_rect(self, zoom: float | None = None) -> QRectF:
        """The bounding rectangle of the diagram (nodes, boxes, links, labels); with
        ``zoom``, names as a view at that zoom draws them (far out, at a fixed size on
        screen)."""
        self._end_burst()
        rect = QRectF()
        for item in self._nodes.values():
            rect = rect.united(item.scene_rect_at(zoom) if zoom else
                               item.sceneBoundingRect() |
                               item.mapRectToScene(item.childrenBoundingRect()))
        for item in self._links.values():
            if item.isVisible():
                rect = rect.united(item.sceneBoundingRect())
        return rect

    #: the transform of the view the last mouse event came from: items drawn at a fixed
    #: on-screen size (resize grips, captions far out) are hit where they are drawn
    _device_transform = QTransform()

    def _hit_items(self, pos: QPointF) -> list[QGraphicsItem]:
        return self.items(pos, Qt.ItemSelectionMode.IntersectsItemShape,
                          Qt.SortOrder.DescendingOrder, self._device_transform)

    def _note_view(self, event) -> None:
        widget = event.widget()
        view = widget.parentWidget() if widget is not None else None
        self._device_transform = view.viewportTransform() if hasattr(
            view, "viewportTransform") else QTransform()

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
            if box.__class__ is not ContainerItem:
                continue
            rect = box.scene_rect()
            area = box.size[0] * box.size[1]
            inside = set(topology.contents(current)) | self._tiles_in(rect)
            for item in self._containers.values():
                if item is not box and rect.contains(item.scene_rect()) and \
                        item.size[0] * item.size[1] < area:
                    inside.add(item.node_id)
            for node_id in inside - out:
                if node_id in self._nodes:
                    out.add(node_id)
                    todo.append(node_id)
        return out

    #: tile centres in cells of CELL x CELL scene units (built when first asked, then kept
    #: up to date as tiles move, come and go): "which nodes lie in this box" without
    #: looking at every node
    CELL = 400.0
    _tile_grid: dict | None = None
    _tile_cells: dict | None = None

    def _cell(self, x: float, y: float) -> tuple[int, int]:
        return math.floor(x / self.CELL), math.floor(y / self.CELL)

    def _grid_update(self, item, removed: bool = False) -> None:
        """Follow one tile in the grid (moved, added or removed)."""
        if self._tile_grid is None or item.__class__ is not NodeItem:
            return
        node_id = item.node_id
        old = self._tile_cells.pop(node_id, None)
        if old is not None:
            self._tile_grid[old].pop(node_id, None)
            if self._room_cells is not None:
                self._room_cells.add(old)
        if not removed:
            p = item.pos()
            cell = self._cell(p.x(), p.y())
            self._tile_grid[cell][node_id] = (p.x(), p.y())
            self._tile_cells[node_id] = cell
            if self._room_cells is not None:
                self._room_cells.add(cell)

    def _tiles_in(self, rect: QRectF) -> set[str]:
        grid = self._tile_grid
        if grid is None:
            grid = self._tile_grid = defaultdict(dict)
            self._tile_cells = {}
            for item in self._nodes.values():
                self._grid_update(item)
        left, top, right, bottom = rect.left(), rect.top(), rect.right(), rect.bottom()
        (i0, j0), (i1, j1) = self._cell(left, top), self._cell(right, bottom)
        found = set()
        for i in range(i0, i1 + 1):
            for j in range(j0, j1 + 1):
                for node_id, (x, y) in grid.get((i, j), {}).items():
                    if left <= x <= right and top <= y <= bottom:
                        found.add(node_id)
        return found

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
            return [], refusal(None, ka, kb) or "no link fits"
        allowed, reasons = [], []
        for link in candidates:
            reason = topology.can_connect(link) or topology.public_ip_taken(link)
            if reason is None:
                allowed.append(link)
            else:
                reasons.append(reason)
        return allowed, "; ".join(dict.fromkeys(reasons))

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
        # views cache their background (CacheBackground): tell them it changed.  A view's
        # own scene rect reaches beyond the scene's (room to scroll), which invalidating the
        # scene's rect did not cover: the grid showed only after a scroll
        self.invalidate(QRectF(), QGraphicsScene.SceneLayer.BackgroundLayer)
        for view in self.views():
            view.resetCachedContent()
            view.viewport().update()
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
        self.contentChanged.emit()

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
        self._apply_captions()  # an export draws names at their natural size
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

    # ---------------------------------------------------------------- names far out
    #: the main view's zoom (the captions follow it; an export is drawn at 1)
    text_zoom = 1.0
    _rooms_dirty = True

    def set_text_zoom(self, zoom: float) -> None:
        """Below the zoom where names would shrink under MIN_TEXT_PX, captions keep that
        size on screen and are shown where they fit beside their neighbours (all on hover)."""
        self.text_zoom = zoom
        self._apply_captions()

    def _apply_captions(self) -> None:
        self._captions_timer.stop()
        pixel = self.text_zoom < CAPTION_SCALE and not self.export_mode
        if pixel and self._rooms_dirty:
            self._measure_rooms()
        zoom = self.text_zoom if not self.export_mode else 1.0
        for item in self._nodes.values():
            item.set_text_zoom(zoom, pixel)

    #: grid cells where tiles came, went or moved since the rooms were measured (None: all)
    _room_cells: set | None = None

    def _measure_rooms(self) -> None:
        """For each node, the room its caption has: the distance to the nearest neighbour
        left or right on about the same line (only around what moved since last time)."""
        self._rooms_dirty = False
        self._tiles_in(QRectF())  # the grid, built if needed
        grid, cells = self._tile_grid, self._room_cells
        self._room_cells = set()
        if cells is None or len(cells) > 200:
            todo = [i for i in self._nodes.values() if i.__class__ is NodeItem]
        else:
            ids = {n for (ci, cj) in cells for i in (ci - 1, ci, ci + 1)
                   for j in (cj - 1, cj, cj + 1) for n in grid.get((i, j), {})}
            todo = [self._nodes[n] for n in ids if n in self._nodes]
        reach = self.CELL
        for item in todo:
            p = item.pos()
            x, y = p.x(), p.y()
            ci, cj = self._cell(x, y)
            nearest = math.inf
            for i in (ci - 1, ci, ci + 1):
                for j in (cj - 1, cj, cj + 1):
                    for node_id, (ox, oy) in grid.get((i, j), {}).items():
                        if abs(oy - y) < 60 and node_id != item.node_id:
                            nearest = min(nearest, abs(ox - x))
            # centred names: one fits when its width on screen is under the distance
            item.room = max(nearest - 8, 0.0) if nearest < reach else math.inf

    def _captions_later(self) -> None:
        """Positions changed: the rooms are measured again once the burst is over."""
        self._rooms_dirty = True
        if self.text_zoom < CAPTION_SCALE and not self.static_layer.active:
            self._captions_timer.start()

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
        self._note_view(event)
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
        self._note_view(event)
        hit = self._hit(event.scenePos())
        if isinstance(hit, (NodeItem, ContainerItem)):
            widget = event.widget()
            view = widget.parentWidget() if widget is not None else None
            if hasattr(view, "rename") and view.on_caption(hit, event.scenePos()):
                view.rename(hit.node_id)  # a double-click on the name renames it
            else:
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
