"""The steppable simulation engine (no Qt).

Shape, for speed from the start (perf-baselines.md section 1):

* Arrivals of all generators are one superposed Poisson stream drawn up front with numpy in
  chunks, per segment of constant rates (a segment ends at a generator's start/stop or a new
  snapshot; Poisson arrivals are memoryless, so cutting a chunk there is exact).  Arrivals never
  enter the event heap.
* The heap holds only timers as plain tuples ``(t, priority, sequence, code, arg)``: port
  releases, idle checks of pooled connections, health probes, generator stops, metric samples.
* The per-VM port allocator (lowest free port per (owner, destination key), C7) is inlined in
  the arrival loop; flows are tuples in one dict, no per-flow objects or closures.
* One seeded ``numpy.random.Generator`` serves all randomness, consumed in a deterministic
  order, so a scenario and a seed give one answer.

Events at the same time are ordered by (time, priority, sequence): releases and timers first,
then probes, then arrivals, then metric samples.
"""
from __future__ import annotations

import bisect
import gc
import heapq
import itertools
import math
import time as _time
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping, NamedTuple

import numpy as np

from ..model.topology import Scenario
from ..model.validation import Finding
from . import ports as P
from .nsg import ALLOW_NO_NSG, INTERNET_CLIENT_IP, PLATFORM_ADDRESSES, NsgEvaluator, ip_int
from .paths import PROTOCOLS, ProtocolPath, Resolution, resolve

INF = math.inf
# heap event codes and priorities
REL, IDLE, INB_END, GENSTOP, PROBE, SAMPLE = range(6)
PRIO_TIMER, PRIO_STOP, PRIO_PROBE, PRIO_ARRIVAL, PRIO_SAMPLE = 0, 1, 2, 3, 4
# route kinds
K_NONE, K_ILPIP, K_EXCL, K_NAT, K_IN = range(5)
KIND_CODES = {"none": K_NONE, "instance_ip": K_ILPIP, "load_balancer": K_EXCL,
              "default": K_EXCL, "nat_gateway": K_NAT}
# counter slots
ATT, OK, FSNAT, FNSG, FROUTE = range(5)
COUNTER_NAMES = ("attempted", "succeeded", "failed_snat", "denied_nsg", "no_route")
CLOSE_CODES = {"fin": 0, "rst": 1, "idle": 2}
#: arrivals drawn per chunk (fixed, so the random stream never depends on how run() is called)
CHUNK = 8192
#: default cap of flow samples per frame (animation)
SAMPLE_LIMIT = 2000


# ============================================================================ frames

class Counters(NamedTuple):
    attempted: int
    succeeded: int
    failed_snat: int
    denied_nsg: int
    no_route: int

    def as_dict(self) -> dict[str, int]:
        return self._asdict()


class PortUse(NamedTuple):
    """Azure Monitor's UsedSnatPorts / AllocatedSnatPorts for one protocol (C12, M-B15)."""
    used: int
    allocated: int


class FlowSample(NamedTuple):
    """One flow start / end / failure for the animation."""
    t: float
    event: str            # start | end | fail
    vm: str | None
    generator: str
    protocol: str
    nodes: tuple[str, ...]  # the path the flow takes, destination last
    outcome: str          # succeeded | failed_snat | denied_nsg | no_route | ended
    failed_at: str | None  # node where it failed (frontend PIP / NAT, NSG, VM)


@dataclass(frozen=True)
class Frame:
    """An immutable view of the engine at one simulated time.  Counters are cumulative."""
    t: float
    vms: Mapping[str, Counters]
    generators: Mapping[str, Counters]
    snat: Mapping[str, Mapping[str, PortUse]]          # vm -> protocol -> use
    public_ips: Mapping[str, Mapping[str, PortUse]]    # public IP id -> protocol -> use
    nat_gateways: Mapping[str, Mapping[str, PortUse]]  # NAT id -> protocol -> use
    probes: Mapping[tuple[str, str], str]              # (lb, vm) -> up | down
    events: tuple[dict, ...]                           # new since the previous frame
    samples: tuple[FlowSample, ...]                    # new since the previous frame
    samples_dropped: int                               # beyond the per-frame cap

    def azure_metrics(self) -> dict[str, dict[str, Any]]:
        """The frame under Azure Monitor's names (C12, M-B15), per VM: AllocatedSnatPorts and
        UsedSnatPorts by protocol, SnatConnectionCount by connection state."""
        out = {}
        for vm, use in self.snat.items():
            c = self.vms[vm]
            out[vm] = {
                "AllocatedSnatPorts": {p: u.allocated for p, u in use.items()},
                "UsedSnatPorts": {p: u.used for p, u in use.items()},
                "SnatConnectionCount": {"Successful": c.succeeded, "Failed": c.failed_snat},
            }
        return out


def _freeze(d: dict) -> Mapping:
    return MappingProxyType(d)


# ============================================================================ NAT gateway pool

class NatPool:
    """M-B8: 64,512 ports x IPs for one protocol, shared on demand; a port may carry several
    mappings as long as their destination keys differ; cool-downs hold a (port, destination)
    after close (M-B9); at most 50,000 flows per IP towards one destination.

    Ports are numbered globally: ``ip index * 64,512 + offset``.
    """

    __slots__ = ("nat_id", "protocol", "pips", "per_ip", "size", "free", "pos", "keys",
                 "per_dest", "used_peak", "ip_used", "ip_peak")

    def __init__(self, nat_id: str, protocol: str, pips: tuple[str, ...]):
        self.nat_id = nat_id
        self.protocol = protocol
        self.pips = pips
        self.per_ip = P.NAT_PORTS_PER_IP
        self.size = self.per_ip * len(pips)
        n = self.per_ip
        # ports without any mapping, per IP (swap-remove lists with positions)
        self.free = [list(range(k * n, (k + 1) * n)) for k in range(len(pips))]
        self.pos = [i % n for i in range(self.size)]
        self.keys: dict[int, dict[int, int]] = {}          # port -> {key: 1}
        self.per_dest: dict[tuple[int, int], int] = {}     # (ip index, key) -> mappings
        self.used_peak = 0
        self.ip_used = [0] * len(pips)
        self.ip_peak = [0] * len(pips)

    @property
    def used(self) -> int:
        return sum(self.ip_used)

    def allocate(self, key: int, engine: "Engine") -> int:
        """A port for a new flow to ``key``, or -1 (C8).  A random port without any mapping
        first; else any port without a mapping (live or cooling down) to this key (M-B8)."""
        cap = P.NAT_MAX_PER_DESTINATION
        per_dest = self.per_dest
        if len(self.pips) == 1:                      # the common case, without lists
            if per_dest.get((0, key), 0) >= cap:
                return -1
            eligible = (0,)
            total = len(self.free[0])
        else:
            eligible = [k for k in range(len(self.pips)) if per_dest.get((k, key), 0) < cap]
            if not eligible:
                return -1
            total = sum(len(self.free[k]) for k in eligible)
        if total:
            i = int(engine._uniform() * total)
            for k in eligible:
                n = len(self.free[k])
                if i < n:
                    port = self.free[k][i]
                    self._take_free(k, i)
                    self._add(port, key)
                    return port
                i -= n
        # every port of the eligible IPs carries a mapping: reuse one without this key
        keys = self.keys
        for k in eligible:
            if self.ip_used[k] - per_dest.get((k, key), 0) <= 0:
                continue
            base = k * self.per_ip
            for _ in range(64):
                port = base + int(engine._uniform() * self.per_ip)
                if key not in keys.get(port, ()):
                    self._add(port, key)
                    return port
            for port in range(base, base + self.per_ip):
                held = keys.get(port)
                if held is not None and key not in held:
                    self._add(port, key)
                    return port
        return -1

    def _take_free(self, k: int, i: int) -> None:
        free, pos = self.free[k], self.pos
        port = free[i]
        last = free.pop()
        if last != port:
            free[i] = last
            pos[last] = i
        n = self.ip_used[k] + 1
        self.ip_used[k] = n
        if n > self.ip_peak[k]:
            self.ip_peak[k] = n
        used = sum(self.ip_used) if len(self.ip_used) > 1 else n
        if used > self.used_peak:
            self.used_peak = used

    def _add(self, port: int, key: int) -> None:
        held = self.keys.get(port)
        if held is None:
            held = self.keys[port] = {}
        if key in held:
            raise AssertionError("NAT port allocated twice to one destination")
        held[key] = 1
        dk = (port // self.per_ip, key)
        self.per_dest[dk] = self.per_dest.get(dk, 0) + 1

    def release(self, port: int, key: int) -> None:
        held = self.keys[port]
        del held[key]  # KeyError = released twice
        k = port // self.per_ip
        self.per_dest[(k, key)] -= 1
        if not held:
            del self.keys[port]
            self.ip_used[k] -= 1
            self.pos[port] = len(self.free[k])
            self.free[k].append(port)

    def address_index(self, port: int) -> int:
        return port // self.per_ip


# ============================================================================ the engine

class Engine:
    """``Engine(scenario_snapshot, seed=None)``; ``step()``, ``run(until=t)``, ``now``,
    ``set_snapshot(new)`` (applied at the next step boundary) and ``frame()``."""

    def __init__(self, scenario: Scenario, seed: int | None = None, *, sample_s: float = 60.0,
                 sample_limit: int = SAMPLE_LIMIT, record_samples: bool = True,
                 pause_gc: bool = True):
        if sample_s <= 0:
            raise ValueError("sample_s must be positive")
        self.seed = scenario.seed if seed is None else int(seed)
        self.rng = np.random.default_rng(self.seed % (2 ** 63))
        self.now = 0.0
        self.sample_s = float(sample_s)
        #: switch the cyclic GC off inside run() (process-wide: a GUI may prefer False)
        self.pause_gc = pause_gc
        self.sample_limit = sample_limit if record_samples else 0
        self._heap: list[tuple] = []
        # releases of the arrival loop go to a calendar of buckets instead of the heap: the
        # current bucket is a small heap, later ones are plain lists (exact order: a bucket
        # holds only times later than every earlier bucket's)
        self._cal: dict[int, list[tuple]] = {}
        self._cal_ids: list[int] = []
        self._cur: list[tuple] = []
        self._cur_b = -1
        self._inv_w = 0.0
        self._next_seq = itertools.count(1).__next__
        self._next_fid = self._next_seq      # flow ids and heap sequence share one counter
        self._pending: Scenario | None = None
        self._fast_forwarded = False
        self._ubuf: list[float] = []
        self._upos = 0
        # registries (indices are never reused, so state survives snapshots)
        self._vm_idx: dict[str, int] = {}
        self._vm_ids: list[str] = []
        self._vm_cnt: list[list[int]] = []
        self._vm_extra: list[dict[str, int]] = []
        self._vm_in: list[list[int]] = []     # inbound: received, denied_nsg
        self._gen_idx: dict[str, int] = {}
        self._gen_ids: list[str] = []
        self._gen_cnt: list[list[int]] = []
        self._dest_idx: dict[str, int] = {}
        self._dest_ids: list[str] = []
        self._dest_flows: list[int] = []
        self._dest_seen: list[set] = []
        self._dest_answers: list[dict] = []
        self._key_idx: dict[tuple, int] = {}
        # exclusive SNAT owners: (path owner, vm, protocol)
        self._own_idx: dict[tuple, int] = {}
        self._o_sig: list[tuple] = []
        self._o_vm: list[int] = []
        self._o_proto: list[str] = []
        self._o_budget: list[int] = []
        self._o_used: list[int] = []
        self._o_peak: list[int] = []
        self._o_refc: list[list[int]] = []
        self._o_slots: list[list[tuple[int, int]]] = []  # index -> (pip index, port)
        self._o_pairs: list[dict[int, list]] = []        # key -> [next fresh index, free heap]
        self._o_pip: list[int] = []                      # the pip when all slots are on one
        self._vm_owners: dict[tuple[int, str], list[int]] = {}
        # physical public IPs, per protocol: "<pip id>|tcp"
        self._pip_idx: dict[str, int] = {}
        self._pip_keys: list[tuple[str, str]] = []
        self._pip_addr: list[str] = []
        self._pip_free: list[list[int]] = []   # sorted free ports per IP and protocol
        self._pip_cap: list[int] = []
        self._pip_alloc: list[int] = []
        self._pip_used: list[int] = []
        self._pip_peak: list[int] = []
        self._nat: dict[tuple[str, str], NatPool] = {}
        self._nat_vm_used: dict[tuple[int, str], int] = {}
        self._nat_vm_peak: dict[tuple[int, str], int] = {}
        # flows: fid -> (kind, owner|pool, key, slot, vm, gen, dest, protocol, t0)
        self._flows: dict[int, tuple] = {}
        self._released = 0
        self._allocated = 0
        # pooled connections: (gen, vm, dest) -> [fids]; fid -> last activity
        self._pools: dict[tuple[int, int, int], list[int]] = {}
        self._pool_rr: dict[tuple[int, int, int], int] = {}
        self._conn_last: dict[int, float] = {}
        self._conn_idle: dict[int, float] = {}
        # health probes
        self._probe_cfg: dict[str, tuple] = {}
        self._probe_state: dict[tuple[str, str], list] = {}   # (lb, vm) -> [up, fails, oks]
        self._probe_sched: set[str] = set()
        self._eligible: dict[str, list[int]] = {}
        self._all_down: dict[str, bool] = {}
        # events, samples, series
        self._events: list[dict] = []
        self._events_sent = 0
        self._samples: list[FlowSample] = []
        self._samples_fail: list[FlowSample] = []
        self._samples_dropped = 0
        self._denied_reported: set[int] = set()
        self._exhausted: dict[tuple[int, str], int] = {}
        self._gen_failing: dict[int, bool] = {}
        self._gen_last_fail: dict[int, int] = {}
        self._vm_last_fail: dict[int, int] = {}
        self.series_t: list[float] = []
        self.series_used: dict[int, list[int]] = {}
        self.series_failed: dict[int, list[int]] = {}
        #: per VM the allocated ports of the protocol its used_ports sample is of; per public
        #: IP and NAT gateway id [used, allocated] at each sample (reports, issue 13)
        self.series_allocated: dict[int, list[int]] = {}
        self.series_ports: dict[str, dict[str, list[list[int]]]] = {"public_ips": {},
                                                                    "nat_gateways": {}}
        self.findings: list[Finding] = []
        self._default_addresses: dict[str, str] = {}
        self._genstop_sched: set[tuple[int, float]] = set()
        self._push(0.0, PRIO_SAMPLE, SAMPLE, 0)
        self._apply(scenario)

    # ------------------------------------------------------------------ public API
    @property
    def scenario(self) -> Scenario:
        return self._scenario

    @property
    def resolution(self) -> Resolution:
        return self._resolution

    def set_snapshot(self, scenario: Scenario) -> None:
        """Hand the engine an edited snapshot; it is applied at the next step boundary."""
        self._pending = scenario

    def step(self) -> float:
        """Process one event; returns the new simulated time."""
        self._advance(INF, 1)
        return self.now

    def run(self, until: float, max_events: int | None = None) -> float:
        """Process every event up to ``until`` (or ``max_events`` of them)."""
        if until < self.now:
            raise ValueError(f"cannot run back in time (now {self.now}, until {until})")
        if self._fast_forwarded:
            raise RuntimeError("this engine was fast-forwarded for a report; it cannot go on")
        # the loop creates no reference cycles: the cyclic GC would only rescan the flow
        # table over and over (perf-baselines.md, gotcha 3)
        gc_was_enabled = gc.isenabled() and self.pause_gc
        if gc_was_enabled:
            gc.disable()
        try:
            done = self._advance(until, max_events if max_events is not None else -1)
        finally:
            if gc_was_enabled:
                gc.enable()
        if done and until != INF:
            self.now = until
        return self.now

    def peek(self) -> float:
        """The time of the next event."""
        t_arr = self._arr_t[self._ai] if self._ai < len(self._arr_t) else self._next_arrival()
        self._advance_calendar()
        return min(t_arr, self._heap[0][0] if self._heap else INF,
                   self._cur[0][0] if self._cur else INF)

    def _advance_calendar(self) -> None:
        """When the current bucket is used up, the next non-empty one becomes current."""
        if not self._cur and self._cal_ids:
            b = heapq.heappop(self._cal_ids)
            cur = self._cal.pop(b)
            heapq.heapify(cur)
            self._cur = cur
            self._cur_b = b

    # ------------------------------------------------------------------ helpers
    def _push(self, t: float, prio: int, code: int, arg: Any) -> None:
        heapq.heappush(self._heap, (t, prio, self._next_seq(), code, arg))

    def _uniform(self) -> float:
        if self._upos >= len(self._ubuf):
            self._ubuf = self.rng.random(4096).tolist()
            self._upos = 0
        u = self._ubuf[self._upos]
        self._upos += 1
        return u

    def _event(self, t: float, kind: str, **fields: Any) -> None:
        e = {"t": t, "kind": kind}
        e.update(fields)
        self._events.append(e)

    def _sample(self, t, event, vm_i, gen_i, protocol, nodes, outcome, failed_at) -> None:
        """Keep up to half the per-frame cap for starts/ends and half for failures, so a burst
        of starts never hides the failures that follow it."""
        bucket = self._samples_fail if event == "fail" else self._samples
        if len(bucket) < self.sample_limit // 2:
            bucket.append(FlowSample(
                t, event, self._vm_ids[vm_i] if vm_i >= 0 else None, self._gen_ids[gen_i],
                protocol, nodes, outcome, failed_at))
        elif self.sample_limit:
            self._samples_dropped += 1

    def _register(self, ident: str, index: dict, ids: list, *tables: tuple) -> int:
        i = index.get(ident)
        if i is None:
            i = index[ident] = len(ids)
            ids.append(ident)
            for table, factory in tables:
                table.append(factory())
        return i

    def _vm(self, vm_id: str) -> int:
        return self._register(vm_id, self._vm_idx, self._vm_ids,
                              (self._vm_cnt, lambda: [0, 0, 0, 0, 0]),
                              (self._vm_extra, dict), (self._vm_in, lambda: [0, 0]))

    def _gen(self, gen_id: str) -> int:
        return self._register(gen_id, self._gen_idx, self._gen_ids,
                              (self._gen_cnt, lambda: [0, 0, 0, 0, 0]))

    def _dest(self, dest_id: str) -> int:
        return self._register(dest_id, self._dest_idx, self._dest_ids,
                              (self._dest_flows, int), (self._dest_seen, set),
                              (self._dest_answers, dict))

    def _key(self, mode: str, address: str, port: int) -> int:
        k = ("ip", address) if mode == "ip" else ("any",) if mode == "any" else \
            ("ipp", address, port)
        i = self._key_idx.get(k)
        if i is None:
            i = self._key_idx[k] = len(self._key_idx)
        return i

    def _pip(self, pip_id: str, protocol: str, address: str, capacity: int) -> int:
        key = f"{pip_id}|{protocol}"
        i = self._pip_idx.get(key)
        if i is None:
            i = self._pip_idx[key] = len(self._pip_keys)
            self._pip_keys.append((pip_id, protocol))
            self._pip_addr.append(address)
            self._pip_free.append(list(range(P.FIRST_SNAT_PORT, P.FIRST_SNAT_PORT + capacity)))
            self._pip_cap.append(capacity)
            self._pip_alloc.append(0)
            self._pip_used.append(0)
            self._pip_peak.append(0)
        else:
            self._pip_addr[i] = address
            old = self._pip_cap[i]
            if capacity > old:   # more ports usable (fewer rule blocks): add them
                for port in range(P.FIRST_SNAT_PORT + old, P.FIRST_SNAT_PORT + capacity):
                    bisect.insort(self._pip_free[i], port)
                self._pip_cap[i] = capacity
            # a smaller capacity only stops new grants; ports already granted stay (M-A9 spirit)
            elif capacity < old:
                self._pip_cap[i] = capacity
                limit = P.FIRST_SNAT_PORT + capacity
                self._pip_free[i] = [p for p in self._pip_free[i] if p < limit]
        return i

    # ------------------------------------------------------------------ snapshots
    def _apply(self, scenario: Scenario) -> None:
        """Apply a snapshot: routes, owners (re-tiering, M-A9), probes, streams."""
        initial = not hasattr(self, "_scenario")
        old = None if initial else self._scenario
        self._scenario = scenario
        self.opts = scenario.effective_options
        self.classic = scenario.semantics == "classic"
        res = resolve(scenario, self._default_addresses)
        self._default_addresses = res.default_addresses
        self._resolution = res
        self.nsg = NsgEvaluator(scenario)
        topo = scenario.topology
        self._topo = topo
        self._nat_timers = P.NAT_TIMERS[self.opts["nat_timers"]]
        self._immediate = self.opts["release_on_close"] == "immediate"
        self.findings = list(res.findings)
        self._nodes_cache: dict = {}

        # ---- routes and SNAT owners
        routes: dict[tuple[int, str], tuple] = {}
        current_owners: set[int] = set()
        current_nat: set[tuple[str, str]] = set()
        for vm_id, vm_path in res.paths.items():
            vm_i = self._vm(vm_id)
            for proto in PROTOCOLS:
                path = vm_path.protocol(proto)
                kind = KIND_CODES[path.kind]
                owner = -1
                if kind == K_EXCL:
                    owner = self._owner(path, vm_i, proto)
                    current_owners.add(owner)
                elif kind == K_NAT:
                    owner = self._nat_pool(path)
                    current_nat.add((path.via, proto))
                routes[(vm_i, proto)] = (kind, owner, path)
        old_routes = getattr(self, "_routes", {})
        self._routes = routes
        # flows whose path is gone end now; NAT attach leaves established flows alone (M-B10)
        removed_vms = {i for i, v in enumerate(self._vm_ids) if v not in res.paths}
        for fid, rec in list(self._flows.items()):
            kind, owner, _, _, vm_i, gen_i = rec[:6]
            proto = rec[7]
            if kind == K_IN:
                continue
            if vm_i in removed_vms:
                self._end_flow(fid, "vm removed")
                continue
            if kind == K_EXCL and owner not in current_owners:
                new = routes.get((vm_i, proto))
                nat_takeover = new is not None and new[0] == K_NAT and \
                    self._topo.node(new[2].via).sku == "standard"
                if not nat_takeover:
                    self._end_flow(fid, "path removed")
            elif kind == K_NAT and (owner.nat_id, proto) not in current_nat:
                self._end_flow(fid, "path removed")
        # pooled connections of removed generators or on ended flows
        gens_now = {g.id for g in topo.nodes("traffic_generator")}
        for pkey, conns in list(self._pools.items()):
            if self._gen_ids[pkey[0]] not in gens_now:
                for fid in conns:
                    if fid in self._flows:
                        self._end_flow(fid, "generator removed")
                del self._pools[pkey]
            else:
                conns[:] = [f for f in conns if f in self._flows]
        # M-A9: budgets follow the pool size (re-tier), for the current owners
        for o in sorted(current_owners, key=lambda o: repr(self._o_sig[o])):
            vm_path = res.paths[self._vm_ids[self._o_vm[o]]].protocol(self._o_proto[o])
            self._set_budget(o, vm_path.ports, vm_path)
        # C4: NSG rule changes affect new flows only, unless flush_connection re-evaluates
        if old is not None:
            self._flush_nsgs(old, scenario)
        # ---- probes
        self._setup_probes()
        # ---- generators -> streams
        self._build_streams()
        # owners no longer on any VM's path give their idle slots back to the public IPs
        for o in range(len(self._o_sig)):
            if o not in current_owners and self._o_used[o] == 0 and self._o_slots[o]:
                for pip_i, port in self._o_slots[o]:
                    bisect.insort(self._pip_free[pip_i], port)
                    self._pip_alloc[pip_i] -= 1
                self._o_slots[o] = []
                self._o_refc[o] = []
                self._o_pairs[o] = {}
                self._o_budget[o] = 0
        self._recount_pips()

    def _owner(self, path: ProtocolPath, vm_i: int, proto: str) -> int:
        sig = (path.owner, vm_i, proto)
        o = self._own_idx.get(sig)
        if o is None:
            o = self._own_idx[sig] = len(self._o_sig)
            self._o_sig.append(sig)
            self._o_vm.append(vm_i)
            self._o_proto.append(proto)
            self._o_budget.append(0)
            self._o_used.append(0)
            self._o_peak.append(0)
            self._o_refc.append([])
            self._o_slots.append([])
            self._o_pairs.append({})
            self._o_pip.append(-1)
            self._vm_owners.setdefault((vm_i, proto), []).append(o)
        return o

    def _nat_pool(self, path: ProtocolPath) -> NatPool:
        key = (path.via, path.protocol)
        pool = self._nat.get(key)
        if pool is None or pool.pips != path.public_ip_ids:
            if pool is not None:   # the gateway's IPs changed: its mappings end
                for fid, rec in list(self._flows.items()):
                    if rec[0] == K_NAT and rec[1] is pool:
                        self._end_flow(fid, "NAT gateway IPs changed")
            pool = self._nat[key] = NatPool(path.via, path.protocol, path.public_ip_ids)
        return pool

    def _set_budget(self, o: int, budget: int, path: ProtocolPath) -> None:
        """Grant or revoke slots so that owner ``o`` holds ``budget`` of them.  Growth of the
        pool into a higher tier revokes slots chosen at random; flows on them end (M-A9)."""
        proto = self._o_proto[o]
        pips = [self._pip(pid, proto, addr, cap) for pid, addr, cap in
                zip(path.public_ip_ids, path.public_ips, path.capacities)]
        slots = self._o_slots[o]
        old = len(slots)
        if budget < old:
            keep = np.sort(self.rng.choice(old, size=budget, replace=False)).tolist() \
                if budget else []
            keep_set = set(keep)
            revoked = [i for i in range(old) if i not in keep_set]
            vm_id = self._vm_ids[self._o_vm[o]]
            ended = 0
            for fid, rec in list(self._flows.items()):
                if rec[0] == K_EXCL and rec[1] == o and rec[3] not in keep_set:
                    self._end_flow(fid, "slot revoked")
                    ended += 1
            for i in revoked:
                pip_i, port = slots[i]
                bisect.insort(self._pip_free[pip_i], port)
                self._pip_alloc[pip_i] -= 1
            remap = {old_i: new_i for new_i, old_i in enumerate(keep)}
            self._o_slots[o] = [slots[i] for i in keep]
            refc = [0] * budget
            pairs: dict[int, list] = {}
            for fid, rec in list(self._flows.items()):
                if rec[0] == K_EXCL and rec[1] == o:
                    new_i = remap[rec[3]]
                    self._flows[fid] = rec[:3] + (new_i,) + rec[4:]
                    refc[new_i] += 1
                    pairs.setdefault(rec[2], []).append(new_i)
            self._o_refc[o] = refc
            self._o_pairs[o] = {}
            for key, used_idx in pairs.items():
                top = max(used_idx) + 1
                used_set = set(used_idx)
                free = [i for i in range(top) if i not in used_set]
                heapq.heapify(free)
                self._o_pairs[o][key] = [top, free]
            self._o_budget[o] = budget
            self._o_used[o] = sum(1 for c in refc if c)
            self._event(self.now, "ports_revoked", vm=vm_id, protocol=proto, before=old,
                        after=budget, flows_ended=ended)
        elif budget > old:
            need = budget - old
            for pip_i in pips:
                free = self._pip_free[pip_i]     # sorted: the lowest free ports first
                take = free[:need]
                del free[:need]
                slots.extend((pip_i, port) for port in take)
                self._pip_alloc[pip_i] += len(take)
                need -= len(take)
            self._o_refc[o].extend([0] * (len(slots) - old))
            self._o_budget[o] = len(slots)
            if need:
                vm_id = self._vm_ids[self._o_vm[o]]
                self._event(self.now, "ports_short", vm=vm_id, protocol=proto, wanted=budget,
                            granted=len(slots))
        pipset = {s[0] for s in self._o_slots[o]}
        self._o_pip[o] = next(iter(pipset)) if len(pipset) == 1 else -1

    def _recount_pips(self) -> None:
        """Per public IP used ports, recounted in place after a snapshot (rare)."""
        used = self._pip_used
        for i in range(len(used)):
            used[i] = 0
        for o, refc in enumerate(self._o_refc):
            slots = self._o_slots[o]
            for i, c in enumerate(refc):
                if c:
                    used[slots[i][0]] += 1

    def _flush_nsgs(self, old: Scenario, new: Scenario) -> None:
        """C4: flows are re-evaluated only for NSGs with flush_connection whose rules changed."""
        flushed: set[str] = set()
        for nsg in new.topology.nodes("nsg"):
            before = old.topology.get(nsg.id)
            if nsg.flush_connection and (before is None or before.rules != nsg.rules):
                flushed.add(nsg.id)
        if not flushed:
            return
        topo = new.topology
        for fid, rec in list(self._flows.items()):
            kind, _, _, _, vm_i, _, dest_i, proto = rec[:8]
            vm_id = self._vm_ids[vm_i]
            if vm_id not in topo or not set(topo.nsgs_of_vm(vm_id)) & flushed:
                continue
            if kind == K_IN:
                continue
            address, port = self._dest_address(self._dest_ids[dest_i])
            if address and self.nsg.outbound(vm_id, proto, address, port).denied:
                self._end_flow(fid, "denied after NSG flush")

    # ------------------------------------------------------------------ probes
    def _setup_probes(self) -> None:
        topo = self._topo
        cfg = {}
        for lb in topo.nodes("load_balancer"):
            if lb.probe is None:
                continue
            probe = lb.probe
            if self.classic or lb.sku == "basic":
                need = max(probe.count, 1)      # M-A10 numberOfProbes
            else:
                need = probe.threshold or 1     # M-B12 probeThreshold, unset = 1
            members = topo.backend_pool(lb.id)
            cfg[lb.id] = (float(probe.interval_s), need, probe.protocol, probe.port,
                          tuple(members), lb.sku if not self.classic else "basic",
                          lb.no_healthy_backends)
            for vm_id in members:
                self._vm(vm_id)
                self._probe_state.setdefault((lb.id, vm_id), [True, 0, 0])
            if lb.id not in self._probe_sched:
                self._probe_sched.add(lb.id)
                self._push(self.now + probe.interval_s, PRIO_PROBE, PROBE, lb.id)
        self._probe_cfg = cfg
        for key in [k for k in self._probe_state if k[0] not in cfg or k[1] not in cfg[k[0]][4]]:
            del self._probe_state[key]
        self._update_eligible(self.now)

    def _vm_eligible(self, lb_id: str, vm_id: str) -> bool:
        vm = self._topo.get(vm_id)
        if vm is None or vm.state != "running":
            return False                           # stopped VMs are not probed (M-B12)
        if not self.classic:
            if vm.admin_state == "up":
                return True                        # admin state overrides (M-B12)
            if vm.admin_state == "down":
                return False
        if lb_id not in self._probe_cfg:
            return True                            # no probe: every member is eligible
        return self._probe_state[(lb_id, vm_id)][0]

    def _update_eligible(self, t: float) -> None:
        topo = self._topo
        for lb in topo.nodes("load_balancer"):
            members = topo.backend_pool(lb.id)
            elig = [self._vm_idx[v] for v in members if self._vm_eligible(lb.id, v)]
            self._eligible[lb.id] = elig
            down = bool(members) and not elig
            was = self._all_down.get(lb.id, False)
            self._all_down[lb.id] = down
            if down and not was:
                self._all_probes_down(lb, t)

    def _all_probes_down(self, lb, t: float) -> None:
        """M-A10: Basic ends every flow to the pool; M-B12: Standard keeps TCP, ends UDP."""
        basic = self.classic or lb.sku == "basic"
        keep_tcp = not basic and not (self.opts["all_down_standard_tcp"] == "survive_if_pool_gt_1"
                                      and len(self._topo.backend_pool(lb.id)) <= 1)
        ended = 0
        for fid, rec in list(self._flows.items()):
            if rec[0] == K_IN and rec[1] == lb.id and not (keep_tcp and rec[7] == "tcp"):
                del self._flows[fid]
                ended += 1
        self._event(t, "all_backends_down", lb=lb.id, flows_ended=ended)

    def _probe(self, lb_id: str, t: float) -> None:
        cfg = self._probe_cfg.get(lb_id)
        if cfg is None:
            self._probe_sched.discard(lb_id)
            return
        interval, need, protocol, port, members = cfg[:5]
        changed = False
        for vm_id in members:
            vm = self._topo.get(vm_id)
            state = self._probe_state[(lb_id, vm_id)]
            if vm is None or vm.state != "running":
                if state[0]:
                    state[0] = False
                    changed = True
                    self._event(t, "probe_down", lb=lb_id, vm=vm_id, reason="VM stopped")
                continue
            verdict = self.nsg.inbound(vm_id, "tcp", "168.63.129.16", port)
            ok = vm.probe_responds and verdict.allowed
            if ok:
                state[1] = 0
                state[2] += 1
                if not state[0] and state[2] >= need:
                    state[0] = True
                    changed = True
                    self._event(t, "probe_up", lb=lb_id, vm=vm_id)
            else:
                state[2] = 0
                state[1] += 1
                if state[0] and state[1] >= need:
                    state[0] = False
                    changed = True
                    why = verdict.reason if verdict.denied else \
                        f"the application does not answer the {protocol} probe on port {port}"
                    self._event(t, "probe_down", lb=lb_id, vm=vm_id, reason=why)
        if changed:
            self._update_eligible(t)
        self._push(t + interval, PRIO_PROBE, PROBE, lb_id)

    # ------------------------------------------------------------------ generators
    def _dest_address(self, dest_id: str) -> tuple[str | None, int]:
        node = self._topo.get(dest_id)
        if node is None:
            return None, 0
        if node.KIND == "endpoint":
            return node.address, node.port
        if node.KIND == "public_ip":
            return node.address or self._resolution_address(dest_id), 443
        return None, 0

    def _resolution_address(self, pip_id: str) -> str:
        from .paths import _auto_address
        return _auto_address(pip_id)

    def _build_streams(self) -> None:
        """One stream per (generator, source VM) for outbound, one per inbound generator."""
        topo = self._topo
        streams = []
        bounds: set[float] = set()
        for gen in sorted(topo.nodes("traffic_generator"), key=lambda g: g.id):
            gen_i = self._gen(gen.id)
            dests = topo.generator_destinations(gen.id)
            if gen.muted or gen.rate_per_s <= 0:
                continue
            for b in (gen.start_s, gen.stop_s):
                if b is not None and b > self.now:
                    bounds.add(float(b))
            stop = gen.stop_s if gen.stop_s is not None else INF
            if gen.pool_size and gen.stop_s is not None and (gen_i, stop) not in \
                    self._genstop_sched and stop >= self.now:
                self._genstop_sched.add((gen_i, stop))
                self._push(stop, PRIO_STOP, GENSTOP, gen_i)
            hold_exp = gen.hold.distribution == "exponential"
            close = CLOSE_CODES[gen.close]
            if gen.direction == "inbound":
                entries = self._inbound_dests(gen, dests)
                if not entries:
                    continue
                streams.append(((K_IN, gen_i, -1, gen.protocol, entries, len(entries)),
                                gen.rate_per_s, gen.start_s, stop, gen.hold.mean_s, hold_exp))
                continue
            if not dests:
                continue
            # per destination: index, address, port, local?, whatismyip? (once per generator)
            dinfo = []
            for d in dests:
                address, port = self._dest_address(d)
                local = address in PLATFORM_ADDRESSES or self.nsg.in_vnet(ip_int(address))
                dinfo.append((d, self._dest(d), address, port, local,
                              getattr(topo.node(d), "role", None) == "whatismyip"))
            for vm_id in topo.generator_sources(gen.id):
                vm = topo.node(vm_id)
                if vm.state != "running":
                    continue
                vm_i = self._vm(vm_id)
                kind, owner, path = self._routes[(vm_i, gen.protocol)]
                nsg_nodes = tuple(n for n in topo.nsgs_of_vm(vm_id) if n)
                local_nodes = (vm_id,) + nsg_nodes
                codes, keys, dest_is, nodes, addrs = [], [], [], [], []
                for d, dest_i, address, port, local, myip in dinfo:
                    dest_is.append(dest_i)
                    if nsg_nodes:
                        verdict = self.nsg.outbound(vm_id, gen.protocol, address, port)
                        denied = verdict.denied
                    else:
                        denied = False
                    codes.append(-1 if denied else 1 if local else 0)
                    keys.append(self._key(path.key_mode, address, port))
                    if denied:
                        nodes.append((vm_id, verdict.nsg, d))
                    elif local:
                        nodes.append(local_nodes + (d,))
                    else:
                        nodes.append(path.nodes + (d,))
                    addrs.append(myip)
                rel = self._release_delays(path, gen)
                conn_idle = path.idle_timeout_s if rel[2] != INF else INF
                stream = (kind, gen_i, vm_i, gen.protocol, owner, rel[close], dest_is, keys,
                          codes, len(dest_is), gen.pool_size, nodes, addrs, path, conn_idle)
                streams.append((stream, gen.rate_per_s, gen.start_s, stop, gen.hold.mean_s,
                                hold_exp))
        self._streams_all = streams
        if not self._inv_w:
            total = sum(st[1] for st in streams)
            width = min(max(2048.0 / total, 1e-3), 60.0) if total > 0 else 1.0
            self._inv_w = 1.0 / width
        self._bounds = sorted(bounds)
        self._new_segment(self.now)

    def _inbound_dests(self, gen, dests: list[str]) -> list[tuple]:
        """Inbound generators call load balancer frontends: (dest index, lb, rule, frontend)."""
        topo = self._topo
        targets = list(dests)
        for src in topo.targets(gen.id, "source"):
            if topo.node(src).KIND == "load_balancer":
                targets.extend(topo.frontends(src))
        out = []
        for d in sorted(set(targets)):
            dest_i = self._dest(d)
            lb_id = topo.load_balancer_of_frontend(d) if topo.node(d).KIND == "public_ip" \
                else None
            rule = None
            if lb_id:
                lb = topo.node(lb_id)
                rules = sorted((r for r in lb.rules if r.frontend == d and
                                r.protocol in (gen.protocol, "all")), key=lambda r: r.name)
                rule = rules[0] if rules else None
            if rule is None:
                self.findings.append(Finding(
                    "warning", "inbound-destination-without-rule",
                    f"inbound generator {gen.id} calls {d}, which is not a load balancer "
                    f"frontend with a {gen.protocol.upper()} rule; those flows count as no_route",
                    gen.id))
            out.append((dest_i, lb_id if rule else None, rule.backend_port if rule else 0, d))
        return out

    def _release_delays(self, path: ProtocolPath, gen) -> tuple[float, float, float]:
        """Seconds from the end of a flow's hold to the release of its mapping, by close mode
        (C9 for LB / default SNAT, M-B9 for NAT gateway); INF = never (keep-alives)."""
        idle = path.idle_timeout_s
        keep = gen.keepalive_s is not None and gen.keepalive_s < idle
        idle_rel = INF if keep else idle
        if path.release == "nat":
            t = self._nat_timers
            if gen.protocol == "udp":
                r = idle_rel + t["udp"]
                return (r, r, r)
            return (t["fin"], t["rst"], idle_rel)
        if gen.protocol == "udp":
            return (idle_rel, idle_rel, idle_rel)       # C9: UDP only by idle timeout
        if self._immediate:
            return (0.0, 0.0, idle_rel)
        return (P.RELEASE_FIN_S, P.RELEASE_RST_S, idle_rel)

    def _new_segment(self, t0: float) -> None:
        """Active streams from ``t0`` to the next start/stop boundary."""
        seg_end = next((b for b in self._bounds if b > t0), INF)
        active = [s for s in self._streams_all if s[2] <= t0 < s[3]]
        self._seg_end = seg_end
        self._seg_streams = [s[0] for s in active]
        if active:
            rates = np.array([s[1] for s in active], dtype=float)
            self._seg_rate = float(rates.sum())
            self._seg_cum = np.cumsum(rates) / self._seg_rate
            self._seg_mean = np.array([s[4] for s in active], dtype=float)
            self._seg_exp = np.array([s[5] for s in active], dtype=bool)
        else:
            self._seg_rate = 0.0
        self._arr_t: list[float] = []
        self._arr_s: list[int] = []
        self._arr_u: list[float] = []
        self._arr_h: list[float] = []
        self._ai = 0
        self._arr_from = t0

    def _next_arrival(self) -> float:
        """Refill the arrival chunk when used up; the time of the next arrival (INF: none)."""
        while self._ai >= len(self._arr_t):
            if self._arr_from >= self._seg_end:
                if self._seg_end == INF:
                    return INF
                self._new_segment(self._seg_end)
                continue
            if self._seg_rate <= 0:
                if self._seg_end == INF:
                    return INF
                self._arr_from = self._seg_end
                continue
            rng = self.rng
            times = self._arr_from + np.cumsum(rng.exponential(1.0 / self._seg_rate, CHUNK))
            sidx = np.searchsorted(self._seg_cum, rng.random(CHUNK), side="right")
            np.minimum(sidx, len(self._seg_streams) - 1, out=sidx)
            u = rng.random(CHUNK)
            e = rng.standard_exponential(CHUNK)
            mean = self._seg_mean[sidx]
            hold = np.where(self._seg_exp[sidx], e * mean, mean)
            n = int(np.searchsorted(times, self._seg_end, side="left"))
            self._arr_t = times[:n].tolist()
            self._arr_s = sidx[:n].tolist()
            self._arr_u = u[:n].tolist()
            self._arr_h = hold[:n].tolist()
            self._ai = 0
            self._arr_from = float(times[-1]) if n == CHUNK else self._seg_end
        return self._arr_t[self._ai]

    # ------------------------------------------------------------------ the loop
    def _advance(self, until: float, max_events: int) -> bool:
        """Process events up to ``until``; False when ``max_events`` stopped it first."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._apply(pending)
        heap = self._heap
        heappop, heappush = heapq.heappop, heapq.heappush
        flows = self._flows
        vm_cnt, gen_cnt = self._vm_cnt, self._gen_cnt
        o_pairs, o_budget, o_refc, o_used, o_peak, o_pip, o_slots = (
            self._o_pairs, self._o_budget, self._o_refc, self._o_used, self._o_peak,
            self._o_pip, self._o_slots)
        pip_used, pip_peak = self._pip_used, self._pip_peak
        dest_flows = self._dest_flows
        dest_seen, pip_addr = self._dest_seen, self._pip_addr
        sampling = self.sample_limit > 0
        next_seq = self._next_seq
        cal, cal_ids = self._cal, self._cal_ids
        cur, cur_b = self._cur, self._cur_b
        inv_w = self._inv_w or 1.0
        heapify = heapq.heapify
        ai = self._ai
        arr_t, arr_s, arr_u, arr_h = self._arr_t, self._arr_s, self._arr_u, self._arr_h
        seg_streams = self._seg_streams
        n_arr = len(arr_t)
        allocated = released = 0
        count = 0
        no_more_arrivals = False
        t_last = self.now
        try:
            while True:
                if max_events >= 0 and count >= max_events:
                    return False
                if ai < n_arr:
                    t_arr = arr_t[ai]
                elif no_more_arrivals:
                    t_arr = INF
                else:
                    self._ai = ai
                    t_arr = self._next_arrival()
                    ai = self._ai
                    arr_t, arr_s, arr_u, arr_h = (self._arr_t, self._arr_s, self._arr_u,
                                                  self._arr_h)
                    seg_streams = self._seg_streams
                    n_arr = len(arr_t)
                    no_more_arrivals = t_arr == INF   # until the next snapshot
                if not cur and cal_ids:
                    cur_b = heappop(cal_ids)
                    cur = cal.pop(cur_b)
                    heapify(cur)
                if cur:
                    top = cur[0]
                    src = cur
                    if heap and heap[0] < top:
                        top = heap[0]
                        src = heap
                elif heap:
                    top = heap[0]
                    src = heap
                else:
                    top = None
                if top is not None:
                    t = top[0]
                    heap_first = t < t_arr or (t == t_arr and top[1] < PRIO_ARRIVAL)
                    if not heap_first:
                        t = t_arr
                else:
                    heap_first = False
                    t = t_arr
                if t > until or t == INF:
                    return True
                count += 1
                t_last = t
                if heap_first:
                    _, _, _, code, arg = heappop(src)
                    if code == REL:
                        rec = flows.pop(arg, None)
                        if rec is None:
                            continue
                        if rec[0] == K_EXCL:        # inlined release (C7, C9)
                            o = rec[1]
                            slot = rec[3]
                            heappush(o_pairs[o][rec[2]][1], slot)
                            refc = o_refc[o]
                            c = refc[slot] - 1
                            refc[slot] = c
                            released += 1
                            if c == 0:
                                o_used[o] -= 1
                                p = o_pip[o]
                                pip_used[p if p >= 0 else o_slots[o][slot][0]] -= 1
                            elif c < 0:
                                raise AssertionError("SNAT slot released twice")
                        else:
                            self._release_rec(rec)
                        if sampling:
                            self._sample(t, "end", rec[4], rec[5], rec[7],
                                         self._rec_nodes(rec), "ended", None)
                        continue
                    self.now = t
                    if code == SAMPLE:
                        self._take_sample(t)
                    elif code == PROBE:
                        self._probe(arg, t)
                    elif code == IDLE:
                        self._idle_check(arg, t)
                    elif code == INB_END:
                        flows.pop(arg, None)
                    elif code == GENSTOP:
                        self._close_pools(arg, t)
                    continue
                # ------------------------------------------------------ an arrival
                s = seg_streams[arr_s[ai]]
                u = arr_u[ai]
                hold = arr_h[ai]
                ai += 1
                if s[0] == K_IN:
                    gc = gen_cnt[s[1]]
                    gc[ATT] += 1
                    self.now = t
                    self._inbound(s, t, u, hold, gc)
                    continue
                (kind, gen_i, vm_i, proto, o, rel, dest_is, keys, codes, ndest, pooled,
                 nodes_of, myip, _, _) = s
                gc = gen_cnt[gen_i]
                gc[ATT] += 1
                vc = vm_cnt[vm_i]
                vc[ATT] += 1
                di = int(u * ndest)
                code = codes[di]
                if code < 0:
                    vc[FNSG] += 1
                    gc[FNSG] += 1
                    if vm_i not in self._denied_reported:
                        self._report_denied(s, di, t)
                    if sampling:
                        nodes = s[11][di]
                        self._sample(t, "fail", vm_i, gen_i, s[3], nodes, "denied_nsg",
                                     nodes[1])
                    continue
                if code == 1 or kind == K_ILPIP:
                    # VNet-internal / platform destination (no SNAT) or instance IP (C10)
                    vc[OK] += 1
                    gc[OK] += 1
                    dest_i = s[6][di]
                    dest_flows[dest_i] += 1
                    self._seen(s, di, dest_i, code, vm_i)
                    if sampling:
                        self._sample(t, "start", vm_i, gen_i, s[3], s[11][di], "succeeded",
                                     None)
                    continue
                if kind == K_NONE:
                    vc[FROUTE] += 1
                    gc[FROUTE] += 1
                    if sampling:
                        self._sample(t, "fail", vm_i, gen_i, s[3], s[11][di], "no_route",
                                     self._vm_ids[vm_i])
                    continue
                if pooled:
                    self.now = t
                    self._pooled(s, t, di, hold, vc, gc)
                    continue
                key = keys[di]
                if kind == K_EXCL:           # inlined allocator: lowest free slot for the key
                    pairs = o_pairs[o]
                    pr = pairs.get(key)
                    if pr is None:
                        pr = pairs[key] = [0, []]
                    fh = pr[1]
                    if fh:
                        slot = heappop(fh)
                    elif pr[0] < o_budget[o]:
                        slot = pr[0]
                        pr[0] = slot + 1
                    else:
                        self._fail_snat(s, t, di, vc, gc)
                        continue
                    refc = o_refc[o]
                    c = refc[slot]
                    refc[slot] = c + 1
                    p = o_pip[o]
                    if p < 0:
                        p = o_slots[o][slot][0]
                    if c == 0:
                        used = o_used[o] + 1
                        o_used[o] = used
                        if used > o_peak[o]:
                            o_peak[o] = used
                        pu = pip_used[p] + 1
                        pip_used[p] = pu
                        if pu > pip_peak[p]:
                            pip_peak[p] = pu
                    dest_i = dest_is[di]
                    if myip[di]:
                        self._seen(s, di, dest_i, 0, vm_i, o, slot)
                    else:
                        dest_seen[dest_i].add(pip_addr[p])
                else:
                    slot = o.allocate(key, self)
                    if slot < 0:
                        self._fail_snat(s, t, di, vc, gc)
                        continue
                    nk = (vm_i, proto)
                    nu = self._nat_vm_used.get(nk, 0) + 1
                    self._nat_vm_used[nk] = nu
                    if nu > self._nat_vm_peak.get(nk, 0):
                        self._nat_vm_peak[nk] = nu
                    dest_i = dest_is[di]
                    self._seen(s, di, dest_i, 0, vm_i, o, slot)
                allocated += 1
                vc[OK] += 1
                gc[OK] += 1
                dest_flows[dest_i] += 1
                fid = next_seq()          # flow ids share the heap's sequence counter
                flows[fid] = (kind, o, key, slot, vm_i, gen_i, dest_i, proto, t)
                if rel != INF:
                    tr = t + hold + rel
                    b = int(tr * inv_w)
                    if b <= cur_b:
                        heappush(cur, (tr, PRIO_TIMER, fid, REL, fid))
                    else:
                        lst = cal.get(b)
                        if lst is None:
                            cal[b] = [(tr, PRIO_TIMER, fid, REL, fid)]
                            heappush(cal_ids, b)
                        else:
                            lst.append((tr, PRIO_TIMER, fid, REL, fid))
                if sampling:
                    self._sample(t, "start", vm_i, gen_i, proto, nodes_of[di], "succeeded",
                                 None)
        finally:
            self._cur, self._cur_b = cur, cur_b
            self._ai = ai
            self.now = t_last
            self._allocated += allocated
            self._released += released

    # ------------------------------------------------------------------ arrival helpers
    def _seen(self, s, di, dest_i, code, vm_i, o=None, slot=None) -> None:
        """C11: the address an Internet destination sees."""
        kind = s[0]
        path: ProtocolPath = s[13]
        if code == 1:
            address = self.nsg.private_ips.get(self._vm_ids[vm_i], "")
        elif kind == K_EXCL:
            p = self._o_pip[o]
            if p < 0:
                p = self._o_slots[o][slot][0]
            address = self._pip_addr[p]
        elif kind == K_NAT:
            address = path.public_ips[o.address_index(slot)]
        else:
            address = path.public_ips[0] if path.public_ips else ""
        self._dest_seen[dest_i].add(address)
        if s[12][di]:
            self._dest_answers[dest_i].setdefault(self._vm_ids[vm_i], set()).add(address)

    def _fail_snat(self, s, t, di, vc, gc) -> None:
        """C8: the new flow is dropped silently and counted as failed."""
        vc[FSNAT] += 1
        gc[FSNAT] += 1
        vm_i = s[2]
        ek = (vm_i, s[3])
        path: ProtocolPath = s[13]
        if ek not in self._exhausted:
            self._exhausted[ek] = 0
            self._event(t, "snat_exhausted", vm=self._vm_ids[vm_i], protocol=s[3],
                        public_ip=", ".join(path.public_ips), via=path.via)
        self._exhausted[ek] += 1
        if self.sample_limit:
            nodes = s[11][di]
            self._sample(t, "fail", vm_i, s[1], s[3], nodes, "failed_snat",
                         path.nodes[-1] if path.nodes else None)

    def _report_denied(self, s, di, t) -> None:
        vm_i = s[2]
        self._denied_reported.add(vm_i)
        vm_id = self._vm_ids[vm_i]
        dest = self._dest_ids[s[6][di]]
        address, port = self._dest_address(dest)
        verdict = self.nsg.outbound(vm_id, s[3], address, port)
        self._event(t, "nsg_denied", vm=vm_id, nsg=verdict.nsg, rule=verdict.rule,
                    destination=dest, reason=verdict.reason)

    def _pooled(self, s, t, di, hold, vc, gc) -> None:
        """A request on a connection pool of ``pool_size`` long-lived connections per
        (source VM, destination): a new connection only while fewer than N are open."""
        gen_i, vm_i = s[1], s[2]
        pkey = (gen_i, vm_i, s[6][di])
        conns = self._pools.get(pkey)
        if conns is None:
            conns = self._pools[pkey] = []
        end = t + hold
        if len(conns) >= s[10]:
            rr = self._pool_rr.get(pkey, 0)
            fid = conns[rr % len(conns)]
            self._pool_rr[pkey] = rr + 1
            if end > self._conn_last[fid]:
                self._conn_last[fid] = end
            vc[OK] += 1
            gc[OK] += 1
            self._dest_flows[s[6][di]] += 1
            return
        key = s[7][di]
        kind, o = s[0], s[4]
        slot = self._alloc(kind, o, key, vm_i, s[3])
        if slot < 0:
            self._fail_snat(s, t, di, vc, gc)
            return
        self._allocated += 1
        vc[OK] += 1
        gc[OK] += 1
        dest_i = s[6][di]
        self._dest_flows[dest_i] += 1
        self._seen(s, di, dest_i, 0, vm_i, o, slot)
        fid = self._next_fid()
        self._flows[fid] = (kind, o, key, slot, vm_i, gen_i, dest_i, s[3], t)
        conns.append(fid)
        self._conn_last[fid] = end
        idle = s[14]
        self._conn_idle[fid] = idle
        if idle != INF:
            self._push(end + idle, PRIO_TIMER, IDLE, fid)
        if self.sample_limit:
            self._sample(t, "start", vm_i, gen_i, s[3], s[11][di], "succeeded", None)

    def _alloc(self, kind: int, o, key: int, vm_i: int, proto: str) -> int:
        """The allocator outside the hot loop (pooled connections); same rules as inlined."""
        if kind == K_NAT:
            slot = o.allocate(key, self)
            if slot >= 0:
                nk = (vm_i, proto)
                nu = self._nat_vm_used.get(nk, 0) + 1
                self._nat_vm_used[nk] = nu
                self._nat_vm_peak[nk] = max(self._nat_vm_peak.get(nk, 0), nu)
            return slot
        pairs = self._o_pairs[o]
        pr = pairs.get(key)
        if pr is None:
            pr = pairs[key] = [0, []]
        if pr[1]:
            slot = heapq.heappop(pr[1])
        elif pr[0] < self._o_budget[o]:
            slot = pr[0]
            pr[0] += 1
        else:
            return -1
        refc = self._o_refc[o]
        refc[slot] += 1
        if refc[slot] == 1:
            self._o_used[o] += 1
            self._o_peak[o] = max(self._o_peak[o], self._o_used[o])
            p = self._o_pip[o] if self._o_pip[o] >= 0 else self._o_slots[o][slot][0]
            self._pip_used[p] += 1
            self._pip_peak[p] = max(self._pip_peak[p], self._pip_used[p])
        return slot

    def _release_rec(self, rec: tuple) -> None:
        kind, o, key, slot, vm_i = rec[:5]
        if kind == K_EXCL:
            heapq.heappush(self._o_pairs[o][key][1], slot)
            refc = self._o_refc[o]
            refc[slot] -= 1
            if refc[slot] == 0:
                self._o_used[o] -= 1
                p = self._o_pip[o] if self._o_pip[o] >= 0 else self._o_slots[o][slot][0]
                self._pip_used[p] -= 1
            elif refc[slot] < 0:
                raise AssertionError("SNAT slot released twice")
        elif kind == K_NAT:
            o.release(slot, key)
            self._nat_vm_used[(vm_i, rec[7])] -= 1
        else:
            return
        self._released += 1

    def _end_flow(self, fid: int, why: str) -> None:
        """End a flow now (its path is gone): its mapping is released at once."""
        rec = self._flows.pop(fid, None)
        if rec is None:
            return
        self._release_rec(rec)
        extra = self._vm_extra[rec[4]]
        extra["flows_ended"] = extra.get("flows_ended", 0) + 1
        self._conn_last.pop(fid, None)

    def _idle_check(self, fid: int, t: float) -> None:
        """Idle timeout of a pooled connection (C9, M-A8, M-B11): silent drop, or RST to both
        ends with enable_tcp_reset; either way the pool opens a new connection next time."""
        rec = self._flows.get(fid)
        if rec is None:
            return
        last = self._conn_last.get(fid, t)
        idle = self._conn_idle.get(fid, INF)
        if last + idle > t + 1e-9:
            self._push(last + idle, PRIO_TIMER, IDLE, fid)
            return
        self._flows.pop(fid)
        self._release_rec(rec)
        self._conn_last.pop(fid, None)
        extra = self._vm_extra[rec[4]]
        extra["idle_timeouts"] = extra.get("idle_timeouts", 0) + 1
        pkey = (rec[5], rec[4], rec[6])
        conns = self._pools.get(pkey)
        if conns and fid in conns:
            conns.remove(fid)
        route = self._routes.get((rec[4], rec[7]))
        if route is not None and route[2].tcp_reset and rec[7] == "tcp":
            extra["idle_resets"] = extra.get("idle_resets", 0) + 1

    def _close_pools(self, gen_i: int, t: float) -> None:
        """A generator stops: its pooled connections close per ``close`` (FIN/RST timers)."""
        gen = self._topo.get(self._gen_ids[gen_i])
        close = CLOSE_CODES[gen.close] if gen is not None else 0
        for pkey in [k for k in self._pools if k[0] == gen_i]:
            for fid in self._pools.pop(pkey):
                rec = self._flows.get(fid)
                if rec is None:
                    continue
                route = self._routes.get((rec[4], rec[7]))
                if route is None or gen is None:
                    self._end_flow(fid, "generator stopped")
                    continue
                rel = self._release_delays(route[2], gen)[close]
                last = self._conn_last.pop(fid, t)
                if close == 2:
                    rel = INF if rel == INF else max(last + rel - t, 0.0)
                self._conn_idle[fid] = INF   # the idle timer no longer applies
                if rel != INF:
                    self._push(t + rel, PRIO_TIMER, REL, fid)

    def _inbound(self, s, t, u, hold, gc) -> None:
        """An Internet client calls a frontend: healthy backend, NSG inbound (C3, M-B1)."""
        entries = s[4]
        x = u * s[5]
        di = int(x)
        dest_i, lb_id, backend_port, dest_id = entries[di]
        proto = s[3]
        if lb_id is None:
            gc[FROUTE] += 1
            if self.sample_limit:
                self._sample(t, "fail", -1, s[1], proto, (dest_id,), "no_route", dest_id)
            return
        elig = self._eligible.get(lb_id) or []
        lb = self._topo.get(lb_id)
        if not elig and lb is not None and not self.classic and lb.sku == "standard" \
                and lb.no_healthy_backends == "all_probed_up":
            elig = [self._vm_idx[v] for v in self._topo.backend_pool(lb_id)
                    if self._topo.node(v).state == "running"]
        if not elig:
            gc[FROUTE] += 1
            if self.sample_limit:
                self._sample(t, "fail", -1, s[1], proto, (dest_id, lb_id), "no_route", lb_id)
            return
        vm_i = elig[min(int((x - di) * len(elig)), len(elig) - 1)]
        vm_id = self._vm_ids[vm_i]
        verdict = self.nsg.inbound(vm_id, proto, INTERNET_CLIENT_IP, backend_port)
        standard = lb is not None and not self.classic and lb.sku == "standard"
        # M-B1: Standard frontends are closed inbound unless an NSG allows the flow
        denied = verdict.denied or (standard and verdict is ALLOW_NO_NSG)
        vin = self._vm_in[vm_i]
        nodes = (dest_id, lb_id) + tuple(n for n in self._topo.nsgs_of_vm(vm_id)[::-1] if n) \
            + (vm_id,)
        if denied:
            gc[FNSG] += 1
            vin[1] += 1
            if self.sample_limit:
                at = verdict.nsg or lb_id
                self._sample(t, "fail", vm_i, s[1], proto, nodes, "denied_nsg", at)
            return
        gc[OK] += 1
        vin[0] += 1
        self._dest_flows[dest_i] += 1
        self._dest_seen[dest_i].add(INTERNET_CLIENT_IP)
        fid = self._next_fid()
        self._flows[fid] = (K_IN, lb_id, 0, 0, vm_i, s[1], dest_i, proto, t)
        self._push(t + hold, PRIO_TIMER, INB_END, fid)
        if self.sample_limit:
            self._sample(t, "start", vm_i, s[1], proto, nodes, "succeeded", None)

    def _rec_nodes(self, rec: tuple) -> tuple[str, ...]:
        route = self._routes.get((rec[4], rec[7]))
        base = route[2].nodes if route is not None else (self._vm_ids[rec[4]],)
        return base + (self._dest_ids[rec[6]],)

    # ------------------------------------------------------------------ metrics
    def _vm_use(self, vm_i: int, proto: str) -> PortUse:
        route = self._routes.get((vm_i, proto))
        used = 0
        allocated = 0
        for o in self._vm_owners.get((vm_i, proto), ()):
            used += self._o_used[o]
        if route is not None:
            kind, owner, path = route
            if kind == K_EXCL:
                allocated = self._o_budget[owner]
            elif kind == K_NAT:
                allocated = owner.size
        used += self._nat_vm_used.get((vm_i, proto), 0)
        return PortUse(used, allocated)

    def vm_peak(self, vm_i: int, proto: str) -> int:
        peak = self._nat_vm_peak.get((vm_i, proto), 0)
        for o in self._vm_owners.get((vm_i, proto), ()):
            peak = max(peak, self._o_peak[o])
        return peak

    def _take_sample(self, t: float) -> None:
        """Every sample_s: the series, snat_recovered and flows_failing (C12: 1-minute)."""
        self.series_t.append(t)
        n = len(self.series_t) - 1
        for vm_i, vm_id in enumerate(self._vm_ids):
            # the busier protocol (ties: the larger budget), as the gauge shows it
            used, allocated = max((self._vm_use(vm_i, p) for p in PROTOCOLS),
                                  key=lambda u: (u.used, u.allocated))
            failed = self._vm_cnt[vm_i][FSNAT]
            last = self._vm_last_fail.get(vm_i, 0)
            self._vm_last_fail[vm_i] = failed
            ser_u = self.series_used.setdefault(vm_i, [0] * n)
            ser_f = self.series_failed.setdefault(vm_i, [0] * n)
            ser_u.append(used)
            ser_f.append(failed - last)
            self.series_allocated.setdefault(vm_i, [0] * n).append(allocated)
        self._sample_port_owners(n)
        for ek, n in list(self._exhausted.items()):
            if n == 0:
                del self._exhausted[ek]
                vm_i, proto = ek
                self._event(t, "snat_recovered", vm=self._vm_ids[vm_i], protocol=proto)
            else:
                self._exhausted[ek] = 0
        for gen_i, gen_id in enumerate(self._gen_ids):
            c = self._gen_cnt[gen_i]
            failed = c[FSNAT] + c[FNSG] + c[FROUTE]
            last = self._gen_last_fail.get(gen_i, 0)
            self._gen_last_fail[gen_i] = failed
            failing = failed > last
            if failing and not self._gen_failing.get(gen_i):
                self._event(t, "flows_failing", generator=gen_id, failed=failed - last)
            self._gen_failing[gen_i] = failing
        self._push(t + self.sample_s, PRIO_SAMPLE, SAMPLE, 0)

    def _sample_port_owners(self, n: int) -> None:
        """Used and allocated ports of every public IP and NAT gateway at sample ``n`` (the
        busier protocol of each)."""
        rows: dict[str, dict[str, tuple[int, int]]] = {"public_ips": {}, "nat_gateways": {}}

        def keep(table: str, node_id: str, used: int, allocated: int) -> None:
            have = rows[table].get(node_id)
            if have is None or (used, allocated) > have:
                rows[table][node_id] = (used, allocated)
        for i, (pip_id, _proto) in enumerate(self._pip_keys):
            keep("public_ips", pip_id, self._pip_used[i], self._pip_alloc[i])
        for (nat_id, _proto), pool in self._nat.items():
            keep("nat_gateways", nat_id, pool.used, pool.size)
            for k, pip_id in enumerate(pool.pips):
                keep("public_ips", pip_id, pool.ip_used[k], pool.per_ip)
        for table, values in rows.items():
            series = self.series_ports[table]
            for node_id, (used, allocated) in values.items():
                pair = series.setdefault(node_id, [[0] * n, [0] * n])
                pair[0].append(used)
                pair[1].append(allocated)
            for node_id, pair in series.items():   # gone from the snapshot: 0 from now on
                if len(pair[0]) == n:
                    pair[0].append(0)
                    pair[1].append(0)

    def frame(self) -> Frame:
        """An immutable frame; events and samples are those since the previous frame."""
        topo = self._topo
        vms = {}
        snat = {}
        for vm_id in sorted(self._vm_idx):
            if vm_id not in topo:
                continue
            i = self._vm_idx[vm_id]
            vms[vm_id] = Counters(*self._vm_cnt[i])
            snat[vm_id] = _freeze({p: self._vm_use(i, p) for p in PROTOCOLS})
        gens = {g: Counters(*self._gen_cnt[i]) for g, i in sorted(self._gen_idx.items())}
        pips: dict[str, dict[str, PortUse]] = {}
        for i, (pip_id, proto) in enumerate(self._pip_keys):
            pips.setdefault(pip_id, {})[proto] = PortUse(self._pip_used[i], self._pip_alloc[i])
        nats: dict[str, dict[str, PortUse]] = {}
        for (nat_id, proto), pool in sorted(self._nat.items()):
            nats.setdefault(nat_id, {})[proto] = PortUse(pool.used, pool.size)
            for k, pip_id in enumerate(pool.pips):
                pips.setdefault(pip_id, {})[proto] = PortUse(pool.ip_used[k], pool.per_ip)
        probes = self.probe_states()
        events = tuple(self._events[self._events_sent:])
        self._events_sent = len(self._events)
        samples = tuple(sorted(self._samples + self._samples_fail, key=lambda x: x.t))
        dropped = self._samples_dropped
        self._samples = []
        self._samples_fail = []
        self._samples_dropped = 0
        return Frame(self.now, _freeze(vms), _freeze(gens), _freeze(snat),
                     _freeze({k: _freeze(v) for k, v in sorted(pips.items())}),
                     _freeze({k: _freeze(v) for k, v in nats.items()}), _freeze(probes),
                     events, samples, dropped)

    # ------------------------------------------------------------------ introspection
    def probe_states(self) -> dict[tuple[str, str], str]:
        """(lb, vm) -> "up" / "down": whether the VM takes new flows (probe, admin state,
        stopped VM)."""
        return {k: ("up" if self._vm_eligible(k[0], k[1]) else "down")
                for k in sorted(self._probe_state)}

    @property
    def events(self) -> list[dict]:
        return list(self._events)

    def vm_counters(self, vm_id: str) -> Counters:
        return Counters(*self._vm_cnt[self._vm_idx[vm_id]])

    def generator_counters(self, gen_id: str) -> Counters:
        return Counters(*self._gen_cnt[self._gen_idx[gen_id]])

    def vm_extra(self, vm_id: str) -> dict[str, int]:
        return dict(self._vm_extra[self._vm_idx[vm_id]])

    def vm_inbound(self, vm_id: str) -> tuple[int, int]:
        return tuple(self._vm_in[self._vm_idx[vm_id]])

    def endpoint_seen(self, dest_id: str) -> set[str]:
        i = self._dest_idx.get(dest_id)
        return set(self._dest_seen[i]) if i is not None else set()

    def whatismyip(self, dest_id: str) -> dict[str, list[str]]:
        """C11: per VM, the addresses a whatismyip endpoint answered with."""
        i = self._dest_idx.get(dest_id)
        if i is None:
            return {}
        return {vm: sorted(a) for vm, a in sorted(self._dest_answers[i].items())}

    def live_mappings(self) -> list[tuple]:
        """Every live or releasing SNAT mapping as (public IP key, protocol, port, destination
        key, flow id) - for invariant checks."""
        out = []
        for fid, rec in self._flows.items():
            kind, o, key, slot = rec[:4]
            proto = rec[7]
            if kind == K_EXCL:
                pip_i, port = self._o_slots[o][slot]
                out.append((self._pip_keys[pip_i][0], proto, port, key, fid))
            elif kind == K_NAT:
                ip_i = o.address_index(slot)
                out.append((o.pips[ip_i], proto, slot % o.per_ip, key, fid))
        return out

    def port_accounting(self) -> tuple[int, int, int]:
        """(mappings allocated, released, live) - allocated = released + live."""
        live = sum(1 for r in self._flows.values() if r[0] in (K_EXCL, K_NAT))
        return self._allocated, self._released, live

    def owner_use(self) -> list[tuple[str, str, int, int]]:
        """(vm, protocol, used, allocated) of every exclusive owner."""
        return [(self._vm_ids[self._o_vm[o]], self._o_proto[o], self._o_used[o],
                 self._o_budget[o]) for o in range(len(self._o_sig))]


# ============================================================================ the pace-keeper

class Pacer:
    """Follows the wall clock at a speed factor (0.5x ... 1000x, or ``None`` = as fast as
    possible), calling ``engine.run(until=...)`` in bounded slices; for the editor's worker."""

    def __init__(self, engine: Engine, speed: float | None = 1.0, *,
                 clock=_time.monotonic, max_events_per_slice: int = 20_000):
        self.engine = engine
        self.clock = clock
        self.max_events = max_events_per_slice
        self._speed = speed
        self._anchor()
        self.paused = False

    def _anchor(self) -> None:
        self._wall0 = self.clock()
        self._sim0 = self.engine.now

    @property
    def speed(self) -> float | None:
        return self._speed

    @speed.setter
    def speed(self, value: float | None) -> None:
        if value is not None and value <= 0:
            raise ValueError("speed must be positive (or None for as fast as possible)")
        self._speed = value
        self._anchor()

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False
        self._anchor()

    def target(self) -> float:
        if self._speed is None:
            return INF
        return self._sim0 + (self.clock() - self._wall0) * self._speed

    def tick(self, limit: float = INF) -> bool:
        """Advance towards the wall-clock target (at most one slice of events); True when the
        engine has caught up with it."""
        if self.paused:
            return True
        target = min(self.target(), limit)
        if target == INF:   # unlimited: one slice
            before = self.engine.now
            self.engine.run(until=INF if limit == INF else limit, max_events=self.max_events)
            return self.engine.now == before
        if target <= self.engine.now:
            return True
        self.engine.run(until=target, max_events=self.max_events)
        return self.engine.now >= target
