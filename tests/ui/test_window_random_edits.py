"""A seeded random walk through the window's editing actions: the scene keeps mirroring the
model, nothing raises, and undoing everything gives back the opened scenario."""
from __future__ import annotations

import random

import pytest

from designer.model import NODE_KINDS, save_scenario, to_document
from tests.topologies import sample_scenario


def canonical(scenario) -> dict:
    """The scenario's document with nodes and links sorted (undoing a delete re-adds a node
    at the end of the graph: the same scenario, another order)."""
    doc = to_document(scenario)
    doc["nodes"] = sorted(doc["nodes"], key=lambda n: n["id"])
    doc["links"] = sorted(doc["links"], key=lambda l: (l["from"], l["to"], l["kind"]))
    return doc


@pytest.mark.parametrize("seed", [1, 2])
def test_random_edits_keep_scene_and_model_in_step(window, tmp_path, seed):
    path = tmp_path / "sample.outbound.json"
    save_scenario(sample_scenario(), path)
    assert window.open_path(path)
    opened = canonical(window.document.scenario)
    rng = random.Random(seed)
    topo = window.document.scenario.topology
    stack = window.document.undo_stack

    def select_some():
        ids = topo.node_ids()
        window.scene.select_nodes(rng.sample(ids, min(len(ids), rng.randint(1, 3))))

    steps = {
        "place": lambda: window.place_at_centre(rng.choice(NODE_KINDS)),
        "select": select_some,
        "delete": lambda: (select_some(), window.action("action-edit-delete").trigger()),
        "copy-paste": lambda: (select_some(), window.action("action-edit-copy").trigger(),
                               window.action("action-edit-paste").trigger()),
        "duplicate": lambda: (select_some(), window.action("action-edit-duplicate").trigger()),
        "align": lambda: (select_some(), window.action("action-edit-align-left").trigger()),
        "undo": lambda: window.action("action-edit-undo").trigger(),
        "redo": lambda: window.action("action-edit-redo").trigger(),
        "nothing-selected": lambda: window.scene.select_nodes([]),
    }
    names = list(steps)
    for _ in range(60):
        name = rng.choice(names)
        if name in ("select", "delete", "copy-paste", "duplicate", "align") and not len(topo):
            continue
        steps[name]()
        assert {i for i in topo.node_ids()} == {
            c.id for c in topo.nodes() if window.scene.node_item(c.id) is not None}
        assert len(window.scene.all_node_items()) == len(topo)
        assert len(window.scene.all_link_items()) == len(topo.links())
    while stack.canUndo():
        stack.undo()
    assert canonical(window.document.scenario) == opened
    assert not window.isWindowModified()
