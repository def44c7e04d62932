"""Applying a fix variant to the open document as one undo step.

A variant is the compared scenario plus edits (new NAT gateway and IPs, a changed load
balancer, ...).  The command computes that difference once — nodes added, removed and
replaced, links added and removed — and plays it forwards or backwards on the model.  It
refuses a document that changed since the comparison ran (its edits would be lost).
"""
from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from ...model import Scenario, dumps
from ...model.links import Link


class ApplyVariantCommand(QUndoCommand):
    """Turn ``scenario`` into ``variant`` (same ids for what they share)."""

    def __init__(self, scenario: Scenario, variant: Scenario, text: str):
        super().__init__(text)
        self.scenario = scenario
        old, new = scenario.topology, variant.topology
        old_ids, new_ids = set(old.node_ids()), set(new.node_ids())
        self.added = [new.node(i) for i in new.node_ids() if i not in old_ids]
        self.removed = [old.node(i) for i in old.node_ids() if i not in new_ids]
        self.replaced = [(old.node(i), new.node(i)) for i in old.node_ids()
                         if i in new_ids and old.node(i) != new.node(i)]
        old_links, new_links = set(old.links()), set(new.links())
        self.links_added = [link for link in new.links() if link not in old_links]
        self.links_removed = [link for link in old.links() if link not in new_links]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.replaced or self.links_added
                    or self.links_removed)

    def _play(self, add_nodes, remove_nodes, replace, add_links, remove_links) -> None:
        topo = self.scenario.topology
        for link in remove_links:
            if topo.has_link(link):
                topo.disconnect(link)
        for component in remove_nodes:
            topo.remove_node(component.id)
        for component in add_nodes:
            topo.add_node(component)
        for component in replace:
            topo.replace_node(component)
        for link in add_links:
            topo.connect(Link(link.source, link.target, link.kind), check_limits=False)

    def redo(self) -> None:
        self._play(self.added, self.removed, [n for _, n in self.replaced], self.links_added,
                   self.links_removed)

    def undo(self) -> None:
        self._play(self.removed, self.added, [o for o, _ in self.replaced], self.links_removed,
                   self.links_added)


def unchanged_since(scenario: Scenario, compared_text: str) -> bool:
    """True when the document still is the scenario the comparison ran on."""
    return dumps(scenario) == compared_text
