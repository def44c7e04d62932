"""One failure state for the banner, the gauge colours and the event log (issue 13).

The engine says when a VM starts failing new flows for want of a SNAT port (``snat_exhausted``)
and when a new flow would get a port again (``snat_recovered``, scenario-format.md section 2).
:class:`FailureState` follows those events and nothing else - no heuristic of the UI's own on
used/allocated ports - so the banner, the red gauges and the log rows always agree with the
engine: failing while new flows fail, back to normal the moment a port is free again.

:class:`AlertBanner` is the banner at the top of the canvas: the failing VMs with the time they
started failing and the documented fixes; after the last recovery, both times.  Other features
add their buttons to it with :meth:`AlertBanner.add_action` (the capacity helper's "Compare
fixes").

Where Azure logs the same thing, :func:`azure_event` names Azure's own record: a Standard load
balancer writes a ``SnatPortExhaustion`` health event per frontend IP (Log Analytics table
``ALBHealthEvent``, column ``HealthEventType``), so users learn what to query.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget



def clock_text(t: float) -> str:
    """Simulated time as mm:ss (h:mm:ss from an hour)."""
    t = max(t, 0.0)
    h, rest = divmod(int(t), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"



@dataclass(frozen=True)
class Exhaustion:
    """An open ``snat_exhausted``: a VM and protocol whose new flows fail for want of a port."""
    vm: str
    protocol: str
    since: float
    public_ip: str = ""          # the address(es) the event names, comma separated
    via: str | None = None       # the load balancer or NAT gateway of the path


@dataclass(frozen=True)
class Recovery:
    exhaustion: Exhaustion
    at: float


class FailureState:
    """The open SNAT exhaustions, as the engine's events say."""

    def __init__(self):
        self.open: dict[tuple[str, str], Exhaustion] = {}
        self.last_recovery: Recovery | None = None
        #: bumped on every change, so views can tell cheaply whether to redraw
        self.version = 0

    def clear(self) -> None:
        self.open.clear()
        self.last_recovery = None
        self.version += 1

    def apply(self, events: Iterable[dict]) -> bool:
        """Follow ``events`` (in time order); True when the state changed."""
        changed = False
        for e in events:
            kind = e.get("kind")
            if kind == "snat_exhausted":
                key = (str(e.get("vm")), str(e.get("protocol", "tcp")))
                if key not in self.open:
                    self.open[key] = Exhaustion(key[0], key[1], float(e["t"]),
                                                str(e.get("public_ip") or ""), e.get("via"))
                    changed = True
            elif kind == "snat_recovered":
                key = (str(e.get("vm")), str(e.get("protocol", "tcp")))
                ended = self.open.pop(key, None)
                if ended is not None:
                    self.last_recovery = Recovery(ended, float(e["t"]))
                    changed = True
        if changed:
            self.version += 1
        return changed

    @property
    def failing(self) -> bool:
        return bool(self.open)

    def failing_vms(self) -> list[str]:
        return sorted({vm for vm, _ in self.open})

    def failing_nodes(self, pip_by_address: dict[str, str] | None = None) -> set[str]:
        """Every node whose gauge turns red: the failing VMs, the load balancer or NAT gateway
        of their path, and the public IPs (by address) that their events name."""
        nodes: set[str] = set()
        for ex in self.open.values():
            nodes.add(ex.vm)
            if ex.via:
                nodes.add(ex.via)
            for address in filter(None, (a.strip() for a in ex.public_ip.split(","))):
                pip = (pip_by_address or {}).get(address)
                if pip:
                    nodes.add(pip)
        return nodes


def open_exhaustions(events: Iterable[dict]) -> FailureState:
    """The failure state after ``events`` (for a frame that carries every event so far, as
    ``export --at`` draws it)."""
    state = FailureState()
    state.apply(sorted(events, key=lambda e: e["t"]))
    return state


def azure_event(event: dict, topology) -> str | None:
    """What Azure itself logs for an engine event, or None where it logs nothing."""
    if event.get("kind") != "snat_exhausted":
        return None
    via = event.get("via")
    lb = topology.get(via) if via and topology is not None and via in topology else None
    if lb is None or lb.KIND != "load_balancer" or getattr(lb, "sku", "") != "standard":
        return None
    address = event.get("public_ip") or "?"
    return (f"Azure logs SnatPortExhaustion for frontend {address} (load balancer health event "
            f"log: ALBHealthEvent, HealthEventType == \"SnatPortExhaustion\")")


# ------------------------------------------------------------------------------ banner text

FIXES = ("Documented fixes: add frontend public IPs (an outbound rule with more ports per "
         "instance), attach a NAT gateway to its subnet, give the VM an instance public IP, or "
         "reuse connections (a connection pool).")


def _names(vms: list[str], names: dict[str, str]) -> str:
    shown = [f"<b>{html.escape(names.get(vm, vm))}</b>" for vm in vms[:3]]
    if len(vms) > 3:
        shown.append(f"{len(vms) - 3} more")
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def failing_text(state: FailureState, names: dict[str, str],
                 allocated: dict[tuple[str, str], int]) -> str:
    """The banner while VMs fail (rich text; names escaped)."""
    opened = sorted(state.open.values(), key=lambda x: x.since)
    first = opened[0]
    vms = list(dict.fromkeys(x.vm for x in opened))
    protocols = "/".join(sorted({x.protocol.upper() for x in opened}))
    verb = "is" if len(vms) == 1 else "are"
    ports = allocated.get((first.vm, first.protocol))
    what = (f"its {ports:,} SNAT ports are all in use" if len(vms) == 1 and ports else
            "their SNAT ports are all in use" if len(vms) > 1 else "its SNAT ports are all in use")
    return (f"{_names(vms, names)} {verb} failing new {protocols} flows since "
            f"<b>{clock_text(first.since)}</b>: {what} (SNAT exhaustion). {FIXES}")


def recovered_text(recovery: Recovery, names: dict[str, str]) -> str:
    ex = recovery.exhaustion
    return (f"{_names([ex.vm], names)} recovered at <b>{clock_text(recovery.at)}</b>: a SNAT "
            f"port is free again. New {ex.protocol.upper()} flows failed from "
            f"{clock_text(ex.since)} to {clock_text(recovery.at)}.")


# ------------------------------------------------------------------------------ the banner

STYLES = {   # severity -> background, border
    "warning": ("#fff4e5", "#f0a202"),
    "failing": ("#fdecea", "#d32f2f"),
    "error": ("#fdecea", "#d32f2f"),
    "ok": ("#e9f6ec", "#2e9d4f"),
}


class AlertBanner(QFrame):
    """A banner at the top of the canvas: text, then a row for extra actions (added with
    :meth:`add_action` or :meth:`add_vm_button`), and a close button."""

    #: callables called with every new banner (a window's document swap makes a new one),
    #: which may add their buttons: how other features (capacity: "Compare fixes") join in
    created_hooks: list = []

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setObjectName("alert-banner")
        self.subject: str | None = None
        self.severity = "warning"
        #: set by the owner: the failure state the banner shows (None for plain messages)
        self.state_version = -1
        self.label = QLabel()
        self.label.setObjectName("alert-banner-text")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.close_button = QToolButton()
        self.close_button.setObjectName("alert-banner-close")
        self.close_button.setText("✕")
        self.close_button.setToolTip("Hide until the next change")
        self.close_button.setAutoRaise(True)
        self.close_button.clicked.connect(self.dismiss)
        self.actions_row = QHBoxLayout()
        self.actions_row.setContentsMargins(0, 0, 0, 0)
        self.actions_row.addStretch(1)
        self._action_buttons: list[QToolButton] = []
        text_column = QVBoxLayout()
        text_column.setContentsMargins(0, 0, 0, 0)
        text_column.addWidget(self.label)
        text_column.addLayout(self.actions_row)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addLayout(text_column, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.set_style("warning")
        self.hide()
        for hook in list(AlertBanner.created_hooks):
            hook(self)

    # ---------------------------------------------------------------- extra actions
    def add_action(self, action: QAction, when: tuple[str, ...] = ("failing",)) -> QToolButton:
        """Show ``action`` as a button under the text while the banner's severity is one of
        ``when`` (by default: while VMs are failing).  Returns the button."""
        button = QToolButton()
        button.setDefaultAction(action)
        button.setObjectName(f"alert-banner-{action.objectName() or 'action'}")
        return self._add_button(button, when, needs_subject=False)

    def add_vm_button(self, object_name: str, text: str) -> QToolButton:
        """A button shown while the banner is about a VM (failing, or a warning with a
        subject: ``subject`` names it); the caller connects ``clicked``."""
        button = QToolButton()
        button.setObjectName(object_name)
        button.setText(text)
        return self._add_button(button, ("failing", "warning"), needs_subject=True)

    def _add_button(self, button: QToolButton, when, needs_subject: bool) -> QToolButton:
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        button.setProperty("banner_when", tuple(when))
        button.setProperty("banner_needs_subject", needs_subject)
        self.actions_row.insertWidget(self.actions_row.count() - 1, button)
        self._action_buttons.append(button)
        self._show_actions()
        return button

    def action_buttons(self) -> list[QToolButton]:
        return list(self._action_buttons)

    def _show_actions(self) -> None:
        for button in self._action_buttons:
            button.setVisible(self.severity in button.property("banner_when") and
                              (self.subject is not None or
                               not button.property("banner_needs_subject")))

    # ---------------------------------------------------------------- showing
    def set_style(self, severity: str) -> None:
        self.severity = severity
        bg, border = STYLES.get(severity, STYLES["warning"])
        self.setStyleSheet(f"#alert-banner {{ background: {bg}; border: 1px solid {border}; "
                           f"border-radius: 6px; }} #alert-banner QLabel, #alert-banner "
                           f"QToolButton {{ color: #1f2328; }}")
        self._show_actions()

    def show_message(self, html_text: str, subject: str | None = None,
                     severity: str = "warning") -> None:
        self.subject = subject
        self.set_style(severity)       # shows the buttons that apply
        self.label.setText(html_text)
        # placed once shown: while hidden the label may answer its height from a layout made
        # before it had text (after a grab of the view, a 3-line text got one line's height)
        self.show()
        self.place()
        self.raise_()

    def dismiss(self) -> None:
        self.subject = None
        self.hide()

    def place(self) -> None:
        parent = self.parentWidget()
        if parent is None:
            return
        width = min(max(parent.width() - 40, 200), max(760, parent.width() // 2))
        layout = self.layout()
        layout.invalidate()
        # the layout knows the wrapped text's height at this width, buttons and margins included
        height = layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else \
            layout.totalSizeHint().height()
        self.setFixedSize(width, max(height, 28))
        self.move((parent.width() - width) // 2, 10)
