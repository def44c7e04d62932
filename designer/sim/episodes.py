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

The kernel applies the same rule to the records it still holds (``kernel._continues_episode``):
a pair within one hand-over never reaches Python; what comes here is the first failure of an
episode, recoveries, and pairs split across two hand-overs.
"""
from __future__ import annotations

from typing import Callable

#: the scenario option (designer/model/options.py)
OPTION = "snat_episode_gap_s"


class ExhaustionEpisodes:
    """Between the kernel's raw events and the engine's event list.  A held recovery is kept
    as (time, sequence number, the event or None): the kernel's raw recoveries come by the
    hundred thousand a second under sustained overload at full speed, and nearly all of them
    are dropped, so their event is built only when it is logged."""

    def __init__(self, emit: Callable[[dict, int], None], gap_s: float = 60.0):
        self._emit = emit            # emit(event, sequence number at which it happened)
        self.gap_s = float(gap_s)
        #: (vm, protocol) -> (time, sequence number, event or None) of a recovery not yet
        #: logged
        self._pending: dict[tuple[str, str], tuple[float, int, dict | None]] = {}

    def continues(self, vm: str, protocol: str, t: float) -> bool:
        """Whether a failure of ``vm`` and ``protocol`` at ``t`` continues an episode (a held
        recovery within ``gap_s``): then neither is logged and the recovery is forgotten."""
        held = self._pending.get((vm, protocol))
        if held is not None and t - held[0] <= self.gap_s:
            del self._pending[(vm, protocol)]
            return True
        return False

    def exhausted(self, event: dict, seq: int) -> None:
        if self.continues(event["vm"], event["protocol"], event["t"]):
            return                            # the same episode: neither event is logged
        held = self._pending.pop((event["vm"], event["protocol"]), None)
        if held is not None:
            self._emit(*_recovery((event["vm"], event["protocol"]), held))
        self._emit(event, seq)

    def recovered(self, event: dict, seq: int) -> None:
        self._pending[(event["vm"], event["protocol"])] = (event["t"], seq, event)

    def recovered_at(self, vm: str, protocol: str, t: float, seq: int) -> None:
        """A raw recovery of the kernel (its event is built if it is ever logged)."""
        self._pending[(vm, protocol)] = (t, seq, None)

    def confirm(self, now: float) -> None:
        """Log the recoveries that ``gap_s`` of simulated time without a failure confirmed."""
        for key, held in list(self._pending.items()):
            if now - held[0] > self.gap_s:
                del self._pending[key]
                self._emit(*_recovery(key, held))

    def settled(self) -> list[tuple[dict, int]]:
        """The recoveries not yet confirmed: as far as the run has gone, no failure followed
        them (a report of the run so far lists them)."""
        return [_recovery(key, held) for key, held in self._pending.items()]


def _recovery(key: tuple[str, str], held: tuple[float, int, dict | None]) -> tuple[dict, int]:
    t, seq, event = held
    if event is None:
        event = {"t": t, "kind": "snat_recovered", "vm": key[0], "protocol": key[1]}
    return event, seq
