"""Live SNAT gauges on the canvas: used / allocated ports, a bar and a number.

Colour: red while the node fails new flows for want of a port - the engine's open
``snat_exhausted`` events (``alerts.FailureState``), the same state as the banner and the event
log - amber from 70 % use, green below.  A full gauge is not red by itself: after a flood stops
its ports stay in use until they idle out, but nothing fails.

Every VM with a SNAT budget, every public IP with SNAT ports and every NAT gateway gets one,
drawn above its tile (a child of the node item, so it follows drags).  Gauges are drawn from
a :class:`~designer.sim.engine.Frame` alone: :func:`apply_frame` serves the running editor and
``outbound-designer export --at S``, which uses :func:`frame_at` to run the engine headless
to S simulated seconds first.
"""
from __future__ import annotations

from typing import Collection, Mapping, NamedTuple

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem

from ...model.topology import Scenario
from ...sim.engine import Engine, Frame, PortUse
from ..canvas import zorder
from ..canvas.style import TILE_SIZE
from .alerts import open_exhaustions

WIDTH = 66.0
HEIGHT = 15.0
#: fraction of the budget from which a gauge turns amber (red means failing, not a fraction)
AMBER_FROM = 0.7
GREEN, AMBER, RED = "#2e9d4f", "#f0a202", "#d32f2f"
#: below this zoom gauges are not drawn (level of detail)
MIN_ZOOM = 0.3


def gauge_color(fraction: float, failing: bool = False) -> str:
    if failing:
        return RED
    if fraction >= AMBER_FROM:
        return AMBER
    return GREEN


def compact(n: int) -> str:
    if n >= 10_000:
        return f"{n / 1000:.0f}k" if n >= 100_000 else f"{n / 1000:.1f}k"
    return str(n)


class GaugeValue(NamedTuple):
    """What one gauge shows: the most loaded protocol's use, and whether the node fails new
    flows for want of a port."""
    used: int
    allocated: int
    protocol: str
    failing: bool = False

    @property
    def fraction(self) -> float:
        return min(self.used / self.allocated, 1.0) if self.allocated else 0.0

    @property
    def text(self) -> str:
        return f"{compact(self.used)}/{compact(self.allocated)}"

    @property
    def color(self) -> str:
        return gauge_color(self.fraction, self.failing)

    @property
    def paint_key(self) -> tuple:
        """What the drawn picture depends on (the bar moves by whole scene units)."""
        return (self.text, self.color, int(self.fraction * WIDTH))


def _pick(uses: Mapping[str, PortUse]) -> GaugeValue | None:
    best = None
    best_f = -1.0
    for proto, (used, allocated) in uses.items():
        if allocated > 0:
            f = used / allocated
            if f > best_f or (f == best_f and proto < best[2]):
                best, best_f = (used, allocated, proto), f
    return GaugeValue(*best) if best is not None else None


def gauge_values(frame: Frame, failing: Collection[str] = ()) -> dict[str, GaugeValue]:
    """node id -> the gauge it carries in ``frame`` (VMs with a SNAT budget, public IPs,
    NAT gateways); the nodes in ``failing`` are drawn red."""
    out: dict[str, GaugeValue] = {}
    for table in (frame.snat, frame.public_ips, frame.nat_gateways):
        for node_id, uses in table.items():
            value = _pick(uses)
            if value is not None:
                out[node_id] = value._replace(failing=True) if node_id in failing else value
    return out


def pip_addresses(scenario: Scenario) -> dict[str, str]:
    """public IP address -> node id (the engine's events name addresses)."""
    return {pip.address: pip.id for pip in scenario.topology.nodes("public_ip") if pip.address}


def failing_nodes_at(scenario: Scenario, frame: Frame) -> set[str]:
    """The red gauges of a frame that carries every event so far (``frame_at``)."""
    return open_exhaustions(frame.events).failing_nodes(pip_addresses(scenario))


class GaugeItem(QGraphicsItem):
    """A small bar with a number, above a node tile."""

    FONT = QFont()
    FONT.setFamilies(["DejaVu Sans", "Segoe UI", "Helvetica Neue", "Arial", "sans-serif"])
    FONT.setPixelSize(10)
    FONT.setBold(True)

    def __init__(self, parent: QGraphicsItem | None = None):
        super().__init__(parent)
        self.value: GaugeValue | None = None
        self._key: tuple | None = None
        self.setZValue(zorder.GAUGES)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)
        self.setPos(*gauge_offset())

    def boundingRect(self) -> QRectF:
        return QRectF(-1, -1, WIDTH + 2, HEIGHT + 2)

    def set_value(self, value: GaugeValue) -> None:
        # repaint only when what is drawn changes (the bar moves by whole pixels)
        key = (value.text, value.color, int(value.fraction * WIDTH))
        self.value = value
        if key != self._key:
            self._key = key
            self.setToolTip(f"SNAT ports ({value.protocol.upper()}): {value.used:,} used of "
                            f"{value.allocated:,} allocated ({value.fraction:.0%})"
                            + ("; new flows fail (SNAT exhaustion)" if value.failing else ""))
            self.update()

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if self.value is None:
            return
        scene = self.scene()
        exporting = scene is not None and getattr(scene, "export_mode", False)
        if not exporting and painter.worldTransform().m11() < MIN_ZOOM:
            return
        dark = scene is not None and getattr(getattr(scene, "palette", None), "dark", False)
        draw_gauge(painter, self.value, dark)


def gauge_offset() -> tuple[float, float]:
    """Where a gauge's top-left corner sits relative to its node's centre (scene units)."""
    return -WIDTH / 2, -TILE_SIZE / 2 - HEIGHT - 4


_OUTLINE = {False: QPen(QColor("#5f6b7a"), 0), True: QPen(QColor("#9aa7b4"), 0)}
_FILL = {False: QBrush(QColor("#ffffff")), True: QBrush(QColor("#2b3139"))}
_BARS = {c: QBrush(QColor(c)) for c in (GREEN, AMBER, RED)}
_TEXT = {"light": QColor("#1f2328"), "dark": QColor("#e6edf3"), "on_bar": QColor("#ffffff")}
_RECT = QRectF(0, 0, WIDTH, HEIGHT)


def draw_gauge(painter: QPainter, value: GaugeValue, dark: bool = False,
               font_set: bool = False) -> None:
    """One gauge at the painter's origin, WIDTH x HEIGHT (the scene item and the live
    overlay's gauge layer draw the same picture).  ``font_set``: the caller has set the
    gauge font already (the overlay draws dozens in a row)."""
    painter.setPen(_OUTLINE[dark])
    painter.setBrush(_FILL[dark])
    painter.drawRoundedRect(_RECT, 3, 3)
    color = value.color
    if value.fraction > 0:
        bar = QRectF(1, 1, max((WIDTH - 2) * value.fraction, 2.0), HEIGHT - 2)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_BARS.get(color) or QBrush(QColor(color)))
        painter.drawRoundedRect(bar, 2, 2)
    if not font_set:
        painter.setFont(GaugeItem.FONT)
    if value.fraction < 0.55:
        painter.setPen(_TEXT["dark" if dark else "light"])
    else:
        painter.setPen(_TEXT["light" if color == AMBER else "on_bar"])
    painter.drawText(_RECT, Qt.AlignmentFlag.AlignCenter, value.text)


def apply_frame(scene, frame: Frame | None, items_visible: bool = True,
                failing: Collection[str] | None = None) -> dict[str, GaugeValue]:
    """Show ``frame``'s gauges on ``scene`` (a DiagramScene); ``None`` removes them all.
    Returns the values shown.  ``failing``: the nodes drawn red (default: worked out from the
    frame's events, right for a frame that carries every event so far, as ``frame_at``'s).
    The running editor draws the same gauges in its overlay instead, so a changing gauge does
    not make the whole scene re-render."""
    if frame is not None and failing is None:
        failing = failing_nodes_at(scene.scenario, frame)
    values = gauge_values(frame, failing or ()) if frame is not None else {}
    for item in scene.all_node_items():
        gauge = getattr(item, "_live_gauge", None)
        value = values.get(item.node_id)
        if value is None:
            if gauge is not None:
                gauge.setParentItem(None)
                scene.removeItem(gauge)
                item._live_gauge = None
            continue
        if gauge is None:
            gauge = item._live_gauge = GaugeItem(item)
        gauge.setVisible(items_visible)
        gauge.set_value(value)
    return values


def gauge_of(scene, node_id: str) -> GaugeItem | None:
    item = scene.node_item(node_id)
    return getattr(item, "_live_gauge", None) if item is not None else None


def frame_at(scenario: Scenario, seconds: float, seed: int | None = None) -> Frame:
    """The frame ``seconds`` simulated seconds into a headless run of ``scenario``."""
    if seconds < 0:
        raise ValueError(f"--at must be 0 or more simulated seconds, not {seconds}")
    engine = Engine(scenario.snapshot(), seed=seed, record_samples=False)
    engine.run(until=float(seconds))
    return engine.frame()
