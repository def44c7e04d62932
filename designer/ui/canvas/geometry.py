"""Where links meet nodes and boxes, in plain floats (this runs for every moved link of every
drag frame: QPointF and QRectF arithmetic from Python costs several times more)."""
from __future__ import annotations


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


def nearest_on_border_xy(left: float, top: float, right: float, bottom: float,
                         px: float, py: float) -> tuple[float, float]:
    """The point of the rectangle's border nearest to (px, py): the clamped point outside,
    the projection on the nearest edge inside."""
    x = min(max(px, left), right)
    y = min(max(py, top), bottom)
    if left <= px <= right and top <= py <= bottom:
        return min(((px - left, (left, y)), (right - px, (right, y)),
                    (py - top, (x, top)), (bottom - py, (x, bottom))),
                   key=lambda d: d[0])[1]
    return x, y
