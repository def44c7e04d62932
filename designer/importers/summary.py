"""The import summary: what came in, by kind; what was skipped; what will be simulated wrong.

The command line prints it to stderr; the editor shows its first lines in the status bar and
the notes in Findings (they are the scenario's recorded findings).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..model import Scenario
from .errors import Note

KIND_WORDS = {"vm": "VMs", "load_balancer": "load balancers", "public_ip": "public IPs",
              "nsg": "NSGs", "subnet": "subnets", "vnet": "VNets", "nat_gateway": "NAT gateways",
              "endpoint": "endpoints", "traffic_generator": "traffic generators"}


@dataclass
class ImportSummary:
    #: (source as given, format) for each source
    sources: list[tuple[str, str]] = field(default_factory=list)
    #: node kind -> count
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)

    @classmethod
    def of(cls, sources: list[tuple[str, str]], scenario: Scenario,
           notes: list[Note]) -> "ImportSummary":
        counts = Counter(c.KIND for c in scenario.topology.nodes())
        return cls(list(sources), {k: counts[k] for k in KIND_WORDS if counts.get(k)},
                   list(notes))

    @property
    def skipped(self) -> list[Note]:
        return [n for n in self.notes if n.code == "import-skipped"]

    @property
    def warnings(self) -> list[Note]:
        return [n for n in self.notes if n.severity == "warning"]

    def headline(self) -> str:
        what = ", ".join(f"{n} {KIND_WORDS[k] if n != 1 else KIND_WORDS[k][:-1]}"
                         for k, n in self.counts.items()) or "nothing"
        names = ", ".join(f"{name} ({fmt})" for name, fmt in self.sources)
        return (f"imported {names}: {what}; {len(self.skipped)} resource(s) skipped, "
                f"{len(self.warnings)} warning(s)")

    def lines(self, *, verbose: bool = False) -> list[str]:
        """The headline, then one line per skipped resource and per warning (other notes
        with ``verbose``)."""
        out = [self.headline()]
        for note in self.notes:
            if note.code == "import-skipped":
                out.append(f"  skipped: {note.message}")
        for note in self.notes:
            if note.severity == "warning":
                out.append(f"  warning: {note.message}")
        if verbose:
            for note in self.notes:
                if note.severity == "info" and note.code != "import-skipped":
                    out.append(f"  note: {note.message}")
        return out
