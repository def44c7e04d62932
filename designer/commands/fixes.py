"""``outbound-designer fixes FILE [--duration S] [--seeds K] [--json] [--out OUT] [--html OUT]``: compare the
documented fixes for the VMs that run out of SNAT ports (designer/capacity/fixes.py)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .base import EXIT_OK, CliError
from .capacity_runs import (add_execution_arguments, check_execution_arguments, check_targets,
                            run_with_driver)

HELP = "compare the documented fixes for SNAT exhaustion and find the smallest that holds"
DESCRIPTION = ("Run the scenario, and for the VMs whose flows fail for want of SNAT ports build "
               "each documented fix as an edited copy (NAT gateway, outbound rule ports, "
               "frontend IPs, instance IP, connection pool; in classic semantics the 2017 "
               "options), find the smallest setting that holds by bisection and how much more "
               "load it takes. Runs go to a local Dask cluster (one process per core), to "
               "--scheduler, or one after another without dask.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE")
    add_execution_arguments(parser)
    parser.add_argument("--kinds", metavar="K,K", default=None,
                        help="only these kinds of fix (nat_gateway, outbound_rule_ports, "
                             "frontend_ips, instance_ip, connection_pool)")
    parser.add_argument("--no-headroom", action="store_true",
                        help="skip the search for the rate at which each fix breaks")
    parser.add_argument("--json", action="store_true",
                        help="print the JSON comparison (scenario-format.md section 4)")
    parser.add_argument("--out", metavar="OUT", help="write the JSON comparison to this file")
    parser.add_argument("--html", metavar="OUT", help="write a self-contained HTML report")


def run(args: argparse.Namespace) -> int:
    from ..capacity.fixes import KINDS, compare
    from ..capacity.search import Settings
    from ..model import load_scenario
    from ..model.io import atomic_write_text

    check_execution_arguments(args)
    kinds = None
    if args.kinds:
        kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip())
        unknown = [k for k in kinds if k not in KINDS[1:]]
        if unknown:
            raise CliError(f"--kinds: unknown kind {unknown[0]!r} (one of "
                           f"{', '.join(KINDS[1:])})")
    check_targets(args, ("out", "html"))
    scenario = load_scenario(args.file)
    settings = Settings(tuple(scenario.seed + i for i in range(args.seeds)), args.duration,
                        args.sample, Path(args.file).name)
    from ..capacity.execute import expected_cpu_s
    from ..capacity.fixes import TYPICAL_RUNS_PER_SEED
    expected = expected_cpu_s(scenario, args.duration, args.sample,
                              TYPICAL_RUNS_PER_SEED * args.seeds)
    doc = run_with_driver(args, lambda driver: compare(scenario, settings, driver, kinds,
                                                       not args.no_headroom),
                          expected_cpu=expected)
    if args.html:
        from ..capacity.html import fixes_html
        atomic_write_text(args.html, fixes_html(doc))
    text = json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    if args.out:
        atomic_write_text(args.out, text)
    sys.stdout.write(text if args.json else fixes_summary(doc))
    return EXIT_OK


def _short(value) -> str:
    if isinstance(value, dict):
        return ",".join(f"{k}:{n}" for k, n in value.items())
    if isinstance(value, list):
        return ",".join(value) if len(value) <= 3 else f"{len(value)} of them"
    return str(value)


def fixes_summary(doc: dict) -> str:
    """The comparison as a table for a person."""
    from ..capacity.fixes import headroom_text, ports_text
    from ..capacity.runs import names
    lines = [f"{doc['scenario']}: {doc['semantics']} semantics, {doc['duration_s']:g} s, "
             f"seeds {', '.join(map(str, doc['seeds']))}"]
    if not doc["failing_vms"]:
        lines.append("No VM fails for want of SNAT ports: nothing to fix.")
        return "\n".join(lines) + "\n"
    lines.append(f"failing for want of SNAT ports: {names(doc['failing_vms'])}")
    lines.append("")
    header = ("variant", "setting", "failed (mean, min-max)", "peak/allocated", "headroom/s",
              "IPs")
    rows = [header]
    for v in doc["variants"]:
        f = v["failed_snat"]
        setting = ", ".join(f"{k}={_short(val)}" for k, val in v["setting"].items()) or "-"
        rows.append((v["kind"] + ("" if v["holds"] or v["kind"] == "original" else " (fails)"),
                     setting, f"{f['mean']:g} ({f['min']}-{f['max']})",
                     ports_text(v), headroom_text(v), str(v["public_ips"])))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for r in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    lines.append("")
    for v in doc["variants"][1:]:
        lines.append(f"{v['kind']}: {v['azure_change']}")
        if v.get("headroom_note"):
            lines.append(f"    headroom: {v['headroom_note']}")
    for n in doc.get("not_applicable", []):
        lines.append(f"{n['kind']}: not applicable: {n['reason']}")
    lines.append("")
    best = doc.get("smallest_holding")
    lines.append(f"smallest fix that holds: {best}" if best else "no variant holds")
    return "\n".join(lines) + "\n"
