"""The editor's side of the run limits (docs/run-limits.md): the "Simulation memory limit"
preference (QSettings ``simulation/max_memory``; default 80 % of the machine's memory), set
from Simulation ▸ Memory Limit…, and the question asked before a run whose estimate exceeds
it (``designer.sim.budget``).  ``install_run_limits(window)`` adds the menu entry."""
from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QMenu, QMessageBox

from ..sim import budget

SETTING = "simulation/max_memory"


def memory_limit_text(window) -> str:
    """The preference as the user wrote it ("" = the default)."""
    return str(window.settings.q.value(SETTING, "") or "")


def memory_limit(window) -> float | None:
    """The memory limit in bytes for the next run (None = no limit)."""
    text = memory_limit_text(window)
    if text:
        try:
            return budget.parse_size(text)
        except ValueError:
            pass                       # a hand-edited setting that makes no sense: the default
    return budget.default_limit()


def set_memory_limit(window, text: str) -> None:
    """Store the preference; ``""`` goes back to the default.  Raises ValueError for a size
    that cannot be read."""
    text = text.strip()
    if text:
        budget.parse_size(text)
    window.settings.q.setValue(SETTING, text)


def ask_to_run_anyway(window, why: str) -> bool:
    """The estimate exceeds the limit: True when the user wants the run anyway."""
    answer = QMessageBox.question(
        window, "Simulation memory limit",
        f"{why[0].upper()}{why[1:]}.\n\nRunning it anyway may make the computer slow or end "
        f"the program. The limit is a preference (Simulation ▸ Memory Limit…).\n\n"
        f"Run the simulation anyway?",
        QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
    return answer == QMessageBox.Yes


def edit_memory_limit(window) -> None:
    default = budget.default_limit()
    hint = (f"default: {budget.format_bytes(default)}, 80% of this machine's memory"
            if default else "default: no limit")
    text, ok = QInputDialog.getText(
        window, "Simulation memory limit",
        f"Ask before a run estimated to need more memory than this\n(like 4G or 500M; none "
        f"for no limit; empty for the {hint}):", text=memory_limit_text(window))
    if not ok:
        return
    try:
        set_memory_limit(window, text)
    except ValueError as exc:
        QMessageBox.warning(window, "Simulation memory limit", str(exc))
        return
    limit = memory_limit(window)
    window.show_status("Simulation memory limit: " +
                       (budget.format_bytes(limit) if limit is not None else "none"))


def install_run_limits(window) -> QAction:
    """Add Simulation ▸ Memory Limit… to ``window`` (after the live simulation's menu)."""
    action = window._action("sim-memory-limit", "Memory &Limit…",
                            lambda: edit_memory_limit(window), None,
                            "Ask before a simulation estimated to need more memory than this")
    menu = window.menuBar().findChild(QMenu, "menu-simulation")
    if menu is not None:
        menu.addSeparator()
        menu.addAction(action)
    return action
