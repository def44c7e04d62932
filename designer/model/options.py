"""Scenario options: the documented switches for choices the Azure docs leave ambiguous.

Section 8 of the rules names the conflicts; each option here picks one reading, with the
default documented.  Unknown options in a file are an error (the loader uses this table).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OptionSpec:
    name: str
    default: Any
    choices: tuple[Any, ...]
    semantics: str  # "classic", "modern" or "both"
    help: str


OPTION_SPECS: dict[str, OptionSpec] = {o.name: o for o in (
    OptionSpec("port_reuse_key", "ip", ("ip", "ip_port"), "classic",
               "M-A6: destination key of a classic SNAT port; 'ip' = (protocol, destination IP), "
               "the 09/2017 text (default); 'ip_port' = (protocol, destination IP, port), 2018+"),
    OptionSpec("udp_reuse_key", "ip", ("ip", "flow"), "modern",
               "M-B7: UDP destination key; 'ip' = destination IP (2022+ docs, default); "
               "'flow' = one port per flow (2019 text)"),
    OptionSpec("release_on_close", "timers", ("timers", "immediate"), "both",
               "C9/M-A8: 'timers' = FIN +240 s, RST +15 s (default); 'immediate' = a literal "
               "2017 reading that frees the port as soon as the flow closes"),
    OptionSpec("nat_timers", "2023", ("2021", "2022", "2023"), "modern",
               "M-B9: which documented set of NAT gateway cool-down timers (default 2023: "
               "FIN 65 s, RST 16 s, half-open 30 s, UDP 65 s)"),
    OptionSpec("nsg_priority_compat", False, (False, True), "classic",
               "M-A11: accept custom NSG priorities up to 65499 as the 2016 text did"),
    OptionSpec("outbound_scale_out", "block", ("block", "zero_ports"), "modern",
               "M-B5: when the pool outgrows an outbound rule's allocation: 'block' reports a "
               "validation error (default; the simulation still runs the rule, and the "
               "instance that finds fewer ports than its allocation gets what is left); "
               "'zero_ports' gives every instance beyond the budget no ports (a warning)"),
    OptionSpec("snat_episode_gap_s", 60, (0, 5, 15, 60, 120, 240), "both",
               "C8 / the report's snat_exhausted and snat_recovered: a recovery (the exact "
               "instant a new flow would get a port again) followed within this many seconds "
               "by another failure of the same VM and protocol does not end the exhaustion "
               "episode, so neither is logged; a recovery is logged with its exact time once "
               "the gap has passed without a failure, or the run ends. Default 60 (Azure "
               "Monitor's 1-minute SnatConnectionCount shows such failures as one run); 0 logs "
               "every release between two failures"),
    OptionSpec("all_down_standard_tcp", "survive", ("survive", "survive_if_pool_gt_1"), "modern",
               "M-B12 / conflict 12: established TCP flows when every backend is down"),
)}


def scale_out_outcome(ports: int, instances: int, available: int, zero_ports: bool) -> str:
    """M-B5: what the instances of an outbound rule get when ``ports`` x ``instances`` exceed
    the ``available`` ports of its frontends - the one wording of the engine, the validation
    finding and the docs, for both values of ``outbound_scale_out``."""
    full = min(available // ports, instances)
    left = available - full * ports
    beyond = instances - full
    first = f"the first {full:,} instance(s) get {ports:,} ports each"
    if zero_ports:
        return (f"with outbound_scale_out=zero_ports {first} and the {beyond:,} beyond the "
                f"budget get none")
    rest = f"the next one gets the {left:,} left" if left else "the next one gets none"
    if beyond > 1:
        rest += f" and the {beyond - 1:,} after it none"
    return f"simulated anyway, {first}, {rest}"


def default_options() -> dict[str, Any]:
    return {name: o.default for name, o in OPTION_SPECS.items()}


def effective_options(options: dict[str, Any]) -> dict[str, Any]:
    """Defaults overlaid with the scenario's explicit options."""
    out = default_options()
    out.update(options)
    return out
