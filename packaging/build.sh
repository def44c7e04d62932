#!/usr/bin/env bash
# Build the one-folder desktop bundle (PyInstaller) in a throw-away virtual environment, then
# check that it starts: --version, the bundled examples, validate + simulate the demo headless,
# and open the editor on the demo offscreen and close it again.
#
#   packaging/build.sh            -> packaging/dist/outbound-designer/outbound-designer
#
# Needs python3 (3.11+) with venv and network access to PyPI (or a configured index).
# Set KEEP_VENV=1 to keep the build venv (its path is printed).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
start=$(date +%s)
work=$(mktemp -d)
if [ "${KEEP_VENV:-0}" != 1 ]; then trap 'rm -rf "$work"' EXIT; fi
python=${PYTHON:-python3}

step() { echo "== $*"; }

step "build environment in $work/venv"
"$python" -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check . "pyinstaller>=6.10,<7"

step "icons (hicolor PNGs, .ico, .icns) into build/icons"
QT_QPA_PLATFORM=offscreen "$work/venv/bin/python" packaging/make_icons.py --out build/icons >/dev/null

step "PyInstaller one-folder bundle"
rm -rf packaging/dist/outbound-designer
"$work/venv/bin/pyinstaller" --noconfirm --clean --log-level WARN \
    --distpath packaging/dist --workpath "$work/pyinstaller" packaging/outbound-designer.spec
bundle=$root/packaging/dist/outbound-designer
exe=$bundle/outbound-designer
[ -x "$exe" ] || exe=$bundle/outbound-designer.exe

# The interpreter's own libraries often carry debug symbols (pyenv's libpython: 23 -> 6.5 MB).
# Only these: stripping the wheels' libraries (numpy's OpenBLAS) breaks them.
if [ "$(uname -s)" = Linux ] && command -v strip >/dev/null; then
    find "$bundle" \( -name 'libpython3*.so*' -o -path '*/lib-dynload/*.so' \) -type f \
        -exec strip --strip-debug {} +
fi

built=$(date +%s)
echo "bundle:     $bundle"
echo "size:       $(du -sh "$bundle" | cut -f1) ($(find "$bundle" -type f | wc -l) files)"
echo "build time: $((built - start)) s (venv, install, icons, PyInstaller)"
if find "$bundle" -iname '*WebEngine*' | grep -q .; then
    echo "FAIL: Qt WebEngine ended up in the bundle" >&2; exit 1
fi

step "the bundle starts (from another folder, without the checkout)"
cd "$work"
t0=$(date +%s.%N)
"$exe" --version
t1=$(date +%s.%N)
echo "--version took $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s"
"$exe" examples | grep -q "demo.outbound.json" || { echo "FAIL: examples not found" >&2; exit 1; }
demo=$("$exe" examples -v | awk '/demo.outbound.json/ {getline; sub(/^ +/, ""); print}')
[ -f "$demo" ] || { echo "FAIL: the demo is not in the bundle ($demo)" >&2; exit 1; }
"$exe" validate "$demo"
"$exe" simulate "$demo" --duration 120 >/dev/null

step "the editor opens the demo offscreen and closes"
# designer/ui/app.py quits by itself after OUTBOUND_DESIGNER_SMOKE_QUIT_MS milliseconds.
set +e
QT_QPA_PLATFORM=offscreen OUTBOUND_DESIGNER_SMOKE_QUIT_MS=2000 timeout 60 "$exe" "$demo"
status=$?
set -e
if [ "$status" = 124 ]; then
    echo "FAIL: the editor did not close within 60 s" >&2; exit 1
elif [ "$status" != 0 ]; then
    echo "FAIL: the editor exited with status $status" >&2; exit 1
fi
echo "OK: bundle built and checked in $(($(date +%s) - start)) s"
