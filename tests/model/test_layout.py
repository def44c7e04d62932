"""The Qt-free layout (designer.model.layout): files without positions are laid out when read
(containers included, generators near their sources, endpoints on the Internet side), a
file where only some nodes lack one places those near their linked neighbours, and nodes
never pile up."""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from designer.model import Link, Scenario, Topology, dumps, loads, make_component
from designer.model.layout import (FOOTPRINT, lay_out_unplaced, layout_positions,
                                   place_unplaced)
from designer.resources import demo_path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.topologies import generated_scenario  # noqa: E402


def without_positions(scenario: Scenario, keep: set[str] = frozenset()) -> str:
    """The scenario's file text with the position (and box size) of every node not in
    ``keep`` left out, as a script or an importer would write it."""
    document = json.loads(dumps(scenario))
    for node in document["nodes"]:
        if node["id"] not in keep:
            node.pop("position", None)
            node.pop("size", None)
    return json.dumps(document)


def footprints(topology: Topology) -> dict[str, tuple[float, float, float, float]]:
    left, up, right, down = FOOTPRINT
    return {c.id: (c.position[0] - left, c.position[1] - up, c.position[0] + right,
                   c.position[1] + down)
            for c in topology.nodes() if not c.CONTAINER}


def overlapping(rects: dict[str, tuple], among: set[str] | None = None) -> list[tuple[str, str]]:
    """Pairs of overlapping rectangles (at least one of them in ``among``, when given)."""
    items = sorted(rects.items(), key=lambda kv: kv[1][0])
    out = []
    for i, (a, ra) in enumerate(items):
        for b, rb in items[i + 1:]:
            if rb[0] >= ra[2]:
                break
            if ra[1] < rb[3] and rb[1] < ra[3] and (among is None or a in among or b in among):
                out.append((a, b))
    return out


def box(topology: Topology, box_id: str) -> tuple[float, float, float, float]:
    c = topology.node(box_id)
    return (c.position[0], c.position[1], c.position[0] + c.size[0], c.position[1] + c.size[1])


def inside(point, rect) -> bool:
    return rect[0] <= point[0] <= rect[2] and rect[1] <= point[1] <= rect[3]


# ------------------------------------------------------------------ a file without positions

def test_the_loader_records_which_nodes_had_no_position():
    demo = loads(demo_path().read_text(encoding="utf-8"))
    assert demo.unplaced == frozenset()
    bare = loads(without_positions(demo, keep={"web-1"}))
    assert bare.unplaced == frozenset(demo.topology.node_ids()) - {"web-1"}


def test_nodes_piled_at_the_origin_by_a_program_are_placed_too():
    # an importer's scenario, never read from a file: every node at the default position
    built = Scenario()
    for i in range(5):
        built.topology.add_node(make_component("vm", f"vm-{i}"))
    assert lay_out_unplaced(built) == [f"vm-{i}" for i in range(5)]
    assert len({c.position for c in built.topology.nodes()}) == 5
    # one node at the origin is just a node there
    single = Scenario()
    single.topology.add_node(make_component("vm", "vm-1"))
    single.topology.add_node(make_component("vm", "vm-2", position=(300.0, 0.0)))
    assert lay_out_unplaced(single) == []


def test_a_demo_without_positions_reads_as_a_diagram():
    demo = loads(demo_path().read_text(encoding="utf-8"))
    scenario = loads(without_positions(demo))
    placed = lay_out_unplaced(scenario)
    t = scenario.topology
    assert placed == sorted(t.node_ids()) and scenario.unplaced == frozenset()
    assert overlapping(footprints(t)) == []
    # containers included: every VM in its subnet's box, every subnet in its VNet's box
    for vm in t.node_ids("vm"):
        assert inside(t.node(vm).position, box(t, t.subnet_of(vm))), vm
    for subnet in t.node_ids("subnet"):
        s = box(t, subnet)
        v = box(t, t.vnet_of(subnet))
        assert v[0] <= s[0] and v[1] <= s[1] and s[2] <= v[2] and s[3] <= v[3], subnet
    y = {c.id: c.position[1] for c in t.nodes()}
    vms = [y[v] for v in t.node_ids("vm")]
    # the Internet on top: endpoints above public IPs above load balancers above the VMs
    assert max(y[e] for e in t.node_ids("endpoint")) < min(y[p] for p in t.node_ids("public_ip"))
    assert max(y[p] for p in t.node_ids("public_ip")) < min(y[b] for b in t.node_ids("load_balancer"))
    assert max(y[b] for b in t.node_ids("load_balancer")) < min(vms)
    # generators right under the VMs or subnet they generate from
    for gen in t.node_ids("traffic_generator"):
        sources = t.targets(gen, "source")
        xs = [t.node(s).position[0] + (t.node(s).size[0] / 2 if t.node(s).CONTAINER else 0)
              for s in sources]
        assert abs(t.node(gen).position[0] - sum(xs) / len(xs)) <= 200, gen
        assert y[gen] > max(vms)


def test_a_large_file_without_positions_is_spread_out_fast_enough_to_open():
    scenario = loads(without_positions(generated_scenario(2000, 3000)))
    lay_out_unplaced(scenario)
    t = scenario.topology
    rects = footprints(t)
    assert len({(r[0], r[1]) for r in rects.values()}) == len(rects), "no two nodes on one point"
    assert overlapping(rects) == []
    for vm in t.node_ids("vm"):
        assert inside(t.node(vm).position, box(t, t.subnet_of(vm)))
    # a load balancer sits above its own backend pool, not somewhere across the drawing
    for lb in t.node_ids("load_balancer")[:20]:
        pool = t.backend_pool(lb)
        mean_x = sum(t.node(v).position[0] for v in pool) / len(pool)
        assert abs(t.node(lb).position[0] - mean_x) < 400
        assert 0 < min(t.node(v).position[1] for v in pool) - t.node(lb).position[1] < 600


# ------------------------------------------------------------------ some nodes without one

def test_nodes_without_a_position_go_near_their_linked_neighbours():
    demo = loads(demo_path().read_text(encoding="utf-8"))
    before = {c.id: c.position for c in demo.topology.nodes()}
    missing = {"web-2", "lb-ip", "web-nsg", "flood"}
    scenario = loads(without_positions(demo, keep=set(before) - missing))
    assert lay_out_unplaced(scenario) == sorted(missing)
    t = scenario.topology
    for node_id in set(before) - missing:  # the placed ones never move
        assert t.node(node_id).position == before[node_id]
    assert inside(t.node("web-2").position, box(t, "web")), "a VM goes into its subnet's box"
    lb = t.node("lb").position
    ip = t.node("lb-ip").position
    assert ip[1] < lb[1] and abs(ip[0] - lb[0]) <= 200, "a frontend IP above its load balancer"
    for node_id in missing:
        assert overlapping(footprints(t), {node_id}) == [], node_id


def test_a_group_linked_to_nothing_placed_is_laid_out_beside_the_drawing():
    t = Topology()
    t.add_node(make_component("vm", "old", position=(100.0, 100.0)))
    t.add_node(make_component("subnet", "new-net", prefix="10.0.9.0/24"))
    for i in range(3):
        t.add_node(make_component("vm", f"new-{i}"))
        t.connect(Link(f"new-{i}", "new-net", "in_subnet"))
    positions, sizes = place_unplaced(t, {"new-net", "new-0", "new-1", "new-2"})
    assert set(positions) == {"new-net", "new-0", "new-1", "new-2"} and "new-net" in sizes
    x, y = positions["new-net"]
    assert x > 100 + FOOTPRINT[2]
    for i in range(3):
        px, py = positions[f"new-{i}"]
        assert x <= px <= x + sizes["new-net"][0] and y <= py <= y + sizes["new-net"][1]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), share=st.floats(0.05, 1.0))
def test_nodes_never_pile_up_whatever_lacks_a_position(seed, share):
    scenario = generated_scenario(75, 110, seed=seed)
    rng = random.Random(seed)
    ids = scenario.topology.node_ids()
    missing = set(rng.sample(ids, max(1, int(len(ids) * share))))
    read = loads(without_positions(scenario, keep=set(ids) - missing))
    lay_out_unplaced(read)
    rects = footprints(read.topology)
    assert overlapping(rects, missing & set(rects)) == []


def test_the_full_layout_of_an_empty_topology_is_empty():
    assert layout_positions(Topology()) == ({}, {})
    assert place_unplaced(Topology(), {"x"}) == ({}, {})


def test_a_subnet_of_many_vms_is_a_box_about_as_wide_as_it_is_tall():
    """200 VMs in one subnet, as an importer writes them: a box of about 14 x 15 VMs that a
    fitted view can show at a readable zoom, not 5 columns of 40 rows; every VM inside it."""
    t = Topology()
    t.add_node(make_component("subnet", "web", prefix="10.0.0.0/16"))
    for i in range(200):
        t.add_node(make_component("vm", f"vm-{i + 1}"))
        t.connect(Link(f"vm-{i + 1}", "web", "in_subnet"))
    scenario = loads(without_positions(Scenario(topology=t)))
    lay_out_unplaced(scenario)
    x0, y0, x1, y1 = box(scenario.topology, "web")
    assert 0.7 < (x1 - x0) / (y1 - y0) < 1.6
    for i in range(200):
        assert inside(scenario.topology.node(f"vm-{i + 1}").position, (x0, y0, x1, y1))
    assert not overlapping(footprints(scenario.topology))
