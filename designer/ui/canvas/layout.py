"""Auto-layout on request (networkx): a seeded layout of the link graph, then boxes fitted
around their members.  Returns positions and box sizes for one MoveNodesCommand."""
from __future__ import annotations

import math

import networkx as nx

from ...model import Topology
from .style import TILE_SIZE, snap

SPACING = 150.0
PADDING = 50.0


def layout_positions(topology: Topology) -> tuple[dict[str, tuple[float, float]],
                                                  dict[str, tuple[float, float]]]:
    nodes = [c for c in topology.nodes() if not c.CONTAINER]
    if not nodes and not topology.nodes():
        return {}, {}
    graph = nx.Graph()
    graph.add_nodes_from(c.id for c in nodes)
    # members of one subnet pull together through a hidden hub per subnet and per VNet
    for link in topology.links():
        graph.add_edge(link.source, link.target)
    pos = (nx.kamada_kawai_layout(graph) if 1 < graph.number_of_nodes() <= 200 else
           nx.spring_layout(graph, seed=1, iterations=60))
    n = max(len(nodes), 1)
    scale = SPACING * math.sqrt(n) / 2
    positions: dict[str, tuple[float, float]] = {}
    for c in nodes:
        x, y = pos.get(c.id, (0.0, 0.0))
        positions[c.id] = (snap(x * scale), snap(y * scale))
    sizes: dict[str, tuple[float, float]] = {}
    # subnets around their VMs, then VNets around their subnets
    boxes: dict[str, tuple[float, float, float, float]] = {}
    for kind, member_of in (("subnet", topology.vms_in_subnet), ("vnet", topology.subnets_of_vnet)):
        for box in topology.nodes(kind):
            rects = []
            for member in member_of(box.id):
                if member in positions and kind == "subnet":
                    x, y = positions[member]
                    half = TILE_SIZE / 2
                    rects.append((x - half, y - half, x + half, y + half + 30))
                elif member in boxes:
                    rects.append(boxes[member])
            if rects:
                left = min(r[0] for r in rects) - PADDING
                top = min(r[1] for r in rects) - PADDING - 10
                right = max(r[2] for r in rects) + PADDING
                bottom = max(r[3] for r in rects) + PADDING / 2
            else:
                x, y = pos.get(box.id, (0.0, 0.0))
                w, h = box.size
                left, top = x * scale, y * scale
                right, bottom = left + w, top + h
            left, top = snap(left), snap(top)
            right, bottom = snap(right + 10), snap(bottom + 10)
            boxes[box.id] = (left, top, right, bottom)
            positions[box.id] = (left, top)
            sizes[box.id] = (right - left, bottom - top)
    return positions, sizes
