"""Events that tell the truth (scenario-format.md section 2), each at its exact time:
snat_exhausted / snat_recovered (C8, C9, M-B9), nsg_denied inbound and outbound (C2, C3, M-B1),
and M-B5's scale-out beyond an outbound rule's budget."""
import pytest

from designer.model import OutboundRule
from designer.model.validation import validate
from designer.sim.report import simulate

from .helpers import Builder, Hold, LbRule, NsgRule


def of(e, kind):
    return [ev for ev in e.events if ev["kind"] == kind]


def flood(semantics="classic", **gen):
    """One VM with 1,024 ports (a pool of one, M-A5 / M-B4) calling one destination."""
    b = Builder(semantics, seed=3)
    b.vms(1)
    b.subnet("sn", "10.0.1.0/24", vms=["vm-1"])
    b.pip("ip", "52.0.0.10", "basic" if semantics == "classic" else "standard")
    b.lb("lb", ["vm-1"], ["ip"], sku="basic" if semantics == "classic" else "standard")
    b.endpoint("api", "20.0.0.1")
    b.gen("g", ["vm-1"], ["api"], **gen)
    return b


@pytest.mark.parametrize("sample_s", [10.0, 60.0])
def test_C9_snat_recovered_when_the_first_port_is_released_not_when_failures_stop(sample_s):
    """200 new flows/s, held 20 s, closed with RST (released 15 s later, C9), from 0 to 10 s:
    the 1,025th flow fails (~5.1 s) and failures go on until the generator stops at 10 s; the
    ports stay in use until the first flow's release at its start + 20 + 15 s.  Recovered
    then - not at 10 s, nor at a sample boundary, whatever --sample is."""
    e = flood(rate_per_s=200, hold=Hold("fixed", 20.0), close="rst", stop_s=10).engine(
        sample_s=sample_s)
    e.run(30)
    first = next(s.t for s in e.frame().samples if s.event == "start")
    assert e.frame().snat["vm-1"]["tcp"] == (1024, 1024)
    [exhausted] = of(e, "snat_exhausted")
    assert 5.0 < exhausted["t"] < 5.3 and exhausted["public_ip"] == "52.0.0.10"
    assert of(e, "snat_recovered") == []            # failures stopped, ports still held
    e.run(40)
    [recovered] = of(e, "snat_recovered")
    assert recovered == {"t": first + 20.0 + 15.0, "kind": "snat_recovered", "vm": "vm-1",
                         "protocol": "tcp"}


def test_MB9_snat_recovered_when_a_nat_cool_down_ends():
    """A NAT gateway with one address: at most 50,000 flows to one destination (M-B8); flows
    held 5 s and closed with FIN keep their (port, destination) 65 s more (M-B9, 2023).  The
    first one's cool-down ends at its start + 70 s: recovered exactly then."""
    b = Builder("modern", seed=5)
    b.vms(1)
    b.subnet("sn", "10.0.1.0/24", vms=["vm-1"])
    b.add("nat_gateway", "nat")
    b.link("nat", "sn", "nat")
    b.pip("nat-ip", "40.0.0.1", "standard")
    b.link("nat", "nat-ip", "nat")
    b.endpoint("api", "20.0.0.1")
    b.gen("g", ["vm-1"], ["api"], rate_per_s=30_000, hold=Hold("fixed", 5.0), close="fin",
          stop_s=2)
    e = b.engine()
    e.run(60)
    first = next(s.t for s in e.frame().samples if s.event == "start")
    assert e.vm_counters("vm-1").succeeded == 50_000
    assert [ev["kind"] for ev in e.events if ev["kind"].startswith("snat")] == \
        ["snat_exhausted"]
    e.run(80)
    [recovered] = of(e, "snat_recovered")
    assert recovered["t"] == first + 5.0 + 65.0


def test_snat_recovered_at_the_edit_that_gives_the_vm_a_free_port():
    """The demo's fix: a NAT gateway attached to the exhausted VM's subnet at 30 s; a new flow
    would get a port at once, so recovered at 30 s."""
    b = flood("modern", rate_per_s=200, hold=Hold("fixed", 1000.0), stop_s=100)
    e = b.engine()
    e.run(30)
    assert len(of(e, "snat_exhausted")) == 1 and of(e, "snat_recovered") == []
    b.add("nat_gateway", "nat")
    b.link("nat", "sn", "nat")
    b.pip("nat-ip", "40.0.0.2", "standard")
    b.link("nat", "nat-ip", "nat")
    e.set_snapshot(b.snapshot())
    e.run(31)
    [recovered] = of(e, "snat_recovered")
    assert recovered["t"] == 30.0
    assert len(of(e, "snat_exhausted")) == 1                  # no failure since


@pytest.mark.parametrize("gap_s", [0, 60])
def test_snat_events_reach_frames_once_with_their_exact_times(gap_s):
    """The editor's banner follows frames: each event arrives once, with its exact time; the
    exhaustion in the frame that covers it, the recovery once its episode gap has passed
    without another failure (at once with snat_episode_gap_s = 0)."""
    b = flood(rate_per_s=200, hold=Hold("fixed", 20.0), close="rst", stop_s=10)
    b.scenario.options["snat_episode_gap_s"] = gap_s
    e = b.engine()
    first_release = None
    seen = []
    for t in range(1, 101):
        e.run(float(t))
        frame = e.frame()
        for ev in frame.events:
            if ev["kind"].startswith("snat"):
                seen.append((ev["kind"], t))
                if ev["kind"] == "snat_recovered":
                    first_release = ev["t"]
    assert first_release is not None and 35.0 < first_release < 36.0
    exhausted_at = [t for kind, t in seen if kind == "snat_exhausted"]
    recovered_at = [t for kind, t in seen if kind == "snat_recovered"]
    assert exhausted_at == [6] and len(recovered_at) == 1
    assert recovered_at[0] - 1 < first_release + gap_s <= recovered_at[0]


def overload(gap_s):
    """C8 under sustained overload: 40 new flows/s held 5 s and closed with RST (each port
    busy ~20 s, C9) need ~800 ports at a time on one destination key, far more than the
    64 a pool of 401-800 gives per VM (M-A5, a 500-VM pool of which one VM sends)."""
    b = Builder("classic", seed=4, snat_episode_gap_s=gap_s)
    vms = b.vms(500)
    b.subnet("sn", "10.0.0.0/16", vms=vms)
    b.pip("ip", "52.0.0.10")
    b.lb("lb", vms, ["ip"])
    b.endpoint("api", "20.0.0.1")
    b.gen("g", ["vm-1"], ["api"], rate_per_s=40, hold=Hold("fixed", 5.0), close="rst",
          stop_s=200)
    return b.engine()


def test_C8_sustained_overload_is_one_exhaustion_episode():
    """Every release under overload lets one more flow through and the next one fails: with
    the default gap (60 s) that is one episode, exhausted at the first failure and recovered
    once, at the exact instant after the last failure when a port is free again; with gap 0
    every release between two failures is logged as a recovery and a new exhaustion."""
    literal = overload(0)
    literal.run(400)
    episodic = overload(60)
    episodic.run(400)
    assert literal.vm_counters("vm-1") == episodic.vm_counters("vm-1")   # the same run
    flips = [ev for ev in literal.events if ev["kind"] == "snat_recovered"]
    assert len(flips) > 20
    kinds = [ev["kind"] for ev in episodic.events if ev["kind"].startswith("snat")]
    assert kinds == ["snat_exhausted", "snat_recovered"]
    first = next(ev for ev in literal.events if ev["kind"] == "snat_exhausted")
    assert of(episodic, "snat_exhausted") == [first]
    assert of(episodic, "snat_recovered") == [flips[-1]]      # the last one: after 200 s
    assert flips[-1]["t"] > 200.0


def test_raw_flips_of_an_episode_cost_no_event(monkeypatch):
    """Under sustained overload at full speed the kernel's raw recovered / exhausted pairs
    come by the hundred thousand a second; those inside an episode build no event at all."""
    from designer.sim.engine import Engine
    built = []
    original = Engine.event

    def counting(self, t, kind, **fields):
        built.append(kind)
        return original(self, t, kind, **fields)
    monkeypatch.setattr(Engine, "event", counting)
    episodic = overload(60)
    episodic.run(400)
    assert [k for k in built if k.startswith("snat")] == ["snat_exhausted"]
    assert [ev["kind"] for ev in episodic.events if ev["kind"].startswith("snat")] == \
        ["snat_exhausted", "snat_recovered"]


def test_a_recovery_not_yet_confirmed_is_in_the_events_of_the_run_so_far():
    """A report of the run as it stands (the editor's watched report, a run that ends within
    the gap) lists a recovery no failure has followed, at its exact time."""
    b = flood(rate_per_s=200, hold=Hold("fixed", 20.0), close="rst", stop_s=10)
    e = b.engine()
    e.run(40)
    [recovered] = of(e, "snat_recovered")
    assert 35.0 < recovered["t"] < 36.0
    assert [ev["kind"] for ev in e.frame().events if ev["kind"].startswith("snat")] == \
        ["snat_exhausted"]                  # the frames: not before the gap has passed


def inbound(semantics, sku, nsg_rules=None):
    b = Builder(semantics, seed=2)
    b.vms(2)
    b.subnet("sn", "10.0.1.0/24", vms=["vm-1", "vm-2"])
    b.pip("ip", "52.0.0.10", sku)
    b.lb("lb", ["vm-1", "vm-2"], ["ip"], sku=sku,
         rules=[LbRule(name="http", frontend="ip", frontend_port=80, backend_port=80)])
    if nsg_rules is not None:
        b.nsg("nsg", nsg_rules, attach=["sn"])
    b.gen("in", [], ["ip"], direction="inbound", rate_per_s=5, hold=Hold("fixed", 1.0),
          stop_s=100)
    return b


def test_C3_inbound_flows_denied_by_an_nsg_raise_nsg_denied():
    """Every inbound flow denied by the subnet NSG: one nsg_denied per VM (direction inbound)
    at the time of its first denied flow, naming the NSG and rule."""
    b = inbound("classic", "basic", [NsgRule(name="no-web", priority=100, direction="inbound",
                                             access="deny", destination_port="80")])
    e = b.engine(sample_limit=1000)
    e.run(100)
    denied = of(e, "nsg_denied")
    assert sorted(ev["vm"] for ev in denied) == ["vm-1", "vm-2"]
    samples = [s for s in e.frame().samples if s.outcome == "denied_nsg"]
    for ev in denied:
        assert ev["direction"] == "inbound" and ev["nsg"] == "nsg" and ev["rule"] == "no-web"
        assert ev["t"] == min(s.t for s in samples if s.vm == ev["vm"])
    received, refused = e.vm_inbound("vm-1")
    assert received == 0 and refused > 0


def test_MB1_standard_frontend_without_an_allowing_nsg_raises_nsg_denied():
    e = inbound("modern", "standard").engine()
    e.run(100)
    denied = of(e, "nsg_denied")
    assert {ev["vm"] for ev in denied} == {"vm-1", "vm-2"}
    assert all(ev["direction"] == "inbound" and ev["nsg"] is None and "M-B1" in ev["reason"]
               for ev in denied)


def test_C2_outbound_nsg_denied_names_its_direction():
    b = flood(rate_per_s=1, hold=Hold("fixed", 1.0), stop_s=50)
    b.nsg("nsg", [NsgRule(name="no-api", priority=100, direction="outbound", access="deny",
                          destination="20.0.0.1")], attach=["sn"])
    e = b.engine()
    e.run(50)
    [denied] = of(e, "nsg_denied")
    assert denied["direction"] == "outbound" and denied["rule"] == "no-api"


def ten_times_6400(**options):
    """I15: 10 instances x 6,400 ports on one IP that also carries an LB rule: the IP has
    64,000 - 8 = 63,992 ports, 9 x 6,400 = 57,600 fit, 6,392 are left."""
    b = Builder("modern", **options)
    vms = b.vms(10)
    b.pip("ip", "40.0.0.1", "standard")
    b.lb("lb", vms, ["ip"], sku="standard",
         rules=[LbRule(name="web", frontend="ip", frontend_port=80, backend_port=80,
                       disable_outbound_snat=True)],
         outbound_rules=[OutboundRule(name="out", frontends=("ip",), allocated_ports=6400)])
    return b, vms


@pytest.mark.parametrize("option,tenth", [("block", 6392), ("zero_ports", 0)])
def test_MB5_scale_out_beyond_the_budget(option, tenth):
    """M-B5: 'block' (default) is Azure's rejection - an error - and the simulation still runs
    the rule: the 10th instance gets the 6,392 left.  'zero_ports' reads it as a pool grown
    after the rule was made: the 10th gets none (a warning).  Engine, report and validation
    finding say the same."""
    b, vms = ten_times_6400(outbound_scale_out=option)
    e = b.engine()
    f = e.frame()
    assert [f.snat[v]["tcp"].allocated for v in vms] == [6400] * 9 + [tenth]
    report = simulate(b.scenario, duration=1)
    assert report["vms"]["vm-10"]["snat_ports_allocated"] == tenth
    expected = ("the next one gets the 6,392 left" if option == "block" else
                "the 1 beyond the budget get none")
    engine_finding = [x for x in e.findings if x.code.endswith("NumberOfAvailablePorts")]
    validation = [x for x in validate(b.snapshot()) if x.code.endswith("NumberOfAvailablePorts")]
    for finding in engine_finding + validation:
        assert expected in finding.message, finding.message
        assert finding.severity == ("error" if option == "block" else "warning")
    assert engine_finding and validation


def test_no_route_is_raised_once_per_vm_and_protocol_at_the_first_such_flow():
    """M-B14: a VM in a private subnet has no outbound path; its first flow without a route
    of each protocol is a ``no_route`` event at that flow's exact time, with the path's
    reason; flows to the VNet still go (no event), and later flows raise none."""
    b = Builder("modern", seed=5)
    b.vms(2)
    b.subnet("private", "10.0.2.0/24", vms=["vm-1"], private=True)
    b.endpoint("api", "20.0.0.1")
    b.endpoint("inside", "10.0.2.50")
    b.gen("tcp", ["vm-1", "vm-2"], ["api", "inside"], rate_per_s=3, start_s=10)
    b.gen("udp", ["vm-1"], ["api"], rate_per_s=1, protocol="udp", start_s=30)
    e = b.engine(sample_limit=10_000)
    e.run(120)
    events = of(e, "no_route")
    assert [(ev["vm"], ev["protocol"]) for ev in events] == [("vm-1", "tcp"), ("vm-1", "udp")]
    first: dict = {}
    for s in e.frame().samples:
        if s.outcome == "no_route":
            first.setdefault((s.vm, s.protocol), s.t)
    assert [ev["t"] for ev in events] == [first[("vm-1", "tcp")], first[("vm-1", "udp")]]
    assert 10 < events[0]["t"] and 30 < events[1]["t"]
    assert "private" in events[0]["reason"] and events[0]["destination"] == "api"
    assert e.vm_counters("vm-1").no_route > 100 and e.vm_counters("vm-2").no_route == 0
    # the kernel grew an event, not an entry point or a specialisation (compiled once)
    from designer.sim import kernel as K
    if e.kernel is K:
        assert [len(fn.signatures) for fn in (K.advance, K.end_flows, K.push_timers)] == \
            [1, 1, 1]


def test_raw_flips_of_an_episode_stay_in_the_kernel(monkeypatch):
    """The kernel takes a raw recovery back when the next failure of the same VM and protocol
    continues its episode (kernel._continues_episode): the pair never reaches Python, so the
    live worker does not spend its time on them.  With gap 0 every pair is an event."""
    from designer.sim import records
    handed = []
    original = records._event

    def counting(e, t, kind, *args):
        handed.append(kind)
        return original(e, t, kind, *args)
    monkeypatch.setattr(records, "_event", counting)
    literal = overload(0)
    literal.run(400)
    raw = len(handed)
    handed.clear()
    episodic = overload(60)
    episodic.run(400)
    assert raw > 40
    assert len(handed) <= 3          # exhausted, and the recovery after the last failure
    assert [ev["kind"] for ev in episodic.events if ev["kind"].startswith("snat")] == \
        ["snat_exhausted", "snat_recovered"]
