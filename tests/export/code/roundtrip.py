"""Round trips: a scenario exported as code and imported back (test helpers).

:func:`canonical` reduces a scenario to what the code carries — kinds, names, links and every
field of the format — keyed by name rather than id (an importer makes ids from the Azure
names). What code does not carry stays out: traffic generators and endpoints, positions and
box sizes, the drawn public IP addresses (Azure assigns them), and the simulation-only fields
of VMs (state, probe answers, admin state).

:func:`restore` puts those back into an imported scenario (ids of the original, addresses,
generators, endpoints and their links, seed, options), so that it can be simulated against
the original with the same seed.
"""
from __future__ import annotations

from typing import Any

from designer.model.io import component_to_dict, from_document, record_to_dict, to_document

NOT_INFRASTRUCTURE = ("traffic_generator", "endpoint")
#: fields code does not carry, per kind
SKIPPED = {"public_ip": {"address"}, "vm": {"state", "probe_responds", "admin_state"},
           "subnet": {"size"}, "vnet": {"size"}}


def _plain(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return record_to_dict(value, skip_defaults=False)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def canonical(scenario, names: dict[str, str] | None = None) -> dict:
    """{"nodes": {(kind, name): fields}, "links": {(kind, from name, to name)}, "semantics"}.
    ``names`` (node id -> Azure name) names the nodes; by default their display names."""
    t = scenario.topology
    name = {n.id: (names or {}).get(n.id, n.display_name) for n in t.nodes()}
    nodes = {}
    for node in t.nodes():
        if node.KIND in NOT_INFRASTRUCTURE:
            continue
        fields = component_to_dict(node)
        for key in ("id", "kind", "name", "position") + tuple(SKIPPED.get(node.KIND, ())):
            fields.pop(key, None)
        for key, value in list(fields.items()):
            fields[key] = _plain(value)
        if node.KIND == "load_balancer":
            # a full record list, with default values written, frontends named
            fields["rules"] = [{**record_to_dict(r, skip_defaults=False),
                                "frontend": name.get(r.frontend, r.frontend)}
                               for r in node.rules]
            fields["outbound_rules"] = [{**record_to_dict(r, skip_defaults=False),
                                         "frontends": [name.get(f, f) for f in r.frontends]}
                                        for r in node.outbound_rules]
        key = (node.KIND, name[node.id])
        assert key not in nodes, f"two {node.KIND}s named {name[node.id]}"
        nodes[key] = fields
    links = {(link.kind, name[link.source], name[link.target]) for link in t.links()
             if t.node(link.source).KIND not in NOT_INFRASTRUCTURE}
    return {"semantics": scenario.semantics, "nodes": nodes, "links": links}


def restore(imported, original, names: dict[str, str]):
    """``imported`` with the original's ids, public IP addresses, generators, endpoints (and
    their links), seed and options: a scenario to simulate against ``original``."""
    by_name = {azure: node_id for node_id, azure in names.items()}
    doc = to_document(imported)
    rename = {n["id"]: by_name.get(n["id"], n["id"]) for n in doc["nodes"]}

    def renamed(value):
        return rename.get(value, value)

    for node in doc["nodes"]:
        node["id"] = renamed(node["id"])
        if node["kind"] == "public_ip":
            node["address"] = original.topology.node(node["id"]).address
        for rule in node.get("rules", []) if node["kind"] == "load_balancer" else []:
            rule["frontend"] = renamed(rule["frontend"])
        for rule in node.get("outbound_rules", []):
            rule["frontends"] = [renamed(f) for f in rule["frontends"]]
    for link in doc["links"]:
        link["from"], link["to"] = renamed(link["from"]), renamed(link["to"])
    t = original.topology
    for node in t.nodes():
        if node.KIND in NOT_INFRASTRUCTURE:
            doc["nodes"].append(component_to_dict(node))
    for link in t.links():
        if t.node(link.source).KIND in NOT_INFRASTRUCTURE:
            doc["links"].append({"from": link.source, "to": link.target, "kind": link.kind})
    doc.pop("findings", None)
    doc.update(name=original.name, seed=original.seed, options=dict(original.options),
               semantics=original.semantics)
    # nodes and links in the original's order: whatever the language, the same document
    order = {node_id: i for i, node_id in enumerate(t.node_ids())}
    doc["nodes"].sort(key=lambda n: (order.get(n["id"], len(order)), n["id"]))
    link_order = {(l.source, l.target, l.kind): i for i, l in enumerate(t.links())}
    doc["links"].sort(key=lambda l: (link_order.get((l["from"], l["to"], l["kind"]),
                                                    len(link_order)), l["from"], l["to"]))
    return from_document(doc, "restored")


def comparable(report: dict) -> dict:
    """A report without what names the run rather than its outcome."""
    out = dict(report)
    out.pop("scenario", None)
    return out
