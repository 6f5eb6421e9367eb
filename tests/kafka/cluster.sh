#!/usr/bin/env bash
# cluster.sh - a 3-broker Apache Kafka 4.x cluster (each node KRaft broker+controller, a static
# 3-voter quorum) on 127.0.0.1, from the same Maven Central jars as kafka.sh, for failover tests.
# See README.md beside this file. Runs beside kafka.sh's single broker (own state and ports).
#
#   cluster.sh start [--port BASE] [--ports P1,P2,P3] [--controller-ports C1,C2,C3]
#                                       format fresh data dirs, start all three, wait until each
#                                       answers metadata listing all three brokers
#   cluster.sh stop [--keep]            SIGTERM to all (SIGCONT first), SIGKILL after 20 s (60 s
#                                       with --keep); removes the data dir unless --keep
#   cluster.sh status                   0 all three answer, 1 some, 3 none running
#   cluster.sh bootstrap                127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3
#   cluster.sh create-topic NAME [PARTITIONS] [KEY=VALUE...]   replication factor 3
#   cluster.sh leader TOPIC PARTITION   prints the broker id (1-3) leading the partition
#   cluster.sh kill-leader TOPIC PARTITION   kill -9 that leader; prints its id
#   cluster.sh kill-broker N            kill -9 broker N (its data kept; start-broker N restarts it)
#   cluster.sh stop-broker N            SIGTERM (controlled shutdown), wait; keeps its data
#   cluster.sh start-broker N           start it again on its data, wait until it answers
#   cluster.sh pause N | resume N       SIGSTOP / SIGCONT (a hung broker)
#   cluster.sh under-replicated [TOPIC] prints the partitions whose ISR is not all replicas
#   cluster.sh logs N [LINES]           tail of broker N's log
#   cluster.sh tool CLASS ARGS...       run a Kafka CLI class with the broker classpath
#
# Env: LOGAGENT_KAFKA_CLUSTER_STATE (default /tmp/logagent-kafka-cluster-state-<uid>),
#      LOGAGENT_KAFKA_CLUSTER_DIR (data dir; default a fresh mktemp dir),
#      LOGAGENT_KAFKA_CLUSTER_PORT (BASE, default 19192: brokers BASE..BASE+2, controllers
#      BASE+100..BASE+102), LOGAGENT_KAFKA_CLUSTER_HEAP_OPTS (default -Xms128m -Xmx512m),
#      LOGAGENT_KAFKA_START_TIMEOUT (s, default 120), and kafka.sh's LOGAGENT_KAFKA_VERSION,
#      LOGAGENT_KAFKA_CACHE and JAVA.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VERSION=${LOGAGENT_KAFKA_VERSION:-4.4.0}
CACHE=${LOGAGENT_KAFKA_CACHE:-${HOME:-/tmp}/.cache/logagent/kafka-$VERSION}
LIB=$CACHE/lib
STATE=${LOGAGENT_KAFKA_CLUSTER_STATE:-${TMPDIR:-/tmp}/logagent-kafka-cluster-state-$(id -u)}
HEAP=${LOGAGENT_KAFKA_CLUSTER_HEAP_OPTS:--Xms128m -Xmx512m}
START_TIMEOUT=${LOGAGENT_KAFKA_START_TIMEOUT:-120}
JVM_OPTS="-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
-XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true"
NODES="1 2 3"

log() { echo "cluster.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- helpers
find_java() {
  local j=${JAVA:-} c
  for c in "$j" "${JAVA_HOME:+$JAVA_HOME/bin/java}" java /usr/lib/jvm/java-17-openjdk-amd64/bin/java; do
    [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 || continue
    if "$c" -version 2>&1 | grep -q 'version "\(1[7-9]\|[2-9][0-9]\)'; then JAVA=$c; return 0; fi
  done
  return 1
}

st() { cat "$STATE/$1" 2>/dev/null || true; }
node_ok() { case ${1:-} in 1|2|3) ;; *) die "broker id must be 1, 2 or 3 (got '${1:-}')" ;; esac; }
port_of() { st "$1/port"; }

is_kafka_pid() {  # is $1 a live (possibly stopped) kafka.Kafka process?
  local pid=$1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
    && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka '
}
running() { is_kafka_pid "$(st "$1/pid")"; }
paused() { [ "$(st "$1/paused")" = 1 ] && running "$1"; }
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

tool() {  # tool CLASS ARGS...  (Kafka CLI classes: quiet logging, small heap)
  local cls=$1; shift
  "$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j2.configurationFile="$HERE/tools-log4j2.properties" -cp "$LIB/*" "$cls" "$@"
}

live_bootstrap() {  # the brokers running and not paused, comma-separated
  local n out=""
  for n in $NODES; do
    if running "$n" && ! paused "$n"; then out="${out:+$out,}127.0.0.1:$(port_of "$n")"; fi
  done
  [ -n "$out" ] || die "no broker running (and not paused)"
  echo "$out"
}

metadata() {  # kcat -L of the live brokers (TOPIC optional); one try, 5 s at most
  local args=(-b "$(live_bootstrap)" -L -m 5)
  [ -n "${1:-}" ] && args+=(-t "$1")
  timeout 10 kcat "${args[@]}" 2>/dev/null
}

probe() {  # probe N: broker N answers a metadata request that lists all three brokers
  local port n; port=$(port_of "$1")
  if command -v kcat >/dev/null 2>&1; then
    local md; md=$(timeout 10 kcat -b "127.0.0.1:$port" -L -m 3 2>/dev/null) || return 1
    for n in $NODES; do grep -q "broker $n at 127.0.0.1:$(port_of "$n")" <<<"$md" || return 1; done
  else
    port_in_use "$port" && tool org.apache.kafka.tools.TopicCommand \
      --bootstrap-server "127.0.0.1:$port" --list >/dev/null 2>&1
  fi
}

print_logs() {  # print_logs N [LINES]
  local dir; dir=$(st dir)/$1
  [ -f "$dir/logs/server.log" ] && { echo "---- broker $1: $dir/logs/server.log"; tail -n "${2:-40}" "$dir/logs/server.log"; }
  [ -s "$dir/kafka.out" ] && { echo "---- broker $1: $dir/kafka.out"; tail -n "${2:-40}" "$dir/kafka.out"; }
  return 0
}

launch() {  # launch N: start broker N's JVM on its (formatted) data dir, detached
  local n=$1 dir; dir=$(st dir)/$1
  rm -f "$STATE/$n/pid" "$STATE/$n/paused"
  # setsid: the broker survives the caller's process group; bash execs java, so $$ = java pid.
  # shellcheck disable=SC2086
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$STATE/$n/pid" \
    "$JAVA" $HEAP $JVM_OPTS \
    -Dlog4j2.configurationFile="$HERE/log4j2.properties" -Dkafka.logs.dir="$dir/logs" \
    -cp "$LIB/*" kafka.Kafka "$dir/server.properties" </dev/null >>"$dir/kafka.out" 2>&1 &
  local i
  for i in $(seq 1 50); do [ -s "$STATE/$n/pid" ] && return 0; sleep 0.1; done
  die "broker $n: no pid after 5 s"
}

wait_ready() {  # wait_ready N...: until each answers; prints the logs and fails otherwise
  local deadline=$((SECONDS + START_TIMEOUT)) n
  for n in "$@"; do
    while ! probe "$n"; do
      running "$n" || { print_logs "$n" 60 >&2; die "broker $n exited during startup"; }
      if [ $SECONDS -ge $deadline ]; then
        print_logs "$n" 60 >&2; die "broker $n not ready after ${START_TIMEOUT} s"
      fi
      sleep 0.5
    done
  done
}

term_wait() {  # term_wait N...: SIGTERM (SIGCONT first) to all at once, wait, then SIGKILL
  local n pid i left grace=${TERM_GRACE:-60}
  for n in "$@"; do
    pid=$(st "$n/pid")
    is_kafka_pid "$pid" || continue
    kill -CONT "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
  done
  for i in $(seq 1 $((grace * 2))); do
    left=""
    for n in "$@"; do is_kafka_pid "$(st "$n/pid")" && left="$left $n"; done
    [ -z "$left" ] && break
    sleep 0.5
  done
  for n in $left; do
    log "broker $n did not exit $grace s after SIGTERM; SIGKILL"
    kill -KILL "$(st "$n/pid")" 2>/dev/null || true
    for i in $(seq 1 20); do is_kafka_pid "$(st "$n/pid")" || break; sleep 0.25; done
  done
  for n in "$@"; do rm -f "$STATE/$n/paused"; done
}

# ---------------------------------------------------------------- start / stop
parse_ports() {  # sets PORTS and CPORTS (arrays of 3) from the start arguments
  local base=${LOGAGENT_KAFKA_CLUSTER_PORT:-19192} plist="" clist=""
  while [ $# -gt 0 ]; do
    case $1 in
      --port) base=${2:?--port needs a value}; shift 2 ;;
      --ports) plist=${2:?--ports needs P1,P2,P3}; shift 2 ;;
      --controller-ports) clist=${2:?--controller-ports needs C1,C2,C3}; shift 2 ;;
      *) die "start: unknown argument '$1'" ;;
    esac
  done
  case $base in ''|*[!0-9]*) die "--port must be a number" ;; esac
  [ -n "$plist" ] || plist="$base,$((base + 1)),$((base + 2))"
  [ -n "$clist" ] || clist="$((base + 100)),$((base + 101)),$((base + 102))"
  IFS=, read -r -a PORTS <<<"$plist"
  IFS=, read -r -a CPORTS <<<"$clist"
  [ "${#PORTS[@]}" = 3 ] && [ "${#CPORTS[@]}" = 3 ] || die "give three ports and three controller ports"
  local p
  for p in "${PORTS[@]}" "${CPORTS[@]}"; do
    case $p in ''|*[!0-9]*) die "ports must be numbers (got '$p')" ;; esac
    port_in_use "$p" && die "port $p is already in use"
  done
  return 0
}

start() {
  local n any=0
  for n in $NODES; do running "$n" && any=1; done
  [ "$any" = 1 ] && die "already running (bootstrap $(live_bootstrap 2>/dev/null || true)); stop it first"
  if [ -f "$STATE/dir" ]; then  # a stale state (crashed cluster): clean its leftovers
    [ "$(st keep)" = 1 ] || remove_dir
    rm -rf "$STATE"
  fi
  parse_ports "$@"
  "$HERE/kafka.sh" fetch
  find_java || die "no Java 17+"

  local dir created=0
  if [ -n "${LOGAGENT_KAFKA_CLUSTER_DIR:-}" ]; then
    dir=$LOGAGENT_KAFKA_CLUSTER_DIR; [ -d "$dir" ] || created=1; mkdir -p "$dir"
  else
    dir=$(mktemp -d "${TMPDIR:-/tmp}/logagent-kafka-cluster.XXXXXX"); created=1
  fi
  dir=$(cd "$dir" && pwd)
  mkdir -p "$STATE"
  echo "$dir" >"$STATE/dir"; echo "$created" >"$STATE/created_dir"; echo "$VERSION" >"$STATE/version"
  [ "${LOGAGENT_KAFKA_KEEP:-0}" = 1 ] && echo 1 >"$STATE/keep"
  local voters="" i
  for i in 0 1 2; do voters="${voters:+$voters,}$((i + 1))@127.0.0.1:${CPORTS[$i]}"; done

  # Cluster id = base64url of 16 random bytes; one starting with '-' would read as an option.
  local cid=- t0=$SECONDS
  while [ "${cid#-}" != "$cid" ]; do cid=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-22); done
  local pids=()
  for i in 0 1 2; do
    n=$((i + 1))
    mkdir -p "$STATE/$n" "$dir/$n/logs"
    echo "${PORTS[$i]}" >"$STATE/$n/port"; echo "${CPORTS[$i]}" >"$STATE/$n/controller_port"
    sed -e "s#@NODE_ID@#$n#" -e "s#@DATA_DIR@#$dir/$n/data#" -e "s#@PORT@#${PORTS[$i]}#g" \
      -e "s#@CONTROLLER_PORT@#${CPORTS[$i]}#g" -e "s#@VOTERS@#$voters#" \
      "$HERE/cluster.properties" >"$dir/$n/server.properties"
    if [ ! -f "$dir/$n/data/meta.properties" ]; then
      tool kafka.tools.StorageTool format -t "$cid" -c "$dir/$n/server.properties" \
        >"$dir/$n/logs/format.log" 2>&1 &
      pids+=($!)
    fi
  done
  for i in "${pids[@]}"; do wait "$i" || { cat "$dir"/*/logs/format.log >&2; die "storage format failed"; }; done
  for n in $NODES; do launch "$n"; done
  if ! (wait_ready $NODES); then stop >/dev/null 2>&1 || true; exit 1; fi
  log "3 brokers of Kafka $VERSION ready: $(live_bootstrap) (dir $dir) in $((SECONDS - t0)) s"
}

remove_dir() {
  local dir; dir=$(st dir)
  [ -n "$dir" ] && [ -d "$dir" ] || return 0
  rm -rf "$dir/1" "$dir/2" "$dir/3"
  [ "$(st created_dir)" = 1 ] && rmdir "$dir" 2>/dev/null || true
}

stop() {
  local keep=${LOGAGENT_KAFKA_KEEP:-0}
  [ "${1:-}" = --keep ] && keep=1
  [ -d "$STATE" ] || { log "not running"; return 0; }
  [ "$(st keep)" = 1 ] && keep=1
  # All at once: stopped one by one, the last broker waits for a controller quorum that is gone.
  # Without --keep the data is thrown away, so a clean shutdown is not worth more than 20 s.
  if [ "$keep" = 1 ]; then term_wait $NODES; else TERM_GRACE=20 term_wait $NODES; fi
  if [ "$keep" = 1 ]; then log "stopped; kept data dir $(st dir)"; else remove_dir; log "stopped"; fi
  rm -rf "$STATE"
}

status() {
  local n up=0 alive=0
  for n in $NODES; do
    if ! running "$n"; then echo "broker $n: not running"; continue; fi
    alive=$((alive + 1))
    if paused "$n"; then echo "broker $n: paused (SIGSTOP), pid $(st "$n/pid")"; continue; fi
    if probe "$n"; then
      up=$((up + 1)); echo "broker $n: running, pid $(st "$n/pid"), 127.0.0.1:$(port_of "$n")"
    else
      echo "broker $n: running but not answering, pid $(st "$n/pid"), 127.0.0.1:$(port_of "$n")"
    fi
  done
  [ "$alive" = 0 ] && return 3
  [ "$up" = 3 ] && return 0
  return 1
}

bootstrap() {
  [ -d "$STATE" ] || die "not running"
  local n out=""
  for n in $NODES; do out="${out:+$out,}127.0.0.1:$(port_of "$n")"; done
  echo "$out"
}

# ---------------------------------------------------------------- topics and leaders
create_topic() {
  local name=${1:?create-topic NAME [PARTITIONS] [KEY=VALUE...]} parts=${2:-3}
  shift $(($# < 2 ? $# : 2))
  local configs=() kv
  for kv in "$@"; do configs+=(--config "$kv"); done
  find_java || die "no Java 17+"
  tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$(live_bootstrap)" \
    --create --if-not-exists --topic "$name" --partitions "$parts" --replication-factor 3 \
    "${configs[@]}"
}

leader() {  # leader TOPIC PARTITION: the leader's broker id, as the live brokers see it
  local topic=${1:?leader TOPIC PARTITION} part=${2:?leader TOPIC PARTITION} id
  id=$(metadata "$topic" | awk -v p="$part" '$1 == "partition" && $2 == p "," { print $4; exit }' | tr -d ,)
  case $id in ''|-1|*[!0-9]*) die "no leader for $topic/$part (got '$id')" ;; esac
  echo "$id"
}

kill_broker() {  # kill_broker N [WHY]: kill -9 broker N, wait until it is gone
  node_ok "${1:-}"
  local pid; pid=$(st "$1/pid")
  is_kafka_pid "$pid" || die "broker $1 is not a running broker of this cluster (pid '$pid')"
  kill -KILL "$pid"
  local i; for i in $(seq 1 40); do is_kafka_pid "$pid" || break; sleep 0.25; done
  log "killed broker $1 (pid $pid${2:+, $2}) with SIGKILL"
}

kill_leader() {
  local id; id=$(leader "$@")
  kill_broker "$id" "leader of $1/$2"
  echo "$id"
}

under_replicated() {  # under-replicated [TOPIC]: prints "TOPIC PARTITION replicas=A,B,C isrs=A,B" lines
  local md; md=$(metadata "${1:-}") || die "no metadata from $(live_bootstrap)"
  awk '$1 == "topic" { t = $2; gsub(/"/, "", t) }
       $1 == "partition" { r = $6; i = $8; gsub(/,$/, "", r); gsub(/,$/, "", i)
         if (split(r, a, ",") != split(i, b, ",")) p = $2; sub(/,$/, "", p)
         if (split(r, a, ",") != split(i, b, ",")) print t, p, "replicas=" r, "isrs=" i }' <<<"$md"
}

# ---------------------------------------------------------------- one broker
stop_broker() {
  node_ok "${1:-}"; running "$1" || die "broker $1 is not running"
  term_wait "$1"; log "broker $1 stopped (data kept)"
}

start_broker() {
  node_ok "${1:-}"; running "$1" && die "broker $1 is already running"
  [ -d "$STATE" ] || die "cluster not started"
  find_java || die "no Java 17+"
  local t0=$SECONDS
  launch "$1"; wait_ready "$1"
  log "broker $1 ready on 127.0.0.1:$(port_of "$1") in $((SECONDS - t0)) s"
}

signal_broker() {  # signal_broker N SIG
  node_ok "${1:-}"; running "$1" || die "broker $1 is not running"
  kill -"$2" "$(st "$1/pid")"
  if [ "$2" = STOP ]; then echo 1 >"$STATE/$1/paused"; log "broker $1 paused"; else rm -f "$STATE/$1/paused"; log "broker $1 resumed"; fi
}

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

cmd=${1:-}; [ $# -gt 0 ] && shift
case $cmd in
  start) start "$@" ;;
  stop) stop "$@" ;;
  status) find_java || true; status ;;
  bootstrap) bootstrap ;;
  create-topic) create_topic "$@" ;;
  leader) leader "$@" ;;
  kill-leader) kill_leader "$@" ;;
  kill-broker) kill_broker "${1:-}" ;;
  stop-broker) stop_broker "$@" ;;
  start-broker) start_broker "$@" ;;
  pause) signal_broker "${1:-}" STOP ;;
  resume) signal_broker "${1:-}" CONT ;;
  under-replicated) under_replicated "$@" ;;
  logs) node_ok "${1:-}"; print_logs "$1" "${2:-100}" ;;
  tool) find_java || die "no Java 17+"; tool "$@" ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
