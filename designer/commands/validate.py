"""``outbound-designer validate FILE... [--json]``: print the findings of scenario files.

Exit 0 when no finding is an error, 1 otherwise, 2 when a file is unreadable.
"""
from __future__ import annotations

import argparse
import json
import sys

from .base import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK

HELP = "print the findings of scenario files"
DESCRIPTION = ("Print validation findings (notes only with -v). Exit 0 when none is an error, "
               "1 otherwise, 2 for unreadable input.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")


def run(args: argparse.Namespace) -> int:
    from ..model import ScenarioFormatError, load_scenario
    from ..model.validation import validate
    worst = EXIT_OK
    results = {}
    for name in args.files:
        try:
            scenario = load_scenario(name)
        except ScenarioFormatError as exc:
            print(f"outbound-designer: error: {exc.summary(one_line=True)}", file=sys.stderr)
            worst = EXIT_BAD_INPUT
            continue
        findings = validate(scenario)
        results[name] = [f.to_dict() for f in findings]
        if not args.json:
            for finding in findings:
                if finding.severity != "info" or args.verbose:
                    print(f"{name}: {finding.format()}")
            errors = sum(f.severity == "error" for f in findings)
            warnings = sum(f.severity == "warning" for f in findings)
            print(f"{name}: {errors} error(s), {warnings} warning(s), "
                  f"{len(findings) - errors - warnings} note(s)")
        if any(f.severity == "error" for f in findings) and worst == EXIT_OK:
            worst = EXIT_FINDINGS
    if args.json:
        print(json.dumps(results, indent=2, sort_keys=True))
    return worst
