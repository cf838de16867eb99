#!/usr/bin/env bash
# Starts the local PostgreSQL 15 cluster for keydesk's PostgreSQL tests and benchmark, if it is not
# running, and creates the `keydesk` role and database if they are missing. Idempotent: safe to run
# again. Prints the URL to export as KEYDESK_TEST_POSTGRES_URL on its last line, e.g.
#   export KEYDESK_TEST_POSTGRES_URL="$(scripts/postgres.sh | tail -n 1)"
# Needs root (it switches to the `postgres` OS user for peer authentication on the local socket).
set -euo pipefail

version=15
cluster=main
role=keydesk
password=keydesk
database=keydesk
port=5432

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "postgres.sh: PostgreSQL is not installed; try: apt-get install postgresql" >&2
  exit 1
fi

status="$(pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c { print $4 }')"
if [ -z "$status" ]; then
  echo "postgres.sh: no PostgreSQL $version/$cluster cluster; creating it" >&2
  pg_createcluster "$version" "$cluster" >&2
  status=down
fi
if [ "$status" != "online" ]; then
  echo "postgres.sh: starting PostgreSQL $version/$cluster" >&2
  pg_ctlcluster "$version" "$cluster" start >&2
fi
port="$(pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c { print $3 }')"

# Wait until the server accepts connections (it can take a moment after start).
for _ in $(seq 1 30); do
  if su postgres -c "pg_isready -q -p $port"; then
    break
  fi
  sleep 1
done

psql_as_postgres() {
  su postgres -c "psql -p $port -v ON_ERROR_STOP=1 -tAq $*"
}

if [ "$(psql_as_postgres "-c \"SELECT 1 FROM pg_roles WHERE rolname = '$role'\"")" != "1" ]; then
  echo "postgres.sh: creating role $role" >&2
  psql_as_postgres "-c \"CREATE ROLE $role LOGIN SUPERUSER PASSWORD '$password'\""
fi
if [ "$(psql_as_postgres "-c \"SELECT 1 FROM pg_database WHERE datname = '$database'\"")" != "1" ]; then
  echo "postgres.sh: creating database $database" >&2
  su postgres -c "createdb -p $port -O $role $database"
fi

echo "postgres://$role:$password@127.0.0.1:$port/$database"
