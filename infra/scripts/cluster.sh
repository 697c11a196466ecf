#!/usr/bin/env bash
# A local 3-node NATS JetStream cluster on loopback (client ports 14222-14224) for cluster experiments.
#   infra/scripts/cluster.sh up | down
# Tests start their own clusters on free ports through @carehub/testkit instead.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUN="$ROOT/.data/run"
export PATH="$PATH:/usr/sbin"
case "${1:-}" in
  up)
    mkdir -p "$RUN"
    cd "$ROOT"
    for i in 1 2 3; do
      mkdir -p ".data/cluster/n$i"
      nats-server -c "infra/nats/cluster-n$i.conf" -l ".data/cluster/n$i.log" &
      echo $! >"$RUN/cluster-n$i.pid"
    done
    echo "cluster: nats://127.0.0.1:14222,nats://127.0.0.1:14223,nats://127.0.0.1:14224" ;;
  down)
    for i in 1 2 3; do
      f="$RUN/cluster-n$i.pid"; [ -f "$f" ] && { kill "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; }
    done
    echo "cluster: stopped" ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
