"""A static layer under the moving items while a drag runs.

Dragging 100 nodes of a 2,000-node diagram used to repaint every item in the moved area on
every frame (and, far out, every tile and line of the diagram).  When a drag starts, each
view renders once what stays still into a pixmap (its background for the drag), and the
still items are hidden; each frame then paints the pixmap and the moving nodes with their
links only.  On release (or cancel) everything is shown again and painted normally.

The far layer (far-out drawing of every tile and line in one item) is split the same way:
it draws only the still part into the pixmap, then only the moving part.  A drop target box
is highlighted by the view's foreground while the drag runs (the box itself is in the
pixmap).  If the view's transform or scroll position changes during the drag, the view
drops its pixmap and paints normally again.
"""
from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Iterable

from PySide6.QtWidgets import QGraphicsItem

if TYPE_CHECKING:
    from .scene import DiagramScene


class StaticLayer:
    """Owned by the scene: ``begin(moving ids)`` when a drag starts, ``end()`` after it."""

    def __init__(self, scene: "DiagramScene"):
        self.scene = scene
        self.active = False
        self._hidden: list[QGraphicsItem] = []
        self._moving_links: list = []
        self._views: list = []
        self._collecting = False

    def begin(self, moving_ids: Iterable[str]) -> None:
        scene = self.scene
        views = [v for v in scene.views() if hasattr(v, "capture_static_layer")
                 and v.isVisible()]
        if self.active or not views:
            return
        moving_nodes = {scene.node_item(i) for i in moving_ids} - {None}
        keys = set()
        for item in moving_nodes:
            keys |= scene.link_keys_of(item.node_id)
        moving_links = [scene.link_item_by_key(k) for k in keys]
        moving_links = [l for l in moving_links if l is not None]
        moving = set(moving_nodes) | set(moving_links)
        still = [i for i in scene.all_node_items() if i not in moving and i.isVisible()]
        still += [l for l in scene.all_link_items() if l not in moving and l.shown]
        # 1. the pixmap: everything but what moves (and the far layer's still part)
        # (transparent rather than hidden: a hidden item would lose the mouse grab)
        opacities = [(item, item.opacity()) for item in moving]
        for item, _ in opacities:
            item.setOpacity(0.0)
        scene.far_layer.set_focus("still", moving_nodes, moving_links)
        for view in views:
            view.capture_static_layer()
        for item, opacity in opacities:
            item.setOpacity(opacity)
        # 2. the frames: only what moves, over the pixmap
        for item in still:
            item.setVisible(False)
        scene.far_layer.set_focus("moving", moving_nodes, moving_links)
        self._hidden = still
        self._moving_links = moving_links
        self._views = views
        self.active = True
        # no full garbage collection in the middle of a drag (a pass over every object of a
        # 2,000-node diagram stalls a frame by 50-150 ms): collected after the drop
        self._collecting = gc.isenabled()
        gc.disable()

    def end(self) -> None:
        if not self.active:
            return
        self.active = False
        if self._collecting:
            gc.enable()
        for item in self._hidden:
            item.setVisible(True)
        self._hidden = []
        for link in self._moving_links:
            link.refresh_geometry()  # the hit areas a far-out drag left for later
        self._moving_links = []
        self.scene.far_layer.set_focus(None)
        for view in self._views:
            view.drop_static_layer()
        self._views = []
