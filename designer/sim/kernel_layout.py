"""The layout of the kernel's state: result and event codes, the scalars, the regions of the
flat arrays ``m`` and ``f`` and the columns of their tables (see ``kernel.py``).

Compiled functions freeze these values into their machine code; the kernel's on-disk cache is
keyed on this file as well as on ``kernel.py`` (``jit.py``), so an edit here recompiles.
"""
from __future__ import annotations

import math

INF = math.inf

# ---------------------------------------------------------------------------- codes
#: what advance() returns (with the number of events it processed)
DONE, MAX_EVENTS, PY_EVENT, NEED_ARRIVALS, NEED_UNIFORMS, GROW, FLUSH = range(7)
#: timer codes of the kernel's heap, and priorities of every event kind
REL, IDLE, INB_END = range(3)
PRIO_TIMER, PRIO_STOP, PRIO_PROBE, PRIO_ARRIVAL, PRIO_SAMPLE = range(5)
#: route kinds
K_NONE, K_ILPIP, K_EXCL, K_NAT, K_IN = range(5)
#: counters: attempted, succeeded, failed for want of a port, denied by an NSG, no route
ATT, OK, FSNAT, FNSG, FROUTE = range(5)
#: per-VM extras: flows ended by an edit, idle timeouts and resets of pooled connections
X_ENDED, X_IDLE_TIMEOUTS, X_IDLE_RESETS = range(3)
#: event records for Python (records.py turns them into the report's dicts)
EV_EXHAUSTED, EV_RECOVERED, EV_NSG_OUT, EV_NSG_IN, EV_NOROUTE = range(5)
#: a raw recovery struck out by the failure that continued its episode (not for Python)
EV_STRUCK = -1
#: per VM, the first-of-a-run events already raised: an NSG denial outbound and inbound, a
#: flow without a route per protocol (D_NOROUTE + protocol)
D_NSG_OUT, D_NSG_IN, D_NOROUTE, ND = 0, 1, 2, 4
#: flow sample records (the animation): starts/ends, then failures
SM_START, SM_END, SM_IN_START, SM_DENIED, SM_NOROUTE, SM_SNATFAIL, SM_IN_NOLB, SM_IN_NOELIG, \
    SM_IN_DENIED = range(9)
FIRST_FAIL_SAMPLE = SM_DENIED

# ---------------------------------------------------------------------------- scalars
(I_SEQ, I_AI, I_NARR, I_ARR_DONE, I_UPOS, I_ULEN, I_ALLOCATED, I_RELEASED, I_FREE, I_LIVE,
 I_HEAP_N, I_EV_N, I_SM_N, I_SM_STARTS, I_SM_FAILS, I_SM_DROPPED, I_SM_CAP, I_SAMPLING,
 I_SEEN_N, I_NATEX_N, I_NSEG, I_EV_BATCH, NI) = range(23)
# (I_EV_BATCH: which batch of event records the buffer holds - Python counts them up as it
# takes them; F_EPISODE_GAP: the scenario's snat_episode_gap_s, see _continues_episode)
F_NOW, F_EPISODE_GAP, NF = range(3)

# ---------------------------------------------------------------------------- regions
#: tables in ``m`` and in ``f``, in header order (``state.py`` uses the names)
INT_REGIONS = ("flows", "heap", "streams", "flat", "vm_cnt", "vm_in",
               "vm_extra", "vm_denied", "vmp", "gen_cnt", "dest_flows", "owner", "owner_pips",
               "slot_refc", "slot_pos", "pip_used", "pip_peak", "pair", "nat", "nat_ip",
               "nat_free", "nat_port", "per_dest", "nat_ex", "lb", "lb_elig",
               "lb_run", "lb_member_vm", "in_verdict", "pair_at", "conn_pool", "conns", "seg_stream",
               "seg_exp", "ev", "sm", "seen", "ahead")
#: (per arrival: its time, the uniform that picks its stream, the uniform that picks its
#: destination, a standard exponential for its hold; per stream of the segment: cumulative
#: share of the rate, mean hold, exponential or fixed)
FLOAT_REGIONS = ("flows_f", "heap_t", "streams_f", "arr_t", "arr_r", "arr_u", "arr_e",
                 "seg_cum", "seg_mean", "ubuf", "ev_t", "sm_t")
NRI, NRF = len(INT_REGIONS), len(FLOAT_REGIONS)
# where each region starts (B_*: the header slot holding its offset)
(B_FLOWS, B_HEAP, B_STREAMS, B_FLAT, B_VM_CNT, B_VM_IN, B_VM_EXTRA, B_VM_DENIED,
 B_VMP, B_GEN_CNT, B_DEST_FLOWS, B_OWNER, B_OWNER_PIPS, B_SLOT_REFC, B_SLOT_POS, B_PIP_USED,
 B_PIP_PEAK, B_PAIR, B_NAT, B_NAT_IP, B_NAT_FREE, B_NAT_PORT, B_PER_DEST, B_NAT_EX,
 B_LB, B_LB_ELIG, B_LB_RUN, B_LB_MEMBER_VM, B_IN_VERDICT, B_PAIR_AT, B_CONN_POOL, B_CONNS, B_SEG_STREAM,
 B_SEG_EXP, B_EV, B_SM, B_SEEN, B_AHEAD) = range(NI, NI + NRI)
# the number of rows of the regions whose capacity the kernel checks
N_HEAP = NI + NRI + INT_REGIONS.index("heap")
N_NAT_EX = NI + NRI + INT_REGIONS.index("nat_ex")
N_EV = NI + NRI + INT_REGIONS.index("ev")
N_SM = NI + NRI + INT_REGIONS.index("sm")
N_SEEN = NI + NRI + INT_REGIONS.index("seen")
(G_FLOWS_F, G_HEAP_T, G_STREAMS_F, G_ARR_T, G_ARR_R, G_ARR_U, G_ARR_E, G_SEG_CUM, G_SEG_MEAN,
 G_UBUF, G_EV_T, G_SM_T) = range(NI + 2 * NRI, NI + 2 * NRI + NRF)
HEADER = NI + 2 * NRI + 2 * NRF

# ---------------------------------------------------------------------------- columns
# flows (one row per live flow; a free row has FID -1 and NEXT = the next free row)
(FL_FID, FL_KIND, FL_OWNER, FL_KEY, FL_SLOT, FL_VM, FL_GEN, FL_DEST, FL_PROTO, FL_PAIR,
 FL_CONN, FL_NEXT, FL_PREV, FL_TIMER, _FL_PAD, NFL) = range(16)   # two cache lines
# a pooled connection's last packet and idle timeout (written for pooled connections only: a
# row of its own for every flow would cost a cache miss per flow)
FF_LAST, FF_IDLE, NFF = range(3)
# the timer heap (its times in heap_t): (priority, sequence) and (flow row, code), packed; a
# flow's row holds the sequence of its pending timer (FL_TIMER), so a timer whose flow ended or
# got a newer timer is recognised as stale
H_KEY, H_ITEM, NH = range(3)
SEQ_BITS = 58
SEQ_MASK = (1 << SEQ_BITS) - 1
# streams (one per generator and source VM, or per inbound generator) and their destinations
S_KIND, S_GEN, S_VM, S_PROTO, S_OWNER, S_FLAT, S_NDEST, S_POOL, NS = range(9)
SF_REL, SF_IDLE, NSF = range(3)               # release delay after the hold, pooled idle
# (T_SEEN: the addresses of the path this destination has seen, one bit each, C11)
T_CODE, T_KEY, T_DEST, T_PAIR, T_CONN, T_LB, T_VBASE, T_SEEN, NT = range(9)   # a cache line
# per VM and protocol (row = vm * 2 + protocol)
# (V_REC_AT / V_REC_BATCH: where the last raw recovery's record is in the event buffer, and
# in which batch of it)
(V_NAT_USED, V_NAT_PEAK, V_TCP_RESET, V_EX_OPEN, V_EX_KIND, V_EX_REF, V_EX_KEY, V_EX_FLAT,
 V_REC_AT, V_REC_BATCH, NV) = range(11)
# exclusive SNAT owners (a VM's budget on a path, per protocol) and their (owner, key) pairs
O_BUDGET, O_USED, O_PEAK, O_PIP, O_BASE, O_PIPS, _O_PAD, NO = range(8)
# a pair's record in ``pair`` (at the offset ``pair_at`` gives): its header, then one bit per
# port index of the owner's budget (set: used by this key; the bits beyond the budget set too)
P_OWNER, P_KEY, P_NWORDS, P_HINT, P_COUNT, P_EX, P_WORDS = range(7)
WORD_FULL = -1                       # every bit set
WORD_LAST_FREE = (1 << 63) - 1       # only bit 63 clear
# NAT gateway pools (per gateway and protocol) and their public IPs (row = pool * 16 + ip)
N_NIPS, N_BASE, N_PD, N_STRIDE, N_USED, N_PEAK, NN = range(7)
Q_FREE_N, Q_USED, Q_PEAK, NQ = range(4)
# per port (pool base + pool-local port): the first of its mappings (flows, linked through
# FL_NEXT / FL_PREV), -1 = none.  (A free port is taken by its index in the free list, which
# the choice has just drawn, so no port needs to know its place in that list.)
PORT_HEAD, NPT = range(2)
NAT_MAX_IPS = 16
NAT_PORTS_PER_IP = 64_512
NAT_MAX_PER_DESTINATION = 50_000
NAT_REUSE_TRIES = 64
#: how many arrivals ahead the kernel fetches a destination row into the cache
ARRIVALS_AHEAD = 8
# load balancers (inbound): eligible backends, running backends, members
L_ELIG, L_NELIG, L_RUN, L_NRUN, L_ALLUP, L_MEM, NL = range(7)
# connection pools of pooled generators (per generator, VM and destination)
C_BASE, C_CAP, C_N, C_RR, NC = range(5)
# records for Python
# records for Python (events and flow samples alike): what, the VM, the generator, the
# protocol, and two arguments (a destination row, a pool member...)
R_KIND, R_VM, R_GEN, R_PROTO, R_A, R_B, NR = range(7)
COLUMNS = {"flows": NFL, "heap": NH, "streams": NS, "flat": NT, "vm_cnt": 5, "vm_in": 2,
           "vm_extra": 3, "vm_denied": ND, "vmp": NV, "gen_cnt": 5, "owner": NO,
           "nat": NN, "nat_ip": NQ, "nat_port": NPT, "lb": NL, "conn_pool": NC, "ev": NR, "sm": NR, "seen": 2,
           "flows_f": NFF, "streams_f": NSF}

