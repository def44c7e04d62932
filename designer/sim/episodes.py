"""SNAT exhaustion as episodes: what ``snat_exhausted`` / ``snat_recovered`` report.

The kernel raises a raw pair at every change: exhausted at the first flow that fails for want
of a port, recovered at the exact instant a new flow of that VM and protocol to the failing
destination key would get a port again (a release, a cool-down ending, a fixing edit).  Under
sustained overload the two alternate at every release, a few milliseconds apart: a port frees,
the next flow takes it, the one after fails.  Logged as they come, that is dozens of
"recovered" events for one overload, and a banner that flickers.

An episode therefore ends at the first such instant after its *last* failed flow: a raw
recovery followed within ``gap_s`` (the scenario option ``snat_episode_gap_s``, default 60 s,
the granularity of Azure Monitor's SnatConnectionCount) by another failure of the same VM and
protocol is not a recovery - the episode goes on and neither event is logged.  A recovery is
logged, with its exact time, once ``gap_s`` has passed without a failure, or when the run ends
(``settled``); ``gap_s = 0`` logs every raw pair.
"""
from __future__ import annotations

from typing import Callable

#: the scenario option (designer/model/options.py)
OPTION = "snat_episode_gap_s"


class ExhaustionEpisodes:
    """Between the kernel's raw events and the engine's event list."""

    def __init__(self, emit: Callable[[dict, int], None], gap_s: float = 60.0):
        self._emit = emit            # emit(event, sequence number at which it happened)
        self.gap_s = float(gap_s)
        #: (vm, protocol) -> (the raw recovery, its sequence number), not yet logged
        self._pending: dict[tuple[str, str], tuple[dict, int]] = {}

    def exhausted(self, event: dict, seq: int) -> None:
        held = self._pending.pop((event["vm"], event["protocol"]), None)
        if held is not None:
            if event["t"] - held[0]["t"] <= self.gap_s:
                return                        # the same episode: neither event is logged
            self._emit(*held)
        self._emit(event, seq)

    def recovered(self, event: dict, seq: int) -> None:
        self._pending[(event["vm"], event["protocol"])] = (event, seq)

    def confirm(self, now: float) -> None:
        """Log the recoveries that ``gap_s`` of simulated time without a failure confirmed."""
        for key, (event, seq) in list(self._pending.items()):
            if now - event["t"] > self.gap_s:
                del self._pending[key]
                self._emit(event, seq)

    def settled(self) -> list[tuple[dict, int]]:
        """The recoveries not yet confirmed: as far as the run has gone, no failure followed
        them (a report of the run so far lists them)."""
        return list(self._pending.values())
