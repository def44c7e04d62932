"""One run of a comparison or a sweep, as it travels to a worker and back.

A run is the scenario's *file text*, a seed, a duration and a sampling interval; a worker
(a Dask process on this machine or on a cluster, or this process) loads the text, calls
``simulate`` and sends back the report as JSON text — exactly what ``outbound-designer
simulate FILE --seed N --json`` prints for the same file.  Nothing else crosses the wire: no
pickled model objects, so a worker only needs the same outbound-designer installed.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from ..sim.report import dumps_report, simulate

COUNTERS = ("attempted", "succeeded", "failed_snat", "denied_nsg", "no_route")


@dataclass(frozen=True)
class RunSpec:
    scenario_text: str
    seed: int
    duration: float | None = None
    sample_s: float = 60.0
    source: str = ""

    @property
    def key(self) -> tuple:
        """Identity of the run (equal specs give byte-identical reports)."""
        digest = hashlib.sha1(self.scenario_text.encode("utf-8")).hexdigest()
        return (digest, self.seed, self.duration, self.sample_s, self.source)

    def args(self) -> tuple:
        return (self.scenario_text, self.seed, self.duration, self.sample_s, self.source)


def run_report(scenario_text: str, seed: int, duration: float | None = None,
               sample_s: float = 60.0, source: str = "") -> str:
    """Simulate a scenario given as file text; the report as ``simulate --json`` text.
    (The function a worker runs: module level, plain arguments, plain result.)"""
    from ..model import loads
    scenario = loads(scenario_text, source=source or "<scenario>")
    report = simulate(scenario, duration=duration, seed=seed, sample_s=sample_s,
                      source=source or scenario.name)
    return dumps_report(report)


def totals(report: dict[str, Any]) -> dict[str, int]:
    """The flow counters of every VM added up."""
    out = dict.fromkeys(COUNTERS, 0)
    for vm in report.get("vms", {}).values():
        for name in COUNTERS:
            out[name] += int(vm.get("flows", {}).get(name, 0))
    return out


def vm_figures(report: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Per VM: peak used and allocated SNAT ports, failed flows (the report's own fields)."""
    return {vm_id: {"snat_ports_used_peak": vm.get("snat_ports_used_peak", 0),
                    "snat_ports_allocated": vm.get("snat_ports_allocated", 0),
                    "failed_snat": vm.get("flows", {}).get("failed_snat", 0)}
            for vm_id, vm in sorted(report.get("vms", {}).items())}


def failing_vms(reports: list[dict[str, Any]]) -> list[str]:
    """VMs with at least one flow failed for want of a SNAT port in any of the reports."""
    from .edits import natural_key
    return sorted({vm_id for report in reports for vm_id, vm in report.get("vms", {}).items()
                   if vm.get("flows", {}).get("failed_snat", 0) > 0}, key=natural_key)


def names(ids: list[str], limit: int = 6) -> str:
    """``a, b, c`` — or the first few and how many more, for long lists in one line."""
    if len(ids) <= limit:
        return ", ".join(ids)
    return f"{', '.join(ids[:limit - 2])} … {ids[-1]} ({len(ids)} in all)"
