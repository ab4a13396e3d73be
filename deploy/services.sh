#!/usr/bin/env bash
# The five services as local processes (uvicorn), each with its own log and pid file.
#   migrate  alembic upgrade head for every service
#   start [SERVICE]  migrate, start what is not running (or one), wait until /readyz answers 200
#   stop [SERVICE]  stop them (or one) by pid (graceful: consumers finish their batch)
#   status   print each service's /readyz
. "$(dirname "$0")/lib.sh"
load_env
SERVICES=(capture:8001 scoring:8002 routing:8003 sla-monitor:8004 reporting:8005)
PY="$ROOT/.venv/bin/python"

module_of() { echo "${1//-/_}"; }
ready() { curl -fsS "http://127.0.0.1:$1/readyz" >/dev/null 2>&1; }

case "${1:-}" in
  migrate)
    for entry in "${SERVICES[@]}"; do
      svc=${entry%%:*}
      (cd "$ROOT/$svc" && "$ROOT/.venv/bin/alembic" -c alembic.ini upgrade head >>"$LOG_DIR/migrations.log" 2>&1) \
        || { say "migrations of $svc failed:"; tail -20 "$LOG_DIR/migrations.log"; exit 1; }
    done
    ;;
  start)
    if [[ -n "${2:-}" ]]; then  # one service only
      for entry in "${SERVICES[@]}"; do
        if [[ ${entry%%:*} == "$2" ]]; then SERVICES=("$entry"); fi
      done
      [[ ${#SERVICES[@]} -eq 1 ]] || { echo "no service $2" >&2; exit 2; }
    fi
    "$0" migrate
    for entry in "${SERVICES[@]}"; do
      svc=${entry%%:*}
      if pid_alive "$svc"; then continue; fi
      say "starting $svc"
      nohup "$PY" -m "$(module_of "$svc")" >>"$LOG_DIR/$svc.log" 2>&1 &
      echo $! > "$RUN_DIR/$svc.pid"
    done
    for entry in "${SERVICES[@]}"; do
      svc=${entry%%:*} port=${entry##*:}
      wait_for "$svc /readyz" 90 ready "$port" || { tail -20 "$LOG_DIR/$svc.log"; exit 1; }
    done
    ;;
  stop)
    if [[ -n "${2:-}" ]]; then stop_pid "$2"; exit 0; fi
    for entry in "${SERVICES[@]}"; do stop_pid "${entry%%:*}"; done
    ;;
  status)
    for entry in "${SERVICES[@]}"; do
      svc=${entry%%:*} port=${entry##*:}
      printf '%-12s http://127.0.0.1:%s  %s\n' "$svc" "$port" \
        "$(curl -s "http://127.0.0.1:$port/readyz" || echo 'not running')"
    done
    ;;
  *) echo "usage: $0 migrate|start [SERVICE]|stop [SERVICE]|status" >&2; exit 2 ;;
esac
