"""The diagram canvas: a scene mirroring the model, its items, interactions and views.

- ``scene.DiagramScene(scenario, undo_stack)`` subscribes to the topology and keeps
  ``id -> item`` maps; every gesture ends in one command from ``designer.ui.commands``
  (a drag into a box is one "Move vm-1 into subnet-1" step: move + leave + join).
- ``items``: ``NodeItem`` (tile, SVG glyph with one shared ``QSvgRenderer`` per kind or a vector
  fallback, name and detail line, finding badge, connection handle), ``ContainerItem``
  (subnet / VNet box, title, resize grip), ``LinkItem`` (style per link kind, arrowhead,
  finding marker; ``in_subnet`` / ``in_vnet`` drawn only when the member sits outside its box,
  dashed), ``FarLayer`` (far out, every tile and line in a few batched calls).
- ``interactions``: move, resize, connect (valid targets light up, refusals say why) and pan
  handlers; ``view.DiagramView`` (zoom around the cursor, pan, fit, palette and file drops,
  level of detail) and ``view.Overview`` (minimap).

Positions: a node's ``position`` is its centre; a box's is its top-left, ``size`` its extent.
Snap grid 20 units (Alt bypasses).  Without a view the scene renders for export:
``set_export_mode(True)`` hides grid, selection, hover, handles and grips, draws full detail
and turns pixel caches off; ``set_theme(dark)`` switches the palettes.

Speed (tests/benchmarks/test_canvas_speed.py, 2,000 nodes / 3,000 links): C++ items only,
roots that paint nothing but let Qt cull whole subtrees, no ``itemChange`` override, shared
cosmetic pens, no BSP index, the grid cached by the view, text and glyphs pixel-cached,
link updates batched per drag frame, and far out one batched layer plus a view pixmap that
is re-rendered only where the scene changed.
"""
from .scene import CLIPBOARD_MIME, DiagramScene
from .overview import Overview
from .view import KIND_MIME, DiagramView

__all__ = ["CLIPBOARD_MIME", "KIND_MIME", "DiagramScene", "DiagramView", "Overview"]
