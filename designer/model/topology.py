"""The topology: typed components on a networkx MultiDiGraph, with change notifications.

Nodes are stored as graph nodes (attribute ``component``); links as edges keyed by their link
kind, so a (source, target, kind) triple exists at most once.  Every mutation goes through a
method here and notifies listeners with a :class:`ChangeEvent`, so the editor's scene can
mirror the model without ever writing to it.

The questions the engine, the validator and the editor ask (the backend pool of a load
balancer, a VM's instance IP, subnet and NSGs, the subnets of a NAT gateway, ...) are
answered here too, so there is one definition of each.
"""
from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import networkx as nx

from .components import Component, component_class, field_specs
from .links import LINK_RULES, Link, refusal, why_not
from .options import effective_options

#: an implied subnet for VMs drawn without one (a quick sketch simulates without ceremony)
IMPLIED_SUBNET_PREFIX = "10.255.0.0/16"
#: Azure reserves the first four addresses of every subnet
FIRST_HOST_OFFSET = 4


@dataclass(frozen=True)
class ChangeEvent:
    """What changed.  ``kind`` is one of node_added, node_removed, link_added, link_removed,
    property_changed, moved, scenario_changed."""
    kind: str
    node_id: str | None = None
    link: Link | None = None
    field: str | None = None
    old: Any = None
    new: Any = None


class TopologyError(ValueError):
    """A mutation that the model refuses (unknown id, duplicate id, link not allowed)."""


Listener = Callable[[ChangeEvent], None]


class Topology:
    def __init__(self) -> None:
        self.graph = nx.MultiDiGraph()
        self._listeners: list[Listener] = []
        self._frozen = False
        # the links of each (node, kind), both ways: "the NSG of this subnet" must not walk
        # the subnet's thousands of VM links (the graph keeps links by neighbour, not kind)
        self._out_by_kind: dict[tuple[str, str], dict[str, None]] = {}
        self._in_by_kind: dict[tuple[str, str], dict[str, None]] = {}

    def _index_link(self, source: str, target: str, kind: str) -> None:
        self._out_by_kind.setdefault((source, kind), {})[target] = None
        self._in_by_kind.setdefault((target, kind), {})[source] = None

    def _unindex_link(self, source: str, target: str, kind: str) -> None:
        for table, key, other in ((self._out_by_kind, (source, kind), target),
                                  (self._in_by_kind, (target, kind), source)):
            neighbours = table[key]
            del neighbours[other]
            if not neighbours:
                del table[key]

    # ---------------------------------------------------------------- notifications
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, event: ChangeEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    def _check_mutable(self) -> None:
        if self._frozen:
            raise TopologyError("this topology is a read-only snapshot")

    # ---------------------------------------------------------------- nodes
    def __contains__(self, node_id: object) -> bool:
        return node_id in self.graph

    def __len__(self) -> int:
        return self.graph.number_of_nodes()

    def node(self, node_id: str) -> Component:
        try:
            return self.graph.nodes[node_id]["component"]
        except KeyError:
            raise TopologyError(f"no node with id {node_id!r}") from None

    def get(self, node_id: str) -> Component | None:
        data = self.graph.nodes.get(node_id)
        return data["component"] if data else None

    def nodes(self, kind: str | None = None) -> list[Component]:
        out = [d["component"] for _, d in self.graph.nodes(data=True)]
        if kind is not None:
            out = [c for c in out if c.KIND == kind]
        return out

    def node_ids(self, kind: str | None = None) -> list[str]:
        return [c.id for c in self.nodes(kind)]

    def add_node(self, component: Component) -> None:
        self._check_mutable()
        if not component.id:
            raise TopologyError("a node needs an id")
        if component.id in self.graph:
            raise TopologyError(f"id {component.id!r} is already used")
        self.graph.add_node(component.id, component=component)
        self._emit(ChangeEvent("node_added", node_id=component.id, new=component))

    def remove_node(self, node_id: str) -> list[Link]:
        """Remove a node and its links; returns the links removed (links first, then node)."""
        self._check_mutable()
        component = self.node(node_id)
        removed = self.links_of(node_id)
        for link in removed:
            self.disconnect(link)
        self.graph.remove_node(node_id)
        self._emit(ChangeEvent("node_removed", node_id=node_id, old=component))
        return removed

    def replace_node(self, component: Component) -> None:
        """Swap in a new immutable component object for an existing id."""
        self._check_mutable()
        old = self.node(component.id)
        if type(old) is not type(component):
            raise TopologyError(f"{component.id!r} is a {old.KIND}, not a {component.KIND}")
        self.graph.nodes[component.id]["component"] = component
        for spec in field_specs(type(component)):
            before, after = getattr(old, spec.name), getattr(component, spec.name)
            if before != after:
                kind = "moved" if spec.name == "position" else "property_changed"
                self._emit(ChangeEvent(kind, node_id=component.id, field=spec.name,
                                       old=before, new=after))

    def set_property(self, node_id: str, field: str, value: Any) -> None:
        component = self.node(node_id)
        names = {s.name for s in field_specs(type(component))}
        if field not in names:
            raise TopologyError(f"a {component.KIND} has no field {field!r}")
        self.replace_node(dataclasses.replace(component, **{field: value}))

    def move(self, node_id: str, position: tuple[float, float]) -> None:
        """Set a node's position (the one change a drag, a nudge or a layout makes to
        thousands of nodes at once: straight to the point, without comparing every field)."""
        self._check_mutable()
        old = self.node(node_id)
        position = (float(position[0]), float(position[1]))
        if old.position == position:
            return
        self.graph.nodes[node_id]["component"] = dataclasses.replace(old, position=position)
        self._emit(ChangeEvent("moved", node_id=node_id, field="position", old=old.position,
                               new=position))

    def unique_id(self, stem: str) -> str:
        """The first free id of the form ``stem-1``, ``stem-2``, ... (readable ids)."""
        n = 1
        while f"{stem}-{n}" in self.graph:
            n += 1
        return f"{stem}-{n}"

    # ---------------------------------------------------------------- links
    def links(self, kind: str | None = None) -> list[Link]:
        return [Link(u, v, k) for u, v, k in self.graph.edges(keys=True)
                if kind is None or k == kind]

    def has_link(self, link: Link) -> bool:
        return self.graph.has_edge(link.source, link.target, key=link.kind)

    # links_from / links_to of one kind read the index by (node, kind); of every kind they
    # read networkx's adjacency dicts directly (the edge views cost ~10x more per edge)
    def links_from(self, node_id: str, kind: str | None = None) -> list[Link]:
        if kind is not None:
            return [Link(node_id, v, kind) for v in self._out_by_kind.get((node_id, kind), ())]
        succ = self.graph._succ.get(node_id)
        if succ is None:
            return []
        return [Link(node_id, v, k) for v, keys in succ.items() for k in keys
                if kind is None or k == kind]

    def links_to(self, node_id: str, kind: str | None = None) -> list[Link]:
        if kind is not None:
            return [Link(u, node_id, kind) for u in self._in_by_kind.get((node_id, kind), ())]
        pred = self.graph._pred.get(node_id)
        if pred is None:
            return []
        return [Link(u, node_id, k) for u, keys in pred.items() for k in keys
                if kind is None or k == kind]

    def links_of(self, node_id: str) -> list[Link]:
        return self.links_from(node_id) + self.links_to(node_id)

    def targets(self, node_id: str, kind: str) -> list[str]:
        return list(self._out_by_kind.get((node_id, kind), ()))

    def sources(self, node_id: str, kind: str) -> list[str]:
        return list(self._in_by_kind.get((node_id, kind), ()))

    def can_connect(self, link: Link) -> str | None:
        """None when ``link`` may be added now, else the reason it may not, in the words of
        someone drawing (the editor shows it while a connection is dragged)."""
        src, dst = self.get(link.source), self.get(link.target)
        if src is None:
            return f"no node with id {link.source!r}"
        if dst is None:
            return f"no node with id {link.target!r}"
        if link.source == link.target:
            return "a node can't be linked to itself"
        reason = refusal(link.kind, src.KIND, dst.KIND)
        if reason:
            return reason
        rule = LINK_RULES[link.kind]
        if self.has_link(link):
            return (f"{src.display_name} and {dst.display_name} are already linked "
                    f"({rule.label.lower()})")
        if rule.max_out is not None and len(self.links_from(link.source, link.kind)) >= rule.max_out:
            existing = self.node(self.targets(link.source, link.kind)[0]).display_name
            return {"instance_ip": f"{src.display_name} already has an instance public IP "
                                   f"({existing})",
                    "in_subnet": f"{src.display_name} is already in subnet {existing} (a "
                                 f"VM's network interface is in one subnet)",
                    "in_vnet": f"{src.display_name} is already in virtual network "
                               f"{existing}"}.get(
                link.kind, f"{src.display_name} already has a {rule.label.lower()} link")
        if rule.max_in is not None and len(self.links_to(link.target, link.kind)) >= rule.max_in:
            existing = self.node(self.sources(link.target, link.kind)[0]).display_name
            return {"nsg": f"{dst.display_name} already has network security group "
                           f"{existing} (one per network interface or subnet)",
                    "nat": f"{dst.display_name} already uses NAT gateway {existing}"}.get(
                link.kind, f"{dst.display_name} already has a {rule.label.lower()} link "
                           f"(from {existing})")
        return None

    def public_ip_taken(self, link: Link) -> str | None:
        """Why ``link`` may not attach its public IP: Azure gives a public IP to one resource
        at a time (a load balancer frontend, a NIC or a NAT gateway).  The editor refuses
        such a link while drawing; a file may still hold one, and validation reports it."""
        dst = self.get(link.target)
        if dst is None or dst.KIND != "public_ip" or \
                link.kind not in ("frontend", "instance_ip", "nat"):
            return None
        for used in self.public_ip_users(link.target):
            if used != link:
                owner = self.node(used.source).display_name
                role = {"frontend": f"the frontend of load balancer {owner}",
                        "instance_ip": f"the instance public IP of {owner}",
                        "nat": f"a public IP of NAT gateway {owner}"}[used.kind]
                return (f"{dst.display_name} is already {role}: a public IP belongs to one "
                        f"resource at a time")
        return None

    def connect(self, link: Link, *, check_limits: bool = True) -> None:
        """Add a link.  The kind rules always apply; ``check_limits=False`` lets the loader
        accept multiplicity problems so that validation can report them as findings."""
        self._check_mutable()
        src, dst = self.get(link.source), self.get(link.target)
        if src is None or dst is None:
            raise TopologyError(f"{link.describe()}: "
                                f"no node with id {link.source if src is None else link.target!r}")
        reason = why_not(link.kind, src.KIND, dst.KIND)
        if reason is None and self.has_link(link):
            reason = "the link exists already"
        if reason is None and check_limits:
            reason = self.can_connect(link)
        if reason:
            raise TopologyError(f"{link.describe()}: {reason}")
        self.graph.add_edge(link.source, link.target, key=link.kind)
        self._index_link(link.source, link.target, link.kind)
        self._emit(ChangeEvent("link_added", link=link))

    def disconnect(self, link: Link) -> None:
        self._check_mutable()
        if not self.has_link(link):
            raise TopologyError(f"no {link.describe()}")
        self.graph.remove_edge(link.source, link.target, key=link.kind)
        self._unindex_link(link.source, link.target, link.kind)
        self._emit(ChangeEvent("link_removed", link=link))

    # ---------------------------------------------------------------- snapshots
    def copy(self, *, frozen: bool = False) -> "Topology":
        """A copy without listeners; component objects are immutable and shared."""
        return Topology._of_graph(self.graph.copy(), frozen)

    def subset(self, node_ids, *, frozen: bool = False) -> "Topology":
        """The nodes ``node_ids`` and the links between them, as a topology of their own."""
        return Topology._of_graph(self.graph.subgraph(node_ids).copy(), frozen)

    @staticmethod
    def _of_graph(graph: nx.MultiDiGraph, frozen: bool) -> "Topology":
        out = Topology()
        out.graph = graph
        # indexed in the graph's edge order, which is networkx's order for that graph
        for source, target, kind in graph.edges(keys=True):
            out._index_link(source, target, kind)
        out._frozen = frozen
        return out

    # ---------------------------------------------------------------- domain questions
    def backend_pool(self, lb_id: str) -> list[str]:
        """VM ids in the backend pool of a load balancer, in a stable order."""
        return sorted(self.targets(lb_id, "backend"))

    def frontends(self, lb_id: str) -> list[str]:
        """Public IP ids linked as frontends of a load balancer, in a stable order."""
        return sorted(self.targets(lb_id, "frontend"))

    def load_balancers_of(self, vm_id: str) -> list[str]:
        return sorted(self.sources(vm_id, "backend"))

    def load_balancer_of_frontend(self, pip_id: str) -> str | None:
        owners = self.sources(pip_id, "frontend")
        return owners[0] if owners else None

    def instance_ip(self, vm_id: str) -> str | None:
        ips = self.targets(vm_id, "instance_ip")
        return ips[0] if ips else None

    def subnet_of(self, vm_id: str) -> str | None:
        subnets = self.targets(vm_id, "in_subnet")
        return subnets[0] if subnets else None

    def vnet_of(self, subnet_id: str) -> str | None:
        vnets = self.targets(subnet_id, "in_vnet")
        return vnets[0] if vnets else None

    def subnets_of_vnet(self, vnet_id: str) -> list[str]:
        return sorted(self.sources(vnet_id, "in_vnet"))

    def vms_in_subnet(self, subnet_id: str) -> list[str]:
        return sorted(self.sources(subnet_id, "in_subnet"))

    def nsg_of(self, node_id: str) -> str | None:
        """The NSG associated with a VM's NIC or with a subnet."""
        nsgs = self.sources(node_id, "nsg")
        return nsgs[0] if nsgs else None

    def nsgs_of_vm(self, vm_id: str) -> tuple[str | None, str | None]:
        """(NIC-level NSG, subnet-level NSG) of a VM."""
        subnet = self.subnet_of(vm_id)
        return self.nsg_of(vm_id), (self.nsg_of(subnet) if subnet else None)

    def nat_gateway_of_subnet(self, subnet_id: str) -> str | None:
        nats = self.sources(subnet_id, "nat")
        return nats[0] if nats else None

    def nat_subnets(self, nat_id: str) -> list[str]:
        return sorted(t for t in self.targets(nat_id, "nat") if self.node(t).KIND == "subnet")

    def nat_public_ips(self, nat_id: str) -> list[str]:
        return sorted(t for t in self.targets(nat_id, "nat") if self.node(t).KIND == "public_ip")

    def public_ip_users(self, pip_id: str) -> list[Link]:
        """Every link that attaches a public IP to something (frontend, instance, NAT)."""
        return [link for link in self.links_to(pip_id) if link.kind != "destination"]

    def generator_sources(self, gen_id: str) -> list[str]:
        """The VMs that open a generator's flows: linked VMs, every VM of a linked subnet, and
        every VM of a linked load balancer's backend pool; sorted, without repeats."""
        vms: set[str] = set()
        for target in self.targets(gen_id, "source"):
            kind = self.node(target).KIND
            if kind == "vm":
                vms.add(target)
            elif kind == "subnet":
                vms.update(self.vms_in_subnet(target))
            elif kind == "load_balancer":
                vms.update(self.backend_pool(target))
        return sorted(vms)

    def generator_destinations(self, gen_id: str) -> list[str]:
        return sorted(self.targets(gen_id, "destination"))

    def contents(self, container_id: str) -> list[str]:
        """What a container box holds: VMs of a subnet, subnets of a VNet."""
        kind = self.node(container_id).KIND
        if kind == "subnet":
            return self.vms_in_subnet(container_id)
        if kind == "vnet":
            return self.subnets_of_vnet(container_id)
        return []

    def subnet_prefix(self, subnet_id: str | None) -> ipaddress.IPv4Network:
        if subnet_id is None:
            return ipaddress.IPv4Network(IMPLIED_SUBNET_PREFIX)
        try:
            return ipaddress.IPv4Network(self.node(subnet_id).prefix, strict=False)
        except ValueError:
            return ipaddress.IPv4Network(IMPLIED_SUBNET_PREFIX)

    def private_ips(self) -> dict[str, str]:
        """Every VM's private IP: the explicit one, or the next free host of its subnet in id
        order (skipping Azure's four reserved addresses and any address set explicitly)."""
        out: dict[str, str] = {}
        by_subnet: dict[str | None, list] = {}
        for vm in self.nodes("vm"):
            by_subnet.setdefault(self.subnet_of(vm.id), []).append(vm)
        for subnet_id, vms in by_subnet.items():
            net = self.subnet_prefix(subnet_id)
            taken = {vm.private_ip for vm in vms if vm.private_ip}
            hosts: Iterator = (str(net.network_address + i)
                               for i in range(FIRST_HOST_OFFSET, net.num_addresses - 1))
            for vm in sorted(vms, key=lambda v: v.id):
                if vm.private_ip:
                    out[vm.id] = vm.private_ip
                    continue
                for candidate in hosts:
                    if candidate not in taken:
                        out[vm.id] = candidate
                        break
                else:
                    out[vm.id] = ""  # subnet full: the validator reports it
        return out

    def vnet_prefixes(self) -> list[ipaddress.IPv4Network]:
        """Address space that counts as VirtualNetwork: VNets, subnets, the implied subnet."""
        nets = [ipaddress.IPv4Network(IMPLIED_SUBNET_PREFIX)]
        for vnet in self.nodes("vnet"):
            for cidr in vnet.address_space:
                try:
                    nets.append(ipaddress.IPv4Network(cidr, strict=False))
                except ValueError:
                    pass
        for subnet in self.nodes("subnet"):
            try:
                nets.append(ipaddress.IPv4Network(subnet.prefix, strict=False))
            except ValueError:
                pass
        return nets


class Scenario:
    """A document: metadata (name, description, semantics, seed, options) plus a topology.

    Metadata changes are announced on the topology's listeners as ``scenario_changed``.
    """

    META_FIELDS = ("name", "description", "semantics", "seed", "options")

    def __init__(self, topology: Topology | None = None, *, name: str = "Untitled",
                 description: str = "", semantics: str = "classic", seed: int = 1,
                 options: dict[str, Any] | None = None) -> None:
        self.topology = topology if topology is not None else Topology()
        self.name = name
        self.description = description
        self.semantics = semantics
        self.seed = seed
        self.options: dict[str, Any] = dict(options or {})
        #: ids of nodes read from a file without a position (the loader fills it in;
        #: ``designer.model.layout.lay_out_unplaced`` places them and empties it)
        self.unplaced: frozenset[str] = frozenset()
        #: findings recorded with the document by whoever made it (an importer: skipped
        #: resources, not-modelled behaviour); dicts of severity, code, message and optionally
        #: node and rule. Validation reports them with its own (docs/import.md).
        self.recorded_findings: list[dict[str, Any]] = []

    def set_meta(self, field: str, value: Any) -> None:
        if field not in self.META_FIELDS:
            raise TopologyError(f"a scenario has no field {field!r}")
        old = getattr(self, field)
        if field == "options":
            value = dict(value)
        setattr(self, field, value)
        if old != value:
            self.topology._emit(ChangeEvent("scenario_changed", field=field, old=old, new=value))

    def live_recorded_findings(self) -> list[dict[str, Any]]:
        """The recorded findings that still apply: those about a node that has since been
        deleted are dropped (a note about a node that is gone can only confuse)."""
        return [f for f in self.recorded_findings
                if "node" not in f or f["node"] in self.topology]

    @property
    def effective_options(self) -> dict[str, Any]:
        return effective_options(self.options)

    def snapshot(self) -> "Scenario":
        """An immutable copy for the engine (taken on the GUI thread, never touched again)."""
        copy = Scenario(self.topology.copy(frozen=True), name=self.name,
                        description=self.description, semantics=self.semantics, seed=self.seed,
                        options=dict(self.options))
        copy.recorded_findings = list(self.recorded_findings)
        return copy


def new_component(topology: Topology, kind: str, **fields: Any) -> Component:
    """A fresh component with a readable unused id (``vm-1``, ``lb-1``, ...)."""
    stem = ID_STEMS.get(kind, kind)
    return component_class(kind)(id=topology.unique_id(stem), **fields)


ID_STEMS = {"vm": "vm", "load_balancer": "lb", "public_ip": "pip", "nsg": "nsg",
            "subnet": "subnet", "vnet": "vnet", "nat_gateway": "nat", "endpoint": "endpoint",
            "traffic_generator": "gen"}
