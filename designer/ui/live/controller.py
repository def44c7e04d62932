"""The live simulation in the editor: wires the runner, the canvas overlay, gauges, the
Metrics and Event log docks, traffic generator drops, "Why this path?" and Presentation mode
into the main window.  ``install_live_simulation(window)`` is the one call the window makes;
``set_document`` follows the window's document swaps and ``shutdown`` stops everything.

One failure state (``alerts.FailureState``, fed by the engine's ``snat_exhausted`` /
``snat_recovered`` events only) drives the banner, the red gauges and the log, frame by frame.
Edits during a run become ``edit`` events (``journal.EditJournal``), stamped by the worker with
the simulated time the engine applies them; :meth:`LiveSimulation.watched_report` builds the
report of the run as it stands (counters, series, events and edits up to now) on the worker
thread, with the same ``build_report`` as ``simulate``.

Threads and frames (architecture.md): the engine runs in the worker; frames arrive by a
queued signal; this object keeps only the latest frame, collects every frame's events and
flow samples, and repaints on its own ~60 Hz timer (gauges and metrics at <= 10 Hz).  A model
change during a run marks the snapshot dirty; the next tick hands the engine one new snapshot
(so at most one per frame, and undo works the same way).
"""
from __future__ import annotations

import html
import logging
import time
from concurrent.futures import TimeoutError as FutureTimeout

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMenu, QStyle, QToolBar

from ...sim.engine import Frame
from . import gauges
from .alerts import AlertBanner, FailureState, azure_event, failing_text, recovered_text
from .controls import CanvasControls, ClockLabel, SpeedBox
from .eventlog import EventLog, clock_text
from .generators import (GeneratorDrops, GeneratorMoves, add_generator, add_palette_presets,
                         add_public_ip, parse_payload)
from .journal import EditJournal
from .metrics import MetricsPanel
from .overlay import FlowOverlay, scene_positions
from .pacing import AnimationPace
from .presentation import PresentationMode
from .. import run_limits
from .runner import SimRunner, speed_label, wait_for_retired
from .why import PathHighlight, WhyPanel

log = logging.getLogger(__name__)

FRAME_MS = 16
#: "as fast as possible" gives the engine the interpreter: the canvas animates at ~30 Hz, and
#: slower (down to ~15 Hz) while the GUI thread's own work exceeds its share (pacing.py)
FRAME_MS_FLAT_OUT = 33
FRAME_MS_FLAT_OUT_SLOWEST = 66
#: gauges and metrics refresh at most this often (wall seconds)
SLOW_S = 0.1
#: metrics are recorded at most once per this many simulated seconds
METRIC_STEP_S = 0.25
#: the Metrics plots repaint at most this often (wall seconds), one plot per frame: a repaint
#: of three plots costs the GUI thread ~10-30 ms, the largest single block of a frame
PLOT_S = 0.25
#: the event log's new rows and a failing banner's text refresh at most this often (wall s)
BANNER_S = 0.25
#: the event log's rows added per refresh while running (a burst waits for the next ones;
#: pausing shows every row)
LOG_ROWS_PER_FLUSH = 50
#: how long the GUI waits for the worker to build a report between two slices (seconds)
REPORT_TIMEOUT_S = 30.0


class LiveSimulation(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.setObjectName("live-simulation")
        self.window = window
        self.runner = SimRunner(self)
        self.runner.frameReady.connect(self._on_frame)
        self.runner.failed.connect(self._on_failure)
        self.runner.refused.connect(self._on_refused)
        self.runner.preparing.connect(self.window.show_status)
        self.state = "stopped"          # stopped | running | paused
        self.speed: float | None = 1.0
        self.frame: Frame | None = None
        self._frame_new = False
        self._snapshot_dirty = False
        self._positions = None
        self._last_slow = 0.0
        self._last_plot = 0.0
        self._last_log = 0.0
        self._banner_shown = 0.0
        self._banner_stale = False
        self._plot_turn: int | None = None     # the next Metrics plot to refresh
        self._last_metric_t = -1e9
        self.frames_received = 0
        self.scene = self.view = self.overlay = self.banner = self.controls = None
        self.drops = self.moves = None
        self.highlight: PathHighlight | None = None
        self._scenario = None
        self._undo_stack = None
        self.failures = FailureState()
        self._failing_nodes: set[str] = set()
        self._gauges_dirty = False
        self.journal = EditJournal()
        self._edits_logged = 0
        self.timer = QTimer(self)
        self.timer.setObjectName("live-animation")
        self.timer.setInterval(FRAME_MS)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        #: as fast as possible: the timer's interval follows the GUI thread's cost
        self.pace = AnimationPace(FRAME_MS_FLAT_OUT, FRAME_MS_FLAT_OUT_SLOWEST)
        self.why_timer = QTimer(self)
        self.why_timer.setObjectName("live-why-refresh")
        self.why_timer.setSingleShot(True)
        self.why_timer.setInterval(0)
        self.why_timer.timeout.connect(self._refresh_why)
        self._build_docks()
        self._build_actions()
        self._build_toolbar_and_menu()
        self.why = WhyPanel()
        window.inspector.layout().addWidget(self.why)
        self.presets = add_palette_presets(window.palette)
        window.palette.placeRequested.disconnect(window.place_at_centre)
        window.palette.placeRequested.connect(self.place_requested)
        self.presentation = PresentationMode(window, self)
        self._update_actions()

    # ================================================================ building
    def _build_docks(self) -> None:
        w = self.window
        self.metrics = MetricsPanel()
        self.events = EventLog()
        self.events.nodeSelected.connect(self.select_node)
        self.events.describe_azure = lambda e: azure_event(
            e, self._scenario.topology if self._scenario is not None else None)
        self.dock_metrics = w._dock("metrics", "Metrics", self.metrics, Qt.RightDockWidgetArea)
        self.dock_events = w._dock("events", "Event log", self.events, Qt.RightDockWidgetArea)
        # beside the undo history (a tab bar there already: the window keeps its minimum size)
        w.tabifyDockWidget(w.dock_history, self.dock_events)
        w.dock_inspector.raise_()
        panels = w.menuBar().findChild(QMenu, "menu-view-docks")
        for dock in (self.dock_metrics, self.dock_events):
            toggle = dock.toggleViewAction()
            toggle.setObjectName(f"action-view-{dock.objectName()}")
            w.actions_by_name[toggle.objectName()] = toggle
            if panels is not None:
                panels.addAction(toggle)
        self.dock_metrics.visibilityChanged.connect(lambda on: on and self.metrics.refresh())

    def _build_actions(self) -> None:
        w = self.window
        sp = w.style().standardIcon
        a = w._action
        a("sim-play", "&Play", self.play, "F5", "Run the simulation (follows the chosen speed)",
          sp(QStyle.StandardPixmap.SP_MediaPlay))
        a("sim-pause", "P&ause", self.pause, "F6", "Pause the simulation (inspect the metrics)",
          sp(QStyle.StandardPixmap.SP_MediaPause))
        a("sim-step-second", "Step 1 &Second", lambda: self.step("second"), "F10",
          "Advance the simulation by one simulated second",
          sp(QStyle.StandardPixmap.SP_MediaSeekForward))
        a("sim-step-event", "Step 1 &Event", lambda: self.step("event"), "Shift+F10",
          "Advance the simulation to its next event",
          sp(QStyle.StandardPixmap.SP_MediaSkipForward))
        a("sim-reset", "&Reset", self.reset, "Ctrl+F5",
          "Stop the simulation and go back to 00:00", sp(QStyle.StandardPixmap.SP_MediaStop))
        a("sim-presentation", "Presentation &Mode", self._presentation_toggled, "F11",
          "Full screen with large text and time controls on the canvas", checkable=True)
        a("sim-presentation-exit", "Leave Presentation Mode",
          lambda: w.action("action-sim-presentation").setChecked(False),
          QKeySequence(Qt.Key.Key_Escape)).setEnabled(False)
        # the check mark shows the run's state (set by _update_actions, never by a click)
        for name in ("sim-play", "sim-pause"):
            w.action(f"action-{name}").setCheckable(True)
        for speed in (None, 1.0, 10.0, 100.0, 1000.0):
            name = "max" if speed is None else f"{speed:g}x"
            a(f"sim-speed-{name}", f"Speed {speed_label(speed)}" if speed else
              "As Fast as Possible", lambda _=False, s=speed: self.set_speed(s))

    def _build_toolbar_and_menu(self) -> None:
        w = self.window
        bar = QToolBar("Simulation", w)
        bar.setObjectName("toolbar-simulation")
        for name in ("play", "pause", "step-second", "step-event", "reset"):
            bar.addAction(w.action(f"action-sim-{name}"))
        self.speed_box = SpeedBox()
        self.speed_box.speedChosen.connect(self.set_speed)
        bar.addWidget(self.speed_box)
        self.clock = ClockLabel()
        bar.addWidget(self.clock)
        bar.addAction(w.action("action-sim-presentation"))
        w.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        toggle = bar.toggleViewAction()
        toggle.setObjectName("action-view-toolbar-simulation")
        w.actions_by_name[toggle.objectName()] = toggle
        w.toolbar_menu.addAction(toggle)
        self.toolbar = bar
        menu = QMenu("&Simulation", w)
        menu.setObjectName("menu-simulation")
        for name in ("play", "pause", "step-second", "step-event", "reset"):
            menu.addAction(w.action(f"action-sim-{name}"))
        speeds = menu.addMenu("Spee&d")
        speeds.setObjectName("menu-simulation-speed")
        for name in ("1x", "10x", "100x", "1000x", "max"):
            speeds.addAction(w.action(f"action-sim-speed-{name}"))
        menu.addSeparator()
        menu.addAction(w.action("action-sim-presentation"))
        help_menu = w.menuBar().findChild(QMenu, "menu-help")
        if help_menu is not None:
            w.menuBar().insertMenu(help_menu.menuAction(), menu)
        else:
            w.menuBar().addMenu(menu)

    # ================================================================ documents
    def set_document(self, document, scene, view) -> None:
        """The window shows another document: the run of the old one ends."""
        self.reset()
        if self._scenario is not None:
            self._scenario.topology.unsubscribe(self._model_changed)
        if self._undo_stack is not None:
            self._undo_stack.indexChanged.disconnect(self._undo_index_changed)
        if self.presentation.active:
            self.window.action("action-sim-presentation").setChecked(False)
        self.presentation.document_changed()
        self._scenario = document.scenario
        self._scenario.topology.subscribe(self._model_changed)
        self._undo_stack = document.undo_stack
        self._undo_stack.indexChanged.connect(self._undo_index_changed)
        self.scene, self.view = scene, view
        self.overlay = FlowOverlay(view)
        self.banner = AlertBanner(view)
        w = self.window
        self.controls = CanvasControls(view, [w.action(f"action-sim-{n}") for n in
                                              ("play", "pause", "step-second", "reset")])
        self.controls.speed.set_speed(self.speed)
        self.controls.speed.speedChosen.connect(self.set_speed)
        self.drops = GeneratorDrops(view, view)
        self.moves = GeneratorMoves(scene, view)
        view.installEventFilter(self)
        scene.selectionChanged.connect(self._selection_changed)
        self.highlight = PathHighlight()
        scene.addItem(self.highlight)
        self.highlight.hide()
        self._positions = None
        self._selection_changed()

    def eventFilter(self, watched, event) -> bool:
        if watched is self.view and event.type() == QEvent.Type.Resize:
            if self.banner is not None and self.banner.isVisible():
                self.banner.place()
            if self.controls is not None and self.controls.isVisible():
                self.controls.place()
        return False

    def _model_changed(self, event) -> None:
        self._positions = None
        if event.kind != "moved" and self.state != "stopped":
            self.journal.model_changed(event)
            self._snapshot_dirty = True
            if self.state == "paused":
                # nothing ticks fast while paused: apply at once (after the gesture's undo
                # command has moved the stack, so its text names the edit)
                QTimer.singleShot(0, self, self._push_snapshot)
        self.why_timer.start()

    def _undo_index_changed(self, index: int) -> None:
        if self.state != "stopped":
            self.journal.undo_index_changed(self._undo_stack, index)

    def _push_snapshot(self) -> None:
        worker = self.runner.worker
        if worker is not None and self._snapshot_dirty:
            worker.set_snapshot(self._scenario.snapshot(), self.journal.take())
        self._snapshot_dirty = False

    # ================================================================ time controls
    def _start(self, paused: bool, memory_limit: float | None | str = "setting") -> bool:
        self.window.autosaver.autosave_now()       # before anything risky
        if memory_limit == "setting":
            memory_limit = run_limits.memory_limit(self.window)
        try:
            self.runner.start(self._scenario.snapshot(), speed=self.speed, paused=paused,
                              memory_limit=memory_limit)
        except Exception as exc:  # noqa: BLE001 - the scenario cannot be simulated yet
            log.exception("the simulation could not start")
            self.show_error(f"The simulation could not start: {exc}")
            return False
        self.frame = None
        self.frames_received = 0
        self._last_metric_t = -1e9
        self.events.clear()
        self.metrics.clear()
        self._clear_failures()
        self.journal.reset(self._undo_stack)
        self._edits_logged = 0
        self.overlay.dots.clear()
        self.overlay.show()
        self.overlay.raise_()
        self.controls.raise_()
        self.state = "paused" if paused else "running"
        self.metrics.set_paused(paused)
        self.pace.reset()
        self._set_frame_interval(FRAME_MS if self.speed is not None else self.pace.interval_ms)
        self.timer.start()
        self._update_actions()
        return True

    def play(self) -> None:
        if self.state == "stopped":
            self._start(paused=False)
            return
        if self.state == "paused":
            self.runner.worker.set_paused(False)
            self.state = "running"
            self.metrics.set_paused(False)
            self._update_actions()

    def pause(self) -> None:
        if self.state == "running":
            self.runner.worker.set_paused(True)
            self.state = "paused"
            self._update_actions()
            self.metrics.record(self.frame) if self.frame is not None else None
            self.metrics.set_paused(True)
            self.metrics.refresh()
            self.events.flush()
            if self._banner_stale:
                self._show_failures(force=True)

    def step(self, what: str) -> None:
        if self.state == "stopped":
            if not self._start(paused=True):
                return
        elif self.state == "running":
            self.pause()
        self._push_snapshot()
        self.runner.worker.request_step(what)

    def reset(self) -> None:
        if self.state != "stopped":
            self.window.autosaver.autosave_now()   # before anything risky
        self.runner.stop()
        self.timer.stop()
        self.state = "stopped"
        self.frame = None
        self._frame_new = False
        self._snapshot_dirty = False
        if self.overlay is not None:
            self.overlay.dots.clear()
            self.overlay.set_gauges({})
            self.overlay.set_probes({})
            self.overlay.hide()
        if self.scene is not None:
            gauges.apply_frame(self.scene, None)
        self._clear_failures()
        self.events.clear()
        self.metrics.clear()
        self.metrics.set_paused(False)
        self._set_clock(0.0)
        self._update_actions()

    def set_speed(self, speed: float | None) -> None:
        self.speed = speed
        self.pace.reset()
        self._set_frame_interval(FRAME_MS if speed is not None else self.pace.interval_ms)
        self.speed_box.set_speed(speed)
        if self.controls is not None:
            self.controls.speed.set_speed(speed)
        if self.runner.worker is not None:
            self.runner.worker.set_speed(speed)

    def _set_frame_interval(self, ms: int) -> None:
        """The animation's interval; as fast as possible the worker's frames follow it."""
        self.timer.setInterval(ms)
        if self.speed is None and self.runner.worker is not None:
            self.runner.worker.set_flat_out_frame_interval(ms / 1000)

    def _update_actions(self) -> None:
        w = self.window
        play, pause = w.action("action-sim-play"), w.action("action-sim-pause")
        play.setEnabled(self.state != "running")
        pause.setEnabled(self.state == "running")
        play.setChecked(self.state == "running")
        pause.setChecked(self.state == "paused")
        play.setText("&Playing" if self.state == "running" else "&Play")
        pause.setText("P&aused" if self.state == "paused" else "P&ause")
        w.action("action-sim-reset").setEnabled(self.state != "stopped")

    def _set_clock(self, t: float) -> None:
        text = clock_text(t)
        self.clock.setText(text)
        if self.controls is not None:
            self.controls.clock.setText(text)

    # ================================================================ frames
    def _on_frame(self, frame: Frame) -> None:
        self.frame = frame
        self._frame_new = True
        self.frames_received += 1
        if self.frames_received == 1 and \
                self.window.statusBar().currentMessage().startswith("Preparing"):
            self.window.statusBar().clearMessage()       # the engine is ready
        worker = self.runner.worker
        edits = worker.edits if worker is not None else ()
        # the edits this frame covers: the worker may have applied a later one already
        new_edits = []
        for edit in edits[self._edits_logged:]:
            if edit["t"] > frame.t:
                break
            new_edits.append(edit)
        self._edits_logged += len(new_edits)
        if frame.events or new_edits:
            # in time order, as in the report (stable: an edit first at a tie, the engine's
            # events at its time follow from it)
            self.events.add_events(sorted(new_edits + list(frame.events),
                                          key=lambda e: e["t"]), defer=True)
        if frame.events and self.failures.apply(frame.events):
            self._show_failures()
        if frame.samples and self.overlay is not None:
            if self._positions is None:
                self._positions = scene_positions(self.scene)
            self.overlay.add_frame(frame, *self._positions)

    # ================================================================ failures
    def _clear_failures(self) -> None:
        self._banner_stale = False
        self.failures.clear()
        self._failing_nodes = set()
        self._gauges_dirty = True
        if self.banner is not None:
            self.banner.dismiss()

    def _show_failures(self, force: bool = False) -> None:
        """The banner and the red gauges follow the failure state (called when it changes).
        Whether the banner says "failing" follows at once; while it stays failing, a new text
        (another VM joins) waits for the next refresh (at most BANNER_S)."""
        state = self.failures
        self._failing_nodes = state.failing_nodes(gauges.pip_addresses(self._scenario))
        self._gauges_dirty = True
        now = time.monotonic()
        if not force and state.failing and self.banner_failing() and \
                now - self._banner_shown < BANNER_S:
            self._banner_stale = True
            return
        self._banner_shown = now
        self._banner_stale = False
        names = {c.id: c.display_name for c in self._scenario.topology.nodes()}
        if state.failing:
            snat = self.frame.snat if self.frame is not None else {}
            allocated = {(vm, proto): use.allocated for vm, uses in snat.items()
                         for proto, use in uses.items()}
            self.banner.show_message(failing_text(state, names, allocated),
                                     subject=state.failing_vms()[0], severity="failing")
        elif state.last_recovery is not None:
            self.banner.show_message(recovered_text(state.last_recovery, names),
                                     subject=state.last_recovery.exhaustion.vm, severity="ok")
        else:
            self.banner.dismiss()

    def banner_failing(self) -> bool:
        """What the banner says: True while it reports failing flows."""
        return self.banner is not None and self.banner.isVisible() and \
            self.banner.severity == "failing"

    def _tick(self) -> None:
        if self._snapshot_dirty:
            self._push_snapshot()
        frame = self.frame
        if self._frame_new and frame is not None:
            self._frame_new = False
            self._set_clock(frame.t)
            now = time.monotonic()
            # the slower the pace (a costly GUI thread, pacing.py), the rarer the refreshes
            slowdown = self.pace.slowdown if self.speed is None else 1.0
            if now - self._last_slow >= SLOW_S * slowdown or self._gauges_dirty:
                self._last_slow = now
                self._gauges_dirty = False
                # drawn by the overlay: the scene's items stay untouched while live
                self.overlay.set_gauges(gauges.gauge_values(frame, self._failing_nodes))
                self.overlay.set_probes(frame.probes)
                if frame.t - self._last_metric_t >= METRIC_STEP_S:
                    self._last_metric_t = frame.t
                    self.metrics.record(frame)
                # the plots are the costliest refresh (~2 ms of the GUI thread each): they
                # slow down twice as fast as the pace (every second at half the frame rate)
                if self.dock_metrics.isVisible() and \
                        now - self._last_plot >= PLOT_S * slowdown ** 2:
                    self._last_plot = now
                    self._plot_turn = 0
            if now - self._last_log >= BANNER_S:
                self._last_log = now
                self.events.flush(limit=None if self.state == "paused" else LOG_ROWS_PER_FLUSH)
                if self._banner_stale:
                    self._show_failures(force=True)
            if self._plot_turn is not None:     # one plot per frame (bounded work per frame)
                self.metrics.refresh(self._plot_turn)
                self._plot_turn = self._plot_turn + 1 if self._plot_turn < 2 else None
        if self.overlay is not None:
            self.overlay.tick()
        if self.speed is None and self.state == "running":
            interval = self.pace.sample()
            if interval is not None:
                self._set_frame_interval(interval)

    def _on_failure(self, message: str, details: str) -> None:
        log.error("simulation stopped by an engine error: %s\n%s", message, details)
        last = self.frame
        self.runner.stop()
        self.timer.stop()
        self.state = "stopped"
        self.overlay.hide()
        self.overlay.set_gauges({})
        self.overlay.set_probes({})
        self._update_actions()
        when = f" at {clock_text(last.t)}" if last is not None else ""
        self.show_error(f"The simulation stopped{when}: {message}. The diagram is unchanged; "
                        f"edit it and press Play to run again (details in the log).")

    def _on_refused(self, why: str) -> None:
        """The run's estimate exceeds the memory limit: ask before running it anyway."""
        paused = self.state == "paused"
        self.reset()
        if run_limits.ask_to_run_anyway(self.window, why):
            self._start(paused, memory_limit=None)

    def show_error(self, text: str) -> None:
        self.window.show_status(text)
        if self.banner is not None:
            self.banner.show_message(html.escape(text), subject=None, severity="error")

    # ================================================================ selection
    def select_node(self, node_id: str) -> None:
        if self.scene is None or self.scene.node_item(node_id) is None:
            return
        self.scene.select_nodes([node_id])
        self.view.centerOn(self.scene.node_item(node_id))

    def _selection_changed(self) -> None:
        ids = self.scene.selected_node_ids() if self.scene is not None else []
        single = ids[0] if len(ids) == 1 else None
        label = ""
        if single is not None:
            label = self.scene.node_item(single).component.display_name
        self.metrics.set_node(single, label)
        self._refresh_why()

    def _refresh_why(self) -> None:
        if self.scene is None or self._scenario is None:  # (a scene going away after shutdown)
            return
        ids = self.scene.selected_node_ids()
        path = self.why.show_vm(self._scenario, ids[0] if len(ids) == 1 else None)
        if path is not None:
            self.highlight.follow(self.scene, path.tcp.nodes)
        else:
            self.highlight.hide()

    # ================================================================ palette
    def place_requested(self, payload: str) -> None:
        try:
            parsed = parse_payload(payload)
        except ValueError as exc:
            self.window.show_status(str(exc))
            return
        view = self.view
        centre = view.mapToScene(view.viewport().rect().center())
        if payload == "public_ip":
            add_public_ip(self.scene, centre)
        elif parsed is None or parsed[1] is None:
            self.window.place_at_centre(payload)
            return
        else:
            add_generator(self.scene, centre, parsed[1])
        view.setFocus()

    # ================================================================ presentation
    def _presentation_toggled(self, on: bool) -> None:
        self.window.action("action-sim-presentation-exit").setEnabled(on)
        self.presentation.set_active(on)

    # ================================================================ report
    def watched_report(self, source: str) -> dict | None:
        """The report of the run as it stands - counters, series and events up to now, with
        the edits made during it as ``edit`` events - built on the worker thread between two
        slices; None when nothing runs (the caller then simulates from the start)."""
        from ...sim.report import build_report
        worker = self.runner.worker
        if worker is None or self.state == "stopped":
            return None
        self._push_snapshot()       # an edit made just now is part of what was watched

        def build(engine):
            return build_report(engine, source=source, duration=engine.now,
                                extra_events=list(worker.edits), watched=True)
        future = worker.call(build)
        try:
            return future.result(timeout=REPORT_TIMEOUT_S)
        except FutureTimeout:
            future.cancel()
            raise RuntimeError("the simulation did not answer in time; pause it and try again")

    def show_canvas_controls(self, on: bool) -> None:
        if self.controls is None:
            return
        self.controls.setVisible(on)
        if on:
            self.controls.place()
            self.controls.raise_()

    # ================================================================ end
    def shutdown(self) -> None:
        # the window saves its docks and toolbars next: as the user set them, not hidden
        if self.presentation.active:
            action = self.window.action("action-sim-presentation")
            action.blockSignals(True)
            action.setChecked(False)
            action.blockSignals(False)
            self.presentation.set_active(False)
        self.runner.stop(wait=True)      # closing: the step under way ends, then the thread
        wait_for_retired()
        self.reset()
        self.why_timer.stop()
        if self._scenario is not None:
            self._scenario.topology.unsubscribe(self._model_changed)
            self._scenario = None


def install_live_simulation(window) -> LiveSimulation:
    """Add the live simulation to ``window`` (a MainWindow)."""
    return LiveSimulation(window)
