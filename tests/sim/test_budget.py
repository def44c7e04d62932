"""The run-cost estimate and the run ranges (designer/sim/budget.py): the figures come from
the benchmark (tests/benchmarks/test_run_budget.py); here, that the estimate counts what the
run holds and the ranges say why."""
from __future__ import annotations

import math

import pytest

from designer.model import Link, Scenario, make_component
from designer.model.components import LONGEST_RUN_S
from designer.sim import budget


def flood(vms: int = 1, rate: float = 10.0, close: str = "fin", stop_s=None,
          generators: int = 1) -> Scenario:
    s = Scenario(name="flood")
    s.topology.add_node(make_component("endpoint", "api", address="20.0.0.1", port=443))
    for i in range(vms):
        s.topology.add_node(make_component("vm", f"vm-{i}"))
    for g in range(generators):
        s.topology.add_node(make_component("traffic_generator", f"gen-{g}", rate_per_s=rate,
                                           close=close, stop_s=stop_s))
        s.topology.connect(Link(f"gen-{g}", "api", "destination"))
        for i in range(vms):
            s.topology.connect(Link(f"gen-{g}", f"vm-{i}", "source"))
    return s


def test_flows_are_rate_times_sources_times_active_time():
    cost = budget.estimate(flood(vms=3, rate=10, generators=2), 100.0)
    assert cost.flows == pytest.approx(2 * 3 * 10 * 100)
    assert (cost.vms, cost.generators, cost.destinations) == (3, 2, 1)
    stopped = budget.estimate(flood(rate=10, stop_s=30.0), 100.0)
    assert stopped.flows == pytest.approx(300)


def test_live_flows_follow_the_release_timers_and_stop_at_the_ports():
    # C9: FIN keeps the port 240 s after a 5 s hold, RST 15 s
    fin = budget.estimate(flood(rate=1), 3600.0)
    rst = budget.estimate(flood(rate=1, close="rst"), 3600.0)
    assert fin.live_flows == pytest.approx(245)
    assert rst.live_flows == pytest.approx(20)
    # 1,000 flows/s would hold 245,000 mappings; one VM has 1,024 ports to one destination
    assert budget.estimate(flood(rate=1000), 3600.0).live_flows == 1024
    # ... however many generators share those ports
    assert budget.estimate(flood(rate=1000, generators=5), 3600.0).live_flows == 1024


def test_memory_does_not_grow_with_the_flows_time_does():
    short = budget.estimate(flood(rate=1000), 10.0)
    long = budget.estimate(flood(rate=1000), 100_000.0)
    assert long.memory_bytes == pytest.approx(short.memory_bytes, rel=0.5)
    assert long.cpu_seconds > 100 * short.cpu_seconds         # it is long, not big


def test_the_largest_part_is_one_the_user_can_change():
    # 2,000 mappings live at once outweigh nothing but the program itself: they are named
    cost = budget.estimate(flood(rate=10, close="fin"), 600.0)
    assert cost.parts[0][0] == budget.PROGRAM
    assert "live flows" in cost.largest()


def test_default_snat_addresses_are_counted_per_vm():
    cost = budget.estimate(flood(vms=5), 10.0)
    assert cost.addresses == 10          # 5 VMs x TCP and UDP (M-A2 scenario 3)
    assert "10 of them default SNAT" in cost.describe()


def test_a_live_run_has_no_duration():
    cost = budget.estimate(flood(rate=100), None)
    assert cost.samples == 0 and cost.flows == 0 and cost.live_flows > 0


@pytest.mark.parametrize("duration, sample, words", [
    (LONGEST_RUN_S * 1.01, 60, "365 days"), (1e300, 60, "365 days"), (-1, 60, "positive"),
    (math.inf, 60, "positive"), (600, 1e-6, "0.001 s"), (600, 0, "positive"),
    (1e6, 0.5, "--sample 1"),
])
def test_ranges_say_what_is_supported(duration, sample, words):
    with pytest.raises(ValueError) as info:
        budget.check_run_range(duration, sample)
    assert words in str(info.value)


def test_the_edges_of_the_ranges_are_allowed():
    budget.check_run_range(LONGEST_RUN_S, 60)
    budget.check_run_range(1000, budget.FINEST_SAMPLE_S)


@pytest.mark.parametrize("text, value", [("4G", 4e9), ("500M", 5e8), ("1.5GiB", 1.5 * 2**30),
                                         ("2gb", 2e9), ("none", None), ("0", None)])
def test_sizes(text, value):
    assert budget.parse_size(text) == value


@pytest.mark.parametrize("text", ["lots", "-1G", "4X", "", "nanG"])
def test_bad_sizes(text):
    with pytest.raises(ValueError):
        budget.parse_size(text)


def test_over_limit_suggests_a_limit_that_fits():
    cost = budget.estimate(flood(rate=1000), 1000.0)
    assert cost.over_limit(None) is None
    assert cost.over_limit(cost.memory_bytes * 2) is None
    why = cost.over_limit(1e6)
    assert "more than the memory limit of 1 MB" in why
    assert budget.parse_size(budget.suggest_limit(cost)) >= cost.memory_bytes
