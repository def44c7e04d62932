"""Every validation rule: one topology that triggers it and a close one that does not.

Each case names its code; the Azure rule it applies is cited in the case's comment and in
docs/validation.md.  A documentation test checks that every code tested here is documented
and every documented code is tested.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from designer.model import LbRule, Link, NsgRule, OutboundRule, Probe
from designer.model import validation as v
from designer.model.validation import Finding, validate

from model_builders import Spec, web_tier

DOCS = Path(__file__).resolve().parents[2] / "docs" / "validation.md"


def codes(spec: Spec) -> set[str]:
    return {f.code for f in validate(spec.build())}


def modern() -> Spec:
    return web_tier("modern")


def classic() -> Spec:
    return web_tier("classic")


def with_outbound(spec: Spec, ports: int = 1024, frontends=("out-ip",), vms: int = 2,
                  **rule) -> Spec:
    """A modern web tier whose LB also has an outbound rule on a second frontend."""
    spec.add("out-ip", "public_ip", sku="standard", address="52.0.0.20")
    spec.link("lb", "out-ip", "frontend")
    for i in range(3, vms + 1):
        spec.add(f"web-{i}", "vm").link(f"web-{i}", "sub", "in_subnet").link("lb", f"web-{i}",
                                                                            "backend")
    spec.set("lb", outbound_rules=(OutboundRule(name="out", frontends=tuple(frontends),
                                                allocated_ports=ports, **rule),))
    return spec


def nat(spec: Spec, n_ips: int = 1, sku: str = "standard") -> Spec:
    spec.add("nat", "nat_gateway").link("nat", "sub", "nat")
    for i in range(n_ips):
        spec.add(f"nat-ip-{i}", "public_ip", sku=sku, address=f"52.1.0.{i + 1}")
        spec.link("nat", f"nat-ip-{i}", "nat")
    return spec


def nsg(spec: Spec, *rules: NsgRule) -> Spec:
    return spec.add("nsg", "nsg", rules=rules).link("nsg", "sub", "nsg")


def out_rule(name="r", priority=200, direction="outbound", **kw) -> NsgRule:
    return NsgRule(name=name, priority=priority, direction=direction, **kw)


def big_pool(spec: Spec, size: int) -> Spec:
    for i in range(3, size + 1):  # web-1 and web-2 are already in the pool
        spec.add(f"p-{i}", "vm").link("lb", f"p-{i}", "backend")
    return spec


# (code, triggering spec, close spec that does not trigger it)
CASES: list[tuple[str, Callable[[], Spec], Callable[[], Spec]]] = [
    # ---- ids, links and multiplicity
    ("link-limit",  # a NIC is in one subnet (LINK_RULES max_out of in_subnet)
     lambda: classic().add("sub2", "subnet", prefix="10.0.2.0/24").link("sub2", "vnet", "in_vnet")
     .link("web-1", "sub2", "in_subnet"),
     lambda: classic().add("sub2", "subnet", prefix="10.0.2.0/24").link("sub2", "vnet", "in_vnet")),
    ("public-ip-attached-twice",  # frontend + instance IP
     lambda: classic().link("web-1", "lb-ip", "instance_ip"),
     lambda: classic().add("ilpip", "public_ip").link("web-1", "ilpip", "instance_ip")),
    ("lb-rule-name-duplicate",
     lambda: classic().set("lb", rules=(LbRule(name="http", frontend="lb-ip", frontend_port=80),
                                        LbRule(name="http", frontend="lb-ip", frontend_port=81))),
     lambda: classic().set("lb", rules=(LbRule(name="http", frontend="lb-ip", frontend_port=80),
                                        LbRule(name="http2", frontend="lb-ip", frontend_port=81)))),
    ("lb-rule-unknown-frontend",
     lambda: classic().set("lb", rules=(LbRule(name="http", frontend="nowhere"),)),
     classic),
    ("lb-rule-frontend-port-duplicate",
     lambda: classic().set("lb", rules=(LbRule(name="a", frontend="lb-ip", frontend_port=80),
                                        LbRule(name="b", frontend="lb-ip", frontend_port=80,
                                               protocol="all"))),
     lambda: classic().set("lb", rules=(LbRule(name="a", frontend="lb-ip", frontend_port=80),
                                        LbRule(name="b", frontend="lb-ip", frontend_port=80,
                                               protocol="udp")))),
    ("outbound-rule-unknown-frontend",
     lambda: with_outbound(modern(), frontends=("out-ip", "stray")),
     lambda: with_outbound(modern())),
    ("outbound-rule-no-frontend",
     lambda: with_outbound(modern(), frontends=()),
     lambda: with_outbound(modern())),
    # ---- load balancer shape
    ("internal-lb-public-frontend",
     lambda: classic().set("lb", type="internal"),
     lambda: classic().set("lb", type="internal", rules=()).unlink("lb", "lb-ip", "frontend")),
    ("public-lb-no-frontend",
     lambda: classic().set("lb", rules=()).unlink("lb", "lb-ip", "frontend"),
     classic),
    ("pool-beyond-table",  # M-A5: the table ends at 801-1,000
     lambda: big_pool(classic(), 1001),
     lambda: big_pool(classic(), 1000)),
    # ---- SKUs (§1.5)
    (v.LB_IP_SKU_MISMATCH,
     lambda: modern().set("lb-ip", sku="basic"),
     modern),
    (v.SKU_MIX,  # a VM in a Basic and a Standard pool
     lambda: modern().add("lb-b", "load_balancer", sku="basic").link("lb-b", "web-1", "backend"),
     lambda: modern().add("lb-b", "load_balancer", sku="standard").link("lb-b", "web-1",
                                                                        "backend")),
    ("nat-gateway-basic-sku",  # a Basic IP on the NAT gateway
     lambda: nat(modern(), sku="basic"),
     lambda: nat(modern())),
    ("basic-lb-retired",  # modern: Basic LB retired 30 Sep 2025 (warning)
     lambda: modern().set("lb", sku="basic").set("lb-ip", sku="basic"),
     modern),
    ("tcp-reset-needs-standard",
     lambda: modern().set("lb", sku="basic").set("lb-ip", sku="basic").set(
         "lb", rules=(LbRule(name="http", frontend="lb-ip", enable_tcp_reset=True),)),
     lambda: modern().set("lb", rules=(LbRule(name="http", frontend="lb-ip",
                                              enable_tcp_reset=True),))),
    ("https-probe-needs-standard",
     lambda: modern().set("lb", sku="basic", probe=Probe(protocol="https", port=443))
     .set("lb-ip", sku="basic"),
     lambda: modern().set("lb", probe=Probe(protocol="https", port=443))),
    ("outbound-rule-needs-standard",
     lambda: with_outbound(modern()).set("lb", sku="basic").set("lb-ip", sku="basic")
     .set("out-ip", sku="basic"),
     lambda: with_outbound(modern())),
    ("outbound-rule-needs-public-lb",
     lambda: with_outbound(modern()).set("lb", type="internal"),
     lambda: with_outbound(modern())),
    # ---- outbound rules (M-B5, M-B16)
    (v.NOT_MULTIPLE_OF_EIGHT,
     lambda: with_outbound(modern(), ports=1001),
     lambda: with_outbound(modern(), ports=1000)),
    (v.EXCEEDS_AVAILABLE,  # §2.4: 10,000 x 7 VMs > 64,000 on one IP
     lambda: with_outbound(modern(), ports=10_000, vms=7),
     lambda: with_outbound(modern(), ports=9_136, vms=7)),
    (v.EXCEEDS_ALLOWED_PER_RULE,  # one instance gets at most one IP's 64,000 (§2.4)
     lambda: with_outbound(modern(), ports=64_008, frontends=("out-ip", "lb-ip"))
     .unlink("lb", "web-2", "backend").set("lb", rules=()),
     lambda: with_outbound(modern(), ports=64_000).unlink("lb", "web-2", "backend")),
    (v.LB_RULE_MUST_DISABLE_SNAT,  # M-B5
     lambda: with_outbound(modern(), frontends=("lb-ip",)),
     lambda: with_outbound(modern(), frontends=("lb-ip",)).set(
         "lb", rules=(LbRule(name="http", frontend="lb-ip", disable_outbound_snat=True),))),
    (v.OUTBOUND_RULES_SHARE_FRONTEND,
     lambda: with_outbound(modern()).set("lb", outbound_rules=(
         OutboundRule(name="a", frontends=("out-ip",), protocol="all", allocated_ports=8000),
         OutboundRule(name="b", frontends=("out-ip",), protocol="tcp", allocated_ports=8000))),
     lambda: with_outbound(modern()).set("lb", outbound_rules=(
         OutboundRule(name="a", frontends=("out-ip",), protocol="udp", allocated_ports=8000),
         OutboundRule(name="b", frontends=("out-ip",), protocol="tcp", allocated_ports=8000)))),
    # ---- NAT gateway (M-B8, §2.7)
    ("nat-gateway-no-ip",
     lambda: nat(modern(), n_ips=0),
     lambda: nat(modern(), n_ips=1)),
    ("nat-gateway-too-many-ips",
     lambda: nat(modern(), n_ips=17),
     lambda: nat(modern(), n_ips=16)),
    ("nat-gateway-unused",
     lambda: nat(modern()).unlink("nat", "sub", "nat"),
     lambda: nat(modern())),
    ("nat-gateway-multiple-vnets",
     lambda: nat(modern()).add("vnet2", "vnet", address_space=("10.1.0.0/16",))
     .add("sub2", "subnet", prefix="10.1.1.0/24").link("sub2", "vnet2", "in_vnet")
     .link("nat", "sub2", "nat"),
     lambda: nat(modern()).add("sub2", "subnet", prefix="10.0.2.0/24")
     .link("sub2", "vnet", "in_vnet").link("nat", "sub2", "nat")),
    # ---- NSGs (§4.1, M-A11, M-B13)
    ("nsg-priority-out-of-range",
     lambda: nsg(modern(), out_rule(priority=4097)),
     lambda: nsg(modern(), out_rule(priority=4096))),
    ("nsg-priority-duplicate",
     lambda: nsg(modern(), out_rule("a", 200), out_rule("b", 200)),
     lambda: nsg(modern(), out_rule("a", 200), out_rule("b", 200, direction="inbound"))),
    ("nsg-rule-name-duplicate",
     lambda: nsg(modern(), out_rule("a", 200), out_rule("a", 300)),
     lambda: nsg(modern(), out_rule("a", 200), out_rule("b", 300))),
    # ---- traffic generators
    ("generator-no-source",
     lambda: classic().unlink("gen", "web-1", "source"),
     classic),
    ("generator-sources-empty",
     lambda: classic().unlink("gen", "web-1", "source").add("empty", "subnet",
                                                            prefix="10.0.9.0/24")
     .link("empty", "vnet", "in_vnet").link("gen", "empty", "source"),
     lambda: classic().unlink("gen", "web-1", "source").link("gen", "sub", "source")),
    ("generator-no-destination",
     lambda: classic().unlink("gen", "api", "destination"),
     classic),
    ("inbound-generator-destination-not-frontend",
     lambda: classic().set("gen", direction="inbound").unlink("gen", "web-1", "source"),
     lambda: classic().set("gen", direction="inbound").unlink("gen", "web-1", "source")
     .unlink("gen", "api", "destination").link("gen", "lb-ip", "destination")),
    ("generator-stops-before-start",
     lambda: classic().set("gen", start_s=100.0, stop_s=50.0),
     lambda: classic().set("gen", start_s=50.0, stop_s=100.0)),
    # ---- subnets, VNets and addresses
    ("subnet-overlap",
     lambda: classic().add("sub2", "subnet", prefix="10.0.1.128/25").link("sub2", "vnet",
                                                                          "in_vnet"),
     lambda: classic().add("sub2", "subnet", prefix="10.0.2.0/25").link("sub2", "vnet",
                                                                        "in_vnet")),
    ("subnet-outside-vnet",
     lambda: classic().set("sub", prefix="10.1.1.0/24"),
     classic),
    ("subnet-too-small",
     lambda: classic().set("sub", prefix="10.0.1.0/30"),
     lambda: classic().set("sub", prefix="10.0.1.0/29")),
    ("cidr-host-bits",
     lambda: classic().set("sub", prefix="10.0.1.7/24"),
     classic),
    ("subnet-full",  # a /29 holds 3 VMs (5 addresses reserved)
     lambda: classic().set("sub", prefix="10.0.1.0/29").add("web-3", "vm")
     .link("web-3", "sub", "in_subnet").add("web-4", "vm").link("web-4", "sub", "in_subnet"),
     lambda: classic().set("sub", prefix="10.0.1.0/29").add("web-3", "vm")
     .link("web-3", "sub", "in_subnet")),
    ("vm-ip-outside-subnet",
     lambda: classic().set("web-1", private_ip="10.0.2.4"),
     lambda: classic().set("web-1", private_ip="10.0.1.4")),
    ("vm-ip-reserved",  # Azure reserves .0-.3 and the last address
     lambda: classic().set("web-1", private_ip="10.0.1.3"),
     lambda: classic().set("web-1", private_ip="10.0.1.4")),
    ("vm-ip-duplicate",
     lambda: classic().set("web-1", private_ip="10.0.1.10").set("web-2", private_ip="10.0.1.10"),
     lambda: classic().set("web-1", private_ip="10.0.1.10").set("web-2", private_ip="10.0.1.11")),
    ("vm-implied-subnet",
     lambda: classic().unlink("web-2", "sub", "in_subnet"),
     classic),
    ("udr-not-modelled",
     lambda: modern().set("sub", default_route="virtual_appliance"),
     modern),
    # ---- semantics (M-A1, M-A8, §8)
    ("classic-standard-sku",
     lambda: classic().set("lb", sku="standard").set("lb-ip", sku="standard"),
     lambda: modern()),
    ("classic-outbound-rule",
     lambda: _classic_outbound(),
     lambda: with_outbound(modern())),
    ("classic-nat-gateway",
     lambda: _as_classic(nat(classic(), sku="basic")),
     lambda: nat(modern())),
    ("classic-tcp-reset",
     lambda: classic().set("lb", rules=(LbRule(name="http", frontend="lb-ip",
                                               enable_tcp_reset=True),)),
     classic),
    ("classic-https-probe",
     lambda: classic().set("lb", probe=Probe(protocol="https", port=443)),
     lambda: classic().set("lb", probe=Probe(protocol="http", port=80))),
    ("classic-probe-count",  # M-A10: numberOfProbes >= 2
     lambda: classic().set("lb", probe=Probe(port=80, interval_s=15, count=1)),
     lambda: classic().set("lb", probe=Probe(port=80, interval_s=15, count=2))),
    ("classic-probe-window",  # M-A10: interval x count <= 120 s
     lambda: classic().set("lb", probe=Probe(port=80, interval_s=15, count=9)),
     lambda: classic().set("lb", probe=Probe(port=80, interval_s=15, count=8))),
    ("classic-private-subnet",
     lambda: classic().set("sub", private=True),
     lambda: modern().set("sub", private=True)),
    ("classic-idle-timeout-fixed",  # M-A8
     lambda: classic().set("lb", rules=(LbRule(name="http", frontend="lb-ip",
                                               idle_timeout_min=10),)),
     lambda: modern().set("lb", rules=(LbRule(name="http", frontend="lb-ip",
                                              idle_timeout_min=10),))),
    ("option-not-applicable",
     lambda: _with_options(modern(), port_reuse_key="ip_port"),
     lambda: _with_options(classic(), port_reuse_key="ip_port")),
]


def _as_classic(spec: Spec) -> Spec:
    spec.semantics = "classic"
    return spec


def _classic_outbound() -> Spec:
    spec = with_outbound(modern())
    for node in ("lb", "lb-ip", "out-ip"):
        spec.set(node, sku="basic")
    return _as_classic(spec)


def _with_options(spec: Spec, **options) -> Spec:
    spec.options.update(options)
    return spec


CASE_IDS = [c[0] for c in CASES]
#: findings about the scenario as a whole (no node)
SCENARIO_CODES = {"option-not-applicable"}


@pytest.mark.parametrize("semantics", ["classic", "modern"])
def test_reference_topology_has_no_findings(semantics):
    assert validate(web_tier(semantics).build()) == []


@pytest.mark.parametrize("code,bad,good", CASES, ids=CASE_IDS)
def test_rule_triggers(code, bad, good):
    found = validate(bad().build())
    hits = [f for f in found if f.code == code]
    assert hits, f"{code} not raised; got {[f.format() for f in found]}"
    for finding in hits:
        assert finding.severity in v.SEVERITIES
        if code in SCENARIO_CODES:
            assert finding.node_id is None and finding.link is None
            continue
        assert finding.node_id or finding.link, "a finding names the node or link concerned"
        assert (finding.node_id or finding.link.source) in finding.message, finding.message


@pytest.mark.parametrize("code,bad,good", CASES, ids=CASE_IDS)
def test_rule_quiet_on_close_topology(code, bad, good):
    found = validate(good().build())
    assert code not in {f.code for f in found}, [f.format() for f in found]


# -------------------------------------------------------------------- documented numbers

def test_outbound_rule_6392_per_instance_message():
    """§2.4 / I15: 10 backends on one IP with one LB rule on it -> at most 6,392 each."""
    def spec(ports):
        s = with_outbound(modern(), ports=ports, frontends=("lb-ip",), vms=10)
        return s.set("lb", rules=(LbRule(name="http", frontend="lb-ip", frontend_port=80,
                                         disable_outbound_snat=True),))
    found = [f for f in validate(spec(6400).build()) if f.code == v.EXCEEDS_AVAILABLE]
    assert len(found) == 1 and found[0].severity == "error"
    assert "63,992" in found[0].message and "6,392 per instance" in found[0].message
    assert v.EXCEEDS_AVAILABLE not in codes(spec(6392))


def test_outbound_rule_two_vms_get_at_most_32000_each():
    """§2.4: one VM can receive up to 64,000 from one IP; two VMs at most 32,000 each."""
    assert v.EXCEEDS_AVAILABLE not in codes(with_outbound(modern(), ports=32_000, vms=2))
    assert v.EXCEEDS_AVAILABLE in codes(with_outbound(modern(), ports=32_008, vms=2))
    one = with_outbound(modern(), ports=64_000).unlink("lb", "web-2", "backend")
    assert v.EXCEEDS_AVAILABLE not in codes(one)


def test_outbound_rule_ports_add_up_over_frontends():
    """M-B5: the budget is the sum over the rule's IPs (2 x 64,000 for two IPs)."""
    def spec(ports):
        s = with_outbound(modern(), ports=ports, vms=4)
        s.add("out-ip-2", "public_ip", sku="standard").link("lb", "out-ip-2", "frontend")
        s.set("lb", outbound_rules=(OutboundRule(name="out", frontends=("out-ip", "out-ip-2"),
                                                 allocated_ports=ports),))
        return s
    assert v.EXCEEDS_AVAILABLE not in codes(spec(32_000))
    assert v.EXCEEDS_AVAILABLE in codes(spec(32_008))


def test_outbound_rule_zero_ports_uses_the_default_table():
    """M-B5: P = 0 reverts to the default table, never an allocation error."""
    found = codes(with_outbound(modern(), ports=0, vms=100))
    assert not found & {v.EXCEEDS_AVAILABLE, v.NOT_MULTIPLE_OF_EIGHT}


def test_outbound_scale_out_zero_ports_option_makes_it_a_warning():
    """Option outbound_scale_out=zero_ports (M-B5): the overflow is a warning, not an error."""
    spec = _with_options(with_outbound(modern(), ports=10_000, vms=7),
                         outbound_scale_out="zero_ports")
    found = [f for f in validate(spec.build()) if f.code == v.EXCEEDS_AVAILABLE]
    assert [f.severity for f in found] == ["warning"]


def test_nsg_priority_compat_under_classic_allows_65499():
    """M-A11: custom priorities 100-4096; up to 65499 behind the compatibility flag."""
    base = lambda p: nsg(classic(), out_rule(priority=p))  # noqa: E731
    assert "nsg-priority-out-of-range" in codes(base(65499))
    assert "nsg-priority-out-of-range" not in codes(
        _with_options(base(65499), nsg_priority_compat=True))
    assert "nsg-priority-out-of-range" in codes(
        _with_options(base(99), nsg_priority_compat=True))
    # the classic option means nothing under modern (M-B13): still 4096
    modern_compat = _with_options(nsg(modern(), out_rule(priority=5000)),
                                  nsg_priority_compat=True)
    assert {"nsg-priority-out-of-range", "option-not-applicable"} <= codes(modern_compat)


def test_public_ip_twice_of_one_kind():
    """A public IP that is the frontend of two load balancers is attached twice."""
    spec = classic().add("lb2", "load_balancer").link("lb2", "lb-ip", "frontend")
    found = [f for f in validate(spec.build()) if f.code == "public-ip-attached-twice"]
    assert len(found) == 1 and found[0].node_id == "lb-ip"
    assert "load balancer lb;" in found[0].message and "load balancer lb2" in found[0].message
    # reported once, not also as a link-limit problem
    assert "link-limit" not in codes(spec)


def test_public_ip_on_nat_and_as_instance_ip():
    spec = nat(modern()).link("web-1", "nat-ip-0", "instance_ip")
    found = [f for f in validate(spec.build()) if f.code == "public-ip-attached-twice"]
    assert found and "nat" in found[0].message and "web-1" in found[0].message


def test_sku_mix_basic_instance_ip_in_standard_pool():
    """Basic and Standard mixed in one pool: a Basic instance IP on a Standard pool member."""
    bad = modern().add("ilpip", "public_ip", sku="basic").link("web-1", "ilpip", "instance_ip")
    found = [f for f in validate(bad.build()) if f.code == v.SKU_MIX]
    assert len(found) == 1 and found[0].node_id == "web-1"
    assert "public IP ilpip" in found[0].message and "load balancer lb" in found[0].message
    good = modern().add("ilpip", "public_ip", sku="standard").link("web-1", "ilpip",
                                                                   "instance_ip")
    assert v.SKU_MIX not in codes(good)


def test_sku_mix_across_an_availability_set():
    """Azure checks the whole availability set: web-2 in a Standard pool and web-3 with a
    Basic instance IP in the same set are refused; in different sets they are fine."""
    def spec(other_set):
        s = modern().set("web-1", availability_set="web").set("web-2", availability_set="web")
        s.add("web-3", "vm", availability_set=other_set).link("web-3", "sub", "in_subnet")
        s.add("ilpip", "public_ip", sku="basic").link("web-3", "ilpip", "instance_ip")
        return s
    found = [f for f in validate(spec("web").build()) if f.code == v.SKU_MIX]
    assert len(found) == 1 and "availability set web (VMs web-1, web-2, web-3)" in \
        found[0].message
    assert v.SKU_MIX not in codes(spec("batch"))


def test_nat_gateway_subnet_with_basic_lb_or_basic_instance_ip():
    """§1.5: Basic LB / Basic public IP cannot coexist with a NAT gateway on a subnet."""
    basic_lb = nat(modern()).set("lb", sku="basic").set("lb-ip", sku="basic")
    assert "nat-gateway-basic-sku" in codes(basic_lb)
    basic_ilpip = nat(modern()).add("ilpip", "public_ip", sku="basic").link("web-2", "ilpip",
                                                                          "instance_ip")
    assert "nat-gateway-basic-sku" in codes(basic_ilpip)


def test_unknown_frontend_messages_say_why():
    spec = classic().add("other-ip", "public_ip").set(
        "lb", rules=(LbRule(name="a", frontend="other-ip", frontend_port=80),
                     LbRule(name="b", frontend="web-1", frontend_port=81),
                     LbRule(name="c", frontend="ghost", frontend_port=82)))
    messages = sorted(f.message for f in validate(spec.build())
                      if f.code == "lb-rule-unknown-frontend")
    assert len(messages) == 3
    assert "not linked as one of its frontends" in messages[0]
    assert "virtual machine, not a public IP" in messages[1]
    assert "no node with that id" in messages[2]
    assert all("lb-ip" in m for m in messages)  # names the frontends it does have


def test_internal_lb_rules_do_not_need_a_public_frontend():
    spec = classic().set("lb", type="internal").unlink("lb", "lb-ip", "frontend")
    assert codes(spec) == set()


def test_link_limit_messages():
    spec = classic().add("nsg-a", "nsg").add("nsg-b", "nsg").link("nsg-a", "web-1", "nsg") \
        .link("nsg-b", "web-1", "nsg")
    found = [f for f in validate(spec.build()) if f.code == "link-limit"]
    assert len(found) == 1 and found[0].node_id == "web-1"
    assert "nsg-a, nsg-b" in found[0].message


def test_subnet_overlap_reports_each_overlapping_subnet_once():
    spec = classic()
    for i, prefix in enumerate(["10.0.0.0/22", "10.0.2.0/24", "10.0.3.0/24", "10.0.8.0/24"]):
        spec.add(f"s{i}", "subnet", prefix=prefix).link(f"s{i}", "vnet", "in_vnet")
    found = [f for f in validate(spec.build()) if f.code == "subnet-overlap"]
    # s0 (10.0.0.0/22) covers sub (10.0.1.0/24), s1 and s2; s3 is clear
    assert sorted(f.node_id for f in found) == ["s1", "s2", "sub"]
    # subnets of different VNets may overlap
    other = classic().add("vnet2", "vnet", address_space=("10.0.0.0/16",)) \
        .add("sub2", "subnet", prefix="10.0.1.0/24").link("sub2", "vnet2", "in_vnet")
    assert "subnet-overlap" not in codes(other)


def test_duplicate_ip_is_per_vnet():
    spec = classic().add("vnet2", "vnet", address_space=("10.0.0.0/16",)) \
        .add("sub2", "subnet", prefix="10.0.1.0/24").link("sub2", "vnet2", "in_vnet") \
        .set("web-1", private_ip="10.0.1.10").add("db", "vm", private_ip="10.0.1.10") \
        .link("db", "sub2", "in_subnet")
    assert "vm-ip-duplicate" not in codes(spec)
    # an automatic address never collides with an explicit one
    auto = classic().set("web-1", private_ip="10.0.1.4")
    assert "vm-ip-duplicate" not in codes(auto)


def test_generator_muted_or_inbound_needs_no_source():
    inbound = classic().set("gen", direction="inbound").unlink("gen", "web-1", "source") \
        .unlink("gen", "api", "destination").link("gen", "lb-ip", "destination")
    assert codes(inbound) == set()


# -------------------------------------------------------------------- order and shape

def test_order_errors_then_warnings_then_info_then_node_id():
    spec = classic().unlink("web-2", "sub", "in_subnet").unlink("web-1", "sub", "in_subnet")
    spec.set("sub", default_route="vpn_gateway", private=True)
    spec.set("gen", start_s=10.0, stop_s=5.0)
    spec.add("zz", "traffic_generator").add("aa", "traffic_generator")
    found = validate(spec.build())
    ranks = [v.SEVERITIES.index(f.severity) for f in found]
    assert ranks == sorted(ranks)
    assert set(ranks) == {0, 1, 2}
    for severity in v.SEVERITIES:
        ids = [f.node_id or "" for f in found if f.severity == severity]
        assert ids == sorted(ids)
    assert found[0].node_id == "aa"


def test_finding_dict_and_format():
    f = Finding("error", "x-code", "it broke", node_id="n1", rule="M-B5")
    assert f.to_dict() == {"severity": "error", "code": "x-code", "message": "it broke",
                           "node": "n1", "rule": "M-B5"}
    assert f.format() == "error: n1: it broke [x-code]"
    g = Finding("warning", "y", "m", link=Link("a", "b", "nat"))
    assert g.to_dict()["link"] == {"from": "a", "to": "b", "kind": "nat"}
    assert "nat link a -> b" in g.format()


def test_validate_does_not_modify_the_scenario():
    from designer.model import dumps
    scenario = with_outbound(modern(), ports=10_001, vms=7).build()
    before = dumps(scenario)
    events = []
    scenario.topology.subscribe(events.append)
    validate(scenario)
    assert dumps(scenario) == before and events == []


def test_validate_accepts_a_snapshot():
    scenario = with_outbound(modern(), ports=1001).build()
    assert [f.code for f in validate(scenario.snapshot())] == \
        [f.code for f in validate(scenario)]


# -------------------------------------------------------------------- documentation

def documented_codes() -> dict[str, str]:
    """code -> documented severity, from the ``### `code``` headings of docs/validation.md."""
    text = DOCS.read_text(encoding="utf-8")
    return dict(re.findall(r"^### `([A-Za-z-]+)`\n\*\*(error|warning|info)\*\*", text,
                           flags=re.M))


def test_every_code_is_documented_and_every_documented_code_is_tested():
    documented = documented_codes()
    assert set(documented) == set(CASE_IDS)
    assert len(re.findall(r"^### ", DOCS.read_text(encoding="utf-8"), flags=re.M)) == \
        len(documented), "every heading names a code and its severity"


@pytest.mark.parametrize("code,bad,good", CASES, ids=CASE_IDS)
def test_documented_severity(code, bad, good):
    severities = {f.severity for f in validate(bad().build()) if f.code == code}
    assert severities == {documented_codes()[code]}


def test_every_literal_code_in_the_module_is_documented():
    source = Path(v.__file__).read_text(encoding="utf-8")
    literal = set(re.findall(r'self\.add\([^,]+,\s*"([a-z][a-z-]+)"', source))
    constants = {getattr(v, name) for name in dir(v)
                 if name.isupper() and isinstance(getattr(v, name), str)
                 and getattr(v, name).startswith(("Specified", "LoadBalancingRule", "MoreThan", "PublicIP",
                                            "DifferentSku"))}
    assert literal and len(constants) == 7
    assert (literal | constants) <= set(documented_codes())


@given(prefixlen=st.integers(27, 30), n_auto=st.integers(0, 40),
       explicit=st.lists(st.integers(0, 40), max_size=6))
def test_subnet_full_agrees_with_automatic_addresses(prefixlen, n_auto, explicit):
    """subnet-full flags exactly the VMs that Topology.private_ips() leaves without address."""
    spec = classic().set("sub", prefix=f"10.0.1.0/{prefixlen}")
    for i in range(n_auto):
        spec.add(f"auto-{i:02d}", "vm").link(f"auto-{i:02d}", "sub", "in_subnet")
    for i, host in enumerate(explicit):
        spec.add(f"fixed-{i}", "vm", private_ip=f"10.0.1.{host}").link(f"fixed-{i}", "sub",
                                                                      "in_subnet")
    scenario = spec.build()
    unaddressed = {vm for vm, ip in scenario.topology.private_ips().items() if not ip}
    flagged = {f.node_id for f in validate(scenario) if f.code == "subnet-full"}
    assert flagged == unaddressed


# -------------------------------------------------------------------- any topology

@st.composite
def random_scenarios(draw):
    """Random nodes of every kind with random links the link table allows (multiplicity
    ignored, as a hand-written file may), under either semantics."""
    from designer.model import LINK_RULES, NODE_KINDS, Scenario, make_component
    scenario = Scenario(semantics=draw(st.sampled_from(["classic", "modern"])))
    topo = scenario.topology
    kinds = draw(st.lists(st.sampled_from(NODE_KINDS), min_size=1, max_size=14))
    for i, kind in enumerate(kinds):
        fields = {}
        if kind in ("load_balancer", "public_ip"):
            fields["sku"] = draw(st.sampled_from(["basic", "standard"]))
        if kind == "load_balancer":
            fields["type"] = draw(st.sampled_from(["public", "internal"]))
            fields["rules"] = tuple(LbRule(name=draw(st.sampled_from("ab")),
                                           frontend=f"n{draw(st.integers(0, len(kinds)))}",
                                           frontend_port=draw(st.integers(0, 20)))
                                    for _ in range(draw(st.integers(0, 2))))
            fields["outbound_rules"] = tuple(
                OutboundRule(name="o", frontends=(f"n{draw(st.integers(0, len(kinds)))}",),
                             allocated_ports=draw(st.integers(0, 70_000)))
                for _ in range(draw(st.integers(0, 1))))
        if kind == "vm":
            fields["private_ip"] = draw(st.sampled_from([None, "10.0.0.4", "10.0.0.0",
                                                         "10.255.0.9", "192.168.1.1"]))
            fields["availability_set"] = draw(st.sampled_from([None, "s"]))
        if kind == "subnet":
            fields["prefix"] = draw(st.sampled_from(["10.0.0.0/24", "10.0.0.0/16",
                                                     "10.0.0.128/25", "10.0.0.0/30"]))
        if kind == "nsg":
            fields["rules"] = tuple(NsgRule(name=draw(st.sampled_from("xy")),
                                            priority=draw(st.sampled_from([100, 4097, 65499])))
                                    for _ in range(draw(st.integers(0, 3))))
        if kind == "traffic_generator":
            fields["direction"] = draw(st.sampled_from(["outbound", "inbound"]))
        topo.add_node(make_component(kind, f"n{i}", **fields))
    for _ in range(draw(st.integers(0, 25))):
        a, b = draw(st.integers(0, len(kinds) - 1)), draw(st.integers(0, len(kinds) - 1))
        source, target = topo.node(f"n{a}"), topo.node(f"n{b}")
        allowed = [r.kind for r in LINK_RULES.values()
                   if source.KIND in r.sources and target.KIND in r.targets]
        if a != b and allowed:
            link = Link(source.id, target.id, draw(st.sampled_from(allowed)))
            if not topo.has_link(link):
                topo.connect(link, check_limits=False)
    return scenario


@given(random_scenarios())
def test_any_topology_validates_in_order(scenario):
    found = validate(scenario)
    assert found == sorted(found, key=Finding.sort_key)
    for finding in found:
        assert finding.severity in v.SEVERITIES
        assert finding.node_id is None or finding.node_id in scenario.topology
        assert finding.message
