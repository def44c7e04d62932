"""Small builders for test topologies: a readable spec that tests mutate, then turn into a
:class:`Scenario`; and a generator of large topologies for the benchmark."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from designer.model import LbRule, Link, Probe, Scenario, make_component


@dataclass
class Spec:
    semantics: str = "classic"
    options: dict[str, Any] = field(default_factory=dict)
    nodes: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    links: list[tuple[str, str, str]] = field(default_factory=list)

    # mutations (each returns self so that cases read as one expression)
    def add(self, node_id: str, kind: str, **fields: Any) -> "Spec":
        self.nodes[node_id] = (kind, fields)
        return self

    def set(self, node_id: str, **fields: Any) -> "Spec":
        self.nodes[node_id][1].update(fields)
        return self

    def link(self, source: str, target: str, kind: str) -> "Spec":
        self.links.append((source, target, kind))
        return self

    def unlink(self, source: str, target: str, kind: str) -> "Spec":
        self.links.remove((source, target, kind))
        return self

    def copy(self) -> "Spec":
        return copy.deepcopy(self)

    def build(self) -> Scenario:
        scenario = Scenario(name="test", semantics=self.semantics, options=dict(self.options))
        for node_id, (kind, fields) in self.nodes.items():
            scenario.topology.add_node(make_component(kind, node_id, **fields))
        for source, target, kind in self.links:
            scenario.topology.connect(Link(source, target, kind), check_limits=False)
        return scenario


def web_tier(semantics: str = "classic") -> Spec:
    """Two VMs in a subnet of a VNet behind a public load balancer with one rule, and a
    generator calling an Internet endpoint: valid under both semantics (Basic SKUs for
    classic, Standard for modern)."""
    sku = "standard" if semantics == "modern" else "basic"
    spec = Spec(semantics)
    spec.add("vnet", "vnet", address_space=("10.0.0.0/16",))
    spec.add("sub", "subnet", prefix="10.0.1.0/24")
    spec.add("web-1", "vm").add("web-2", "vm")
    spec.add("lb", "load_balancer", sku=sku, type="public",
             rules=(LbRule(name="http", frontend="lb-ip", frontend_port=80, backend_port=80),),
             probe=Probe(protocol="tcp", port=80))
    spec.add("lb-ip", "public_ip", sku=sku, address="52.0.0.10")
    spec.add("api", "endpoint", address="20.50.1.4", port=443)
    spec.add("gen", "traffic_generator", protocol="tcp", rate_per_s=5.0)
    for link in [("sub", "vnet", "in_vnet"), ("web-1", "sub", "in_subnet"),
                 ("web-2", "sub", "in_subnet"), ("lb", "lb-ip", "frontend"),
                 ("lb", "web-1", "backend"), ("lb", "web-2", "backend"),
                 ("gen", "web-1", "source"), ("gen", "api", "destination")]:
        spec.link(*link)
    return spec


def large_topology(n_nodes: int = 5000, semantics: str = "modern") -> Scenario:
    """A generated topology of about ``n_nodes`` nodes: VNets of subnets of VMs, each subnet
    with an NSG of ten rules, a pool of up to 40 VMs behind a load balancer (Standard with an
    outbound rule under modern, Basic under classic), and a generator per pool."""
    from designer.model import NsgRule, OutboundRule
    sku = "standard" if semantics == "modern" else "basic"
    spec = Spec(semantics)
    count = 0
    v = 0
    while count < n_nodes:
        v += 1
        vnet = f"vnet-{v}"
        spec.add(vnet, "vnet", address_space=(f"10.{v % 250}.0.0/16",))
        count += 1
        for s in range(1, 9):
            if count >= n_nodes:
                break
            sub = f"{vnet}-sub-{s}"
            spec.add(sub, "subnet", prefix=f"10.{v % 250}.{s}.0/24").link(sub, vnet, "in_vnet")
            nsg = f"{sub}-nsg"
            spec.add(nsg, "nsg", rules=tuple(
                NsgRule(name=f"r{i}", priority=100 + i, direction="outbound", access="allow",
                        destination_port=str(1000 + i)) for i in range(10)))
            spec.link(nsg, sub, "nsg")
            lb, ip = f"{sub}-lb", f"{sub}-ip"
            spec.add(ip, "public_ip", sku=sku, address=f"52.{v % 250}.{s}.1")
            rules = (LbRule(name="http", frontend=ip, disable_outbound_snat=semantics == "modern"),)
            outbound = (OutboundRule(name="out", frontends=(ip,), allocated_ports=1024),) \
                if semantics == "modern" else ()
            spec.add(lb, "load_balancer", sku=sku, rules=rules, outbound_rules=outbound)
            spec.link(lb, ip, "frontend")
            gen = f"{sub}-gen"
            spec.add(gen, "traffic_generator").link(gen, lb, "source")
            dest = f"{sub}-api"
            spec.add(dest, "endpoint", address=f"20.{v % 250}.{s}.4").link(gen, dest, "destination")
            count += 6
            for m in range(1, 41):
                if count >= n_nodes:
                    break
                vm = f"{sub}-vm-{m}"
                spec.add(vm, "vm", private_ip=f"10.{v % 250}.{s}.{m + 3}")
                spec.link(vm, sub, "in_subnet").link(lb, vm, "backend")
                count += 1
    return spec.build()
