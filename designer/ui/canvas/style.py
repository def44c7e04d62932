"""Colours, pens and link styles of the canvas, for the light and the dark theme.

Items ask the scene's current :class:`CanvasPalette`; ``DiagramScene.set_theme`` swaps it and
restyles every item.  Pens are cosmetic (constant on-screen width, cheap to stroke).
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPen

GRID_STEP = 20.0
#: node tile size (scene units); the glyph is drawn at GLYPH_SIZE inside it
TILE_SIZE = 52.0
GLYPH_SIZE = 34.0
TILE_RADIUS = 10.0


@dataclass(frozen=True)
class LinkStyle:
    color: str
    dark_color: str
    width: float
    dash: tuple[float, ...] = ()
    arrow: bool = True


#: one distinct, legible style per link kind (colour, dash pattern, arrowhead)
LINK_STYLES: dict[str, LinkStyle] = {
    "frontend": LinkStyle("#1565c0", "#64b5f6", 2.0),
    "backend": LinkStyle("#2e7d32", "#81c784", 2.0),
    "instance_ip": LinkStyle("#6a1b9a", "#ce93d8", 2.0),
    "in_subnet": LinkStyle("#78909c", "#b0bec5", 1.4, (5, 4)),
    "in_vnet": LinkStyle("#78909c", "#b0bec5", 1.4, (5, 4)),
    "nsg": LinkStyle("#c62828", "#ef9a9a", 1.8, (2, 3)),
    "nat": LinkStyle("#00838f", "#4dd0e1", 2.0, (8, 3, 2, 3)),
    "source": LinkStyle("#ef6c00", "#ffb74d", 1.8, (7, 4)),
    "destination": LinkStyle("#ef6c00", "#ffb74d", 2.0),
}

#: accent colour of each node kind (tile tint, fallback glyph, container border)
KIND_COLORS: dict[str, str] = {
    "vm": "#0078d4",
    "load_balancer": "#2e7d32",
    "public_ip": "#6a1b9a",
    "nsg": "#c62828",
    "subnet": "#00897b",
    "vnet": "#3949ab",
    "nat_gateway": "#00838f",
    "endpoint": "#546e7a",
    "traffic_generator": "#ef6c00",
}

SEVERITY_COLORS = {"error": "#d32f2f", "warning": "#f9a825", "info": "#1976d2"}
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class CanvasPalette:
    dark: bool
    background: str
    grid_minor: str
    grid_major: str
    tile_fill: str
    tile_border: str
    text: str
    text_muted: str
    label_background: str
    selection: str
    hover: str
    valid_target: str
    invalid_target: str
    container_fill_alpha: int

    def link_color(self, kind: str) -> QColor:
        style = LINK_STYLES[kind]
        return QColor(style.dark_color if self.dark else style.color)

    def kind_color(self, kind: str) -> QColor:
        c = QColor(KIND_COLORS.get(kind, "#607d8b"))
        return c.lighter(135) if self.dark else c


LIGHT = CanvasPalette(
    dark=False, background="#fafbfc", grid_minor="#eef1f4", grid_major="#dde2e8",
    tile_fill="#ffffff", tile_border="#c5ccd6", text="#1f2328", text_muted="#5f6b7a",
    label_background="#fafbfcd0", selection="#0a84ff", hover="#7fb8ff",
    valid_target="#2e9d4f", invalid_target="#d0d4da", container_fill_alpha=22)

DARK = CanvasPalette(
    dark=True, background="#1e2227", grid_minor="#262b31", grid_major="#30363d",
    tile_fill="#2b3139", tile_border="#4a5562", text="#e6edf3", text_muted="#9aa7b4",
    label_background="#1e2227d0", selection="#4aa3ff", hover="#2f6db3",
    valid_target="#4cc36e", invalid_target="#3a4048", container_fill_alpha=30)


def palette_for(dark: bool) -> CanvasPalette:
    return DARK if dark else LIGHT


def color(value: str) -> QColor:
    """#rrggbb or #rrggbbaa (CSS order) to a QColor."""
    if len(value) == 9:
        c = QColor(value[:7])
        c.setAlpha(int(value[7:], 16))
        return c
    return QColor(value)


_pens: dict[tuple, QPen] = {}


def cosmetic_pen(c: QColor | str, width: float = 1.0, dash: tuple[float, ...] = (),
                 cap: Qt.PenCapStyle = Qt.PenCapStyle.FlatCap, cosmetic: bool = True) -> QPen:
    """A cosmetic pen (shared: thousands of items restyle with a few distinct pens); with
    ``cosmetic`` False, its width is in scene units instead, so that it scales with the
    drawing (exports at 2x-4x draw lines as thick as the glyphs beside them)."""
    key = (c.rgba() if isinstance(c, QColor) else c, width, dash, cap, cosmetic)
    pen = _pens.get(key)
    if pen is None:
        pen = _pens[key] = _make_pen(c, width, dash, cap, cosmetic)
    return pen


def _make_pen(c, width, dash, cap, cosmetic) -> QPen:
    pen = QPen(c if isinstance(c, QColor) else color(c))
    pen.setCosmetic(cosmetic)
    pen.setWidthF(width)
    pen.setCapStyle(cap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    if dash:
        pen.setDashPattern([d / max(width, 1.0) for d in dash])
    return pen


def snap(value: float, step: float = GRID_STEP) -> float:
    return round(value / step) * step


def _luminance(c: QColor) -> float:
    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())


def contrast(a: QColor, b: QColor) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable(c: QColor, background: str, minimum: float = 4.5) -> QColor:
    """``c`` made lighter on a dark background (darker on a light one) until text in it
    reads: a dark blue VNet title on the dark theme's background becomes a light blue."""
    bg = color(background)
    out = QColor(c)
    lighten = _luminance(bg) < 0.5
    for _ in range(40):
        if contrast(out, bg) >= minimum:
            break
        out = out.lighter(112) if lighten else out.darker(112)
        if lighten and out.value() >= 255:  # lighter() stops at full value: whiten
            out = QColor.fromHsvF(out.hsvHueF(), max(0.0, out.hsvSaturationF() - 0.08), 1.0)
    return out
