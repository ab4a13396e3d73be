#!/bin/sh
# entrypoint.sh SERVICE_DIR: migrate that service's database, then run it.
# entrypoint.sh topics: create the Kafka topics from deploy/topics.toml, then exit.
set -eu
case "$1" in
  topics) exec python -m leadkit.admin create-topics ;;
  capture|scoring|routing|sla-monitor|reporting)
    cd "/app/$1" && alembic -c alembic.ini upgrade head && cd /app
    exec python -m "$(echo "$1" | tr - _)" ;;
  *) exec "$@" ;;
esac
