"""The kernel's records turned into Python's: events (the report's dicts), flow samples for
the animation, and the addresses destinations saw (C11).  Called after every kernel call, so
records are read against the tables they were made with."""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import kernel as K
from .frames import FlowSample
from .nsg import ALLOW_NO_NSG, INTERNET_CLIENT_IP
from .paths import PROTOCOLS

if TYPE_CHECKING:   # pragma: no cover
    from .engine import Engine


def flush(e: "Engine") -> None:
    ev_t, ev, sm_t, sm, seen = e.st.take_records()
    for t, (kind, vm, _, proto, a, b) in zip(ev_t, ev):
        _event(e, t, kind, vm, PROTOCOLS[proto], a, b)
    for t, rec in zip(sm_t, sm):
        _sample(e, t, *rec)
    for f, position in seen:
        _seen(e, f, position)


def _event(e: "Engine", t: float, kind: int, vm: int, proto: str, a: int, b: int) -> None:
    vm_id = e.vm_ids[vm]
    if kind == K.EV_EXHAUSTED:
        # under sustained overload nearly every raw exhaustion continues an episode (see
        # episodes.py): nothing is built for those
        if e.episodes.continues(vm_id, proto, t):
            return
        path = e.stream_info[e.flat_info[a].stream].path
        e.event(t, "snat_exhausted", vm=vm_id, protocol=proto,
                public_ip=", ".join(path.public_ips), via=path.via)
    elif kind == K.EV_RECOVERED:
        e.exhaustion_dest.pop(2 * vm + PROTOCOLS.index(proto), None)
        e.episodes.recovered_at(vm_id, proto, t, e.event_seq())
    elif kind == K.EV_NSG_OUT:
        from .policy import dest_address
        info = e.flat_info[a]
        address, port = dest_address(e, info.dest_id)
        verdict = e.nsg.outbound(vm_id, proto, address, port)
        e.event(t, "nsg_denied", vm=vm_id, direction="outbound", nsg=verdict.nsg,
                rule=verdict.rule, destination=info.dest_id, reason=verdict.reason)
    elif kind == K.EV_NOROUTE:
        info = e.flat_info[a]
        path = e.stream_info[info.stream].path
        e.event(t, "no_route", vm=vm_id, protocol=proto, destination=info.dest_id,
                reason=path.reason if path is not None else "no outbound path")
    else:                                                   # EV_NSG_IN
        info = e.flat_info[a]
        verdict = info.verdicts[b]
        if verdict is ALLOW_NO_NSG or not verdict.denied:
            reason = (f"inbound {proto}/{info.backend_port} from {INTERNET_CLIENT_IP} to "
                      f"{info.dest_id}: a Standard load balancer frontend is closed inbound "
                      f"unless an NSG allows the flow, and {vm_id} has none that does (M-B1)")
            nsg, rule = None, None
        else:
            reason, nsg, rule = verdict.reason, verdict.nsg, verdict.rule
        e.event(t, "nsg_denied", vm=vm_id, direction="inbound", nsg=nsg, rule=rule,
                destination=info.dest_id, reason=reason)


def _sample(e: "Engine", t: float, kind: int, vm: int, gen: int, proto: int, a: int,
            b: int) -> None:
    vm_id = e.vm_ids[vm] if vm >= 0 else None
    gen_id = e.gen_ids[gen]
    protocol = PROTOCOLS[proto]
    if kind == K.SM_END:
        route = e.routes.get((vm, protocol))
        base = route.path.nodes if route is not None else (vm_id,)
        s = FlowSample(t, "end", vm_id, gen_id, protocol, base + (e.dest_ids[a],), "ended",
                       None)
        e._samples.append(s)
        return
    info = e.flat_info[a]
    if kind == K.SM_START:
        s = FlowSample(t, "start", vm_id, gen_id, protocol, info.nodes, "succeeded", None)
    elif kind == K.SM_DENIED:
        s = FlowSample(t, "fail", vm_id, gen_id, protocol, info.nodes, "denied_nsg",
                       info.nodes[1])
    elif kind == K.SM_NOROUTE:
        s = FlowSample(t, "fail", vm_id, gen_id, protocol, info.nodes, "no_route", vm_id)
    elif kind == K.SM_SNATFAIL:
        path = e.stream_info[info.stream].path
        s = FlowSample(t, "fail", vm_id, gen_id, protocol, info.nodes, "failed_snat",
                       path.nodes[-1] if path.nodes else None)
    elif kind == K.SM_IN_NOLB:
        s = FlowSample(t, "fail", None, gen_id, protocol, (info.dest_id,), "no_route",
                       info.dest_id)
    elif kind == K.SM_IN_NOELIG:
        s = FlowSample(t, "fail", None, gen_id, protocol, (info.dest_id, info.lb_id),
                       "no_route", info.lb_id)
    else:                                   # inbound: denied or started
        nodes = (info.dest_id, info.lb_id) + \
            tuple(n for n in e.topo.nsgs_of_vm(vm_id)[::-1] if n) + (vm_id,)
        if kind == K.SM_IN_DENIED:
            s = FlowSample(t, "fail", vm_id, gen_id, protocol, nodes, "denied_nsg",
                           info.verdicts[b].nsg or info.lb_id)
        else:
            s = FlowSample(t, "start", vm_id, gen_id, protocol, nodes, "succeeded", None)
    (e._samples_fail if s.event == "fail" else e._samples).append(s)


def _seen(e: "Engine", f: int, position: int) -> None:
    """C11: the address an Internet destination sees; a whatismyip endpoint answers it."""
    info = e.flat_info[f]
    stream = e.stream_info[info.stream]
    if stream.vm_id is None:
        address = INTERNET_CLIENT_IP
    elif info.code == 1:
        address = e.nsg.private_ips.get(stream.vm_id, "")
    else:
        ips = stream.path.public_ips
        address = ips[position] if position < len(ips) else ""
    e.dest_seen[info.dest_i].add(address)
    if info.myip:
        e.dest_answers[info.dest_i].setdefault(stream.vm_id, set()).add(address)
