"""The application log: where it goes, what goes in, rotation, Qt messages and native crashes."""
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from designer import applog


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A throw-away home, XDG folders and Qt's standard-paths test mode; logging restored after."""
    from PySide6.QtCore import QCoreApplication, QStandardPaths

    monkeypatch.setenv("HOME", str(tmp_path))
    for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    root = logging.getLogger()
    saved = (root.level, list(root.handlers), [h.level for h in root.handlers])
    saved_name = QCoreApplication.applicationName()
    QCoreApplication.setApplicationName("")  # as at start-up: not named yet
    QStandardPaths.setTestModeEnabled(True)
    yield tmp_path
    applog.shutdown_logging()
    QStandardPaths.setTestModeEnabled(False)
    QCoreApplication.setApplicationName(saved_name)
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]
    for handler, level in zip(saved[1], saved[2]):
        handler.setLevel(level)


def read(path: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def test_log_file_lives_in_the_app_local_data_folder(home):
    from PySide6.QtCore import QCoreApplication, QStandardPaths

    path = applog.setup_logging()

    assert QCoreApplication.applicationName() == "outbound-designer"
    expected = Path(QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppLocalDataLocation)) / "logs" / applog.LOG_FILE

    assert path == expected == applog.log_path()
    assert home in path.parents and "outbound-designer" in path.parts
    assert path.is_file() and (path.parent / applog.CRASH_FILE).is_file()
    assert "Outbound Designer" in read(path) and "started" in read(path)
    assert applog.setup_logging() == path  # a second call adds no second handler
    assert sum(isinstance(h, logging.handlers.RotatingFileHandler)
               for h in logging.getLogger().handlers) == 1


def test_a_name_the_application_already_has_is_kept(home, qapp):
    from PySide6.QtCore import QCoreApplication
    QCoreApplication.setApplicationName("Named Editor")
    path = applog.setup_logging()
    assert QCoreApplication.applicationName() == "Named Editor"
    assert path.parent.parent.name == "Named Editor" and path.parent.name == "logs"


def test_info_goes_to_the_file_but_the_console_keeps_its_level(home):
    import io
    console = logging.StreamHandler(io.StringIO())
    root = logging.getLogger()
    root.addHandler(console)
    root.setLevel(logging.WARNING)

    path = applog.setup_logging()
    logging.getLogger("designer.test").info("opened scenario demo")
    logging.getLogger("designer.test").warning("autosave folder missing")

    text = read(path)
    assert "INFO     designer.test: opened scenario demo" in text
    assert "autosave folder missing" in text
    shown = console.stream.getvalue()
    assert "autosave folder missing" in shown and "opened scenario demo" not in shown


def test_the_log_rotates(home, monkeypatch):
    monkeypatch.setattr(applog, "MAX_BYTES", 4_000)
    monkeypatch.setattr(applog, "BACKUP_COUNT", 2)
    path = applog.setup_logging()
    for i in range(400):
        logging.getLogger("designer.test").info("line %d %s", i, "x" * 40)
    names = sorted(p.name for p in path.parent.glob(applog.LOG_FILE + "*"))
    assert names == [applog.LOG_FILE, applog.LOG_FILE + ".1", applog.LOG_FILE + ".2"]
    assert all(p.stat().st_size <= 4_000 for p in path.parent.glob(applog.LOG_FILE + "*"))


def test_qt_messages_reach_the_log_and_the_previous_handler(home, qapp):
    from PySide6.QtCore import qInfo, qInstallMessageHandler

    seen = []
    earlier = qInstallMessageHandler(lambda mode, context, message: seen.append(message))
    try:
        path = applog.setup_logging()
        applog.install_qt_message_handler()
        qInfo("a message from Qt")
        assert "a message from Qt" in read(path)
        assert " qt" in read(path)
        assert seen == ["a message from Qt"]
        applog.shutdown_logging()
        qInfo("after shutdown")
        assert seen == ["a message from Qt", "after shutdown"]
    finally:
        qInstallMessageHandler(earlier)


@pytest.mark.qt_no_exception_capture  # the hook under test chains to the default one
def test_uncaught_exceptions_are_logged(home, capsys):
    path = applog.setup_logging()
    try:
        raise ValueError("boom in a slot")
    except ValueError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    text = read(path)
    assert "uncaught exception" in text and "ValueError: boom in a slot" in text
    assert "boom in a slot" in capsys.readouterr().err  # the previous hook still prints


def test_without_qt_the_xdg_state_folder_is_used(home, monkeypatch):
    monkeypatch.setitem(sys.modules, "PySide6.QtCore", None)  # import fails as if not installed
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    assert applog.setup_logging() == home / "state" / "outbound-designer" / "logs" / applog.LOG_FILE
    monkeypatch.delenv("XDG_STATE_HOME")
    assert applog._xdg_log_dir("outbound-designer") == (
        home / ".local" / "state" / "outbound-designer" / "logs")


def test_a_native_crash_leaves_a_traceback_in_crash_log(tmp_path):
    env = dict(os.environ, HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"),
               QT_QPA_PLATFORM="offscreen")
    code = ("from designer import applog; applog.setup_logging(); "
            "import faulthandler; faulthandler._sigsegv()")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            cwd=Path(__file__).resolve().parent.parent, timeout=60)
    assert result.returncode != 0
    crash = tmp_path / "data" / "outbound-designer" / "logs" / applog.CRASH_FILE
    text = crash.read_text(encoding="utf-8")
    assert "Fatal Python error" in text and "Segmentation fault" in text
