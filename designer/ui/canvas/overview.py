"""The overview (minimap): the whole diagram drawn small, with the main view's visible area;
click or drag in it to move the view there.

It draws its own picture from the scene's items in a few batched calls (boxes, one
``drawLines`` for every link, one ``drawRects`` per node colour): a few milliseconds at 2,000
nodes, where ``QGraphicsScene.render`` of the whole scene took about 300 ms.  The picture is
refreshed a moment after the scene stops changing, and never while a gesture (a drag, a
resize, a connection) is in progress: the gesture's release refreshes it.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from .items import ContainerItem
from .style import TILE_SIZE, color

#: what the picture adds around the diagram (scene units)
MARGIN = 60.0


class Overview(QWidget):
    REFRESH_MS = 250

    def __init__(self, view, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("overview")
        self.view = view
        self.setMinimumSize(160, 110)
        self._pixmap: QPixmap | None = None
        self._source = QRectF()
        self._target = QRectF()
        self._dirty = True
        #: how many pictures were drawn (tests check that a drag draws none)
        self.renders = 0
        self._timer = QTimer(self)
        self._timer.setObjectName("overview-refresh")
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.REFRESH_MS)
        self._timer.timeout.connect(self._refresh)
        view.scene().contentChanged.connect(self._scene_changed)
        view.horizontalScrollBar().valueChanged.connect(self.update)
        view.verticalScrollBar().valueChanged.connect(self.update)
        view.zoomChanged.connect(lambda _z: self.update())
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the view")

    def sizeHint(self) -> QSize:
        return QSize(220, 150)

    def _scene_changed(self) -> None:
        self._dirty = True
        if self.isVisible():
            self._timer.start()

    def hideEvent(self, event) -> None:
        self._timer.stop()
        super().hideEvent(event)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._dirty:
            self._refresh()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._dirty = True
        if self.isVisible():
            self._timer.start()

    # ------------------------------------------------------------------ the picture
    def _collect(self, scene) -> tuple[list, dict, dict, QRectF]:
        """Link lines, node tiles by colour and boxes by kind, and their extent."""
        half = TILE_SIZE / 2
        tiles: dict[str, list[QRectF]] = {}
        boxes: dict[str, list[QRectF]] = {}
        left = top = float("inf")
        right = bottom = float("-inf")
        for item in scene.all_node_items():
            if item.__class__ is ContainerItem:
                rect = item.scene_rect()
                boxes.setdefault(item.kind, []).append(rect)
            else:
                p = item.pos()
                rect = QRectF(p.x() - half, p.y() - half, TILE_SIZE, TILE_SIZE)
                tiles.setdefault(item.kind, []).append(rect)
            left, top = min(left, rect.left()), min(top, rect.top())
            right, bottom = max(right, rect.right()), max(bottom, rect.bottom())
        lines = [link.qline for link in scene.all_link_items()
                 if link.shown and link.qline is not None]
        if left > right:
            return lines, tiles, boxes, QRectF()
        extent = QRectF(left, top, right - left, bottom - top)
        return lines, tiles, boxes, extent.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN + 20)

    def _refresh(self) -> None:
        self._timer.stop()
        scene = self.view.scene()
        if scene.interaction is not None:  # a gesture in progress: draw after its release
            self._timer.start()
            return
        self._dirty = False
        size = self.size()
        if size.width() < 2 or size.height() < 2:
            return
        lines, tiles, boxes, source = self._collect(scene)
        if source.isEmpty():
            self._pixmap = None
            self._source = QRectF()
            self.update()
            return
        ratio = min(size.width() / source.width(), size.height() / source.height())
        w, h = source.width() * ratio, source.height() * ratio
        target = QRectF((size.width() - w) / 2, (size.height() - h) / 2, w, h)
        dpr = self.devicePixelRatioF()
        image = QImage(max(1, int(size.width() * dpr)), max(1, int(size.height() * dpr)),
                       QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(dpr)
        palette = scene.palette
        image.fill(QColor(palette.background))
        painter = QPainter(image)
        painter.translate(target.left(), target.top())
        painter.scale(ratio, ratio)
        painter.translate(-source.left(), -source.top())
        for kind in ("vnet", "subnet"):
            c = palette.kind_color(kind)
            fill = QColor(c)
            fill.setAlpha(palette.container_fill_alpha * 2)
            pen = QPen(c)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.setBrush(QBrush(fill))
            painter.drawRects(boxes.get(kind, []))
        line_colour = color(palette.text_muted)
        line_colour.setAlpha(110)
        pen = QPen(line_colour)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.drawLines(lines)
        painter.setPen(Qt.PenStyle.NoPen)
        for kind, rects in tiles.items():
            painter.setBrush(QBrush(palette.kind_color(kind)))
            painter.drawRects(rects)
        painter.end()
        self._pixmap = QPixmap.fromImage(image)
        self._source, self._target = source, target
        self.renders += 1
        self.update()

    # ------------------------------------------------------------------ mapping, painting
    def _to_overview(self, p: QPointF) -> QPointF:
        s, t = self._source, self._target
        return QPointF(t.left() + (p.x() - s.left()) * t.width() / s.width(),
                       t.top() + (p.y() - s.top()) * t.height() / s.height())

    def _to_scene(self, p: QPointF) -> QPointF:
        s, t = self._source, self._target
        return QPointF(s.left() + (p.x() - t.left()) * s.width() / max(t.width(), 1e-9),
                       s.top() + (p.y() - t.top()) * s.height() / max(t.height(), 1e-9))

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        scene = self.view.scene()
        painter.fillRect(self.rect(), QColor(scene.palette.background))
        if self._pixmap is not None and not self._source.isEmpty():
            painter.drawPixmap(0, 0, self._pixmap)
            visible = self.view.visible_scene_rect()
            a, b = self._to_overview(visible.topLeft()), self._to_overview(visible.bottomRight())
            pen = QPen(QColor(scene.palette.selection))
            pen.setWidthF(1.5)
            painter.setPen(pen)
            fill = QColor(scene.palette.selection)
            fill.setAlpha(30)
            painter.setBrush(fill)
            painter.drawRect(QRectF(a, b).intersected(QRectF(self.rect()).adjusted(1, 1, -1, -1)))
        painter.setPen(QColor(scene.palette.tile_border))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.end()

    def _go(self, pos: QPointF) -> None:
        if self._source.isEmpty():
            return
        self.view.centerOn(self._to_scene(pos))
        self.update()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._go(event.position())

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._go(event.position())
