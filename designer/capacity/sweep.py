"""Capacity sweeps: one run per combination of varied values and seed.

Every point is an edited copy of the scenario (:mod:`.fieldpath`), sent to a worker as file
text; what comes back is the report ``simulate`` gives for that file and seed, byte for byte,
and the point keeps its ``totals`` (every VM's flow counters added up) and per-VM figures,
next to the analytic estimate of the ports each VM needs.  With ``prune``, points where the
estimate is clear-cut (even its 99.99th percentile fits every VM's allocation, or even its
0.01th exceeds one) are not simulated and say so (``"simulated": false``).
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

from ..model import Scenario, dumps
from ..sim.report import simulate
from . import estimate
from .execute import Driver, run_all
from .fieldpath import Vary
from .runs import RunSpec, totals, vm_figures

SWEEP_FORMAT = "outbound-designer-sweep"
SWEEP_VERSION = 1
#: metrics a sweep can plot and print: name -> (label, function of a point)
METRICS = {
    "failed_snat": "flows failed for want of a SNAT port (all VMs)",
    "succeeded": "flows that succeeded (all VMs)",
    "attempted": "flows attempted (all VMs)",
    "peak_used": "largest peak of used SNAT ports of a VM",
    "used_ratio": "largest peak used / allocated SNAT ports of a VM",
    "ports_needed_p99": "largest analytic estimate of the ports a VM needs (p99)",
}


@dataclass
class Point:
    values: dict[str, Any]
    seed: int
    scenario: Scenario
    text: str


def plan(scenario: Scenario, varies: list[Vary], seeds: list[int]) -> list[Point]:
    """Every combination of values (in the order of ``varies``), then every seed."""
    points = []
    for combo in itertools.product(*(v.values for v in varies)):
        edited = scenario
        for vary, value in zip(varies, combo):
            edited = vary.apply(edited, value)
        text = dumps(edited)
        for seed in seeds:
            points.append(Point({v.path: value for v, value in zip(varies, combo)}, seed,
                                edited, text))
    return points


def metric_value(point: dict[str, Any], metric: str) -> float | None:
    """The value of ``metric`` for a point of the sweep document (None if not simulated)."""
    if metric == "ports_needed_p99":
        return max((e["ports_needed_p99"] for e in point.get("estimate", {}).values()),
                   default=0)
    if "totals" not in point:
        return None
    if metric in point["totals"]:
        return point["totals"][metric]
    vms = point["vms"].values()
    if metric == "peak_used":
        return max((v["snat_ports_used_peak"] for v in vms), default=0)
    if metric == "used_ratio":
        return round(max((v["snat_ports_used_peak"] / v["snat_ports_allocated"]
                          for v in vms if v["snat_ports_allocated"]), default=0.0), 4)
    raise KeyError(metric)


def _probe_verdict(point: Point, duration: float | None) -> str | None:
    """The analytic verdict of a point from a 1-second run (paths and allocations only)."""
    report = simulate(point.scenario, duration=1.0, seed=point.seed)
    full = duration or _default_duration(point.scenario)
    verdicts = []
    cache: dict = {}
    for vm_id, vm in report["vms"].items():
        for protocol, path in (vm.get("protocols") or {}).items():
            kind = path["outbound"]
            if kind in estimate.UNLIMITED_KINDS or not estimate.key_loads(
                    point.scenario, vm_id, protocol, kind, full, cache):
                continue
            loads = estimate.shared_key_loads(point.scenario, vm_id, protocol, kind, full, cache)
            verdicts.append(estimate.verdict(loads, estimate.key_capacity(
                point.scenario, vm_id, kind, path["snat_ports_allocated"])))
    if "fails" in verdicts:
        return "fails"
    if all(v == "holds" for v in verdicts):
        return "holds"          # (also: nothing that could run out)
    return None


def _default_duration(scenario: Scenario) -> float:
    from ..sim.report import default_duration
    return default_duration(scenario)


def run_sweep(scenario: Scenario, varies: list[Vary], seeds: list[int], driver: Driver, *,
              duration: float | None = None, sample_s: float = 60.0, source: str = "",
              metric: str = "failed_snat", prune: bool = False) -> tuple[dict, list]:
    """The ``outbound-designer-sweep`` document and the report texts (None when pruned)."""
    points = plan(scenario, varies, seeds)
    verdicts: list[str | None] = [None] * len(points)
    if prune:
        for i, point in enumerate(points):
            verdicts[i] = _probe_verdict(point, duration)
    specs = [RunSpec(p.text, p.seed, duration, sample_s, source or scenario.name)
             for p, v in zip(points, verdicts) if v is None]
    texts = iter(run_all(driver, specs))
    doc_points, report_texts = [], []
    for point, verdict in zip(points, verdicts):
        entry: dict[str, Any] = {"values": point.values, "seed": point.seed}
        if verdict is None:
            text = next(texts)
            report = json.loads(text)
            entry["totals"] = totals(report)
            entry["vms"] = vm_figures(report)
            entry["estimate"] = estimate.estimate_vms(point.scenario, report)
            report_texts.append(text)
        else:
            entry["simulated"] = False
            entry["estimate_verdict"] = verdict
            entry["estimate"] = estimate.estimate_vms(
                point.scenario, simulate(point.scenario, duration=1.0, seed=point.seed),
                duration or _default_duration(point.scenario))
            report_texts.append(None)
        doc_points.append(entry)
    doc = {"format": SWEEP_FORMAT, "version": SWEEP_VERSION,
           "scenario": source or scenario.name, "semantics": scenario.semantics,
           "duration_s": duration if duration is not None else _default_duration(scenario),
           "seeds": list(seeds), "metric": metric,
           "vary": [{"path": v.path, "values": list(v.values)} for v in varies],
           "points": doc_points}
    return doc, report_texts
