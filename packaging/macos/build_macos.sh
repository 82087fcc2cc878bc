#!/usr/bin/env bash
# Build Atelier.app for Apple Silicon (arm64; torch with the MPS backend), test it, wrap it in a .dmg,
# and sign + notarize when Apple credentials are in the environment (skipped, with a note, otherwise).
#
# Run on an arm64 Mac (or the macos-14 GitHub runner) from anywhere in the repository:
#     packaging/macos/build_macos.sh
# Output: dist/Atelier.app and dist/Atelier-<version>-macos-arm64.dmg (for macOS 14 and newer)
#
# Signing and notarization (all four needed; the Developer ID certificate must be in a keychain):
#   APPLE_DEVELOPER_ID  "Developer ID Application: Name (TEAMID)"  -> codesign, hardened runtime
#   APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD (app-specific)     -> xcrun notarytool + stapler
# Works with macOS bash 3.2. Other environment: PYTHON (default python3.11), WORK_DIR (default a temp dir), KEEP_WORK=1.
#
# Why sign every Mach-O file one by one, inside out: `codesign --deep` is deprecated and misses the
# libraries PyInstaller keeps in Contents/Frameworks and Contents/Resources; notarization rejects an app
# with any unsigned or non-hardened binary.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
. packaging/macos/retry.sh
PYTHON=${PYTHON:-python3.11}
START=$(date +%s)
stamp() { echo "[$(( $(date +%s) - START ))s] $*"; }
[ "$(uname -s)" = Darwin ] || { echo "build_macos.sh runs on macOS only" >&2; exit 2; }
[ "$(uname -m)" = arm64 ] || echo "warning: not an arm64 Mac; the spec still targets arm64" >&2

WORK=${WORK_DIR:-$(mktemp -d /tmp/atelier-build.XXXXXX)}
if [ -z "${WORK_DIR:-}" ] && [ "${KEEP_WORK:-0}" != 1 ]; then trap 'rm -rf "$WORK"' EXIT; fi
VENV=$WORK/venv PY=$WORK/venv/bin/python
VERSION=$("$PYTHON" packaging/project.py version)
TORCH_VERSION=${TORCH_VERSION:-$("$PYTHON" packaging/project.py torch)}
APP=dist/Atelier.app
DMG=dist/Atelier-$VERSION-macos-arm64.dmg
ENTITLEMENTS=packaging/macos/entitlements.plist

stamp "venv ($PYTHON, torch $TORCH_VERSION)"
"$PYTHON" -m venv "$VENV"
# torch from PyPI is the macOS arm64 build with MPS: the pinned version, as on the other platforms.
# torchvision is not bundled (the app never imports it).
"$PYTHON" packaging/project.py runtime > "$WORK/requirements.txt"
"$PY" -m pip install --quiet --disable-pip-version-check "torch==$TORCH_VERSION" -r "$WORK/requirements.txt"
"$PY" -c "import torch; print('torch', torch.__version__, 'MPS built:', torch.backends.mps.is_built())"

stamp "pyinstaller"
"$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN --workpath "$WORK/build" packaging/atelier.spec

stamp "bundled self-test"
# Started from a terminal, the app's executable prints there (from Finder it has no stdout).
(cd / && QT_QPA_PLATFORM=offscreen ATELIER_HOME="$WORK/home" "$ROOT/$APP/Contents/MacOS/Atelier" --self-test)
# The budget is a first guess (no macOS build has been measured yet): tighten it after the first release.
"$PY" packaging/check_bundle.py "$APP" --budget-mib "${BUDGET_MIB:-900}"

if [ -n "${APPLE_DEVELOPER_ID:-}" ]; then
  stamp "codesign ($APPLE_DEVELOPER_ID)"
  sign() { codesign --force --timestamp --options runtime --entitlements "$ENTITLEMENTS" \
             --sign "$APPLE_DEVELOPER_ID" "$@"; }
  # Inside out: libraries and helper executables first, then the main executables, then the bundle.
  find "$APP/Contents" -type f ! -path "*/Contents/MacOS/*" -print0 | while IFS= read -r -d '' f; do
    if file -b "$f" | grep -q "Mach-O"; then sign "$f"; fi
  done
  for f in "$APP"/Contents/MacOS/*; do sign "$f"; done
  sign "$APP"
  codesign --verify --strict --verbose=2 "$APP"
else
  echo "APPLE_DEVELOPER_ID not set: the app keeps PyInstaller's ad-hoc signature (runs here; Gatekeeper warns elsewhere)"
fi

stamp "dmg"
STAGE=$WORK/dmg
rm -rf "$STAGE" "$DMG" && mkdir -p "$STAGE"
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
retry 5 hdiutil create -volname "Atelier $VERSION" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG"
if [ -n "${APPLE_DEVELOPER_ID:-}" ]; then codesign --force --timestamp --sign "$APPLE_DEVELOPER_ID" "$DMG"; fi

if [ -n "${APPLE_DEVELOPER_ID:-}" ] && [ -n "${APPLE_ID:-}" ] && [ -n "${APPLE_TEAM_ID:-}" ] \
   && [ -n "${APPLE_APP_PASSWORD:-}" ]; then
  stamp "notarize"
  xcrun notarytool submit "$DMG" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
    --password "$APPLE_APP_PASSWORD" --wait
  xcrun stapler staple "$DMG"
  xcrun stapler validate "$DMG"
  spctl --assess --type open --context context:primary-signature --verbose "$DMG" || true
else
  echo "notarization skipped: needs APPLE_DEVELOPER_ID, APPLE_ID, APPLE_TEAM_ID and APPLE_APP_PASSWORD"
fi

stamp "self-test from the mounted .dmg (what users get, signed)"
packaging/macos/test_dmg.sh "$DMG"

echo "app: $APP $(du -sh "$APP" | cut -f1); dmg: $DMG $(du -h "$DMG" | cut -f1)"
stamp "done"
