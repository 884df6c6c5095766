#!/usr/bin/env bash
# Make sure Debian's Chromium (for the browser tests) and a font are present.
set -euo pipefail
if [[ -x /usr/bin/chromium ]]; then
  exit 0
fi
if [[ $(id -u) -ne 0 ]] && ! command -v sudo >/dev/null; then
  echo "Chromium is missing: install Debian's chromium package (apt-get install chromium)." >&2
  exit 1
fi
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
echo "Installing Chromium for the browser tests (apt-get)…"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
test -x /usr/bin/chromium
