"""Azure-aware validation: findings with a severity, the node or link concerned, a rule code
and a plain message.  (Rules are added in this module; see docs/validation.md.)"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .links import Link
from .topology import Scenario

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    severity: str  # error / warning / info
    code: str      # a stable rule code, e.g. "public-ip-attached-twice" or an Azure error name
    message: str
    node_id: str | None = None
    link: Link | None = None

    def format(self) -> str:
        where = self.node_id or (self.link.describe() if self.link else "scenario")
        return f"{self.severity}: {where}: {self.message} [{self.code}]"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"severity": self.severity, "code": self.code,
                               "message": self.message}
        if self.node_id:
            out["node"] = self.node_id
        if self.link:
            out["link"] = {"from": self.link.source, "to": self.link.target,
                           "kind": self.link.kind}
        return out


def validate(scenario: Scenario) -> list[Finding]:
    """Every finding for ``scenario``, errors first, then by node id."""
    findings: list[Finding] = []
    return findings
