"""Deleting a public IP that load balancer rules name as their frontend.

Azure does not let a frontend IP configuration go while rules use it; a diagram that did
would keep rules pointing at nothing.  So deleting such an IP asks what becomes of those
rules, and does it in the same undo step as the delete: remove them, or point them at
another frontend the load balancer keeps (Cancel deletes nothing).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from ...model import Topology


@dataclass(frozen=True)
class RuleReferences:
    """The rules of one load balancer that name deleted public IPs."""
    lb_id: str
    rules: tuple[str, ...]            # load-balancing rules (by name)
    outbound_rules: tuple[str, ...]   # outbound rules (by name)
    #: frontends the load balancer keeps, that the rules could use instead
    remaining: tuple[str, ...]

    def describe(self, topology: Topology) -> str:
        names = [f"rule {r}" for r in self.rules] + [f"outbound rule {r}" for r in self.outbound_rules]
        return f"{', '.join(names)} of {topology.node(self.lb_id).display_name}"


def references_to(topology: Topology, deleted: set[str]) -> list[RuleReferences]:
    """Rules of the load balancers that stay which name one of the ``deleted`` nodes."""
    out = []
    for lb in topology.nodes("load_balancer"):
        if lb.id in deleted:
            continue
        rules = tuple(r.name for r in lb.rules if r.frontend in deleted)
        outbound = tuple(r.name for r in lb.outbound_rules if set(r.frontends) & deleted)
        if rules or outbound:
            remaining = tuple(f for f in topology.frontends(lb.id) if f not in deleted)
            out.append(RuleReferences(lb.id, rules, outbound, remaining))
    return out


def fixed_balancer(topology: Topology, ref: RuleReferences, deleted: set[str],
                   choice: str):
    """The load balancer with its references resolved: ``choice`` is "remove" or
    "repoint" (onto its first remaining frontend)."""
    lb = topology.node(ref.lb_id)
    if choice == "repoint" and ref.remaining:
        target = ref.remaining[0]
        rules = tuple(dataclasses.replace(r, frontend=target) if r.frontend in deleted else r
                      for r in lb.rules)
        outbound = []
        for r in lb.outbound_rules:
            fronts = tuple(dict.fromkeys(target if f in deleted else f for f in r.frontends))
            outbound.append(dataclasses.replace(r, frontends=fronts))
        return dataclasses.replace(lb, rules=rules, outbound_rules=tuple(outbound))
    rules = tuple(r for r in lb.rules if r.frontend not in deleted)
    outbound = []
    for r in lb.outbound_rules:
        fronts = tuple(f for f in r.frontends if f not in deleted)
        if fronts:
            outbound.append(dataclasses.replace(r, frontends=fronts))
    return dataclasses.replace(lb, rules=rules, outbound_rules=tuple(outbound))


def ask(parent, topology: Topology, refs: list[RuleReferences]) -> str | None:
    """Ask what becomes of the rules: "remove", "repoint", or None (cancel)."""
    lines = "\n".join(f"• {ref.describe(topology)}" for ref in refs)
    box = QMessageBox(parent)
    box.setWindowTitle("Rules use this public IP")
    box.setIcon(QMessageBox.Icon.Question)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(f"These rules use the public IP you are deleting:\n{lines}\n\n"
                f"Azure needs a frontend for every rule.")
    remove = box.addButton("Remove the Rules", QMessageBox.ButtonRole.DestructiveRole)
    repoint = None
    if all(ref.remaining for ref in refs):
        targets = ", ".join(sorted({topology.node(ref.remaining[0]).display_name
                                    for ref in refs}))
        repoint = box.addButton(f"Use {targets} Instead", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    clicked = box.clickedButton()
    if clicked is remove:
        return "remove"
    if repoint is not None and clicked is repoint:
        return "repoint"
    return None
