"""The topology's links by (node, kind): after any sequence of connects, disconnects and
node removals, ``targets``/``sources``/``links_from``/``links_to`` of one kind give what the
graph itself holds (the index is what keeps "the NSG of a subnet of 4,000 VMs" from walking
4,000 links), and a copy answers in networkx's order for the copied graph."""
from __future__ import annotations

import random

from designer.model import Link, Topology, make_component


def graph_answer(t: Topology, node_id: str, kind: str, outgoing: bool) -> list[str]:
    if outgoing:
        return [v for _, v, k in t.graph.out_edges(node_id, keys=True) if k == kind]
    return [u for u, _, k in t.graph.in_edges(node_id, keys=True) if k == kind]


def check(t: Topology) -> None:
    for node_id in t.node_ids():
        for kind in ("in_subnet", "nsg", "backend", "source", "destination"):
            assert set(t.targets(node_id, kind)) == set(graph_answer(t, node_id, kind, True))
            assert set(t.sources(node_id, kind)) == set(graph_answer(t, node_id, kind, False))
            assert t.links_to(node_id, kind) == [Link(u, node_id, kind)
                                                 for u in t.sources(node_id, kind)]


def test_the_index_follows_every_change_and_a_copy_keeps_the_graphs_order():
    rng = random.Random(7)
    t = Topology()
    t.add_node(make_component("subnet", "sub", prefix="10.0.0.0/16"))
    t.add_node(make_component("nsg", "nsg"))
    t.add_node(make_component("load_balancer", "lb", sku="standard"))
    t.connect(Link("nsg", "sub", "nsg"))
    for i in range(60):
        t.add_node(make_component("vm", f"vm-{i}"))
        t.connect(Link(f"vm-{i}", "sub", "in_subnet"))
    for step in range(400):
        vm = f"vm-{rng.randrange(60)}"
        if vm not in t:
            t.add_node(make_component("vm", vm))
            continue
        action = rng.choice(["backend", "unbackend", "subnet", "remove"])
        if action == "backend" and not t.has_link(Link("lb", vm, "backend")):
            t.connect(Link("lb", vm, "backend"))
        elif action == "unbackend" and t.has_link(Link("lb", vm, "backend")):
            t.disconnect(Link("lb", vm, "backend"))
        elif action == "subnet":
            link = Link(vm, "sub", "in_subnet")
            (t.disconnect if t.has_link(link) else t.connect)(link)
        elif action == "remove" and step % 5 == 0:
            t.remove_node(vm)
    check(t)
    assert t.sources("sub", "nsg") == ["nsg"]
    copy = t.copy(frozen=True)
    check(copy)
    for node_id in copy.node_ids():
        for kind in ("in_subnet", "backend"):
            assert copy.targets(node_id, kind) == graph_answer(copy, node_id, kind, True)
            assert copy.sources(node_id, kind) == graph_answer(copy, node_id, kind, False)
