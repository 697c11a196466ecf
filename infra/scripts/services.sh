#!/usr/bin/env bash
# Start / stop the local NATS (JetStream) and Redis that carehub needs.
#   infra/scripts/services.sh up      reuse servers already answering on NATS_URL / REDIS_URL, start the rest
#   infra/scripts/services.sh down    stop only the servers this script started
#   infra/scripts/services.sh status
# Storage lives under .data/ in the repository.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUN="$ROOT/.data/run"
NATS_URL="${NATS_URL:-nats://127.0.0.1:4222}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export PATH="$PATH:/usr/sbin"

hostport() { local u="${1#*://}"; u="${u##*@}"; u="${u%%/*}"; echo "${u%%,*}"; }
host_of() { local hp; hp="$(hostport "$1")"; echo "${hp%%:*}"; }
port_of() { local hp; hp="$(hostport "$1")"; echo "${hp##*:}"; }

nats_up() { # a NATS server answers with an INFO line
  local line
  exec 3<>"/dev/tcp/$(host_of "$NATS_URL")/$(port_of "$NATS_URL")" 2>/dev/null || return 1
  IFS= read -r -t 2 line <&3 || true
  exec 3>&- 3<&-
  [[ "$line" == INFO* ]]
}
redis_up() {
  local line
  exec 4<>"/dev/tcp/$(host_of "$REDIS_URL")/$(port_of "$REDIS_URL")" 2>/dev/null || return 1
  printf 'PING\r\n' >&4
  IFS= read -r -t 2 line <&4 || true
  exec 4>&- 4<&-
  [[ "$line" == +PONG* || "$line" == -NOAUTH* ]]
}
wait_for() { local i; for i in $(seq 1 50); do "$1" && return 0; sleep 0.2; done; return 1; }

up() {
  mkdir -p "$RUN" "$ROOT/.data/nats" "$ROOT/.data/redis"
  if nats_up; then echo "nats:  reusing the server at $NATS_URL"
  else
    command -v nats-server >/dev/null || { echo "nats-server is not installed (apt-get install nats-server)" >&2; exit 1; }
    nats-server -c "$ROOT/infra/nats/nats.conf" -a "$(host_of "$NATS_URL")" -p "$(port_of "$NATS_URL")" \
      -js -sd "$ROOT/.data/nats" -l "$ROOT/.data/nats/nats.log" &
    echo $! >"$RUN/nats.pid"
    wait_for nats_up || { echo "nats-server did not start; see .data/nats/nats.log" >&2; exit 1; }
    echo "nats:  started at $NATS_URL (pid $(cat "$RUN/nats.pid"), store .data/nats)"
  fi
  if redis_up; then echo "redis: reusing the server at $REDIS_URL"
  else
    command -v redis-server >/dev/null || { echo "redis-server is not installed (apt-get install redis-server)" >&2; exit 1; }
    redis-server "$ROOT/infra/redis/redis.conf" --port "$(port_of "$REDIS_URL")" --dir "$ROOT/.data/redis" \
      --daemonize yes --pidfile "$RUN/redis.pid" --logfile "$ROOT/.data/redis/redis.log"
    wait_for redis_up || { echo "redis-server did not start; see .data/redis/redis.log" >&2; exit 1; }
    echo "redis: started at $REDIS_URL (pid $(cat "$RUN/redis.pid"), dir .data/redis)"
  fi
}

stop_pid() {
  local f="$RUN/$1.pid"
  [ -f "$f" ] || return 0
  local pid; pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    echo "$1: stopped (pid $pid)"
  fi
  rm -f "$f"
}

case "${1:-status}" in
  up) up ;;
  down) stop_pid nats; stop_pid redis ;;
  status)
    if nats_up; then echo "nats:  up at $NATS_URL"; else echo "nats:  down at $NATS_URL"; fi
    if redis_up; then echo "redis: up at $REDIS_URL"; else echo "redis: down at $REDIS_URL"; fi ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
