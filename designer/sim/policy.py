"""The policy: a snapshot compiled into the kernel's tables.

For every VM and protocol the route (``paths.resolve``: M-A2/M-A3, M-B2) and its SNAT owner;
budgets re-tiered with the pool size (M-A9) or short of ports (M-B5); flows whose path is gone
end (a NAT gateway attach leaves established flows alone, M-B10); NSG flushes (C4); and per
generator and source VM a *stream* whose destinations carry the NSG verdict (C2), whether they
are VNet-internal or platform addresses (C6), the destination key (M-A6, M-B7), the pair of
port bitmaps, and the release delays by close mode (C9, M-B9).
"""
from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from . import kernel as K
from . import ports as P
from .nsg import ALLOW_NO_NSG, INTERNET_CLIENT_IP, PLATFORM_ADDRESSES, NsgEvaluator, ip_int
from .paths import PROTOCOLS, ProtocolPath, _auto_address, resolve
from .state import grown
from ..model.validation import Finding

if TYPE_CHECKING:   # pragma: no cover
    from ..model.topology import Scenario
    from .engine import Engine

INF = math.inf
KIND_CODES = {"none": K.K_NONE, "instance_ip": K.K_ILPIP, "load_balancer": K.K_EXCL,
              "default": K.K_EXCL, "nat_gateway": K.K_NAT}
CLOSE_CODES = {"fin": 0, "rst": 1, "idle": 2}
PROTO_CODES = {"tcp": 0, "udp": 1}


class Route(NamedTuple):
    kind: int           # K_NONE, K_ILPIP, K_EXCL, K_NAT
    owner: int          # exclusive owner, NAT pool index, or -1
    path: ProtocolPath


class FlatInfo(NamedTuple):
    """What Python needs about one destination of a stream (events, samples, seen addresses)."""
    stream: int
    dest_i: int
    dest_id: str
    nodes: tuple[str, ...]        # outbound: the flow's path, destination last
    code: int                     # -1 denied, 0 through SNAT, 1 VNet-internal / platform
    myip: bool                    # a whatismyip endpoint (C11)
    lb_id: str | None = None      # inbound: the load balancer of the frontend
    backend_port: int = 0
    verdicts: tuple = ()          # inbound: the NSG verdict per member of the pool


class StreamInfo(NamedTuple):
    gen_id: str
    vm_id: str | None             # None for inbound generators
    protocol: str
    path: ProtocolPath | None


# ============================================================================ a snapshot

def apply_snapshot(e: "Engine", scenario: "Scenario") -> None:
    """Apply a snapshot: routes, owners (re-tiering, M-A9), probes, streams."""
    old = e._scenario
    e._scenario = scenario
    e.opts = scenario.effective_options
    e.episodes.gap_s = float(e.opts["snat_episode_gap_s"])
    e.st.fv[K.F_EPISODE_GAP] = e.episodes.gap_s        # the kernel applies it too
    e.classic = scenario.semantics == "classic"
    res = resolve(scenario, e._default_addresses)
    e._default_addresses = res.default_addresses
    e._resolution = res
    e.nsg = NsgEvaluator(scenario)
    e.topo = topo = scenario.topology
    e._nat_timers = P.NAT_TIMERS[e.opts["nat_timers"]]
    e._immediate = e.opts["release_on_close"] == "immediate"
    e.findings = list(res.findings)
    zero_ports = e.opts.get("outbound_scale_out") == "zero_ports"
    if old is not None:
        remember_exhaustions(e)

    routes: dict[tuple[int, str], Route] = {}
    current_owners: set[int] = set()
    current_nat: set[tuple[str, str]] = set()
    for vm_id, vm_path in res.paths.items():
        vm_i = e.register_vm(vm_id)
        for proto in PROTOCOLS:
            path = vm_path.protocol(proto)
            kind = KIND_CODES[path.kind]
            owner = -1
            if kind == K.K_EXCL:
                owner = e.owners.owner(path, vm_i, proto)
                current_owners.add(owner)
            elif kind == K.K_NAT:
                pool, replaced = e.nat.pool_for(path)
                if replaced is not None:      # the gateway's IPs changed: its mappings end
                    e.end_flows(_rows(e, lambda f: (f[:, K.FL_KIND] == K.K_NAT) &
                                      (f[:, K.FL_OWNER] == replaced.index)))
                owner = pool.index
                current_nat.add((path.via, proto))
            routes[(vm_i, proto)] = Route(kind, owner, path)
    e.routes = routes
    _end_flows_without_path(e, res, current_owners, current_nat)
    _prune_connection_pools(e)
    # M-A9: budgets follow the pool size (re-tier): revocations first (in a fixed order, they
    # draw random numbers), then grants in the natural order of the VMs' names, so that the
    # instance beyond an outbound rule's budget is the last one (M-B5: vm-10 of 10)
    owners = e.owners
    paths = {o: res.paths[e.vm_ids[owners.vm[o]]].protocol(owners.proto[o])
             for o in current_owners}
    revoking = [o for o in current_owners if paths[o].ports < owners.budget(o)]
    for o in sorted(revoking, key=lambda o: repr(owners.sig[o])):
        owners.set_budget(o, paths[o].ports, paths[o], e.now, zero_ports)
    for o in sorted(set(current_owners) - set(revoking),
                    key=lambda o: _grant_order(o, owners, e.vm_ids)):
        owners.set_budget(o, paths[o].ports, paths[o], e.now, zero_ports)
    if old is not None:
        _flush_nsgs(e, old, scenario)
    e.timeline.setup_probes()
    build_streams(e)
    e.owners.release_unused(current_owners)
    e.owners.layout()
    _per_vm_tables(e)
    recheck_exhaustions(e)
    e.st.sync()
    e.allocated_ports = None


def _grant_order(o: int, owners, vm_ids: list[str]) -> tuple:
    """Owners of one path in the natural order of their VMs' names (vm-2 before vm-10)."""
    vm_id = vm_ids[owners.vm[o]]
    natural = tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", vm_id))
    return repr(owners.sig[o][0]), owners.proto[o], natural


def _rows(e: "Engine", select) -> np.ndarray:
    """Live flow rows (in the order they started) selected by ``select(flows)``."""
    rows = e.st.live_rows()
    return rows[select(e.st.flows[rows])]


def _end_flows_without_path(e: "Engine", res, current_owners: set[int],
                            current_nat: set[tuple[str, str]]) -> None:
    """Flows whose path is gone end now; a Standard NAT gateway attach leaves established
    load balancer flows alone (M-B10)."""
    st = e.st
    removed = {i for i, v in enumerate(e.vm_ids) if v not in res.paths}
    ending = []
    for row in st.live_rows().tolist():
        kind, owner, vm_i, proto = (int(st.flows[row, c]) for c in
                                    (K.FL_KIND, K.FL_OWNER, K.FL_VM, K.FL_PROTO))
        proto_name = PROTOCOLS[proto]
        if kind == K.K_IN:
            continue
        if vm_i in removed:
            ending.append(row)
        elif kind == K.K_EXCL and owner not in current_owners:
            new = e.routes.get((vm_i, proto_name))
            takeover = new is not None and new.kind == K.K_NAT and \
                e.topo.node(new.path.via).sku == "standard"
            if not takeover:
                ending.append(row)
        elif kind == K.K_NAT and (e.nat.all[owner].nat_id, proto_name) not in current_nat:
            ending.append(row)
    e.end_flows(np.array(ending, np.int64))


def _prune_connection_pools(e: "Engine") -> None:
    """Pooled connections of removed generators end."""
    gens_now = {g.id for g in e.topo.nodes("traffic_generator")}
    st = e.st
    for (gen_i, _, _), c in e.conn_index.items():
        if e.gen_ids[gen_i] not in gens_now and st.conn_pool[c, K.C_N]:
            base, n = st.conn_pool[c, K.C_BASE], st.conn_pool[c, K.C_N]
            e.end_flows(st.conns[base:base + n].copy())


def _flush_nsgs(e: "Engine", old: "Scenario", new: "Scenario") -> None:
    """C4: flows are re-evaluated only for NSGs with flush_connection whose rules changed."""
    flushed: set[str] = set()
    for nsg in new.topology.nodes("nsg"):
        before = old.topology.get(nsg.id)
        if nsg.flush_connection and (before is None or before.rules != nsg.rules):
            flushed.add(nsg.id)
    if not flushed:
        return
    topo = new.topology
    st = e.st
    ending = []
    for row in st.live_rows().tolist():
        kind, vm_i, dest_i, proto = (int(st.flows[row, c]) for c in
                                     (K.FL_KIND, K.FL_VM, K.FL_DEST, K.FL_PROTO))
        vm_id = e.vm_ids[vm_i]
        if vm_id not in topo or not set(topo.nsgs_of_vm(vm_id)) & flushed or kind == K.K_IN:
            continue
        address, port = dest_address(e, e.dest_ids[dest_i])
        if address and e.nsg.outbound(vm_id, PROTOCOLS[proto], address, port).denied:
            ending.append(row)
    e.end_flows(np.array(ending, np.int64))


def _per_vm_tables(e: "Engine") -> None:
    """Per VM and protocol: what the kernel needs of the current route (TCP reset on idle)."""
    st = e.st
    for (vm_i, proto), route in e.routes.items():
        st.vmp[2 * vm_i + PROTO_CODES[proto], K.V_TCP_RESET] = int(route.path.tcp_reset)


def remember_exhaustions(e: "Engine") -> None:
    """Before an edit rebuilds the destination tables: the failing destination of every open
    exhaustion, by id (its row in the tables is about to change)."""
    st = e.st
    for vp in np.flatnonzero(st.vmp[:, K.V_EX_OPEN]).tolist():
        flat = int(st.vmp[vp, K.V_EX_FLAT])
        if flat >= 0:
            e.exhaustion_dest[vp] = e.flat_info[flat].dest_id
        st.vmp[vp, K.V_EX_FLAT] = -1


def recheck_exhaustions(e: "Engine") -> None:
    """After an edit: an open exhaustion whose VM now has a path on which a new flow to the
    failing destination would get a port is over (snat_recovered at the edit's time); one
    that stays open now watches its new path's ports."""
    st = e.st
    for vp in np.flatnonzero(st.vmp[:, K.V_EX_OPEN]).tolist():
        vm_i, code = divmod(vp, 2)
        proto = PROTOCOLS[code]
        _unmark(e, vp)
        dest_id = e.exhaustion_dest.get(vp)
        route = e.routes.get((vm_i, proto))
        if e.vm_ids[vm_i] not in e.topo or route is None or dest_id not in e.topo:
            st.vmp[vp, K.V_EX_OPEN] = 0          # the VM or the destination is gone
            continue
        if route.kind == K.K_NONE:
            st.vmp[vp, K.V_EX_KIND] = K.K_NONE   # open: no path, no port
            continue
        if route.kind == K.K_ILPIP:
            _recovered(e, vp, proto)
            continue
        address, port = dest_address(e, dest_id)
        key = e.register_key(route.path.key_mode, address, port)
        if route.kind == K.K_EXCL:
            ref = e.owners.pair(route.owner, key)
            e.owners.layout()
            free = e.owners.pair_field(ref, K.P_COUNT) < e.owners.budget(route.owner)
        else:
            ref = route.owner
            e.nat.ensure_keys(len(e.key_idx))
            free = e.nat.would_get_port(ref, key)
        if free:
            _recovered(e, vp, proto)
            continue
        st.vmp[vp, K.V_EX_KIND] = route.kind
        st.vmp[vp, K.V_EX_REF] = ref
        st.vmp[vp, K.V_EX_KEY] = key
        if route.kind == K.K_EXCL:
            e.owners.set_pair_field(ref, K.P_EX, vp)
        else:
            n = st.iv[K.I_NATEX_N]
            st.nat_ex = grown(st.nat_ex, n + 3)
            st.nat_ex[n] = vp
            st.iv[K.I_NATEX_N] = n + 1


def _unmark(e: "Engine", vp: int) -> None:
    """Stop watching the old path of an open exhaustion (kernel.py _forget_exhaustion)."""
    st = e.st
    kind, ref = st.vmp[vp, K.V_EX_KIND], st.vmp[vp, K.V_EX_REF]
    if kind == K.K_EXCL:
        if ref < len(e.owners.pair_index) and e.owners.pair_field(ref, K.P_EX) == vp:
            e.owners.set_pair_field(ref, K.P_EX, -1)
    elif kind == K.K_NAT:
        n = int(st.iv[K.I_NATEX_N])
        live = [x for x in st.nat_ex[:n].tolist() if x != vp]
        st.nat_ex[:len(live)] = live
        st.iv[K.I_NATEX_N] = len(live)


def _recovered(e: "Engine", vp: int, proto: str) -> None:
    e.st.vmp[vp, K.V_EX_OPEN] = 0
    e.exhaustion_dest.pop(vp, None)
    e.event(e.now, "snat_recovered", vm=e.vm_ids[vp // 2], protocol=proto)


# ============================================================================ streams

#: the port flows to a public IP destination go to (HTTPS)
PUBLIC_IP_PORT = 443


def destination(topology, dest_id: str) -> tuple[str | None, int]:
    """(address, port) the flows to ``dest_id`` go to: an endpoint's, or a public IP's on
    443 (its drawn address, or the one the simulation assumes for it)."""
    node = topology.get(dest_id)
    if node is None:
        return None, 0
    if node.KIND == "endpoint":
        return node.address, node.port
    if node.KIND == "public_ip":
        return node.address or _auto_address(dest_id), PUBLIC_IP_PORT
    return None, 0


def dest_address(e: "Engine", dest_id: str) -> tuple[str | None, int]:
    return destination(e.topo, dest_id)


def release_delays(e: "Engine", path: ProtocolPath, gen) -> tuple[float, float, float]:
    """Seconds from the end of a flow's hold to the release of its mapping, by close mode
    (C9 for LB / default SNAT, M-B9 for NAT gateway); INF = never (keep-alives)."""
    idle = path.idle_timeout_s
    keep = gen.keepalive_s is not None and gen.keepalive_s < idle
    idle_rel = INF if keep else idle
    if path.release == "nat":
        t = e._nat_timers
        if gen.protocol == "udp":
            r = idle_rel + t["udp"]
            return (r, r, r)
        return (t["fin"], t["rst"], idle_rel)
    if gen.protocol == "udp":
        return (idle_rel, idle_rel, idle_rel)       # C9: UDP only by idle timeout
    if e._immediate:
        return (0.0, 0.0, idle_rel)
    return (P.RELEASE_FIN_S, P.RELEASE_RST_S, idle_rel)


def _inbound_entries(e: "Engine", gen, dests: list[str]) -> list[tuple]:
    """Inbound generators call load balancer frontends: (dest index, lb, backend port, id)."""
    topo = e.topo
    targets = list(dests)
    for src in topo.targets(gen.id, "source"):
        if topo.node(src).KIND == "load_balancer":
            targets.extend(topo.frontends(src))
    out = []
    for d in sorted(set(targets)):
        dest_i = e.register_dest(d)
        lb_id = topo.load_balancer_of_frontend(d) if topo.node(d).KIND == "public_ip" \
            else None
        rule = None
        if lb_id:
            lb = topo.node(lb_id)
            rules = sorted((r for r in lb.rules if r.frontend == d and
                            r.protocol in (gen.protocol, "all")), key=lambda r: r.name)
            rule = rules[0] if rules else None
        if rule is None:
            e.findings.append(Finding(
                "warning", "inbound-destination-without-rule",
                f"inbound generator {gen.id} calls {d}, which is not a load balancer "
                f"frontend with a {gen.protocol.upper()} rule; those flows count as no_route",
                gen.id))
        out.append((dest_i, lb_id if rule else None, rule.backend_port if rule else 0, d))
    return out


class _Tables:
    """Rows of the stream and destination tables being built."""

    def __init__(self):
        self.streams: list[list[int]] = []
        self.streams_f: list[tuple[float, float]] = []
        self.flat: list[list[int]] = []
        self.flat_info: list[FlatInfo] = []
        self.stream_info: list[StreamInfo] = []
        self.verdicts: list[int] = []

    def stream(self, kind, gen_i, vm_i, proto, owner, pool, rel, idle, info) -> int:
        s = len(self.streams)
        self.streams.append([kind, gen_i, vm_i, PROTO_CODES[proto], owner, len(self.flat), 0,
                             pool])
        self.streams_f.append((rel, idle))
        self.stream_info.append(info)
        return s

    def dest(self, s: int, row: list[int], info: FlatInfo) -> None:
        self.flat.append(row)
        self.flat_info.append(info)
        self.streams[s][K.S_NDEST] += 1


def build_streams(e: "Engine") -> None:
    """One stream per (generator, source VM) for outbound, one per inbound generator."""
    topo = e.topo
    tables = _Tables()
    specs = []
    bounds: set[float] = set()
    for gen in sorted(topo.nodes("traffic_generator"), key=lambda g: g.id):
        gen_i = e.register_gen(gen.id)
        dests = topo.generator_destinations(gen.id)
        if gen.muted or gen.rate_per_s <= 0:
            continue
        for b in (gen.start_s, gen.stop_s):
            if b is not None and b > e.now:
                bounds.add(float(b))
        stop = gen.stop_s if gen.stop_s is not None else INF
        if gen.pool_size and gen.stop_s is not None:
            e.timeline.schedule_stop(gen_i, stop)
        hold = (gen.start_s, stop, gen.hold.mean_s, gen.hold.distribution == "exponential")
        close = CLOSE_CODES[gen.close]
        if gen.direction == "inbound":
            entries = _inbound_entries(e, gen, dests)
            if entries:
                s = _inbound_stream(e, tables, gen, gen_i, entries)
                specs.append((s, gen.rate_per_s) + hold)
            continue
        if not dests:
            continue
        dinfo = []
        for d in dests:
            address, port = dest_address(e, d)
            local = address in PLATFORM_ADDRESSES or e.nsg.in_vnet(ip_int(address))
            dinfo.append((d, e.register_dest(d), address, port, local,
                          getattr(topo.node(d), "role", None) == "whatismyip"))
        for vm_id in topo.generator_sources(gen.id):
            if topo.node(vm_id).state != "running":
                continue
            s = _outbound_stream(e, tables, gen, gen_i, vm_id, dinfo, close)
            specs.append((s, gen.rate_per_s) + hold)
    _install(e, tables)
    e.arrivals.set_streams(specs, list(bounds), e.now)


def _outbound_stream(e: "Engine", tables: _Tables, gen, gen_i: int, vm_id: str, dinfo,
                     close: int) -> int:
    topo = e.topo
    vm_i = e.register_vm(vm_id)
    kind, owner, path = e.routes[(vm_i, gen.protocol)]
    nsg_nodes = tuple(n for n in topo.nsgs_of_vm(vm_id) if n)
    local_nodes = (vm_id,) + nsg_nodes
    rel = release_delays(e, path, gen)
    conn_idle = path.idle_timeout_s if rel[2] != INF else INF
    s = tables.stream(kind, gen_i, vm_i, gen.protocol, owner, gen.pool_size, rel[close],
                      conn_idle, StreamInfo(gen.id, vm_id, gen.protocol, path))
    for d, dest_i, address, port, local, myip in dinfo:
        denied = nsg_nodes and e.nsg.outbound(vm_id, gen.protocol, address, port)
        code = -1 if denied and denied.denied else 1 if local else 0
        key = e.register_key(path.key_mode, address, port)
        if code == -1:
            nodes = (vm_id, denied.nsg, d)
        elif local:
            nodes = local_nodes + (d,)
        else:
            nodes = path.nodes + (d,)
        pair = e.owners.pair(owner, key) if kind == K.K_EXCL else -1
        conn = e.conn_pool(gen_i, vm_i, dest_i, gen.pool_size) if gen.pool_size else -1
        tables.dest(s, [code, key, dest_i, pair, conn, -1, 0, 0],
                    FlatInfo(s, dest_i, d, nodes, code, myip))
    return s


def _inbound_stream(e: "Engine", tables: _Tables, gen, gen_i: int, entries) -> int:
    """C3, M-B1: per frontend, the verdict of the NSGs inbound for every pool member."""
    topo = e.topo
    s = tables.stream(K.K_IN, gen_i, -1, gen.protocol, -1, 0, INF, INF,
                      StreamInfo(gen.id, None, gen.protocol, None))
    for dest_i, lb_id, backend_port, dest_id in entries:
        lbi, vbase, verdicts = -1, len(tables.verdicts), ()
        if lb_id is not None:
            lbi = e.register_lb(lb_id)
            lb = topo.node(lb_id)
            standard = not e.classic and lb.sku == "standard"
            verdicts = tuple(e.nsg.inbound(vm_id, gen.protocol, INTERNET_CLIENT_IP,
                                           backend_port) for vm_id in topo.backend_pool(lb_id))
            # M-B1: Standard frontends are closed inbound unless an NSG allows the flow
            tables.verdicts.extend(int(v.denied or (standard and v is ALLOW_NO_NSG))
                                   for v in verdicts)
        tables.dest(s, [0, 0, dest_i, -1, -1, lbi, vbase, 0],
                    FlatInfo(s, dest_i, dest_id, (dest_id,), 0, False, lb_id, backend_port,
                             verdicts))
    return s


def _install(e: "Engine", tables: _Tables) -> None:
    st = e.st
    ns, nf = len(tables.streams), len(tables.flat)
    st.streams = np.array(tables.streams, np.int64).reshape(ns, K.NS)
    st.streams_f = np.array(tables.streams_f, np.float64).reshape(ns, K.NSF)
    st.flat = np.array(tables.flat, np.int64).reshape(nf, K.NT)
    st.in_verdict = np.array(tables.verdicts, np.int64)
    st.seg_stream = np.zeros(max(ns, 1), np.int64)
    st.seg_exp = np.zeros(max(ns, 1), np.int64)
    st.seg_cum = np.zeros(max(ns, 1), np.float64)
    st.seg_mean = np.zeros(max(ns, 1), np.float64)
    e.flat_info = tables.flat_info
    e.stream_info = tables.stream_info
    e.nat.ensure_keys(len(e.key_idx))
    st.ensure_rows(len(e.vm_ids), len(e.gen_ids), len(e.dest_ids))
    e.timeline.update_eligible(e.now)


__all__ = ["apply_snapshot", "build_streams", "dest_address", "release_delays", "Route",
           "FlatInfo", "StreamInfo"]
