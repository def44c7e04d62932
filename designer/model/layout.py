"""Where nodes go when nobody drew them: one layout for the editor, ``export`` and importers.

No Qt here (``designer.model`` runs without it).  Two entry points:

- :func:`layout_positions` lays the whole diagram out (Edit ▸ Auto-layout, and a file whose
  nodes have no positions at all), the way Azure outbound diagrams are usually drawn, the
  Internet on top::

      Internet endpoints
      ── for each row of subnet boxes ──────────────────────────────
      public IPs            (above the load balancer / NAT gateway / VM that uses them)
      load balancers, NAT gateways   (above their backend pool / subnets)
      subnet boxes with their VMs, grouped in VNet boxes (rows wrap when too wide)
      NSGs and traffic generators    (under what they are attached to / generate from)

  Each strip node sits in the row of the things it is linked to, ordered by the mean x of
  those neighbours, so links are short and run mostly vertically.

- :func:`place_unplaced` places only the nodes that were read without a position, near their
  linked neighbours that have one (a VM in its subnet's box, a public IP above its load
  balancer, ...), at the nearest free spot; a group of unplaced nodes linked to nothing placed
  is laid out on its own and set beside the drawing.  Placed nodes never move, and nodes never
  pile up on one point.

Both return ``(positions, sizes)``: node centres (a box's top-left corner) and box sizes, in
canvas units on the 20-unit grid.  :func:`lay_out_unplaced` applies them to a scenario read
from a file (no undo step: it is part of opening the file; the positions reach the file only
when the user saves).  networkx does the graph work (neighbours, connected groups).
"""
from __future__ import annotations

import math
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Iterable

import networkx as nx

from .topology import Scenario, Topology

Positions = dict[str, tuple[float, float]]
Sizes = dict[str, tuple[float, float]]

GRID = 20.0
#: distance between node centres on a line
SPACING = 160.0
#: height of one line of nodes (tile, name and detail line, and air)
LINE_HEIGHT = 150.0
#: vertical step between VM rows inside a box
VM_ROW_STEP = 136.0
VMS_PER_ROW = 5
BOX_PAD = 40.0
BOX_TITLE = 40.0
VNET_PAD = 30.0
BLOCK_GAP = 60.0
GROUP_GAP = 100.0
ROW_GAP = 60.0
#: what a node covers around its centre (tile above, name below): left, up, right, down
FOOTPRINT = (64.0, 40.0, 64.0, 76.0)

#: layers from the Internet (0) down
LAYER = {"endpoint": 0, "public_ip": 1, "load_balancer": 2, "nat_gateway": 2, "vm": 3,
         "subnet": 3, "vnet": 3, "nsg": 4, "traffic_generator": 4}
BAND_KINDS = ("vm", "subnet", "vnet")
#: strip lines of a row of boxes, top to bottom: above the boxes, then below them
LINES_ABOVE = (("public_ip",), ("load_balancer", "nat_gateway"))
LINES_BELOW = (("nsg", "traffic_generator"),)


def snap(value: float, step: float = GRID) -> float:
    return round(value / step) * step


def natural(node_id: str) -> list:
    """web-2 before web-10."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part)
            for part in re.split(r"(\d+)", node_id)]


def _graph(topology: Topology) -> nx.Graph:
    graph = nx.Graph()
    graph.add_nodes_from(topology.node_ids())
    graph.add_edges_from((link.source, link.target) for link in topology.links())
    return graph


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.inf


# ============================================================================ the whole diagram

@dataclass
class _Block:
    """A subnet box with its VMs in a grid (``box`` None: VMs drawn without a subnet), or an
    empty VNet box."""
    box: str | None
    vms: list[str]
    w: float
    h: float
    vnet: str | None = None
    titled: bool = True
    x: float = 0.0
    cols: int = VMS_PER_ROW

    def vm_offsets(self) -> list[tuple[float, float]]:
        top = BOX_TITLE if self.titled else 0.0
        return [(BOX_PAD / 2 + SPACING / 2 + (i % self.cols) * SPACING,
                 top + VM_ROW_STEP / 2 + (i // self.cols) * VM_ROW_STEP)
                for i in range(len(self.vms))]


def vm_columns(n: int) -> int:
    """VMs per row in a box: up to VMS_PER_ROW for small subnets, more for large ones so
    that a box of many VMs comes out about square (a subnet of 200 VMs: 14 columns, not a
    column of 40 rows that a fitted view shrinks to nothing)."""
    square = math.ceil(math.sqrt(n * VM_ROW_STEP / SPACING))
    return max(min(max(n, 1), VMS_PER_ROW), square)


def _block_for(box: str | None, vms: list[str], default: tuple[float, float],
               titled: bool = True) -> _Block:
    cols = vm_columns(len(vms))
    rows = max(1, math.ceil(len(vms) / cols))
    w, h = default
    if vms:
        w = max(w, cols * SPACING + BOX_PAD)
        h = max(h, (BOX_TITLE if titled else 0.0) + rows * VM_ROW_STEP + BOX_PAD / 2)
    return _Block(box, vms, snap(w), snap(h), titled=titled, cols=cols)


@dataclass
class _Row:
    blocks: list[_Block] = field(default_factory=list)
    width: float = 0.0
    vnet: bool = False
    #: strip lines: (kinds of the line, [(node id, wanted x)])
    lines: dict[tuple, list[tuple[str, float]]] = field(default_factory=dict)

    @property
    def height(self) -> float:
        return max((b.h for b in self.blocks), default=0.0)


class _FullLayout:
    def __init__(self, topology: Topology):
        self.t = topology
        self.graph = _graph(topology)
        self.kind = {c.id: c.KIND for c in topology.nodes()}
        n_plain = sum(1 for k in self.kind.values() if k not in ("subnet", "vnet"))
        self.wrap = max(1600.0, math.sqrt(max(n_plain, 1)) * SPACING * 1.6)
        self.rows: list[_Row] = [_Row()]
        self.row_of: dict[str, int] = {}
        self.x_of: dict[str, float] = {}
        self.positions: Positions = {}
        self.sizes: Sizes = {}

    def run(self) -> tuple[Positions, Sizes]:
        if not self.kind:
            return {}, {}
        self._band()
        strip_nodes = self._strips()
        self._vertical(strip_nodes)
        return self.positions, self.sizes

    # ------------------------------------------------------------------ the band of boxes
    def _band(self) -> None:
        t = self.t
        by_vnet: dict[str | None, list[str]] = defaultdict(list)
        for subnet in sorted(t.node_ids("subnet"), key=natural):
            by_vnet[t.vnet_of(subnet)].append(subnet)
        groups: list[tuple[str | None, list[_Block]]] = []
        for vnet in sorted(by_vnet, key=lambda v: (v is None, natural(v or ""))):
            blocks = [_block_for(s, sorted(t.vms_in_subnet(s), key=natural), t.node(s).size)
                      for s in by_vnet[vnet]]
            if vnet is None:
                groups.extend((None, [b]) for b in blocks)
            else:
                for b in blocks:
                    b.vnet = vnet
                groups.append((vnet, blocks))
        loose = sorted((v for v in t.node_ids("vm") if t.subnet_of(v) is None), key=natural)
        chunk = VMS_PER_ROW * 2
        for i in range(0, len(loose), chunk):
            groups.append((None, [_block_for(None, loose[i:i + chunk], (0.0, 0.0), False)]))
        for vnet in sorted((v for v in t.node_ids("vnet") if v not in by_vnet), key=natural):
            groups.append((None, [_Block(vnet, [], *t.node(vnet).size)]))
        # wrap rows so that the drawing comes out about 16:10 (each row of boxes carries
        # about three lines of strips: public IPs, load balancers, generators)
        area = sum((b.w + BLOCK_GAP) * (b.h + 3 * LINE_HEIGHT + ROW_GAP)
                   for _vnet, blocks in groups for b in blocks)
        self.wrap = max(self.wrap, math.sqrt(area * 1.6))
        for vnet, blocks in groups:
            self._place_group(vnet, blocks)
        for r, row in enumerate(self.rows):
            for block in row.blocks:
                members = block.vms + ([block.box] if block.box else [])
                for node_id in members:
                    self.row_of[node_id] = r
                for vm, (dx, _dy) in zip(block.vms, block.vm_offsets()):
                    self.x_of[vm] = block.x + dx
                if block.box:
                    self.x_of[block.box] = block.x + block.w / 2
                if block.vnet:
                    self.row_of.setdefault(block.vnet, r)
                    self.x_of.setdefault(block.vnet, block.x + block.w / 2)

    def _place_group(self, vnet: str | None, blocks: list[_Block]) -> None:
        pad = VNET_PAD if vnet else 0.0
        width = sum(b.w for b in blocks) + BLOCK_GAP * (len(blocks) - 1) + 2 * pad
        row = self.rows[-1]
        if row.blocks and row.width + width > self.wrap:
            row = self._new_row()
        cursor = row.width + pad
        wrapped = False
        for block in blocks:
            if row.blocks and cursor + block.w + pad > self.wrap and block is not blocks[0]:
                row.width = cursor - BLOCK_GAP + pad
                row = self._new_row()
                cursor = pad
                wrapped = True
            block.x = cursor
            row.blocks.append(block)
            row.vnet = row.vnet or vnet is not None
            cursor += block.w + BLOCK_GAP
        row.width = cursor - BLOCK_GAP + pad + GROUP_GAP
        if wrapped:  # a VNet that wrapped keeps its rows to itself (boxes never overlap)
            self._new_row()

    def _new_row(self) -> _Row:
        if self.rows[-1].blocks:
            self.rows.append(_Row())
        return self.rows[-1]

    # ------------------------------------------------------------------ the strips
    def _anchor(self, node_id: str, kinds: tuple[str, ...]) -> tuple[list[int], list[float]]:
        rows, xs = [], []
        for other in self.graph.neighbors(node_id):
            if self.kind[other] in kinds and other in self.row_of:
                rows.append(self.row_of[other])
                if other in self.x_of:
                    xs.append(self.x_of[other])
        return rows, xs

    def _strips(self) -> list[str]:
        """Rows and wanted x of the strip nodes, layer by layer (each layer leans on the ones
        already known)."""
        order = (("load_balancer", ("vm", "subnet")), ("nat_gateway", ("subnet", "vm")),
                 ("nsg", ("vm", "subnet")),
                 ("traffic_generator", ("vm", "subnet", "load_balancer")),
                 ("public_ip", ("load_balancer", "nat_gateway", "vm")),
                 ("public_ip", ("traffic_generator",)),
                 ("load_balancer", ("public_ip", "traffic_generator")),
                 ("nat_gateway", ("public_ip",)),
                 ("traffic_generator", ("endpoint", "public_ip")))
        strip = [n for n, k in self.kind.items() if k not in BAND_KINDS and k != "endpoint"]
        for kind, anchors in order:
            for node_id in sorted((n for n in strip if self.kind[n] == kind
                                   and n not in self.row_of), key=natural):
                rows, xs = self._anchor(node_id, anchors)
                if rows:
                    self.row_of[node_id] = int(statistics.median_low(rows))
                    self.x_of[node_id] = _mean(xs)
        for node_id in strip:
            self.row_of.setdefault(node_id, 0)
        for node_id in sorted(strip, key=natural):
            line = next((ks for ks in LINES_ABOVE + LINES_BELOW if self.kind[node_id] in ks),
                        ("other",))
            self.rows[self.row_of[node_id]].lines.setdefault(line, []).append(
                (node_id, self.x_of.get(node_id, math.inf)))
        return strip

    def _spread(self, members: list[tuple[str, float]], y: float) -> float:
        """Place a line's nodes at y, ordered by wanted x and at least SPACING apart; wrap
        into more lines when too many.  Returns the y below the last line."""
        if not members:
            return y
        ordered = sorted(members, key=lambda m: (m[1], natural(m[0])))
        per_line = max(3, int(self.wrap // SPACING))
        for start in range(0, len(ordered), per_line):
            cursor = -math.inf
            for node_id, want in ordered[start:start + per_line]:
                x = want if math.isfinite(want) else (cursor + SPACING
                                                      if math.isfinite(cursor) else SPACING / 2)
                if math.isfinite(cursor):
                    x = max(x, cursor + SPACING)
                x = snap(x)
                self.positions[node_id] = (x, snap(y + FOOTPRINT[1]))
                cursor = x
            y += LINE_HEIGHT
        return y

    # ------------------------------------------------------------------ top to bottom
    def _vertical(self, strip: list[str]) -> None:
        y = 0.0
        endpoints = [(e, _mean(self._anchor(e, ("traffic_generator",))[1]))
                     for e in sorted((n for n, k in self.kind.items() if k == "endpoint"),
                                     key=natural)]
        # endpoints want x from their generators, whose x is known only once spread: use the
        # generators' wanted x (close enough) when they have one
        endpoints = [(e, want if math.isfinite(want) else
                      _mean([self.x_of[g] for g in self.graph.neighbors(e) if g in self.x_of]))
                     for e, want in endpoints]
        y = self._spread(endpoints, y)
        if endpoints:
            y += ROW_GAP
        for row in self.rows:
            for kinds in LINES_ABOVE:
                y = self._spread(row.lines.get(kinds, []), y)
            if row.vnet:
                y += VNET_PAD + BOX_TITLE
            top = y
            for block in row.blocks:
                self._place_block(block, top)
            y += row.height
            if row.vnet:
                y += VNET_PAD
            y += ROW_GAP / 2
            for kinds in LINES_BELOW + (("other",),):
                y = self._spread(row.lines.get(kinds, []), y)
            y += ROW_GAP
        self._vnet_boxes()

    def _place_block(self, block: _Block, top: float) -> None:
        for vm, (dx, dy) in zip(block.vms, block.vm_offsets()):
            self.positions[vm] = (snap(block.x + dx), snap(top + dy))
        if block.box is not None:
            self.positions[block.box] = (snap(block.x), snap(top))
            self.sizes[block.box] = (block.w, block.h)

    def _vnet_boxes(self) -> None:
        extents: dict[str, list[float]] = {}
        for row in self.rows:
            for block in row.blocks:
                if block.vnet is None or block.box is None:
                    continue
                x, y = self.positions[block.box]
                e = extents.setdefault(block.vnet, [math.inf, math.inf, -math.inf, -math.inf])
                e[0], e[1] = min(e[0], x), min(e[1], y)
                e[2], e[3] = max(e[2], x + block.w), max(e[3], y + block.h)
        for vnet, (left, top, right, bottom) in extents.items():
            x, y = snap(left - VNET_PAD), snap(top - VNET_PAD - BOX_TITLE)
            self.positions[vnet] = (x, y)
            self.sizes[vnet] = (snap(right + VNET_PAD) - x, snap(bottom + VNET_PAD) - y)


def layout_positions(topology: Topology) -> tuple[Positions, Sizes]:
    """A fresh layout of every node (positions of node centres / box corners, box sizes)."""
    return _FullLayout(topology).run()


# ============================================================================ some nodes only

class _Occupancy:
    """Rectangles already taken, in a coarse spatial hash (fast "is this free?")."""

    CELL = 400.0

    def __init__(self):
        self.cells: dict[tuple[int, int], list[tuple[float, float, float, float]]] = \
            defaultdict(list)

    def _keys(self, r):
        c = self.CELL
        for i in range(math.floor(r[0] / c), math.floor(r[2] / c) + 1):
            for j in range(math.floor(r[1] / c), math.floor(r[3] / c) + 1):
                yield i, j

    def add(self, r: tuple[float, float, float, float]) -> None:
        for key in self._keys(r):
            self.cells[key].append(r)

    def free(self, r: tuple[float, float, float, float]) -> bool:
        for key in self._keys(r):
            for o in self.cells.get(key, ()):
                if r[0] < o[2] and o[0] < r[2] and r[1] < o[3] and o[1] < r[3]:
                    return False
        return True


def _footprint(x: float, y: float) -> tuple[float, float, float, float]:
    left, up, right, down = FOOTPRINT
    return (x - left, y - up, x + right, y + down)


_RINGS: list[list[tuple[int, int]]] = [[(0, 0)]]


def _ring(k: int) -> list[tuple[int, int]]:
    """Grid offsets on the square ring k steps out, nearest first (worked out once)."""
    while len(_RINGS) <= k:
        n = len(_RINGS)
        ring = [(i, -n) for i in range(-n, n + 1)] + [(i, n) for i in range(-n, n + 1)] + \
               [(-n, j) for j in range(-n + 1, n)] + [(n, j) for j in range(-n + 1, n)]
        ring.sort(key=lambda d: (d[0] * d[0] + d[1] * d[1], d[1], d[0]))
        _RINGS.append(ring)
    return _RINGS[k]


def spiral(cx: float, cy: float, step: float, rings: int = 120):
    """Grid points around (cx, cy), ring by ring outward, nearest first in each ring."""
    for k in range(rings):
        for dx, dy in _ring(k):
            yield cx + dx * step, cy + dy * step


def _reading_order(rect: tuple[float, float, float, float], w: float, h: float, step: float):
    """Top-left corners of w x h rectangles inside ``rect``, row by row (the order VMs fill
    a subnet box)."""
    y = snap(rect[1] + step / 2)
    while y + h <= rect[3]:
        x = snap(rect[0] + step / 2)
        while x + w <= rect[2]:
            yield x, y
            x += step
        y += step


class _Placer:
    """Places the unplaced nodes of a topology around the placed ones."""

    def __init__(self, topology: Topology, unplaced: set[str]):
        self.t = topology
        self.graph = _graph(topology)
        self.kind = {c.id: c.KIND for c in topology.nodes()}
        self.unplaced = set(unplaced)
        self.positions: Positions = {}
        self.sizes: Sizes = {}
        self.pos: Positions = {c.id: c.position for c in topology.nodes()
                               if c.id not in self.unplaced}
        self.size: Sizes = {c.id: c.size for c in topology.nodes() if c.CONTAINER}
        self.nodes = _Occupancy()          # node footprints
        self.subnets = _Occupancy()        # subnet boxes
        self.vnets = _Occupancy()          # VNet boxes
        for node_id, (x, y) in self.pos.items():
            self._occupy(node_id, x, y)

    # ------------------------------------------------------------------ bookkeeping
    def _rect(self, node_id: str) -> tuple[float, float, float, float]:
        x, y = self.pos[node_id]
        if self.kind[node_id] in ("subnet", "vnet"):
            w, h = self.size[node_id]
            return (x, y, x + w, y + h)
        return _footprint(x, y)

    def _occupy(self, node_id: str, x: float, y: float) -> None:
        self.pos[node_id] = (x, y)
        layer = {"subnet": self.subnets, "vnet": self.vnets}.get(self.kind[node_id], self.nodes)
        layer.add(self._rect(node_id))

    def _set(self, node_id: str, x: float, y: float, size=None) -> None:
        if size is not None:
            self.size[node_id] = size
            self.sizes[node_id] = size
        self.positions[node_id] = (x, y)
        self.unplaced.discard(node_id)
        self._occupy(node_id, x, y)

    def _bounds(self) -> tuple[float, float, float, float]:
        rects = [self._rect(n) for n in self.pos]
        if not rects:
            return (0.0, 0.0, 0.0, 0.0)
        return (min(r[0] for r in rects), min(r[1] for r in rects),
                max(r[2] for r in rects), max(r[3] for r in rects))

    # ------------------------------------------------------------------ where it wants to be
    def _wanted(self, node_id: str) -> tuple[float, float] | None:
        """The mean of its placed neighbours, shifted a layer up or down per layer apart."""
        xs, ys = [], []
        me = LAYER.get(self.kind[node_id], 3)
        for other in self.graph.neighbors(node_id):
            if other not in self.pos:
                continue
            x, y = self.pos[other]
            if self.kind[other] in ("subnet", "vnet"):
                w, h = self.size[other]
                x, y = x + w / 2, (y if me < 3 else y + h)
            xs.append(x)
            ys.append(y + (me - LAYER.get(self.kind[other], 3)) * LINE_HEIGHT)
        if not xs:
            return None
        return _mean(xs), _mean(ys)

    def _free_spot(self, cx: float, cy: float, w: float = 0.0, h: float = 0.0,
                   avoid: tuple[_Occupancy, ...] | None = None) -> tuple[float, float] | None:
        """The nearest free grid point for a node centred there (``w`` 0) or for a box of
        w x h whose top-left corner goes there, clear of the rectangles in ``avoid``
        (default: nodes and subnet boxes)."""
        box = w > 0
        avoid = avoid if avoid is not None else (self.nodes, self.subnets)
        for x, y in spiral(snap(cx), snap(cy), 80.0 if box else 40.0):
            rect = (x, y, x + w, y + h) if box else _footprint(x, y)
            if all(layer.free(rect) for layer in avoid):
                return snap(x), snap(y)
        return None

    def _free_inside(self, area: tuple[float, float, float, float], w: float = 0.0,
                     h: float = 0.0, avoid: tuple[_Occupancy, ...] = ()
                     ) -> tuple[float, float] | None:
        """The first free place in reading order inside ``area``: a node's centre (``w`` 0)
        or a box's top-left corner."""
        left, up, right, down = FOOTPRINT
        size = (w, h) if w > 0 else (left + right, up + down)
        for x, y in _reading_order(area, *size, GRID):
            rect = (x, y, x + size[0], y + size[1])
            if all(layer.free(rect) for layer in avoid):
                return (x, y) if w > 0 else (x + left, y + up)
        return None

    # ------------------------------------------------------------------ the passes
    def run(self) -> tuple[Positions, Sizes]:
        self._islands()
        self._fit_boxes_around_members()
        self._blocks()
        self._vms_into_boxes()
        self._singles()
        return self.positions, self.sizes

    def _islands(self) -> None:
        """Groups of unplaced nodes linked to nothing placed: laid out on their own, beside
        the drawing (to its right, top-aligned)."""
        sub = self.graph.subgraph(self.unplaced)
        for group in sorted(nx.connected_components(sub), key=lambda g: min(map(natural, g))):
            if any(other in self.pos for n in group for other in self.graph.neighbors(n)):
                continue
            positions, sizes = layout_positions(self.t.subset(group))
            rects = []
            for node_id, (x, y) in positions.items():
                if node_id in sizes:
                    rects.append((x, y, x + sizes[node_id][0], y + sizes[node_id][1]))
                else:
                    rects.append(_footprint(x, y))
            left, top = min(r[0] for r in rects), min(r[1] for r in rects)
            b = self._bounds()
            dx = (b[2] + GROUP_GAP - left) if self.pos else -left
            dy = (b[1] - top) if self.pos else -top
            for node_id, (x, y) in positions.items():
                self._set(node_id, snap(x + dx), snap(y + dy), sizes.get(node_id))

    def _fit_boxes_around_members(self) -> None:
        """An unplaced box whose members are placed: drawn around them."""
        for kind in ("subnet", "vnet"):
            for box in sorted((n for n in self.unplaced if self.kind[n] == kind), key=natural):
                members = [m for m in self.t.contents(box) if m in self.pos]
                if not members:
                    continue
                rects = [self._rect(m) for m in members]
                pad = BOX_PAD / 2 if kind == "subnet" else VNET_PAD
                left, top = min(r[0] for r in rects) - pad, min(r[1] for r in rects) - pad - BOX_TITLE
                right, bottom = max(r[2] for r in rects) + pad, max(r[3] for r in rects) + pad
                x, y = snap(left), snap(top)
                self._set(box, x, y, (snap(right) - x, snap(bottom) - y))

    def _blocks(self) -> None:
        """Unplaced subnets (with their unplaced VMs) and VNets (with their unplaced subnets):
        a box grid near what they are linked to, or inside their placed VNet."""
        for subnet in sorted((n for n in self.unplaced if self.kind[n] == "subnet"), key=natural):
            vms = sorted((v for v in self.t.vms_in_subnet(subnet) if v in self.unplaced),
                         key=natural)
            block = _block_for(subnet, vms, self.t.node(subnet).size)
            vnet = self.t.vnet_of(subnet)
            inside = None
            if vnet in self.pos:
                x, y = self.pos[vnet]
                w, h = self.size[vnet]
                inside = (x + VNET_PAD / 2, y + BOX_TITLE, x + w - VNET_PAD / 2, y + h - VNET_PAD / 2)
            wanted = self._group_wanted([subnet] + vms)
            cx, cy = wanted if wanted else self._beside()
            spot = None
            if inside is not None:
                spot = self._free_inside(inside, block.w, block.h, (self.nodes, self.subnets))
                if spot is None:  # no room in its VNet: the VNet grows downward
                    vx, vy = self.pos[vnet]
                    vw, vh = self.size[vnet]
                    spot = (snap(inside[0]), snap(vy + vh))
                    self.sizes[vnet] = self.size[vnet] = (vw, snap(vh + block.h + VNET_PAD))
            if spot is None:
                spot = self._free_spot(cx - block.w / 2, cy - block.h / 2, block.w, block.h,
                                       avoid=self._all) or self._beside_spot(block.w)
            self._set(subnet, spot[0], spot[1], (block.w, block.h))
            for vm, (dx, dy) in zip(vms, block.vm_offsets()):
                self._set(vm, snap(spot[0] + dx), snap(spot[1] + dy))
        self._fit_boxes_around_members()  # VNets whose subnets were just placed
        for vnet in sorted((n for n in self.unplaced if self.kind[n] == "vnet"), key=natural):
            w, h = self.t.node(vnet).size
            wanted = self._wanted(vnet)
            cx, cy = wanted if wanted else self._beside()
            spot = self._free_spot(cx - w / 2, cy - h / 2, w, h, avoid=self._all) or \
                self._beside_spot(w)
            self._set(vnet, spot[0], spot[1], (w, h))

    def _group_wanted(self, ids: list[str]) -> tuple[float, float] | None:
        points = [p for p in (self._wanted(n) for n in ids) if p is not None]
        return (_mean([p[0] for p in points]), _mean([p[1] for p in points])) if points else None

    def _beside(self) -> tuple[float, float]:
        b = self._bounds()
        return b[2] + GROUP_GAP, b[1]

    def _beside_spot(self, w: float) -> tuple[float, float]:
        b = self._bounds()
        return snap(b[2] + GROUP_GAP), snap(b[1])

    def _vms_into_boxes(self) -> None:
        """Unplaced VMs of a placed subnet: the free places of its box, which grows by a row
        when full and the room below it is free; else beside the box (drawn outside it, the
        canvas shows the membership as a dashed line)."""
        for vm in sorted((n for n in self.unplaced if self.kind[n] == "vm"), key=natural):
            subnet = self.t.subnet_of(vm)
            if subnet is None or subnet not in self.pos:
                continue
            x, y = self.pos[subnet]
            w, h = self.size[subnet]
            spot = self._free_inside((x + 4, y + BOX_TITLE - 10, x + w - 4, y + h - 4),
                                     avoid=(self.nodes,))
            if spot is None:
                grown = (x, y + h, x + w, y + h + VM_ROW_STEP)
                if self.nodes.free(grown) and self.subnets.free(grown) and self.vnets.free(grown):
                    self.sizes[subnet] = self.size[subnet] = (w, snap(h + VM_ROW_STEP))
                    self.subnets.add(grown)
                    spot = self._free_inside((x + 4, y + h - 10, x + w - 4, y + h + VM_ROW_STEP - 4),
                                             avoid=(self.nodes,))
            if spot is None:
                spot = self._free_spot(x + w / 2, y + h + LINE_HEIGHT / 2)
            self._set(vm, *spot)

    @property
    def _all(self) -> tuple[_Occupancy, ...]:
        return (self.nodes, self.subnets, self.vnets)

    def _singles(self) -> None:
        """Everything else, nearest to the placed nodes first (breadth first from them), each
        near its placed neighbours."""
        distance: dict[str, int] = {n: 0 for n in self.pos}
        frontier = list(self.pos)
        while frontier:
            following = []
            for node_id in frontier:
                for other in self.graph.neighbors(node_id):
                    if other not in distance:
                        distance[other] = distance[node_id] + 1
                        following.append(other)
            frontier = following
        for node_id in sorted(self.unplaced, key=lambda n: (distance.get(n, math.inf),
                                                             natural(n))):
            wanted = self._wanted(node_id)
            cx, cy = wanted if wanted else self._beside()
            if self.kind[node_id] in ("subnet", "vnet"):
                w, h = self.t.node(node_id).size
                spot = self._free_spot(cx - w / 2, cy - h / 2, w, h, avoid=self._all) or \
                    self._beside_spot(w)
                self._set(node_id, spot[0], spot[1], (w, h))
                continue
            spot = self._free_spot(cx, cy) or (snap(self._beside()[0] + SPACING / 2),
                                               snap(self._beside()[1] + FOOTPRINT[1]))
            self._set(node_id, *spot)


def place_unplaced(topology: Topology, unplaced: Iterable[str]) -> tuple[Positions, Sizes]:
    """Positions (and box sizes) for the ``unplaced`` nodes only, around the others; every
    node when none has a position."""
    unplaced = {n for n in unplaced if n in topology}
    if not unplaced:
        return {}, {}
    if len(unplaced) == len(topology):
        return layout_positions(topology)
    return _Placer(topology, unplaced).run()


def apply_positions(topology: Topology, positions: Positions, sizes: Sizes) -> None:
    """Write positions and sizes into the topology (one change per node; outside the undo
    stack: for a scenario that was just read)."""
    for node_id in sorted(set(positions) | set(sizes)):
        component = topology.node(node_id)
        changes = {}
        if node_id in positions:
            changes["position"] = (float(positions[node_id][0]), float(positions[node_id][1]))
        if node_id in sizes and component.CONTAINER:
            changes["size"] = (float(sizes[node_id][0]), float(sizes[node_id][1]))
        topology.replace_node(replace(component, **changes))


def unplaced_nodes(scenario: Scenario) -> set[str]:
    """The nodes to place: those read without a position (``scenario.unplaced``, set by the
    loader), and those piled up at the origin, the default position (two or more nodes
    there: a scenario built by a program that gave no positions, such as an importer's)."""
    topology = scenario.topology
    out = {n for n in getattr(scenario, "unplaced", ()) if n in topology}
    at_origin = [c.id for c in topology.nodes() if c.position == (0.0, 0.0)]
    if len(at_origin) >= 2:
        out.update(at_origin)
    return out


def lay_out_unplaced(scenario: Scenario) -> list[str]:
    """Place the nodes :func:`unplaced_nodes` names and forget that they had no position;
    returns their ids, sorted."""
    unplaced = sorted(unplaced_nodes(scenario))
    if unplaced:
        positions, sizes = place_unplaced(scenario.topology, unplaced)
        apply_positions(scenario.topology, positions, sizes)
    scenario.unplaced = frozenset()
    return unplaced
