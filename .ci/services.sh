# Start PostgreSQL and Redis on loopback without systemd, in a throwaway folder.
# Source it: `. .ci/services.sh; start_services DIR` exports DATABASE_URL and CELERY_BROKER_URL,
# `stop_services DIR` stops both. Needs Debian's postgresql and redis-server.
# `start_rabbitmq DIR` starts a private RabbitMQ node on loopback and exports RABBITMQ_URL
# (amqp://…); `stop_services DIR` stops it too. Needs Debian's rabbitmq-server.

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

rabbitmq_env() {
  local dir="$1"
  export HOME="$dir/rabbitmq" RABBITMQ_NODENAME="ci$RABBITMQ_PORT@localhost" \
    RABBITMQ_MNESIA_BASE="$dir/rabbitmq/mnesia" RABBITMQ_LOG_BASE="$dir/rabbitmq/log" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq/rabbitmq.conf" RABBITMQ_DIST_PORT="$RABBITMQ_DIST_PORT" \
    ERL_EPMD_PORT="$RABBITMQ_EPMD_PORT" ERL_EPMD_ADDRESS=127.0.0.1
}

start_rabbitmq() {
  # Debian's /usr/sbin wrappers switch to the rabbitmq user and drop the environment: call the
  # scripts of /usr/lib/rabbitmq/bin directly, in a subshell (they need their own HOME).
  local dir="$1"
  mkdir -p "$dir/rabbitmq"
  RABBITMQ_PORT=$(free_port); RABBITMQ_DIST_PORT=$(free_port); RABBITMQ_EPMD_PORT=$(free_port)
  export RABBITMQ_PORT RABBITMQ_DIST_PORT RABBITMQ_EPMD_PORT
  printf 'listeners.tcp.default = 127.0.0.1:%s\nloopback_users = none\n' "$RABBITMQ_PORT" >"$dir/rabbitmq/rabbitmq.conf"
  ( rabbitmq_env "$dir"; setsid /usr/lib/rabbitmq/bin/rabbitmq-server >"$dir/rabbitmq/server.log" 2>&1 & echo $! >"$dir/rabbitmq/pid" )
  for _ in $(seq 120); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $RABBITMQ_PORT), 0.5)" 2>/dev/null && break
    sleep 0.5
  done
  export RABBITMQ_URL="amqp://guest:guest@127.0.0.1:$RABBITMQ_PORT//"
  echo "services: RabbitMQ on $RABBITMQ_PORT"
}

stop_rabbitmq() {
  local dir="$1"
  [ -f "$dir/rabbitmq/pid" ] || return 0
  kill -KILL -- "-$(cat "$dir/rabbitmq/pid")" 2>/dev/null || true
  ( rabbitmq_env "$dir"; epmd -port "$RABBITMQ_EPMD_PORT" -kill >/dev/null 2>&1 || true )
}

stop_services() {
  local dir="$1"
  stop_rabbitmq "$dir"
  [ -d "$dir/pg/data" ] && runuser -u postgres -- "$(pg_bin)/pg_ctl" -D "$dir/pg/data" -m immediate stop >/dev/null 2>&1 || true
  [ -f "$dir/redis/redis.pid" ] && kill "$(cat "$dir/redis/redis.pid")" 2>/dev/null || true
}
