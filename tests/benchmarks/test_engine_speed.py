"""Engine speed against a straightforward SimPy model of the same rules (issue 3, Speed).

Workload (perf-baselines.md section 1, in Azure terms): classic semantics, 200 VMs in one
Basic LB pool (so 256 SNAT ports each, M-A5), 50 destination endpoints, TCP, exponential hold
(mean 5 s); 90 % of flows close and free their port at once (``release_on_close:
immediate``), 10 % are abandoned and hold it until the 4-minute idle timeout. VM activity
follows Zipf(1) weights (one pair of generators per VM), so a few chatty VMs exhaust their
ports; the rate is set so that about 5 % of the flows fail.

The fast-forward of ``simulate`` (fastpath.py) runs the same workload too and must agree.
Both engines get the same arrivals: the SimPy model replays the stream our engine draws from
the same seed, so success and failure counts must agree exactly.  Run with
``pytest tests/benchmarks/test_engine_speed.py -s`` (ENGINE_BENCH_FLOWS=N to change the size).
"""
from __future__ import annotations

import gc
import heapq
import os
import resource
import time

import pytest

from designer.model import Hold, LbRule, Scenario, make_component
from designer.model.links import Link
from designer.sim import Engine, fastpath
from designer.sim.engine import INF

N_FLOWS = int(float(os.environ.get("ENGINE_BENCH_FLOWS", "1000000")))
N_VMS, N_DEST = 200, 50
RATE = 7500.0            # flows per simulated second, all VMs together
ABANDONED = 0.10


def build(n_flows: int = N_FLOWS) -> tuple[Scenario, float]:
    s = Scenario(semantics="classic", seed=11, options={"release_on_close": "immediate"})
    t = s.topology
    add = t.add_node
    add(make_component("public_ip", "ip", address="52.0.0.10"))
    add(make_component("load_balancer", "lb", rules=(LbRule(name="http", frontend="ip"),)))
    t.connect(Link("lb", "ip", "frontend"))
    dests = []
    for d in range(N_DEST):
        dests.append(f"ep-{d}")
        add(make_component("endpoint", f"ep-{d}", address=f"20.0.{d // 200}.{d % 200 + 1}"))
    stop = n_flows / RATE
    harmonic = sum(1 / (i + 1) for i in range(N_VMS))
    for i in range(N_VMS):
        vm = f"vm-{i + 1}"
        add(make_component("vm", vm))
        t.connect(Link("lb", vm, "backend"))
        rate = RATE / (i + 1) / harmonic
        for name, share, close in (("closing", 1 - ABANDONED, "fin"),
                                   ("abandoned", ABANDONED, "idle")):
            gen = f"{name}-{i + 1}"
            add(make_component("traffic_generator", gen, rate_per_s=rate * share,
                               hold=Hold("exponential", 5.0), close=close, stop_s=stop))
            t.connect(Link(gen, vm, "source"))
            for d in dests:
                t.connect(Link(gen, d, "destination"))
    return s.snapshot(), stop


def workload(snapshot: Scenario):
    """The arrivals our engine draws for this snapshot: (t, owner, key, hold + release delay),
    read from a second engine built from the same snapshot and seed."""
    e = Engine(snapshot, record_samples=False)
    times, owners, keys, delays = [], [], [], []
    while e._next_arrival() != INF:
        streams = e._seg_streams
        for t, si, u, h in zip(e._arr_t, e._arr_s, e._arr_u, e._arr_h):
            s = streams[si]
            di = int(u * s[9])
            times.append(t)
            owners.append(s[4])
            keys.append(s[7][di])
            delays.append(h + s[5])
        e._ai = len(e._arr_t)
    return times, owners, keys, delays, list(e._o_budget)


def simpy_model(times, owners, keys, delays, budgets) -> tuple[int, int]:
    """The same rules as idiomatic SimPy: one source process, one process per flow; the
    lowest free port per (VM, destination key); a flow fails when none is free (C8)."""
    import simpy
    env = simpy.Environment()
    pairs: dict[tuple[int, int], list] = {}
    result = [0, 0]

    def flow(free_heap, slot, delay):
        yield env.timeout(delay)
        heapq.heappush(free_heap, slot)

    def source():
        for t, o, k, d in zip(times, owners, keys, delays):
            yield env.timeout(t - env.now)
            pr = pairs.get((o, k))
            if pr is None:
                pr = pairs[(o, k)] = [0, []]
            if pr[1]:
                slot = heapq.heappop(pr[1])
            elif pr[0] < budgets[o]:
                slot = pr[0]
                pr[0] += 1
            else:
                result[1] += 1
                continue
            result[0] += 1
            env.process(flow(pr[1], slot, t + d - env.now))

    env.process(source())
    env.run()
    return result[0], result[1]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_engine_against_simpy():
    snapshot, stop = build()
    rss0 = peak_rss_mb()
    # CPU time: the machine is shared, and wall time there measures the neighbours
    t0 = time.process_time()
    engine = Engine(snapshot, record_samples=False)
    t1 = time.process_time()
    w1 = time.perf_counter()
    engine.run(until=stop + 400)             # every abandoned port released too
    t2 = time.process_time()
    w2 = time.perf_counter()
    ours_rss = peak_rss_mb()
    ok = sum(engine._gen_cnt[i][1] for i in range(len(engine._gen_ids)))
    failed = sum(engine._gen_cnt[i][2] for i in range(len(engine._gen_ids)))
    flows = ok + failed
    ours = flows / (t2 - t1)
    print(f"\nworkload: {flows:,} flows over {stop:.0f} s, {failed / flows:.1%} failed "
          f"(SNAT), 200 VMs x 256 ports, 50 destinations")
    print(f"engine:  setup {t1 - t0:.2f} s, run {t2 - t1:.2f} s CPU ({w2 - w1:.2f} s wall) -> "
          f"{ours:,.0f} flows per CPU-second; peak RSS {ours_rss:.0f} MB (process before: "
          f"{rss0:.0f} MB)")
    fast_engine = Engine(snapshot, record_samples=False)
    t5 = time.process_time()
    fastpath.fast_forward(fast_engine, stop + 400)
    t6 = time.process_time()
    fast_rss = peak_rss_mb()
    f_ok = sum(c[1] for c in fast_engine._gen_cnt)
    f_failed = sum(c[2] for c in fast_engine._gen_cnt)
    fast = flows / (t6 - t5)
    print(f"fast-forward (simulate's path): {t6 - t5:.2f} s CPU -> {fast:,.0f} flows per "
          f"CPU-second; peak RSS {fast_rss:.0f} MB")
    assert (f_ok, f_failed) == (ok, failed)
    del fast_engine
    arrivals = workload(snapshot)
    del engine
    gc.collect()
    t3 = time.process_time()
    w3 = time.perf_counter()
    s_ok, s_failed = simpy_model(*arrivals)
    t4 = time.process_time()
    w4 = time.perf_counter()
    theirs = flows / (t4 - t3)
    print(f"simpy:   run {t4 - t3:.2f} s CPU ({w4 - w3:.2f} s wall) -> {theirs:,.0f} flows per "
          f"CPU-second")
    print(f"ratio:   {ours / theirs:.1f}x SimPy (event loop), {fast / theirs:.1f}x SimPy "
          f"(fast-forward)")
    assert (s_ok, s_failed) == (ok, failed)
    assert 0.01 < failed / flows < 0.15, "tune RATE: the workload should fail about 5 %"


if __name__ == "__main__":   # pragma: no cover
    pytest.main([__file__, "-s"])
