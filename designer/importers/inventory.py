"""The normalised intermediate form every source produces: Azure resource objects.

An :class:`AzureResource` is what ``az resource show`` or the REST API returns for one
resource: an id, a type, a name, a ``sku`` and a ``properties`` object, without expressions.
ARM templates are evaluated into it, resolved resources are it already, Terraform attributes
and the live subscription are converted into it; one mapper (``mapping.py``) turns it into a
scenario.

The :class:`Inventory` indexes resources by id (case-insensitive, as Azure ids are) and folds
child resources into their parents: a subnet declared as its own resource
(``Microsoft.Network/virtualNetworks/subnets``) joins the ``subnets`` of its VNet, merging with
a subnet of the same name declared inside the VNet; load balancer rules, probes, pools,
outbound rules, NSG security rules and routes likewise.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from .arm_expressions import Deferred, lookup

#: child resource type (lower case, last segment) -> the property of the parent that lists it
CHILD_COLLECTIONS = {
    "microsoft.network/virtualnetworks/subnets": "subnets",
    "microsoft.network/loadbalancers/backendaddresspools": "backendAddressPools",
    "microsoft.network/loadbalancers/loadbalancingrules": "loadBalancingRules",
    "microsoft.network/loadbalancers/probes": "probes",
    "microsoft.network/loadbalancers/outboundrules": "outboundRules",
    "microsoft.network/loadbalancers/inboundnatrules": "inboundNatRules",
    "microsoft.network/loadbalancers/inboundnatpools": "inboundNatPools",
    "microsoft.network/loadbalancers/frontendipconfigurations": "frontendIPConfigurations",
    "microsoft.network/networksecuritygroups/securityrules": "securityRules",
    "microsoft.network/routetables/routes": "routes",
}


@dataclass
class AzureResource:
    id: str
    type: str
    name: str
    properties: dict[str, Any] = field(default_factory=dict)
    sku: Any = None
    kind: Any = None
    #: where it came from, for messages: "azuredeploy.json resources[3]", a Terraform address
    origin: str = ""
    #: anything else a mapper may want (zones, location, Terraform's instance count...)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def type_key(self) -> str:
        return self.type.lower()

    @property
    def short_name(self) -> str:
        return self.name.rsplit("/", 1)[-1]

    def prop(self, name: str) -> Any:
        return lookup(self.properties, name)

    def describe(self) -> str:
        return f"{self.type} {self.name}"


def norm_id(resource_id: Any) -> str:
    """The comparable form of a resource id (Azure ids are case-insensitive)."""
    return resource_id.strip().rstrip("/").lower() if isinstance(resource_id, str) else ""


def ref_id(value: Any) -> str:
    """The id a reference holds: ``{"id": "..."}`` or the id string itself; '' otherwise."""
    if isinstance(value, dict):
        value = lookup(value, "id")
    return norm_id(value) if isinstance(value, str) else ""


def parent_id(resource_id: str) -> str:
    """The id of the parent of a child resource (``.../virtualNetworks/v/subnets/s`` ->
    ``.../virtualNetworks/v``)."""
    return resource_id.rsplit("/", 2)[0]


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def is_known(value: Any) -> bool:
    return value is not None and not isinstance(value, Deferred)


def _merge(into: dict, extra: dict) -> None:
    """Merge ``extra`` into ``into``: objects recursively, everything else replaced."""
    for key, value in extra.items():
        existing_key = next((k for k in into if k.lower() == key.lower()), key)
        current = into.get(existing_key)
        if isinstance(current, dict) and isinstance(value, dict):
            _merge(current, value)
        else:
            into[existing_key] = value


def _entry_name(entry: Any) -> str | None:
    name = entry.get("name") if isinstance(entry, dict) else None
    return name.lower() if isinstance(name, str) else None


class Inventory:
    """Resources by id, children folded into their parents."""

    def __init__(self, resources: Iterable[AzureResource] = ()):
        self.by_id: dict[str, AzureResource] = {}
        #: child resources whose parent is not among the sources (kept standalone)
        self.orphans: list[AzureResource] = []
        self.duplicates: list[AzureResource] = []
        children = []
        for resource in resources:
            if resource.type_key in CHILD_COLLECTIONS:
                children.append(resource)
                continue
            key = norm_id(resource.id)
            if key in self.by_id:
                # the same resource from two sources (a template and a second template for
                # the VNet, or two resource lists): the later one's properties win
                existing = self.by_id[key]
                _merge(existing.properties, resource.properties)
                existing.sku = resource.sku if resource.sku is not None else existing.sku
                self.duplicates.append(resource)
            else:
                self.by_id[key] = resource
        #: (parent id, collection) -> entries of that collection by name (lower case), so
        #: that folding thousands of children (inbound NAT rules, subnets) stays linear
        self._entries: dict[tuple[str, str], dict[str, dict]] = {}
        for child in children:
            self._fold(child)

    def _fold(self, child: AzureResource) -> None:
        parent_key = norm_id(parent_id(child.id))
        parent = self.by_id.get(parent_key)
        if parent is None:
            self.orphans.append(child)
            return
        collection = CHILD_COLLECTIONS[child.type_key]
        items = lookup(parent.properties, collection)
        if not isinstance(items, list):
            items = []
            parent.properties[collection] = items
        index = self._entries.get((parent_key, collection))
        if index is None:     # the entries declared inside the parent, once
            index = {}
            for existing in items:
                name = _entry_name(existing)
                if name is not None:
                    index.setdefault(name, existing)
            self._entries[(parent_key, collection)] = index
        name = child.short_name.lower()
        existing = index.get(name)
        if existing is not None:
            _merge(existing, {"properties": child.properties})
            existing.setdefault("id", child.id)
            return
        entry = {"id": child.id, "name": child.short_name, "properties": dict(child.properties)}
        items.append(entry)
        index[name] = entry

    def of_type(self, *types: str) -> list[AzureResource]:
        wanted = {t.lower() for t in types}
        return [r for r in self.by_id.values() if r.type_key in wanted]

    def get(self, resource_id: Any) -> AzureResource | None:
        return self.by_id.get(ref_id(resource_id) if not isinstance(resource_id, str)
                              else norm_id(resource_id))

    def __iter__(self):
        return iter(self.by_id.values())

    def __len__(self) -> int:
        return len(self.by_id)
