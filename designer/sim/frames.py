"""Frames and metrics: the immutable view of the engine at one simulated time (architecture.md:
the GUI keeps only the latest frame; counters are cumulative, so a dropped frame loses
nothing), and the per-VM port use Azure Monitor names UsedSnatPorts / AllocatedSnatPorts."""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Mapping, NamedTuple

import numpy as np

from . import kernel as K

if TYPE_CHECKING:   # pragma: no cover
    from .engine import Engine

COUNTER_NAMES = ("attempted", "succeeded", "failed_snat", "denied_nsg", "no_route")


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


def freeze(d: dict) -> Mapping:
    return MappingProxyType(d)


# ============================================================================ port use

def vm_port_use(e: "Engine") -> tuple[np.ndarray, np.ndarray]:
    """(used, allocated) per VM and protocol, shape (VMs, 2): the ports of the VM's owners that
    carry a mapping, plus its mappings on a NAT gateway; allocated by its current path."""
    st = e.st
    n_vm = len(e.vm_ids)
    used = np.zeros(2 * n_vm, np.int64)
    owners = e.owners
    n_o = len(owners.sig)
    if n_o:
        vp = np.asarray(owners.vp_row, np.int64)
        np.add.at(used, vp, st.owner[:n_o, K.O_USED])
    used += st.vmp[:2 * n_vm, K.V_NAT_USED]
    # budgets and inventories change only when a snapshot is applied (policy.py), which
    # forgets this; a metric sample and a frame of 200 VMs would otherwise spend ~0.7 ms here
    allocated = e.allocated_ports
    if allocated is None or len(allocated) != 2 * n_vm:
        allocated = np.zeros(2 * n_vm, np.int64)
        for (vm_i, proto), route in e.routes.items():
            allocated[2 * vm_i + (proto == "udp")] = e.route_allocated(route)
        allocated.flags.writeable = False
        e.allocated_ports = allocated
    return used.reshape(n_vm, 2), allocated.reshape(n_vm, 2)


def build_frame(e: "Engine") -> Frame:
    """An immutable frame; events and samples are those since the previous frame."""
    topo = e.topo
    st = e.st
    used, allocated = vm_port_use(e)
    counts = st.vm_cnt[:len(e.vm_ids)].tolist()
    vms, snat = {}, {}
    for vm_id in sorted(e.vm_idx):
        if vm_id not in topo:
            continue
        i = e.vm_idx[vm_id]
        vms[vm_id] = Counters(*counts[i])
        u, a = used[i].tolist(), allocated[i].tolist()
        snat[vm_id] = freeze({"tcp": PortUse(u[0], a[0]), "udp": PortUse(u[1], a[1])})
    gen_counts = st.gen_cnt[:len(e.gen_ids)].tolist()
    gens = {g: Counters(*gen_counts[i]) for g, i in sorted(e.gen_idx.items())}
    pips: dict[str, dict[str, PortUse]] = {}
    pip_used = st.pip_used.tolist()
    for i, (pip_id, proto) in enumerate(e.owners.pip_keys):
        pips.setdefault(pip_id, {})[proto] = PortUse(pip_used[i], e.owners.pip_alloc[i])
    nats: dict[str, dict[str, PortUse]] = {}
    for (nat_id, proto), pool in sorted(e.nat.current.items()):
        nats.setdefault(nat_id, {})[proto] = PortUse(pool.used, pool.size)
        for k, pip_id in enumerate(pool.pips):
            pips.setdefault(pip_id, {})[proto] = PortUse(pool.ip_used(k), pool.per_ip)
    events = tuple(e._events[e._events_sent:])
    e._events_sent = len(e._events)
    samples = tuple(sorted(e._samples + e._samples_fail, key=lambda x: x.t))
    dropped = int(st.iv[K.I_SM_DROPPED])
    e._samples = []
    e._samples_fail = []
    st.iv[K.I_SM_DROPPED] = st.iv[K.I_SM_STARTS] = st.iv[K.I_SM_FAILS] = 0
    return Frame(e.now, freeze(vms), freeze(gens), freeze(snat),
                 freeze({k: freeze(v) for k, v in sorted(pips.items())}),
                 freeze({k: freeze(v) for k, v in nats.items()}), freeze(e.probe_states()),
                 events, samples, dropped)


__all__ = ["COUNTER_NAMES", "Counters", "PortUse", "FlowSample", "Frame", "build_frame",
           "vm_port_use", "freeze"]
