"""Where a VM's flows go, and where and why they fail - for "Why this path?" (no Qt).

The outbound path (:mod:`designer.sim.paths`) says how a VM reaches the Internet; the NSGs at
its NIC and subnet (:mod:`designer.sim.nsg`, C2) decide first whether a flow leaves at all.
:func:`explain_vm` evaluates every destination the VM's outbound generators call, as the engine
does for each flow (the VM's private address and an ephemeral source port to the destination's
address and port), and names the rule of the NSG that denies each one.  So a VM whose every
flow is denied is explained by the rule that denies it, not by a path its flows never take.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..model.topology import Scenario
from .nsg import NsgEvaluator, Verdict
from .paths import VmPath, resolve_paths
from .policy import destination


@dataclass(frozen=True)
class FlowCheck:
    """The NSG verdict for one (generator, protocol, destination) of a VM."""
    generator: str
    protocol: str
    destination: str
    address: str
    port: int
    verdict: Verdict
    priority: int | None = None     # of the deciding rule
    @property
    def denied(self) -> bool:
        return self.verdict.denied


@dataclass(frozen=True)
class Explanation:
    vm: str
    path: VmPath
    checks: tuple[FlowCheck, ...]

    @property
    def denied(self) -> tuple[FlowCheck, ...]:
        return tuple(c for c in self.checks if c.denied)

    @property
    def all_denied(self) -> bool:
        return bool(self.checks) and all(c.denied for c in self.checks)


def explain_vm(scenario: Scenario, vm_id: str, path: VmPath | None = None,
               evaluator: NsgEvaluator | None = None) -> Explanation:
    """The path of ``vm_id`` and the NSG verdict of every destination its outbound generators
    call.  ``path`` and ``evaluator`` may be passed in when the caller has them already."""
    topology = scenario.topology
    if path is None:
        path = resolve_paths(scenario)[vm_id]
    evaluator = evaluator or NsgEvaluator(scenario)
    checks = []
    for gen in sorted(topology.nodes("traffic_generator"), key=lambda g: g.id):
        if gen.direction != "outbound" or gen.muted or \
                vm_id not in topology.generator_sources(gen.id):
            continue
        for dest in topology.generator_destinations(gen.id):
            address, port = destination(scenario.topology, dest)
            if not address:
                continue
            verdict = evaluator.outbound(vm_id, gen.protocol, address, port)
            priority = None
            if verdict.nsg and verdict.rule:
                priority = next((r.priority for r in evaluator.rules(verdict.nsg, "outbound")
                                 if r.name == verdict.rule), None)
            checks.append(FlowCheck(gen.id, gen.protocol, dest, address, port, verdict,
                                    priority))
    return Explanation(vm_id, path, tuple(checks))


def denial_sentences(explanation: Explanation, names: dict[str, str] | None = None
                     ) -> list[str]:
    """Plain sentences, one per denied destination (grouped by rule): "Flows of flood to
    api.contoso.example (20.50.1.4:443, TCP) are denied by rule DenyInternetOut (priority
    100) of NSG web-nsg at the subnet: no SNAT port is used."""
    names = names or {}
    out = []
    for check in explanation.denied:
        v = check.verdict
        nsg = names.get(v.nsg, v.nsg) if v.nsg else "an NSG"
        level = " at the NIC" if "(NIC NSG)" in v.reason else \
            " at the subnet" if "(subnet NSG)" in v.reason else ""
        out.append(f"Flows of {names.get(check.generator, check.generator)} to "
                   f"{names.get(check.destination, check.destination)} ({check.address}:"
                   f"{check.port}, {check.protocol.upper()}) are denied by rule {v.rule}"
                   + (f" (priority {check.priority})" if check.priority is not None else "")
                   + f" of NSG {nsg}{level} (C2): they never reach the outbound path, and use no "
                   f"SNAT port.")
    return out
