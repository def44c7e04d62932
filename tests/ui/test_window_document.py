"""Documents, atomic saves, autosave and recovery, settings (no window needed)."""
from __future__ import annotations

import json
import os

import pytest
from PySide6.QtCore import QByteArray

from designer.model import ScenarioFormatError, dumps, make_component
from designer.ui.commands import AddNodeCommand
from designer.ui.document import (SUFFIX, Autosaver, Document, autosave_dir, default_save_name,
                                  find_orphan_autosaves, recover, with_suffix)
from designer.ui.settings import MAX_RECENT, Settings


def _edit(document: Document, node_id: str = "vm-1") -> None:
    document.undo_stack.push(AddNodeCommand(document.scenario, make_component("vm", node_id)))


def test_modified_follows_the_undo_stack_clean_state(tmp_path, qapp):
    doc = Document()
    changes = []
    doc.changed.connect(lambda: changes.append(doc.modified))
    assert not doc.modified and doc.display_name == "Untitled"
    _edit(doc)
    assert doc.modified
    doc.undo_stack.undo()
    assert not doc.modified
    assert changes == [True, False]


def test_save_is_atomic_and_reopens_equal(tmp_path, qapp):
    doc = Document()
    _edit(doc)
    path = tmp_path / "a.outbound.json"
    doc.save(path)
    assert not doc.modified and doc.path == path.resolve()
    assert [p.name for p in tmp_path.iterdir()] == ["a.outbound.json"]  # no temp file left
    again = Document.open(path)
    assert dumps(again.scenario) == dumps(doc.scenario)


def test_broken_file_raises_with_json_path(tmp_path, qapp):
    bad = tmp_path / "bad.outbound.json"
    bad.write_text(json.dumps({"format": "outbound-designer", "version": 1,
                               "nodes": [{"id": "vm-1", "kind": "vm", "private_ip": "x"}]}))
    with pytest.raises(ScenarioFormatError) as info:
        Document.open(bad)
    assert "nodes[0].private_ip" in info.value.summary()


def test_save_as_names():
    doc = Document()
    doc.scenario.name = "NAT gateway demo"
    assert default_save_name(doc) == "NAT-gateway-demo" + SUFFIX
    assert with_suffix("/tmp/x") == "/tmp/x" + SUFFIX
    assert with_suffix("/tmp/x.json") == "/tmp/x.json"


def test_autosave_writes_only_when_modified_and_is_removed_on_clean_save(tmp_path, qapp):
    doc = Document()
    saver = Autosaver(60_000)
    saver.set_document(doc)
    assert saver.timer.isActive()
    assert not saver.autosave_now()  # unmodified: nothing to write
    _edit(doc)
    assert saver.autosave_now()
    assert saver.scenario_file.is_file() and saver.meta_file.is_file()
    assert saver.scenario_file.parent == autosave_dir()
    assert not saver.autosave_now()  # nothing changed since
    doc.save(tmp_path / "saved.outbound.json")
    saver.autosave_now()  # the window also calls remove() right after a save
    assert not saver.scenario_file.exists() and not saver.meta_file.exists()
    _edit(doc, "vm-2")
    saver.autosave_now()
    saver.stop()
    assert not saver.timer.isActive()
    assert not saver.scenario_file.exists()


def test_orphan_autosave_is_found_and_recovered_modified(tmp_path, qapp):
    doc = Document()
    doc.path = tmp_path / "original.outbound.json"
    saver = Autosaver(60_000)
    saver.set_document(doc)
    _edit(doc)
    saver.autosave_now()
    saver.timer.stop()
    # our own (live) session is never offered
    assert find_orphan_autosaves() == []
    # a session whose process is gone is
    meta = json.loads(saver.meta_file.read_text())
    meta["pid"] = 2 ** 22 + 12345  # above pid_max on Linux: no such process
    saver.meta_file.write_text(json.dumps(meta))
    entries = find_orphan_autosaves()
    assert len(entries) == 1
    assert entries[0].original == str(tmp_path / "original.outbound.json")
    recovered = recover(entries[0])
    assert recovered.modified and recovered.recovered
    assert recovered.path == tmp_path / "original.outbound.json"
    assert dumps(recovered.scenario) == dumps(doc.scenario)
    assert find_orphan_autosaves() == []  # the recovered autosave is consumed


def test_settings_round_trip(tmp_path, qapp):
    settings = Settings()
    assert settings.recent_files() == [] and settings.theme() == "system"
    for i in range(MAX_RECENT + 3):
        settings.add_recent_file(str(tmp_path / f"{i}.outbound.json"))
    files = settings.recent_files()
    assert len(files) == MAX_RECENT and files[0].endswith(f"{MAX_RECENT + 2}.outbound.json")
    settings.add_recent_file(files[3])
    assert settings.recent_files()[0] == files[3]
    settings.set_theme("dark")
    settings.set_grid_visible(False)
    settings.save_window(QByteArray(b"geo"), QByteArray(b"state"))
    settings.sync()
    again = Settings()
    assert again.theme() == "dark" and again.grid_visible() is False
    assert again.geometry() == QByteArray(b"geo")
    with pytest.raises(ValueError):
        settings.set_theme("purple")


def test_application_names_and_icon(qapp):
    from designer.ui.app import configure_application
    configure_application(qapp)
    assert qapp.organizationName() and qapp.applicationName() == "outbound-designer"
    assert not qapp.windowIcon().isNull()


def test_settings_and_autosaves_live_in_this_test_process_own_location(qapp):
    from PySide6.QtCore import QSettings
    home = os.environ["HOME"]
    assert QSettings().fileName().startswith(os.path.join(home, ".qttest"))
    assert str(autosave_dir()).startswith(os.path.join(home, ".qttest"))
