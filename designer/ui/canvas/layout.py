"""Auto-layout on request: a layered drawing of the link graph (networkx for the graph and
its neighbourhoods), the way Azure outbound diagrams are usually drawn:

    Internet endpoints
    public IPs
    load balancers, NAT gateways
    VMs, grouped in their subnet boxes, subnets grouped in their VNet boxes
    NSGs and traffic generators

Rows are ordered by the barycentre of each node's neighbours in the rows already placed, so
links run mostly vertically, and wrap when they grow too wide.  The result (positions and box
sizes) is applied as one MoveNodesCommand.
"""
from __future__ import annotations

import math
import re
from collections import defaultdict

import networkx as nx

from ...model import Topology
from .style import GRID_STEP, TILE_SIZE, snap

SPACING = 160.0
ROW_GAP = 190.0
BOX_PAD = 40.0
BOX_TITLE = 40.0
VNET_PAD = 30.0
VMS_PER_ROW = 5

ROWS_ABOVE = (("endpoint",), ("public_ip",), ("load_balancer", "nat_gateway"))
ROWS_BELOW = (("nsg", "traffic_generator"),)


def natural(node_id: str) -> list:
    """web-2 before web-10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", node_id)]


def layout_positions(topology: Topology) -> tuple[dict[str, tuple[float, float]],
                                                  dict[str, tuple[float, float]]]:
    components = topology.nodes()
    if not components:
        return {}, {}
    graph = nx.Graph()
    graph.add_nodes_from(c.id for c in components)
    graph.add_edges_from((l.source, l.target) for l in topology.links())
    kinds = {c.id: c.KIND for c in components}
    n_plain = sum(1 for c in components if not c.CONTAINER)
    wrap = max(1600.0, math.sqrt(max(n_plain, 1)) * SPACING * 1.6)

    positions: dict[str, tuple[float, float]] = {}
    sizes: dict[str, tuple[float, float]] = {}

    # ---- the VM band: subnet boxes (grouped by VNet) flowing left to right
    subnets_by_vnet: dict[str | None, list[str]] = defaultdict(list)
    for subnet in sorted((c.id for c in components if c.KIND == "subnet"), key=natural):
        subnets_by_vnet[topology.vnet_of(subnet)].append(subnet)
    loose_vms = sorted((c.id for c in components if c.KIND == "vm" and topology.subnet_of(c.id) is None),
                       key=natural)
    band_top = len(ROWS_ABOVE) * ROW_GAP
    x, y, row_height = 0.0, band_top, 0.0
    vnet_boxes: dict[str, list[float]] = {}

    def place_box(box_id: str | None, vms: list[str], default_size=(320.0, 200.0)):
        nonlocal x, y, row_height
        cols = min(max(len(vms), 1), VMS_PER_ROW)
        rows = max(1, math.ceil(len(vms) / VMS_PER_ROW))
        w = max(default_size[0], cols * SPACING + BOX_PAD) if vms else default_size[0]
        h = max(default_size[1], BOX_TITLE + rows * (SPACING * 0.85) + BOX_PAD / 2) if vms else default_size[1]
        w, h = snap(w), snap(h)
        if x > 0 and x + w > wrap:
            x, y, row_height = 0.0, y + row_height + VNET_PAD * 3, 0.0
        left, top = x, y
        for i, vm in enumerate(vms):
            cx = left + BOX_PAD / 2 + SPACING / 2 + (i % VMS_PER_ROW) * SPACING
            cy = top + BOX_TITLE + SPACING * 0.85 / 2 + (i // VMS_PER_ROW) * SPACING * 0.85
            positions[vm] = (snap(cx), snap(cy))
        if box_id is not None:
            positions[box_id] = (snap(left), snap(top))
            sizes[box_id] = (w, h)
        x += w + VNET_PAD * 2
        row_height = max(row_height, h)
        return left, top, left + w, top + h

    for vnet in sorted(subnets_by_vnet, key=lambda v: (v is None, v or "")):
        for subnet in subnets_by_vnet[vnet]:
            box = topology.node(subnet)
            rect = place_box(subnet, sorted(topology.vms_in_subnet(subnet), key=natural), box.size)
            if vnet is not None:
                r = vnet_boxes.setdefault(vnet, [math.inf, math.inf, -math.inf, -math.inf])
                r[0], r[1] = min(r[0], rect[0]), min(r[1], rect[1])
                r[2], r[3] = max(r[2], rect[2]), max(r[3], rect[3])
        if vnet is not None:
            x += VNET_PAD * 2
    if loose_vms:
        for i in range(0, len(loose_vms), VMS_PER_ROW * 2):
            place_box(None, loose_vms[i:i + VMS_PER_ROW * 2])
    for vnet, (l, t, r, b) in vnet_boxes.items():
        left, top = snap(l - VNET_PAD), snap(t - VNET_PAD - BOX_TITLE)
        positions[vnet] = (left, top)
        sizes[vnet] = (snap(r + VNET_PAD) - left, snap(b + VNET_PAD) - top)
    for vnet in (c.id for c in components if c.KIND == "vnet" and c.id not in vnet_boxes):
        place_box(vnet, [], topology.node(vnet).size)
    band_bottom = y + row_height

    # ---- rows above and below, ordered by the barycentre of placed neighbours
    def row(kinds_in_row, top: float, upward: bool) -> float:
        ids = [c.id for c in components if c.KIND in kinds_in_row]
        if not ids:
            return top

        def barycentre(node_id: str) -> float:
            xs = [positions[m][0] for m in graph.neighbors(node_id) if m in positions]
            for m in graph.neighbors(node_id):  # via a box: its position
                if m in sizes:
                    xs.append(positions[m][0] + sizes[m][0] / 2)
            return sum(xs) / len(xs) if xs else math.inf

        ordered = sorted(ids, key=lambda i: (barycentre(i), natural(i)))
        per_row = max(1, int(wrap // SPACING))
        lines = [ordered[i:i + per_row] for i in range(0, len(ordered), per_row)]
        for r, line in enumerate(lines):
            yy = top - r * ROW_GAP * 0.8 if upward else top + r * ROW_GAP * 0.8
            wanted = [barycentre(i) for i in line]
            cursor = -math.inf
            for node_id, want in zip(line, wanted):
                cx = want if math.isfinite(want) else cursor + SPACING
                cx = max(cx, cursor + SPACING) if math.isfinite(cursor) else (cx if math.isfinite(cx) else 0.0)
                positions[node_id] = (snap(cx), snap(yy))
                cursor = cx
        return top - (len(lines) - 1) * ROW_GAP * 0.8 if upward else top + (len(lines) - 1) * ROW_GAP * 0.8

    top = band_top - ROW_GAP * 0.9
    for kinds_in_row in reversed(ROWS_ABOVE):
        top = row(kinds_in_row, top, upward=True) - ROW_GAP
    bottom = band_bottom + ROW_GAP * 0.8
    for kinds_in_row in ROWS_BELOW:
        bottom = row(kinds_in_row, bottom, upward=False) + ROW_GAP
    # anything of an unexpected kind: a row of its own
    rest = [c.id for c in components if c.id not in positions]
    for i, node_id in enumerate(rest):
        positions[node_id] = (snap(i * SPACING), snap(bottom))
    return positions, sizes
