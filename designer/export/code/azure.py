"""The ARM resource model shared by the ARM and Bicep writers.

:func:`resources` turns a :class:`CodePlan` into Azure resources as ARM knows them (type, API
version, name, properties) in deployment order. Values that are expressions rather than
literals are small objects (:class:`Param`, :class:`Var`, :class:`Ref`, :class:`LoopName`,
:class:`Interpolate`) that each writer spells in its language: ``[resourceId(...)]`` in ARM, a
symbolic reference in Bicep. So the mapping from the scenario to Azure properties is written
once, and the two files cannot drift apart.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from ...model.components import NsgRule
from .naming import bicep_symbol
from .plan import (COMPUTE_API, DEFAULT_OS_DISK_TYPE, IP_CONFIGURATION, NETWORK_API, CodePlan,
                   LbPlan, Loop, VmGroup)


# ------------------------------------------------------------------------------ expressions

@dataclass(frozen=True)
class Param:
    name: str


@dataclass(frozen=True)
class Var:
    name: str


@dataclass(frozen=True)
class LoopName:
    """The name of the current element of a loop: prefix + number + suffix."""
    loop: Loop
    suffix: str = ""


@dataclass(frozen=True)
class Ref:
    """The id of resource ``key`` or, with ``child`` = (collection, name), of one of its parts
    (a subnet of a VNet, a backend pool or frontend of a load balancer). ``indexed``: the target
    is a loop and the reference is to the element of the same index as the referring one."""
    key: str
    child: tuple[str, str] | None = None
    indexed: bool = False


@dataclass(frozen=True)
class Interpolate:
    """A string with ``{}`` placeholders filled by expressions (ARM ``format``, Bicep
    ``'${...}'``)."""
    template: str
    args: tuple


@dataclass(frozen=True)
class OutputValue:
    """A property of a deployed resource (an output: the address Azure assigned)."""
    key: str
    property: str


@dataclass
class Resource:
    key: str
    type: str
    api: str
    name: str | LoopName
    symbol: str                       # the name Bicep symbols and comments are made from
    kind_suffix: str                  # added to a Bicep symbol that clashes ("Nic", "Nsg")
    body: dict[str, Any]
    loop: Loop | None = None
    comment: str = ""
    #: extra dependencies a reference does not show (none today; kept for clarity)
    depends: list[str] = field(default_factory=list)

    def children(self, collection: str) -> str:
        return f"{self.type}/{collection}"


@dataclass
class Output:
    name: str
    type: str
    value: OutputValue
    description: str


@dataclass
class Template:
    resources: list[Resource]
    outputs: list[Output]

    def by_key(self) -> dict[str, Resource]:
        return {r.key: r for r in self.resources}


def key(kind: str, node_id: str) -> str:
    return f"{kind}:{node_id}"


# ------------------------------------------------------------------------------ building

def template(p: CodePlan) -> Template:
    b = _Builder(p)
    return Template(b.build(), b.outputs())


_PROTOCOLS = {"tcp": "Tcp", "udp": "Udp", "all": "All", "icmp": "Icmp", "*": "*"}
_PROBES = {"tcp": "Tcp", "http": "Http", "https": "Https"}


def azure_prefix(cidr: str) -> str:
    """The network address of a prefix (Azure refuses host bits)."""
    return str(ipaddress.IPv4Network(cidr, strict=False))


def port_field(text: str, singular: str) -> dict[str, Any]:
    """``80`` -> {xPortRange: "80"}; ``80,443`` -> {xPortRanges: ["80", "443"]}."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if len(parts) == 1:
        return {singular: parts[0]}
    return {singular + "s": parts}


def security_rule(rule: NsgRule, name: str) -> dict[str, Any]:
    props: dict[str, Any] = {
        "priority": rule.priority,
        "direction": rule.direction.capitalize(),
        "access": rule.access.capitalize(),
        "protocol": _PROTOCOLS[rule.protocol],
        "sourceAddressPrefix": rule.source,
    }
    props.update(port_field(rule.source_port, "sourcePortRange"))
    props["destinationAddressPrefix"] = rule.destination
    props.update(port_field(rule.destination_port, "destinationPortRange"))
    return {"name": name, "properties": props}


class _Builder:
    def __init__(self, p: CodePlan):
        self.p = p
        self.t = p.scenario.topology
        self.location = Param("location")

    def build(self) -> list[Resource]:
        p = self.p
        out = [self.nsg(n) for n in p.nsgs]
        out += [self.public_ip(n) for n in p.public_ips]
        out += [self.nat(n) for n in p.nats]
        out += [self.vnet(v) for v in p.vnets]
        out += [self.load_balancer(lb) for lb in p.lbs]
        out += [self.availability_set(text, name) for text, name in p.availability_sets.items()]
        out += [self.nic(g) for g in p.groups]
        out += [self.vm(g) for g in p.groups]
        return out

    def outputs(self) -> list[Output]:
        return [Output(bicep_symbol(f"{self.p.names[pip]}-address"), "string",
                       OutputValue(key("public_ip", pip), "ipAddress"),
                       f"the address Azure assigned to public IP {self.p.names[pip]}")
                for pip in self.p.public_ips]

    def resource(self, kind: str, node_id: str, type_: str, suffix: str, body: dict,
                 api: str = NETWORK_API, comment: str = "") -> Resource:
        name = self.p.names[node_id]
        return Resource(key(kind, node_id), type_, api, name, name, suffix, body,
                        comment=comment or self.renamed(node_id))

    def renamed(self, node_id: str) -> str:
        node = self.t.node(node_id)
        name = self.p.names[node_id]
        if node.display_name != name:
            return f"drawn as {node.display_name!r}; renamed to a valid Azure name"
        return ""

    # ---------------------------------------------------------------- network
    def nsg(self, nsg_id: str) -> Resource:
        nsg = self.t.node(nsg_id)
        props: dict[str, Any] = {"securityRules": [security_rule(r, name)
                                                    for r, name in self.p.nsg_rules[nsg_id]]}
        if nsg.flush_connection:
            props["flushConnection"] = True
        comment = self.renamed(nsg_id)
        if nsg_id in self.p.deploy.added:
            comment = ("added for the Standard equivalent: allows what the Basic resources "
                       "left open inbound")
        return self.resource("nsg", nsg_id, "Microsoft.Network/networkSecurityGroups", "Nsg",
                             {"location": self.location, "properties": props}, comment=comment)

    def public_ip(self, pip_id: str) -> Resource:
        pip = self.t.node(pip_id)
        return self.resource(
            "public_ip", pip_id, "Microsoft.Network/publicIPAddresses", "Pip",
            {"location": self.location, "sku": {"name": pip.sku.capitalize(), "tier": "Regional"},
             "properties": {"publicIPAllocationMethod": "Static",
                            "publicIPAddressVersion": "IPv4"}})

    def nat(self, nat_id: str) -> Resource:
        nat = self.t.node(nat_id)
        return self.resource(
            "nat_gateway", nat_id, "Microsoft.Network/natGateways", "Nat",
            {"location": self.location,
             "sku": {"name": "StandardV2" if nat.sku == "standard_v2" else "Standard"},
             "properties": {"idleTimeoutInMinutes": nat.idle_timeout_min,
                            "publicIpAddresses": [{"id": Ref(key("public_ip", pip))}
                                                  for pip in self.t.nat_public_ips(nat_id)]}})

    def vnet(self, vnet_id: str) -> Resource:
        t, p = self.t, self.p
        vnet = t.node(vnet_id)
        subnets = []
        for subnet_id in p.subnets[vnet_id]:
            subnet = t.node(subnet_id)
            props: dict[str, Any] = {"addressPrefix": azure_prefix(subnet.prefix),
                                     "defaultOutboundAccess": not subnet.private}
            nsg = t.nsg_of(subnet_id)
            if nsg:
                props["networkSecurityGroup"] = {"id": Ref(key("nsg", nsg))}
            nat = t.nat_gateway_of_subnet(subnet_id)
            if nat:
                props["natGateway"] = {"id": Ref(key("nat_gateway", nat))}
            subnets.append({"name": p.names[subnet_id], "properties": props})
        return self.resource(
            "vnet", vnet_id, "Microsoft.Network/virtualNetworks", "Vnet",
            {"location": self.location,
             "properties": {"addressSpace": {"addressPrefixes": [azure_prefix(c) for c in
                                                                 vnet.address_space]},
                            "subnets": subnets}})

    def subnet_ref(self, subnet_id: str) -> Ref:
        return Ref(key("vnet", self.p.vnet_of(subnet_id)), ("subnets", self.p.names[subnet_id]))

    def load_balancer(self, lbp: LbPlan) -> Resource:
        lb = lbp.lb
        me = key("load_balancer", lbp.id)

        def part(collection: str, name: str) -> dict:
            return {"id": Ref(me, (collection, name))}

        frontends = []
        for pip, name in lbp.frontends:
            if pip is not None:
                props: dict[str, Any] = {"publicIPAddress": {"id": Ref(key("public_ip", pip))}}
            else:
                props = {"privateIPAllocationMethod": "Dynamic",
                         "subnet": {"id": self.subnet_ref(lbp.subnet)}}
            frontends.append({"name": name, "properties": props})
        body: dict[str, Any] = {"frontendIPConfigurations": frontends,
                                "backendAddressPools": [{"name": lbp.pool}]}
        if lb.probe is not None:
            probe = lb.probe
            props = {"protocol": _PROBES[probe.protocol], "port": probe.port}
            if probe.protocol != "tcp":
                props["requestPath"] = probe.path
            props["intervalInSeconds"] = probe.interval_s
            props["numberOfProbes"] = probe.count
            if probe.threshold is not None:
                props["probeThreshold"] = probe.threshold
            if lb.no_healthy_backends == "all_probed_up":
                props["noHealthyBackendsBehavior"] = "AllProbedUp"
            body["probes"] = [{"name": lbp.probe, "properties": props}]
        rules = []
        for rule, name in lbp.rules:
            props = {"frontendIPConfiguration": part("frontendIPConfigurations",
                                                     lbp.frontend_name(rule.frontend)),
                     "backendAddressPool": part("backendAddressPools", lbp.pool)}
            if lbp.probe:
                props["probe"] = part("probes", lbp.probe)
            props.update({"protocol": _PROTOCOLS[rule.protocol],
                          "frontendPort": rule.frontend_port, "backendPort": rule.backend_port,
                          "idleTimeoutInMinutes": rule.idle_timeout_min,
                          "enableTcpReset": rule.enable_tcp_reset,
                          "disableOutboundSnat": rule.disable_outbound_snat})
            rules.append({"name": name, "properties": props})
        if rules:
            body["loadBalancingRules"] = rules
        outbound = []
        for rule, fronts in lbp.outbound_rules:
            outbound.append({"name": rule.name, "properties": {
                "frontendIPConfigurations": [part("frontendIPConfigurations", f) for f in fronts],
                "backendAddressPool": part("backendAddressPools", lbp.pool),
                "protocol": _PROTOCOLS[rule.protocol],
                "allocatedOutboundPorts": rule.allocated_ports,
                "idleTimeoutInMinutes": rule.idle_timeout_min,
                "enableTcpReset": rule.enable_tcp_reset}})
        if outbound:
            body["outboundRules"] = outbound
        comment = self.renamed(lbp.id)
        if lbp.id in self.p.deploy.original.topology and self.p.deploy.converted and \
                self.p.deploy.original.topology.node(lbp.id).sku == "basic":
            comment = "drawn as a Basic load balancer: this is its Standard equivalent"
        return self.resource(
            "load_balancer", lbp.id, "Microsoft.Network/loadBalancers", "Lb",
            {"location": self.location, "sku": {"name": lb.sku.capitalize(), "tier": "Regional"},
             "properties": body}, comment=comment)

    # ---------------------------------------------------------------- compute
    def availability_set(self, text: str, name: str) -> Resource:
        return Resource(key("availability_set", text), "Microsoft.Compute/availabilitySets",
                        COMPUTE_API, name, name, "AvSet",
                        {"location": self.location, "sku": {"name": "Aligned"},
                         "properties": {"platformFaultDomainCount": 2,
                                        "platformUpdateDomainCount": 5}})

    def group_name(self, g: VmGroup, suffix: str = "") -> str | LoopName:
        return LoopName(g.loop, suffix) if g.loop else g.names[0] + suffix

    def nic(self, g: VmGroup) -> Resource:
        p = self.p
        ip: dict[str, Any] = {"subnet": {"id": self.subnet_ref(g.subnet)},
                              "privateIPAllocationMethod": "Static" if g.private_ip else "Dynamic"}
        if g.private_ip:
            ip["privateIPAddress"] = g.private_ip
        if g.public_ip:
            ip["publicIPAddress"] = {"id": Ref(key("public_ip", g.public_ip))}
        if g.lbs:
            ip["loadBalancerBackendAddressPools"] = [
                {"id": Ref(key("load_balancer", lb), ("backendAddressPools", self.lb(lb).pool))}
                for lb in g.lbs]
        props: dict[str, Any] = {"ipConfigurations": [{"name": IP_CONFIGURATION,
                                                       "properties": ip}]}
        if g.nsg:
            props["networkSecurityGroup"] = {"id": Ref(key("nsg", g.nsg))}
        name = self.group_name(g, "-nic")
        nic_name = p.nics[g.vms[0]]
        return Resource(key("nic", g.vms[0]), "Microsoft.Network/networkInterfaces", NETWORK_API,
                        name if g.loop else nic_name, g.symbol_name + "-nic", "Nic",
                        {"location": self.location, "properties": props}, loop=g.loop)

    def lb(self, lb_id: str) -> LbPlan:
        return next(lbp for lbp in self.p.lbs if lbp.id == lb_id)

    def vm(self, g: VmGroup) -> Resource:
        name = self.group_name(g)
        props: dict[str, Any] = {
            "hardwareProfile": {"vmSize": Param("vmSize")},
            "storageProfile": {"imageReference": Param("vmImage"),
                               "osDisk": {"createOption": "FromImage",
                                          "managedDisk": {"storageAccountType":
                                                          DEFAULT_OS_DISK_TYPE},
                                          "deleteOption": "Delete"}},
            "osProfile": {"computerName": name, "adminUsername": Param("adminUsername"),
                          "linuxConfiguration": Var("linuxConfiguration")},
            "networkProfile": {"networkInterfaces": [
                {"id": Ref(key("nic", g.vms[0]), indexed=g.loop is not None),
                 "properties": {"deleteOption": "Delete"}}]},
        }
        if g.availability_set:
            props["availabilitySet"] = {"id": Ref(key("availability_set", g.availability_set))}
        comment = "" if g.loop else self.renamed(g.vms[0])
        if g.loop:
            comment = f"{g.loop.count} identical VMs: {g.names[0]} " \
                f"{'and' if g.loop.count == 2 else 'to'} {g.names[-1]}"
        return Resource(key("vm", g.vms[0]), "Microsoft.Compute/virtualMachines", COMPUTE_API,
                        name, g.symbol_name, "Vm",
                        {"location": self.location, "properties": props}, loop=g.loop,
                        comment=comment)


def references(value: Any) -> list[Ref]:
    """Every :class:`Ref` inside ``value`` (depth first, in order, without repeats)."""
    out: list[Ref] = []

    def walk(v: Any) -> None:
        if isinstance(v, Ref):
            if v not in out:
                out.append(v)
        elif isinstance(v, dict):
            for item in v.values():
                walk(item)
        elif isinstance(v, (list, tuple)):
            for item in v:
                walk(item)
        elif isinstance(v, Interpolate):
            walk(list(v.args))
    walk(value)
    return out
