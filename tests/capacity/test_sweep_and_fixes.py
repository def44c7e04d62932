"""Sweeps and fix comparisons, in-process (the Dask paths are in test_dask_processes.py).

The equality that matters: every sweep point and every fix variant is what ``simulate``
gives for the same edited scenario and seed, byte for byte; and bisection lands on the
smallest setting that the documented numbers say holds.
"""
from __future__ import annotations

import json

import pytest

from designer.capacity import edits, estimate
from designer.capacity.execute import Driver, SerialExecutor
from designer.capacity.fieldpath import VaryError, parse_vary
from designer.capacity.fixes import compare
from designer.capacity.search import Settings
from designer.capacity.sweep import run_sweep
from designer.model import dumps, load_scenario, loads
from designer.resources import demo_path
from designer.sim.report import dumps_report, simulate

SHORT = 240.0   # simulated seconds: long enough to exhaust the demo's 1,024 ports


@pytest.fixture(scope="module")
def demo():
    return load_scenario(demo_path())


def driver() -> Driver:
    return Driver(SerialExecutor())


# ============================================================================ sweeps

def test_every_sweep_point_is_simulate_byte_for_byte(demo):
    varies = [parse_vary(demo, "flood.rate_per_s=3,9"), parse_vary(demo, "web.vms=3..4")]
    doc, texts = run_sweep(demo, varies, [42, 43], driver(), duration=SHORT,
                           source="demo.outbound.json")
    assert len(doc["points"]) == 2 * 2 * 2
    assert [p["values"] for p in doc["points"][:3]] == [
        {"flood.rate_per_s": 3, "web.vms": 3}, {"flood.rate_per_s": 3, "web.vms": 3},
        {"flood.rate_per_s": 3, "web.vms": 4}]
    for point, text in zip(doc["points"], texts):
        edited = demo
        for vary in varies:
            edited = vary.apply(edited, point["values"][vary.path])
        expected = dumps_report(simulate(edited, duration=SHORT, seed=point["seed"],
                                         source="demo.outbound.json"))
        assert text == expected
        report = json.loads(text)
        assert point["vms"]["web-1"]["failed_snat"] == report["vms"]["web-1"]["flows"]["failed_snat"]
        assert point["totals"]["attempted"] == sum(v["flows"]["attempted"]
                                                   for v in report["vms"].values())
    # 9 flows/s hold ~245 s each: far beyond 1,024 ports; 3 flows/s (~735) fits
    by_rate = {p["values"]["flood.rate_per_s"]: p for p in doc["points"]}
    assert by_rate[9]["vms"]["web-1"]["failed_snat"] > 0
    assert by_rate[3]["vms"]["web-1"]["failed_snat"] == 0
    assert doc["points"][2]["vms"].keys() > {"web-4"}


def test_estimate_matches_the_documented_example():
    """scenario-format.md section 2: 20 flows/s held ~5 s then 240 s after FIN need about
    4,900 ports; at 2 flows/s about 490."""
    s = loads(json.dumps(_example(20)))
    loads_ = estimate.key_loads(s, "web-1", "tcp", "load_balancer", 600.0)
    assert round(max(loads_.values())) == 4900
    s2 = loads(json.dumps(_example(2)))
    mean = max(estimate.key_loads(s2, "web-1", "tcp", "load_balancer", 600.0).values())
    assert round(mean) == 490
    for mean in (0.5, 67.0, 490.0):
        k = estimate.poisson_quantile(mean)
        assert _cdf(mean, k) >= 0.99 > _cdf(mean, k - 1)
    # above a mean of 700: the normal approximation, 4,900 + 2.326 x 70 = 5,063
    assert estimate.poisson_quantile(4900) == 5063


def _cdf(mean: float, k: int) -> float:
    """P(Poisson(mean) <= k), summed in log space (independent of the estimate's loop)."""
    import math
    return sum(math.exp(i * math.log(mean) - mean - math.lgamma(i + 1)) for i in range(k + 1))


def _example(rate: float) -> dict:
    return {"format": "outbound-designer", "version": 1, "name": "example", "seed": 7,
            "nodes": [{"id": "web-1", "kind": "vm"},
                      {"id": "lb", "kind": "load_balancer", "sku": "basic",
                       "rules": [{"name": "http", "frontend": "lb-ip"}]},
                      {"id": "lb-ip", "kind": "public_ip", "address": "52.0.0.10"},
                      {"id": "api", "kind": "endpoint", "address": "20.50.1.4"},
                      {"id": "gen", "kind": "traffic_generator", "rate_per_s": rate,
                       "hold": {"distribution": "exponential", "mean_s": 5}}],
            "links": [{"from": "lb", "to": "lb-ip"}, {"from": "lb", "to": "web-1"},
                      {"from": "gen", "to": "web-1"}, {"from": "gen", "to": "api"}]}


def test_pruned_points_say_so_and_the_rest_are_simulated(demo):
    varies = [parse_vary(demo, "flood.rate_per_s=1,4,20")]
    doc, texts = run_sweep(demo, varies, [42], driver(), duration=SHORT, prune=True)
    verdicts = [p.get("estimate_verdict") for p in doc["points"]]
    assert verdicts == ["holds", None, "fails"]
    assert texts[0] is None and texts[2] is None and texts[1] is not None
    assert "totals" in doc["points"][1] and doc["points"][0]["simulated"] is False


def _nat_subnet(vms: int, rate: float) -> dict:
    """``vms`` VMs in one subnet behind a NAT gateway with one IP, each opening ``rate``
    flows/s to one endpoint, held 100 s then closed with FIN (cool-down 65 s, M-B9)."""
    nodes = [{"id": "s", "kind": "subnet", "prefix": "10.0.0.0/22"},
             {"id": "nat", "kind": "nat_gateway"},
             {"id": "ip", "kind": "public_ip", "sku": "standard"},
             {"id": "api", "kind": "endpoint", "address": "20.50.1.4"},
             {"id": "gen", "kind": "traffic_generator", "rate_per_s": rate,
              "hold": {"distribution": "fixed", "mean_s": 100}}]
    links = [{"from": "nat", "to": "s"}, {"from": "nat", "to": "ip"},
             {"from": "gen", "to": "s"}, {"from": "gen", "to": "api"}]
    for i in range(vms):
        nodes.append({"id": f"vm-{i}", "kind": "vm"})
        links.append({"from": f"vm-{i}", "to": "s"})
    return {"format": "outbound-designer", "version": 1, "name": "nat", "seed": 5,
            "semantics": "modern", "nodes": nodes, "links": links}


def test_estimate_behind_a_nat_gateway_adds_up_every_vm_it_serves():
    """M-B8: a NAT gateway's ports are shared by every VM of its subnets, and toward one
    destination at most 50,000 per IP. 40 VMs x 10 flows/s x (100 s + 65 s) = 66,000 ports
    to one endpoint: far beyond one IP, though each VM alone needs about 1,650. The estimate
    and the pruned sweep used to look at one VM against 64,512 and call it 'holds'."""
    s = loads(json.dumps(_nat_subnet(40, 10.0)))
    report = simulate(s, duration=1.0, seed=5)
    est = estimate.estimate_vms(s, report, 600.0)
    assert est["vm-0"]["ports_needed_mean"] == 66000.0 == est["vm-39"]["ports_needed_mean"]
    assert estimate.key_capacity(s, "vm-0", "nat_gateway", 64512) == 50000
    assert estimate.rate_for_ports(s, "vm-0", "tcp", "nat_gateway", 600.0, 64512) < 0.8
    doc, texts = run_sweep(s, [parse_vary(s, "gen.rate_per_s=0.1,10")], [5], driver(),
                           duration=600.0, prune=True)
    assert [p["estimate_verdict"] for p in doc["points"]] == ["holds", "fails"]
    assert texts == [None, None]


@pytest.mark.parametrize("text, message", [
    ("flood.rate=1,2", "has no field 'rate'"),
    ("nobody.rate_per_s=1", "no node with id 'nobody'"),
    ("lb.outbound_rules[0].allocated_ports=8", "has 0 outbound_rules"),
    ("lb.rules.idle_timeout_min=4", "is a list; name one"),
    ("flood.rate_per_s=5:1:1", "has no values"),
    ("nat.idle_timeout_min=2,4", "below the smallest allowed value 4"),
    ("web-1.vms=2", "varied on a subnet or load balancer"),
    ("flood.rate_per_s", "expected PATH=VALUES"),
])
def test_bad_vary_paths_say_what_is_wrong(demo, text, message):
    with pytest.raises(VaryError, match=message):
        parse_vary(demo, text)


def test_vary_values_and_counts(demo):
    assert parse_vary(demo, "web.vms=10:100:10").values == tuple(range(10, 101, 10))
    assert parse_vary(demo, "nat.public_ips=1..4").values == (1, 2, 3, 4)
    assert parse_vary(demo, "flood.hold.mean_s=0.5:1.5:0.5").values == (0.5, 1, 1.5)
    assert parse_vary(demo, "lb.rules[0].idle_timeout_min=4,30").values == (4, 30)
    more = parse_vary(demo, "web.vms=1..5").apply(demo, 5)
    assert more.topology.vms_in_subnet("web") == ["web-1", "web-2", "web-3", "web-4", "web-5"]
    # copies of the last VM keep its pool membership and its generator
    assert "web-5" in more.topology.backend_pool("lb")
    assert "web-5" in more.topology.generator_sources("pooled")
    fewer = parse_vary(demo, "web.vms=1..5").apply(demo, 1)
    assert fewer.topology.vms_in_subnet("web") == ["web-1"]
    ips = parse_vary(demo, "nat.public_ips=1..4").apply(demo, 3)
    assert len(ips.topology.nat_public_ips("nat")) == 3
    assert demo.topology.vms_in_subnet("web") == ["web-1", "web-2", "web-3"]   # untouched
    loads(dumps(more)), loads(dumps(ips))    # edited copies are valid files


# ============================================================================ fixes

@pytest.fixture(scope="module")
def demo_fixes(demo):
    settings = Settings((42,), SHORT, 60.0, "demo.outbound.json")
    return compare(demo, settings, driver())


def test_demo_fixes_find_the_documented_smallest_settings(demo, demo_fixes):
    doc = demo_fixes
    assert doc["format"] == "outbound-designer-fixes" and doc["failing_vms"] == ["web-1"]
    by_kind = {v["kind"]: v for v in doc["variants"]}
    assert not by_kind["original"]["holds"] and by_kind["original"]["failed_snat"]["min"] > 0
    # NAT gateway: one IP's 64,512 ports (M-B8) hold ~10 flows/s x (5 s + 65 s FIN cool-down)
    assert by_kind["nat_gateway"]["setting"] == {"subnet": "web", "public_ips": 1}
    assert by_kind["nat_gateway"]["allocated"] == 64512
    # outbound rule: the smallest multiple of 8 at or above the peak of an unconstrained run
    roomy, _ = edits.set_outbound_rule(demo, "lb", ports=16000)
    peak = simulate(roomy, duration=SHORT, seed=42)["vms"]["web-1"]["snat_ports_used_peak"]
    rule = by_kind["outbound_rule_ports"]
    assert rule["setting"]["allocated_ports"] == -(-peak // 8) * 8
    assert rule["public_ips"] == 0 and rule["holds"]
    one_less, _ = edits.set_outbound_rule(demo, "lb", ports=rule["setting"]["allocated_ports"] - 8)
    assert simulate(one_less, duration=SHORT, seed=42)["vms"]["web-1"]["flows"]["failed_snat"] > 0
    # headroom: found by bisection, and the variant does fail a little above it
    assert rule["headroom_rate"] is not None and 10 < rule["headroom_rate"] < 20
    # connection pool: sized to the p99 of requests in flight (10/s x 5 s -> Poisson p99 67)
    assert by_kind["connection_pool"]["setting"] == {"generator": "flood", "pool_size": 67}
    assert by_kind["instance_ip"]["holds"]
    assert {n["kind"] for n in doc["not_applicable"]} == {"frontend_ips"}
    assert doc["smallest_holding"] == "outbound_rule_ports"


def test_each_variant_is_its_scenario_simulated(demo_fixes):
    for variant in demo_fixes["variants"]:
        scenario = loads(json.dumps(variant["scenario"]))
        report = simulate(scenario, duration=SHORT, seed=42, source="demo.outbound.json")
        failed = sum(v["flows"]["failed_snat"] for v in report["vms"].values())
        assert failed == variant["failed_snat"]["mean"], variant["kind"]
        assert variant["holds"] == (failed == 0)


def test_nat_gateway_needs_two_ips_beyond_50000_flows_to_one_destination():
    """M-B8: at most 50,000 concurrent connections per NAT public IP to one destination.
    About 60,000 flows held for good to one endpoint need 2 IPs, and bisection says so."""
    s = loads(json.dumps({
        "format": "outbound-designer", "version": 1, "name": "busy", "seed": 3,
        "semantics": "modern",
        "nodes": [{"id": "s", "kind": "subnet", "prefix": "10.0.0.0/24"},
                  {"id": "vm-1", "kind": "vm"}, {"id": "ip", "kind": "public_ip",
                                                  "sku": "standard"},
                  {"id": "api", "kind": "endpoint", "address": "20.50.1.4"},
                  {"id": "gen", "kind": "traffic_generator", "rate_per_s": 500,
                   "hold": {"distribution": "fixed", "mean_s": 1000}}],
        "links": [{"from": "vm-1", "to": "s"}, {"from": "vm-1", "to": "ip",
                                                "kind": "instance_ip"},
                  {"from": "gen", "to": "vm-1"}, {"from": "gen", "to": "api"}]}))
    # the VM leaves through its instance IP (never exhausted): start from a NAT gateway of 1
    s, _ = edits.attach_nat_gateway(s, "vm-1", 1)
    settings = Settings((3,), 120.0, 60.0, "busy")
    doc = compare(s, settings, driver(), kinds=("nat_gateway",), with_headroom=False)
    assert doc["failing_vms"] == ["vm-1"]
    nat = next(v for v in doc["variants"] if v["kind"] == "nat_gateway")
    assert nat["setting"]["public_ips"] == 2 and nat["holds"]


def test_more_frontend_ips_double_a_default_allocation_below_its_cap():
    """M-B4: MIN(table x frontends, 1,024): a pool of 60 gets 512 ports per VM with one
    frontend and 1,024 with two. A VM needing ~700 fails with one and holds with one more IP."""
    nodes = [{"id": f"vm-{i}", "kind": "vm"} for i in range(1, 61)]
    nodes += [{"id": "lb", "kind": "load_balancer", "sku": "standard",
               "rules": [{"name": "http", "frontend": "ip-1"}]},
              {"id": "ip-1", "kind": "public_ip", "sku": "standard", "address": "52.0.0.1"},
              {"id": "api", "kind": "endpoint", "address": "20.50.1.4"},
              {"id": "gen", "kind": "traffic_generator", "rate_per_s": 2.8,
               "hold": {"distribution": "fixed", "mean_s": 5}}]
    links = [{"from": "lb", "to": "ip-1"}] + [{"from": "lb", "to": f"vm-{i}"}
                                               for i in range(1, 61)]
    links += [{"from": "gen", "to": "vm-1"}, {"from": "gen", "to": "api"}]
    s = loads(json.dumps({"format": "outbound-designer", "version": 1, "name": "pool of 60",
                          "semantics": "modern", "seed": 5, "nodes": nodes, "links": links}))
    doc = compare(s, Settings((5,), 400.0, 60.0, "x"), driver(), kinds=("frontend_ips",),
                  with_headroom=False)
    assert doc["variants"][0]["allocated"] == 512 and doc["failing_vms"] == ["vm-1"]
    fronts = doc["variants"][1]
    assert fronts["kind"] == "frontend_ips" and fronts["holds"]
    assert fronts["setting"]["added_frontend_ips"] == 1 and fronts["allocated"] == 1024


def test_classic_offers_the_2017_options_and_says_why_not_the_others():
    s = loads(json.dumps(_example(20)))
    doc = compare(s, Settings((7,), 300.0, 60.0, "example"), driver())
    kinds = [v["kind"] for v in doc["variants"]]
    assert kinds == ["original", "instance_ip", "connection_pool"]
    reasons = {n["kind"]: n["reason"] for n in doc["not_applicable"]}
    assert "M-A1" in reasons["nat_gateway"] and "M-A1" in reasons["outbound_rule_ports"]
    assert "not modelled" in reasons["retry_backoff"]
    assert all(v["holds"] for v in doc["variants"][1:])
    pool = doc["variants"][2]
    # the instance IP is Basic in the 2017 world (M-A1)
    ip = doc["variants"][1]["scenario"]
    assert any(n["kind"] == "public_ip" and n["id"] == "web-1-ip" and n.get("sku", "basic")
               == "basic" for n in ip["nodes"])
    assert pool["setting"]["pool_size"] == estimate.poisson_quantile(20 * 5)


def test_basic_load_balancer_in_modern_semantics_gets_no_outbound_rule():
    doc_in = _example(20)
    doc_in["semantics"] = "modern"
    s = loads(json.dumps(doc_in))
    doc = compare(s, Settings((7,), 200.0, 60.0, "x"), driver(),
                  kinds=("outbound_rule_ports", "instance_ip"))
    reasons = {n["kind"]: n["reason"] for n in doc["not_applicable"]}
    assert "Basic load balancer" in reasons["outbound_rule_ports"]


def test_a_scenario_that_holds_has_nothing_to_fix():
    s = loads(json.dumps(_example(1)))
    doc = compare(s, Settings((7,), 120.0, 60.0, "x"), driver())
    assert doc["failing_vms"] == [] and [v["kind"] for v in doc["variants"]] == ["original"]


def test_outbound_rule_edit_adds_frontends_when_the_budget_runs_out(demo):
    """M-B5: ports x pool <= 64,000 per IP (minus LB-rule blocks): 3 VMs x 30,000 ports need
    a second frontend IP."""
    out, what = edits.set_outbound_rule(demo, "lb", ports=30000)
    assert len(what["frontends"]) == 2 and len(what["new_ips"]) == 1
    assert what["disabled_snat"] == ["http"]
    lb = out.topology.node("lb")
    assert lb.outbound_rules[0].allocated_ports == 30000
    assert lb.rules[0].disable_outbound_snat and not demo.topology.node("lb").rules[0] \
        .disable_outbound_snat
    from designer.model.validation import validate
    assert not [f for f in validate(out) if f.severity == "error"]
