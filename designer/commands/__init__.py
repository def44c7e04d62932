"""The command-line commands: one module per command, found by name.

Each module is imported only when its command runs (or when ``--help`` lists them), and
defines:

- ``HELP``: one line for the command list;
- ``DESCRIPTION``: the paragraph of ``outbound-designer COMMAND -h``;
- ``add_arguments(parser)``: the command's options;
- ``run(args) -> int``: does the work and returns the exit code.

Modules import what they need from ``designer.commands.base`` (errors, exit codes), never from
the dispatcher ``designer.cli``. A module imports nothing heavy at import time (Qt, numpy,
the engine) so that building the parser stays fast; it imports those inside ``run``.

To add a command: write ``designer/commands/NAME.py`` and add NAME to ``COMMANDS`` below.
"""
from __future__ import annotations

import importlib
from types import ModuleType

#: command name -> module in this package (``import`` is a keyword, hence the underscore)
COMMANDS: dict[str, str] = {
    "validate": "validate",
    "simulate": "simulate",
    "export": "export",
    "examples": "examples",
    "import": "import_",
    "fixes": "fixes",
    "sweep": "sweep",
}


def command_module(name: str) -> ModuleType:
    """The module that implements command ``name``."""
    return importlib.import_module(f"{__name__}.{COMMANDS[name]}")
