"""Far out (DETAIL_MINIMAL), the whole diagram in one item: ``FarLayer``.

While a drag moves some nodes, the far layer draws either only what stays still (into the
view's static layer, once) or only what moves (every frame): see ``draglayer.py``.
"""
from __future__ import annotations

from PySide6.QtCore import QLineF, QPointF, QRectF
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QGraphicsItem

from . import zorder
from .items import NO_BRUSH, NO_BUTTON, NO_PEN, Badge, NodeItem
from .style import SEVERITY_COLORS, TILE_SIZE, color, cosmetic_pen


class FarLayer(QGraphicsItem):
    """Far out (DETAIL_MINIMAL), the whole diagram's tiles and lines in ONE paint: one
    ``drawLines`` per link style and one ``drawRects`` per node colour, instead of thousands
    of item paints (perf-baselines.md: one drawLines item is ~3x cheaper than 3,000 line
    items).  Boxes, badges and overlays stay items.  The per-item tiles and lines are hidden
    at that level; selection and connect highlights are drawn here too."""

    def __init__(self, scene):
        super().__init__()
        self._scene = scene
        self.setZValue(zorder.LINKS)
        self.setAcceptedMouseButtons(NO_BUTTON)
        self.setVisible(False)
        self._rect = QRectF()
        self._rect_dirty = True
        self._batches: tuple[list, list, list] | None = None
        #: while a drag runs: ("still" or "moving", the moving node items, their links)
        self._focus: tuple[str, set, list] | None = None

    def set_focus(self, part: str | None, nodes=(), links=()) -> None:
        """Draw only what stays still (``"still"``), only what moves (``"moving"``), or
        everything (None): a drag draws the still part once into the view's static layer,
        then only the moving part each frame."""
        self._focus = None if part is None else (part, set(nodes), list(links))
        self._batches = None
        self.update()

    def _parts(self):
        """The link and node items to draw, given the focus."""
        scene = self._scene
        if self._focus is None:
            return scene.all_link_items(), scene.plain_node_items()
        part, nodes, links = self._focus
        if part == "moving":
            return links, [i for i in nodes if i.__class__ is NodeItem]
        moving_links = set(links)
        return ([l for l in scene.all_link_items() if l not in moving_links],
                [i for i in scene.plain_node_items() if i not in nodes])

    def geometry_changed(self) -> None:
        """Something moved: the layer's extent may change and it must be drawn again."""
        if self.isVisible():
            self._batches = None
            if not self._rect_dirty:
                # once per change burst: the rect is recomputed when Qt next asks for it
                self.prepareGeometryChange()
                self._rect_dirty = True

    def extend(self, x1: float, y1: float, x2: float, y2: float) -> None:
        """Something moved within (x1, y1)-(x2, y2): grow the extent if needed, draw again.
        (Cheap: a drag frame calls this for every moved tile and line.)"""
        if not self.isVisible():
            return
        self._batches = None
        if self._rect_dirty:
            return
        r = self._rect
        if x1 < r.left() or y1 < r.top() or x2 > r.right() or y2 > r.bottom():
            self.prepareGeometryChange()
            self._rect = r.united(QRectF(QPointF(x1, y1), QPointF(x2, y2)))
        else:
            self.update()

    def content_changed(self) -> None:
        """Something was added, removed or changed: draw again.  The extent only grows
        (``extend``): a removal may leave it a little larger than the drawing, which costs
        nothing, where measuring it again means looking at every node and link."""
        if self.isVisible():
            self._batches = None
            self.update()

    def restyled(self) -> None:
        """Selection, highlight or palette changed: draw again (same geometry)."""
        if self.isVisible():
            self._batches = None
            self.update()

    def boundingRect(self) -> QRectF:
        if self._rect_dirty:
            half = TILE_SIZE / 2 + 4
            xs, ys = [], []
            for item in self._scene.all_node_items():
                if isinstance(item, NodeItem):
                    p = item.pos()
                    xs.append(p.x())
                    ys.append(p.y())
            self._rect = (QRectF(min(xs) - half, min(ys) - half, max(xs) - min(xs) + 2 * half,
                                 max(ys) - min(ys) + 2 * half + 20) if xs else QRectF())
            for link in self._scene.all_link_items():
                if link.ends is not None and link.shown:
                    x1, y1, x2, y2 = link.ends
                    self._rect = self._rect.united(QRectF(QPointF(min(x1, x2), min(y1, y2)),
                                                          QPointF(max(x1, x2), max(y1, y2))))
            self._rect_dirty = False
        return self._rect

    def _build(self) -> tuple[list, list, list]:
        """Group every tile and line by style (Python attributes only: this runs once per
        change, over every node and link)."""
        scene = self._scene
        palette = scene.palette
        selected_items = set() if scene.export_mode else scene.selected_set()
        link_items, node_items = self._parts()
        lines: dict[tuple, list[QLineF]] = {}
        for link in link_items:
            if link.qline is None or not link.shown:
                continue
            lines.setdefault((link.kind, link in selected_items), []).append(link.qline)
        pens = []
        for (kind, selected), batch in lines.items():
            # solid: a dash pattern a few pixels long is noise this far out, and slow to stroke
            c = color(palette.selection) if selected else palette.link_color(kind)
            pens.append((cosmetic_pen(c, 2.5 if selected else 1.0), batch))
        rects: dict[tuple, list[QRectF]] = {}
        outlined: dict[str, list[QRectF]] = {}
        half = TILE_SIZE / 2
        for item in node_items:
            rect = item.far_rect
            if rect is None:
                p = item.pos()
                rect = item.far_rect = QRectF(p.x() - half, p.y() - half, TILE_SIZE, TILE_SIZE)
            rects.setdefault((item.kind, item.highlight == "invalid"), []).append(rect)
            if item in selected_items:
                outlined.setdefault(palette.selection, []).append(rect)
            elif item.highlight in ("valid", "target"):
                outlined.setdefault(palette.valid_target, []).append(rect)
        brushes = []
        for (kind, dim), batch in rects.items():
            c = palette.kind_color(kind)
            if dim:
                c.setAlpha(70)
            brushes.append((QBrush(c), batch))
        outlines = [(cosmetic_pen(c, 2.5), batch) for c, batch in outlined.items()]
        # finding badges stay visible far out, as dots on the tiles' corners
        dots: dict[str, list[QRectF]] = {}
        r = Badge.RADIUS * 1.5
        shown = set(node_items) if self._focus is not None else None
        for item in scene.items_with_findings():
            if shown is not None and item not in shown:
                continue
            badge = item._badge
            if badge is not None and badge.severity:
                centre = item.mapToScene(badge.pos())
                dots.setdefault(badge.severity, []).append(
                    QRectF(centre.x() - r, centre.y() - r, 2 * r, 2 * r))
        for severity, batch in dots.items():
            outlines.append((cosmetic_pen("#ffffff", 1.0), batch))
            brushes.append((QBrush(QColor(SEVERITY_COLORS.get(severity, "#757575"))), batch))
        return pens, brushes, outlines

    def paint(self, painter, option, widget=None) -> None:
        if self._batches is None:
            self._batches = self._build()
        pens, brushes, outlines = self._batches
        for pen, batch in pens:
            painter.setPen(pen)
            painter.drawLines(batch)
        painter.setPen(NO_PEN)
        for brush, batch in brushes:
            painter.setBrush(brush)
            painter.drawRects(batch)
        painter.setBrush(NO_BRUSH)
        for pen, batch in outlines:
            painter.setPen(pen)
            painter.drawRects(batch)
