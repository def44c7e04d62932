"""The Event log dock (time-stamped simulation events, filterable by kind and node; a click
selects the node) and the alert banner shown on the canvas when a VM starts failing flows."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFrame, QHBoxLayout, QHeaderView,
                               QLabel, QLineEdit, QTableWidget, QTableWidgetItem, QToolButton,
                               QVBoxLayout, QWidget)

#: rows kept (oldest dropped first)
MAX_ROWS = 5000
#: what each engine event kind is called in the log
KIND_LABELS = {
    "snat_exhausted": "SNAT exhausted",
    "snat_recovered": "SNAT recovered",
    "flows_failing": "Flows failing",
    "probe_down": "Probe down (out of rotation)",
    "probe_up": "Probe up",
    "all_backends_down": "All backends down",
    "nsg_denied": "NSG denied (first)",
    "ports_revoked": "SNAT ports revoked",
    "ports_short": "SNAT ports short",
}
SEVERE = {"snat_exhausted", "flows_failing", "probe_down", "all_backends_down", "nsg_denied",
          "ports_revoked", "ports_short"}
NODE_FIELDS = ("vm", "lb", "generator", "nsg", "nat")


def clock_text(t: float) -> str:
    """Simulated time as mm:ss (h:mm:ss from an hour)."""
    t = max(t, 0.0)
    h, rest = divmod(int(t), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def event_node(event: dict) -> str | None:
    for f in NODE_FIELDS:
        if event.get(f):
            return str(event[f])
    return None


def event_detail(event: dict) -> str:
    skip = {"t", "kind", event_node_field(event)}
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in event.items()
                     if k not in skip and v is not None)


def event_node_field(event: dict) -> str | None:
    for f in NODE_FIELDS:
        if event.get(f):
            return f
    return None


class EventLog(QWidget):
    nodeSelected = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("event-log")
        self.events: list[dict] = []
        self.kind_filter = QComboBox()
        self.kind_filter.setObjectName("event-log-kind")
        self.kind_filter.addItem("All kinds", None)
        for kind, label in KIND_LABELS.items():
            self.kind_filter.addItem(label, kind)
        self.node_filter = QLineEdit()
        self.node_filter.setObjectName("event-log-node")
        self.node_filter.setPlaceholderText("Filter by node…")
        self.node_filter.setClearButtonEnabled(True)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("event-log-table")
        self.table.setHorizontalHeaderLabels(["Time", "Event", "Node", "Detail"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        for col in range(3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.cellClicked.connect(self._clicked)
        bar = QHBoxLayout()
        bar.addWidget(self.kind_filter)
        bar.addWidget(self.node_filter, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self.kind_filter.currentIndexChanged.connect(self._refilter)
        self.node_filter.textChanged.connect(self._refilter)

    def clear(self) -> None:
        self.events.clear()
        self.table.setRowCount(0)

    def kinds(self) -> list[str]:
        return [e["kind"] for e in self.events]

    def _matches(self, event: dict) -> bool:
        kind = self.kind_filter.currentData()
        if kind is not None and event["kind"] != kind:
            return False
        text = self.node_filter.text().strip().lower()
        if text:
            nodes = " ".join(str(event.get(f, "")) for f in NODE_FIELDS).lower()
            if text not in nodes:
                return False
        return True

    def add_events(self, events) -> None:
        if not events:
            return
        self.events.extend(events)
        if len(self.events) > MAX_ROWS:
            del self.events[:len(self.events) - MAX_ROWS]
        shown = [e for e in events if self._matches(e)]
        if shown:
            self.table.setUpdatesEnabled(False)
            for e in shown:
                self._append_row(e)
            excess = self.table.rowCount() - MAX_ROWS
            for _ in range(max(excess, 0)):
                self.table.removeRow(0)
            self.table.setUpdatesEnabled(True)
            self.table.scrollToBottom()

    def _append_row(self, e: dict) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        t = e["t"]
        cells = (f"{clock_text(t)}.{int((t % 1) * 10)}", KIND_LABELS.get(e["kind"], e["kind"]),
                 event_node(e) or "", event_detail(e))
        for col, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if col == 1 and e["kind"] in SEVERE:
                item.setForeground(QColor("#d32f2f"))
            if col == 0:
                item.setData(Qt.ItemDataRole.UserRole, e)
            self.table.setItem(row, col, item)

    def _refilter(self, *_args) -> None:
        self.table.setUpdatesEnabled(False)
        self.table.setRowCount(0)
        for e in self.events:
            if self._matches(e):
                self._append_row(e)
        self.table.setUpdatesEnabled(True)

    def _clicked(self, row: int, _col: int) -> None:
        item = self.table.item(row, 0)
        event = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        node = event_node(event) if event else None
        if node:
            self.nodeSelected.emit(node)


def fixes_text(vm: str, protocol: str = "tcp", allocated: int | None = None) -> str:
    ports = f"its {allocated:,} SNAT ports" if allocated else "its SNAT ports"
    return (f"<b>{vm}</b> is failing new {protocol.upper()} flows: {ports} are all in use "
            f"(SNAT exhaustion). Documented fixes: add frontend public IPs (an outbound rule "
            f"with more ports per instance), attach a NAT gateway to its subnet, give the VM an "
            f"instance public IP, or reuse connections (a connection pool).")


class AlertBanner(QFrame):
    """A dismissable banner at the top of the canvas."""

    #: --- hook for other features (designer/ui/capacity adds "Compare fixes"): callables
    #: called with every new banner, which may add buttons with ``add_vm_button``
    created_hooks: list = []

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setObjectName("alert-banner")
        self.subject: str | None = None
        self.label = QLabel()
        self.label.setObjectName("alert-banner-text")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        close = QToolButton()
        close.setObjectName("alert-banner-close")
        close.setText("✕")
        close.setAutoRaise(True)
        close.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.set_style("warning")
        self.hide()
        self._vm_buttons: list[QToolButton] = []
        for hook in list(AlertBanner.created_hooks):
            hook(self)

    def add_vm_button(self, object_name: str, text: str) -> QToolButton:
        """A button shown while the banner is about a VM (a warning with a subject), before
        the close button; the caller connects ``clicked`` and reads ``subject``."""
        button = QToolButton()
        button.setObjectName(object_name)
        button.setText(text)
        button.hide()
        layout = self.layout()
        layout.insertWidget(layout.count() - 1, button, 0, Qt.AlignmentFlag.AlignTop)
        self._vm_buttons.append(button)
        return button

    def set_style(self, severity: str) -> None:
        bg, border = ("#fff4e5", "#f0a202") if severity == "warning" else ("#fdecea", "#d32f2f")
        self.setStyleSheet(f"#alert-banner {{ background: {bg}; border: 1px solid {border}; "
                           f"border-radius: 6px; }} #alert-banner QLabel {{ color: #1f2328; }}")

    def show_message(self, html: str, subject: str | None = None,
                     severity: str = "warning") -> None:
        self.subject = subject
        self.set_style(severity)
        for button in self._vm_buttons:
            button.setVisible(subject is not None)
        self.label.setText(html)
        self.place()
        self.show()
        self.raise_()

    def dismiss(self) -> None:
        self.subject = None
        self.hide()

    def place(self) -> None:
        parent = self.parentWidget()
        if parent is None:
            return
        width = min(max(parent.width() - 40, 200), 760)
        margins = self.layout().contentsMargins()
        text_width = width - margins.left() - margins.right() - 34
        text_width -= sum(b.sizeHint().width() + 6 for b in self._vm_buttons
                          if not b.isHidden())
        height = self.label.heightForWidth(text_width) + margins.top() + margins.bottom()
        self.setFixedSize(width, max(height, 28))
        self.move((parent.width() - width) // 2, 10)
