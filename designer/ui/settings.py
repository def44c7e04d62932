"""Persistent preferences in QSettings: window geometry and dock state, recent files, grid,
snap and theme.  Tests run with ``QStandardPaths.setTestModeEnabled(True)``, which moves the
settings file into a throw-away test location."""
from __future__ import annotations

import os

from PySide6.QtCore import QByteArray, QSettings

from .theme import THEMES

MAX_RECENT = 10


def _bool(value, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


class Settings:
    """Typed access to the application's QSettings (organisation and application names are
    set on the QApplication by ``designer.ui.app.configure_application``)."""

    def __init__(self, qsettings: QSettings | None = None):
        self.q = qsettings if qsettings is not None else QSettings()

    # ------------------------------------------------------------------ window
    def geometry(self) -> QByteArray | None:
        value = self.q.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def state(self) -> QByteArray | None:
        value = self.q.value("window/state")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self.q.setValue("window/geometry", geometry)
        self.q.setValue("window/state", state)

    # ------------------------------------------------------------------ recent files
    def recent_files(self) -> list[str]:
        value = self.q.value("files/recent", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or []) if v][:MAX_RECENT]

    def add_recent_file(self, path: str) -> list[str]:
        path = os.path.abspath(path)
        files = [path] + [p for p in self.recent_files() if p != path]
        self.q.setValue("files/recent", files[:MAX_RECENT])
        return files[:MAX_RECENT]

    def remove_recent_file(self, path: str) -> list[str]:
        files = [p for p in self.recent_files() if p != path]
        self.q.setValue("files/recent", files)
        return files

    def clear_recent_files(self) -> None:
        self.q.setValue("files/recent", [])

    def last_directory(self) -> str:
        return str(self.q.value("files/last_directory", "") or "")

    def set_last_directory(self, path: str) -> None:
        self.q.setValue("files/last_directory", path)

    # ------------------------------------------------------------------ canvas and look
    def grid_visible(self) -> bool:
        return _bool(self.q.value("canvas/grid"), True)

    def set_grid_visible(self, on: bool) -> None:
        self.q.setValue("canvas/grid", bool(on))

    def snap_to_grid(self) -> bool:
        return _bool(self.q.value("canvas/snap"), True)

    def set_snap_to_grid(self, on: bool) -> None:
        self.q.setValue("canvas/snap", bool(on))

    def theme(self) -> str:
        value = str(self.q.value("look/theme", "system") or "system")
        return value if value in THEMES else "system"

    def set_theme(self, theme: str) -> None:
        if theme not in THEMES:
            raise ValueError(f"unknown theme {theme!r} (expected one of {', '.join(THEMES)})")
        self.q.setValue("look/theme", theme)

    def sync(self) -> None:
        self.q.sync()
