#!/usr/bin/env bash
# Register Outbound Designer with the Linux desktop: menu entry, AppStream metainfo, the MIME
# type of *.outbound.json (so scenario files open with the program) and the hicolor icons.
#
#   packaging/install-desktop.sh [PREFIX]      (default PREFIX: ~/.local, i.e. for this user)
#
# The program itself (outbound-designer-gui) must be on PATH, e.g. from `pip install .`.
# PYTHON names an interpreter with PySide6 for rendering the icons (default: python3).
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-$HOME/.local}
share=$prefix/share
app_id=io.github.outbound_designer.OutboundDesigner
icons=$(mktemp -d)
trap 'rm -rf "$icons"' EXIT

QT_QPA_PLATFORM=offscreen "${PYTHON:-python3}" packaging/make_icons.py --out "$icons" >/dev/null
install -D -m 644 "packaging/$app_id.desktop" "$share/applications/$app_id.desktop"
install -D -m 644 "packaging/$app_id.metainfo.xml" "$share/metainfo/$app_id.metainfo.xml"
install -D -m 644 "packaging/$app_id.mime.xml" "$share/mime/packages/$app_id.xml"
(cd "$icons" && find hicolor -type f) | while read -r icon; do
    install -D -m 644 "$icons/$icon" "$share/icons/$icon"
done

if command -v update-mime-database >/dev/null; then update-mime-database "$share/mime"; fi
if command -v update-desktop-database >/dev/null; then
    update-desktop-database -q "$share/applications"
fi
if command -v gtk-update-icon-cache >/dev/null && [ -f "$share/icons/hicolor/index.theme" ]; then
    gtk-update-icon-cache -q -t "$share/icons/hicolor" || true
fi
echo "installed the desktop files of $app_id under $share"
