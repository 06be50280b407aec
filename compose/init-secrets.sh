#!/bin/sh
# Run by the `secrets` service of docker-compose.yml before anything else starts: creates the
# stack's passwords once, at random, in the `secrets` volume, so the stack has no default password
# and nothing to configure. Later runs keep them: the database in the `postgres-data` volume was
# initialised with the first one (`docker compose down -v` removes both together).
#
#   postgres-password        uid 70 (postgres), read by the postgres image (POSTGRES_PASSWORD_FILE)
#   database-password        uid 1000 (the services), the orders service's DATABASE_PASSWORD_FILE
#   grafana-admin-password   uid 472 (grafana), GF_SECURITY_ADMIN_PASSWORD__FILE
#
# POSIX sh with busybox or coreutils: it runs in the postgres image, alpine or Debian based.
set -eu
dir="${1:-/secrets}"
umask 077

random_hex() {
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'
}

# write FILE OWNER CONTENT: atomically, only when FILE does not exist yet.
write() {
  [ -s "$dir/$1" ] && return 0
  # A run killed half-way may have left this behind, owned by someone else.
  rm -f "$dir/.$1.tmp"
  printf '%s\n' "$3" >"$dir/.$1.tmp"
  # chmod first: without CAP_FOWNER, root may no longer chmod a file it gave away.
  chmod 0400 "$dir/.$1.tmp"
  chown "$2" "$dir/.$1.tmp"
  mv "$dir/.$1.tmp" "$dir/$1"
  echo "secrets: created $1"
}

# The master copy is root's: this script runs as root without CAP_DAC_OVERRIDE, so it could not
# read the copies it hands to other users.
if [ ! -s "$dir/.postgres-password" ]; then
  random_hex >"$dir/..postgres-password.tmp"
  mv "$dir/..postgres-password.tmp" "$dir/.postgres-password"
  # Copies of an older password would no longer match.
  rm -f "$dir/postgres-password" "$dir/database-password"
fi
password="$(cat "$dir/.postgres-password")"
write postgres-password 70:70 "$password"
write database-password 1000:1000 "$password"
write grafana-admin-password 472:472 "$(random_hex)"
