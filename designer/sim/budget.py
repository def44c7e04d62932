"""What a run will cost, before it starts, and the ranges a run must stay within (no Qt).

``estimate(snapshot, duration, sample_s)`` counts what drives a run's memory and time —
VMs, the public addresses whose SNAT ports the engine tracks, generators, destinations, the
flows the generators will open, how many mappings can be live at once, the metric samples —
and turns them into bytes and seconds with :data:`MEMORY` and :data:`SPEED`, figures measured
on the engine (``tests/benchmarks/test_run_budget.py`` re-measures them and prints the
estimate beside the real peak; docs/run-limits.md).  ``simulate`` refuses a run
whose estimate exceeds ``--max-memory``; the editor asks before starting one above its
"Simulation memory limit" preference.

The ranges (:func:`check_run_range`) keep nonsense out before anything is built:

- the longest run is :data:`LONGEST_RUN_S` (365 days, also the largest generator
  ``start_s``/``stop_s`` a file may hold): far beyond any question about ports — whose
  timers are seconds to minutes — yet it stops ``1e300`` before a run that could never end;
- the finest sample is :data:`FINEST_SAMPLE_S` (1 ms): the report gives times to the
  millisecond, so finer samples could not be told apart;
- a run has at most :data:`MOST_SAMPLES` metric samples (a million points per VM series
  is already a report of tens of megabytes per VM).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

from ..model.components import LONGEST_RUN_S
from ..model.topology import Scenario
from . import ports as P

FINEST_SAMPLE_S = 0.001
MOST_SAMPLES = 1_000_000
#: the memory limit when the user sets none: this share of the machine's memory
DEFAULT_LIMIT_SHARE = 0.8


@dataclass(frozen=True)
class MemoryModel:
    """Bytes per unit of what a run holds.  Measured 2026-12-02 on the compiled kernel
    (``pytest tests/benchmarks/test_run_budget.py -s`` prints the estimate beside the real
    peak): re-measure when the engine changes and update these figures.  The engine holds
    ports and flows while they are mapped and draws arrivals in chunks, so the number of
    flows in a run does not appear here: a run's memory follows what it holds at once."""
    #: the process before the run: Python, numpy, numba and the compiled kernel, the scenario
    base: float = 165e6
    #: registries, counters and paths of one VM
    per_vm: float = 10e3
    #: one public address and protocol whose ports the engine tracks: every default SNAT
    #: address, frontend, instance or NAT gateway IP (1,000 idle VMs on default SNAT: 136 MB)
    per_address: float = 64e3
    #: one live mapping (a flow holding a port, or releasing it), with its timers
    per_live_flow: float = 800.0
    #: one point of a VM's metric series (used and allocated ports, failures) and its
    #: report text
    per_series_point: float = 250.0


@dataclass(frozen=True)
class SpeedModel:
    """Flows simulated per CPU-second (the same measurements as :class:`MemoryModel`)."""
    #: the compiled kernel on a NAT gateway workload (the slowest owner kind measured:
    #: 560-640k flows/s; Basic load balancer workloads run 700-900k)
    flows: float = 500_000.0
    #: metric samples: one VM's point of one sample (every VM is sampled every sample_s)
    vm_samples: float = 150_000.0
    #: setting up one public address and protocol
    address_setup_s: float = 0.0004


MEMORY = MemoryModel()
SPEED = SpeedModel()


@dataclass(frozen=True)
class RunCost:
    """The estimate of one run; ``parts`` names each memory term (bytes), largest first."""
    duration_s: float | None
    vms: int
    generators: int
    destinations: int
    addresses: int
    flows: float
    live_flows: float
    samples: int
    memory_bytes: float
    cpu_seconds: float
    parts: tuple[tuple[str, float], ...] = field(default=())

    def largest(self) -> str:
        """The term that dominates the memory, in words (the program itself is not a part
        the user can make smaller, so it is named only when nothing else is there)."""
        for what, size in self.parts:
            if what != PROGRAM and size > 0:
                return what
        return "the scenario"

    def describe(self) -> str:
        """One line: the memory, what dominates it, and the time."""
        terms = "; ".join(f"{what}: {format_bytes(b)}" for what, b in self.parts[:3])
        took = format_seconds(self.cpu_seconds)
        return (f"about {format_bytes(self.memory_bytes)} of memory ({terms}) and "
                f"{took if took == 'under a second' else 'about ' + took} of computing")

    def over_limit(self, limit_bytes: float | None, limit_words: str = "") -> str | None:
        """None when the run fits ``limit_bytes`` (None = no limit), else why not."""
        if limit_bytes is None or self.memory_bytes <= limit_bytes:
            return None
        return (f"this run needs {self.describe()}, more than the memory limit of "
                f"{format_bytes(limit_bytes)}{' (' + limit_words + ')' if limit_words else ''}")


# ==================================================================================== ranges

def check_run_range(duration: float | None = None, sample_s: float | None = None) -> None:
    """Raise ValueError (one line saying the supported range and why) for a duration or
    sample interval a run cannot take."""
    if duration is not None:
        if not (isinstance(duration, (int, float)) and math.isfinite(duration)) or duration <= 0:
            raise ValueError(f"the duration must be a positive number of seconds, got "
                             f"{duration!r}")
        if duration > LONGEST_RUN_S:
            raise ValueError(f"the duration {duration:g} s is longer than the longest run "
                             f"supported, {LONGEST_RUN_S:,.0f} s (365 days)")
    if sample_s is not None:
        if not (isinstance(sample_s, (int, float)) and math.isfinite(sample_s)) or sample_s <= 0:
            raise ValueError(f"the sample interval must be a positive number of seconds, got "
                             f"{sample_s!r}")
        if sample_s < FINEST_SAMPLE_S:
            raise ValueError(f"the sample interval {sample_s:g} s is finer than the finest "
                             f"supported, {FINEST_SAMPLE_S:g} s (the report gives times to the "
                             f"millisecond)")
    if duration is not None and sample_s is not None and duration / sample_s > MOST_SAMPLES:
        raise ValueError(f"{duration:g} s sampled every {sample_s:g} s is "
                         f"{duration / sample_s:,.0f} samples, more than the {MOST_SAMPLES:,} "
                         f"a run may have: sample less often (--sample "
                         f"{_round_up(duration / MOST_SAMPLES):g}) or simulate less time")


def _round_up(x: float) -> float:
    digits = 10 ** math.floor(math.log10(x)) if x > 0 else 1
    return math.ceil(x / digits) * digits


# ================================================================================ estimate

def _release_after_hold(gen, path) -> float:
    """Seconds a mapping outlives its flow's hold (C9, M-B9); inf = kept alive."""
    idle = path.idle_timeout_s if path is not None else P.IDLE_TIMEOUT_S
    if gen.keepalive_s is not None and gen.keepalive_s < idle:
        return math.inf
    if gen.protocol == "udp" or gen.close == "idle":
        return idle
    if path is not None and path.release == "nat":
        return P.NAT_TIMERS["2023"]["fin" if gen.close == "fin" else "rst"]
    return P.RELEASE_FIN_S if gen.close == "fin" else P.RELEASE_RST_S


#: the name of the memory term of the program itself
PROGRAM = "the program itself"


def estimate(snapshot: Scenario, duration: float | None, sample_s: float = 60.0, *,
             resolution=None, memory: MemoryModel | None = None,
             speed: SpeedModel | None = None) -> RunCost:
    """The cost of running ``snapshot`` for ``duration`` seconds (None: a live run of no set
    length, whose memory is what it holds at its fullest).  ``resolution`` (from
    ``paths.resolve``) is computed when not given."""
    from .paths import resolve
    memory = memory if memory is not None else MEMORY
    speed = speed if speed is not None else SPEED
    topo = snapshot.topology
    res = resolution if resolution is not None else resolve(snapshot)
    paths = res.paths
    vms = len(topo.nodes("vm"))
    addresses = {(pid, proto) for vm_path in paths.values() for proto in ("tcp", "udp")
                 for pid in vm_path.protocol(proto).public_ip_ids}
    nat_pips = {(pid, proto) for nat in topo.nodes("nat_gateway") for pid in
                topo.targets(nat.id, "nat") if topo.node(pid).KIND == "public_ip"
                for proto in ("tcp", "udp")}
    addresses |= nat_pips
    default_addresses = sum(1 for pid, _proto in addresses if pid.startswith("default:"))
    horizon = duration if duration is not None else math.inf
    flows = 0.0
    live = 0.0
    generators = 0
    destinations: set[str] = set()
    vm_held: dict[str, float] = {}                    # mappings each VM would hold
    vm_ports: dict[str, int] = {}                     # its ports
    vm_dests: dict[str, set[str]] = {}                # and the destinations it calls
    for gen in topo.nodes("traffic_generator"):
        if gen.muted or gen.rate_per_s <= 0:
            continue
        generators += 1
        dests = topo.generator_destinations(gen.id)
        destinations.update(dests)
        stop = gen.stop_s if gen.stop_s is not None else math.inf
        active = max(0.0, min(stop, horizon) - gen.start_s)
        if gen.direction == "inbound":
            flows += gen.rate_per_s * active if math.isfinite(active) else 0.0
            live += gen.rate_per_s * gen.hold.mean_s
            continue
        if not dests:
            continue
        for vm_id in topo.generator_sources(gen.id):
            vm = topo.get(vm_id)
            if vm is None or vm.state != "running":
                continue
            vm_path = paths.get(vm_id)
            path = vm_path.protocol(gen.protocol) if vm_path is not None else None
            if math.isfinite(active):
                flows += gen.rate_per_s * active
            lifetime = gen.hold.mean_s + _release_after_hold(gen, path)
            held = gen.rate_per_s * min(lifetime, active)
            if gen.pool_size:
                held = min(held, gen.pool_size * len(dests))
            ports = path.ports if path is not None and path.ports else P.NAT_PORTS_PER_IP
            vm_held[vm_id] = vm_held.get(vm_id, 0.0) + held
            vm_ports.setdefault(vm_id, ports)
            vm_dests.setdefault(vm_id, set()).update(dests)
    # a VM cannot hold more mappings than its ports x destination keys (C7), whatever
    # number of generators share it
    live += sum(min(held, vm_ports[vm_id] * len(vm_dests[vm_id]))
                for vm_id, held in vm_held.items())
    samples = int(duration / sample_s) + 1 if duration is not None else 0
    parts = {
        f"{vms:,} VMs": memory.per_vm * vms,
        f"{len(addresses):,} public addresses x protocols, each tracked port by port"
        + (f" ({default_addresses:,} of them default SNAT)" if default_addresses else ""):
            memory.per_address * len(addresses),
        f"up to {live:,.0f} live flows at once": memory.per_live_flow * live,
        f"{samples:,} metric samples of {vms:,} VMs": memory.per_series_point * samples * vms,
        PROGRAM: memory.base,
    }
    ordered = tuple(sorted(parts.items(), key=lambda kv: -kv[1]))
    cpu = flows / speed.flows + samples * vms / speed.vm_samples + \
        len(addresses) * speed.address_setup_s
    return RunCost(duration_s=duration, vms=vms, generators=generators,
                   destinations=len(destinations), addresses=len(addresses), flows=flows,
                   live_flows=live, samples=samples,
                   memory_bytes=sum(parts.values()), cpu_seconds=cpu, parts=ordered)


# ================================================================================ limits

def machine_memory() -> float | None:
    """Physical memory in bytes, or None when the system does not say."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def default_limit() -> float | None:
    """The memory limit when the user sets none: 80 % of the machine's memory."""
    total = machine_memory()
    return total * DEFAULT_LIMIT_SHARE if total else None


_UNITS = {"": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9,
          "t": 1e12, "tb": 1e12, "kib": 2 ** 10, "mib": 2 ** 20, "gib": 2 ** 30, "tib": 2 ** 40}


def parse_size(text: str) -> float | None:
    """``"4G"``, ``"500MB"``, ``"1.5GiB"`` -> bytes; ``"none"``/``"0"`` -> None (no limit).
    Raises ValueError with the accepted forms."""
    cleaned = text.strip().lower().replace(" ", "").replace("_", "")
    if cleaned in ("none", "off", "unlimited", "0"):
        return None
    number = cleaned.rstrip("kmgtib")
    unit = cleaned[len(number):]
    try:
        value = float(number)
    except ValueError:
        value = math.nan
    if unit not in _UNITS or not math.isfinite(value) or value <= 0:
        raise ValueError(f"expected a size like 4G, 500M or 2.5GB (or none), got {text!r}")
    return value * _UNITS[unit]


def format_bytes(n: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f} B"


def format_seconds(s: float) -> str:
    if s < 60:
        return f"{s:.0f} s" if s >= 1 else "under a second"
    if s < 3600:
        return f"{s / 60:.0f} min"
    if s < 86400 * 2:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:,.0f} days"


def suggest_limit(cost: RunCost) -> str:
    """A --max-memory value that would let ``cost`` run (rounded up)."""
    need = cost.memory_bytes * 1.1
    return f"{math.ceil(need / 1e9)}G" if need >= 1e9 else f"{math.ceil(need / 1e6)}M"
