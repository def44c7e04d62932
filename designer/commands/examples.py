"""``outbound-designer examples [-v]``: list the bundled example scenarios."""
from __future__ import annotations

import argparse

from .base import EXIT_OK

HELP = "list the bundled example scenarios"
DESCRIPTION = "List the bundled example scenarios and where they are (-v)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    from ..model import ScenarioFormatError, load_scenario
    from ..resources import example_paths
    for path in example_paths():
        try:
            scenario = load_scenario(path)
            title = f"{scenario.name} [{scenario.semantics}]"
        except ScenarioFormatError as exc:  # a broken bundled example is still listed
            title = f"(unreadable: {exc.problems[0][1]})"
        print(f"{path.name:44} {title}")
        if args.verbose:
            print(f"{'':44} {path}")
    return EXIT_OK
