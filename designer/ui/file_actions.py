"""File actions of the main window: new, open (dialog, recent files, examples, dropped
files), save, save as, revert, crash recovery and the window title.

:class:`FileActions` is a mixin of :class:`~designer.ui.main_window.MainWindow`; swapping the
shown document is the window's own ``set_document``.  A broken file never replaces the open
document: it is reported and the current one stays.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMessageBox

from ..model import Scenario, ScenarioFormatError
from .canvas import KIND_MIME
from .text import menu_text
from .document import FILE_FILTER, Document, default_save_name, find_orphan_autosaves, \
    recover, save_confirming_read_only, with_suffix

APP_TITLE = "Outbound Designer"


def _example_title(path: Path) -> str:
    stem = path.name.removesuffix(".outbound.json").removesuffix(".json")
    return stem.replace("-", " ").replace("_", " ").capitalize()



class FileActions:
    """Documents and files for :class:`MainWindow` (a mixin: uses its settings, actions,
    status bar and ``set_document``)."""

    def _fill_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        files = self.settings.recent_files()
        for index, path in enumerate(files):
            action = QAction(f"&{index + 1} {menu_text(Path(path).name)}", menu)
            action.setObjectName(f"action-file-recent-{index + 1}")
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
            menu.addAction(action)
        if not files:
            empty = menu.addAction("(no recent files)")
            empty.setObjectName("action-file-recent-none")
            empty.setEnabled(False)
        menu.addSeparator()
        menu.addAction(self.action("action-file-clear-recent"))
        self.action("action-file-clear-recent").setEnabled(bool(files))

    def _fill_examples_menu(self) -> None:
        try:
            from ..resources import example_paths
            paths = example_paths()
        except FileNotFoundError:
            paths = []
        for path in paths:
            stem = path.name.removesuffix(".outbound.json")
            action = QAction(_example_title(path), self.examples_menu)
            action.setObjectName(f"action-example-{stem}")
            action.setStatusTip(f"Open a copy of the bundled example {path.name}")
            action.triggered.connect(lambda _=False, p=path: self.open_example(p))
            self.examples_menu.addAction(action)
            self.actions_by_name[action.objectName()] = action
        if not paths:
            empty = self.examples_menu.addAction("(no bundled examples)")
            empty.setObjectName("action-example-none")
            empty.setEnabled(False)

    def _index_changed(self, _index: int) -> None:
        if self.document is not None and self.sender() is self.document.undo_stack:
            self.update_title()

    def update_title(self) -> None:
        doc = self.document
        name = doc.display_name if doc.path is not None else f"{doc.scenario.name} (unsaved)"
        self.setWindowTitle(f"{name}[*] — {APP_TITLE}")
        self.setWindowModified(doc.modified)
        self.action("action-file-revert").setEnabled(doc.path is not None and doc.modified)

    def maybe_save(self) -> bool:
        """True when the current document may be dropped (saved, discarded or unmodified)."""
        if self.document is None or not self.document.modified:
            return True
        answer = QMessageBox.question(
            self, APP_TITLE,
            f"Save the changes to {self.document.display_name} before closing it?",
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)
        if answer == QMessageBox.Save:
            return self.save()
        return answer == QMessageBox.Discard

    def new_document(self) -> None:
        if self.maybe_save():
            self.set_document(Document(Scenario()))
            self.show_status("New scenario")

    def open_dialog(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "Open scenario",
                                                    self.settings.last_directory(), FILE_FILTER)
        if path:
            self.open_path(path)

    def _load(self, path: str | Path) -> Document | None:
        try:
            return Document.open(path)
        except ScenarioFormatError as exc:
            box_text = exc.summary()
            QMessageBox.warning(self, "Cannot open the scenario",
                                f"The scenario could not be opened:\n\n{box_text}")
            self.show_status(f"Cannot open {Path(path).name}: {exc.problems[0][1]}")
            return None

    def open_path(self, path: str | Path) -> bool:
        """Open a scenario file; a broken file leaves the current document untouched."""
        document = self._load(path)
        if document is None:
            if not Path(path).exists():  # a recent file that went away leaves the list
                self.settings.remove_recent_file(str(Path(path).resolve()))
            return False
        if not self.maybe_save():
            document.deleteLater()
            return False
        self.set_document(document)
        self.settings.add_recent_file(str(document.path))
        self.settings.set_last_directory(str(document.path.parent))
        self.show_status(f"Opened {document.path}{self.laid_out_note()}")
        return True

    def open_example(self, path: Path) -> bool:
        """Open a bundled example as an untitled copy (Save asks where to put it)."""
        document = self._load(path)
        if document is None:
            return False
        if not self.maybe_save():
            document.deleteLater()
            return False
        document.path = None
        self.set_document(document)
        self.show_status(f"Example {path.name} opened as a new scenario{self.laid_out_note()}")
        return True

    def laid_out_note(self) -> str:
        """What the status bar adds when the file had nodes without a position."""
        n = len(getattr(self, "laid_out", ()))
        if not n:
            return ""
        return (f"; {n} node{'s' * (n != 1)} had no position and {'were' if n != 1 else 'was'} "
                f"laid out (save to keep the positions)")

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self) -> bool:
        start = default_save_name(self.document)
        if self.document.path is None and self.settings.last_directory():
            start = str(Path(self.settings.last_directory()) / start)
        path, _filter = QFileDialog.getSaveFileName(self, "Save scenario as", start, FILE_FILTER)
        if not path:
            return False
        return self._save_to(with_suffix(path))

    def _save_to(self, path) -> bool:
        try:
            saved = save_confirming_read_only(self, self.document, path)
            if saved is None:
                return False
        except OSError as exc:
            QMessageBox.critical(self, "Cannot save",
                                 f"The scenario could not be saved to {path}:\n{exc}")
            return False
        self.autosaver.remove()
        self.settings.add_recent_file(str(saved))
        self.settings.set_last_directory(str(saved.parent))
        self.show_status(f"Saved {saved}")
        return True

    def revert(self) -> None:
        doc = self.document
        if doc.path is None:
            return
        if doc.modified and QMessageBox.question(
                self, APP_TITLE, f"Drop the unsaved changes and reload {doc.display_name}?",
                QMessageBox.Yes | QMessageBox.Cancel, QMessageBox.Cancel) != QMessageBox.Yes:
            return
        document = self._load(doc.path)
        if document is not None:
            self.set_document(document)
            self.show_status(f"Reverted to {document.path}")

    def clear_recent(self) -> None:
        self.settings.clear_recent_files()
        self._fill_recent_menu()

    def offer_recovery(self) -> bool:
        """Offer the autosaves left by crashed sessions; True when one was recovered."""
        for entry in find_orphan_autosaves():
            answer = QMessageBox.question(
                self, "Recover unsaved work",
                f"Outbound Designer did not close normally. Unsaved work was found:\n\n"
                f"{entry.describe()}\n\nRecover it?",
                QMessageBox.Yes | QMessageBox.Discard | QMessageBox.Ignore, QMessageBox.Yes)
            if answer == QMessageBox.Yes:
                try:
                    document = recover(entry)
                except ScenarioFormatError as exc:
                    QMessageBox.warning(self, "Cannot recover", exc.summary())
                    entry.discard()
                    continue
                self.set_document(document)
                self.show_status("Recovered unsaved work: save it to keep it")
                return True
            if answer == QMessageBox.Discard:
                entry.discard()
        return False

    def start(self, path: str | None = None) -> None:
        """What ``run_editor`` does once the window is up: recover, else open FILE or the demo."""
        if self.offer_recovery():
            return
        if path:
            self.open_path(path)
            return
        try:
            from ..resources import demo_path
            demo = demo_path()
        except FileNotFoundError:
            return
        if demo.is_file():
            self.open_example(demo)

    def dragEnterEvent(self, event) -> None:
        if self._dropped_file(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        path = self._dropped_file(event.mimeData())
        if path:
            event.acceptProposedAction()
            self.open_path(path)

    @staticmethod
    def _dropped_file(mime: QMimeData) -> str | None:
        if mime.hasFormat(KIND_MIME) or not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile() and url.toLocalFile().lower().endswith(".json"):
                return url.toLocalFile()
        return None
