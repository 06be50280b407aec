#!/usr/bin/env bash
# Entrypoint of the local PostgreSQL stand-in: initialises $PGDATA on first start the way the
# public postgres image documents it, then runs the server as the postgres user.
set -euo pipefail

if [[ "${1:-}" == -* ]]; then
  set -- postgres "$@"
fi
if [[ "${1:-}" != postgres ]]; then
  exec "$@"
fi

# VAR_FILE names a file holding VAR's value (Docker secrets), as in the public image.
file_env() {
  local var="$1" file_var="${1}_FILE"
  if [[ -n "${!var:-}" && -n "${!file_var:-}" ]]; then
    echo "postgres: both $var and $file_var are set (but are exclusive)" >&2
    exit 1
  fi
  if [[ -n "${!file_var:-}" ]]; then
    export "$var"="$(<"${!file_var}")"
    unset "$file_var"
  fi
}
for var in POSTGRES_PASSWORD POSTGRES_USER POSTGRES_DB POSTGRES_INITDB_ARGS; do
  file_env "$var"
done

if [[ $(id -u) -eq 0 ]]; then
  # Tolerant, as in the public image: with a read-only root filesystem these are mounts already.
  { mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 0700 "$PGDATA"; } || true
  { mkdir -p /var/run/postgresql && chown postgres:postgres /var/run/postgresql && chmod 3777 /var/run/postgresql; } || true
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
  auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
  if [[ -z "${POSTGRES_PASSWORD:-}" && "$auth" != trust ]]; then
    echo 'postgres: POSTGRES_PASSWORD is not set (or set POSTGRES_HOST_AUTH_METHOD=trust)' >&2
    exit 1
  fi
  user="${POSTGRES_USER:-postgres}"
  db="${POSTGRES_DB:-$user}"
  mkdir -p "$PGDATA"
  chmod 0700 "$PGDATA"
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of arguments, as in the public image
  if [[ -n "${POSTGRES_PASSWORD:-}" ]]; then
    initdb --username="$user" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") -D "$PGDATA" ${POSTGRES_INITDB_ARGS:-} >/dev/null
  else
    initdb --username="$user" -D "$PGDATA" ${POSTGRES_INITDB_ARGS:-} >/dev/null
  fi
  printf "listen_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
  printf 'host all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"

  # Local socket only while the database and init scripts are set up.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  export PGUSER="$user" PGPASSWORD="${POSTGRES_PASSWORD:-}"
  if [[ "$db" != postgres ]]; then
    psql -v ON_ERROR_STOP=1 --dbname postgres --set db="$db" -q <<<'CREATE DATABASE :"db";'
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh)
        echo "running $f"
        # shellcheck source=/dev/null
        . "$f"
        ;;
      *.sql) echo "running $f" && psql -v ON_ERROR_STOP=1 --dbname "$db" -q -f "$f" ;;
      *.sql.gz) echo "running $f" && gunzip -c "$f" | psql -v ON_ERROR_STOP=1 --dbname "$db" -q ;;
      *) ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  unset PGPASSWORD
  echo 'postgres: database initialised; starting'
fi

exec "$@"
