"""Traffic generators on a (running) diagram: presets in the palette and drops that connect.

Dropping a traffic generator (plain, or a preset) onto a VM, subnet or load balancer adds it
connected as the source; onto an endpoint, connected as the destination; one undo step.  The
"Flood" preset opens a new connection per request (the classic SNAT exhaustion), the "Pooled
client" reuses 8 connections.  The palette carries the presets as extra entries whose payload
is ``traffic_generator:<preset>``.
"""
from __future__ import annotations

import dataclasses

from PySide6.QtCore import QEvent, QObject, QPointF
from PySide6.QtWidgets import QListWidgetItem

from ...model import Link
from ...model.links import link_kinds_between
from ...model.topology import new_component
from ..canvas import KIND_MIME
from ..canvas.style import snap
from ..commands import AddNodeCommand
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


def add_generator(scene, scene_pos: QPointF, preset: Preset | None = None) -> str:
    """Add a generator at ``scene_pos``; dropped on a node it connects itself (one undo step).
    Returns the new id."""
    scenario = scene.scenario
    topology = scenario.topology
    target = scene.node_item_at(scene_pos)
    fields = dict(preset.fields) if preset else {}
    stem = preset.key if preset else None
    component = new_component(topology, GENERATOR, **fields)
    if stem:
        component = dataclasses.replace(component, id=topology.unique_id(stem))
    links: list[Link] = []
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
    x, y = pos.x(), pos.y()
    if scene.snap_to_grid:
        x, y = snap(x), snap(y)
    component = dataclasses.replace(component, position=(x, y))
    scene.undo_stack.push(AddNodeCommand(scenario, component, links, text=text))
    scene.select_nodes([component.id])
    return component.id


def add_palette_presets(palette) -> list[QListWidgetItem]:
    items = []
    for preset in PRESETS.values():
        item = QListWidgetItem(kind_icon(GENERATOR), preset.label)
        item.setData(KIND_ROLE, f"{GENERATOR}:{preset.key}")
        item.setToolTip(f"{preset.label}: {preset.tip}. Drag onto a VM, subnet or load "
                        f"balancer (source) or an endpoint (destination).")
        from PySide6.QtCore import Qt
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable |
                      Qt.ItemFlag.ItemIsDragEnabled)
        palette.list.addItem(item)
        items.append(item)
    return items


class GeneratorDrops(QObject):
    """Event filter on a view's viewport: takes generator drops before the view does."""

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
        if parsed is None:
            return False
        pos = event.position().toPoint()
        if watched is self.view:
            pos = self.view.viewport().mapFrom(self.view, pos)
        scene_pos = self.view.mapToScene(pos)
        add_generator(self.view.diagram_scene(), scene_pos, parsed[1])
        event.acceptProposedAction()
        self.view.setFocus()
        return True
