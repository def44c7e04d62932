"""Time controls: the speed box, the simulated clock, and the on-canvas control bar used in
Presentation mode (play / pause, step, reset, speed and clock over the diagram).

Play and Pause are checkable actions whose check mark is the run's state (Play checked while
running, Pause while paused), so the buttons show it: the active one filled in blue, disabled
ones greyed, the others plain."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from .runner import SPEEDS, speed_label


class SpeedBox(QComboBox):
    speedChosen = Signal(object)   # float | None

    def __init__(self, parent: QWidget | None = None, name: str = "sim-speed"):
        super().__init__(parent)
        self.setObjectName(name)
        self.setToolTip("Simulation speed: simulated seconds per wall second")
        for speed in SPEEDS:
            self.addItem(speed_label(speed) if speed is not None else "As fast as possible",
                         speed)
        self.setCurrentIndex(SPEEDS.index(1.0))
        self.currentIndexChanged.connect(lambda i: self.speedChosen.emit(self.itemData(i)))

    def speed(self) -> float | None:
        return self.currentData()

    def set_speed(self, speed: float | None) -> None:
        i = self.findData(speed)
        if i >= 0 and i != self.currentIndex():
            self.blockSignals(True)
            self.setCurrentIndex(i)
            self.blockSignals(False)


class ClockLabel(QLabel):
    def __init__(self, parent: QWidget | None = None, name: str = "sim-clock"):
        super().__init__("00:00", parent)
        self.setObjectName(name)
        self.setToolTip("Simulated time (mm:ss)")
        font = QFont(self.font())
        font.setFamilies(["DejaVu Sans Mono", "Consolas", "monospace"])
        font.setBold(True)
        self.setFont(font)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("00:00:00") + 8)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)


CONTROLS_STYLE = """
#presentation-controls { background: rgba(255,255,255,230); border: 1px solid #c5ccd6;
  border-radius: 10px; }
#presentation-controls QLabel { color: #1f2328; }
#presentation-controls QToolButton { color: #1f2328; padding: 4px 10px; border-radius: 6px;
  border: 1px solid transparent; }
#presentation-controls QToolButton:hover { border: 1px solid #8a96a3; }
#presentation-controls QToolButton:disabled { color: #a3acb7; }
#presentation-controls QToolButton:checked { background: #0a6cd6; color: #ffffff;
  border: 1px solid #0a6cd6; }
#presentation-controls QToolButton:checked:disabled { background: #0a6cd6; color: #ffffff; }
"""


class CanvasControls(QFrame):
    """Presentation mode's control bar, floating at the bottom of the canvas."""

    def __init__(self, parent: QWidget, actions: list, scale: float = 1.6):
        super().__init__(parent)
        self.setObjectName("presentation-controls")
        self.setStyleSheet(CONTROLS_STYLE)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * scale)
        self.buttons = []
        for action in actions:
            button = QToolButton()
            button.setDefaultAction(action)
            button.setObjectName(f"presentation-{action.objectName().removeprefix('action-')}")
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setFont(font)
            button.setAutoRaise(True)
            layout.addWidget(button)
            self.buttons.append(button)
        self.speed = SpeedBox(name="presentation-speed")
        self.speed.setFont(font)
        self.clock = ClockLabel(name="presentation-clock")
        big = QFont(self.clock.font())
        big.setPointSizeF(big.pointSizeF() * scale * 1.3)
        self.clock.setFont(big)
        self.clock.setMinimumWidth(self.clock.fontMetrics().horizontalAdvance("00:00:00") + 12)
        layout.addWidget(self.speed)
        layout.addWidget(self.clock)
        self.hide()

    def set_compact(self, compact: bool) -> None:
        """Compact: every button but Play and Pause shows its icon only (narrow screens)."""
        for button in self.buttons:
            name = button.objectName()
            keep_text = name.endswith("-play") or name.endswith("-pause")
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly
                                      if compact and not keep_text else
                                      Qt.ToolButtonStyle.ToolButtonTextBesideIcon)

    def place(self) -> None:
        parent = self.parentWidget()
        room = parent.width() - 32
        self.set_compact(False)
        self.adjustSize()
        if self.width() > room:
            self.set_compact(True)
            self.adjustSize()
        if self.width() > room:
            self.resize(max(room, 100), self.height())
        self.move((parent.width() - self.width()) // 2, parent.height() - self.height() - 24)
