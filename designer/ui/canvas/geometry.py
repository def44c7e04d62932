"""Where links meet nodes and boxes: plain geometry for the scene's link updates."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF


def exit_point(rect: QRectF, start: QPointF, toward: QPointF) -> QPointF:
    """Where the ray from ``start`` (inside ``rect``) toward ``toward`` leaves ``rect``."""
    d = toward - start
    dx, dy = d.x(), d.y()
    if abs(dx) < 1e-9 and abs(dy) < 1e-9:
        return QPointF(start)
    ts = []
    if dx > 0:
        ts.append((rect.right() - start.x()) / dx)
    elif dx < 0:
        ts.append((rect.left() - start.x()) / dx)
    if dy > 0:
        ts.append((rect.bottom() - start.y()) / dy)
    elif dy < 0:
        ts.append((rect.top() - start.y()) / dy)
    t = min(min(ts), 1.0)
    return start + d * t


def exit_xy(cx: float, cy: float, half_w: float, up: float, down: float,
             tx: float, ty: float) -> tuple[float, float]:
    """Where the ray from (cx, cy) toward (tx, ty) leaves the box [cx - half_w, cx + half_w]
    x [cy - up, cy + down]; (tx, ty) itself when it lies inside."""
    dx, dy = tx - cx, ty - cy
    t = 1.0
    if dx > 0:
        t = min(t, half_w / dx)
    elif dx < 0:
        t = min(t, -half_w / dx)
    if dy > 0:
        t = min(t, down / dy)
    elif dy < 0:
        t = min(t, -up / dy)
    return cx + dx * t, cy + dy * t


def nearest_on_border(rect: QRectF, p: QPointF) -> QPointF:
    x = min(max(p.x(), rect.left()), rect.right())
    y = min(max(p.y(), rect.top()), rect.bottom())
    if rect.contains(p):  # inside: project to the nearest edge
        distances = [(p.x() - rect.left(), QPointF(rect.left(), y)),
                     (rect.right() - p.x(), QPointF(rect.right(), y)),
                     (p.y() - rect.top(), QPointF(x, rect.top())),
                     (rect.bottom() - p.y(), QPointF(x, rect.bottom()))]
        return min(distances, key=lambda d: d[0])[1]
    return QPointF(x, y)
