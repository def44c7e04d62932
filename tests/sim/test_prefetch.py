"""The kernel's prefetch (designer/sim/jit.py): a real prefetch instruction in compiled code,
nothing in the interpreted kernel, and part of what keys the kernel's cache."""
import numba
import numpy as np

from designer.sim import compile as kernel_compile
from designer.sim.jit import KERNEL_FILES, prefetch


@numba.njit
def _sum_fetching_ahead(values, order):
    total = 0
    for i in range(len(order)):
        if i + 2 < len(order):
            prefetch(values, order[i + 2])
        total += values[order[i]]
    return total


def test_compiles_to_a_prefetch_instruction_and_changes_no_value():
    values = np.arange(1000, dtype=np.int64)
    order = np.random.default_rng(3).integers(0, 1000, 500)
    assert _sum_fetching_ahead(values, order) == int(values[order].sum())
    asm = _sum_fetching_ahead.inspect_asm(_sum_fetching_ahead.signatures[0])
    assert "prefetch" in asm


def test_the_interpreted_kernel_fetches_nothing():
    interpreted = kernel_compile.interpreted()
    assert interpreted.prefetch(np.zeros(4, np.int64), 2) is None
    assert interpreted.prefetch is not prefetch


def test_editing_the_prefetch_recompiles_the_kernel():
    # the intrinsic is compiled into the kernel's functions, so jit.py keys their cache
    assert "jit.py" in KERNEL_FILES


def test_a_new_layout_forgets_the_rows_fetched_ahead():
    """The kernel reads the pair of a destination row it remembered from a few arrivals
    before; after Python lays the state out again (a table grew, a snapshot) those offsets
    point into the old layout - possibly past the end of the new one."""
    from designer.sim import kernel as K
    from designer.sim.state import KernelState, grown
    st = KernelState(16)
    st.ahead[:] = [3, len(st.m) + 10_000] * K.ARRIVALS_AHEAD
    st.sync()
    assert (st.ahead == [3, len(st.m) + 10_000] * K.ARRIVALS_AHEAD).all()   # same layout
    st.flat = grown(st.flat, 4)                     # a snapshot's new destination table
    st.sync()
    assert (st.ahead == -1).all()
    assert (st.m[st.m[K.B_AHEAD]:st.m[K.B_AHEAD] + 2 * K.ARRIVALS_AHEAD] == -1).all()
