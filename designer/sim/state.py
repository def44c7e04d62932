"""The kernel's memory: three flat arrays, and a numpy view of each table for Python.

``m`` (int64) holds the scalars, a header with each table's offset and number of rows, then
the tables of ``kernel.INT_REGIONS`` (among them the (owner, key) pairs' port bitmaps);
``f`` (float64) the float scalars and the tables of ``kernel.FLOAT_REGIONS``.
Python reads and writes the tables through the views (``state.flows[row, FL_VM]``); replacing
a table (``state.flat = new``) or growing one re-lays ``m`` and ``f`` out at the next
:meth:`sync` - snapshots, growth and new NAT gateways, never once per event.

Memory follows what the run uses: a row per VM, generator, destination and SNAT owner; 16
bytes per port slot an owner holds (its reference count and, with several frontends, which
one) plus 8 on the Python side for its port number; one bit per port slot for each (owner,
destination key) a generator reaches; 24 bytes per port of a NAT gateway address in use; about
200 bytes per live flow (its row, its timer, and the tables' spare room).  Nothing is kept per
port a VM merely could use, nor per flow that has ended.
"""
from __future__ import annotations

import numpy as np

from . import kernel as K

I64 = np.int64
F64 = np.float64

#: initial capacities (doubled when the kernel asks for more room)
FLOWS0 = 1024
HEAP0 = 1024
NAT_EX0 = 16
RECORDS = 4096
#: arrivals per chunk and uniform numbers per batch (arrivals.py) fix two regions' sizes
CHUNK = 8192
UNIFORMS = 4096


def grown(arr: np.ndarray, rows: int, fill=0) -> np.ndarray:
    """``arr`` with at least ``rows`` rows (capacity doubled; new rows set to ``fill``)."""
    if len(arr) >= rows:
        return arr
    cap = max(rows, 2 * len(arr), 8)
    out = np.full((cap,) + arr.shape[1:], fill, dtype=arr.dtype)
    out[:len(arr)] = arr
    return out


def _aligned_zeros(n: int, dtype) -> np.ndarray:
    """Zeros whose first element starts a 64-byte cache line."""
    raw = np.zeros(n + 8, dtype)
    skip = (-raw.ctypes.data % 64) // raw.itemsize
    return raw[skip:skip + n]


def _line(at: int) -> int:
    """The next offset (in 8-byte elements) that starts a cache line."""
    return (at + 7) & ~7


def _empty(name: str, rows: int = 0, dtype=I64) -> np.ndarray:
    cols = K.COLUMNS.get(name)
    return np.zeros((rows, cols) if cols else rows, dtype)


class KernelState:
    """Owns ``m`` and ``f``; every region name of ``kernel.py`` is an attribute
    holding a view (or, after Python replaced it, the new array until :meth:`sync`)."""

    def __init__(self, sample_limit: int):
        object.__setattr__(self, "_dirty", True)
        self.m = np.zeros(0, I64)
        self.f = np.zeros(0, F64)
        for name in K.INT_REGIONS:
            setattr(self, name, _empty(name))
        for name in K.FLOAT_REGIONS:
            setattr(self, name, _empty(name, dtype=F64))
        cap = max(RECORDS, sample_limit + 16)
        self.heap, self.heap_t = _empty("heap", HEAP0), _empty("heap_t", HEAP0, F64)
        self.nat_ex = _empty("nat_ex", NAT_EX0)
        self.ev, self.ev_t = _empty("ev", RECORDS), _empty("ev_t", RECORDS, F64)
        self.sm, self.sm_t = _empty("sm", cap), _empty("sm_t", cap, F64)
        self.seen = _empty("seen", RECORDS)
        for name in ("arr_t", "arr_r", "arr_u", "arr_e"):
            setattr(self, name, _empty(name, CHUNK, F64))
        self.ubuf = _empty("ubuf", 2 * UNIFORMS, F64)
        self.ahead = np.full(2 * K.ARRIVALS_AHEAD, -1, I64)   # (arrival, row) fetched ahead
        self._scalars = np.zeros(K.NI, I64)
        self._fscalars = np.zeros(K.NF, F64)
        self._scalars[K.I_SEQ] = 1
        self._scalars[K.I_EV_BATCH] = 1          # rows' V_REC_BATCH 0: no recovery held
        self._scalars[K.I_SM_CAP] = sample_limit // 2
        self._scalars[K.I_SAMPLING] = 1 if sample_limit > 0 else 0
        self._scalars[K.I_ARR_DONE] = 1
        self._scalars[K.I_FREE] = -1
        self.sync()
        self.grow_flows(FLOWS0)
        self.sync()

    def __setattr__(self, name: str, value) -> None:
        if name in _REGION_NAMES and getattr(self, name, None) is not value:
            object.__setattr__(self, "_dirty", True)
        object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ layout
    def sync(self) -> None:
        """Lay the regions out in fresh ``m`` and ``f`` if any was replaced or grown."""
        if not self._dirty:
            return
        ints = [np.ascontiguousarray(getattr(self, n), I64) for n in K.INT_REGIONS]
        floats = [np.ascontiguousarray(getattr(self, n), F64) for n in K.FLOAT_REGIONS]
        scalars = self.iv.copy() if len(self.m) else self._scalars
        fscalars = self.fv.copy() if len(self.f) else self._fscalars
        # every table starts a cache line (rows of 8 or 16 columns then fill whole lines)
        m = _aligned_zeros(_line(K.HEADER) + sum(_line(a.size) for a in ints), I64)
        f = _aligned_zeros(_line(K.NF) + sum(_line(a.size) for a in floats), F64)
        m[:K.NI] = scalars
        f[:K.NF] = fscalars
        at = _line(K.HEADER)
        for r, (name, a) in enumerate(zip(K.INT_REGIONS, ints)):
            at = _line(at)
            m[K.NI + r] = at
            m[K.NI + K.NRI + r] = len(a)
            m[at:at + a.size] = a.ravel()
            object.__setattr__(self, name, m[at:at + a.size].reshape(a.shape))
            at += a.size
        at = _line(K.NF)
        for r, (name, a) in enumerate(zip(K.FLOAT_REGIONS, floats)):
            at = _line(at)
            m[K.NI + 2 * K.NRI + r] = at
            m[K.NI + 2 * K.NRI + K.NRF + r] = len(a)
            f[at:at + a.size] = a.ravel()
            object.__setattr__(self, name, f[at:at + a.size].reshape(a.shape))
            at += a.size
        object.__setattr__(self, "m", m)
        object.__setattr__(self, "f", f)
        object.__setattr__(self, "iv", m[:K.NI])
        object.__setattr__(self, "fv", f[:K.NF])
        object.__setattr__(self, "_dirty", False)
        # the rows fetched ahead are offsets into the old layout: forget them (the kernel
        # reads a remembered row, and the new m may be shorter)
        self.ahead[:] = -1

    def nbytes(self) -> int:
        return self.m.nbytes + self.f.nbytes

    # ------------------------------------------------------------------ growth
    def grow_flows(self, rows: int | None = None) -> None:
        old = len(self.flows)
        rows = rows or 2 * old
        self.flows = grown(self.flows, rows)
        self.flows_f = grown(self.flows_f, rows)
        self.sync()
        new = len(self.flows)
        self.flows[old:, K.FL_FID] = -1
        # the new rows join the free list, lowest first
        self.flows[old:new - 1, K.FL_NEXT] = np.arange(old + 1, new)
        self.flows[new - 1, K.FL_NEXT] = self.iv[K.I_FREE]
        self.iv[K.I_FREE] = old

    def grow_for_kernel(self) -> None:
        """The kernel returned GROW: make room in whatever is nearly full."""
        iv = self.iv
        if iv[K.I_FREE] < 0:
            self.grow_flows()
        if self.iv[K.I_HEAP_N] >= len(self.heap_t) - 4:
            self.heap_t = grown(self.heap_t, 2 * len(self.heap_t))
            self.heap = grown(self.heap, 2 * len(self.heap))
        if self.iv[K.I_NATEX_N] >= len(self.nat_ex) - 2:
            self.nat_ex = grown(self.nat_ex, 2 * len(self.nat_ex))
        self.sync()

    def ensure_rows(self, n_vms: int, n_gens: int, n_dests: int) -> None:
        """Room for the registered VMs, generators and destinations."""
        self.vm_cnt = grown(self.vm_cnt, n_vms)
        self.vm_in = grown(self.vm_in, n_vms)
        self.vm_extra = grown(self.vm_extra, n_vms)
        self.vm_denied = grown(self.vm_denied, n_vms)
        if len(self.vmp) < 2 * n_vms:
            old = len(self.vmp)
            self.vmp = grown(self.vmp, 2 * n_vms)
            self.vmp[old:, K.V_EX_FLAT] = -1
        self.gen_cnt = grown(self.gen_cnt, n_gens)
        self.dest_flows = grown(self.dest_flows, n_dests)

    # ------------------------------------------------------------------ reading
    def live_rows(self) -> np.ndarray:
        """Rows of the live flows, in the order they started (flow id)."""
        rows = np.flatnonzero(self.flows[:, K.FL_FID] >= 0)
        return rows[np.argsort(self.flows[rows, K.FL_FID], kind="stable")]

    def take_records(self):
        """The kernel's new events (without the struck-out ones), flow samples and seen
        addresses (and reset the buffers)."""
        iv = self.iv
        ne, ns, nseen = int(iv[K.I_EV_N]), int(iv[K.I_SM_N]), int(iv[K.I_SEEN_N])
        ev_t = ev = sm_t = sm = seen = ()
        if ne:
            ev_t, ev = self.ev_t[:ne], self.ev[:ne]
            kept = ev[:, K.R_KIND] != K.EV_STRUCK
            if not kept.all():
                ev_t, ev = ev_t[kept], ev[kept]
            ev_t, ev = ev_t.tolist(), ev.tolist()
            iv[K.I_EV_N] = 0
            iv[K.I_EV_BATCH] += 1
        if ns:
            sm_t, sm = self.sm_t[:ns].tolist(), self.sm[:ns].tolist()
            iv[K.I_SM_N] = 0
        if nseen:
            seen = self.seen[:nseen].tolist()
            iv[K.I_SEEN_N] = 0
        return ev_t, ev, sm_t, sm, seen


_REGION_NAMES = frozenset(K.INT_REGIONS + K.FLOAT_REGIONS)
