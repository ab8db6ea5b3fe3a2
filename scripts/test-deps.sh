#!/usr/bin/env bash
# What the test suite drives besides Node and Redis: Debian's Chromium (the status page in a real
# browser), promtool and Prometheus (metrics checked and scraped for real), openssl, fping (ICMP checks
# ping with it; Debian's package grants it cap_net_raw), and redis-server itself on PATH (the Redis
# Cluster tests start their own masters from it, even when a Redis answers). Installed with apt-get
# when missing (as root, or through sudo); otherwise a clear message and a failing exit.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || [[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]] || need+=(chromium)
[[ -x /usr/bin/promtool && -x /usr/bin/prometheus ]] || need+=(prometheus)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v fping >/dev/null 2>&1 || need+=(fping)
[[ ${#need[@]} -eq 0 ]] && exit 0

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
    echo "test-deps: the tests need ${need[*]} (Debian packages); install them with apt-get as root" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "test-deps: the tests need ${need[*]}; install them with your package manager (CHROMIUM_PATH points at another Chromium)" >&2
  exit 1
fi
echo "test-deps: installing ${need[*]} with apt-get" >&2
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
