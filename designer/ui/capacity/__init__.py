"""Capacity planning in the editor (fix comparison, sweeps): see controller.py."""
from .controller import CapacityPlanner, install_capacity

__all__ = ["CapacityPlanner", "install_capacity"]
