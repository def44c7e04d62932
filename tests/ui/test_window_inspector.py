"""The inspector on its own: editors generated from field specs, every edit an undo command,
merging per field, refusals that change nothing, and editors that follow undo/redo."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QGroupBox, QLabel, QLineEdit,
                               QPushButton, QSpinBox, QTableWidget, QWidget)

from designer.model import Link, Scenario, make_component
from designer.ui.inspector import Inspector


@pytest.fixture
def setup(qtbot):
    scenario = Scenario(name="Test")
    topo = scenario.topology
    topo.add_node(make_component("vm", "vm-1"))
    topo.add_node(make_component("load_balancer", "lb-1"))
    topo.add_node(make_component("nsg", "nsg-1"))
    topo.add_node(make_component("traffic_generator", "gen-1"))
    topo.add_node(make_component("nat_gateway", "nat-1"))
    topo.add_node(make_component("subnet", "subnet-1"))
    topo.add_node(make_component("public_ip", "pip-1"))
    topo.connect(Link("nat-1", "subnet-1", "nat"))
    stack = QUndoStack()
    inspector = Inspector()
    qtbot.addWidget(inspector)
    inspector.set_document(scenario, stack)
    inspector.show()
    yield scenario, stack, inspector
    inspector.detach()


def field(inspector, name, cls):
    widget = inspector.content.findChild(cls, f"field-{name}")
    assert widget is not None, f"no {cls.__name__} for {name}"
    return widget


def test_spin_box_has_units_and_range_and_edits_merge_into_one_undo_step(setup, qtbot):
    scenario, stack, inspector = setup
    inspector.show_selection(["gen-1"], [])
    rate = field(inspector, "rate_per_s", QDoubleSpinBox)
    assert rate.suffix() == " flows/s"
    assert (rate.minimum(), rate.maximum()) == (0.0, 1_000_000.0)
    rate.setValue(5.0)
    rate.setValue(7.5)
    assert scenario.topology.node("gen-1").rate_per_s == 7.5
    assert stack.count() == 1  # consecutive edits of one field merge
    assert "rate" in stack.undoText().lower()
    stack.undo()
    assert scenario.topology.node("gen-1").rate_per_s == 1.0
    assert rate.value() == 1.0  # the editor follows undo
    stack.redo()
    assert rate.value() == 7.5


def test_int_spin_box_enum_and_checkbox(setup):
    scenario, stack, inspector = setup
    inspector.show_selection(["nat-1"], [])
    idle = field(inspector, "idle_timeout_min", QSpinBox)
    assert (idle.minimum(), idle.maximum(), idle.suffix()) == (4, 120, " min")
    idle.setValue(30)
    sku = field(inspector, "sku", QComboBox)
    sku.activated.emit(sku.findText("standard_v2"))
    node = scenario.topology.node("nat-1")
    assert (node.idle_timeout_min, node.sku) == (30, "standard_v2")
    assert stack.count() == 2
    inspector.show_selection(["subnet-1"], [])
    private = field(inspector, "private", QCheckBox)
    private.setChecked(True)
    assert scenario.topology.node("subnet-1").private is True


def test_invalid_address_is_refused_with_a_message_and_nothing_changes(setup, qtbot):
    scenario, stack, inspector = setup
    inspector.show_selection(["vm-1"], [])
    ip = field(inspector, "private_ip", QLineEdit)
    messages = []
    inspector.statusMessage.connect(messages.append)
    ip.setFocus()
    qtbot.keyClicks(ip, "10.0.0.300")
    qtbot.keyClick(ip, Qt.Key_Return)
    assert scenario.topology.node("vm-1").private_ip is None
    assert stack.count() == 0
    assert ip.text() == ""  # the model's value is shown again
    assert messages and "IPv4" in messages[-1]
    assert inspector.error.isVisible() or not inspector.isVisible()
    qtbot.keyClicks(ip, "10.0.0.7")
    qtbot.keyClick(ip, Qt.Key_Return)
    assert scenario.topology.node("vm-1").private_ip == "10.0.0.7"
    assert stack.count() == 1
    assert inspector.error.isHidden()


def test_cidr_field_refuses_garbage(setup, qtbot):
    scenario, stack, inspector = setup
    inspector.show_selection(["subnet-1"], [])
    prefix = field(inspector, "prefix", QLineEdit)
    prefix.setText("10.0.0.0/33")
    prefix.editingFinished.emit()
    assert scenario.topology.node("subnet-1").prefix == "10.0.0.0/24"
    assert prefix.text() == "10.0.0.0/24"
    prefix.setText("10.1.2.0/24")
    prefix.editingFinished.emit()
    assert scenario.topology.node("subnet-1").prefix == "10.1.2.0/24"


def test_nsg_rule_table_add_edit_reorder_remove_each_undoable(setup, qtbot):
    scenario, stack, inspector = setup
    inspector.show_selection(["nsg-1"], [])
    box = field(inspector, "rules", QGroupBox)
    table = box.findChild(QTableWidget, "table-rules")
    add = box.findChild(QPushButton, "button-rules-add")
    qtbot.mouseClick(add, Qt.LeftButton)
    qtbot.mouseClick(add, Qt.LeftButton)
    rules = scenario.topology.node("nsg-1").rules
    assert [r.name for r in rules] == ["rule-1", "rule-2"]
    assert rules[0].priority != rules[1].priority
    assert table.rowCount() == 2
    assert stack.undoText().startswith("Add NSG rule")
    # edit the selected (second) rule in the detail form
    detail_priority = box.findChild(QSpinBox, "field-priority")
    detail_port = box.findChild(QLineEdit, "field-destination_port")
    detail_priority.setValue(300)
    detail_port.setText("443")
    detail_port.editingFinished.emit()
    rules = scenario.topology.node("nsg-1").rules
    assert (rules[1].priority, rules[1].destination_port) == (300, "443")
    # a bad port range is refused and the rule stays as it was
    detail_port.setText("70000")
    detail_port.editingFinished.emit()
    assert scenario.topology.node("nsg-1").rules[1].destination_port == "443"
    assert detail_port.text() == "443"
    # move the second rule up
    qtbot.mouseClick(box.findChild(QPushButton, "button-rules-up"), Qt.LeftButton)
    rules = scenario.topology.node("nsg-1").rules
    assert [r.name for r in rules] == ["rule-2", "rule-1"]
    assert table.item(0, 0).text() == "rule-2"
    stack.undo()
    assert [r.name for r in scenario.topology.node("nsg-1").rules] == ["rule-1", "rule-2"]
    assert table.item(0, 0).text() == "rule-1"
    stack.redo()
    table.selectRow(0)
    qtbot.mouseClick(box.findChild(QPushButton, "button-rules-remove"), Qt.LeftButton)
    assert [r.name for r in scenario.topology.node("nsg-1").rules] == ["rule-1"]
    assert table.rowCount() == 1
    while stack.canUndo():
        stack.undo()
    assert scenario.topology.node("nsg-1").rules == ()
    assert table.rowCount() == 0


def test_optional_probe_record_and_nested_field(setup):
    scenario, stack, inspector = setup
    inspector.show_selection(["lb-1"], [])
    probe = field(inspector, "probe", QGroupBox)
    assert probe.isCheckable() and not probe.isChecked()
    probe.setChecked(True)
    assert scenario.topology.node("lb-1").probe is not None
    port = probe.findChild(QSpinBox, "field-port")
    port.setValue(8080)
    assert scenario.topology.node("lb-1").probe.port == 8080
    probe.setChecked(False)
    assert scenario.topology.node("lb-1").probe is None
    stack.undo()
    assert scenario.topology.node("lb-1").probe.port == 8080
    assert probe.isChecked() and port.value() == 8080


def test_optional_number_toggles_between_unset_and_a_value(setup):
    scenario, stack, inspector = setup
    inspector.show_selection(["gen-1"], [])
    keepalive = field(inspector, "keepalive_s", QWidget)
    check = keepalive.findChild(QCheckBox)
    spin = keepalive.findChild(QDoubleSpinBox)
    assert not spin.isEnabled() and spin.suffix() == " s"
    check.setChecked(True)
    assert scenario.topology.node("gen-1").keepalive_s == 1.0
    spin.setValue(30.0)
    assert scenario.topology.node("gen-1").keepalive_s == 30.0
    check.setChecked(False)
    assert scenario.topology.node("gen-1").keepalive_s is None
    assert not spin.isEnabled()


def test_scenario_metadata_when_nothing_is_selected(setup, qtbot):
    scenario, stack, inspector = setup
    inspector.show_selection([], [])
    assert inspector.title.text() == "Scenario"
    name = inspector.content.findChild(QLineEdit, "meta-name")
    name.setText("Renamed")
    name.editingFinished.emit()
    assert scenario.name == "Renamed"
    semantics = inspector.content.findChild(QComboBox, "meta-semantics")
    semantics.activated.emit(semantics.findText("modern"))
    assert scenario.semantics == "modern"
    option = inspector.content.findChild(QComboBox, "meta-option-udp_reuse_key")
    option.activated.emit(option.findText("flow"))
    assert scenario.options == {"udp_reuse_key": "flow"}
    option.activated.emit(0)  # back to the default: the option is left out
    assert scenario.options == {}
    stack.undo()  # options edits merge: one undo restores the state before the first one
    assert scenario.options == {}
    stack.undo()
    assert scenario.semantics == "classic"
    assert semantics.currentText() == "classic"
    stack.undo()
    assert scenario.name == "Test" and name.text() == "Test"


def test_link_kind_and_ends(setup):
    scenario, stack, inspector = setup
    link = Link("nat-1", "subnet-1", "nat")
    inspector.show_selection([], [link])
    assert "NAT" in inspector.title.text()
    kind = inspector.content.findChild(QLabel, "field-link-kind")
    assert kind.text() == "NAT gateway"
    assert inspector.content.findChild(QLabel, "link-from").text() == "nat-1 (NAT gateway)"
    assert inspector.content.findChild(QLabel, "link-to").text() == "subnet-1 (Subnet)"


def test_inspector_follows_removal_of_the_shown_node(setup):
    scenario, stack, inspector = setup
    inspector.show_selection(["vm-1"], [])
    scenario.topology.remove_node("vm-1")
    assert inspector.mode == "scenario"


def test_multiple_selection_summary(setup):
    scenario, stack, inspector = setup
    inspector.show_selection(["vm-1", "lb-1"], [])
    assert inspector.title.text() == "2 items selected"


def test_lb_rule_frontend_is_chosen_among_the_lb_frontends(setup, qtbot):
    scenario, stack, inspector = setup
    topo = scenario.topology
    topo.add_node(make_component("public_ip", "pip-2"))
    topo.connect(Link("lb-1", "pip-1", "frontend"))
    topo.connect(Link("lb-1", "pip-2", "frontend"))
    inspector.show_selection(["lb-1"], [])
    box = field(inspector, "rules", QGroupBox)
    qtbot.mouseClick(box.findChild(QPushButton, "button-rules-add"), Qt.LeftButton)
    rule = topo.node("lb-1").rules[0]
    assert rule.frontend == "pip-1"  # a new rule starts on the first frontend
    frontend = box.findChild(QComboBox, "field-frontend")
    assert [frontend.itemText(i) for i in range(frontend.count())] == ["pip-1", "pip-2"]
    frontend.activated.emit(1)
    assert topo.node("lb-1").rules[0].frontend == "pip-2"


def test_an_unfinished_edit_is_committed_to_its_own_node_when_the_selection_changes(setup, qtbot):
    scenario, stack, inspector = setup
    inspector.show_selection(["vm-1"], [])
    name = field(inspector, "name", QLineEdit)
    with qtbot.waitActive(inspector):
        inspector.activateWindow()
    qtbot.waitUntil(name.isVisible)
    name.setFocus()
    qtbot.waitUntil(name.hasFocus)
    name.setText("typed but not confirmed")
    inspector.show_selection(["lb-1"], [])
    assert scenario.topology.node("vm-1").name == "typed but not confirmed"
    assert scenario.topology.node("lb-1").name is None


def test_a_stale_editor_cannot_write_into_the_next_document(setup):
    scenario, stack, inspector = setup
    inspector.show_selection(["vm-1"], [])
    name = field(inspector, "name", QLineEdit)
    other = Scenario(name="Other")
    other.topology.add_node(make_component("vm", "vm-1"))
    inspector.set_document(other, QUndoStack())
    name.setText("late")
    name.editingFinished.emit()  # e.g. a focus-out delivered after the switch
    assert other.topology.node("vm-1").name is None
    assert scenario.topology.node("vm-1").name is None
    inspector.detach()


def test_the_form_of_a_kind_is_reused_and_edits_go_to_the_node_shown(setup):
    scenario, stack, inspector = setup
    scenario.topology.add_node(make_component("vm", "vm-2"))
    inspector.show_selection(["vm-1"], [])
    form = inspector.content
    inspector.show_selection(["lb-1"], [])
    inspector.show_selection(["vm-2"], [])
    assert inspector.content is form  # no rebuild for a second VM
    state = field(inspector, "state", QComboBox)
    state.activated.emit(state.findText("stopped"))
    assert scenario.topology.node("vm-2").state == "stopped"
    assert scenario.topology.node("vm-1").state == "running"
    inspector.show_selection(["vm-1"], [])
    assert state.currentText() == "running"
    stack.undo()
    assert scenario.topology.node("vm-2").state == "running"
