"""The one mapper: Azure resource objects (an :class:`Inventory`) -> a scenario.

Every source (ARM templates, resolved resources, Terraform, a live subscription) ends here.
The mapping table is in docs/import.md. In short: VNets, subnets, NSGs, public IPs (a prefix
becomes its addresses), NAT gateways and load balancers become nodes of the same kinds; a VM
becomes one ``vm`` node through its primary NIC (subnet, private IP, instance public IP, NSG,
backend pools); a scale set becomes ``capacity`` VMs. Route tables set a subnet's
``default_route``. Everything else is listed as an ``info`` note; behaviour the simulation
will get wrong is a ``warning`` note. Nothing is dropped silently and nothing here raises:
odd shapes are noted and skipped.

This module holds the mapper's frame (ids, addresses, value checks, notes) and the network
resources; ``mapping_lb.py`` the load balancers and ``mapping_vm.py`` the VMs and scale sets.
"""
from __future__ import annotations

import ipaddress
import re
from typing import Any

from ..model import Scenario, Topology
from ..model.components import COMPONENT_CLASSES, Hold, NatGateway, NsgRule, Vnet, field_specs
from ..model.links import Link
from ..model.values import SERVICE_TAGS, parse_cidr, parse_ipv4, parse_ports
from .arm_expressions import Deferred, lookup
from .errors import Note
from .inventory import AzureResource, Inventory, as_dict, as_list, norm_id, ref_id
from .mapping_lb import LoadBalancerMapping
from .mapping_vm import ComputeMapping

NET = "microsoft.network/"
#: address ranges for public IPs whose address is known only after deployment: the
#: documentation ranges (RFC 5737) but 203.0.113.0/24, which the engine uses for default
#: outbound access, then the benchmarking range 198.19.0.0/16 (RFC 2544) for large imports
ASSUMED_ADDRESS_RANGES = ("192.0.2.0/24", "198.51.100.0/24", "198.19.0.0/16")

#: why a resource type is not modelled (the import summary's "skipped" lines)
SKIP_REASONS = {
    "microsoft.network/bastionhosts": "Azure Bastion gives inbound management access; it has "
                                      "no part in outbound SNAT",
    "microsoft.network/applicationgateways": "Application Gateway is a layer-7 proxy with "
                                             "its own outbound path; not modelled",
    "microsoft.network/azurefirewalls": "Azure Firewall is not modelled (a route table that "
                                        "sends 0.0.0.0/0 to it is reported on its subnets)",
    "microsoft.network/firewallpolicies": "firewall policy: not modelled",
    "microsoft.network/virtualnetworkgateways": "VPN / ExpressRoute gateway: not modelled",
    "microsoft.network/localnetworkgateways": "VPN site: not modelled",
    "microsoft.network/connections": "VPN connection: not modelled",
    "microsoft.network/privateendpoints": "private endpoint: inbound to a PaaS service, no "
                                          "outbound SNAT",
    "microsoft.network/privatednszones": "DNS: not part of the outbound model",
    "microsoft.network/dnszones": "DNS: not part of the outbound model",
    "microsoft.network/networkwatchers": "monitoring: not part of the outbound model",
    "microsoft.network/applicationsecuritygroups": "application security group: rules that "
                                                   "use it are reported on their NSG",
    "microsoft.compute/virtualmachines/extensions": "VM extension: software on the VM",
    "microsoft.compute/virtualmachinescalesets/extensions": "scale set extension: software "
                                                            "on the instances",
    "microsoft.compute/disks": "managed disk: storage",
    "microsoft.storage/storageaccounts": "storage account: not part of the network model",
    "microsoft.resources/resourcegroups": "resource group: a container, nothing to draw",
    "microsoft.network/publicipprefixes": "a public IP prefix used only to carve public IPs "
                                          "(those are imported)",
}
DEFAULT_SKIP_REASON = "not part of the outbound model"

#: the load generator --load adds: where its flows go
LOAD_ENDPOINT_ADDRESS = "20.50.1.4"
LOAD_ENDPOINT_PORT = 443
#: above this many public IPs with assumed addresses, one note stands for them all
MAX_ADDRESS_NOTES = 5


def readable(name: str) -> str:
    """An Azure name as a node id: whitespace squeezed, nothing else changed."""
    text = re.sub(r"\s+", "-", name.strip())
    return text or "resource"


class _Mapper(LoadBalancerMapping, ComputeMapping):
    def __init__(self, inventory: Inventory, notes: list[Note]):
        self.inv = inventory
        self.topology = Topology()
        self.notes: list[Note] = list(notes)
        #: Azure id (normalised) -> node id, for the resources that became nodes
        self.node_of: dict[str, str] = {}
        #: Azure ids (normalised) the mapping used, whether or not they became nodes
        self.handled: set[str] = set()
        #: Azure ids (normalised) listed as not imported
        self.skipped: set[str] = set()
        #: public IP prefix id -> the node ids of its addresses
        self.prefix_nodes: dict[str, list[str]] = {}
        self.used_addresses: set[str] = set()
        #: the node being built, which notes about it name (an NSG while its rules are read)
        self.current_node: str | None = None
        self._assumed = self._assumed_addresses()
        for resource in inventory:
            ip = resource.prop("ipAddress") if resource.type_key == NET + "publicipaddresses" \
                else None
            if isinstance(ip, str) and parse_ipv4(ip):
                self.used_addresses.add(ip)

    # ================================================================ the frame
    def note(self, severity: str, code: str, message: str, resource: AzureResource | str = "",
             node: str | None = None, rule: str = "") -> None:
        rid = resource.id if isinstance(resource, AzureResource) else resource
        self.notes.append(Note(severity, code, message, rid, node or self.current_node, rule))

    def skip(self, resource: AzureResource, why: str) -> None:
        self.handled.add(norm_id(resource.id))
        self.skipped.add(norm_id(resource.id))
        self.note("info", "import-skipped", f"{resource.type} {resource.name} not imported: "
                                            f"{why} ({resource.id})", resource)

    def new_id(self, name: str, kind: str) -> str:
        base = readable(name)
        if base not in self.topology:
            return base
        stem = {"public_ip": "ip", "load_balancer": "lb", "nat_gateway": "nat",
                "traffic_generator": "load"}.get(kind, kind)
        candidate = f"{base}-{stem}"
        n = 2
        while candidate in self.topology:
            candidate = f"{base}-{stem}-{n}"
            n += 1
        return candidate

    def add(self, kind: str, name: str, resource: AzureResource | None = None,
            node_id: str | None = None, **fields: Any) -> str:
        node_id = node_id or self.new_id(name, kind)
        display = name if readable(name) != node_id else None
        cls = COMPONENT_CLASSES[kind]
        self.topology.add_node(cls(id=node_id, name=display, **fields))
        if resource is not None:
            self.node_of[norm_id(resource.id)] = node_id
            self.handled.add(norm_id(resource.id))
        return node_id

    def link(self, source: str | None, target: str | None, kind: str) -> None:
        if not source or not target:
            return
        link = Link(source, target, kind)
        if not self.topology.has_link(link):
            self.topology.connect(link, check_limits=False)

    def known(self, value: Any, what: str, resource: AzureResource) -> Any:
        """``value``, or None with a warning when it is known only at deployment."""
        if isinstance(value, Deferred):
            self.note("warning", "import-unknown-value",
                      f"{what} of {resource.describe()} is known only at deployment "
                      f"({value.origin}); the import leaves it out", resource)
            return None
        return value

    def fit(self, cls: type, field: str, value: Any, what: str, resource: AzureResource,
            default: Any = None) -> Any:
        """A number for ``cls.field`` within the model's documented range: clamped with a
        warning when outside, ``default`` (the field's own when None) when not a number."""
        spec = next(s for s in field_specs(cls) if s.name == field)
        fallback = spec.default if default is None else default
        value = self.known(value, what, resource)
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            value = int(value)
        if value is None:
            return fallback
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.note("warning", "import-bad-value", f"{what} of {resource.describe()} is "
                                                     f"{str(value)[:40]!r}, not a number; the "
                                                     f"import uses {fallback}", resource)
            return fallback
        value = int(value) if spec.type == "int" else float(value)
        low, high = spec.minimum, spec.maximum
        clamped = min(max(value, low if low is not None else value),
                      high if high is not None else value)
        if clamped != value:
            self.note("warning", "import-out-of-range",
                      f"{what} of {resource.describe()} is {value}, outside the model's "
                      f"{low:g}..{high:g}; the import uses {clamped}", resource)
        return clamped

    def flag(self, value: Any, what: str, resource: AzureResource, default: bool = False) -> bool:
        value = self.known(value, what, resource)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return value if isinstance(value, bool) else default

    def text(self, value: Any, what: str, resource: AzureResource) -> str | None:
        value = self.known(value, what, resource)
        return value if isinstance(value, str) else None

    def sku_name(self, resource: AzureResource) -> str:
        sku = resource.sku
        name = lookup(sku, "name") if isinstance(sku, dict) else sku
        return name.lower() if isinstance(name, str) else ""

    def child_id(self, parent: AzureResource, collection: str, entry: dict) -> str:
        """The id of an entry of a parent's child collection (given, or made from its name)."""
        given = entry.get("id") if isinstance(entry, dict) else None
        if isinstance(given, str) and given.strip():
            return norm_id(given)
        name = lookup(entry, "name") if isinstance(entry, dict) else None
        return norm_id(f"{parent.id}/{collection}/{name if isinstance(name, str) else '?'}")

    # ================================================================ addresses
    @staticmethod
    def _assumed_addresses():
        for cidr in ASSUMED_ADDRESS_RANGES:
            network = ipaddress.IPv4Network(cidr)
            for address in network.hosts():
                if int(address) & 0xFF not in (0, 255):
                    yield str(address)

    def assumed_address(self) -> str:
        for address in self._assumed:
            if address not in self.used_addresses:
                self.used_addresses.add(address)
                return address
        raise RuntimeError("out of assumed addresses")  # 65,000+ unknown public IPs

    # ================================================================ public IPs
    def map_public_ips(self) -> None:
        # a prefix becomes its addresses where a NAT gateway or load balancer uses it whole
        # (public_ip_nodes); a prefix used only to carve public IPs stays a note
        pending: list[tuple[AzureResource, str, str]] = []
        for pip in self.inv.of_type(NET + "publicipaddresses"):
            # Standard is Azure's default SKU since Basic's retirement; StandardV2 (the NAT
            # gateway V2's addresses) behaves as Standard for outbound SNAT
            sku_name = self.sku_name(pip)
            sku = "basic" if sku_name == "basic" else "standard"
            if sku_name not in ("", "basic", "standard"):
                spelled = lookup(pip.sku, "name") if isinstance(pip.sku, dict) else pip.sku
                self.note("info", "import-not-modelled",
                          f"public IP {pip.short_name} has SKU {spelled}: its "
                          f"specifics are not modelled; it is simulated as a Standard public IP",
                          pip)
            version = self.text(pip.prop("publicIPAddressVersion"), "IP version", pip)
            if version and version.lower() == "ipv6":
                self.skip(pip, "an IPv6 public IP; the model is IPv4 only")
                continue
            address = self.text(pip.prop("ipAddress"), "ipAddress", pip)
            assumed = address is None or parse_ipv4(address) is None
            if assumed:
                address = self.assumed_address()
            node = self.add("public_ip", pip.short_name, pip, address=address, sku=sku)
            if assumed:
                pending.append((pip, node, address))
        if len(pending) <= MAX_ADDRESS_NOTES:
            for pip, node, address in pending:
                self.note("info", "import-address-assumed",
                          f"public IP {node} has no address until deployment; the scenario "
                          f"gives it {address} from a documentation range", pip, node)
        else:  # one note, not hundreds: the addresses are in the file for whoever looks
            self.note("info", "import-address-assumed",
                      f"{len(pending)} public IPs ({', '.join(n for _, n, _ in pending[:3])}, "
                      f"…) have no address until deployment; the scenario gives them "
                      f"documentation-range addresses ({pending[0][2]} to {pending[-1][2]})",
                      "", pending[0][1])

    def map_prefix(self, prefix: AzureResource) -> None:
        length = self.known(prefix.prop("prefixLength"), "prefixLength", prefix)
        cidr = self.text(prefix.prop("ipPrefix"), "ipPrefix", prefix)
        network = parse_cidr(cidr) if cidr else None
        if network is not None:
            addresses = [str(a) for a in network]
        else:
            if not isinstance(length, int) or isinstance(length, bool) or not 24 <= length <= 32:
                length = 31 if length is None else max(24, min(int(length), 32)) \
                    if isinstance(length, int) and not isinstance(length, bool) else 31
            addresses = [self.assumed_address() for _ in range(2 ** (32 - length))]
        nodes = []
        for index, address in enumerate(addresses):
            self.used_addresses.add(address)
            nodes.append(self.add("public_ip", f"{prefix.short_name}-{index}", None,
                                  address=address, sku="standard"))
        self.prefix_nodes[norm_id(prefix.id)] = nodes
        self.handled.add(norm_id(prefix.id))
        self.node_of[norm_id(prefix.id)] = nodes[0] if nodes else ""
        where = f"{cidr}" if network is not None else \
            f"a /{32 - (len(addresses) - 1).bit_length()} known only after deployment; the " \
            f"scenario gives them {addresses[0]}-{addresses[-1]} from a documentation range"
        self.note("info", "import-prefix", f"public IP prefix {prefix.short_name} becomes "
                                           f"{len(nodes)} public IPs ({where})", prefix,
                  nodes[0] if nodes else None)

    def public_ip_nodes(self, reference: Any) -> list[str]:
        """The public IP node(s) a ``publicIPAddress`` or ``publicIPPrefix`` reference means."""
        rid = ref_id(reference)
        prefix = self.inv.get(rid)
        if prefix is not None and prefix.type_key == NET + "publicipprefixes" and \
                rid not in self.prefix_nodes:
            self.map_prefix(prefix)
        if rid in self.prefix_nodes:
            return list(self.prefix_nodes[rid])
        node = self.node_of.get(rid)
        return [node] if node and self.topology.get(node) and \
            self.topology.node(node).KIND == "public_ip" else []

    # ================================================================ VNets and subnets
    def map_networks(self) -> None:
        subnets: list[tuple[AzureResource | None, dict, str]] = []
        for vnet in self.inv.of_type(NET + "virtualnetworks"):
            space = lookup(as_dict(vnet.prop("addressSpace")), "addressPrefixes")
            space = [s for s in as_list(self.known(space, "address space", vnet))
                     if isinstance(s, str) and parse_cidr(s)]
            node = self.add("vnet", vnet.short_name, vnet,
                            address_space=tuple(space) or Vnet.__dataclass_fields__[
                                "address_space"].default)
            if not space:
                self.note("warning", "import-unknown-value", f"virtual network {node} has no "
                                                             f"IPv4 address space the import "
                                                             f"can read; it uses 10.0.0.0/16",
                          vnet, node)
            for entry in as_list(vnet.prop("subnets")):
                if isinstance(entry, dict):
                    subnets.append((vnet, entry, self.child_id(vnet, "subnets", entry)))
        for orphan in self.inv.orphans:
            if orphan.type_key == NET + "virtualnetworks/subnets":
                subnets.append((None, {"name": orphan.short_name, "id": orphan.id,
                                       "properties": orphan.properties}, norm_id(orphan.id)))
        names = [lookup(e, "name") for _, e, _ in subnets]
        for vnet, entry, sid in subnets:
            self.map_subnet(vnet, entry, sid, duplicate=names.count(lookup(entry, "name")) > 1)

    def map_subnet(self, vnet: AzureResource | None, entry: dict, sid: str,
                   duplicate: bool) -> None:
        owner = vnet or AzureResource(sid, "Microsoft.Network/virtualNetworks/subnets",
                                      str(lookup(entry, "name")))
        name = lookup(entry, "name")
        name = name if isinstance(name, str) and name else "subnet"
        props = as_dict(lookup(entry, "properties"))
        prefix = self.text(lookup(props, "addressPrefix"), f"prefix of subnet {name}", owner)
        if prefix is None:
            prefixes = [p for p in as_list(self.known(lookup(props, "addressPrefixes"),
                                                      f"prefixes of subnet {name}", owner))
                        if isinstance(p, str) and parse_cidr(p)]
            prefix = prefixes[0] if prefixes else None
            if len(prefixes) > 1:
                self.note("info", "import-simplified", f"subnet {name} has {len(prefixes)} "
                                                       f"prefixes; the model keeps {prefix}",
                          sid)
        if prefix is None or parse_cidr(prefix) is None:
            self.note("warning", "import-unknown-value", f"subnet {name} of {owner.describe()} "
                                                         f"has no IPv4 prefix the import can "
                                                         f"read; it uses 10.0.0.0/24", sid)
            prefix = "10.0.0.0/24"
        node_name = f"{vnet.short_name}-{name}" if duplicate and vnet is not None else name
        access = lookup(props, "defaultOutboundAccess")
        node = self.add("subnet", node_name, None, prefix=prefix,
                        private=self.flag(access, f"defaultOutboundAccess of subnet {name}",
                                          owner, True) is False)
        self.node_of[sid] = node
        self.handled.add(sid)
        if vnet is not None:
            self.link(node, self.node_of.get(norm_id(vnet.id)), "in_vnet")
        self.subnet_refs[node] = props

    # ================================================================ NSGs
    def map_nsgs(self) -> None:
        for nsg in self.inv.of_type(NET + "networksecuritygroups"):
            rules = []
            self.current_node = self.new_id(nsg.short_name, "nsg")
            for entry in as_list(nsg.prop("securityRules")):
                rule = self.nsg_rule(nsg, entry) if isinstance(entry, dict) else None
                if rule is not None:
                    rules.append(rule)
            self.current_node = None
            self.add("nsg", nsg.short_name, nsg, rules=tuple(rules),
                     flush_connection=self.flag(nsg.prop("flushConnection"), "flushConnection",
                                                nsg))

    def nsg_rule(self, nsg: AzureResource, entry: dict) -> NsgRule | None:
        name = lookup(entry, "name")
        name = name if isinstance(name, str) and name else "rule"
        props = as_dict(lookup(entry, "properties"))
        where = f"rule {name} of NSG {nsg.short_name}"
        fields: dict[str, Any] = {"name": name}
        fields["priority"] = self.fit(NsgRule, "priority", lookup(props, "priority"),
                                      f"priority of {where}", nsg)
        for field, key, choices in (("direction", "direction", ("inbound", "outbound")),
                                    ("access", "access", ("allow", "deny"))):
            value = self.text(lookup(props, key), f"{key} of {where}", nsg)
            if value is None or value.lower() not in choices:
                self.note("warning", "import-bad-value", f"{where} has {key} {value!r}; the "
                                                         f"rule is left out", nsg)
                return None
            fields[field] = value.lower()
        protocol = (self.text(lookup(props, "protocol"), f"protocol of {where}", nsg) or "*")
        protocol = protocol.lower()
        if protocol in ("any", "*"):
            protocol = "*"
        elif protocol not in ("tcp", "udp", "icmp"):
            self.note("warning", "import-simplified", f"{where} is for protocol {protocol}, "
                                                      f"which the model does not carry; the "
                                                      f"rule is left out", nsg)
            return None
        fields["protocol"] = protocol
        for side in ("source", "destination"):
            address = self.nsg_address(props, side, where, nsg)
            if address is None:
                return None
            fields[side] = address
            ports = self.nsg_ports(props, side, where, nsg)
            if ports is None:
                return None
            fields[f"{side}_port"] = ports
        return NsgRule(**fields)

    def nsg_address(self, props: dict, side: str, where: str, nsg: AzureResource) -> str | None:
        groups = lookup(props, f"{side}ApplicationSecurityGroups")
        if as_list(groups):
            self.note("warning", "import-not-modelled",
                      f"{where} matches an application security group as {side}; the model "
                      f"has no application security groups, so the rule is left out and the "
                      f"simulation does not apply it", nsg)
            return None
        values = []
        single = self.known(lookup(props, f"{side}AddressPrefix"), f"{side} of {where}", nsg)
        if isinstance(single, str) and single:
            values.append(single)
        values += [v for v in as_list(lookup(props, f"{side}AddressPrefixes"))
                   if isinstance(v, str)]
        if not values:
            return "*"
        usable = [v for v in values if v == "*" or v in SERVICE_TAGS or parse_ipv4(v) or
                  parse_cidr(v)]
        if not usable:
            self.note("warning", "import-not-modelled",
                      f"{where} has {side} {values[0]!r}, which the model cannot express "
                      f"(service tags it knows: Internet, VirtualNetwork, AzureLoadBalancer); "
                      f"the rule is left out, so the simulation does not apply it", nsg)
            return None
        if len(values) > 1:
            self.note("warning", "import-simplified",
                      f"{where} lists {len(values)} {side} prefixes ({', '.join(values[:4])}); "
                      f"a rule of the model holds one, so the import keeps {usable[0]} and "
                      f"the simulation ignores the others", nsg)
        return usable[0]

    def nsg_ports(self, props: dict, side: str, where: str, nsg: AzureResource) -> str | None:
        values = []
        single = self.known(lookup(props, f"{side}PortRange"), f"{side} port of {where}", nsg)
        if isinstance(single, (str, int)) and not isinstance(single, bool) and str(single):
            values.append(str(single))
        values += [str(v) for v in as_list(lookup(props, f"{side}PortRanges"))
                   if isinstance(v, (str, int)) and not isinstance(v, bool)]
        text = "*" if not values or "*" in values else ",".join(values)
        try:
            parse_ports(text)
        except ValueError:
            self.note("warning", "import-bad-value", f"{where} has {side} ports {text!r}; "
                                                     f"the rule is left out", nsg)
            return None
        return text

    def associate_subnets(self) -> None:
        """Subnet NSGs, NAT gateways and route tables (subnet side and resource side)."""
        for node, props in self.subnet_refs.items():
            self.link(self.node_of.get(ref_id(lookup(props, "networkSecurityGroup"))), node,
                      "nsg")
            self.link(self.node_of.get(ref_id(lookup(props, "natGateway"))), node, "nat")
        for nsg in self.inv.of_type(NET + "networksecuritygroups"):
            for key, target_kind in (("subnets", "subnet"), ("networkInterfaces", None)):
                for ref in as_list(nsg.prop(key)):
                    target = self.node_of.get(ref_id(ref))
                    if target and self.topology.node(target).KIND == (target_kind or "vm"):
                        self.link(self.node_of.get(norm_id(nsg.id)), target, "nsg")
        for nat in self.inv.of_type(NET + "natgateways"):
            for ref in as_list(nat.prop("subnets")):
                self.link(self.node_of.get(norm_id(nat.id)), self.node_of.get(ref_id(ref)),
                          "nat")
        self.map_routes()

    # ================================================================ route tables
    def map_routes(self) -> None:
        used: dict[str, list[str]] = {}
        for node, props in self.subnet_refs.items():
            rid = ref_id(lookup(props, "routeTable"))
            if rid:
                used.setdefault(rid, []).append(node)
        for table in self.inv.of_type(NET + "routetables"):
            self.handled.add(norm_id(table.id))
            subnets = sorted(used.get(norm_id(table.id), []))
            default = None
            others = 0
            for entry in as_list(table.prop("routes")):
                props = as_dict(lookup(entry, "properties"))
                if lookup(props, "addressPrefix") == "0.0.0.0/0":
                    default = self.text(lookup(props, "nextHopType"), "nextHopType", table)
                else:
                    others += 1
            hop = {"virtualappliance": "virtual_appliance", "virtualnetworkgateway":
                   "vpn_gateway", "internet": "internet"}.get((default or "").lower())
            for node in subnets:
                if hop and hop != "internet":
                    self.topology.set_property(node, "default_route", hop)
                elif default and default.lower() == "none":
                    self.note("warning", "import-not-modelled",
                              f"route table {table.short_name} drops 0.0.0.0/0 (next hop "
                              f"None) for subnet {node}; the model cannot drop traffic by "
                              f"route, so the simulation gives its VMs the outbound path Azure "
                              f"would not", table, node, rule="M-B2")
            parts = []
            if hop and hop != "internet":
                parts.append(f"its 0.0.0.0/0 route to a {default} is carried as the "
                             f"default_route of subnet(s) {', '.join(subnets) or '(none)'}, "
                             f"which validation reports as not modelled")
            if others:
                parts.append(f"{others} other route(s) are not modelled")
            if not subnets:
                parts.append("it is associated with no imported subnet")
            self.note("info", "import-route-table", f"route table {table.short_name}: " +
                      ("; ".join(parts) or "no route that changes outbound traffic"), table)

    # ================================================================ NAT gateways
    def map_nat_gateways(self) -> None:
        for nat in self.inv.of_type(NET + "natgateways"):
            sku = "standard_v2" if self.sku_name(nat) == "standardv2" else "standard"
            node = self.add("nat_gateway", nat.short_name, nat, sku=sku,
                            idle_timeout_min=self.fit(NatGateway, "idle_timeout_min",
                                                      nat.prop("idleTimeoutInMinutes"),
                                                      "idleTimeoutInMinutes", nat))
            for key in ("publicIpAddresses", "publicIpPrefixes"):
                for ref in as_list(nat.prop(key)):
                    for pip in self.public_ip_nodes(ref):
                        self.link(node, pip, "nat")

    # ================================================================ the rest
    def list_skipped(self) -> None:
        for resource in self.inv:
            if norm_id(resource.id) in self.handled:
                continue
            self.skip(resource, SKIP_REASONS.get(resource.type_key, DEFAULT_SKIP_REASON))
        for orphan in self.inv.orphans:
            if norm_id(orphan.id) not in self.handled:
                self.note("info", "import-skipped",
                          f"{orphan.type} {orphan.name} not imported: its parent "
                          f"{orphan.id.rsplit('/', 2)[0].rsplit('/', 1)[-1]} is not among the "
                          f"sources ({orphan.id})", orphan)

    def drop_public_ips_of_skipped(self) -> None:
        """A public IP that only a resource the model skips uses (Bastion's, an Application
        Gateway's, a VPN gateway's) would stand in the diagram as a free address: it is listed
        with its owner instead."""
        owners: dict[str, AzureResource] = {}
        for resource in self.inv:
            if norm_id(resource.id) in self.skipped:
                for rid in _public_ip_references(resource.properties):
                    owners.setdefault(rid, resource)
        for pip in self.inv.of_type(NET + "publicipaddresses"):
            pid = norm_id(pip.id)
            node = self.node_of.get(pid)
            if not node or node not in self.topology or self.topology.links_of(node):
                continue
            owner = owners.get(pid)
            config = ref_id(pip.prop("ipConfiguration"))       # resolved resources say it
            if owner is None and config:
                owner = next((r for r in self.inv if norm_id(r.id) in self.skipped
                              and config.startswith(norm_id(r.id) + "/")), None)
            if owner is None:
                continue
            self.topology.remove_node(node)
            del self.node_of[pid]
            self.notes = [n for n in self.notes if n.node != node]
            self.skip(pip, f"the public IP of {owner.type} {owner.name}, which is not modelled")

    def report_unknown_references(self) -> None:
        """A reference the import could not follow — ``{"id": reference(...)...}`` and the
        like, known only at deployment — leaves a link out (a subnet, an NSG, a NAT gateway, a
        backend pool...), which can change the outbound path: one warning per imported
        resource, naming where."""
        for resource in self.inv:
            rid = norm_id(resource.id)
            if rid not in self.handled or rid in self.skipped:
                continue
            found = list(_unknown_references(resource.properties, "properties"))
            if not found:
                continue
            where = ", ".join(path for path, _ in found[:3]) + \
                (f" and {len(found) - 3} more" if len(found) > 3 else "")
            self.note("warning", "import-unknown-value",
                      f"{resource.describe()}: {where} known only at deployment "
                      f"({found[0][1].origin}); the import cannot follow "
                      f"{'that reference' if len(found) == 1 else 'those references'}, so "
                      f"the link is missing and the simulated outbound path may differ from "
                      f"Azure's", resource, self.node_of.get(rid))

    def add_load(self, rate: float) -> None:
        """``--load RATE``: a generator of RATE new flows/s per VM for each backend pool and
        one for the VMs in no pool, all calling one Internet endpoint."""
        pools = [lb.id for lb in self.topology.nodes("load_balancer")
                 if self.topology.backend_pool(lb.id)]
        pooled = {vm for lb in pools for vm in self.topology.backend_pool(lb)}
        alone = [vm.id for vm in self.topology.nodes("vm") if vm.id not in pooled]
        if not pools and not alone:
            return
        endpoint = self.add("endpoint", "internet", None, address=LOAD_ENDPOINT_ADDRESS,
                            port=LOAD_ENDPOINT_PORT)
        groups = [(f"load-{lb}", [lb]) for lb in pools] + ([("load-vms", alone)] if alone else [])
        for name, sources in groups:
            gen = self.add("traffic_generator", name, None, rate_per_s=float(rate),
                           hold=Hold("exponential", 5.0))
            for source in sources:
                self.link(gen, source, "source")
            self.link(gen, endpoint, "destination")

    def run(self, load: float | None) -> Scenario:
        self.subnet_refs: dict[str, dict] = {}
        self.map_public_ips()
        self.map_networks()
        self.map_nsgs()
        self.map_nat_gateways()
        self.associate_subnets()
        self.map_load_balancers()
        self.map_compute()
        self.list_skipped()
        self.drop_public_ips_of_skipped()
        self.report_unknown_references()
        if load:
            self.add_load(load)
        return Scenario(self.topology, semantics="modern")


#: properties that name other resources: a value there known only at deployment is a link
#: the import cannot draw
REFERENCE_KEYS = frozenset(k.lower() for k in (
    "id", "subnet", "subnets", "networkSecurityGroup", "natGateway", "publicIPAddress",
    "publicIpAddresses", "publicIPPrefix", "publicIpPrefixes", "loadBalancerBackendAddressPools",
    "backendAddressPool", "backendAddressPools", "frontendIPConfiguration",
    "frontendIPConfigurations", "probe", "routeTable", "networkInterfaces", "availabilitySet",
    "virtualMachineScaleSet", "ipConfigurations"))
#: parts of a VM that never change the network (boot diagnostics, images, sign-in)
NOT_NETWORK = frozenset(k.lower() for k in (
    "diagnosticsProfile", "osProfile", "storageProfile", "extensionProfile", "securityProfile",
    "hardwareProfile", "tags", "dnsSettings"))


def _public_ip_references(value: Any):
    """The ids (normalised) of the public IPs ``value`` refers to (``publicIPAddress``)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if str(key).lower() == "publicipaddress" and ref_id(item):
                yield ref_id(item)
            else:
                yield from _public_ip_references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _public_ip_references(item)


def _unknown_references(value: Any, path: str):
    """(JSON path, Deferred) of each reference in ``value`` known only at deployment."""
    if isinstance(value, dict):
        for key, item in value.items():
            low = str(key).lower()
            if low in NOT_NETWORK:
                continue
            if isinstance(item, Deferred):
                if low in REFERENCE_KEYS:
                    yield f"{path}.{key}", item
            else:
                yield from _unknown_references(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unknown_references(item, f"{path}[{index}]")


def map_inventory(inventory: Inventory, notes: list[Note] | None = None,
                  load: float | None = None) -> tuple[Scenario, list[Note]]:
    """The scenario for ``inventory`` (semantics ``modern``) and every note of the import."""
    mapper = _Mapper(inventory, list(notes or []))
    scenario = mapper.run(load)
    return scenario, mapper.notes

