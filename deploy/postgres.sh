#!/usr/bin/env bash
# PostgreSQL from Debian's packages on 127.0.0.1:5432, one role and one database per service.
#   start           start the cluster (created if missing), then `ensure`
#   ensure          create the service roles and databases that do not exist yet
#   reset-test-dbs  drop and recreate the *_test databases the test suite migrates itself
#   reset-bench-dbs drop and recreate the *_bench databases (`make bench` starts from empty ones)
#   stop            stop the cluster if this script started it
#   outage SECONDS  stop the running cluster at once (fast shutdown), wait, start it again: what a
#                   failover or a restart does to the services (the system tests use it)
#   status          exit 0 when it accepts connections
# PostgreSQL refuses to run as root, so everything goes through pg_ctlcluster / the postgres user.
. "$(dirname "$0")/lib.sh"
SERVICES=(capture scoring routing sla_monitor reporting)

pg_version() { ls /usr/lib/postgresql | sort -V | tail -1; }
as_postgres() { if [[ $(id -un) == postgres ]]; then "$@"; else runuser -u postgres -- "$@"; fi; }
psql_admin() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }
ready() { pg_isready -q -h 127.0.0.1 -p 5432; }

create_db() { # create_db NAME OWNER
  local exists
  exists=$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'")
  [[ "$exists" == 1 ]] || psql_admin -c "CREATE DATABASE \"$1\" OWNER \"$2\""
}

ensure() {
  for svc in "${SERVICES[@]}"; do
    # Local development credentials (role = password = service name); override the
    # <SERVICE>_DATABASE_URL settings to point a service anywhere else.
    psql_admin -c "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$svc') THEN
        CREATE ROLE \"$svc\" LOGIN PASSWORD '$svc';
      END IF; END \$\$;"
    create_db "$svc" "$svc"
    create_db "${svc}_test" "$svc"
    create_db "${svc}_bench" "$svc"
  done
  psql_admin -c "DO \$\$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'leadkit') THEN
      CREATE ROLE leadkit LOGIN PASSWORD 'leadkit';
    END IF; END \$\$;"
  create_db leadkit_test leadkit
}

case "${1:-}" in
  start)
    ver=$(pg_version)
    if ! as_postgres pg_lsclusters -h | awk '{print $2}' | grep -qx main; then
      say "creating PostgreSQL $ver cluster 'main'"
      pg_createcluster "$ver" main --port 5432 >/dev/null
    fi
    conf="/etc/postgresql/$ver/main/conf.d/leadloop.conf"
    # pg_stat_statements: `make bench` reads it to show which statements PostgreSQL's CPU goes to
    wanted="# leadloop: loopback only; room for five services' pools plus the test suite.
listen_addresses = '127.0.0.1'
port = 5432
max_connections = 300
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = top"
    if [[ ! -f "$conf" || "$(cat "$conf")" != "$wanted" ]]; then
      printf '%s\n' "$wanted" > "$conf"
      if ready; then
        say "PostgreSQL's settings changed: restarting it"
        pg_ctlcluster "$ver" main restart
        wait_for "PostgreSQL" 60 ready
      fi
    fi
    if ! ready; then
      say "starting PostgreSQL $ver on 127.0.0.1:5432"
      pg_ctlcluster "$ver" main start
      touch "$RUN_DIR/postgres.started"
      wait_for "PostgreSQL" 60 ready
    fi
    ensure
    ;;
  ensure) ensure ;;
  reset-bench-dbs)
    # every run measures the same thing: an empty system, not the leads and clocks of runs before
    for svc in "${SERVICES[@]}"; do
      psql_admin -c "DROP DATABASE IF EXISTS \"${svc}_bench\" WITH (FORCE)"
      create_db "${svc}_bench" "$svc"
    done
    ;;
  reset-test-dbs)
    for svc in "${SERVICES[@]}"; do
      psql_admin -c "DROP DATABASE IF EXISTS \"${svc}_test\" WITH (FORCE)"
      create_db "${svc}_test" "$svc"
    done
    psql_admin -c "DROP DATABASE IF EXISTS leadkit_test WITH (FORCE)"
    create_db leadkit_test leadkit
    ;;
  stop)
    if [[ -f "$RUN_DIR/postgres.started" ]]; then
      pg_ctlcluster "$(pg_version)" main stop || true
      rm -f "$RUN_DIR/postgres.started"
    fi
    ;;
  outage)
    ver=$(pg_version)
    pg_ctlcluster "$ver" main stop -m fast
    sleep "${2:?outage SECONDS}"
    pg_ctlcluster "$ver" main start
    wait_for "PostgreSQL" 60 ready
    ;;
  status) ready ;;
  *) echo "usage: $0 start|ensure|reset-test-dbs|reset-bench-dbs|stop|outage SECONDS|status" >&2; exit 2 ;;
esac
