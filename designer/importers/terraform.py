"""Terraform: ``terraform show -json`` of a plan or a state -> Azure resource objects.

Two layers, so that a reader of Terraform configuration (HCL) can reuse the second:

1. :func:`read_terraform` collects :class:`TfResource` records from a plan (``planned_values``
   with ``resource_changes`` for what is unknown until apply, ``configuration`` for the
   references between resources) or a state (``values``), child modules and
   ``count``/``for_each`` instances included.
2. :func:`convert_terraform` turns records into Azure resource objects in the REST shape:
   each azurerm resource's attributes become ARM properties, association resources
   (NIC-NSG, NIC-backend pool, subnet-NSG, subnet-NAT gateway, NAT gateway-public IP, ...) are
   applied to the resources they join, and references are ids: the known value, else the
   resource the configuration refers to (its id made from its name and resource group, the
   way Azure makes it).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from .arm import DEFAULT_RESOURCE_GROUP, DEFAULT_SUBSCRIPTION
from .arm_expressions import resource_id
from .errors import ImportFailure, Note
from .inventory import AzureResource, norm_id

N, C = "Microsoft.Network/", "Microsoft.Compute/"
#: azurerm type -> (ARM type, attribute naming the parent, or "id:" + attribute holding the
#: parent's id)
ARM_TYPES: dict[str, tuple[str, str | None]] = {
    "azurerm_virtual_network": (N + "virtualNetworks", None),
    "azurerm_subnet": (N + "virtualNetworks/subnets", "virtual_network_name"),
    "azurerm_network_interface": (N + "networkInterfaces", None),
    "azurerm_public_ip": (N + "publicIPAddresses", None),
    "azurerm_public_ip_prefix": (N + "publicIPPrefixes", None),
    "azurerm_network_security_group": (N + "networkSecurityGroups", None),
    "azurerm_network_security_rule": (N + "networkSecurityGroups/securityRules",
                                      "network_security_group_name"),
    "azurerm_nat_gateway": (N + "natGateways", None),
    "azurerm_lb": (N + "loadBalancers", None),
    "azurerm_lb_backend_address_pool": (N + "loadBalancers/backendAddressPools",
                                        "id:loadbalancer_id"),
    "azurerm_lb_rule": (N + "loadBalancers/loadBalancingRules", "id:loadbalancer_id"),
    "azurerm_lb_probe": (N + "loadBalancers/probes", "id:loadbalancer_id"),
    "azurerm_lb_outbound_rule": (N + "loadBalancers/outboundRules", "id:loadbalancer_id"),
    "azurerm_lb_nat_rule": (N + "loadBalancers/inboundNatRules", "id:loadbalancer_id"),
    "azurerm_lb_nat_pool": (N + "loadBalancers/inboundNatPools", "id:loadbalancer_id"),
    "azurerm_route_table": (N + "routeTables", None),
    "azurerm_route": (N + "routeTables/routes", "route_table_name"),
    "azurerm_linux_virtual_machine": (C + "virtualMachines", None),
    "azurerm_windows_virtual_machine": (C + "virtualMachines", None),
    "azurerm_virtual_machine": (C + "virtualMachines", None),
    "azurerm_linux_virtual_machine_scale_set": (C + "virtualMachineScaleSets", None),
    "azurerm_windows_virtual_machine_scale_set": (C + "virtualMachineScaleSets", None),
    "azurerm_orchestrated_virtual_machine_scale_set": (C + "virtualMachineScaleSets", None),
    "azurerm_virtual_machine_scale_set": (C + "virtualMachineScaleSets", None),
    "azurerm_availability_set": (C + "availabilitySets", None),
    # not modelled, but listed under their Azure type so the summary says why
    "azurerm_bastion_host": (N + "bastionHosts", None),
    "azurerm_firewall": (N + "azureFirewalls", None),
    "azurerm_application_gateway": (N + "applicationGateways", None),
    "azurerm_virtual_network_gateway": (N + "virtualNetworkGateways", None),
    "azurerm_private_endpoint": (N + "privateEndpoints", None),
    "azurerm_storage_account": ("Microsoft.Storage/storageAccounts", None),
    "azurerm_virtual_machine_extension": (C + "virtualMachines/extensions", "id:virtual_machine_id"),
}

#: association resources: type -> (attribute of the resource changed, what it adds)
ASSOCIATIONS = {
    "azurerm_network_interface_security_group_association",
    "azurerm_network_interface_backend_address_pool_association",
    "azurerm_network_interface_nat_rule_association",
    "azurerm_network_interface_application_security_group_association",
    "azurerm_subnet_network_security_group_association",
    "azurerm_subnet_nat_gateway_association",
    "azurerm_subnet_route_table_association",
    "azurerm_nat_gateway_public_ip_association",
    "azurerm_nat_gateway_public_ip_prefix_association",
    "azurerm_lb_backend_address_pool_address",
}
IGNORED = {"azurerm_resource_group"}


@dataclass
class TfResource:
    """One resource instance: its address, type and attribute values; ``references`` maps an
    attribute path (``("ip_configuration", 0, "subnet_id")``) to the addresses the
    configuration refers to there (used when the value is unknown until apply)."""
    address: str
    type: str
    values: dict[str, Any]
    references: dict[tuple, list[str]] = field(default_factory=dict)
    index: Any = None
    module: str = ""
    mode: str = "managed"


# ============================================================================ conversion

class _Converter:
    def __init__(self, resources: list[TfResource], subscription: str, source: str,
                 module_inputs: dict[tuple[str, str], tuple[str, list[str]]] | None = None,
                 module_outputs: dict[tuple[str, str], list[str]] | None = None):
        self.resources = resources
        #: (module address, output) -> references of the output's expression
        self.module_outputs = module_outputs or {}
        #: (module address, variable) -> (calling module address, references of the argument)
        self.module_inputs = module_inputs or {}
        self.by_address = {r.address: r for r in resources}
        self.subscription = subscription
        self.source = source
        self.notes: list[Note] = []
        self._ids: dict[str, str] = {}
        self._resolving: set[str] = set()

    # ---------------------------------------------------------------- references
    def find(self, reference: str, context: TfResource) -> TfResource | None:
        """The resource a configuration reference means, in the referring module, matching
        the referring instance's count index / for_each key when the target has several.
        Module instances (``module.app["web"]``) are addresses in the plan, but the
        configuration knows the module once (``module.app``): inputs and outputs are looked
        up by the latter, resources by the former."""
        if reference.startswith("var.") and context.module:
            _caller, refs = self.module_inputs.get(
                (config_address(context.module), reference[4:].split(".")[0]), ("", []))
            # at the call site, each.key / count.index are the module instance's own key
            key = _instance_key(context.module)
            outer = TfResource(context.address, context.type, {},
                               index=context.index if key is None else key,
                               module=_calling_module(context.module))
            for inner in refs:
                found = self.find(inner, outer)
                if found is not None:
                    return found
            return None
        call = _MODULE_REFERENCE.match(reference)
        rest = reference[call.end(2) if call and call.group(2) else 0:] if call else reference
        key_match = re.search(r'\[("?)([^\]"]*)\1\]', rest)
        wanted = context.index
        if key_match and key_match.group(2) not in ("count.index", "each.key"):
            wanted = key_match.group(2) if key_match.group(1) else \
                int(key_match.group(2)) if key_match.group(2).isdigit() else wanted
        if reference.startswith("module."):
            if call is not None:
                instance = f"module.{call.group(1)}{call.group(2) or ''}"
                child = f"{context.module}.{instance}" if context.module else instance
                inner_context = TfResource(context.address, context.type, {}, index=wanted,
                                           module=child)
                for inner in self.module_outputs.get((config_address(child), call.group(3)),
                                                     []):
                    found = self.find(inner, inner_context)
                    if found is not None:
                        return found
            return None
        ref = re.sub(r"\.(id|name|ip_address|ip_prefix)$", "", reference)
        base = f"{context.module}.{ref}" if context.module else ref
        exact = self.by_address.get(base)
        if exact is not None:
            return exact
        instances = [r for r in self.resources if r.address.startswith(base + "[")]
        if not instances:
            return None
        if len(instances) == 1:
            return instances[0]
        for candidate in instances:
            if candidate.index == wanted:
                return candidate
        return instances[0]

    def ref(self, res: TfResource, path: tuple) -> str:
        """The id at attribute ``path``: the known value, else the configuration's reference."""
        value = _get(res.values, path)
        if isinstance(value, str) and value:
            return value
        for reference in res.references.get(path, []):
            target = self.find(reference, res)
            if target is not None and target is not res:
                return self.id_of(target)
        return ""

    def refs(self, res: TfResource, path: tuple) -> list[str]:
        values = _get(res.values, path)
        known = [v for v in values if isinstance(v, str) and v] if isinstance(values, list) else []
        if known:
            return known
        out = []
        for reference in res.references.get(path, []):
            target = self.find(reference, res)
            if target is not None and target is not res:
                out.append(self.id_of(target))
        return out

    def text(self, res: TfResource, attribute: str) -> str:
        value = res.values.get(attribute)
        if isinstance(value, str) and value:
            return value
        for reference in res.references.get((attribute,), []):
            target = self.find(reference, res)
            if target is not None and isinstance(target.values.get("name"), str):
                return target.values["name"]
        return ""

    def id_of(self, res: TfResource) -> str:
        known = res.values.get("id")
        if isinstance(known, str) and known.startswith("/"):
            return known
        if res.address in self._ids:
            return self._ids[res.address]
        if res.address in self._resolving:
            return f"/terraform/{res.address}"
        self._resolving.add(res.address)
        try:
            self._ids[res.address] = self.make_id(res)
        finally:
            self._resolving.discard(res.address)
        return self._ids[res.address]

    def make_id(self, res: TfResource) -> str:
        arm_type, parent = ARM_TYPES.get(res.type, (f"Terraform/{res.type}", None))
        name = self.text(res, "name") or res.address.rsplit(".", 1)[-1]
        if parent and parent.startswith("id:"):
            parent_id = self.ref(res, (parent[3:],)) or f"/terraform/{res.address}/parent"
            return f"{parent_id}/{arm_type.rsplit('/', 1)[-1]}/{name}"
        group = self.text(res, "resource_group_name") or DEFAULT_RESOURCE_GROUP
        names = ([self.text(res, parent) or "parent"] if parent else []) + [name]
        try:
            return resource_id(self.subscription, group, arm_type, names)
        except ImportFailure:
            return f"/terraform/{res.address}"

    # ---------------------------------------------------------------- resources
    def convert(self) -> list[AzureResource]:
        out: list[AzureResource] = []
        by_id: dict[str, AzureResource] = {}
        for res in self.resources:
            if res.type in ASSOCIATIONS or res.type in IGNORED:
                continue
            arm_type = ARM_TYPES.get(res.type, (f"Terraform/{res.type}", None))[0]
            rid = self.id_of(res)
            converter = CONVERTERS.get(res.type)
            props, sku = converter(self, res) if converter else ({}, None)
            name = self.text(res, "name") or res.address
            if arm_type.count("/") > 1:
                parent_name = rid.rstrip("/").split("/")[-3]
                name = f"{parent_name}/{name}"
            resource = AzureResource(rid, arm_type, name, props, sku,
                                     origin=f"{self.source} {res.address}",
                                     extra={"terraform": res.address})
            out.append(resource)
            by_id[norm_id(rid)] = resource
        for res in self.resources:
            if res.type in ASSOCIATIONS:
                self.associate(res, by_id)
        return out

    def associate(self, res: TfResource, by_id: dict[str, AzureResource]) -> None:
        def target(attribute: str) -> AzureResource | None:
            found = by_id.get(norm_id(self.ref(res, (attribute,))))
            if found is None:
                self.notes.append(Note("info", "import-missing",
                                       f"{res.address}: its {attribute.removesuffix('_id')} is "
                                       f"not among the imported resources; the association is "
                                       f"left out", res.address))
            return found
        kind = res.type
        if kind == "azurerm_network_interface_security_group_association":
            nic = target("network_interface_id")
            if nic:
                nic.properties["networkSecurityGroup"] = {
                    "id": self.ref(res, ("network_security_group_id",))}
        elif kind == "azurerm_network_interface_backend_address_pool_association":
            nic = target("network_interface_id")
            if nic:
                wanted = res.values.get("ip_configuration_name")
                configs = nic.properties.get("ipConfigurations", [])
                config = next((c for c in configs if c.get("name") == wanted),
                              configs[0] if configs else None)
                if config is not None:
                    config["properties"].setdefault("loadBalancerBackendAddressPools", []).append(
                        {"id": self.ref(res, ("backend_address_pool_id",))})
        elif kind in ("azurerm_subnet_network_security_group_association",
                      "azurerm_subnet_nat_gateway_association",
                      "azurerm_subnet_route_table_association"):
            subnet = target("subnet_id")
            key, attribute = {
                "azurerm_subnet_network_security_group_association":
                    ("networkSecurityGroup", "network_security_group_id"),
                "azurerm_subnet_nat_gateway_association": ("natGateway", "nat_gateway_id"),
                "azurerm_subnet_route_table_association": ("routeTable", "route_table_id"),
            }[kind]
            if subnet:
                subnet.properties[key] = {"id": self.ref(res, (attribute,))}
        elif kind in ("azurerm_nat_gateway_public_ip_association",
                      "azurerm_nat_gateway_public_ip_prefix_association"):
            nat = target("nat_gateway_id")
            prefix = kind.endswith("prefix_association")
            if nat:
                nat.properties.setdefault("publicIpPrefixes" if prefix else "publicIpAddresses",
                                          []).append({"id": self.ref(
                                              res, ("public_ip_prefix_id" if prefix else
                                                    "public_ip_address_id",))})
        elif kind == "azurerm_lb_backend_address_pool_address":
            pool = target("backend_address_pool_id")
            if pool:
                pool.properties.setdefault("loadBalancerBackendAddresses", []).append(
                    {"name": self.text(res, "name"),
                     "properties": {"ipAddress": res.values.get("ip_address")}})
        else:
            self.notes.append(Note("info", "import-skipped",
                                   f"{res.address} not imported: "
                                   + ("inbound NAT rules are not modelled"
                                      if "nat_rule" in kind else
                                      "application security groups are not modelled"),
                                   res.address))


#: an instance key in an address: ``[0]``, ``["web"]`` (a quoted key may hold brackets)
_INSTANCE_KEY = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|[^\]"]*)\]')
#: ``module.NAME[KEY].OUTPUT`` at the start of a reference
_MODULE_REFERENCE = re.compile(
    r'module\.([A-Za-z0-9_-]+)(\[(?:"(?:[^"\\]|\\.)*"|[^\]"]*)\])?\.([A-Za-z0-9_-]+)')
#: the last ``module.NAME[KEY]`` of a module address
_LAST_MODULE = re.compile(
    r'(?:^|\.)module\.[A-Za-z0-9_-]+(\[(?:"(?:[^"\\]|\\.)*"|[^\]"]*)\])?$')


def config_address(address: str) -> str:
    """The configuration's address of a resource or module instance: every instance key
    dropped (``module.app["web"].azurerm_nic.this[0]`` -> ``module.app.azurerm_nic.this``)."""
    return _INSTANCE_KEY.sub("", address)


def _calling_module(module: str) -> str:
    """The module instance that calls ``module`` ('' for the root module)."""
    return _LAST_MODULE.sub("", module)


def _instance_key(module: str) -> Any:
    """The for_each key or count index of a module instance, or None."""
    match = _LAST_MODULE.search(module)
    key = match.group(1) if match else None
    if not key:
        return None
    inner = key[1:-1]
    if inner.startswith('"'):
        return inner[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return int(inner) if inner.isdigit() else None


def _get(values: Any, path: tuple) -> Any:
    for step in path:
        if isinstance(step, int):
            if not isinstance(values, list) or step >= len(values):
                return None
            values = values[step]
        else:
            if not isinstance(values, dict):
                return None
            values = values.get(step)
    return values


def _block(values: dict, name: str) -> list[dict]:
    blocks = values.get(name)
    if isinstance(blocks, dict):
        return [blocks]
    return [b for b in blocks if isinstance(b, dict)] if isinstance(blocks, list) else []


def _id(value: str) -> dict | None:
    return {"id": value} if value else None


def _clean(props: dict) -> dict:
    return {k: v for k, v in props.items() if v is not None and v != [] and v != ""}


# ---------------------------------------------------------------- per type

def _vnet(cv: _Converter, res: TfResource):
    v = res.values
    subnets = []
    for i, block in enumerate(_block(v, "subnet")):
        prefixes = block.get("address_prefixes") or ([block["address_prefix"]]
                                                     if block.get("address_prefix") else [])
        subnets.append({"name": block.get("name"), "properties": _clean({
            "addressPrefixes": prefixes,
            "networkSecurityGroup": _id(cv.ref(res, ("subnet", i, "security_group")))})})
    return _clean({"addressSpace": {"addressPrefixes": v.get("address_space") or []},
                   "subnets": subnets}), None


def _subnet(cv, res):
    v = res.values
    prefixes = v.get("address_prefixes") or ([v["address_prefix"]] if v.get("address_prefix")
                                             else [])
    access = v.get("default_outbound_access_enabled")
    return _clean({"addressPrefixes": prefixes,
                   "defaultOutboundAccess": access if isinstance(access, bool) else None}), None


def _nic(cv, res):
    configs = []
    for i, block in enumerate(_block(res.values, "ip_configuration")):
        configs.append({"name": block.get("name"), "properties": _clean({
            "primary": block.get("primary", i == 0),
            "subnet": _id(cv.ref(res, ("ip_configuration", i, "subnet_id"))),
            "privateIPAddress": block.get("private_ip_address"),
            "privateIPAllocationMethod": block.get("private_ip_address_allocation"),
            "publicIPAddress": _id(cv.ref(res, ("ip_configuration", i, "public_ip_address_id")))})})
    return {"ipConfigurations": configs}, None


def _public_ip(cv, res):
    v = res.values
    sku = {"name": v["sku"]} if isinstance(v.get("sku"), str) else None
    return _clean({"ipAddress": v.get("ip_address"),
                   "publicIPAllocationMethod": v.get("allocation_method"),
                   "publicIPAddressVersion": v.get("ip_version"),
                   "publicIPPrefix": _id(cv.ref(res, ("public_ip_prefix_id",)))}), sku


def _prefix(cv, res):
    v = res.values
    return _clean({"prefixLength": v.get("prefix_length"), "ipPrefix": v.get("ip_prefix")}), \
        {"name": v.get("sku") or "Standard"}


def _rule_properties(cv, res, path: tuple, block: dict) -> dict:
    def one_or_many(single: str, many: str, arm_single: str, arm_many: str) -> dict:
        out = {}
        if block.get(single) not in (None, ""):
            out[arm_single] = block[single]
        if block.get(many):
            out[arm_many] = list(block[many])
        return out
    props = {"priority": block.get("priority"), "direction": block.get("direction"),
             "access": block.get("access"), "protocol": block.get("protocol")}
    props.update(one_or_many("source_address_prefix", "source_address_prefixes",
                             "sourceAddressPrefix", "sourceAddressPrefixes"))
    props.update(one_or_many("destination_address_prefix", "destination_address_prefixes",
                             "destinationAddressPrefix", "destinationAddressPrefixes"))
    props.update(one_or_many("source_port_range", "source_port_ranges", "sourcePortRange",
                             "sourcePortRanges"))
    props.update(one_or_many("destination_port_range", "destination_port_ranges",
                             "destinationPortRange", "destinationPortRanges"))
    for side in ("source", "destination"):
        groups = cv.refs(res, path + (f"{side}_application_security_group_ids",))
        if groups:
            props[f"{side}ApplicationSecurityGroups"] = [{"id": g} for g in groups]
    return _clean(props)


def _nsg(cv, res):
    rules = [{"name": b.get("name"), "properties": _rule_properties(cv, res, ("security_rule", i), b)}
             for i, b in enumerate(_block(res.values, "security_rule"))]
    return {"securityRules": rules}, None


def _nsg_rule(cv, res):
    return _rule_properties(cv, res, (), res.values), None


def _nat(cv, res):
    v = res.values
    return _clean({"idleTimeoutInMinutes": v.get("idle_timeout_in_minutes")}), \
        {"name": v.get("sku_name") or "Standard"}


def _lb(cv, res):
    v = res.values
    frontends = []
    for i, b in enumerate(_block(v, "frontend_ip_configuration")):
        frontends.append({"name": b.get("name"), "properties": _clean({
            "publicIPAddress": _id(cv.ref(res, ("frontend_ip_configuration", i,
                                                "public_ip_address_id"))),
            "publicIPPrefix": _id(cv.ref(res, ("frontend_ip_configuration", i,
                                               "public_ip_prefix_id"))),
            "subnet": _id(cv.ref(res, ("frontend_ip_configuration", i, "subnet_id"))),
            "privateIPAddress": b.get("private_ip_address")})})
    sku = {"name": v["sku"]} if isinstance(v.get("sku"), str) else None
    return {"frontendIPConfigurations": frontends}, sku


def _frontend_id(cv, res, name: Any) -> dict | None:
    lb = cv.ref(res, ("loadbalancer_id",))
    return {"id": f"{lb}/frontendIPConfigurations/{name}"} if lb and name else None


def _reset(v: dict) -> Any:
    return v.get("tcp_reset_enabled", v.get("enable_tcp_reset"))


def _lb_rule(cv, res):
    v = res.values
    pools = cv.refs(res, ("backend_address_pool_ids",))
    return _clean({
        "protocol": v.get("protocol"), "frontendPort": v.get("frontend_port"),
        "backendPort": v.get("backend_port"),
        "frontendIPConfiguration": _frontend_id(cv, res, v.get("frontend_ip_configuration_name")),
        "backendAddressPools": [{"id": p} for p in pools],
        "probe": _id(cv.ref(res, ("probe_id",))),
        "idleTimeoutInMinutes": v.get("idle_timeout_in_minutes"),
        "disableOutboundSnat": v.get("disable_outbound_snat"),
        "enableTcpReset": _reset(v)}), None


def _lb_outbound(cv, res):
    v = res.values
    return _clean({
        "protocol": v.get("protocol"), "allocatedOutboundPorts": v.get("allocated_outbound_ports"),
        "idleTimeoutInMinutes": v.get("idle_timeout_in_minutes"), "enableTcpReset": _reset(v),
        "backendAddressPool": _id(cv.ref(res, ("backend_address_pool_id",))),
        "frontendIPConfigurations": [f for f in (_frontend_id(cv, res, b.get("name"))
                                                 for b in _block(v, "frontend_ip_configuration"))
                                     if f]}), None


def _lb_probe(cv, res):
    v = res.values
    return _clean({"protocol": v.get("protocol"), "port": v.get("port"),
                   "requestPath": v.get("request_path"),
                   "intervalInSeconds": v.get("interval_in_seconds"),
                   "numberOfProbes": v.get("number_of_probes"),
                   "probeThreshold": v.get("probe_threshold")}), None


def _routes_of(blocks: list[dict]) -> list[dict]:
    return [{"name": b.get("name"), "properties": _clean({
        "addressPrefix": b.get("address_prefix"), "nextHopType": b.get("next_hop_type"),
        "nextHopIpAddress": b.get("next_hop_in_ip_address")})} for b in blocks]


def _route_table(cv, res):
    return {"routes": _routes_of(_block(res.values, "route"))}, None


def _route(cv, res):
    return _routes_of([res.values])[0]["properties"], None


def _vm(cv, res):
    v = res.values
    nics = cv.refs(res, ("network_interface_ids",))
    primary = cv.ref(res, ("primary_network_interface_id",)) or (nics[0] if nics else "")
    return _clean({
        "networkProfile": {"networkInterfaces": [
            {"id": n, "properties": {"primary": n == primary}} for n in nics]},
        "availabilitySet": _id(cv.ref(res, ("availability_set_id",))),
        "virtualMachineScaleSet": _id(cv.ref(res, ("virtual_machine_scale_set_id",)))}), None


def _vmss(cv, res):
    v = res.values
    legacy = res.type == "azurerm_virtual_machine_scale_set"
    if legacy:
        sku_block = (_block(v, "sku") or [{}])[0]
        sku = {"name": sku_block.get("name"), "capacity": sku_block.get("capacity")}
        nic_blocks, ip_key, pool_key = "network_profile", "ip_configuration", \
            "load_balancer_backend_address_pool_ids"
    else:
        sku = {"name": v.get("sku") or v.get("sku_name"), "capacity": v.get("instances")}
        nic_blocks, ip_key, pool_key = "network_interface", "ip_configuration", \
            "load_balancer_backend_address_pool_ids"
    configs = []
    for i, nic in enumerate(_block(v, nic_blocks)):
        ips = []
        for j, ip in enumerate(_block(nic, ip_key)):
            base = (nic_blocks, i, ip_key, j)
            public = _block(ip, "public_ip_address") or _block(ip, "public_ip_address_configuration")
            ips.append({"name": ip.get("name"), "properties": _clean({
                "primary": ip.get("primary", j == 0),
                "subnet": _id(cv.ref(res, base + ("subnet_id",))),
                "loadBalancerBackendAddressPools": [{"id": p} for p in
                                                    cv.refs(res, base + (pool_key,))],
                "publicIPAddressConfiguration": {"name": public[0].get("name") or "pip",
                                                 "properties": {}} if public else None})})
        configs.append({"name": nic.get("name"), "properties": _clean({
            "primary": nic.get("primary", i == 0),
            "networkSecurityGroup": _id(cv.ref(res, (nic_blocks, i, "network_security_group_id"))),
            "ipConfigurations": ips})})
    props = {"virtualMachineProfile": {"networkProfile": {
        "networkInterfaceConfigurations": configs}}}
    if res.type == "azurerm_orchestrated_virtual_machine_scale_set":
        props["orchestrationMode"] = "Flexible"
    return props, sku


CONVERTERS: dict[str, Callable[[_Converter, TfResource], tuple[dict, Any]]] = {
    "azurerm_virtual_network": _vnet, "azurerm_subnet": _subnet,
    "azurerm_network_interface": _nic, "azurerm_public_ip": _public_ip,
    "azurerm_public_ip_prefix": _prefix, "azurerm_network_security_group": _nsg,
    "azurerm_network_security_rule": _nsg_rule, "azurerm_nat_gateway": _nat,
    "azurerm_lb": _lb, "azurerm_lb_backend_address_pool": lambda cv, res: ({}, None),
    "azurerm_lb_rule": _lb_rule, "azurerm_lb_outbound_rule": _lb_outbound,
    "azurerm_lb_probe": _lb_probe, "azurerm_route_table": _route_table, "azurerm_route": _route,
    "azurerm_linux_virtual_machine": _vm, "azurerm_windows_virtual_machine": _vm,
    "azurerm_virtual_machine": _vm,
    "azurerm_linux_virtual_machine_scale_set": _vmss,
    "azurerm_windows_virtual_machine_scale_set": _vmss,
    "azurerm_orchestrated_virtual_machine_scale_set": _vmss,
    "azurerm_virtual_machine_scale_set": _vmss,
}


def convert_terraform(resources: list[TfResource], *, source: str = "terraform",
                      subscription_id: str | None = None,
                      module_inputs: dict[tuple[str, str], tuple[str, list[str]]] | None = None,
                      module_outputs: dict[tuple[str, str], list[str]] | None = None
                      ) -> tuple[list[AzureResource], list[Note]]:
    """Azure resource objects for Terraform resource records (plan, state or, later, HCL).
    ``module_inputs`` lets ``var.X`` inside module M follow the argument X of M's call:
    ``{(M, X): (address of the calling module, references of the argument)}``, and
    ``module.M.OUT`` follow the output OUT of M: ``{(M, OUT): references of its value}``."""
    subscription = subscription_id or _subscription_of(resources) or DEFAULT_SUBSCRIPTION
    converter = _Converter(resources, subscription, source, module_inputs, module_outputs)
    return converter.convert(), converter.notes


def _subscription_of(resources: list[TfResource]) -> str | None:
    for res in resources:
        rid = res.values.get("id")
        if isinstance(rid, str):
            match = re.match(r"/subscriptions/([^/]+)/", rid)
            if match:
                return match.group(1)
    return None


# ============================================================================ reading JSON

def is_terraform_document(doc: Any) -> bool:
    return isinstance(doc, dict) and "format_version" in doc and any(
        k in doc for k in ("planned_values", "values", "resource_changes", "terraform_version"))


def _config_references(expressions: Any, prefix: tuple = ()) -> dict[tuple, list[str]]:
    """Attribute path -> references, from a configuration block's ``expressions``."""
    out: dict[tuple, list[str]] = {}
    if not isinstance(expressions, dict):
        return out
    for key, value in expressions.items():
        if isinstance(value, dict) and isinstance(value.get("references"), list):
            out[prefix + (key,)] = [r for r in value["references"] if isinstance(r, str)]
        elif isinstance(value, list):
            for i, block in enumerate(value):
                out.update(_config_references(block, prefix + (key, i)))
        elif isinstance(value, dict):
            out.update(_config_references(value, prefix + (key,)))
    return out


def _module_configs(module: Any, path: str, out: dict[str, dict],
                    inputs: dict[tuple[str, str], tuple[str, list[str]]],
                    outputs: dict[tuple[str, str], list[str]]) -> None:
    """Configuration resources by absolute address (module path + type.name), and the
    arguments of each module call (for ``var.X`` references inside the module)."""
    if not isinstance(module, dict):
        return
    for resource in module.get("resources", []) if isinstance(module.get("resources"), list) else []:
        if isinstance(resource, dict) and isinstance(resource.get("address"), str):
            out[f"{path}.{resource['address']}" if path else resource["address"]] = resource
    for name, output in (module.get("outputs") or {}).items() \
            if isinstance(module.get("outputs"), dict) else ():
        expression = output.get("expression") if isinstance(output, dict) else None
        if isinstance(expression, dict) and isinstance(expression.get("references"), list):
            outputs[(path, name)] = [r for r in expression["references"] if isinstance(r, str)]
    calls = module.get("module_calls")
    for name, call in (calls.items() if isinstance(calls, dict) else ()):
        if isinstance(call, dict):
            child = f"{path}.module.{name}" if path else f"module.{name}"
            for argument, refs in _config_references(call.get("expressions")).items():
                inputs[(child, argument[0])] = (path, refs)
            _module_configs(call.get("module"), child, out, inputs, outputs)


def _walk_modules(module: Any, out: list[tuple[str, dict]], source: str, path: str) -> None:
    if not isinstance(module, dict):
        return
    resources = module.get("resources", [])
    if not isinstance(resources, list):
        raise ImportFailure(f"{source}: {path}.resources: expected a list")
    module_address = module.get("address") if isinstance(module.get("address"), str) else ""
    for index, resource in enumerate(resources):
        if not isinstance(resource, dict) or not isinstance(resource.get("address"), str) or \
                not isinstance(resource.get("type"), str):
            raise ImportFailure(f"{source}: {path}.resources[{index}]: expected a resource "
                                f"with an address and a type")
        out.append((module_address, resource))
    for index, child in enumerate(module.get("child_modules", []) or []):
        _walk_modules(child, out, source, f"{path}.child_modules[{index}]")


def _merge_unknown(values: Any, unknown: Any) -> Any:
    """Values with the attributes unknown until apply set to None."""
    if unknown is True:
        return None
    if isinstance(values, dict) and isinstance(unknown, dict):
        return {k: _merge_unknown(v, unknown.get(k)) for k, v in values.items()}
    if isinstance(values, list) and isinstance(unknown, list):
        return [_merge_unknown(v, unknown[i] if i < len(unknown) else None)
                for i, v in enumerate(values)]
    return values


def read_terraform(doc: Any, source: str) -> tuple[list[AzureResource], list[Note]]:
    """The resources of ``terraform show -json`` output (a plan or a state)."""
    if not is_terraform_document(doc):
        raise ImportFailure(f"{source}: not the JSON of terraform show -json (no format_version "
                            f"with planned_values or values)")
    if isinstance(doc.get("planned_values"), dict):
        root, path = doc["planned_values"].get("root_module"), "planned_values.root_module"
    elif isinstance(doc.get("values"), dict):
        root, path = doc["values"].get("root_module"), "values.root_module"
    else:
        root, path = None, ""
    found: list[tuple[str, dict]] = []
    _walk_modules(root, found, source, path)
    changes = {c["address"]: c for c in doc.get("resource_changes", []) or []
               if isinstance(c, dict) and isinstance(c.get("address"), str)}
    configs: dict[str, dict] = {}
    inputs: dict[tuple[str, str], tuple[str, list[str]]] = {}
    outputs: dict[tuple[str, str], list[str]] = {}
    configuration = doc.get("configuration")
    if isinstance(configuration, dict):
        _module_configs(configuration.get("root_module"), "", configs, inputs, outputs)
    records, notes = [], []
    for module, resource in found:
        address = resource["address"]
        values = resource.get("values") if isinstance(resource.get("values"), dict) else {}
        change = changes.get(address, {}).get("change")
        if isinstance(change, dict) and isinstance(change.get("after_unknown"), dict):
            values = _merge_unknown(values, change["after_unknown"])
        config = configs.get(config_address(address), {})
        references = _config_references(config.get("expressions"))
        if resource.get("mode") == "data" and resource["type"] not in ARM_TYPES:
            continue
        if not resource["type"].startswith("azurerm_"):
            notes.append(Note("info", "import-skipped", f"{address} not imported: not an "
                                                        f"azurerm resource", address))
            continue
        records.append(TfResource(address, resource["type"], values, references,
                                  resource.get("index"), module,
                                  resource.get("mode", "managed")))
    resources, more = convert_terraform(records, source=source, module_inputs=inputs,
                                        module_outputs=outputs)
    return resources, notes + more
