"""Arrivals: the superposed Poisson stream of every active generator, drawn with numpy in
chunks and consumed by the kernel; and the uniform numbers of the NAT gateway's port choice.

A segment is a stretch of constant rates; it ends at a generator's start or stop or at a new
snapshot (Poisson arrivals are memoryless, so cutting a chunk there is exact).  Per chunk of
8,192 arrivals: inter-arrival gaps, which stream, a uniform for the destination and the hold
time.  The chunk size is fixed, so the random stream never depends on how ``run()`` is called,
and memory does not grow with the length of a run.
"""
from __future__ import annotations

import math

import numpy as np

from . import kernel as K
from .state import CHUNK, UNIFORMS, KernelState

INF = math.inf


class Arrivals:
    """``set_streams(specs, bounds, now)`` after each snapshot; ``next_arrival()`` when the
    kernel has used up the chunk.  A spec is (stream row, rate, start, stop, mean hold,
    exponential hold?)."""

    def __init__(self, rng: np.random.Generator, state: KernelState):
        self.rng = rng
        self.state = state
        self.specs: list[tuple] = []
        self.bounds: list[float] = []
        self.seg_end = INF
        self.seg_rate = 0.0
        self.arr_from = 0.0

    def set_streams(self, specs: list[tuple], bounds: list[float], now: float) -> None:
        self.specs = specs
        self.bounds = sorted(bounds)
        self.new_segment(now)

    def new_segment(self, t0: float) -> None:
        """Active streams from ``t0`` to the next start/stop boundary."""
        self.seg_end = next((b for b in self.bounds if b > t0), INF)
        active = [s for s in self.specs if s[2] <= t0 < s[3]]
        st = self.state
        k = len(active)
        st.iv[K.I_NSEG] = k
        st.seg_stream[:k] = [s[0] for s in active]
        if active:
            rates = np.array([s[1] for s in active], dtype=float)
            self.seg_rate = float(rates.sum())
            st.seg_cum[:k] = np.cumsum(rates) / self.seg_rate
            st.seg_mean[:k] = [s[4] for s in active]
            st.seg_exp[:k] = [bool(s[5]) for s in active]
        else:
            self.seg_rate = 0.0
        st.iv[K.I_AI] = st.iv[K.I_NARR] = 0
        st.iv[K.I_ARR_DONE] = 0
        self.arr_from = t0

    def _set_chunk(self, t, r, u, e) -> None:
        st = self.state
        n = len(t)
        st.arr_t[:n], st.arr_r[:n], st.arr_u[:n], st.arr_e[:n] = t, r, u, e
        st.iv[K.I_AI] = 0
        st.iv[K.I_NARR] = n

    def next_arrival(self) -> float:
        """Refill the chunk when used up; the time of the next arrival (INF: none, until the
        next snapshot)."""
        st = self.state
        while st.iv[K.I_AI] >= st.iv[K.I_NARR]:
            if self.arr_from >= self.seg_end:
                if self.seg_end == INF:
                    st.iv[K.I_ARR_DONE] = 1
                    return INF
                self.new_segment(self.seg_end)
                continue
            if self.seg_rate <= 0:
                if self.seg_end == INF:
                    st.iv[K.I_ARR_DONE] = 1
                    return INF
                self.arr_from = self.seg_end
                continue
            rng = self.rng
            times = self.arr_from + np.cumsum(rng.exponential(1.0 / self.seg_rate, CHUNK))
            r = rng.random(CHUNK)                      # which stream (the kernel looks it up)
            u = rng.random(CHUNK)                      # which destination
            e = rng.standard_exponential(CHUNK)        # the hold, if exponential
            n = int(np.searchsorted(times, self.seg_end, side="left"))
            self._set_chunk(times[:n], r[:n], u[:n], e[:n])
            self.arr_from = float(times[-1]) if n == CHUNK else self.seg_end
        return float(st.arr_t[st.iv[K.I_AI]])

    def decoded(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The current chunk as (time, stream row, destination uniform, hold), computed the
        way the kernel does (for benchmarks and tests that replay the stream)."""
        st = self.state
        n, k = int(st.iv[K.I_NARR]), int(st.iv[K.I_NSEG])
        sidx = np.minimum(np.searchsorted(st.seg_cum[:k], st.arr_r[:n], side="right"), k - 1)
        mean = st.seg_mean[sidx]
        hold = np.where(st.seg_exp[sidx].astype(bool), st.arr_e[:n] * mean, mean)
        return st.arr_t[:n].copy(), st.seg_stream[sidx], st.arr_u[:n].copy(), hold

    def peek(self) -> float:
        st = self.state
        if st.iv[K.I_AI] < st.iv[K.I_NARR]:
            return float(st.arr_t[st.iv[K.I_AI]])
        if st.iv[K.I_ARR_DONE]:
            return INF
        return self.next_arrival()

    def refill_uniforms(self) -> None:
        """The kernel ran out of uniforms mid-choice: the unused ones, then a fresh batch (the
        same numbers, in the same order, as one batch after another)."""
        st = self.state
        rest = st.ubuf[st.iv[K.I_UPOS]:st.iv[K.I_ULEN]].copy()
        n = len(rest)
        st.ubuf[:n] = rest
        st.ubuf[n:n + UNIFORMS] = self.rng.random(UNIFORMS)
        st.iv[K.I_UPOS] = 0
        st.iv[K.I_ULEN] = n + UNIFORMS
