#!/usr/bin/env bash
# Test the Linux tarball the way a user gets it: unpack it into a new folder, then, from another
# folder and with an empty environment (env -i: nothing from a developer's shell or venv helps), run
# the bundled --self-test and paint the sample photo with the command line tool; with --gui, also
# open the window under a virtual X server and check that it stays up without a traceback.
#
# Usage: packaging/test_tarball.sh dist/Atelier-<version>-linux-x86_64.tar.xz [--gui SECONDS]
#   SCREENSHOT=path.png  with --gui: save a picture of the screen (needs ImageMagick's import)
# The release workflow runs it on the build runner (--gui) and, without --gui, in a container of the
# oldest distribution the README promises (the floor); it needs only bash, tar and xz there.
set -euo pipefail
TARBALL=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
GUI_SECONDS=0
[ "${2:-}" = --gui ] && GUI_SECONDS=${3:-20}
WORK=$(mktemp -d /tmp/atelier-tarball.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/home" "$WORK/out"
tar -xf "$TARBALL" -C "$WORK"  # tar recognises xz (and gzip) by itself
APP=$WORK/Atelier/Atelier
[ -x "$APP" ] || { echo "FAILED: the tarball has no Atelier/Atelier" >&2; exit 1; }
run() { (cd / && env -i HOME="$WORK/home" ATELIER_HOME="$WORK/home" PATH=/usr/bin:/bin "$@"); }

echo "== self-test (from /, env -i)"
run "$APP" --self-test

echo "== paint the sample photo"
run "$APP" stylize "$WORK/Atelier/_internal/resources/samples/astronaut.png" --style van_gogh --out "$WORK/out"
ls "$WORK/out"/astronaut_* >/dev/null || { echo "FAILED: no painting written" >&2; exit 1; }

[ "$GUI_SECONDS" -gt 0 ] || { echo "tarball OK (no window test)"; exit 0; }
echo "== window under Xvfb for ${GUI_SECONDS}s"
DISPLAY_NUM=:$(( 90 + RANDOM % 100 ))
Xvfb "$DISPLAY_NUM" -screen 0 1400x900x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB=$!
trap 'kill $XVFB 2>/dev/null || true; rm -rf "$WORK"' EXIT
sleep 2
run env DISPLAY="$DISPLAY_NUM" "$APP" >"$WORK/gui.log" 2>&1 &
GUI=$!
sleep "$GUI_SECONDS"
if ! kill -0 "$GUI" 2>/dev/null; then
  cat "$WORK/gui.log"; echo "FAILED: the window closed by itself" >&2; exit 1
fi
# ImageMagick's import, not xwd: xwd -root showed the update-consent dialog as a black box (2026-12-07).
if [ -n "${SCREENSHOT:-}" ]; then DISPLAY="$DISPLAY_NUM" import -window root "$SCREENSHOT"; fi
kill "$GUI"; wait "$GUI" 2>/dev/null || true
if grep -q Traceback "$WORK/gui.log"; then cat "$WORK/gui.log"; echo "FAILED: traceback in the window's output" >&2; exit 1; fi
echo "tarball OK (window stayed up ${GUI_SECONDS}s)"
