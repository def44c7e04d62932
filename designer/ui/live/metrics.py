"""The Metrics dock: Azure Monitor's series for the selected node - or the scenario's totals
when nothing is selected - live (pyqtgraph).

Series (Azure Monitor names): Allocated SNAT ports, Used SNAT ports, SNAT connection count by
state - succeeded, failed for want of a SNAT port (``SnatConnectionCount`` with state Failed,
like the report's ``failed_snat``), and apart from them the flows an NSG denied and those with
no route, which Azure does not count as SNAT connections - per simulated second, and health
probe status (% of probes up).  The totals: ports summed over the public IPs (the addresses
Azure gives out ports from), connection counts summed over the VMs, probes over all pairs.

:class:`MetricsHistory` keeps every node's samples in numpy ring buffers, recorded from frames
at most ~10 times a wall second; :class:`MetricsPanel` creates its curves once and feeds them
with ``setData`` on fixed ranges (perf-baselines.md section 3, "opt_partial" style).  A rolling
window of simulated time follows the clock; while paused, a cursor can be dragged back in time
to read the values.  A log scale keeps a VM's exhaustion history readable after a NAT gateway
takes over (1,024 then 64,512 allocated ports).  The plots follow the light or dark palette;
node names are shown as plain text.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...sim.engine import Frame

#: samples kept per node
HISTORY = 600
#: the rolling window, simulated seconds, and the share of it it moves by at a time
WINDOW_S = 300.0
X_STEP = 0.02
#: connection counts are turned into per-second rates over at least this much simulated time
RATE_WINDOW_S = 2.0
#: the history key of the scenario's totals (no node id is empty)
TOTAL = ""
# columns of a node's row
ALLOCATED, USED, SUCCEEDED, FAILED_SNAT, DENIED_NSG, NO_ROUTE, PROBE = range(7)
COLUMNS = 7
RATE_COLUMNS = (SUCCEEDED, FAILED_SNAT, DENIED_NSG, NO_ROUTE)
#: the columns each plot shows (ports, connection counts, probes)
PLOT_COLUMNS = ((ALLOCATED, USED), RATE_COLUMNS, (PROBE,))
SERIES_NAMES = ("Allocated SNAT ports", "Used SNAT ports", "SNAT connection count (succeeded)",
                "SNAT connection count (failed)", "Denied by NSG", "No route",
                "Health probe status")
#: the connection states in the cursor's short line
SHORT_RATES = {SUCCEEDED: "ok", FAILED_SNAT: "SNAT failed", DENIED_NSG: "NSG denied",
               NO_ROUTE: "no route"}
#: below this height of the plot area, the probe plot gives its room to the other two
SHORT_PLOTS_PX = 260
#: curve colours by column (they read on the light and the dark background)
COLORS = {ALLOCATED: "#8a96a3", USED: "#2f81f7", SUCCEEDED: "#2e9d4f", FAILED_SNAT: "#e5484d",
          DENIED_NSG: "#ef8c00", NO_ROUTE: "#a35bd6", PROBE: "#8e6bd8"}
NO_SELECTION = ("Scenario totals - select a VM, public IP, NAT gateway or load balancer for "
                "its own metrics")


def _loaded(uses) -> tuple[int, int]:
    """(used, allocated) of the most loaded protocol - what the node's gauge shows."""
    best = (0, 0)
    best_f = -1.0
    for used, allocated in uses.values():
        f = used / allocated if allocated else -0.5
        if f > best_f:
            best, best_f = (used, allocated), f
    return best


class MetricsHistory:
    """Per node (and the totals), a ring of (allocated, used, cumulative succeeded / failed
    SNAT / denied NSG / no route, probe %): one array ``data[sample, node, column]`` that grows
    (doubling) as nodes appear."""

    def __init__(self, size: int = HISTORY):
        self.size = size
        self.t = np.zeros(size)
        self.index: dict[str, int] = {TOTAL: 0}
        self.data = np.full((size, 8, COLUMNS), np.nan, np.float32)
        self.n = 0            # samples recorded in total

    def clear(self) -> None:
        self.index = {TOTAL: 0}
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
        new = max(columns + 8, have + have // 2)
        grown = np.full((self.size, new, COLUMNS), np.nan, np.float32)
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
        totals = np.zeros(4)
        for vm, uses in frame.snat.items():
            c = vms.get(vm)
            used, alloc = _loaded(uses)
            cols.append(self._col(vm))
            counts = (c[1], c[2], c[3], c[4]) if c else (nan, nan, nan, nan)
            rows.append((alloc, used) + counts + (nan,))
        for vm, c in vms.items():
            totals += (c[1], c[2], c[3], c[4])
        pip_used = pip_alloc = 0
        for table in (frame.public_ips, frame.nat_gateways):
            for node_id, uses in table.items():
                used, alloc = _loaded(uses)
                cols.append(self._col(node_id))
                rows.append((alloc, used, nan, nan, nan, nan, nan))
                if table is frame.public_ips:
                    pip_used += used
                    pip_alloc += alloc
        probes: dict[str, list[int]] = {}
        for (lb, vm), state in frame.probes.items():
            up = 100 if state == "up" else 0
            probes.setdefault(lb, []).append(up)
            probes.setdefault(vm, []).append(up)
        all_up = [100 if s == "up" else 0 for s in frame.probes.values()]
        cols.append(self.index[TOTAL])
        rows.append((pip_alloc, pip_used) + tuple(totals) +
                    ((sum(all_up) / len(all_up)) if all_up else nan,))
        i = self.n % self.size
        self.t[i] = frame.t
        slab = self.data[i]
        slab[:] = nan
        slab[cols] = rows
        for node_id, ups in probes.items():
            slab[self._col(node_id), PROBE] = sum(ups) / len(ups)
        self.n += 1

    def series(self, node_id: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(times, values[k, COLUMNS]) in time order, with the connection counts turned into
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
        # rates over a trailing window of at least RATE_WINDOW_S: at 1x samples are a quarter
        # of a second apart, and 10 flows/s would read 0, 4, 8, 0, ... per second
        back = np.searchsorted(t, t - RATE_WINDOW_S, side="right") - 1
        back = np.clip(np.minimum(back, np.arange(k) - 1), 0, None)
        dt = t - t[back]
        for col in RATE_COLUMNS:
            cum = v[:, col]
            with np.errstate(invalid="ignore", divide="ignore"):
                rate = np.where(dt > 0, (cum - cum[back]) / dt, np.nan)
            if k:
                rate[0] = np.nan
            v[:, col] = rate
        return t, v

    def value_at(self, node_id: str, t: float) -> np.ndarray | None:
        s = self.series(node_id)
        if s is None or s[0].size == 0:
            return None
        times, values = s
        i = int(np.clip(np.searchsorted(times, t, side="right") - 1, 0, times.size - 1))
        return values[i]


def _round_up(value: float) -> float:
    """Two significant digits, rounded up: a y range that changes rarely."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (np.floor(np.log10(value)) - 1)
    return float(np.ceil(value / magnitude) * magnitude)


def _dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


class MetricsPanel(QWidget):
    """Three plots for one node or the totals; curves are created once."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("metrics-panel")
        self.history = MetricsHistory()
        self.node_id: str | None = None
        self.paused = False
        self.title = QLabel(NO_SELECTION)
        self.title.setObjectName("metrics-title")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setWordWrap(True)
        self.log_scale = QCheckBox("Log scale")
        self.log_scale.setObjectName("metrics-log-scale")
        self.log_scale.setToolTip("Ports on a log scale: a VM's 1,024 ports stay readable next to "
                                  "a NAT gateway's 64,512")
        self.log_scale.toggled.connect(self._set_log)
        self.readout = QLabel()
        self.readout.setObjectName("metrics-readout")
        self.readout.setTextFormat(Qt.TextFormat.PlainText)
        self.readout.setWordWrap(True)
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setObjectName("metrics-plots")
        self.ports = self.plots.addPlot(row=0, col=0)
        self.conns = self.plots.addPlot(row=1, col=0)
        self.probe = self.plots.addPlot(row=2, col=0)
        for plot in (self.ports, self.conns, self.probe):
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.setMenuEnabled(False)
            plot.getAxis("left").enableAutoSIPrefix(False)
            plot.getAxis("left").setWidth(46)
            plot.getAxis("bottom").enableAutoSIPrefix(False)
            # compact: the dock is often short; one time axis, under the last plot
            plot.titleLabel.setMaximumHeight(16)
            plot.layout.setRowFixedHeight(0, 16)
            if plot is not self.probe:    # one time axis, under the last plot
                plot.hideAxis("bottom")
        for row, stretch in enumerate((3, 3, 2)):     # the probe's 0-100 % needs less room
            self.plots.ci.layout.setRowStretchFactor(row, stretch)
        self.plots.ci.layout.setSpacing(2)
        self.plots.ci.setContentsMargins(2, 2, 2, 2)
        opts = dict(skipFiniteCheck=False, connect="finite")
        self.curves = []
        for col in range(COLUMNS):
            plot = self.ports if col in (ALLOCATED, USED) else \
                self.probe if col == PROBE else self.conns
            style = Qt.PenStyle.DashLine if col == ALLOCATED else Qt.PenStyle.SolidLine
            self.curves.append(plot.plot([], [], pen=pg.mkPen(COLORS[col], width=1.5,
                                                              style=style),
                                         name=SERIES_NAMES[col], **opts))
        self.probe.setYRange(0, 105, padding=0)
        self.probe.getAxis("left").setTicks([[(0, "0"), (50, "50"), (100, "100")]])
        self.cursor = pg.InfiniteLine(angle=90, movable=True, pen=pg.mkPen("#f0a202", width=1.5))
        self.cursor.sigPositionChanged.connect(self._cursor_moved)
        self.ports.addItem(self.cursor, ignoreBounds=True)
        self.cursor.hide()
        # small windows: the dock may shrink below the plots' natural size
        self.plots.setMinimumHeight(20)
        self.setMinimumHeight(40)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.log_scale, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.plots, 1)
        layout.addWidget(self.readout)
        self.now = 0.0
        self.plot_list = (self.ports, self.conns, self.probe)
        #: per plot, the (x, y) ranges it shows
        self._ranges: list = [None] * len(self.plot_list)
        self.dark: bool | None = None
        self.restyle()

    # ---------------------------------------------------------------- looks
    def restyle(self) -> None:
        """Colours from the widget's palette (light or dark theme)."""
        dark = _dark(self.palette())
        if dark == self.dark:
            return
        self.dark = dark
        bg = self.palette().color(QPalette.ColorRole.Base)
        fg = self.palette().color(QPalette.ColorRole.Text)
        muted = QColor(fg)
        muted.setAlpha(150)
        self.plots.setBackground(bg)
        small = "font-size:9pt"
        key = lambda col, text: f"<span style='color:{COLORS[col]}'>{text}</span>"  # noqa: E731
        titles = {
            self.ports: f"{key(USED, 'Used SNAT ports')} / {key(ALLOCATED, 'Allocated (dashed)')}",
            # short words: the dock's default width shows the whole legend
            self.conns: (f"Flows/s: {key(SUCCEEDED, 'ok')} / "
                         f"{key(FAILED_SNAT, 'SNAT failed')} / {key(DENIED_NSG, 'NSG denied')}"
                         f" / {key(NO_ROUTE, 'no route')}"),
            self.probe: "Health probe status (% up)",
        }
        for plot, title in titles.items():
            plot.setTitle(f"<span style='{small}; color:{fg.name()}'>{title}</span>")
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(pg.mkPen(muted))
                axis.setTextPen(pg.mkPen(fg))
            # no grid: grid lines belong to the axes, which then repaint (text and all) with
            # every curve update - the plots' main cost at full speed

    def changeEvent(self, event) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange,
                            QEvent.Type.StyleChange):
            self.restyle()
        super().changeEvent(event)

    # ---------------------------------------------------------------- data
    def clear(self) -> None:
        self.history.clear()
        self.now = 0.0
        self.refresh()

    def set_node(self, node_id: str | None, label: str = "") -> None:
        self.node_id = node_id
        self.title.setText(f"Metrics of {label or node_id}" if node_id else NO_SELECTION)
        self.refresh()

    @property
    def shown_key(self) -> str:
        """The history key plotted: the selected node, or the totals."""
        return self.node_id if self.node_id else TOTAL

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

    def _set_log(self, on: bool) -> None:
        self.ports.setLogMode(y=on)
        self._ranges = [None] * len(self.plot_list)
        self.refresh()

    def refresh(self, part: int | None = None) -> None:
        """Show the latest history: every plot, or only plot ``part`` (0 ports, 1 connection
        counts, 2 probes).  The live view refreshes one plot per frame in turn: a repaint of
        one plot costs the GUI thread a third of three."""
        s = self.history.series(self.shown_key)
        parts = range(len(self.plot_list)) if part is None else (part % len(self.plot_list),)
        if s is None:
            for k in parts:
                for col in PLOT_COLUMNS[k]:
                    self.curves[col].setData([], [])
            return
        t, v = s
        log = self.log_scale.isChecked()
        # the window moves in steps of X_STEP of its width, and ranges are set only when they
        # change: a new range makes the axes lay out and paint their text again
        step = WINDOW_S * X_STEP
        x1 = max(np.ceil(self.now / step) * step, WINDOW_S)
        x0 = x1 - WINDOW_S
        seen = t >= x0
        for k in parts:
            for col in PLOT_COLUMNS[k]:
                y = v[:, col]
                if log and col in (ALLOCATED, USED):
                    y = np.where(y > 0, y, np.nan)    # log(0): no point rather than -inf
                self.curves[col].setData(t, y)
            if k == 0:
                top = np.nanmax(v[seen][:, [ALLOCATED, USED]], initial=0.0) if seen.any() else 0
                y_range = (0, np.log10(max(top * 1.5, 10))) if log else \
                    (0, _round_up(max(top * 1.1, 10)))
            elif k == 1:
                rates = v[seen][:, list(RATE_COLUMNS)] if seen.any() else np.zeros((0, 4))
                top = np.nanmax(rates, initial=0.0) if rates.size else 0
                y_range = (0, _round_up(max(top * 1.2, 1)))
            else:
                y_range = (0, 105)
            ranges = ((x0, x1), y_range)
            if ranges != self._ranges[k]:
                self._ranges[k] = ranges
                plot = self.plot_list[k]
                plot.setXRange(x0, x1, padding=0)
                plot.setYRange(*y_range, padding=0)
                if k < 2:    # two labels, 0 and the top: they fit a short plot, and paint fast
                    top = y_range[1]
                    plot.getAxis("left").setTicks(None if log and k == 0 else [[
                        (0, "0"), (top, f"{top:,.4g}")], [(top / 2, "")]])
        if self.paused:
            self._cursor_moved()

    def _cursor_moved(self, *_args) -> None:
        """The values under the cursor, in one short line (the dock is often narrow); the
        tooltip has them under Azure Monitor's names."""
        if not self.paused:
            return
        t = float(self.cursor.value())
        v = self.history.value_at(self.shown_key, t)
        if v is None:
            self.readout.clear()
            return
        full = [f"t = {t:.1f} s"]
        for col, (name, x) in enumerate(zip(SERIES_NAMES, v)):
            if not np.isnan(x):
                full.append(f"{name}: {x:.0f} %" if col == PROBE else
                            f"{name}: {x:,.1f}/s" if col in RATE_COLUMNS else
                            f"{name}: {x:,.0f}")
        short = [f"{t:.1f} s"]
        if not np.isnan(v[USED]):
            short.append(f"ports {v[USED]:,.0f} of {v[ALLOCATED]:,.0f}")
        rates = [(SHORT_RATES[c], v[c]) for c in RATE_COLUMNS if not np.isnan(v[c])]
        if rates:
            short.append(" ".join(f"{x:,.1f} {name}" for name, x in rates) + " /s")
        if not np.isnan(v[PROBE]):
            short.append(f"probe {v[PROBE]:.0f} % up")
        self.readout.setText(" · ".join(short))
        self.readout.setToolTip("\n".join(full))

    def resizeEvent(self, event) -> None:
        """A short dock keeps the two plots that matter: the probe status is also on the
        canvas (a VM out of rotation is marked) and in the cursor's line."""
        super().resizeEvent(event)
        short = self.plots.height() < SHORT_PLOTS_PX
        self.probe.setVisible(not short)
        self.plots.ci.layout.setRowMaximumHeight(2, 0 if short else 100000)
        self.plots.ci.layout.setRowMinimumHeight(2, 0)
        self.probe.getAxis("bottom").setVisible(not short)
        self.conns.showAxis("bottom", short)
        if short:
            self.conns.getAxis("bottom").setStyle(showValues=True)
