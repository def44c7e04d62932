"""File > Export Diagram… and File > Export Simulation Report… (the window's side of the
exporter registry in ``designer.export``)."""
from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QApplication, QCheckBox, QComboBox, QDialog, QDialogButtonBox,
                               QDoubleSpinBox, QFileDialog, QFormLayout, QMenu, QMessageBox, QSpinBox,
                               QVBoxLayout)

from ..export.diagram import EXPORTERS, ExportOptions, export_scene
from ..export.registry import DIAGRAM, exporters

log = logging.getLogger(__name__)


class ExportDialog(QDialog):
    """The export options; the file name is asked for afterwards with the chosen format."""

    def __init__(self, parent=None, *, has_selection: bool = False, dark: bool = False):
        super().__init__(parent)
        self.setObjectName("dialog-export")
        self.setWindowTitle("Export Diagram")
        self.format = QComboBox(objectName="export-format")
        for ext, exporter in exporters(DIAGRAM).items():
            self.format.addItem(f"{exporter.label} ({ext})", ext)
        self.scope = QComboBox(objectName="export-scope")
        self.scope.addItem("Whole diagram", False)
        self.scope.addItem("Selection only", True)
        self.scope.setEnabled(has_selection)
        self.scale = QSpinBox(objectName="export-scale", minimum=1, maximum=4, suffix=" x")
        self.scale.setToolTip("PNG only: 2x and 4x for slides and high-DPI screens")
        self.margin = QDoubleSpinBox(objectName="export-margin", minimum=0, maximum=400,
                                     decimals=0, suffix=" px", value=24)
        self.theme = QComboBox(objectName="export-theme")
        self.theme.addItem("Light", False)
        self.theme.addItem("Dark", True)
        self.theme.setCurrentIndex(1 if dark else 0)
        self.transparent = QCheckBox("Transparent background", objectName="export-transparent")
        self.grid = QCheckBox("Draw the grid", objectName="export-grid")
        form = QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("Export", self.scope)
        form.addRow("Scale", self.scale)
        form.addRow("Margin", self.margin)
        form.addRow("Theme", self.theme)
        form.addRow("", self.transparent)
        form.addRow("", self.grid)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                   QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export…")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.format.currentIndexChanged.connect(self._format_changed)
        self._restore()
        self._format_changed()

    def _format_changed(self) -> None:
        self.scale.setEnabled(self.extension() == ".png")

    def extension(self) -> str:
        return self.format.currentData()

    def options(self, selection: list[str]) -> ExportOptions:
        return ExportOptions(scale=float(self.scale.value()) if self.extension() == ".png" else 1.0,
                             margin=self.margin.value(), transparent=self.transparent.isChecked(),
                             dark=bool(self.theme.currentData()), grid=self.grid.isChecked(),
                             node_ids=list(selection) if self.scope.currentData() else [])

    def _restore(self) -> None:
        s = QSettings()
        index = self.format.findData(s.value("export/format", ".png"))
        self.format.setCurrentIndex(max(index, 0))
        self.scale.setValue(int(s.value("export/scale", 2)))
        self.transparent.setChecked(s.value("export/transparent", False, type=bool))
        self.grid.setChecked(s.value("export/grid", False, type=bool))

    def remember(self) -> None:
        s = QSettings()
        s.setValue("export/format", self.extension())
        s.setValue("export/scale", self.scale.value())
        s.setValue("export/transparent", self.transparent.isChecked())
        s.setValue("export/grid", self.grid.isChecked())


def _suggested_path(window, extension: str) -> str:
    document = window.document
    folder = QSettings().value("export/folder", "") or (
        str(Path(document.path).parent) if document and document.path else str(Path.home()))
    stem = Path(document.path).name.removesuffix(".json").removesuffix(".outbound") \
        if document and document.path else "diagram"
    return str(Path(folder) / f"{stem}{extension}")


def export_diagram(window, path: str | None = None, dialog: ExportDialog | None = None) -> bool:
    """Ask for options and a file name, then export; ``path``/``dialog`` let tests skip the
    modal parts.  Errors are shown, never raised."""
    scene = window.scene
    selection = scene.selected_node_ids()
    if dialog is None:
        dialog = ExportDialog(window, has_selection=bool(selection), dark=scene.palette.dark)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
    extension = dialog.extension()
    if path is None:
        path, _ = QFileDialog.getSaveFileName(window, "Export Diagram",
                                              _suggested_path(window, extension),
                                              f"{EXPORTERS[extension].label} (*{extension})")
        if not path:
            return False
    if not path.lower().endswith(extension):
        path += extension
    dialog.remember()
    QSettings().setValue("export/folder", str(Path(path).parent))
    options = dialog.options(selection)
    options.title = window.document.scenario.name if window.document else ""
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        notes = export_scene(scene, path, options)
    except (OSError, ValueError) as exc:
        log.warning("export to %s failed: %s", path, exc)
        QMessageBox.warning(window, "Export Diagram", f"Could not export to {path}:\n{exc}")
        return False
    finally:
        QApplication.restoreOverrideCursor()
    window.show_status(f"Exported {Path(path).name}" + (f" ({notes[0]})" if notes else ""))
    return True


REPORT_FILTERS = {".html": "HTML report (*.html)", ".json": "JSON report (*.json)",
                  ".csv": "CSV time series (*.csv)"}


def export_report(window, path: str | None = None, rerun: bool = False) -> bool:
    """Write the report - HTML with the diagram, the JSON report of the contract, or the CSV
    time series, by file name - of the run watched in the editor as it stands (counters,
    series and events up to now, edits included); with ``rerun``, or when nothing has run,
    of the final diagram simulated from the start for its default duration."""
    from ..export.diagram import svg_document
    from ..export.reports import write_html
    from ..model.io import atomic_write_text
    from ..sim.report import dumps_report, series_csv, simulate

    document = window.document
    if document is None:
        return False
    if path is None:
        path, chosen = QFileDialog.getSaveFileName(
            window, "Export Simulation Report", _suggested_path(window, ".html"),
            ";;".join(REPORT_FILTERS.values()))
        if not path:
            return False
        if Path(path).suffix.lower() not in REPORT_FILTERS:
            path += next(ext for ext, f in REPORT_FILTERS.items() if f == chosen)
    suffix = Path(path).suffix.lower()
    if suffix not in REPORT_FILTERS:
        QMessageBox.warning(window, "Export Simulation Report",
                            f"The name must end in {', '.join(REPORT_FILTERS)}.")
        return False
    scenario = document.scenario.snapshot()
    source = Path(document.path).name if document.path else f"{scenario.name}.outbound.json"
    live = getattr(window, "live", None)
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        report = None if rerun or live is None else live.watched_report(source)
        if report is None:
            report = simulate(scenario, source=source)
        if suffix == ".json":
            atomic_write_text(path, dumps_report(report))
        elif suffix == ".csv":
            atomic_write_text(path, series_csv(report))
        else:
            diagram = svg_document(window.scene, ExportOptions(title=scenario.name))
            write_html(report, path, diagram)
    except Exception as exc:  # noqa: BLE001 - shown to the user, logged, editor keeps working
        log.exception("report export failed")
        QMessageBox.warning(window, "Export Simulation Report", f"Could not write {path}:\n{exc}")
        return False
    finally:
        QApplication.restoreOverrideCursor()
    what = (f"the run as watched, up to {report['duration_s']} s" if report.get("watched")
            else f"a run from the start, {report['duration_s']} s")
    window.show_status(f"Wrote the simulation report {Path(path).name} ({what})")
    return True


def install_export_actions(window) -> None:
    """Add the export actions to the window's File menu, before Quit."""
    diagram = QAction("&Export Diagram…", window, objectName="action-file-export")
    diagram.setShortcut(QKeySequence("Ctrl+E"))
    diagram.setStatusTip("Export the diagram as PNG, SVG or PDF")
    diagram.triggered.connect(lambda: export_diagram(window))
    report = QAction("Export Simulation &Report…", window, objectName="action-file-export-report")
    report.setShortcut(QKeySequence("Ctrl+Shift+E"))
    report.setStatusTip("Write the report of the run watched so far (HTML, JSON or CSV); with "
                        "nothing run yet, simulate the scenario from the start")
    report.triggered.connect(lambda: export_report(window))
    rerun = QAction("Export Re-run Report (from the Start)…", window,
                    objectName="action-file-export-report-rerun")
    rerun.setStatusTip("Simulate the diagram as it is now from 00:00 for its default duration "
                       "and write that report")
    rerun.triggered.connect(lambda: export_report(window, rerun=True))
    quit_action = window.action("action-file-quit")
    menu = window.menuBar().findChild(QMenu, "menu-file")
    for action in (diagram, report, rerun):
        window.addAction(action)
        window.actions_by_name[action.objectName()] = action
        if menu is not None:
            menu.insertAction(quit_action, action)
    from .code_export import install_code_export
    install_code_export(window)
    if menu is not None:
        menu.insertSeparator(quit_action)
