"""Presentation mode: full screen, toolbars, menus and docks hidden, larger text, and the time
controls with the speed as an overlay on the canvas - for demos on a projector."""
from __future__ import annotations

from PySide6.QtWidgets import QApplication, QDockWidget, QToolBar

#: how much larger text gets
FONT_SCALE = 1.35


class PresentationMode:
    def __init__(self, window, live):
        self.window = window
        self.live = live
        self.active = False
        self._state = None
        self._menu_visible = True
        self._was_maximized = False
        self._font = None
        self._hidden: list = []

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
            w.showFullScreen()
            self.active = True
            self.live.show_canvas_controls(True)
            if w.view is not None:
                w.view.fit_all()
                w.view.setFocus()
        else:
            self.active = False
            self.live.show_canvas_controls(False)
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
            if w.view is not None:
                w.view.fit_all()
