#!/usr/bin/env bash
# System packages the web workspace and reports need (dualtrace.show.web, .report):
# - chromium: Debian's headless browser, driven by Playwright's Python package in
#   tests/web (`playwright install` cannot download here, so we point Playwright at
#   /usr/bin/chromium instead of its bundled build);
# - fonts-dejavu-core, fonts-noto-cjk: glyphs for Latin, Cyrillic and Han names in
#   screenshots and in WeasyPrint PDF reports (otherwise Chinese names print as boxes);
# - libpango-1.0-0, libpangoft2-1.0-0: WeasyPrint's text layout libraries.
# Idempotent: installs only what is missing, so it is safe to run on every setup.
set -euo pipefail

PACKAGES=(chromium fonts-dejavu-core fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup-system-web: all present (${PACKAGES[*]})"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

echo "setup-system-web: installing ${missing[*]}"
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
/usr/bin/chromium --version
