#!/usr/bin/env bash
# Validate the Linux desktop integration files: the .desktop entry (desktop-file-validate), the
# AppStream metainfo (appstreamcli validate --no-net), the shared-mime-info package
# (update-mime-database on a scratch folder, then check *.outbound.json maps to our type), and
# regenerates the screenshot the metainfo points at from the live demo.  Called from .ci/run
# (with PYTHON set to the interpreter the program is installed in).
#
# Tools: Debian/Ubuntu packages desktop-file-utils, appstream, shared-mime-info.  When they are
# missing and this runs as root with apt-get, they are installed; otherwise it stops and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
app_id=io.github.outbound_designer.OutboundDesigner
desktop=packaging/$app_id.desktop
metainfo=packaging/$app_id.metainfo.xml
mime=packaging/$app_id.mime.xml

missing=()
command -v desktop-file-validate >/dev/null || missing+=(desktop-file-utils)
command -v appstreamcli >/dev/null || missing+=(appstream)
command -v update-mime-database >/dev/null || missing+=(shared-mime-info)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing ${missing[*]}"
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "packaging/check.sh: missing tools; install the packages: ${missing[*]}" >&2
        exit 2
    fi
fi

echo "desktop-file-validate $desktop"
desktop-file-validate "$desktop"

echo "appstreamcli validate --no-net $metainfo"
appstreamcli validate --no-net "$metainfo"

echo "shared-mime-info $mime"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/packages"
cp "$mime" "$scratch/packages/"
update-mime-database "$scratch" >/dev/null 2>&1
grep -qx "60:application/x-outbound-designer+json:\*.outbound.json" "$scratch/globs2" || {
    echo "packaging/check.sh: $mime does not map *.outbound.json" >&2; exit 1; }

# The metainfo's screenshot is a file of this repository, regenerated here from the live demo
# (offscreen, a few seconds) so that it shows the program as it is.  PYTHON is the interpreter
# with the program installed (.ci/run passes its virtual environment's).
shot=$(sed -n 's|.*<image>https://raw.githubusercontent.com/[^/]*/[^/]*/[^/]*/\(.*\)</image>.*|\1|p' "$metainfo")
if [ -z "$shot" ] || [ ! -f "$shot" ]; then
    echo "packaging/check.sh: the metainfo screenshot '${shot:-?}' is not in the repository" >&2
    exit 1
fi
python=${PYTHON:-python3}
if ! "$python" -c "import designer.ui.main_window" 2>/dev/null; then
    echo "packaging/check.sh: $python cannot import the program; set PYTHON to the" \
         "interpreter it is installed in" >&2
    exit 2
fi
QT_QPA_PLATFORM=offscreen "$python" packaging/make_screenshot.py --out "$shot" \
    2> >(grep -v "propagateSizeHints" >&2)
echo "screenshot $shot regenerated from the live demo"
echo "packaging/check.sh: OK"
