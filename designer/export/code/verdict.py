"""The simulation's verdict in one sentence, for the comment at the top of exported code:
"simulated 600 s at 10 flows/s (seed 42): no SNAT failures; web-1 peaks at 540 of 1,024
ports"."""
from __future__ import annotations

from typing import Any

from ...model.topology import Scenario
from .naming import natural_key


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.3g}"


def _rates(scenario: Scenario) -> str:
    gens = [g for g in scenario.topology.nodes("traffic_generator") if not g.muted]
    rates = sorted({g.rate_per_s for g in gens})
    if not rates:
        return ""
    if len(rates) == 1:
        return f" at {_number(rates[0])} flows/s"
    return f" at {_number(rates[0])}-{_number(rates[-1])} flows/s"


def _vms(names: list[str], limit: int = 3) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def verdict(scenario: Scenario, report: dict[str, Any]) -> str:
    """One sentence: duration, rates and seed, then what failed and the busiest VM."""
    if not scenario.topology.nodes("traffic_generator"):
        return "not simulated: the scenario has no traffic generators"
    head = (f"simulated {_number(report['duration_s'])} s{_rates(scenario)} "
            f"(seed {report['seed']}, {report['semantics']} semantics)")
    vms = report["vms"]
    parts = []
    failing = sorted((vm for vm, e in vms.items() if e["flows"]["failed_snat"]),
                     key=lambda vm: (-vms[vm]["flows"]["failed_snat"], natural_key(vm)))
    failed = sum(e["flows"]["failed_snat"] for e in vms.values())
    attempted = sum(e["flows"]["attempted"] for e in vms.values())
    if failed:
        parts.append(f"{failed:,} of {attempted:,} flows failed for want of a SNAT port "
                     f"({_vms(failing)})")
    else:
        parts.append("no SNAT failures")
    denied = sum(e["flows"]["denied_nsg"] for e in vms.values())
    if denied:
        parts.append(f"{denied:,} flows denied by NSGs")
    no_route = sorted((vm for vm, e in vms.items() if e["flows"]["no_route"]), key=natural_key)
    if no_route:
        total = sum(vms[vm]["flows"]["no_route"] for vm in no_route)
        parts.append(f"{total:,} flows had no outbound path ({_vms(no_route)})")
    busiest, ratio = None, 0.0
    for vm in sorted(vms, key=natural_key):   # the first of equals, in the order people count
        e = vms[vm]
        if e["snat_ports_allocated"] and e["snat_ports_used_peak"] / e["snat_ports_allocated"] > ratio:
            busiest, ratio = vm, e["snat_ports_used_peak"] / e["snat_ports_allocated"]
    if busiest is not None:
        e = vms[busiest]
        parts.append(f"{busiest} peaks at {e['snat_ports_used_peak']:,} of "
                     f"{e['snat_ports_allocated']:,} ports")
    return f"{head}: " + "; ".join(parts)
