"""Small painted icons for toolbar actions that Qt's standard icons do not cover (zoom, fit,
grid, snap, layout).  Drawn with QPainter in the palette's text colour, so they follow the
theme and need no icon font or file."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap


def painted_icon(name: str, colour: QColor) -> QIcon:
    size = 32
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.Antialiasing)
    pen = QPen(colour, 2.4, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin)
    p.setPen(pen)
    if name in ("zoom-in", "zoom-out", "zoom-selection", "zoom-reset"):
        p.drawEllipse(QRectF(5, 5, 16, 16))
        p.drawLine(QPointF(19, 19), QPointF(27, 27))
        if name in ("zoom-in", "zoom-out"):
            p.drawLine(QPointF(9, 13), QPointF(17, 13))
        if name == "zoom-in":
            p.drawLine(QPointF(13, 9), QPointF(13, 17))
        if name == "zoom-selection":
            p.setPen(QPen(colour, 1.6, Qt.DashLine))
            p.drawRect(QRectF(9, 9, 8, 8))
        if name == "zoom-reset":
            font = p.font()
            font.setPixelSize(9)
            font.setBold(True)
            p.setFont(font)
            p.drawText(QRectF(5, 5, 16, 16), Qt.AlignCenter, "1:1")
    elif name == "fit":
        for x, y, dx, dy in ((4, 4, 1, 1), (28, 4, -1, 1), (4, 28, 1, -1), (28, 28, -1, -1)):
            p.drawLine(QPointF(x, y), QPointF(x + 7 * dx, y))
            p.drawLine(QPointF(x, y), QPointF(x, y + 7 * dy))
        p.drawRect(QRectF(11, 11, 10, 10))
    elif name == "grid":
        p.setPen(QPen(colour, 1.6))
        for i in (6, 13, 20, 27):
            p.drawLine(QPointF(i, 4), QPointF(i, 28))
            p.drawLine(QPointF(4, i), QPointF(28, i))
    elif name == "snap":
        p.setPen(QPen(colour, 1.4))
        for i in (6, 16, 26):
            for j in (6, 16, 26):
                p.drawPoint(QPointF(i, j))
        p.setPen(pen)
        p.drawRect(QRectF(6, 6, 10, 10))
    elif name == "layout":
        for x, y in ((16, 5), (7, 25), (25, 25)):
            p.drawEllipse(QRectF(x - 3.5, y - 3.5, 7, 7))
        p.drawLine(QPointF(14, 9), QPointF(9, 21))
        p.drawLine(QPointF(18, 9), QPointF(23, 21))
    elif name in ("undo", "redo"):
        from PySide6.QtGui import QPainterPath
        path = QPainterPath()
        if name == "undo":
            path.moveTo(26, 24)
            path.cubicTo(26, 12, 16, 9, 7, 13)
            p.drawPath(path)
            p.drawLine(QPointF(7, 13), QPointF(12, 6))
            p.drawLine(QPointF(7, 13), QPointF(14, 16))
        else:
            path.moveTo(6, 24)
            path.cubicTo(6, 12, 16, 9, 25, 13)
            p.drawPath(path)
            p.drawLine(QPointF(25, 13), QPointF(20, 6))
            p.drawLine(QPointF(25, 13), QPointF(18, 16))
    elif name == "delete":
        p.drawLine(QPointF(6, 8), QPointF(26, 8))
        p.drawLine(QPointF(13, 8), QPointF(13, 5))
        p.drawLine(QPointF(13, 5), QPointF(19, 5))
        p.drawLine(QPointF(19, 5), QPointF(19, 8))
        p.drawRoundedRect(QRectF(9, 8, 14, 19), 2, 2)
        p.drawLine(QPointF(14, 13), QPointF(14, 22))
        p.drawLine(QPointF(18, 13), QPointF(18, 22))
    elif name == "connect":
        p.drawEllipse(QRectF(3, 19, 10, 10))
        p.drawRoundedRect(QRectF(19, 3, 10, 10), 2, 2)
        p.drawLine(QPointF(11, 21), QPointF(20, 12))
        p.drawLine(QPointF(20, 12), QPointF(14.5, 12.5))
        p.drawLine(QPointF(20, 12), QPointF(19.5, 17.5))
    elif name == "duplicate":
        p.drawRoundedRect(QRectF(5, 5, 15, 15), 2, 2)
        p.drawRoundedRect(QRectF(12, 12, 15, 15), 2, 2)
    p.end()
    return QIcon(pixmap)
