"""A 32-point sweep on the local Dask cluster against the same points one after another in
this process (issue 11: expect a speed-up close to the number of cores).

Workload: the bundled demo for a day of simulated time, ``flood.rate_per_s`` = 1..32 (with
the compiled kernel an hour of the demo is 0.05 s of CPU, too little for the cluster's start
and close to pay for: 0.65x end to end measured; a day is 0.8 s a point).  The cluster's figure includes
starting and closing its processes (what a user waits for); the figure without them is
printed too.  Both runs must give the same reports.  The machine is shared: the load average
is printed with the figures.  Run with ``pytest tests/benchmarks/test_capacity_speed.py -s``.
"""
from __future__ import annotations

import os
import time

import pytest

from designer.capacity.execute import DaskExecutor, Driver, SerialExecutor
from designer.capacity.fieldpath import parse_vary
from designer.capacity.sweep import run_sweep
from designer.model import load_scenario
from designer.resources import demo_path

pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")
POINTS = int(os.environ.get("CAPACITY_BENCH_POINTS", "32"))
#: simulated seconds per point: a day of the demo, about 0.8 s of CPU here
DURATION = float(os.environ.get("CAPACITY_BENCH_DURATION", "86400"))


def _sweep(executor):
    scenario = load_scenario(demo_path())
    varies = [parse_vary(scenario, f"flood.rate_per_s=1..{POINTS}")]
    return run_sweep(scenario, varies, [42], Driver(executor), duration=DURATION,
                     source="demo.outbound.json")


def test_sweep_speedup_on_the_local_cluster():
    cores = os.cpu_count() or 1
    load_before = os.getloadavg()
    t0, c0 = time.perf_counter(), time.process_time()
    serial_doc, serial_reports = _sweep(SerialExecutor())
    serial_s, serial_cpu = time.perf_counter() - t0, time.process_time() - c0

    t0 = time.perf_counter()
    executor = DaskExecutor(workers=cores)
    started_s = time.perf_counter() - t0
    try:
        workers = [psutil.Process(pid) for pid in executor.client.run(os.getpid).values()]
        cpu0 = sum(sum(w.cpu_times()[:2]) for w in workers)
        t1 = time.perf_counter()
        doc, reports = _sweep(executor)
        run_s = time.perf_counter() - t1
        workers_cpu = sum(sum(w.cpu_times()[:2]) for w in workers) - cpu0
    finally:
        t2 = time.perf_counter()
        executor.close()
        close_s = time.perf_counter() - t2
    total_s = time.perf_counter() - t0
    load_after = os.getloadavg()
    assert reports == serial_reports and doc == serial_doc
    print(f"\n{POINTS}-point sweep (demo, {DURATION:g} s per run), {cores} cores; load average "
          f"{load_before[0]:.2f} before, {load_after[0]:.2f} after")
    print(f"  one after another, in this process: {serial_s:6.2f} s "
          f"({serial_s / POINTS:.2f} s per point; {serial_cpu:.1f} CPU-s, so it had "
          f"{serial_cpu / serial_s:.2f} of a core)")
    print(f"  local Dask cluster of {cores} processes: {total_s:6.2f} s "
          f"(start {started_s:.2f} s, runs {run_s:.2f} s, close {close_s:.2f} s)")
    print(f"  the workers used {workers_cpu:.1f} CPU-s during the runs: "
          f"{workers_cpu / run_s:.2f} cores on average (the rest went to other users)")
    print(f"  speed-up: {serial_s / total_s:.2f}x end to end, {serial_s / run_s:.2f}x "
          f"without the cluster's start and close")
    print(f"  CPU per point: {serial_cpu / POINTS:.3f} s in-process, "
          f"{workers_cpu / POINTS:.3f} s on a worker; on a machine that gives the workers "
          f"their {cores} cores that is a speed-up of about "
          f"{cores * serial_cpu / workers_cpu:.2f}x")
