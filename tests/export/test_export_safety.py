"""Diagram export in a shared folder and at the edges of the canvas (issue 15): a link planted
where the old exporter put its fixed temporary name is never followed, and any diagram whose
positions are inside the documented range (±1,000,000 canvas units) exports to PNG, SVG and
PDF with a real picture."""
import re

import pytest
from PySide6.QtGui import QImage

from designer.export.diagram import (MAX_PDF_PAGE_PT, MAX_PNG_PIXELS, MAX_PNG_SIDE,
                                     ExportOptions, export_scene)
from designer.model import Scenario, Vm
from designer.model.components import CANVAS_EXTENT
from tests.export.test_export import make_scene  # noqa: F401 (the fixture)


def two_vms(a, b) -> Scenario:
    s = Scenario(name="far")
    s.topology.add_node(Vm(id="a", position=a))
    s.topology.add_node(Vm(id="b", position=b))
    return s


@pytest.mark.parametrize("extension", ["png", "svg", "pdf"])
def test_export_never_follows_a_link_planted_at_the_old_temporary_name(make_scene, tmp_path,
                                                                       extension):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    out = tmp_path / f"diagram.{extension}"
    # the names the exporter used to write through: .NAME.tmp.EXT
    (tmp_path / f".diagram.{extension}.tmp.{extension}").symlink_to(victim)
    scene = make_scene(two_vms((0, 0), (200, 0)))
    export_scene(scene, out)
    assert victim.read_text(encoding="utf-8") == "precious"
    assert out.is_file() and not out.is_symlink() and out.stat().st_size > 100
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


E = CANVAS_EXTENT


@pytest.mark.parametrize("a, b", [((-E, -E), (E, E)), ((-E, 0), (E, 0)), ((0, -E), (0, E))],
                         ids=["corners", "wide", "tall"])
def test_any_diagram_inside_the_range_exports(make_scene, tmp_path, a, b):
    scene = make_scene(two_vms(a, b))
    png = tmp_path / "far.png"
    notes = export_scene(scene, png)
    image = QImage(str(png))
    assert not image.isNull()
    assert max(image.width(), image.height()) > 1000       # a picture, not 1 x 1
    assert max(image.width(), image.height()) <= MAX_PNG_SIDE
    assert image.width() * image.height() <= MAX_PNG_PIXELS * 1.001   # rounded sides
    assert notes and "megapixels" in notes[0]
    svg = tmp_path / "far.svg"
    export_scene(scene, svg)
    assert svg.read_text(encoding="utf-8").rstrip().endswith("</svg>")
    pdf = tmp_path / "far.pdf"
    notes = export_scene(scene, pdf, ExportOptions())
    data = pdf.read_bytes()
    box = re.search(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", data)
    width, height = float(box.group(3)), float(box.group(4))
    assert 0 < max(width, height) <= MAX_PDF_PAGE_PT + 1
    assert notes and "PDF page" in notes[0]
