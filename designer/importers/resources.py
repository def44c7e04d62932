"""Resolved resources: what ``az resource list``, ``az network ... show``, Azure Resource Graph
and the REST API return — real ids and property objects, no expressions.

Accepted shapes: a list of resources, ``{"value": [...]}`` (REST list), ``{"data": [...]}``
(Resource Graph), or one resource. The Azure CLI's ``az network ... show`` flattens
``properties`` into the resource (and into subnets, IP configurations, rules, ...): such
objects are folded back into the REST shape so that one mapper reads them all.
"""
from __future__ import annotations

from typing import Any

from .errors import ImportFailure
from .inventory import AzureResource

#: keys of a resource (or a child entry) that are not properties
META_KEYS = {"id", "name", "type", "sku", "location", "tags", "etag", "kind", "zones",
             "resourcegroup", "extendedlocation", "identity", "plan", "managedby",
             "subscriptionid", "tenantid", "systemdata", "properties"}
ENTRY_META_KEYS = {"id", "name", "type", "etag", "properties", "sku", "zones"}
#: property lists whose entries are child objects with their own ``properties``
CHILD_LISTS = {"subnets", "ipconfigurations", "frontendipconfigurations", "backendaddresspools",
               "loadbalancingrules", "probes", "outboundrules", "inboundnatrules",
               "inboundnatpools", "securityrules", "defaultsecurityrules", "routes",
               "networkinterfaceconfigurations", "loadbalancerbackendaddresses"}
#: property objects whose value is a child object with its own ``properties``
CHILD_OBJECTS = {"publicipaddressconfiguration"}


def _entry(raw: dict) -> dict:
    """A child entry in REST shape: ``{"name", "id", "properties": {...}}``."""
    if isinstance(raw.get("properties"), dict):
        props = raw["properties"]
        out = dict(raw)
    else:
        props = {k: v for k, v in raw.items() if k.lower() not in ENTRY_META_KEYS}
        out = {k: v for k, v in raw.items() if k.lower() in ENTRY_META_KEYS}
    out["properties"] = _properties(props)
    return out


def _properties(props: dict) -> dict:
    out = {}
    for key, value in props.items():
        if key.lower() in CHILD_LISTS and isinstance(value, list):
            value = [_entry(v) if isinstance(v, dict) else v for v in value]
        elif key.lower() in CHILD_OBJECTS and isinstance(value, dict):
            value = _entry(value)
        elif key.lower() in ("virtualmachineprofile", "networkprofile") and isinstance(value, dict):
            value = _properties(value)
        out[key] = value
    return out


def to_resource(raw: Any, origin: str) -> AzureResource:
    if not isinstance(raw, dict):
        raise ImportFailure(f"{origin}: expected a resource object")
    rid, rtype, name = raw.get("id"), raw.get("type"), raw.get("name")
    if not isinstance(rid, str) or not rid.startswith("/"):
        raise ImportFailure(f"{origin}.id: expected a resource id (/subscriptions/...)")
    if not isinstance(rtype, str) or "/" not in rtype:
        raise ImportFailure(f"{origin}.type: expected a resource type (Namespace/type)")
    if not isinstance(name, str) or not name:
        name = rid.rstrip("/").rsplit("/", 1)[-1]
    # a child resource's name is "parent/child" in ARM; the CLI shows just "child"
    segments = rtype.count("/")
    if segments > 1 and name.count("/") < segments - 1:
        parts = rid.rstrip("/").split("/")
        name = "/".join(parts[-2 * (segments - 1) + 1::2])
    if isinstance(raw.get("properties"), dict):
        properties = _properties(raw["properties"])
    elif "properties" in raw and raw["properties"] is None:
        properties = {}       # az resource list: the resource named, its properties not given
    else:
        properties = _properties({k: v for k, v in raw.items() if k.lower() not in META_KEYS})
    extra = {k: raw[k] for k in ("location", "zones", "powerState") if k in raw}
    return AzureResource(rid, rtype, name, properties, raw.get("sku"), raw.get("kind"), origin,
                         extra)


def resource_items(doc: Any) -> list | None:
    """The resource objects of a document, or None when it is not resolved resources."""
    if isinstance(doc, list):
        items = doc
    elif isinstance(doc, dict) and isinstance(doc.get("value"), list):
        items = doc["value"]
    elif isinstance(doc, dict) and isinstance(doc.get("data"), list):
        items = doc["data"]
    elif isinstance(doc, dict) and isinstance(doc.get("id"), str) and "type" in doc:
        items = [doc]
    else:
        return None
    if not all(isinstance(i, dict) and isinstance(i.get("id"), str) for i in items):
        return None
    return items


def is_resource_document(doc: Any) -> bool:
    items = resource_items(doc)
    return items is not None and (bool(items) or isinstance(doc, (list, dict)))


def read_resources(doc: Any, source: str) -> list[AzureResource]:
    items = resource_items(doc)
    if items is None:
        raise ImportFailure(f"{source}: not a list of Azure resources (expected a list, "
                            f"{{\"value\": [...]}}, {{\"data\": [...]}} or one resource with "
                            f"an id and a type)")
    prefix = "value" if isinstance(doc, dict) and "value" in doc else \
        "data" if isinstance(doc, dict) and "data" in doc else ""
    out = []
    for index, item in enumerate(items):
        where = f"{source} {prefix}[{index}]" if isinstance(doc, list) or prefix else source
        out.append(to_resource(item, where))
    return out
