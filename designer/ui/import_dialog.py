"""File ▸ Import…: the user's deployment (ARM templates, resolved resources, Terraform JSON,
a live subscription) as a new untitled document, laid out, with the import's notes in
Findings (they are the scenario's recorded findings, see docs/import.md).

The import itself is ``designer.importers`` (Qt-free). This module asks for the sources, for
the parameters a template declares without a default (with their descriptions), runs a live
subscription's import on a worker thread behind a progress dialog, and opens the result.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, QSettings, QThread, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QApplication, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox,
                               QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QListWidget, QMenu, QMessageBox, QProgressDialog, QPushButton,
                               QVBoxLayout, QWidget)

from ..importers import FORMATS, ImportFailure, import_sources, read_source, template_parameters
from ..importers.arm import parameter_values_from_file, read_json
from .document import Document

log = logging.getLogger(__name__)

SOURCE_FILTER = ("Deployment JSON (*.json);;ARM templates (*.json);;"
                 "Terraform plan or state JSON (*.json);;Terraform configuration (*.tf);;"
                 "All files (*)")
FORMAT_LABELS = {"": "Detect", "arm": "ARM template", "resources": "Azure resources",
                 "terraform": "Terraform plan or state (JSON)",
                 "hcl": "Terraform configuration (.tf)", "azure": "Live subscription"}
#: a "parameters" file with one of these endings holds Terraform variable values
TFVARS = (".tfvars", ".tfvars.json")


# ================================================================================ dialogs

class ImportDialog(QDialog):
    """The sources, their format, an optional parameters file and an optional load."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dialog-import")
        self.setWindowTitle("Import Deployment")
        self.sources = QListWidget(objectName="import-sources")
        self.sources.setToolTip("Several sources merge into one scenario (a template plus a "
                                "second template for the VNet)")
        add = QPushButton("Add Files…", objectName="import-add-files")
        add.clicked.connect(self.add_files)
        remove = QPushButton("Remove", objectName="import-remove")
        remove.clicked.connect(lambda: [self.sources.takeItem(self.sources.row(i))
                                        for i in self.sources.selectedItems()])
        self.subscription = QLineEdit(objectName="import-subscription")
        self.subscription.setPlaceholderText("azure:SUBSCRIPTION/RESOURCE_GROUP")
        self.subscription.setToolTip("A live resource group, read with your az login session "
                                     "(needs pip install \"outbound-designer[azure]\")")
        self.format = QComboBox(objectName="import-format")
        for key, label in FORMAT_LABELS.items():
            if key in ("",) + FORMATS:
                self.format.addItem(label, key)
        self.parameters_file = QLineEdit(objectName="import-parameters-file")
        self.parameters_file.setPlaceholderText("optional: azuredeploy.parameters.json or "
                                                "terraform.tfvars")
        browse = QPushButton("…", objectName="import-browse-parameters")
        browse.clicked.connect(self.browse_parameters)
        self.load = QDoubleSpinBox(objectName="import-load", minimum=0, maximum=100000,
                                   decimals=1, suffix=" flows/s")
        self.load.setSpecialValueText("no traffic")
        self.load.setToolTip("Add a traffic generator of this many new flows per second per "
                             "VM, for each backend pool and for the VMs in no pool")
        buttons_row = QHBoxLayout()
        buttons_row.addWidget(add)
        buttons_row.addWidget(remove)
        buttons_row.addStretch(1)
        params_row = QHBoxLayout()
        params_row.addWidget(self.parameters_file, 1)
        params_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Subscription", self.subscription)
        form.addRow("Format", self.format)
        form.addRow("Parameters", params_row)
        form.addRow("Load", self.load)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                   QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("ARM templates (Bicep: <code>az bicep build</code> first), "
                                "Azure resource JSON, <code>terraform show -json</code> "
                                "output or Terraform configuration (.tf):"))
        layout.addWidget(self.sources, 1)
        layout.addLayout(buttons_row)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(560, 420)

    def add_files(self) -> None:
        folder = QSettings().value("import/folder", "") or str(Path.home())
        paths, _ = QFileDialog.getOpenFileNames(self, "Import sources", folder, SOURCE_FILTER)
        for path in paths:
            self.sources.addItem(path)
        if paths:
            QSettings().setValue("import/folder", str(Path(paths[0]).parent))

    def browse_parameters(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "ARM parameters", "", SOURCE_FILTER)
        if path:
            self.parameters_file.setText(path)

    def chosen_sources(self) -> list[str]:
        out = [self.sources.item(i).text() for i in range(self.sources.count())]
        if self.subscription.text().strip():
            spec = self.subscription.text().strip()
            out.append(spec if spec.lower().startswith("azure:") else f"azure:{spec}")
        return out

    def chosen_format(self) -> str | None:
        return self.format.currentData() or None

    def parameter_files(self) -> list[str]:
        text = self.parameters_file.text().strip()
        return [text] if text else []

    def rate(self) -> float | None:
        return self.load.value() or None


class ParametersDialog(QDialog):
    """Values for the template parameters that have no default, with their descriptions."""

    def __init__(self, wanted: list[tuple[str, Any]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dialog-import-parameters")
        self.setWindowTitle("Template Parameters")
        self.edits: dict[str, QLineEdit] = {}
        form = QFormLayout()
        for source, parameter in wanted:
            edit = QLineEdit(objectName=f"import-parameter-{parameter.name}")
            edit.setPlaceholderText(parameter.type)
            if parameter.allowed:
                edit.setToolTip("one of: " + ", ".join(map(str, parameter.allowed)))
            label = QLabel(f"<b>{parameter.name}</b>" + (
                f"<br><small>{parameter.description}</small>" if parameter.description else "")
                + f"<br><small>({source})</small>")
            label.setTextFormat(Qt.TextFormat.RichText)
            form.addRow(label, edit)
            self.edits[parameter.name] = edit
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                   QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("These template parameters have no default value. A text left "
                                "empty is imported without one where the network\ndoes not "
                                "need it (an admin user name, a DNS label):"))
        layout.addLayout(form)
        layout.addWidget(buttons)

    def values(self) -> dict[str, str]:
        """The values typed; a field left empty is not given (a string parameter then
        imports without a value where the network does not need it, as on the command
        line; any other is refused with its name)."""
        return {name: edit.text() for name, edit in self.edits.items() if edit.text().strip()}


def parameters_without_value(sources: list[str], fmt: str | None,
                             parameter_files: list[str]) -> list[tuple[str, Any]]:
    """(template file name, parameter) for each parameter without a default that the
    parameters files do not give (secure ones are never asked: they never matter here)."""
    given: set[str] = set()
    for path in parameter_files:
        doc = read_json(Path(path).read_text(encoding="utf-8-sig"), Path(path).name)
        given |= {k.lower() for k in parameter_values_from_file(doc, Path(path).name)}
    out = []
    for source in sources:
        kind, doc = read_source(source, fmt)
        if kind != "arm":
            continue
        for parameter in template_parameters(doc):
            if parameter.required and parameter.name.lower() not in given:
                out.append((Path(source).name, parameter))
    return out


# ================================================================================ running

class _ImportWorker(QObject):
    """Runs one import on a worker thread (a live subscription waits on the network)."""

    progress = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, kwargs: dict):
        super().__init__()
        self.kwargs = kwargs
        self.cancelled = False

    def run(self) -> None:
        def progress(step: int, total: int, what: str) -> None:
            if self.cancelled:
                raise ImportFailure("the import was cancelled")
            self.progress.emit(step, total, what)
        try:
            result = import_sources(progress=progress, **self.kwargs)
        except ImportFailure as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - shown to the user, logged
            log.exception("import failed")
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.finished.emit(result)


class _Receiver(QObject):
    """Lives on the GUI thread, so the worker's signals reach it queued."""

    def __init__(self, dialog: QProgressDialog, loop: QEventLoop):
        super().__init__()
        self.dialog, self.loop = dialog, loop
        self.outcome: dict[str, Any] = {}

    @Slot(int, int, str)
    def step(self, done: int, total: int, what: str) -> None:
        self.dialog.setMaximum(total)
        self.dialog.setValue(done)
        self.dialog.setLabelText(f"Reading the subscription: {what}")

    @Slot(object)
    def finished(self, result) -> None:
        self.outcome["result"] = result
        self.loop.quit()

    @Slot(str)
    def failed(self, message: str) -> None:
        self.outcome["error"] = message
        self.loop.quit()


def run_in_thread(window, kwargs: dict) -> tuple | None:
    """The import on a worker thread with a progress dialog; the GUI stays live. Returns
    (scenario, summary), or None when it failed (shown) or was cancelled."""
    dialog = QProgressDialog("Reading the subscription…", "Cancel", 0, 0, window)
    dialog.setObjectName("dialog-import-progress")
    dialog.setWindowTitle("Import")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(0)
    dialog.setAutoClose(False)
    loop = QEventLoop()
    receiver = _Receiver(dialog, loop)
    thread = QThread(window)
    worker = _ImportWorker(kwargs)
    worker.moveToThread(thread)
    worker.progress.connect(receiver.step)
    worker.finished.connect(receiver.finished)
    worker.failed.connect(receiver.failed)
    dialog.canceled.connect(lambda: setattr(worker, "cancelled", True))
    thread.started.connect(worker.run)
    thread.start()
    dialog.show()
    loop.exec()  # the worker's signals arrive only here, queued: none can be missed
    dialog.hide()
    thread.quit()
    thread.wait(30_000)
    worker.deleteLater()
    dialog.deleteLater()
    outcome = receiver.outcome
    if "error" in outcome:
        if not worker.cancelled:
            QMessageBox.warning(window, "Import", f"The import failed:\n\n{outcome['error']}")
        return None
    return outcome.get("result")


def open_imported(window, scenario, summary) -> bool:
    """The imported scenario as a new untitled (modified) document, laid out, its notes in
    Findings. The open document is kept if the user cancels saving it."""
    if not window.maybe_save():
        return False
    document = Document(scenario)      # laid out by the import (designer.model.layout)
    window.set_document(document)
    document.mark_modified()
    window.dock_findings.show()
    window.dock_findings.raise_()
    window.show_status(summary.headline()[:1].upper() + summary.headline()[1:])
    return True


def import_into(window, sources: list[str], *, fmt: str | None = None,
                parameters: dict[str, str] | None = None,
                parameter_files: list[str] | None = None, load: float | None = None,
                azure_reader=None, ask_parameters: bool = True) -> bool:
    """Import ``sources`` and open the result; errors are shown, never raised. Asks for the
    template parameters without a value unless ``ask_parameters`` is False (tests)."""
    # .tfvars files are Terraform variable values, for the configurations among the sources
    variable_files = [f for f in parameter_files or [] if f.lower().endswith(TFVARS)]
    parameter_files = [f for f in parameter_files or [] if f not in variable_files]
    parameters = dict(parameters or {})
    try:
        missing = [(s, p) for s, p in parameters_without_value(sources, fmt, parameter_files)
                   if p.name not in parameters]
    except (ImportFailure, OSError) as exc:
        QMessageBox.warning(window, "Import", f"The import failed:\n\n{exc}")
        return False
    if missing and ask_parameters:
        dialog = ParametersDialog(missing, window)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        parameters.update({k: v for k, v in dialog.values().items() if v != ""})
    kwargs = dict(sources=sources, fmt=fmt, parameters=parameters,
                  parameter_files=parameter_files, load=load, azure_reader=azure_reader,
                  variable_files=variable_files)
    if any(s.lower().startswith("azure:") for s in sources) or fmt == "azure":
        result = run_in_thread(window, kwargs)
    else:
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            result = import_sources(**kwargs)
        except ImportFailure as exc:
            result = None
            QApplication.restoreOverrideCursor()
            QMessageBox.warning(window, "Import", f"The import failed:\n\n{exc}")
        else:
            QApplication.restoreOverrideCursor()
    if result is None:
        return False
    return open_imported(window, *result)


def import_dialog(window) -> bool:
    dialog = ImportDialog(window)
    if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.chosen_sources():
        return False
    return import_into(window, dialog.chosen_sources(), fmt=dialog.chosen_format(),
                       parameter_files=dialog.parameter_files(), load=dialog.rate())


def install_import(window) -> QAction:
    """File ▸ Import… (after the Examples menu)."""
    action = QAction("&Import…", window, objectName="action-file-import")
    action.setShortcut(QKeySequence("Ctrl+I"))
    action.setStatusTip("Import an ARM template, Azure resources, a Terraform plan or state, "
                        "or a live resource group")
    action.triggered.connect(lambda: import_dialog(window))
    window.addAction(action)
    window.actions_by_name[action.objectName()] = action
    menu = window.menuBar().findChild(QMenu, "menu-file")
    if menu is not None:
        menu.insertAction(window.action("action-file-save"), action)
        menu.insertSeparator(window.action("action-file-save"))
    return action
