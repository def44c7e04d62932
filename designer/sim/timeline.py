"""Python's own events, between kernel calls: health probes (M-A10, M-B12), metric samples
every ``sample_s`` (C12: the series and ``flows_failing``), and generator stops that close
pooled connections.  They share the kernel's sequence counter, so simultaneous events keep
one order: timers, generator stops, probes, arrivals, samples.

Quiet probe rounds: once every member of a load balancer answers as its state says (up and
answering, or down and not), its rounds change nothing until a snapshot (the answers are
fixed per snapshot) - they only count.  Those rounds wait in a second heap that does not stop
the kernel: they run, in their order, when Python next has control and they come before what
happens next (``run_quiet_before``), and at the end of a ``run(until)`` up to ``until``; they
are not events a step stops at (``Engine.peek`` does not report them while anything else is
left).  On the demo at full speed they were 40,000 kernel hand-overs in 3 s of wall time.  A
snapshot puts them back among the others (the next round decides again).
"""
from __future__ import annotations

import heapq
import math
from typing import TYPE_CHECKING

import numpy as np

from . import kernel as K
from .paths import PROTOCOLS

if TYPE_CHECKING:   # pragma: no cover
    from .engine import Engine

INF = math.inf
GENSTOP, PROBE, SAMPLE = range(3)


def _count_round(state: list, answers: bool) -> None:
    """A probe round's count for one member ([up, silent rounds in a row, answered rounds in
    a row]): M-A10 / M-B12 take a member down or up after ``need`` of them."""
    if answers:
        state[1] = 0
        state[2] += 1
    else:
        state[2] = 0
        state[1] += 1


class Timeline:
    def __init__(self, engine: "Engine"):
        self.e = engine
        self.heap: list[tuple] = []
        #: probe rounds of load balancers whose rounds change nothing (see the module), and
        #: what such a round does: per running member, its state and whether it answers
        self.quiet: list[tuple] = []
        self._quiet_rounds: dict[str, list[tuple[list, bool]]] = {}
        self.probe_cfg: dict[str, tuple] = {}
        #: (lb, vm) -> (answers, why not): what a probe round finds for a running member,
        #: fixed for a snapshot (its NSGs and the VM's probe_responds)
        self.probe_answer: dict[tuple[str, str], tuple[bool, str]] = {}
        self.probe_state: dict[tuple[str, str], list] = {}   # (lb, vm) -> [up, fails, oks]
        self.probe_sched: set[str] = set()
        self.eligible: dict[str, list[int]] = {}
        self.all_down: dict[str, bool] = {}
        self.stops: set[tuple[int, float]] = set()
        # the series: per sample, used ports (max of the protocols) and new failures per VM
        self.series_t: list[float] = []
        self.series_used: list[np.ndarray] = []
        self.series_failed: list[np.ndarray] = []
        #: per sample, the allocated ports of the protocol each VM's used_ports is of, and
        #: {node id: (used, allocated)} of every public IP and NAT gateway (the busier
        #: protocol of each) - the reports' allocated and address series (issue 13)
        self.series_allocated: list[np.ndarray] = []
        self.series_ports: list[dict[str, dict[str, tuple[int, int]]]] = []
        self._last_failed = np.zeros(0, np.int64)
        self._gen_last_fail = np.zeros(0, np.int64)
        self._gen_failing = np.zeros(0, bool)

    # ------------------------------------------------------------------ the heap
    def push(self, t: float, prio: int, code: int, arg, into: list | None = None) -> None:
        """An event on the heap (``into``: the quiet probe rounds' heap instead)."""
        heapq.heappush(self.heap if into is None else into,
                       (t, prio, self.e.next_seq(), code, arg))

    def top(self) -> tuple[float, int, int]:
        """The next event the kernel must stop for (quiet probe rounds are not)."""
        if not self.heap:
            return INF, 0, 0
        t, prio, seq = self.heap[0][:3]
        return t, prio, seq

    def first_time(self) -> float:
        """The time of the next event, quiet probe rounds included."""
        return min(self.heap[0][0] if self.heap else INF,
                   self.quiet[0][0] if self.quiet else INF)

    def run_next(self) -> None:
        """The next event the kernel stopped for, after the quiet rounds before it."""
        self.run_quiet_before(self.heap[0][:3])
        self._run(heapq.heappop(self.heap))

    def has_quiet_before(self, key: tuple) -> bool:
        return bool(self.quiet) and self.quiet[0][:3] < key

    def run_quiet_before(self, key: tuple, limit: int | None = None, *,
                         move_now: bool = False) -> int:
        """The quiet probe rounds whose (time, priority, sequence) comes before ``key``, at
        most ``limit`` of them (they count as events, as when they stopped the kernel);
        ``move_now``: they are the engine's next events, its time follows them.  Returns how
        many ran."""
        quiet = self.quiet
        if not quiet or not quiet[0][:3] < key:
            return 0
        rounds, cfg, next_seq = self._quiet_rounds, self.probe_cfg, self.e.next_seq
        done = 0
        while quiet and quiet[0][:3] < key and (limit is None or done < limit):
            done += 1
            t, _, _, _, lb_id = quiet[0]
            if move_now:
                self.e.now = t
            for state, answers in rounds[lb_id]:     # what probe() does for a quiet round
                _count_round(state, answers)
            heapq.heapreplace(quiet, (t + cfg[lb_id][0], K.PRIO_PROBE, next_seq(), PROBE,
                                      lb_id))
        return done

    def wake_quiet(self) -> None:
        """A snapshot: the quiet rounds go back among the others (the next decides again)."""
        for entry in self.quiet:
            heapq.heappush(self.heap, entry)
        self.quiet.clear()
        self._quiet_rounds.clear()

    def _run(self, entry: tuple) -> None:
        t, _, _, code, arg = entry
        self.e.now = t
        if code == SAMPLE:
            self.take_sample(t)
        elif code == PROBE:
            self.probe(arg, t)
        else:
            self.close_pools(arg, t)

    def schedule_stop(self, gen_i: int, stop: float) -> None:
        if (gen_i, stop) not in self.stops and stop >= self.e.now:
            self.stops.add((gen_i, stop))
            self.push(stop, K.PRIO_STOP, GENSTOP, gen_i)

    # ------------------------------------------------------------------ samples (C12)
    def take_sample(self, t: float) -> None:
        """Every sample_s: the series and flows_failing (C12: 1-minute by default)."""
        e = self.e
        st = e.st
        n_vm = len(e.vm_ids)
        used, allocated = e.port_use()
        failed = st.vm_cnt[:n_vm, K.FSNAT].copy()
        last = np.zeros(n_vm, np.int64)
        last[:len(self._last_failed)] = self._last_failed[:n_vm]
        self._last_failed = failed
        self.series_t.append(t)
        self.series_used.append(used.max(axis=1) if n_vm else np.zeros(0, np.int64))
        self.series_failed.append(failed - last)
        if n_vm:    # the busier protocol (ties: the larger budget), as the gauge shows it
            busier = np.argmax(used * (int(allocated.max(initial=0)) + 1) + allocated, axis=1)
            self.series_allocated.append(allocated[np.arange(n_vm), busier])
        else:
            self.series_allocated.append(np.zeros(0, np.int64))
        self.series_ports.append(self.port_owners())
        n_gen = len(e.gen_ids)
        c = st.gen_cnt[:n_gen]
        gen_failed = c[:, K.FSNAT] + c[:, K.FNSG] + c[:, K.FROUTE]
        last_g = np.zeros(n_gen, np.int64)
        last_g[:len(self._gen_last_fail)] = self._gen_last_fail[:n_gen]
        was = np.zeros(n_gen, bool)
        was[:len(self._gen_failing)] = self._gen_failing[:n_gen]
        failing = gen_failed > last_g
        for g in np.flatnonzero(failing & ~was).tolist():
            e.event(t, "flows_failing", generator=e.gen_ids[g],
                    failed=int(gen_failed[g] - last_g[g]))
        self._gen_last_fail = gen_failed.copy()
        self._gen_failing = failing
        self.push(t + e.sample_s, K.PRIO_SAMPLE, SAMPLE, 0)

    def port_owners(self) -> dict[str, dict[str, tuple[int, int]]]:
        """(used, allocated) of every public IP and NAT gateway now (the busier protocol)."""
        e = self.e
        rows: dict[str, dict[str, tuple[int, int]]] = {"public_ips": {}, "nat_gateways": {}}

        def keep(table: str, node_id: str, used: int, allocated: int) -> None:
            have = rows[table].get(node_id)
            if have is None or (used, allocated) > have:
                rows[table][node_id] = (int(used), int(allocated))
        pip_used = e.st.pip_used.tolist()
        for i, (pip_id, _proto) in enumerate(e.owners.pip_keys):
            keep("public_ips", pip_id, pip_used[i], e.owners.pip_alloc[i])
        for (nat_id, _proto), pool in e.nat.current.items():
            keep("nat_gateways", nat_id, pool.used, pool.size)
            for k, pip_id in enumerate(pool.pips):
                keep("public_ips", pip_id, pool.ip_used(k), pool.per_ip)
        return rows

    def allocated_series(self, vm_i: int) -> list[int]:
        return [int(col[vm_i]) if vm_i < len(col) else 0 for col in self.series_allocated]

    def owner_series(self, table: str) -> dict[str, tuple[list[int], list[int]]]:
        """node id -> (used, allocated) at every sample (0 where it did not exist)."""
        ids = sorted({n for sample in self.series_ports for n in sample[table]})
        return {n: ([s[table].get(n, (0, 0))[0] for s in self.series_ports],
                    [s[table].get(n, (0, 0))[1] for s in self.series_ports]) for n in ids}

    def vm_series(self, vm_i: int) -> tuple[list[int], list[int]]:
        """(used ports, failed flows) of one VM at every sample so far (0 before it existed)."""
        used = [int(col[vm_i]) if vm_i < len(col) else 0 for col in self.series_used]
        failed = [int(col[vm_i]) if vm_i < len(col) else 0 for col in self.series_failed]
        return used, failed

    # ------------------------------------------------------------------ probes
    def setup_probes(self) -> None:
        e = self.e
        topo = e.topo
        self.wake_quiet()                 # new answers: every load balancer decides again
        cfg = {}
        self.probe_answer = {}
        for lb in topo.nodes("load_balancer"):
            if lb.probe is None:
                continue
            probe = lb.probe
            if e.classic or lb.sku == "basic":
                need = max(probe.count, 1)      # M-A10 numberOfProbes
            else:
                need = probe.threshold or 1     # M-B12 probeThreshold, unset = 1
            members = topo.backend_pool(lb.id)
            cfg[lb.id] = (float(probe.interval_s), need, probe.protocol, probe.port,
                          tuple(members))
            for vm_id in members:
                e.register_vm(vm_id)
                self.probe_state.setdefault((lb.id, vm_id), [True, 0, 0])
                # the NSG verdict once per snapshot, not at every round: a subnet's NSG is
                # found through the subnet's links, thousands of them in a large pool
                verdict = e.nsg.inbound(vm_id, "tcp", "168.63.129.16", probe.port)
                why = verdict.reason if verdict.denied else \
                    f"the application does not answer the {probe.protocol} probe on port " \
                    f"{probe.port}"
                self.probe_answer[(lb.id, vm_id)] = \
                    (topo.node(vm_id).probe_responds and verdict.allowed, why)
            if lb.id not in self.probe_sched:
                self.probe_sched.add(lb.id)
                self.push(e.now + probe.interval_s, K.PRIO_PROBE, PROBE, lb.id)
        self.probe_cfg = cfg
        for key in [k for k in self.probe_state
                    if k[0] not in cfg or k[1] not in cfg[k[0]][4]]:
            del self.probe_state[key]

    def vm_eligible(self, lb_id: str, vm_id: str) -> bool:
        e = self.e
        vm = e.topo.get(vm_id)
        if vm is None or vm.state != "running":
            return False                           # stopped VMs are not probed (M-B12)
        if not e.classic:
            if vm.admin_state == "up":
                return True                        # admin state overrides (M-B12)
            if vm.admin_state == "down":
                return False
        if lb_id not in self.probe_cfg:
            return True                            # no probe: every member is eligible
        return self.probe_state[(lb_id, vm_id)][0]

    def update_eligible(self, t: float) -> None:
        """Which backends take new flows, per load balancer; the kernel's inbound tables."""
        e = self.e
        topo = e.topo
        rows, elig_all, run_all, members_all = [], [], [], []
        for lb in topo.nodes("load_balancer"):
            members = topo.backend_pool(lb.id)
            pos = [m for m, v in enumerate(members) if self.vm_eligible(lb.id, v)]
            self.eligible[lb.id] = [e.vm_idx[members[m]] for m in pos]
            down = bool(members) and not pos
            was = self.all_down.get(lb.id, False)
            self.all_down[lb.id] = down
            if down and not was:
                self.all_probes_down(lb, t)
            if lb.id in e.lb_idx:
                running = [m for m, v in enumerate(members) if topo.node(v).state == "running"]
                allup = not e.classic and lb.sku == "standard" and \
                    lb.no_healthy_backends == "all_probed_up"
                rows.append((e.lb_idx[lb.id], len(elig_all), len(pos), len(run_all),
                             len(running), int(allup), len(members_all)))
                elig_all += pos
                run_all += running
                members_all += [e.vm_idx[v] for v in members]
        st = e.st
        st.lb = np.zeros((len(e.lb_ids), K.NL), np.int64)
        for lbi, *cols in rows:
            st.lb[lbi] = cols
        st.lb_elig = np.array(elig_all, np.int64)
        st.lb_run = np.array(run_all, np.int64)
        st.lb_member_vm = np.array(members_all, np.int64)

    def all_probes_down(self, lb, t: float) -> None:
        """M-A10: Basic ends every flow to the pool; M-B12: Standard keeps TCP, ends UDP."""
        e = self.e
        basic = e.classic or lb.sku == "basic"
        keep_tcp = not basic and not (e.opts["all_down_standard_tcp"] == "survive_if_pool_gt_1"
                                      and len(e.topo.backend_pool(lb.id)) <= 1)
        st = e.st
        rows = st.live_rows()
        lbi = e.lb_idx.get(lb.id, -1)
        f = st.flows[rows]
        ending = rows[(f[:, K.FL_KIND] == K.K_IN) & (f[:, K.FL_OWNER] == lbi) &
                      ~(keep_tcp & (f[:, K.FL_PROTO] == 0))]
        e.end_flows(ending, count=False)
        e.event(t, "all_backends_down", lb=lb.id, flows_ended=len(ending))

    def probe(self, lb_id: str, t: float) -> None:
        e = self.e
        cfg = self.probe_cfg.get(lb_id)
        if cfg is None:
            self.probe_sched.discard(lb_id)
            return
        interval, need, _protocol, _port, members = cfg
        changed = False
        for vm_id in members:
            vm = e.topo.get(vm_id)
            state = self.probe_state[(lb_id, vm_id)]
            if vm is None or vm.state != "running":
                if state[0]:
                    state[0] = False
                    changed = True
                    e.event(t, "probe_down", lb=lb_id, vm=vm_id, reason="VM stopped")
                continue
            ok, why = self.probe_answer[(lb_id, vm_id)]
            _count_round(state, ok)
            if ok:
                if not state[0] and state[2] >= need:
                    state[0] = True
                    changed = True
                    e.event(t, "probe_up", lb=lb_id, vm=vm_id)
            else:
                if state[0] and state[1] >= need:
                    state[0] = False
                    changed = True
                    e.event(t, "probe_down", lb=lb_id, vm=vm_id, reason=why)
        if changed:
            self.update_eligible(t)
        quiet = not changed and self._answers_as_it_stands(lb_id)
        self.push(t + interval, K.PRIO_PROBE, PROBE, lb_id, self.quiet if quiet else None)

    def _answers_as_it_stands(self, lb_id: str) -> bool:
        """Whether every member's next round would leave it as it is: a running member
        answers and is up, or does not and is down; a stopped one is down.  If so, what
        such a round does is kept for the quiet rounds that follow."""
        e = self.e
        rounds = []
        for vm_id in self.probe_cfg[lb_id][4]:
            vm = e.topo.get(vm_id)
            state = self.probe_state[(lb_id, vm_id)]
            if vm is None or vm.state != "running":
                if state[0]:
                    return False
                continue
            answers = self.probe_answer[(lb_id, vm_id)][0]
            if answers != state[0]:
                return False
            rounds.append((state, answers))
        self._quiet_rounds[lb_id] = rounds
        return True

    def probe_states(self) -> dict[tuple[str, str], str]:
        return {k: ("up" if self.vm_eligible(k[0], k[1]) else "down")
                for k in sorted(self.probe_state)}

    # ------------------------------------------------------------------ generator stops
    def close_pools(self, gen_i: int, t: float) -> None:
        """A generator stops: its pooled connections close per ``close`` (FIN/RST timers)."""
        from .policy import CLOSE_CODES, release_delays
        e = self.e
        st = e.st
        gen = e.topo.get(e.gen_ids[gen_i])
        close = CLOSE_CODES[gen.close] if gen is not None else 0
        ending, timers = [], []
        for (g, _, _), c in e.conn_index.items():
            if g != gen_i:
                continue
            base, n = int(st.conn_pool[c, K.C_BASE]), int(st.conn_pool[c, K.C_N])
            for row in st.conns[base:base + n].tolist():
                st.flows[row, K.FL_CONN] = -1
                vm_i, proto = int(st.flows[row, K.FL_VM]), PROTOCOLS[st.flows[row, K.FL_PROTO]]
                route = e.routes.get((vm_i, proto))
                if route is None or gen is None:
                    ending.append(row)
                    continue
                rel = release_delays(e, route.path, gen)[close]
                last = st.flows_f[row, K.FF_LAST]
                if close == 2:
                    rel = INF if rel == INF else max(last + rel - t, 0.0)
                st.flows_f[row, K.FF_IDLE] = INF     # the idle timer no longer applies
                st.flows_f[row, K.FF_LAST] = t
                if rel != INF:
                    timers.append((t + rel, row))
            st.conn_pool[c, K.C_N] = 0
        e.end_flows(np.array(ending, np.int64))
        if timers:
            times, rows = zip(*timers)
            st.sync()
            e.kernel.push_timers(st.m, st.f, np.array(times, np.float64),
                                 np.array(rows, np.int64))
