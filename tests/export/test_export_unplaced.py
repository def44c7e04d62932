"""``export`` of a file whose nodes have no positions (written by a script or an importer):
the diagram is laid out, not drawn as one tile at (0, 0)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from designer.export.headless import scene_for
from designer.model import dumps, load_scenario
from designer.model.layout import FOOTPRINT

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.topologies import generated_scenario  # noqa: E402


def position_less_file(tmp_path: Path, nodes: int = 203, links: int = 300) -> Path:
    document = json.loads(dumps(generated_scenario(nodes, links)))
    for node in document["nodes"]:
        node.pop("position", None)
        node.pop("size", None)
    assert len(document["nodes"]) == nodes
    path = tmp_path / "scripted.outbound.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_cli_export_of_a_203_node_file_without_positions_draws_the_whole_diagram(tmp_path):
    path = position_less_file(tmp_path)
    out = tmp_path / "scripted.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-m", "designer", "export", str(path), str(out)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    image = QImage(str(out))
    # one tile and its name would be about 140 x 130 px; a laid-out diagram of 203 nodes is
    # many tiles wide and high
    assert image.width() > 1500 and image.height() > 1000, (image.width(), image.height())
    assert "Traceback" not in result.stderr
    # the file itself is untouched: positions reach it only when a user saves
    assert all("position" not in n for n in json.loads(path.read_text())["nodes"])


def test_the_exported_scene_has_distinct_non_overlapping_positions(qapp, tmp_path):
    scene = scene_for(load_scenario(position_less_file(tmp_path)))
    left, up, right, down = FOOTPRINT
    rects = sorted((item.pos().x() - left, item.pos().y() - up, item.pos().x() + right,
                    item.pos().y() + down) for item in scene.plain_node_items())
    assert len({(r[0], r[1]) for r in rects}) == len(rects)
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            if b[0] >= a[2]:
                break
            assert not (a[1] < b[3] and b[1] < a[3]), (a, b)
    boxes = [i for i in scene.all_node_items() if i not in scene.plain_node_items()]
    assert boxes and all(box.size[0] > 100 and box.size[1] > 100 for box in boxes)
