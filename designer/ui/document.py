"""The open document (a scenario, its file and its undo stack), file operations and autosave.

"Modified" is ``not undo_stack.isClean()``.  Saving is atomic (``save_scenario`` writes a
temporary file and renames it over the target).  A periodic autosave writes the scenario into
``AppLocalDataLocation/autosave`` while the document is modified; the file is removed on a
clean save and on close, so any autosave found at start-up belongs to a session that crashed
and is offered for recovery.
"""
from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal
from PySide6.QtGui import QUndoStack

from ..model import Scenario, dumps, load_scenario, save_scenario
from ..model.io import ReadOnlyTargetError, atomic_write_text

SUFFIX = ".outbound.json"
FILE_FILTER = "Outbound Designer scenarios (*.outbound.json);;JSON files (*.json);;All files (*)"
AUTOSAVE_INTERVAL_MS = 60_000


class Document(QObject):
    """A scenario with its file path (None until saved) and its own undo stack."""

    #: the path or the modified state changed (the window updates its title)
    changed = Signal()

    def __init__(self, scenario: Scenario | None = None, path: str | os.PathLike | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.scenario = scenario if scenario is not None else Scenario()
        self.path: Path | None = Path(os.path.abspath(path)) if path else None
        #: the file this document was recovered for (a recovered autosave is modified)
        self.recovered = False
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._clean_changed)

    def _clean_changed(self, _clean: bool) -> None:
        self.changed.emit()

    @classmethod
    def open(cls, path: str | os.PathLike, parent: QObject | None = None) -> "Document":
        """Load ``path``; raises ScenarioFormatError (with JSON paths) on a broken file."""
        return cls(load_scenario(path), path, parent)

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def display_name(self) -> str:
        if self.path is not None:
            return self.path.name
        return "Untitled"

    def save(self, path: str | os.PathLike | None = None, *,
             replace_read_only: bool = False) -> Path:
        """Write the scenario atomically to ``path`` (default: its own path) and mark clean.
        A symlink is followed (as ``save_scenario`` does: the document keeps the path the
        user chose); a read-only file raises ``ReadOnlyTargetError`` unless
        ``replace_read_only``."""
        target = Path(os.path.abspath(path)) if path else self.path
        if target is None:
            raise ValueError("this document has no file yet: give a path")
        save_scenario(self.scenario, target, replace_read_only=replace_read_only)
        self.path = target
        self.recovered = False
        self.undo_stack.setClean()
        self.changed.emit()
        return target

    def mark_modified(self) -> None:
        """Leave the clean state without an undo entry (a recovered autosave is unsaved)."""
        self.undo_stack.resetClean()
        self.changed.emit()


def save_confirming_read_only(parent, document: Document, path) -> Path | None:
    """``document.save(path)``, asking first when the file is read-only (as editors do);
    None when the user says no.  Other errors are raised (``OSError`` naming the file)."""
    from PySide6.QtWidgets import QMessageBox
    try:
        return document.save(path)
    except ReadOnlyTargetError:
        answer = QMessageBox.question(
            parent, "Save over a read-only file?",
            f"{path} is read-only.\n\nReplace it anyway? (It stays read-only.)",
            QMessageBox.Yes | QMessageBox.Cancel, QMessageBox.Cancel)
        if answer != QMessageBox.Yes:
            return None
        return document.save(path, replace_read_only=True)


def default_save_name(document: Document) -> str:
    """A file name for Save As: the current file, else the scenario's name + .outbound.json."""
    if document.path is not None:
        return str(document.path)
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in document.scenario.name.strip())
    return (stem.strip("-") or "untitled") + SUFFIX


def with_suffix(path: str) -> str:
    """Save As without an extension gets ``.outbound.json``; an explicit .json is kept."""
    return path if path.lower().endswith(".json") else path + SUFFIX


# ================================================================================ autosave

def autosave_dir() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.AppLocalDataLocation)
    return Path(base) / "autosave"


@dataclass(frozen=True)
class AutosaveEntry:
    """An autosave left behind by another (crashed) session."""
    scenario_file: Path
    meta_file: Path
    original: str | None
    saved_at: float
    name: str

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved_at))
        return f"{self.original or self.name} (autosaved {when})"

    def discard(self) -> None:
        for f in (self.scenario_file, self.meta_file):
            try:
                f.unlink()
            except FileNotFoundError:
                pass


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def find_orphan_autosaves(directory: Path | None = None) -> list[AutosaveEntry]:
    """Autosaves whose session is gone (its process no longer runs), newest first."""
    directory = directory or autosave_dir()
    if not directory.is_dir():
        return []
    out = []
    for meta_file in directory.glob("*.meta.json"):
        scenario_file = meta_file.with_name(meta_file.name.replace(".meta.json", SUFFIX))
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
            pid = int(meta.get("pid", -1))
        except (OSError, ValueError, AttributeError):
            continue
        if not scenario_file.is_file() or _pid_alive(pid):
            continue
        out.append(AutosaveEntry(scenario_file, meta_file, meta.get("original"),
                                 float(meta.get("saved_at", 0.0)), str(meta.get("name", ""))))
    return sorted(out, key=lambda e: -e.saved_at)


def recover(entry: AutosaveEntry, parent: QObject | None = None) -> Document:
    """A modified document holding the autosaved scenario, saving to its original file."""
    scenario = load_scenario(entry.scenario_file)
    document = Document(scenario, entry.original, parent)
    document.recovered = True
    document.mark_modified()
    entry.discard()
    return document


class Autosaver(QObject):
    """Writes the current document to the autosave folder every ``interval_ms`` while it is
    modified and differs from the last autosave; removes it when the document is clean.
    ``stop()`` before the window goes away.  (It polls instead of listening to the undo
    stack, so no signal of a dying stack can reach it.)"""

    saved = Signal(str)

    def __init__(self, interval_ms: int = AUTOSAVE_INTERVAL_MS, parent: QObject | None = None,
                 directory: Path | None = None):
        super().__init__(parent)
        self.directory = directory
        self.session = uuid.uuid4().hex[:12]
        self.document: Document | None = None
        self._last_text: str | None = None
        self.timer = QTimer(self)
        self.timer.setObjectName("autosave-timer")
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.autosave_now)

    @property
    def scenario_file(self) -> Path:
        return (self.directory or autosave_dir()) / f"session-{self.session}{SUFFIX}"

    @property
    def meta_file(self) -> Path:
        return (self.directory or autosave_dir()) / f"session-{self.session}.meta.json"

    def set_document(self, document: Document) -> None:
        self.remove()
        self.document = document
        if not self.timer.isActive():
            self.timer.start()

    def autosave_now(self) -> bool:
        """Write the autosave if the document is modified and changed since the last one;
        remove it if the document is clean.  True when a file was written."""
        document = self.document
        if document is None:
            return False
        if not document.modified:
            self.remove()
            return False
        text = dumps(document.scenario)
        if text == self._last_text and self.scenario_file.is_file():
            return False
        target = self.scenario_file
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(target, text)
        meta = {"pid": os.getpid(), "saved_at": time.time(), "name": document.scenario.name,
                "original": str(document.path) if document.path else None}
        atomic_write_text(self.meta_file, json.dumps(meta, indent=2))
        self._last_text = text
        self.saved.emit(str(target))
        return True

    def remove(self) -> None:
        """Delete this session's autosave (after a clean save, a new document, a close)."""
        self._last_text = None
        for f in (self.scenario_file, self.meta_file):
            try:
                f.unlink()
            except FileNotFoundError:
                pass

    def stop(self) -> None:
        """Stop the timer and remove this session's autosave (a clean close)."""
        self.timer.stop()
        self.remove()
        self.document = None
