"""Helpers of the live-simulation tests: wait on simulated time, read counters, the NAT gateway
fix of the demo."""
from __future__ import annotations

from designer.model import Link, make_component
from designer.ui.commands import AddNodesCommand

WAIT_MS = 20_000


def frame_t(window) -> float:
    frame = window.live.frame
    return frame.t if frame is not None else -1.0


def wait_sim(qtbot, window, t: float) -> None:
    """Wait until the latest frame is at least ``t`` simulated seconds in."""
    qtbot.waitUntil(lambda: frame_t(window) >= t, timeout=WAIT_MS)


def failed_snat(window, vm: str) -> int:
    return window.live.frame.vms[vm].failed_snat


def add_nat_gateway(window) -> None:
    """The documented fix: a NAT gateway with a public IP on web-1's subnet (one undo step)."""
    scenario = window.document.scenario
    nat = make_component("nat_gateway", "nat-web", position=(1020.0, 300.0))
    pip = make_component("public_ip", "nat-web-ip", position=(1200.0, 300.0), sku="standard")
    window.document.undo_stack.push(AddNodesCommand(
        scenario, [nat, pip], [Link("nat-web", "web", "nat"), Link("nat-web", "nat-web-ip", "nat")],
        text="Add NAT gateway"))
