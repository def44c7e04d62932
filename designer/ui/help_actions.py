"""Help for the main window: the keyboard shortcuts dialog (built from the actions
themselves, so it never goes stale) and the About box."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHeaderView, QMessageBox,
                               QTableWidget, QTableWidgetItem, QVBoxLayout)

from .. import __version__
from ..applog import log_path
from .file_actions import APP_TITLE


class HelpActions:
    """Help ▸ Keyboard Shortcuts and About, for :class:`MainWindow` (a mixin)."""

    def shortcut_rows(self) -> list[tuple[str, str]]:
        rows = []
        for action in self.actions_by_name.values():
            keys = ", ".join(k.toString(QKeySequence.NativeText)
                             for k in action.shortcuts()[:2])
            if keys:
                rows.append((action.text().replace("&", "").rstrip("…").split("\t")[0], keys))
        rows += [("Zoom around the cursor", "Ctrl+wheel"),
                 ("Pan", "Middle button drag, or Space+drag"),
                 ("Nudge the selection", "Arrow keys (Shift: 10×)"),
                 ("Next / previous node", "Tab / Shift+Tab"),
                 ("Rename on the canvas", "F2, or double-click the name"),
                 ("Edit a rule in its table", "Double-click the cell (or F2)"),
                 ("Actions for what is under the pointer", "Right-click"),
                 ("Move without snapping", "Alt while dragging"),
                 ("Add to the selection", "Ctrl+click, or rubber band")]
        return rows

    def show_shortcuts(self) -> QDialog:
        dialog = QDialog(self)
        dialog.setObjectName("dialog-shortcuts")
        dialog.setWindowTitle("Keyboard shortcuts")
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        rows = self.shortcut_rows()
        table = QTableWidget(len(rows), 2, dialog)
        table.setObjectName("shortcuts-table")
        table.setHorizontalHeaderLabels(["Action", "Shortcut"])
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QTableWidget.NoEditTriggers)
        for r, (text, keys) in enumerate(rows):
            table.setItem(r, 0, QTableWidgetItem(text))
            table.setItem(r, 1, QTableWidgetItem(keys))
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.Close, dialog)
        buttons.rejected.connect(dialog.close)
        layout = QVBoxLayout(dialog)
        layout.addWidget(table)
        layout.addWidget(buttons)
        dialog.resize(520, 560)
        dialog.show()
        return dialog

    def show_about(self) -> None:
        QMessageBox.about(
            self, f"About {APP_TITLE}",
            f"<h3>{APP_TITLE} {__version__}</h3>"
            f"<p>Draw Azure network topologies and simulate their outbound connections: "
            f"SNAT ports, NAT gateways, load balancers, NSGs and health probes.</p>"
            f"<p>Qt {qt_version()} · MIT licence</p>"
            f"<p>Log file: <code>{log_path() or 'not set up'}</code></p>"
            f"<p>No telemetry: nothing leaves this computer.</p>")


def qt_version() -> str:
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import qVersion
    return f"{qVersion()} (PySide6 {pyside_version})"
