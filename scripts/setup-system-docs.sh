#!/usr/bin/env bash
# System packages the document pipeline needs (dualtrace.sources.documents):
# tesseract OCR with English, Russian and Simplified Chinese data, used through
# pytesseract for scanned PDF pages and images. Idempotent: installs only what is
# missing, so it is safe to run on every setup.
set -euo pipefail

PACKAGES=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-rus tesseract-ocr-chi-sim)

# shellcheck source=apt-ensure.sh
. "$(dirname "$0")/apt-ensure.sh"
ensure_packages setup-system-docs "${PACKAGES[@]}"
tesseract --list-langs
