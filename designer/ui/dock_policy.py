"""Room to work at the default 1360x860: which docks show, and how tall.

- The left and right dock columns run down to the status bar; the Findings dock sits under
  the canvas only, so the Inspector gets the whole height of the right column.
- The Metrics dock (its content is the live simulation's) shows while a simulation runs or
  is paused, and while one node that has metrics is selected (a VM, public IP, NAT gateway or
  load balancer); otherwise it is hidden and the Inspector keeps the room for rule tables and
  their row form.  When it shows, the Inspector keeps the larger share.
- A user who shows or hides Metrics by hand (View ▸ Panels) keeps that choice until the
  window closes.

``install_dock_policy(window)`` is the window's one call; ``set_scene`` follows document
swaps.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer

#: node kinds the Metrics dock has curves for
METRICS_KINDS = ("vm", "public_ip", "nat_gateway", "load_balancer")
#: the Inspector's share of the right column while Metrics shows
INSPECTOR_SHARE = 0.58


class DockPolicy(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.setObjectName("dock-policy")
        self.window = window
        window.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        window.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.dock = getattr(getattr(window, "live", None), "dock_metrics", None)
        #: what the user chose by hand for Metrics this session (None: follow the policy)
        self.user_choice: bool | None = None
        self._applying = False
        self.scene = None
        # sharing the column waits for the layout to take the dock in (a child timer: it
        # goes with the window, so it never fires on deleted docks)
        self._share_timer = QTimer(self)
        self._share_timer.setObjectName("dock-policy-share")
        self._share_timer.setSingleShot(True)
        self._share_timer.setInterval(0)
        self._share_timer.timeout.connect(self._share_column)
        if self.dock is None:
            return
        self.dock.toggleViewAction().triggered.connect(self._user_toggled)
        # the simulation's state shows in its actions (Reset is enabled unless stopped)
        for name in ("action-sim-reset", "action-sim-pause"):
            action = window.actions_by_name.get(name)
            if action is not None:
                action.changed.connect(self.apply)

    # ------------------------------------------------------------------ inputs
    def set_scene(self, scene) -> None:
        self.scene = scene
        scene.selectionChanged.connect(self.apply)
        self.apply()

    def _user_toggled(self, checked: bool) -> None:
        if not self._applying:
            self.user_choice = bool(checked)
            if checked:
                self._share_column()

    def simulation_active(self) -> bool:
        live = getattr(self.window, "live", None)
        state = getattr(live, "state", None)
        if state is not None:
            return state != "stopped"
        reset = self.window.actions_by_name.get("action-sim-reset")
        return reset is not None and reset.isEnabled()

    def metrics_wanted(self) -> bool:
        if self.user_choice is not None:
            return self.user_choice
        if self.simulation_active():
            return True
        scene = self.scene
        if scene is None:
            return False
        ids = scene.selected_node_ids()
        if len(ids) != 1:
            return False
        item = scene.node_item(ids[0])
        return item is not None and item.kind in METRICS_KINDS

    # ------------------------------------------------------------------ output
    def apply(self, *_args) -> None:
        dock = self.dock
        presentation = getattr(getattr(self.window, "live", None), "presentation", None)
        if dock is None or getattr(presentation, "active", False):
            return  # presentation mode hides every dock itself
        wanted = self.metrics_wanted()
        # isHidden, not isVisible: before the window is first shown every dock is invisible,
        # and one not hidden explicitly would show with the window
        if wanted == (not dock.isHidden()) or dock.isFloating() and wanted:
            return
        self._applying = True
        try:
            dock.setVisible(wanted)
        finally:
            self._applying = False
        if wanted:  # the Inspector keeps the larger share (again once the layout settles)
            self.window.layout().activate()
            self._share_column()
            self._share_timer.start()

    def _share_column(self) -> None:
        window, dock = self.window, self.dock
        if dock is None or not dock.isVisible() or dock.isFloating():
            return
        inspector = window.dock_inspector
        if window.dockWidgetArea(dock) != window.dockWidgetArea(inspector):
            return
        total = inspector.height() + dock.height()
        share = int(total * INSPECTOR_SHARE)
        window.resizeDocks([inspector, dock], [share, total - share], Qt.Orientation.Vertical)


def install_dock_policy(window) -> DockPolicy:
    """Lay the window out for work and keep Metrics out of the way until it has something
    to show (see the module's docstring)."""
    return DockPolicy(window)
