"""The real main window, driven through its actions and synthesized events."""
from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QPalette
from PySide6.QtWidgets import (QApplication, QDoubleSpinBox, QFileDialog, QMenu, QMessageBox,
                               QTableWidget)

from designer.model import Link, Scenario, dumps, make_component, save_scenario
from designer.model.validation import Finding
from designer.ui.document import Autosaver, Document, find_orphan_autosaves
from designer.ui.main_window import MainWindow


def small_scenario() -> Scenario:
    scenario = Scenario(name="Small")
    topo = scenario.topology
    topo.add_node(make_component("load_balancer", "lb-1", position=(0.0, 0.0)))
    topo.add_node(make_component("vm", "vm-1", position=(200.0, 0.0)))
    topo.add_node(make_component("vm", "vm-2", position=(200.0, 120.0)))
    topo.add_node(make_component("traffic_generator", "gen-1", position=(400.0, 0.0)))
    topo.connect(Link("lb-1", "vm-1", "backend"))
    topo.connect(Link("lb-1", "vm-2", "backend"))
    topo.connect(Link("gen-1", "vm-1", "source"))
    return scenario


@pytest.fixture
def loaded(window, tmp_path):
    path = tmp_path / "small.outbound.json"
    save_scenario(small_scenario(), path)
    assert window.open_path(path)
    return window, path


def menu_actions(menu: QMenu):
    for action in menu.actions():
        if action.isSeparator():
            continue
        if action.menu() is not None:
            yield from menu_actions(action.menu())
        else:
            yield action


def test_every_menu_action_has_a_stable_object_name(window):
    names = []
    for top in window.menuBar().actions():
        assert top.menu().objectName().startswith("menu-")
        for action in menu_actions(top.menu()):
            assert action.objectName().startswith("action-"), action.text()
            names.append(action.objectName())
    for expected in ("action-file-new", "action-file-open", "action-file-save",
                     "action-file-save-as", "action-file-revert", "action-file-quit",
                     "action-edit-undo", "action-edit-redo", "action-edit-cut",
                     "action-edit-copy", "action-edit-paste", "action-edit-duplicate",
                     "action-edit-delete", "action-edit-select-all", "action-edit-align-left",
                     "action-edit-distribute-horizontal", "action-edit-auto-layout",
                     "action-view-zoom-in", "action-view-zoom-out", "action-view-zoom-reset",
                     "action-view-fit", "action-view-zoom-selection", "action-view-grid",
                     "action-view-snap", "action-view-theme-dark", "action-view-dock-palette",
                     "action-help-shortcuts", "action-help-about"):
        assert expected in names
    for dock in ("palette", "inspector", "findings", "history", "overview"):
        assert window.findChild(type(window.dock_palette), f"dock-{dock}") is not None
    assert window.action("action-view-fit").shortcut().toString() == "F"


def test_examples_menu_lists_every_bundled_example(window):
    try:
        from designer.resources import example_paths
        paths = example_paths()
    except FileNotFoundError:
        paths = []
    names = {a.objectName() for a in window.examples_menu.actions()}
    for path in paths:
        assert f"action-example-{path.name.removesuffix('.outbound.json')}" in names


def test_palette_double_click_places_a_node_at_the_view_centre(window, qtbot):
    lst = window.palette.list
    item = window.palette.item_for("vm")
    rect = lst.visualItemRect(item)
    # a real double-click is press, release, double-click, release
    qtbot.mouseClick(lst.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.mouseDClick(lst.viewport(), Qt.LeftButton, pos=rect.center())
    topo = window.document.scenario.topology
    assert [c.KIND for c in topo.nodes()] == ["vm"]
    node = topo.nodes()[0]
    centre = window.view.mapToScene(window.view.viewport().rect().center())
    item = window.scene.node_item(node.id)
    assert (item.sceneBoundingRect().center() - centre).manhattanLength() < 80
    assert window.isWindowModified() and "[*]" in window.windowTitle()
    undo = window.action("action-edit-undo")
    assert undo.isEnabled() and "Add" in undo.text()
    undo.trigger()
    assert len(topo) == 0 and not window.isWindowModified()


def test_palette_search_filters_kinds(window, qtbot):
    qtbot.keyClicks(window.palette.search, "nat")
    assert window.palette.visible_kinds() == ["nat_gateway"]
    window.palette.search.clear()
    from designer.ui.live.generators import PRESETS  # the live simulation adds its presets
    assert len(window.palette.visible_kinds()) == 9 + len(PRESETS)


def test_inspector_edit_through_the_window_and_undo(loaded, qtbot):
    window, _path = loaded
    window.scene.select_nodes(["gen-1"])
    assert window.inspector.node_id == "gen-1"
    rate = window.inspector.content.findChild(QDoubleSpinBox, "field-rate_per_s")
    rate.setFocus()
    rate.selectAll()
    qtbot.keyClicks(rate, "25")
    qtbot.keyClick(rate, Qt.Key_Return)
    topo = window.document.scenario.topology
    assert topo.node("gen-1").rate_per_s == 25.0
    assert window.isWindowModified()
    undo = window.action("action-edit-undo")
    assert undo.text().replace("&", "").startswith("Undo Change rate")
    undo.trigger()
    assert topo.node("gen-1").rate_per_s == 1.0
    assert rate.value() == 1.0
    assert not window.isWindowModified()


def test_delete_a_node_with_its_links_and_undo(loaded):
    window, _path = loaded
    topo = window.document.scenario.topology
    window.scene.select_nodes(["vm-1"])
    window.action("action-edit-delete").trigger()
    assert "vm-1" not in topo and window.scene.node_item("vm-1") is None
    assert topo.links() == [Link("lb-1", "vm-2", "backend")]
    window.action("action-edit-undo").trigger()
    assert "vm-1" in topo and window.scene.node_item("vm-1") is not None
    assert set(topo.links()) == set(small_scenario().topology.links())


def test_copy_paste_two_linked_nodes_duplicates_the_link(loaded):
    window, _path = loaded
    topo = window.document.scenario.topology
    window.scene.select_nodes(["lb-1", "vm-1"])
    window.action("action-edit-copy").trigger()
    window.action("action-edit-paste").trigger()
    assert len(topo) == 6
    new_ids = set(topo.node_ids()) - set(small_scenario().topology.node_ids())
    assert len(new_ids) == 2
    new_links = [l for l in topo.links() if l.source in new_ids or l.target in new_ids]
    assert len(new_links) == 1 and new_links[0].kind == "backend"
    window.action("action-edit-undo").trigger()
    assert len(topo) == 4


def test_save_reopen_and_compare(window, tmp_path, monkeypatch):
    window.place_at_centre("vm")
    window.place_at_centre("load_balancer")
    target = tmp_path / "drawn"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(target), "scenarios"))
    window.action("action-file-save").trigger()
    saved = tmp_path / "drawn.outbound.json"
    assert saved.is_file()
    assert not window.isWindowModified()
    assert window.windowTitle().startswith("drawn.outbound.json")
    before = dumps(window.document.scenario)
    window.action("action-file-new").trigger()
    assert len(window.document.scenario.topology) == 0
    assert window.open_path(saved)
    assert dumps(window.document.scenario) == before
    assert window.settings.recent_files()[0] == str(saved)
    # Open Recent lists it
    window._fill_recent_menu()
    recent = window.recent_menu.actions()[0]
    assert recent.objectName() == "action-file-recent-1" and recent.toolTip() == str(saved)


def test_open_broken_file_keeps_the_document_and_shows_the_json_path(loaded, tmp_path, answer):
    window, _path = loaded
    document = window.document
    before = dumps(document.scenario)
    bad = tmp_path / "bad.outbound.json"
    bad.write_text(json.dumps({"format": "outbound-designer", "version": 1,
                               "nodes": [{"id": "x", "kind": "vm", "private_ip": "nope"}]}))
    assert not window.open_path(bad)
    assert window.document is document
    assert dumps(window.document.scenario) == before
    warnings = [c for c in answer.calls if c[0] == "warning"]
    assert warnings and "nodes[0].private_ip" in warnings[-1][2]


def test_closing_with_unsaved_changes_asks_and_cancel_keeps_the_window(window, answer):
    window.place_at_centre("vm")
    answer.question = QMessageBox.Cancel
    window.close()
    assert window.isVisible()
    assert answer.calls[-1][0] == "question" and "Save the changes" in answer.calls[-1][2]
    # the fixture closes with Discard


def test_new_document_swaps_in_a_new_scene_and_stack(window):
    first_scene, first_stack = window.scene, window.document.undo_stack
    window.place_at_centre("vm")
    window.action("action-file-new").trigger()  # the fixture answers Discard
    assert window.scene is not first_scene
    assert window.document.undo_stack is not first_stack
    assert window.undo_group.activeStack() is window.document.undo_stack
    assert not window.action("action-edit-undo").isEnabled()


def test_recover_an_autosave_left_by_a_crash(qtbot, tmp_path, answer, no_leaks):
    crashed = Document(small_scenario(), tmp_path / "work.outbound.json")
    crashed.mark_modified()
    saver = Autosaver()
    saver.set_document(crashed)
    assert saver.autosave_now()
    saver.timer.stop()
    meta = json.loads(saver.meta_file.read_text())
    meta["pid"] = 2 ** 22 + 4242  # a process that does not exist: the session crashed
    saver.meta_file.write_text(json.dumps(meta))
    answer.question = QMessageBox.Yes
    window = MainWindow()
    qtbot.addWidget(window)
    no_leaks.append(window)
    window.show()
    window.start(None)
    assert answer.calls and answer.calls[0][1] == "Recover unsaved work"
    assert dumps(window.document.scenario) == dumps(small_scenario())
    assert window.document.path == tmp_path / "work.outbound.json"
    assert window.isWindowModified()
    assert find_orphan_autosaves() == []
    # the recovered work is autosaved again by this session, and removed on a clean close
    assert window.autosaver.autosave_now()
    answer.question = QMessageBox.Discard
    window.close()
    assert not window.autosaver.scenario_file.exists()


def test_findings_dock_click_selects_and_centres_the_node(loaded, qtbot):
    window, _path = loaded
    window.findings.validator = lambda scenario: [
        Finding("warning", "test-finding", "vm-2 looks lonely", node_id="vm-2")]
    window.findings.refresh()
    tree = window.findings.tree
    assert tree.topLevelItemCount() == 1
    item = tree.topLevelItem(0)
    rect = tree.visualItemRect(item)
    qtbot.mouseClick(tree.viewport(), Qt.LeftButton, pos=rect.center())
    assert window.scene.selected_node_ids() == ["vm-2"]
    assert window.inspector.node_id == "vm-2"
    assert "1 warning" in window.findings_label.text()


def test_findings_are_live_and_debounced(loaded, qtbot):
    window, _path = loaded
    calls = []
    window.findings.validator = lambda scenario: calls.append(len(scenario.topology)) or []
    window.place_at_centre("vm")
    window.place_at_centre("vm")
    assert window.findings.timer.isActive() and calls == []
    qtbot.waitUntil(lambda: calls == [6], timeout=2000)


def test_dropping_a_scenario_file_on_the_window_opens_it(window, tmp_path):
    path = tmp_path / "dropped.outbound.json"
    save_scenario(small_scenario(), path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    pos = QPointF(window.dock_palette.geometry().center())
    enter = QDragEnterEvent(pos.toPoint(), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(window, drop)
    assert window.document.path == path.resolve()
    assert len(window.document.scenario.topology) == 4


def test_theme_switch_paints_dark_and_is_remembered(window):
    window.action("action-view-theme-dark").trigger()
    assert window.dark
    assert QApplication.palette().color(QPalette.Window).lightness() < 100
    assert window.settings.theme() == "dark"
    window.action("action-view-theme-light").trigger()
    assert not window.dark
    assert QApplication.palette().color(QPalette.Window).lightness() > 200


def test_grid_and_snap_toggle_the_scene_and_persist(window):
    grid = window.action("action-view-grid")
    assert grid.isChecked() == window.scene.grid_visible
    grid.trigger()
    assert window.scene.grid_visible == grid.isChecked()
    assert window.settings.grid_visible() == grid.isChecked()
    snap = window.action("action-view-snap")
    snap.trigger()
    assert window.scene.snap_to_grid == snap.isChecked() == window.settings.snap_to_grid()


def test_zoom_actions_update_the_status_bar(loaded):
    window, _path = loaded
    window.action("action-view-zoom-reset").trigger()
    assert window.zoom_label.text() == "100%"
    window.action("action-view-zoom-in").trigger()
    assert window.zoom_label.text() != "100%"
    assert abs(window.view.zoom_factor() * 100 - float(window.zoom_label.text()[:-1])) < 1


def test_window_geometry_and_docks_are_restored(qtbot, answer, no_leaks):
    first = MainWindow()
    qtbot.addWidget(first)
    no_leaks.append(first)
    first.show()
    first.dock_findings.hide()
    first.resize(700, 500)
    first.close()
    second = MainWindow()
    qtbot.addWidget(second)
    no_leaks.append(second)
    second.show()
    assert not second.dock_findings.isVisible()
    assert (second.width(), second.height()) == (700, 500)
    second.close()


def test_help_lists_shortcuts_and_about_names_the_version(window, answer):
    dialog = window.show_shortcuts()
    table = dialog.findChild(QTableWidget, "shortcuts-table")
    shown = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    rows = dict(window.shortcut_rows())
    assert shown == rows
    assert "Fit to View" in rows and rows["Fit to View"] == "F"
    assert any(text.startswith("Undo") for text in rows)
    dialog.close()
    window.action("action-help-about").trigger()
    from designer import __version__
    assert answer.calls[-1][0] == "about" and __version__ in answer.calls[-1][2]


def test_run_editor_opens_a_file_and_returns_the_exit_code(tmp_path, qapp, answer, no_leaks):
    from designer.ui.app import run_editor
    path = tmp_path / "run.outbound.json"
    save_scenario(small_scenario(), path)
    seen = []

    def close_windows():
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible():
                seen.append(widget.document.path)
                no_leaks.append(widget)
                widget.close()

    QTimer.singleShot(200, close_windows)
    assert run_editor(str(path)) == 0
    assert seen == [path.resolve()]


def test_typing_in_the_palette_search_is_not_taken_by_shortcuts(window, qtbot):
    window.palette.search.setFocus()
    qtbot.keyClicks(window.palette.search, "traffic")  # 'f' is also Fit to View
    assert window.palette.search.text() == "traffic"
    # the live simulation's generator presets match too
    assert [k.split(":")[0] for k in window.palette.visible_kinds()] == ["traffic_generator"] * 3


def test_revert_drops_unsaved_changes(loaded, answer):
    window, path = loaded
    window.place_at_centre("vm")
    assert window.action("action-file-revert").isEnabled()
    answer.question = QMessageBox.Yes
    window.action("action-file-revert").trigger()
    assert dumps(window.document.scenario) == path.read_text()
    assert not window.isWindowModified()


def test_cut_then_paste_restores_the_nodes_with_fresh_ids(loaded):
    window, _path = loaded
    topo = window.document.scenario.topology
    window.scene.select_nodes(["gen-1"])
    window.action("action-edit-cut").trigger()
    assert "gen-1" not in topo
    window.action("action-edit-paste").trigger()
    assert len(topo.nodes("traffic_generator")) == 1


def test_an_example_opens_as_an_untitled_copy(window):
    actions = [a for a in window.examples_menu.actions() if a.isEnabled()]
    if not actions:
        pytest.skip("no bundled examples in this checkout")
    actions[0].trigger()
    assert window.document.path is None
    assert len(window.document.scenario.topology) > 0
    assert not window.isWindowModified()
    assert "(unsaved)" in window.windowTitle()


def test_save_as_adds_the_scenario_suffix(loaded, tmp_path, monkeypatch):
    window, _path = loaded
    seen = {}

    def fake(parent, caption, start, filters):
        seen["start"], seen["filters"] = start, filters
        return str(tmp_path / "copy"), filters
    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake)
    window.action("action-file-save-as").trigger()
    assert (tmp_path / "copy.outbound.json").is_file()
    assert seen["start"].endswith("small.outbound.json")
    assert "*.outbound.json" in seen["filters"]
    assert window.document.path == (tmp_path / "copy.outbound.json").resolve()


def test_connect_tool_follows_the_action_across_documents(window):
    tool = window.action("action-edit-connect-tool")
    tool.trigger()
    assert tool.isChecked() and window.scene.connect_tool
    window.action("action-file-new").trigger()
    assert window.scene.connect_tool
    tool.trigger()
    assert not window.scene.connect_tool


def test_scene_hints_show_in_the_status_bar(window):
    window.scene.statusMessage.emit("a vm cannot link to a vm")
    assert window.statusBar().currentMessage() == "a vm cannot link to a vm"


def test_delete_key_acts_on_the_canvas_only_when_it_has_the_focus(loaded, qtbot):
    window, _path = loaded
    topo = window.document.scenario.topology
    window.scene.select_nodes(["vm-2"])
    window.palette.list.setFocus()
    qtbot.keyClick(window.palette.list, Qt.Key_Delete)
    assert "vm-2" in topo
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key_Delete)
    assert "vm-2" not in topo


def test_system_theme_follows_the_platform_colour_scheme(window, monkeypatch):
    from PySide6.QtGui import QGuiApplication
    from designer.ui import theme
    window.action("action-view-theme-system").trigger()
    monkeypatch.setattr(theme, "system_prefers_dark", lambda: True)
    QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert window.dark and QApplication.palette().color(QPalette.Window).lightness() < 100
    monkeypatch.setattr(theme, "system_prefers_dark", lambda: False)
    QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert not window.dark
    # an explicit choice is not overridden by the platform
    window.action("action-view-theme-dark").trigger()
    QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert window.dark
    window.action("action-view-theme-light").trigger()


def test_periodic_autosave_while_modified_and_removed_on_save(qtbot, tmp_path, answer, no_leaks,
                                                             monkeypatch):
    window = MainWindow(autosave_interval_ms=50)
    qtbot.addWidget(window)
    no_leaks.append(window)
    window.show()
    autosave = window.autosaver.scenario_file
    qtbot.wait(120)
    assert not autosave.exists()  # nothing to keep while unmodified
    window.place_at_centre("vm")
    qtbot.waitUntil(autosave.exists, timeout=2000)
    assert "vm-1" in autosave.read_text()
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(tmp_path / "kept.outbound.json"), ""))
    window.action("action-file-save").trigger()
    assert not autosave.exists()
    qtbot.wait(120)
    assert not autosave.exists()
    window.close()


def test_drag_a_vm_from_the_palette_onto_the_canvas(window):
    from PySide6.QtGui import QDragMoveEvent
    from designer.ui.canvas import KIND_MIME
    item = window.palette.item_for("vm")
    mime = window.palette.list.mimeData([item])
    assert bytes(mime.data(KIND_MIME)) == b"vm"
    viewport = window.view.viewport()
    pos = QPointF(viewport.width() * 0.3, viewport.height() * 0.4)
    for event in (QDragEnterEvent(pos.toPoint(), Qt.CopyAction, mime, Qt.LeftButton,
                                  Qt.NoModifier),
                  QDragMoveEvent(pos.toPoint(), Qt.CopyAction, mime, Qt.LeftButton,
                                 Qt.NoModifier)):
        QApplication.sendEvent(viewport, event)
        assert event.isAccepted()
    drop = QDropEvent(pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(viewport, drop)
    topo = window.document.scenario.topology
    assert [c.KIND for c in topo.nodes()] == ["vm"]
    placed = window.scene.node_item(topo.nodes()[0].id).sceneBoundingRect().center()
    target = window.view.mapToScene(pos.toPoint())
    assert (placed - target).manhattanLength() < 80
    assert window.action("action-edit-undo").text().replace("&", "") == "Undo Add virtual machine"


def test_paste_scrolls_the_copies_into_sight(loaded):
    window, _path = loaded
    window.scene.select_nodes(["gen-1"])
    window.action("action-edit-copy").trigger()
    window.view.set_zoom(2.0)
    window.view.centerOn(-3000, -3000)  # look far away from the originals
    window.action("action-edit-paste").trigger()
    new_id = [n for n in window.document.scenario.topology.node_ids("traffic_generator")
              if n != "gen-1"][0]
    visible = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    assert visible.intersects(window.scene.node_item(new_id).sceneBoundingRect())


def test_align_and_auto_layout_through_the_edit_menu_are_one_undo_step_each(loaded):
    window, _path = loaded
    topo = window.document.scenario.topology
    window.scene.select_nodes(["vm-1", "gen-1"])
    window.action("action-edit-align-top").trigger()
    assert topo.node("vm-1").position[1] == topo.node("gen-1").position[1]
    before = {c.id: c.position for c in small_scenario().topology.nodes()}
    count = window.document.undo_stack.count()
    window.action("action-edit-auto-layout").trigger()
    assert window.document.undo_stack.count() == count + 1
    window.action("action-edit-undo").trigger()
    window.action("action-edit-undo").trigger()
    assert {c.id: c.position for c in topo.nodes()} == before


def test_renaming_an_untitled_scenario_updates_the_title(window):
    from PySide6.QtWidgets import QLineEdit
    window.scene.select_nodes([])
    name = window.inspector.content.findChild(QLineEdit, "meta-name")
    name.setText("Hub and spoke")
    name.editingFinished.emit()
    assert window.windowTitle().startswith("Hub and spoke (unsaved)")
    window.action("action-edit-undo").trigger()
    assert window.windowTitle().startswith("Untitled (unsaved)")


def test_automatic_fitting_cannot_loop_on_scroll_bars_coming_and_going(loaded, monkeypatch):
    from designer.ui import main_window
    window, path = loaded
    calls = []
    original = type(window.view).fit_all
    monkeypatch.setattr(type(window.view), "fit_all",
                        lambda self: (calls.append(1), original(self)))
    assert window.open_path(path)  # a fresh document: automatic fitting is on again
    QApplication.processEvents()
    base = window.view.size()
    for i in range(40):  # a scroll bar's width back and forth, then real resizes
        window.view.resize(base.width() - (15 if i % 2 else 0), base.height())
        QApplication.processEvents()
    for i in range(10):
        window.view.resize(base.width() - 100 * (i % 2), base.height() - 80 * (i % 2))
        QApplication.processEvents()
    assert 1 <= len(calls) <= main_window.MAX_AUTO_FITS
