"""Moving flow dots over the diagram, painted by one overlay per view (architecture.md, Canvas
hygiene; perf-baselines.md section 2: a cached static layer plus dots stamped with numpy into
one image holds 60 fps with 10,000 dots on 2,000 nodes).

:class:`FlowDots` is the Qt-light model of the dots: numpy arrays of paths (scene points),
birth times, durations and colours; it spawns dots from a frame's flow samples and computes
positions for a wall-clock time, vectorised.  :class:`FlowOverlay` is an opaque widget laid
over a view's viewport while a simulation is live: it paints the scene once into a cached
pixmap (again only when the scene, the zoom, the scroll position or the size changed) and on
every frame stamps the dots into an ARGB image with numpy and draws the two.  Mouse events go
through it to the view.

Beyond ``visible_cap`` dots the overlay switches to a density mode: only every k-th flow sample
gets a dot, and a note says how many flows one dot stands for (the engine also samples at most
so many flows per frame, and counts the others).

Under the dots the overlay draws what the diagram has no item for: the implied Internet path
from a public IP (or NAT gateway, or a VM on default SNAT) to the endpoint its flows reach,
faintly, while flows use it; and the backend link of a VM out of rotation, dimmed.  Over them:
the gauges, and a mark on every VM whose health probe is down.
"""
from __future__ import annotations

import math
import time

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen, QPixmap, QRegion, QTransform
from PySide6.QtWidgets import QGraphicsView, QWidget

from ...sim.engine import Frame
from ..canvas.style import TILE_SIZE
from . import gauges as G

#: the longest path a dot follows (generator, VM, NSG, LB, public IP, endpoint, ...)
MAX_POINTS = 8
#: wall seconds per path segment, and the bounds of a whole journey
SEGMENT_S = 0.32
MIN_JOURNEY_S, MAX_JOURNEY_S = 0.7, 1.8
#: a failure flashes at the node where it failed for this long
FLASH_S = 0.7
#: dots on the canvas at once, beyond which the density mode thins them: with the compiled
#: engine a run at full speed brings a thousand flow samples per frame, and 5,000 dots took
#: the GUI thread 6-12 ms a paint and 2,000 still 5-8 ms (test_live_speed.py -k examples)
VISIBLE_CAP = 1000
CAPACITY = 16384
#: dot paths kept for reuse (one per path, generator and outcome the samples showed)
PATHS_KEPT = 20_000

# colours, 0xAARRGGBB, by protocol (success) and outcome (failure)
COLORS = {
    ("tcp", "ok"): 0xFF0A6CD6,
    ("udp", "ok"): 0xFF00A37A,
    "failed_snat": 0xFFE0262B,
    "denied_nsg": 0xFFEF6C00,
    "no_route": 0xFF8E24AA,
}
RIM = 0xFFFFFFFF
FLASH = 0xFFE0262B
#: an implied Internet path stays drawn this long (wall seconds) after its last flow
IMPLIED_HOLD_S = 2.5
#: gauges drawn again per frame at most (beyond: the longest-waiting first, colour changes
#: always): at full speed every gauge changes at every frame, and one costs ~0.3 ms
GAUGE_BUDGET = 6
#: flow samples of a frame looked at for implied hops
IMPLIED_SCAN = 64
#: the last hop before an endpoint that gets an implied path drawn (no link is ever drawn there)
IMPLIED_FROM = ("public_ip", "nat_gateway", "vm")


def _offsets(radius: float) -> tuple[np.ndarray, np.ndarray]:
    r = int(math.ceil(radius))
    dy, dx = np.mgrid[-r:r + 1, -r:r + 1]
    keep = dx * dx + dy * dy <= radius * radius
    return dy[keep].astype(np.int32), dx[keep].astype(np.int32)


DOT = _offsets(2.3)
DOT_RIM = _offsets(3.4)
FLASH_DISC = _offsets(6.0)


class FlowDots:
    """All moving dots of one view, as arrays."""

    def __init__(self, capacity: int = CAPACITY, visible_cap: int = VISIBLE_CAP):
        self.capacity = capacity
        self.visible_cap = visible_cap
        self.pts = np.zeros((capacity, MAX_POINTS, 2), np.float32)
        self.nseg = np.ones(capacity, np.int32)
        self.born = np.full(capacity, -1e9)
        self.dur = np.ones(capacity)
        self.color = np.zeros(capacity, np.uint32)
        self.fail = np.zeros(capacity, bool)
        self.alive = np.zeros(capacity, bool)
        self._next = 0
        #: every stride-th flow sample gets a dot (1 = every sample has its dot)
        self.stride = 1
        #: flows one dot stands for: the stride times the flows each sample stands for (the
        #: engine samples at most so many flows per frame and counts the others)
        self.flows_per_dot = 1.0
        self._stride_pos = 0
        self._rate = 0.0           # flow samples per wall second, smoothed
        self._flows_per_sample = 1.0
        self._last_spawn = None
        self._last_t = None
        #: (from node, endpoint) -> wall time of the last flow over that implied hop
        self.implied: dict[tuple[str, str], float] = {}
        #: the generators' attempted flows at the previous frame
        self._last_attempted: int | None = None
        #: a sample's path key -> (points, count), for the positions dict they were made from
        self._paths: dict[tuple, tuple[np.ndarray, int] | None] = {}
        self._paths_for: dict | None = None

    @property
    def count(self) -> int:
        return int(self.alive.sum())

    def clear(self) -> None:
        self.alive[:] = False
        self.implied.clear()
        self.stride = 1
        self.flows_per_dot = 1.0
        self._rate = 0.0
        self._flows_per_sample = 1.0
        self._last_spawn = self._last_t = None
        self._last_attempted = None
        self._paths.clear()
        self._paths_for = None

    def spawn(self, frame: Frame, positions: dict[str, tuple[float, float]],
              now: float | None = None, kinds: dict[str, str] | None = None) -> int:
        """Add a dot for each flow start / failure of ``frame`` (positions: node id -> scene
        point).  Returns the number of dots added."""
        now = time.monotonic() if now is None else now
        samples = [s for s in frame.samples if s.event != "end"]
        flows = self._new_flows(frame, len(samples))
        if kinds:
            self._note_implied(samples, positions, kinds, now)
        wall_dt = (now - self._last_spawn) if self._last_spawn is not None else 1 / 60
        sim_t0 = self._last_t if self._last_t is not None else frame.t
        self._last_spawn, self._last_t = now, frame.t
        # the stride thins the samples this frame brings to the visible cap (not the flows:
        # at a million flows a second the engine samples a few hundred per frame, and a
        # stride over the flows would leave a handful of dots on the canvas)
        if wall_dt > 0:
            inst = len(samples) / max(wall_dt, 1 / 240)
            self._rate = inst if self._rate == 0 else 0.8 * self._rate + 0.2 * inst
        if samples:
            share = flows / len(samples)
            self._flows_per_sample = 0.8 * self._flows_per_sample + 0.2 * share
        steady = self._rate * (MAX_JOURNEY_S + MIN_JOURNEY_S) / 2
        self.stride = max(1, math.ceil(steady / self.visible_cap)) if steady else 1
        self.flows_per_dot = self.stride * max(self._flows_per_sample, 1.0)
        if not samples:
            return 0
        kinds = kinds or {}
        added = 0
        span = max(frame.t - sim_t0, 1e-9)
        # the engine keeps the first samples of a frame: when it dropped some, the kept ones
        # all lie at the start of the frame's simulated span, though flows came all along it;
        # they are then spread evenly over the wall time the frame stood for (else every
        # frame's dots would set off at once, in waves)
        capped = frame.samples_dropped > 0
        spread = min(wall_dt, 0.25)
        if self.stride > 1:   # density mode: every stride-th flow gets a dot
            first = (self.stride - 1 - self._stride_pos) % self.stride
            self._stride_pos = (self._stride_pos + len(samples)) % self.stride
            samples = samples[first::self.stride]
        if self._paths_for is not positions or len(self._paths) > PATHS_KEPT:
            # the diagram changed (a new positions dict): paths anew
            self._paths.clear()
            self._paths_for = positions
        for k, s in enumerate(samples):
            key = (s.nodes, s.failed_at, s.generator, s.vm, s.outcome == "succeeded")
            path = self._paths.get(key)
            if path is None:
                path = self._paths[key] = self._path(s, positions, kinds)
            if path is None:
                continue
            pts, n = path
            i = self._next
            self._next = (i + 1) % self.capacity
            self.pts[i] = pts
            self.nseg[i] = n - 1
            failed = s.outcome not in ("succeeded", "ended")
            self.fail[i] = failed
            self.color[i] = COLORS[s.outcome] if failed else \
                COLORS.get((s.protocol, "ok"), COLORS[("tcp", "ok")])
            self.dur[i] = min(max(SEGMENT_S * (n - 1), MIN_JOURNEY_S), MAX_JOURNEY_S)
            # spread the frame's flows over the wall time it stood for
            if capped:
                lag = (1.0 - (k + 0.5) / len(samples)) * spread
            else:
                lag = (frame.t - s.t) / span * spread
            self.born[i] = now - max(lag, 0.0)
            self.alive[i] = True
            added += 1
        return added

    def _new_flows(self, frame: Frame, kept: int) -> int:
        """The flows that started or failed since the previous frame: from the generators'
        counters (the engine's dropped samples count flow ends too, which are no new flows),
        else the kept samples and the dropped ones."""
        attempted = sum(c.attempted for c in frame.generators.values())
        last, self._last_attempted = self._last_attempted, attempted
        if last is not None and attempted - last >= kept:
            return attempted - last
        return kept + frame.samples_dropped

    @staticmethod
    def _path(s, positions, kinds) -> tuple[np.ndarray, int] | None:
        """The scene points a dot of sample ``s`` visits (padded to MAX_POINTS), and their
        number; None when none of its nodes is on the canvas."""
        nodes = list(s.nodes)
        if s.outcome != "succeeded" and s.failed_at in nodes:
            nodes = nodes[:nodes.index(s.failed_at) + 1]
        # NSGs sit beside the path, not on it: a dot visits one only when it is denied there
        nodes = [n for n in nodes if kinds.get(n) != "nsg" or n == s.failed_at]
        if s.vm is not None and nodes and nodes[0] == s.vm and s.generator in positions:
            nodes.insert(0, s.generator)
        pts = [positions[n] for n in nodes if n in positions][:MAX_POINTS]
        if not pts:
            return None
        if len(pts) == 1:
            pts.append(pts[0])
        n = len(pts)
        pts += [pts[-1]] * (MAX_POINTS - n)
        return np.array(pts, np.float32), n

    def _note_implied(self, samples, positions, kinds, now: float) -> None:
        """Remember the last hop to an endpoint of the flows that got there (a spread of at
        most IMPLIED_SCAN of the frame's samples: the hops in use are few)."""
        if len(samples) > IMPLIED_SCAN:
            samples = samples[::len(samples) // IMPLIED_SCAN + 1]
        for s in samples:
            if s.outcome != "succeeded" or len(s.nodes) < 2:
                continue
            dest = s.nodes[-1]
            if kinds.get(dest) != "endpoint":
                continue
            hop = next((n for n in reversed(s.nodes[:-1]) if n in positions), None)
            if hop is not None and kinds.get(hop) in IMPLIED_FROM:
                self.implied[(hop, dest)] = now

    def implied_paths(self, now: float | None = None) -> list[tuple[str, str]]:
        """The implied hops used within the last IMPLIED_HOLD_S wall seconds."""
        now = time.monotonic() if now is None else now
        stale = [k for k, t in self.implied.items() if now - t > IMPLIED_HOLD_S]
        for k in stale:
            del self.implied[k]
        return sorted(self.implied)

    def positions(self, now: float | None = None):
        """(x, y, colour, flashing) of the visible dots at wall time ``now`` (scene units);
        expired dots are retired."""
        now = time.monotonic() if now is None else now
        idx = np.flatnonzero(self.alive)
        if idx.size == 0:
            empty = np.zeros(0, np.float32)
            return empty, empty, np.zeros(0, np.uint32), np.zeros(0, bool)
        age = now - self.born[idx]
        dur = self.dur[idx]
        fail = self.fail[idx]
        expired = age > dur + np.where(fail, FLASH_S, 0.0)
        if expired.any():
            self.alive[idx[expired]] = False
            keep = ~expired
            idx, age, dur, fail = idx[keep], age[keep], dur[keep], fail[keep]
        u = np.clip(age / dur, 0.0, 1.0)
        nseg = self.nseg[idx]
        seg = u * nseg
        k = np.minimum(seg.astype(np.int32), nseg - 1)
        frac = (seg - k).astype(np.float32)
        p0 = self.pts[idx, k]
        p1 = self.pts[idx, k + 1]
        xy = p0 + (p1 - p0) * frac[:, None]
        flashing = fail & (age >= dur)
        # a failed flow blinks where it failed
        visible = ~flashing | (((age - dur) / 0.12).astype(np.int32) % 2 == 0)
        return (xy[visible, 0], xy[visible, 1], self.color[idx][visible], flashing[visible])


class DotImage:
    """An ARGB32 image over a numpy buffer with a hidden margin of PAD pixels on every side,
    so dots are stamped with one add and one scatter per disc pixel and no bounds checks."""

    PAD = 8

    def __init__(self):
        self.full = np.zeros((1, 1), np.uint32)
        self.buf = self.full
        self.image = QImage()
        self.resize(1, 1)

    def resize(self, w: int, h: int) -> None:
        w, h = max(int(w), 1), max(int(h), 1)
        if self.buf.shape == (h, w) and not self.image.isNull():
            return
        pad = self.PAD
        self.full = np.zeros((h + 2 * pad, w + 2 * pad), np.uint32)
        self.buf = self.full[pad:pad + h, pad:pad + w]
        fw, fh = w + 2 * pad, h + 2 * pad
        self.image = QImage(self.full.data, fw, fh, 4 * fw,
                            QImage.Format.Format_ARGB32_Premultiplied)
        #: the visible part of ``image``
        self.source = QRect(pad, pad, w, h)
        self._offsets_cache: dict[int, np.ndarray] = {}
        #: flat indices written since the last clear (None: unknown, clear all)
        self._stamped: list[np.ndarray] | None = None

    def clear(self) -> None:
        """Erase the dots stamped since the last clear (only their pixels when they are few:
        filling a full-screen image costs milliseconds at every frame)."""
        if self._stamped is not None and sum(b.size for b in self._stamped) < self.full.size // 8:
            flat = self.full.reshape(-1)
            for base in self._stamped:
                flat[base] = 0
        else:
            self.full.fill(0)
        self._stamped = []

    def _flat_offsets(self, offsets) -> np.ndarray:
        key = id(offsets)
        flat = self._offsets_cache.get(key)
        if flat is None:
            dys, dxs = offsets
            flat = self._offsets_cache[key] = (dys * self.full.shape[1] + dxs).astype(np.int64)
        return flat

    def stamp(self, x: np.ndarray, y: np.ndarray, colors, offsets) -> None:
        h, w = self.buf.shape
        pad = self.PAD
        xi = np.rint(x).astype(np.int64)
        yi = np.rint(y).astype(np.int64)
        # centres up to one pixel outside still show their edge; discs (radius <= PAD - 1)
        # then stay inside the margin
        inside = (xi >= -1) & (yi >= -1) & (xi <= w) & (yi <= h)
        if not inside.all():
            xi, yi = xi[inside], yi[inside]
            if not np.isscalar(colors):
                colors = colors[inside]
        base = (yi + pad) * self.full.shape[1] + (xi + pad)
        flat = self.full.reshape(-1)
        # one scatter for every pixel of every disc, in the order of the offsets (the last
        # offset wins where discs overlap, as pixel by pixel): each numpy call releases and
        # takes back the interpreter, and while the simulation's worker runs Python taking it
        # back costs up to the switch interval - fifty calls a paint made it 5x slower
        offs = self._flat_offsets(offsets)
        pixels = (offs[:, None] + base[None, :]).ravel()
        flat[pixels] = colors if np.isscalar(colors) else np.tile(colors, len(offs))
        if self._stamped is not None:
            self._stamped.append(pixels)


def stamp_dots(image: DotImage, view_xy: tuple[np.ndarray, np.ndarray], colors: np.ndarray,
               flashing: np.ndarray) -> None:
    x, y = view_xy
    if flashing.any():
        image.stamp(x[flashing], y[flashing], np.uint32(FLASH), FLASH_DISC)
    image.stamp(x, y, np.uint32(RIM), DOT_RIM)
    image.stamp(x, y, colors, DOT)


class FlowOverlay(QWidget):
    """Covers a view's viewport while a simulation is live: cached scene + stamped dots."""

    def __init__(self, view: QGraphicsView):
        super().__init__(view)
        self.setObjectName("flow-overlay")
        self.view = view
        self.dots = FlowDots()
        self.image = DotImage()
        self._static: QPixmap | None = None
        self._static_dirty = True
        self.gauges: dict = {}
        #: (lb, vm) pairs whose health probe is down (the VM is out of rotation)
        self.probes_down: frozenset = frozenset()
        #: how much larger gauges and marks are drawn (Presentation mode)
        self.gauge_scale = 1.0
        self._positions: dict[str, tuple[float, float]] = {}
        self._gauge_image = QImage()
        self._gauges_dirty = False
        #: (view transform, dark, scale) and node id -> what its gauge shows, as drawn
        self._gauge_layout: tuple | None = None
        self._static_under: tuple = ((), frozenset())
        self._gauge_bounds = QRect()
        self._gauge_boxes: dict[str, tuple[QPointF, QRect]] = {}
        self._gauge_overlaps: dict[str, list[str]] = {}
        self._gauge_age: dict[str, int] = {}     # node id -> when its gauge was last drawn
        self._gauge_serial = 0
        self.renders = 0            # static layer renders (for tests and benchmarks)
        self.paints = 0
        self.note = ""
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground, True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        scene = view.scene()
        scene.changed.connect(self.invalidate)
        view.horizontalScrollBar().valueChanged.connect(self.invalidate)
        view.verticalScrollBar().valueChanged.connect(self.invalidate)
        if hasattr(view, "zoomChanged"):
            view.zoomChanged.connect(self.invalidate)
        view.rubberBandChanged.connect(lambda *_: self.update())
        view.viewport().installEventFilter(self)
        self._follow_viewport()
        self.hide()

    # ---------------------------------------------------------------- geometry / cache
    def _follow_viewport(self) -> None:
        self.setGeometry(self.view.viewport().geometry())
        self.image.resize(self.width(), self.height())
        self.invalidate()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Move):
            self._follow_viewport()
        return False

    def invalidate(self, *_args) -> None:
        self._static_dirty = True
        self._gauges_dirty = True
        self._gauge_layout = None
        if self.isVisible():
            self.update()

    def _background(self) -> QColor:
        canvas = getattr(self.view.scene(), "palette", None)
        if isinstance(getattr(canvas, "background", None), str):
            return QColor(canvas.background)
        brush = self.view.backgroundBrush()
        return QColor(brush.color() if brush.style() != Qt.BrushStyle.NoBrush
                      else self.palette().base().color())

    def _render_static(self) -> None:
        size = self.size()
        if self._static is None or self._static.size() != size:
            self._static = QPixmap(size)
        self._static.fill(self._background())
        painter = QPainter(self._static)
        painter.setRenderHints(self.view.renderHints())
        self.view.render(painter, QRect(0, 0, size.width(), size.height()),
                         QRect(0, 0, size.width(), size.height()))
        # what the diagram has no item for changes rarely: drawn once with the scene
        self._paint_under_dots(painter, self._under_key)
        painter.end()
        self._static_dirty = False
        self._static_under = self._under_key
        self.renders += 1

    # ---------------------------------------------------------------- dots
    def add_frame(self, frame: Frame, positions, kinds) -> int:
        self._positions = positions
        added = self.dots.spawn(frame, positions, kinds=kinds)
        per_dot = round(self.dots.flows_per_dot)
        self.note = f"density: 1 dot ≈ {per_dot:,} flows" if per_dot > 1 else ""
        return added

    def set_gauges(self, values: dict) -> None:
        """node id -> GaugeValue, drawn over the dots (the scene's gauge items stay hidden)."""
        if values != self.gauges:
            self.gauges = dict(values)
            self._gauges_dirty = True

    def set_probes(self, probes) -> None:
        """``probes``: (lb, vm) -> "up" / "down" of the latest frame."""
        down = frozenset(k for k, state in probes.items() if state == "down")
        if down != self.probes_down:
            self.probes_down = down
            self._gauges_dirty = True
            self._gauge_layout = None

    def set_gauge_scale(self, scale: float) -> None:
        if scale != self.gauge_scale:
            self.gauge_scale = scale
            self._gauges_dirty = True
            self._gauge_layout = None

    def _node_point(self, node_id: str) -> QPointF | None:
        item = self.view.scene().node_item(node_id)
        if item is None:
            return None
        if getattr(item.component, "CONTAINER", False):
            return item.scene_rect().center()
        return QPointF(item.pos())

    def _render_gauges(self) -> None:
        """The layer over the dots: gauges and out-of-rotation marks.  Only the gauges whose
        picture changed are drawn again (with those they overlap); everything is drawn again
        when the view moved, zoomed or resized, or the probes changed."""
        size = self.size()
        if self._gauge_image.size() != size:
            self._gauge_image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
            self._gauge_layout = None
        self._gauges_dirty = False
        t = self.view.viewportTransform()
        if (not self.gauges and not self.probes_down) or t.m11() < G.MIN_ZOOM:
            self._gauge_image.fill(0)
            self._gauge_layout = None
            self._gauge_bounds = QRect()
            return
        scene = self.view.scene()
        dark = getattr(getattr(scene, "palette", None), "dark", False)
        k = self.gauge_scale
        layout_key = (t, dark, k)
        full = self._gauge_layout is None or self._gauge_layout[0] != layout_key or \
            set(self._gauge_layout[1]) != set(self.gauges)
        drawn = {} if full else self._gauge_layout[1]
        if full:      # where each gauge goes: kept until the view or the scene changes
            dx, dy = -G.WIDTH * k / 2, -TILE_SIZE / 2 - (G.HEIGHT + 4) * k
            self._gauge_boxes = {}
            for node_id in self.gauges:
                item = scene.node_item(node_id)
                if item is not None:
                    corner = QPointF(item.pos().x() + dx, item.pos().y() + dy)
                    box = t.mapRect(QRectF(corner.x() - 1, corner.y() - 1, (G.WIDTH + 2) * k,
                                           (G.HEIGHT + 2) * k)).toAlignedRect()
                    self._gauge_boxes[node_id] = (corner, box)
            # the gauges each one overlaps: redrawn with it
            items = list(self._gauge_boxes.items())
            self._gauge_overlaps = {n: [m for m, (_c2, other) in items
                                        if m != n and box.intersects(other)]
                                    for n, (_c, box) in items}
        boxes = self._gauge_boxes
        if full:
            todo = list(boxes)
            self._gauge_image.fill(0)
        else:
            changed = [n for n, v in self.gauges.items() if drawn.get(n) != v.paint_key]
            if len(changed) > GAUGE_BUDGET:
                # a bounded amount of work per frame: a change of colour first, then the
                # gauges that waited longest; the rest are drawn at the next frames
                colour = {n for n in changed if drawn.get(n, (None, None))[1] !=
                          self.gauges[n].color}
                changed.sort(key=lambda n: (n not in colour, self._gauge_age.get(n, 0)))
                changed = changed[:max(GAUGE_BUDGET, len(colour))]
                self._gauges_dirty = True
            todo = list(dict.fromkeys(
                [n for n in changed if n in boxes] +
                [m for n in changed for m in self._gauge_overlaps.get(n, ())]))
        if not todo and not full:
            return
        painter = QPainter(self._gauge_image)
        if not full:
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Clear)
            for n in todo:
                painter.fillRect(boxes[n][1], Qt.GlobalColor.transparent)
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
            painter.setClipRegion(sum((QRegion(boxes[n][1]) for n in todo), QRegion()))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.setFont(G.GaugeItem.FONT)
        for node_id in todo:
            corner, _box = boxes[node_id]
            value = self.gauges[node_id]
            m = QTransform.fromTranslate(corner.x(), corner.y())
            m.scale(k, k)
            painter.setTransform(m * t)
            G.draw_gauge(painter, value, dark, font_set=True)
            drawn[node_id] = value.paint_key
            self._gauge_serial += 1
            self._gauge_age[node_id] = self._gauge_serial
        if full:
            painter.setTransform(t)
            for vm in sorted({vm for _lb, vm in self.probes_down}):
                item = scene.node_item(vm)
                if item is not None:
                    draw_out_of_rotation(painter, QPointF(item.pos()), k)
        painter.end()
        self._gauge_layout = (layout_key, drawn)
        if full:
            bounds = QRect()
            for _corner, box in boxes.values():
                bounds = bounds.united(box)
            if self.probes_down:
                bounds = self.rect()      # the marks reach beside their VMs
            self._gauge_bounds = bounds.intersected(self.rect())

    @property
    def _under_key(self) -> tuple:
        """What the layer under the dots shows: (implied hops in use, probes down)."""
        implied = tuple(self.dots.implied_paths()) if self.dots.implied else ()
        return implied, self.probes_down

    def _paint_under_dots(self, painter: QPainter, key: tuple) -> None:
        """Dimmed backend links of VMs out of rotation, implied Internet paths in use."""
        implied, down = key
        if not down and not implied:
            return
        t = self.view.viewportTransform()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        bg = self._background()
        for lb, vm in sorted(down):
            a, b = self._node_point(lb), self._node_point(vm)
            if a is None or b is None:
                continue
            a, b = t.map(a), t.map(b)
            veil = QColor(bg)
            veil.setAlpha(190)
            painter.setPen(QPen(veil, max(6.0, 6 * t.m11())))
            painter.drawLine(a, b)
            dashed = QPen(QColor("#8a96a3"), 1.5, Qt.PenStyle.DashLine)
            painter.setPen(dashed)
            painter.drawLine(a, b)
        faint = QColor("#2f81f7")
        faint.setAlpha(110)
        pen = QPen(faint, max(1.5, 2 * t.m11()), Qt.PenStyle.DashLine)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        for hop, dest in implied:
            a, b = self._node_point(hop), self._node_point(dest)
            if a is not None and b is not None:
                painter.drawLine(t.map(a), t.map(b))
        painter.restore()

    def tick(self) -> None:
        """Called by the animation timer: repaint when something moves or changed."""
        if not self.isVisible():
            return
        if self._under_key != self._static_under:
            self._static_dirty = True
        if self.dots.alive.any() or self._static_dirty or self._gauges_dirty:
            self.update()

    def paintEvent(self, event) -> None:
        if self._static_dirty or self._static is None:
            self._render_static()
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._static)
        x, y, colors, flashing = self.dots.positions()
        if x.size:
            t = self.view.viewportTransform()
            vx = t.m11() * x + t.m21() * y + t.m31()
            vy = t.m12() * x + t.m22() * y + t.m32()
            self.image.clear()
            stamp_dots(self.image, (vx, vy), colors, flashing)
            # only the part of the image the dots are in (a full-screen blend costs ms)
            reach = 8
            bounds = QRect(int(vx.min()) - reach, int(vy.min()) - reach,
                           int(vx.max() - vx.min()) + 2 * reach,
                           int(vy.max() - vy.min()) + 2 * reach).intersected(self.rect())
            if not bounds.isEmpty():
                source = bounds.translated(self.image.PAD, self.image.PAD)
                painter.drawImage(bounds.topLeft(), self.image.image, source)
        if self._gauges_dirty:
            self._render_gauges()
        if (self.gauges or self.probes_down) and not self._gauge_bounds.isEmpty():
            painter.drawImage(self._gauge_bounds.topLeft(), self._gauge_image,
                              self._gauge_bounds)
        band = self.view.rubberBandRect()
        if not band.isEmpty():
            c = self.palette().highlight().color()
            painter.setPen(QPen(c, 1))
            c.setAlpha(40)
            painter.setBrush(c)
            painter.drawRect(band)
        if self.note:
            font = QFont(painter.font())
            font.setPixelSize(11)
            painter.setFont(font)
            painter.setPen(QColor("#5f6b7a"))
            painter.drawText(self.rect().adjusted(8, 8, -8, -8),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom, self.note)
        painter.end()
        self.paints += 1


def draw_out_of_rotation(painter: QPainter, centre: QPointF, scale: float = 1.0) -> None:
    """A VM whose health probe is down: a red dashed ring around its tile and a tag."""
    half = TILE_SIZE / 2 + 5
    painter.save()
    painter.setPen(QPen(QColor("#d32f2f"), 2.0, Qt.PenStyle.DashLine))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRoundedRect(QRectF(centre.x() - half, centre.y() - half, 2 * half, 2 * half), 8, 8)
    font = QFont(G.GaugeItem.FONT)
    font.setPixelSize(round(10 * scale))
    painter.setFont(font)
    text = "probe down"
    width = painter.fontMetrics().horizontalAdvance(text) + 8
    height = 14 * scale
    tag = QRectF(centre.x() - half - width - 4, centre.y() - height / 2, width, height)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#d32f2f"))
    painter.drawRoundedRect(tag, 3, 3)
    painter.setPen(QColor("#ffffff"))
    painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()


def scene_positions(scene) -> tuple[dict[str, tuple[float, float]], dict[str, str]]:
    """node id -> centre in scene units, and node id -> kind, for the dots' paths."""
    positions: dict[str, tuple[float, float]] = {}
    kinds: dict[str, str] = {}
    for item in scene.all_node_items():
        if getattr(item.component, "CONTAINER", False):
            c = item.scene_rect().center()
        else:
            c = QPointF(item.pos())
        positions[item.node_id] = (c.x(), c.y())
        kinds[item.node_id] = item.kind
    return positions, kinds
