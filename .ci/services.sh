# Start PostgreSQL and Redis on loopback without systemd, in a throwaway folder.
# Source it: `. .ci/services.sh; start_services DIR` exports DATABASE_URL and CELERY_BROKER_URL,
# `stop_services DIR` stops both. Needs Debian's postgresql and redis-server.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

start_services() {
  local dir="$1"
  install -d -o postgres -g postgres "$dir/pg"
  local pg_port redis_port bin
  pg_port=$(free_port); redis_port=$(free_port); bin=$(pg_bin)
  runuser -u postgres -- "$bin/initdb" -D "$dir/pg/data" -A trust -E UTF8 --locale=C.UTF-8 --no-sync -U postgres >"$dir/pg/initdb.log"
  runuser -u postgres -- "$bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/log" -w \
    -o "-p $pg_port -k $dir/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null
  mkdir -p "$dir/redis"
  redis-server --port "$redis_port" --bind 127.0.0.1 --daemonize yes --save "" --appendonly no \
    --dir "$dir/redis" --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/log"
  export DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/cinema"
  export CELERY_BROKER_URL="redis://127.0.0.1:$redis_port/0"
  export PG_CTL_DATA="$dir/pg/data" PG_BIN="$bin" REDIS_PORT="$redis_port"
  for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  echo "services: PostgreSQL on $pg_port, Redis on $redis_port"
}

stop_services() {
  local dir="$1"
  [ -d "$dir/pg/data" ] && runuser -u postgres -- "$(pg_bin)/pg_ctl" -D "$dir/pg/data" -m immediate stop >/dev/null 2>&1 || true
  [ -f "$dir/redis/redis.pid" ] && kill "$(cat "$dir/redis/redis.pid")" 2>/dev/null || true
}
