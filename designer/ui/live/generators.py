"""Traffic generators on a (running) diagram: presets in the palette and drops that connect.

Dropping a traffic generator (plain, or a preset) onto a VM, subnet or load balancer adds it
connected as the source *and* to the destination its preset implies - the Internet endpoint the
diagram already has (the one other TCP clients call), or a new "Internet" endpoint - so flows
start at the next step; onto an endpoint, connected as the destination.  Dragging an existing
generator onto a VM, subnet or load balancer connects it the same way.  Each is one undo step.
The "Flood" preset opens a new connection per request (the classic SNAT exhaustion), the
"Pooled client" reuses 8 connections.  The palette carries the presets as extra entries whose
payload is ``traffic_generator:<preset>``.

New public IPs from the palette take the scenario's SKU (Standard in modern semantics, where
NAT gateways and Standard load balancers refuse Basic), or the SKU of what they are dropped on;
dropped on a load balancer, NAT gateway or VM they are linked to it (:func:`add_public_ip`).
"""
from __future__ import annotations

import dataclasses

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtWidgets import QListWidgetItem

from ...model import Link
from ...model.links import link_kinds_between
from ...model.topology import new_component
from ..canvas import KIND_MIME
from ..canvas.style import snap
from ..commands import AddNodeCommand, AddNodesCommand, ConnectCommand, MoveNodesCommand
from ..palette import KIND_ROLE, kind_icon

GENERATOR = "traffic_generator"


@dataclasses.dataclass(frozen=True)
class Preset:
    key: str
    label: str
    name: str
    fields: dict
    tip: str


PRESETS: dict[str, Preset] = {
    "flood": Preset("flood", "Flood (new connection per request)", "flood",
                    {"rate_per_s": 10.0, "pool_size": 0, "close": "fin", "protocol": "tcp"},
                    "10 requests/s, a new TCP connection each, closed with FIN: exhausts a "
                    "VM's 1,024 default SNAT ports in under two minutes"),
    "pooled": Preset("pooled", "Pooled client (8 connections)", "pooled client",
                     {"rate_per_s": 10.0, "pool_size": 8, "close": "fin", "protocol": "tcp"},
                     "10 requests/s over 8 reused TCP connections: the fix for exhaustion"),
}
#: where a generator goes relative to the node it was dropped on (scene units)
OFFSET = QPointF(0, -110)
#: where a new Internet endpoint goes relative to its generator
ENDPOINT_OFFSET = QPointF(260, 0)
#: what a source link may point at
SOURCE_KINDS = ("vm", "subnet", "load_balancer")


def parse_payload(payload: str) -> tuple[str, Preset | None] | None:
    """``traffic_generator`` or ``traffic_generator:flood`` -> (kind, preset); None when the
    payload is not a generator."""
    kind, _, preset = payload.partition(":")
    if kind != GENERATOR:
        return None
    if preset and preset not in PRESETS:
        raise ValueError(f"unknown traffic generator preset {preset!r} "
                         f"(known: {', '.join(PRESETS)})")
    return kind, PRESETS.get(preset) if preset else None


def implied_destination(topology, protocol: str = "tcp") -> str | None:
    """The Internet endpoint a new client of ``protocol`` calls: the endpoint most generators
    of that protocol already call (ties: the first by id), else any endpoint that is not a
    "whatismyip" resolver (for TCP), else None (a new one is needed)."""
    endpoints = [e for e in topology.nodes("endpoint")]
    if protocol == "tcp":
        endpoints = [e for e in endpoints if e.role != "whatismyip"]
    if not endpoints:
        return None
    calls: dict[str, int] = {}
    for gen in topology.nodes("traffic_generator"):
        if gen.protocol == protocol and gen.direction == "outbound":
            for dest in topology.generator_destinations(gen.id):
                calls[dest] = calls.get(dest, 0) + 1
    return min(endpoints, key=lambda e: (-calls.get(e.id, 0), e.id)).id


def _snapped(scene, pos: QPointF) -> tuple[float, float]:
    x, y = pos.x(), pos.y()
    return (snap(x), snap(y)) if scene.snap_to_grid else (x, y)


def destination_links(scene, gen_id: str, protocol: str, near: QPointF):
    """(new components, links) that give generator ``gen_id`` the destination its preset
    implies: a link to the existing endpoint, or a new "Internet" endpoint and a link to it."""
    topology = scene.scenario.topology
    dest = implied_destination(topology, protocol)
    if dest is not None:
        return [], [Link(gen_id, dest, "destination")]
    endpoint = new_component(topology, "endpoint", name="Internet")
    endpoint = dataclasses.replace(endpoint, id=topology.unique_id("internet"),
                                   position=_snapped(scene, near + ENDPOINT_OFFSET))
    return [endpoint], [Link(gen_id, endpoint.id, "destination")]


def add_generator(scene, scene_pos: QPointF, preset: Preset | None = None) -> str:
    """Add a generator at ``scene_pos``; dropped on a VM, subnet or load balancer it becomes
    the source and gets the destination its preset implies; dropped on an endpoint it calls
    that endpoint.  One undo step.  Returns the new id."""
    scenario = scene.scenario
    topology = scenario.topology
    target = scene.node_item_at(scene_pos)
    fields = dict(preset.fields) if preset else {}
    stem = preset.key if preset else None
    component = new_component(topology, GENERATOR, **fields)
    if stem:
        component = dataclasses.replace(component, id=topology.unique_id(stem))
    links: list[Link] = []
    extra = []
    pos = QPointF(scene_pos)
    text = f"Add {preset.label.split(' (')[0].lower() if preset else 'traffic generator'}"
    if target is not None:
        kinds = link_kinds_between(GENERATOR, target.kind)
        kind = "source" if "source" in kinds else "destination" if "destination" in kinds \
            else None
        if kind is not None:
            links.append(Link(component.id, target.node_id, kind))
            anchor = target.scene_rect().center() if target.kind in ("subnet", "vnet") \
                else QPointF(target.pos())
            if target.kind in ("subnet", "vnet"):
                anchor = QPointF(anchor.x(), target.scene_rect().top())
            pos = anchor + (OFFSET if kind == "source" else QPointF(0, -OFFSET.y()))
            text += (f" to {target.component.display_name}" if kind == "source"
                     else f" towards {target.component.display_name}")
            if kind == "source":
                extra, more = destination_links(scene, component.id, component.protocol, pos)
                links += more
    component = dataclasses.replace(component, position=_snapped(scene, pos))
    if extra:
        scene.undo_stack.push(AddNodesCommand(scenario, [component] + extra, links, text=text))
    else:
        scene.undo_stack.push(AddNodeCommand(scenario, component, links, text=text))
    scene.select_nodes([component.id])
    return component.id


def connect_moved_generator(scene, gen_id: str, target) -> list:
    """Commands that make generator ``gen_id``, dragged onto ``target`` (a node item), its
    source - plus the implied destination when it has none - and place it above the target.
    Empty when the target cannot be a source or is one already."""
    topology = scene.scenario.topology
    if target is None or target.kind not in SOURCE_KINDS or gen_id not in topology:
        return []
    link = Link(gen_id, target.node_id, "source")
    if topology.has_link(link) or topology.can_connect(link) is not None:
        return []
    gen = topology.node(gen_id)
    anchor = QPointF(target.pos()) if target.kind != "subnet" else \
        QPointF(target.scene_rect().center().x(), target.scene_rect().top())
    pos = _snapped(scene, anchor + OFFSET)
    commands = [MoveNodesCommand(scene.scenario, {gen_id: pos}), ConnectCommand(scene.scenario, link)]
    if not topology.generator_destinations(gen_id):
        extra, links = destination_links(scene, gen_id, gen.protocol, QPointF(*pos))
        if extra:
            commands.append(AddNodesCommand(scene.scenario, extra, links, text="Add endpoint"))
        else:
            commands += [ConnectCommand(scene.scenario, lk) for lk in links]
    return commands


def source_under(scene, pos: QPointF, exclude: str | None = None):
    """The VM, subnet or load balancer item under ``pos`` (the smallest when they nest), by
    geometry: during a drag the canvas may draw what stands still as one picture, which does
    not answer hit tests."""
    best, best_area = None, None
    for item in scene.all_node_items():
        if item.kind not in SOURCE_KINDS or item.node_id == exclude:
            continue
        rect = item.scene_rect() if item.kind == "subnet" else item.sceneBoundingRect()
        if rect.contains(pos):
            area = rect.width() * rect.height()
            if best is None or area < best_area:
                best, best_area = item, area
    return best


class GeneratorMoves(QObject):
    """Scene event filter: a generator dragged (alone) onto a VM, subnet or load balancer is
    connected to it as its source on release - the move and the links are one undo step."""

    def __init__(self, scene, parent: QObject | None = None):
        super().__init__(parent)
        self.scene = scene
        scene.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() != QEvent.Type.GraphicsSceneMouseRelease or watched is not self.scene:
            return False
        interaction = getattr(self.scene, "interaction", None)
        grabbed = getattr(interaction, "grabbed", None)
        if grabbed is None or grabbed.kind != GENERATOR or not getattr(interaction, "started",
                                                                         False) \
                or len(getattr(interaction, "ids", ())) != 1:
            return False
        target = source_under(self.scene, event.scenePos(), exclude=grabbed.node_id)
        commands = connect_moved_generator(self.scene, grabbed.node_id, target)
        if not commands:
            return False
        stack = self.scene.undo_stack
        stack.beginMacro(f"Connect {grabbed.component.display_name} to "
                         f"{target.component.display_name}")
        try:
            self.scene.mouseReleaseEvent(event)        # the drag's own Move command
            for command in commands:
                stack.push(command)
        finally:
            stack.endMacro()
        return True


PIP_TARGETS = {"load_balancer": "frontend", "nat_gateway": "nat", "vm": "instance_ip"}


def public_ip_sku(scenario, target=None) -> str:
    """The SKU a new public IP takes: the target's (a Standard load balancer needs Standard,
    a Basic one Basic; a NAT gateway only takes Standard), else the scenario's semantics
    (Standard in modern, Basic in classic)."""
    kind = getattr(target, "KIND", None)
    if kind == "load_balancer":
        return target.sku
    if kind == "nat_gateway":
        return "standard"
    return "standard" if scenario.semantics == "modern" else "basic"


def add_public_ip(scene, scene_pos: QPointF) -> str:
    """A public IP from the palette at ``scene_pos``: SKU by :func:`public_ip_sku`; dropped on
    a load balancer, NAT gateway or VM it is linked to it (one undo step)."""
    scenario = scene.scenario
    topology = scenario.topology
    item = scene.node_item_at(scene_pos)
    target = item.component if item is not None and item.kind in PIP_TARGETS else None
    component = new_component(topology, "public_ip", sku=public_ip_sku(scenario, target))
    links = []
    pos = QPointF(scene_pos)
    text = "Add public IP"
    if target is not None:
        link = Link(target.id, component.id, PIP_TARGETS[target.KIND])
        topology_ok = link.kind != "instance_ip" or topology.instance_ip(target.id) is None
        if topology_ok:
            links.append(link)
            pos = QPointF(item.pos()) + QPointF(180, 0)
            text = f"Add public IP to {target.display_name}"
    component = dataclasses.replace(component, position=_snapped(scene, pos))
    scene.undo_stack.push(AddNodeCommand(scenario, component, links, text=text))
    scene.select_nodes([component.id])
    return component.id


def add_palette_presets(palette) -> list[QListWidgetItem]:
    items = []
    for preset in PRESETS.values():
        item = QListWidgetItem(kind_icon(GENERATOR), preset.label)
        item.setData(KIND_ROLE, f"{GENERATOR}:{preset.key}")
        item.setToolTip(f"{preset.label}: {preset.tip}. Drag onto a VM, subnet or load "
                        f"balancer (source; it calls the diagram's Internet endpoint) or an "
                        f"endpoint (destination).")
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable |
                      Qt.ItemFlag.ItemIsDragEnabled)
        palette.list.addItem(item)
        items.append(item)
    return items


class GeneratorDrops(QObject):
    """Event filter on a view's viewport: takes generator and public IP drops before the view
    does."""

    def __init__(self, view, parent: QObject | None = None):
        super().__init__(parent)
        self.view = view
        # a drop reaches the viewport, or the view when the viewport does not take drops
        view.viewport().installEventFilter(self)
        view.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() != QEvent.Type.Drop:
            return False
        mime = event.mimeData()
        if not mime.hasFormat(KIND_MIME):
            return False
        payload = bytes(mime.data(KIND_MIME)).decode("utf-8").strip()
        try:
            parsed = parse_payload(payload)
        except ValueError as exc:
            self.view.diagram_scene().statusMessage.emit(str(exc))
            event.ignore()
            return True
        if parsed is None and payload != "public_ip":
            return False
        pos = event.position().toPoint()
        if watched is self.view:
            pos = self.view.viewport().mapFrom(self.view, pos)
        scene_pos = self.view.mapToScene(pos)
        if parsed is None:
            add_public_ip(self.view.diagram_scene(), scene_pos)
        else:
            add_generator(self.view.diagram_scene(), scene_pos, parsed[1])
        event.acceptProposedAction()
        self.view.setFocus()
        return True
