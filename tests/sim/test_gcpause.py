"""Start-up costs: the cyclic GC paused around work that makes no garbage cycles
(designer/sim/gcpause.py), and always left as it was found; OpenBLAS without threads.
"""
import gc

import pytest

from designer.sim.gcpause import gc_paused


@pytest.fixture(autouse=True)
def collector_back_on():
    yield
    gc.unfreeze()
    gc.enable()


def test_paused_inside_and_enabled_after():
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_enabled_again_after_an_exception():
    with pytest.raises(RuntimeError):
        with gc_paused():
            raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_program_stays_off():
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()


def test_no_pause_asked_leaves_it_running():
    with gc_paused(False):
        assert gc.isenabled()


def test_freeze_moves_what_the_block_made_to_the_permanent_generation():
    gc.unfreeze()
    with gc_paused(freeze=True):
        made = [[i] for i in range(1000)]
    assert gc.get_freeze_count() >= len(made)


def test_building_an_engine_leaves_the_collector_on():
    from designer.sim import Engine
    from tests.topologies import generated_scenario
    Engine(generated_scenario(20, 30).snapshot())
    assert gc.isenabled()


@pytest.mark.parametrize("given, expected", [(None, "1"), ("3", "3")])
def test_openblas_runs_without_threads_unless_the_user_says(given, expected):
    """designer/__init__.py: OpenBLAS's idle threads spin at numpy's import (0.05 s of CPU in
    every process); the program does no linear algebra that would use them."""
    import os
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    out = subprocess.run([sys.executable, "-c", "import designer, os; "
                          "print(os.environ['OPENBLAS_NUM_THREADS'])"],
                         env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == expected
