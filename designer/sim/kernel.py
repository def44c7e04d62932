"""The compiled event kernel: the hot part of the event loop over plain arrays (numba).

What runs here, for every workload: arrivals (outbound, pooled and inbound), port allocation
and release for every owner kind - per-VM budgets of load balancer rules, outbound rules and
default SNAT (C7, M-A5, M-B4-M-B6), NAT gateway inventories with cool-downs and the 50,000 per
destination cap (M-B8, M-B9), instance IPs (C10) -, release and idle timers (C9, M-A8, M-B11),
counters, exhaustion and recovery, flow samples for the animation.  What does not: metric
samples, probes, generator stops and snapshots (``engine.py``, ``timeline.py``): ``advance``
hands control back to Python when the next event is one of those, when it needs a new chunk
of arrivals or of uniform numbers, when a table must grow, or after ``max_events`` events.

The state is two flat arrays: ``m`` (int64) and ``f`` (float64).  Each table is a region of ``m`` or ``f`` whose offset and number of rows are kept in
``m``'s header (``B_*`` and ``N_*`` below); ``state.py`` lays them out and gives Python numpy
views of each.  (One flat array instead of a tuple of fifty makes numba compile the kernel
about ten times faster.)  Event order is (time, priority, sequence): timers first, then
generator stops, probes, arrivals, metric samples.

The codes, regions and columns are in ``kernel_layout.py``.  numba's on-disk cache would key
each function on its own file only, missing an edit of a constant or a callee elsewhere; the
locator in ``jit.py`` keys it on every kernel file instead.
"""
from __future__ import annotations

import math

import numpy as np

from .kernel_layout import *  # noqa: F401,F403 - the codes, regions and columns

try:                        # compile.py loads this file a second time, to run it interpreted
    jit = _DECORATOR  # type: ignore[name-defined]  # noqa: F821
    prefetch = _PREFETCH  # type: ignore[name-defined]  # noqa: F821
except NameError:
    from .jit import jit, prefetch

_ONE = np.int64(1)

# ============================================================================ the timer heap

@jit
def _before(m, f, ht, h, a, b):
    """Heap entry ``a`` comes before ``b``: by (time, priority, sequence)."""
    ta, tb = f[ht + a], f[ht + b]
    if ta != tb:
        return ta < tb
    return m[h + a * NH] < m[h + b * NH]


@jit
def _swap(m, f, ht, h, a, b):
    t = f[ht + a]
    f[ht + a] = f[ht + b]
    f[ht + b] = t
    ra, rb = h + a * NH, h + b * NH
    k, v = m[ra], m[ra + 1]
    m[ra], m[ra + 1] = m[rb], m[rb + 1]
    m[rb], m[rb + 1] = k, v


@jit
def _heap_push(m, f, t, prio, seq, code, row):
    """A timer for flow ``row`` (it replaces the flow's pending one)."""
    ht, h = m[G_HEAP_T], m[B_HEAP]
    n = m[I_HEAP_N]
    f[ht + n] = t
    m[h + n * NH + H_KEY] = (prio << SEQ_BITS) | seq
    m[h + n * NH + H_ITEM] = (row << 2) | code
    m[m[B_FLOWS] + row * NFL + FL_TIMER] = seq
    m[I_HEAP_N] = n + 1
    while n > 0:
        parent = (n - 1) >> 2
        if not _before(m, f, ht, h, n, parent):
            break
        _swap(m, f, ht, h, n, parent)
        n = parent


@jit
def _heap_pop(m, f):
    """Remove the top entry (the caller has read it)."""
    ht, h = m[G_HEAP_T], m[B_HEAP]
    n = m[I_HEAP_N] - 1
    m[I_HEAP_N] = n
    if n == 0:
        return
    _swap(m, f, ht, h, 0, n)
    i = 0
    while True:                     # a 4-ary heap: half the depth of a binary one
        first = 4 * i + 1
        if first >= n:
            break
        child = first
        for c in range(first + 1, min(first + 4, n)):
            if _before(m, f, ht, h, c, child):
                child = c
        if not _before(m, f, ht, h, child, i):
            break
        _swap(m, f, ht, h, i, child)
        i = child


@jit
def _next_seq(m):
    s = m[I_SEQ]
    m[I_SEQ] = s + 1
    return s


# ============================================================================ records for Python

@jit
def _record(m, f, count, rows, times, t, kind, vm, gen, proto, a, b):
    """Append a record to the table at header slots ``rows`` / ``times`` (``count``: the
    scalar holding how many it has)."""
    n = m[count]
    f[m[times] + n] = t
    r = m[rows] + n * NR
    m[r + R_KIND] = kind
    m[r + R_VM] = vm
    m[r + R_GEN] = gen
    m[r + R_PROTO] = proto
    m[r + R_A] = a
    m[r + R_B] = b
    m[count] = n + 1


@jit
def _record_event(m, f, t, kind, vm, proto, a, b):
    _record(m, f, I_EV_N, B_EV, G_EV_T, t, kind, vm, -1, proto, a, b)


@jit
def _sample(m, f, t, kind, vm, gen, proto, a, b):
    """Keep up to half the per-frame cap for starts/ends and half for failures, so a burst of
    starts never hides the failures that follow it."""
    counter = I_SM_FAILS if kind >= FIRST_FAIL_SAMPLE else I_SM_STARTS
    if m[counter] >= m[I_SM_CAP]:
        m[I_SM_DROPPED] += 1
        return
    m[counter] += 1
    _record(m, f, I_SM_N, B_SM, G_SM_T, t, kind, vm, gen, proto, a, b)


@jit
def _seen(m, flat, position):
    """C11: destination ``flat`` saw the path's address number ``position`` (logged once)."""
    bit = np.int64(1) << min(position, 63)
    s = m[B_FLAT] + flat * NT + T_SEEN
    if position < 63 and m[s] & bit:
        return
    m[s] |= bit
    n = m[I_SEEN_N]
    r = m[B_SEEN] + 2 * n
    m[r] = flat
    m[r + 1] = position
    m[I_SEEN_N] = n + 1


# ============================================================================ the flow table

@jit
def _new_flow(m, f, fid, kind, owner, key, slot, vm, gen, dest, proto, t):
    row = m[I_FREE]
    r = m[B_FLOWS] + row * NFL
    m[I_FREE] = m[r + FL_NEXT]
    m[I_LIVE] += 1
    m[r + FL_FID] = fid
    m[r + FL_KIND] = kind
    m[r + FL_OWNER] = owner
    m[r + FL_KEY] = key
    m[r + FL_SLOT] = slot
    m[r + FL_VM] = vm
    m[r + FL_GEN] = gen
    m[r + FL_DEST] = dest
    m[r + FL_PROTO] = proto
    m[r + FL_PAIR] = -1
    m[r + FL_CONN] = -1
    m[r + FL_NEXT] = -1
    m[r + FL_PREV] = -1
    m[r + FL_TIMER] = -1
    return row


@jit
def _free_flow(m, row):
    r = m[B_FLOWS] + row * NFL
    m[r + FL_FID] = -1
    m[r + FL_NEXT] = m[I_FREE]
    m[I_FREE] = row
    m[I_LIVE] -= 1


# ============================================================================ exclusive owners

@jit
def _pair_at(m, p):
    return m[B_PAIR] + m[m[B_PAIR_AT] + p]


@jit
def _pair_lowest_free(m, p):
    """C7: the lowest port index of the owner that no mapping of this destination key holds,
    or -1 when every index of the budget carries one (C8)."""
    pr = _pair_at(m, p)
    if m[pr + P_COUNT] >= m[m[B_OWNER] + m[pr + P_OWNER] * NO + O_BUDGET]:
        return -1
    i, nw = m[pr + P_HINT], m[pr + P_NWORDS]
    while i < nw and m[pr + P_WORDS + i] == WORD_FULL:
        i += 1
    m[pr + P_HINT] = i
    if i >= nw:
        return -1
    word = m[pr + P_WORDS + i]
    if word == WORD_LAST_FREE:
        return i * 64 + 63
    lowest = ~word & (word + 1)               # the lowest zero bit, alone (a power of two)
    return i * 64 + int(math.log2(float(lowest)))


@jit
def _excl_take(m, o, p, index):
    """A mapping of pair ``p`` on port index ``index`` of owner ``o``; returns the position
    of the index's public IP among the owner's frontends (M-B6)."""
    pr = _pair_at(m, p)
    m[pr + P_WORDS + (index >> 6)] |= _ONE << (index & 63)
    m[pr + P_COUNT] += 1
    ow = m[B_OWNER] + o * NO
    r = m[ow + O_BASE] + index
    c = m[m[B_SLOT_REFC] + r]
    m[m[B_SLOT_REFC] + r] = c + 1
    pip = m[ow + O_PIP]
    position = 0
    if pip < 0:                     # several frontends: which one holds this index
        position = m[m[B_SLOT_POS] + r]
        pip = m[m[B_OWNER_PIPS] + m[ow + O_PIPS] + position]
    if c == 0:                      # the port goes from free to used (C7, C12)
        m[ow + O_USED] += 1
        if m[ow + O_USED] > m[ow + O_PEAK]:
            m[ow + O_PEAK] = m[ow + O_USED]
        u = m[B_PIP_USED] + pip
        m[u] += 1
        if m[u] > m[m[B_PIP_PEAK] + pip]:
            m[m[B_PIP_PEAK] + pip] = m[u]
    return position


@jit
def _excl_release(m, o, p, index):
    pr = _pair_at(m, p)
    word = index >> 6
    m[pr + P_WORDS + word] &= ~(_ONE << (index & 63))
    m[pr + P_COUNT] -= 1
    if word < m[pr + P_HINT]:
        m[pr + P_HINT] = word
    ow = m[B_OWNER] + o * NO
    r = m[ow + O_BASE] + index
    c = m[m[B_SLOT_REFC] + r] - 1
    m[m[B_SLOT_REFC] + r] = c
    if c == 0:
        m[ow + O_USED] -= 1
        pip = m[ow + O_PIP]
        if pip < 0:
            pip = m[m[B_OWNER_PIPS] + m[ow + O_PIPS] + m[m[B_SLOT_POS] + r]]
        m[m[B_PIP_USED] + pip] -= 1


# ============================================================================ NAT gateway pools

@jit
def _with_key(m, pool, ip, key):
    """M-B8: how many mappings from this address go to the destination key (cap 50,000)."""
    n = m[B_NAT] + pool * NN
    return m[m[B_PER_DEST] + m[n + N_PD] + ip * m[n + N_STRIDE] + key]


@jit
def _nat_has(m, pool, port, key):
    """Whether port ``port`` (pool-local) carries a mapping (live or cooling down) to ``key``."""
    row = m[m[B_NAT_PORT] + (m[m[B_NAT] + pool * NN + N_BASE] + port) * NPT + PORT_HEAD]
    fl = m[B_FLOWS]
    while row >= 0:
        if m[fl + row * NFL + FL_KEY] == key:
            return True
        row = m[fl + row * NFL + FL_NEXT]
    return False


@jit
def _nat_choose(m, f, pool, key):
    """M-B8: a random port without any mapping first; else any port without a mapping to this
    key.  Returns (pool-local port, its index in the free list or -1, uniforms used); port -1
    = none (C8), -2 = the uniform buffer ran out (nothing was changed: refill and try
    again)."""
    n = m[B_NAT] + pool * NN
    nips = m[n + N_NIPS]
    q0 = m[B_NAT_IP] + pool * NAT_MAX_IPS * NQ
    upos, ulen, ub = m[I_UPOS], m[I_ULEN], m[G_UBUF]
    total = 0
    any_eligible = False
    for ip in range(nips):
        if _with_key(m, pool, ip, key) < NAT_MAX_PER_DESTINATION:
            any_eligible = True
            total += m[q0 + ip * NQ + Q_FREE_N]
    if not any_eligible:
        return -1, -1, 0
    if total > 0:
        if upos >= ulen:
            return -2, -1, 0
        i = int(f[ub + upos] * total)
        for ip in range(nips):
            if _with_key(m, pool, ip, key) >= NAT_MAX_PER_DESTINATION:
                continue
            free_n = m[q0 + ip * NQ + Q_FREE_N]
            if i < free_n:
                return m[m[B_NAT_FREE] + m[n + N_BASE] + ip * NAT_PORTS_PER_IP + i], i, 1
            i -= free_n
    used = 0
    for ip in range(nips):
        with_key = _with_key(m, pool, ip, key)
        if with_key >= NAT_MAX_PER_DESTINATION or m[q0 + ip * NQ + Q_USED] - with_key <= 0:
            continue
        base = ip * NAT_PORTS_PER_IP
        for _ in range(NAT_REUSE_TRIES):
            if upos + used >= ulen:
                return -2, -1, 0
            port = base + int(f[ub + upos + used] * NAT_PORTS_PER_IP)
            used += 1
            if not _nat_has(m, pool, port, key):
                return port, -1, used
        ports = m[B_NAT_PORT] + m[n + N_BASE] * NPT
        for port in range(base, base + NAT_PORTS_PER_IP):
            if m[ports + port * NPT + PORT_HEAD] >= 0 and not _nat_has(m, pool, port, key):
                return port, -1, used
    return -1, -1, used


@jit
def _prefetch_nat_choice(m, f, pool):
    """The free-list entry the pool's next choice will most likely draw (with the next
    uniform number and today's free counts; the per-destination cap is ignored - a wrong
    guess only wastes the fetch): a random entry of a list of 64,512 per address."""
    upos = m[I_UPOS]
    if upos >= m[I_ULEN]:
        return
    n = m[B_NAT] + pool * NN
    q0 = m[B_NAT_IP] + pool * NAT_MAX_IPS * NQ
    nips = m[n + N_NIPS]
    total = 0
    for ip in range(nips):
        total += m[q0 + ip * NQ + Q_FREE_N]
    i = int(f[m[G_UBUF] + upos] * total)
    for ip in range(nips):
        free_n = m[q0 + ip * NQ + Q_FREE_N]
        if i < free_n:
            prefetch(m, m[B_NAT_FREE] + m[n + N_BASE] + ip * NAT_PORTS_PER_IP + i)
            return
        i -= free_n


@jit
def _nat_take(m, pool, port, index, key, row):
    """Commit a choice of _nat_choose for flow ``row`` (``index``: the port's place in its
    address's free list, or -1 when it already carries mappings); returns the address."""
    n = m[B_NAT] + pool * NN
    ip = port // NAT_PORTS_PER_IP
    q = m[B_NAT_IP] + (pool * NAT_MAX_IPS + ip) * NQ
    g = m[n + N_BASE] + port
    if index >= 0:                                  # swap-remove from the address's free list
        lst = m[B_NAT_FREE] + m[n + N_BASE] + ip * NAT_PORTS_PER_IP
        last_i = m[q + Q_FREE_N] - 1
        m[lst + index] = m[lst + last_i]
        m[q + Q_FREE_N] = last_i
        m[q + Q_USED] += 1
        if m[q + Q_USED] > m[q + Q_PEAK]:
            m[q + Q_PEAK] = m[q + Q_USED]
        m[n + N_USED] += 1
        if m[n + N_USED] > m[n + N_PEAK]:
            m[n + N_PEAK] = m[n + N_USED]
    fl = m[B_FLOWS]
    head = m[m[B_NAT_PORT] + g * NPT + PORT_HEAD]   # the port's list of mappings
    m[fl + row * NFL + FL_NEXT] = head
    m[fl + row * NFL + FL_PREV] = -1
    if head >= 0:
        m[fl + head * NFL + FL_PREV] = row
    m[m[B_NAT_PORT] + g * NPT + PORT_HEAD] = row
    m[m[B_PER_DEST] + m[n + N_PD] + ip * m[n + N_STRIDE] + key] += 1
    return ip


@jit
def _nat_release(m, pool, port, key, row):
    n = m[B_NAT] + pool * NN
    ip = port // NAT_PORTS_PER_IP
    q = m[B_NAT_IP] + (pool * NAT_MAX_IPS + ip) * NQ
    g = m[n + N_BASE] + port
    fl = m[B_FLOWS]
    nxt = m[fl + row * NFL + FL_NEXT]
    prv = m[fl + row * NFL + FL_PREV]
    if prv >= 0:
        m[fl + prv * NFL + FL_NEXT] = nxt
    else:
        m[m[B_NAT_PORT] + g * NPT + PORT_HEAD] = nxt
    if nxt >= 0:
        m[fl + nxt * NFL + FL_PREV] = prv
    m[m[B_PER_DEST] + m[n + N_PD] + ip * m[n + N_STRIDE] + key] -= 1
    if m[m[B_NAT_PORT] + g * NPT + PORT_HEAD] < 0:   # no mapping left: the port is free
        m[q + Q_USED] -= 1
        m[n + N_USED] -= 1
        free_n = m[q + Q_FREE_N]
        m[m[B_NAT_FREE] + m[n + N_BASE] + ip * NAT_PORTS_PER_IP + free_n] = port
        m[q + Q_FREE_N] = free_n + 1


@jit
def _nat_would_get_port(m, pool, key):
    """Whether a new flow to ``key`` would get a port of this pool now (no randomness)."""
    q0 = m[B_NAT_IP] + pool * NAT_MAX_IPS * NQ
    for ip in range(m[m[B_NAT] + pool * NN + N_NIPS]):
        with_key = _with_key(m, pool, ip, key)
        if with_key >= NAT_MAX_PER_DESTINATION:
            continue
        if m[q0 + ip * NQ + Q_FREE_N] > 0 or m[q0 + ip * NQ + Q_USED] - with_key > 0:
            return True
    return False


# ============================================================================ exhaustion

@jit
def _forget_exhaustion(m, vp):
    v = m[B_VMP] + vp * NV
    if m[v + V_EX_KIND] == K_EXCL:
        p = _pair_at(m, m[v + V_EX_REF])
        if m[p + P_EX] == vp:
            m[p + P_EX] = -1
    elif m[v + V_EX_KIND] == K_NAT:
        n = m[I_NATEX_N]
        for i in range(n):
            if m[m[B_NAT_EX] + i] == vp:
                m[m[B_NAT_EX] + i] = m[m[B_NAT_EX] + n - 1]
                m[I_NATEX_N] = n - 1
                break
    m[v + V_EX_OPEN] = 0


@jit
def _exhausted(m, f, t, vm, proto, kind, ref, key, flat):
    """C8: a flow failed for want of a port; opens snat_exhausted (if not open) and remembers
    the failing destination key, so that the recovery is seen the moment it happens."""
    vp = vm * 2 + proto
    v = m[B_VMP] + vp * NV
    if m[v + V_EX_OPEN]:
        _forget_exhaustion(m, vp)
    elif not _continues_episode(m, f, v, t):
        _record_event(m, f, t, EV_EXHAUSTED, vm, proto, flat, 0)
    m[v + V_EX_OPEN] = 1
    m[v + V_EX_KIND] = kind
    m[v + V_EX_REF] = ref
    m[v + V_EX_KEY] = key
    m[v + V_EX_FLAT] = flat
    if kind == K_EXCL:
        m[_pair_at(m, ref) + P_EX] = vp
    else:
        m[m[B_NAT_EX] + m[I_NATEX_N]] = vp
        m[I_NATEX_N] += 1


@jit
def _recovered(m, f, t, vp):
    """snat_recovered: a new flow of this VM and protocol to the failing key gets a port."""
    _forget_exhaustion(m, vp)
    v = m[B_VMP] + vp * NV
    m[v + V_REC_AT] = m[I_EV_N]
    m[v + V_REC_BATCH] = m[I_EV_BATCH]
    _record_event(m, f, t, EV_RECOVERED, vp // 2, vp % 2, 0, 0)


@jit
def _continues_episode(m, f, v, t):
    """A failure within the episode gap of the VM's last raw recovery continues the episode:
    neither is logged (episodes.py).  Under sustained overload these pairs come by the
    hundred thousand a second - a port frees, the next flow takes it, the one after fails -
    so while the recovery's record is still in the buffer it is taken back here (or struck
    out, when records followed it) and the failure records nothing.  A recovery already
    handed to Python is settled there, the same way."""
    if m[v + V_REC_BATCH] != m[I_EV_BATCH]:
        return False
    at = m[v + V_REC_AT]
    if t - f[m[G_EV_T] + at] > f[F_EPISODE_GAP]:
        return False
    m[v + V_REC_BATCH] = 0
    if at == m[I_EV_N] - 1:
        m[I_EV_N] = at
    else:
        m[m[B_EV] + at * NR + R_KIND] = EV_STRUCK
    return True


# ============================================================================ releases

@jit
def _release_flow(m, f, row, t):
    """Release the SNAT mapping of flow ``row`` and remove the flow (C9, M-B9); a release that
    gives the failing key of an open exhaustion a port again closes it (snat_recovered)."""
    r = m[B_FLOWS] + row * NFL
    kind = m[r + FL_KIND]
    if kind == K_EXCL:
        p = m[r + FL_PAIR]
        _excl_release(m, m[r + FL_OWNER], p, m[r + FL_SLOT])
        m[I_RELEASED] += 1
        vp = m[_pair_at(m, p) + P_EX]
        if vp >= 0:
            _recovered(m, f, t, vp)
    elif kind == K_NAT:
        pool = m[r + FL_OWNER]
        _nat_release(m, pool, m[r + FL_SLOT], m[r + FL_KEY], row)
        m[m[B_VMP] + (m[r + FL_VM] * 2 + m[r + FL_PROTO]) * NV + V_NAT_USED] -= 1
        m[I_RELEASED] += 1
        i = 0
        while i < m[I_NATEX_N]:                      # open exhaustions on this pool
            vp = m[m[B_NAT_EX] + i]
            v = m[B_VMP] + vp * NV
            if m[v + V_EX_REF] == pool and _nat_would_get_port(m, pool, m[v + V_EX_KEY]):
                _recovered(m, f, t, vp)              # the last entry moved into i
            else:
                i += 1
    _free_flow(m, row)


@jit
def _conn_remove(m, c, row):
    """Take a connection out of its pool's list (order kept: round robin)."""
    cp = m[B_CONN_POOL] + c * NC
    base = m[B_CONNS] + m[cp + C_BASE]
    n = m[cp + C_N]
    j = 0
    while j < n and m[base + j] != row:
        j += 1
    if j == n:
        return
    for i in range(j, n - 1):
        m[base + i] = m[base + i + 1]
    m[cp + C_N] = n - 1


@jit
def end_flows(m, f, rows, t, count_ended):
    """Python's edits: end these flows now (their mapping is released at once)."""
    fl = m[B_FLOWS]
    for row in rows:
        r = fl + row * NFL
        if m[r + FL_FID] < 0:
            continue
        vm = m[r + FL_VM]
        if m[r + FL_CONN] >= 0:
            _conn_remove(m, m[r + FL_CONN], row)
        _release_flow(m, f, row, t)
        if count_ended:
            m[m[B_VM_EXTRA] + vm * 3 + X_ENDED] += 1


@jit
def push_timers(m, f, times, rows):
    """Python's release timers for flows (a generator stop closing its pooled connections)."""
    for i in range(len(times)):
        _heap_push(m, f, times[i], PRIO_TIMER, _next_seq(m), REL, rows[i])


# ============================================================================ timers

@jit
def _idle_check(m, f, row, t):
    """Idle timeout of a pooled connection (C9, M-A8, M-B11): silent drop, or RST to both ends
    with enable_tcp_reset; either way the pool opens a new connection next time."""
    r = m[B_FLOWS] + row * NFL
    q = m[G_FLOWS_F] + row * NFF
    due = f[q + FF_LAST] + f[q + FF_IDLE]
    if due > t + 1e-9:
        _heap_push(m, f, due, PRIO_TIMER, _next_seq(m), IDLE, row)
        return
    vm, proto = m[r + FL_VM], m[r + FL_PROTO]
    if m[r + FL_CONN] >= 0:
        _conn_remove(m, m[r + FL_CONN], row)
    _release_flow(m, f, row, t)
    extra = m[B_VM_EXTRA] + vm * 3
    m[extra + X_IDLE_TIMEOUTS] += 1
    if proto == 0 and m[m[B_VMP] + vm * 2 * NV + V_TCP_RESET]:
        m[extra + X_IDLE_RESETS] += 1


@jit
def _timer(m, f, t):
    """The kernel's next timer (the caller checked it is due)."""
    h = m[B_HEAP]
    seq, item = m[h + H_KEY] & SEQ_MASK, m[h + H_ITEM]
    _heap_pop(m, f)
    if m[I_HEAP_N] > 0:                         # the next timer's flow row (two lines)
        ahead = m[B_FLOWS] + (m[h + H_ITEM] >> 2) * NFL
        prefetch(m, ahead)
        prefetch(m, ahead + NFL - 1)
    row, code = item >> 2, item & 3
    r = m[B_FLOWS] + row * NFL
    if m[r + FL_FID] < 0 or m[r + FL_TIMER] != seq:
        return                                  # stale: the flow ended, or has a newer timer
    if code == REL:
        vm, gen, proto, dest = m[r + FL_VM], m[r + FL_GEN], m[r + FL_PROTO], m[r + FL_DEST]
        _release_flow(m, f, row, t)
        if m[I_SAMPLING]:
            _sample(m, f, t, SM_END, vm, gen, proto, dest, 0)
    elif code == IDLE:
        _idle_check(m, f, row, t)
    else:                                       # INB_END: an inbound flow ends
        _free_flow(m, row)


# ============================================================================ arrivals

@jit
def _succeed(m, flat, gen, vm):
    m[m[B_VM_CNT] + vm * 5 + OK] += 1
    m[m[B_GEN_CNT] + gen * 5 + OK] += 1
    m[m[B_DEST_FLOWS] + m[m[B_FLAT] + flat * NT + T_DEST]] += 1


@jit
def _count(m, gen, vm, slot):
    m[m[B_VM_CNT] + vm * 5 + slot] += 1
    m[m[B_GEN_CNT] + gen * 5 + slot] += 1


@jit
def _arrival(m, f, t, s, u, hold):
    """One new outbound flow (C2, C7, C8).  Returns False when it needs more uniform numbers
    first (nothing has changed then)."""
    st = m[B_STREAMS] + s * NS
    kind, gen, vm, proto, o = m[st + S_KIND], m[st + S_GEN], m[st + S_VM], m[st + S_PROTO], \
        m[st + S_OWNER]
    flat = m[st + S_FLAT] + int(u * m[st + S_NDEST])
    ft = m[B_FLAT] + flat * NT
    code, key = m[ft + T_CODE], m[ft + T_KEY]
    pooled = m[st + S_POOL] > 0 and code == 0 and kind != K_ILPIP and kind != K_NONE
    reuse = -1
    if pooled:                                       # a pool of N long-lived connections
        cp = m[B_CONN_POOL] + m[ft + T_CONN] * NC
        if m[cp + C_N] >= m[st + S_POOL]:
            reuse = m[m[B_CONNS] + m[cp + C_BASE] + m[cp + C_RR] % m[cp + C_N]]
    port, index = -1, -1
    if code == 0 and kind == K_NAT and reuse < 0:
        port, index, used = _nat_choose(m, f, o, key)
        if port == -2:
            return False
        m[I_UPOS] += used
    _count(m, gen, vm, ATT)
    sampling = m[I_SAMPLING]
    if code < 0:                                     # C2: an NSG denies it
        _count(m, gen, vm, FNSG)
        d = m[B_VM_DENIED] + vm * ND + D_NSG_OUT
        if not m[d]:
            m[d] = 1
            _record_event(m, f, t, EV_NSG_OUT, vm, proto, flat, 0)
        if sampling:
            _sample(m, f, t, SM_DENIED, vm, gen, proto, flat, 0)
        return True
    if code == 1 or kind == K_ILPIP:                 # VNet/platform destination, or C10
        _succeed(m, flat, gen, vm)
        _seen(m, flat, 0)
        if sampling:
            _sample(m, f, t, SM_START, vm, gen, proto, flat, 0)
        return True
    if kind == K_NONE:
        _count(m, gen, vm, FROUTE)
        d = m[B_VM_DENIED] + vm * ND + D_NOROUTE + proto
        if not m[d]:
            m[d] = 1
            _record_event(m, f, t, EV_NOROUTE, vm, proto, flat, 0)
        if sampling:
            _sample(m, f, t, SM_NOROUTE, vm, gen, proto, flat, 0)
        return True
    if reuse >= 0:                                   # a pooled connection carries it
        m[m[B_CONN_POOL] + m[ft + T_CONN] * NC + C_RR] += 1
        q = m[G_FLOWS_F] + reuse * NFF + FF_LAST
        if t + hold > f[q]:
            f[q] = t + hold
        _succeed(m, flat, gen, vm)
        return True
    if kind == K_EXCL:
        port = _pair_lowest_free(m, m[ft + T_PAIR])
    if port < 0:                                     # C8: dropped silently, counted
        _count(m, gen, vm, FSNAT)
        _exhausted(m, f, t, vm, proto, kind, m[ft + T_PAIR] if kind == K_EXCL else o, key,
                   flat)
        if sampling:
            _sample(m, f, t, SM_SNATFAIL, vm, gen, proto, flat, 0)
        return True
    fid = _next_seq(m)
    row = _new_flow(m, f, fid, kind, o, key, port, vm, gen, m[ft + T_DEST], proto, t)
    if kind == K_EXCL:
        m[m[B_FLOWS] + row * NFL + FL_PAIR] = m[ft + T_PAIR]
        _seen(m, flat, _excl_take(m, o, m[ft + T_PAIR], port))
    else:
        _seen(m, flat, _nat_take(m, o, port, index, key, row))
        _prefetch_nat_choice(m, f, o)
        v = m[B_VMP] + (vm * 2 + proto) * NV
        m[v + V_NAT_USED] += 1
        if m[v + V_NAT_USED] > m[v + V_NAT_PEAK]:
            m[v + V_NAT_PEAK] = m[v + V_NAT_USED]
    m[I_ALLOCATED] += 1
    _succeed(m, flat, gen, vm)
    if pooled:
        cp = m[B_CONN_POOL] + m[ft + T_CONN] * NC
        m[m[B_CONNS] + m[cp + C_BASE] + m[cp + C_N]] = row
        m[cp + C_N] += 1
        m[m[B_FLOWS] + row * NFL + FL_CONN] = m[ft + T_CONN]
        q = m[G_FLOWS_F] + row * NFF
        f[q + FF_LAST] = t + hold
        idle = f[m[G_STREAMS_F] + s * NSF + SF_IDLE]
        f[q + FF_IDLE] = idle
        if idle != INF:
            _heap_push(m, f, t + hold + idle, PRIO_TIMER, _next_seq(m), IDLE, row)
    else:
        rel = f[m[G_STREAMS_F] + s * NSF + SF_REL]
        if rel != INF:
            _heap_push(m, f, t + hold + rel, PRIO_TIMER, fid, REL, row)
    if sampling:
        _sample(m, f, t, SM_START, vm, gen, proto, flat, 0)
    return True


@jit
def _inbound(m, f, t, s, u, hold):
    """An Internet client calls a frontend: a healthy backend, then the NSGs inbound (C3,
    M-B1); the flow takes no SNAT port."""
    st = m[B_STREAMS] + s * NS
    gen, proto = m[st + S_GEN], m[st + S_PROTO]
    m[m[B_GEN_CNT] + gen * 5 + ATT] += 1
    x = u * m[st + S_NDEST]
    di = int(x)
    flat = m[st + S_FLAT] + di
    ft = m[B_FLAT] + flat * NT
    lbi = m[ft + T_LB]
    sampling = m[I_SAMPLING]
    if lbi < 0:
        m[m[B_GEN_CNT] + gen * 5 + FROUTE] += 1
        if sampling:
            _sample(m, f, t, SM_IN_NOLB, -1, gen, proto, flat, 0)
        return
    lb = m[B_LB] + lbi * NL
    n, members = m[lb + L_NELIG], m[B_LB_ELIG] + m[lb + L_ELIG]
    if n == 0 and m[lb + L_ALLUP]:                   # M-B12 AllProbedUp: spray to every one
        n, members = m[lb + L_NRUN], m[B_LB_RUN] + m[lb + L_RUN]
    if n == 0:
        m[m[B_GEN_CNT] + gen * 5 + FROUTE] += 1
        if sampling:
            _sample(m, f, t, SM_IN_NOELIG, -1, gen, proto, flat, 0)
        return
    member = m[members + min(int((x - di) * n), n - 1)]
    vm = m[m[B_LB_MEMBER_VM] + m[lb + L_MEM] + member]
    if m[m[B_IN_VERDICT] + m[ft + T_VBASE] + member]:
        m[m[B_GEN_CNT] + gen * 5 + FNSG] += 1
        m[m[B_VM_IN] + vm * 2 + 1] += 1
        d = m[B_VM_DENIED] + vm * ND + D_NSG_IN
        if not m[d]:
            m[d] = 1
            _record_event(m, f, t, EV_NSG_IN, vm, proto, flat, member)
        if sampling:
            _sample(m, f, t, SM_IN_DENIED, vm, gen, proto, flat, member)
        return
    m[m[B_GEN_CNT] + gen * 5 + OK] += 1
    m[m[B_VM_IN] + vm * 2] += 1
    m[m[B_DEST_FLOWS] + m[ft + T_DEST]] += 1
    _seen(m, flat, 0)
    fid = _next_seq(m)
    row = _new_flow(m, f, fid, K_IN, lbi, 0, 0, vm, gen, m[ft + T_DEST], proto, t)
    _heap_push(m, f, t + hold, PRIO_TIMER, _next_seq(m), INB_END, row)
    if sampling:
        _sample(m, f, t, SM_IN_START, vm, gen, proto, flat, member)


# ============================================================================ the loop

@jit
def _stream_of(m, f, r):
    """The stream of the segment an arrival belongs to: the first whose cumulative share of
    the rate exceeds ``r`` (as numpy's searchsorted, side right)."""
    cum = m[G_SEG_CUM]
    n = m[I_NSEG]
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) >> 1
        if f[cum + mid] <= r:
            lo = mid + 1
        else:
            hi = mid
    return min(lo, n - 1)


@jit
def _destination_row(m, f, ai):
    """Where the destination row of arrival ``ai`` starts in ``m``."""
    s = m[m[B_SEG_STREAM] + _stream_of(m, f, f[m[G_ARR_R] + ai])]
    st = m[B_STREAMS] + s * NS
    return m[B_FLAT] + (m[st + S_FLAT] + int(f[m[G_ARR_U] + ai] * m[st + S_NDEST])) * NT


@jit
def _prefetch_arrivals(m, f, ai):
    """What later arrivals read first, fetched into the cache while this one is processed:
    the destination row of the arrival ``ARRIVALS_AHEAD`` ahead (a random row of a table of a
    megabyte or more), and the (owner, key) pair record of the one half as far ahead, read
    from its row fetched that many arrivals ago.  The region ``ahead`` remembers (arrival,
    row) pairs for that second step; a prefetch of a wrong line only wastes it."""
    ahead = m[B_AHEAD]
    n = m[I_NARR]
    later = ai + ARRIVALS_AHEAD
    if later < n:
        row = _destination_row(m, f, later)
        prefetch(m, row)
        slot = 2 * (later % ARRIVALS_AHEAD)
        m[ahead + slot] = later
        m[ahead + slot + 1] = row
    sooner = ai + ARRIVALS_AHEAD // 2
    slot = 2 * (sooner % ARRIVALS_AHEAD)
    if sooner < n and m[ahead + slot] == sooner:
        p = m[m[ahead + slot + 1] + T_PAIR]
        if p >= 0:
            record = _pair_at(m, p)
            prefetch(m, record)
            prefetch(m, record + P_WORDS + 1)      # the record may straddle two lines


@jit
def advance(m, f, until, max_events, py_t, py_prio, py_seq):
    """Process events up to ``until`` (inclusive) until Python must act.  ``py_*`` is the
    earliest of Python's own timers (probes, samples, generator stops).  Returns (code, number
    of events processed)."""
    py_key = (py_prio << SEQ_BITS) | py_seq
    count = 0
    while True:
        if count >= max_events:
            return MAX_EVENTS, count
        if m[I_EV_N] >= m[N_EV] - 8 or m[I_SEEN_N] >= m[N_SEEN] - 8 or \
                m[I_SM_N] >= m[N_SM] - 4:
            return FLUSH, count
        if m[I_FREE] < 0 or m[I_HEAP_N] >= m[N_HEAP] - 4 or m[I_NATEX_N] >= m[N_NAT_EX] - 2:
            return GROW, count
        ai = m[I_AI]
        if ai < m[I_NARR]:
            t_arr = f[m[G_ARR_T] + ai]
        elif m[I_ARR_DONE]:
            t_arr = INF
        else:
            return NEED_ARRIVALS, count
        # the earliest timer: the kernel's own, or Python's
        kernel_first = False
        t, prio = py_t, py_prio
        if m[I_HEAP_N] > 0:
            kt, key = f[m[G_HEAP_T]], m[m[B_HEAP] + H_KEY]
            kernel_first = kt < py_t or (kt == py_t and key < py_key)
            if kernel_first:
                t, prio = kt, key >> SEQ_BITS
        timer_first = t < t_arr or (t == t_arr and prio < PRIO_ARRIVAL)
        if not timer_first:
            t = t_arr
        if t > until or t == INF:
            return DONE, count
        if timer_first:
            if not kernel_first:
                return PY_EVENT, count
            _timer(m, f, t)
        else:
            _prefetch_arrivals(m, f, ai)
            k = _stream_of(m, f, f[m[G_ARR_R] + ai])
            s = m[m[B_SEG_STREAM] + k]
            hold = f[m[G_SEG_MEAN] + k]
            if m[m[B_SEG_EXP] + k]:
                hold = f[m[G_ARR_E] + ai] * hold
            u = f[m[G_ARR_U] + ai]
            if m[m[B_STREAMS] + s * NS + S_KIND] == K_IN:
                _inbound(m, f, t, s, u, hold)
            elif not _arrival(m, f, t, s, u, hold):
                return NEED_UNIFORMS, count
            m[I_AI] = ai + 1
        f[F_NOW] = t
        count += 1
