# Shared paths and helpers for deploy/*.sh. Sourced, never run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="$ROOT/.run"          # pids, logs, rendered config: everything `make down` may remove
CACHE_DIR="$ROOT/.cache"      # downloaded jars: kept across `make down`
LOG_DIR="$RUN_DIR/logs"
mkdir -p "$RUN_DIR" "$LOG_DIR" "$CACHE_DIR"
export UV_PYTHON_DOWNLOADS=never
# precompile site-packages: with PYTHONDONTWRITEBYTECODE set, every process would compile them anew
export UV_COMPILE_BYTECODE=1

say() { printf '\033[1m[leadloop]\033[0m %s\n' "$*" >&2; }

# pid_alive NAME -> 0 when .run/NAME.pid names a live process
pid_alive() {
  local f="$RUN_DIR/$1.pid"
  [[ -f "$f" ]] && kill -0 "$(cat "$f")" 2>/dev/null
}

# stop_pid NAME: TERM, wait up to 20 s, then KILL; removes the pid file
stop_pid() {
  local f="$RUN_DIR/$1.pid" pid
  [[ -f "$f" ]] || return 0
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && { say "$1 did not stop in 20 s, killing"; kill -KILL "$pid" 2>/dev/null || true; }
  fi
  rm -f "$f"
}

# wait_for DESCRIPTION SECONDS COMMAND...: polls COMMAND until it succeeds
wait_for() {
  local what=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if (( SECONDS >= deadline )); then say "timed out after ${secs}s waiting for $what"; return 1; fi
    sleep 0.5
  done
}

# Load .env (LEADLOOP_API_KEYS and any overrides) into the environment when present.
load_env() {
  if [[ -f "$ROOT/.env" ]]; then set -a; . "$ROOT/.env"; set +a; fi
}
