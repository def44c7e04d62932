"""What the importers raise and record.

:class:`ImportFailure` is the one error an import raises on bad input: a template that is
not ARM, a broken file, an unsupported template function, a missing parameter. Its message is
one line that says where (file, JSON path) and what; the command line prints it and exits 2,
the editor shows it, and nothing is written or opened.

:class:`Note` is what an import records about a resource it did not model, a value it had to
assume, or behaviour the simulation will get wrong. Notes become the scenario's recorded
findings (``info``/``warning``) and the lines of the import summary.
"""
from __future__ import annotations

from dataclasses import dataclass


class ImportFailure(ValueError):
    """An input the importer cannot turn into a scenario; ``str()`` is one readable line."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


@dataclass(frozen=True)
class Note:
    """One line of the import summary and one recorded finding of the scenario."""
    severity: str          # "info" or "warning"
    code: str              # import-skipped, import-not-modelled, import-address-assumed, ...
    message: str
    resource: str = ""     # the Azure resource id (or Terraform address) concerned
    node: str | None = None  # the scenario node concerned, when there is one
    rule: str = ""

    def line(self) -> str:
        return f"{self.severity}: {self.message}"

    def to_finding(self) -> dict:
        out = {"severity": self.severity, "code": self.code, "message": self.message}
        if self.node:
            out["node"] = self.node
        if self.rule:
            out["rule"] = self.rule
        return out
