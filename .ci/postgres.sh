# PostgreSQL for the tests and benchmarks of the PostgreSQL store: sourced by
# .ci/run and bench/pg.sh (bash). pg_start installs Debian's postgresql when
# missing, starts a private cluster in a temporary folder as a non-root user
# (postgres when run as root), listening on a unix socket in that folder and
# on 127.0.0.1 at a free port from PG_PORT (default 55432) up, with password
# (scram-sha-256) logins over TCP, creates the role and database licmon_test
# and exports LICMON_TEST_POSTGRES. pg_stop stops it and removes the folder.
# PG_FAST=1 turns fsync off (tests only; benchmarks keep the defaults).

pg_start() {
  if ! ls -d /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "== installing postgresql"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # No cluster of the package's own: the tests start theirs.
    apt-get install -y -qq postgresql-common >/dev/null
    sed -i 's/^#\?create_main_cluster.*/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf
    apt-get install -y -qq postgresql >/dev/null
  fi
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  local as=()
  if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); fi
  PG_DIR=$(mktemp -d /tmp/licmon-pg.XXXXXX)
  chmod 700 "$PG_DIR"
  if [ "$(id -u)" = 0 ]; then chown postgres "$PG_DIR"; fi
  local port=${PG_PORT:-55432}
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  local opts="-p $port -k $PG_DIR -c listen_addresses=127.0.0.1"
  if [ "${PG_FAST:-0}" = 1 ]; then opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"; fi
  "${as[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --no-locale >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log"; return 1; }
  "${as[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -o "$opts" -w start >/dev/null ||
    { cat "$PG_DIR/server.log"; return 1; }
  local pw
  pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  "${as[@]}" "$PG_BIN/psql" -q -h "$PG_DIR" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE licmon_test LOGIN PASSWORD '$pw'" -c "CREATE DATABASE licmon_test OWNER licmon_test"
  export LICMON_TEST_POSTGRES="postgres://licmon_test:$pw@127.0.0.1:$port/licmon_test"
  echo "== PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (cluster in $PG_DIR)"
}

pg_stop() {
  if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ]; then
    local as=()
    if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); fi
    "${as[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null || true
    rm -rf "$PG_DIR"
  fi
}

# pg_cpu prints the CPU seconds the cluster started by pg_start has used so
# far (the postmaster with its exited children, and the live ones), or NA
# without one: benchmarks compare it, as wall time varies with the load.
pg_cpu() {
  local pm t c s
  if [ -z "${PG_DIR:-}" ] || [ ! -f "$PG_DIR/data/postmaster.pid" ]; then echo NA; return; fi
  pm=$(head -1 "$PG_DIR/data/postmaster.pid")
  t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat")
  for c in $(cat /proc/"$pm"/task/*/children); do
    s=$(awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null || echo 0); t=$((t + s))
  done
  awk -v t="$t" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", t / hz}'
}
