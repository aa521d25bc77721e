#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (OCR, headless Chromium, fonts).
# Idempotent: does nothing when everything is present. Runs each capability's own
# scripts/setup-system-*.sh so the list of packages lives beside the feature using it.
set -euo pipefail
cd "$(dirname "$0")"
for script in setup-system-*.sh; do
  [ -e "$script" ] || continue
  bash "$script"
done
