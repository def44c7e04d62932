"""Right-click menus on the canvas, with the actions that apply where one clicks:

- a node or box: Rename (F2), Cut, Copy, Duplicate, Delete, Select Linked Nodes, Select
  Contents (boxes), Align and Distribute (several selected), Zoom to Selection;
- a link: Delete Link, Select Both Ends;
- empty canvas: Paste Here, Add (every kind, at that point), Select All, Fit to View,
  Auto-layout, Show Grid.

Right-clicking something outside the selection selects it first (as file managers and
draw.io do).  The window's own actions are reused, so shortcuts and texts match the menus.
``install_context_menus(window)`` also adds Edit ▸ Rename (F2).
"""
from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from ..model import COMPONENT_CLASSES, NODE_KINDS
from ..model.links import LINK_RULES
from .canvas.items import ContainerItem, LinkItem, NodeItem
from .text import menu_text


class ContextMenus:
    def __init__(self, window):
        self.window = window
        #: how a menu is shown: replaced in tests (menu, global position) -> None
        self.popup = lambda menu, global_pos: menu.exec(global_pos)
        self.last_menu: QMenu | None = None
        rename = window._action("edit-rename", "Re&name", self.rename_selection, "F2",
                                "Rename the selected item on the canvas (double-click its "
                                "name does the same)")
        edit = window.menuBar().findChild(QMenu, "menu-edit")
        if edit is not None:
            edit.insertAction(window.action("action-edit-delete"), rename)
        window.documentShown.connect(self._hook_view)
        if window.view is not None:
            self._hook_view()

    def _hook_view(self) -> None:
        # on the view (not its viewport): a scroll area takes its viewport's context menu
        # events, and reports them in viewport coordinates
        view = self.window.view
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self.show_at)

    def rename_selection(self) -> None:
        view = self.window.view
        if view is not None:
            view.rename()

    # ------------------------------------------------------------------ the menus
    def show_at(self, viewport_pos: QPoint) -> None:
        view = self.window.view
        menu = self.menu_at(view.mapToScene(viewport_pos))
        self.last_menu = menu
        self.popup(menu, view.viewport().mapToGlobal(viewport_pos))

    def menu_at(self, scene_pos: QPointF) -> QMenu:
        """The menu for a right-click at ``scene_pos`` (selecting what was clicked)."""
        scene = self.window.scene
        hit = scene._hit(scene_pos)
        menu = QMenu(self.window)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if isinstance(hit, (NodeItem, ContainerItem)):
            if hit.node_id not in scene.selected_node_ids():
                scene.select_nodes([hit.node_id])
            menu.setObjectName("menu-context-node")
            self._node_menu(menu, hit)
        elif isinstance(hit, LinkItem):
            if hit.link not in scene.selected_links():
                scene.select_links([hit.link])
            menu.setObjectName("menu-context-link")
            self._link_menu(menu, hit)
        else:
            menu.setObjectName("menu-context-canvas")
            self._canvas_menu(menu, scene_pos)
        return menu

    def _add(self, menu: QMenu, name: str, text: str, slot) -> QAction:
        action = menu.addAction(text)
        action.setObjectName(f"action-context-{name}")
        action.triggered.connect(slot)
        return action

    def _node_menu(self, menu: QMenu, item) -> None:
        w, scene = self.window, self.window.scene
        selected = scene.selected_node_ids()
        title = menu.addAction(menu_text(item.component.display_name) if len(selected) == 1
                               else f"{len(selected)} items")
        title.setEnabled(False)
        menu.addSeparator()
        if len(selected) == 1:
            menu.addAction(w.action("action-edit-rename"))
        for name in ("cut", "copy", "duplicate", "delete"):
            menu.addAction(w.action(f"action-edit-{name}"))
        menu.addSeparator()
        self._add(menu, "select-linked", "Select &Linked Nodes",
                  lambda: scene.select_nodes(set(selected) | self._linked(selected)))
        if isinstance(item, ContainerItem):
            self._add(menu, "select-contents", "Select &Contents",
                      lambda: scene.select_nodes(scene.contents_closure(item.node_id)))
        if len(selected) >= 2:
            for name in ("menu-edit-align", "menu-edit-distribute"):
                sub = w.menuBar().findChild(QMenu, name)
                if sub is not None:
                    menu.addMenu(sub)
        menu.addAction(w.action("action-view-zoom-selection"))

    def _linked(self, ids) -> set[str]:
        topology = self.window.document.scenario.topology
        out = set()
        for node_id in ids:
            for link in topology.links_of(node_id):
                out.update((link.source, link.target))
        return out

    def _link_menu(self, menu: QMenu, item: LinkItem) -> None:
        scene, link = self.window.scene, item.link
        topology = self.window.document.scenario.topology
        names = [topology.node(n).display_name if n in topology else n
                 for n in (link.source, link.target)]
        title = menu.addAction(menu_text(f"{LINK_RULES[link.kind].label}: {names[0]} → "
                                         f"{names[1]}"))
        title.setEnabled(False)
        menu.addSeparator()
        self._add(menu, "delete-link", "&Delete Link", lambda: scene.delete_selection())
        self._add(menu, "select-ends", "Select Both &Ends",
                  lambda: scene.select_nodes([link.source, link.target]))

    def _canvas_menu(self, menu: QMenu, scene_pos: QPointF) -> None:
        w = self.window
        paste = self._add(menu, "paste-here", "&Paste Here", lambda: w.paste(at=scene_pos))
        paste.setEnabled(w.clipboard_items() is not None)
        add = menu.addMenu("&Add Here")
        add.setObjectName("menu-context-add")
        for kind in NODE_KINDS:
            action = add.addAction(COMPONENT_CLASSES[kind].LABEL)
            action.setObjectName(f"action-context-add-{kind}")
            action.triggered.connect(lambda _=False, k=kind: self._add_here(k, scene_pos))
        menu.addSeparator()
        for name in ("action-edit-select-all", "action-view-fit", "action-edit-auto-layout",
                     "action-view-grid"):
            menu.addAction(w.action(name))

    def _add_here(self, kind: str, scene_pos: QPointF) -> None:
        scene = self.window.scene
        scene.place_node(kind, scene_pos)
        self.window.view.setFocus()


def install_context_menus(window) -> ContextMenus:
    """Right-click menus on the canvas and Edit ▸ Rename (F2) for ``window``."""
    return ContextMenus(window)
