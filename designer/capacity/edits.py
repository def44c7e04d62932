"""Scenario edits for fix comparisons and sweeps: each returns a real edited *copy*.

Every function takes a scenario, leaves it untouched and returns a new :class:`Scenario`
(components are immutable, so a copy shares them and costs a graph copy).  The edits are the
ones Microsoft documents as mitigations (section 7.3 of azure-outbound-rules.md) plus the
counts a capacity sweep varies; they only use the model's API, so a variant saves, opens and
simulates like any file the user drew.

New nodes get readable ids (``nat-web``, ``nat-web-ip-1``, ``web-4``) and positions next to
what they attach to, so an edited copy opened in the editor looks drawn, not piled up.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Iterable

from ..model import Link, OutboundRule, Scenario, make_component
from ..model.links import NAT_GATEWAY_MAX_IPS

#: M-B5: outbound-rule allocations are multiples of 8; at most 64,000 per instance
PORT_MULTIPLE = 8
MAX_PORTS_PER_INSTANCE = 64_000
#: M-B3: SNAT ports per load balancer frontend IP (2018+) and the 8-port block an LB rule's
#: frontend port costs on it
LB_PORTS_PER_FRONTEND = 64_000
LB_RULE_BLOCK = 8
#: the name of the outbound rule the comparison creates when a load balancer has none
OUTBOUND_RULE_NAME = "outbound-snat"


class EditError(ValueError):
    """An edit that does not apply to this scenario (says why in words)."""


def copy_scenario(scenario: Scenario) -> Scenario:
    """A mutable copy that shares the (immutable) components."""
    return Scenario(scenario.topology.copy(), name=scenario.name,
                    description=scenario.description, semantics=scenario.semantics,
                    seed=scenario.seed, options=dict(scenario.options))


def _near(scenario: Scenario, node_id: str, dx: float, dy: float) -> tuple[float, float]:
    node = scenario.topology.get(node_id)
    x, y = node.position if node is not None else (0.0, 0.0)
    return (float(x + dx), float(y + dy))


def _stem(node_id: str) -> str:
    """``web-3`` -> ``web``; ``api`` -> ``api`` (new ids continue the user's numbering)."""
    match = re.fullmatch(r"(.*?)-?\d+", node_id)
    return match.group(1) if match and match.group(1) else node_id


def _new_public_ip(scenario: Scenario, stem: str, position: tuple[float, float],
                   sku: str = "standard", plain: bool = False) -> str:
    """A new public IP (address left to the loader's documentation range); its id is
    ``stem`` itself with ``plain`` when free, else ``stem-1``, ``stem-2``, ..."""
    topo = scenario.topology
    pip_id = stem if plain and stem not in topo else topo.unique_id(stem)
    topo.add_node(make_component("public_ip", pip_id, sku=sku, position=position))
    return pip_id


def natural_key(text: str) -> tuple:
    """``web-10`` after ``web-9``."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


# ------------------------------------------------------------------------------ NAT gateway

def ensure_subnet(scenario: Scenario, vm_id: str) -> str:
    """The VM's subnet; a VM drawn without one gets an explicit subnet holding every VM of the
    implied subnet (a NAT gateway attaches to a subnet, never to a VM)."""
    topo = scenario.topology
    subnet = topo.subnet_of(vm_id)
    if subnet is not None:
        return subnet
    from ..model.topology import IMPLIED_SUBNET_PREFIX
    subnet = "default" if "default" not in topo else topo.unique_id("default")
    topo.add_node(make_component("subnet", subnet, prefix=IMPLIED_SUBNET_PREFIX,
                                 position=_near(scenario, vm_id, -60.0, -80.0)))
    for vm in topo.nodes("vm"):
        if topo.subnet_of(vm.id) is None:
            topo.connect(Link(vm.id, subnet, "in_subnet"))
    return subnet


def set_nat_public_ips(scenario: Scenario, nat_id: str, count: int) -> Scenario:
    """The NAT gateway with exactly ``count`` public IPs (new ones Standard; the last ones go
    first when there are too many)."""
    if not 0 <= count <= NAT_GATEWAY_MAX_IPS:
        raise EditError(f"a NAT gateway has 1 to {NAT_GATEWAY_MAX_IPS} public IPs, not {count}")
    out = copy_scenario(scenario)
    topo = out.topology
    ips = sorted(topo.nat_public_ips(nat_id), key=natural_key)
    for pip_id in ips[count:]:
        topo.remove_node(pip_id)
    for index in range(len(ips), count):
        # left of the gateway, which sits left of its subnet
        pip_id = _new_public_ip(out, f"{nat_id}-ip", _near(out, nat_id, -150.0, 70.0 * index))
        topo.connect(Link(nat_id, pip_id, "nat"))
    return out


def attach_nat_gateway(scenario: Scenario, vm_id: str, public_ips: int) -> tuple[Scenario, str]:
    """The VM's subnet with a NAT gateway of ``public_ips`` Standard public IPs (a gateway
    already on the subnet gets that many IPs instead).  Returns (copy, subnet id)."""
    out = copy_scenario(scenario)
    subnet = ensure_subnet(out, vm_id)
    topo = out.topology
    nat = topo.nat_gateway_of_subnet(subnet)
    if nat is None:
        nat = f"nat-{subnet}" if f"nat-{subnet}" not in topo else topo.unique_id(f"nat-{subnet}")
        topo.add_node(make_component("nat_gateway", nat,
                                     position=_near(out, subnet, -200.0, 10.0)))
        topo.connect(Link(nat, subnet, "nat"))
    return set_nat_public_ips(out, nat, public_ips), subnet


# ------------------------------------------------------------------------------ load balancer

def frontend_capacity(scenario: Scenario, lb_id: str, pip_id: str) -> int:
    """M-B3: 64,000 ports minus 8 per 8-port block of LB-rule frontend ports on the IP."""
    lb = scenario.topology.node(lb_id)
    blocks = {r.frontend_port // LB_RULE_BLOCK for r in lb.rules if r.frontend == pip_id}
    return LB_PORTS_PER_FRONTEND - LB_RULE_BLOCK * len(blocks)


def round_up_ports(ports: float) -> int:
    """The smallest valid outbound-rule allocation (a multiple of 8, at least 8) >= ports."""
    return max(PORT_MULTIPLE, -(-int(ports) // PORT_MULTIPLE) * PORT_MULTIPLE)


def _outbound_protocol(protocols: set[str]) -> str:
    return "all" if protocols >= {"tcp", "udp"} else (next(iter(protocols)) if protocols
                                                      else "all")


def set_outbound_rule(scenario: Scenario, lb_id: str, *, ports: int | None = None,
                      extra_frontends: int = 0, protocols: Iterable[str] = ("tcp",),
                      fit_budget: bool = True) -> tuple[Scenario, dict]:
    """A Standard public load balancer whose first outbound rule gives ``ports`` per instance
    (``None`` keeps the rule's allocation; a new rule starts at 0 = the default table, M-B4).

    A load balancer without an outbound rule gets one (``outbound-snat``) on its first
    frontend, and the load-balancing rules on that IP get ``disable_outbound_snat`` (Azure
    refuses an outbound rule on an IP that an LB rule still uses for SNAT, M-B5).
    ``extra_frontends`` new Standard public IPs join the rule; with ``fit_budget`` more are
    added while ports x pool size exceeds what the rule's IPs hold (M-B5).  Returns the copy
    and what changed: {rule, created, allocated_ports, frontends, new_ips, disabled_snat}.
    """
    topo = scenario.topology
    lb = topo.node(lb_id)
    if lb is None or lb.KIND != "load_balancer":
        raise EditError(f"{lb_id} is not a load balancer")
    if scenario.semantics == "classic":
        raise EditError("classic semantics (2017) has no outbound rules (M-A1)")
    if lb.sku != "standard":
        raise EditError(f"{lb_id} is a Basic load balancer: outbound rules need a Standard "
                        f"load balancer (M-B5); upgrade it and its public IPs first")
    if lb.type != "public":
        raise EditError(f"{lb_id} is an internal load balancer: an outbound rule needs a public "
                        f"frontend (the outbound-only pattern is a second, public Standard "
                        f"load balancer)")
    out = copy_scenario(scenario)
    topo = out.topology
    pool = topo.backend_pool(lb_id)
    created = not lb.outbound_rules
    new_ips: list[str] = []
    disabled: list[str] = []
    if created:
        fronts = topo.frontends(lb_id)
        if fronts:
            first = fronts[0]
        else:
            first = _new_public_ip(out, f"{lb_id}-outbound-ip", _near(out, lb_id, 180.0, 0.0))
            topo.connect(Link(lb_id, first, "frontend"))
            new_ips.append(first)
        rules = []
        for rule in lb.rules:
            if rule.frontend == first and not rule.disable_outbound_snat:
                rule = dataclasses.replace(rule, disable_outbound_snat=True)
                disabled.append(rule.name)
            rules.append(rule)
        name = OUTBOUND_RULE_NAME
        outbound = OutboundRule(name=name, frontends=(first,),
                                protocol=_outbound_protocol(set(protocols)), allocated_ports=0)
        lb = dataclasses.replace(lb, rules=tuple(rules), outbound_rules=(outbound,))
    outbound = lb.outbound_rules[0]
    if ports is not None:
        outbound = dataclasses.replace(outbound, allocated_ports=int(ports))

    def add_frontend() -> None:
        nonlocal outbound
        index = len(new_ips)
        pip_id = _new_public_ip(out, f"{lb_id}-outbound-ip",
                                _near(out, lb_id, 180.0, 70.0 * (index + 1)))
        topo.connect(Link(lb_id, pip_id, "frontend"))
        new_ips.append(pip_id)
        outbound = dataclasses.replace(outbound, frontends=outbound.frontends + (pip_id,))

    def capacity() -> int:
        lb_now = dataclasses.replace(lb, outbound_rules=(outbound,) + lb.outbound_rules[1:])
        topo.replace_node(lb_now)
        return sum(frontend_capacity(out, lb_id, f) for f in outbound.frontends)

    for _ in range(extra_frontends):
        add_frontend()
    if fit_budget and outbound.allocated_ports > 0 and pool:
        while outbound.allocated_ports * len(pool) > capacity():
            add_frontend()
    lb = dataclasses.replace(lb, outbound_rules=(outbound,) + lb.outbound_rules[1:])
    topo.replace_node(lb)
    return out, {"rule": outbound.name, "created": created,
                 "allocated_ports": outbound.allocated_ports,
                 "frontends": list(outbound.frontends), "new_ips": new_ips,
                 "disabled_snat": disabled}


def set_lb_frontends(scenario: Scenario, lb_id: str, count: int) -> Scenario:
    """A load balancer with ``count`` frontend IPs: new Standard (or Basic, for a Basic LB)
    public IPs are linked as frontends and join its first outbound rule; extra ones (the last
    added) are removed, with the rules that use them."""
    out = copy_scenario(scenario)
    topo = out.topology
    lb = topo.node(lb_id)
    fronts = sorted(topo.frontends(lb_id), key=natural_key)
    if count < 1:
        raise EditError("a public load balancer keeps at least 1 frontend IP")
    for pip_id in fronts[count:]:
        topo.remove_node(pip_id)
    added = []
    for index in range(len(fronts), count):
        pip_id = _new_public_ip(out, f"{lb_id}-ip", _near(out, lb_id, 180.0, 70.0 * index),
                                sku=lb.sku)
        topo.connect(Link(lb_id, pip_id, "frontend"))
        added.append(pip_id)
    kept = set(fronts[:count]) | set(added)
    rules = tuple(r for r in lb.rules if r.frontend in kept)
    outbound = tuple(dataclasses.replace(
        o, frontends=tuple(f for f in o.frontends if f in kept) + (tuple(added) if i == 0
                                                                     else ()))
        for i, o in enumerate(lb.outbound_rules))
    topo.replace_node(dataclasses.replace(lb, rules=rules, outbound_rules=outbound))
    return out


# ------------------------------------------------------------------------------ VMs

def add_instance_ips(scenario: Scenario, vm_ids: Iterable[str]) -> tuple[Scenario, list[str]]:
    """Each VM with an instance-level public IP (C10): Standard in modern semantics unless the
    VM is in a Basic load balancer's pool (SKUs do not mix on a VM), Basic in classic."""
    out = copy_scenario(scenario)
    topo = out.topology
    added = []
    for vm_id in vm_ids:
        if topo.instance_ip(vm_id) is not None:
            raise EditError(f"{vm_id} already has an instance public IP")
        basic = out.semantics == "classic" or any(
            topo.node(lb).sku == "basic" for lb in topo.load_balancers_of(vm_id))
        pip_id = _new_public_ip(out, f"{vm_id}-ip", _near(out, vm_id, 0.0, 90.0),
                                sku="basic" if basic else "standard", plain=True)
        topo.connect(Link(vm_id, pip_id, "instance_ip"))
        added.append(pip_id)
    return out, added


def set_vm_count(scenario: Scenario, container_id: str, count: int) -> Scenario:
    """A subnet or load-balancer pool with ``count`` VMs.  New VMs copy the last VM (by id
    order): its fields (not its private IP), subnet, pools, NSG and the generators that name it
    as a source; removing takes the last VMs first."""
    topo = scenario.topology
    node = topo.get(container_id)
    if node is None or node.KIND not in ("subnet", "load_balancer"):
        raise EditError(f"{container_id} is not a subnet or load balancer (VM counts are "
                        f"varied in a subnet or a backend pool)")
    members = (topo.vms_in_subnet(container_id) if node.KIND == "subnet"
               else topo.backend_pool(container_id))
    members = sorted(members, key=natural_key)
    if count < 0:
        raise EditError(f"a VM count is at least 0, not {count}")
    out = copy_scenario(scenario)
    topo = out.topology
    for vm_id in reversed(members[count:]):
        for pip_id in topo.targets(vm_id, "instance_ip"):
            topo.remove_node(pip_id)
        topo.remove_node(vm_id)
    if count > len(members):
        if not members:
            raise EditError(f"{container_id} has no VM to copy")
        template = topo.node(members[-1])
        stem = _stem(template.id)
        x0, y0 = template.position
        for index in range(count - len(members)):
            vm_id = topo.unique_id(stem)
            topo.add_node(dataclasses.replace(template, id=vm_id, name=None, private_ip=None,
                                              position=(float(x0 + 110.0 * (index + 1)),
                                                        float(y0))))
            for link in topo.links_of(template.id):
                if link.kind == "instance_ip":
                    continue
                new = Link(vm_id if link.source == template.id else link.source,
                           vm_id if link.target == template.id else link.target, link.kind)
                topo.connect(new, check_limits=False)
    return out


# ------------------------------------------------------------------------------ generators

def set_pool_size(scenario: Scenario, sizes: dict[str, int]) -> Scenario:
    """Generators reusing connections: ``pool_size`` N per (source VM, destination)."""
    out = copy_scenario(scenario)
    for gen_id, size in sizes.items():
        out.topology.set_property(gen_id, "pool_size", int(size))
    return out


def scale_rates(scenario: Scenario, generator_ids: Iterable[str], factor: float) -> Scenario:
    """The generators' ``rate_per_s`` times ``factor`` (headroom searches)."""
    out = copy_scenario(scenario)
    for gen_id in generator_ids:
        gen = out.topology.node(gen_id)
        out.topology.set_property(gen_id, "rate_per_s", round(gen.rate_per_s * factor, 6))
    return out
