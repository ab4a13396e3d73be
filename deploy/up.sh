#!/usr/bin/env bash
# `make up`: install what is missing, start PostgreSQL, Kafka, the topics and the five services,
# wait until every /readyz is green, print where everything is. Running it again is harmless.
. "$(dirname "$0")/lib.sh"
started=$SECONDS

"$ROOT/deploy/install.sh"

# .env holds keys: readable by its owner only, whoever made it
touch "$ROOT/.env" && chmod 600 "$ROOT/.env"
if ! grep -q '^LEADLOOP_API_KEYS=' "$ROOT/.env"; then
  if [[ -z "${LEADLOOP_API_KEYS:-}" ]]; then
    key="ll_$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    echo "LEADLOOP_API_KEYS=$key" >> "$ROOT/.env"
    say "wrote a new API key to .env"
  fi
fi
if ! grep -q '^SLA_MONITOR_DELIVERY_SEALING_KEY=' "$ROOT/.env"; then
  if [[ -z "${SLA_MONITOR_DELIVERY_SEALING_KEY:-}" ]]; then
    # seals subscriptions' signing secrets at rest; losing it means rotating every subscription's
    echo "SLA_MONITOR_DELIVERY_SEALING_KEY=$(head -c 32 /dev/urandom | base64 | tr -d '\n')" >> "$ROOT/.env"
    say "wrote a new delivery sealing key to .env"
  fi
fi
load_env

"$ROOT/deploy/postgres.sh" start
"$ROOT/deploy/kafka.sh" start
"$ROOT/.venv/bin/python" -m leadkit.admin create-topics
"$ROOT/deploy/services.sh" start

cat <<EOF2

leadloop is up ($((SECONDS - started)) s).
  capture      http://127.0.0.1:8001   (POST /v1/leads, docs at /docs)
  scoring      http://127.0.0.1:8002
  routing      http://127.0.0.1:8003
  sla-monitor  http://127.0.0.1:8004   (POST /v1/leads/{id}/progress)
  reporting    http://127.0.0.1:8005   (GET /v1/reports/funnel)
  console      http://127.0.0.1:8005/console/   (sign in with the API key below)
  Kafka        127.0.0.1:9092          PostgreSQL 127.0.0.1:5432
  API key      ${LEADLOOP_API_KEYS%%,*}   (X-API-Key header; from .env)
Logs: make logs      Stop: make down
EOF2
