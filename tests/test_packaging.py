"""Icons and desktop integration: every node kind has a usable icon, the desktop files agree on
one application id, and make_icons.py writes every size and container."""
import configparser
import fnmatch
import importlib.util
import re
import struct
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from designer import APP_ID, __version__
from designer.model.components import NODE_KINDS
from designer.resources import example_paths, icons_dir

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
SVG_NS = "{http://www.w3.org/2000/svg}"
MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"
MIME_TYPE = "application/x-outbound-designer+json"
ICON_NAMES = (*NODE_KINDS, "app")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def render(svg: Path, size: int):
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    assert renderer.isValid(), f"{svg.name}: QSvgRenderer cannot read it"
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def opaque_fraction(image) -> float:
    w, h = image.width(), image.height()
    return sum(image.pixelColor(x, y).alpha() > 128 for x in range(w) for y in range(h)) / (w * h)


# ---------------------------------------------------------------------------------- icons

@pytest.mark.parametrize("name", ICON_NAMES)
def test_icon_is_a_self_contained_64_unit_svg(name):
    path = icons_dir() / f"{name}.svg"
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("viewBox") == "0 0 64 64"
    assert root.get("version") == "1.1"
    for element in root.iter():
        assert element.tag != f"{SVG_NS}text", f"{name}.svg: icons carry no text"
        assert element.tag != f"{SVG_NS}image", f"{name}.svg: no embedded or linked images"
        for attribute, value in element.attrib.items():
            if attribute.endswith("href"):
                assert value.startswith("#"), f"{name}.svg: external reference {value}"
            assert "url(" not in value or value.startswith("url(#"), f"{name}.svg: {value}"


@pytest.mark.parametrize("name", ICON_NAMES)
def test_icon_renders_with_qtsvg_at_32_px(qapp, name):
    image = render(icons_dir() / f"{name}.svg", 32)
    fraction = opaque_fraction(image)
    assert 0.2 < fraction <= 1.0, f"{name}.svg covers {fraction:.0%} of a 32 px square"
    colours = {image.pixel(x, y) for x in range(32) for y in range(32)}
    assert len(colours) > 4, f"{name}.svg renders as a flat square"


def test_kinds_are_told_apart_by_their_icons(qapp):
    images = {name: render(icons_dir() / f"{name}.svg", 32) for name in ICON_NAMES}
    names = sorted(images)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            differing = sum(images[a].pixel(x, y) != images[b].pixel(x, y)
                            for x in range(32) for y in range(32))
            assert differing > 200, f"{a}.svg and {b}.svg look almost the same at 32 px"


def test_icons_state_their_licence():
    text = (icons_dir() / "README.md").read_text(encoding="utf-8")
    assert "original works" in text and "licence" in text
    assert {p.stem for p in icons_dir().glob("*.svg")} == set(ICON_NAMES)


# ------------------------------------------------------------------- desktop integration

def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # keys are case-sensitive
    parser.read(PACKAGING / f"{APP_ID}.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_launches_the_gui_script_with_the_file():
    entry = desktop_entry()
    assert entry["Type"] == "Application" and entry["Name"] == "Outbound Designer"
    program, *arguments = entry["Exec"].split()
    assert program in PYPROJECT["project"]["gui-scripts"] and arguments == ["%f"]
    assert entry["Icon"] == APP_ID
    assert entry["MimeType"] == f"{MIME_TYPE};"
    assert entry["Terminal"] == "false"
    assert entry["Categories"].endswith(";") and entry["Comment"]


def test_metainfo_uses_the_one_app_id_and_describes_this_release():
    root = ET.parse(PACKAGING / f"{APP_ID}.metainfo.xml").getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == f"{APP_ID}.desktop"
    assert root.findtext("project_license") == PYPROJECT["project"]["license"]["text"]
    assert root.find("content_rating").get("type") == "oars-1.1"
    release = root.find("releases/release")
    assert release.get("version") == __version__
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", release.get("date"))
    assert len(release.findall("description/ul/li")) >= 3
    image = root.findtext("screenshots/screenshot[@type='default']/image")
    assert image.startswith("https://") and image.endswith(".png")
    provides = root.find("provides")
    assert provides.findtext("mediatype") == MIME_TYPE
    scripts = set(PYPROJECT["project"]["scripts"]) | set(PYPROJECT["project"]["gui-scripts"])
    assert {b.text for b in provides.findall("binary")} == scripts


def test_mime_type_claims_scenario_files_and_nothing_else():
    root = ET.parse(PACKAGING / f"{APP_ID}.mime.xml").getroot()
    assert root.tag == f"{MIME_NS}mime-info"
    (mime,) = root.findall(f"{MIME_NS}mime-type")
    assert mime.get("type") == MIME_TYPE
    assert mime.find(f"{MIME_NS}sub-class-of").get("type") == "application/json"
    assert mime.find(f"{MIME_NS}icon").get("name") == APP_ID
    patterns = [g.get("pattern") for g in mime.findall(f"{MIME_NS}glob")]
    assert patterns == ["*.outbound.json"]
    assert example_paths() and all(fnmatch.fnmatch(p.name, patterns[0]) for p in example_paths())
    assert not fnmatch.fnmatch("report.json", patterns[0])


def test_scripts_are_executable_shell():
    for script in ("build.sh", "check.sh"):
        path = PACKAGING / script
        assert path.stat().st_mode & 0o111, f"{script} is not executable"
        subprocess.run(["bash", "-n", str(path)], check=True)


def test_spec_bundles_the_resources_where_the_program_looks():
    spec = (PACKAGING / "outbound-designer.spec").read_text(encoding="utf-8")
    compile(spec, "outbound-designer.spec", "exec")
    assert '"designer/resources"' in spec  # the wheel layout designer/resources.py looks in
    assert "PySide6.QtWebEngineCore" in spec


# ------------------------------------------------------------------------- make_icons.py

@pytest.fixture(scope="module")
def made_icons(tmp_path_factory, qapp):
    spec = importlib.util.spec_from_file_location("make_icons", PACKAGING / "make_icons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path_factory.mktemp("icons")
    module.make_icons(icons_dir() / "app.svg", out)
    return module, out


def png_size(data: bytes) -> tuple[int, int]:
    from PySide6.QtGui import QImage
    image = QImage.fromData(data, "PNG")
    assert not image.isNull()
    return image.width(), image.height()


def test_hicolor_pngs_in_every_size(made_icons):
    module, out = made_icons
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        path = out / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        assert png_size(path.read_bytes()) == (size, size)
    assert (out / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()


def test_ico_container_holds_a_png_per_size(made_icons):
    module, out = made_icons
    data = (out / f"{APP_ID}.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data, 0)
    assert (reserved, kind, count) == (0, 1, len(module.ICO_SIZES))
    sizes = []
    for i in range(count):
        w, h, _, _, planes, bits, length, offset = struct.unpack_from("<BBBBHHII", data, 6 + 16 * i)
        assert (planes, bits) == (1, 32)
        payload = data[offset:offset + length]
        assert len(payload) == length and payload.startswith(b"\x89PNG")
        side = w or 256
        assert png_size(payload) == (side, h or 256)
        sizes.append(side)
    assert sizes == [16, 24, 32, 48, 64, 128, 256]


def test_icns_container_holds_the_retina_sizes(made_icons):
    module, out = made_icons
    data = (out / f"{APP_ID}.icns").read_bytes()
    assert data[:4] == b"icns" and struct.unpack(">I", data[4:8])[0] == len(data)
    expected = {b"icp4": 16, b"icp5": 32, b"icp6": 64, b"ic07": 128, b"ic08": 256,
                b"ic09": 512, b"ic10": 1024, b"ic11": 32, b"ic12": 64, b"ic13": 256,
                b"ic14": 512}
    found, offset = {}, 8
    while offset < len(data):
        kind, length = data[offset:offset + 4], struct.unpack(">I", data[offset + 4:offset + 8])[0]
        found[kind] = png_size(data[offset + 8:offset + length])[0]
        offset += length
    assert offset == len(data) and found == expected


def test_make_icons_command_line(tmp_path):
    result = subprocess.run(
        [sys.executable, str(PACKAGING / "make_icons.py"), "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 8 + 1 + 2  # hicolor PNGs, scalable SVG, ico, icns
    bad = subprocess.run(
        [sys.executable, str(PACKAGING / "make_icons.py"), "--svg", str(ROOT / "pyproject.toml"),
         "--out", str(tmp_path / "bad")], capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "not an SVG file Qt can render" in bad.stderr


def test_install_desktop_registers_every_file_under_a_prefix(tmp_path):
    import os
    env = dict(os.environ, PYTHON=sys.executable, HOME=str(tmp_path))
    result = subprocess.run(["bash", str(PACKAGING / "install-desktop.sh"), str(tmp_path)],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    share = tmp_path / "share"
    for path in (f"applications/{APP_ID}.desktop", f"metainfo/{APP_ID}.metainfo.xml",
                 f"mime/packages/{APP_ID}.xml", f"icons/hicolor/scalable/apps/{APP_ID}.svg",
                 *(f"icons/hicolor/{n}x{n}/apps/{APP_ID}.png" for n in (16, 48, 256, 512))):
        assert (share / path).is_file(), path


@pytest.mark.parametrize("suffix, sizes", [
    ("ico", [16, 24, 32, 48, 64, 128, 256]),
    ("icns", [16, 32, 32, 64, 64, 128, 256, 256, 512, 512, 1024]),
])
def test_qt_own_image_readers_accept_the_containers(made_icons, suffix, sizes):
    """An independent reader (Qt's ico / icns image plugins) agrees with our writer."""
    from PySide6.QtGui import QImageReader
    module, out = made_icons
    if suffix.encode() not in [bytes(f) for f in QImageReader.supportedImageFormats()]:
        pytest.skip(f"this Qt has no {suffix} image plugin")
    reader = QImageReader(str(out / f"{APP_ID}.{suffix}"))
    read = []
    for i in range(reader.imageCount()):
        reader.jumpToImage(i)
        image = reader.read()
        assert not image.isNull(), reader.errorString()
        read.append(image.width())
    assert sorted(read) == sizes


def test_check_regenerates_the_screenshot_from_the_live_demo():
    """The metainfo's screenshot cannot go stale: check.sh (run by CI) makes it again from the
    live demo, with the interpreter CI installed the program in."""
    check = (PACKAGING / "check.sh").read_text()
    assert "packaging/make_screenshot.py --out \"$shot\"" in check
    assert "QT_QPA_PLATFORM=offscreen" in check
    assert 'PYTHON="$venv/bin/python" packaging/check.sh' in (ROOT / ".ci" / "run").read_text()
    spec = importlib.util.spec_from_file_location("make_screenshot",
                                                  PACKAGING / "make_screenshot.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.parse_size("1600x1000") == (1600, 1000)
    with pytest.raises(module.argparse.ArgumentTypeError):
        module.parse_size("10x10")
