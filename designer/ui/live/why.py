""""Why this path?": for the selected VM, where its flows fail and why - denied by which rule of
which NSG (:mod:`designer.sim.explain`) - then the outbound path the engine chooses (per
protocol) and the reason in words, shown under the inspector; the path is highlighted on the
canvas.  Every name is escaped: the panel is rich text, names are the user's."""
from __future__ import annotations

import html

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import (QFrame, QGraphicsPathItem, QGroupBox, QLabel, QScrollArea,
                               QVBoxLayout, QWidget)

from ...sim.explain import Explanation, denial_sentences, explain_vm
from ...sim.paths import PathCache, VmPath
from ..canvas import zorder

KIND_WORDS = {"instance_ip": "instance public IP", "nat_gateway": "NAT gateway",
              "load_balancer": "load balancer SNAT", "default": "default outbound access",
              "none": "no outbound access"}


def describe(path: VmPath, names: dict[str, str],
             explanation: Explanation | None = None) -> str:
    """The panel's rich text for one VM: NSG denials first (they decide before any path)."""
    denials = []
    if explanation is not None and explanation.denied:
        lead = ("Every outbound flow of this VM is denied by an NSG"
                if explanation.all_denied else "Some outbound flows of this VM are denied")
        denials.append(f"<p style='color:#d32f2f'><b>{lead}.</b></p>")
        denials += [f"<p>{html.escape(text)}</p>"
                    for text in denial_sentences(explanation, names)]
        if explanation.all_denied:
            denials.append("<p><i>The path the flows would take if the NSG allowed them:</i></p>")
    parts = []
    for p in (path.tcp, path.udp):
        via = f" via {html.escape(names.get(p.via, p.via))}" if p.via else ""
        ips = ", ".join(p.public_ips) if p.public_ips else "none"
        budget = f"; {p.ports:,} SNAT ports ({p.allocation})" if p.ports else ""
        parts.append(f"<p><b>{p.protocol.upper()}</b>: {KIND_WORDS.get(p.kind, p.kind)}{via}"
                     f" — public address {html.escape(ips)}{budget}.<br>"
                     f"{html.escape(p.reason)}</p>")
        if path.tcp == path.udp:
            break
    chain = " → ".join(html.escape(names.get(n, n)) for n in path.tcp.nodes) or "—"
    return "".join(denials) + f"<p>Path: {chain}</p>" + "".join(parts)


class WhyPanel(QGroupBox):
    """Shown under the inspector while exactly one VM is selected."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Why this path?", parent)
        self.setObjectName("why-this-path")
        self.text = QLabel()
        self.text.setObjectName("why-this-path-text")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        scroll = QScrollArea()
        scroll.setWidget(self.text)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setMaximumHeight(170)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 6)
        layout.addWidget(scroll)
        self.path: VmPath | None = None
        self.explanation: Explanation | None = None
        #: the shown scenario's paths, resolved one VM at a time and kept until it changes
        self._paths: PathCache | None = None
        self.hide()

    def _cache_for(self, scenario) -> PathCache:
        if self._paths is None or self._paths.scenario is not scenario:
            if self._paths is not None:
                self._paths.close()
            self._paths = PathCache(scenario)
        return self._paths

    def show_vm(self, scenario, vm_id: str | None) -> VmPath | None:
        self.path = None
        if vm_id is None or vm_id not in scenario.topology or \
                scenario.topology.node(vm_id).KIND != "vm":
            self.hide()
            return None
        try:
            path = self._cache_for(scenario).vm_path(vm_id)
            explanation = explain_vm(scenario, vm_id, path)
        except Exception as exc:  # noqa: BLE001 - a half-drawn diagram must not break the panel
            self.text.setText(f"The path cannot be worked out yet: {html.escape(str(exc))}")
            self.show()
            return None
        names = {c.id: c.display_name for c in scenario.topology.nodes()}
        self.explanation = explanation
        self.text.setText(describe(path, names, explanation))
        self.path = path
        self.show()
        return path


class PathHighlight(QGraphicsPathItem):
    """A wide translucent stroke through the nodes of a VM's outbound path."""

    def __init__(self):
        super().__init__()
        self.setZValue(zorder.FLOWS - 1)
        pen = QPen(QColor(10, 132, 255, 90), 14)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        self.setPen(pen)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.nodes: tuple[str, ...] = ()

    def follow(self, scene, nodes: tuple[str, ...]) -> None:
        self.nodes = nodes
        points = []
        for n in nodes:
            item = scene.node_item(n)
            if item is None or item.kind == "nsg":
                continue
            points.append(QPointF(item.pos()) if not item.component.CONTAINER
                          else item.scene_rect().center())
        path = QPainterPath()
        if len(points) >= 2:
            path.moveTo(points[0])
            for p in points[1:]:
                path.lineTo(p)
        self.setPath(path)
        self.setVisible(len(points) >= 2)
