"""The Metrics dock: Azure Monitor's series for the selected node, live (pyqtgraph).

Series (Azure Monitor names): Allocated SNAT ports, Used SNAT ports, SNAT connection count by
state (succeeded / failed, per simulated second) and health probe status (% of probes up).
:class:`MetricsHistory` keeps every node's samples in numpy ring buffers, recorded from frames
at most ~10 times a wall second; :class:`MetricsPanel` creates its curves once and feeds them
with ``setData`` on fixed ranges (perf-baselines.md section 3, "opt_partial" style).  A rolling
window of simulated time follows the clock; while paused, a cursor can be dragged back in time
to read the values.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...sim.engine import Frame

#: samples kept per node
HISTORY = 1200
#: the rolling window, simulated seconds
WINDOW_S = 300.0
# columns of a node's row
ALLOCATED, USED, SUCCEEDED, FAILED, PROBE = range(5)
SERIES_NAMES = ("Allocated SNAT ports", "Used SNAT ports", "SNAT connection count (succeeded)",
                "SNAT connection count (failed)", "Health probe status")


class MetricsHistory:
    """Per node, a ring of (allocated, used, cumulative succeeded, cumulative failed, probe %):
    one array ``data[sample, node, column]`` that grows (doubling) as nodes appear."""

    def __init__(self, size: int = HISTORY):
        self.size = size
        self.t = np.zeros(size)
        self.index: dict[str, int] = {}
        self.data = np.full((size, 16, 5), np.nan, np.float32)
        self.n = 0            # samples recorded in total

    def clear(self) -> None:
        self.index.clear()
        self.data[:] = np.nan
        self.n = 0

    def _col(self, node_id: str) -> int:
        j = self.index.get(node_id)
        if j is None:
            j = self.index[node_id] = len(self.index)
            if j >= self.data.shape[1]:
                self._grow(j + 1)
        return j

    def _grow(self, columns: int) -> None:
        have = self.data.shape[1]
        if columns <= have:
            return
        new = max(columns, 2 * have)
        grown = np.full((self.size, new, 5), np.nan, np.float32)
        grown[:, :have] = self.data
        self.data = grown

    def record(self, frame: Frame) -> None:
        if self.n and frame.t <= self.t[(self.n - 1) % self.size]:
            return
        cols: list[int] = []
        rows: list[tuple] = []
        nan = np.nan
        # room for every node of the frame at once (one allocation, not repeated doubling)
        self._grow(len(self.index) + len(frame.snat) + len(frame.public_ips)
                   + len(frame.nat_gateways) + len(frame.probes))
        vms = frame.vms
        for vm, uses in frame.snat.items():
            c = vms.get(vm)
            alloc = used = 0
            for u in uses.values():
                used += u[0]
                alloc += u[1]
            cols.append(self._col(vm))
            rows.append((alloc, used, c[1] if c else nan, (c[2] + c[3] + c[4]) if c else nan,
                         nan))
        for table in (frame.public_ips, frame.nat_gateways):
            for node_id, uses in table.items():
                alloc = used = 0
                for u in uses.values():
                    used += u[0]
                    alloc += u[1]
                cols.append(self._col(node_id))
                rows.append((alloc, used, nan, nan, nan))
        probes: dict[str, list[int]] = {}
        for (lb, vm), state in frame.probes.items():
            up = 100 if state == "up" else 0
            probes.setdefault(lb, []).append(up)
            probes.setdefault(vm, []).append(up)
        i = self.n % self.size
        self.t[i] = frame.t
        slab = self.data[i]
        slab[:] = nan
        if cols:
            slab[cols] = rows
        for node_id, ups in probes.items():
            slab[self._col(node_id), PROBE] = sum(ups) / len(ups)
        self.n += 1

    def series(self, node_id: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(times, values[k, 5]) in time order, with the connection counts turned into
        per-second rates."""
        j = self.index.get(node_id)
        if j is None or self.n == 0:
            return None
        row = self.data[:, j]
        k = min(self.n, self.size)
        start = self.n % self.size if self.n > self.size else 0
        order = (np.arange(k) + start) % self.size
        t = self.t[order]
        v = row[order].astype(float)
        for col in (SUCCEEDED, FAILED):
            cum = v[:, col]
            rate = np.full(k, np.nan)
            if k > 1:
                dt = np.diff(t)
                with np.errstate(invalid="ignore", divide="ignore"):
                    rate[1:] = np.where(dt > 0, np.diff(cum) / dt, np.nan)
            v[:, col] = rate
        return t, v

    def value_at(self, node_id: str, t: float) -> np.ndarray | None:
        s = self.series(node_id)
        if s is None or s[0].size == 0:
            return None
        times, values = s
        i = int(np.clip(np.searchsorted(times, t, side="right") - 1, 0, times.size - 1))
        return values[i]


class MetricsPanel(QWidget):
    """Three plots for one node; curves are created once."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("metrics-panel")
        self.history = MetricsHistory()
        self.node_id: str | None = None
        self.paused = False
        self.title = QLabel("Select a VM, public IP, NAT gateway or load balancer to see its "
                            "metrics")
        self.title.setObjectName("metrics-title")
        self.title.setWordWrap(True)
        self.readout = QLabel()
        self.readout.setObjectName("metrics-readout")
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setObjectName("metrics-plots")
        self.plots.setBackground(None)
        small = "font-size:9pt"
        self.ports = self.plots.addPlot(row=0, col=0, title=(
            f"<span style='{small}'><span style='color:#0a6cd6'>Used SNAT ports</span> / "
            f"<span style='color:#5f6b7a'>Allocated SNAT ports (dashed)</span></span>"))
        self.conns = self.plots.addPlot(row=1, col=0, title=(
            f"<span style='{small}'>SNAT connection count per s: <span style='color:#2e9d4f'>"
            f"succeeded</span> / <span style='color:#d32f2f'>failed</span></span>"))
        self.probe = self.plots.addPlot(row=2, col=0, title=(
            f"<span style='{small}'>Health probe status (% up)</span>"))
        for plot in (self.ports, self.conns, self.probe):
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.setMenuEnabled(False)
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.getAxis("left").enableAutoSIPrefix(False)
            plot.getAxis("bottom").enableAutoSIPrefix(False)
        pen = lambda c, style=Qt.PenStyle.SolidLine: pg.mkPen(c, width=1.5, style=style)  # noqa
        opts = dict(skipFiniteCheck=False, connect="finite")
        self.curves = [
            self.ports.plot([], [], pen=pen("#5f6b7a", Qt.PenStyle.DashLine),
                            name="Allocated SNAT ports", **opts),
            self.ports.plot([], [], pen=pen("#0a6cd6"), name="Used SNAT ports", **opts),
            self.conns.plot([], [], pen=pen("#2e9d4f"), name="succeeded", **opts),
            self.conns.plot([], [], pen=pen("#d32f2f"), name="failed", **opts),
            self.probe.plot([], [], pen=pen("#6a1b9a"), name="Health probe status", **opts),
        ]
        self.probe.setYRange(0, 105, padding=0)
        self.cursor = pg.InfiniteLine(angle=90, movable=True, pen=pg.mkPen("#f0a202", width=1.5))
        self.cursor.setObjectName("metrics-cursor") if hasattr(self.cursor, "setObjectName") \
            else None
        self.cursor.sigPositionChanged.connect(self._cursor_moved)
        self.ports.addItem(self.cursor, ignoreBounds=True)
        self.cursor.hide()
        # small windows: the dock may shrink below the plots' natural size
        self.plots.setMinimumHeight(20)
        self.setMinimumHeight(40)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.plots, 1)
        layout.addWidget(self.readout)
        self.now = 0.0

    def clear(self) -> None:
        self.history.clear()
        self.now = 0.0
        self.refresh()

    def set_node(self, node_id: str | None, label: str = "") -> None:
        self.node_id = node_id
        self.title.setText(f"Metrics of {label or node_id}" if node_id else
                           "Select a VM, public IP, NAT gateway or load balancer to see its "
                           "metrics")
        self.refresh()

    def record(self, frame: Frame) -> None:
        self.history.record(frame)
        self.now = frame.t

    def set_paused(self, paused: bool) -> None:
        """Paused: a cursor appears at the current time and can be dragged back."""
        self.paused = paused
        self.cursor.setVisible(paused)
        if paused:
            self.cursor.setValue(self.now)
        else:
            self.readout.clear()

    def refresh(self) -> None:
        s = self.history.series(self.node_id) if self.node_id else None
        if s is None:
            for curve in self.curves:
                curve.setData([], [])
            return
        t, v = s
        for col, curve in enumerate(self.curves):
            curve.setData(t, v[:, col])
        x1 = max(self.now, WINDOW_S)
        x0 = x1 - WINDOW_S
        for plot in (self.ports, self.conns, self.probe):
            plot.setXRange(x0, x1, padding=0)
        seen = t >= x0
        top_ports = np.nanmax(v[seen][:, [ALLOCATED, USED]], initial=0.0) if seen.any() else 0
        self.ports.setYRange(0, max(top_ports * 1.1, 10), padding=0)
        top_conns = np.nanmax(v[seen][:, [SUCCEEDED, FAILED]], initial=0.0) if seen.any() else 0
        self.conns.setYRange(0, max(top_conns * 1.2, 1), padding=0)
        if self.paused:
            self._cursor_moved()

    def _cursor_moved(self, *_args) -> None:
        if not self.paused or not self.node_id:
            return
        t = float(self.cursor.value())
        v = self.history.value_at(self.node_id, t)
        if v is None:
            self.readout.clear()
            return
        parts = [f"t = {t:.1f} s"]
        for name, x in zip(SERIES_NAMES, v):
            if not np.isnan(x):
                parts.append(f"{name}: {x:,.0f}" if name != SERIES_NAMES[PROBE]
                             else f"{name}: {x:.0f} %")
        self.readout.setText(" · ".join(parts))
