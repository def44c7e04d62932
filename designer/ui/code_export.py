"""File ▸ Export as Code…: the design as an ARM template, Bicep or Terraform (the editor's side
of the code exporters in ``designer.export.code``; the same registry as File ▸ Export)."""
from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu, QMessageBox

from ..export.registry import CODE, exporter_for, exporters

log = logging.getLogger(__name__)

#: file dialog filters, in the order of the registry
FILTERS = {ext: f"{e.label} (*{ext})" for ext, e in exporters(CODE).items()}


def _suggested_path(window, extension: str) -> str:
    document = window.document
    folder = QSettings().value("export/code-folder", "") or (
        str(Path(document.path).parent) if document and document.path else str(Path.home()))
    stem = Path(document.path).name.removesuffix(".json").removesuffix(".outbound") \
        if document and document.path else "design"
    return str(Path(folder) / f"{stem}{extension}")


def export_code(window, path: str | None = None) -> bool:
    """Ask for a file name (its ending picks the language), simulate for the verdict comment
    and write the code; the notes of a Basic -> Standard conversion are shown. Errors are
    shown, never raised; ``path`` lets tests skip the file dialog."""
    document = window.document
    if document is None:
        return False
    if path is None:
        last = QSettings().value("export/code-format", ".tf")
        chosen = FILTERS.get(last, next(iter(FILTERS.values())))
        path, chosen = QFileDialog.getSaveFileName(
            window, "Export as Code", _suggested_path(window, last), ";;".join(FILTERS.values()),
            chosen)
        if not path:
            return False
        wanted = next((ext for ext, f in FILTERS.items() if f == chosen), ".tf")
        if not any(path.lower().endswith(ext) for ext in FILTERS):
            path += wanted
    try:
        exporter = exporter_for(path, CODE)
    except ValueError as exc:
        QMessageBox.warning(window, "Export as Code", str(exc))
        return False
    from ..export.code import CodeOptions
    scenario = document.scenario.snapshot()
    options = CodeOptions(source=Path(document.path).name if document.path else "")
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        notes = exporter.write(scenario, path, options) or []
    except Exception as exc:  # noqa: BLE001 - shown to the user, logged, editor keeps working
        log.exception("code export to %s failed", path)
        QMessageBox.warning(window, "Export as Code", f"Could not write {path}:\n{exc}")
        return False
    finally:
        QApplication.restoreOverrideCursor()
    QSettings().setValue("export/code-folder", str(Path(path).parent))
    QSettings().setValue("export/code-format", exporter.extension)
    window.show_status(f"Wrote the {exporter.label} {Path(path).name}")
    if notes:
        # "note: ..." / "warning: ..." lines, as on the command line's stderr
        text = "\n\n".join(n[0].upper() + n[1:] for n in notes)
        QMessageBox.information(window, "Export as Code",
                                f"Wrote {Path(path).name}. What it deploys differs from the "
                                f"drawing:\n\n{text}")
    return True


def install_code_export(window) -> None:
    """Add File ▸ Export as Code… after the other export actions (before Quit)."""
    action = QAction("Export as &Code…", window, objectName="action-file-export-code")
    action.setStatusTip("Write the design as an ARM template, Bicep or Terraform")
    action.triggered.connect(lambda: export_code(window))
    window.addAction(action)
    window.actions_by_name[action.objectName()] = action
    menu = window.menuBar().findChild(QMenu, "menu-file")
    if menu is not None:
        menu.insertAction(window.action("action-file-quit"), action)
