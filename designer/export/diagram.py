"""Diagram exporters: PNG, SVG and PDF rendered from a scene, with no window.

The one registry (``designer.export.registry``, which also holds the Qt-free code exporters)
serves the editor's File > Export dialog and the ``outbound-designer export`` command.
Everything renders from a :class:`DiagramScene` with export mode on (no selection outlines,
handles or hover decorations) and explicit margins.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from xml.sax.saxutils import escape, quoteattr

from PySide6.QtCore import QBuffer, QIODevice, QLineF, QMarginsF, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import QColor, QImage, QPageSize, QPainter, QPdfWriter, QPen, QTransform
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from ..model.io import atomic_write_bytes
from ..ui.canvas.style import GRID_STEP, palette_for
# the registry is Qt-free and shared with the code exporters; re-exported for old callers
from .registry import DIAGRAM, EXPORTERS, Exporter, exporter_for  # noqa: F401


@dataclass
class ExportOptions:
    """What the Export dialog and the command line can ask for."""
    scale: float = 1.0              # PNG only: 1x-4x
    margin: float = 24.0            # scene units around the drawing
    transparent: bool = False       # no background fill
    dark: bool = False              # dark theme
    grid: bool = False              # draw the grid
    node_ids: list[str] = field(default_factory=list)  # empty = the whole diagram
    title: str = ""

    def __post_init__(self) -> None:
        if not 1.0 <= self.scale <= 4.0:
            raise ValueError(f"scale must be between 1 and 4, got {self.scale:g}")
        if self.margin < 0:
            raise ValueError(f"margin must not be negative, got {self.margin:g}")


def source_rect(scene, options: ExportOptions) -> QRectF:
    """The scene rectangle to export: the selected nodes or everything, plus margins."""
    if options.node_ids:
        rect = QRectF()
        for node_id in options.node_ids:
            item = scene.node_item(node_id)
            if item is None:
                raise ValueError(f"no node with id {node_id!r} to export")
            rect = rect.united(item.sceneBoundingRect())
    else:
        rect = scene.items_bounding_rect()
    if rect.isEmpty():
        rect = QRectF(0, 0, 200, 120)
    m = options.margin
    return rect.marginsAdded(QMarginsF(m, m, m, m))


def background_color(scene, options: ExportOptions) -> QColor:
    if options.transparent:
        return QColor(Qt.GlobalColor.transparent)
    return QColor(palette_for(options.dark).background)


class _ExportState:
    """Puts a scene into export mode (theme, no selection, handles or hover) for the duration
    of an export, hiding the nodes that are not exported, and restores everything after."""

    def __init__(self, scene, options: ExportOptions):
        self.scene, self.options = scene, options

    def __enter__(self):
        scene = self.scene
        self.saved_dark = scene.palette.dark
        self.saved_selection = scene.selected_node_ids()
        scene.clearSelection()
        scene.set_theme(self.options.dark)
        # the exporter paints background and grid itself (the scene's are view-oriented)
        scene.set_export_mode(True, transparent=True)
        # item caches hold device pixels: PDF and SVG must get vectors and real text
        self.cached = [(item, item.cacheMode()) for item in scene.items()
                       if item.cacheMode() != QGraphicsItem.CacheMode.NoCache]
        for item, _mode in self.cached:
            item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
        self.hidden: list = []
        if self.options.node_ids:
            keep = set(self.options.node_ids)
            for item in scene.all_node_items():
                if item.component.id not in keep and item.isVisible():
                    item.setVisible(False)
                    self.hidden.append(item)
            for item in scene.all_link_items():
                if not {item.link.source, item.link.target} <= keep and item.isVisible():
                    item.setVisible(False)
                    self.hidden.append(item)
        return self

    def __exit__(self, *exc):
        scene = self.scene
        for item in self.hidden:
            item.setVisible(True)
        for item, mode in self.cached:
            item.setCacheMode(mode)
        scene.set_export_mode(False)
        scene.set_theme(self.saved_dark)
        scene.select_nodes(self.saved_selection)
        return False


def _paint_backdrop(painter: QPainter, source: QRectF, options: ExportOptions) -> None:
    """Background fill and (optionally) the grid, in scene coordinates."""
    if options.transparent and not options.grid:
        return
    palette = palette_for(options.dark)
    if not options.transparent:
        painter.fillRect(source, QColor(palette.background))
    if options.grid:
        for step, colour in ((GRID_STEP, palette.grid_minor), (GRID_STEP * 5, palette.grid_major)):
            painter.setPen(QPen(QColor(colour), 0))
            x = math.floor(source.left() / step) * step
            lines = []
            while x <= source.right():
                lines.append(QLineF(x, source.top(), x, source.bottom()))
                x += step
            y = math.floor(source.top() / step) * step
            while y <= source.bottom():
                lines.append(QLineF(source.left(), y, source.right(), y))
                y += step
            painter.drawLines(lines)


def _render(scene, painter: QPainter, target: QRectF, source: QRectF, options) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    painter.save()
    painter.translate(target.left(), target.top())
    painter.scale(target.width() / source.width(), target.height() / source.height())
    painter.translate(-source.left(), -source.top())
    _paint_backdrop(painter, source, options)
    painter.restore()
    scene.render(painter, target, source, Qt.AspectRatioMode.KeepAspectRatio)


#: a PNG larger than this is rendered at a smaller scale (a 2,000-node diagram at 1x is over
#: 100 megapixels: 400 MB of memory and most of a minute of encoding for an image nobody can
#: open); 32 MP is still 6,500 x 4,900 px
MAX_PNG_PIXELS = 32_000_000
#: QImage's PNG "quality" picks the zlib level: 80 is a fast level that costs about 10 % in
#: size against the default, and halves the encoding time of large images
PNG_QUALITY = 80


#: and no side longer than this (image viewers and libraries refuse longer ones; a diagram
#: as wide as the canvas allows but one node high would otherwise be 700,000 x 40 px)
MAX_PNG_SIDE = 32_768


def png_scale(source: QRectF, options: ExportOptions) -> float:
    """The scale actually used: the requested one, reduced to stay within MAX_PNG_PIXELS and
    MAX_PNG_SIDE."""
    area = max(source.width() * source.height(), 1.0)
    side = max(source.width(), source.height(), 1.0)
    return min(options.scale, math.sqrt(MAX_PNG_PIXELS / area), MAX_PNG_SIDE / side)


def render_image(scene, options: ExportOptions) -> QImage:
    """The diagram as an image, at ``png_scale`` (the requested scale, or less for a
    diagram too large for MAX_PNG_PIXELS)."""
    with _ExportState(scene, options):
        source = source_rect(scene, options)
        scale = png_scale(source, options)
        size = QSize(max(1, round(source.width() * scale)),
                     max(1, round(source.height() * scale)))
        image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        try:
            _render(scene, painter, QRectF(0, 0, size.width(), size.height()), source, options)
        finally:
            painter.end()
    return image


def _encode(image: QImage, fmt: str, quality: int = -1) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, fmt, quality):
        raise OSError(f"could not encode the {fmt} image ({image.width()} x {image.height()} px)")
    return bytes(buffer.data())


def write_png(scene, path: str, options: ExportOptions) -> list[str]:
    image = render_image(scene, options)
    atomic_write_bytes(path, _encode(image, "PNG", PNG_QUALITY))
    source = source_rect(scene, options)
    scale = png_scale(source, options)
    if scale >= options.scale:
        return []
    return [f"the diagram is {source.width():,.0f} x {source.height():,.0f} units: exported at "
            f"scale {scale:.3g} instead of {options.scale:g} to stay within "
            f"{MAX_PNG_PIXELS / 1e6:.0f} megapixels and {MAX_PNG_SIDE:,} px a side ({image.width():,} x {image.height():,} px); "
            f"use SVG or PDF for full detail"]


#: PDF readers refuse pages larger than 14,400 pt (200 inches, the PDF 1.x limit): a larger
#: drawing is scaled down to fit
MAX_PDF_PAGE_PT = 14_400.0


def pdf_scale(source: QRectF) -> float:
    """Points per scene unit: 1, or less for a drawing larger than a PDF page may be."""
    return min(1.0, MAX_PDF_PAGE_PT / max(source.width(), source.height(), 1.0))


def write_pdf(scene, path: str, options: ExportOptions) -> list[str]:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    with _ExportState(scene, options):
        source = source_rect(scene, options)
        scale = pdf_scale(source)
        writer = QPdfWriter(buffer)
        writer.setCreator("Outbound Designer")
        writer.setTitle(options.title or "Outbound Designer diagram")
        writer.setResolution(72)  # 1 scene unit = 1 pt: the page is sized to the drawing
        writer.setPageSize(QPageSize(QSizeF(max(1.0, source.width() * scale),
                                            max(1.0, source.height() * scale)),
                                     QPageSize.Unit.Point, "drawing",
                                     QPageSize.SizeMatchPolicy.ExactMatch))
        writer.setPageMargins(QMarginsF(0, 0, 0, 0))
        painter = QPainter(writer)
        try:
            target = QRectF(0, 0, writer.width(), writer.height())
            _render(scene, painter, target, source, options)
        finally:
            painter.end()
    atomic_write_bytes(path, bytes(buffer.data()))
    if scale >= 1.0:
        return []
    return [f"the diagram is {source.width():,.0f} x {source.height():,.0f} units: drawn at "
            f"scale {scale:.3g} to fit the largest PDF page ({MAX_PDF_PAGE_PT:,.0f} pt)"]


# ------------------------------------------------------------------------------------ SVG

_SVG_BODY = re.compile(rb"<svg[^>]*>(.*)</svg>", re.S)
_SVG_HEAD_JUNK = re.compile(rb"<title>.*?</title>|<desc>.*?</desc>", re.S)


def _svg_fragment(paint: Callable[[QPainter], None], source: QRectF) -> bytes:
    """Paint into an in-memory QSvgGenerator and return the body of the SVG it wrote."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(QSize(round(source.width()), round(source.height())))
    generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
    painter = QPainter(generator)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.translate(-source.left(), -source.top())
        paint(painter)
    finally:
        painter.end()
    data = bytes(buffer.data())
    match = _SVG_BODY.search(data)
    return _SVG_HEAD_JUNK.sub(b"", match.group(1)) if match else b""


def _paint_tree(painter: QPainter, item: QGraphicsItem, base: QTransform) -> None:
    """Paint an item and its children as the scene would (z order, stacking, opacity)."""
    if not item.isVisible():
        return
    children = sorted(item.childItems(), key=lambda c: c.zValue())
    behind = [c for c in children if c.zValue() < 0 or
              c.flags() & QGraphicsItem.GraphicsItemFlag.ItemStacksBehindParent]
    for child in behind:
        _paint_tree(painter, child, base)
    if not item.flags() & QGraphicsItem.GraphicsItemFlag.ItemHasNoContents:
        painter.save()
        painter.setTransform(item.sceneTransform() * base)
        painter.setOpacity(item.effectiveOpacity())
        option = QStyleOptionGraphicsItem()
        option.exposedRect = item.boundingRect()
        item.paint(painter, option, None)
        painter.restore()
    for child in children:
        if child not in behind:
            _paint_tree(painter, child, base)


def _layers(scene, source: QRectF, options: ExportOptions):
    """(group id, css class, title, paint) in drawing order: backdrop, containers (outer
    first), links, nodes; one group per node so the SVG keeps the diagram's structure."""
    layers = [("backdrop", "backdrop", "", lambda p: _paint_backdrop(p, source, options))]
    nodes = sorted((i for i in scene.all_node_items() if i.isVisible()),
                   key=lambda i: (i.zValue(), i.component.id))
    links = [i for i in scene.all_link_items() if i.isVisible()]

    def painter_for(items):
        def paint(painter: QPainter) -> None:
            base = painter.transform()
            for item in items:
                _paint_tree(painter, item, base)
        return paint

    containers = [i for i in nodes if i.component.CONTAINER]
    for item in containers:
        layers.append((f"node-{item.component.id}", f"node {item.component.KIND}",
                       item.component.display_name, painter_for([item])))
    if links:
        layers.append(("links", "links", "", painter_for(links)))
    for item in nodes:
        if not item.component.CONTAINER:
            layers.append((f"node-{item.component.id}", f"node {item.component.KIND}",
                           item.component.display_name, painter_for([item])))
    return layers


def svg_document(scene, options: ExportOptions) -> bytes:
    """An SVG 1.1 document with one ``<g class="node ..." id="node-ID">`` per node (text kept
    as ``<text>``), the links in one group, and the background and grid first."""
    with _ExportState(scene, options):
        source = source_rect(scene, options)
        parts = []
        for group_id, css_class, title, paint in _layers(scene, source, options):
            body = _svg_fragment(paint, source)
            title_xml = f"<title>{escape(title)}</title>" if title else ""
            parts.append(f'<g id={quoteattr(group_id)} class={quoteattr(css_class)}>'
                         f'{title_xml}'.encode() + body + b"</g>")
    w, h = source.width(), source.height()
    title = escape(options.title or "Outbound Designer diagram")
    head = (f'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'version="1.1" baseProfile="full" width="{w:g}" height="{h:g}" '
            f'viewBox="0 0 {w:g} {h:g}">\n<title>{title}</title>\n'
            f'<desc>Exported by Outbound Designer</desc>\n')
    return head.encode() + b"\n".join(parts) + b"\n</svg>\n"


def write_svg(scene, path: str, options: ExportOptions) -> None:
    atomic_write_bytes(path, svg_document(scene, options))


# ------------------------------------------------------------------------------------ registry

def export_scene(scene, path: str | os.PathLike, options: ExportOptions | None = None) -> list[str]:
    """Export through the registry; returns notes worth telling the user (may be empty)."""
    return exporter_for(path, DIAGRAM).write(scene, str(path), options or ExportOptions()) or []
