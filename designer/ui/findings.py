"""The findings dock: the live validation findings of the whole topology.

Validation runs on a short single-shot timer after the last model change (debounced, so a
drag or a burst of edits validates once), fills the list and hands the findings to the scene
(badges on nodes, markers on links).  Clicking a finding asks the window to select and centre
its node (or the link's source).
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QTimer, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QStyle, QTreeWidget,
                               QTreeWidgetItem, QVBoxLayout, QWidget)

from ..model import Scenario
from ..model.validation import Finding, validate
from .text import plain_label, plain_tooltip

DEBOUNCE_MS = 300
FINDING_ROLE = Qt.UserRole + 1
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


class FindingsPanel(QWidget):
    """``findingsChanged(list)`` after each validation; ``findingActivated(Finding)`` on click."""

    findingsChanged = Signal(list)
    findingActivated = Signal(object)

    def __init__(self, parent: QWidget | None = None,
                 validator: Callable[[Scenario], list[Finding]] = validate):
        super().__init__(parent)
        self.validator = validator
        self.scenario: Scenario | None = None
        self.findings: list[Finding] = []
        self.timer = QTimer(self)
        self.timer.setObjectName("findings-debounce")
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self.refresh)
        self.summary = plain_label()
        self.summary.setObjectName("findings-summary")
        self.tree = QTreeWidget()
        self.tree.setObjectName("findings-list")
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Where", "Finding", "Rule"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SingleSelection)
        self.tree.setWordWrap(True)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeToContents)
        header.setStretchLastSection(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)
        self.tree.itemClicked.connect(self._clicked)
        self.tree.itemActivated.connect(self._clicked)
        style = self.style()
        self.icons = {"error": style.standardIcon(QStyle.SP_MessageBoxCritical),
                      "warning": style.standardIcon(QStyle.SP_MessageBoxWarning),
                      "info": style.standardIcon(QStyle.SP_MessageBoxInformation)}

    def set_document(self, scenario: Scenario) -> None:
        self.detach()
        self.scenario = scenario
        scenario.topology.subscribe(self._on_change)
        self.tree.clear()
        self.findings = []
        self.summary.setText("Checking…")
        self.timer.start()  # validate once the window has shown the new document

    def detach(self) -> None:
        self.timer.stop()
        if self.scenario is not None:
            self.scenario.topology.unsubscribe(self._on_change)
        self.scenario = None

    def _on_change(self, event) -> None:
        if event.kind == "moved" or (event.kind == "property_changed" and event.field == "size"):
            return  # where things are drawn changes no finding
        self.timer.start()  # restarts: validation runs DEBOUNCE_MS after the last change

    def refresh(self) -> None:
        """Validate now (the debounce timer calls this; tests may call it directly)."""
        self.timer.stop()
        if self.scenario is None:
            return
        try:
            findings = list(self.validator(self.scenario))
        except Exception as exc:  # noqa: BLE001 - a validator bug must not take the editor down
            findings = [Finding("error", "validator-failed",
                                f"validation failed: {type(exc).__name__}: {exc}")]
        findings.sort(key=lambda f: (SEVERITY_ORDER.get(f.severity, 3), f.node_id or "",
                                     f.code))
        self.findings = findings
        self.tree.clear()
        for finding in findings:
            where = finding.node_id or (f"{finding.link.source} → {finding.link.target}"
                                        if finding.link else "scenario")
            item = QTreeWidgetItem([where, finding.message, finding.code])
            item.setIcon(0, self.icons.get(finding.severity, self.icons["info"]))
            item.setToolTip(1, plain_tooltip(finding.format()))
            item.setData(0, FINDING_ROLE, finding)
            self.tree.addTopLevelItem(item)
        counts = {s: sum(f.severity == s for f in findings) for s in SEVERITY_ORDER}
        self.summary.setText("No findings" if not findings else
                             f"{counts['error']} error(s), {counts['warning']} warning(s), "
                             f"{counts['info']} note(s)")
        self.findingsChanged.emit(findings)

    def item_for(self, finding: Finding) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, FINDING_ROLE) == finding:
                return item
        return None

    def _clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        finding = item.data(0, FINDING_ROLE)
        if finding is not None:
            self.findingActivated.emit(finding)
