"""Capacity planning in the editor: "Compare Fixes" (Simulation menu and the exhaustion
banner), the Fixes and Sweep docks, runs off the GUI thread with progress and Cancel in the
status bar.  ``install_capacity(window)`` is the one call the window makes; ``shutdown``
cancels a running job and joins its thread.

The comparison and the sweep run on the document as it is when they start (its file text):
"Apply to Diagram" refuses a document edited since, rather than dropping the edits.
"""
from __future__ import annotations

import json
import logging
import math

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QLabel, QMenu, QMessageBox, QProgressBar, QToolButton

from ...capacity.execute import Driver, expected_cpu_s
from ...capacity.fieldpath import VaryError, parse_vary
from ...capacity.fixes import TYPICAL_RUNS_PER_SEED, compare
from ...capacity.search import Settings
from ...capacity.sweep import run_sweep
from ...model import dumps
from ...model.io import from_document
from ..live.eventlog import AlertBanner
from .apply import ApplyVariantCommand, unchanged_since
from .jobs import JobRunner, progress_text
from .panels import FixesPanel, SweepPanel

log = logging.getLogger(__name__)

#: the editor compares with one seed over the scenario's own duration (the command line
#: offers --seeds and --duration)
EDITOR_SEEDS = 1


class CapacityPlanner(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.setObjectName("capacity-planner")
        self.window = window
        self.runner = JobRunner(self)
        self.runner.progressed.connect(self._progress)
        self.runner.notice.connect(lambda text: log.info("capacity: %s", text))
        self.runner.finished.connect(self._finished)
        self.runner.failed.connect(self._failed)
        self.runner.cancelled.connect(self._cancelled)
        self.compared_text: str | None = None
        #: simulated seconds per run (None: the scenario's own, as ``simulate``)
        self.duration: float | None = None
        self._build_docks()
        self._build_actions()
        self._build_status()
        AlertBanner.created_hooks.append(self._banner_created)
        # the window's current banner was made before this hook existed
        live = getattr(window, "live", None)
        if live is not None and live.banner is not None:
            self._banner_created(live.banner)

    # ================================================================ building
    def _build_docks(self) -> None:
        w = self.window
        self.fixes = FixesPanel()
        self.fixes.runRequested.connect(self.compare_fixes)
        self.fixes.cancelRequested.connect(self.runner.cancel)
        self.fixes.openRequested.connect(self.open_variant)
        self.fixes.applyRequested.connect(self.apply_variant)
        self.sweep = SweepPanel()
        self.sweep.runRequested.connect(self.run_sweep)
        self.sweep.cancelRequested.connect(self.runner.cancel)
        self.dock_fixes = w._dock("fixes", "Fixes", self.fixes, Qt.BottomDockWidgetArea)
        self.dock_sweep = w._dock("sweep", "Sweep", self.sweep, Qt.BottomDockWidgetArea)
        self.dock_fixes.hide()
        self.dock_sweep.hide()
        self._placed: set[str] = set()
        panels = w.menuBar().findChild(QMenu, "menu-view-docks")
        for dock in (self.dock_fixes, self.dock_sweep):
            toggle = dock.toggleViewAction()
            toggle.setObjectName(f"action-view-{dock.objectName()}")
            w.actions_by_name[toggle.objectName()] = toggle
            if panels is not None:
                panels.addAction(toggle)

    def _build_actions(self) -> None:
        w = self.window
        w._action("sim-compare-fixes", "Compare &Fixes…", self.compare_fixes, "Ctrl+Shift+F5",
                  "Build each documented SNAT fix as an edited copy, find the smallest that "
                  "holds and how much more load it takes")
        w._action("sim-sweep", "Capacity S&weep…", self.show_sweep, None,
                  "Vary a field or a count and see SNAT use and failures at every value")
        w._action("sim-capacity-cancel", "Cancel Comparison or Sweep", self.runner.cancel,
                  None, "Stop the running comparison or sweep").setEnabled(False)
        menu = w.menuBar().findChild(QMenu, "menu-simulation")
        if menu is not None:
            menu.addSeparator()
            for name in ("compare-fixes", "sweep", "capacity-cancel"):
                menu.addAction(w.action(f"action-sim-{name}"))

    def _build_status(self) -> None:
        status = self.window.statusBar()
        self.progress_label = QLabel()
        self.progress_label.setObjectName("status-capacity")
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("status-capacity-progress")
        self.progress_bar.setMaximumWidth(160)
        self.progress_bar.setTextVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setObjectName("status-capacity-cancel")
        self.cancel_button.setText("Cancel")
        self.cancel_button.clicked.connect(self.runner.cancel)
        for index, widget in enumerate((self.progress_label, self.progress_bar,
                                        self.cancel_button)):
            status.insertPermanentWidget(index, widget)
            widget.hide()

    def _show_dock(self, dock) -> None:
        """Show a dock, the first time as a tab beside Findings (tabbing them at start-up
        would make a restored layout reserve a tab bar for docks nobody opened)."""
        w = self.window
        name = dock.objectName()
        first = name not in self._placed and dock.isHidden()
        others = [d for d in (w.dock_findings, self.dock_fixes, self.dock_sweep)
                  if d is not dock and not d.isHidden() and not d.isFloating()]
        dock.show()
        if first and others:
            w.tabifyDockWidget(others[0], dock)
        if first and not dock.isFloating():
            # room for the table or the plot: a third of the window's height
            w.resizeDocks([dock], [max(dock.height(), w.height() // 3)],
                          Qt.Orientation.Vertical)
        self._placed.add(name)
        dock.raise_()

    def _banner_created(self, banner: AlertBanner) -> None:
        if banner.window() is not self.window:
            return
        button = banner.add_vm_button("alert-banner-compare-fixes", "Compare fixes")
        button.setToolTip("Compare the documented fixes for this VM (Fixes dock)")
        button.clicked.connect(self.compare_fixes)

    # ================================================================ jobs
    def _busy(self) -> bool:
        if self.runner.busy:
            self.window.show_status("A comparison or sweep is already running (Cancel it "
                                    "in the status bar)")
            return True
        return False

    def _started(self, what: str) -> None:
        for widget in (self.progress_label, self.progress_bar, self.cancel_button):
            widget.show()
        self.progress_bar.setRange(0, 0)
        self.progress_label.setText(("Comparing fixes" if what == "fixes" else "Sweeping")
                                    + ": starting the workers…")
        self.window.action("action-sim-capacity-cancel").setEnabled(True)
        self.fixes.set_running(what == "fixes")
        self.sweep.set_running(what == "sweep")

    def compare_fixes(self) -> None:
        if self._busy():
            return
        scenario = self.window.document.scenario
        text = dumps(scenario)
        self.compared_text = text
        settings = Settings(tuple(scenario.seed + i for i in range(EDITOR_SEEDS)),
                            self.duration, 60.0,
                            self.window.document.display_name
                            if self.window.document.path is not None else scenario.name)
        snapshot = scenario.snapshot()
        self._show_dock(self.dock_fixes)
        runs = TYPICAL_RUNS_PER_SEED * len(settings.seeds)
        self.runner.start("fixes", lambda driver: compare(snapshot, settings, driver),
                          lambda: expected_cpu_s(snapshot, self.duration, 60.0, runs))
        self._started("fixes")

    def show_sweep(self) -> None:
        self._show_dock(self.dock_sweep)
        self.sweep.vary1.setFocus()

    def run_sweep(self, texts: list, seeds: int, duration: float, metric: str) -> None:
        if self._busy():
            return
        scenario = self.window.document.scenario.snapshot()
        try:
            varies = [parse_vary(scenario, t) for t in texts]
        except VaryError as exc:
            self.sweep.status.setText(str(exc))
            return
        seed_list = [scenario.seed + i for i in range(seeds)]

        def work(driver: Driver):
            return run_sweep(scenario, varies, seed_list, driver,
                             duration=duration or None, source=scenario.name, metric=metric)[0]
        runs = len(seed_list) * math.prod(len(v.values) for v in varies)
        self.show_sweep()
        self.runner.start("sweep", work,
                          lambda: expected_cpu_s(scenario, duration or None, 60.0, runs))
        self._started("sweep")

    def _progress(self, p) -> None:
        what = "Comparing fixes" if self.runner.what == "fixes" else "Sweeping"
        self.progress_bar.setRange(0, max(p.total, 1))
        self.progress_bar.setValue(p.done)
        self.progress_label.setText(progress_text(what, p))

    def _idle(self) -> None:
        for widget in (self.progress_label, self.progress_bar, self.cancel_button):
            widget.hide()
        self.window.action("action-sim-capacity-cancel").setEnabled(False)
        self.fixes.set_running(False)
        self.sweep.set_running(False)

    def _finished(self, what: str, result) -> None:
        self._idle()
        if what == "fixes":
            self.fixes.set_result(result)
            best = result.get("smallest_holding")
            if best:
                self.fixes.select_kind(best)
            self.window.show_status("Fixes compared" + (f": smallest that holds is "
                                                        f"{best.replace('_', ' ')}"
                                                        if best else ""))
        else:
            self.sweep.set_result(result)
            self.window.show_status(f"Sweep done: {len(result['points'])} points")

    def _failed(self, what: str, message: str) -> None:
        self._idle()
        self.window.show_status(f"The {'comparison' if what == 'fixes' else 'sweep'} "
                                f"stopped: {message} (details in the log)")
        (self.fixes.summary if what == "fixes" else self.sweep.status).setText(
            f"Stopped: {message}")

    def _cancelled(self, what: str) -> None:
        self._idle()
        self.window.show_status("Comparison cancelled" if what == "fixes" else
                                "Sweep cancelled")
        (self.fixes.summary if what == "fixes" else self.sweep.status).setText("Cancelled.")

    # ================================================================ variants
    def _variant_scenario(self, variant: dict):
        return from_document(json.loads(json.dumps(variant["scenario"])),
                             source=f"variant {variant['kind']}")

    def open_variant(self, variant: dict) -> None:
        from ..document import Document
        w = self.window
        if not w.maybe_save():
            return
        w.set_document(Document(self._variant_scenario(variant)))
        w.show_status(f"Variant {variant['kind'].replace('_', ' ')} opened as a new scenario: "
                      f"{variant['azure_change']}")

    def apply_variant(self, variant: dict) -> None:
        w = self.window
        scenario = w.document.scenario
        if self.compared_text is None or not unchanged_since(scenario, self.compared_text):
            QMessageBox.information(w, "Apply fix", "The diagram changed since the fixes "
                                    "were compared. Compare them again, then apply.")
            return
        command = ApplyVariantCommand(scenario, self._variant_scenario(variant),
                                      f"Apply fix: {variant['kind'].replace('_', ' ')}")
        if command.empty:
            w.show_status("This variant changes nothing in the diagram")
            return
        w.document.undo_stack.push(command)
        w.show_status(f"Applied: {variant['azure_change']} (Undo reverts it)")

    # ================================================================ end
    def shutdown(self) -> None:
        self.runner.stop()
        if self._banner_created in AlertBanner.created_hooks:
            AlertBanner.created_hooks.remove(self._banner_created)


def install_capacity(window) -> CapacityPlanner:
    """Add fix comparison and sweeps to ``window`` (a MainWindow)."""
    return CapacityPlanner(window)
