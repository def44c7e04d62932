"""NAT gateway inventories (M-B8): 64,512 ports per public IP and protocol, shared on demand by
every VM of the gateway's subnets.  The kernel allocates and releases; this module lays the
pools out in its arrays and reads them back for frames and reports.

Per pool the kernel keeps, for each address, the free ports (a swap-remove list), and per port
its list of mappings (flows, live or cooling down, M-B9);
and per (address, destination key) the number of mappings, for the 50,000 cap.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import kernel as K
from .paths import ProtocolPath
from .state import KernelState, grown

PER_IP = K.NAT_PORTS_PER_IP


@dataclass
class NatPool:
    """One NAT gateway's inventory for one protocol (a view on the kernel's rows)."""
    index: int
    nat_id: str
    protocol: str
    pips: tuple[str, ...]
    addresses: tuple[str, ...]
    state: KernelState

    per_ip = PER_IP

    @property
    def size(self) -> int:
        return PER_IP * len(self.pips)

    @property
    def used(self) -> int:
        return int(self.state.nat[self.index, K.N_USED])

    @property
    def used_peak(self) -> int:
        return int(self.state.nat[self.index, K.N_PEAK])

    def ip_used(self, k: int) -> int:
        return int(self.state.nat_ip[self.index * K.NAT_MAX_IPS + k, K.Q_USED])

    def ip_peak(self, k: int) -> int:
        return int(self.state.nat_ip[self.index * K.NAT_MAX_IPS + k, K.Q_PEAK])


class NatPools:
    """(NAT gateway, protocol) -> the pool in use; a pool whose addresses change is replaced
    (its mappings end, as when a gateway's IPs are swapped)."""

    def __init__(self, state: KernelState):
        self.state = state
        self.current: dict[tuple[str, str], NatPool] = {}
        self.all: list[NatPool] = []
        self.key_stride = 64

    def pool_for(self, path: ProtocolPath) -> tuple[NatPool, NatPool | None]:
        """The pool of ``path``'s gateway, and the pool it replaces (whose flows must end)."""
        key = (path.via, path.protocol)
        pool = self.current.get(key)
        if pool is not None and pool.pips == path.public_ip_ids:
            pool.addresses = path.public_ips
            return pool, None
        new = self._new_pool(path)
        self.current[key] = new
        return new, pool

    def _new_pool(self, path: ProtocolPath) -> NatPool:
        st = self.state
        index = len(self.all)
        pool = NatPool(index, path.via, path.protocol, path.public_ip_ids, path.public_ips, st)
        self.all.append(pool)
        n_ips = len(pool.pips)
        base = len(st.nat_free)
        size = n_ips * PER_IP
        st.nat = grown(st.nat, index + 1)
        st.nat[index] = 0
        st.nat[index, K.N_NIPS] = n_ips
        st.nat[index, K.N_BASE] = base
        st.nat[index, K.N_PD] = len(st.per_dest)
        st.nat[index, K.N_STRIDE] = self.key_stride
        st.nat_ip = grown(st.nat_ip, (index + 1) * K.NAT_MAX_IPS)
        rows = slice(index * K.NAT_MAX_IPS, (index + 1) * K.NAT_MAX_IPS)
        st.nat_ip[rows] = 0
        st.nat_ip[index * K.NAT_MAX_IPS:index * K.NAT_MAX_IPS + n_ips, K.Q_FREE_N] = PER_IP
        # every port free, in order; a port's position is its offset within its address
        local = np.arange(size, dtype=np.int64)
        st.nat_free = np.concatenate((st.nat_free, local))
        ports = np.empty((size, K.NPT), np.int64)
        ports[:, K.PORT_HEAD] = -1
        st.nat_port = np.concatenate((st.nat_port, ports))
        st.per_dest = np.concatenate((st.per_dest,
                                      np.zeros(n_ips * self.key_stride, np.int64)))
        return pool

    def would_get_port(self, index: int, key: int) -> bool:
        """Whether a new flow to ``key`` would get a port of pool ``index`` now (M-B8; the
        same test as the kernel's ``nat_would_get_port``)."""
        st = self.state
        n = st.nat[index]
        for ip in range(int(n[K.N_NIPS])):
            with_key = st.per_dest[n[K.N_PD] + ip * n[K.N_STRIDE] + key]
            if with_key >= K.NAT_MAX_PER_DESTINATION:
                continue
            q = st.nat_ip[index * K.NAT_MAX_IPS + ip]
            if q[K.Q_FREE_N] > 0 or q[K.Q_USED] - with_key > 0:
                return True
        return False

    def ensure_keys(self, n_keys: int) -> None:
        """Room in every pool's per-destination counts for ``n_keys`` destination keys."""
        if n_keys <= self.key_stride:
            return
        st = self.state
        stride = self.key_stride
        while stride < n_keys:
            stride *= 2
        parts = []
        base = 0
        for pool in self.all:
            n_ips = int(st.nat[pool.index, K.N_NIPS])
            old = st.per_dest[st.nat[pool.index, K.N_PD]:
                              st.nat[pool.index, K.N_PD] + n_ips * self.key_stride]
            new = np.zeros((n_ips, stride), np.int64)
            new[:, :self.key_stride] = old.reshape(n_ips, self.key_stride)
            parts.append(new.ravel())
            st.nat[pool.index, K.N_PD] = base
            st.nat[pool.index, K.N_STRIDE] = stride
            base += n_ips * stride
        st.per_dest = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        self.key_stride = stride
