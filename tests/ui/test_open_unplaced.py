"""A file whose nodes have no positions, opened in the real window: laid out before it is
drawn, not an undo step, the document unmodified (the file gets the positions on Save)."""
from __future__ import annotations

import json

from designer.model import dumps, load_scenario
from designer.resources import demo_path


def test_a_position_less_file_opens_laid_out(window, qtbot, tmp_path):
    document = json.loads(dumps(load_scenario(demo_path())))
    for node in document["nodes"]:
        node.pop("position", None)
        node.pop("size", None)
    path = tmp_path / "scripted.outbound.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert window.open_path(path)
    scene = window.scene
    centres = {(i.pos().x(), i.pos().y()) for i in scene.plain_node_items()}
    assert len(centres) == len(scene.plain_node_items()) > 10
    web = scene.node_item("web")
    assert web.scene_rect().contains(scene.node_item("web-1").pos())
    assert not window.document.modified and window.document.undo_stack.count() == 0
    assert "laid out" in window.statusBar().currentMessage()
    # the view shows the whole diagram, not one tile blown up
    qtbot.waitUntil(lambda: window.view.visible_scene_rect().contains(
        scene.items_bounding_rect()))
    # saving writes the positions the user sees
    window._save_to(path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert all("position" in node for node in saved["nodes"])
    assert load_scenario(path).topology.node("web-1").position == \
        (scene.node_item("web-1").pos().x(), scene.node_item("web-1").pos().y())
