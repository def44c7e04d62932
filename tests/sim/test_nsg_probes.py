"""NSGs (C2-C6, M-A11, M-B13) and health probes (M-A10, M-B12), inbound (C3, M-B1)."""
import pytest

from designer.sim.nsg import NsgEvaluator

from .helpers import Builder, Hold, LbRule, NsgRule, Probe


def test_MB13_MA11_default_rule_names_and_order():
    for semantics, out_names, in_names in (
        ("modern", ["AllowVnetOutBound", "AllowInternetOutBound", "DenyAllOutBound"],
         ["AllowVNetInBound", "AllowAzureLoadBalancerInBound", "DenyAllInbound"]),
        ("classic", ["ALLOW VNET OUTBOUND", "ALLOW INTERNET OUTBOUND", "DENY ALL OUTBOUND"],
         ["ALLOW VNET INBOUND", "ALLOW AZURE LOAD BALANCER INBOUND", "DENY ALL INBOUND"]),
    ):
        b = Builder(semantics)
        b.vms(1)
        b.nsg("nsg", [NsgRule(name="custom", priority=4096, direction="outbound")],
              attach=["vm-1"])
        ev = NsgEvaluator(b.snapshot())
        rules = ev.rules("nsg", "outbound")
        assert [r.name for r in rules] == ["custom"] + out_names
        assert [r.priority for r in rules] == [4096, 65000, 65001, 65500]
        assert [r.name for r in ev.rules("nsg", "inbound")] == in_names


def test_C2_first_match_by_priority_decides():
    b = Builder("modern")
    b.vms(1)
    b.nsg("nsg", [NsgRule(name="deny-web", priority=200, direction="outbound", access="deny",
                          destination="Internet", destination_port="443"),
                  NsgRule(name="allow-api", priority=100, direction="outbound", access="allow",
                          destination="20.0.0.1", destination_port="443")], attach=["vm-1"])
    ev = NsgEvaluator(b.snapshot())
    v = ev.outbound("vm-1", "tcp", "20.0.0.1", 443)
    assert v.allowed and v.rule == "allow-api"
    v = ev.outbound("vm-1", "tcp", "20.0.0.2", 443)
    assert v.denied and v.rule == "deny-web"
    v = ev.outbound("vm-1", "tcp", "20.0.0.2", 80)
    assert v.allowed and v.rule == "AllowInternetOutBound"
    v = ev.outbound("vm-1", "udp", "10.255.0.9", 53)
    assert v.allowed and v.rule == "AllowVnetOutBound"


def test_C2_nic_then_subnet_outbound_and_C3_subnet_then_nic_inbound():
    b = Builder("modern")
    b.vms(1)
    b.subnet("sn", "10.0.1.0/24", vms=["vm-1"])
    b.nsg("nic", [NsgRule(name="nic-deny-in", priority=100, direction="inbound", access="deny")],
          attach=["vm-1"])
    b.nsg("sub", [NsgRule(name="sub-deny-out", priority=100, direction="outbound",
                          access="deny"),
                  NsgRule(name="sub-deny-in", priority=100, direction="inbound",
                          access="deny")], attach=["sn"])
    ev = NsgEvaluator(b.snapshot())
    out = ev.outbound("vm-1", "tcp", "20.0.0.1", 443)
    assert out.denied and out.nsg == "sub"          # NIC allowed, subnet denied
    inn = ev.inbound("vm-1", "tcp", "192.0.2.1", 80)
    assert inn.denied and inn.nsg == "sub"           # subnet first: NIC never consulted


@pytest.mark.parametrize("tag", ["AzureLoadBalancer", "AZURE_LOADBALANCER"])
def test_C5_service_tags_both_spellings(tag):
    b = Builder("classic")
    b.vms(1)
    b.nsg("nsg", [NsgRule(name="no-probe", priority=100, direction="inbound", access="deny",
                          source=tag)], attach=["vm-1"])
    ev = NsgEvaluator(b.snapshot())
    assert ev.inbound("vm-1", "tcp", "168.63.129.16", 80).denied
    assert ev.inbound("vm-1", "tcp", "192.0.2.1", 80).denied   # DENY ALL INBOUND for Internet
    assert ev.is_internet(int(__import__("ipaddress").IPv4Address("20.0.0.1")))


def test_C6_platform_traffic_is_not_filtered_and_takes_no_port():
    b = Builder("modern")
    b.vms(1)
    b.nsg("nsg", [NsgRule(name="deny-all-out", priority=100, direction="outbound",
                          access="deny")], attach=["vm-1"])
    b.endpoint("dns", "168.63.129.16", 53)
    b.endpoint("web", "20.0.0.1", 443)
    b.gen("g", ["vm-1"], ["dns", "web"], protocol="udp", rate_per_s=10, stop_s=10)
    e = b.engine()
    e.run(10)
    c = e.vm_counters("vm-1")
    assert c.succeeded > 0 and c.denied_nsg > 0
    assert c.succeeded + c.denied_nsg == c.attempted
    assert e.frame().snat["vm-1"]["udp"].used == 0
    # with an AzurePlatformDNS rule the platform address is filtered after all
    b.t.set_property("nsg", "rules", (NsgRule(name="no-dns", priority=100, direction="outbound",
                                              access="deny", destination="AzurePlatformDNS"),))
    ev = NsgEvaluator(b.snapshot())
    assert ev.outbound("vm-1", "udp", "168.63.129.16", 53).denied


def test_denied_flow_consumes_no_port_and_reports_once():
    b = Builder("classic")
    b.vms(1)
    b.nsg("nsg", [NsgRule(name="block-api", priority=100, direction="outbound", access="deny",
                          destination="20.0.0.1")], attach=["vm-1"])
    b.endpoint("ep", "20.0.0.1")
    b.gen("g", ["vm-1"], ["ep"], rate_per_s=50, stop_s=20)
    e = b.engine()
    e.run(30)
    c = e.vm_counters("vm-1")
    assert c.denied_nsg == c.attempted > 0
    assert e.frame().snat["vm-1"]["tcp"].used == 0
    denied = [ev for ev in e.events if ev["kind"] == "nsg_denied"]
    assert len(denied) == 1 and denied[0]["rule"] == "block-api"


@pytest.mark.parametrize("flush", [False, True])
def test_C4_rule_changes_affect_new_flows_only_unless_flush(flush):
    b = Builder("classic")
    b.vms(1)
    b.nsg("nsg", [], attach=["vm-1"], flush_connection=flush)
    b.endpoint("ep", "20.0.0.1")
    b.gen("g", ["vm-1"], ["ep"], rate_per_s=10, hold=Hold("fixed", 1000.0), stop_s=100)
    e = b.engine()
    e.run(10)
    live = e.frame().snat["vm-1"]["tcp"].used
    assert live > 50
    b.t.set_property("nsg", "rules", (NsgRule(name="now-deny", priority=100,
                                              direction="outbound", access="deny"),))
    e.set_snapshot(b.snapshot())
    e.run(20)
    c = e.vm_counters("vm-1")
    assert c.denied_nsg > 50                      # new flows are denied
    used = e.frame().snat["vm-1"]["tcp"].used
    assert used == (0 if flush else live)         # existing flows kept unless flushed


def probe_scenario(semantics="classic", interval=15, count=2, threshold=None, sku="basic",
                   **vm_fields):
    b = Builder(semantics)
    b.vms(2, **vm_fields)
    b.pip("ip", "52.0.0.10", "basic" if sku == "basic" else "standard")
    b.lb("lb", ["vm-1", "vm-2"], ["ip"], sku=sku,
         rules=[LbRule(name="http", frontend="ip", frontend_port=80, backend_port=80)],
         probe=Probe(protocol="tcp", port=80, interval_s=interval, count=count,
                     threshold=threshold))
    return b


def test_MA10_probe_blocked_by_nsg_takes_vm_down_after_count_intervals():
    b = probe_scenario(interval=15, count=2)
    b.nsg("nsg", [NsgRule(name="no-lb", priority=100, direction="inbound", access="deny",
                          source="AZURE_LOADBALANCER")], attach=["vm-1"])
    e = b.engine()
    e.run(29.9)
    assert e.frame().probes[("lb", "vm-1")] == "up"
    e.run(30.1)
    f = e.frame()
    assert f.probes[("lb", "vm-1")] == "down" and f.probes[("lb", "vm-2")] == "up"
    down = [ev for ev in e.events if ev["kind"] == "probe_down"]
    assert down[0]["t"] == 30 and down[0]["vm"] == "vm-1" and "no-lb" in down[0]["reason"]
    # outbound is unaffected
    assert e.resolution.paths["vm-1"].outbound == "load_balancer"


def test_MB12_threshold_unset_means_one_and_recovery():
    b = probe_scenario("modern", interval=5, count=4, sku="standard")
    b.t.set_property("vm-1", "probe_responds", False)
    e = b.engine()
    e.run(5.1)
    assert e.frame().probes[("lb", "vm-1")] == "down"     # numberOfProbes ignored (M-B12)
    b.t.set_property("vm-1", "probe_responds", True)
    e.set_snapshot(b.snapshot())
    e.run(10.1)
    assert e.frame().probes[("lb", "vm-1")] == "up"
    assert [ev["kind"] for ev in e.events if ev["kind"].startswith("probe")] == \
        ["probe_down", "probe_up"]


def test_MB12_admin_state_and_stopped_vm():
    b = probe_scenario("modern", interval=5, sku="standard")
    b.t.set_property("vm-1", "admin_state", "down")
    b.t.set_property("vm-2", "state", "stopped")
    e = b.engine()
    e.run(6)
    f = e.frame()
    assert f.probes[("lb", "vm-1")] == "down" and f.probes[("lb", "vm-2")] == "down"


def inbound_scenario(semantics="classic", sku="basic", **kw):
    b = probe_scenario(semantics, sku=sku, **kw)
    b.gen("in", [], ["ip"], direction="inbound", rate_per_s=20, hold=Hold("fixed", 1000.0),
          stop_s=200)
    return b


def test_inbound_goes_only_to_healthy_backends():
    b = inbound_scenario()
    b.t.set_property("vm-1", "probe_responds", False)
    e = b.engine()
    e.run(100)
    assert e.vm_inbound("vm-1")[0] < e.vm_inbound("vm-2")[0] / 5
    before = e.vm_inbound("vm-1")[0]
    e.run(200)
    assert e.vm_inbound("vm-1")[0] == before            # down: no new flows


def test_MA10_all_down_basic_ends_every_flow_and_refuses_new_ones():
    b = inbound_scenario()
    b.nsg("nsg", [NsgRule(name="no-lb", priority=100, direction="inbound", access="deny",
                          source="AzureLoadBalancer"),
                  NsgRule(name="web", priority=200, direction="inbound", access="allow",
                          destination_port="80")], attach=["vm-1", "vm-2"])
    e = b.engine()
    e.run(30 - 1e-9)
    live_before = e.live_flow_count("inbound")
    assert live_before > 0
    e.run(31)
    ev = [x for x in e.events if x["kind"] == "all_backends_down"]
    assert ev and ev[0]["flows_ended"] == live_before
    e.run(100)
    assert e.generator_counters("in").no_route > 0


def test_MB12_all_down_standard_keeps_tcp_and_all_probed_up_sprays():
    b = inbound_scenario("modern", sku="standard", interval=5)
    b.nsg("nsg", [NsgRule(name="no-lb", priority=100, direction="inbound", access="deny",
                          source="AzureLoadBalancer"),
                  NsgRule(name="web", priority=200, direction="inbound", access="allow",
                          destination_port="80")], attach=["vm-1", "vm-2"])
    e = b.engine()
    e.run(5 - 1e-9)
    live = e.live_flow_count("inbound")
    e.run(6)
    ev = [x for x in e.events if x["kind"] == "all_backends_down"]
    assert ev and ev[0]["flows_ended"] == 0
    assert e.live_flow_count("inbound") == live
    b.t.set_property("lb", "no_healthy_backends", "all_probed_up")
    e.set_snapshot(b.snapshot())
    ok_before = e.generator_counters("in").succeeded
    e.run(20)
    assert e.generator_counters("in").succeeded > ok_before


def test_MB1_standard_closed_inbound_without_nsg_basic_open():
    for sku, semantics in (("standard", "modern"), ("basic", "classic")):
        b = inbound_scenario(semantics, sku=sku)
        e = b.engine()
        e.run(10)
        c = e.generator_counters("in")
        if sku == "standard":
            assert c.denied_nsg == c.attempted > 0
        else:
            assert c.succeeded == c.attempted > 0


def test_probe_rounds_reuse_the_snapshots_nsg_verdicts(monkeypatch):
    # a probe round of a large pool asked the NSGs of every member each time, and finding a
    # subnet's NSG walks the subnet's links (thousands in a large pool): the verdict of a
    # snapshot is found once, and a round only counts answers
    b = probe_scenario(interval=5, count=2)
    b.nsg("nsg", [NsgRule(name="no-lb", priority=100, direction="inbound", access="deny",
                          source="AZURE_LOADBALANCER")], attach=["vm-1"])
    e = b.engine()
    asked = []
    original = NsgEvaluator.inbound

    def counting(self, *args, **kwargs):
        asked.append(args)
        return original(self, *args, **kwargs)
    monkeypatch.setattr(NsgEvaluator, "inbound", counting)
    e.run(600)                                   # 120 rounds
    assert asked == []
    down = [ev for ev in e.events if ev["kind"] == "probe_down"]
    assert [(ev["vm"], ev["t"]) for ev in down] == [("vm-1", 10)] and "no-lb" in down[0]["reason"]
    # a new snapshot asks again, once per member
    b.t.set_property("vm-1", "probe_responds", False)
    e.set_snapshot(b.snapshot())
    e.run(700)
    assert len([a for a in asked if a[1] == "tcp" and a[2] == "168.63.129.16"]) == 2
