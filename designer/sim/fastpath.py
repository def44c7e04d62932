"""Exact fast-forward of a headless run (``simulate``): the same report as ``Engine.run``.

Why it is exact: with per-VM port budgets (load balancer and default SNAT, C7) whether a flow
gets a port, and which port index (the lowest one its destination key does not use), depend
only on the earlier flows of the same (owner, destination key) pair.  So the arrivals the
engine would draw are decided pair by pair in a tight loop, and UsedSnatPorts - the number of
port indices carrying at least one mapping, across keys - is rebuilt with numpy from each
index's busy intervals.  Everything else (probes, metric samples, the events and their order)
goes through the engine's own code at the same simulated times.

It applies when nothing couples the pairs or changes mid-run: no NAT gateway path in use (its
inventory is shared), no connection pools, no inbound generators, no flow samples, no
snapshot edits.  ``eligible(engine)`` says why not otherwise; the caller then runs the loop.
A property test checks that both give byte-identical reports.
"""
from __future__ import annotations

import heapq

import numpy as np

from .engine import (ATT, FNSG, FROUTE, FSNAT, INF, K_EXCL, K_ILPIP, K_IN, K_NAT, K_NONE, OK,
                     PRIO_ARRIVAL, PROBE, SAMPLE, Engine)

#: flows handed to the Python pair loop at a time (bounds the memory of its lists)
BATCH = 65536


def eligible(engine: Engine) -> str | None:
    """None when ``engine`` can be fast-forwarded from where it stands, else why not."""
    if engine.now != 0 or engine._flows or engine._pending is not None:
        return "the engine has already run or has an edit pending"
    if engine.sample_limit:
        return "flow samples for animation are recorded"
    for stream, *_ in engine._streams_all:
        if stream[0] == K_IN:
            return "an inbound generator"
        if stream[0] == K_NAT:
            return "a NAT gateway path (its ports are shared by every VM)"
        if stream[10]:
            return "a connection pool"
    return None


def fast_forward(engine: Engine, until: float) -> None:
    """Bring ``engine`` to ``until`` as ``engine.run(until)`` would, for the report."""
    reason = eligible(engine)
    if reason is not None:
        raise ValueError(f"cannot fast-forward: {reason}")
    _FastForward(engine, until).run()


class _FastForward:
    def __init__(self, engine: Engine, until: float):
        self.e = engine
        self.until = until

    # ------------------------------------------------------------------ the arrivals
    def draw(self) -> None:
        """Drain the engine's arrival stream up to ``until`` (the draws the loop would make)."""
        e = self.e
        streams: list[tuple] = []
        index: dict[int, int] = {}
        parts_t, parts_s, parts_u, parts_h = [], [], [], []
        while True:
            t_next = e._next_arrival()
            if t_next > self.until or t_next == INF:
                break
            local = np.array([index.setdefault(id(s), len(index)) for s in e._seg_streams],
                             dtype=np.int64)
            for s in e._seg_streams:
                if index[id(s)] == len(streams):
                    streams.append(s)
            t = np.array(e._arr_t[e._ai:], dtype=float)
            n = int(np.searchsorted(t, self.until, side="right"))
            parts_t.append(t[:n])
            parts_s.append(local[np.array(e._arr_s[e._ai:e._ai + n], dtype=np.int64)])
            parts_u.append(np.array(e._arr_u[e._ai:e._ai + n], dtype=float))
            parts_h.append(np.array(e._arr_h[e._ai:e._ai + n], dtype=float))
            e._ai = len(e._arr_t) if n == len(t) else e._ai + n
            if n < len(t):
                break
        cat = (lambda parts, dt: np.concatenate(parts) if parts else np.zeros(0, dt))
        self.T = cat(parts_t, float)
        self.SID = cat(parts_s, np.int64)
        self.U = cat(parts_u, float)
        self.H = cat(parts_h, float)
        self.streams = streams

    # ------------------------------------------------------------------ classification
    def classify(self) -> None:
        st = self.streams
        ns = len(st)
        self.kind = np.array([s[0] for s in st], dtype=np.int64)
        self.gen = np.array([s[1] for s in st], dtype=np.int64)
        self.vm = np.array([s[2] for s in st], dtype=np.int64)
        self.owner = np.array([s[4] if s[0] == K_EXCL else -1 for s in st], dtype=np.int64)
        self.rel = np.array([s[5] for s in st], dtype=float)
        ndest = np.array([s[9] for s in st], dtype=np.int64)
        base = np.zeros(ns + 1, dtype=np.int64)
        base[1:] = np.cumsum(ndest)
        self.flat_code = np.array([c for s in st for c in s[8]], dtype=np.int64)
        self.flat_key = np.array([k for s in st for k in s[7]], dtype=np.int64)
        self.flat_dest = np.array([d for s in st for d in s[6]], dtype=np.int64)
        self.flat_myip = np.array([m for s in st for m in s[12]], dtype=bool)
        self.flat_sid = [i for i, s in enumerate(st) for _ in s[6]]
        sid = self.SID
        # the loop computes int(u * ndest) in float64, and so does numpy
        di = (self.U * ndest[sid]).astype(np.int64) if len(sid) else np.zeros(0, np.int64)
        self.DI = di
        del self.U      # only the destination choice needed it
        self.FLAT = base[sid] + di
        code = self.flat_code[self.FLAT]
        kind = self.kind[sid]
        self.denied = code < 0
        self.free_ok = ~self.denied & ((code == 1) | (kind == K_ILPIP))
        self.noroute = ~self.denied & ~self.free_ok & (kind == K_NONE)
        self.snat = ~self.denied & ~self.free_ok & ~self.noroute

    # ------------------------------------------------------------------ the pairs
    def decide_pairs(self) -> None:
        """Per (owner, key): admitted or not, and the lowest free port index (C7, C8)."""
        e = self.e
        rows = np.flatnonzero(self.snat)
        self.snat_rows = rows
        owner = self.owner[self.SID[rows]]
        key = self.flat_key[self.FLAT[rows]]
        nk = int(key.max()) + 1 if len(key) else 1
        pair = owner * nk + key
        order = np.argsort(pair, kind="stable")       # time order kept inside each pair
        rows_sorted = rows[order]
        pair_sorted = pair[order]
        if len(pair_sorted):
            starts = np.flatnonzero(np.r_[True, pair_sorted[1:] != pair_sorted[:-1]])
            ends = np.r_[starts[1:], len(pair_sorted)]
        else:
            starts = ends = np.zeros(0, np.int64)
        release = self.T + self.H + self.rel[self.SID]     # (t + hold) + rel, as the loop
        # the loop below is Python: feed it Python lists, a batch of whole pairs at a time
        n = len(rows_sorted)
        adm_sorted = np.zeros(n, dtype=bool)
        idx_sorted = np.full(n, -1, dtype=np.int64)
        budgets = e._o_budget
        group_owner = owner[order][starts].tolist() if n else []
        heappush, heappop = heapq.heappush, heapq.heappop
        starts_l, ends_l = starts.tolist(), ends.tolist()
        g = 0
        while g < len(starts_l):
            g_end = g
            lo = starts_l[g]
            while g_end < len(starts_l) and (g_end == g or ends_l[g_end] - lo <= BATCH):
                g_end += 1
            hi = ends_l[g_end - 1]
            Ts = self.T[rows_sorted[lo:hi]].tolist()
            Rs = release[rows_sorted[lo:hi]].tolist()
            adm_s = [False] * (hi - lo)
            idx_s = [-1] * (hi - lo)
            for a, b, o in zip(starts_l[g:g_end], ends_l[g:g_end], group_owner[g:g_end]):
                budget = budgets[o]
                free: list[int] = []
                pending: list[tuple[float, int]] = []
                nxt = 0
                for j in range(a - lo, b - lo):
                    t = Ts[j]
                    while pending and pending[0][0] <= t:      # releases first at equal times
                        heappush(free, heappop(pending)[1])
                    if free:
                        i = heappop(free)
                    elif nxt < budget:
                        i = nxt
                        nxt += 1
                    else:
                        continue
                    adm_s[j] = True
                    idx_s[j] = i
                    r = Rs[j]
                    if r != INF:
                        heappush(pending, (r, i))
            adm_sorted[lo:hi] = adm_s
            idx_sorted[lo:hi] = idx_s
            g = g_end
        adm = np.zeros(len(self.T), dtype=bool)
        idx = np.full(len(self.T), -1, dtype=np.int64)
        if n:
            adm[rows_sorted] = adm_sorted
            idx[rows_sorted] = idx_sorted
        self.adm = adm
        self.idx = idx
        self.release = release

    # ------------------------------------------------------------------ used ports
    def union_events(self) -> None:
        """UsedSnatPorts: a port index counts while any of its mappings (any key) is live or
        releasing.  Per owner and per public IP: event times and the count after each."""
        rows = np.flatnonzero(self.adm)
        width = int(max(self.e._o_budget, default=0)) + 1
        slot = self.owner[self.SID[rows]] * width + self.idx[rows]   # (owner, index) in one
        end = self.release[rows]
        keep_end = end <= self.until
        ev_k = np.concatenate((slot, slot[keep_end]))
        ev_t = np.concatenate((self.T[rows], end[keep_end]))
        ev_d = np.concatenate((np.ones(len(rows), np.int8),
                               -np.ones(int(keep_end.sum()), np.int8)))
        del slot, end, keep_end, rows
        order = np.lexsort((ev_d, ev_t, ev_k))
        ev_k, ev_t, ev_d = ev_k[order], ev_t[order], ev_d[order]
        del order
        # running count of mappings per (owner, index): a cumulative sum restarted per group
        csum = np.cumsum(ev_d, dtype=np.int32)
        if len(ev_k):
            starts = np.flatnonzero(np.r_[True, ev_k[1:] != ev_k[:-1]])
            lengths = np.diff(np.r_[starts, len(ev_k)])
            csum -= np.repeat(csum[starts] - ev_d[starts], lengths)
            del starts, lengths
        prev = csum - ev_d
        up = (prev == 0) & (csum > 0)
        down = (prev > 0) & (csum == 0)
        del prev, csum
        sel = up | down
        u_k, u_t = ev_k[sel], ev_t[sel]
        u_d = np.where(up[sel], 1, -1).astype(np.int8)
        del ev_k, ev_t, ev_d, up, down, sel
        u_o, u_i = np.divmod(u_k, width)
        self.owner_series = self._series(u_o, u_t, u_d)
        # per public IP (an owner's slot index tells which IP it is on, M-B6)
        self.pip_series = self._series(self.slot_pip(u_o, u_i), u_t, u_d)

    def slot_pip(self, owners: np.ndarray, indices: np.ndarray) -> np.ndarray:
        """The public IP (engine index) of each (owner, slot index)."""
        e = self.e
        if not hasattr(self, "_pip_flat"):
            sizes = np.array([len(sl) for sl in e._o_slots], dtype=np.int64)
            self._pip_base = np.r_[0, np.cumsum(sizes)[:-1]] if len(sizes) else sizes
            self._pip_flat = np.array([p for sl in e._o_slots for p, _ in sl], dtype=np.int64)
        if not len(owners):
            return np.zeros(0, np.int64)
        return self._pip_flat[self._pip_base[owners] + indices]

    @staticmethod
    def _series(group_ids, t, d) -> dict[int, tuple[np.ndarray, np.ndarray, int]]:
        """group -> (event times, count after each event, peak); releases before arrivals at
        equal times, as the loop orders them."""
        out = {}
        if not len(group_ids):
            return out
        order = np.lexsort((d, t, group_ids))
        g, t, d = group_ids[order], t[order], d[order]
        bounds = np.flatnonzero(np.r_[True, g[1:] != g[:-1], True])
        for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
            counts = np.cumsum(d[a:b])
            out[int(g[a])] = (t[a:b], counts, int(counts.max()))
        return out

    @staticmethod
    def _at(series, key: int, t: float) -> int:
        got = series.get(key)
        if got is None:
            return 0
        times, counts, _ = got
        k = int(np.searchsorted(times, t, side="right"))
        return int(counts[k - 1]) if k else 0

    # ------------------------------------------------------------------ the timeline
    def timeline(self) -> None:
        """Probes, metric samples, snat_exhausted and nsg_denied through the engine's own
        code, in (time, priority) order."""
        e = self.e
        failed_rows = self.snat_rows[~self.adm[self.snat_rows]]
        denied_rows = np.flatnonzero(self.denied)
        # arrival-driven events: every SNAT failure, and the first denial per VM
        first_denied = {}
        for r in denied_rows.tolist():
            first_denied.setdefault(int(self.vm[self.SID[r]]), r)
        arrival_rows = np.union1d(failed_rows, np.array(sorted(first_denied.values()),
                                                        dtype=np.int64)).tolist()
        is_fail = set(failed_rows.tolist())
        # cumulative failure counts for the samples
        vm_snat_fail = {}
        fail_vm = self.vm[self.SID[failed_rows]]
        for v in np.unique(fail_vm).tolist():
            vm_snat_fail[v] = self.T[failed_rows[fail_vm == v]]
        gen_kinds = {}
        for name, mask in (("snat", self.snat & ~self.adm), ("nsg", self.denied),
                           ("route", self.noroute)):
            rows = np.flatnonzero(mask)
            gk = self.gen[self.SID[rows]]
            for g in np.unique(gk).tolist():
                gen_kinds[(g, name)] = self.T[rows[gk == g]]
        scratch = [0, 0, 0, 0, 0]
        heap = e._heap
        pos = 0
        n_arr = len(arrival_rows)
        while True:
            t_arr = self.T[arrival_rows[pos]] if pos < n_arr else INF
            if heap:
                top = heap[0]
                heap_first = top[0] < t_arr or (top[0] == t_arr and top[1] < PRIO_ARRIVAL)
                t = top[0] if heap_first else t_arr
            else:
                heap_first, t = False, t_arr
            if t > self.until or t == INF:
                break
            if not heap_first:
                r = arrival_rows[pos]
                pos += 1
                s = self.streams[int(self.SID[r])]
                di = int(self.DI[r])
                e.now = t
                if r in is_fail:
                    e._fail_snat(s, t, di, scratch, scratch)
                else:
                    e._report_denied(s, di, t)
                continue
            _, _, _, code, arg = heapq.heappop(heap)
            e.now = t
            if code == PROBE:
                e._probe(arg, t)
            elif code == SAMPLE:
                self._set_state_at(t, vm_snat_fail, gen_kinds)
                e._take_sample(t)
            else:   # pragma: no cover - eligible runs schedule nothing else
                raise AssertionError(f"unexpected timer {code} in a fast-forward")

    def _set_state_at(self, t: float, vm_snat_fail, gen_kinds) -> None:
        """The counters and used ports the engine's sample reads, as they stand at ``t``."""
        e = self.e
        for v, times in vm_snat_fail.items():
            e._vm_cnt[v][FSNAT] = int(np.searchsorted(times, t, side="right"))
        for (g, name), times in gen_kinds.items():
            slot = FSNAT if name == "snat" else FNSG if name == "nsg" else FROUTE
            e._gen_cnt[g][slot] = int(np.searchsorted(times, t, side="right"))
        for o in range(len(e._o_used)):
            e._o_used[o] = self._at(self.owner_series, o, t)
        for p in range(len(e._pip_used)):
            e._pip_used[p] = self._at(self.pip_series, p, t)

    # ------------------------------------------------------------------ the end state
    def finish(self) -> None:
        e = self.e
        ok = self.free_ok | (self.snat & self.adm)
        n_vm, n_gen = len(e._vm_cnt), len(e._gen_cnt)
        vm_of, gen_of = self.vm[self.SID], self.gen[self.SID]
        for slot, mask in ((ATT, np.ones(len(self.T), bool)), (OK, ok),
                           (FSNAT, self.snat & ~self.adm), (FNSG, self.denied),
                           (FROUTE, self.noroute)):
            per_vm = np.bincount(vm_of[mask], minlength=n_vm).tolist()
            per_gen = np.bincount(gen_of[mask], minlength=n_gen).tolist()
            for v in range(n_vm):
                e._vm_cnt[v][slot] = per_vm[v]
            for g in range(n_gen):
                e._gen_cnt[g][slot] = per_gen[g]
        dest = self.flat_dest[self.FLAT]
        flows = np.bincount(dest[ok], minlength=len(e._dest_flows)).tolist()
        for d in range(len(e._dest_flows)):
            e._dest_flows[d] += flows[d]
        # addresses the endpoints saw (C11)
        self._seen_free(np.flatnonzero(self.free_ok))
        self._seen_snat(np.flatnonzero(self.snat & self.adm))
        # used ports now, and the peaks
        for o in range(len(e._o_used)):
            e._o_used[o] = self._at(self.owner_series, o, self.until)
            got = self.owner_series.get(o)
            if got is not None:
                e._o_peak[o] = max(e._o_peak[o], got[2])
        for p in range(len(e._pip_used)):
            e._pip_used[p] = self._at(self.pip_series, p, self.until)
            got = self.pip_series.get(p)
            if got is not None:
                e._pip_peak[p] = max(e._pip_peak[p], got[2])
        e._allocated += int(self.adm.sum())
        e._released += int(((self.release <= self.until) & self.adm).sum())
        e.now = self.until
        e._fast_forwarded = True

    def _seen_free(self, rows) -> None:
        e = self.e
        flats = np.unique(self.FLAT[rows]).tolist()
        sid_of_flat = {}
        for flat in flats:
            sid_of_flat[flat] = self.flat_sid[flat]
        for flat in flats:
            s = self.streams[sid_of_flat[flat]]
            code = int(self.flat_code[flat])
            vm_i = s[2]
            if code == 1:
                address = e.nsg.private_ips.get(e._vm_ids[vm_i], "")
            else:
                address = s[13].public_ips[0] if s[13].public_ips else ""
            dest_i = int(self.flat_dest[flat])
            e._dest_seen[dest_i].add(address)
            if self.flat_myip[flat]:
                e._dest_answers[dest_i].setdefault(e._vm_ids[vm_i], set()).add(address)

    def _seen_snat(self, rows) -> None:
        e = self.e
        if not len(rows):
            return
        pip = self.slot_pip(self.owner[self.SID[rows]], self.idx[rows])
        n_pip = max(len(e._pip_keys), 1)
        combos = np.unique(self.FLAT[rows] * n_pip + pip).tolist()
        for combo in combos:
            flat, p = divmod(combo, n_pip)
            sid = self.flat_sid[flat]
            dest_i = int(self.flat_dest[flat])
            address = e._pip_addr[p]
            e._dest_seen[dest_i].add(address)
            if self.flat_myip[flat]:
                vm_i = self.streams[sid][2]
                e._dest_answers[dest_i].setdefault(e._vm_ids[vm_i], set()).add(address)

    def run(self) -> None:
        self.draw()
        self.classify()
        self.decide_pairs()
        self.union_events()
        self.timeline()
        self.finish()
