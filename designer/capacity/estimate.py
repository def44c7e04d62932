"""The analytic estimate: how many SNAT ports a VM needs, from the documented numbers alone.

A port is held for the flow's hold time plus the release timer of its path (C9: FIN +240 s,
RST +15 s, abandoned flows until the idle timeout; NAT gateway cool-downs M-B9), and a port
can carry flows to *different* destination keys at once (C7).  Arrivals are Poisson, so the
number of flows holding a port for one destination key at a time is Poisson with mean

    flows/s to that key x E[min(hold + release, time the generator has run)]

(an M/G/inf queue: exact for any hold distribution once the window exceeds the hold).  The
ports a VM needs are about the largest of these over its keys, and ``ports_needed_p99`` is
the 99th percentile of that Poisson count.  A pooled generator holds ``pool_size`` ports per
destination instead.  Limits (docs/capacity.md): the largest of several keys' counts and the
peak of a run over many windows lie a little above the single-key p99; lowest-free-port
allocation, probes going down and NSG denials are left to the simulation.  Behind a NAT
gateway the inventory is the gateway's, shared by every VM of its subnets (M-B8): their flows
to one destination add up (:func:`shared_key_loads`), against at most 50,000 ports per public
IP toward one destination (:func:`key_capacity`).
"""
from __future__ import annotations

import math
from typing import Any

from ..model import Scenario
from ..sim import ports as P

#: the percentile reported as "ports needed"
QUANTILE = 0.99
_Z = {0.99: 2.3263478740408408, 0.9999: 3.719016485455709, 0.0001: -3.719016485455709}
UNLIMITED_KINDS = ("instance_ip",)


def poisson_quantile(mean: float, q: float = QUANTILE) -> int:
    """The smallest k with P(Poisson(mean) <= k) >= q (exact sum up to a mean of 700, the
    normal approximation with continuity correction above, where exp(-mean) underflows)."""
    if mean <= 0:
        return 0
    if mean > 700:
        z = _Z.get(q)
        if z is None:
            raise ValueError(f"no normal quantile stored for q={q}")
        return max(0, int(math.ceil(mean + z * math.sqrt(mean) - 0.5)))
    term = math.exp(-mean)
    total, k = term, 0
    while total < q and k < 100_000:
        k += 1
        term *= mean / k
        total += term
    return k


def _held(hold_mean: float, fixed: bool, release: float, window: float) -> float:
    """E[min(hold + release, window)] for a fixed or exponential hold."""
    if window <= 0:
        return 0.0
    if fixed or hold_mean <= 0:
        return min(hold_mean + release, window)
    if window <= release:
        return window
    return release + hold_mean * (1.0 - math.exp(-(window - release) / hold_mean))


def _idle_s(scenario: Scenario, vm_id: str, protocol: str, kind: str) -> float:
    """The idle timeout on the VM's path: NAT gateway (TCP), outbound rule, LB rule (modern),
    else the fixed 4 minutes (M-A8, C9)."""
    topo = scenario.topology
    if scenario.semantics == "classic":
        return P.IDLE_TIMEOUT_S
    if kind == "nat_gateway":
        subnet = topo.subnet_of(vm_id)
        nat = topo.nat_gateway_of_subnet(subnet) if subnet else None
        if nat and protocol == "tcp":
            return topo.node(nat).idle_timeout_min * 60.0
        return P.NAT_UDP_IDLE_S
    if kind == "load_balancer":
        for lb_id in topo.load_balancers_of(vm_id):
            lb = topo.node(lb_id)
            for rule in lb.outbound_rules:
                if rule.protocol in (protocol, "all"):
                    return rule.idle_timeout_min * 60.0
            for rule in lb.rules:
                if rule.protocol in (protocol, "all") and not rule.disable_outbound_snat:
                    return rule.idle_timeout_min * 60.0
    return P.IDLE_TIMEOUT_S


def release_s(scenario: Scenario, vm_id: str, gen, kind: str) -> float:
    """How long a port stays unusable for the same destination key after the flow's hold."""
    opts = scenario.effective_options
    idle = _idle_s(scenario, vm_id, gen.protocol, kind)
    if gen.close == "idle" and gen.keepalive_s is not None and gen.keepalive_s < idle:
        return math.inf     # kept alive for good: held until the generator stops
    if kind == "nat_gateway":
        timers = P.NAT_TIMERS[opts["nat_timers"]]
        if gen.protocol == "udp":
            return idle + timers["udp"]
        if gen.close == "idle":
            return idle
        return timers[gen.close]
    if gen.protocol == "udp" or gen.close == "idle":
        return idle
    if opts["release_on_close"] == "immediate":
        return 0.0
    return P.RELEASE_FIN_S if gen.close == "fin" else P.RELEASE_RST_S


def _key(scenario: Scenario, dest, protocol: str, kind: str, flow_index: int) -> tuple:
    """The destination key a port is unique for (C7, M-A6, M-B7, M-B8)."""
    address = getattr(dest, "address", None) or dest.id
    port = getattr(dest, "port", None)
    opts = scenario.effective_options
    if kind == "nat_gateway":
        return (protocol, address, port)
    if scenario.semantics == "classic":
        if opts["port_reuse_key"] == "ip":
            return (protocol, address)
        return (protocol, address, port)
    if protocol == "udp":
        return ("udp", "flow", flow_index) if opts["udp_reuse_key"] == "flow" else ("udp",
                                                                                 address)
    return ("tcp", address, port)


def key_loads(scenario: Scenario, vm_id: str, protocol: str, kind: str,
              duration: float, cache: dict | None = None) -> dict[tuple, float]:
    """Mean number of ports held per destination key by the VM's flows of ``protocol``."""
    topo = scenario.topology
    loads: dict[tuple, float] = {}
    flow_keys = 0
    sources = cache.setdefault("sources", {}) if cache is not None else {}
    for gen in topo.nodes("traffic_generator"):
        if gen.muted or gen.direction != "outbound" or gen.protocol != protocol:
            continue
        if gen.id not in sources:
            sources[gen.id] = frozenset(topo.generator_sources(gen.id))
        if vm_id not in sources[gen.id]:
            continue
        dests = [topo.node(d) for d in topo.generator_destinations(gen.id)]
        if not dests:
            continue
        stop = duration if gen.stop_s is None else min(gen.stop_s, duration)
        window = stop - gen.start_s
        if window <= 0:
            continue
        if gen.pool_size:
            per_dest = float(gen.pool_size)
        else:
            release = release_s(scenario, vm_id, gen, kind)
            per_dest = gen.rate_per_s / len(dests) * _held(
                gen.hold.mean_s, gen.hold.distribution == "fixed", release, window)
        for dest in dests:
            flow_keys += 1
            key = _key(scenario, dest, protocol, kind, flow_keys)
            loads[key] = loads.get(key, 0.0) + per_dest
    if any(k[1] == "flow" for k in loads):      # one port per flow: every flow its own key
        return {("udp", "flow"): sum(loads.values())}
    return loads


def nat_gateway_of(scenario: Scenario, vm_id: str) -> str | None:
    topo = scenario.topology
    subnet = topo.subnet_of(vm_id)
    return topo.nat_gateway_of_subnet(subnet) if subnet else None


def shared_key_loads(scenario: Scenario, vm_id: str, protocol: str, kind: str,
                     duration: float, cache: dict | None = None) -> dict[tuple, float]:
    """The ports held per destination key in the inventory the VM draws from: its own
    allocation on a load balancer (:func:`key_loads`), but behind a NAT gateway the
    gateway's, which every running VM of every subnet it serves shares (M-B8): their flows
    to one destination add up."""
    nat = nat_gateway_of(scenario, vm_id) if kind == "nat_gateway" else None
    if nat is None:
        return key_loads(scenario, vm_id, protocol, kind, duration, cache)
    cache = {} if cache is None else cache
    memo = cache.setdefault("nat", {})
    if (nat, protocol) not in memo:
        topo = scenario.topology
        total: dict[tuple, float] = {}
        for subnet in topo.nat_subnets(nat):
            for vm in topo.vms_in_subnet(subnet):
                if topo.node(vm).state != "running":
                    continue
                for key, load in key_loads(scenario, vm, protocol, kind, duration,
                                           cache).items():
                    total[key] = total.get(key, 0.0) + load
        memo[(nat, protocol)] = total
    return memo[(nat, protocol)]


def key_capacity(scenario: Scenario, vm_id: str, kind: str, allocated: int) -> int:
    """The ports one destination key can have in the VM's inventory: its allocation, but
    behind a NAT gateway at most 50,000 per public IP toward one destination (M-B8), below
    the 64,512 per IP the gateway holds in all."""
    nat = nat_gateway_of(scenario, vm_id) if kind == "nat_gateway" else None
    if nat is None:
        return allocated
    ips = len(scenario.topology.nat_public_ips(nat))
    return min(allocated, P.NAT_MAX_PER_DESTINATION * ips) if ips else allocated


def verdict(loads: dict[tuple, float], allocated: int) -> str | None:
    """"holds" when even the 99.99th percentile fits ``allocated``, "fails" when even the
    0.01th exceeds it, else None: the region a pruned sweep still simulates."""
    if ports_needed(loads, 0.9999) <= allocated:
        return "holds"
    if ports_needed(loads, 0.0001) > allocated:
        return "fails"
    return None


def ports_needed(loads: dict[tuple, float], q: float = QUANTILE) -> int:
    """The q-quantile of the busiest key's count (what the VM needs, M/G/inf)."""
    return max((poisson_quantile(mean, q) for mean in loads.values()), default=0)


def estimate_vms(scenario: Scenario, report: dict[str, Any],
                 duration: float | None = None) -> dict[str, dict[str, Any]]:
    """Per VM with outbound flows: ``ports_needed_p99`` (and the mean of its busiest key),
    on the path and allocation that ``report`` (a run of the same scenario) shows."""
    duration = float(duration or report.get("duration_s") or 600.0)
    out: dict[str, dict[str, Any]] = {}
    cache: dict = {}
    for vm_id, vm in sorted(report.get("vms", {}).items()):
        best: dict[str, Any] | None = None
        for protocol in ("tcp", "udp"):
            path = (vm.get("protocols") or {}).get(protocol) or {}
            kind = path.get("outbound", vm.get("outbound"))
            if not key_loads(scenario, vm_id, protocol, kind, duration, cache):
                continue        # the VM sends nothing of this protocol
            loads = shared_key_loads(scenario, vm_id, protocol, kind, duration, cache)
            if not loads:
                continue
            entry = {"ports_needed_p99": ports_needed(loads),
                     "ports_needed_mean": round(max(loads.values()), 1)}
            if best is None or entry["ports_needed_p99"] > best["ports_needed_p99"]:
                best = entry
        if best is not None:
            out[vm_id] = best
    return out


def rate_for_ports(scenario: Scenario, vm_id: str, protocol: str, kind: str, duration: float,
                   allocated: int) -> float | None:
    """The factor on the VM's generator rates at which the estimate reaches ``allocated``
    (None when rates do not matter: pools, instance IPs, nothing held)."""
    if kind in UNLIMITED_KINDS or allocated <= 0:
        return None
    loads = shared_key_loads(scenario, vm_id, protocol, kind, duration)
    allocated = key_capacity(scenario, vm_id, kind, allocated)
    busiest = max(loads.values(), default=0.0)
    if busiest <= 0 or math.isinf(busiest):
        return None
    lo, hi = 0.0, 1.0
    while ports_needed({"k": busiest * hi}) <= allocated and hi < 1e6:
        lo, hi = hi, hi * 2
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if ports_needed({"k": busiest * mid}) <= allocated else (lo, mid)
    return hi
