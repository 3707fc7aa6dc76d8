#!/usr/bin/env bash
# The test suite starts real servers on loopback ports: the CNCF distribution registry and Redis
# (Debian packages docker-registry and redis-server), plus skopeo to check digests from the outside.
# Installs whichever is missing when running as root (CI, fresh machines); otherwise says what to run.
set -euo pipefail

missing=()
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  echo "Installing test servers: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  echo "Installing test servers: ${missing[*]}" >&2
  sudo -n apt-get update -qq
  sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "The tests need these Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
# Debian starts a system-wide redis-server and registry on install; the tests start their own.
(systemctl disable --now redis-server docker-registry >/dev/null 2>&1 || true)
