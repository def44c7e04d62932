"""``outbound-designer import SOURCE... [-o OUT.outbound.json] [--param N=V]... [--params F]
[--format arm|resources|terraform|hcl|azure] [--var N=V]... [--var-file F]... [--load RATE]``: a scenario from the user's real
deployment (docs/import.md).

The scenario goes to OUT (atomically) or to stdout; the summary (counts by kind, skipped
resources, warnings, then validation's verdict) to stderr. Bad input is one line and exit 2,
and nothing is written.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .base import EXIT_BAD_INPUT, EXIT_OK, CliError

HELP = "import ARM templates, Azure resources, Terraform plans or a subscription"
DESCRIPTION = ("Turn an ARM template (Bicep: az bicep build first), resolved Azure resources "
               "(az resource list, az network ... show, Resource Graph, REST), the JSON of "
               "terraform show -json (a plan or a state), Terraform configuration (a .tf file "
               "or a folder of them) or a live resource group "
               "(azure:SUBSCRIPTION/RESOURCE_GROUP, needs the [azure] extra) into a scenario "
               "with modern semantics. Several sources merge into one. The scenario goes to "
               "OUT or stdout, a summary to stderr.")


def _param(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), value


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of new flows per second, got "
                                         f"{text!r}") from None
    if not 0 < value <= 1_000_000:
        raise argparse.ArgumentTypeError(f"expected a rate above 0 and at most 1000000, got "
                                         f"{text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sources", nargs="+", metavar="SOURCE",
                        help="a JSON file, or azure:SUBSCRIPTION/RESOURCE_GROUP")
    parser.add_argument("-o", "--out", metavar="OUT.outbound.json",
                        help="write the scenario here (default: stdout)")
    parser.add_argument("--param", action="append", type=_param, default=[],
                        metavar="NAME=VALUE", help="an ARM template parameter (repeatable)")
    parser.add_argument("--params", action="append", default=[], metavar="FILE",
                        help="ARM parameter values: a deployment parameters file or a plain "
                             "JSON object")
    parser.add_argument("--format", choices=("arm", "resources", "terraform", "hcl", "azure"),
                        help="the sources' format (default: detected)")
    parser.add_argument("--var", action="append", type=_param, default=[],
                        metavar="NAME=VALUE", help="a Terraform variable (repeatable)")
    parser.add_argument("--var-file", action="append", default=[], metavar="FILE",
                        help="Terraform variable values (.tfvars or .tfvars.json)")
    parser.add_argument("--load", type=_rate, metavar="RATE",
                        help="add a traffic generator of RATE new flows/s per VM for each "
                             "backend pool and for the VMs in no pool, to an Internet endpoint")


def run(args: argparse.Namespace) -> int:
    from ..importers import ImportFailure, import_sources
    from ..model import dumps
    from ..model.io import atomic_write_text
    from ..model.validation import validate

    if args.out and not Path(args.out).resolve().parent.is_dir():
        raise CliError(f"-o: no such folder: {Path(args.out).parent}")
    try:
        scenario, summary = import_sources(
            args.sources, fmt=args.format, parameters=dict(args.param),
            parameter_files=args.params, load=args.load, variables=dict(args.var),
            variable_files=args.var_file,
            progress=_progress if args.verbose else None)
    except ImportFailure as exc:
        raise CliError(str(exc), EXIT_BAD_INPUT) from None
    text = dumps(scenario)
    if args.out:
        atomic_write_text(args.out, text)
    else:
        sys.stdout.write(text)
    for line in summary.lines(verbose=bool(args.verbose)):
        print(line, file=sys.stderr)
    findings = [f for f in validate(scenario) if not f.code.startswith("import-")]
    errors = [f for f in findings if f.severity == "error"]
    warnings = [f for f in findings if f.severity == "warning"]
    print(f"validation: {len(errors)} error(s), {len(warnings)} warning(s)", file=sys.stderr)
    for finding in errors + warnings:
        print(f"  {finding.format()}", file=sys.stderr)
    if args.out:
        print(f"wrote {args.out}", file=sys.stderr)
    return EXIT_OK


def _progress(step: int, total: int, what: str) -> None:
    print(f"  [{step}/{total}] {what}", file=sys.stderr)
