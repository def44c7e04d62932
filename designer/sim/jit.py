"""How the kernel is compiled: numba ``@njit(cache=True, nogil=True)``, with its cache in the
user's cache folder (the installed package may be read-only).

The cache folder follows the platform's conventions: ``$XDG_CACHE_HOME`` or ``~/.cache`` on
Linux, ``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%`` on Windows, then
``outbound-designer/numba``.  ``NUMBA_CACHE_DIR`` set by the user wins.  It is set here, before
any kernel function is decorated (numba picks the cache location at decoration time).

The first run after an install compiles the kernel (a few seconds); later runs load it from
the cache in a fraction of a second.  :func:`designer.sim.compile.ensure_compiled` says which
case applies, so the command line and the editor can tell the user.
"""
from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import numba
from llvmlite import ir
from numba import types
from numba.core import caching, cgutils
from numba.extending import intrinsic

APP_DIR_NAME = "outbound-designer"


def user_cache_dir() -> Path:
    """The platform's folder for this program's caches."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / APP_DIR_NAME / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / APP_DIR_NAME
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / APP_DIR_NAME


def kernel_cache_dir() -> Path:
    """Where the compiled kernel is kept."""
    if numba.config.CACHE_DIR:
        return Path(numba.config.CACHE_DIR)
    return user_cache_dir() / "numba"


if not numba.config.CACHE_DIR:          # the user's NUMBA_CACHE_DIR wins
    _dir = kernel_cache_dir()
    try:
        _dir.mkdir(parents=True, exist_ok=True)
        numba.config.CACHE_DIR = str(_dir)
    except OSError:                      # no writable home: numba's own fallbacks apply
        pass

#: the files whose content keys the kernel's cache (a function's own file is not enough: the
#: constants of kernel_layout.py are frozen into every function's machine code, and so is the
#: prefetch below)
KERNEL_FILES = ("kernel.py", "kernel_layout.py", "jit.py")
_HERE = Path(__file__).resolve().parent
_stamp: str | None = None


def kernel_source_stamp() -> str:
    global _stamp
    if _stamp is None:
        digest = hashlib.sha256()
        for name in KERNEL_FILES:
            digest.update((_HERE / name).read_bytes())
        _stamp = digest.hexdigest()
    return _stamp


# numba renamed these (0.60 has the underscored names)
_UserLocator = getattr(caching, "UserProvidedCacheLocator", None) or \
    getattr(caching, "_UserProvidedCacheLocator")
_CacheImpl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl")


class KernelCacheLocator(_UserLocator):
    """numba's locator for the user's cache folder, for the kernel's functions only, with a
    source stamp over every kernel file."""

    @classmethod
    def from_function(cls, py_func, py_file):
        path = Path(py_file).resolve()
        if path.parent != _HERE or path.name not in KERNEL_FILES:
            return None
        return super().from_function(py_func, py_file)

    def get_source_stamp(self):
        return kernel_source_stamp()


if KernelCacheLocator not in _CacheImpl._locator_classes:
    _CacheImpl._locator_classes.insert(0, KernelCacheLocator)

#: the decorator of every kernel function.  (numba's own inlining, ``inline="always"``, is not
#: used: it types a helper again at every call site, which made compiling slower; LLVM still
#: inlines small helpers into their callers.)
jit = numba.njit(cache=True, nogil=True)


@intrinsic
def prefetch(typingctx, array, index):
    """``prefetch(array, index)``: ask the CPU to bring the cache line of ``array[index]`` in
    (LLVM's prefetch: read, keep in every cache level); no effect on any value.

    The kernel's time goes to cache misses - a random destination row at each arrival, the
    flow row of each timer - which it knows some events in advance: fetched ahead, they are
    there when needed.  ``index`` must be within the array.  (The interpreted kernel gets a
    do-nothing function instead.)"""
    if not isinstance(array, types.Array) or not isinstance(index, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        address = builder.gep(data, [args[1]])
        # i8*: the intrinsic's name is llvm.prefetch.p0i8 with typed pointers (older numba),
        # llvm.prefetch.p0 with opaque ones (llvmlite names the type either way)
        address = builder.bitcast(address, ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [address.type, i32, i32, i32]),
            "llvm.prefetch." + address.type.intrinsic_name)
        builder.call(function, [address, i32(0), i32(3), i32(1)])   # read, all levels, data
        return context.get_dummy_value()

    return types.void(array, index), codegen
