#!/usr/bin/env bash
# The test suite starts real servers on loopback ports: the CNCF distribution registry and Redis
# (Debian packages docker-registry and redis-server), plus skopeo to check digests from the outside.
# Installs whichever is missing when running as root (CI, fresh machines) or with password-less sudo;
# otherwise says what to run.
#
# It never starts, stops or restarts a service. Debian starts a package's service on install (a system-wide
# Redis and registry; the tests start their own), so during the apt-get install only, a policy-rc.d that
# answers 101 ("action forbidden") keeps them from starting. A Redis or registry already running is not touched.
set -euo pipefail

missing=()
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    # The same script as root: the same checks, the same install without starting services.
    exec sudo -n bash "${BASH_SOURCE[0]}"
  fi
  echo "The tests need these Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
  echo "(or: sudo bash scripts/ensure-test-servers.sh, which installs them without starting their services)" >&2
  exit 1
fi

echo "Installing test servers: ${missing[*]}" >&2
POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
  # Ours only for this install: removed on every way out (an existing policy-rc.d is left as it is).
  trap 'rm -f "$POLICY"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM HUP
  printf '#!/bin/sh\n# Written by scripts/ensure-test-servers.sh for one apt-get install: start no services.\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# The services just installed stay stopped; keep them from starting at the next boot too (disable only:
# nothing is stopped, and services of packages that were already installed are not touched).
if [ -d /run/systemd/system ]; then
  for unit in redis-server docker-registry; do
    case " ${missing[*]} " in
      *" $unit "*) systemctl disable --quiet "$unit" >/dev/null 2>&1 || true ;;
    esac
  done
fi
