"""Fixtures for the editor's tests (pytest-qt, offscreen).

- QStandardPaths test mode (under a private HOME): settings and autosaves go to a throw-away
  location of this test process.
- Qt warnings fail every test in tests/ui (pytest-qt's ``qt_log_level_fail`` marker).
- ``no_leaks`` (autouse) fails a test that leaves a thread running, or a QTimer active among
  the children of the application and its top-level windows once the windows are closed.
- ``window``: the real MainWindow on an empty scenario; closed (discarding changes) at the
  end, and its timers checked by ``no_leaks``.
"""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QStandardPaths, QTimer
from PySide6.QtWidgets import QMessageBox

# Test mode puts settings and autosaves under ~/.qttest; a private HOME for this test process
# keeps concurrent test runs on one machine from deleting each other's autosaves.
_HOME = tempfile.mkdtemp(prefix="outbound-designer-ui-tests-")
os.environ["HOME"] = _HOME
atexit.register(shutil.rmtree, _HOME, True)
QStandardPaths.setTestModeEnabled(True)

UI_TESTS = Path(__file__).resolve().parent
#: messages of the offscreen platform plugin itself, not of our code
OFFSCREEN_NOISE = ("This plugin does not support propagateSizeHints",
                   "This plugin does not support raise",
                   "This plugin does not support grabbing the keyboard")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if UI_TESTS in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore(*OFFSCREEN_NOISE))


@pytest.fixture(scope="session", autouse=True)
def _application_names(qapp):
    from designer.ui.app import configure_application
    configure_application(qapp)
    yield


@pytest.fixture(autouse=True)
def clean_state(qapp):
    """Every test starts with empty settings and no autosaves."""
    from designer.ui.document import autosave_dir
    QStandardPaths.setTestModeEnabled(True)  # again: a test elsewhere may have switched it off
    QSettings().clear()
    shutil.rmtree(autosave_dir(), ignore_errors=True)
    yield
    QSettings().clear()
    shutil.rmtree(autosave_dir(), ignore_errors=True)
    qapp.setPalette(qapp.style().standardPalette())  # a theme test must not colour the next


def _active_timers(qapp) -> list[str]:
    owners = [qapp] + list(qapp.topLevelWidgets())
    out = []
    for owner in owners:
        for timer in owner.findChildren(QTimer):
            if timer.isActive():
                out.append(f"{timer.objectName() or 'QTimer'} (interval {timer.interval()} ms) "
                           f"under {owner.objectName() or type(owner).__name__}")
    return out


@pytest.fixture(autouse=True)
def no_leaks(qapp):
    """Fails the test if it leaves a thread alive or a QTimer running; yields a list where
    fixtures register windows to delete after the check."""
    before = set(threading.enumerate())
    windows: list = []
    yield windows
    qapp.processEvents()
    threads = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    timers = _active_timers(qapp)
    for window in windows:
        window.deleteLater()
    from PySide6.QtCore import QCoreApplication, QEvent
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    assert not threads, f"threads left running: {threads}"
    assert not timers, f"timers left running: {timers}"


@pytest.fixture
def answer(monkeypatch):
    """Patches QMessageBox so no dialog blocks: ``answer.question = QMessageBox.Discard``
    sets what question() returns; every call is recorded in ``answer.calls``."""

    class Answers:
        question = QMessageBox.Discard
        calls: list[tuple[str, str, str]] = []

    answers = Answers()
    answers.calls = []

    def record(kind, returns):
        def fake(parent, title, text, *args, **kwargs):
            answers.calls.append((kind, title, text))
            return returns() if callable(returns) else returns
        return fake

    monkeypatch.setattr(QMessageBox, "question", record("question", lambda: answers.question))
    monkeypatch.setattr(QMessageBox, "warning", record("warning", QMessageBox.Ok))
    monkeypatch.setattr(QMessageBox, "critical", record("critical", QMessageBox.Ok))
    monkeypatch.setattr(QMessageBox, "information", record("information", QMessageBox.Ok))
    monkeypatch.setattr(QMessageBox, "about", record("about", None))
    return answers


@pytest.fixture
def window(qtbot, answer, no_leaks):
    """The real main window on an empty scenario, shown offscreen."""
    from designer.ui.main_window import MainWindow
    win = MainWindow()
    qtbot.addWidget(win, before_close_func=lambda w: None)
    win.show()
    qtbot.waitExposed(win)
    no_leaks.append(win)
    yield win
    answer.question = QMessageBox.Discard
    win.close()
    assert not win.isVisible()
