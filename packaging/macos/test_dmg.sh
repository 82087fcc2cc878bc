#!/usr/bin/env bash
# Test the .dmg the way a user gets it: mount it read-only, check the signature of the app on it, and
# run the app's --self-test from the mounted volume, from another folder, with a scratch user folder.
# build_macos.sh runs it last (after signing and notarization); the release workflow runs it again
# on the uploaded file. Works with macOS bash 3.2.
#
# Usage: packaging/macos/test_dmg.sh dist/Atelier-<version>-macos-arm64.dmg
set -euo pipefail
. "$(dirname "$0")/retry.sh"
DMG=$1
MOUNT=$(mktemp -d /tmp/atelier-dmg.XXXXXX)
HOME_DIR=$(mktemp -d /tmp/atelier-home.XXXXXX)
retry 5 hdiutil attach -nobrowse -readonly -noautoopen -mountpoint "$MOUNT" "$DMG"
trap 'retry 5 hdiutil detach "$MOUNT" -force >/dev/null || true; rm -rf "$HOME_DIR"' EXIT
APP=$MOUNT/Atelier.app
[ -d "$APP" ] || { echo "FAILED: no Atelier.app on the disk image" >&2; exit 1; }
[ -L "$MOUNT/Applications" ] || echo "warning: no Applications link on the disk image (drag-to-install)" >&2
if codesign -dv "$APP" 2>&1 | grep -q "Authority=Developer ID"; then
  codesign --verify --strict --verbose=2 "$APP"
else
  echo "note: ad-hoc signed (no APPLE_DEVELOPER_ID at build time): Gatekeeper will warn on other Macs"
fi
(cd / && env -i HOME="$HOME_DIR" ATELIER_HOME="$HOME_DIR" QT_QPA_PLATFORM=offscreen \
   "$APP/Contents/MacOS/Atelier" --self-test)
echo "dmg OK: $DMG"
