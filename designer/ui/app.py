"""``run_editor(path)``: the QApplication and the main window (what ``outbound-designer
[FILE]`` opens)."""
from __future__ import annotations

import logging
import os
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from .. import APP_ID, __version__

ORGANIZATION = "Outbound Designer"
ORGANIZATION_DOMAIN = "outbound-designer.github.io"
APPLICATION = "outbound-designer"


def configure_application(app: QApplication) -> None:
    """Names used by QSettings and QStandardPaths (settings file, autosave folder)."""
    app.setOrganizationName(ORGANIZATION)
    app.setOrganizationDomain(ORGANIZATION_DOMAIN)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("Outbound Designer")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    try:
        from ..resources import icons_dir
        icon = icons_dir() / "app.svg"
    except FileNotFoundError:
        return
    if icon.is_file():
        from PySide6.QtGui import QIcon
        app.setWindowIcon(QIcon(str(icon)))


def run_editor(path: str | None = None) -> int:
    """Open the editor on FILE, or on the bundled demo (an empty scenario when the demo is
    missing), after offering any autosave left by a crash; returns the exit code."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    configure_application(app)
    from ..applog import install_qt_message_handler, setup_logging
    log_file = setup_logging()
    install_qt_message_handler()
    logging.getLogger(__name__).info("editor starting on %s (log: %s)", path or "the demo",
                                     log_file)
    from .main_window import MainWindow
    window = MainWindow()
    window.show()
    window.start(path)
    # packaging/build.sh opens the bundle on the demo and checks that it closes by itself
    smoke_quit_ms = os.environ.get("OUTBOUND_DESIGNER_SMOKE_QUIT_MS")
    if smoke_quit_ms:
        QTimer.singleShot(int(smoke_quit_ms), window.close)
    code = app.exec()
    window.shutdown()
    return code
