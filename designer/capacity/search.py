"""Bisection over runs: the smallest setting that holds, and the rate where a variant breaks.

Both are *searches* (see execute.Driver): generators that yield the runs of one probe (one
run per seed) and receive their reports, so the driver can run every search's probes side by
side.  "Holds" means no flow of any VM failed for want of a SNAT port, on every seed.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from ..model import Scenario, dumps
from .execute import Hint, Search
from .runs import RunSpec

#: headroom: the rate is searched up to this factor of today's, to this relative precision
HEADROOM_MAX_FACTOR = 64.0
HEADROOM_PRECISION = 1.05


@dataclass
class Settings:
    seeds: tuple[int, ...]
    duration: float | None
    sample_s: float = 60.0
    source: str = ""

    def runs(self, scenario: Scenario) -> list[RunSpec]:
        text = dumps(scenario)
        return [RunSpec(text, seed, self.duration, self.sample_s, self.source)
                for seed in self.seeds]


@dataclass
class Outcome:
    """What K runs (one per seed) of one scenario showed."""
    reports: list[dict[str, Any]]
    texts: list[str] = field(default_factory=list, repr=False)

    @classmethod
    def from_texts(cls, texts: list[str]) -> "Outcome":
        return cls([json.loads(t) for t in texts], list(texts))

    def failed(self) -> list[int]:
        return [sum(vm["flows"]["failed_snat"] for vm in r["vms"].values())
                for r in self.reports]

    @property
    def holds(self) -> bool:
        return not any(self.failed())


def probe(settings: Settings, scenario: Scenario, hint: Hint | None = None,
          more: int = 0) -> Search:
    """One probe: the scenario's runs; returns their :class:`Outcome`."""
    if hint is not None:
        hint.remaining = more * len(settings.seeds)
    texts = yield settings.runs(scenario)
    return Outcome.from_texts(texts)


def smallest(settings: Settings, values: Sequence, build: Callable[[Any], Scenario],
             hint: Hint, guess_index: int | None = None) -> Search:
    """The smallest of the ascending ``values`` whose scenario holds (holding is assumed to be
    monotone in the value), by bisection; starts at ``guess_index`` (the analytic estimate)
    when given.  Returns (index or None, {index: Outcome})."""
    outcomes: dict[int, Outcome] = {}

    def steps(lo: int, hi: int) -> int:
        return max(0, math.ceil(math.log2(max(hi - lo, 1))))

    top = len(values) - 1
    lo, hi = -1, None            # lo fails (or is before the first), hi holds
    if guess_index is not None and 0 <= guess_index <= top:
        first = guess_index
    else:
        first = top
    outcomes[first] = yield from probe(settings, build(values[first]), hint, steps(-1, top))
    if outcomes[first].holds:
        hi = first
        # gallop downward from the estimate (2x the distance each time) to a failing value
        step = 1
        while lo < 0 and hi > 0:
            nxt = max(0, hi - step)
            outcomes[nxt] = yield from probe(settings, build(values[nxt]), hint, steps(0, nxt))
            if outcomes[nxt].holds:
                hi, step = nxt, step * 2
            else:
                lo = nxt
    elif first == top:
        return None, outcomes
    else:
        lo = first
        step = 1
        while hi is None:
            nxt = min(top, lo + step)
            outcomes[nxt] = yield from probe(settings, build(values[nxt]), hint,
                                             steps(nxt, top))
            if outcomes[nxt].holds:
                hi = nxt
            elif nxt == top:
                return None, outcomes
            else:
                lo, step = nxt, step * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        outcomes[mid] = yield from probe(settings, build(values[mid]), hint, steps(lo, hi))
        if outcomes[mid].holds:
            hi = mid
        else:
            lo = mid
    hint.remaining = 0
    return hi, outcomes


def headroom(settings: Settings, build: Callable[[float], Scenario], hint: Hint,
             guess: float | None = None, max_factor: float = HEADROOM_MAX_FACTOR) -> Search:
    """The smallest factor on today's rate at which the variant fails (within 5 %), or None
    when it still holds at ``max_factor``.  Today's rate (factor 1) is known to hold."""
    lo, hi = 1.0, None
    factor = min(max(guess or 2.0, 1.1), max_factor)

    def left() -> int:
        if hi is None:
            return 3
        return max(0, math.ceil(math.log(math.log(hi / lo) / math.log(HEADROOM_PRECISION), 2)))

    while hi is None:
        outcome = yield from probe(settings, build(factor), hint, left())
        if outcome.holds:
            lo = factor
            if factor >= max_factor:
                hint.remaining = 0
                return None
            factor = min(factor * 2, max_factor)
        else:
            hi = factor
    while hi / lo > HEADROOM_PRECISION:
        mid = math.sqrt(lo * hi)
        outcome = yield from probe(settings, build(mid), hint, left())
        if outcome.holds:
            lo = mid
        else:
            hi = mid
    hint.remaining = 0
    return hi
