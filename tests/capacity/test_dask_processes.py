"""Real processes: a ``dask scheduler`` and two ``dask worker`` on localhost, the program
pointed at them with ``--scheduler``; a worker killed mid-sweep; Ctrl+C on a local cluster.
(Few and short: each sweep point is a fraction of a second.)"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")

from designer.capacity.execute import DaskExecutor, Driver, SerialExecutor  # noqa: E402
from designer.capacity.fieldpath import parse_vary  # noqa: E402
from designer.capacity.sweep import run_sweep  # noqa: E402
from designer.model import load_scenario  # noqa: E402
from designer.resources import demo_path  # noqa: E402

BIN = Path(sys.executable).parent
DASK = str(BIN / "dask")
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(procs) -> None:
    """Our scheduler and workers, by their process ids (a graceful close takes 10 s)."""
    for p in procs:
        if p.poll() is None:
            p.kill()
    for p in procs:
        p.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster():
    """A scheduler and two workers (no nanny: a killed worker stays dead); shared by the two
    tests below, the one that kills a worker last."""
    if not Path(DASK).exists():
        pytest.skip("the dask command is not installed")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], env=ENV, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)]
    try:
        for name in ("w1", "w2"):
            procs.append(subprocess.Popen(
                [DASK, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                 "--name", name], env=ENV, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL))
        from distributed import Client
        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(address, timeout=5) as client:
                    client.wait_for_workers(2, timeout=60)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        yield address, procs
    finally:
        _stop(procs)


def _sweep(executor, progress=None):
    scenario = load_scenario(demo_path())
    varies = [parse_vary(scenario, "flood.rate_per_s=2:16:2")]
    return run_sweep(scenario, varies, [42], Driver(executor, progress), duration=200.0,
                     source="demo.outbound.json")


def test_sweep_through_scheduler_equals_the_local_run(cluster, tmp_path, capsys):
    address, _procs = cluster
    out_remote, out_local = tmp_path / "remote.json", tmp_path / "local.json"
    args = ["sweep", str(demo_path()), "--duration", "120", "--vary", "flood.rate_per_s=2:14:4",
            "--vary", "web.vms=3,5", "--no-progress"]
    remote = subprocess.run([sys.executable, "-m", "designer", *args, "--scheduler", address,
                             "--out", str(out_remote)],
                            capture_output=True, text=True, timeout=120, env=ENV)
    assert remote.returncode == 0, remote.stderr
    from designer.cli import main
    assert main(args + ["--workers", "0", "--out", str(out_local)]) == 0
    assert out_remote.read_text() == out_local.read_text()
    assert len(json.loads(out_remote.read_text())["points"]) == 8
    assert remote.stdout == capsys.readouterr().out
    # DASK_SCHEDULER_ADDRESS works as --scheduler does
    by_env = subprocess.run([sys.executable, "-m", "designer", *args[:4], "--vary",
                             "flood.rate_per_s=2,4", "-v"],
                            capture_output=True, text=True, timeout=120,
                            env={**ENV, "DASK_SCHEDULER_ADDRESS": address})
    assert by_env.returncode == 0, by_env.stderr
    assert f"running on the Dask cluster at {address} (2 workers)" in by_env.stderr


def test_a_worker_killed_mid_sweep_does_not_stop_it(cluster):
    address, procs = cluster
    killed = []

    def progress(p):
        if p.done >= 1 and not killed:
            procs[1].kill()             # worker w1, by its process id
            killed.append(p.done)
    executor = DaskExecutor(address=address)
    try:
        doc, texts = _sweep(executor, progress)
    finally:
        executor.close()
    assert killed and killed[0] < len(texts)
    assert procs[1].poll() is not None
    expected, expected_texts = _sweep(SerialExecutor())
    assert texts == expected_texts and doc == expected


def test_ctrl_c_cancels_and_leaves_no_process(tmp_path):
    cmd = [sys.executable, "-m", "designer", "sweep", str(demo_path()), "--duration", "600",
           "--vary", "flood.rate_per_s=1:40:1", "--seeds", "3", "--workers", "2"]
    # its own process group, so that SIGINT reaches the whole group as Ctrl+C at a terminal
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=ENV, start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
    reader.start()
    deadline = time.monotonic() + 90
    while not any("points" in line for line in lines):
        assert proc.poll() is None, "".join(lines)
        assert time.monotonic() < deadline, "no progress within 90 s"
        time.sleep(0.1)
    family = psutil.Process(proc.pid).children(recursive=True)
    assert family, "the local cluster's worker processes"
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    gone, alive = psutil.wait_procs(family, timeout=15)
    assert not alive, [p.cmdline() for p in alive]
    reader.join(timeout=5)
    assert "Traceback" not in "".join(lines)
    assert "cancelled" in lines[-1]
