"""Compiling the kernel: once after an install, then loaded from the cache in ~0.2 s.

Compiling takes 10-15 s of CPU (numba's front end; the machine code is cached in the user's
cache folder, see ``jit.py``).  So that a first run is not held up by it, the same source can
run *interpreted* - ``kernel.py`` loaded a second time with do-nothing decorators: the same
arrays, the same rules, the same results, about twenty times slower - while a separate process
compiles it into the cache; an engine switches to the compiled kernel as soon as it is there
(the state is plain arrays, so nothing changes but the speed).

* :func:`kernel` gives the module an engine should use now (compiled if in memory or in the
  cache, else interpreted, starting the background compile).
* :func:`ensure_compiled` compiles or loads in the foreground (a big run, the tests).
* :func:`status` / :func:`status_message` say where things stand, for a status bar;
  :func:`start_background` starts the compile early (an editor at start-up).
* ``OUTBOUND_DESIGNER_KERNEL=compiled`` (always compile first), ``interpreted`` (never compile:
  debugging, no numba) or ``auto`` (default) overrides the choice.

The compiled entry points have one specialisation each: the engine pins the argument types.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
import time
from types import ModuleType
from typing import Callable

import numpy as np

from .gcpause import gc_paused

with gc_paused(freeze=True):    # numba's import makes a few hundred thousand objects
    import numba

from . import kernel as K
from .jit import kernel_cache_dir

COMPILING_MESSAGE = ("compiling the simulation kernel (once after an install, 10-30 s; "
                     "cached in {cache})")
BACKGROUND_MESSAGE = ("compiling the simulation kernel in the background (once after an "
                      "install; cached in {cache}); until it is ready the simulation runs "
                      "interpreted, more slowly")
MODE_VARIABLE = "OUTBOUND_DESIGNER_KERNEL"

_lock = threading.Lock()
_compiled = False
_interpreted: ModuleType | None = None
_background: subprocess.Popen | threading.Thread | None = None
#: seconds the last foreground compile took (0.0 when the kernel came from the cache)
last_compile_s = 0.0


def mode() -> str:
    value = os.environ.get(MODE_VARIABLE, "auto")
    return value if value in ("auto", "compiled", "interpreted") else "auto"


def interpreted() -> ModuleType:
    """``kernel.py`` loaded again with do-nothing decorators: plain Python over the arrays."""
    global _interpreted
    if _interpreted is None:
        spec = importlib.util.spec_from_file_location(__package__ + "._kernel_interpreted",
                                                      K.__file__)
        module = importlib.util.module_from_spec(spec)
        module._DECORATOR = lambda f: f
        module._PREFETCH = lambda array, index: None
        spec.loader.exec_module(module)
        _interpreted = module
    return _interpreted


def _entry_points() -> list[tuple]:
    """(dispatcher, signature) of every function Python calls, for the types the engine
    passes (it pins them: one specialisation each)."""
    global _signatures
    if _signatures is None:
        from .state import KernelState
        st = KernelState(2)
        m, f = st.m, st.f
        rows = np.zeros(1, np.int64)
        examples = [(K.advance, (m, f, 1.0, 1, 1.0, 1, 1)),
                    (K.end_flows, (m, f, rows, 1.0, True)),
                    (K.push_timers, (m, f, np.zeros(1), rows))]
        _signatures = [(func, tuple(numba.typeof(a) for a in args)) for func, args in examples]
    return _signatures


_signatures: list[tuple] | None = None


def _load_cached() -> bool:
    """Install every entry point from the on-disk cache (numba's own cache-hit steps, so that
    nothing is loaded twice); False when one is not there."""
    from numba.core.compiler_lock import global_compiler_lock
    with gc_paused(freeze=True):  # the first load imports numba's typing registries
        for func, sig in _entry_points():
            if sig in func.overloads:
                continue
            cres = func._cache.load_overload(sig, func.targetctx)
            if cres is None:
                return False
            with global_compiler_lock:
                func.targetctx.insert_user_function(cres.entry_point, cres.fndesc,
                                                    [cres.library])
                func.add_overload(cres)
    return True


def needs_compiling() -> bool:
    """True when the kernel is neither compiled in this process nor in the cache (what the
    cache holds is loaded on the way: that is what would happen next anyway)."""
    global _compiled
    if _compiled or numba.config.DISABLE_JIT:
        return False
    with _lock:
        if not _compiled and _load_cached():
            _compiled = True
    return not _compiled


def ensure_compiled(notify: Callable[[str], None] | None = None) -> None:
    """Compile (or load from the cache) every entry point, in the foreground; ``notify``
    hears about a compile before it starts."""
    global _compiled, last_compile_s
    if _compiled or numba.config.DISABLE_JIT or not needs_compiling():
        return
    with _lock:
        if _compiled:
            return
        if notify is not None:
            notify(COMPILING_MESSAGE.format(cache=kernel_cache_dir()))
        start = time.perf_counter()
        for func, sig in _entry_points():
            if sig not in func.overloads:
                func.compile(sig)
        last_compile_s = time.perf_counter() - start
        _compiled = True


def compiled_ready() -> bool:
    """The compiled kernel can be used now without compiling (it may need loading)."""
    if _compiled:
        return True
    if _background is not None:
        if isinstance(_background, threading.Thread):
            return not _background.is_alive()
        return _background.poll() is not None
    return False


def start_background(notify: Callable[[str], None] | None = None) -> bool:
    """Compile into the cache in another process (a thread when frozen); True if started."""
    global _background
    if _compiled or _background is not None or numba.config.DISABLE_JIT or \
            not needs_compiling():
        return False
    if notify is not None:
        notify(BACKGROUND_MESSAGE.format(cache=kernel_cache_dir()))
    if getattr(sys, "frozen", False):        # a bundled app has no ``python -m``
        _background = threading.Thread(target=ensure_compiled, daemon=True,
                                       name="kernel-compile")
        _background.start()
        return True
    env = dict(os.environ, NUMBA_CACHE_DIR=str(kernel_cache_dir()))
    _background = subprocess.Popen(
        [sys.executable, "-m", "designer.sim.compile"], env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return True


def kernel(notify: Callable[[str], None] | None = None) -> ModuleType:
    """The kernel an engine should use now: compiled (from memory or the cache), else the
    interpreted one while a background process compiles."""
    chosen = mode()
    if chosen == "interpreted" or numba.config.DISABLE_JIT:
        return interpreted()
    if chosen == "compiled" or compiled_ready() or not needs_compiling():
        ensure_compiled(notify)
        return K
    start_background(notify)
    return interpreted()


def status() -> str:
    """"ready", "cached" (compiled earlier, not loaded yet), "compiling" (in the background)
    or "not compiled"."""
    if _compiled:
        return "ready"
    if _background is not None and not compiled_ready():
        return "compiling"
    return "not compiled" if needs_compiling() else "cached"


def status_message() -> str:
    """One line for a status bar (empty when there is nothing to say)."""
    return BACKGROUND_MESSAGE.format(cache=kernel_cache_dir()) if status() == "compiling" \
        else ""


if __name__ == "__main__":        # the background compile: python -m designer.sim.compile
    ensure_compiled()
