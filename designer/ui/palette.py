"""The palette: every node kind with its icon and name, searchable; drag a kind onto the
canvas (MIME ``application/x-outbound-designer-kind``, payload = the kind in UTF-8) or
double-click it to place one at the centre of the view."""
from __future__ import annotations

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QLineEdit, QListWidget, QListWidgetItem,
                               QVBoxLayout, QWidget)

from ..model import COMPONENT_CLASSES, NODE_KINDS
from .canvas import KIND_MIME
KIND_ROLE = Qt.UserRole + 1

#: search words beyond the label (what people type when they look for a kind)
KEYWORDS = {
    "vm": "virtual machine vm server instance nic",
    "load_balancer": "load balancer lb slb backend pool frontend rule",
    "public_ip": "public ip pip address frontend",
    "nsg": "network security group nsg firewall rule",
    "subnet": "subnet container box",
    "vnet": "virtual network vnet container address space",
    "nat_gateway": "nat gateway snat outbound",
    "endpoint": "internet endpoint destination server whatismyip",
    "traffic_generator": "traffic generator load flows connections",
}


def kind_icon(kind: str) -> QIcon:
    """The kind's SVG glyph from the bundled icons, or a neutral lettered tile when the icon
    file is missing (an installation without resources still shows every kind)."""
    try:
        from ..resources import icons_dir
        path = icons_dir() / f"{kind}.svg"
        if path.is_file():
            icon = QIcon(str(path))
            if not icon.isNull():
                return icon
    except FileNotFoundError:
        pass
    return _fallback_icon(kind)


def _fallback_icon(kind: str) -> QIcon:
    pixmap = QPixmap(64, 64)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setPen(Qt.NoPen)
    painter.setBrush(QColor("#5b7083"))
    painter.drawRoundedRect(4, 4, 56, 56, 10, 10)
    painter.setPen(QColor("#ffffff"))
    font = QFont()
    font.setPixelSize(22)
    font.setBold(True)
    painter.setFont(font)
    initials = "".join(word[0] for word in COMPONENT_CLASSES[kind].LABEL.split()[:2]).upper()
    painter.drawText(pixmap.rect(), Qt.AlignCenter, initials)
    painter.end()
    return QIcon(pixmap)


class _KindList(QListWidget):
    def mimeTypes(self) -> list[str]:
        return [KIND_MIME]

    def mimeData(self, items) -> QMimeData:
        data = QMimeData()
        if items:
            data.setData(KIND_MIME, items[0].data(KIND_ROLE).encode("utf-8"))
        return data


class Palette(QWidget):
    """Emits ``placeRequested(kind)`` on double-click or Enter."""

    placeRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.search = QLineEdit(self)
        self.search.setObjectName("palette-search")
        self.search.setPlaceholderText("Search components…")
        self.search.setClearButtonEnabled(True)
        self.list = _KindList(self)
        self.list.setObjectName("palette-list")
        self.list.setIconSize(QSize(32, 32))
        self.list.setSpacing(2)
        self.list.setDragEnabled(True)
        self.list.setDragDropMode(QAbstractItemView.DragOnly)
        self.list.setSelectionMode(QAbstractItemView.SingleSelection)
        self.list.setUniformItemSizes(True)
        for kind in NODE_KINDS:
            cls = COMPONENT_CLASSES[kind]
            item = QListWidgetItem(kind_icon(kind), cls.LABEL)
            item.setData(KIND_ROLE, kind)
            item.setToolTip(f"{cls.LABEL}: drag onto the canvas, or double-click to place it "
                            f"at the centre")
            item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsDragEnabled)
            self.list.addItem(item)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        self.search.textChanged.connect(self.filter)
        self.search.returnPressed.connect(self._place_first_visible)
        self.list.itemDoubleClicked.connect(self._activated)

    def item_for(self, kind: str) -> QListWidgetItem:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(KIND_ROLE) == kind:
                return item
        raise KeyError(kind)

    def visible_kinds(self) -> list[str]:
        return [self.list.item(r).data(KIND_ROLE) for r in range(self.list.count())
                if not self.list.item(r).isHidden()]

    def filter(self, text: str) -> None:
        words = text.lower().split()
        for row in range(self.list.count()):
            item = self.list.item(row)
            kind = item.data(KIND_ROLE)
            haystack = f"{item.text()} {kind.replace('_', ' ')} {KEYWORDS.get(kind, '')}"
            vocabulary = haystack.lower().split()
            item.setHidden(not all(any(v.startswith(w) for v in vocabulary) for w in words))

    def _activated(self, item: QListWidgetItem) -> None:
        self.placeRequested.emit(item.data(KIND_ROLE))

    def _place_first_visible(self) -> None:
        kinds = self.visible_kinds()
        if kinds:
            self.placeRequested.emit(kinds[0])
