"""Canvas items: nodes, container boxes and links.

Performance notes (see perf-baselines.md, section 2): every visible part is a C++ item
(``QGraphicsPathItem``, ``QGraphicsSimpleTextItem``, ``QGraphicsSvgItem`` sharing one
``QSvgRenderer`` per kind).  The selectable root of each node, box and link is an invisible
path item whose ``paint()`` does nothing (so Qt's dashed selection rectangle never appears;
selection is shown by restyling the visible children) and which declares
``ItemContainsChildrenInShape``, so Qt culls an off-screen node or link as a whole.  No
``itemChange`` override (Qt calls it for every change of every item).  Pens are cosmetic and
shared; glyphs use ``DeviceCoordinateCache`` so an SVG is rasterised once per zoom level.

Items never write to the model: they are positioned and restyled by the scene.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Iterable

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainterPath, QPen, QPolygonF
from PySide6.QtSvgWidgets import QGraphicsSvgItem
from PySide6.QtWidgets import (QGraphicsEllipseItem, QGraphicsItem, QGraphicsPathItem,
                               QGraphicsRectItem, QGraphicsSimpleTextItem)

from ...model import Component, Link
from ...model.links import LINK_RULES
from ..text import plain_tooltip
from . import glyphs, zorder
from .style import (GLYPH_SIZE, LINK_STYLES, SEVERITY_COLORS, SEVERITY_ORDER, TILE_RADIUS,
                    TILE_SIZE, CanvasPalette, color, cosmetic_pen, readable)

if TYPE_CHECKING:
    from ...model.validation import Finding

NO_PEN = QPen(Qt.PenStyle.NoPen)
SELECTABLE = QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
DEVICE_CACHE = QGraphicsItem.CacheMode.DeviceCoordinateCache
NO_CACHE = QGraphicsItem.CacheMode.NoCache
NO_BUTTON = Qt.MouseButton.NoButton
NO_BRUSH = QBrush(Qt.BrushStyle.NoBrush)
F = QGraphicsItem.GraphicsItemFlag

#: detail levels set by the view from its zoom (labels and glyphs fade out when far away)
DETAIL_FULL, DETAIL_REDUCED, DETAIL_MINIMAL = 2, 1, 0


def _font(pixel_size: int, bold: bool = False) -> QFont:
    font = QFont()
    # module-level fonts exist before the QApplication: name a sans family explicitly, or
    # headless exports fall back to a serif face
    font.setFamilies(["DejaVu Sans", "Segoe UI", "Helvetica Neue", "Arial", "sans-serif"])
    font.setStyleHint(QFont.StyleHint.SansSerif)
    font.setPixelSize(pixel_size)
    font.setBold(bold)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    return font


LABEL_FONT = _font(12, bold=False)
#: names never shrink below this on screen: further out, captions are drawn untransformed at
#: this size (scaled by CAPTION_SCALE) and shown only where they fit beside their neighbours
MIN_TEXT_PX = 10.0
CAPTION_SCALE = MIN_TEXT_PX / 12.0
IGNORES_TRANSFORMATIONS = QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations
DETAIL_FONT = _font(10)
TITLE_FONT = _font(13, bold=True)
BADGE_FONT = _font(10, bold=True)


def node_detail(component: Component) -> str:
    """The small second line under a node's name (its address, SKU or rate)."""
    kind = component.KIND
    if kind == "vm":
        return component.private_ip or ("stopped" if component.state == "stopped" else "")
    if kind == "public_ip":
        return " · ".join(x for x in (component.address, component.sku.capitalize()) if x)
    if kind == "load_balancer":
        return f"{component.sku.capitalize()} · {component.type}"
    if kind == "endpoint":
        return f"{component.address}:{component.port}"
    if kind == "traffic_generator":
        text = f"{component.protocol.upper()} {component.rate_per_s:g}/s"
        return text + (" · muted" if component.muted else "")
    if kind == "nat_gateway":
        return f"idle {component.idle_timeout_min} min"
    if kind == "nsg":
        n = len(component.rules)
        return f"{n} rule" + ("" if n == 1 else "s")
    return ""


def container_title(component: Component) -> tuple[str, str]:
    if component.KIND == "subnet":
        extra = component.prefix + ("  · private" if component.private else "")
    else:
        extra = ", ".join(component.address_space)
    return component.display_name, extra


class _Decoration:
    """Mixin for child parts that are never hit (clicks go to the root beneath)."""

    @staticmethod
    def passive(item: QGraphicsItem) -> QGraphicsItem:
        item.setAcceptedMouseButtons(NO_BUTTON)
        return item


class Handle(QGraphicsEllipseItem):
    """The connection handle of a node or box: drag from it to draw a link."""

    RADIUS = 6.0

    def __init__(self, owner: QGraphicsItem):
        r = self.RADIUS
        super().__init__(QRectF(-r, -r, 2 * r, 2 * r), owner)
        self.owner = owner
        self.setZValue(zorder.HANDLES - zorder.NODES)
        self.setVisible(False)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Drag to connect")

    def restyle(self, palette: CanvasPalette) -> None:
        self.setBrush(QBrush(color(palette.selection)))
        self.setPen(cosmetic_pen(palette.tile_fill, 1.5))


class Badge(QGraphicsEllipseItem):
    """A small severity-coloured disc showing how many findings concern an item."""

    RADIUS = 8.0

    def __init__(self, parent: QGraphicsItem):
        r = self.RADIUS
        super().__init__(QRectF(-r, -r, 2 * r, 2 * r), parent)
        self.setZValue(zorder.GAUGES - zorder.NODES)
        self.text = QGraphicsSimpleTextItem("", self)
        self.text.setFont(BADGE_FONT)
        self.text.setBrush(QBrush(QColor("white")))
        _Decoration.passive(self.text)
        self.setPen(cosmetic_pen("#ffffff", 1.2))
        self.setVisible(False)
        self.severity: str | None = None

    def show_findings(self, findings: list["Finding"]) -> None:
        if not findings:
            self.severity = None
            self.setVisible(False)
            self.setToolTip("")
            return
        worst = min(findings, key=lambda f: SEVERITY_ORDER.get(f.severity, 9))
        self.severity = worst.severity
        self.setBrush(QBrush(QColor(SEVERITY_COLORS.get(worst.severity, "#757575"))))
        self.text.setText(str(len(findings)) if len(findings) > 1 else "!")
        br = self.text.boundingRect()
        self.text.setPos(-br.width() / 2, -br.height() / 2)
        self.setToolTip(plain_tooltip("\n".join(f"{f.severity}: {f.message}" for f in findings)))
        self.setVisible(True)


def _glyph_item(parent: QGraphicsItem, kind: str, size: float, cx: float, cy: float
                ) -> tuple[QGraphicsItem, bool]:
    """The kind's glyph, ``size`` units wide and centred on (cx, cy): our SVG icon through the
    kind's shared renderer, or the drawn fallback when the icon is missing; and whether it is
    the SVG."""
    renderer = glyphs.shared_renderer(kind)
    if renderer is None:
        glyph = QGraphicsPathItem(glyphs.fallback_path(kind, size), parent)
        glyph.setPos(cx, cy)
        glyph.setPen(NO_PEN)
        return glyph, False
    glyph = QGraphicsSvgItem(parent)
    glyph.setSharedRenderer(renderer)
    bounds = glyph.boundingRect()
    scale = size / max(bounds.width(), bounds.height(), 1.0)
    glyph.setScale(scale)
    glyph.setPos(cx - bounds.width() * scale / 2, cy - bounds.height() * scale / 2)
    glyph.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    return glyph, True


class CanvasItem(QGraphicsPathItem):
    """Common root of nodes, boxes and links: invisible, hit-tested, selectable."""

    def __init__(self):
        super().__init__()
        # Painted (as nothing: the children draw) rather than ItemHasNoContents: Qt then culls
        # an off-screen item by its own bounding rect, children included, instead of visiting
        # every child of every item on each repaint.
        self.setFlag(F.ItemContainsChildrenInShape, True)
        self.setPen(NO_PEN)
        self.setBrush(NO_BRUSH)
        self._palette: CanvasPalette | None = None
        self.hovered = False
        self.highlight: str | None = None  # None / "valid" / "target" / "invalid" / "drop"

    def _bind_component(self, component: Component, palette: CanvasPalette) -> None:
        """The state nodes and boxes share: which component they draw, and how."""
        self._palette = palette
        self.node_id = component.id
        self.kind = component.KIND
        self.component = component
        self.detail_level = DETAIL_FULL

    # decorations are created on first use: most items never show a badge or a handle, and
    # every child item costs time when the scene is built, indexed and painted
    _badge: "Badge | None" = None
    _handle: "Handle | None" = None

    @property
    def badge(self) -> "Badge":
        if self._badge is None:
            self._badge = Badge(self)
            self._badge.setPos(self.badge_pos())
        return self._badge

    @property
    def handle(self) -> "Handle":
        if self._handle is None:
            self._handle = Handle(self)
            self._handle.setPos(self.handle_pos())
            p = self.palette()
            if p is not None:
                self._handle.restyle(p)
        return self._handle

    def badge_pos(self) -> QPointF:
        return QPointF()

    def handle_pos(self) -> QPointF:
        return QPointF()

    def _show_handle(self, visible: bool) -> None:
        if visible:
            self.handle.setVisible(True)
        elif self._handle is not None:
            self._handle.setVisible(False)

    def palette(self) -> CanvasPalette:
        scene = self.scene()
        return scene.palette if scene is not None else self._palette  # type: ignore[attr-defined]

    def decorations_visible(self) -> bool:
        scene = self.scene()
        return scene is None or not getattr(scene, "export_mode", False)

    def shows_selected(self) -> bool:
        return self.isSelected() and self.decorations_visible()

    def line_pen(self, c, width: float = 1.0, dash: tuple[float, ...] = ()) -> QPen:
        """On screen a cosmetic pen; in an export one that scales with the picture."""
        return cosmetic_pen(c, width, dash, cosmetic=self.decorations_visible())

    def wants_handle(self) -> bool:
        """The connection handle shows on hover, and on a node selected on its own (not on
        each of 2,000 selected nodes: every handle is an item to create and paint)."""
        if self.hovered:
            return True
        if not self.isSelected():
            return False
        scene = self.scene()
        return scene is None or len(getattr(scene, "_styled_selection", ())) <= 1

    # No itemChange() override: Qt calls it for every change of every item (flags, scene,
    # position...) and a Python override made building a 2,000-node scene several times
    # slower.  The scene restyles on selectionChanged and updates links where it moves items.

    def tooltip_text(self) -> str:
        return ""

    def cached_parts(self) -> list[QGraphicsItem]:
        return []

    def set_caching(self, on: bool) -> None:
        """Pixel caches of glyphs and text speed up the screen; an export (PDF, SVG, print)
        must get vectors and real text instead, so the exporter's export mode turns them off."""
        mode = DEVICE_CACHE if on else NO_CACHE
        for part in self.cached_parts():
            part.setCacheMode(mode)

    def paint(self, painter, option, widget=None) -> None:
        pass  # the children draw; selection shows by restyling them (no dashed rectangle)

    def hoverEnterEvent(self, event):
        self.hovered = True
        self.restyle()
        self._update_caption()
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event):
        self.hovered = False
        self.restyle()
        self._update_caption()
        super().hoverLeaveEvent(event)

    # ---------------------------------------------------------------- captions (names)
    #: the item holding the name (and what goes with it); set by subclasses
    caption: QGraphicsItem | None = None
    _pixel_text = False
    _text_zoom = 1.0
    #: the zoom from which the caption fits beside its neighbours at MIN_TEXT_PX (the
    #: scene works it out from where the neighbours are)
    fit_zoom = 0.0

    def set_text_zoom(self, zoom: float, pixel: bool) -> None:
        """Follow the view's zoom: ``pixel`` below the zoom where names would shrink under
        MIN_TEXT_PX (the caption then keeps that size on screen)."""
        caption = self.caption
        if caption is None:
            return
        if pixel != self._pixel_text:
            self._pixel_text = pixel
            caption.setFlag(IGNORES_TRANSFORMATIONS, pixel)
            caption.setScale(CAPTION_SCALE if pixel else 1.0)
        self._text_zoom = zoom
        self._update_caption()

    def scene_rect_at(self, zoom: float) -> QRectF:
        """The scene rectangle the item and its caption cover when the view's zoom is
        ``zoom``: far out the caption keeps its size on screen, so it covers 1/zoom times its
        own rectangle of the scene (a fit that ignores it cuts long names at the edge)."""
        rect = self.sceneBoundingRect() | self.mapRectToScene(self.childrenBoundingRect())
        caption = self.caption
        if caption is None or not self._pixel_text or not caption.isVisible() or zoom <= 0:
            return rect
        local = caption.boundingRect() | caption.childrenBoundingRect()
        scale = caption.scale() / zoom
        anchor = caption.scenePos()
        return rect | QRectF(anchor.x() + local.x() * scale, anchor.y() + local.y() * scale,
                             local.width() * scale, local.height() * scale)

    def caption_shown(self) -> bool:
        """Names are shown when they fit, and always on hover."""
        return self.detail_level >= DETAIL_REDUCED and (
            not self._pixel_text or self.hovered or self.caption_fits())

    def caption_fits(self) -> bool:
        return self._text_zoom >= self.fit_zoom

    def _update_caption(self) -> None:
        caption = self.caption
        if caption is not None:
            shown = self.caption_shown()
            if shown != caption.isVisible():
                caption.setVisible(shown)

    def set_highlight(self, highlight: str | None) -> None:
        if highlight != self.highlight:
            self.highlight = highlight
            self.restyle()
            scene = self.scene()
            if scene is not None:
                scene.far_layer.restyled()

    def restyle(self) -> None:  # overridden
        pass


# ------------------------------------------------------------------------------------ nodes

def _node_paths() -> tuple[QPainterPath, QPainterPath]:
    half = TILE_SIZE / 2
    tile = QPainterPath()
    tile.setFillRule(Qt.FillRule.WindingFill)
    tile.addRoundedRect(QRectF(-half, -half, TILE_SIZE, TILE_SIZE), TILE_RADIUS, TILE_RADIUS)
    hit = QPainterPath(tile)
    # the handle sits on the right edge: hovering it must keep the node hovered
    hit.addEllipse(QPointF(half + 1, 0), Handle.RADIUS + 2, Handle.RADIUS + 2)
    return tile, hit.simplified()


_TILE_PATH, _NODE_HIT_PATH = _node_paths()


class NodeItem(CanvasItem):
    """A component drawn as a tile with its glyph, name, detail line, badge and handle.
    ``pos()`` is the node's centre, equal to the model's ``position``."""

    def __init__(self, component: Component, palette: CanvasPalette):
        super().__init__()
        self._bind_component(component, palette)
        self.setPath(_NODE_HIT_PATH)
        self.setZValue(zorder.NODES)
        self.setFlag(SELECTABLE, True)
        self.setAcceptHoverEvents(True)

        self.tile = _Decoration.passive(QGraphicsPathItem(_TILE_PATH, self))
        glyph, self.svg = _glyph_item(self, self.kind, GLYPH_SIZE, 0.0, 0.0)
        self.glyph = _Decoration.passive(glyph)

        # the caption: the name's background holds the name and the detail line, so that
        # far out it can be drawn at a fixed on-screen size as one piece
        self.label_bg = _Decoration.passive(QGraphicsRectItem(self))
        self.label_bg.setPen(NO_PEN)
        self.caption = self.label_bg
        self.label = _Decoration.passive(QGraphicsSimpleTextItem(self.label_bg))
        self.label.setFont(LABEL_FONT)
        self.detail = _Decoration.passive(QGraphicsSimpleTextItem(self.label_bg))
        self.detail.setFont(DETAIL_FONT)
        # QGraphicsSimpleTextItem lays its text out again on every paint: keep the pixels
        for text in (self.label, self.detail):
            text.setCacheMode(DEVICE_CACHE)
        self.update_component(component)

    def cached_parts(self) -> list[QGraphicsItem]:
        return [self.label, self.detail] + ([self.glyph] if self.svg else [])

    def badge_pos(self) -> QPointF:
        return QPointF(TILE_SIZE / 2 - 3, -TILE_SIZE / 2 + 3)

    def handle_pos(self) -> QPointF:
        return QPointF(TILE_SIZE / 2 + 1, 0)

    # model -> item
    def update_component(self, component: Component) -> None:
        self.component = component
        self.label.setText(component.display_name)
        self.detail.setText(node_detail(component))
        self._layout_labels()
        self.restyle()

    def tooltip_text(self) -> str:
        c = self.component
        text = f"{c.LABEL}: {c.display_name}"
        if c.name and c.name != c.id:
            text += f" ({c.id})"
        detail = node_detail(c)
        return text + (f"\n{detail}" if detail else "")

    def _layout_labels(self) -> None:
        top = TILE_SIZE / 2 + 4
        self.label_bg.setPos(0, top)  # the caption's anchor: the middle under the tile
        lr = self.label.boundingRect()
        self.label.setPos(-lr.width() / 2, 0)
        dr = self.detail.boundingRect()
        has_detail = bool(self.detail.text())
        self.detail.setVisible(has_detail and self.detail_level == DETAIL_FULL)
        self.detail.setPos(-dr.width() / 2, lr.height() - 1)
        width = max(lr.width(), dr.width() if has_detail else 0) + 6
        height = lr.height() + (dr.height() - 1 if has_detail else 0) + 2
        #: the caption's width at its natural size, with and without the detail line (the
        #: scene measures the room beside the node: see caption_fits)
        self.caption_width = width
        self.name_width = lr.width() + 6
        self._caption_rects = (QRectF(-width / 2, -1, width, height),
                               QRectF(-self.name_width / 2, -1, self.name_width,
                                      lr.height() + 2))
        self._fit_caption_background()
        label_rect = QRectF(-width / 2, top - 1, width, height)
        self.anchor_below = label_rect.bottom() if self.label.text() else TILE_SIZE / 2
        # the root spans tile, handle and name: clicking the name selects the node, and Qt
        # may cull the whole node by the root's rectangle (ItemContainsChildrenInShape)
        hit = QPainterPath(_NODE_HIT_PATH)
        hit.setFillRule(Qt.FillRule.WindingFill)
        hit.addRect(label_rect)
        self.setPath(hit)

    def _fit_caption_background(self) -> None:
        """The name's background covers the detail line only while that shows."""
        with_detail = self.detail_level == DETAIL_FULL and bool(self.detail.text())
        self.label_bg.setRect(self._caption_rects[0 if with_detail else 1])

    def set_detail_level(self, level: int) -> None:
        if level == self.detail_level:
            return
        self.detail_level = level
        self._update_caption()
        self.detail.setVisible(level == DETAIL_FULL and bool(self.detail.text()))
        self._fit_caption_background()
        self.glyph.setVisible(level >= DETAIL_REDUCED)
        # far out the scene's FarLayer draws every tile in one call: the item paints nothing
        self.tile.setVisible(level >= DETAIL_REDUCED)
        self.setFlag(F.ItemHasNoContents, level == DETAIL_MINIMAL)
        self.far_rect = None
        self.restyle()

    #: free width beside the node on its line, in scene units (set by the scene)
    room = float("inf")

    def caption_fits(self) -> bool:
        """Centred under the tile, the caption at MIN_TEXT_PX fits when its width on screen
        is within the room (the detail line counts only where it is shown)."""
        detail = self.detail_level == DETAIL_FULL and bool(self.detail.text())
        width = self.caption_width if detail else self.name_width
        return self._text_zoom * self.room >= CAPTION_SCALE * width

    def set_findings(self, findings: list["Finding"]) -> None:
        if findings or self._badge is not None:
            self.badge.show_findings(findings)

    def scene_rect(self) -> QRectF:
        half = TILE_SIZE / 2
        return QRectF(self.pos().x() - half, self.pos().y() - half, TILE_SIZE, TILE_SIZE)

    #: how far below the centre links stop (the bottom of the name; see anchor_rect)
    anchor_below = TILE_SIZE / 2
    #: the tile in scene coordinates, cached for the far layer (None = recompute)
    far_rect: QRectF | None = None

    def anchor_rect(self, margin: float = 0.0) -> QRectF:
        """Where links end: the tile, stretched down over the name (so an arrowhead coming
        from below is never hidden under the label).  Only as wide as the tile, so a long
        name does not push sideways links away, and the same at every level of detail, so
        zooming never has to recompute thousands of links."""
        half = TILE_SIZE / 2
        p = self.pos()
        return QRectF(p.x() - half - margin, p.y() - half - margin,
                      TILE_SIZE + 2 * margin, half + self.anchor_below + 2 * margin)

    def restyle(self) -> None:
        p = self.palette()
        if p is None:
            return
        kind_color = p.kind_color(self.kind)
        minimal = self.detail_level == DETAIL_MINIMAL
        if self.shows_selected():
            pen = self.line_pen(p.selection, 2.5)
        elif self.highlight in ("valid", "target", "drop"):
            pen = self.line_pen(p.valid_target, 3.0 if self.highlight == "target" else 2.0)
        elif self.hovered and self.decorations_visible():
            pen = self.line_pen(p.hover, 1.8)
        else:
            pen = self.line_pen(kind_color if minimal else color(p.tile_border), 1.0)
        self.tile.setPen(pen)
        self.tile.setBrush(QBrush(kind_color if minimal else color(p.tile_fill)))
        if not self.svg:
            self.glyph.setBrush(QBrush(kind_color))
        self.label.setBrush(QBrush(color(p.text)))
        self.detail.setBrush(QBrush(color(p.text_muted)))
        self.label_bg.setBrush(QBrush(color(p.label_background)))
        if self._handle is not None:
            self._handle.restyle(p)
        self._show_handle(self.decorations_visible() and not minimal and self.wants_handle())
        self.setOpacity(0.35 if self.highlight == "invalid" else 1.0)
        self.setZValue(zorder.NODES + (1 if self.hovered else 0))


# ------------------------------------------------------------------------------- containers

class ResizeGrip(QGraphicsPathItem):
    """The bottom-right grip of a box: drag to resize (one undoable step on release).  It
    keeps SIZE pixels on screen at any zoom (14 scene units were 6 px at the demo's zoom)."""

    SIZE = 16.0

    def __init__(self, owner: "ContainerItem"):
        path = QPainterPath()
        s = self.SIZE
        path.moveTo(0, 0)
        path.lineTo(-s, 0)
        path.lineTo(0, -s)
        path.closeSubpath()
        super().__init__(path, owner)
        self.owner = owner
        self.setZValue(zorder.HANDLES)
        self.setFlag(IGNORES_TRANSFORMATIONS, True)
        self.setCursor(Qt.CursorShape.SizeFDiagCursor)
        self.setToolTip("Drag to resize")
        self.setVisible(False)


class ContainerItem(CanvasItem):
    """A subnet or VNet box.  ``pos()`` is its top-left corner (the model's ``position``),
    the box spans ``size`` from there."""

    MIN_SIZE = (160.0, 100.0)

    def __init__(self, component: Component, palette: CanvasPalette):
        super().__init__()
        self._bind_component(component, palette)
        self.setZValue(zorder.VNET if self.kind == "vnet" else zorder.SUBNET)
        self.setFlag(SELECTABLE, True)
        self.setAcceptHoverEvents(True)
        self.box = _Decoration.passive(QGraphicsPathItem(self))
        # the caption: icon, title and subtitle in one piece anchored at the top-left corner
        self.caption = _Decoration.passive(QGraphicsRectItem(self))
        self.caption.setPen(NO_PEN)
        self.caption.setPos(8, 6)
        icon_size = 20.0
        icon, self.svg = _glyph_item(self.caption, self.kind, icon_size, 2 + icon_size / 2,
                                     2 + icon_size / 2)
        self.icon = _Decoration.passive(icon)
        self.title = _Decoration.passive(QGraphicsSimpleTextItem(self.caption))
        self.title.setFont(TITLE_FONT)
        self.subtitle = _Decoration.passive(QGraphicsSimpleTextItem(self.caption))
        self.subtitle.setFont(DETAIL_FONT)
        for text in (self.title, self.subtitle):
            text.setCacheMode(DEVICE_CACHE)
        self.grip = ResizeGrip(self)
        self.size = (0.0, 0.0)
        self.update_component(component)

    def update_component(self, component: Component) -> None:
        self.component = component
        name, extra = container_title(component)
        self.title.setText(name)
        self.subtitle.setText(extra)
        self.set_size(component.size)
        self.restyle()

    def tooltip_text(self) -> str:
        name, extra = container_title(self.component)
        return f"{self.component.LABEL}: {name} ({extra})"

    def set_size(self, size: tuple[float, float]) -> None:
        w, h = max(float(size[0]), 1.0), max(float(size[1]), 1.0)
        if (w, h) == self.size:
            return
        self.prepareGeometryChange()
        self.size = (w, h)
        self._scene_rect = None
        rect = QRectF(0, 0, w, h)
        hit = QPainterPath()
        hit.addRect(rect)
        hit.addEllipse(QPointF(w, h / 2), Handle.RADIUS + 2, Handle.RADIUS + 2)
        self.setPath(hit.simplified())
        box = QPainterPath()
        radius = 12.0 if self.kind == "vnet" else 8.0
        box.addRoundedRect(rect, radius, radius)
        self.box.setPath(box)
        self.title.setPos(28, 3)
        tr = self.title.boundingRect()
        self.subtitle.setPos(28 + tr.width() + 8, 3 + tr.height() - self.subtitle.boundingRect().height() - 1)
        # far out the caption keeps MIN_TEXT_PX: shown when the title fits in the box, the
        # subtitle when it fits too
        self.fit_zoom = (CAPTION_SCALE * (28 + tr.width()) + 16) / w
        self.full_fit_zoom = (CAPTION_SCALE * (self.subtitle.x() +
                                               self.subtitle.boundingRect().width()) + 16) / w
        self.grip.setPos(w - 3, h - 3)
        if self._badge is not None:
            self._badge.setPos(self.badge_pos())
        if self._handle is not None:
            self._handle.setPos(self.handle_pos())

    def cached_parts(self) -> list[QGraphicsItem]:
        return [self.title, self.subtitle] + ([self.icon] if self.svg else [])

    full_fit_zoom = 0.0

    def _update_caption(self) -> None:
        super()._update_caption()
        subtitle = self.detail_level == DETAIL_FULL and (
            not self._pixel_text or self.hovered or self._text_zoom >= self.full_fit_zoom)
        if subtitle != self.subtitle.isVisible():
            self.subtitle.setVisible(subtitle)

    def badge_pos(self) -> QPointF:
        return QPointF(self.size[0] - 4, 4)

    def handle_pos(self) -> QPointF:
        return QPointF(self.size[0], self.size[1] / 2)

    #: the box in scene coordinates, cached (the scene drops it whenever the box moves)
    _scene_rect: QRectF | None = None

    def scene_rect(self) -> QRectF:
        if self._scene_rect is None:
            p = self.pos()
            self._scene_rect = QRectF(p.x(), p.y(), self.size[0], self.size[1])
        return self._scene_rect

    def forget_geometry(self) -> None:
        self._scene_rect = None

    def set_detail_level(self, level: int) -> None:
        if level == self.detail_level:
            return
        self.detail_level = level
        self._update_caption()

    def set_findings(self, findings: list["Finding"]) -> None:
        if findings or self._badge is not None:
            self.badge.show_findings(findings)

    def restyle(self) -> None:
        p = self.palette()
        if p is None:
            return
        kind_color = p.kind_color(self.kind)
        width = 2.0 if self.kind == "vnet" else 1.4
        if self.shows_selected():
            pen = self.line_pen(p.selection, width + 1.0)
        elif self.highlight in ("valid", "target", "drop"):
            pen = self.line_pen(p.valid_target, width + (1.5 if self.highlight != "valid" else 0.5))
        elif self.hovered and self.decorations_visible():
            pen = self.line_pen(kind_color.lighter(115), width + 0.6)
        else:
            pen = self.line_pen(kind_color, width)
        self.box.setPen(pen)
        fill = QColor(kind_color)
        fill.setAlpha(p.container_fill_alpha * (2 if self.highlight == "drop" else 1))
        self.box.setBrush(QBrush(fill))
        if not self.svg:
            self.icon.setBrush(QBrush(kind_color))
        self.title.setBrush(QBrush(readable(kind_color, p.background)))
        self.subtitle.setBrush(QBrush(color(p.text_muted)))
        if self._handle is not None:
            self._handle.restyle(p)
        self.grip.setBrush(QBrush(kind_color))
        self.grip.setPen(NO_PEN)
        decorate = self.decorations_visible()
        self.grip.setVisible(decorate and self.isSelected())
        self._show_handle(decorate and self.wants_handle())
        self.setOpacity(0.35 if self.highlight == "invalid" else 1.0)


# ------------------------------------------------------------------------------------ links

ARROW_LENGTH = 11.0
ARROW_WIDTH = 8.0
HIT_WIDTH = 10.0


class LinkItem(CanvasItem):
    """A typed link between two items: the line in the kind's style, an arrowhead at the
    target and a finding marker at the middle.  The root's path is a wide invisible stroke
    around the line, so a link is easy to click."""

    def __init__(self, link: Link, palette: CanvasPalette):
        super().__init__()
        self._palette = palette
        self.link = link
        self.kind = link.kind
        self.setZValue(zorder.LINKS)
        self.setFlag(SELECTABLE, True)
        self.setAcceptHoverEvents(True)
        self.line = _Decoration.passive(QGraphicsPathItem(self))
        self.arrow = _Decoration.passive(QGraphicsPathItem(self))
        self._marker: Badge | None = None
        self._ends: tuple[float, float, float, float] | None = None
        self.qline: QLineF | None = None
        self._far = False
        self._paths_stale = False
        self._hit_stale = False
        #: mirrors isVisible() for the far layer (a Python attribute is much cheaper to read)
        self.shown = True
        self._arrow = LINK_STYLES[link.kind].arrow
        self.mismatch = False
        self._p1 = QPointF()
        self._p2 = QPointF()

    def tooltip_text(self) -> str:
        link = self.link
        text = f"{LINK_RULES[link.kind].label}: {link.source} → {link.target}"
        if self.mismatch:
            text += "\n(drawn outside its box: the membership is shown by this line)"
        return text

    @property
    def marker(self) -> Badge:
        if self._marker is None:
            self._marker = Badge(self)
            self._marker.setZValue(1)
            self._marker.setPos(QLineF(self._p1, self._p2).center())
        return self._marker

    def set_endpoints_xy(self, x1: float, y1: float, x2: float, y2: float,
                         hit: bool = True) -> None:
        """Place the line (plain float arithmetic: this runs for every moved link of every
        drag frame).  Far out the far layer draws the line; with ``hit`` False (a drag in
        progress) the hit area is left until :meth:`refresh_geometry` too."""
        ends = (x1, y1, x2, y2)
        if ends == self._ends and not (hit and self._hit_stale):
            return
        self._ends = ends
        if self._far and not hit:
            self.qline = QLineF(x1, y1, x2, y2)
            self._hit_stale = self._paths_stale = True
            return
        self._hit_stale = False
        self.qline = QLineF(x1, y1, x2, y2)
        self._p1, self._p2 = QPointF(x1, y1), QPointF(x2, y2)
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy)
        path = QPainterPath(self._p1)
        arrow = QPainterPath()
        if self._arrow and length > ARROW_LENGTH * 1.5:
            ux, uy = dx / length, dy / length
            bx, by = x2 - ux * ARROW_LENGTH, y2 - uy * ARROW_LENGTH
            w = ARROW_WIDTH / 2
            path.lineTo(x2 - ux * (ARROW_LENGTH - 1), y2 - uy * (ARROW_LENGTH - 1))
            arrow.addPolygon(QPolygonF([self._p2, QPointF(bx - uy * w, by + ux * w),
                                        QPointF(bx + uy * w, by - ux * w), self._p2]))
        else:
            path.lineTo(self._p2)
        # the hit area: a band HIT_WIDTH wide around the line (cheaper than a path stroker)
        hit = QPainterPath()
        if length > 0:
            nx, ny = -dy * (HIT_WIDTH / 2 / length), dx * (HIT_WIDTH / 2 / length)
            hit.addPolygon(QPolygonF([QPointF(x1 + nx, y1 + ny), QPointF(x2 + nx, y2 + ny),
                                      QPointF(x2 - nx, y2 - ny), QPointF(x1 - nx, y1 - ny)]))
        self.setPath(hit)  # setPath calls prepareGeometryChange itself
        if self._far:
            self._paths_stale = True  # the far layer draws the line; build it when needed
        else:
            self.line.setPath(path)
            self.arrow.setPath(arrow)
        if self._marker is not None:
            self._marker.setPos((x1 + x2) / 2, (y1 + y2) / 2)

    def set_mismatch(self, mismatch: bool) -> None:
        """For in_subnet / in_vnet links drawn because the member sits outside its box."""
        if mismatch != self.mismatch:
            self.mismatch = mismatch
            self.restyle()

    def set_findings(self, findings: list["Finding"]) -> None:
        if findings or self._marker is not None:
            self.marker.show_findings(findings)
        self.restyle()

    def set_detail_level(self, level: int) -> None:
        """Far out the scene's FarLayer draws every line in one call: nothing here then."""
        far = level == DETAIL_MINIMAL
        self._far = far
        self.arrow.setVisible(not far)
        self.line.setVisible(not far)
        self.setFlag(F.ItemHasNoContents, far)
        if not far and self._paths_stale and self._ends is not None:
            self._paths_stale = False
            ends, self._ends = self._ends, None
            self.set_endpoints_xy(*ends)

    @property
    def ends(self) -> tuple[float, float, float, float] | None:
        return self._ends

    def refresh_geometry(self) -> None:
        """Build what a drag left for later (the hit area)."""
        if self._hit_stale and self._ends is not None:
            self.set_endpoints_xy(*self._ends)

    def restyle(self) -> None:
        p = self.palette()
        if p is None:
            return
        style = LINK_STYLES[self.kind]
        c = p.link_color(self.kind)
        width = style.width
        severity = self._marker.severity if self._marker is not None else None
        if severity in ("error", "warning"):
            c = QColor(SEVERITY_COLORS[severity])
        if self.shows_selected():
            c = color(p.selection)
            width += 1.5
        elif self.hovered and self.decorations_visible():
            width += 1.0
        self.line.setPen(self.line_pen(c, width, style.dash))
        self.arrow.setPen(self.line_pen(c, 1.0))
        self.arrow.setBrush(QBrush(c))


def node_items(items: Iterable[QGraphicsItem]) -> list[NodeItem | ContainerItem]:
    return [i for i in items if isinstance(i, (NodeItem, ContainerItem))]
