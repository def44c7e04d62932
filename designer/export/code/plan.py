"""What the code exporters write, decided once for all three languages.

:func:`plan` takes a scenario and returns a :class:`CodePlan`: the deployable scenario
(``deployable.py``), a valid Azure name for every resource (``naming.py``), the parts of each
load balancer with their names, the VMs grouped into pools of identical VMs (written as loops)
and the lines of the comment at the top (what is left out, the simulation's verdict, what was
converted or renamed). The writers (``arm.py``, ``bicep.py``, ``terraform.py``) only spell it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from ... import __version__
from ...model.components import LbRule, LoadBalancer, NsgRule, OutboundRule
from ...model.topology import Scenario
from .deployable import Deployable, deployable
from .naming import Namer, natural_key

#: API versions written into ARM and Bicep (the newest stable ones when this was written)
NETWORK_API = "2025-05-01"
COMPUTE_API = "2025-04-01"

#: what the VM parameters default to (an SSH key parameter has no default: never a password)
DEFAULT_ADMIN_USERNAME = "azureuser"
DEFAULT_VM_SIZE = "Standard_B2s"
DEFAULT_IMAGE = {"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server",
                 "version": "latest"}
DEFAULT_OS_DISK_TYPE = "StandardSSD_LRS"
#: Terraform has no "the resource group's location": its location variable needs a default
DEFAULT_TERRAFORM_LOCATION = "westeurope"

IP_CONFIGURATION = "ipconfig1"
BACKEND_POOL = "backend-pool"
HEALTH_PROBE = "health-probe"
INTERNAL_FRONTEND = "frontend"


@dataclass
class CodeOptions:
    """What the command line and the editor can ask for."""
    #: run the simulation for the verdict comment (off: say it was not simulated)
    simulate: bool = True
    #: the file the scenario came from, named in the comment at the top
    source: str = ""


@dataclass(frozen=True)
class Loop:
    """A pool of VMs named ``{prefix}{start}`` ... ``{prefix}{start + count - 1}``."""
    prefix: str
    start: int
    count: int

    def name(self, i: int, suffix: str = "") -> str:
        return f"{self.prefix}{self.start + i}{suffix}"


@dataclass
class VmGroup:
    """One VM, or a pool of identical VMs (same subnet, NSG, load balancers and availability
    set; no instance IP, no fixed address; names that count up) written as one loop."""
    vms: list[str]
    names: list[str]
    loop: Loop | None
    subnet: str
    nsg: str | None
    lbs: list[str]
    availability_set: str | None
    public_ip: str | None = None
    private_ip: str | None = None

    @property
    def symbol_name(self) -> str:
        """The name identifiers are made from (the pool's prefix, or the VM's name)."""
        return self.loop.prefix.rstrip("-_.") or self.names[0] if self.loop else self.names[0]


@dataclass
class LbPlan:
    id: str
    lb: LoadBalancer
    name: str
    frontends: list[tuple[str | None, str]]      # (public IP id or None, frontend name)
    pool: str
    probe: str | None
    rules: list[tuple[LbRule, str]]               # rule, Azure name
    outbound_rules: list[tuple[OutboundRule, list[str]]]  # rule (named), frontend names
    subnet: str | None = None                     # internal: the frontend's subnet

    def frontend_name(self, pip_id: str | None) -> str:
        for pip, name in self.frontends:
            if pip == pip_id or pip is None:
                return name
        return self.frontends[0][1]


@dataclass
class CodePlan:
    deploy: Deployable
    names: dict[str, str]               # node id -> Azure name
    nics: dict[str, str]                # VM id -> NIC name
    availability_sets: dict[str, str]   # availability set (scenario text) -> Azure name
    vnets: list[str]
    subnets: dict[str, list[str]]       # VNet id -> subnet ids
    nsgs: list[str]
    nsg_rules: dict[str, list[tuple[NsgRule, str]]]
    public_ips: list[str]
    nats: list[str]
    lbs: list[LbPlan]
    groups: list[VmGroup]
    header: list[str] = field(default_factory=list)
    #: the scenario's file name ("" when unsaved)
    source: str = ""
    #: for stderr: conversion notes and warnings, one line each
    messages: list[str] = field(default_factory=list)

    @property
    def scenario(self) -> Scenario:
        return self.deploy.scenario

    def vnet_of(self, subnet_id: str) -> str:
        vnet = self.scenario.topology.vnet_of(subnet_id)
        assert vnet is not None  # deployable() gives every subnet a VNet
        return vnet


def plan(scenario: Scenario, options: CodeOptions | None = None,
         simulate: Callable | None = None) -> CodePlan:
    """Everything the writers need; ``simulate`` (report of a scenario) is injectable for
    tests and defaults to :func:`designer.sim.report.simulate`."""
    options = options or CodeOptions()
    deploy = deployable(scenario)
    out = _Planner(deploy).run()
    out.source = options.source
    out.header = _header(out, options, simulate)
    out.messages = [f"note: {n}" for n in deploy.notes] + \
                   [f"warning: {w}" for w in deploy.warnings]
    return out


class _Planner:
    def __init__(self, deploy: Deployable):
        self.deploy = deploy
        self.t = deploy.scenario.topology
        self.namer = Namer()
        self.names: dict[str, str] = {}

    def ordered(self, kind: str) -> list[str]:
        return sorted(self.t.node_ids(kind),
                      key=lambda i: natural_key(self.t.node(i).display_name))

    def run(self) -> CodePlan:
        t, namer = self.t, self.namer
        resource_kinds = {"vnet": "vnet", "nsg": "nsg", "public_ip": "public_ip",
                          "load_balancer": "load_balancer", "nat_gateway": "nat_gateway",
                          "vm": "vm"}
        for kind, rule in resource_kinds.items():
            for node_id in self.ordered(kind):
                self.names[node_id] = namer.name(rule, t.node(node_id).display_name)
        vnets = self.ordered("vnet")
        subnets: dict[str, list[str]] = {v: [] for v in vnets}
        for subnet_id in self.ordered("subnet"):
            vnet = t.vnet_of(subnet_id)
            subnets[vnet].append(subnet_id)
            self.names[subnet_id] = namer.name("subnet", t.node(subnet_id).display_name,
                                               scope=vnet)
        nics = {}
        for vm_id in self.ordered("vm"):
            nics[vm_id] = namer.name("nic", f"{self.names[vm_id]}-nic")
        avsets = {}
        for text in sorted({vm.availability_set for vm in t.nodes("vm") if vm.availability_set},
                           key=natural_key):
            avsets[text] = namer.name("availability_set", text)
        nsg_rules = {}
        for nsg_id in self.ordered("nsg"):
            nsg_rules[nsg_id] = [(r, namer.name("security_rule", r.name, scope=nsg_id))
                                 for r in t.node(nsg_id).rules]
        return CodePlan(
            self.deploy, self.names, nics, avsets, vnets, subnets, self.ordered("nsg"),
            nsg_rules, self.ordered("public_ip"), self.ordered("nat_gateway"),
            [self.lb_plan(lb_id) for lb_id in self.ordered("load_balancer")], self.groups())

    # ---------------------------------------------------------------- load balancers
    def lb_plan(self, lb_id: str) -> LbPlan:
        t, namer = self.t, self.namer
        lb = t.node(lb_id)
        scope = f"lb:{lb_id}"
        fronts = t.frontends(lb_id)
        if lb.type == "internal" or not fronts:
            frontends: list[tuple[str | None, str]] = [
                (None, namer.name("lb_part", INTERNAL_FRONTEND, scope))]
        else:
            frontends = [(pip, namer.name("lb_part", self.names[pip], scope)) for pip in fronts]
        pool = namer.name("lb_part", BACKEND_POOL, scope)
        probe = namer.name("lb_part", HEALTH_PROBE, scope) if lb.probe else None
        by_pip = {pip: name for pip, name in frontends}
        rules = []
        for rule in lb.rules:
            if lb.type == "public" and fronts and rule.frontend not in by_pip:
                self.deploy.warnings.append(
                    f"{lb_id}: rule {rule.name} names frontend {rule.frontend!r}, which is not "
                    f"one of its frontends; it is left out")
                continue
            rules.append((rule, namer.name("lb_part", rule.name, scope)))
        outbound = []
        for rule in lb.outbound_rules:
            names = [by_pip[f] for f in rule.frontends if f in by_pip]
            if lb.type != "public" or not names:
                self.deploy.warnings.append(
                    f"{lb_id}: outbound rule {rule.name} has no public frontend of {lb_id}; it "
                    f"is left out (Azure requires one)")
                continue
            named = OutboundRule(**{**rule.__dict__, "name": namer.name("lb_part", rule.name,
                                                                        scope)})
            outbound.append((named, names))
        subnet = None
        if lb.type == "internal":
            pool_subnets = [t.subnet_of(vm) for vm in t.backend_pool(lb_id) if t.subnet_of(vm)]
            subnet = (sorted(pool_subnets, key=natural_key) or self.ordered("subnet"))[0]
        return LbPlan(lb_id, lb, self.names[lb_id], frontends, pool, probe, rules, outbound,
                      subnet)

    # ---------------------------------------------------------------- VMs
    def groups(self) -> list[VmGroup]:
        t = self.t
        keyed: dict[tuple, list[str]] = {}
        singles: list[VmGroup] = []
        for vm_id in self.ordered("vm"):
            vm = t.node(vm_id)
            group = VmGroup([vm_id], [self.names[vm_id]], None, t.subnet_of(vm_id),
                            t.nsg_of(vm_id), t.load_balancers_of(vm_id), vm.availability_set,
                            t.instance_ip(vm_id), vm.private_ip)
            if group.public_ip or group.private_ip:
                singles.append(group)
                continue
            key = (group.subnet, group.nsg, tuple(group.lbs), group.availability_set)
            keyed.setdefault(key, []).append(vm_id)
        out = singles
        for key, vm_ids in keyed.items():
            out.extend(self.pools(key, vm_ids))
        return sorted(out, key=lambda g: natural_key(g.names[0]))

    def pools(self, key: tuple, vm_ids: list[str]) -> list[VmGroup]:
        """Runs of names that count up by one (web-1, web-2, web-3) become loops."""
        subnet, nsg, lbs, avset = key
        numbered: dict[str, list[tuple[int, str]]] = {}
        out = []
        for vm_id in vm_ids:
            match = re.fullmatch(r"(.*?)(0|[1-9][0-9]*)", self.names[vm_id])
            if match:
                numbered.setdefault(match.group(1), []).append((int(match.group(2)), vm_id))
            else:
                out.append([vm_id])
        for prefix, items in numbered.items():
            items.sort()
            run: list[tuple[int, str]] = []
            for n, vm_id in items:
                if run and n != run[-1][0] + 1:
                    out.append((prefix, run))
                    run = []
                run.append((n, vm_id))
            out.append((prefix, run))
        groups = []
        for item in out:
            if isinstance(item, list) or len(item[1]) < 2:
                ids = item if isinstance(item, list) else [v for _, v in item[1]]
                loop = None
            else:
                prefix, run = item
                ids = [v for _, v in run]
                loop = Loop(prefix, run[0][0], len(run))
            groups.append(VmGroup(ids, [self.names[v] for v in ids], loop, subnet, nsg,
                                  list(lbs), avset))
        return groups


# -------------------------------------------------------------------------------- header

_KIND_WORDS = {"vnet": ("virtual network", "virtual networks"), "subnet": ("subnet", "subnets"),
               "nsg": ("network security group", "network security groups"),
               "public_ip": ("public IP", "public IPs"),
               "load_balancer": ("load balancer", "load balancers"),
               "nat_gateway": ("NAT gateway", "NAT gateways")}


def _count(n: int, words: tuple[str, str]) -> str:
    return f"{n} {words[0] if n == 1 else words[1]}"


def _header(p: CodePlan, options: CodeOptions, simulate: Callable | None) -> list[str]:
    s, original = p.scenario, p.deploy.original
    t = s.topology
    lines = [f'"{original.name}", exported by Outbound Designer {__version__}'
             + (f" from {options.source}" if options.source else "") + "."]
    notes = list(p.deploy.notes)
    if p.deploy.converted:        # the conversion first: it changes what is deployed
        lines.append(notes.pop(0) + ".")
    parts = [_count(len(t.node_ids(k)), w) for k, w in _KIND_WORDS.items() if t.node_ids(k)]
    vms = len(t.node_ids("vm"))
    if vms:
        parts.append(f"{vms} Linux VM{'s' if vms != 1 else ''} with "
                     f"{'their NICs' if vms != 1 else 'its NIC'}")
    if p.availability_sets:
        parts.append(_count(len(p.availability_sets), ("availability set", "availability sets")))
    lines.append("Deploys " + (", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1
                               else (parts[0] if parts else "nothing")) + ".")
    lines.append(_left_out(original))
    if options.simulate:
        from ...sim.report import simulate as run
        from .verdict import verdict
        run = simulate or run
        drawn = verdict(original, run(original))
        lines.append("Simulation of the design as drawn: " + drawn + ".")
        if p.deploy.converted:
            deployed = verdict(s, run(s))
            same = deployed.replace("modern semantics", "") == drawn.replace(
                f"{original.semantics} semantics", "")
            lines.append("Its Standard equivalent (what this file deploys) simulates "
                         + ("the same." if same else "differently: " + deployed + "."))
    else:
        lines.append("Not simulated for this export.")
    lines += [n + "." for n in notes]
    lines += ["Warning: " + w + "." for w in p.deploy.warnings]
    return lines


def _left_out(s: Scenario) -> str:
    t = s.topology
    gens = sorted((g.display_name for g in t.nodes("traffic_generator")), key=natural_key)
    ends = sorted((e.display_name for e in t.nodes("endpoint")), key=natural_key)
    parts = []
    if gens:
        parts.append(f"traffic generator{'s' if len(gens) > 1 else ''} {', '.join(gens)}")
    if ends:
        parts.append(f"Internet endpoint{'s' if len(ends) > 1 else ''} {', '.join(ends)}")
    parts.append(f"the simulation settings (seed {s.seed}"
                 + (", options " + ", ".join(f"{k}={v}" for k, v in sorted(s.options.items()))
                    if s.options else "") + ")")
    sim_only = []
    stopped = [vm.id for vm in t.nodes("vm") if vm.state == "stopped"]
    if stopped:
        sim_only.append(f"stopped VMs ({', '.join(sorted(stopped, key=natural_key))})")
    silent = [vm.id for vm in t.nodes("vm") if not vm.probe_responds]
    if silent:
        sim_only.append(f"applications that do not answer probes "
                        f"({', '.join(sorted(silent, key=natural_key))})")
    admin = [vm.id for vm in t.nodes("vm") if vm.admin_state != "none"]
    if admin:
        sim_only.append(f"load balancer admin states ({', '.join(sorted(admin, key=natural_key))})")
    routes = [sn.id for sn in t.nodes("subnet") if sn.default_route != "internet"]
    if routes:
        sim_only.append(f"default routes to appliances or gateways ({', '.join(sorted(routes))}: "
                        f"add the route tables yourself)")
    addresses = [f"{pip.display_name} {pip.address}" for pip in t.nodes("public_ip")
                 if pip.address]
    text = "Left out, because they are not infrastructure: " + "; ".join(parts) + "."
    if sim_only:
        text += " Also left out: " + "; ".join(sim_only) + "."
    if addresses:
        text += (" Azure assigns public IP addresses, so the drawn ones ("
                 + ", ".join(sorted(addresses, key=natural_key)) + ") are not deployed; the "
                 "outputs show the real ones.")
    return text
