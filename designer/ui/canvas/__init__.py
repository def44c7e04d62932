"""The diagram canvas: a scene mirroring the model, its items, interactions and views.

- ``scene.DiagramScene(scenario, undo_stack)`` subscribes to the topology and keeps
  ``id -> item`` maps (mirroring, link geometry, queries, names far out, mouse dispatch);
  its gestures that change the model are in ``editing.SceneEditing`` (place, connect, delete
  with the rules that name a deleted public IP (``references``), copy / paste, move, nudge,
  align, distribute, auto-layout): each ends in one command from ``designer.ui.commands``.
- ``items``: ``NodeItem`` (tile, SVG glyph with one shared ``QSvgRenderer`` per kind or a vector
  fallback, a caption with the name and detail line, finding badge, connection handle),
  ``ContainerItem`` (subnet / VNet box, caption, resize grip), ``LinkItem`` (style per link
  kind, arrowhead, finding marker; ``in_subnet`` / ``in_vnet`` drawn only when the member sits
  outside its box, dashed); ``farlayer.FarLayer`` (far out, every tile and line in a few
  batched calls); ``geometry`` (where links meet tiles and boxes, in floats).
- ``interactions``: move, resize, connect (valid targets light up, refusals say why) and pan
  handlers; ``keyboard`` (arrow keys nudge, Tab steps through nodes); ``rename`` (the name
  editor of F2 and double-click); ``draglayer.StaticLayer`` (what stays still during a drag,
  drawn once); ``view.DiagramView`` (zoom around the cursor, pan, fit at any size, palette and
  file drops, level of detail) and ``overview.Overview`` (minimap).

Positions: a node's ``position`` is its centre; a box's is its top-left, ``size`` its extent.
Snap grid 20 units (Alt bypasses).  Without a view the scene renders for export:
``set_export_mode(True)`` hides grid, selection, hover, handles and grips, draws full detail
with pens that scale with the picture and turns pixel caches off; ``set_theme(dark)`` switches
the palettes.  Names keep MIN_TEXT_PX on screen far out (drawn untransformed, shown where they
fit, all on hover).

Speed (tests/benchmarks/test_canvas_speed.py and test_editor_scale.py, docs/editor.md): C++
items only, roots that paint nothing but let Qt cull whole subtrees, no ``itemChange``
override, shared cosmetic pens, no BSP index (a tile grid of our own answers "what is in this
box"), the grid cached by the view, text and glyphs pixel-cached, link updates batched per drag
frame and per command, a static layer under a drag, and far out one batched layer plus a view
pixmap that is re-rendered only where the scene changed.
"""
from .scene import CLIPBOARD_MIME, DiagramScene
from .overview import Overview
from .view import KIND_MIME, DiagramView

__all__ = ["CLIPBOARD_MIME", "KIND_MIME", "DiagramScene", "DiagramView", "Overview"]
