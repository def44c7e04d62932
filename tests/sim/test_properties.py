"""Property-based invariants over random small topologies and workloads (hypothesis)."""
from hypothesis import given, settings
from hypothesis import strategies as st

from designer.sim import Engine
from designer.sim.report import build_report, dumps_report

import dataclasses

from .helpers import Builder, Hold, LbRule, NsgRule, OutboundRule, Probe

PATHS_CLASSIC = ("lb", "ilpip", "default")
PATHS_MODERN = ("lb", "ilpip", "default", "nat", "obr")


@st.composite
def scenarios(draw, wide=False):
    """Random small scenarios over every owner kind: LB rule, outbound rule, default SNAT, NAT
    gateway, instance IP; ``wide`` adds an outbound rule with two frontends (M-B6) and an
    inbound generator with a probe (C3, M-A10/M-B12)."""
    semantics = draw(st.sampled_from(["classic", "modern"]))
    options = {"release_on_close": draw(st.sampled_from(["timers", "immediate"]))}
    if semantics == "classic":
        options["port_reuse_key"] = draw(st.sampled_from(["ip", "ip_port"]))
    else:
        options["udp_reuse_key"] = draw(st.sampled_from(["ip", "flow"]))
    b = Builder(semantics, seed=draw(st.integers(0, 2 ** 31)), **options)
    n = draw(st.integers(1, 5))
    choices = PATHS_CLASSIC if semantics == "classic" else PATHS_MODERN
    kinds = draw(st.lists(st.sampled_from(choices), min_size=n, max_size=n))
    vms = b.vms(n)
    b.subnet("plain", "10.0.1.0/24", vms=[v for v, k in zip(vms, kinds) if k != "nat"])
    nat_vms = [v for v, k in zip(vms, kinds) if k == "nat"]
    if nat_vms:
        b.subnet("natted", "10.0.2.0/24", vms=nat_vms)
        b.add("nat_gateway", "nat")
        b.link("nat", "natted", "nat")
        b.pip("nat-ip", "40.0.0.1", "standard")
        b.link("nat", "nat-ip", "nat")
    sku = "basic" if semantics == "classic" else "standard"
    lb_vms = [v for v, k in zip(vms, kinds) if k == "lb"]
    if lb_vms:
        b.pip("fe", "52.0.0.10", sku)
        b.lb("lb", lb_vms, ["fe"], sku=sku,
             rules=[LbRule(name="r", protocol="all", frontend="fe")])
    obr_vms = [v for v, k in zip(vms, kinds) if k == "obr"]
    if obr_vms:
        b.pip("out", "52.0.0.20", "standard")
        ports = draw(st.sampled_from([8, 16, 32]))
        b.lb("olb", obr_vms, ["out"], sku="standard", rules=[],
             outbound_rules=[OutboundRule(name="o", frontends=("out",), allocated_ports=ports)])
    for v, k in zip(vms, kinds):
        if k == "ilpip":
            b.pip(f"own-{v}", f"52.1.0.{vms.index(v) + 1}", sku)
            b.link(v, f"own-{v}", "instance_ip")
    n_dest = draw(st.integers(1, 3))
    dests = [b.endpoint(f"ep-{i}", draw(st.sampled_from(["20.0.0.1", "20.0.0.2"])),
                        draw(st.sampled_from([443, 80])), name=f"ep-{i}")
             for i in range(n_dest)]
    if draw(st.booleans()):
        b.nsg("nsg", [NsgRule(name="deny-some", priority=100, direction="outbound",
                              access="deny", destination="20.0.0.2")], attach=["plain"])
    for g in range(draw(st.integers(1, 2))):
        start = draw(st.floats(0, 20))
        pool = draw(st.sampled_from([0, 0, 1, 3]))
        close = draw(st.sampled_from(["fin", "rst", "idle"]))
        b.gen(f"gen-{g}", vms, dests, protocol=draw(st.sampled_from(["tcp", "udp"])),
              rate_per_s=draw(st.floats(0.5, 40)),
              hold=Hold(draw(st.sampled_from(["fixed", "exponential"])), draw(st.floats(0.1, 30))),
              close=close, pool_size=pool,
              keepalive_s=draw(st.sampled_from([None, 30.0])) if pool else None,
              start_s=start, stop_s=start + draw(st.floats(5, 150)))
    if wide:
        _widen(draw, b, semantics, dests)
    return b


def _widen(draw, b, semantics, dests):
    if semantics == "modern" and draw(st.booleans()):
        vms = b.vms(2, stem="m")
        b.subnet("m-sub", "10.0.3.0/24", vms=vms)
        b.pip("m1", "52.0.1.1", "standard")
        b.pip("m2", "52.0.1.2", "standard")
        b.lb("m-lb", vms, ["m1", "m2"], sku="standard", rules=[], outbound_rules=[
            OutboundRule(name="o", frontends=("m1", "m2"),
                         allocated_ports=draw(st.sampled_from([8, 40000])))])
        b.gen("m-gen", vms, dests, rate_per_s=draw(st.floats(5, 60)),
              hold=Hold("exponential", 20.0), close=draw(st.sampled_from(["fin", "idle"])),
              stop_s=draw(st.floats(20, 100)))
    if "lb" in b.t and draw(st.booleans()):
        lb = b.t.node("lb")
        b.t.replace_node(dataclasses.replace(lb, probe=Probe(protocol="tcp", port=80,
                                                             interval_s=5, count=2)))
        b.t.set_property(b.t.backend_pool("lb")[0], "probe_responds", draw(st.booleans()))
        b.gen("in", [], ["fe"], direction="inbound", rate_per_s=draw(st.floats(1, 20)),
              hold=Hold("exponential", 2.0), stop_s=draw(st.floats(20, 100)))


def check_invariants(e: Engine) -> None:
    mappings = e.live_mappings()
    # no two live flows share (public IP, protocol, port, destination key)
    assert len({m[:4] for m in mappings}) == len(mappings)
    # used <= allocated for every exclusive owner; the frame agrees
    for vm, proto, used, allocated in e.owner_use():
        assert 0 <= used <= allocated
    # every port released at most once, and nothing lost
    allocated, released, live = e.port_accounting()
    assert allocated == released + live
    assert live == len(mappings)
    for counters in list(e.frame().vms.values()) + list(e.frame().generators.values()):
        assert counters.attempted == (counters.succeeded + counters.failed_snat +
                                      counters.denied_nsg + counters.no_route)


@settings(max_examples=30)
@given(scenarios(), st.booleans())
def test_invariants_hold_at_every_step(builder, edit):
    e = builder.engine()
    t = 0.0
    while t < 420:
        t += 30
        e.run(t)
        check_invariants(e)
        if edit and t == 90:
            # mid-run edit: a VM joins the first LB pool or a new VM appears
            builder.add("vm", "late")
            if "lb" in builder.t:
                builder.link("lb", "late", "backend")
            e.set_snapshot(builder.snapshot())
    e.run(2000)    # long after every stop: only keep-alive-held pooled flows may remain
    check_invariants(e)
    allocated, released, live = e.port_accounting()
    if not any(g.keepalive_s for g in builder.t.nodes("traffic_generator")):
        assert live == 0 and allocated == released


@settings(max_examples=10)
@given(scenarios())
def test_determinism_for_a_seed(builder):
    """Same scenario and seed -> the same report, however run() is sliced."""
    reports = []
    for slices in ((200.0,), (200.0,), (13.0, 50.5, 51.0, 120.0, 200.0)):
        e = builder.engine(record_samples=False)
        for t in slices:
            e.run(t)
        reports.append(dumps_report(build_report(e, source="x", duration=200)))
    assert reports[0] == reports[1] == reports[2]


@settings(max_examples=12)
@given(scenarios(wide=True), st.sampled_from([(120.0,), (7.5, 40.0, 40.25, 120.0)]),
       st.sampled_from([0, 60]))
def test_compiled_kernel_agrees_with_its_source_run_interpreted(builder, slices, samples):
    """The kernel's source run by the interpreter (compile.py) is the executable reference of
    the compiled kernel: byte-identical reports and the same flow samples, for every owner
    kind, however run() is sliced."""
    outcomes = []
    for kernel in ("compiled", "interpreted"):
        e = builder.engine(kernel=kernel, sample_limit=samples, record_samples=bool(samples))
        assert (e.kernel.__name__ == "designer.sim.kernel") == (kernel == "compiled")
        frames = []
        for t in slices:
            e.run(t)
            frame = e.frame()
            frames.append((frame.samples, frame.samples_dropped, dict(frame.snat)))
        report = dumps_report(build_report(e, source="x", duration=slices[-1]))
        outcomes.append((report, frames))
    assert outcomes[0] == outcomes[1]
