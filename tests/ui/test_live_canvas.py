"""Live simulation pieces on the canvas and in the docks, without a running thread: gauges from
a frame (as ``export --at`` draws them), flow dots and their density mode, generator drops and
presets, "Why this path?", the event log, the metrics panel and presentation mode."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QUndoStack
from PySide6.QtWidgets import QApplication, QToolBar

from designer.model import Link, load_scenario
from designer.resources import demo_path
from designer.sim.engine import Counters, Engine, FlowSample, Frame, PortUse
from designer.ui.canvas import KIND_MIME, DiagramScene
from designer.ui.live import gauges
from designer.ui.live.eventlog import EventLog, clock_text
from designer.ui.live.generators import PRESETS, add_generator, parse_payload
from designer.ui.live import metrics as M
from designer.ui.live.metrics import MetricsHistory, MetricsPanel
from designer.ui.live.overlay import DOT, DotImage, FlowDots, stamp_dots


def empty_frame(**kw) -> Frame:
    base = dict(t=10.0, vms={}, generators={}, snat={}, public_ips={}, nat_gateways={},
                probes={}, events=(), samples=(), samples_dropped=0)
    base.update(kw)
    return Frame(**base)


# ------------------------------------------------------------------------------ gauges

def test_frame_at_and_apply_frame_draw_gauges_without_a_thread(qapp):
    scenario = load_scenario(demo_path())
    frame = gauges.frame_at(scenario, 150)
    assert frame.t == 150
    scene = DiagramScene(scenario, QUndoStack())
    shown = gauges.apply_frame(scene, frame)
    # web-1 floods: all 1,024 default SNAT ports (M-B4) in use after ~106 s (C8)
    web1 = gauges.gauge_of(scene, "web-1")
    assert web1.value.used == web1.value.allocated == 1024
    assert web1.value.color == gauges.RED and web1.value.text == "1024/1024"
    # a gauge per VM with a budget, the frontend IP, the NAT gateway and its IP
    assert {"web-1", "web-2", "web-3", "app-1", "app-2", "lb-ip", "nat", "nat-ip"} <= set(shown)
    assert gauges.gauge_of(scene, "web-2").value.color == gauges.GREEN
    assert gauges.gauge_of(scene, "api") is None
    # the gauge is a child of the node: it follows the node, and renders in an export
    assert web1.parentItem() is scene.node_item("web-1")
    gauges.apply_frame(scene, None)
    assert gauges.gauge_of(scene, "web-1") is None
    with pytest.raises(ValueError):
        gauges.frame_at(scenario, -1)
    scene.detach()


def test_gauge_colour_thresholds():
    assert gauges.gauge_color(0.0) == gauges.GREEN
    assert gauges.gauge_color(0.69) == gauges.GREEN
    assert gauges.gauge_color(0.7) == gauges.AMBER
    # red means failing (the engine's open exhaustion), not a fraction: a full gauge whose
    # ports are idling out fails nothing, a failing one is red whatever it shows
    assert gauges.gauge_color(1.0) == gauges.AMBER
    assert gauges.gauge_color(0.5, failing=True) == gauges.RED
    assert gauges.compact(64512) == "64.5k" and gauges.compact(1024) == "1024"
    frame = empty_frame(snat={"vm": {"tcp": PortUse(10, 100), "udp": PortUse(90, 100)}})
    v = gauges.gauge_values(frame)
    assert v["vm"].protocol == "udp" and v["vm"].used == 90   # the most loaded protocol
    assert v["vm"].color == gauges.AMBER
    assert gauges.gauge_values(frame, failing={"vm"})["vm"].color == gauges.RED


# ------------------------------------------------------------------------------ dots

def sample(t, outcome="succeeded", nodes=("vm", "lb", "pip", "api"), failed_at=None,
           protocol="tcp"):
    return FlowSample(t, "fail" if failed_at else "start", "vm", "gen", protocol, nodes,
                      outcome, failed_at)


POSITIONS = {"gen": (0.0, -100.0), "vm": (0.0, 0.0), "nsg": (-50.0, 0.0), "lb": (100.0, 0.0),
             "pip": (200.0, 0.0), "api": (300.0, 0.0)}
KINDS = {"nsg": "nsg"}


def test_dots_follow_the_path_from_the_generator_and_failures_stop_where_they_fail():
    dots = FlowDots()
    frame = empty_frame(samples=(sample(9.5), sample(9.9, "failed_snat", failed_at="pip",
                                                     nodes=("vm", "nsg", "lb", "pip", "api"))))
    assert dots.spawn(frame, POSITIONS, now=100.0, kinds=KINDS) == 2
    ok, bad = 0, 1
    # generator first, NSG skipped (it is not on the way unless it denies)
    assert dots.nseg[ok] == 4 and tuple(dots.pts[ok, 0]) == (0.0, -100.0)
    assert dots.nseg[bad] == 3 and tuple(dots.pts[bad, 3]) == (200.0, 0.0)
    assert dots.color[bad] != dots.color[ok]
    x, y, colors, flashing = dots.positions(now=100.0 + 5.0)   # long after: all expired
    assert x.size == 0 and dots.count == 0


def test_failed_dot_flashes_at_the_failure_point():
    dots = FlowDots()
    frame = empty_frame(samples=(sample(10.0, "failed_snat", failed_at="pip"),))
    dots.spawn(frame, POSITIONS, now=0.0)
    born, dur = dots.born[0], dots.dur[0]
    x, y, colors, flashing = dots.positions(now=born + dur + 0.01)
    assert flashing.tolist() == [True] and (x[0], y[0]) == (200.0, 0.0)


def test_density_mode_beyond_the_visible_cap():
    dots = FlowDots(visible_cap=50)
    many = tuple(sample(10.0 - i * 1e-3) for i in range(2000))
    added = 0
    for k in range(10):
        added += dots.spawn(empty_frame(t=10.0 + k, samples=many), POSITIONS, now=k / 60)
    assert dots.stride > 1
    assert added < 20000 / 2 and dots.count <= dots.capacity


def test_density_mode_thins_the_samples_not_the_flows():
    # at full speed the compiled engine runs a million flows a second and samples 500 starts
    # a frame: a stride over the flows left a handful of dots on the canvas; the stride thins
    # the samples to the visible cap, and the note says how many flows a dot stands for
    dots = FlowDots(visible_cap=1000)
    starts = tuple(sample(10.0 - i * 1e-5) for i in range(500))
    for k in range(60):                      # one wall second at 60 frames a second
        dots.spawn(empty_frame(t=10.0 + k, samples=starts, samples_dropped=16_000), POSITIONS,
                   now=k / 60)
    x, _y, _c, _f = dots.positions(now=1.0)
    assert 500 <= x.size <= 2 * 1000
    assert dots.flows_per_dot == pytest.approx(dots.stride * 33, rel=0.1)


def test_dots_are_stamped_into_the_image():
    image = DotImage()
    image.resize(40, 30)
    image.clear()
    x = np.array([10.0, 39.4, -20.0])
    y = np.array([10.0, 29.0, 5.0])
    stamp_dots(image, (x, y), np.array([0xFF0000FF] * 3, np.uint32), np.array([False] * 3))
    assert image.buf[10, 10] == 0xFF0000FF
    assert image.buf[29, 39] == 0xFF0000FF          # clipped at the border, no error
    assert (image.buf != 0).sum() < 3 * 2 * len(DOT[0]) + 10
    assert image.full[:, :image.PAD - 1].sum() == 0     # nothing beyond the margin
    assert image.image.width() == 40 + 2 * image.PAD and image.source.width() == 40


# ------------------------------------------------------------------------------ generators

def test_dropping_generators_connects_them(window, qtbot):
    assert window.open_example(demo_path())
    scene, topo = window.scene, window.document.scenario.topology
    web2 = scene.node_item("web-2").pos()
    gen = add_generator(scene, QPointF(web2), PRESETS["flood"])
    assert gen.startswith("flood")
    assert topo.node(gen).pool_size == 0 and topo.node(gen).rate_per_s == 10
    assert Link(gen, "web-2", "source") in topo.links()
    api = scene.node_item("api").pos()
    view = window.view
    before = {c.id for c in topo.nodes("traffic_generator")}
    mime = QMimeData()
    mime.setData(KIND_MIME, b"traffic_generator:pooled")
    at = view.mapFromScene(api)
    enter = QDragEnterEvent(at, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view.viewport(), enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(at), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view.viewport(), drop)
    pooled = [c for c in topo.nodes("traffic_generator") if c.id not in before]
    assert len(pooled) == 1 and pooled[0].pool_size == 8
    assert Link(pooled[0].id, "api", "destination") in topo.links()
    # one undo step each
    window.action("action-edit-undo").trigger()
    assert pooled[0].id not in topo
    # a plain drop on empty canvas: not connected
    lone = add_generator(scene, QPointF(-900, -900))
    assert not topo.links_from(lone) if hasattr(topo, "links_from") else True
    with pytest.raises(ValueError):
        parse_payload("traffic_generator:tsunami")
    assert parse_payload("vm") is None


def test_palette_presets_place_connected_generators(window, qtbot):
    assert window.open_example(demo_path())
    labels = [window.palette.list.item(r).text() for r in range(window.palette.list.count())]
    assert any(label.startswith("Flood") for label in labels)
    assert any(label.startswith("Pooled client") for label in labels)
    window.live.place_requested("traffic_generator:flood")
    gen = window.scene.selected_node_ids()[0]
    assert gen.startswith("flood-") and window.document.scenario.topology.node(gen).rate_per_s == 10
    window.live.place_requested("vm")    # plain kinds still go to the window
    assert window.scene.selected_node_ids()[0].startswith("vm")


# ------------------------------------------------------------------------------ why

def test_why_this_path_shows_the_reason_and_highlights_it(window, qtbot):
    assert window.open_example(demo_path())
    live = window.live
    window.scene.select_nodes(["web-1"])
    assert live.why.isVisible()
    text = live.why.text.text()
    assert "load balancer" in text.lower() and "52.0.0.10" in text and "M-B" in text
    assert live.highlight.isVisible() and "lb" in live.highlight.nodes
    window.scene.select_nodes(["app-1"])
    assert "NAT gateway" in live.why.text.text()
    window.scene.select_nodes(["api"])
    assert not live.why.isVisible() and not live.highlight.isVisible()


# ------------------------------------------------------------------------------ event log

def test_event_log_filters_and_selects_the_node(window, qtbot):
    assert window.open_example(demo_path())
    log = window.live.events
    log.add_events([{"t": 106.2, "kind": "snat_exhausted", "vm": "web-1", "protocol": "tcp"},
                    {"t": 120.0, "kind": "flows_failing", "generator": "flood", "failed": 3},
                    {"t": 130.0, "kind": "probe_down", "lb": "lb", "vm": "web-2",
                     "reason": "VM stopped"}])
    assert log.table.rowCount() == 3
    assert log.table.item(0, 0).text() == "01:46.2"
    log.kind_filter.setCurrentIndex(log.kind_filter.findData("snat_exhausted"))
    assert log.table.rowCount() == 1
    log.kind_filter.setCurrentIndex(0)
    log.node_filter.setText("web-2")
    assert log.table.rowCount() == 1
    log.node_filter.clear()
    log.table.cellClicked.emit(0, 1)
    assert window.scene.selected_node_ids() == ["web-1"]
    assert clock_text(3725) == "1:02:05"


# ------------------------------------------------------------------------------ metrics

def test_metrics_history_and_cursor(qapp):
    history = MetricsHistory(size=4)
    for i in range(6):
        history.record(empty_frame(
            t=float(i), snat={"vm": {"tcp": PortUse(i * 10, 100)}},
            vms={"vm": Counters(i * 9, i * 4, i, 3 * i, i)}, probes={("lb", "vm"): "up"}))
    t, v = history.series("vm")
    assert t.tolist() == [2.0, 3.0, 4.0, 5.0]           # a ring: the last 4
    assert v[-1, M.USED] == 50 and v[-1, M.ALLOCATED] == 100
    # per-second rates, each state apart (SnatConnectionCount Failed is SNAT failures only)
    assert v[-1, M.SUCCEEDED] == 4.0 and v[-1, M.FAILED_SNAT] == 1.0
    assert v[-1, M.DENIED_NSG] == 3.0 and v[-1, M.NO_ROUTE] == 1.0
    assert history.series("lb")[1][-1, M.PROBE] == 100
    panel = MetricsPanel()
    panel.history = history
    panel.now = 5.0
    panel.set_node("vm", "<img src=x>")
    assert panel.title.textFormat() == Qt.TextFormat.PlainText
    assert panel.title.text() == "Metrics of <img src=x>"
    assert panel.curves[M.USED].getData()[1][-1] == 50
    assert panel.curves[M.DENIED_NSG].getData()[1][-1] == 3.0
    panel.set_paused(True)
    panel.cursor.setValue(3.2)
    assert "ports 30 of 100" in panel.readout.text()
    assert "Used SNAT ports: 30" in panel.readout.toolTip()     # Azure Monitor's names
    # a short dock keeps the ports and the connection counts, not the probe plot
    panel.resize(400, 200)
    panel.show()
    QApplication.processEvents()
    assert not panel.probe.isVisible()
    panel.resize(400, 600)
    QApplication.processEvents()
    assert panel.probe.isVisible()
    panel.deleteLater()


def test_metrics_show_the_scenario_totals_when_nothing_is_selected(qapp):
    history = MetricsHistory()
    for i in range(3):
        history.record(empty_frame(
            t=float(i), snat={"a": {"tcp": PortUse(10 * i, 1024)}, "b": {"tcp": PortUse(i, 1024)}},
            public_ips={"pip": {"tcp": PortUse(11 * i, 2048)}},
            vms={"a": Counters(5 * i, 4 * i, i, 0, 0), "b": Counters(2 * i, 2 * i, 0, 0, 0)},
            probes={("lb", "a"): "up", ("lb", "b"): "down"}))
    panel = MetricsPanel()
    panel.history = history
    panel.now = 2.0
    panel.set_node(None)
    assert panel.title.text().startswith("Scenario totals")
    used = panel.curves[M.USED].getData()[1]
    assert used[-1] == 22 and panel.curves[M.ALLOCATED].getData()[1][-1] == 2048
    assert panel.curves[M.SUCCEEDED].getData()[1][-1] == 6.0     # 4 + 2 per second
    assert panel.curves[M.FAILED_SNAT].getData()[1][-1] == 1.0
    assert panel.curves[M.PROBE].getData()[1][-1] == 50
    panel.deleteLater()


def test_metrics_log_scale_keeps_the_exhaustion_readable_and_follows_the_dark_theme(qapp):
    from designer.ui import theme
    history = MetricsHistory()
    for i, (used, allocated) in enumerate([(1024, 1024)] * 5 + [(300, 64512)] * 5):
        history.record(empty_frame(t=float(i * 10), snat={"vm": {"tcp": PortUse(used,
                                                                             allocated)}}))
    panel = MetricsPanel()
    panel.history = history
    panel.now = 100.0
    panel.set_node("vm", "web-1")
    linear_top = panel.ports.viewRange()[1][1]
    assert linear_top > 64512
    panel.log_scale.setChecked(True)
    low, high = panel.ports.viewRange()[1]
    # log10: 1,024 sits in the upper part of the axis, not squashed against zero
    assert high < 5.5 and (3.01 - low) / (high - low) > 0.5
    assert panel.dark is False
    theme.apply(QApplication.instance(), True)
    try:
        QApplication.processEvents()
        assert panel.dark is True
        assert panel.plots.backgroundBrush().color().lightness() < 100
    finally:
        theme.apply(QApplication.instance(), False)
    panel.deleteLater()


# ------------------------------------------------------------------------------ presentation

def test_presentation_mode_hides_chrome_and_shows_canvas_controls(window, qtbot):
    action = window.action("action-sim-presentation")
    action.setChecked(True)
    assert window.isFullScreen() or window.windowState() & Qt.WindowState.WindowFullScreen
    assert not window.menuBar().isVisible()
    assert not any(bar.isVisible() for bar in window.findChildren(QToolBar))
    assert window.live.controls.isVisible()
    assert window.action("action-sim-presentation-exit").isEnabled()
    window.action("action-sim-presentation-exit").trigger()
    assert not action.isChecked()
    assert window.menuBar().isVisible() and not window.live.controls.isVisible()
    assert window.findChild(QToolBar, "toolbar-simulation").isVisible()


def test_simulation_actions_and_docks_have_object_names(window):
    for name in ("play", "pause", "step-second", "step-event", "reset", "presentation"):
        assert window.action(f"action-sim-{name}").objectName() == f"action-sim-{name}"
    assert window.live.dock_metrics.objectName() == "dock-metrics"
    assert window.live.dock_events.objectName() == "dock-events"
    assert window.live.speed_box.count() >= 10


def test_event_log_rows_come_in_bounded_batches_and_fit_their_columns(window):
    # a burst (sixty VMs running out of ports at once) is shown over a few refreshes, each of
    # a bounded number of rows; the first columns widen to their longest text as rows come
    log = window.live.events
    burst = [{"t": 60.0 + i / 10, "kind": "snat_exhausted", "vm": f"a-rather-long-vm-name-{i}",
              "protocol": "tcp"} for i in range(120)]
    log.add_events(burst, defer=True)
    log.flush(limit=50)
    assert log.table.rowCount() == 50
    log.flush(limit=50)
    log.flush(limit=50)
    assert log.table.rowCount() == 120 and len(log.events) == 120
    metrics = log.table.fontMetrics()
    header = log.table.horizontalHeader()
    for col in range(3):
        widest = max(metrics.horizontalAdvance(log.table.item(r, col).text())
                     for r in range(log.table.rowCount()))
        assert header.sectionSize(col) >= widest
        assert header.sectionResizeMode(col) != header.ResizeMode.ResizeToContents


def test_event_log_names_a_vm_without_a_route(window):
    log = window.live.events
    log.add_events([{"t": 0.41, "kind": "no_route", "vm": "db-1", "protocol": "tcp",
                     "destination": "api", "reason": "the subnet is private"}])
    assert log.table.item(0, 1).text() == "No outbound path (first)"
    assert log.table.item(0, 2).text() == "db-1"
    assert log.table.item(0, 1).foreground().color().name() == "#d32f2f"


def test_a_dot_stands_for_the_new_flows_the_generators_counted_not_the_dropped_ends():
    # the engine's dropped samples count flow ends too: at full speed about as many as new
    # flows, so counting them doubled "1 dot = N flows"; the generators' counters say it
    from designer.sim.frames import Counters
    dots = FlowDots(visible_cap=1000)
    starts = tuple(sample(10.0 - i * 1e-5) for i in range(100))
    for k in range(60):
        generators = {"gen": Counters(10_000 * k, 10_000 * k, 0, 0, 0)}
        dots.spawn(empty_frame(t=10.0 + k, samples=starts, samples_dropped=19_900,
                               generators=generators), POSITIONS, now=k / 60)
    assert dots.flows_per_dot == pytest.approx(dots.stride * 100, rel=0.1)


def test_capped_samples_set_off_spread_over_the_frame_uncapped_ones_at_their_time():
    # the engine keeps a frame's first samples: when it dropped some, they say nothing of
    # when in the frame the flows came, and setting them all off at once drew waves
    capped, uncapped = FlowDots(), FlowDots()
    bunch = tuple(sample(10.0 + i * 1e-4) for i in range(10))      # all at the frame's start
    for dots, dropped in ((capped, 5_000), (uncapped, 0)):
        dots.spawn(empty_frame(t=10.0, samples=()), POSITIONS, now=0.0)
        dots.spawn(empty_frame(t=20.0, samples=bunch, samples_dropped=dropped), POSITIONS,
                   now=0.1)
    born = np.sort(capped.born[:10])
    assert born[-1] - born[0] == pytest.approx(0.09, abs=0.005)      # spread over the 0.1 s
    assert np.diff(born).min() > 0.005
    born = np.sort(uncapped.born[:10])
    assert born[-1] - born[0] < 0.001 and born[0] == pytest.approx(0.0, abs=0.001)


def test_dots_follow_a_moved_node_paths_are_made_again_for_new_positions():
    dots = FlowDots()
    dots.spawn(empty_frame(samples=(sample(9.5),)), POSITIONS, now=0.0)
    moved = dict(POSITIONS, lb=(100.0, 50.0))
    dots.spawn(empty_frame(t=11.0, samples=(sample(10.5),)), moved, now=0.1)
    assert tuple(dots.pts[0, 2]) == (100.0, 0.0) and tuple(dots.pts[1, 2]) == (100.0, 50.0)
    assert dots.nseg[1] == 4 and tuple(dots.pts[1, 7]) == (300.0, 0.0)
