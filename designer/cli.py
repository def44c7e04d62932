"""The front door: ``outbound-designer [FILE]`` opens the editor, ``outbound-designer COMMAND``
runs a command (the public contract in docs and ../shared/scenario-format.md).

This module only dispatches. The commands live in ``designer.commands``, one module each, and
import nothing from here. The front door imports nothing heavy: the editor (Qt) is imported
only to open a window, a command's module only when it runs, so ``validate`` and ``simulate``
run in a pipeline without Qt. Errors are one readable line on stderr, never a traceback.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Sequence

from . import __version__
from .commands import COMMANDS, command_module
from .commands.base import (EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_INTERRUPTED, EXIT_OK, CliError,
                            add_common)

log = logging.getLogger("designer")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="outbound-designer",
        description="Draw Azure network topologies and simulate their outbound connections. "
                    "With no command, opens the editor on FILE (or on the bundled demo).",
        epilog=f"commands: {', '.join(COMMANDS)} (outbound-designer COMMAND -h)")
    parser.add_argument("--version", action="version", version=f"outbound-designer {__version__}")
    add_common(parser)
    parser.add_argument("file", nargs="?", help="a scenario file (*.outbound.json) to open")
    return parser


def build_command_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of the commands; with ``only``, the other commands' modules are not
    imported (so one command's start-up does not pay for the others)."""
    parser = argparse.ArgumentParser(prog="outbound-designer")
    parser.add_argument("--version", action="version", version=f"outbound-designer {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        if only is not None and name != only:
            continue
        module = command_module(name)
        p = sub.add_parser(name, help=module.HELP, description=module.DESCRIPTION)
        add_common(p)
        module.add_arguments(p)
    return parser


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


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
            args = build_command_parser(only=first).parse_args(argv)
            _setup_logging(args.verbose)
            return command_module(args.command).run(args)
        args = build_parser().parse_args(argv)
        _setup_logging(args.verbose)
        return _open_editor(args.file)
    except CliError as exc:
        what = "" if exc.code == EXIT_INTERRUPTED else "error: "
        print(f"outbound-designer: {what}{exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:  # a command that has something to say says it (CliError 130)
        return EXIT_INTERRUPTED
    except MemoryError:
        print("outbound-designer: error: out of memory (the input is too large for this "
              "machine; for simulate, see --max-memory)", file=sys.stderr)
        return EXIT_FINDINGS
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
