"""Every bundled example gives the outcome its description promises."""
from pathlib import Path

import pytest

from designer.model import load_scenario
from designer.resources import examples_dir
from designer.sim import simulate

_cache: dict[str, dict] = {}


def report(name: str) -> dict:
    if name not in _cache:
        _cache[name] = simulate(load_scenario(examples_dir() / name), source=name)
    return _cache[name]


def all_ok(flows: dict) -> bool:
    return flows["attempted"] > 0 and flows["succeeded"] == flows["attempted"]


def events(r: dict, kind: str, **match) -> list[dict]:
    return [e for e in r["events"] if e["kind"] == kind
            and all(e.get(k) == v for k, v in match.items())]


def test_every_example_is_covered():
    names = {p.name for p in examples_dir().glob("*.outbound.json")}
    assert names <= set(EXPECTATIONS), f"no expectation for {sorted(names - set(EXPECTATIONS))}"


def ex01(r):
    vm = r["vms"]["vm-1"]
    assert vm["outbound"] == "default" and vm["assigned_by"] == "azure"
    assert vm["public_ip"].startswith("203.0.113.")
    assert vm["snat_ports_allocated"] == 1024
    assert all_ok(vm["flows"])


def ex02(r):
    vm = r["vms"]["web-1"]
    assert vm["outbound"] == "load_balancer" and vm["public_ip"] == "52.0.0.10"
    assert vm["snat_ports_allocated"] == 1024
    assert all_ok(vm["flows"])


def ex03(r):
    vm = r["vms"]["web-1"]
    assert vm["outbound"] == "instance_ip" and vm["public_ip"] == "40.0.0.5"
    assert all_ok(vm["flows"]) and vm["flows"]["attempted"] > 100_000


def ex04(r):
    for vm_id in ("web-1", "web-2"):
        vm = r["vms"][vm_id]
        assert vm["outbound"] == "default" and vm["public_ip"] != "52.0.0.10"
        assert vm["public_ip"].startswith("203.0.113.")


def ex05(r):
    vm = r["vms"]["web-1"]
    assert vm["flows"]["denied_nsg"] == vm["flows"]["attempted"] > 0
    assert vm["snat_ports_used_peak"] == 0
    assert events(r, "nsg_denied", vm="web-1")


def ex06(r):
    down = events(r, "probe_down")
    assert [(e["vm"], e["t"]) for e in down] == [("web-2", 30)]
    assert r["vms"]["web-2"]["probe"] == "down" and r["vms"]["web-1"]["probe"] == "up"
    inbound_1 = r["vms"]["web-1"]["inbound"]["received"]
    inbound_2 = r["vms"]["web-2"].get("inbound", {}).get("received", 0)
    assert inbound_1 > 20 * inbound_2          # web-2 only got flows in its first 30 s
    assert r["vms"]["web-2"]["outbound"] == "load_balancer"
    assert r["vms"]["web-2"]["public_ip"] == "52.0.0.10"


def ex07(r):
    vm = r["vms"]["web-1"]
    assert vm["snat_ports_allocated"] == 1024
    seen = r["endpoints"]["whatismyip"]["seen_sources"]
    assert len(seen) == 1 and seen[0] in ("52.0.0.10", "52.0.0.11")


def ex08(r):
    assert len(r["vms"]) == 60
    firsts = []
    for vm_id, vm in r["vms"].items():
        assert vm["snat_ports_allocated"] == 512
        assert vm["flows"]["failed_snat"] > 0
        firsts.append(min(e["t"] for e in events(r, "snat_exhausted", vm=vm_id)))
    assert 120 < min(firsts) and max(firsts) < 240       # "after roughly three minutes"


def ex09(r):
    answers = r["endpoints"]["resolver"]["answers"] if "resolver" in r["endpoints"] else \
        next(e["answers"] for e in r["endpoints"].values() if "answers" in e)
    assert answers["solo-1"][0].startswith("203.0.113.")
    assert answers["web-1"] == ["52.0.0.10"]
    assert answers["edge-1"] == ["40.0.0.5"]


def ex10(r):
    nat = next(iter(r["nat_gateways"].values()))
    assert nat["ports_allocated"] == 2 * 64_512
    assert 5_000 < nat["ports_used_peak"] < 15_000       # "about ten thousand ports"
    for vm in r["vms"].values():
        if vm["outbound"] == "nat_gateway":
            assert vm["flows"]["failed_snat"] == 0
    assert sum(vm["outbound"] == "nat_gateway" for vm in r["vms"].values()) >= 3


def ex11(r):
    for vm_id in ("web-1", "web-2", "web-3", "web-4"):
        vm = r["vms"][vm_id]
        assert vm["outbound"] == "load_balancer" and vm["public_ip"] == "51.0.0.20"
        assert vm["snat_ports_allocated"] == 10_000
        assert all_ok(vm["flows"])


def ex12(r):
    vm = r["vms"]["db-1"]
    assert vm["outbound"] == "none"
    assert vm["flows"]["no_route"] == vm["flows"]["attempted"] > 0


def demo(r):
    web1 = r["vms"]["web-1"]
    assert web1["snat_ports_allocated"] == 1024 and web1["flows"]["failed_snat"] > 0
    first = min(e["t"] for e in events(r, "snat_exhausted", vm="web-1"))
    assert 80 < first < 140                               # "after about 100 s"
    assert all_ok(r["vms"]["web-3"]["flows"])
    assert r["vms"]["app-1"]["outbound"] == "nat_gateway"


EXPECTATIONS = {
    "01-standalone-vm.outbound.json": ex01,
    "02-load-balanced-vm.outbound.json": ex02,
    "03-instance-public-ip.outbound.json": ex03,
    "04-lb-without-rule.outbound.json": ex04,
    "05-nsg-blocks-internet.outbound.json": ex05,
    "06-nsg-blocks-probe.outbound.json": ex06,
    "07-lb-two-frontends.outbound.json": ex07,
    "08-pool-of-60.outbound.json": ex08,
    "09-whatismyip.outbound.json": ex09,
    "10-nat-gateway.outbound.json": ex10,
    "11-outbound-rule.outbound.json": ex11,
    "12-private-subnet.outbound.json": ex12,
    "demo.outbound.json": demo,
}


def _params():
    for name, check in EXPECTATIONS.items():
        if isinstance(check, tuple) or hasattr(check, "values"):
            yield pytest.param(name, check.values[0], marks=check.marks, id=name)
        else:
            yield pytest.param(name, check, id=name)


@pytest.mark.parametrize("name,check", list(_params()))
def test_example_outcome(name, check):
    if not (examples_dir() / name).exists():
        pytest.skip(f"{name} is not bundled")
    check(report(name))


FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("name", ["pooled-generator-stopped-sources.outbound.json",
                                  "pooled-generator-no-sources.outbound.json"])
def test_pooled_generator_with_a_stop_and_no_running_source_simulates(name):
    """Issue 15: valid files that gave "internal error: AssertionError: unexpected timer 3 in
    a fast-forward" (the stop of a pooled generator without running sources)."""
    scenario = load_scenario(FIXTURES / name)
    r = simulate(scenario, source=name)
    assert r["generators"]["client"] == {"attempted": 0, "succeeded": 0, "failed_snat": 0,
                                         "denied_nsg": 0, "no_route": 0}
    assert r["duration_s"] == (300 if "stopped" in name else 120)
