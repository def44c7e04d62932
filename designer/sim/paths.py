"""Outbound path per VM and protocol: the precedence of M-A2/M-A3 (classic) and M-B2 (modern),
with the reason in words, the public address an Internet destination sees, the SNAT budget and
the node ids along the path.

:func:`resolve_paths` is pure and cheap: the editor calls it for "Why this path?" without
running a simulation; the engine calls :func:`resolve` on every snapshot.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

from ..model.options import scale_out_outcome
from ..model.topology import Scenario
from ..model.validation import Finding
from . import ports as P

PROTOCOLS = ("tcp", "udp")
OUTBOUND_KINDS = ("instance_ip", "nat_gateway", "load_balancer", "default", "none")
#: default SNAT / default outbound addresses are drawn from documentation ranges
DEFAULT_ADDRESS_RANGES = ("203.0.113.", "198.51.100.")


@dataclass(frozen=True)
class ProtocolPath:
    """How one protocol of one VM reaches the Internet."""
    protocol: str
    kind: str                       # one of OUTBOUND_KINDS
    reason: str
    public_ips: tuple[str, ...] = ()      # addresses an Internet destination sees
    public_ip_ids: tuple[str, ...] = ()   # node ids ("default:<group>" for Azure's address)
    nodes: tuple[str, ...] = ()           # VM -> NSGs -> LB/NAT -> public IP(s)
    via: str | None = None                # the load balancer or NAT gateway
    rule: str | None = None               # the LB rule or outbound rule that programs SNAT
    owner: tuple = ()                     # identity of the SNAT port pool
    allocation: str = "none"              # exclusive | shared | unlimited | none
    ports: int = 0                        # per-instance budget, or shared inventory (NAT)
    capacities: tuple[int, ...] = ()      # SNAT ports per public IP, same order as the ids
    idle_timeout_s: float = P.IDLE_TIMEOUT_S
    tcp_reset: bool = False
    assigned_by: str | None = None        # "azure" for default SNAT / default outbound
    key_mode: str = "ip_port"             # destination key: ip | ip_port | any (M-A6, M-B7)
    release: str = "lb"                   # lb timers (C9) or nat cool-downs (M-B9)
    not_modelled: str | None = None       # what the engine does not model on this path


@dataclass(frozen=True)
class VmPath:
    vm: str
    tcp: ProtocolPath
    udp: ProtocolPath

    def protocol(self, protocol: str) -> ProtocolPath:
        return self.tcp if protocol == "tcp" else self.udp

    # the TCP path is the one the editor shows first
    @property
    def outbound(self) -> str:
        return self.tcp.kind

    @property
    def reason(self) -> str:
        return self.tcp.reason

    @property
    def public_ips(self) -> tuple[str, ...]:
        return self.tcp.public_ips

    @property
    def nodes(self) -> tuple[str, ...]:
        return self.tcp.nodes


@dataclass
class Resolution:
    paths: dict[str, VmPath]
    findings: list[Finding]
    default_addresses: dict[str, str]
    #: M-A4: the frontend each Basic LB uses for outbound
    basic_frontend: dict[str, str] = field(default_factory=dict)


def resolve_paths(scenario: Scenario) -> dict[str, VmPath]:
    """The outbound path of every VM of ``scenario`` (no simulation needed)."""
    return resolve(scenario).paths


def basic_frontend_choice(seed: int, lb_id: str, frontends: list[str]) -> str:
    """M-A4: one frontend picked uniformly at random once per Basic LB, stable for a seed."""
    rng = np.random.default_rng([seed % (2 ** 32), zlib.crc32(lb_id.encode())])
    return frontends[int(rng.integers(len(frontends)))]


def resolve(scenario: Scenario, default_addresses: dict[str, str] | None = None) -> Resolution:
    return _Resolver(scenario, dict(default_addresses or {})).run()


class _Resolver:
    def __init__(self, scenario: Scenario, default_addresses: dict[str, str]):
        self.s = scenario
        self.t = scenario.topology
        self.classic = scenario.semantics == "classic"
        self.opts = scenario.effective_options
        self.findings: list[Finding] = []
        self._finding_keys: set[tuple[str, str | None]] = set()
        self.default_addresses = default_addresses
        self._used_defaults: set[str] | None = None
        self.basic_frontend: dict[str, str] = {}
        self._pools: dict[str, list[str]] = {}
        self._fronts: dict[str, list[str]] = {}

    def pool(self, lb_id: str) -> list[str]:
        """The backend pool of an LB (memoised: the topology answers in O(degree))."""
        got = self._pools.get(lb_id)
        if got is None:
            got = self._pools[lb_id] = self.t.backend_pool(lb_id)
        return got

    def fronts(self, lb_id: str) -> list[str]:
        got = self._fronts.get(lb_id)
        if got is None:
            got = self._fronts[lb_id] = self.t.frontends(lb_id)
        return got

    def finding(self, severity: str, code: str, message: str, node: str | None = None) -> None:
        if (code, node) in self._finding_keys:
            return
        self._finding_keys.add((code, node))
        self.findings.append(Finding(severity, code, message, node))

    # ------------------------------------------------------------------ helpers
    def addr(self, pip_id: str) -> str:
        pip = self.t.node(pip_id)
        return pip.address or _auto_address(pip_id)

    def nsg_nodes(self, vm_id: str) -> tuple[str, ...]:
        nic, subnet = self.t.nsgs_of_vm(vm_id)
        return tuple(n for n in (nic, subnet) if n)

    def aset_members(self, vm_id: str) -> list[str]:
        vm = self.t.node(vm_id)
        if not vm.availability_set:
            return [vm_id]
        return sorted(v.id for v in self.t.nodes("vm")
                      if v.availability_set == vm.availability_set)

    def default_address(self, group: str) -> str:
        if group not in self.default_addresses:
            used = self._used_defaults
            if used is None:
                used = self._used_defaults = set(self.default_addresses.values())
            n = len(self.default_addresses)
            # once the ranges' 508 addresses are all used, addresses repeat (the last candidate)
            start = n if len(used) < 254 * len(DEFAULT_ADDRESS_RANGES) else n + 599
            for i in range(start, n + 600):
                prefix = DEFAULT_ADDRESS_RANGES[(i // 254) % len(DEFAULT_ADDRESS_RANGES)]
                candidate = f"{prefix}{i % 254 + 1}"
                if candidate not in used:
                    break
            self.default_addresses[group] = candidate
            used.add(candidate)
        return self.default_addresses[group]

    def key_mode(self, protocol: str, kind: str, classic_lb: bool) -> str:
        if kind == "nat_gateway":
            return "ip_port"                                  # M-B8
        if self.classic or classic_lb:
            return "ip" if self.opts["port_reuse_key"] == "ip" else "ip_port"   # M-A6
        if protocol == "udp":
            return "ip" if self.opts["udp_reuse_key"] == "ip" else "any"        # M-B7
        return "ip_port"                                                          # M-B7

    def rule_port_blocks(self, lb_id: str, pip_id: str) -> int:
        lb = self.t.node(lb_id)
        return P.frontend_capacity([r.frontend_port for r in lb.rules if r.frontend == pip_id])

    # ------------------------------------------------------------------ run
    def run(self) -> Resolution:
        t = self.t
        lbs = sorted(t.node_ids("load_balancer"))
        for lb_id in lbs:
            lb = t.node(lb_id)
            if self.classic and lb.sku != "basic":
                self.finding("warning", "classic-only-basic",
                             f"{lb_id} is a Standard load balancer, but classic semantics know "
                             f"only Basic (M-A1); it is simulated as Basic", lb_id)
            if self.classic and lb.outbound_rules:
                self.finding("warning", "classic-no-outbound-rules",
                             f"outbound rules of {lb_id} are ignored: classic semantics have "
                             f"none (M-A1)", lb_id)
            if len(self.pool(lb_id)) > P.TIER_TABLE_MAX_POOL:
                self.finding("warning", "pool-beyond-table",
                             f"the pool of {lb_id} has {len(self.pool(lb_id))} members; "
                             f"the documented port table stops at 1,000 (32 ports are used)",
                             lb_id)
        if self.classic:
            for nat_id in t.node_ids("nat_gateway"):
                self.finding("warning", "classic-no-nat-gateway",
                             f"{nat_id} is ignored: classic semantics have no NAT gateway (M-A1)",
                             nat_id)
        else:
            for nat in t.nodes("nat_gateway"):
                if nat.sku == "standard_v2":
                    self.finding("info", "not-modelled-standard-v2",
                                 f"{nat.id} is StandardV2: its specifics (ICMP echo, resetting "
                                 f"established flows on attach, IPv6) are not modelled; it is "
                                 f"simulated as a Standard NAT gateway", nat.id)
        paths = {vm_id: VmPath(vm_id, self.path(vm_id, "tcp"), self.path(vm_id, "udp"))
                 for vm_id in sorted(t.node_ids("vm"))}
        return Resolution(paths, self.findings, self.default_addresses, self.basic_frontend)

    def path(self, vm_id: str, protocol: str) -> ProtocolPath:
        t = self.t
        nsgs = self.nsg_nodes(vm_id)
        base = (vm_id,) + nsgs
        subnet_id = t.subnet_of(vm_id)
        subnet = t.node(subnet_id) if subnet_id else None
        # M-B2.1 (and classic UDRs): a 0.0.0.0/0 route to an appliance is not modelled
        if subnet is not None and subnet.default_route != "internet":
            msg = (f"not modelled: subnet {subnet_id} sends 0.0.0.0/0 to a "
                   f"{subnet.default_route.replace('_', ' ')} (M-B2.1); the engine does not "
                   f"simulate what lies behind it, so {vm_id}'s outbound flows are counted "
                   f"as no_route")
            self.finding("warning", "not-modelled-udr", msg, subnet_id)
            return ProtocolPath(protocol, "none", msg, nodes=base,
                                not_modelled="user-defined route to " + subnet.default_route)
        if self.classic:
            return self.classic_path(vm_id, protocol, base)
        return self.modern_path(vm_id, protocol, base, subnet_id, subnet)

    # ------------------------------------------------------------------ classic (M-A2, M-A3)
    def ilpip(self, vm_id: str, protocol: str, base: tuple, extra: str = "") -> ProtocolPath:
        pip_id = self.t.instance_ip(vm_id)
        address = self.addr(pip_id)
        return ProtocolPath(
            protocol, "instance_ip",
            f"{vm_id} uses its instance public IP {address} ({pip_id}){extra}: a 1:1 "
            f"translation with every port available, so it never runs out of SNAT ports (C10)",
            (address,), (pip_id,), base + (pip_id,), allocation="unlimited")

    def public_lbs_with_rule(self, vm_id: str, basic_only: bool) -> list[tuple[str, object]]:
        """Public LBs whose pool holds the VM and that have a rule from a public frontend."""
        out = []
        for lb_id in self.t.load_balancers_of(vm_id):
            lb = self.t.node(lb_id)
            if lb.type != "public" or (basic_only and lb.sku != "basic"):
                continue
            fronts = set(self.fronts(lb_id))
            rules = [r for r in lb.rules if r.frontend in fronts]
            if rules:
                out.append((lb_id, rules[0]))
        return out

    def classic_lb(self, vm_id: str, protocol: str, base: tuple, lb_id: str,
                   rule) -> ProtocolPath:
        """Scenario 2 (M-A2): a Basic public LB with a rule; one random frontend (M-A4), the
        tier table by pool size (M-A5), both protocols whatever the rule's (M-A7)."""
        fronts = self.fronts(lb_id)
        chosen = self.basic_frontend.get(lb_id)
        if chosen is None:
            chosen = basic_frontend_choice(self.s.seed, lb_id, fronts)
            self.basic_frontend[lb_id] = chosen
        pool = self.pool(lb_id)
        budget = P.tier_ports(len(pool))
        address = self.addr(chosen)
        more = (f"; of its {len(fronts)} frontends Azure picked {chosen} for outbound (M-A4)"
                if len(fronts) > 1 else "")
        reason = (f"{vm_id} uses the load balancer frontend {address} because it is in the "
                  f"backend pool of {lb_id} and rule {rule.name} links frontend {rule.frontend} "
                  f"to that pool{more}; {len(pool)} pool member(s) give {budget} ports per VM "
                  f"(M-A5)")
        capacity = P.CLASSIC_PORTS_PER_IP if self.classic else self.rule_port_blocks(lb_id, chosen)
        return ProtocolPath(
            protocol, "load_balancer", reason, (address,), (chosen,), base + (lb_id, chosen),
            via=lb_id, rule=rule.name, owner=("lb", lb_id, (chosen,)), allocation="exclusive",
            ports=budget, capacities=(capacity,),
            key_mode=self.key_mode(protocol, "load_balancer", True))

    def default_snat(self, vm_id: str, protocol: str, base: tuple, why: str) -> ProtocolPath:
        vm = self.t.node(vm_id)
        if self.classic:
            # M-A2 scenario 3: an Azure-assigned IP shared per availability set
            group = f"aset:{vm.availability_set}" if vm.availability_set else f"vm:{vm_id}"
            members = self.aset_members(vm_id)
            budget = P.tier_ports(len(members))
            share = (f"shared by the {len(members)} VM(s) of availability set "
                     f"{vm.availability_set}" if vm.availability_set
                     else "its own (a standalone VM counts as an availability set of 1)")
            capacity = P.CLASSIC_PORTS_PER_IP
            rule = "M-A2 scenario 3"
        else:
            # M-B14: default outbound access, an address per VM
            group = f"vm:{vm_id}"
            members = self.aset_members(vm_id)
            budget = P.tier_ports(len(members))
            share = "its own"
            capacity = P.MODERN_PORTS_PER_IP
            rule = "M-B2.6 / M-B14"
        address = self.default_address(group)
        reason = (f"{vm_id} uses default SNAT through {address}, an address Azure picks "
                  f"({share}; {rule}), because {why}; {budget} ports per VM (M-A5)")
        pip_key = f"default:{group}"
        return ProtocolPath(
            protocol, "default", reason, (address,), (pip_key,), base, owner=("default", group),
            allocation="exclusive", ports=budget, capacities=(capacity,), assigned_by="azure",
            key_mode=self.key_mode(protocol, "default", False))

    def classic_path(self, vm_id: str, protocol: str, base: tuple) -> ProtocolPath:
        if self.t.instance_ip(vm_id):
            return self.ilpip(vm_id, protocol, base, " (scenario 1 beats the others, M-A3)")
        lbs = self.public_lbs_with_rule(vm_id, basic_only=False)
        if lbs:
            if len(lbs) > 1:
                self.finding("warning", "several-public-lbs",
                             f"{vm_id} is in the pools of several public load balancers "
                             f"({', '.join(l for l, _ in lbs)}); {lbs[0][0]} is used for "
                             f"outbound", vm_id)
            return self.classic_lb(vm_id, protocol, base, *lbs[0])
        why = self.no_lb_reason(vm_id)
        return self.default_snat(vm_id, protocol, base, why)

    def no_lb_reason(self, vm_id: str) -> str:
        lbs = self.t.load_balancers_of(vm_id)
        if not lbs:
            return "it has no instance public IP and is in no load balancer's pool"
        parts = []
        for lb_id in lbs:
            lb = self.t.node(lb_id)
            if lb.type == "internal":
                parts.append(f"{lb_id} is internal (an internal Basic LB changes nothing)")
            else:
                parts.append(f"{lb_id} has no load-balancing rule linking a public frontend to "
                             f"its pool")
        return "it has no instance public IP and " + "; ".join(parts)

    # ------------------------------------------------------------------ modern (M-B2)
    def modern_path(self, vm_id: str, protocol: str, base: tuple, subnet_id, subnet
                    ) -> ProtocolPath:
        t = self.t
        # M-B2.2: NAT gateway on the subnet
        nat_id = t.nat_gateway_of_subnet(subnet_id) if subnet_id else None
        if nat_id:
            pips = t.nat_public_ips(nat_id)[:P.NAT_MAX_IPS]
            if not pips:
                msg = (f"{vm_id}'s subnet {subnet_id} uses NAT gateway {nat_id}, which has no "
                       f"public IP, so it cannot translate anything: no outbound")
                self.finding("error", "nat-without-public-ip", msg, nat_id)
                return ProtocolPath(protocol, "none", msg, nodes=base + (nat_id,), via=nat_id)
            nat = t.node(nat_id)
            addresses = tuple(self.addr(p) for p in pips)
            idle = P.NAT_UDP_IDLE_S if protocol == "udp" else nat.idle_timeout_min * 60.0
            extra = ""
            if t.instance_ip(vm_id):
                extra = f"; the NAT gateway takes precedence over its instance IP"
            elif t.load_balancers_of(vm_id):
                extra = f"; the NAT gateway takes precedence over load balancers"
            reason = (f"{vm_id} uses NAT gateway {nat_id} ({', '.join(addresses)}) because it "
                      f"is attached to subnet {subnet_id} (M-B2.2){extra}; its "
                      f"{P.NAT_PORTS_PER_IP * len(pips):,} {protocol.upper()} ports are shared on "
                      f"demand by every VM of its subnets (M-B8)")
            return ProtocolPath(
                protocol, "nat_gateway", reason, addresses, tuple(pips),
                base + (nat_id,) + tuple(pips), via=nat_id, owner=("nat", nat_id),
                allocation="shared", ports=P.NAT_PORTS_PER_IP * len(pips),
                capacities=tuple(P.NAT_PORTS_PER_IP for _ in pips), idle_timeout_s=idle,
                key_mode="ip_port", release="nat")
        # M-B2.3: instance-level public IP
        if t.instance_ip(vm_id):
            return self.ilpip(vm_id, protocol, base, " (M-B2.3: no NAT gateway on its subnet)")
        # M-B2.4 / M-B2.5: public Standard LB
        standard_public = [lb_id for lb_id in t.load_balancers_of(vm_id)
                           if t.node(lb_id).type == "public" and t.node(lb_id).sku == "standard"]
        # every outbound rule first (M-B2.4), then every load-balancing rule (M-B2.5)
        for path_of in (self.outbound_rule_path, self.lb_rule_path):
            for lb_id in standard_public:
                found = path_of(vm_id, protocol, base, lb_id)
                if found is not None:
                    return found
        # legacy Basic public LB in modern semantics: scenario 2 of the classic world
        basic = self.public_lbs_with_rule(vm_id, basic_only=True)
        if basic:
            return self.classic_lb(vm_id, protocol, base, *basic[0])
        # M-B2.6: default outbound access, only if nothing forbids it
        blocked = self.default_outbound_blocker(vm_id, subnet_id, subnet)
        if blocked:
            return ProtocolPath(protocol, "none",
                                f"{vm_id} has no outbound {protocol.upper()} path: {blocked} "
                                f"(M-B2.7)", nodes=base)
        return self.default_snat(vm_id, protocol, base, self.modern_default_why(vm_id, protocol))

    def modern_default_why(self, vm_id: str, protocol: str) -> str:
        return ("it has no NAT gateway, no instance public IP and no Standard load balancer "
                "path, and its subnet is not private")

    def default_outbound_blocker(self, vm_id: str, subnet_id, subnet) -> str | None:
        t = self.t
        if subnet is not None and subnet.private:
            return f"subnet {subnet_id} is private (no default outbound access, M-B14)"
        # the VM itself first: its own pool membership is the reason to give when it has one
        members = self.aset_members(vm_id)
        for member in [vm_id] + [m for m in members if m != vm_id]:
            for lb_id in t.load_balancers_of(member):
                lb = t.node(lb_id)
                if lb.sku == "standard":
                    who = "it is" if member == vm_id else \
                        f"{member} of its availability set is"
                    what = ("which has no outbound rule or load-balancing rule with outbound "
                            "SNAT for this protocol" if lb.type == "public" else
                            "an internal load balancer")
                    return (f"{who} in the backend pool of Standard load balancer {lb_id}, "
                            f"{what}, and Standard pool members lose default outbound access")
        return None

    def outbound_rule_path(self, vm_id: str, protocol: str, base: tuple, lb_id: str
                           ) -> ProtocolPath | None:
        """M-B2.4 / M-B5: an outbound rule covering the pool for this protocol."""
        lb = self.t.node(lb_id)
        fronts = set(self.fronts(lb_id))
        snat_ips = {r.frontend for r in lb.rules if not r.disable_outbound_snat}
        pool = self.pool(lb_id)
        for rule in sorted(lb.outbound_rules, key=lambda r: r.name):
            if rule.protocol not in (protocol, "all"):
                continue
            ips = [f for f in rule.frontends if f in fronts]
            if not ips:
                self.finding("error", "outbound-rule-without-frontend",
                             f"outbound rule {rule.name} of {lb_id} names no frontend of {lb_id}; "
                             f"it is ignored", lb_id)
                continue
            if rule.allocated_ports % P.PORT_BLOCK:
                self.finding("error",
                             "SpecifiedAllocatedOutboundPortsForOutboundRuleIsNotAMultipleOfEight",
                             f"outbound rule {rule.name} of {lb_id} allocates "
                             f"{rule.allocated_ports} ports, not a multiple of 8; Azure rejects "
                             f"the rule, so it is ignored (M-B5)", lb_id)
                continue
            clash = sorted(set(ips) & snat_ips)
            if clash:
                self.finding("error", "outbound-rule-ip-used-by-lb-rule",
                             f"outbound rule {rule.name} of {lb_id} uses {', '.join(clash)}, "
                             f"which a load-balancing rule still uses with "
                             f"disable_outbound_snat false; Azure rejects the outbound rule, so "
                             f"it is ignored (M-B5)", lb_id)
                continue
            capacities = tuple(self.rule_port_blocks(lb_id, ip) for ip in ips)
            if rule.allocated_ports == 0:
                budget = P.modern_default_ports(len(pool), len(ips))
                how = (f"allocated_ports 0 gives the default MIN(table x {len(ips)} frontend(s), "
                       f"1,024) = {budget} ports (M-B4)")
            else:
                budget = rule.allocated_ports
                how = f"{budget} ports per instance (M-B5)"
                if budget * len(pool) > sum(capacities):
                    zero = self.opts.get("outbound_scale_out") == "zero_ports"
                    self.finding(
                        "warning" if zero else "error",
                        "SpecifiedAllocatedOutboundPortsForOutboundRuleExceedsTotalNumberOfAvailablePorts",
                        f"outbound rule {rule.name} of {lb_id}: {budget:,} ports x {len(pool)} "
                        f"instances exceed the {sum(capacities):,} ports of its frontend(s); at "
                        f"most {P.max_ports_per_instance(sum(capacities), len(pool)):,} per "
                        f"instance fit; "
                        + scale_out_outcome(budget, len(pool), sum(capacities), zero)
                        + " (M-B5)", lb_id)
            addresses = tuple(self.addr(ip) for ip in ips)
            reason = (f"{vm_id} uses the load balancer frontend {', '.join(addresses)} because "
                      f"it is in the backend pool of {lb_id} and outbound rule {rule.name} "
                      f"covers that pool for {protocol.upper()} (M-B2.4); {how}")
            if len(ips) > 1:
                reason += "; frontends are consumed one at a time (M-B6)"
            return ProtocolPath(
                protocol, "load_balancer", reason, addresses, tuple(ips),
                base + (lb_id,) + tuple(ips), via=lb_id, rule=rule.name,
                owner=("outbound_rule", lb_id, rule.name, tuple(ips)), allocation="exclusive",
                ports=budget, capacities=capacities,
                idle_timeout_s=rule.idle_timeout_min * 60.0, tcp_reset=rule.enable_tcp_reset,
                key_mode=self.key_mode(protocol, "load_balancer", False))
        return None

    def lb_rule_path(self, vm_id: str, protocol: str, base: tuple, lb_id: str
                     ) -> ProtocolPath | None:
        """M-B2.5 / M-B4: implicit SNAT of load-balancing rules, for the rule's protocol only."""
        lb = self.t.node(lb_id)
        fronts = set(self.fronts(lb_id))
        rules = [r for r in lb.rules if r.frontend in fronts and not r.disable_outbound_snat
                 and r.protocol in (protocol, "all")]
        if not rules:
            return None
        ips = sorted({r.frontend for r in rules})
        pool = self.pool(lb_id)
        budget = P.modern_default_ports(len(pool), len(ips))
        rule = sorted(rules, key=lambda r: r.name)[0]
        addresses = tuple(self.addr(ip) for ip in ips)
        reason = (f"{vm_id} uses the load balancer frontend {', '.join(addresses)} because it is "
                  f"in the backend pool of {lb_id} and rule {rule.name} links frontend "
                  f"{rule.frontend} to that pool with outbound SNAT for {protocol.upper()} "
                  f"(M-B2.5); {len(pool)} pool member(s) and {len(ips)} frontend(s) give "
                  f"{budget} ports per VM (M-B4)")
        if len(ips) > 1:
            reason += "; frontends are consumed one at a time (M-B6)"
        return ProtocolPath(
            protocol, "load_balancer", reason, addresses, tuple(ips),
            base + (lb_id,) + tuple(ips), via=lb_id, rule=rule.name,
            owner=("lb", lb_id, tuple(ips)), allocation="exclusive", ports=budget,
            capacities=tuple(self.rule_port_blocks(lb_id, ip) for ip in ips),
            idle_timeout_s=P.IDLE_TIMEOUT_S, tcp_reset=rule.enable_tcp_reset,
            key_mode=self.key_mode(protocol, "load_balancer", False))


def _auto_address(pip_id: str) -> str:
    """A stable documentation-range address for a public IP drawn without one."""
    return f"198.18.{zlib.crc32(pip_id.encode()) % 250 + 1}.{zlib.crc32(pip_id[::-1].encode()) % 250 + 1}"


# ============================================================================ one VM at a time
#
# The editor asks for one VM's path at a time ("Why this path?" on a click).  Resolving every
# VM took 0.5-1.5 s at 1,600 VMs; the classes below resolve VMs only as far as asked (the
# topology answers each question from its index by node and link kind) and keep the answers
# until something that matters changes.

#: fields whose change never changes a path (the reasons name nodes by id)
_PATH_NEUTRAL_FIELDS = frozenset({"position", "size", "name"})


class _NeedsOrder(Exception):
    """A VM resolved out of id order needs an Azure-assigned address."""


class _IncrementalResolver(_Resolver):
    """A resolver that keeps its Azure-assigned addresses in a set (the base class rebuilds
    one per request, quadratic in the VMs on default SNAT); same addresses, same order.
    While ``probing``, asking for a new address raises :class:`_NeedsOrder` instead."""

    def __init__(self, scenario, default_addresses: dict[str, str]):
        super().__init__(scenario, default_addresses)
        self.probing = False
        self._used_addresses = set(default_addresses.values())
        # the members of each availability set, once (the base class scans every VM per ask)
        self._asets: dict[str, list[str]] = {}
        for vm in self.t.nodes("vm"):
            if vm.availability_set:
                self._asets.setdefault(vm.availability_set, []).append(vm.id)
        for members in self._asets.values():
            members.sort()

    def aset_members(self, vm_id: str) -> list[str]:
        vm = self.t.node(vm_id)
        return self._asets[vm.availability_set] if vm.availability_set else [vm_id]

    def register(self, path: VmPath) -> None:
        """Take note of the Azure-assigned addresses of a path resolved before (as if this
        resolver had resolved it, in id order)."""
        for p in (path.tcp, path.udp):
            if p.kind == "default" and p.public_ip_ids:
                group = p.public_ip_ids[0].removeprefix("default:")
                if group not in self.default_addresses:
                    self.default_addresses[group] = p.public_ips[0]
                    self._used_addresses.add(p.public_ips[0])

    def default_address(self, group: str) -> str:
        if group not in self.default_addresses:
            if self.probing:
                raise _NeedsOrder(group)
            n = len(self.default_addresses)
            for i in range(n, n + 600):
                prefix = DEFAULT_ADDRESS_RANGES[(i // 254) % len(DEFAULT_ADDRESS_RANGES)]
                candidate = f"{prefix}{i % 254 + 1}"
                if candidate not in self._used_addresses:
                    break
            self.default_addresses[group] = candidate
            self._used_addresses.add(candidate)
        return self.default_addresses[group]


class PathCache:
    """Outbound paths of a scenario's VMs, one at a time, equal to
    ``resolve(scenario).paths[vm_id]``; kept until the topology changes in a way that can
    change a path (moves, resizes and renames do not).  Follows the topology's change
    notifications; :meth:`close` stops that."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self._resolver: _IncrementalResolver | None = None
        self._order: list[str] = []
        self._next = 0
        self._paths: dict[str, VmPath] = {}
        scenario.topology.subscribe(self._changed)

    def close(self) -> None:
        self.scenario.topology.unsubscribe(self._changed)

    def _changed(self, event) -> None:
        kind = event.kind
        if kind == "moved" or (kind == "property_changed" and
                               event.field in _PATH_NEUTRAL_FIELDS):
            return
        if kind in ("node_added", "node_removed"):
            # a node on its own (its links are events of their own) changes no path, but a
            # VM takes or gives back an Azure-assigned address in id order: the answers of
            # VMs before it stand, and so do those without such an address
            component = event.new if kind == "node_added" else event.old
            if component.KIND == "vm":
                self._resolver = None
                self._paths = {k: v for k, v in self._paths.items()
                               if k < event.node_id or not _assigned_by_azure(v)}
            return
        self.invalidate()

    def invalidate(self) -> None:
        """Forget every answer."""
        self._resolver = None
        self._paths = {}

    def vm_path(self, vm_id: str) -> VmPath:
        """The path of ``vm_id`` (KeyError when it is not a VM of the scenario)."""
        found = self._paths.get(vm_id)
        if found is not None:
            return found
        s = self.scenario
        if self._resolver is None:
            self._resolver = _IncrementalResolver(s, {})
            self._order = sorted(s.topology.node_ids("vm"))
            self._next = 0
        component = s.topology.get(vm_id)
        if component is None or component.KIND != "vm":
            raise KeyError(vm_id)
        r = self._resolver
        # Azure-assigned addresses are handed out in VM id order, as resolve() does: a VM
        # that needs one is resolved after every VM before it; any other path stands alone
        r.probing = True
        try:
            path = VmPath(vm_id, r.path(vm_id, "tcp"), r.path(vm_id, "udp"))
        except _NeedsOrder:
            path = None
        finally:
            r.probing = False
        if path is not None:
            self._paths[vm_id] = path
            return path
        while True:
            current = self._order[self._next]
            self._next += 1
            known = self._paths.get(current)
            if known is None:
                known = self._paths[current] = VmPath(current, r.path(current, "tcp"),
                                                      r.path(current, "udp"))
            else:  # kept from before: the resolver hands out the same addresses after it
                r.register(known)
            if current == vm_id:
                return known


def _assigned_by_azure(path: VmPath) -> bool:
    return path.tcp.kind == "default" or path.udp.kind == "default"
