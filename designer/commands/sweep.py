"""``outbound-designer sweep FILE --vary PATH=VALUES ... [--seeds K] [--metric M] [--json]
[--out OUT] [--csv OUT] [--html OUT]``: run the scenario at every combination of the varied
values (designer/capacity/sweep.py, paths in designer/capacity/fieldpath.py)."""
from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from pathlib import Path

from .base import EXIT_OK, CliError
from .capacity_runs import (add_execution_arguments, check_execution_arguments, check_targets,
                            run_with_driver)

HELP = "sweep fields or counts of a scenario and tabulate SNAT use and failures"
DESCRIPTION = ("Vary one or more fields (NODE.FIELD, NODE.list[i].FIELD) or counts (SUBNET.vms, "
               "LB.vms, NAT.public_ips, LB.public_ips) over VALUES (a,b,c or start:stop:step or "
               "first..last) and run every combination and seed; each point is exactly what "
               "simulate gives for that edited scenario and seed. Runs go to a local Dask "
               "cluster, to --scheduler, or one after another without dask.")
METRIC_NAMES = ("failed_snat", "succeeded", "attempted", "peak_used", "used_ratio",
                "ports_needed_p99")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--vary", action="append", required=True, metavar="PATH=VALUES",
                        help="what to vary, e.g. flood.rate_per_s=5,10,20 or web.vms=10:100:10 "
                             "or nat.public_ips=1..4 (repeat for a grid)")
    add_execution_arguments(parser)
    parser.add_argument("--metric", choices=METRIC_NAMES, default="failed_snat",
                        help="what the summary, CSV and plots show (default failed_snat)")
    parser.add_argument("--prune", action="store_true",
                        help="do not simulate points the analytic estimate decides clearly")
    parser.add_argument("--json", action="store_true", help="print the JSON sweep")
    parser.add_argument("--out", metavar="OUT", help="write the JSON sweep to this file")
    parser.add_argument("--csv", metavar="OUT", help="write one row per point as CSV")
    parser.add_argument("--html", metavar="OUT", help="write a self-contained HTML report")


def run(args: argparse.Namespace) -> int:
    from ..capacity.fieldpath import VaryError, parse_vary
    from ..capacity.sweep import run_sweep
    from ..model import load_scenario
    from ..model.io import atomic_write_text

    check_execution_arguments(args)
    check_targets(args, ("out", "csv", "html"))
    scenario = load_scenario(args.file)
    try:
        varies = [parse_vary(scenario, text) for text in args.vary]
    except VaryError as exc:
        raise CliError(f"{args.file}: {exc}") from None
    paths = [v.path for v in varies]
    if len(set(paths)) != len(paths):
        raise CliError("--vary: the same path is varied twice")
    seeds = [scenario.seed + i for i in range(args.seeds)]
    from ..capacity.execute import expected_cpu_s
    runs = len(seeds) * math.prod(len(v.values) for v in varies)
    try:
        doc, _reports = run_with_driver(args, lambda driver: run_sweep(
            scenario, varies, seeds, driver, duration=args.duration, sample_s=args.sample,
            source=Path(args.file).name, metric=args.metric, prune=args.prune),
            what="points",
            expected_cpu=expected_cpu_s(scenario, args.duration, args.sample, runs))
    except ValueError as exc:   # an edit that does not apply (e.g. removing every frontend)
        raise CliError(f"{args.file}: {exc}") from None
    text = json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    if args.out:
        atomic_write_text(args.out, text)
    if args.csv:
        atomic_write_text(args.csv, sweep_csv(doc))
    if args.html:
        from ..capacity.html import sweep_html
        atomic_write_text(args.html, sweep_html(doc))
    sys.stdout.write(text if args.json else sweep_summary(doc))
    return EXIT_OK


def _rows(doc: dict) -> tuple[list[str], list[list]]:
    from ..capacity.sweep import metric_value
    paths = [v["path"] for v in doc["vary"]]
    fixed = ["attempted", "failed_snat", "peak_used", "allocated", "ports_needed_p99"]
    extra = [] if doc["metric"] in fixed else [doc["metric"]]
    header = paths + ["seed"] + extra + fixed
    rows = []
    for p in doc["points"]:
        est = max((e["ports_needed_p99"] for e in p.get("estimate", {}).values()), default=0)
        if "totals" in p:
            busiest = max(p["vms"].values(), key=lambda v: (
                v["snat_ports_used_peak"] / v["snat_ports_allocated"]
                if v["snat_ports_allocated"] else 0), default={})
            rows.append([p["values"][k] for k in paths] + [p["seed"]] + [
                metric_value(p, m) for m in extra] + [p["totals"]["attempted"],
                p["totals"]["failed_snat"], busiest.get("snat_ports_used_peak", ""),
                busiest.get("snat_ports_allocated", ""), est])
        else:
            rows.append([p["values"][k] for k in paths] + [p["seed"]] + [""] * len(extra) + [
                f"({p['estimate_verdict']}, not simulated)", "", "", "", est])
    return header, rows


def sweep_csv(doc: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header, rows = _rows(doc)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def sweep_summary(doc: dict) -> str:
    header, rows = _rows(doc)
    cells = [header] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = [f"{doc['scenario']}: {doc['semantics']} semantics, {doc['duration_s']:g} s per run, "
             f"{len(doc['points'])} points", ""]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    return "\n".join(lines) + "\n"
