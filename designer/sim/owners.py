"""Exclusive SNAT owners: a VM's port budget on a path, per protocol (C7, M-A5, M-B4-M-B6),
the public IPs' port inventories they draw from, and the (owner, destination key) pairs whose
bitmaps tell the kernel which port indices a key already uses.

An owner is identified by (path owner, VM, protocol); its slots are port indices 0..budget-1,
each a (public IP, port) drawn from its frontends in order (M-B6).  Budgets follow the pool
size when a snapshot changes it (M-A9: growth into a higher tier revokes slots at random,
shrinking grants more); an allocation the frontends cannot fill gets what is left, or nothing
with ``outbound_scale_out: zero_ports`` (M-B5).
"""
from __future__ import annotations

import bisect
from typing import Callable

import numpy as np

from . import kernel as K
from . import ports as P
from .paths import ProtocolPath
from .state import KernelState, grown


class PipPorts:
    """The free ports of one public IP and protocol: every offset from ``fresh`` up to
    ``capacity``, plus the ones given back (kept sorted; all below ``fresh``, since a port is
    given back only after it was granted).  Lowest first."""

    __slots__ = ("fresh", "returned", "capacity")

    def __init__(self, capacity: int):
        self.fresh = 0
        self.returned: list[int] = []
        self.capacity = capacity

    def available(self) -> int:
        below = bisect.bisect_left(self.returned, self.capacity)
        return below + max(self.capacity - self.fresh, 0)

    def take_lowest(self, n: int) -> np.ndarray:
        """Up to ``n`` of the lowest free port numbers (a smaller capacity only stops new
        grants; ports already granted stay)."""
        usable = bisect.bisect_left(self.returned, self.capacity)
        old = self.returned[:min(n, usable)]
        del self.returned[:len(old)]
        fresh = max(min(n - len(old), self.capacity - self.fresh), 0)
        out = np.concatenate((np.array(old, np.int64),
                              np.arange(self.fresh, self.fresh + fresh, dtype=np.int64)))
        self.fresh += fresh
        return out + P.FIRST_SNAT_PORT

    def give_back(self, ports) -> None:
        for port in ports:
            bisect.insort(self.returned, int(port) - P.FIRST_SNAT_PORT)


class SnatOwners:
    """Owners, public IPs and (owner, key) pairs, with their rows in the kernel's arrays."""

    def __init__(self, state: KernelState, rng: np.random.Generator,
                 event: Callable[..., None], end_flows: Callable[[np.ndarray], None],
                 vm_ids: list[str]):
        self.state = state
        self.vm_ids = vm_ids
        self.rng = rng
        self.event = event
        self.end_flows = end_flows
        # owners: sig -> index; per owner its VM, protocol, frontends and slots
        self.index: dict[tuple, int] = {}
        self.sig: list[tuple] = []
        self.vm: list[int] = []
        self.proto: list[str] = []
        self.pips: list[list[int]] = []
        self.slot_pip: list[np.ndarray] = []       # per slot: which public IP (engine index)
        self.slot_port: list[np.ndarray] = []      # per slot: the port number
        self.of_vm: dict[tuple[int, str], list[int]] = {}
        self.vp_row: list[int] = []                 # per owner: vm * 2 + protocol
        # public IPs per protocol ("<id>|tcp"), including Azure's default SNAT addresses
        self.pip_index: dict[str, int] = {}
        self.pip_keys: list[tuple[str, str]] = []
        self.pip_addr: list[str] = []
        self.pip_ports: list[PipPorts] = []
        self.pip_alloc: list[int] = []
        # (owner, key) pairs
        self.pair_index: dict[tuple[int, int], int] = {}
        self.pair_owner: list[int] = []
        self.pair_key: list[int] = []
        self._layout_dirty = False
        self._laid: list[int] = []                  # slots per owner in the current layout
        self._pending_refc: dict[int, np.ndarray] = {}

    # ------------------------------------------------------------------ registries
    def owner(self, path: ProtocolPath, vm_i: int, proto: str) -> int:
        sig = (path.owner, vm_i, proto)
        o = self.index.get(sig)
        if o is None:
            o = self.index[sig] = len(self.sig)
            self.sig.append(sig)
            self.vm.append(vm_i)
            self.proto.append(proto)
            self.pips.append([])
            self.slot_pip.append(np.zeros(0, np.int64))
            self.slot_port.append(np.zeros(0, np.int64))
            self.of_vm.setdefault((vm_i, proto), []).append(o)
            self.vp_row.append(2 * vm_i + (proto == "udp"))
            st = self.state
            st.owner = grown(st.owner, o + 1)
            st.owner[o] = 0
            st.owner[o, K.O_PIP] = -1
            self._layout_dirty = True
        return o

    def pip(self, pip_id: str, protocol: str, address: str, capacity: int) -> int:
        key = f"{pip_id}|{protocol}"
        i = self.pip_index.get(key)
        if i is None:
            i = self.pip_index[key] = len(self.pip_keys)
            self.pip_keys.append((pip_id, protocol))
            self.pip_addr.append(address)
            self.pip_ports.append(PipPorts(capacity))
            self.pip_alloc.append(0)
            st = self.state
            st.pip_used = grown(st.pip_used, i + 1)
            st.pip_peak = grown(st.pip_peak, i + 1)
        else:
            self.pip_addr[i] = address
            self.pip_ports[i].capacity = capacity
        return i

    def pair(self, o: int, key: int) -> int:
        """The (owner, destination key) pair's index (its record is laid out by
        :meth:`layout`)."""
        p = self.pair_index.get((o, key))
        if p is None:
            p = self.pair_index[(o, key)] = len(self.pair_index)
            self.pair_owner.append(o)
            self.pair_key.append(key)
            self._layout_dirty = True
        return p

    def pair_field(self, p: int, column: int) -> int:
        st = self.state
        return int(st.pair[st.pair_at[p] + column]) if p < len(st.pair_at) else \
            (-1 if column == K.P_EX else 0)

    def set_pair_field(self, p: int, column: int, value: int) -> None:
        st = self.state
        st.pair[st.pair_at[p] + column] = value

    def budget(self, o: int) -> int:
        return int(self.state.owner[o, K.O_BUDGET])

    # ------------------------------------------------------------------ budgets
    def set_budget(self, o: int, budget: int, path: ProtocolPath, now: float,
                   zero_ports: bool) -> None:
        """Grant or revoke slots so that owner ``o`` holds ``budget`` of them."""
        proto = self.proto[o]
        self.pips[o] = [self.pip(pid, proto, addr, cap) for pid, addr, cap in
                        zip(path.public_ip_ids, path.public_ips, path.capacities)]
        old = len(self.slot_port[o])
        if budget < old:
            self._revoke(o, budget, now)
        elif budget > old:
            self._grant(o, budget, now, zero_ports)
        pipset = set(self.slot_pip[o].tolist())
        self.state.owner[o, K.O_PIP] = next(iter(pipset)) if len(pipset) == 1 else -1

    def _grant(self, o: int, budget: int, now: float, zero_ports: bool) -> None:
        """M-B6: frontend #1 first, then #2...; what the frontends cannot fill is short (M-B5:
        the excess instance gets what is left, or nothing with zero_ports)."""
        old = len(self.slot_port[o])
        need = budget - old
        if zero_ports and sum(self.pip_ports[p].available() for p in self.pips[o]) < need:
            need_taken = 0
        else:
            need_taken = need
        new_pips, new_ports = [], []
        for p in self.pips[o]:
            if need_taken <= 0:
                break
            take = self.pip_ports[p].take_lowest(need_taken)
            new_pips.append(np.full(len(take), p, np.int64))
            new_ports.append(take)
            self.pip_alloc[p] += len(take)
            need_taken -= len(take)
        if new_ports:
            self.slot_pip[o] = np.concatenate([self.slot_pip[o]] + new_pips)
            self.slot_port[o] = np.concatenate([self.slot_port[o]] + new_ports)
            self._layout_dirty = True
        granted = len(self.slot_port[o])
        self.state.owner[o, K.O_BUDGET] = granted
        if granted < budget:
            self.event(now, "ports_short", vm=self.vm_id(o), protocol=self.proto[o],
                       wanted=budget, granted=granted)

    def _revoke(self, o: int, budget: int, now: float) -> None:
        """M-A9: keep ``budget`` slots chosen at random; flows on the others end."""
        st = self.state
        old = len(self.slot_port[o])
        keep = np.sort(self.rng.choice(old, size=budget, replace=False)) if budget else \
            np.zeros(0, np.int64)
        kept = np.zeros(old, bool)
        kept[keep] = True
        rows = self._rows_of(o)
        revoked_rows = rows[~kept[st.flows[rows, K.FL_SLOT]]]
        self.end_flows(revoked_rows)
        for i in np.flatnonzero(~kept).tolist():
            p = int(self.slot_pip[o][i])
            self.pip_ports[p].give_back([self.slot_port[o][i]])
            self.pip_alloc[p] -= 1
        remap = np.full(old, -1, np.int64)
        remap[keep] = np.arange(budget)
        rows = self._rows_of(o)
        st.flows[rows, K.FL_SLOT] = remap[st.flows[rows, K.FL_SLOT]]
        refc = np.bincount(st.flows[rows, K.FL_SLOT], minlength=budget)[:budget]
        self._set_refc(o, refc)
        self.slot_pip[o] = self.slot_pip[o][keep]
        self.slot_port[o] = self.slot_port[o][keep]
        st.owner[o, K.O_BUDGET] = budget
        st.owner[o, K.O_USED] = int((refc > 0).sum())
        self._layout_dirty = True
        self.event(now, "ports_revoked", vm=self.vm_id(o), protocol=self.proto[o],
                   before=old, after=budget, flows_ended=len(revoked_rows))

    def release_unused(self, current: set[int]) -> None:
        """Owners no longer on any VM's path give their idle slots back to the public IPs."""
        st = self.state
        for o in range(len(self.sig)):
            if o not in current and st.owner[o, K.O_USED] == 0 and len(self.slot_port[o]):
                for p, port in zip(self.slot_pip[o].tolist(), self.slot_port[o].tolist()):
                    self.pip_ports[p].give_back([port])
                    self.pip_alloc[p] -= 1
                self.slot_pip[o] = np.zeros(0, np.int64)
                self.slot_port[o] = np.zeros(0, np.int64)
                st.owner[o, K.O_BUDGET] = 0
                self._layout_dirty = True

    def _rows_of(self, o: int) -> np.ndarray:
        st = self.state
        rows = st.live_rows()
        mask = (st.flows[rows, K.FL_KIND] == K.K_EXCL) & (st.flows[rows, K.FL_OWNER] == o)
        return rows[mask]

    def _set_refc(self, o: int, refc: np.ndarray) -> None:
        """Replace an owner's reference counts (the layout is rebuilt by :meth:`layout`)."""
        self._pending_refc[o] = refc.astype(np.int64)

    # ------------------------------------------------------------------ the kernel's layout
    def layout(self) -> None:
        """Lay out slots and pair bitmaps in the kernel's flat arrays (after a snapshot changed
        budgets or added owners and pairs), and recount the public IPs' used ports."""
        st = self.state
        if not self._layout_dirty:
            return
        n = len(self.sig)
        pending = self._pending_refc
        refcs, positions, owner_pips = [], [], []
        base = pips_base = 0
        for o in range(n):
            size = len(self.slot_port[o])
            old_base, old_size = int(st.owner[o, K.O_BASE]), self._laid_size(o)
            if o in pending:
                refc = pending[o]
            else:
                refc = np.zeros(size, np.int64)
                keep = min(size, old_size)
                refc[:keep] = st.slot_refc[old_base:old_base + keep]
            refcs.append(refc)
            pips = self.pips[o]
            lookup = {p: i for i, p in enumerate(pips)}
            positions.append(np.array([lookup.get(p, 0) for p in self.slot_pip[o].tolist()],
                                      np.int64) if st.owner[o, K.O_PIP] < 0 and size
                             else np.zeros(size, np.int64))
            owner_pips.append(np.array(pips, np.int64))
            st.owner[o, K.O_BASE] = base
            st.owner[o, K.O_PIPS] = pips_base
            base += size
            pips_base += len(pips)
        self._laid = [len(self.slot_port[o]) for o in range(n)]
        self._pending_refc = {}
        st.slot_refc = np.concatenate(refcs) if refcs else np.zeros(0, np.int64)
        st.slot_pos = np.concatenate(positions) if positions else np.zeros(0, np.int64)
        st.owner_pips = np.concatenate(owner_pips) if owner_pips else np.zeros(0, np.int64)
        self._layout_pairs()
        self._recount_pips()
        self._layout_dirty = False

    def _laid_size(self, o: int) -> int:
        return self._laid[o] if o < len(self._laid) else 0

    def _layout_pairs(self) -> None:
        """Each pair's record: its header, then one bit per port index of the owner's budget -
        the bits of the live mappings set, and the bits beyond the budget set too (never
        free).  Records start cache lines; ``pair_at`` gives each pair's offset."""
        st = self.state
        n = len(self.pair_index)
        owner = np.array(self.pair_owner, np.int64)
        budgets = st.owner[owner, K.O_BUDGET] if n else np.zeros(0, np.int64)
        nwords = (budgets + 63) // 64
        size = (K.P_WORDS + nwords + 7) // 8 * 8
        at = np.zeros(n, np.int64)
        if n:
            at[1:] = np.cumsum(size)[:-1]
        old_ex = np.full(n, -1, np.int64)
        laid = min(len(st.pair_at), n)
        if laid:
            old_ex[:laid] = st.pair[st.pair_at[:laid] + K.P_EX]
        pair = np.zeros(int(size.sum()) if n else 0, np.int64)
        pair[at + K.P_OWNER] = owner
        pair[at + K.P_KEY] = np.array(self.pair_key, np.int64)
        pair[at + K.P_NWORDS] = nwords
        pair[at + K.P_EX] = old_ex
        for p in np.flatnonzero(budgets % 64).tolist():     # the bits beyond the budget
            used_bits = int(budgets[p] % 64)
            mask = ~((1 << used_bits) - 1) & ((1 << 64) - 1)
            pair[at[p] + K.P_WORDS + nwords[p] - 1] = mask - (1 << 64)
        rows = st.live_rows()
        rows = rows[st.flows[rows, K.FL_KIND] == K.K_EXCL]
        pairs = st.flows[rows, K.FL_PAIR]
        slots = st.flows[rows, K.FL_SLOT]
        if len(rows):
            np.bitwise_or.at(pair, at[pairs] + K.P_WORDS + slots // 64,
                             np.left_shift(np.int64(1), slots % 64))
            np.add.at(pair, at[pairs] + K.P_COUNT, 1)
        st.pair = pair
        st.pair_at = at

    def _recount_pips(self) -> None:
        """Per public IP used ports (a slot with at least one mapping), recounted in place."""
        st = self.state
        used = np.zeros(len(self.pip_keys), np.int64)
        for o in range(len(self.sig)):
            base, size = int(st.owner[o, K.O_BASE]), len(self.slot_port[o])
            busy = st.slot_refc[base:base + size] > 0
            if busy.any():
                np.add.at(used, self.slot_pip[o][busy], 1)
        st.pip_used[:len(used)] = used

    # ------------------------------------------------------------------ reading
    def vm_id(self, o: int) -> str:
        return self.vm_ids[self.vm[o]]

    def slot_address(self, o: int, slot: int) -> tuple[int, int]:
        """(public IP index, port) of an owner's slot."""
        return int(self.slot_pip[o][slot]), int(self.slot_port[o][slot])
