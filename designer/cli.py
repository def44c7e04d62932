"""The command line: ``outbound-designer [FILE]`` and its subcommands (the public contract).

The front door imports nothing heavy: the editor (Qt) is imported only to open a window, the
exporter only to export, so ``validate`` and ``simulate`` run in a pipeline without Qt.
Errors are one readable line on stderr, never a traceback.

Exit codes: 0 success; 1 ``validate`` found errors (or a command failed on valid input);
2 unreadable input or bad usage.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Callable, Sequence

from . import __version__

COMMANDS = ("validate", "simulate", "export", "examples")
EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2

log = logging.getLogger("designer")


class CliError(Exception):
    """A failure to report as one line on stderr with an exit code."""

    def __init__(self, message: str, code: int = EXIT_BAD_INPUT):
        super().__init__(message)
        self.code = code


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more output (-vv for debug logging)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="outbound-designer",
        description="Draw Azure network topologies and simulate their outbound connections. "
                    "With no command, opens the editor on FILE (or on the bundled demo).",
        epilog="commands: validate, simulate, export, examples (outbound-designer COMMAND -h)")
    parser.add_argument("--version", action="version", version=f"outbound-designer {__version__}")
    _common(parser)
    parser.add_argument("file", nargs="?", help="a scenario file (*.outbound.json) to open")
    return parser


def build_command_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="outbound-designer")
    parser.add_argument("--version", action="version", version=f"outbound-designer {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="print the findings of scenario files",
                       description="Print validation findings (notes only with -v). Exit 0 when "
                                   "none is an error, 1 otherwise, 2 for unreadable input.")
    _common(p)
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")

    p = sub.add_parser("simulate", help="run a scenario headless and report",
                       description="Run the simulation as fast as the machine allows and print a "
                                   "summary, or the JSON report with --json / --out.")
    _common(p)
    p.add_argument("file", metavar="FILE")
    p.add_argument("--duration", type=float, default=None, metavar="S",
                   help="simulated seconds (default: the scenario's last generator stop, or 600)")
    p.add_argument("--seed", type=int, default=None, metavar="N",
                   help="random seed (default: the scenario's seed)")
    p.add_argument("--sample", type=float, default=60.0, metavar="S",
                   help="metric sampling interval in seconds (default 60, as Azure Monitor)")
    p.add_argument("--json", action="store_true", help="print the JSON report on stdout")
    p.add_argument("--out", metavar="REPORT", help="write the JSON report to this file")
    p.add_argument("--csv", metavar="CSV", help="write the time series as CSV to this file")
    p.add_argument("--html", metavar="HTML", help="write a self-contained HTML report")

    p = sub.add_parser("export", help="render the diagram to PNG, SVG or PDF (headless)",
                       description="Render the diagram headless to OUT (.png, .svg or .pdf).")
    _common(p)
    p.add_argument("file", metavar="FILE")
    p.add_argument("out", metavar="OUT")
    p.add_argument("--scale", type=float, default=1.0, metavar="F", help="PNG scale 1-4")
    p.add_argument("--margin", type=float, default=24.0, metavar="PX", help="margin around the drawing")
    p.add_argument("--transparent", action="store_true", help="transparent background")
    p.add_argument("--theme", choices=("light", "dark"), default="light")
    p.add_argument("--grid", action="store_true", help="draw the grid")
    p.add_argument("--at", type=float, default=None, metavar="S",
                   help="draw the live gauges as they stand S simulated seconds into a run")
    p.add_argument("--select", metavar="IDS", help="export only these comma-separated node ids")

    p = sub.add_parser("examples", help="list the bundled example scenarios",
                       description="List the bundled example scenarios and where they are.")
    _common(p)
    return parser


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


# ------------------------------------------------------------------------------ commands

def cmd_examples(args: argparse.Namespace) -> int:
    from .model import ScenarioFormatError, load_scenario
    from .resources import example_paths
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


def cmd_validate(args: argparse.Namespace) -> int:
    import json

    from .model import ScenarioFormatError, load_scenario
    from .model.validation import validate
    worst = EXIT_OK
    results = {}
    for name in args.files:
        try:
            scenario = load_scenario(name)
        except ScenarioFormatError as exc:
            print(f"error: {exc.summary(one_line=True)}", file=sys.stderr)
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


def cmd_simulate(args: argparse.Namespace) -> int:
    from .sim.cli import run_simulate
    if not args.html:
        return run_simulate(args)

    def write_html(scenario, report) -> None:
        # the HTML report embeds the diagram, which needs the (Qt) exporter
        from .export.cli import ensure_headless_app, scene_for
        from .export.diagram import ExportOptions, svg_document
        from .export.reports import write_html as write
        ensure_headless_app()
        diagram = svg_document(scene_for(scenario), ExportOptions(title=scenario.name))
        write(report, args.html, diagram)
    return run_simulate(args, on_report=write_html)


def _lazy(module: str, function: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        import importlib
        return getattr(importlib.import_module(module, __package__), function)(args)
    return run


HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "validate": cmd_validate,
    "examples": cmd_examples,
    "simulate": cmd_simulate,
    "export": _lazy(".export.cli", "run_export"),
}


def _open_editor(file: str | None) -> int:
    if file is not None and not Path(file).is_file():
        raise CliError(f"no such file: {file}")
    try:
        from .ui.app import run_editor
    except ImportError as exc:
        raise CliError(f"the editor cannot start: {exc}") from None
    return run_editor(file)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    first = next((a for a in argv if not a.startswith("-")), None)
    try:
        if first in COMMANDS:
            args = build_command_parser().parse_args(argv)
            _setup_logging(args.verbose)
            return HANDLERS[args.command](args)
        args = build_parser().parse_args(argv)
        _setup_logging(args.verbose)
        return _open_editor(args.file)
    except CliError as exc:
        print(f"outbound-designer: error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the contract: one line, never a traceback
        from .model import ScenarioFormatError
        if isinstance(exc, ScenarioFormatError):
            print(f"outbound-designer: error: {exc.summary(one_line=True)}", file=sys.stderr)
            return EXIT_BAD_INPUT
        log.debug("unexpected failure", exc_info=True)
        print(f"outbound-designer: internal error: {type(exc).__name__}: {exc} "
              f"(run with -vv for details)", file=sys.stderr)
        return EXIT_FINDINGS


def gui_main() -> int:
    """Entry point for desktop launchers (no console window on Windows)."""
    return main()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
