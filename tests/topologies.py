"""Topologies built in code for canvas tests and benchmarks (no files needed)."""
from __future__ import annotations

import random

from designer.model import Link, Scenario, Topology, make_component
from designer.model.components import LbRule, NsgRule, Probe


def sample_scenario() -> Scenario:
    """A small but complete diagram: a VNet with two subnets, VMs behind a load balancer,
    an instance IP, a NAT gateway, an NSG, an Internet endpoint and a traffic generator."""
    t = Topology()
    add = t.add_node
    add(make_component("vnet", "vnet-1", name="prod-vnet", position=(0.0, 0.0),
                       size=(760.0, 520.0), address_space=("10.0.0.0/16",)))
    add(make_component("subnet", "web", name="web", position=(40.0, 60.0), size=(320.0, 200.0),
                       prefix="10.0.1.0/24"))
    add(make_component("subnet", "app", name="app", position=(400.0, 60.0), size=(320.0, 200.0),
                       prefix="10.0.2.0/24", private=True))
    for i, x in enumerate((120.0, 280.0), start=1):
        add(make_component("vm", f"web-{i}", position=(x, 160.0)))
    add(make_component("vm", "app-1", position=(500.0, 160.0), private_ip="10.0.2.10"))
    add(make_component("vm", "app-2", position=(640.0, 160.0)))
    add(make_component("load_balancer", "lb", name="web-lb", position=(200.0, 400.0),
                       sku="standard", rules=(LbRule("http", frontend="lb-ip"),), probe=Probe()))
    add(make_component("public_ip", "lb-ip", position=(200.0, 620.0), address="52.0.0.10",
                       sku="standard"))
    add(make_component("public_ip", "app-ip", position=(640.0, 620.0), address="52.0.0.20",
                       sku="standard"))
    add(make_component("nat_gateway", "nat", position=(560.0, 400.0)))
    add(make_component("nsg", "web-nsg", position=(-140.0, 160.0),
                       rules=(NsgRule("allow-http", destination_port="80"),)))
    add(make_component("endpoint", "api", name="api.contoso.example", position=(420.0, 800.0)))
    add(make_component("traffic_generator", "gen", name="clients", position=(-140.0, 620.0),
                       rate_per_s=20.0))
    for link in [Link("web-1", "web", "in_subnet"), Link("web-2", "web", "in_subnet"),
                 Link("app-1", "app", "in_subnet"), Link("app-2", "app", "in_subnet"),
                 Link("web", "vnet-1", "in_vnet"), Link("app", "vnet-1", "in_vnet"),
                 Link("lb", "lb-ip", "frontend"), Link("lb", "web-1", "backend"),
                 Link("lb", "web-2", "backend"), Link("nat", "app", "nat"),
                 Link("nat", "app-ip", "nat"), Link("web-nsg", "web", "nsg"),
                 Link("gen", "web-1", "source"), Link("gen", "api", "destination")]:
        t.connect(link)
    return Scenario(t, name="Sample", semantics="modern")


def generated_scenario(nodes: int = 2000, links: int = 3000, seed: int = 7) -> Scenario:
    """A large synthetic topology with exactly ``nodes`` nodes and ``links`` links: subnets
    of VMs on a grid, load balancers with frontends and backend pools, NSGs, instance IPs and
    traffic generators, laid out so nothing overlaps (groups of 15 nodes and 21 links,
    topped up with endpoints and generator destinations)."""
    rng = random.Random(seed)
    t = Topology()
    made = 0
    link_count = 0
    vms_per_subnet = 10
    group = vms_per_subnet + 5  # subnet + 10 VMs + lb + ip + nsg + generator
    groups = max(1, nodes // group)
    columns = max(1, int(groups ** 0.5))
    all_vms: list[str] = []
    pips: list[str] = []
    for g in range(groups):
        gx, gy = (g % columns) * 1000.0, (g // columns) * 700.0
        subnet = f"subnet-{g}"
        t.add_node(make_component("subnet", subnet, position=(gx, gy), size=(860.0, 340.0),
                                  prefix=f"10.{g // 250}.{g % 250}.0/24"))
        lb, ip, nsg, gen = f"lb-{g}", f"pip-{g}", f"nsg-{g}", f"gen-{g}"
        t.add_node(make_component("load_balancer", lb, position=(gx + 200, gy + 460)))
        t.add_node(make_component("public_ip", ip, position=(gx + 200, gy + 600)))
        t.add_node(make_component("nsg", nsg, position=(gx + 500, gy + 460)))
        t.add_node(make_component("traffic_generator", gen, position=(gx + 700, gy + 460)))
        made += 5
        pips.append(ip)
        group_links = [Link(lb, ip, "frontend"), Link(nsg, subnet, "nsg"), Link(gen, lb, "source")]
        vms = []
        for v in range(vms_per_subnet):
            vm = f"vm-{g}-{v}"
            x = gx + 80 + (v % 5) * 170
            y = gy + 100 + (v // 5) * 140
            t.add_node(make_component("vm", vm, position=(x, y)))
            made += 1
            vms.append(vm)
            group_links.append(Link(vm, subnet, "in_subnet"))
            if v < 8:  # 21 links a group, so that the total comes out exact
                group_links.append(Link(lb, vm, "backend"))
        all_vms.extend(vms)
        for link in group_links:
            if link_count < links:
                t.connect(link, check_limits=False)
                link_count += 1
    # top up nodes with Internet endpoints spread over the drawing (regional endpoints), and
    # links with generator destinations, each generator to its nearest endpoints first, so
    # the picture looks like a diagram rather than 200 lines converging on one corner
    rows = (groups + columns - 1) // columns
    spare = max(nodes - made, 0)
    endpoints = []
    for k in range(spare):
        col = (k * max(columns, 1)) / max(spare, 1)
        e = f"endpoint-{k + 1}"
        x = col * 1000.0 + 920.0
        y = ((k * 7919) % max(rows, 1)) * 700.0 + 560.0
        t.add_node(make_component("endpoint", e, position=(x, y)))
        endpoints.append((e, x, y))
        made += 1
    targets = endpoints or [(p, 0.0, 0.0) for p in pips]
    nearest: dict[str, list[str]] = {}
    for g in range(groups):
        gx, gy = (g % columns) * 1000.0 + 700, (g // columns) * 700.0 + 460
        nearest[f"gen-{g}"] = [e for e, _, _ in sorted(
            targets, key=lambda item: (item[1] - gx) ** 2 + (item[2] - gy) ** 2)]
    rank = 0
    while link_count < links and rank < len(targets):
        for g in rng.sample(range(groups), groups):
            if link_count >= links:
                break
            link = Link(f"gen-{g}", nearest[f"gen-{g}"][rank], "destination")
            if not t.has_link(link):
                t.connect(link, check_limits=False)
                link_count += 1
        rank += 1
    return Scenario(t, name=f"Generated {nodes} nodes", semantics="modern")


def editor_scale_scenario(groups: int = 80, vms_per_group: int = 20,
                          links: int = 3720) -> Scenario:
    """The size of issue 12's measurements: 2,000 nodes (1,600 VMs) and 3,720 links.  Each
    group is a subnet of VMs behind a Standard public load balancer with a rule (so every VM
    has a load-balancer path to explain), its frontend IP, an NSG on the subnet and a traffic
    generator; generators also send to the frontends of the next groups.  Laid out by the
    program's own layout."""
    from designer.model.layout import apply_positions, layout_positions
    t = Topology()
    for g in range(groups):
        subnet, lb, ip, nsg, gen = f"subnet-{g}", f"lb-{g}", f"pip-{g}", f"nsg-{g}", f"gen-{g}"
        t.add_node(make_component("subnet", subnet, prefix=f"10.{g // 250}.{g % 250}.0/24"))
        t.add_node(make_component("load_balancer", lb, sku="standard",
                                  rules=(LbRule("http", frontend=ip),), probe=Probe()))
        t.add_node(make_component("public_ip", ip, sku="standard",
                                  address=f"52.{g // 250}.{g % 250}.10"))
        t.add_node(make_component("nsg", nsg, rules=(NsgRule("allow-http", destination_port="80"),)))
        t.add_node(make_component("traffic_generator", gen))
        for link in (Link(lb, ip, "frontend"), Link(nsg, subnet, "nsg"), Link(gen, lb, "source")):
            t.connect(link)
        for v in range(vms_per_group):
            vm = f"vm-{g}-{v}"
            t.add_node(make_component("vm", vm))
            t.connect(Link(vm, subnet, "in_subnet"))
            t.connect(Link(lb, vm, "backend"))
    count = len(t.links())
    for step in range(1, groups):
        for g in range(groups):
            if count >= links:
                break
            t.connect(Link(f"gen-{g}", f"pip-{(g + step) % groups}", "destination"))
            count += 1
    apply_positions(t, *layout_positions(t))
    return Scenario(t, name=f"Editor scale ({len(t)} nodes)", semantics="modern")
