"""Presentation mode: full screen, toolbars, menus and docks hidden, larger text - the chrome,
the diagram's names and the live gauges - and the time controls with the speed as an overlay on
the canvas, for demos on a projector.

The diagram is fitted into the part of the canvas the overlays leave free (under the banner,
above the control bar), when the mode is entered and whenever the canvas or the banner changes
size, so generators, endpoints and NSGs stay on screen and nothing hides under the controls.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, QRect, QRectF, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDockWidget, QGraphicsSimpleTextItem, QToolBar

#: how much larger the chrome's text gets
FONT_SCALE = 1.35
#: the diagram's names and the gauges grow so that names are about this tall on screen
#: (pixels), by a factor within DIAGRAM_TEXT_SCALE
TEXT_ON_SCREEN_PX = 15.0
DIAGRAM_TEXT_SCALE = (1.2, 1.6)
#: the diagram's name size the factor applies to (canvas items: 12 px names)
NAME_PX = 12.0
#: free space kept around the fitted diagram (viewport pixels)
MARGIN_PX = 16
#: the largest zoom a fit uses (a tiny diagram is not blown up)
MAX_FIT_ZOOM = 1.6
#: the text parts of node and box items that are scaled (attribute names)
TEXT_PARTS = ("label", "detail", "title", "subtitle")


def free_rect(view, banner=None, controls=None) -> QRect:
    """The part of ``view``'s viewport the banner (top) and the control bar (bottom) leave."""
    area = view.viewport().rect()
    top = area.top() + MARGIN_PX
    bottom = area.bottom() - MARGIN_PX
    if banner is not None and banner.isVisible():
        top = max(top, banner.geometry().bottom() + MARGIN_PX)
    if controls is not None and controls.isVisible():
        bottom = min(bottom, controls.geometry().top() - MARGIN_PX)
    left, right = area.left() + MARGIN_PX, area.right() - MARGIN_PX
    return QRect(left, top, max(right - left, 10), max(bottom - top, 10))


def fit_into(view, rect: QRectF, target: QRect, max_zoom: float = MAX_FIT_ZOOM) -> float:
    """Zoom and scroll ``view`` so that the scene rectangle ``rect`` fills the viewport
    rectangle ``target``, centred in it.  Returns the zoom."""
    if rect.isEmpty() or target.isEmpty():
        return view.zoom_factor()
    zoom = min(target.width() / rect.width(), target.height() / rect.height(), max_zoom)
    view.set_zoom(zoom, rect.center())
    zoom = view.zoom_factor()
    viewport = view.viewport().rect()
    # the scene point at the viewport's centre that puts rect's centre at target's centre
    shift = QPointF(target.center() - viewport.center()) / zoom
    centre = rect.center() - shift
    w, h = viewport.width() / zoom, viewport.height() / zoom
    needed = QRectF(centre.x() - w / 2, centre.y() - h / 2, w, h)
    extend = getattr(view, "_extend_scroll_area", None)
    if extend is not None:
        extend(needed)       # the view keeps room to scroll around what it shows
    elif not view.sceneRect().contains(needed):
        view.setSceneRect(view.sceneRect().united(needed))
    view.centerOn(centre)
    return zoom


def scale_diagram_text(scene, factor: float, originals: dict) -> None:
    """Scale the names and detail lines of every node and box by ``factor`` (1.0: restore
    ``originals``, which this fills on the way up)."""
    for item in scene.all_node_items():
        changed = False
        for part in TEXT_PARTS:
            text = getattr(item, part, None)
            if not isinstance(text, QGraphicsSimpleTextItem):
                continue
            key = (item.node_id, part)
            if factor == 1.0:
                font = originals.get(key)
                if font is None:
                    continue
            else:
                font = originals.setdefault(key, text.font())
                font = type(font)(font)
                font.setPixelSize(max(1, round(font.pixelSize() * factor)))
            text.setFont(font)
            changed = True
        if changed:
            _relayout(item)
    if factor == 1.0:
        originals.clear()


def _relayout(item) -> None:
    layout = getattr(item, "_layout_labels", None)
    if layout is not None:           # a node: name and detail centred under the tile
        layout()
        return
    title, subtitle = getattr(item, "title", None), getattr(item, "subtitle", None)
    if title is not None and subtitle is not None:   # a box: the subtitle follows the title
        tr = title.boundingRect()
        subtitle.setPos(title.pos().x() + tr.width() + 8,
                        title.pos().y() + tr.height() - subtitle.boundingRect().height() - 1)


class PresentationMode(QObject):
    def __init__(self, window, live):
        super().__init__(window)
        self.window = window
        self.live = live
        self.active = False
        self._state = None
        self._menu_visible = True
        self._was_maximized = False
        self._font = None
        self._hidden: list = []
        self._fonts: dict = {}
        self._scene = None
        self._bars = None
        self._fitting = False
        #: the factor the diagram's names and gauges are drawn at now
        self.text_scale = 1.0
        self._watched: list = []
        self.fits = 0
        self.fit_timer = QTimer(self)
        self.fit_timer.setObjectName("presentation-fit")
        self.fit_timer.setSingleShot(True)
        self.fit_timer.setInterval(0)
        self.fit_timer.timeout.connect(self.fit)

    def set_active(self, on: bool) -> None:
        if on == self.active:
            return
        w = self.window
        if on:
            self._state = w.saveState()
            self._was_maximized = w.isMaximized()
            self._menu_visible = w.menuBar().isVisible()
            self._hidden = [x for x in w.findChildren(QToolBar) + w.findChildren(QDockWidget)
                            if x.isVisible() and x.parentWidget() is w]
            for x in self._hidden:
                x.hide()
            w.menuBar().hide()
            w.statusBar().hide()
            app = QApplication.instance()
            self._font = app.font()
            bigger = app.font()
            bigger.setPointSizeF(bigger.pointSizeF() * FONT_SCALE)
            app.setFont(bigger)
            self.active = True
            self._scrollbars(True)
            w.showFullScreen()
            self.live.show_canvas_controls(True)
            self._watch(True)
            if w.view is not None:
                w.view.setFocus()
            self.schedule_fit()
        else:
            self.active = False
            self._watch(False)
            self.fit_timer.stop()
            self.live.show_canvas_controls(False)
            self._scale_diagram(1.0)
            self._scrollbars(False)
            if self._font is not None:
                QApplication.instance().setFont(self._font)
            w.menuBar().setVisible(self._menu_visible)
            w.statusBar().show()
            for x in self._hidden:
                x.show()
            if self._state is not None:
                w.restoreState(self._state)
            if self._was_maximized:
                w.showMaximized()
            else:
                w.showNormal()
            QTimer.singleShot(50, self.window, self._fit_whole_view)

    # ---------------------------------------------------------------- scaling
    def _scale_diagram(self, factor: float) -> None:
        """Names and gauges ``factor`` times larger (1.0: as drawn in the editor)."""
        scene = self.window.scene
        if factor != 1.0 and self._scene is None:
            self._scene = scene
        if scene is not None and scene is self._scene and factor != self.text_scale:
            if self.text_scale != 1.0:
                scale_diagram_text(scene, 1.0, self._fonts)
            if factor != 1.0:
                scale_diagram_text(scene, factor, self._fonts)
        self.text_scale = factor
        if self.live.overlay is not None:
            self.live.overlay.set_gauge_scale(factor)
        if factor == 1.0:
            self._scene = None

    def _scrollbars(self, hide: bool) -> None:
        """No scroll bars on a projector (they come back when the mode is left)."""
        view = self.window.view
        if view is None:
            return
        if hide:
            self._bars = (view.horizontalScrollBarPolicy(), view.verticalScrollBarPolicy())
            view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        elif self._bars is not None:
            view.setHorizontalScrollBarPolicy(self._bars[0])
            view.setVerticalScrollBarPolicy(self._bars[1])
            self._bars = None

    # ---------------------------------------------------------------- fitting
    def _watch(self, on: bool) -> None:
        """Refit when the canvas, the banner or the control bar changes size."""
        for widget in self._watched:
            widget.removeEventFilter(self)
        self._watched = []
        if on and self.window.view is not None:
            live = self.live
            self._watched = [x for x in (self.window.view.viewport(), live.banner, live.controls)
                             if x is not None]
            for widget in self._watched:
                widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if not self.active or self._fitting:
            return False
        kind = event.type()
        if kind == QEvent.Type.Resize and event.size() != event.oldSize():
            if watched is self.window.view.viewport():
                self.live.show_canvas_controls(True)    # re-centred for the new width
            self.schedule_fit()
        elif kind in (QEvent.Type.Show, QEvent.Type.Hide) and watched is self.live.banner:
            self.schedule_fit()
        return False

    def schedule_fit(self) -> None:
        """Fit after the pending layout and the window's own resize handling have run."""
        if self.active:
            self.fit_timer.start()

    def free_rect(self) -> QRect:
        return free_rect(self.window.view, self.live.banner, self.live.controls)

    def fit(self) -> None:
        view = self.window.view
        if not self.active or view is None or self.window.isHidden():
            return
        self._fitting = True
        try:
            self._fit(view)
        finally:
            self._fitting = False
        self.fits += 1

    def _fit(self, view) -> None:
        # the names' size depends on the zoom, and the fit on the names' size: fit, scale the
        # names, fit again - and always end on a fit, or the last scaling's longer names
        # (resolver1.opendns.com at the right edge) stick out of the view
        def fit_diagram() -> float:
            # names as drawn at the current zoom, and room for the (scaled) gauges over the
            # top row of nodes
            rect = view.diagram_scene().items_bounding_rect(view.zoom_factor())
            return fit_into(view, rect.adjusted(-20, -40, 20, 20), self.free_rect())
        low, high = DIAGRAM_TEXT_SCALE
        for _ in range(2):
            zoom = fit_diagram()
            factor = round(min(max(TEXT_ON_SCREEN_PX / (NAME_PX * zoom), low), high), 2)
            if factor == self.text_scale:
                return
            self._scale_diagram(factor)
        fit_diagram()

    def _fit_whole_view(self) -> None:
        view = self.window.view
        if view is not None and not self.window.isHidden() and not self.active:
            view.fit_all()

    def document_changed(self) -> None:
        """The window shows another document (presentation mode was left first)."""
        self._watch(False)
