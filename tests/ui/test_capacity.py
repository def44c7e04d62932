"""Capacity planning in the editor: Compare Fixes from the menu and the banner, the Fixes dock
(open a variant, apply it as one undo step), the Sweep dock (pyqtgraph line and heatmap),
progress and Cancel in the status bar.  Runs go in-process (workers = 0) to stay quick."""
from __future__ import annotations

import pyqtgraph as pg
import pytest

from designer.model import dumps
from designer.resources import demo_path


@pytest.fixture()
def planner(window, qtbot):
    assert window.open_path(demo_path())
    window.capacity.runner.workers = 0
    window.capacity.duration = 150.0
    return window.capacity


def wait_idle(qtbot, planner, timeout=60_000):
    qtbot.waitUntil(lambda: not planner.runner.busy, timeout=timeout)


def test_compare_fixes_fills_the_dock_and_applies_as_one_undo_step(window, planner, qtbot):
    before = dumps(window.document.scenario)
    window.action("action-sim-compare-fixes").trigger()
    assert planner.runner.busy
    assert planner.cancel_button.isVisible()
    wait_idle(qtbot, planner)
    assert not planner.cancel_button.isVisible()
    panel = planner.fixes
    assert planner.dock_fixes.isVisible()
    kinds = [v["kind"] for v in panel.doc["variants"]]
    assert kinds[0] == "original" and "nat_gateway" in kinds
    assert panel.table.rowCount() == len(kinds) + len(panel.doc["not_applicable"])
    # the smallest fix that holds is selected
    assert panel.selected()["kind"] == panel.doc["smallest_holding"]
    panel.select_kind("nat_gateway")
    stack = window.document.undo_stack
    count = stack.count()
    panel.apply_button.click()
    assert stack.count() == count + 1
    topo = window.document.scenario.topology
    assert topo.nat_gateway_of_subnet("web") is not None
    assert window.scene.node_item(topo.nat_gateway_of_subnet("web")) is not None
    stack.undo()
    assert dumps(window.document.scenario) == before
    stack.redo()
    # a second fix is refused while the diagram is not the compared one
    window.document.undo_stack.undo()


def test_open_variant_as_new_document(window, planner, qtbot):
    planner.compare_fixes()
    wait_idle(qtbot, planner)
    planner.fixes.select_kind("instance_ip")
    planner.fixes.open_button.click()
    assert window.document.path is None
    assert window.document.scenario.topology.instance_ip("web-1") is not None


def test_banner_has_a_compare_fixes_button(window, planner, qtbot):
    banner = window.live.banner
    button = banner.findChild(type(planner.cancel_button), "alert-banner-compare-fixes")
    assert button is not None
    banner.show_message("<b>web-1</b> is failing new TCP flows", subject="web-1")
    assert button.isVisible()
    banner.show_message("The simulation stopped", subject=None, severity="error")
    assert not button.isVisible()
    banner.show_message("<b>web-1</b> is failing", subject="web-1")
    button.click()
    assert planner.runner.busy
    planner.runner.cancel()
    wait_idle(qtbot, planner)
    assert "cancelled" in planner.fixes.summary.text().lower()


def test_sweep_dock_draws_a_line_then_a_heatmap(window, planner, qtbot):
    window.action("action-sim-sweep").trigger()
    panel = planner.sweep
    assert planner.dock_sweep.isVisible()
    panel.vary1.setText("flood.rate_per_s=2,6,10")
    panel.run_button.click()
    wait_idle(qtbot, planner)
    assert panel.table.rowCount() == 3
    curves = [i for i in panel.plot.getPlotItem().items if isinstance(i, pg.PlotDataItem)]
    assert curves and list(curves[0].xData) == [2, 6, 10]
    assert curves[0].yData[0] == 0 and curves[0].yData[2] > 0      # 10/s fails, 2/s not
    panel.vary2.setText("web.vms=3..4")
    panel.run_button.click()
    wait_idle(qtbot, planner)
    assert panel.table.rowCount() == 6
    assert any(isinstance(i, pg.ImageItem) for i in panel.plot.getPlotItem().items)
    panel.vary1.setText("flood.speed=1")
    panel.run_button.click()
    assert not planner.runner.busy and "no field 'speed'" in panel.status.text()


def test_cancel_from_the_status_bar(window, planner, qtbot):
    planner.duration = 600.0
    planner.sweep.vary1.setText("flood.rate_per_s=1:40:1")
    planner.sweep.run_button.click()
    qtbot.waitUntil(lambda: planner.progress_bar.maximum() > 0, timeout=30_000)
    assert "Sweeping" in planner.progress_label.text()
    planner.cancel_button.click()
    wait_idle(qtbot, planner)
    assert planner.sweep.status.text() == "Cancelled."


def test_sweep_panel_is_a_paint_device_like_any_widget(qtbot):
    """QWidget.metric() is a virtual of QPaintDevice that Qt calls to paint or grab a widget:
    the panel's metric combo box was stored as self.metric, so painting the panel on its own
    (undocked, grabbed) printed 'QComboBox object is not callable' and crashed the process."""
    from PySide6.QtGui import QPaintDevice
    from designer.ui.capacity.panels import SweepPanel
    panel = SweepPanel()
    qtbot.addWidget(panel)
    panel.resize(400, 300)
    assert panel.metric(QPaintDevice.PaintDeviceMetric.PdmWidth) == 400
    panel.show()
    qtbot.waitExposed(panel)
    assert not panel.grab().isNull()
    assert panel.metric_box.currentData() == "failed_snat"
