"""Names are plain text: a node called ``<img src=x>`` or ``R&D`` shows as written.

Qt guesses whether a label's or a tooltip's text is rich text (``Qt::mightBeRichText``), and
a menu entry's ``&`` marks a shortcut letter; user-given names must never be interpreted.
"""
from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel


def plain_label(text: str = "", parent=None) -> QLabel:
    """A QLabel that shows its text as written, whatever it looks like."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    return label


def plain_tooltip(text: str) -> str:
    """Tooltip text that Qt shows as written (line breaks kept)."""
    if not text:
        return ""
    return "<p style='white-space:pre-wrap'>" + html.escape(text) + "</p>"


def menu_text(text: str) -> str:
    """A name in a menu entry (``&`` would mark the next letter as the shortcut)."""
    return text.replace("&", "&&")
