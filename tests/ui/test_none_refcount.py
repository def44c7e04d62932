"""Guard against the PySide6 6.12.0 + CPython 3.11 ``none_dealloc`` crash.

That build drops a reference to ``None`` on every wrapped void call (setPos, setPen, ...) and
twice per Python ``paint()`` override; after a few thousand calls CPython deallocates None
and aborts (perf-baselines.md, gotcha 1).  On a good build the refcount of None does not fall.
On Python >= 3.12 None is immortal and its refcount is a constant, so the test still holds.
"""
from __future__ import annotations

import sys

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene


class PaintedItem(QGraphicsItem):
    def __init__(self):
        super().__init__()
        self.paints = 0

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, 20, 20)

    def paint(self, painter, option, widget=None) -> None:
        self.paints += 1
        painter.setPen(QColor("#336699"))
        painter.drawRect(self.boundingRect())


def test_none_refcount_does_not_fall_under_painting_and_setpos(qapp):
    scene = QGraphicsScene(0, 0, 200, 200)
    item = PaintedItem()
    scene.addItem(item)
    image = QImage(64, 64, QImage.Format_ARGB32_Premultiplied)
    # warm up caches so that one-time allocations do not count
    for _ in range(50):
        painter = QPainter(image)
        scene.render(painter)
        painter.end()
    before = sys.getrefcount(None)
    renders = 5000
    for i in range(renders):
        item.setPos(i % 100, (i * 7) % 100)
        painter = QPainter(image)
        scene.render(painter)
        painter.end()
    after = sys.getrefcount(None)
    assert item.paints >= renders
    # a broken build loses >= 3 references per iteration (setPos + 2 per paint): 15,000 here
    assert after >= before - 100, (
        f"None lost {before - after} references over {renders} renders: this PySide6 build "
        f"has the none_dealloc bug (use PySide6 < 6.12 on Python 3.11)")
