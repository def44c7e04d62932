#!/usr/bin/env python3
"""Regenerate the screenshot of the running editor from the live demo (offscreen, a few
seconds), so the picture the AppStream metainfo and the README show cannot go stale.

    python packaging/make_screenshot.py [--out docs/screenshot.png ...] [--size 1600x1000]
                                        [--at 150]

The window opens the bundled demo, selects web-1 ("Why this path?" and its metrics), runs the
simulation at 100x to a few seconds before ``--at`` simulated seconds, then at 1x (web-1 has
run out of SNAT ports: red gauge, the banner with the documented fixes, red flows at the
frontend), and grabs the window with the flows in flight.  ``packaging/check.sh`` calls it.
Settings and autosaves go to Qt's test locations: the user's own are never touched.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a size is WIDTHxHEIGHT, not {text!r}") from None
    if not (640 <= w <= 4000 and 480 <= h <= 3000):
        raise argparse.ArgumentTypeError(f"{text}: between 640x480 and 4000x3000")
    return w, h


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", action="append", type=Path,
                        help="PNG to write (repeatable; default docs/screenshot.png)")
    parser.add_argument("--size", type=parse_size, default=(1600, 1000), metavar="WxH")
    parser.add_argument("--at", type=float, default=150.0, metavar="S",
                        help="simulated seconds into the demo (default 150)")
    args = parser.parse_args(argv)
    outs = args.out or [ROOT / "docs" / "screenshot.png"]
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QEventLoop, QStandardPaths, QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox
    QStandardPaths.setTestModeEnabled(True)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    from designer.resources import demo_path
    from designer.ui.app import configure_application
    from designer.ui.main_window import MainWindow
    configure_application(app)
    QMessageBox.question = staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard)

    def spin(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    window = MainWindow()
    window.resize(*args.size)
    window.show()
    if not window.open_example(demo_path()):
        print("make_screenshot: the demo did not open", file=sys.stderr)
        return 1
    spin(200)
    window.scene.select_nodes(["web-1"])
    live = window.live
    # fast to a few seconds before the moment (the metrics record on the way), then 1x: the
    # last seconds animate as a viewer sees them
    live.set_speed(100.0)
    live.play()
    deadline = time.monotonic() + 30
    for speed, until in ((100.0, args.at - 4), (1.0, args.at)):
        live.set_speed(speed)
        while (live.frame is None or live.frame.t < until) and time.monotonic() < deadline:
            app.processEvents()
    spin(300)
    image = window.grab().toImage()
    live.reset()
    window.close()
    for out in outs:
        out.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(out)):
            print(f"make_screenshot: could not write {out}", file=sys.stderr)
            return 1
        print(f"screenshot {out} ({image.width()}x{image.height()}, demo at "
              f"{args.at:g} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
