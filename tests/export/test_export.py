"""Diagram export: structure, not pixels (SVG parses with one group per node and names as
text; PDF has one page of the drawing's aspect; PNG size per scale, transparent corners)."""
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from PySide6.QtGui import QImage, QUndoStack

from designer.export.diagram import EXPORTERS, ExportOptions, export_scene, exporter_for, svg_document
from designer.export.registry import DIAGRAM, exporters
from designer.model import Endpoint, Link, Scenario, TrafficGenerator, Vm, load_scenario
from designer.resources import demo_path, example_paths
from designer.ui.canvas.scene import DiagramScene

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def make_scene(qapp):
    stacks = []

    def make(scenario):
        stack = QUndoStack()
        stacks.append(stack)
        return DiagramScene(scenario, stack)
    return make


def tricky_scenario() -> Scenario:
    s = Scenario(name='Names <with> & "quotes"')
    s.topology.add_node(Vm(id="vm-1", name='web <1> & "co"', position=(100, 100)))
    s.topology.add_node(Endpoint(id="api", name="api & <co>", position=(400, 100)))
    s.topology.add_node(TrafficGenerator(id="gen", position=(100, -60)))
    s.topology.connect(Link("gen", "vm-1", "source"))
    s.topology.connect(Link("gen", "api", "destination"))
    return s


def test_svg_is_xml_with_one_group_per_node_and_names_as_text(make_scene, tmp_path):
    scenario = load_scenario(demo_path())
    scene = make_scene(scenario)
    out = tmp_path / "demo.svg"
    export_scene(scene, out, ExportOptions(title=scenario.name))
    root = ET.parse(out).getroot()
    assert root.tag == SVG + "svg" and root.get("version") == "1.1"
    groups = {g.get("id") for g in root.iter(SVG + "g") if g.get("id", "").startswith("node-")}
    assert groups == {f"node-{n.id}" for n in scenario.topology.nodes()}
    texts = {t.text for t in root.iter(SVG + "text")}
    for node in scenario.topology.nodes():
        assert node.display_name in texts


def test_svg_escapes_names(make_scene, tmp_path):
    scene = make_scene(tricky_scenario())
    data = svg_document(scene, ExportOptions(title='Names <with> & "quotes"'))
    root = ET.fromstring(data)  # would raise on a bare < or &
    texts = {t.text for t in root.iter(SVG + "text")}
    assert 'web <1> & "co"' in texts and "api & <co>" in texts


def test_pdf_has_one_page_of_the_drawings_aspect(make_scene, tmp_path):
    scene = make_scene(load_scenario(demo_path()))
    out = tmp_path / "demo.pdf"
    options = ExportOptions()
    export_scene(scene, out, options)
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page[^s]", data)) == 1
    box = re.search(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", data)
    width, height = float(box.group(3)) - float(box.group(1)), float(box.group(4)) - float(box.group(2))
    rect = scene.items_bounding_rect()
    expected = (rect.width() + 2 * options.margin) / (rect.height() + 2 * options.margin)
    assert width / height == pytest.approx(expected, rel=0.02)
    assert b"/FontFile" in data  # fonts embedded


@pytest.mark.parametrize("scale", [1, 2, 4])
def test_png_size_follows_scale_and_corners_can_be_transparent(make_scene, tmp_path, scale):
    scene = make_scene(load_scenario(demo_path()))
    out = tmp_path / f"demo@{scale}.png"
    options = ExportOptions(scale=scale, transparent=True)
    export_scene(scene, out, options)
    image = QImage(str(out))
    rect = scene.items_bounding_rect()
    assert image.width() == round((rect.width() + 2 * options.margin) * scale)
    assert image.height() == round((rect.height() + 2 * options.margin) * scale)
    for x, y in ((0, 0), (image.width() - 1, 0), (0, image.height() - 1),
                 (image.width() - 1, image.height() - 1)):
        assert image.pixelColor(x, y).alpha() == 0


def test_png_with_theme_background_is_opaque_and_dark_differs(make_scene, tmp_path):
    scene = make_scene(load_scenario(demo_path()))
    light, dark = tmp_path / "light.png", tmp_path / "dark.png"
    export_scene(scene, light, ExportOptions())
    export_scene(scene, dark, ExportOptions(dark=True))
    a, b = QImage(str(light)), QImage(str(dark))
    assert a.pixelColor(0, 0).alpha() == 255
    assert a.pixelColor(0, 0).lightness() > 200 > b.pixelColor(0, 0).lightness()


def test_selection_only_export_is_smaller_and_leaves_no_selection_outline(make_scene, tmp_path):
    scene = make_scene(load_scenario(demo_path()))
    scene.select_nodes(["web-1"])
    whole, part = tmp_path / "whole.png", tmp_path / "part.png"
    export_scene(scene, whole, ExportOptions())
    export_scene(scene, part, ExportOptions(node_ids=["web-1", "web-2"]))
    assert QImage(str(part)).width() < QImage(str(whole)).width()
    assert scene.selected_node_ids() == ["web-1"]  # the user's selection is restored
    data = svg_document(scene, ExportOptions(node_ids=["web-1"]))
    ids = {g.get("id") for g in ET.fromstring(data).iter(SVG + "g") if g.get("id")}
    assert "node-web-1" in ids and "node-web-2" not in ids


def test_unknown_extension_and_bad_scale_are_refused():
    with pytest.raises(ValueError, match="must end in"):
        exporter_for("diagram.bmp")
    with pytest.raises(ValueError, match="scale"):
        ExportOptions(scale=8)
    # one registry: the diagram formats and the code formats (which take the scenario)
    assert set(EXPORTERS) == {".png", ".svg", ".pdf", ".arm.json", ".bicep", ".tf"}
    assert set(exporters(DIAGRAM)) == {".png", ".svg", ".pdf"}
    assert exporter_for("web.arm.json").kind == "code"
    with pytest.raises(ValueError, match="must end in"):
        exporter_for("web.json")
    with pytest.raises(ValueError, match="must end in"):
        export_scene(None, "web.tf")  # a scene cannot be written as code


@pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.name)
def test_every_bundled_example_exports_headless(make_scene, tmp_path, path):
    scene = make_scene(load_scenario(path))
    for ext in exporters(DIAGRAM):
        out = tmp_path / f"x{ext}"
        export_scene(scene, out, ExportOptions())
        assert out.stat().st_size > 1000


def test_export_command_in_a_subprocess(tmp_path):
    out = tmp_path / "demo.svg"
    env_free = {k: v for k, v in __import__("os").environ.items()
                if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = subprocess.run([sys.executable, "-m", "designer", "export", str(demo_path()), str(out)],
                          capture_output=True, text=True, env=env_free, timeout=120)
    assert done.returncode == 0, done.stderr
    ET.parse(out)
    bad = subprocess.run([sys.executable, "-m", "designer", "export", str(demo_path()),
                          str(tmp_path / "x.gif")], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "must end in" in bad.stderr and "Traceback" not in bad.stderr


def test_a_huge_png_is_scaled_down_with_a_note(make_scene, tmp_path, monkeypatch):
    from designer.export import diagram
    monkeypatch.setattr(diagram, "MAX_PNG_PIXELS", 200_000)
    scene = make_scene(load_scenario(demo_path()))
    out = tmp_path / "big.png"
    notes = export_scene(scene, out, ExportOptions(scale=2))
    image = QImage(str(out))
    assert image.width() * image.height() <= 200_000 * 1.01
    assert notes and "scale" in notes[0] and "SVG or PDF" in notes[0]


def test_export_at_draws_the_gauges_as_they_stand_then(tmp_path):
    """--at S: the demo's web-1 floods and runs out of its 1,024 ports after about 106 s."""
    from designer.cli import main
    early, late = tmp_path / "early.svg", tmp_path / "late.svg"
    assert main(["export", str(demo_path()), str(early), "--at", "30"]) == 0
    assert main(["export", str(demo_path()), str(late), "--at", "150"]) == 0
    texts = lambda p: {t.text for t in ET.parse(p).getroot().iter(SVG + "text")}
    assert "1024/1024" in texts(late) and "1024/1024" not in texts(early)
    assert main(["export", str(demo_path()), str(tmp_path / "x.svg"), "--at", "-1"]) == 2
