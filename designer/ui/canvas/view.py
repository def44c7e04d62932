"""The main editing view of the diagram (the overview is in ``overview.py``)."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeySequence, QPainter, QPixmap
from PySide6.QtWidgets import QGraphicsView, QToolTip, QWidget

from .interactions import PanInteraction
from .keyboard import handle_key
from .items import DETAIL_FULL, DETAIL_MINIMAL, DETAIL_REDUCED
from ..text import plain_tooltip
from .scene import DiagramScene
from .style import cosmetic_pen

#: palette drag-and-drop payload: the node kind, utf-8
KIND_MIME = "application/x-outbound-designer-kind"

MIN_ZOOM = 0.05
MAX_ZOOM = 8.0
#: zoom thresholds of the level of detail (labels and glyphs fade out when far away)
FULL_DETAIL_ZOOM = 0.6
REDUCED_DETAIL_ZOOM = 0.33


def detail_for_zoom(zoom: float) -> int:
    if zoom >= FULL_DETAIL_ZOOM:
        return DETAIL_FULL
    if zoom >= REDUCED_DETAIL_ZOOM:
        return DETAIL_REDUCED
    return DETAIL_MINIMAL


class DiagramView(QGraphicsView):
    zoomChanged = Signal(float)
    fileDropped = Signal(str)

    def __init__(self, scene: DiagramScene, parent: QWidget | None = None):
        super().__init__(scene, parent)
        self.setObjectName("diagram-view")
        self.setRenderHints(QPainter.RenderHint.Antialiasing |
                            QPainter.RenderHint.TextAntialiasing |
                            QPainter.RenderHint.SmoothPixmapTransform)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState, True)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        # the grid is redrawn only on zoom, scroll or style changes, not on every frame
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._pan: PanInteraction | None = None
        self._space = False
        self._own_scene_rect = False
        # far out, the whole diagram is on screen and a full repaint draws every item: keep
        # what was drawn in a pixmap and re-render only what the scene reports as changed
        self._cache: QPixmap | None = None
        self._cache_key: tuple | None = None
        self._cache_dirty: list[QRectF] = []
        #: whether _scene_changed listens to the scene's ``changed`` (only while the far-out
        #: cache is kept: every emission converts a list of rectangles, thousands in a drag)
        self._listening = False
        self._apply_detail()

    def diagram_scene(self) -> DiagramScene:
        return self.scene()  # type: ignore[return-value]

    # ------------------------------------------------------------------------- zoom
    def zoom_factor(self) -> float:
        return self.transform().m11()

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Zoom to ``zoom`` keeping the scene point ``anchor`` (default: the centre) still."""
        if zoom < MIN_ZOOM:
            zoom = max(zoom, self._zoom_floor())
        zoom = min(zoom, MAX_ZOOM)
        current = self.zoom_factor()
        if abs(zoom - current) < 1e-9:
            return
        if anchor is None:
            anchor = self.mapToScene(self.viewport().rect().center())
        view_point = self.mapFromScene(anchor)
        old_anchor = self.transformationAnchor()
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.scale(zoom / current, zoom / current)
        # keep the anchor under the same viewport pixel
        h, v = self.horizontalScrollBar(), self.verticalScrollBar()
        moved = self.mapFromScene(anchor) - view_point
        h.setValue(h.value() + moved.x())
        v.setValue(v.value() + moved.y())
        self.setTransformationAnchor(old_anchor)
        self._zoom_changed()

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom_factor() * 1.25)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom_factor() / 1.25)

    def reset_zoom(self) -> None:
        self.set_zoom(1.0)

    def _zoom_changed(self) -> None:
        self._apply_detail()
        self.zoomChanged.emit(self.zoom_factor())

    def _apply_detail(self) -> None:
        scene = self.scene()
        if isinstance(scene, DiagramScene):
            level = detail_for_zoom(self.zoom_factor())
            if level != scene.detail_level:
                scene.set_detail_level(level)
            scene.set_text_zoom(self.zoom_factor())
            # far out, thousands of one-pixel shapes: antialiasing costs more than it shows
            self.setRenderHint(QPainter.RenderHint.Antialiasing, level != DETAIL_MINIMAL)

    def fit_rect(self, rect: QRectF, max_zoom: float = 1.5) -> None:
        if rect.isEmpty():
            return
        margin = 40.0
        rect = rect.adjusted(-margin, -margin, margin, margin)
        # the scene's growing rect is refreshed lazily: make sure the scroll range covers the
        # target now (right after a layout the items may sit outside the old range)
        self.scene().sceneRect()
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom_factor() > max_zoom:
            self.set_zoom(max_zoom, rect.center())
        # no lower limit: a fit shows the whole diagram, however big
        # room to scroll so that the target can sit in the middle, whatever the scene's
        # (never shrinking) rectangle says
        zoom = self.zoom_factor()
        w, h = self.viewport().width() / zoom, self.viewport().height() / zoom
        c = rect.center()
        self._extend_scroll_area(QRectF(c.x() - w / 2, c.y() - h / 2, w, h))
        self.centerOn(c)
        self._zoom_changed()

    def _zoom_floor(self) -> float:
        """How far out one may zoom: MIN_ZOOM, or further when that is what it takes to see
        the whole diagram."""
        rect = self.diagram_scene().items_bounding_rect().adjusted(-40, -40, 40, 40)
        viewport = self.viewport()
        if rect.isEmpty():
            return MIN_ZOOM
        fits = min(viewport.width() / rect.width(), viewport.height() / rect.height())
        return min(MIN_ZOOM, fits)

    def _extend_scroll_area(self, needed: QRectF) -> None:
        """Make ``needed`` scrollable, with a viewport's worth of room around it: then the
        scroll bars stay on and a fit does not resize the viewport it was fitted to (which
        would ask for another fit)."""
        if self.sceneRect().contains(needed):
            return
        if not self._own_scene_rect:
            self._own_scene_rect = True
            self.scene().sceneRectChanged.connect(self._scene_rect_changed)
        room = needed.adjusted(-needed.width(), -needed.height(), needed.width(), needed.height())
        self.setSceneRect(self.sceneRect().united(self.scene().sceneRect()).united(room))

    def _scene_rect_changed(self, rect: QRectF) -> None:
        self.setSceneRect(self.sceneRect().united(rect))

    def fit_all(self) -> None:
        scene = self.diagram_scene()
        self.fit_rect(scene.items_bounding_rect())
        # again with the names as drawn at the zoom just chosen (far out they keep their
        # size on screen, so they reach further into the scene than at 100 %)
        self.fit_rect(scene.items_bounding_rect(self.zoom_factor()))

    def zoom_to_selection(self) -> None:
        scene = self.diagram_scene()
        rect = QRectF()
        for item in scene.selectedItems():
            rect = rect.united(item.sceneBoundingRect())
        if rect.isEmpty():
            self.fit_all()
        else:
            self.fit_rect(rect, max_zoom=2.0)

    def wheelEvent(self, event) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y() / 120.0
            if steps:
                anchor = self.mapToScene(event.position().toPoint())
                self.set_zoom(self.zoom_factor() * (1.2 ** steps), anchor)
            event.accept()
            return
        super().wheelEvent(event)

    # ------------------------------------------------------------------- keyboard
    def focusNextPrevChild(self, next: bool) -> bool:
        # Tab and Shift+Tab move between nodes (keyboard.py), not to the next widget
        return False

    def keyPressEvent(self, event) -> None:
        if handle_key(self, event):
            event.accept()
            return
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        if event.matches(QKeySequence.StandardKey.ZoomIn) or \
                (event.key() == Qt.Key.Key_Plus and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            self.zoom_in()
            return
        if event.matches(QKeySequence.StandardKey.ZoomOut):
            self.zoom_out()
            return
        if event.key() == Qt.Key.Key_0 and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.reset_zoom()
            return
        if event.key() == Qt.Key.Key_F and not event.modifiers():
            self.fit_all()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            if self._pan is None:
                self.viewport().unsetCursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    # ------------------------------------------------------------------------ panning
    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.MiddleButton or \
                (event.button() == Qt.MouseButton.LeftButton and self._space):
            self._pan = PanInteraction(self, event.position().toPoint())
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._pan is not None:
            self._pan.move(event.position().toPoint())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._pan is not None:
            self._pan.finish()
            self._pan = None
            if self._space:
                self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    # ----------------------------------------------------------------- drag and drop
    def _acceptable(self, mime) -> bool:
        if mime.hasFormat(KIND_MIME):
            return True
        return mime.hasUrls() and any(u.isLocalFile() and u.toLocalFile().endswith(".json")
                                      for u in mime.urls())

    def dragEnterEvent(self, event) -> None:
        if self._acceptable(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        mime = event.mimeData()
        if self._acceptable(mime):
            event.acceptProposedAction()
            self._show_drop_box(mime, event.position().toPoint())
        else:
            event.ignore()

    def dragLeaveEvent(self, event) -> None:
        self._show_drop_box(None, None)
        event.accept()

    def _show_drop_box(self, mime, pos) -> None:
        """While a VM (subnet) from the palette hovers a subnet (VNet) box, light the box up:
        dropping there puts the new node in it."""
        box = None
        if mime is not None and mime.hasFormat(KIND_MIME):
            kind = bytes(mime.data(KIND_MIME)).decode("utf-8").strip()
            if kind in ("vm", "subnet"):
                box = self.diagram_scene().container_at(
                    self.mapToScene(pos), "subnet" if kind == "vm" else "vnet")
        previous = getattr(self, "_drop_box", None)
        if previous is not box:
            if previous is not None and previous.scene() is not None:
                previous.set_highlight(None)
            if box is not None:
                box.set_highlight("drop")
            self._drop_box = box

    def dropEvent(self, event) -> None:
        self._show_drop_box(None, None)
        mime = event.mimeData()
        if mime.hasFormat(KIND_MIME):
            kind = bytes(mime.data(KIND_MIME)).decode("utf-8").strip()
            scene_pos = self.mapToScene(event.position().toPoint())
            from ...model import COMPONENT_CLASSES
            if kind not in COMPONENT_CLASSES:
                self.diagram_scene().statusMessage.emit(f"Unknown component kind {kind!r}")
                event.ignore()
                return
            self.diagram_scene().place_node(kind, scene_pos)
            event.acceptProposedAction()
            self.setFocus()
            return
        for url in mime.urls():
            if url.isLocalFile() and url.toLocalFile().endswith(".json"):
                event.acceptProposedAction()
                self.fileDropped.emit(url.toLocalFile())
                return
        event.ignore()

    # ------------------------------------------------------------------ painting cache
    def _scene_changed(self, regions) -> None:
        if self._cache is not None:
            self._cache_dirty.extend(regions)

    def _listen(self, on: bool) -> None:
        if on != self._listening:
            self._listening = on
            if on:
                self.scene().changed.connect(self._scene_changed)
            else:
                self.scene().changed.disconnect(self._scene_changed)

    def _cache_wanted(self) -> bool:
        scene = self.scene()
        return (isinstance(scene, DiagramScene) and scene.detail_level == DETAIL_MINIMAL
                and scene.interaction is None and not scene.export_mode
                and self._pan is None and self.rubberBandRect().isNull())

    def _render_into(self, pixmap: QPixmap, rects: list[QRect]) -> None:
        painter = QPainter(pixmap)
        painter.setRenderHints(self.renderHints())
        area = self.viewport().rect()
        for rect in rects:
            rect = rect.intersected(area)
            if rect.isEmpty():
                continue
            painter.save()
            painter.setClipRect(rect)
            self.render(painter, QRectF(rect), rect)
            painter.restore()
        painter.end()

    def paintEvent(self, event) -> None:
        if not self._cache_wanted():
            self._cache = None
            self._listen(False)
            super().paintEvent(event)
            return
        viewport = self.viewport()
        dpr = viewport.devicePixelRatioF()
        key = (self.transform(), self.horizontalScrollBar().value(),
               self.verticalScrollBar().value(), viewport.size(), dpr)
        if self._cache is None or key != self._cache_key:
            pixmap = QPixmap(viewport.size() * dpr)
            pixmap.setDevicePixelRatio(dpr)
            self._render_into(pixmap, [viewport.rect()])
            self._cache, self._cache_key = pixmap, key
            self._cache_dirty = []
            self._listen(True)
        elif self._cache_dirty:
            # one render of the changed area (each render call walks every item)
            area = QRect()
            for r in self._cache_dirty:
                area = area.united(self.mapFromScene(r).boundingRect().adjusted(-3, -3, 3, 3))
            self._render_into(self._cache, [area])
        self._cache_dirty = []
        painter = QPainter(viewport)
        painter.drawPixmap(0, 0, self._cache)
        painter.end()

    # ------------------------------------------------------------- static layer (drags)
    _static: QPixmap | None = None
    _static_key: tuple | None = None
    _drop_rect: QRectF | None = None

    def _view_key(self) -> tuple:
        viewport = self.viewport()
        return (self.transform(), self.horizontalScrollBar().value(),
                self.verticalScrollBar().value(), viewport.size(),
                viewport.devicePixelRatioF())

    def capture_static_layer(self) -> None:
        """Render what is visible now into the pixmap drawn as the background while a drag
        runs (the scene hides the still items right after; see draglayer.py)."""
        viewport = self.viewport()
        dpr = viewport.devicePixelRatioF()
        pixmap = QPixmap(viewport.size() * dpr)
        pixmap.setDevicePixelRatio(dpr)
        self._cache = None
        self._render_into(pixmap, [viewport.rect()])
        self._static, self._static_key = pixmap, self._view_key()
        self.resetCachedContent()
        viewport.update()

    def drop_static_layer(self) -> None:
        self._static = None
        self._drop_rect = None
        self.resetCachedContent()
        self.viewport().update()

    def show_drop_box(self, rect: QRectF | None) -> None:
        """The box a dragged VM or subnet would join (drawn over the static layer)."""
        if self._static is not None:
            self._drop_rect = rect
            self.viewport().update()

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        if self._static is not None:
            if self._view_key() == self._static_key:
                painter.save()
                painter.resetTransform()
                painter.drawPixmap(0, 0, self._static)
                painter.restore()
                return
            # scrolled or zoomed during the drag: paint normally from the next frame on
            self._static = None
            QTimer.singleShot(0, self.diagram_scene().static_layer.end)
        super().drawBackground(painter, rect)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        super().drawForeground(painter, rect)
        if self._static is not None and self._drop_rect is not None:
            palette = self.diagram_scene().palette
            fill = QColor(palette.valid_target)
            fill.setAlpha(40)
            painter.setBrush(fill)
            painter.setPen(cosmetic_pen(palette.valid_target, 3.0))
            painter.drawRoundedRect(self._drop_rect, 8, 8)

    # ------------------------------------------------------------------------ tooltips
    def viewportEvent(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            scene = self.diagram_scene()
            pos = self.mapToScene(event.pos())
            for item in scene.items(pos, Qt.ItemSelectionMode.IntersectsItemShape,
                                    Qt.SortOrder.DescendingOrder, self.transform()):
                if item.toolTip():  # badges, handles and grips carry their own
                    return super().viewportEvent(event)
                text = item.tooltip_text() if hasattr(item, "tooltip_text") else ""
                if text:
                    QToolTip.showText(event.globalPos(), plain_tooltip(text), self.viewport())
                    return True
            QToolTip.hideText()
            return True
        return super().viewportEvent(event)

    # ------------------------------------------------------------------------ renaming
    #: the open name editor (rename.py), if any
    renaming = None

    def rename(self, node_id: str | None = None) -> bool:
        """Edit a node's name on the canvas (the selected node by default)."""
        scene = self.diagram_scene()
        if node_id is None:
            ids = scene.selected_node_ids()
            if len(ids) != 1:
                scene.statusMessage.emit("Select one item to rename it")
                return False
            node_id = ids[0]
        item = scene.node_item(node_id)
        if item is None:
            return False
        if self.renaming is not None:
            self.renaming.commit()
        self.ensureVisible(item.sceneBoundingRect(), 40, 40)
        from .rename import InlineRename
        self.renaming = InlineRename(self, node_id)
        return True

    def on_caption(self, item, scene_pos: QPointF) -> bool:
        """Whether ``scene_pos`` is on the item's name (drawn at any size, see items.py)."""
        caption = item.caption
        if caption is None or not caption.isVisible():
            return False
        drawn = caption.deviceTransform(self.viewportTransform()).mapRect(
            caption.boundingRect() | caption.childrenBoundingRect()).adjusted(-4, -4, 4, 4)
        return drawn.contains(QPointF(self.mapFromScene(scene_pos)))

    # ------------------------------------------------------------------------ helpers
    def visible_scene_rect(self) -> QRectF:
        return self.mapToScene(self.viewport().rect()).boundingRect()

