"""The simulation report (scenario-format.md section 2) and its human summary.

The report is a plain dict with sorted keys and rounded floats, so that the same scenario and
seed give byte-identical JSON.
"""
from __future__ import annotations

import csv
import io
import json
from typing import Any, Callable

from ..model.topology import Scenario
from ..model.validation import Finding, validate
from . import compile as _compile
from .engine import COUNTER_NAMES, Engine, run_sliced
from .paths import PROTOCOLS

REPORT_FORMAT = "outbound-designer-report"
REPORT_VERSION = 1
DEFAULT_DURATION_S = 600.0
FLOAT_DIGITS = 3
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def default_duration(scenario: Scenario) -> float:
    """The scenario's last generator stop, or 600 s when a generator never stops."""
    stops = [g.stop_s for g in scenario.topology.nodes("traffic_generator") if not g.muted]
    if stops and all(s is not None for s in stops) and max(stops) > 0:
        return float(max(stops))
    return DEFAULT_DURATION_S


#: a run expected to attempt more flows than this waits for the compiled kernel (interpreted,
#: ~20,000 flows a second; compiling takes 10-30 s once after an install)
INTERPRETED_FLOWS = 200_000


def simulate(scenario: Scenario, *, duration: float | None = None, seed: int | None = None,
             sample_s: float = 60.0, source: str = "",
             progress: Callable[[float, float], None] | None = None,
             notify: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run ``scenario`` headless for ``duration`` seconds and return the report.

    The run goes in slices of ~0.1 s of wall time (``engine.run_sliced``); between slices
    Python runs (so Ctrl+C interrupts promptly) and ``progress(simulated now, end)`` is
    called.  ``notify(line)`` hears once that the kernel is being compiled (the first run
    after an install): a big run waits for it, a small one starts interpreted (see
    compile.py)."""
    snapshot = scenario.snapshot()
    duration = default_duration(snapshot) if duration is None else float(duration)
    if duration <= 0:
        raise ValueError("the duration must be positive")
    choose_kernel(snapshot, duration, notify)
    engine = Engine(snapshot, seed=seed, sample_s=sample_s, record_samples=False)
    run_sliced(engine, duration, progress)
    return build_report(engine, source=source or scenario.name, duration=duration)


def choose_kernel(snapshot: Scenario, duration: float,
                  notify: Callable[[str], None] | None = None) -> None:
    """Before a headless run: one expected to attempt more than ``INTERPRETED_FLOWS`` flows
    waits for the compiled kernel (compiling it in the foreground after an install), a
    smaller one starts interpreted while it compiles in the background.  ``notify`` hears
    which, once."""
    if expected_flows(snapshot, duration) > INTERPRETED_FLOWS:
        _compile.ensure_compiled(notify)
    else:
        _compile.kernel(notify)


def expected_flows(snapshot: Scenario, duration: float) -> float:
    """About how many flows a run of ``duration`` seconds attempts (rates x active time x
    source VMs)."""
    topo = snapshot.topology
    total = 0.0
    for gen in topo.nodes("traffic_generator"):
        if gen.muted or gen.rate_per_s <= 0:
            continue
        stop = duration if gen.stop_s is None else min(gen.stop_s, duration)
        active = max(stop - gen.start_s, 0.0)
        sources = 1 if gen.direction == "inbound" else len(topo.generator_sources(gen.id))
        total += gen.rate_per_s * active * sources
    return total


def _round(value: Any) -> Any:
    if isinstance(value, float):
        r = round(value, FLOAT_DIGITS)
        return int(r) if r == int(r) and abs(r) < 2 ** 53 else r
    if isinstance(value, dict):
        return {str(k): _round(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_round(v) for v in value]
    if isinstance(value, set):
        return sorted(_round(v) for v in value)
    return value


def _one_or_list(values) -> Any:
    values = list(values)
    return values[0] if len(values) == 1 else values


def all_findings(engine: Engine) -> list[Finding]:
    """Validation findings plus what the engine itself reports (not modelled, ...), each
    once: a finding of the engine with the code and subject of a validation finding (the
    same rule, found twice) is left out, so the validation wording is the one shown."""
    out = list(validate(engine.scenario))
    subjects = {(f.code, f.node_id, f.link) for f in out}
    seen = set()
    for f in engine.findings:
        key = (f.code, f.node_id, f.message)
        if (f.code, f.node_id, f.link) not in subjects and key not in seen:
            seen.add(key)
            out.append(f)
    out.sort(key=lambda f: (SEVERITY_ORDER.get(f.severity, 3), f.node_id or "", f.code))
    return out


def build_report(engine: Engine, *, source: str, duration: float,
                 extra_events: list[dict] = (), watched: bool = False) -> dict[str, Any]:
    """The report of ``engine`` as it stands (after ``duration`` simulated seconds).

    ``extra_events`` join the engine's events in time order (the editor's ``edit`` events of
    a watched run); ``watched`` marks the report of a run watched in the editor, exported as
    it stood (``"watched": true``) rather than simulated from the start."""
    scenario = engine.scenario
    topo = scenario.topology
    res = engine.resolution
    vm_protocols: dict[str, set[str]] = {}
    for gen in topo.nodes("traffic_generator"):
        if gen.direction == "outbound":
            for vm_id in topo.generator_sources(gen.id):
                vm_protocols.setdefault(vm_id, set()).add(gen.protocol)
    probes = {}
    for (lb_id, vm_id), state in engine.probe_states().items():
        if probes.get(vm_id) != "down":
            probes[vm_id] = state
    used, allocated = engine.port_use()
    counters = engine.st.vm_cnt
    vms = {}
    for vm_id, vm_path in sorted(res.paths.items()):
        vm_i = engine.vm_idx[vm_id]
        protos = vm_protocols.get(vm_id, {"tcp"})
        primary = "udp" if protos == {"udp"} else "tcp"
        path = vm_path.protocol(primary)
        per_proto = {}
        for p, proto in enumerate(PROTOCOLS):
            pp = vm_path.protocol(proto)
            per_proto[proto] = {
                "outbound": pp.kind, "reason": pp.reason,
                "public_ip": _one_or_list(pp.public_ips) if pp.public_ips else None,
                "snat_ports_allocated": int(allocated[vm_i, p]),
                "snat_ports_used_peak": engine.vm_peak(vm_i, proto),
            }
        entry = {
            "outbound": path.kind,
            "reason": path.reason,
            "public_ip": _one_or_list(path.public_ips) if path.public_ips else None,
            "snat_ports_allocated": per_proto[primary]["snat_ports_allocated"],
            "snat_ports_used_peak": max(per_proto[p]["snat_ports_used_peak"] for p in PROTOCOLS),
            "flows": dict(zip(COUNTER_NAMES, counters[vm_i].tolist())),
            "probe": probes.get(vm_id),
            "nodes": list(path.nodes),
            "protocols": per_proto,
        }
        if path.assigned_by:
            entry["assigned_by"] = path.assigned_by
        if path.not_modelled:
            entry["not_modelled"] = path.not_modelled
        received, denied = engine.vm_inbound(vm_id)
        if received or denied:
            entry["inbound"] = {"received": received, "denied_nsg": denied}
        extra = engine.vm_extra(vm_id)
        if extra:
            entry["connections"] = extra
        vms[vm_id] = entry

    owners = engine.owners
    public_ips: dict[str, dict] = {}
    for i, (pip_id, proto) in enumerate(owners.pip_keys):
        e = public_ips.setdefault(pip_id, {"address": owners.pip_addr[i],
                                           "ports_allocated": 0, "ports_used_peak": 0})
        e["ports_allocated"] = max(e["ports_allocated"], owners.pip_alloc[i])
        e["ports_used_peak"] = max(e["ports_used_peak"], int(engine.st.pip_peak[i]))
        if pip_id.startswith("default:"):
            e["assigned_by"] = "azure"
    nat_gateways: dict[str, dict] = {}
    for (nat_id, proto), pool in sorted(engine.nat.current.items()):
        n = nat_gateways.setdefault(nat_id, {"ports_allocated": pool.size, "ports_used_peak": 0,
                                             "public_ips": list(pool.pips)})
        n["ports_used_peak"] = max(n["ports_used_peak"], pool.used_peak)
        for k, pip_id in enumerate(pool.pips):
            node = topo.get(pip_id)
            e = public_ips.setdefault(pip_id, {"address": node.address if node else "",
                                               "ports_allocated": pool.per_ip,
                                               "ports_used_peak": 0})
            e["ports_used_peak"] = max(e["ports_used_peak"], pool.ip_peak(k))
    for pip in topo.nodes("public_ip"):
        public_ips.setdefault(pip.id, {"address": pip.address or "", "ports_allocated": 0,
                                       "ports_used_peak": 0})

    generators = {g: engine.generator_counters(g)._asdict()
                  for g in sorted(engine.gen_idx) if g in topo}
    endpoints = {}
    for dest_id in sorted(n.id for n in topo.nodes("endpoint")):
        entry = {"flows": engine.endpoint_flows(dest_id),
                 "seen_sources": sorted(engine.endpoint_seen(dest_id))}
        if getattr(topo.node(dest_id), "role", None) == "whatismyip":
            entry["answers"] = engine.whatismyip(dest_id)
        endpoints[dest_id] = entry

    series_vms = {}
    for vm_id in sorted(res.paths):
        vm_i = engine.vm_idx[vm_id]
        used, failed = engine.timeline.vm_series(vm_i)
        series_vms[vm_id] = {"used_ports": used, "failed": failed,
                             "allocated_ports": engine.timeline.allocated_series(vm_i)}
    series_ports = {}
    for table in ("public_ips", "nat_gateways"):
        series_ports[table] = {
            node_id: {"used_ports": used, "allocated_ports": alloc}
            for node_id, (used, alloc) in engine.timeline.owner_series(table).items()
            if node_id in topo or node_id.startswith("default:")}
    # stable: keeps the engine's sequence order; an extra event (an edit) goes before the
    # engine's events at the same time - they follow from it (a NAT gateway added at t ends
    # an exhaustion at t)
    events = sorted([dict(e) for e in extra_events] + list(engine.events), key=lambda e: e["t"])
    report = {
        "format": REPORT_FORMAT, "version": REPORT_VERSION,
        "scenario": source, "semantics": scenario.semantics, "seed": engine.seed,
        "duration_s": duration, "sample_s": engine.sample_s,
        "vms": vms, "public_ips": public_ips, "nat_gateways": nat_gateways,
        "generators": generators, "endpoints": endpoints,
        "series": {"t": list(engine.timeline.series_t), "vms": series_vms, **series_ports},
        "events": events,
        "findings": [f.to_dict() for f in all_findings(engine)],
    }
    if watched:
        report["watched"] = True
    return _round(report)


def dumps_report(report: dict[str, Any]) -> str:
    return json.dumps(report, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


#: the CSV's column groups, in order: (series table, column suffixes).  The first group is
#: the original layout (kept first for scripts that read columns by position); docs/reports.md
#: documents them all
CSV_COLUMNS = (("vms", ("used_ports", "failed")),
               ("vms", ("allocated_ports",)),
               ("public_ips", ("used_ports", "allocated_ports")),
               ("nat_gateways", ("used_ports", "allocated_ports")))


def series_csv(report: dict[str, Any]) -> str:
    """The series as CSV: ``t``, per VM ``<vm>.used_ports`` and ``<vm>.failed`` (SNAT failures
    in the interval), then per VM ``<vm>.allocated_ports``, then per public IP and NAT gateway
    ``<id>.used_ports`` and ``<id>.allocated_ports``.  A series a report lacks (one written
    before these were added) is left out."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    series = report["series"]
    columns: list[tuple[list, str]] = []
    header = ["t"]
    for table, suffixes in CSV_COLUMNS:
        for node_id, values in sorted((series.get(table) or {}).items()):
            for suffix in suffixes:
                if suffix in values:
                    header.append(f"{node_id}.{suffix}")
                    columns.append(values[suffix])
    writer.writerow(header)
    for row, t in enumerate(series["t"]):
        writer.writerow([t] + [column[row] for column in columns])
    return out.getvalue()


def summary(report: dict[str, Any]) -> str:
    """A readable summary of a report."""
    lines = [f"{report['scenario']}: {report['semantics']} semantics, seed {report['seed']}, "
             f"{report['duration_s']} s simulated"]
    lines.append("")
    for vm_id, vm in report["vms"].items():
        f = vm["flows"]
        ip = vm["public_ip"]
        ip = ", ".join(ip) if isinstance(ip, list) else (ip or "-")
        lines.append(f"{vm_id}: {vm['outbound']} via {ip}"
                     + (" (assigned by Azure)" if vm.get("assigned_by") else "")
                     + f"; SNAT ports peak {vm['snat_ports_used_peak']} of "
                       f"{vm['snat_ports_allocated']}"
                     + (f"; probe {vm['probe']}" if vm.get("probe") else ""))
        lines.append(f"    flows {f['attempted']}: {f['succeeded']} ok, {f['failed_snat']} failed "
                     f"(SNAT), {f['denied_nsg']} denied (NSG), {f['no_route']} no route")
        lines.append(f"    why: {vm['reason']}")
    if report["generators"]:
        lines.append("")
        for gen_id, c in report["generators"].items():
            lines.append(f"generator {gen_id}: {c['attempted']} flows, {c['succeeded']} ok, "
                         f"{c['failed_snat']} failed (SNAT), {c['denied_nsg']} denied (NSG), "
                         f"{c['no_route']} no route")
    for ep_id, ep in report["endpoints"].items():
        seen = ", ".join(ep["seen_sources"]) or "-"
        lines.append(f"endpoint {ep_id}: {ep['flows']} flows, saw {seen}")
    kinds: dict[str, int] = {}
    for e in report["events"]:
        kinds[e["kind"]] = kinds.get(e["kind"], 0) + 1
    if kinds:
        lines.append("")
        lines.append("events: " + ", ".join(f"{k} x{n}" for k, n in sorted(kinds.items())))
        for e in report["events"][:10]:
            rest = ", ".join(f"{k}={v}" for k, v in sorted(e.items()) if k not in ("t", "kind"))
            lines.append(f"  t={e['t']}: {e['kind']} {rest}")
        if len(report["events"]) > 10:
            lines.append(f"  ... and {len(report['events']) - 10} more (see --json)")
    if report["findings"]:
        lines.append("")
        for f in report["findings"]:
            where = f.get("node", "scenario")
            lines.append(f"{f['severity']}: {where}: {f['message']} [{f['code']}]")
    return "\n".join(lines) + "\n"
