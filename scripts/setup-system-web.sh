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

# shellcheck source=apt-ensure.sh
. "$(dirname "$0")/apt-ensure.sh"
ensure_packages setup-system-web "${PACKAGES[@]}"
/usr/bin/chromium --version
