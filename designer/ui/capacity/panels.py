"""The Fixes dock (the comparison as a table) and the Sweep dock (a form, a pyqtgraph plot —
a line for one varied field, a heatmap for two — and the points as a table)."""
from __future__ import annotations

import statistics

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDoubleSpinBox, QFormLayout,
                               QHBoxLayout, QHeaderView, QLabel, QLayout, QLineEdit,
                               QPushButton,
                               QSpinBox, QSplitter, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from ...capacity.fixes import headroom_text, ports_text
from ...capacity.runs import names
from ...capacity.sweep import METRICS, metric_value

FIX_COLUMNS = ("Variant", "Setting", "Failed flows (mean, range)", "Peak used / allocated",
               "Headroom (flows/s)", "Public IPs", "What changes in Azure")
RED, GREEN, GREY = QColor("#d32f2f"), QColor("#2e7d32"), QColor("#8a96a3")


def _item(text: str, align_right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled)
    if align_right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def _num(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:,}" if isinstance(value, int) else str(value)


def setting_text(setting: dict) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v if not isinstance(v, list) else ', '.join(v)}"
                     for k, v in setting.items() if not isinstance(v, dict)) or "—"


class _SmallDock(QWidget):
    """A dock's content whose minimum size stays small (the layout squeezes instead), so a
    restored window layout never grows the window to fit a dock nobody opened."""

    def minimumSizeHint(self) -> QSize:
        return QSize(120, 80)

    def _no_layout_minimum(self) -> None:
        self.layout().setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)


class FixesPanel(_SmallDock):
    """The comparison table; a variant row can be opened or applied."""

    openRequested = Signal(dict)
    applyRequested = Signal(dict)
    runRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("fixes-panel")
        self.doc: dict | None = None
        self.summary = QLabel("Run “Compare Fixes” (Simulation menu, or the button on the "
                              "exhaustion banner) to see what each documented fix changes.")
        self.summary.setObjectName("fixes-summary")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(FIX_COLUMNS))
        self.table.setObjectName("fixes-table")
        self.table.setHorizontalHeaderLabels(FIX_COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(FIX_COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.cellDoubleClicked.connect(lambda *_: self._open())
        self.run_button = QPushButton("Compare Again")
        self.run_button.setObjectName("fixes-run")
        self.run_button.clicked.connect(self.runRequested)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("fixes-cancel")
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.cancel_button.setEnabled(False)
        self.open_button = QPushButton("Open as New Document")
        self.open_button.setObjectName("fixes-open")
        self.open_button.setToolTip("Open the selected variant's scenario as a new document")
        self.open_button.clicked.connect(self._open)
        self.apply_button = QPushButton("Apply to Diagram")
        self.apply_button.setObjectName("fixes-apply")
        self.apply_button.setToolTip("Change the open diagram into the selected variant "
                                     "(one undo step)")
        self.apply_button.clicked.connect(
            lambda: self.selected() and self.applyRequested.emit(self.selected()))
        buttons = QHBoxLayout()
        for b in (self.run_button, self.cancel_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        for b in (self.open_button, self.apply_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self._no_layout_minimum()
        self._selection_changed()

    def set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        if running:
            self.summary.setText("Comparing fixes… (progress in the status bar)")

    def set_result(self, doc: dict) -> None:
        self.doc = doc
        variants, na = doc.get("variants", []), doc.get("not_applicable", [])
        self.table.setRowCount(len(variants) + len(na))
        for row, v in enumerate(variants):
            f = v["failed_snat"]
            cells = [v["kind"].replace("_", " "), setting_text(v["setting"]),
                     f"{_num(f['mean'])} ({_num(f['min'])}–{_num(f['max'])})",
                     ports_text(v), headroom_text(v),
                     _num(v["public_ips"]), v["azure_change"]]
            for col, text in enumerate(cells):
                item = _item(text, col in (2, 3, 4, 5))
                if col == 0:
                    item.setForeground(QBrush(GREEN if v.get("holds") else RED))
                    item.setData(Qt.ItemDataRole.UserRole, row)
                if col == 4 and v.get("headroom_note"):
                    item.setToolTip(v["headroom_note"])
                self.table.setItem(row, col, item)
        for k, n in enumerate(na):
            row = len(variants) + k
            self.table.setItem(row, 0, _item(n["kind"].replace("_", " ")))
            self.table.item(row, 0).setForeground(QBrush(GREY))
            reason = _item(f"not applicable: {n['reason']}")
            reason.setForeground(QBrush(GREY))
            self.table.setItem(row, 1, reason)
            self.table.setSpan(row, 1, 1, len(FIX_COLUMNS) - 1)
        self.table.resizeRowsToContents()
        best = doc.get("smallest_holding")
        failing = names(doc.get("failing_vms", [])) or "none"
        self.summary.setText(
            f"{doc.get('scenario', '')}: {doc.get('duration_s')} s per run, seeds "
            f"{', '.join(map(str, doc.get('seeds', [])))}. Failing for want of SNAT ports: "
            f"{failing}. " + (f"Smallest fix that holds: <b>{best.replace('_', ' ')}</b>."
                              if best else ("Nothing to fix." if failing == "none"
                                            else "No variant holds.")))
        self._selection_changed()

    def selected(self) -> dict | None:
        rows = {i.row() for i in self.table.selectedItems()}
        variants = (self.doc or {}).get("variants", [])
        if len(rows) != 1:
            return None
        row = rows.pop()
        return variants[row] if row < len(variants) and variants[row]["kind"] != "original" \
            else None

    def select_kind(self, kind: str) -> None:
        for row, v in enumerate((self.doc or {}).get("variants", [])):
            if v["kind"] == kind:
                self.table.selectRow(row)

    def _selection_changed(self) -> None:
        ok = self.selected() is not None
        self.open_button.setEnabled(ok)
        self.apply_button.setEnabled(ok)

    def _open(self) -> None:
        variant = self.selected()
        if variant is not None:
            self.openRequested.emit(variant)


class SweepPanel(_SmallDock):
    """A sweep: what to vary, the plot and the points."""

    runRequested = Signal(list, int, float, str)      # vary texts, seeds, duration, metric
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("sweep-panel")
        self.doc: dict | None = None
        self.vary1 = QLineEdit()
        self.vary1.setObjectName("sweep-vary-1")
        self.vary1.setPlaceholderText("e.g. flood.rate_per_s=2:20:2")
        self.vary2 = QLineEdit()
        self.vary2.setObjectName("sweep-vary-2")
        self.vary2.setPlaceholderText("optional, e.g. web.vms=1..5 (a heatmap)")
        self.seeds = QSpinBox()
        self.seeds.setObjectName("sweep-seeds")
        self.seeds.setRange(1, 100)
        self.duration = QDoubleSpinBox()
        self.duration.setObjectName("sweep-duration")
        self.duration.setRange(0, 86400)
        self.duration.setDecimals(0)
        self.duration.setSuffix(" s")
        self.duration.setSpecialValueText("scenario's")
        self.metric_box = QComboBox()
        self.metric_box.setObjectName("sweep-metric")
        for name, label in METRICS.items():
            self.metric_box.addItem(name.replace("_", " "), name)
            self.metric_box.setItemData(self.metric_box.count() - 1, label, Qt.ItemDataRole.ToolTipRole)
        self.metric_box.currentIndexChanged.connect(lambda *_: self.doc and self._draw())
        self.run_button = QPushButton("Run Sweep")
        self.run_button.setObjectName("sweep-run")
        self.run_button.clicked.connect(self._run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("sweep-cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.status = QLabel("Vary a field (NODE.FIELD, NODE.list[0].FIELD) or a count "
                             "(SUBNET.vms, NAT.public_ips) over a,b,c or start:stop:step.")
        self.status.setObjectName("sweep-status")
        self.status.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Vary", self.vary1)
        form.addRow("and", self.vary2)
        row = QHBoxLayout()
        for label, w in (("Seeds", self.seeds), ("Duration", self.duration),
                         ("Metric", self.metric_box)):
            row.addWidget(QLabel(label))
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(self.run_button)
        row.addWidget(self.cancel_button)
        pg.setConfigOptions(antialias=True)
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("sweep-plot")
        self.plot.setBackground("w")
        self.plot.setMinimumHeight(180)
        self.table = QTableWidget(0, 0)
        self.table.setObjectName("sweep-table")
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.plot)
        split.addWidget(self.table)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)
        self._no_layout_minimum()

    def set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def _run(self) -> None:
        texts = [t.text().strip() for t in (self.vary1, self.vary2) if t.text().strip()]
        if not texts:
            self.status.setText("Say what to vary first, e.g. flood.rate_per_s=2:20:2")
            return
        self.runRequested.emit(texts, self.seeds.value(), float(self.duration.value()),
                               self.metric_box.currentData())

    def set_result(self, doc: dict) -> None:
        self.doc = doc
        self.status.setText(f"{len(doc['points'])} points, {_num(doc['duration_s'])} s per "
                            f"run ({doc['scenario']}).")
        self._fill_table()
        self._draw()

    def _fill_table(self) -> None:
        doc = self.doc
        paths = [v["path"] for v in doc["vary"]]
        header = paths + ["seed", "attempted", "failed (SNAT)", "peak used", "allocated",
                          "needed p99 (estimate)"]
        self.table.setColumnCount(len(header))
        self.table.setHorizontalHeaderLabels(header)
        self.table.setRowCount(len(doc["points"]))
        for row, p in enumerate(doc["points"]):
            busiest = max(p.get("vms", {}).values(), default={}, key=lambda v: (
                v["snat_ports_used_peak"] / v["snat_ports_allocated"]
                if v["snat_ports_allocated"] else 0))
            est = max((e["ports_needed_p99"] for e in p.get("estimate", {}).values()),
                      default=0)
            totals = p.get("totals", {})
            cells = [p["values"][k] for k in paths] + [
                p["seed"], totals.get("attempted"), totals.get("failed_snat"),
                busiest.get("snat_ports_used_peak"), busiest.get("snat_ports_allocated"), est]
            for col, value in enumerate(cells):
                item = _item(_num(value), True)
                if col == len(paths) + 2 and value:
                    item.setForeground(QBrush(RED))
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()

    def _means(self, metric: str) -> dict[tuple, float]:
        paths = [v["path"] for v in self.doc["vary"]]
        groups: dict[tuple, list[float]] = {}
        for p in self.doc["points"]:
            value = metric_value(p, metric)
            if value is not None:
                groups.setdefault(tuple(p["values"][k] for k in paths), []).append(value)
        return {k: statistics.fmean(v) for k, v in groups.items()}

    def _draw(self) -> None:
        metric = self.metric_box.currentData()
        self.plot.clear()
        item = self.plot.getPlotItem()
        for axis in ("bottom", "left"):
            item.getAxis(axis).setTicks(None)     # a heatmap's category ticks go
        if item.legend is None:
            item.addLegend(offset=(10, 5))
        item.legend.clear()
        vary = self.doc["vary"]
        means = self._means(metric)
        item.setLabel("left", METRICS.get(metric, metric))
        if len(vary) == 1:
            xs = list(vary[0]["values"])
            numeric = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in xs)
            pos = xs if numeric else list(range(len(xs)))
            ys = [means.get((x,), np.nan) for x in xs]
            pen = pg.mkPen("#d1242f" if metric == "failed_snat" else "#1f6feb", width=2)
            item.setTitle(None)
            item.plot(pos, ys, pen=pen, symbol="o", symbolSize=6,
                      symbolBrush=pen.color(), name=f"{metric.replace('_', ' ')} (simulated)")
            if metric in ("peak_used",):
                est = self._means("ports_needed_p99")
                item.plot(pos, [est.get((x,), np.nan) for x in xs],
                          pen=pg.mkPen("#8a96a3", width=2, style=Qt.PenStyle.DashLine),
                          name="ports needed, p99 (estimate)")
            item.setLabel("bottom", vary[0]["path"])
            if not numeric:
                item.getAxis("bottom").setTicks([list(enumerate(map(str, xs)))])
            item.getViewBox().autoRange()
            return
        xs, ys = list(vary[0]["values"]), list(vary[1]["values"])
        grid = np.full((len(xs), len(ys)), np.nan)
        for i, x in enumerate(xs):
            for j, y in enumerate(ys):
                grid[i, j] = means.get((x, y), np.nan)
        image = pg.ImageItem(np.nan_to_num(grid, nan=0.0))
        colors = ([(255, 255, 255), (209, 36, 47)] if metric == "failed_snat"
                  else [(255, 255, 255), (31, 111, 235)])
        image.setColorMap(pg.ColorMap([0.0, 1.0], colors))
        top = float(np.nanmax(grid)) if np.isfinite(grid).any() else 1.0
        image.setLevels([0.0, top or 1.0])
        item.addItem(image)
        item.getAxis("bottom").setTicks([[(i + 0.5, _num(x)) for i, x in enumerate(xs)]])
        item.getAxis("left").setTicks([[(j + 0.5, _num(y)) for j, y in enumerate(ys)]])
        item.setLabel("bottom", vary[0]["path"])
        item.setLabel("left", vary[1]["path"])
        item.setTitle(f"{METRICS.get(metric, metric)}, mean over seeds", size="9pt")
        for i in range(len(xs)):
            for j in range(len(ys)):
                if np.isfinite(grid[i, j]):
                    text = pg.TextItem(_num(round(grid[i, j], 2)), color="#1b2430",
                                       anchor=(0.5, 0.5))
                    text.setPos(i + 0.5, j + 0.5)
                    item.addItem(text)
        item.getViewBox().autoRange()
