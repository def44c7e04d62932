"""The Event log dock: time-stamped simulation events, filterable by kind and node; a click
selects the node.  Rows name Azure's own record where Azure logs the same thing (a
``describe_azure`` callable set by the owner, see ``alerts.azure_event``), and the edits made
during the run appear as ``edit`` rows, as in the exported report."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView,
                               QLineEdit, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

# the banner lives in alerts.py; other features (capacity) import it from here too
from .alerts import AlertBanner, clock_text  # noqa: F401 (AlertBanner re-exported)

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
    "no_route": "No outbound path (first)",
    "ports_revoked": "SNAT ports revoked",
    "ports_short": "SNAT ports short",
    "edit": "Edit during the run",
}
SEVERE = {"snat_exhausted", "flows_failing", "probe_down", "all_backends_down", "nsg_denied",
          "no_route", "ports_revoked", "ports_short"}
NODE_FIELDS = ("vm", "lb", "generator", "nsg", "nat")
#: pixels around a cell's text (margins and the grid line)
COLUMN_PADDING = 16
#: fields not repeated in the Detail column
HIDDEN_FIELDS = {"t", "kind", "nodes"}


def event_node(event: dict) -> str | None:
    for f in NODE_FIELDS:
        if event.get(f):
            return str(event[f])
    return None


def event_detail(event: dict) -> str:
    skip = HIDDEN_FIELDS | {event_node_field(event)}
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
        self._pending: list[dict] = []
        #: event -> Azure's own record of it, or None (set by the owner)
        self.describe_azure: Callable[[dict], str | None] = lambda _event: None
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
        # the first three columns widen to their longest text as rows come (_fit_columns):
        # ResizeToContents would measure up to 1,000 rows at every insert - 15-30 ms for the
        # rows of a quarter second at full speed, the GUI thread's largest block
        for col in range(3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        metrics = self.table.fontMetrics()
        self._fit_columns([metrics.horizontalAdvance("00:00:00.0"),
                           max(metrics.horizontalAdvance(t) for t in KIND_LABELS.values()),
                           metrics.horizontalAdvance("Node")])
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
        self._pending = []
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

    def add_events(self, events, defer: bool = False) -> None:
        """Log ``events``; with ``defer`` their rows are added at the next :meth:`flush` (a
        live run flushes a few times a second: a table that grows and scrolls at every frame
        costs the GUI thread milliseconds each time)."""
        if not events:
            return
        self.events.extend(events)
        if len(self.events) > MAX_ROWS:
            del self.events[:len(self.events) - MAX_ROWS]
        if defer:
            self._pending.extend(events)
            del self._pending[:max(len(self._pending) - MAX_ROWS, 0)]
            return
        self.flush()
        self._show_rows(events)

    def flush(self, limit: int | None = None) -> None:
        """Add the rows of the deferred events, or of the ``limit`` oldest of them (the rest
        wait for the next flush: a burst of events - sixty VMs running out of ports at once
        - costs the GUI thread ~0.1 ms a row)."""
        if limit is None or len(self._pending) <= limit:
            pending, self._pending = self._pending, []
        else:
            pending, self._pending = self._pending[:limit], self._pending[limit:]
        self._show_rows(pending)

    def _show_rows(self, events) -> None:
        shown = [e for e in events if self._matches(e)]
        if shown:
            self.table.setUpdatesEnabled(False)
            widths = [0, 0, 0]
            for e in shown:
                self._append_row(e, widths)
            self._fit_columns(widths)
            excess = self.table.rowCount() - MAX_ROWS
            for _ in range(max(excess, 0)):
                self.table.removeRow(0)
            self.table.setUpdatesEnabled(True)
            self.table.scrollToBottom()

    def _fit_columns(self, widths: list[int]) -> None:
        """Widen the first three columns to ``widths`` of text (never narrower: a column
        that jumps back and forth is hard to read)."""
        header = self.table.horizontalHeader()
        for col, width in enumerate(widths):
            width += COLUMN_PADDING
            if width > header.sectionSize(col):
                header.resizeSection(col, width)

    def _append_row(self, e: dict, widths: list[int] | None = None) -> None:
        """Add the row of ``e``; ``widths`` gets the widest text of the first columns."""
        row = self.table.rowCount()
        self.table.insertRow(row)
        t = e["t"]
        cells = (f"{clock_text(t)}.{int((t % 1) * 10)}", KIND_LABELS.get(e["kind"], e["kind"]),
                 event_node(e) or "", event_detail(e))
        azure = self.describe_azure(e)
        if azure:
            cells = cells[:3] + (f"{cells[3]}. {azure}" if cells[3] else azure,)
        if widths is not None:
            metrics = self.table.fontMetrics()
            for col in range(3):
                widths[col] = max(widths[col], metrics.horizontalAdvance(cells[col]))
        for col, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if col == 1 and e["kind"] in SEVERE:
                item.setForeground(QColor("#d32f2f"))
            if col == 0:
                item.setData(Qt.ItemDataRole.UserRole, e)
            self.table.setItem(row, col, item)

    def _refilter(self, *_args) -> None:
        self._pending = []
        self.table.setUpdatesEnabled(False)
        self.table.setRowCount(0)
        widths = [0, 0, 0]
        for e in self.events:
            if self._matches(e):
                self._append_row(e, widths)
        self._fit_columns(widths)
        self.table.setUpdatesEnabled(True)

    def _clicked(self, row: int, _col: int) -> None:
        item = self.table.item(row, 0)
        event = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        node = event_node(event) if event else None
        if node:
            self.nodeSelected.emit(node)
