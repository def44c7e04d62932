"""The cyclic garbage collector paused around work that makes many objects but no garbage
cycles: importing numba and loading the cached kernel (numba's typing registries), compiling
a snapshot into tables, running the kernel.

A collection there finds nothing to free and rescans everything the process holds - numba's
import alone set off full collections worth 0.1 s of a 3 s ``simulate`` of 2e6 flows.  Paused,
not disabled: the collector's state is restored afterwards, so a program that switched it
off itself keeps it off.
"""
from __future__ import annotations

import contextlib
import gc
from typing import Iterator


@contextlib.contextmanager
def gc_paused(pause: bool = True, *, freeze: bool = False) -> Iterator[None]:
    """No cyclic collections inside the block (``pause`` False: a no-op).  ``freeze``: what
    the block made lives as long as the process (a module's import), so move every object to
    the permanent generation after it - later collections skip them instead of scanning them
    again."""
    was_enabled = pause and gc.isenabled()
    if was_enabled:
        gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()
