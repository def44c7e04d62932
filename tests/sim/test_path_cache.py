"""PathCache: one VM's outbound path at a time ("Why this path?" on a click), always equal to
what resolve() gives for the whole scenario, kept while only positions, sizes and names
change, and brought up to date by every other edit."""
from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from designer.model import Link, load_scenario, make_component
from designer.resources import example_paths
from designer.sim.paths import PathCache, resolve

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.topologies import editor_scale_scenario, generated_scenario  # noqa: E402


def assert_same_as_resolve(scenario, cache: PathCache, seed: int = 1) -> None:
    expected = resolve(scenario).paths
    order = list(expected)
    random.Random(seed).shuffle(order)  # asked in any order, answered as a full run would
    for vm_id in order:
        assert cache.vm_path(vm_id) == expected[vm_id], vm_id


@pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.name)
def test_every_example_vm_gets_the_path_resolve_gives(path):
    scenario = load_scenario(path)
    assert_same_as_resolve(scenario, PathCache(scenario))


def test_default_snat_addresses_are_handed_out_in_id_order_whatever_is_asked_first():
    # the generated topology's Basic load balancers have no rule: every VM is on default
    # SNAT, each with an address Azure picks in VM id order
    scenario = generated_scenario(300, 450)
    for semantics in ("modern", "classic"):
        scenario.semantics = semantics
        cache = PathCache(scenario)
        last = sorted(scenario.topology.node_ids("vm"))[-1]
        assert cache.vm_path(last) == resolve(scenario).paths[last]
        assert_same_as_resolve(scenario, cache, seed=2)
        cache.close()


def test_availability_sets_share_their_address_in_classic_semantics():
    scenario = generated_scenario(150, 220)
    scenario.semantics = "classic"
    t = scenario.topology
    for i, vm in enumerate(sorted(t.node_ids("vm"))):
        t.set_property(vm, "availability_set", f"set-{i % 3}")
    assert_same_as_resolve(scenario, PathCache(scenario))


def test_edits_that_change_paths_are_followed_and_moves_keep_the_cache():
    scenario = editor_scale_scenario(groups=6, vms_per_group=5, links=160)
    t = scenario.topology
    cache = PathCache(scenario)
    assert_same_as_resolve(scenario, cache)
    resolver = cache._resolver
    t.move("vm-2-3", (5000.0, 5000.0))
    t.set_property("lb-1", "name", "renamed")
    t.set_property("subnet-0", "size", (900.0, 500.0))
    assert cache._resolver is resolver, "moves, renames and resizes keep the answers"
    # an instance IP takes over the VM's path
    t.add_node(make_component("public_ip", "own-ip", sku="standard", address="52.9.9.9"))
    t.connect(Link("vm-2-3", "own-ip", "instance_ip"))
    assert cache.vm_path("vm-2-3").outbound == "instance_ip"
    assert_same_as_resolve(scenario, cache)
    # out of the pool: the VM loses the load balancer path
    t.disconnect(Link("lb-2", "vm-2-4", "backend"))
    assert_same_as_resolve(scenario, cache)
    scenario.set_meta("semantics", "classic")
    assert_same_as_resolve(scenario, cache)
    t.remove_node("vm-2-0")
    t.set_property("vm-2-1", "availability_set", "pair")
    assert_same_as_resolve(scenario, cache)
    # the topology's index by (node, kind) followed every change: the same as a copy's
    fresh = t.copy()
    for node_id in t.node_ids():
        for kind in {link.kind for link in t.links_of(node_id)}:
            assert set(t.targets(node_id, kind)) == set(fresh.targets(node_id, kind))
            assert set(t.sources(node_id, kind)) == set(fresh.sources(node_id, kind))
    with pytest.raises(KeyError):
        cache.vm_path("vm-2-0")
    with pytest.raises(KeyError):
        cache.vm_path("lb-2")
    cache.close()
    t.move("vm-2-1", (0.0, 0.0))  # a closed cache follows nothing


def test_a_large_topology_answers_one_vm_in_milliseconds_not_seconds():
    # not a timing test (benchmarks time it): the cache must not walk the live graph per VM
    scenario = editor_scale_scenario()
    cache = PathCache(scenario)
    last = sorted(scenario.topology.node_ids("vm"))[-1]
    assert cache.vm_path(last).outbound == "load_balancer"
    assert list(cache._paths) == [last], "a path without an Azure-assigned address stands alone"
    assert cache.vm_path(last) is cache.vm_path(last)


def test_vms_added_and_removed_keep_the_answers_that_stand():
    # default SNAT everywhere: each VM takes the next Azure-assigned address in id order
    scenario = generated_scenario(150, 220)
    t = scenario.topology
    cache = PathCache(scenario)
    assert_same_as_resolve(scenario, cache)
    for new_id in ("vm-0-55", "vm-9", "aaa"):  # in the middle, late and first in id order
        t.add_node(make_component("vm", new_id))
        assert cache.vm_path(new_id) == resolve(scenario).paths[new_id]
        assert_same_as_resolve(scenario, cache, seed=len(new_id))
    t.remove_node("vm-0-55")
    assert_same_as_resolve(scenario, cache, seed=5)
    t.add_node(make_component("load_balancer", "lb-new"))  # a lone node: nothing changes
    kept = dict(cache._paths)
    assert kept and cache._paths == kept
    assert_same_as_resolve(scenario, cache, seed=6)
