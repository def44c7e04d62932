"""Quiet probe rounds (timeline.py): the rounds of a load balancer whose members all answer as
their state says wait without stopping the kernel.  A run gives the same events, probe states
and report as one where every round stops it, however it is sliced - by time or by a number
of events - and whenever an edit changes what the probes find (M-A10, M-B12)."""
import pytest

from designer.sim.report import build_report, dumps_report
from designer.sim.timeline import PROBE, Timeline

from .helpers import Builder, Hold, LbRule, NsgRule, Probe

NO_PROBE = NsgRule(name="no-lb", priority=100, direction="inbound", access="deny",
                   source="AzureLoadBalancer")


def builder(semantics: str) -> Builder:
    b = Builder(semantics, seed=5)
    vms = b.vms(3)
    b.subnet("sn", "10.0.0.0/24", vms=vms)
    sku = "basic" if semantics == "classic" else "standard"
    b.pip("ip", "52.0.0.10", sku)
    b.lb("lb", vms, ["ip"], sku=sku,
         rules=[LbRule(name="http", frontend="ip", frontend_port=80, backend_port=80)],
         probe=Probe(protocol="tcp", port=80, interval_s=5, count=2, threshold=2))
    b.endpoint("api", "20.0.0.1")
    b.gen("out", vms, ["api"], rate_per_s=3, hold=Hold("exponential", 4.0), close="rst")
    b.gen("in", [], ["ip"], direction="inbound", rate_per_s=4, hold=Hold("fixed", 30.0))
    return b


#: (simulated time, edit): an NSG that blocks the probe on vm-1, vm-2 stops answering,
#: both answer again
EDITS = ((37.3, lambda b: b.nsg("nsg", [NO_PROBE], attach=["vm-1"])),
         (81.7, lambda b: b.t.set_property("vm-2", "probe_responds", False)),
         (140.2, lambda b: (b.t.remove_node("nsg"),
                            b.t.set_property("vm-2", "probe_responds", True))))
END = 240.0


def run(semantics: str, *, every_round_stops: bool, cut_every: int | None,
        monkeypatch) -> tuple:
    """Run with the edits; ``cut_every``: slices of that many events, an edit applied right
    after the slice that reaches its time (the time of its last event, then)."""
    with monkeypatch.context() as patch:
        if every_round_stops:
            patch.setattr(Timeline, "_answers_as_it_stands", lambda self, lb_id: False)
        b = builder(semantics)
        e = b.engine()
        cut_times = []
        for at, edit in EDITS + ((END, None),):
            if cut_every is None:
                e.run(at)
            else:
                while e.now < at:
                    e.run(END, max_events=cut_every)
                cut_times.append(e.now)
            if edit is not None:
                edit(b)
                e.set_snapshot(b.snapshot())
        e.run(END)
        report = dumps_report(build_report(e, source="x", duration=END))
        return report, e.events, e.frame().probes, cut_times


@pytest.mark.parametrize("semantics", ["classic", "modern"])
def test_the_same_run_as_when_every_round_stops_the_kernel(semantics, monkeypatch):
    eager = run(semantics, every_round_stops=True, cut_every=None, monkeypatch=monkeypatch)
    quiet = run(semantics, every_round_stops=False, cut_every=None, monkeypatch=monkeypatch)
    assert quiet[:3] == eager[:3]
    kinds = [ev["kind"] for ev in quiet[1] if ev["kind"].startswith("probe")]
    assert kinds.count("probe_down") == 2 and kinds.count("probe_up") == 2


@pytest.mark.parametrize("cut_every", [1, 7, 50])
def test_the_same_run_when_cut_by_events_and_edited_after_a_cut(cut_every, monkeypatch):
    """An edit right after a cut applies where the last event left the run: the quiet
    rounds before it have run, the later ones see the edit - as when every round stops
    the kernel and the run goes to exactly that time."""
    quiet = run("modern", every_round_stops=False, cut_every=cut_every,
                monkeypatch=monkeypatch)
    with monkeypatch.context() as patch:
        patch.setattr(Timeline, "_answers_as_it_stands", lambda self, lb_id: False)
        b = builder("modern")
        e = b.engine()
        for (at, edit), cut_at in zip(EDITS, quiet[3]):
            e.run(cut_at)
            edit(b)
            e.set_snapshot(b.snapshot())
        e.run(END)
        eager = (dumps_report(build_report(e, source="x", duration=END)), e.events,
                 e.frame().probes)
    assert quiet[:3] == eager


def test_a_steady_pool_does_not_stop_the_kernel_at_every_round(monkeypatch):
    stops = []
    original = Timeline.run_next

    def counting(self):
        stops.append(self.heap[0][3])
        return original(self)
    monkeypatch.setattr(Timeline, "run_next", counting)
    e = builder("modern").engine()
    e.run(600)
    assert stops.count(PROBE) <= 3      # the rounds that bring the members up; then quiet
    assert e.frame().probes == {("lb", f"vm-{i}"): "up" for i in (1, 2, 3)}


def test_a_step_lands_where_peek_said_the_quiet_rounds_run_with_it():
    """Quiet rounds are not events a step stops at: they run with the event after them (here
    the next metric sample), which is what peek() reports - the editor's Step to event walks
    with the two and must never land past where peek() said.  Their counts still move."""
    import math
    b = Builder("modern", seed=5)
    vms = b.vms(2)
    b.pip("ip", "52.0.0.10", "standard")
    b.lb("lb", vms, ["ip"], sku="standard",
         rules=[LbRule(name="http", frontend="ip", frontend_port=80, backend_port=80)],
         probe=Probe(protocol="tcp", port=80, interval_s=5, threshold=1))
    e = b.engine(sample_s=3600)
    e.run(12)                                  # the rounds at 5 and 10 s: quiet from then on
    assert e.peek() == 3600.0
    assert e.step() == 3600.0
    e.run(math.inf, max_events=2)
    assert e.now == 3 * 3600.0
    assert e.timeline.probe_state[("lb", "vm-1")][2] == 3 * 3600 // 5   # every round counted
    assert e.frame().probes == {("lb", "vm-1"): "up", ("lb", "vm-2"): "up"}
