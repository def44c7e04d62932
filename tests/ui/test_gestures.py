"""The gestures people expect from draw.io and Packet Tracer, driven through the real window
with mouse and keyboard events: right-click menus, Find, nudging and Tab, rename on the
canvas, rule tables edited in the cell, several nodes edited at once, paste at the pointer,
palette placement, Show Grid, and drawing that Azure would refuse."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QTableWidget

from designer.model import Link
from designer.resources import demo_path

LEFT, RIGHT = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton
NO_MOD, CTRL, SHIFT = (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ControlModifier,
                       Qt.KeyboardModifier.ShiftModifier)


@pytest.fixture
def demo(window, qtbot):
    window.resize(1360, 860)
    assert window.open_example(demo_path())
    qtbot.wait(20)
    window.view.reset_zoom()
    window.view.centerOn(window.scene.node_item("web-2"))
    return window


def at(window, node_id: str, dy: float = 0.0) -> QPoint:
    """Where a node is in the viewport (scrolled into view first)."""
    item = window.scene.node_item(node_id)
    window.view.ensureVisible(item.sceneBoundingRect(), 30, 30)
    return window.view.mapFromScene(item.pos() + QPointF(0, dy))


def click(window, node_id: str, modifiers=NO_MOD) -> None:
    QTest.mouseClick(window.view.viewport(), LEFT, modifiers, at(window, node_id))


def right_click(window, pos: QPoint):
    """A right-click's context menu event on the canvas; returns the menu it opened."""
    shown = []
    window.context_menus.popup = lambda menu, global_pos: shown.append(menu)
    viewport = window.view.viewport()
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, viewport.mapToGlobal(pos))
    QApplication.sendEvent(viewport, event)
    assert shown, "the right-click opened a menu"
    return shown[0]


def double_click(widget, pos: QPoint) -> None:
    """A user's double-click: a click, then the second press that Qt reports as a double
    click, then its release (QTest's mouseDClick alone sends only the second press and
    leaves the button held down)."""
    QTest.mouseClick(widget, LEFT, NO_MOD, pos)
    QTest.mouseDClick(widget, LEFT, NO_MOD, pos)
    QTest.mouseRelease(widget, LEFT, NO_MOD, pos)


def entries(menu) -> dict[str, object]:
    return {a.objectName(): a for a in menu.actions() if a.objectName()}


def topology(window):
    return window.document.scenario.topology


# ------------------------------------------------------------------------ right-click menus

def test_right_click_menus_on_a_node_a_link_a_box_and_the_canvas(demo, qtbot):
    w = demo
    menu = right_click(w, at(w, "web-1"))
    assert menu.objectName() == "menu-context-node"
    assert w.scene.selected_node_ids() == ["web-1"], "right-click selects what it hits"
    names = entries(menu)
    for name in ("action-edit-rename", "action-edit-cut", "action-edit-copy",
                 "action-edit-duplicate", "action-edit-delete", "action-context-select-linked"):
        assert name in names
    names["action-context-select-linked"].trigger()
    assert {"web-1", "lb", "web", "flood"} <= set(w.scene.selected_node_ids())
    w.scene.select_nodes([])
    # a box: select its contents
    box = w.scene.node_item("web")
    w.view.ensureVisible(box.scene_rect().adjusted(0, 0, 0, -100), 10, 10)
    menu = right_click(w, w.view.mapFromScene(box.scene_rect().topRight() + QPointF(-30, 12)))
    assert menu.objectName() == "menu-context-node" and w.scene.selected_node_ids() == ["web"]
    entries(menu)["action-context-select-contents"].trigger()
    assert set(w.scene.selected_node_ids()) >= {"web-1", "web-2", "web-3"}
    # a link: delete it
    link = w.scene.link_item(Link("lb", "web-2", "backend"))
    x1, y1, x2, y2 = link.ends
    menu = right_click(w, w.view.mapFromScene(QPointF((x1 + x2) / 2, (y1 + y2) / 2)))
    assert menu.objectName() == "menu-context-link"
    entries(menu)["action-context-delete-link"].trigger()
    assert not topology(w).has_link(Link("lb", "web-2", "backend"))
    # the empty canvas: add a node right there
    empty = w.view.mapFromScene(w.scene.node_item("web-2").pos() + QPointF(0, 600))
    menu = right_click(w, empty)
    assert menu.objectName() == "menu-context-canvas"
    add = next(m for m in menu.findChildren(type(menu)) if m.objectName() == "menu-context-add")
    before = set(topology(w).node_ids())
    next(a for a in add.actions() if a.objectName() == "action-context-add-nat_gateway").trigger()
    (new,) = set(topology(w).node_ids()) - before
    placed = w.scene.node_item(new).pos()
    target = w.view.mapToScene(empty)
    assert abs(placed.x() - target.x()) <= 20 and abs(placed.y() - target.y()) <= 20


# ------------------------------------------------------------------------------------- find

def test_find_a_node_by_name_or_id_and_jump_to_it(demo, qtbot):
    w = demo
    w.view.fit_all()
    w.view.setFocus()
    QTest.keyClick(w.view, Qt.Key.Key_F, CTRL)
    bar = w.find_bar
    assert bar.isVisible() and bar.field.hasFocus()
    QTest.keyClicks(bar.field, "opendns")  # part of a name
    QTest.keyClick(bar.field, Qt.Key.Key_Return)
    assert w.scene.selected_node_ids() == ["whatismyip"]
    shown = w.view.visible_scene_rect()
    assert shown.contains(w.scene.node_item("whatismyip").pos())
    assert w.view.zoom_factor() >= 0.6, "close enough to read it"
    bar.field.clear()
    QTest.keyClicks(bar.field, "web-")  # several matches: Enter goes from one to the next
    QTest.keyClick(bar.field, Qt.Key.Key_Return)
    first = w.scene.selected_node_ids()
    QTest.keyClick(bar.field, Qt.Key.Key_Return)
    assert w.scene.selected_node_ids() != first and bar.result.text().startswith("2 of ")
    QTest.keyClick(bar.field, Qt.Key.Key_Escape)
    assert not bar.isVisible()


# --------------------------------------------------------------------------- keyboard

def test_arrow_keys_nudge_and_tab_moves_between_nodes(demo, qtbot):
    w = demo
    click(w, "web-2")
    w.view.setFocus()
    x, y = topology(w).node("web-2").position
    QTest.keyClick(w.view, Qt.Key.Key_Right)
    QTest.keyClick(w.view, Qt.Key.Key_Right)
    QTest.keyClick(w.view, Qt.Key.Key_Down, SHIFT)
    assert topology(w).node("web-2").position == (x + 40, y + 200)
    stack = w.document.undo_stack
    assert stack.count() == 1 and stack.text(0) == "Nudge web-2", "held keys: one step"
    stack.undo()
    assert topology(w).node("web-2").position == (x, y)
    # Tab: the next node in reading order, Shift+Tab back
    QTest.keyClick(w.view, Qt.Key.Key_Tab)
    after = w.scene.selected_node_ids()
    assert len(after) == 1 and after != ["web-2"]
    QTest.keyClick(w.view, Qt.Key.Key_Backtab, SHIFT)
    assert w.scene.selected_node_ids() == ["web-2"]
    assert w.view.hasFocus(), "Tab stays on the canvas"


# ---------------------------------------------------------------------------- rename

def test_rename_on_the_canvas_with_f2_and_by_double_clicking_the_name(demo, qtbot):
    w = demo
    click(w, "web-2")
    w.view.setFocus()
    QTest.keyClick(w.view, Qt.Key.Key_F2)
    editor = w.view.renaming
    assert editor is not None and editor.hasFocus()
    QTest.keyClicks(editor, "checkout")
    QTest.keyClick(editor, Qt.Key.Key_Return)
    assert topology(w).node("web-2").name == "checkout"
    assert w.scene.node_item("web-2").label.text() == "checkout"
    # a double-click on the name opens it too; Esc keeps the name
    name = w.scene.node_item("web-2").label
    point = w.view.mapFromScene(name.mapToScene(name.boundingRect().center()))
    double_click(w.view.viewport(), point)
    editor = w.view.renaming
    assert editor is not None and editor.text() == "checkout"
    QTest.keyClicks(editor, "zzz")
    QTest.keyClick(editor, Qt.Key.Key_Escape)
    assert topology(w).node("web-2").name == "checkout"
    w.document.undo_stack.undo()
    assert topology(w).node("web-2").name is None


# ------------------------------------------------------------------- rule tables in the cell

def test_rule_table_cells_are_edited_in_place(demo, qtbot):
    w = demo
    click(w, "web-nsg")
    table = next(t for t in w.inspector.findChildren(QTableWidget, "table-rules")
                 if w.inspector.content.isAncestorOf(t))
    qtbot.waitUntil(table.isVisible)
    columns = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    port = columns.index("Destination port")

    def cell(row: int, column: int) -> QPoint:
        table.scrollToItem(table.item(row, column))
        return table.visualItemRect(table.item(row, column)).center()
    double_click(table.viewport(), cell(0, port))
    editor = table.findChild(QLineEdit, "cell-destination_port")
    assert editor is not None
    editor.selectAll()
    QTest.keyClicks(editor, "8443")
    QTest.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: topology(w).node("web-nsg").rules[0].destination_port == "8443")
    assert table.item(0, port).text() == "8443"
    # an enum cell gets a list; a bad value is refused with the reason
    access = columns.index("Access")
    double_click(table.viewport(), cell(0, access))
    combo = table.findChild(QComboBox, "cell-access")
    assert combo is not None
    combo.setCurrentText("deny")
    QTest.keyClick(combo, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: topology(w).node("web-nsg").rules[0].access == "deny")
    double_click(table.viewport(), cell(0, port))
    editor = table.findChild(QLineEdit, "cell-destination_port")
    editor.selectAll()
    QTest.keyClicks(editor, "eighty")
    QTest.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(w.inspector.error.isVisible)
    assert topology(w).node("web-nsg").rules[0].destination_port == "8443"
    assert w.inspector.error.isVisible() and "port" in w.inspector.error.text().lower()


# ----------------------------------------------------------------- several nodes at once

def test_a_field_of_several_selected_nodes_is_edited_at_once(demo, qtbot):
    w = demo
    w.view.fit_all()
    click(w, "web-1")
    click(w, "web-3", CTRL)
    assert w.scene.selected_node_ids() == ["web-1", "web-3"]
    box = w.inspector.editors["state"].widget
    assert isinstance(box, QComboBox)
    qtbot.waitUntil(box.isVisible)
    box.setFocus()
    box.setCurrentIndex(box.findText("stopped"))
    box.activated.emit(box.currentIndex())
    assert topology(w).node("web-1").state == topology(w).node("web-3").state == "stopped"
    stack = w.document.undo_stack
    assert stack.text(stack.count() - 1) == "Change state of 2 virtual machines"
    stack.undo()
    assert topology(w).node("web-1").state == topology(w).node("web-3").state == "running"


# ---------------------------------------------------------------------------- paste

def test_paste_at_the_pointer_keeps_free_ids_and_names(demo, qtbot):
    w = demo
    click(w, "lb")
    w.view.setFocus()
    QTest.keyClick(w.view, Qt.Key.Key_C, CTRL)
    # into a new document: the id and name are free, so they stay
    w.action("action-file-new").trigger()
    w.view.setFocus()
    target = QPoint(300, 250)
    QTest.mouseMove(w.view.viewport(), target)
    QTest.keyClick(w.view, Qt.Key.Key_V, CTRL)
    t = topology(w)
    assert t.node_ids() == ["lb"] and t.node("lb").name == "lb-web"
    where = w.view.mapToScene(target)
    x, y = t.node("lb").position
    assert abs(x - where.x()) <= 20 and abs(y - where.y()) <= 20, "pasted at the pointer"
    # again: now both are taken
    QTest.keyClick(w.view, Qt.Key.Key_V, CTRL)
    assert sorted(t.node_ids()) == ["lb", "lb-1"] and t.node("lb-1").name == "lb-web (copy)"


# ------------------------------------------------------------------------ palette and grid

def test_palette_double_clicks_place_nodes_apart_near_the_centre(window, qtbot):
    palette = window.palette.list
    item = window.palette.item_for("vm")
    rect = palette.visualItemRect(item)
    for _ in range(11):
        double_click(palette.viewport(), rect.center())
    t = topology(window)
    positions = [c.position for c in t.nodes()]
    assert len(positions) == 11 and len(set(positions)) == 11
    for i, (x, y) in enumerate(positions):
        for x2, y2 in positions[i + 1:]:
            assert abs(x - x2) >= 120 or abs(y - y2) >= 110, "no two overlap"
    centre = window.view.mapToScene(window.view.viewport().rect().center())
    assert all(abs(x - centre.x()) < 700 and abs(y - centre.y()) < 700 for x, y in positions)


def test_show_grid_repaints_at_once(demo, qtbot):
    w = demo
    viewport = w.view.viewport()
    empty = QPoint(5, 5)

    def corner():
        return viewport.grab().toImage().copy(0, 0, 200, 200)
    with_grid = corner()
    w.action("action-view-grid").trigger()
    qtbot.wait(10)
    without = corner()
    assert without != with_grid, "the grid went away without a scroll"
    w.action("action-view-grid").trigger()
    qtbot.wait(10)
    assert corner() == with_grid
    assert empty  # (top-left corner of the canvas: grid only, no node)


# ------------------------------------------------------------- drawing Azure would refuse

def test_a_frontend_public_ip_is_not_offered_as_an_instance_ip(demo, qtbot):
    w = demo
    messages = []
    w.scene.statusMessage.connect(messages.append)
    w.view.set_zoom(0.7)
    w.view.centerOn(QPointF((w.scene.node_item("web-2").pos().x() +
                             w.scene.node_item("lb-ip").pos().x()) / 2,
                            w.scene.node_item("web-2").pos().y()))
    vm = w.scene.node_item("web-2")
    QTest.mouseMove(w.view.viewport(), QPoint(2, 2))  # from elsewhere: the node sees a hover
    QTest.mouseMove(w.view.viewport(), at(w, "web-2"))
    qtbot.waitUntil(lambda: vm._handle is not None and vm._handle.isVisible())
    handle = w.view.mapFromScene(vm.handle.scenePos())
    QTest.mouseMove(w.view.viewport(), handle)
    QTest.mousePress(w.view.viewport(), LEFT, NO_MOD, handle)
    assert type(w.scene.interaction).__name__ == "ConnectInteraction"
    assert w.scene.node_item("lb-ip").highlight == "invalid"
    QTest.mouseMove(w.view.viewport(), at(w, "lb-ip"))
    QTest.mouseRelease(w.view.viewport(), LEFT, NO_MOD, at(w, "lb-ip"))
    assert not topology(w).has_link(Link("web-2", "lb-ip", "instance_ip"))
    assert any("lb-ip is already the frontend of load balancer lb-web" in m for m in messages)
    assert all("instance_ip" not in m and "link(s)" not in m for m in messages)


def test_deleting_a_public_ip_resolves_the_rules_that_use_it_in_the_same_step(demo, qtbot):
    w = demo
    asked = []
    w.scene.reference_chooser = lambda t, refs: asked.append(refs) or "remove"
    click(w, "lb-ip")
    w.view.setFocus()
    QTest.keyClick(w.view, Qt.Key.Key_Delete)
    assert asked and asked[0][0].rules == ("http",)
    t = topology(w)
    assert "lb-ip" not in t and t.node("lb").rules == ()
    stack = w.document.undo_stack
    assert stack.count() == 1
    stack.undo()
    assert "lb-ip" in t and [r.frontend for r in t.node("lb").rules] == ["lb-ip"]
    # cancel: nothing happens
    w.scene.reference_chooser = lambda t, refs: None
    click(w, "lb-ip")
    QTest.keyClick(w.view, Qt.Key.Key_Delete)
    assert "lb-ip" in t and stack.count() == 1


def test_refusals_speak_the_users_words():
    from designer.model import Scenario, make_component
    t = Scenario().topology
    t.add_node(make_component("nsg", "nsg-1"))
    t.add_node(make_component("load_balancer", "lb-1"))
    t.add_node(make_component("vm", "vm-1"))
    t.add_node(make_component("subnet", "a"))
    t.add_node(make_component("subnet", "b"))
    t.connect(Link("vm-1", "a", "in_subnet"))
    assert t.can_connect(Link("nsg-1", "lb-1", "nsg")) == \
        "a network security group is attached to a virtual machine or a subnet, not a " \
        "load balancer"
    from designer.model.links import refusal
    assert refusal(None, "nsg", "load_balancer") == \
        "a network security group can't be attached to a load balancer"
    assert t.can_connect(Link("vm-1", "b", "in_subnet")) == \
        "vm-1 is already in subnet a (a VM's network interface is in one subnet)"


def test_the_resize_grip_is_usable_at_the_default_zoom(demo, qtbot):
    w = demo
    w.view.fit_all()
    assert w.view.zoom_factor() < 0.6
    box = w.scene.node_item("app")
    click_at = w.view.mapFromScene(box.scene_rect().topLeft() + QPointF(30, 60))
    QTest.mouseClick(w.view.viewport(), LEFT, NO_MOD, click_at)
    assert box.grip.isVisible()
    corner = w.view.mapFromScene(box.scene_rect().bottomRight())
    grab = corner - QPoint(6, 6)  # well inside a 16 px grip; 14 units were 6 px here
    before = box.size
    QTest.mousePress(w.view.viewport(), LEFT, NO_MOD, grab)
    for i in range(1, 6):
        QTest.mouseMove(w.view.viewport(), grab + QPoint(i * 12, i * 8))
    QTest.mouseRelease(w.view.viewport(), LEFT, NO_MOD, grab + QPoint(60, 40))
    assert box.size[0] > before[0] and box.size[1] > before[1]
    assert w.document.undo_stack.text(w.document.undo_stack.count() - 1).startswith("Resize")
