"""Light and dark themes: one Fusion palette each, and "system" following QStyleHints.

The canvas gets the same choice through ``DiagramScene.set_theme(dark)``; this module only
decides which one applies and paints the widgets.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("system", "light", "dark")
THEME_LABELS = {"system": "Follow the system", "light": "Light", "dark": "Dark"}


def system_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def resolve(theme: str) -> bool:
    """True when ``theme`` ("system", "light" or "dark") means dark right now."""
    if theme == "dark":
        return True
    if theme == "light":
        return False
    return system_prefers_dark()


def _palette(dark: bool) -> QPalette:
    p = QPalette()
    if dark:
        window, base, alt, text = "#2b2d31", "#1e1f22", "#26282b", "#e3e5e8"
        button, highlight, disabled, link = "#35373b", "#3d7bd9", "#7c7f85", "#6ea8ff"
        tip_base, tip_text, mid = "#3a3c40", "#f0f0f0", "#45474c"
    else:
        window, base, alt, text = "#f3f3f3", "#ffffff", "#f6f7f9", "#1f2328"
        button, highlight, disabled, link = "#f7f7f7", "#2f6fd1", "#9aa0a6", "#1a5fb4"
        tip_base, tip_text, mid = "#ffffe1", "#1f2328", "#c9cbcf"
    roles = {
        QPalette.Window: window, QPalette.WindowText: text, QPalette.Base: base,
        QPalette.AlternateBase: alt, QPalette.Text: text, QPalette.Button: button,
        QPalette.ButtonText: text, QPalette.Highlight: highlight,
        QPalette.HighlightedText: "#ffffff", QPalette.ToolTipBase: tip_base,
        QPalette.ToolTipText: tip_text, QPalette.Link: link, QPalette.Mid: mid,
        QPalette.PlaceholderText: disabled, QPalette.BrightText: "#ff5555",
    }
    for role, colour in roles.items():
        p.setColor(role, QColor(colour))
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        p.setColor(QPalette.Disabled, role, QColor(disabled))
    return p


def apply(app: QApplication, dark: bool) -> None:
    """Paint the application's widgets in the light or dark palette (Fusion style, so the
    palette is honoured the same way on every platform)."""
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    app.setPalette(_palette(dark))
