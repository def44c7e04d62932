"""The live simulation in the editor: runner thread, flow overlay, gauges, metrics, event log,
traffic generator drops, "Why this path?" and Presentation mode (issue 5).

The window makes one call, :func:`install_live_simulation`, and tells the returned object
about document swaps (``set_document``) and shutdown."""
from .controller import LiveSimulation, install_live_simulation

__all__ = ["LiveSimulation", "install_live_simulation"]
