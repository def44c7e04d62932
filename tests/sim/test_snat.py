"""SNAT ports in the engine: budgets, reuse, release timers, exhaustion (C7-C10, M-A6, M-A9,
M-B6-M-B9)."""
import pytest

from designer.sim import ports as P

from .helpers import Builder, Hold, LbRule, OutboundRule

LONG = Hold("fixed", 100_000.0)


def one_vm(semantics="classic", n_dest=1, same_ip=False, **options):
    b = Builder(semantics, **options)
    b.vms(1)
    b.subnet("sn", "10.0.1.0/24", vms=["vm-1"])
    b.pip("ip", "52.0.0.10", "basic" if semantics == "classic" else "standard")
    if semantics == "classic":
        b.lb("lb", ["vm-1"], ["ip"])
    else:
        b.lb("lb", ["vm-1"], ["ip"], sku="standard")
    dests = [b.endpoint(f"ep-{i}", "20.0.0.1" if same_ip else f"20.0.0.{i + 1}", 443 + i)
             for i in range(n_dest)]
    return b, dests


def test_C8_MA6_beyond_budget_to_one_destination_fails():
    """1,024 ports (pool of 1): the 1,025th concurrent flow to the same destination fails."""
    b, dests = one_vm()
    b.gen("g", ["vm-1"], dests, rate_per_s=1000, hold=LONG, stop_s=3)
    e = b.engine()
    e.run(10)
    c = e.vm_counters("vm-1")
    assert c.attempted > 2000
    assert c.succeeded == 1024
    assert c.failed_snat == c.attempted - 1024
    assert e.frame().snat["vm-1"]["tcp"] == (1024, 1024)
    kinds = [ev["kind"] for ev in e.events]
    assert "snat_exhausted" in kinds


def test_C7_MA6_ports_reused_for_other_destinations():
    """Flows to different destination IPs share ports: 2 destinations -> 2 x 1,024 flows on
    1,024 ports."""
    b, dests = one_vm(n_dest=2)
    b.gen("g", ["vm-1"], dests, rate_per_s=1000, hold=LONG, stop_s=4)
    e = b.engine()
    e.run(10)
    c = e.vm_counters("vm-1")
    assert c.succeeded == 2048
    assert e.frame().snat["vm-1"]["tcp"].used == 1024


@pytest.mark.parametrize("key,expected", [("ip", 1024), ("ip_port", 2048)])
def test_MA6_destination_key_option(key, expected):
    """Classic: 2017 strict key = destination IP (two ports of one IP share the budget);
    option ip_port (2018) separates them."""
    b, dests = one_vm(n_dest=2, same_ip=True, port_reuse_key=key)
    b.gen("g", ["vm-1"], dests, rate_per_s=1000, hold=LONG, stop_s=4)
    e = b.engine()
    e.run(10)
    assert e.vm_counters("vm-1").succeeded == expected


@pytest.mark.parametrize("udp_key,expected", [("ip", 1024), ("flow", 1024)])
def test_MB7_udp_destination_key(udp_key, expected):
    """Modern UDP: key = destination IP (2022+), or one port per flow (2019 option)."""
    b, dests = one_vm("modern", n_dest=2, same_ip=False, udp_reuse_key=udp_key)
    b.t.replace_node(b.t.node("lb").__class__(
        id="lb", sku="standard", rules=(LbRule(name="u", protocol="udp", frontend="ip"),)))
    b.gen("g", ["vm-1"], dests, protocol="udp", rate_per_s=1000, hold=LONG, stop_s=4)
    e = b.engine()
    e.run(10)
    ok = e.vm_counters("vm-1").succeeded
    assert ok == (2048 if udp_key == "ip" else 1024)


def release_time(semantics="classic", close="fin", protocol="tcp", **options):
    b, dests = one_vm(semantics, **options)
    if protocol == "udp" and semantics == "modern":
        b.t.replace_node(b.t.node("lb").__class__(
            id="lb", sku="standard", rules=(LbRule(name="u", protocol="all", frontend="ip"),)))
    b.gen("g", ["vm-1"], dests, rate_per_s=1000, hold=Hold("fixed", 10.0), close=close,
          protocol=protocol, stop_s=0.01)
    e = b.engine()
    e.run(0.02)
    n = e.vm_counters("vm-1").succeeded
    assert n > 0
    starts = [s.t for s in e.frame().samples if s.event == "start"]
    assert len(starts) == n
    return e, n, min(starts), max(starts)


@pytest.mark.parametrize("close,delay", [("fin", 240.0), ("rst", 15.0), ("idle", 240.0)])
def test_C9_release_after_fin_rst_idle(close, delay):
    """C9: FIN -> freed 240 s after close, RST -> 15 s, abandoned -> at the 4-minute idle
    timeout counted from the last packet (the end of the hold)."""
    e, n, first, last = release_time(close=close)
    e.run(10 + delay + first - 1e-6)
    assert e.frame().snat["vm-1"]["tcp"].used == n
    e.run(10 + delay + last + 1e-6)
    assert e.frame().snat["vm-1"]["tcp"].used == 0
    assert e.port_accounting() == (n, n, 0)


def test_C9_MA8_release_immediately_option():
    e, n, first, last = release_time(close="fin", release_on_close="immediate")
    e.run(10 + last + 1e-6)
    assert e.frame().snat["vm-1"]["tcp"].used == 0


def test_C9_udp_only_by_idle_timeout():
    e, n, first, last = release_time(close="fin", protocol="udp")
    e.run(10 + 239 + first)
    assert e.frame().snat["vm-1"]["udp"].used == n
    e.run(10 + 240 + last + 1e-6)
    assert e.frame().snat["vm-1"]["udp"].used == 0


def test_MB11_idle_timeout_of_outbound_rule_is_configurable():
    b = Builder("modern")
    b.vms(1)
    b.pip("out", "40.0.0.2", "standard")
    b.lb("lb", ["vm-1"], ["out"], sku="standard", rules=[],
         outbound_rules=[OutboundRule(name="r", frontends=("out",), allocated_ports=1024,
                                      idle_timeout_min=30)])
    b.endpoint("ep", "20.0.0.1")
    b.gen("g", ["vm-1"], ["ep"], rate_per_s=100, hold=Hold("fixed", 1.0), close="idle",
          stop_s=0.5)
    e = b.engine()
    e.run(1 + 1799)
    assert e.frame().snat["vm-1"]["tcp"].used > 0
    e.run(1 + 1800 + 1)
    assert e.frame().snat["vm-1"]["tcp"].used == 0


def test_C8_recovery_after_ports_free():
    """Exhaustion, then snat_recovered once a whole sample interval passes without failure."""
    b, dests = one_vm()
    b.gen("g", ["vm-1"], dests, rate_per_s=500, hold=Hold("fixed", 1.0), close="rst",
          stop_s=5)
    e = b.engine(sample_s=60)
    e.run(200)
    kinds = [ev["kind"] for ev in e.events]
    assert kinds.index("snat_exhausted") < kinds.index("snat_recovered")
    c = e.vm_counters("vm-1")
    assert c.succeeded + c.failed_snat == c.attempted
    assert c.succeeded == 1024


def test_C10_instance_ip_never_runs_out():
    b = Builder("classic")
    b.vms(1)
    b.pip("own", "52.0.0.9")
    b.link("vm-1", "own", "instance_ip")
    b.endpoint("ep", "20.0.0.1")
    b.gen("g", ["vm-1"], ["ep"], rate_per_s=3000, hold=LONG, stop_s=2)
    e = b.engine()
    e.run(5)
    c = e.vm_counters("vm-1")
    assert c.succeeded == c.attempted > 5000
    assert e.endpoint_seen("ep") == {"52.0.0.9"}


def nat_scenario(n_ips=1, n_dest=1, **options):
    b = Builder("modern", **options)
    b.vms(2)
    b.subnet("sn", "10.0.1.0/24", vms=["vm-1", "vm-2"])
    b.add("nat_gateway", "nat")
    b.link("nat", "sn", "nat")
    for i in range(n_ips):
        b.pip(f"nat-ip-{i}", f"40.0.0.{i + 1}", "standard")
        b.link("nat", f"nat-ip-{i}", "nat")
    dests = [b.endpoint(f"ep-{i}", f"20.0.0.{i + 1}") for i in range(n_dest)]
    return b, dests


def test_MB8_64512_ports_per_nat_ip_and_50000_per_destination():
    """M-B8: 64,512 ports per IP; at most 50,000 concurrent flows per IP to one destination."""
    b, dests = nat_scenario(n_ips=2, n_dest=1)
    b.gen("g", ["vm-1", "vm-2"], dests, rate_per_s=30_000, hold=LONG, stop_s=2)
    e = b.engine()
    e.run(3)
    f = e.frame()
    assert f.nat_gateways["nat"]["tcp"].allocated == 2 * 64_512
    total = sum(e.vm_counters(v).succeeded for v in ("vm-1", "vm-2"))
    assert total == 2 * 50_000
    assert f.public_ips["nat-ip-0"]["tcp"] == (50_000, 64_512)


def test_MB8_nat_ports_shared_on_demand_and_reused_for_other_destinations():
    b, dests = nat_scenario(n_ips=1, n_dest=2)
    b.gen("g", ["vm-1"], dests, rate_per_s=50_000, hold=LONG, stop_s=2.2)
    e = b.engine()
    e.run(3)
    ok = e.vm_counters("vm-1").succeeded
    assert ok == 100_000                   # 2 x 50,000 on 64,512 ports: ports carry 2 keys
    assert e.frame().nat_gateways["nat"]["tcp"].used == 64_512
    mappings = e.live_mappings()
    assert len({(m[0], m[1], m[2], m[3]) for m in mappings}) == len(mappings)


@pytest.mark.parametrize("close,cool", [("fin", 65.0), ("rst", 16.0)])
def test_MB9_nat_cooldowns_2023(close, cool):
    b, dests = nat_scenario()
    b.gen("g", ["vm-1"], dests, rate_per_s=1000, hold=Hold("fixed", 10.0), close=close,
          stop_s=0.01)
    e = b.engine()
    e.run(0.02)
    n = e.vm_counters("vm-1").succeeded
    starts = [s.t for s in e.frame().samples if s.event == "start"]
    assert len(starts) == n
    first, last = min(starts), max(starts)
    e.run(10 + cool + first - 1e-6)
    assert e.frame().nat_gateways["nat"]["tcp"].used == n
    e.run(10 + cool + last + 1e-6)
    assert e.frame().nat_gateways["nat"]["tcp"].used == 0


def test_MA9_pool_growth_into_next_tier_revokes_half():
    """50 -> 51 pool members: 1,024 -> 512 ports each; flows on revoked slots end."""
    b = Builder("classic")
    vms = b.vms(50)
    b.pip("ip", "52.0.0.10")
    b.lb("lb", vms, ["ip"])
    b.endpoint("ep", "20.0.0.1")
    b.gen("g", ["vm-1"], ["ep"], rate_per_s=1000, hold=LONG, stop_s=2)
    e = b.engine()
    e.run(5)
    assert e.frame().snat["vm-1"]["tcp"] == (1024, 1024)
    b.add("vm", "vm-51")
    b.link("lb", "vm-51", "backend")
    e.set_snapshot(b.snapshot())
    e.run(6)
    f = e.frame()
    assert f.snat["vm-1"]["tcp"] == (512, 512)
    assert f.snat["vm-51"]["tcp"].allocated == 512
    assert e.vm_extra("vm-1")["flows_ended"] == 512
    revoked = [ev for ev in e.events if ev["kind"] == "ports_revoked" and ev["vm"] == "vm-1"]
    assert revoked and revoked[0]["before"] == 1024 and revoked[0]["after"] == 512
    mappings = e.live_mappings()
    assert len({m[:4] for m in mappings}) == len(mappings)
    # shrinking again grants more ports and touches nothing
    b.t.remove_node("vm-51")
    e.set_snapshot(b.snapshot())
    e.run(7)
    assert e.frame().snat["vm-1"]["tcp"] == (512, 1024)


def test_MB6_frontends_consumed_one_at_a_time():
    """Outbound rule with two IPs and 40,000 ports per instance for 2 VMs: the first VM fits
    on IP #1, the second takes the rest of IP #1 and then IP #2."""
    b = Builder("modern")
    vms = b.vms(2)
    b.pip("o1", "40.0.0.1", "standard")
    b.pip("o2", "40.0.0.2", "standard")
    b.lb("lb", vms, ["o1", "o2"], sku="standard", rules=[],
         outbound_rules=[OutboundRule(name="r", frontends=("o1", "o2"), allocated_ports=40000)])
    e = b.engine()
    f = e.frame()
    assert f.public_ips["o1"]["tcp"].allocated == 64000
    assert f.public_ips["o2"]["tcp"].allocated == 16000
    assert f.snat["vm-1"]["tcp"].allocated == f.snat["vm-2"]["tcp"].allocated == 40000


def test_MB5_zero_ports_beyond_the_inventory():
    b = Builder("modern")
    vms = b.vms(3)
    b.pip("o1", "40.0.0.1", "standard")
    b.lb("lb", vms, ["o1"], sku="standard", rules=[],
         outbound_rules=[OutboundRule(name="r", frontends=("o1",), allocated_ports=32000)])
    e = b.engine()
    f = e.frame()
    assert [f.snat[v]["tcp"].allocated for v in vms] == [32000, 32000, 0]
    assert any(ev["kind"] == "ports_short" for ev in e.events)


def test_C11_whatismyip_answers_with_the_translated_address():
    b = Builder("classic")
    b.vms(2)
    b.pip("ip", "52.0.0.10")
    b.lb("lb", ["vm-1"], ["ip"])
    b.endpoint("myip", "208.67.222.222", 53, role="whatismyip")
    b.gen("g", ["vm-1", "vm-2"], ["myip"], protocol="udp", rate_per_s=1, hold=Hold("fixed", 0.1),
          stop_s=10)
    e = b.engine()
    e.run(20)
    answers = e.whatismyip("myip")
    assert answers["vm-1"] == ["52.0.0.10"]
    assert answers["vm-2"][0].startswith("203.0.113.")
    assert e.frame().snat["vm-1"]["udp"].used > 0     # the query itself takes a UDP slot


def test_pool_size_reuses_connections():
    """pool_size N: N long-lived connections per (VM, destination) carry the requests."""
    b, dests = one_vm()
    b.gen("g", ["vm-1"], dests, rate_per_s=500, hold=Hold("fixed", 1.0), pool_size=4,
          keepalive_s=60, stop_s=100)
    e = b.engine()
    e.run(100)
    c = e.vm_counters("vm-1")
    assert c.succeeded == c.attempted > 40_000
    assert e.vm_peak(0, "tcp") == 4


def test_MB11_pooled_connection_idle_reset():
    b = Builder("modern")
    b.vms(1)
    b.pip("out", "40.0.0.2", "standard")
    b.lb("lb", ["vm-1"], ["out"], sku="standard", rules=[],
         outbound_rules=[OutboundRule(name="r", frontends=("out",), allocated_ports=1024,
                                      enable_tcp_reset=True)])
    b.endpoint("ep", "20.0.0.1")
    # one request every ~10 minutes: the pooled connection idles out in between
    b.gen("g", ["vm-1"], ["ep"], rate_per_s=1 / 600, hold=Hold("fixed", 1.0), pool_size=1,
          stop_s=20_000)
    e = b.engine()
    e.run(20_000)
    extra = e.vm_extra("vm-1")
    assert extra["idle_timeouts"] > 5
    assert extra["idle_resets"] == extra["idle_timeouts"]


def test_MA8_keepalive_refreshes_the_idle_timer():
    """A pooled connection used every ~10 minutes idles out after 4 minutes, unless
    keep-alives (every 60 s) refresh its idle timer."""
    for keepalive, expect_timeouts in ((None, True), (60.0, False)):
        b, dests = one_vm()
        b.gen("g", ["vm-1"], dests, rate_per_s=1 / 600, hold=Hold("fixed", 1.0), pool_size=1,
              keepalive_s=keepalive, stop_s=20_000)
        e = b.engine()
        e.run(20_000)
        assert bool(e.vm_extra("vm-1").get("idle_timeouts")) == expect_timeouts


def test_MB10_nat_attach_keeps_established_flows_new_ones_use_nat():
    b = Builder("modern")
    b.vms(1)
    b.subnet("sn", "10.0.1.0/24", vms=["vm-1"])
    b.pip("fe", "40.0.0.1", "standard")
    b.lb("lb", ["vm-1"], ["fe"], sku="standard")
    b.endpoint("ep", "20.0.0.1")
    b.gen("g", ["vm-1"], ["ep"], rate_per_s=20, hold=LONG, stop_s=1000)
    e = b.engine()
    e.run(10)
    before = {m[0] for m in e.live_mappings()}
    n_before = len(e.live_mappings())
    assert before == {"fe"}
    b.pip("nat-ip", "40.0.0.2", "standard")
    b.add("nat_gateway", "nat")
    b.link("nat", "sn", "nat")
    b.link("nat", "nat-ip", "nat")
    e.set_snapshot(b.snapshot())
    e.run(20)
    by_ip = {}
    for m in e.live_mappings():
        by_ip[m[0]] = by_ip.get(m[0], 0) + 1
    assert by_ip["fe"] == n_before                  # established LB flows untouched
    assert by_ip["nat-ip"] > 100                    # new flows through the NAT gateway
    assert e.endpoint_seen("ep") == {"40.0.0.1", "40.0.0.2"}
