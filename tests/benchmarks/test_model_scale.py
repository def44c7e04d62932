"""How long a generated topology takes to load, validate and save, at 1,000 and 5,000 nodes
(printed; run with ``pytest tests/benchmarks -s``).  Validation should grow about linearly:
the ratio of the two times should be near 5, far from 25."""
from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "model"))

from designer.model import load_scenario, save_scenario  # noqa: E402
from designer.model.validation import validate  # noqa: E402
from designer.resources import example_paths  # noqa: E402

from model_builders import large_topology  # noqa: E402


def _best(fn, repeat=3):
    """Best of ``repeat`` runs in CPU seconds of this process (robust against other processes
    on a busy machine; a save's disk wait is not counted)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.process_time()
        result = fn()
        best = min(best, time.process_time() - start)
    return best, result


def measure(n: int, tmp_path: Path) -> dict[str, float]:
    scenario = large_topology(n)
    path = tmp_path / f"big-{n}.outbound.json"
    save_s, _ = _best(lambda: save_scenario(scenario, path))
    load_s, loaded = _best(lambda: load_scenario(path))
    validate_s, findings = _best(lambda: validate(loaded))
    assert not [f for f in findings if f.severity == "error"]
    return {"nodes": len(loaded.topology), "links": len(loaded.topology.links()),
            "bytes": path.stat().st_size, "load": load_s, "validate": validate_s,
            "save": save_s}


def test_scale_5000_nodes(tmp_path):
    small, big = measure(1000, tmp_path), measure(5000, tmp_path)
    for row in (small, big):
        print(f"\n{row['nodes']:5d} nodes {row['links']:5d} links {row['bytes'] / 1e6:5.2f} MB: "
              f"load {row['load'] * 1000:7.1f} ms  validate {row['validate'] * 1000:7.1f} ms  "
              f"save {row['save'] * 1000:7.1f} ms  (CPU time, best of 3)")
    for key in ("load", "validate", "save"):
        print(f"{key}: 5,000 / 1,000 nodes = {big[key] / small[key]:.1f}x (linear = 5x)")


def test_largest_example_load_and_validate():
    paths = example_paths()
    largest = max(paths, key=lambda p: p.stat().st_size)
    seconds, _ = _best(lambda: validate(load_scenario(largest)))
    print(f"\n{largest.name}: load + validate {seconds * 1000:.1f} ms")
