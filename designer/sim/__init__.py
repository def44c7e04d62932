"""The simulation engine (no Qt): outbound paths, SNAT ports, NSGs, probes, generators."""
from .engine import Counters, Engine, FlowSample, Frame, Pacer, PortUse
from .paths import ProtocolPath, VmPath, resolve, resolve_paths
from .report import build_report, dumps_report, simulate, summary

__all__ = ["Counters", "Engine", "FlowSample", "Frame", "Pacer", "PortUse", "ProtocolPath",
           "VmPath", "resolve", "resolve_paths", "build_report", "dumps_report", "simulate",
           "summary"]
