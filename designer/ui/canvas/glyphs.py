"""Node glyphs: our own SVG icons (``resources/icons/<kind>.svg``) with one shared
``QSvgRenderer`` per kind, and a clean vector fallback while an icon file is missing."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPainterPath, QPolygonF
from PySide6.QtSvg import QSvgRenderer

from ...resources import icons_dir

_renderers: dict[str, QSvgRenderer | None] = {}


def icon_path(kind: str) -> Path | None:
    try:
        path = icons_dir() / f"{kind}.svg"
    except FileNotFoundError:  # resources folder not installed (a bare checkout)
        return None
    return path if path.is_file() else None


def shared_renderer(kind: str) -> QSvgRenderer | None:
    """The one renderer every item of ``kind`` shares, or None when the icon is missing or
    unreadable (the caller then draws :func:`fallback_path`)."""
    if kind not in _renderers:
        renderer = None
        path = icon_path(kind)
        if path is not None:
            candidate = QSvgRenderer(str(path))
            if candidate.isValid():
                renderer = candidate
        _renderers[kind] = renderer
    return _renderers[kind]


def forget_renderers() -> None:
    """Drop the cache (icons changed on disk); items created afterwards read them again."""
    _renderers.clear()


def _rounded(rect: QRectF, r: float) -> QPainterPath:
    p = QPainterPath()
    p.addRoundedRect(rect, r, r)
    return p


def fallback_path(kind: str, size: float) -> QPainterPath:
    """A simple filled silhouette for ``kind``, centred on (0, 0), ``size`` units wide.

    Drawn with an odd-even fill so the cut-outs read as white on the kind colour."""
    s = size / 32.0  # designed on a 32-unit grid, centred
    p = QPainterPath()
    p.setFillRule(p.fillRule().OddEvenFill)

    def R(x, y, w, h, r=0.0):
        rect = QRectF(x * s, y * s, w * s, h * s)
        if r:
            p.addRoundedRect(rect, r * s, r * s)
        else:
            p.addRect(rect)

    def E(cx, cy, rx, ry=None):
        p.addEllipse(QPointF(cx * s, cy * s), rx * s, (ry if ry is not None else rx) * s)

    def poly(points):
        p.addPolygon(QPolygonF([QPointF(x * s, y * s) for x, y in points]))
        p.closeSubpath()

    if kind == "vm":  # a monitor on a stand
        R(-14, -12, 28, 19, 2.5)
        R(-11, -9, 22, 13, 1)
        R(-3, 7, 6, 4)
        R(-8, 11, 16, 2.5, 1)
    elif kind == "load_balancer":  # a diamond with three outgoing branches
        poly([(0, -14), (14, 0), (0, 14), (-14, 0)])
        poly([(-7, -1.5), (3, -1.5), (3, -5), (8, 0), (3, 5), (3, 1.5), (-7, 1.5)])
    elif kind == "public_ip":  # a globe
        E(0, 0, 14)
        E(0, 0, 6, 13)
        R(-13, -1, 26, 2)
        R(-11, -7.5, 22, 1.6)
        R(-11, 5.9, 22, 1.6)
    elif kind == "nsg":  # a shield with a check bar
        shield = QPainterPath()
        shield.moveTo(0, -15 * s)
        shield.lineTo(13 * s, -10 * s)
        shield.cubicTo(13 * s, 4 * s, 7 * s, 11 * s, 0, 15 * s)
        shield.cubicTo(-7 * s, 11 * s, -13 * s, 4 * s, -13 * s, -10 * s)
        shield.closeSubpath()
        p.addPath(shield)
        R(-6, -2, 12, 4, 1)
    elif kind == "nat_gateway":  # a box with an arrow passing through
        R(-13, -11, 26, 22, 3)
        poly([(-9, -2), (2, -2), (2, -7), (10, 0), (2, 7), (2, 2), (-9, 2)])
    elif kind == "endpoint":  # a cloud
        E(-6, 2, 7)
        E(3, -3, 8)
        E(9, 4, 5.5)
        R(-6, 3, 15, 6.5)
    elif kind == "traffic_generator":  # a lightning bolt in a circle
        E(0, 0, 14)
        poly([(2, -11), (-6, 2), (-1, 2), (-3, 11), (6, -2), (1, -2)])
    elif kind == "subnet":  # braces around dots
        R(-14, -10, 28, 20, 3)
        R(-11, -7, 22, 14, 2)
        for x in (-6, 0, 6):
            E(x, 0, 2)
    elif kind == "vnet":
        R(-14, -11, 28, 22, 3)
        R(-11, -8, 22, 16, 2)
        for x, y in ((-5, -3), (5, -3), (0, 4)):
            E(x, y, 2.6)
    else:
        E(0, 0, 13)
    return p
