#!/usr/bin/env bash
# ensure_packages NAME PKG...: install the Debian packages that are missing, as root or
# through sudo; does nothing (and touches no package list) when all are present.
# Sourced by each scripts/setup-system-*.sh so the install logic lives in one place.

ensure_packages() {
  local name="$1"
  shift
  local missing=()
  local pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    echo "$name: all present ($*)"
    return 0
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
  fi
  echo "$name: installing ${missing[*]}"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
}
