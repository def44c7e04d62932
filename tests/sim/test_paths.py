"""Outbound path precedence, budgets and reasons (M-A2..M-A5, M-B2..M-B6, M-B8, M-B16)."""
import pytest

from designer.sim import ports as P
from designer.sim.paths import basic_frontend_choice, resolve, resolve_paths

from .helpers import Builder, LbRule, OutboundRule


@pytest.mark.parametrize("pool,ports", [
    (1, 1024), (50, 1024), (51, 512), (100, 512), (101, 256), (200, 256), (201, 128),
    (400, 128), (401, 64), (800, 64), (801, 32), (1000, 32)])
def test_MA5_tier_table_at_boundaries(pool, ports):
    """M-A5 / M-B4: 1-50:1,024, 51-100:512, 101-200:256, 201-400:128, 401-800:64, 801-1,000:32."""
    assert P.tier_ports(pool) == ports


@pytest.mark.parametrize("n,ports", [(50, 1024), (51, 512)])
def test_MA5_pool_of_50_vs_51_through_paths(n, ports):
    b = Builder("classic")
    vms = b.vms(n)
    b.pip("ip", "52.0.0.10")
    b.lb("lb", vms, ["ip"])
    paths = resolve_paths(b.snapshot())
    assert {p.tcp.ports for p in paths.values()} == {ports}
    assert {p.udp.ports for p in paths.values()} == {ports}   # TCP and UDP apart, same table


def test_MA2_MA3_classic_precedence_and_reasons():
    b = Builder("classic")
    b.vms(4)
    b.pip("lb-ip", "52.0.0.10")
    b.pip("own", "52.0.0.99")
    b.lb("lb", ["vm-1", "vm-2"], ["lb-ip"], rules=[LbRule(name="http", frontend="lb-ip")])
    b.link("vm-1", "own", "instance_ip")
    b.lb("nolink", ["vm-3"], [], rules=[])
    b.lb("ilb", ["vm-4"], [], type="internal", rules=[])
    paths = resolve_paths(b.snapshot())
    assert paths["vm-1"].outbound == "instance_ip"            # scenario 1 beats 2
    assert paths["vm-1"].public_ips == ("52.0.0.99",)
    assert paths["vm-2"].outbound == "load_balancer"
    assert paths["vm-2"].public_ips == ("52.0.0.10",)
    assert "in the backend pool of lb and rule http links frontend lb-ip" in paths["vm-2"].reason
    assert paths["vm-2"].nodes == ("vm-2", "lb", "lb-ip")
    # an LB without a rule leaves the VM on default SNAT; so does an internal Basic LB
    assert paths["vm-3"].outbound == "default"
    assert "no load-balancing rule" in paths["vm-3"].reason
    assert paths["vm-4"].outbound == "default"
    assert "internal" in paths["vm-4"].reason
    assert paths["vm-3"].tcp.assigned_by == "azure"
    assert paths["vm-3"].public_ips[0].startswith("203.0.113.")


def test_MA2_default_snat_shared_per_availability_set():
    b = Builder("classic")
    for i in range(3):
        b.add("vm", f"a-{i}", availability_set="web")
    b.add("vm", "lonely")
    paths = resolve_paths(b.snapshot())
    addresses = {paths[f"a-{i}"].public_ips[0] for i in range(3)}
    assert len(addresses) == 1
    assert paths["lonely"].public_ips[0] not in addresses
    assert paths["lonely"].tcp.ports == 1024        # a set of 1 -> 1,024 (M-A5)


def test_MA4_one_random_frontend_per_basic_lb_stable_for_a_seed():
    fronts = ["ip-a", "ip-b", "ip-c"]
    picks = {basic_frontend_choice(seed, "lb", fronts) for seed in range(40)}
    assert len(picks) > 1                                      # random over seeds
    assert basic_frontend_choice(5, "lb", fronts) == basic_frontend_choice(5, "lb", fronts)
    b = Builder("classic", seed=5)
    vms = b.vms(3)
    for i, f in enumerate(fronts):
        b.pip(f, f"52.0.0.{i + 1}")
    b.lb("lb", vms, fronts)
    paths = resolve_paths(b.snapshot())
    used = {p.tcp.public_ip_ids for p in paths.values()}
    assert used == {(basic_frontend_choice(5, "lb", fronts),)}   # one frontend for all VMs


def test_MA7_basic_programs_both_protocols_whatever_the_rule():
    b = Builder("classic")
    b.vms(1)
    b.pip("ip", "52.0.0.10")
    b.lb("lb", ["vm-1"], ["ip"], rules=[LbRule(name="web", protocol="tcp", frontend="ip")])
    path = resolve_paths(b.snapshot())["vm-1"]
    assert path.tcp.kind == path.udp.kind == "load_balancer"


def modern_base():
    b = Builder("modern")
    b.vms(2)
    b.subnet("sn", "10.0.1.0/24", vms=["vm-1", "vm-2"])
    return b


def test_MB2_nat_beats_instance_ip_beats_lb():
    b = modern_base()
    b.pip("nat-ip", "40.0.0.1", "standard")
    b.add("nat_gateway", "nat")
    b.link("nat", "sn", "nat")
    b.link("nat", "nat-ip", "nat")
    b.pip("own", "40.0.0.9", "standard")
    b.link("vm-1", "own", "instance_ip")
    paths = resolve_paths(b.snapshot())
    assert paths["vm-1"].outbound == "nat_gateway"
    assert "takes precedence over its instance IP" in paths["vm-1"].reason
    assert paths["vm-1"].nodes == ("vm-1", "nat", "nat-ip")
    assert paths["vm-1"].tcp.ports == P.NAT_PORTS_PER_IP            # M-B8: 64,512 per IP


def test_MB2_instance_ip_beats_outbound_rule_and_rule_beats_lb_rule():
    b = modern_base()
    b.pip("fe", "40.0.0.1", "standard")
    b.pip("out", "40.0.0.2", "standard")
    b.pip("own", "40.0.0.9", "standard")
    b.link("vm-1", "own", "instance_ip")
    b.lb("lb", ["vm-1", "vm-2"], ["fe", "out"], sku="standard",
         rules=[LbRule(name="http", frontend="fe", disable_outbound_snat=True)],
         outbound_rules=[OutboundRule(name="egress", frontends=("out",), allocated_ports=8000)])
    paths = resolve_paths(b.snapshot())
    assert paths["vm-1"].outbound == "instance_ip"
    assert paths["vm-2"].outbound == "load_balancer"
    assert paths["vm-2"].tcp.rule == "egress"
    assert paths["vm-2"].tcp.ports == 8000
    assert paths["vm-2"].public_ips == ("40.0.0.2",)


def test_MB2_5_lb_rule_snat_is_per_protocol():
    """M-B2.5 / I16: a TCP-only rule gives TCP SNAT only; the pool member has no default
    outbound left for UDP."""
    b = modern_base()
    b.pip("fe", "40.0.0.1", "standard")
    b.lb("lb", ["vm-1"], ["fe"], sku="standard",
         rules=[LbRule(name="http", protocol="tcp", frontend="fe")])
    path = resolve_paths(b.snapshot())["vm-1"]
    assert path.tcp.kind == "load_balancer"
    assert path.udp.kind == "none"
    assert "Standard pool members lose default outbound access" in path.udp.reason


def test_MB2_6_default_outbound_rules():
    b = Builder("modern")
    b.add("vm", "free")
    b.add("vm", "priv")
    b.add("vm", "in-ilb")
    b.add("vm", "buddy", availability_set="set")
    b.add("vm", "member", availability_set="set")
    b.subnet("private", "10.0.2.0/24", vms=["priv"], private=True)
    b.lb("ilb", ["in-ilb", "member"], [], sku="standard", type="internal", rules=[])
    paths = resolve_paths(b.snapshot())
    assert paths["free"].outbound == "default"
    assert paths["free"].tcp.assigned_by == "azure"
    assert paths["priv"].outbound == "none" and "private" in paths["priv"].reason
    assert paths["in-ilb"].outbound == "none"
    # availability-set contagion: a member of its set is in a Standard pool
    assert paths["buddy"].outbound == "none"
    assert "member of its availability set" in paths["buddy"].reason


def test_MB2_7_a_pool_member_is_told_its_own_membership_before_a_set_mates():
    b = Builder("modern")
    b.add("vm", "vm-0", availability_set="set")
    b.add("vm", "vm-1", availability_set="set")
    b.lb("lb", ["vm-0", "vm-1"], [], sku="standard", type="internal", rules=[])
    paths = resolve_paths(b.snapshot())
    for vm in ("vm-0", "vm-1"):
        assert paths[vm].outbound == "none"
        assert paths[vm].reason.startswith(f"{vm} has no outbound TCP path: it is in the "
                                           f"backend pool of Standard load balancer lb")


def test_MB3_eight_port_blocks_of_rule_frontend_ports():
    assert P.frontend_capacity([]) == 64000
    assert P.frontend_capacity([80, 81]) == 64000 - 8        # same 8-port block
    assert P.frontend_capacity([80, 443]) == 64000 - 16


@pytest.mark.parametrize("pool,frontends,ports", [(100, 1, 512), (100, 2, 1024), (100, 3, 1024),
                                                  (50, 2, 1024), (300, 2, 256)])
def test_MB4_default_allocation_capped_at_1024(pool, frontends, ports):
    assert P.modern_default_ports(pool, frontends) == ports


def test_MB5_outbound_rule_validation_names():
    b = modern_base()
    b.pip("out", "40.0.0.2", "standard")
    b.lb("lb", ["vm-1", "vm-2"], ["out"], sku="standard", rules=[],
         outbound_rules=[OutboundRule(name="odd", frontends=("out",), allocated_ports=1001)])
    res = resolve(b.snapshot())
    codes = {f.code for f in res.findings}
    assert "SpecifiedAllocatedOutboundPortsForOutboundRuleIsNotAMultipleOfEight" in codes
    assert res.paths["vm-1"].outbound == "none"      # the rejected rule programs nothing

    b = Builder("modern")
    vms = b.vms(7)
    b.pip("out", "40.0.0.2", "standard")
    b.lb("lb", vms, ["out"], sku="standard", rules=[],
         outbound_rules=[OutboundRule(name="big", frontends=("out",), allocated_ports=10000)])
    codes = {f.code for f in resolve(b.snapshot()).findings}
    assert ("SpecifiedAllocatedOutboundPortsForOutboundRuleExceedsTotalNumberOfAvailablePorts"
            in codes)                                           # 10,000 x 7 > 64,000


def test_MB5_6392_per_instance_for_ten_backends():
    """I15: 10 backends on one IP with one LB rule block -> 6,392 per instance."""
    assert P.max_ports_per_instance(P.frontend_capacity([80]), 10) == 6392


def test_MB4_outbound_rule_with_zero_uses_default_table():
    b = Builder("modern")
    vms = b.vms(100)
    b.pip("o1", "40.0.0.1", "standard")
    b.pip("o2", "40.0.0.2", "standard")
    b.lb("lb", vms, ["o1", "o2"], sku="standard", rules=[],
         outbound_rules=[OutboundRule(name="r", frontends=("o1", "o2"), allocated_ports=0)])
    assert resolve_paths(b.snapshot())["vm-1"].tcp.ports == 1024    # MIN(512 x 2, 1024)


def test_udr_to_appliance_is_reported_as_not_modelled():
    for semantics in ("classic", "modern"):
        b = Builder(semantics)
        b.vms(1)
        b.subnet("sn", "10.0.1.0/24", vms=["vm-1"], default_route="virtual_appliance")
        res = resolve(b.snapshot())
        assert res.paths["vm-1"].outbound == "none"
        assert res.paths["vm-1"].reason.startswith("not modelled")
        assert res.paths["vm-1"].tcp.not_modelled
        assert any(f.code == "not-modelled-udr" for f in res.findings)


def test_classic_ignores_nat_gateway_and_says_so():
    b = Builder("classic")
    b.vms(1)
    b.subnet("sn", "10.0.1.0/24", vms=["vm-1"])
    b.pip("nat-ip", "40.0.0.1")
    b.add("nat_gateway", "nat")
    b.link("nat", "sn", "nat")
    b.link("nat", "nat-ip", "nat")
    res = resolve(b.snapshot())
    assert res.paths["vm-1"].outbound == "default"
    assert any(f.code == "classic-no-nat-gateway" for f in res.findings)


def test_MA1_classic_simulates_a_standard_lb_as_basic_and_says_so():
    b = Builder("classic")
    b.vms(1)
    b.pip("ip", "52.0.0.10")
    b.lb("lb", ["vm-1"], ["ip"], sku="standard",
         outbound_rules=[OutboundRule(name="o", frontends=("ip",), allocated_ports=8)])
    res = resolve(b.snapshot())
    codes = {f.code for f in res.findings}
    assert {"classic-only-basic", "classic-no-outbound-rules"} <= codes
    assert res.paths["vm-1"].outbound == "load_balancer"
    assert res.paths["vm-1"].tcp.ports == 1024


def test_MB14_default_outbound_address_per_vm():
    b = Builder("modern")
    b.add("vm", "a", availability_set="set")
    b.add("vm", "b", availability_set="set")
    paths = resolve_paths(b.snapshot())
    assert paths["a"].outbound == paths["b"].outbound == "default"
    assert paths["a"].public_ips != paths["b"].public_ips       # per VM, not per set
