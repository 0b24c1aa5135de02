#!/usr/bin/env bash
# Debian packages LureWatch needs outside Python: installed when we may (root, with apt-get),
# otherwise named in a one-line hint. Usage: scripts/ensure-debian-packages.sh PACKAGE...
#
#   chromium      renders JavaScript-only sites (crawls, `make demo`, browser tests); Playwright's
#                 own browser download cannot work offline
#   redis-server  the frontier shared by several crawl processes (LUREWATCH_FRONTIER); its tests
#                 start their own server from this binary
#   postgresql    the case store shared across machines (LUREWATCH_DATABASE_URL); its tests start
#                 their own server from these binaries
set -euo pipefail

# The file whose presence shows that a package is installed.
installed_file() {
  case "$1" in
    chromium) echo "${LUREWATCH_CHROMIUM_PATH:-/usr/bin/chromium}" ;;
    redis-server) echo "/usr/bin/redis-server" ;;
    postgresql) postgres_server ;;
    *) return 1 ;;
  esac
}

# Debian keeps each major version's server in /usr/lib/postgresql/VERSION/bin: any one will do.
postgres_server() {
  local server
  for server in /usr/lib/postgresql/*/bin/postgres; do
    if [ -x "$server" ]; then
      echo "$server"
      return 0
    fi
  done
  echo "/usr/lib/postgresql/VERSION/bin/postgres"
}

missing=()
for package in "$@"; do
  if ! file="$(installed_file "$package")"; then
    echo "ensure-debian-packages.sh: unknown package '$package' (known: chromium, redis-server, postgresql)" >&2
    exit 2
  fi
  [ -x "$file" ] || missing+=("$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian packages: ${missing[*]}..."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Missing Debian packages: run 'sudo apt-get install ${missing[*]}' (chromium renders JavaScript sites and runs the browser tests; redis-server runs the shared frontier and its tests; postgresql runs the shared case store and its tests)."
fi
