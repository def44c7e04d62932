"""Azure-aware validation: findings with a severity, the node or link concerned, a rule code
and a plain message.

Each check below is one rule of docs/validation.md (which lists every code, its severity,
what triggers it and the Azure source).  Codes are stable: Azure's own error names where
Azure has one (M-B16), otherwise short kebab-case names.

The checks read the topology through its domain queries and precomputed maps, so validation
stays roughly linear in the size of the topology (the only pairwise comparison, subnet
overlap, sorts the subnets of one VNet by address instead of comparing every pair).
"""
from __future__ import annotations

import ipaddress
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable

from .components import LoadBalancer, OutboundRule, PublicIp
from .links import LINK_RULES, NAT_GATEWAY_MAX_IPS, Link
from .options import OPTION_SPECS
from .topology import FIRST_HOST_OFFSET, IMPLIED_SUBNET_PREFIX, Scenario, Topology
from .values import parse_cidr, parse_ipv4

SEVERITIES = ("error", "warning", "info")
_SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}

# -------------------------------------------------------------------------- Azure numbers
#: SNAT ports per load balancer frontend IP (2018+; §2.2, M-B3)
LB_PORTS_PER_FRONTEND = 64_000
#: each 8-port block used by a frontend port of a load-balancing rule costs 8 ports (M-B3)
LB_RULE_BLOCK = 8
#: outbound rule allocations are multiples of 8 (§2.4, M-B5)
OUTBOUND_PORT_MULTIPLE = 8
#: the most ports one instance can receive from an outbound rule (one IP's worth; §2.4)
OUTBOUND_MAX_PORTS_PER_INSTANCE = 64_000
#: the default preallocation table ends at 801-1,000 instances (M-A5, §2.3)
MAX_POOL_SIZE = 1_000
#: custom NSG priorities (§4.1, M-A11, M-B13); the 2016 text allowed more (compat option)
NSG_PRIORITY_MIN, NSG_PRIORITY_MAX, NSG_PRIORITY_MAX_COMPAT = 100, 4096, 65499
#: classic idle timeout is fixed at 4 minutes (M-A8)
CLASSIC_IDLE_TIMEOUT_MIN = 4
#: classic probes: numberOfProbes >= 2 and interval x count <= 120 s (M-A10)
CLASSIC_PROBE_MIN_COUNT, CLASSIC_PROBE_MAX_WINDOW_S = 2, 120
#: Azure's smallest IPv4 subnet (5 addresses are reserved, so /29 leaves 3 usable)
SMALLEST_SUBNET_PREFIXLEN = 29

# M-B16 and related Azure error names, raised verbatim
NOT_MULTIPLE_OF_EIGHT = "SpecifiedAllocatedOutboundPortsForOutboundRuleIsNotAMultipleOfEight"
EXCEEDS_AVAILABLE = "SpecifiedAllocatedOutboundPortsForOutboundRuleExceedsTotalNumberOfAvailablePorts"
EXCEEDS_ALLOWED_PER_RULE = \
    "SpecifiedAllocatedOutboundPortsForOutboundRuleExceedsTotalNumberOfAllowedPortsPerRule"
LB_RULE_MUST_DISABLE_SNAT = \
    "LoadBalancingRuleMustDisableSNATSinceSameFrontendIPConfigurationIsReferencedByOutboundRule"
LB_IP_SKU_MISMATCH = "PublicIPAndLBSkuDoNotMatch"
SKU_MIX = "DifferentSkuLoadBalancersAndPublicIPAddressNotAllowed"
OUTBOUND_RULES_SHARE_FRONTEND = \
    "MoreThanOneOutboundRuleUsingSameFrontendIPConfigurationAndProtocolIsNotSupported"


@dataclass(frozen=True)
class Finding:
    severity: str  # error / warning / info
    code: str      # a stable rule code, e.g. "public-ip-attached-twice" or an Azure error name
    message: str
    node_id: str | None = None
    link: Link | None = None
    #: the rule of the Azure specification this finding applies (e.g. "M-B5", "§4.1")
    rule: str = ""

    def format(self) -> str:
        where = self.node_id or (self.link.describe() if self.link else "scenario")
        return f"{self.severity}: {where}: {self.message} [{self.code}]"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"severity": self.severity, "code": self.code,
                               "message": self.message}
        if self.node_id:
            out["node"] = self.node_id
        if self.link:
            out["link"] = {"from": self.link.source, "to": self.link.target,
                           "kind": self.link.kind}
        if self.rule:
            out["rule"] = self.rule
        return out

    def sort_key(self) -> tuple:
        where = self.node_id or (self.link.source if self.link else "")
        return (_SEVERITY_RANK.get(self.severity, len(SEVERITIES)), where, self.code,
                self.message)


def validate(scenario: Scenario) -> list[Finding]:
    """Every finding for ``scenario``: errors first, then warnings, then notes; each group
    by node id (scenario-wide findings first), then code."""
    checker = _Checker(scenario)
    checker.run()
    return sorted(checker.findings + recorded_findings(scenario), key=Finding.sort_key)


def recorded_findings(scenario: Scenario) -> list[Finding]:
    """The findings an importer recorded with the document (skipped resources, behaviour
    the simulation does not model), as findings beside validation's own."""
    return [Finding(f["severity"], f["code"], f["message"], f.get("node"), rule=f.get("rule", ""))
            for f in scenario.live_recorded_findings()]


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


# ============================================================================ the checks

def _protocols_overlap(a: str, b: str) -> bool:
    return a == b or "all" in (a, b)


def _names(ids: Iterable[str]) -> str:
    return ", ".join(sorted(ids))


def _net(text: str) -> ipaddress.IPv4Network | None:
    return parse_cidr(text) if isinstance(text, str) else None


_USE_WORDS = {"frontend": "frontend of load balancer", "instance_ip": "instance IP of VM",
              "nat": "public IP of NAT gateway"}

#: how a multiplicity problem reads, per (link kind, direction)
_LIMIT_WORDS = {
    ("in_subnet", "out"): "VM {node} is in {n} subnets ({others}); a NIC is in exactly one subnet",
    ("in_vnet", "out"): "subnet {node} is in {n} virtual networks ({others}); a subnet belongs "
                        "to exactly one VNet",
    ("instance_ip", "out"): "VM {node} has {n} instance public IPs ({others}); its NIC has one "
                            "primary IP configuration, with at most one public IP",
    ("nsg", "in"): "{kind} {node} has {n} NSGs ({others}); Azure associates at most one NSG "
                   "with a NIC and one with a subnet",
    ("nat", "in"): "subnet {node} has {n} NAT gateways ({others}); a subnet can use one NAT "
                   "gateway",
}


class _Checker:
    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.topology: Topology = scenario.topology
        self.options = scenario.effective_options
        self.classic = scenario.semantics == "classic"
        self.findings: list[Finding] = []
        topo = self.topology
        # one pass over nodes and links builds the maps every check reads (the topology's
        # own queries walk networkx edge views, which is slow when asked 10,000 times)
        self.comp = {c.id: c for c in topo.nodes()}
        self.by_kind: dict[str, list] = defaultdict(list)
        for component in sorted(self.comp.values(), key=lambda c: c.id):
            self.by_kind[component.KIND].append(component)
        self.links = topo.links()
        self._out: dict[tuple[str, str], list[str]] = defaultdict(list)
        self._in: dict[tuple[str, str], list[str]] = defaultdict(list)
        for link in self.links:
            self._out[(link.source, link.kind)].append(link.target)
            self._in[(link.target, link.kind)].append(link.source)
        self._nets: dict[str, ipaddress.IPv4Network | None] = {}

    def add(self, severity: str, code: str, message: str, node_id: str | None = None,
            link: Link | None = None, rule: str = "") -> None:
        self.findings.append(Finding(severity, code, message, node_id, link, rule))

    def nodes(self, kind: str) -> list:
        return self.by_kind.get(kind, [])

    def out(self, node_id: str, kind: str) -> list[str]:
        """Targets of ``kind`` links from a node, sorted."""
        return sorted(self._out.get((node_id, kind), ()))

    def into(self, node_id: str, kind: str) -> list[str]:
        """Sources of ``kind`` links to a node, sorted."""
        return sorted(self._in.get((node_id, kind), ()))

    def first_out(self, node_id: str, kind: str) -> str | None:
        targets = self._out.get((node_id, kind))
        return min(targets) if targets else None

    def subnet_net(self, subnet_id: str) -> ipaddress.IPv4Network | None:
        if subnet_id not in self._nets:
            self._nets[subnet_id] = _net(self.comp[subnet_id].prefix)
        return self._nets[subnet_id]

    def run(self) -> None:
        self.check_options()
        self.check_link_limits()
        self.check_public_ips()
        self.check_load_balancers()
        self.check_pool_members()
        self.check_nat_gateways()
        self.check_nsgs()
        self.check_generators()
        self.check_subnets()
        self.check_vm_addresses()

    # ------------------------------------------------------------------ scenario options
    def check_options(self) -> None:
        for name in sorted(self.scenario.options):
            spec = OPTION_SPECS.get(name)
            if spec is not None and spec.semantics not in ("both", self.scenario.semantics):
                self.add("info", "option-not-applicable",
                         f"option {name} applies to {spec.semantics} semantics only; it has "
                         f"no effect under {self.scenario.semantics}", rule="§8")

    # ------------------------------------------------------------------ link multiplicity
    def check_link_limits(self) -> None:
        for (node, kind), others in sorted(self._out.items()):
            rule = LINK_RULES[kind]
            if rule.max_out is not None and len(others) > rule.max_out:
                self._limit_finding(node, kind, "out", others, rule.max_out)
        for (node, kind), others in sorted(self._in.items()):
            rule = LINK_RULES[kind]
            if rule.max_in is None or len(others) <= rule.max_in:
                continue
            if self.comp[node].KIND == "public_ip":
                continue  # reported as public-ip-attached-twice, naming every use
            self._limit_finding(node, kind, "in", others, rule.max_in)

    def _limit_finding(self, node: str, kind: str, direction: str, others: list[str],
                       limit: int) -> None:
        component = self.comp[node]
        template = _LIMIT_WORDS.get((kind, direction))
        label = component.LABEL.lower()
        if template:
            message = template.format(node=node, n=len(others), others=_names(others),
                                      kind=label)
        else:
            arrow = "outgoing" if direction == "out" else "incoming"
            message = (f"{label} {node} has {len(others)} {arrow} {kind} links "
                       f"({_names(others)}); at most {limit} allowed")
        self.add("error", "link-limit", message, node,
                 rule="§4.4" if kind == "nsg" else "§2.7" if kind == "nat" else "")

    # ------------------------------------------------------------------ public IPs
    def check_public_ips(self) -> None:
        for pip in self.nodes("public_ip"):
            users = [Link(source, pip.id, kind) for kind in ("frontend", "instance_ip", "nat")
                     for source in self._in.get((pip.id, kind), ())]
            if len(users) > 1:
                uses = "; ".join(f"{_USE_WORDS.get(l.kind, l.kind)} {l.source}"
                                 for l in sorted(users, key=lambda l: (l.kind, l.source)))
                self.add("error", "public-ip-attached-twice",
                         f"public IP {pip.id} is attached {len(users)} times ({uses}); a public "
                         f"IP belongs to one IP configuration only", pip.id)
            if self.classic and pip.sku == "standard":
                self.add("error", "classic-standard-sku",
                         f"public IP {pip.id} is Standard SKU; classic semantics has only Basic "
                         f"public IPs (M-A1)", pip.id, rule="M-A1")

    # ------------------------------------------------------------------ load balancers
    def check_load_balancers(self) -> None:
        for lb in self.nodes("load_balancer"):
            self.check_load_balancer(lb)

    def check_load_balancer(self, lb: LoadBalancer) -> None:
        frontends = self.out(lb.id, "frontend")
        frontend_set = set(frontends)
        pool = self.out(lb.id, "backend")
        basic = lb.sku == "basic"

        if self.classic and not basic:
            self.add("error", "classic-standard-sku",
                     f"load balancer {lb.id} is Standard SKU; classic semantics has only the "
                     f"Basic load balancer (M-A1)", lb.id, rule="M-A1")
        if not self.classic and basic:
            self.add("warning", "basic-lb-retired",
                     f"load balancer {lb.id} is Basic SKU, which Azure retired on 30 September "
                     f"2025 (no new deployments after 31 March 2025); modern semantics keeps it "
                     f"only for migration tests", lb.id, rule="§1.5")

        if lb.type == "internal" and frontends:
            self.add("error", "internal-lb-public-frontend",
                     f"load balancer {lb.id} is internal but has public frontend(s) "
                     f"{_names(frontends)}; an internal load balancer's frontend is a private "
                     f"IP (make it public, or unlink the public IPs)", lb.id, rule="§1.4")
        if lb.type == "public" and not frontends:
            self.add("warning", "public-lb-no-frontend",
                     f"public load balancer {lb.id} has no frontend public IP; its rules carry "
                     f"no traffic and it gives its pool no outbound path", lb.id, rule="§1.1")

        for pip_id in frontends:
            pip = self.comp[pip_id]
            if pip.sku != lb.sku:
                self.add("error", LB_IP_SKU_MISMATCH,
                         f"{pip.sku.capitalize()} public IP {pip_id} is a frontend of "
                         f"{lb.sku.capitalize()} load balancer {lb.id}; the SKUs must match",
                         lb.id, Link(lb.id, pip_id, "frontend"), rule="§1.5")

        if len(pool) > MAX_POOL_SIZE:
            # the engine simulates such a pool with the table's last tier (32 ports); the
            # same code and node as its own finding, so the report lists it once
            self.add("warning", "pool-beyond-table",
                     f"the backend pool of load balancer {lb.id} has {len(pool):,} VMs; the "
                     f"documented port preallocation table ends at {MAX_POOL_SIZE:,} instances "
                     f"(M-A5), so each VM is simulated with its last tier, 32 ports",
                     lb.id, rule="M-A5")

        self._duplicate_names(lb.id, [r.name for r in lb.rules], "load-balancing rule")
        self._duplicate_names(lb.id, [r.name for r in lb.outbound_rules], "outbound rule")

        # load-balancing rules
        seen_ports: dict[tuple[str, int], list] = defaultdict(list)
        for rule in lb.rules:
            if lb.type == "public" and rule.frontend not in frontend_set:
                self.add("error", "lb-rule-unknown-frontend",
                         f"rule {rule.name} of load balancer {lb.id} names frontend "
                         f"{rule.frontend or '(none)'}, " + self._not_a_frontend(lb, rule.frontend),
                         lb.id, rule="§1.1")
            for other in seen_ports[(rule.frontend, rule.frontend_port)]:
                if _protocols_overlap(other.protocol, rule.protocol):
                    self.add("error", "lb-rule-frontend-port-duplicate",
                             f"rules {other.name} and {rule.name} of load balancer {lb.id} both "
                             f"listen on {rule.frontend}:{rule.frontend_port} "
                             f"({other.protocol}/{rule.protocol})", lb.id, rule="§1.5")
                    break
            seen_ports[(rule.frontend, rule.frontend_port)].append(rule)
            if rule.enable_tcp_reset and (basic or self.classic):
                self._unsupported(lb, "tcp-reset", f"rule {rule.name} enables TCP reset",
                                  "TCP reset on idle")
            if self.classic and rule.idle_timeout_min != CLASSIC_IDLE_TIMEOUT_MIN:
                self.add("warning", "classic-idle-timeout-fixed",
                         f"rule {rule.name} of load balancer {lb.id} sets an idle timeout of "
                         f"{rule.idle_timeout_min} min; the classic idle timeout is fixed at "
                         f"{CLASSIC_IDLE_TIMEOUT_MIN} min and the simulation uses 4 (M-A8)",
                         lb.id, rule="M-A8")

        probe = lb.probe
        if probe is not None and self.classic:
            if probe.count < CLASSIC_PROBE_MIN_COUNT:
                self.add("error", "classic-probe-count",
                         f"the health probe of load balancer {lb.id} has count {probe.count}; "
                         f"the classic numberOfProbes is at least {CLASSIC_PROBE_MIN_COUNT} "
                         f"(M-A10)", lb.id, rule="M-A10")
            if probe.interval_s * probe.count > CLASSIC_PROBE_MAX_WINDOW_S:
                self.add("error", "classic-probe-window",
                         f"the health probe of load balancer {lb.id} takes {probe.interval_s} s "
                         f"x {probe.count} = {probe.interval_s * probe.count} s to change state; "
                         f"classic allows at most {CLASSIC_PROBE_MAX_WINDOW_S} s (M-A10)",
                         lb.id, rule="M-A10")
        if lb.probe is not None and lb.probe.protocol == "https" and (basic or self.classic):
            self._unsupported(lb, "https-probe", "its health probe uses HTTPS", "HTTPS probes")

        # outbound rules
        if lb.outbound_rules:
            if basic or self.classic:
                for rule in lb.outbound_rules:
                    self._unsupported(lb, "outbound-rule", f"it has outbound rule {rule.name}",
                                      "outbound rules")
            if lb.type == "internal":
                self.add("error", "outbound-rule-needs-public-lb",
                         f"internal load balancer {lb.id} has outbound rules; outbound rules "
                         f"translate to public frontends and need a public load balancer",
                         lb.id, rule="§2.4")
            blocks = self._rule_blocks(lb)
            for rule in lb.outbound_rules:
                self.check_outbound_rule(lb, rule, frontend_set, pool, blocks)
            self._outbound_rules_sharing_frontends(lb)

    def _not_a_frontend(self, lb: LoadBalancer, ref: str) -> str:
        component = self.comp.get(ref) if ref else None
        known = _names(self.out(lb.id, "frontend")) or "none"
        if component is None:
            return f"but there is no node with that id (its frontends: {known})"
        if component.KIND != "public_ip":
            return f"which is a {component.LABEL.lower()}, not a public IP (its frontends: {known})"
        return f"but that public IP is not linked as one of its frontends (its frontends: {known})"

    def _unsupported(self, lb: LoadBalancer, what: str, detail: str, feature: str) -> None:
        if self.classic:
            self.add("error", f"classic-{what}",
                     f"load balancer {lb.id}: {detail}; classic semantics (the 2017 Basic load "
                     f"balancer) has no {feature} (M-A1)", lb.id, rule="M-A1")
        else:
            self.add("error", f"{what}-needs-standard",
                     f"load balancer {lb.id}: {detail}, but a Basic load balancer has no "
                     f"{feature}; make it Standard", lb.id, rule="§1.5")

    def _duplicate_names(self, node_id: str, names: list[str], what: str) -> None:
        seen: set[str] = set()
        reported: set[str] = set()
        for name in names:
            if name in seen and name not in reported:
                reported.add(name)
                code = "nsg-rule-name-duplicate" if what == "security rule" else \
                    "lb-rule-name-duplicate"
                self.add("error", code, f"{node_id} has more than one {what} named {name}; "
                                        f"names are unique per {'NSG' if what == 'security rule' else 'load balancer'}",
                         node_id, rule="§4.1" if what == "security rule" else "")
            seen.add(name)

    def _rule_blocks(self, lb: LoadBalancer) -> dict[str, set[int]]:
        """8-port blocks taken by load-balancing rule frontend ports, per frontend IP (M-B3)."""
        blocks: dict[str, set[int]] = defaultdict(set)
        for rule in lb.rules:
            blocks[rule.frontend].add(rule.frontend_port // LB_RULE_BLOCK)
        return blocks

    def check_outbound_rule(self, lb: LoadBalancer, rule: OutboundRule, frontend_set: set[str],
                            pool: list[str], blocks: dict[str, set[int]]) -> None:
        where = f"outbound rule {rule.name} of load balancer {lb.id}"
        if not rule.frontends:
            self.add("error", "outbound-rule-no-frontend",
                     f"{where} names no frontend; an outbound rule needs at least one frontend "
                     f"public IP", lb.id, rule="§2.4")
        valid = []
        for ref in rule.frontends:
            if ref in frontend_set:
                valid.append(ref)
            else:
                self.add("error", "outbound-rule-unknown-frontend",
                         f"{where} names frontend {ref}, " + self._not_a_frontend(lb, ref),
                         lb.id, rule="§2.4")
        ports = rule.allocated_ports
        if ports % OUTBOUND_PORT_MULTIPLE:
            self.add("error", NOT_MULTIPLE_OF_EIGHT,
                     f"{where} allocates {ports} ports per instance, which is not a multiple "
                     f"of 8 (Azure rejects it; use {ports // 8 * 8} or {ports // 8 * 8 + 8})",
                     lb.id, rule="M-B5")
        if ports > OUTBOUND_MAX_PORTS_PER_INSTANCE:
            self.add("error", EXCEEDS_ALLOWED_PER_RULE,
                     f"{where} allocates {ports:,} ports per instance; an instance can receive "
                     f"at most {OUTBOUND_MAX_PORTS_PER_INSTANCE:,} ports", lb.id, rule="M-B16")
        elif ports > 0 and pool and valid:
            available = sum(LB_PORTS_PER_FRONTEND - LB_RULE_BLOCK * len(blocks.get(ip, ()))
                            for ip in valid)
            if ports * len(pool) > available:
                per_instance = available // len(pool) // 8 * 8
                block = self.options.get("outbound_scale_out", "block") == "block"
                self.add("error" if block else "warning", EXCEEDS_AVAILABLE,
                         f"{where} allocates {ports:,} ports to each of {len(pool)} instances "
                         f"= {ports * len(pool):,}, more than the {available:,} available on "
                         f"its {len(valid)} frontend IP(s) ({_names(valid)}); at most "
                         f"{per_instance:,} per instance"
                         + ("" if block else "; with outbound_scale_out=zero_ports the "
                                             "instances beyond the budget get no ports"),
                         lb.id, rule="M-B5")
        for lb_rule in lb.rules:
            if lb_rule.frontend in valid and not lb_rule.disable_outbound_snat:
                self.add("error", LB_RULE_MUST_DISABLE_SNAT,
                         f"{where} uses frontend {lb_rule.frontend}, which load-balancing rule "
                         f"{lb_rule.name} also uses with disable_outbound_snat=false; set "
                         f"disable_outbound_snat on {lb_rule.name} or use another IP",
                         lb.id, rule="M-B5")

    def _outbound_rules_sharing_frontends(self, lb: LoadBalancer) -> None:
        users: dict[str, list[OutboundRule]] = defaultdict(list)
        for rule in lb.outbound_rules:
            for ref in dict.fromkeys(rule.frontends):
                for other in users[ref]:
                    if _protocols_overlap(other.protocol, rule.protocol):
                        self.add("error", OUTBOUND_RULES_SHARE_FRONTEND,
                                 f"outbound rules {other.name} and {rule.name} of load balancer "
                                 f"{lb.id} both use frontend {ref} for overlapping protocols "
                                 f"({other.protocol}/{rule.protocol})", lb.id, rule="§2.4")
                users[ref].append(rule)

    # ------------------------------------------------------------------ SKU mixing per VM
    def check_pool_members(self) -> None:
        # Azure: "Different basic sku and standard sku load balancer or public Ip resources in
        # availability set is not allowed" -- one VM, or every VM of an availability set, uses
        # load balancers and instance public IPs of one SKU only
        groups: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(
            lambda: {"basic": set(), "standard": set()})
        members: dict[tuple[str, str], list[str]] = defaultdict(list)
        for vm in self.nodes("vm"):
            key = ("set", vm.availability_set) if vm.availability_set else ("vm", vm.id)
            members[key].append(vm.id)
            for lb_id in self.into(vm.id, "backend"):
                groups[key][self.comp[lb_id].sku].add(f"load balancer {lb_id}")
            ip_id = self.first_out(vm.id, "instance_ip")
            if ip_id:
                groups[key][self.comp[ip_id].sku].add(f"public IP {ip_id}")
        for key, skus in groups.items():
            if skus["basic"] and skus["standard"]:
                vms = members[key]
                who = f"VM {vms[0]}" if key[0] == "vm" else \
                    f"availability set {key[1]} (VMs {_names(vms)})"
                self.add("error", SKU_MIX,
                         f"{who} uses Basic ({_names(skus['basic'])}) and Standard "
                         f"({_names(skus['standard'])}) resources; Basic and Standard load "
                         f"balancers and public IPs cannot be mixed on one VM or availability set",
                         vms[0], rule="§1.5")
        for vm in self.nodes("vm"):
            lbs = [self.comp[i] for i in self.into(vm.id, "backend")]
            ip_id = self.first_out(vm.id, "instance_ip")
            ip: PublicIp | None = self.comp[ip_id] if ip_id else None
            subnet = self.first_out(vm.id, "in_subnet")
            nats = self.into(subnet, "nat") if subnet else []
            if nats:
                nat = nats[0]
                basic_lbs = [lb.id for lb in lbs if lb.sku == "basic"]
                if basic_lbs:
                    self.add("error", "nat-gateway-basic-sku",
                             f"VM {vm.id} is in subnet {subnet}, which uses NAT gateway {nat}, "
                             f"and in the pool of Basic load balancer(s) {_names(basic_lbs)}; a "
                             f"Basic load balancer cannot coexist with a NAT gateway",
                             vm.id, rule="§1.5")
                if ip is not None and ip.sku == "basic":
                    self.add("error", "nat-gateway-basic-sku",
                             f"VM {vm.id} is in subnet {subnet}, which uses NAT gateway {nat}, "
                             f"and has Basic instance IP {ip.id}; a Basic public IP cannot "
                             f"coexist with a NAT gateway", vm.id, rule="§1.5")

    # ------------------------------------------------------------------ NAT gateways
    def check_nat_gateways(self) -> None:
        for nat in self.nodes("nat_gateway"):
            if self.classic:
                self.add("error", "classic-nat-gateway",
                         f"NAT gateway {nat.id}: classic semantics (2017) has no NAT gateway "
                         f"(M-A1)", nat.id, rule="M-A1")
            targets = self.out(nat.id, "nat")
            ips = [t for t in targets if self.comp[t].KIND == "public_ip"]
            subnets = [t for t in targets if self.comp[t].KIND == "subnet"]
            if not ips:
                self.add("error", "nat-gateway-no-ip",
                         f"NAT gateway {nat.id} has no public IP; link at least one (up to "
                         f"{NAT_GATEWAY_MAX_IPS})", nat.id, rule="M-B8")
            elif len(ips) > NAT_GATEWAY_MAX_IPS:
                self.add("error", "nat-gateway-too-many-ips",
                         f"NAT gateway {nat.id} has {len(ips)} public IPs; at most "
                         f"{NAT_GATEWAY_MAX_IPS} are allowed", nat.id, rule="M-B8")
            for ip_id in ips:
                if self.comp[ip_id].sku == "basic":
                    self.add("error", "nat-gateway-basic-sku",
                             f"NAT gateway {nat.id} uses Basic public IP {ip_id}; a NAT gateway "
                             f"needs Standard public IPs", nat.id,
                             Link(nat.id, ip_id, "nat"), rule="§2.7")
            if not subnets:
                self.add("info", "nat-gateway-unused",
                         f"NAT gateway {nat.id} is attached to no subnet, so no VM uses it",
                         nat.id, rule="M-B8")
            vnets = {self.first_out(s, "in_vnet") for s in subnets} - {None}
            if len(vnets) > 1:
                self.add("error", "nat-gateway-multiple-vnets",
                         f"NAT gateway {nat.id} serves subnets of {len(vnets)} virtual networks "
                         f"({_names(vnets)}); a NAT gateway belongs to one VNet", nat.id,
                         rule="§2.7")

    # ------------------------------------------------------------------ NSGs
    def check_nsgs(self) -> None:
        compat = self.classic and bool(self.options.get("nsg_priority_compat"))
        top = NSG_PRIORITY_MAX_COMPAT if compat else NSG_PRIORITY_MAX
        for nsg in self.nodes("nsg"):
            self._duplicate_names(nsg.id, [r.name for r in nsg.rules], "security rule")
            by_priority: dict[tuple[str, int], str] = {}
            for rule in nsg.rules:
                if not NSG_PRIORITY_MIN <= rule.priority <= top:
                    hint = "" if compat or not self.classic else \
                        " (the 2016 text allowed up to 65499: option nsg_priority_compat)"
                    self.add("error", "nsg-priority-out-of-range",
                             f"rule {rule.name} of NSG {nsg.id} has priority {rule.priority}; "
                             f"custom priorities are {NSG_PRIORITY_MIN}-{top}{hint}", nsg.id,
                             rule="M-A11" if self.classic else "M-B13")
                key = (rule.direction, rule.priority)
                if key in by_priority:
                    self.add("error", "nsg-priority-duplicate",
                             f"rules {by_priority[key]} and {rule.name} of NSG {nsg.id} both "
                             f"have {rule.direction} priority {rule.priority}; priorities are "
                             f"unique per direction", nsg.id, rule="§4.1")
                else:
                    by_priority[key] = rule.name

    # ------------------------------------------------------------------ traffic generators
    def check_generators(self) -> None:
        for gen in self.nodes("traffic_generator"):
            destinations = self.out(gen.id, "destination")
            source_links = self.out(gen.id, "source")
            if gen.direction == "outbound":
                if not source_links:
                    self.add("error", "generator-no-source",
                             f"traffic generator {gen.id} has no source; link it to a VM, a "
                             f"subnet or a load balancer whose VMs open the flows", gen.id)
                elif not any(self._has_vms(s) for s in source_links):
                    self.add("warning", "generator-sources-empty",
                             f"the sources of traffic generator {gen.id} "
                             f"({_names(source_links)}) contain no VM, so it opens no flows",
                             gen.id)
            else:
                for dest in destinations:
                    if self.comp[dest].KIND != "public_ip" or \
                            not self._in.get((dest, "frontend")):
                        self.add("error", "inbound-generator-destination-not-frontend",
                                 f"inbound traffic generator {gen.id} sends to {dest}, which is "
                                 f"not a frontend public IP of a load balancer", gen.id,
                                 Link(gen.id, dest, "destination"))
            if not destinations:
                what = "a load balancer frontend public IP" if gen.direction == "inbound" \
                    else "an endpoint or a public IP"
                self.add("error", "generator-no-destination",
                         f"traffic generator {gen.id} has no destination; link it to {what}",
                         gen.id)
            if gen.stop_s is not None and gen.stop_s <= gen.start_s:
                self.add("warning", "generator-stops-before-start",
                         f"traffic generator {gen.id} stops at {gen.stop_s:g} s, not after it "
                         f"starts at {gen.start_s:g} s, so it opens no flows", gen.id)

    def _has_vms(self, source_id: str) -> bool:
        """Whether a generator source (VM, subnet, load balancer) stands for at least one VM
        (the sources of Topology.generator_sources)."""
        kind = self.comp[source_id].KIND
        if kind == "subnet":
            return bool(self._in.get((source_id, "in_subnet")))
        if kind == "load_balancer":
            return bool(self._out.get((source_id, "backend")))
        return kind == "vm"

    # ------------------------------------------------------------------ subnets and VNets
    def check_subnets(self) -> None:
        by_vnet: dict[str, list[tuple[ipaddress.IPv4Network, str]]] = defaultdict(list)
        spaces = {v.id: [n for n in map(_net, v.address_space) if n is not None]
                  for v in self.nodes("vnet")}
        for subnet in self.nodes("subnet"):
            net = self.subnet_net(subnet.id)
            if self.classic and subnet.private:
                self.add("error", "classic-private-subnet",
                         f"subnet {subnet.id} is private (no default outbound access); classic "
                         f"semantics has no private subnets (M-A1, M-B14)", subnet.id,
                         rule="M-A1")
            if subnet.default_route != "internet":
                self.add("warning", "udr-not-modelled",
                         f"subnet {subnet.id} routes 0.0.0.0/0 to {subnet.default_route}; "
                         f"that next hop is not modelled, so the simulated outbound path of "
                         f"its VMs is not the one Azure would take (M-B2 step 1)", subnet.id,
                         rule="M-B2")
            if net is None:
                continue
            if str(net) != subnet.prefix.strip():
                self.add("warning", "cidr-host-bits",
                         f"subnet {subnet.id} has prefix {subnet.prefix} with host bits set; "
                         f"Azure expects {net}", subnet.id)
            if net.prefixlen > SMALLEST_SUBNET_PREFIXLEN:
                self.add("error", "subnet-too-small",
                         f"subnet {subnet.id} is a /{net.prefixlen}; the smallest Azure subnet "
                         f"is a /{SMALLEST_SUBNET_PREFIXLEN}", subnet.id)
            vnet = self.first_out(subnet.id, "in_vnet")
            if vnet is None:
                continue
            by_vnet[vnet].append((net, subnet.id))
            space = spaces.get(vnet, [])
            if not any(net.subnet_of(s) for s in space):
                self.add("error", "subnet-outside-vnet",
                         f"subnet {subnet.id} ({net}) is not inside the address space of "
                         f"virtual network {vnet} ({', '.join(map(str, space)) or 'empty'})",
                         subnet.id)
        for vnet, nets in sorted(by_vnet.items()):
            # sorted by first address: a subnet overlaps an earlier one iff it starts before
            # the furthest end seen so far
            nets.sort(key=lambda item: (int(item[0].network_address), -item[0].prefixlen, item[1]))
            furthest: tuple[ipaddress.IPv4Network, str] | None = None
            for net, subnet_id in nets:
                if furthest is not None and \
                        int(net.network_address) <= int(furthest[0].broadcast_address):
                    self.add("error", "subnet-overlap",
                             f"subnet {subnet_id} ({net}) overlaps subnet {furthest[1]} "
                             f"({furthest[0]}) in virtual network {vnet}", subnet_id)
                if furthest is None or \
                        int(net.broadcast_address) > int(furthest[0].broadcast_address):
                    furthest = (net, subnet_id)

    def check_vm_addresses(self) -> None:
        implied = ipaddress.IPv4Network(IMPLIED_SUBNET_PREFIX)
        by_subnet: dict[str | None, list] = defaultdict(list)
        for vm in self.nodes("vm"):
            by_subnet[self.first_out(vm.id, "in_subnet")].append(vm)
        owners: dict[tuple[str, str], str] = {}
        for subnet, vms in sorted(by_subnet.items(), key=lambda item: item[0] or ""):
            net = (self.subnet_net(subnet) if subnet else None) or implied
            where = f"subnet {subnet or '(implied)'} ({net})"
            vnet = self.first_out(subnet, "in_vnet") if subnet else None
            # addresses are unique within a VNet (subnets of one VNet do not overlap)
            scope = f"virtual network {vnet}" if vnet else f"subnet {subnet or '(implied)'}"
            first = int(net.network_address) + FIRST_HOST_OFFSET
            last = int(net.broadcast_address) - 1
            explicit_hosts: set[int] = set()
            for vm in vms:
                if subnet is None:
                    self.add("info", "vm-implied-subnet",
                             f"VM {vm.id} is in no subnet; it is placed in an implied default "
                             f"subnet ({IMPLIED_SUBNET_PREFIX})", vm.id)
                ip = parse_ipv4(vm.private_ip) if vm.private_ip else None
                if ip is None:
                    continue
                if ip not in net:
                    self.add("error", "vm-ip-outside-subnet",
                             f"VM {vm.id} has private IP {ip}, outside its {where}", vm.id)
                    continue
                if not first <= int(ip) <= last:
                    self.add("error", "vm-ip-reserved",
                             f"VM {vm.id} has private IP {ip}, one of the five addresses Azure "
                             f"reserves in {where}: the first four and the last", vm.id)
                else:
                    explicit_hosts.add(int(ip))
                key = (scope, str(ip))
                if key in owners:
                    self.add("error", "vm-ip-duplicate",
                             f"VMs {owners[key]} and {vm.id} both have private IP {ip} in "
                             f"{scope}", vm.id)
                else:
                    owners[key] = vm.id
            # automatic addresses: the free hosts of the subnet in VM id order, as
            # Topology.private_ips() hands them out; the VMs beyond the free count get none
            automatic = [vm.id for vm in vms if not vm.private_ip]
            free = max(0, last - first + 1) - len(explicit_hosts)
            for vm_id in automatic[max(free, 0):]:
                self.add("error", "subnet-full",
                         f"VM {vm_id} gets no private IP: {where} has no free address left",
                         vm_id)
