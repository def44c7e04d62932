"""The steppable simulation engine (no Qt): the layer a reader meets first.

``Engine(snapshot)`` compiles the snapshot into tables (``policy.py``), then ``run(until)``
alternates between the compiled kernel (``kernel.py``: arrivals, SNAT ports, timers, counters)
and Python's own events (``timeline.py``: probes, metric samples, generator stops; snapshots
applied at the next step boundary).  Frames (``frames.py``) are immutable views for the GUI.

Order and randomness: events at the same time are ordered by (time, priority, sequence) -
timers, generator stops, probes, arrivals, metric samples - and all randomness comes from one
seeded ``numpy.random.Generator`` consumed in a fixed order (arrival chunks, the NAT gateway's
port choices, M-A9 revocations), so a scenario and a seed give one answer however ``run()`` is
sliced.  The kernel releases the GIL while it runs.
"""
from __future__ import annotations

import math
import time as _time
from typing import Any, Callable

import numpy as np

from ..model.topology import Scenario
from ..model.validation import Finding
from . import compile as _compile
from . import kernel as K
from .arrivals import Arrivals
from .episodes import ExhaustionEpisodes
from .frames import COUNTER_NAMES, Counters, FlowSample, Frame, PortUse, build_frame, \
    vm_port_use
from .gcpause import gc_paused
from .natpools import NatPools
from .owners import SnatOwners
from .paths import PROTOCOLS, Resolution
from .policy import Route, apply_snapshot
from .records import flush
from .state import KernelState, grown
from .timeline import SAMPLE, Timeline

INF = math.inf
#: default cap of flow samples per frame (animation)
SAMPLE_LIMIT = 2000
#: the most events one kernel call processes when ``run()`` has no limit
_NO_LIMIT = 1 << 62

__all__ = ["Engine", "Pacer", "Frame", "Counters", "PortUse", "FlowSample", "COUNTER_NAMES",
           "SAMPLE_LIMIT", "INF", "SliceSizer", "run_sliced"]


class Engine:
    """``Engine(scenario_snapshot, seed=None)``; ``step()``, ``run(until=t)``, ``now``,
    ``peek()``, ``set_snapshot(new)`` (applied at the next step boundary) and ``frame()``."""

    def __init__(self, scenario: Scenario, seed: int | None = None, *, sample_s: float = 60.0,
                 sample_limit: int = SAMPLE_LIMIT, record_samples: bool = True,
                 pause_gc: bool = True, kernel: str = "auto"):
        if sample_s <= 0:
            raise ValueError("sample_s must be positive")
        #: the kernel module in use: compiled, or interpreted until the compile is ready
        #: (``kernel``: "auto", "compiled" or "interpreted"; see compile.py)
        self.kernel = _compile.interpreted() if kernel == "interpreted" else \
            (_compile.ensure_compiled() or K) if kernel == "compiled" else _compile.kernel()
        self._switch_kernel = kernel == "auto"
        self.seed = scenario.seed if seed is None else int(seed)
        self.rng = np.random.default_rng(self.seed % (2 ** 63))
        self.sample_s = float(sample_s)
        #: switch the cyclic GC off while the snapshot is compiled and inside run()
        #: (process-wide: a GUI may prefer False)
        self.pause_gc = pause_gc
        self.sample_limit = sample_limit if record_samples else 0
        self.st = KernelState(self.sample_limit)
        self._pending: Scenario | None = None
        self._scenario: Scenario | None = None
        self._default_addresses: dict[str, str] = {}
        # registries (indices are never reused, so state survives snapshots)
        self.vm_idx: dict[str, int] = {}
        self.vm_ids: list[str] = []
        self.gen_idx: dict[str, int] = {}
        self.gen_ids: list[str] = []
        self.dest_idx: dict[str, int] = {}
        self.dest_ids: list[str] = []
        self.dest_seen: list[set[str]] = []
        self.dest_answers: list[dict[str, set[str]]] = []
        self.key_idx: dict[tuple, int] = {}
        self.lb_idx: dict[str, int] = {}
        self.lb_ids: list[str] = []
        self.conn_index: dict[tuple[int, int, int], int] = {}
        self.routes: dict[tuple[int, str], Route] = {}
        self.flat_info: list = []
        self.stream_info: list = []
        self.exhaustion_dest: dict[int, str] = {}
        #: AllocatedSnatPorts per VM and protocol (frames.vm_port_use), until a snapshot
        self.allocated_ports: np.ndarray | None = None
        self.owners = SnatOwners(self.st, self.rng, self.event, self.end_flows, self.vm_ids)
        self.nat = NatPools(self.st)
        self.arrivals = Arrivals(self.rng, self.st)
        self.timeline = Timeline(self)
        self._events: list[dict] = []
        #: the sequence number each logged event happened at (its place among equal times)
        self._event_seq: list[int] = []
        self._event_count = 0
        self._events_sent = 0
        #: snat_exhausted / snat_recovered as episodes (the gap is a scenario option)
        self.episodes = ExhaustionEpisodes(self._log_event)
        self._samples: list[FlowSample] = []
        self._samples_fail: list[FlowSample] = []
        self.findings: list[Finding] = []
        #: the last run() stopped because ``max_events`` were processed (not at ``until``)
        self.last_run_cut = False
        self.timeline.push(0.0, K.PRIO_SAMPLE, SAMPLE, 0)
        with gc_paused(self.pause_gc):
            apply_snapshot(self, scenario)

    # ------------------------------------------------------------------ public API
    @property
    def scenario(self) -> Scenario:
        return self._scenario

    @property
    def resolution(self) -> Resolution:
        return self._resolution

    @property
    def now(self) -> float:
        return float(self.st.fv[K.F_NOW])

    @now.setter
    def now(self, t: float) -> None:
        self.st.fv[K.F_NOW] = t

    def set_snapshot(self, scenario: Scenario) -> None:
        """Hand the engine an edited snapshot; it is applied at the next step boundary."""
        self._pending = scenario

    def step(self) -> float:
        """Process one event; returns the new simulated time."""
        self._advance(INF, 1)
        self.episodes.confirm(self.now)
        return self.now

    def run(self, until: float, max_events: int | None = None) -> float:
        """Process every event up to ``until`` (or ``max_events`` of them: then it returns
        within milliseconds, the kernel hands back control after that many events)."""
        if until < self.now:
            raise ValueError(f"cannot run back in time (now {self.now}, until {until})")
        with gc_paused(self.pause_gc):
            done = self._advance(until, max_events if max_events is not None else -1)
        self.last_run_cut = not done
        if done and until != INF:
            self.now = until
        self.episodes.confirm(self.now)
        return self.now

    def peek(self) -> float:
        """The time of the next event."""
        st = self.st
        kernel = float(st.heap_t[0]) if st.iv[K.I_HEAP_N] else INF   # may be a stale timer
        # quiet probe rounds run with the event after them: they are next only when alone
        first = min(self.arrivals.peek(), self.timeline.top()[0], kernel)
        return first if first != INF else self.timeline.first_time()

    def frame(self) -> Frame:
        """An immutable frame; events and samples are those since the previous frame."""
        return build_frame(self)

    @property
    def events(self) -> list[dict]:
        """Every event so far in time order (equal times in the order they happened),
        including recoveries whose episode gap has not passed yet (episodes.py)."""
        logged = list(zip(self._events, self._event_seq)) + self.episodes.settled()
        return [e for e, _ in sorted(logged, key=lambda pair: (pair[0]["t"], pair[1]))]

    # ------------------------------------------------------------------ the loop
    def _advance(self, until: float, max_events: int) -> bool:
        """Process events up to ``until``; False when ``max_events`` stopped it first."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            apply_snapshot(self, pending)
        budget = max_events if max_events >= 0 else _NO_LIMIT
        st = self.st
        if self._switch_kernel and self.kernel is not K and \
                _compile.mode() != "interpreted" and _compile.compiled_ready():
            _compile.ensure_compiled()           # the background compile is done: load it
            self.kernel = K
        advance = self.kernel.advance
        count = 0
        while True:
            if count >= budget:
                self._run_quiet_before_now()
                return False
            py_t, py_prio, py_seq = self.timeline.top()
            st.sync()
            # the types are pinned: one compiled specialisation serves every call
            code, n = advance(st.m, st.f, float(until), int(budget - count),
                              float(py_t), int(py_prio), int(py_seq))
            count += n
            if st.iv[K.I_EV_N] or st.iv[K.I_SM_N] or st.iv[K.I_SEEN_N]:
                flush(self)
            if code == K.DONE:
                return self._run_quiet_to(until, budget - count)
            if code == K.MAX_EVENTS:
                self._run_quiet_before_now()
                return False
            if code == K.PY_EVENT:
                self.timeline.run_next()         # (after the quiet probe rounds before it)
                count += 1
            elif code == K.NEED_ARRIVALS:
                self.arrivals.next_arrival()
            elif code == K.NEED_UNIFORMS:
                self.arrivals.refill_uniforms()
            elif code == K.GROW:
                st.grow_for_kernel()

    def _run_quiet_to(self, until: float, budget: int) -> bool:
        """Nothing else is left up to ``until``: the quiet probe rounds up to it
        (timeline.py).  Without a horizon they are all there is, so they count as events
        (``step()`` takes one); False when ``budget`` stopped them first."""
        timeline = self.timeline
        if until != INF:
            timeline.run_quiet_before((until, K.PRIO_SAMPLE + 1, 0))
            return True
        self._run_quiet_before_now()
        timeline.run_quiet_before((INF, 0, 0), budget, move_now=True)
        return not timeline.has_quiet_before((INF, 0, 0))

    def _run_quiet_before_now(self) -> None:
        """The quiet probe rounds the kernel went past (before the last event it processed;
        timeline.py): they change nothing it reads, so they run now, uncounted, and a
        snapshot applied next finds them done, as it would have.  (Those at exactly ``now``
        before a Python event run with it; a kernel event's time, continuous, is never a
        probe round's.)"""
        self.timeline.run_quiet_before((self.now, -1, 0))

    # ------------------------------------------------------------------ for the modules
    def next_seq(self) -> int:
        s = int(self.st.iv[K.I_SEQ])
        self.st.iv[K.I_SEQ] = s + 1
        return s

    def event_seq(self) -> int:
        """The sequence number of the next event (its place among events at equal times)."""
        seq, self._event_count = self._event_count, self._event_count + 1
        return seq

    def event(self, t: float, kind: str, **fields: Any) -> None:
        e = {"t": t, "kind": kind}
        e.update(fields)
        seq = self.event_seq()
        if kind == "snat_exhausted":
            self.episodes.exhausted(e, seq)
        elif kind == "snat_recovered":
            self.episodes.recovered(e, seq)
        else:
            self._log_event(e, seq)

    def _log_event(self, e: dict, seq: int) -> None:
        self._events.append(e)
        self._event_seq.append(seq)

    def end_flows(self, rows: np.ndarray, count: bool = True) -> None:
        """End these flows now (an edit removed their path): mappings released at once."""
        if len(rows):
            self.st.sync()
            self.kernel.end_flows(self.st.m, self.st.f, np.asarray(rows, np.int64),
                                  float(self.now), bool(count))
            flush(self)

    def register_vm(self, vm_id: str) -> int:
        i = self.vm_idx.get(vm_id)
        if i is None:
            i = self.vm_idx[vm_id] = len(self.vm_ids)
            self.vm_ids.append(vm_id)
            self.st.ensure_rows(len(self.vm_ids), len(self.gen_ids), len(self.dest_ids))
        return i

    def register_gen(self, gen_id: str) -> int:
        i = self.gen_idx.get(gen_id)
        if i is None:
            i = self.gen_idx[gen_id] = len(self.gen_ids)
            self.gen_ids.append(gen_id)
        return i

    def register_dest(self, dest_id: str) -> int:
        i = self.dest_idx.get(dest_id)
        if i is None:
            i = self.dest_idx[dest_id] = len(self.dest_ids)
            self.dest_ids.append(dest_id)
            self.dest_seen.append(set())
            self.dest_answers.append({})
        return i

    def register_key(self, mode: str, address: str, port: int) -> int:
        """A destination key (M-A6, M-B7): destination IP, IP and port, or one per flow."""
        k = ("ip", address) if mode == "ip" else ("any",) if mode == "any" else \
            ("ipp", address, port)
        i = self.key_idx.get(k)
        if i is None:
            i = self.key_idx[k] = len(self.key_idx)
        return i

    def register_lb(self, lb_id: str) -> int:
        i = self.lb_idx.get(lb_id)
        if i is None:
            i = self.lb_idx[lb_id] = len(self.lb_ids)
            self.lb_ids.append(lb_id)
        return i

    def conn_pool(self, gen_i: int, vm_i: int, dest_i: int, size: int) -> int:
        """The connection pool of a pooled generator for one VM and destination, with room
        for ``size`` connections."""
        st = self.st
        key = (gen_i, vm_i, dest_i)
        c = self.conn_index.get(key)
        if c is None:
            c = self.conn_index[key] = len(self.conn_index)
            st.conn_pool = grown(st.conn_pool, c + 1)
            st.conn_pool[c] = (len(st.conns), 0, 0, 0)
        if st.conn_pool[c, K.C_CAP] < size:          # move it to a bigger place at the end
            base, n = int(st.conn_pool[c, K.C_BASE]), int(st.conn_pool[c, K.C_N])
            new_base = len(st.conns)
            st.conns = np.concatenate((st.conns, np.full(size, -1, np.int64)))
            st.conns[new_base:new_base + n] = st.conns[base:base + n]
            st.conn_pool[c, K.C_BASE] = new_base
            st.conn_pool[c, K.C_CAP] = size
        return c

    def route_allocated(self, route: Route) -> int:
        """AllocatedSnatPorts of a route: the owner's budget, or a NAT gateway's inventory."""
        if route.kind == K.K_EXCL:
            return self.owners.budget(route.owner)
        if route.kind == K.K_NAT:
            return self.nat.all[route.owner].size
        return 0

    def port_use(self) -> tuple[np.ndarray, np.ndarray]:
        """(used, allocated) per VM (rows, by engine index) and protocol (tcp, udp)."""
        return vm_port_use(self)

    # ------------------------------------------------------------------ introspection
    def probe_states(self) -> dict[tuple[str, str], str]:
        """(lb, vm) -> "up" / "down": whether the VM takes new flows (probe, admin state,
        stopped VM)."""
        return self.timeline.probe_states()

    def vm_counters(self, vm_id: str) -> Counters:
        return Counters(*self.st.vm_cnt[self.vm_idx[vm_id]].tolist())

    def generator_counters(self, gen_id: str) -> Counters:
        return Counters(*self.st.gen_cnt[self.gen_idx[gen_id]].tolist())

    def vm_extra(self, vm_id: str) -> dict[str, int]:
        x = self.st.vm_extra[self.vm_idx[vm_id]].tolist()
        names = ("flows_ended", "idle_timeouts", "idle_resets")
        return {n: v for n, v in zip(names, x) if v}

    def vm_inbound(self, vm_id: str) -> tuple[int, int]:
        return tuple(self.st.vm_in[self.vm_idx[vm_id]].tolist())

    def vm_peak(self, vm_i: int, proto: str) -> int:
        """The most ports of this VM and protocol in use at once (UsedSnatPorts peak)."""
        peak = int(self.st.vmp[2 * vm_i + PROTOCOLS.index(proto), K.V_NAT_PEAK])
        for o in self.owners.of_vm.get((vm_i, proto), ()):
            peak = max(peak, int(self.st.owner[o, K.O_PEAK]))
        return peak

    def endpoint_seen(self, dest_id: str) -> set[str]:
        i = self.dest_idx.get(dest_id)
        return set(self.dest_seen[i]) if i is not None else set()

    def endpoint_flows(self, dest_id: str) -> int:
        i = self.dest_idx.get(dest_id)
        return int(self.st.dest_flows[i]) if i is not None else 0

    def whatismyip(self, dest_id: str) -> dict[str, list[str]]:
        """C11: per VM, the addresses a whatismyip endpoint answered with."""
        i = self.dest_idx.get(dest_id)
        if i is None:
            return {}
        return {vm: sorted(a) for vm, a in sorted(self.dest_answers[i].items())}

    def live_flow_count(self, kind: str | None = None) -> int:
        """Live flows (holding a mapping, releasing, or inbound), or only those of ``kind``:
        "exclusive", "nat_gateway" or "inbound"."""
        rows = self.st.live_rows()
        if kind is None:
            return len(rows)
        code = {"exclusive": K.K_EXCL, "nat_gateway": K.K_NAT, "inbound": K.K_IN}[kind]
        return int((self.st.flows[rows, K.FL_KIND] == code).sum())

    def live_mappings(self) -> list[tuple]:
        """Every live or releasing SNAT mapping as (public IP key, protocol, port, destination
        key, flow id) - for invariant checks."""
        st = self.st
        out = []
        for row in st.live_rows().tolist():
            kind, o, key, slot, proto, fid = (int(st.flows[row, c]) for c in (
                K.FL_KIND, K.FL_OWNER, K.FL_KEY, K.FL_SLOT, K.FL_PROTO, K.FL_FID))
            if kind == K.K_EXCL:
                pip_i, port = self.owners.slot_address(o, slot)
                out.append((self.owners.pip_keys[pip_i][0], PROTOCOLS[proto], port, key, fid))
            elif kind == K.K_NAT:
                pool = self.nat.all[o]
                out.append((pool.pips[slot // pool.per_ip], PROTOCOLS[proto],
                            slot % pool.per_ip, key, fid))
        return out

    def port_accounting(self) -> tuple[int, int, int]:
        """(mappings allocated, released, live) - allocated = released + live."""
        st = self.st
        rows = st.live_rows()
        live = int(np.isin(st.flows[rows, K.FL_KIND], (K.K_EXCL, K.K_NAT)).sum())
        return int(st.iv[K.I_ALLOCATED]), int(st.iv[K.I_RELEASED]), live

    def owner_use(self) -> list[tuple[str, str, int, int]]:
        """(vm, protocol, used, allocated) of every exclusive owner."""
        st = self.st
        return [(self.vm_ids[self.owners.vm[o]], self.owners.proto[o],
                 int(st.owner[o, K.O_USED]), int(st.owner[o, K.O_BUDGET]))
                for o in range(len(self.owners.sig))]


# ============================================================================ running in slices

class SliceSizer:
    """Runs an engine in slices of about ``slice_s`` seconds of wall time.

    The kernel's speed varies by three orders of magnitude - compiled or interpreted (until the
    background compile is ready), a tiny scenario or one whose tables miss the caches - so a
    slice is sized in events from the rate the previous full slices ran at: it at most doubles
    or halves from one slice to the next, between ``least`` and ``most`` events.  A slice that
    ended at ``until`` says nothing about the rate and changes nothing.  The engine's results
    do not depend on how ``run()`` is sliced (tests/sim/test_properties.py)."""

    def __init__(self, slice_s: float, first_events: int = 1_000, *, least: int = 16,
                 most: int = 20_000_000, clock: Callable[[], float] = _time.perf_counter):
        if slice_s <= 0:
            raise ValueError("slice_s must be positive")
        self.slice_s = slice_s
        self.events = max(int(first_events), least)
        self.least, self.most = least, most
        self.clock = clock

    def run(self, engine: Engine, until: float) -> float:
        """One slice towards ``until``; returns the engine's time."""
        start = self.clock()
        engine.run(until, max_events=self.events)
        if engine.last_run_cut:
            took = self.clock() - start
            scale = min(max(self.slice_s / took, 0.5), 2.0) if took > 0 else 2.0
            self.events = round(min(max(self.events * scale, self.least), self.most))
        return engine.now


#: wall seconds of a slice of run_sliced(): progress and Ctrl+C between slices
SLICE_S = 0.1


def run_sliced(engine: Engine, until: float,
               progress: Callable[[float, float], None] | None = None, *,
               should_stop: Callable[[], bool] | None = None, slice_s: float = SLICE_S,
               first_events: int = 10_000) -> float:
    """``engine.run(until)`` in slices of about ``slice_s`` of wall time (SliceSizer): between
    slices Python runs - ``progress(now, until)`` is called after each slice, a
    KeyboardInterrupt lands, ``should_stop()`` is asked and ends the run early when true.
    Returns the simulated time reached.  ``simulate``, ``export --at`` and the editor's
    "Step 1 Second" all run this way."""
    sizer = SliceSizer(slice_s, first_events)
    while engine.now < until:
        sizer.run(engine, until)
        if progress is not None:
            progress(engine.now, until)
        if should_stop is not None and should_stop():
            break
    return engine.now


# ============================================================================ the pace-keeper

class Pacer:
    """Follows the wall clock at a speed factor (0.5x ... 1000x, or ``None`` = as fast as
    possible), calling ``engine.run(until=...)`` in slices of about ``slice_s`` of wall time
    (SliceSizer, starting at ``first_events``); for the editor's worker, which checks its stop
    flag and the GUI's commands between slices.  ``clock`` is the wall clock the speed
    follows."""

    def __init__(self, engine: Engine, speed: float | None = 1.0, *,
                 clock: Callable[[], float] = _time.monotonic, slice_s: float = 0.002,
                 first_events: int = 500):
        self.engine = engine
        self.clock = clock
        self.sizer = SliceSizer(slice_s, first_events)
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
            self.sizer.run(self.engine, INF)
            return self.engine.now == before
        if target <= self.engine.now:
            return True
        self.sizer.run(self.engine, target)
        return self.engine.now >= target
