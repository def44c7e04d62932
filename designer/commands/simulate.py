"""``outbound-designer simulate FILE [--duration S] [--seed N] [--sample S] [--json]
[--out REPORT] [--csv CSV] [--html HTML] [--fail-on WHAT] [--max-memory SIZE]``: run a
scenario headless and report.

Runs without Qt, except for ``--html``, whose report embeds the diagram and so needs the
(offscreen) exporter.  Before the run: the ranges (designer/sim/budget.py), the output folders,
and the run's estimated memory against ``--max-memory``.  During it: progress on stderr (on a
terminal, or with -v), and Ctrl+C stops it with exit 130 and nothing written.  After it:
``--fail-on`` turns SNAT failures, NSG denials, flows without a route or error findings into
exit 1, naming the VM and the time.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .base import EXIT_FINDINGS, EXIT_INTERRUPTED, EXIT_OK, CliError, Progress, check_writable

HELP = "run a scenario headless and report"
DESCRIPTION = ("Run the simulation as fast as the machine allows and print a summary, or the "
               "JSON report with --json / --out. With --fail-on, exit 1 when SNAT ports run "
               "out, an NSG denies a flow, a flow has no route or a finding is an error.")

#: what --fail-on accepts (``any`` = all of them)
FAIL_ON = ("snat", "nsg", "no-route", "error")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--duration", type=float, default=None, metavar="S",
                        help="simulated seconds (default: the scenario's last generator stop, "
                             "or 600; at most 365 days)")
    parser.add_argument("--seed", type=int, default=None, metavar="N",
                        help="random seed (default: the scenario's seed)")
    parser.add_argument("--sample", type=float, default=60.0, metavar="S",
                        help="metric sampling interval in seconds (default 60, as Azure "
                             "Monitor; at least 0.001)")
    parser.add_argument("--json", action="store_true", help="print the JSON report on stdout")
    parser.add_argument("--out", metavar="REPORT", help="write the JSON report to this file")
    parser.add_argument("--csv", metavar="CSV", help="write the time series as CSV to this file")
    parser.add_argument("--html", metavar="HTML", help="write a self-contained HTML report")
    parser.add_argument("--fail-on", action="append", default=[], metavar="WHAT",
                        help="exit 1 when this happens: snat (a flow failed for want of a SNAT "
                             "port), nsg (an NSG denied a flow), no-route (a flow had no "
                             "outbound path), error (an error finding), any; repeat the option "
                             "or separate with commas")
    parser.add_argument("--max-memory", metavar="SIZE", default=None,
                        help="refuse a run estimated to need more memory than SIZE (like 4G "
                             "or 500M; none = no limit; default: 80%% of this machine's "
                             "memory)")


def parse_fail_on(values: list[str]) -> tuple[str, ...]:
    wanted: list[str] = []
    for value in values:
        for word in value.split(","):
            word = word.strip().lower()
            if not word:
                continue
            if word == "any":
                wanted.extend(FAIL_ON)
            elif word in FAIL_ON:
                wanted.append(word)
            else:
                raise CliError(f"--fail-on: unknown condition {word!r} (expected "
                               f"{', '.join(FAIL_ON)} or any)")
    return tuple(w for w in FAIL_ON if w in wanted)


def run(args: argparse.Namespace) -> int:
    from ..model import load_scenario
    from ..sim import budget
    from ..sim.report import default_duration

    fail_on = parse_fail_on(args.fail_on)
    try:
        limit = budget.default_limit() if args.max_memory is None else \
            budget.parse_size(args.max_memory)
        budget.check_run_range(args.duration, args.sample)
    except ValueError as exc:
        option = "--max-memory" if args.max_memory is not None and "size" in str(exc) else ""
        raise CliError(f"{option + ': ' if option else ''}{exc}") from None
    for option in ("out", "csv", "html"):
        target = getattr(args, option, None)
        if target:
            check_writable(target, f"--{option}")
    scenario = load_scenario(args.file)
    snapshot = scenario.snapshot()
    duration = default_duration(snapshot) if args.duration is None else float(args.duration)
    try:
        budget.check_run_range(duration, args.sample)
    except ValueError as exc:
        raise CliError(f"{args.file}: {exc}") from None
    cost = budget.estimate(snapshot, duration, args.sample)
    too_big = cost.over_limit(limit, "80% of this machine's memory"
                              if args.max_memory is None else "")
    if too_big:
        raise CliError(f"{args.file}: {too_big}; raise the limit with --max-memory "
                       f"{budget.suggest_limit(cost)}, or simulate less (--duration, fewer "
                       f"VMs or lower rates)")
    if args.verbose:
        print(f"outbound-designer: {args.file}: {duration:g} s simulated, "
              f"{cost.flows:,.0f} flows expected, {cost.describe()}", file=sys.stderr)

    progress = Progress(f"simulating {Path(args.file).name}", verbose=bool(args.verbose))
    reached: list[float] = []          # the simulated time of the last progress report
    try:
        report = _run(scenario, duration, args, progress, reached)
    except KeyboardInterrupt:
        progress.finish()
        at = f" at {reached[-1]:,.3f} s of {duration:g} s simulated" if reached else ""
        raise CliError(f"interrupted{at}; nothing was written", EXIT_INTERRUPTED) from None
    except MemoryError:
        progress.finish()
        at = f" at {reached[-1]:,.3f} s of {duration:g} s simulated" if reached else ""
        raise CliError(f"{args.file}: out of memory{at}; the run was estimated at "
                       f"{cost.flows:,.0f} flows, {cost.describe()}; the largest part is {cost.largest()}: simulate "
                       f"less (--duration, fewer VMs or lower rates)", EXIT_FINDINGS) from None
    progress.finish()

    from ..model.io import atomic_write_text
    from ..sim.report import dumps_report, series_csv
    text = dumps_report(report)
    writes = [(args.out, lambda t: atomic_write_text(t, text)),
              (args.csv, lambda t: atomic_write_text(t, series_csv(report))),
              (args.html, lambda t: _write_html(scenario, report, t))]
    for target, write in writes:
        if target:
            try:
                write(target)
            except OSError as exc:
                raise CliError(f"cannot write {target}: {exc.strerror or exc}") from None
    failures = fail_on_failures(report, fail_on)
    if args.json:
        sys.stdout.write(text)
    else:
        from ..sim.report import summary
        sys.stdout.write(summary(report))
        if failures:
            sys.stdout.write("\nfail-on:\n" + "".join(f"  {line}\n" for line in failures))
    for line in failures:
        print(f"outbound-designer: fail-on {line}", file=sys.stderr)
    return EXIT_FINDINGS if failures else EXIT_OK


def _run(scenario, duration: float, args, progress, reached: list[float]) -> dict:
    """The report of ``scenario`` run for ``duration``, with ``progress(now, end)`` between
    slices of the run (``reached`` gets the last ``now``)."""
    from ..sim.report import simulate

    def report_progress(now: float, end: float) -> None:
        reached.append(now)
        del reached[:-1]
        progress(now, end)

    return simulate(scenario, duration=duration, seed=args.seed, sample_s=args.sample,
                    source=Path(args.file).name, progress=report_progress,
                    notify=lambda line: print(f"outbound-designer: {line}", file=sys.stderr))


def fail_on_failures(report: dict, conditions: tuple[str, ...]) -> list[str]:
    """One line per condition that happened: which VMs, and when the first failure was."""
    lines = []
    events = report["events"]
    vms = report["vms"]

    def first(kind: str, vm: str) -> float | None:
        return next((e["t"] for e in events if e["kind"] == kind and e.get("vm") == vm), None)

    def listing(rows: list[tuple[float | None, str, str]]) -> str:
        rows.sort(key=lambda r: (r[0] if r[0] is not None else float("inf"), r[1]))
        shown = "; ".join(text for _t, _vm, text in rows[:5])
        return shown + (f"; and {len(rows) - 5} more VMs" if len(rows) > 5 else "")

    if "snat" in conditions:
        rows = []
        for vm_id, vm in vms.items():
            n = vm["flows"]["failed_snat"]
            if n:
                t = first("snat_exhausted", vm_id)
                rows.append((t, vm_id, f"{vm_id} ran out of SNAT ports at t={t:g} s "
                                       f"({n:,} flows failed)" if t is not None else
                             f"{vm_id}: {n:,} flows failed for want of a SNAT port"))
        if rows:
            lines.append("snat: " + listing(rows))
    if "nsg" in conditions:
        rows = []
        for vm_id, vm in vms.items():
            n = vm["flows"]["denied_nsg"] + vm.get("inbound", {}).get("denied_nsg", 0)
            if n:
                event = next((e for e in events if e["kind"] == "nsg_denied" and
                              e.get("vm") == vm_id), None)
                t = event["t"] if event else None
                by = f" by {event.get('nsg')} rule {event.get('rule')}" if event else ""
                rows.append((t, vm_id, f"{vm_id}: {n:,} flows denied{by}, first at t={t:g} s"
                             if t is not None else f"{vm_id}: {n:,} flows denied{by}"))
        if rows:
            lines.append("nsg: " + listing(rows))
    if "no-route" in conditions:
        rows = []
        for vm_id, vm in vms.items():
            n = vm["flows"]["no_route"]
            if n:
                event = next((e for e in events if e["kind"] == "no_route" and
                              e.get("vm") == vm_id), None)
                why = event["reason"] if event else vm["reason"]
                rows.append((event["t"] if event else None, vm_id,
                             f"{vm_id}: {n:,} flows had no outbound path"
                             + (f", first at t={event['t']:g} s" if event else "")
                             + f" ({why})"))
        if rows:
            lines.append("no-route: " + listing(rows))
    if "error" in conditions:
        errors = [f for f in report["findings"] if f["severity"] == "error"]
        if errors:
            shown = "; ".join(f"{f.get('node', 'scenario')}: {f['code']}" for f in errors[:5])
            more = f"; and {len(errors) - 5} more" if len(errors) > 5 else ""
            lines.append(f"error: {len(errors)} error finding(s): {shown}{more}")
    return lines


def _write_html(scenario, report: dict, target: str) -> None:
    # the HTML report embeds the diagram, which needs the (Qt) exporter
    from ..export.diagram import ExportOptions, svg_document
    from ..export.headless import ensure_headless_app, scene_for
    from ..export.reports import write_html
    ensure_headless_app()
    diagram = svg_document(scene_for(scenario), ExportOptions(title=scenario.name))
    write_html(report, target, diagram)

