#!/usr/bin/env bash
# One role and one database per service (docker-compose runs this once on a new volume). The
# services' password comes from LEADLOOP_DB_PASSWORD: docker-compose refuses to start without it,
# so no deployment runs on a password printed in this repository.
set -euo pipefail
: "${LEADLOOP_DB_PASSWORD:?set LEADLOOP_DB_PASSWORD}"
for role in capture scoring routing sla_monitor reporting; do
  psql -v ON_ERROR_STOP=1 -v role="$role" -v password="$LEADLOOP_DB_PASSWORD" --username "$POSTGRES_USER" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
SQL
done
