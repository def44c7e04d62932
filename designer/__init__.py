"""Outbound Designer: draw Azure network topologies and simulate their outbound connections."""
import os

# The program does no linear algebra worth a thread pool, and OpenBLAS's threads spin when
# numpy is imported: 0.05 s of CPU in every process (each Dask worker too) on a 2-core machine.
# Set before numpy's first import; the user's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
APP_ID = "io.github.outbound_designer.OutboundDesigner"
