#!/usr/bin/env bash
# Installs what wattmux needs on Debian 12 (idempotent: apt-get update only when a package is
# missing). Usage: scripts/setup.sh [--full]  (--full adds the daemon/browser test tools).
set -euo pipefail
pkgs=(build-essential pkg-config libfyaml-dev libjansson-dev libsqlite3-dev sqlite3
      libmicrohttpd-dev libcurl4-openssl-dev librandom123-dev libgsl-dev libglpk-dev glpk-utils
      libxlsxwriter-dev libnghttp2-dev libcmocka-dev clang-14 libclang-rt-14-dev llvm-14 python3 python3-numpy)
if [ "${1:-}" = "--full" ]; then
  pkgs+=(prometheus wrk chromium libopenmpi-dev openmpi-bin)  # MPI: optional `make mpi` (plan branch)
  # The machine may carry its own Node.js (which conflicts with Debian's npm): only add it if absent.
  command -v npm >/dev/null 2>&1 || pkgs+=(nodejs npm)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
