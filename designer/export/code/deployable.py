"""The scenario as Azure will deploy it: what the code exporters write, as a scenario.

Two things stand between a drawing and a deployment, and both are done here, on the model, so
that the result can be simulated, compared and tested like any scenario:

- what the simulator implies is made explicit: VMs drawn without a subnet get the implied
  subnet (10.255.0.0/16) and subnets without a virtual network get one;
- a classic design (Basic load balancers and public IPs, which Azure retired on 30 September
  2025) becomes its Standard equivalent, in modern semantics:
  - every public IP becomes Standard (static);
  - every Basic load balancer becomes Standard; where its pool members reached the Internet
    through it (M-A2 scenario 2) or through default SNAT beside it, an outbound rule gives each
    of them the ports it had (M-A5) through the frontend the Basic load balancer used (M-A4),
    and its load-balancing rules stop programming SNAT (``disableOutboundSnat``, M-B5);
  - probes keep their timing: ``probeThreshold`` takes the Basic ``numberOfProbes`` (M-B12);
  - Standard frontends and public IPs are closed inbound unless an NSG allows (M-B1): a VM with
    no NSG at all gets one on its NIC that allows what the Basic resources left open.

Each change is described in :attr:`Deployable.notes` (written as comments and to stderr); what
cannot be made equivalent is in :attr:`Deployable.warnings`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ...model.components import LoadBalancer, NsgRule, OutboundRule, make_component
from ...model.links import Link
from ...model.options import OPTION_SPECS
from ...model.topology import IMPLIED_SUBNET_PREFIX, Scenario, Topology
from ...model.values import SERVICE_TAGS
from ...sim import ports as P
from ...sim.paths import resolve
from .naming import natural_key

#: the name Azure's portal gives a VNet's first subnet; used for the implied subnet
IMPLIED_SUBNET_NAME = "default"


@dataclass
class Deployable:
    """``scenario`` is what the exported code deploys (with the original's generators and
    endpoints kept, so it can be simulated); ``original`` is the scenario as drawn."""
    scenario: Scenario
    original: Scenario
    #: a classic / Basic design converted to its Standard equivalent
    converted: bool = False
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: node ids that the export added (implied containers, NSGs for Standard)
    added: list[str] = field(default_factory=list)


def deployable(original: Scenario) -> Deployable:
    """The deployable form of ``original`` (which is not changed)."""
    scenario = Scenario(original.topology.copy(), name=original.name,
                        description=original.description, semantics=original.semantics,
                        seed=original.seed, options=dict(original.options))
    out = Deployable(scenario, original)
    _canonical_service_tags(scenario.topology)
    _explicit_containers(out)
    if _needs_standard(original):
        _StandardConversion(out).run()
    _default_outbound_notes(out)
    _refused_by_azure(out)
    return out


#: node kinds the code does not deploy: their findings do not concern the deployment
NOT_DEPLOYED = ("traffic_generator", "endpoint")


def _refused_by_azure(out: Deployable) -> None:
    """Validation errors are what Azure refuses (an outbound rule's ports beyond its
    frontends' 64,000, M-B16...): the code is still written, as designed, but the engineer
    learns it before ``az deployment group create`` or ``terraform apply`` fails."""
    from ...model.validation import validate
    t = out.scenario.topology
    for finding in validate(out.scenario):
        node = t.get(finding.node_id) if finding.node_id else None
        if finding.severity != "error" or (node is not None and node.KIND in NOT_DEPLOYED):
            continue
        where = f"{finding.node_id}: " if finding.node_id else ""
        out.warnings.append(f"Azure will refuse this deployment: {where}{finding.message} "
                            f"[{finding.code}]")


def _default_outbound_notes(out: Deployable) -> None:
    """Default outbound access still works in existing and explicitly non-private subnets,
    but Azure no longer recommends it (§1.6): say which VMs rely on it."""
    if out.scenario.semantics != "modern":
        return
    paths = resolve(out.scenario.snapshot()).paths
    users = sorted((vm for vm, p in paths.items() if p.tcp.kind == "default"), key=natural_key)
    if users:
        out.warnings.append(
            f"{_list(users)} {'reach' if len(users) > 1 else 'reaches'} the Internet through "
            f"default outbound access (an address Azure picks and may change, §1.6); the "
            f"subnets say defaultOutboundAccess: true explicitly, since new virtual networks "
            f"are private by default from 31 March 2026 on: prefer a NAT gateway")


def _needs_standard(scenario: Scenario) -> bool:
    t = scenario.topology
    return (scenario.semantics == "classic"
            or any(lb.sku == "basic" for lb in t.nodes("load_balancer"))
            or any(pip.sku == "basic" for pip in t.nodes("public_ip")))


def _canonical_service_tags(t: Topology) -> None:
    """``INTERNET`` -> ``Internet`` and so on: the spellings Azure documents today."""
    for nsg in t.nodes("nsg"):
        rules = tuple(dataclasses.replace(r, source=SERVICE_TAGS.get(r.source, r.source),
                                          destination=SERVICE_TAGS.get(r.destination,
                                                                       r.destination))
                      for r in nsg.rules)
        if rules != nsg.rules:
            t.replace_node(dataclasses.replace(nsg, rules=rules))


def _free_id(t: Topology, wanted: str) -> str:
    return wanted if wanted not in t else t.unique_id(wanted)


def _explicit_containers(out: Deployable) -> None:
    t = out.scenario.topology
    homeless = sorted((vm.id for vm in t.nodes("vm") if t.subnet_of(vm.id) is None),
                      key=natural_key)
    internal_lbs = [lb for lb in t.nodes("load_balancer") if lb.type == "internal"
                    and not any(t.subnet_of(v) for v in t.backend_pool(lb.id))]
    orphans = sorted((s.id for s in t.nodes("subnet") if t.vnet_of(s.id) is None),
                     key=natural_key)
    implied = None
    if homeless or (internal_lbs and not t.nodes("subnet")):
        implied = _free_id(t, IMPLIED_SUBNET_NAME)
        t.add_node(make_component("subnet", implied, name=IMPLIED_SUBNET_NAME,
                                  prefix=IMPLIED_SUBNET_PREFIX))
        out.added.append(implied)
        for vm_id in homeless:
            t.connect(Link(vm_id, implied, "in_subnet"))
    if orphans or implied:
        vnet_id = _free_id(t, "vnet")
        space = []
        for subnet_id in orphans + ([implied] if implied else []):
            prefix = t.node(subnet_id).prefix
            if prefix not in space:
                space.append(prefix)
        t.add_node(make_component("vnet", vnet_id, address_space=tuple(space)))
        out.added.append(vnet_id)
        for subnet_id in orphans + ([implied] if implied else []):
            t.connect(Link(subnet_id, vnet_id, "in_vnet"))
        if homeless:
            out.notes.append(
                f"{_count(homeless, 'VM')} drawn without a subnet ({_list(homeless)}) "
                f"{'go' if len(homeless) > 1 else 'goes'} into subnet {IMPLIED_SUBNET_NAME} "
                f"({IMPLIED_SUBNET_PREFIX}, the subnet the simulator implies) of a new virtual "
                f"network {vnet_id}")
        if orphans:
            out.notes.append(f"{_count(orphans, 'subnet')} drawn without a virtual network "
                             f"({_list(orphans)}) {'go' if len(orphans) > 1 else 'goes'} into "
                             f"virtual network {vnet_id} ({', '.join(space)})")


def _count(items, word: str) -> str:
    return f"{len(items)} {word}{'s' if len(items) != 1 else ''}"


def _list(items, limit: int = 6) -> str:
    items = sorted(items, key=natural_key)
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


class _StandardConversion:
    """Basic load balancers and public IPs -> Standard, keeping each VM's outbound ports and
    what was reachable inbound (see the module docstring)."""

    def __init__(self, out: Deployable):
        self.out = out
        self.before = out.scenario.snapshot()        # containers explicit, still classic
        self.t = out.scenario.topology
        self.classic = self.before.semantics == "classic"
        self.resolution = resolve(self.before)

    def behaves_basic(self, lb: LoadBalancer) -> bool:
        # classic semantics simulate every load balancer as Basic (M-A1)
        return self.classic or lb.sku == "basic"

    def run(self) -> None:
        out = self.out
        out.converted = True
        was = "classic (Basic) semantics" if self.classic else "Basic resources"
        out.notes.insert(0, f"Azure retired Basic load balancers and Basic public IPs on 30 "
                         f"September 2025: this design, drawn with {was}, is exported as its "
                         f"Standard equivalent (modern semantics)")
        open_inbound = self.inbound_left_open()
        for lb in sorted(self.t.nodes("load_balancer"), key=lambda n: n.id):
            if self.behaves_basic(lb):
                self.convert_load_balancer(lb)
        self.convert_public_ips()
        self.add_nsgs(open_inbound)
        self.convert_semantics()

    # ---------------------------------------------------------------- load balancers
    def convert_load_balancer(self, lb: LoadBalancer) -> None:
        t, paths = self.t, self.resolution.paths
        pool = t.backend_pool(lb.id)
        fronts = t.frontends(lb.id)
        needs: dict[str, int] = {}
        how: set[str] = set()
        for vm_id in pool:
            path = paths[vm_id].tcp
            if path.kind == "load_balancer" and path.via == lb.id:
                needs[vm_id] = path.ports
                how.add("through this load balancer")
            elif path.kind == "default":
                # Standard pool members lose default outbound access (M-B2.6)
                needs[vm_id] = path.ports
                how.add("through default SNAT")
        changes = [f"{lb.id}: Basic -> Standard load balancer"]
        outbound: tuple[OutboundRule, ...] = lb.outbound_rules
        rules = lb.rules
        if needs and lb.type == "public" and fronts:
            frontend = self.resolution.basic_frontend.get(lb.id) or fronts[0]
            ports = max(needs.values())
            blocks = [r.frontend_port for r in lb.rules if r.frontend == frontend]
            capacity = P.frontend_capacity(blocks)
            if ports * len(pool) > capacity:
                fitted = P.max_ports_per_instance(capacity, len(pool))
                self.out.warnings.append(
                    f"{lb.id}: {len(pool)} VMs x {ports} ports exceed the {capacity:,} ports of "
                    f"frontend {frontend}; the outbound rule gives {fitted} each")
                ports = fitted
            name = _unique_name("outbound", {r.name for r in lb.outbound_rules})
            outbound = lb.outbound_rules + (OutboundRule(
                name=name, frontends=(frontend,), protocol="all", allocated_ports=ports),)
            rules = tuple(dataclasses.replace(r, disable_outbound_snat=True) for r in lb.rules)
            changes.append(
                f"outbound rule {name} gives "
                + (f"each of its {len(pool)} pool VMs" if len(pool) > 1 else "its pool VM")
                + f" the {ports:,} SNAT ports it had ({' and '.join(sorted(how))}, M-A5) "
                f"through frontend {frontend}"
                + (" (the one the Basic load balancer used, M-A4)" if len(fronts) > 1 else "")
                + " for TCP and UDP (M-A7)")
            if "through default SNAT" in how:
                users = sorted((vm for vm in needs if paths[vm].tcp.kind == "default"),
                               key=natural_key)
                changes.append(
                    f"{_list(users)} now {'leave' if len(users) > 1 else 'leaves'} through "
                    f"{frontend} instead of an address Azure picks: Standard pool members "
                    f"have no default outbound access (M-B2.6)")
            if rules:
                changes.append("its load-balancing rules set disableOutboundSnat (M-B5)")
        elif needs:
            lost = sorted(needs)
            self.out.warnings.append(
                f"{lb.id}: {_list(lost)} reached the Internet through "
                f"{'default SNAT' if 'through default SNAT' in how else lb.id}; as members of a "
                f"Standard {'internal ' if lb.type == 'internal' else ''}load balancer with no "
                f"public frontend they have no outbound access (M-B2.7): add a NAT gateway to "
                f"their subnet")
        probe = lb.probe
        if probe is not None and probe.threshold is None:
            probe = dataclasses.replace(probe, threshold=probe.count)
            changes.append(f"its probe keeps {probe.count} consecutive results per change as "
                           f"probeThreshold (M-B12)")
        self.t.replace_node(dataclasses.replace(lb, sku="standard", rules=rules,
                                                outbound_rules=outbound, probe=probe))
        self.out.notes.append("; ".join(changes))

    def convert_public_ips(self) -> None:
        basic = sorted(p.id for p in self.t.nodes("public_ip") if p.sku == "basic")
        for pip_id in basic:
            self.t.replace_node(dataclasses.replace(self.t.node(pip_id), sku="standard"))
        if basic:
            self.out.notes.append(f"{_count(basic, 'public IP')} ({_list(basic)}) Basic -> "
                                  f"Standard (static allocation)")

    # ---------------------------------------------------------------- inbound
    def inbound_left_open(self) -> dict[str, tuple[NsgRule, ...]]:
        """Per VM with no NSG at all: the allow rules that keep open what its Basic load
        balancers and Basic instance IP left open (computed before anything changes)."""
        t = self.t
        out: dict[str, tuple[NsgRule, ...]] = {}
        for vm_id in sorted(t.node_ids("vm")):
            nic_nsg, subnet_nsg = t.nsgs_of_vm(vm_id)
            if nic_nsg or subnet_nsg:
                continue  # an NSG already decided what reached it, Basic or not
            rules: list[NsgRule] = []
            for lb_id in t.load_balancers_of(vm_id):
                lb = t.node(lb_id)
                if not self.behaves_basic(lb) or lb.type != "public":
                    continue
                fronts = set(t.frontends(lb_id))
                for rule in lb.rules:
                    if rule.frontend in fronts:
                        rules.append(NsgRule(
                            name=f"Allow-{lb.display_name}-{rule.name}", direction="inbound",
                            access="allow", protocol="*" if rule.protocol == "all"
                            else rule.protocol, source="Internet",
                            destination_port=str(rule.backend_port) if rule.backend_port
                            else "*"))
            pip_id = t.instance_ip(vm_id)
            if pip_id and (self.classic or t.node(pip_id).sku == "basic"):
                rules.append(NsgRule(name="Allow-Internet-to-instance-IP", direction="inbound",
                                     access="allow", source="Internet"))
            if rules:
                out[vm_id] = _prioritised(rules)
        return out

    def add_nsgs(self, open_inbound: dict[str, tuple[NsgRule, ...]]) -> None:
        groups: dict[tuple[NsgRule, ...], list[str]] = {}
        for vm_id, rules in open_inbound.items():
            groups.setdefault(rules, []).append(vm_id)
        t = self.t
        for rules, vms in sorted(groups.items(), key=lambda kv: kv[1]):
            lbs = sorted({lb for vm in vms for lb in t.load_balancers_of(vm)})
            stem = f"{lbs[0]}-backend" if len(lbs) == 1 and len(vms) > 1 else vms[0]
            nsg_id = _free_id(t, f"{stem}-nsg")
            t.add_node(make_component("nsg", nsg_id, rules=rules))
            for vm_id in vms:
                t.connect(Link(nsg_id, vm_id, "nsg"))
            self.out.added.append(nsg_id)
            what = "; ".join(_describe_rule(r) for r in rules)
            self.out.notes.append(
                f"NSG {nsg_id} added on the NIC of {_list(vms)}: Standard load balancers and "
                f"public IPs are closed inbound until an NSG allows (M-B1); it allows what the "
                f"Basic resources left open: {what}")
            if any(r.destination_port == "*" for r in rules):
                self.out.warnings.append(
                    f"{nsg_id} allows all inbound traffic from the Internet, as the Basic "
                    f"instance IP did: narrow it to the ports you serve")

    def convert_semantics(self) -> None:
        s = self.out.scenario
        if s.semantics == "classic":
            s.set_meta("semantics", "modern")
            s.set_meta("options", {k: v for k, v in s.options.items()
                                   if OPTION_SPECS[k].semantics != "classic"})
            nats = sorted(self.t.node_ids("nat_gateway"))
            if nats:
                self.out.warnings.append(
                    f"{_list(nats)}: the classic simulation ignored NAT gateways (M-A1); in "
                    f"Azure {'they take' if len(nats) > 1 else 'it takes'} precedence over "
                    f"everything else for their subnets (M-B2.2)")


def _unique_name(stem: str, taken: set[str]) -> str:
    name, n = stem, 1
    while name in taken:
        n += 1
        name = f"{stem}-{n}"
    return name


def _prioritised(rules: list[NsgRule]) -> tuple[NsgRule, ...]:
    """Distinct rules (by what they allow), numbered 100, 110, ... with unique names."""
    out: list[NsgRule] = []
    seen: set[tuple] = set()
    names: set[str] = set()
    for rule in rules:
        key = (rule.protocol, rule.source, rule.destination_port)
        if key in seen:
            continue
        seen.add(key)
        name = _unique_name(rule.name, names)
        names.add(name)
        out.append(dataclasses.replace(rule, name=name, priority=100 + 10 * len(out)))
    return tuple(out)


def _describe_rule(rule: NsgRule) -> str:
    proto = "any protocol" if rule.protocol == "*" else rule.protocol.upper()
    port = "every port" if rule.destination_port == "*" else f"port {rule.destination_port}"
    return f"{proto} to {port} from the {rule.source}"
