#!/usr/bin/env bash
# JavaScript-only sites and the browser tests need Debian's Chromium (Playwright's own browser
# download cannot work offline). Installs it when we may; otherwise says what to install.
set -euo pipefail
chromium_path="${LUREWATCH_CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$chromium_path" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium (needed to render JavaScript sites)..."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "Chromium is missing: run 'sudo apt-get install chromium' to crawl JavaScript sites and run browser tests."
fi
