"""Small scenarios built in code with the model API."""
from __future__ import annotations

from designer.model import (Endpoint, Hold, LbRule, NsgRule, OutboundRule, Probe, Scenario,
                            make_component)
from designer.model.links import Link
from designer.sim import Engine

__all__ = ["Builder", "Hold", "LbRule", "NsgRule", "OutboundRule", "Probe", "Endpoint"]


class Builder:
    def __init__(self, semantics: str = "classic", seed: int = 1, **options):
        self.scenario = Scenario(semantics=semantics, seed=seed, options=options)
        self.t = self.scenario.topology

    def add(self, kind: str, node_id: str, **fields) -> str:
        self.t.add_node(make_component(kind, node_id, **fields))
        return node_id

    def link(self, source: str, target: str, kind: str) -> None:
        self.t.connect(Link(source, target, kind), check_limits=False)

    def vms(self, n: int, stem: str = "vm", **fields) -> list[str]:
        return [self.add("vm", f"{stem}-{i + 1}", **fields) for i in range(n)]

    def pip(self, node_id: str, address: str, sku: str = "basic") -> str:
        return self.add("public_ip", node_id, address=address, sku=sku)

    def lb(self, node_id: str, vms: list[str], frontends: list[str] = (), *, sku="basic",
           type="public", rules=None, outbound_rules=(), probe=None, **fields) -> str:
        if rules is None:
            rules = tuple(LbRule(name=f"rule-{f}", frontend=f) for f in frontends)
        self.add("load_balancer", node_id, sku=sku, type=type, rules=tuple(rules),
                 outbound_rules=tuple(outbound_rules), probe=probe, **fields)
        for f in frontends:
            self.link(node_id, f, "frontend")
        for vm in vms:
            self.link(node_id, vm, "backend")
        return node_id

    def endpoint(self, node_id: str, address: str, port: int = 443, **fields) -> str:
        return self.add("endpoint", node_id, address=address, port=port, **fields)

    def gen(self, node_id: str, sources: list[str], dests: list[str], **fields) -> str:
        self.add("traffic_generator", node_id, **fields)
        for s in sources:
            self.link(node_id, s, "source")
        for d in dests:
            self.link(node_id, d, "destination")
        return node_id

    def nsg(self, node_id: str, rules=(), attach=(), **fields) -> str:
        self.add("nsg", node_id, rules=tuple(rules), **fields)
        for target in attach:
            self.link(node_id, target, "nsg")
        return node_id

    def subnet(self, node_id: str, prefix: str, vms=(), **fields) -> str:
        self.add("subnet", node_id, prefix=prefix, **fields)
        for vm in vms:
            self.link(vm, node_id, "in_subnet")
        return node_id

    def snapshot(self) -> Scenario:
        return self.scenario.snapshot()

    def engine(self, **kw) -> Engine:
        return Engine(self.snapshot(), **kw)
