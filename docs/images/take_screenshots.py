"""Take the README's two screenshots again: ``python docs/images/take_screenshots.py``.

- ``live-demo-window.png``: the editor at 1600x1000 running the demo at 30x, web-1 selected,
  grabbed once web-1 has been failing for about 30 simulated seconds;
- ``live-demo-strip.png``: the canvas at three moments of the same run (filling, exhausted,
  and after a NAT gateway is added to the web subnet at 150 s, as a user would: one undo step).

Runs offscreen (no display needed), with Qt's test settings (no autosave to recover, no
recent files), on the bundled demo.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QRectF, QStandardPaths, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QColor, QFont, QImage, QPainter  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

HERE = Path(__file__).resolve().parent
SPEED = 30.0
WINDOW_AT_S = 135.0
NAT_AT_S = 150.0
MOMENTS = [(95.0, "Filling: web-1 opens a new connection per request (gauge amber)"),
           (140.0, "Exhausted: new flows fail at the frontend (red); the banner names the fixes"),
           (280.0, "NAT gateway added while running: flows leave through it, failures stop")]
STRIP_WIDTH = 1900


def main() -> None:
    app = QApplication(sys.argv[:1])
    QStandardPaths.setTestModeEnabled(True)
    from designer.model import Link, make_component
    from designer.resources import demo_path
    from designer.ui.app import configure_application
    from designer.ui.commands import AddNodesCommand
    from designer.ui.main_window import MainWindow
    configure_application(app)
    window = MainWindow()
    window.resize(1600, 1000)
    window.start(str(demo_path()))
    window.show()
    shots: list[tuple[float, str, QImage]] = []
    done = {"window": False, "nat": False}

    def start() -> None:
        web_1 = next(item for item in window.scene.items()
                     if getattr(item, "node_id", None) == "web-1")
        window.scene.clearSelection()
        web_1.setSelected(True)
        window.live.set_speed(SPEED)
        window.live.play()

    def add_nat_gateway() -> None:
        document = window.document
        nat = make_component("nat_gateway", "nat-web", name="nat-web", position=(1020.0, 330.0))
        ip = make_component("public_ip", "nat-web-ip", sku="standard", address="20.10.0.2",
                            position=(1180.0, 330.0))
        document.undo_stack.push(AddNodesCommand(
            document.scenario, [nat, ip],
            [Link("nat-web", "web", "nat"), Link("nat-web", "nat-web-ip", "nat")],
            "Add NAT gateway"))

    def tick() -> None:
        frame = window.live.frame
        if frame is None:
            return
        if not done["window"] and frame.t >= WINDOW_AT_S:
            window.grab().save(str(HERE / "live-demo-window.png"))
            done["window"] = True
        if not done["nat"] and frame.t >= NAT_AT_S:
            add_nat_gateway()
            done["nat"] = True
        if len(shots) < len(MOMENTS) and frame.t >= MOMENTS[len(shots)][0]:
            shots.append((frame.t, MOMENTS[len(shots)][1], window.view.grab().toImage()))
        if len(shots) == len(MOMENTS):
            timer.stop()
            strip(shots).save(str(HERE / "live-demo-strip.png"))
            window.live.reset()
            window.shutdown()
            app.quit()

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(20)
    QTimer.singleShot(800, start)
    app.exec()


def strip(shots: list[tuple[float, str, QImage]]) -> QImage:
    """The shots side by side, each under its simulated time and caption."""
    gap, caption = 8, 34
    width = sum(image.width() for *_, image in shots) + gap * (len(shots) - 1)
    height = max(image.height() for *_, image in shots) + caption
    out = QImage(width, height, QImage.Format.Format_RGB32)
    out.fill(QColor("white"))
    painter = QPainter(out)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = QFont()
    font.setPixelSize(17)
    painter.setFont(font)
    painter.setPen(QColor("#222"))
    x = 0
    for t, text, image in shots:
        minutes, seconds = divmod(int(t), 60)
        painter.drawText(QRectF(x + 6, 0, image.width() - 12, caption),
                         Qt.AlignmentFlag.AlignVCenter, f"{minutes:02d}:{seconds:02d}  {text}")
        painter.drawImage(x, caption, image)
        x += image.width() + gap
    painter.end()
    return out.scaledToWidth(STRIP_WIDTH, Qt.TransformationMode.SmoothTransformation)


if __name__ == "__main__":
    main()
