"""File ▸ Import…: the action, the parameters dialog, a file import and a live one on the
worker thread, the result opened untitled, laid out, with the import's notes in Findings."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMenu, QMessageBox

from designer.importers.azure_live import RecordedReader
from designer.ui import import_dialog
from designer.ui.import_dialog import (ImportDialog, ParametersDialog, import_into,
                                       parameters_without_value)

FIXTURES = __import__("pathlib").Path(__file__).resolve().parents[1] / "importers" / "fixtures"
WEB = str(FIXTURES / "arm_web_tier.json")
LIVE = "azure:bbbbbbbb-0000-0000-0000-000000000002/live-rg"


def test_import_action_is_in_the_file_menu(window):
    names = [a.objectName() for a in window.menuBar().findChild(QMenu, "menu-file").actions()]
    assert names.index("action-file-import") < names.index("action-file-save")


def test_parameters_without_defaults_are_asked_with_their_descriptions(qtbot):
    wanted = parameters_without_value([WEB], None, [])
    assert [p.name for _, p in wanted] == ["adminUsername"]  # adminPassword is secure
    dialog = ParametersDialog(wanted)
    qtbot.addWidget(dialog)
    labels = " ".join(w.text() for w in dialog.findChildren(import_dialog.QLabel))
    assert "Admin user name of the VMs" in labels
    assert dialog.values() == {}          # left empty: imported without a value (a note)
    dialog.edits["adminUsername"].setText("me")
    assert dialog.values() == {"adminUsername": "me"}
    assert parameters_without_value([WEB], None, [str(FIXTURES / "arm_web_tier.parameters.json")]) == []


def test_import_dialog_collects_sources_format_and_load(qtbot):
    dialog = ImportDialog()
    qtbot.addWidget(dialog)
    dialog.sources.addItem(WEB)
    dialog.subscription.setText("sub/rg")
    dialog.format.setCurrentIndex(dialog.format.findData("arm"))
    dialog.load.setValue(5)
    assert dialog.chosen_sources() == [WEB, "azure:sub/rg"]
    assert dialog.chosen_format() == "arm" and dialog.rate() == 5.0


def test_a_file_import_opens_untitled_laid_out_with_findings(window):
    assert import_into(window, [WEB], parameters={"adminUsername": "me"}, load=3,
                       ask_parameters=False)
    document = window.document
    assert document.path is None and document.modified
    topology = document.scenario.topology
    assert len(topology.nodes("vm")) == 3
    positions = {c.position for c in topology.nodes() if not c.CONTAINER}
    assert len(positions) == len(topology.nodes()) - len(topology.nodes("subnet")) - \
        len(topology.nodes("vnet"))  # no two nodes on one point
    app = topology.node("app")
    inside = [topology.node(v).position for v in topology.vms_in_subnet("app")]
    assert all(app.position[0] <= x <= app.position[0] + app.size[0] and
               app.position[1] <= y <= app.position[1] + app.size[1] for x, y in inside)
    window.findings.refresh()
    codes = {f.code for f in window.findings.findings}
    assert {"import-skipped", "import-not-modelled", "udr-not-modelled"} <= codes
    assert "imported arm_web_tier.json" in window.statusBar().currentMessage().lower()
    assert not document.undo_stack.canUndo()  # laid out in the model: nothing to undo


def test_a_live_import_runs_on_a_worker_thread_with_progress(window, qtbot):
    seen = []
    original = import_dialog._Receiver.step

    def step(self, done, total, what):
        seen.append(done)
        original(self, done, total, what)
    import_dialog._Receiver.step = step
    try:
        reader = RecordedReader.from_file(FIXTURES / "azure_recording.json")
        assert import_into(window, [LIVE], azure_reader=reader)
    finally:
        import_dialog._Receiver.step = original
    assert window.document.scenario.topology.subnet_of("api-1") == "api"
    assert seen and seen[-1] == max(seen)


def test_a_broken_source_shows_an_error_and_keeps_the_document(window, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    before = window.document
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert not import_into(window, [str(broken)], ask_parameters=False)
    assert window.document is before and "not valid JSON" in shown[0]
    assert not import_into(window, [LIVE], azure_reader=_FailingReader())
    assert window.document is before and "AuthorizationFailed" in shown[1]


class _FailingReader:
    def list(self, client, operation, group):
        raise RuntimeError("AuthorizationFailed")


@pytest.fixture(autouse=True)
def _no_save_prompt(monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Discard)
