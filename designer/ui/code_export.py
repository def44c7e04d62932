"""File ▸ Export as Code…: the design as an ARM template, Bicep or Terraform (the editor's side
of the code exporters in ``designer.export.code``; the same registry as File ▸ Export)."""
from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, QSettings, Qt, QThread, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QProgressDialog

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
    outcome = _write_in_thread(window, exporter, scenario, path, options)
    if "error" in outcome:
        QMessageBox.warning(window, "Export as Code", f"Could not write {path}:\n"
                                                      f"{outcome['error']}")
        return False
    notes = outcome["notes"] or []
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


class _ExportWorker(QObject):
    """Writes the code on a worker thread: the verdict comment simulates the design, which
    takes a minute and more for thousands of VMs, and the window must keep painting."""

    done = Signal(object)

    def __init__(self, exporter, scenario, path: str, options):
        super().__init__()
        self.args = (exporter, scenario, path, options)

    @Slot()
    def run(self) -> None:
        exporter, scenario, path, options = self.args
        try:
            self.done.emit({"notes": exporter.write(scenario, path, options)})
        except Exception as exc:  # noqa: BLE001 - shown to the user, logged
            log.exception("code export to %s failed", path)
            self.done.emit({"error": str(exc) or type(exc).__name__})


class _Receiver(QObject):
    """Lives on the GUI thread, so the worker's signal reaches it queued."""

    def __init__(self, loop: QEventLoop):
        super().__init__()
        self.loop = loop
        self.outcome: dict = {}

    @Slot(object)
    def finished(self, outcome: dict) -> None:
        self.outcome = outcome
        self.loop.quit()


def _write_in_thread(window, exporter, scenario, path: str, options) -> dict:
    """``exporter.write`` on a worker thread behind a busy dialog; {"notes"} or {"error"}."""
    vms = len(scenario.topology.node_ids("vm"))
    dialog = QProgressDialog(f"Simulating the design ({vms:,} VM{'s' if vms != 1 else ''}) for "
                             f"the verdict at the top of {Path(path).name}…", None, 0, 0, window)
    dialog.setObjectName("dialog-export-code-progress")
    dialog.setWindowTitle("Export as Code")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(500)        # a quick export shows no dialog at all
    loop = QEventLoop()
    receiver = _Receiver(loop)
    thread = QThread(window)
    worker = _ExportWorker(exporter, scenario, path, options)
    worker.moveToThread(thread)
    worker.done.connect(receiver.finished)
    thread.started.connect(worker.run)
    thread.start()
    loop.exec()           # until the worker's signal arrives (queued: it cannot be missed)
    dialog.reset()
    thread.quit()
    thread.wait()
    worker.deleteLater()
    thread.deleteLater()
    dialog.deleteLater()
    return receiver.outcome


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
