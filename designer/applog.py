"""The application log: a rotating file in the platform's log folder, with Qt's own messages and
native crashes in it.  Nothing is ever sent anywhere (no telemetry); the file stays on the disk.

Call :func:`setup_logging` once at start-up (before or after the ``QApplication`` exists) and
:func:`install_qt_message_handler` once Qt is in use; :func:`log_path` is what Help > About shows.

Where the files go:

- with Qt: ``QStandardPaths.AppLocalDataLocation`` + ``/logs``, i.e. the organisation and
  application names the editor sets, under ``~/.local/share`` (Linux), ``%LOCALAPPDATA%``
  (Windows) or ``~/Library/Application Support`` (macOS); call it after naming the application
  (``designer.ui.app.configure_application``), otherwise it names it ``outbound-designer``;
- without Qt: ``$XDG_STATE_HOME/outbound-designer/logs`` (default ``~/.local/state/...``).

``outbound-designer.log`` (1 MB, 5 rotated copies) holds the Python and Qt messages;
``crash.log`` receives :mod:`faulthandler`'s tracebacks when the process dies in native code.
Qt is imported only inside the functions that need it, so importing this module is cheap.
"""
from __future__ import annotations

import faulthandler
import logging
import logging.handlers
import os
import platform
import sys
from pathlib import Path
from typing import IO, Any, Callable

from . import __version__

APP_NAME = "outbound-designer"
LOG_FILE = "outbound-designer.log"
CRASH_FILE = "crash.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5
LOG_FORMAT = "%(asctime)s %(levelname)-8s %(name)s: %(message)s"

log = logging.getLogger("designer.applog")


class _State:
    handler: logging.handlers.RotatingFileHandler | None = None
    crash_stream: IO[str] | None = None
    qt_handler: Callable[..., Any] | None = None
    qt_previous: Callable[..., Any] | None = None
    previous_excepthook: Callable[..., Any] | None = None


_state = _State()


def _xdg_log_dir(app_name: str) -> Path:
    state_home = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state_home) / app_name / "logs"


def _qt_log_dir(app_name: str) -> Path | None:
    try:
        from PySide6.QtCore import QCoreApplication, QStandardPaths
    except ImportError:
        return None
    # AppLocalDataLocation ends in the application name; Qt defaults it to the file name of
    # argv[0] ("__main__.py" under python -m), so name the application if nobody has yet.
    current = QCoreApplication.applicationName()
    arguments = QCoreApplication.arguments() if QCoreApplication.instance() is not None else []
    default = Path(arguments[0]).name if arguments else ""
    if not current or current == default:
        QCoreApplication.setApplicationName(app_name)
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation)
    return Path(base) / "logs" if base else None


def log_dir(app_name: str = APP_NAME) -> Path:
    """The folder the log files go to (not created here)."""
    if _state.handler is not None:
        return Path(_state.handler.baseFilename).parent
    return _qt_log_dir(app_name) or _xdg_log_dir(app_name)


def log_path() -> Path:
    """The current log file (or where it will be once :func:`setup_logging` has run)."""
    if _state.handler is not None:
        return Path(_state.handler.baseFilename)
    return log_dir() / LOG_FILE


def setup_logging(app_name: str = APP_NAME, level: int = logging.INFO) -> Path:
    """Start logging to the rotating file; enable faulthandler; return the log file's path.

    Records of ``level`` and above go to the file whatever the console shows: console handlers
    already on the root logger keep the verbosity they had.  Calling it again changes nothing.
    """
    if _state.handler is not None:
        return Path(_state.handler.baseFilename)
    folder = log_dir(app_name)
    folder.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        folder / LOG_FILE, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8")
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))

    root = logging.getLogger()
    if root.level == logging.NOTSET or root.level > level:
        # Lowering the root level would let more through to the console handlers: pin them
        # to what they showed before.
        shown = logging.WARNING if root.level == logging.NOTSET else root.level
        for existing in root.handlers:
            if existing.level == logging.NOTSET:
                existing.setLevel(shown)
        root.setLevel(level)
    root.addHandler(handler)
    _state.handler = handler

    _enable_faulthandler(folder / CRASH_FILE)
    _install_excepthook()
    log.info("Outbound Designer %s started (Python %s, %s); log %s", __version__,
             platform.python_version(), platform.platform(), handler.baseFilename)
    return Path(handler.baseFilename)


def _enable_faulthandler(path: Path) -> None:
    # The stream must stay open for as long as the process lives: faulthandler writes to its
    # file descriptor from a signal handler.  Start afresh once it has grown past MAX_BYTES.
    mode = "w" if path.exists() and path.stat().st_size > MAX_BYTES else "a"
    stream = open(path, mode, encoding="utf-8")  # noqa: SIM115 - kept open on purpose
    faulthandler.enable(file=stream, all_threads=True)
    if _state.crash_stream is not None:
        _state.crash_stream.close()
    _state.crash_stream = stream


def _install_excepthook() -> None:
    previous = sys.excepthook

    def log_uncaught(exc_type, exc, tb):
        if not issubclass(exc_type, KeyboardInterrupt):
            logging.getLogger("designer").critical("uncaught exception",
                                                   exc_info=(exc_type, exc, tb))
        previous(exc_type, exc, tb)

    _state.previous_excepthook = previous
    sys.excepthook = log_uncaught


def shutdown_logging() -> None:
    """Undo :func:`setup_logging` (for tests and orderly exits): close the files, restore hooks."""
    if _state.qt_handler is not None:
        from PySide6.QtCore import qInstallMessageHandler
        qInstallMessageHandler(_state.qt_previous)
        _state.qt_handler = _state.qt_previous = None
    if _state.previous_excepthook is not None:
        sys.excepthook = _state.previous_excepthook
        _state.previous_excepthook = None
    if _state.crash_stream is not None:
        faulthandler.disable()
        _state.crash_stream.close()
        _state.crash_stream = None
    if _state.handler is not None:
        logging.getLogger().removeHandler(_state.handler)
        _state.handler.close()
        _state.handler = None


def install_qt_message_handler() -> None:
    """Route Qt's messages (qDebug, qWarning, ...) into the ``qt.<category>`` loggers.

    A handler installed before (pytest-qt's, for instance) still receives every message.
    """
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    if _state.qt_handler is not None:
        return
    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }

    def handler(mode, context, message):
        category = getattr(context, "category", None) or "default"
        logger = logging.getLogger("qt" if category == "default" else f"qt.{category}")
        where = ""
        if getattr(context, "file", None):
            where = f" ({context.file}:{context.line})"
        logger.log(levels.get(mode, logging.WARNING), "%s%s", message, where)
        if mode == QtMsgType.QtFatalMsg:  # Qt aborts when this returns
            for h in logging.getLogger().handlers:
                h.flush()
        if previous is not None:
            previous(mode, context, message)

    previous = qInstallMessageHandler(handler)
    _state.qt_handler, _state.qt_previous = handler, previous
