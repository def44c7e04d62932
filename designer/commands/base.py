"""What every command shares: exit codes, the one-line error, the common options.

Exit codes (the public contract): 0 success; 1 the command found what it was asked to find
(error findings, a ``--fail-on`` condition) or failed on valid input; 2 unreadable input or
bad usage.
"""
from __future__ import annotations

import argparse

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2


class CliError(Exception):
    """A failure to report as one line on stderr with an exit code."""

    def __init__(self, message: str, code: int = EXIT_BAD_INPUT):
        super().__init__(message)
        self.code = code


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more output (-vv for debug logging)")
