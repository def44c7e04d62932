"""The edits made while a simulation runs, in words, for the run's ``edit`` events.

Every gesture ends in one undo command whose text says what the user did ("Add NAT gateway",
"Set rate_per_s of flood"); undo and redo are gestures too.  :class:`EditJournal` collects
those texts and the model's change events between two snapshots handed to the engine, and
:meth:`EditJournal.take` turns them into the note the worker stamps with the simulated time it
applies the snapshot (``{"t", "kind": "edit", "what", "nodes"}`` in the report and the log).
"""
from __future__ import annotations

from ...model.topology import ChangeEvent

#: nodes named in one edit event at most (a paste of 500 nodes says "and N more")
MAX_NODES = 20


def describe_change(event: ChangeEvent) -> str:
    """One model change in words (for an edit whose gesture has no undo text, e.g. merged)."""
    if event.kind == "node_added":
        return f"added {event.node_id}"
    if event.kind == "node_removed":
        return f"removed {event.node_id}"
    if event.kind in ("link_added", "link_removed") and event.link is not None:
        verb = "linked" if event.kind == "link_added" else "unlinked"
        return f"{verb} {event.link.source} → {event.link.target} ({event.link.kind})"
    if event.kind == "property_changed":
        return f"{event.node_id}.{event.field} = {event.new!r}"
    if event.kind == "scenario_changed":
        return f"scenario {event.field} = {event.new!r}"
    return event.kind.replace("_", " ")


class EditJournal:
    def __init__(self):
        self._texts: list[str] = []
        self._changes: list[str] = []
        self._nodes: list[str] = []
        self._last_index: int | None = None

    def reset(self, undo_stack=None) -> None:
        self._texts.clear()
        self._changes.clear()
        self._nodes.clear()
        self._last_index = undo_stack.index() if undo_stack is not None else None

    def undo_index_changed(self, undo_stack, index: int) -> None:
        """The undo stack moved: a gesture (push or redo: forwards) or an undo (backwards)."""
        last, self._last_index = self._last_index, index
        if last is None or index == last:
            return
        if index > last:        # a new command, or redo (possibly several, from the history)
            self._texts.extend(undo_stack.text(i) for i in range(last, index))
        else:
            self._texts.extend(f"Undo {undo_stack.text(i)}" for i in range(last - 1, index - 1, -1))

    def model_changed(self, event: ChangeEvent) -> None:
        if event.kind == "moved":
            return
        self._changes.append(describe_change(event))
        for node in (event.node_id,
                     event.link.source if event.link else None,
                     event.link.target if event.link else None):
            if node and node not in self._nodes:
                self._nodes.append(node)

    def pending(self) -> bool:
        return bool(self._texts or self._changes)

    def take(self) -> dict | None:
        """The note for the snapshot about to be handed over (None when nothing changed)."""
        if not self.pending():
            return None
        what = "; ".join(dict.fromkeys(t for t in self._texts if t)) or \
            "; ".join(self._changes[:3]) + (f" and {len(self._changes) - 3} more changes"
                                             if len(self._changes) > 3 else "")
        nodes = self._nodes[:MAX_NODES]
        note = {"what": what, "nodes": nodes}
        if len(self._nodes) > MAX_NODES:
            note["more_nodes"] = len(self._nodes) - MAX_NODES
        self._texts.clear()
        self._changes.clear()
        self._nodes.clear()
        return note
