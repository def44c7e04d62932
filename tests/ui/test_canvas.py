"""The canvas driven as a user would: synthesized mouse events on a shown view, palette drops,
and the scene's editing API.  Every gesture must end in one undo command."""
from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QDragEnterEvent, QDragMoveEvent, QDropEvent, QImage, QPainter, QUndoStack
from PySide6.QtWidgets import QApplication

from designer.model import Link, Scenario, Topology, make_component
from designer.model.validation import Finding
from designer.ui.canvas import KIND_MIME, DiagramScene, DiagramView, Overview
from designer.ui.canvas.items import ContainerItem, LinkItem, NodeItem
from tests.topologies import sample_scenario

LEFT = Qt.MouseButton.LeftButton
NO_MOD = Qt.KeyboardModifier.NoModifier


def make_canvas(qtbot, scenario: Scenario):
    stack = QUndoStack()
    scene = DiagramScene(scenario, stack)
    view = DiagramView(scene)
    view.resize(1000, 800)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    view.reset_zoom()
    view.centerOn(QPointF(300, 200))
    messages: list[str] = []
    scene.statusMessage.connect(messages.append)
    return scene, view, stack, messages


def vp(view: DiagramView, scene_point) -> QPoint:
    return view.mapFromScene(QPointF(*scene_point) if isinstance(scene_point, tuple) else scene_point)


def drag(qtbot, view, start: QPoint, end: QPoint, steps: int = 8, modifier=NO_MOD):
    w = view.viewport()
    qtbot.mouseMove(w, start)
    qtbot.mousePress(w, LEFT, modifier, start)
    for i in range(1, steps + 1):
        qtbot.mouseMove(w, start + (end - start) * (i / steps))
    qtbot.mouseRelease(w, LEFT, modifier, end)


def small_topology() -> Scenario:
    t = Topology()
    t.add_node(make_component("vm", "vm-1", position=(100.0, 100.0)))
    t.add_node(make_component("vm", "vm-2", position=(100.0, 300.0)))
    t.add_node(make_component("load_balancer", "lb-1", position=(400.0, 100.0)))
    t.add_node(make_component("subnet", "subnet-1", position=(300.0, 240.0), size=(320.0, 200.0)))
    return Scenario(t)


# ------------------------------------------------------------------------------ placing

def test_drop_vm_from_palette_mime_places_it_in_the_model(qtbot):
    scene, view, stack, _ = make_canvas(qtbot, small_topology())
    mime = QMimeData()
    mime.setData(KIND_MIME, b"vm")
    where = vp(view, (180, 420))
    target = view.viewport()
    actions = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(where, actions, mime, Qt.MouseButton.LeftButton, NO_MOD)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    over_box = vp(view, (460, 340))
    move = QDragMoveEvent(over_box, actions, mime, Qt.MouseButton.LeftButton, NO_MOD)
    QApplication.sendEvent(target, move)
    assert scene.node_item("subnet-1").highlight == "drop", "the box it would join lights up"
    move = QDragMoveEvent(where, actions, mime, Qt.MouseButton.LeftButton, NO_MOD)
    QApplication.sendEvent(target, move)
    assert scene.node_item("subnet-1").highlight is None
    drop = QDropEvent(QPointF(where), actions, mime, Qt.MouseButton.LeftButton, NO_MOD)
    QApplication.sendEvent(target, drop)
    topology = scene.scenario.topology
    new = [c for c in topology.nodes("vm") if c.id not in ("vm-1", "vm-2")]
    assert len(new) == 1
    x, y = new[0].position
    assert (x % 20, y % 20) == (0, 0), "snapped to the grid"
    dropped_at = view.mapToScene(where)
    assert abs(x - dropped_at.x()) <= 10 and abs(y - dropped_at.y()) <= 10
    assert isinstance(scene.node_item(new[0].id), NodeItem)
    assert scene.selected_node_ids() == [new[0].id]
    assert stack.count() == 1 and stack.text(0) == "Add virtual machine"
    stack.undo()
    assert new[0].id not in topology and scene.node_item(new[0].id) is None


def test_vm_placed_inside_a_subnet_box_joins_it(qtbot):
    scene, view, stack, _ = make_canvas(qtbot, small_topology())
    new_id = scene.place_node("vm", QPointF(460, 340))
    assert scene.scenario.topology.subnet_of(new_id) == "subnet-1"
    assert stack.text(0) == "Add virtual machine to subnet-1"
    # shown by containment: the in_subnet link has no visible line
    assert not scene.link_item(Link(new_id, "subnet-1", "in_subnet")).isVisible()


# --------------------------------------------------------------------------- connecting

def test_drag_from_handle_connects_vm_to_load_balancer_pool(qtbot):
    scene, view, stack, messages = make_canvas(qtbot, small_topology())
    vm = scene.node_item("vm-1")
    qtbot.mouseMove(view.viewport(), vp(view, (100, 100)))  # hover shows the handle
    assert vm.handle.isVisible()
    handle = vm.handle.scenePos()
    drag(qtbot, view, vp(view, handle), vp(view, (400, 100)))
    link = Link("lb-1", "vm-1", "backend")
    assert scene.scenario.topology.has_link(link)
    assert isinstance(scene.link_item(link), LinkItem) and scene.link_item(link).isVisible()
    assert stack.count() == 1
    assert any("Release to connect to lb-1" in m for m in messages)
    # highlights are gone after the gesture
    assert all(i.highlight is None for i in scene.all_node_items())
    stack.undo()
    assert not scene.scenario.topology.has_link(link) and scene.link_item(link) is None


def test_invalid_link_is_refused_with_the_reason(qtbot):
    scene, view, stack, messages = make_canvas(qtbot, small_topology())
    qtbot.mouseMove(view.viewport(), vp(view, (100, 100)))
    handle = scene.node_item("vm-1").handle.scenePos()
    qtbot.mousePress(view.viewport(), LEFT, NO_MOD, vp(view, handle))
    assert scene.node_item("vm-2").highlight == "invalid"
    assert scene.node_item("lb-1").highlight == "valid"
    qtbot.mouseMove(view.viewport(), vp(view, (100, 200)))
    qtbot.mouseMove(view.viewport(), vp(view, (100, 300)))
    assert messages[-1] == ("Cannot connect to vm-2: a virtual machine can't be attached to a "
                            "virtual machine")
    qtbot.mouseRelease(view.viewport(), LEFT, NO_MOD, vp(view, (100, 300)))
    assert "a virtual machine can't be attached to a virtual machine" in messages[-1]
    assert scene.scenario.topology.links() == [] and stack.count() == 0


def test_connect_refuses_a_second_subnet_with_the_models_reason(qtbot):
    scenario = small_topology()
    scenario.topology.add_node(make_component("subnet", "subnet-2", position=(700.0, 0.0)))
    scenario.topology.connect(Link("vm-1", "subnet-2", "in_subnet"))
    scene, view, stack, messages = make_canvas(qtbot, scenario)
    links, reason = scene.connect_options("vm-1", "subnet-1")
    assert links == [] and reason == ("vm-1 is already in subnet subnet-2 (a VM's network "
                                      "interface is in one subnet)")


def test_link_kind_menu_when_several_kinds_fit(qtbot):
    t = Topology()
    t.add_node(make_component("nat_gateway", "nat", position=(0.0, 0.0)))
    t.add_node(make_component("traffic_generator", "gen", position=(300.0, 0.0)))
    t.add_node(make_component("public_ip", "pip", position=(150.0, 200.0)))
    scene, view, stack, _ = make_canvas(qtbot, Scenario(t))
    # nat -> pip: one kind (nat); gen -> pip: one kind (destination): both automatic
    assert [l.kind for l in scene.connect_options("gen", "pip")[0]] == ["destination"]
    offered = []
    scene.link_chooser = lambda links, pos: offered.append(links) or links[-1]
    chosen = scene.choose_link([Link("gen", "pip", "destination"), Link("nat", "pip", "nat")],
                               QPointF())
    assert chosen == Link("nat", "pip", "nat") and len(offered) == 1


# ---------------------------------------------------------------------- copy and paste

def test_copy_paste_keeps_the_link_with_fresh_ids(qtbot):
    scenario = small_topology()
    scenario.topology.connect(Link("lb-1", "vm-1", "backend"))
    scene, view, stack, _ = make_canvas(qtbot, scenario)
    scene.select_nodes(["vm-1", "lb-1"])
    data = scene.copy_selection()
    json.dumps(data)  # clipboard-ready plain data
    new_ids = scene.paste(data)
    topology = scenario.topology
    assert len(new_ids) == 2 and not set(new_ids) & {"vm-1", "lb-1"}
    new_lb = next(i for i in new_ids if topology.node(i).KIND == "load_balancer")
    new_vm = next(i for i in new_ids if topology.node(i).KIND == "vm")
    assert topology.has_link(Link(new_lb, new_vm, "backend"))
    assert topology.has_link(Link("lb-1", "vm-1", "backend"))
    assert scene.link_item(Link(new_lb, new_vm, "backend")) is not None
    assert sorted(scene.selected_node_ids()) == sorted(new_ids)
    assert stack.count() == 1 and stack.text(0) == "Paste 2 items"
    stack.undo()
    assert not set(new_ids) & set(topology.node_ids())


def test_paste_after_cut_and_paste_at_a_point(qtbot):
    scenario = small_topology()
    scenario.topology.connect(Link("lb-1", "vm-1", "backend"))
    scene, view, stack, _ = make_canvas(qtbot, scenario)
    scene.select_nodes(["vm-1", "lb-1"])
    data = scene.copy_selection()
    scene.delete_selection()
    assert "vm-1" not in scenario.topology
    ids = scene.paste(data, at=QPointF(1000, 1000))
    assert len(ids) == 2 and len(scenario.topology.links("backend")) == 1
    xs = [scenario.topology.node(i).position for i in ids]
    centre = (sum(p[0] for p in xs) / 2, sum(p[1] for p in xs) / 2)
    assert abs(centre[0] - 1000) <= 20 and abs(centre[1] - 1000) <= 20


def test_duplicate_selection(qtbot):
    scenario = small_topology()
    scenario.topology.connect(Link("lb-1", "vm-1", "backend"))
    scene, view, stack, _ = make_canvas(qtbot, scenario)
    scene.select_nodes(["vm-1", "lb-1"])
    ids = scene.duplicate_selection()
    assert len(ids) == 2 and len(scenario.topology.links("backend")) == 2
    assert stack.text(0) == "Duplicate 2 items"


# ------------------------------------------------------------------------------ deleting

def test_delete_node_and_undo_brings_it_back_with_its_links(qtbot):
    scenario = small_topology()
    t = scenario.topology
    t.connect(Link("lb-1", "vm-1", "backend"))
    t.connect(Link("lb-1", "vm-2", "backend"))
    scene, view, stack, _ = make_canvas(qtbot, scenario)
    # click selects (synthesized), Delete through the scene API as the window's action does
    qtbot.mouseClick(view.viewport(), LEFT, NO_MOD, vp(view, (400, 100)))
    assert scene.selected_node_ids() == ["lb-1"]
    assert scene.delete_selection()
    assert "lb-1" not in t and t.links() == []
    assert scene.node_item("lb-1") is None and scene.all_link_items() == []
    assert stack.text(0) == "Delete lb-1"
    stack.undo()
    assert "lb-1" in t and len(t.links("backend")) == 2
    assert scene.node_item("lb-1") is not None and len(scene.all_link_items()) == 2
    stack.redo()
    assert "lb-1" not in t


def test_delete_a_selected_link(qtbot):
    scenario = small_topology()
    scenario.topology.connect(Link("lb-1", "vm-1", "backend"))
    scene, view, stack, _ = make_canvas(qtbot, scenario)
    qtbot.mouseClick(view.viewport(), LEFT, NO_MOD, vp(view, (250, 100)))  # on the line
    assert scene.selected_links() == [Link("lb-1", "vm-1", "backend")]
    scene.delete_selection()
    assert scenario.topology.links() == [] and "lb-1" in scenario.topology


# ------------------------------------------------------------------------ containers

def test_drag_vm_into_subnet_box_is_one_undo_step(qtbot):
    scene, view, stack, _ = make_canvas(qtbot, small_topology())
    t = scene.scenario.topology
    qtbot.mouseClick(view.viewport(), LEFT, NO_MOD, vp(view, (100, 300)))
    drag(qtbot, view, vp(view, (100, 300)), vp(view, (463, 347)))
    assert t.subnet_of("vm-2") == "subnet-1"
    assert t.node("vm-2").position == (460.0, 340.0), "snapped to the grid"
    assert scene.node_item("vm-2").pos() == QPointF(460, 340)
    assert stack.count() == 1 and stack.text(0) == "Move vm-2 into subnet-1"
    assert not scene.link_item(Link("vm-2", "subnet-1", "in_subnet")).isVisible()
    stack.undo()
    assert t.subnet_of("vm-2") is None and t.node("vm-2").position == (100.0, 300.0)
    assert scene.node_item("vm-2").pos() == QPointF(100, 300)
    stack.redo()
    # and out again
    drag(qtbot, view, vp(view, (460, 340)), vp(view, (100, 500)))
    assert t.subnet_of("vm-2") is None
    assert stack.text(stack.count() - 1) == "Move vm-2 out of subnet-1"


def test_alt_drag_bypasses_the_grid(qtbot):
    scene, view, stack, _ = make_canvas(qtbot, small_topology())
    qtbot.mouseClick(view.viewport(), LEFT, NO_MOD, vp(view, (100, 300)))
    drag(qtbot, view, vp(view, (100, 300)), vp(view, (133, 347)), modifier=Qt.KeyboardModifier.AltModifier)
    x, y = scene.scenario.topology.node("vm-2").position
    assert (x, y) == (133.0, 347.0)


def test_moving_a_box_moves_its_contents_in_one_step(qtbot):
    scenario = small_topology()
    t = scenario.topology
    t.add_node(make_component("vm", "vm-3", position=(400.0, 340.0)))
    t.connect(Link("vm-3", "subnet-1", "in_subnet"))
    scene, view, stack, _ = make_canvas(qtbot, scenario)
    title = (320, 255)  # inside the box, on its title row
    qtbot.mouseClick(view.viewport(), LEFT, NO_MOD, vp(view, title))
    assert scene.selected_node_ids() == ["subnet-1"]
    drag(qtbot, view, vp(view, title), vp(view, (title[0] + 100, title[1] + 60)))
    assert t.node("subnet-1").position == (400.0, 300.0)
    assert t.node("vm-3").position == (500.0, 400.0)
    assert stack.count() == 1
    stack.undo()
    assert t.node("vm-3").position == (400.0, 340.0)


def test_vm_drawn_outside_its_subnet_shows_a_dashed_link(qtbot):
    scenario = small_topology()
    scenario.topology.connect(Link("vm-1", "subnet-1", "in_subnet"))
    scene, view, stack, _ = make_canvas(qtbot, scenario)
    item = scene.link_item(Link("vm-1", "subnet-1", "in_subnet"))
    assert item.isVisible() and item.mismatch
    assert item.line.pen().style() == Qt.PenStyle.CustomDashLine


def test_resize_box_by_its_grip_is_undoable(qtbot):
    scene, view, stack, _ = make_canvas(qtbot, small_topology())
    box = scene.node_item("subnet-1")
    qtbot.mouseClick(view.viewport(), LEFT, NO_MOD, vp(view, (320, 255)))
    assert box.grip.isVisible()
    grip = box.grip.scenePos() - QPointF(4, 4)
    drag(qtbot, view, vp(view, grip), vp(view, grip + QPointF(80, 40)))
    assert scene.scenario.topology.node("subnet-1").size == (400.0, 240.0)
    assert stack.text(0) == "Resize subnet-1"
    stack.undo()
    assert box.size == (320.0, 200.0)


# ------------------------------------------------------------------ editing commands

def test_nudge_align_distribute_and_layout_are_single_steps(qtbot):
    scene, view, stack, _ = make_canvas(qtbot, small_topology())
    t = scene.scenario.topology
    scene.select_nodes(["vm-1", "vm-2", "lb-1"])
    scene.nudge(20, 0)
    assert t.node("vm-1").position == (120.0, 100.0) and stack.count() == 1
    scene.align("left")
    assert t.node("lb-1").position[0] == 120.0 and stack.count() == 2
    scene.distribute("vertical")
    ys = sorted(t.node(i).position[1] for i in ("vm-1", "vm-2", "lb-1"))
    assert ys[1] - ys[0] == pytest.approx(ys[2] - ys[1])
    before = {c.id: c.position for c in t.nodes()}
    scene.auto_layout()
    assert stack.text(stack.count() - 1) == "Auto-layout"
    stack.undo()
    assert {c.id: c.position for c in t.nodes()} == before


def test_findings_show_badges_and_link_markers(qtbot):
    scenario = small_topology()
    scenario.topology.connect(Link("lb-1", "vm-1", "backend"))
    scene, view, stack, _ = make_canvas(qtbot, scenario)
    link = Link("lb-1", "vm-1", "backend")
    scene.set_findings([Finding("error", "x", "broken", node_id="vm-2"),
                        Finding("warning", "y", "odd", link=link)])
    assert scene.node_item("vm-2").badge.isVisible()
    assert scene.link_item(link).marker.isVisible()
    assert scene.link_item(link).line.pen().color() == QColor("#f9a825")
    scene.set_findings([])
    assert not scene.node_item("vm-2").badge.isVisible()
    assert not scene.link_item(link).marker.isVisible()


def test_double_click_activates_node(qtbot):
    scene, view, stack, _ = make_canvas(qtbot, small_topology())
    with qtbot.waitSignal(scene.nodeActivated) as blocker:
        qtbot.mouseDClick(view.viewport(), LEFT, NO_MOD, vp(view, (400, 100)))
    assert blocker.args == ["lb-1"]


def test_model_edits_update_items(qtbot):
    scene, view, stack, _ = make_canvas(qtbot, small_topology())
    t = scene.scenario.topology
    t.set_property("vm-1", "name", "frontend-1")
    assert scene.node_item("vm-1").label.text() == "frontend-1"
    t.set_property("subnet-1", "size", (500.0, 300.0))
    assert scene.node_item("subnet-1").size == (500.0, 300.0)
    t.move("vm-1", (40.0, 40.0))
    assert scene.node_item("vm-1").pos() == QPointF(40, 40)


# ------------------------------------------------------------------------- the view

def test_zoom_fit_and_overview(qtbot):
    scene, view, stack, _ = make_canvas(qtbot, sample_scenario())
    zooms = []
    view.zoomChanged.connect(zooms.append)
    view.set_zoom(2.0)
    assert view.zoom_factor() == pytest.approx(2.0) and zooms[-1] == pytest.approx(2.0)
    view.fit_all()
    visible = view.visible_scene_rect()
    assert visible.contains(scene.items_bounding_rect())
    view.set_zoom(0.1)
    assert view.zoom_factor() == pytest.approx(0.1)
    assert not scene.node_item("web-1").label.isVisible(), "labels hidden far out"
    view.set_zoom(1.0)
    assert scene.node_item("web-1").label.isVisible()
    overview = Overview(view)
    qtbot.addWidget(overview)
    overview.resize(220, 150)
    overview.show()
    qtbot.waitExposed(overview)
    overview._refresh()
    view.set_zoom(2.0)
    before = view.visible_scene_rect().center()
    qtbot.mouseClick(overview, LEFT, NO_MOD, QPoint(5, 5))
    assert view.visible_scene_rect().center() != before


# ------------------------------------------------------------------------- rendering

def test_render_sample_scene_to_image_structurally(qtbot):
    scenario = sample_scenario()
    stack = QUndoStack()
    scene = DiagramScene(scenario, stack)  # no view: as the exporter renders
    scene.select_nodes(["web-1"])
    scene.set_export_mode(True)
    t = scenario.topology
    nodes = [i for i in scene.items() if isinstance(i, NodeItem)]
    boxes = [i for i in scene.items() if isinstance(i, ContainerItem)]
    links = [i for i in scene.items() if isinstance(i, LinkItem)]
    assert len(nodes) == len([c for c in t.nodes() if not c.CONTAINER])
    assert len(boxes) == len([c for c in t.nodes() if c.CONTAINER])
    assert len(links) == len(t.links())
    # containment links of members drawn inside their boxes are not lines
    assert sum(1 for i in links if not i.isVisible()) == 6
    assert not scene.node_item("web-1").handle.isVisible(), "no handles in export mode"
    rect = scene.items_bounding_rect()
    for c in t.nodes():
        assert rect.contains(QPointF(*c.position))
    assert rect.width() < 2000 and rect.height() < 2000
    image = QImage(int(rect.width()), int(rect.height()), QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    scene.render(painter, image.rect().toRectF(), rect)
    painter.end()
    # each node tile was painted where the node is: its glyph colour differs from white
    for item in nodes:
        centre = item.pos() - rect.topLeft()
        found = any(image.pixelColor(int(centre.x()) + dx, int(centre.y()) + dy) != QColor("white")
                    for dx in range(-12, 13, 3) for dy in range(-12, 13, 3))
        assert found, item.node_id
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 20
    scene.set_export_mode(False)
    assert scene.node_item("web-1").isSelected()


# --------------------------------------------------------------------- far out, themes

def _pixel(view, scene_point) -> QColor:
    image = view.viewport().grab().toImage()
    p = view.mapFromScene(scene_point)
    return image.pixelColor(p.x(), p.y())


def test_far_out_one_layer_draws_tiles_and_follows_changes(qtbot):
    scene, view, stack, _ = make_canvas(qtbot, sample_scenario())
    view.set_zoom(0.2, QPointF(300, 300))
    web1 = scene.node_item("web-1")
    assert scene.far_layer.isVisible()
    assert not web1.tile.isVisible() and not web1.label.isVisible()
    vm_colour = scene.palette.kind_color("vm")
    assert _pixel(view, web1.pos()) == vm_colour
    # a model change far out shows at once (the view's pixmap is updated where it changed)
    old = QPointF(web1.pos())
    scene.scenario.topology.move("web-1", (old.x(), old.y() - 400))
    qtbot.wait(1)
    assert _pixel(view, QPointF(old.x(), old.y() - 400)) == vm_colour
    assert _pixel(view, old) != vm_colour
    assert scene.far_layer.boundingRect().contains(QPointF(old.x(), old.y() - 400))
    # and back to full detail when zooming in
    view.set_zoom(1.0, web1.pos())
    assert not scene.far_layer.isVisible() and web1.tile.isVisible()
    link = scene.link_item(Link("lb", "web-1", "backend"))
    assert link.line.isVisible() and not link.line.path().isEmpty()


def test_export_mode_draws_full_detail_and_no_decorations(qtbot):
    scene, view, stack, _ = make_canvas(qtbot, sample_scenario())
    view.set_zoom(0.1)
    scene.select_nodes(["web-1"])
    scene.set_export_mode(True)
    item = scene.node_item("web-1")
    assert item.label.isVisible() and item.tile.isVisible() and not scene.far_layer.isVisible()
    assert item.tile.pen().color() != QColor(scene.palette.selection)
    scene.set_export_mode(False)
    assert scene.far_layer.isVisible() and item.isSelected()


def test_dark_theme_restyles_background_and_items(qtbot):
    scene, view, stack, _ = make_canvas(qtbot, sample_scenario())
    light_tile = scene.node_item("web-1").tile.brush().color()
    scene.set_theme(True)
    assert scene.backgroundBrush().color() == QColor("#1e2227")
    assert scene.node_item("web-1").tile.brush().color() != light_tile
    assert scene.node_item("web-1").label.brush().color().lightness() > 150


def test_ctrl_wheel_zooms_around_the_cursor_and_middle_button_pans(qtbot):
    from PySide6.QtGui import QWheelEvent
    scene, view, stack, _ = make_canvas(qtbot, sample_scenario())
    cursor = vp(view, (120, 160))
    under_before = view.mapToScene(cursor)
    wheel = QWheelEvent(QPointF(cursor), QPointF(view.viewport().mapToGlobal(cursor)), QPoint(0, 0),
                        QPoint(0, 240), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), wheel)
    assert view.zoom_factor() == pytest.approx(1.44)
    under_after = view.mapToScene(cursor)
    assert abs(under_after.x() - under_before.x()) < 2 and abs(under_after.y() - under_before.y()) < 2
    # middle-button drag pans the view (scene point under the cursor follows the mouse)
    w = view.viewport()
    start, end = QPoint(500, 400), QPoint(400, 330)
    centre_before = view.visible_scene_rect().center()
    qtbot.mousePress(w, Qt.MouseButton.MiddleButton, NO_MOD, start)
    qtbot.mouseMove(w, end)
    qtbot.mouseRelease(w, Qt.MouseButton.MiddleButton, NO_MOD, end)
    moved = view.visible_scene_rect().center() - centre_before
    assert moved.x() == pytest.approx(100 / 1.44, abs=2) and moved.y() == pytest.approx(70 / 1.44, abs=2)
    assert stack.count() == 0, "panning is not an edit"
