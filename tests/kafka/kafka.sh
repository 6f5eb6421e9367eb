#!/usr/bin/env bash
# kafka.sh - a real single-node Apache Kafka 4.x broker (KRaft combined mode) on 127.0.0.1,
# run from the Maven Central jars, for logagent's tests. See README.md beside this file.
#
#   kafka.sh fetch                      jars -> $CACHE/lib (once; also installs java/mvn/kcat if missing)
#   kafka.sh start [--port N] [--controller-port N] [--tls] [--sasl-scram] [--bad-tls]
#                  [--certs DIR] [--scram-user NAME:PASSWORD]
#                                       format a fresh data dir, start, wait until metadata answers;
#                                       --tls: an SSL listener on port+2, --sasl-scram: SASL_SSL
#                                       (SCRAM-SHA-512, PLAIN) on port+3, --bad-tls: SSL listeners with an
#                                       expired (+4), untrusted (+5), wrong-host (+6) certificate
#   kafka.sh make-certs DIR [--bad]     CA, broker and client certificates (openssl + keytool)
#   kafka.sh stop [--keep]              SIGTERM, wait, SIGKILL; removes the data dir unless --keep
#   kafka.sh status                     exit 0 if running and answering, 3 if not running
#   kafka.sh bootstrap [LISTENER]       prints 127.0.0.1:PORT of plaintext (default), tls, sasl,
#                                       expired, untrusted or wronghost
#   kafka.sh certs                      prints the certificate dir of a --tls broker
#   kafka.sh logs [-f] [N]              tail of the broker log
#   kafka.sh create-topic NAME [PARTITIONS] [KEY=VALUE...]
#                                       (TopicCommand, topic configs; auto-create also works)
#   kafka.sh tool CLASS ARGS...         run a Kafka CLI class with the broker classpath
#
# Env: LOGAGENT_KAFKA_VERSION (default below), LOGAGENT_KAFKA_CACHE (default
#      ~/.cache/logagent/kafka-<version>), LOGAGENT_KAFKA_DIR (data/work dir; default a fresh
#      mktemp dir), LOGAGENT_KAFKA_STATE (state dir, default /tmp/logagent-kafka-state-<uid>),
#      LOGAGENT_KAFKA_PORT (default 19092; controller = port+1), LOGAGENT_KAFKA_HEAP_OPTS
#      (default -Xms256m -Xmx1g), LOGAGENT_KAFKA_START_TIMEOUT (s, default 90),
#      LOGAGENT_KAFKA_KEEP=1 (stop keeps the data dir), JAVA (java binary),
#      LOGAGENT_KAFKA_PROBE=java (readiness via TopicCommand even when kcat exists).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VERSION=${LOGAGENT_KAFKA_VERSION:-4.4.0}
CACHE=${LOGAGENT_KAFKA_CACHE:-${HOME:-/tmp}/.cache/logagent/kafka-$VERSION}
LIB=$CACHE/lib
STATE=${LOGAGENT_KAFKA_STATE:-${TMPDIR:-/tmp}/logagent-kafka-state-$(id -u)}
HEAP=${LOGAGENT_KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}
START_TIMEOUT=${LOGAGENT_KAFKA_START_TIMEOUT:-90}
JVM_OPTS="-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
-XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true"
export DEBIAN_FRONTEND=noninteractive

log() { echo "kafka.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- prerequisites
APT_UPDATED=0
apt_install() {  # apt_install PKG... (root only; no stdin)
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    return 1
  fi
  if [ "$APT_UPDATED" = 0 ]; then
    apt-get update -qq </dev/null >/dev/null || true
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  local out
  if ! out=$(apt-get install -y -qq --no-install-recommends "$@" </dev/null 2>&1); then
    echo "$out" >&2; return 1
  fi
}

java_major() {  # prints the major version of $1 (a java binary), empty if unusable
  "$1" -version 2>&1 | awk -F'"' '/version/ { split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit }'
}

find_java() {
  local j=${JAVA:-}
  if [ -z "$j" ]; then
    if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then j=$JAVA_HOME/bin/java; else j=java; fi
  fi
  if command -v "$j" >/dev/null 2>&1 && [ "$(java_major "$j")" -ge 17 ] 2>/dev/null; then
    JAVA=$j; return 0
  fi
  return 1
}

ensure_java() {
  find_java && return 0
  apt_install openjdk-17-jre-headless || die "Java 17+ not found and cannot apt-get install it"
  JAVA=/usr/lib/jvm/java-17-openjdk-amd64/bin/java
  [ -x "$JAVA" ] || JAVA=java
  find_java || die "Java 17+ still not usable after install"
}

ensure_mvn() {
  command -v mvn >/dev/null 2>&1 && return 0
  apt_install maven || die "mvn not found and cannot apt-get install it"
}

ensure_kcat() {  # optional: used as readiness probe and by tests to produce/consume
  command -v kcat >/dev/null 2>&1 && return 0
  apt_install kcat || log "note: kcat not installed; falling back to Kafka's Java tools"
}

# ---------------------------------------------------------------- fetch
fetch_stamp() {  # identifies what a complete lib/ was made from
  echo "version=$VERSION pom=$(cksum <"$HERE/pom.xml" | cut -d' ' -f1)"
}

fetch() {
  ensure_java
  ensure_kcat
  if [ -f "$CACHE/.fetched" ] && [ "$(cat "$CACHE/.fetched")" = "$(fetch_stamp)" ] \
     && [ -f "$LIB/kafka_2.13-$VERSION.jar" ]; then
    return 0
  fi
  ensure_mvn
  log "fetching Apache Kafka $VERSION jars into $LIB"
  local t0=$SECONDS tmp="$CACHE/lib.tmp.$$"
  mkdir -p "$CACHE"
  rm -rf "$tmp"
  # shellcheck disable=SC2086
  if ! mvn -B -q -ntp -f "$HERE/pom.xml" dependency:copy-dependencies \
        -Dkafka.version="$VERSION" -Dlib.dir="$tmp" ${LOGAGENT_KAFKA_MVN_ARGS:-} \
        </dev/null >"$CACHE/mvn.log" 2>&1; then
    tail -n 40 "$CACHE/mvn.log" >&2
    rm -rf "$tmp"
    die "mvn dependency:copy-dependencies failed (log: $CACHE/mvn.log)"
  fi
  [ -f "$tmp/kafka_2.13-$VERSION.jar" ] || die "kafka_2.13-$VERSION.jar missing after mvn"
  # Exactly one SLF4J binding, and it must match slf4j-api's major version (1.7 -> log4j-slf4j-impl).
  local nbind
  nbind=$(find "$tmp" -maxdepth 1 \( -name 'log4j-slf4j-impl-*.jar' -o -name 'log4j-slf4j2-impl-*.jar' \
          -o -name 'slf4j-reload4j-*.jar' -o -name 'slf4j-log4j12-*.jar' -o -name 'slf4j-simple-*.jar' \
          -o -name 'logback-classic-*.jar' \) | wc -l)
  [ "$nbind" = 1 ] || die "expected exactly one SLF4J binding in lib, found $nbind"
  rm -rf "$LIB"
  mv "$tmp" "$LIB"
  fetch_stamp >"$CACHE/.fetched"
  log "fetched $(find "$LIB" -name '*.jar' | wc -l) jars ($(du -sh "$LIB" | cut -f1)) in $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------- state helpers
st() { cat "$STATE/$1" 2>/dev/null || true; }

is_kafka_pid() {  # is $1 a live kafka.Kafka process?
  local pid=$1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
    && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka '
}

running() { is_kafka_pid "$(st pid)"; }

port_in_use() {  # something accepts connections on 127.0.0.1:$1
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

classpath() { echo "$LIB/*"; }

tool() {  # tool CLASS ARGS...  (Kafka CLI classes: quiet logging, small heap)
  local cls=$1; shift
  "$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j2.configurationFile="$HERE/tools-log4j2.properties" \
    -cp "$(classpath)" "$cls" "$@"
}

probe() {  # probe PORT: broker answers a metadata request listing itself
  local port=$1
  if [ "${LOGAGENT_KAFKA_PROBE:-}" != java ] && command -v kcat >/dev/null 2>&1; then
    kcat -b "127.0.0.1:$port" -L -m 2 2>/dev/null | grep -q "broker 1 at 127.0.0.1:$port"
  else
    port_in_use "$port" && tool org.apache.kafka.tools.TopicCommand \
      --bootstrap-server "127.0.0.1:$port" --list >/dev/null 2>&1
  fi
}

print_logs() {  # tail of the broker log and of the JVM's stdout/stderr
  local dir=$1 n=${2:-40}
  if [ -f "$dir/logs/server.log" ]; then
    echo "---- tail of $dir/logs/server.log"; tail -n "$n" "$dir/logs/server.log"
  fi
  if [ -s "$dir/kafka.out" ]; then
    echo "---- tail of $dir/kafka.out"; tail -n "$n" "$dir/kafka.out"
  fi
}

remove_dir() {  # remove what start created in $1 (and $1 itself if we made it)
  local dir=$1
  [ -n "$dir" ] && [ -d "$dir" ] || return 0
  rm -rf "$dir/data" "$dir/logs" "$dir/server.properties" "$dir/kafka.out" "$dir/certs"
  if [ -f "$STATE/created_dir" ] && [ "$(st created_dir)" = 1 ]; then rmdir "$dir" 2>/dev/null || true; fi
}

# ---------------------------------------------------------------- TLS and SASL
# Keystores and keys share one password (test material only, never a secret).
TLS_PASS=${LOGAGENT_KAFKA_TLS_PASSWORD:-logagent-test}

keytool_bin() {  # the keytool of the JRE that runs the broker
  local k; k=$(dirname "$(readlink -f "$(command -v "$JAVA")")")/keytool
  [ -x "$k" ] && echo "$k" || echo keytool
}

issue_cert() {  # issue_cert DIR NAME CA SAN [KEYTOOL-DATE-ARGS...]: NAME.key, NAME.pem, NAME.p12
  local d=$1 name=$2 ca=$3 san=$4; shift 4
  openssl req -new -newkey rsa:2048 -nodes -keyout "$d/$name.key" -out "$d/$name.csr" \
    -subj "/CN=logagent test $name" 2>/dev/null || die "openssl req $name failed"
  "$(keytool_bin)" -gencert -alias ca -keystore "$d/$ca.p12" -storetype PKCS12 \
    -storepass "$TLS_PASS" -infile "$d/$name.csr" -outfile "$d/$name.pem" -rfc -ext "SAN=$san" \
    -ext KU=digitalSignature,keyEncipherment -ext EKU=serverAuth,clientAuth "$@" \
    || die "keytool -gencert $name failed"
  openssl pkcs12 -export -in "$d/$name.pem" -certfile "$d/$ca.pem" -inkey "$d/$name.key" \
    -name "$name" -out "$d/$name.p12" -passout "pass:$TLS_PASS" || die "openssl pkcs12 $name failed"
  "$(keytool_bin)" -list -keystore "$d/$name.p12" -storetype PKCS12 -storepass "$TLS_PASS" \
    >/dev/null || die "Java cannot read $d/$name.p12"
  rm -f "$d/$name.csr"
}

make_ca() {  # make_ca DIR NAME: NAME.key, NAME.pem and NAME.p12 (for keytool -gencert)
  local d=$1 name=$2
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/$name.key" -out "$d/$name.pem" -days 3650 \
    -subj "/CN=logagent test $name" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null || die "openssl: $name failed"
  openssl pkcs12 -export -in "$d/$name.pem" -inkey "$d/$name.key" -name ca -out "$d/$name.p12" \
    -passout "pass:$TLS_PASS" || die "openssl pkcs12 $name failed"
}

make_certs() {  # make_certs DIR [--bad]
  local d=${1:?make-certs DIR [--bad]} bad=0; shift
  while [ $# -gt 0 ]; do
    case $1 in --bad) bad=1; shift ;; *) die "make-certs: unknown argument '$1'" ;; esac
  done
  command -v openssl >/dev/null 2>&1 || apt_install openssl || die "openssl not found"
  ensure_java
  mkdir -p "$d"; d=$(cd "$d" && pwd)
  local here=ip:127.0.0.1,dns:localhost
  if [ ! -f "$d/broker.p12" ]; then
    make_ca "$d" ca
    issue_cert "$d" broker ca "$here"
    issue_cert "$d" client ca "$here"
    # The client key again, encrypted with $TLS_PASS (for ssl.key.password).
    openssl pkey -in "$d/client.key" -aes256 -passout "pass:$TLS_PASS" -out "$d/client-enc.key" \
      || die "openssl pkey failed"
    rm -f "$d/truststore.p12"
    "$(keytool_bin)" -importcert -noprompt -alias ca -file "$d/ca.pem" -keystore "$d/truststore.p12" \
      -storetype PKCS12 -storepass "$TLS_PASS" >/dev/null 2>&1 || die "keytool -importcert failed"
  fi
  if [ "$bad" = 1 ] && [ ! -f "$d/wronghost.p12" ]; then
    issue_cert "$d" expired ca "$here" -startdate -10d -validity 2
    make_ca "$d" other-ca
    issue_cert "$d" untrusted other-ca "$here"
    issue_cert "$d" wronghost ca dns:wrong.host.invalid
  fi
  chmod 600 "$d"/*.key
  log "certificates in $d (keystore password '$TLS_PASS')"
}

ssl_listener_props() {  # ssl_listener_props NAME KEYSTORE DIR: per-listener SSL settings
  local n=$1 ks=$2 d=$3
  cat <<PROPS
listener.name.$n.ssl.keystore.type=PKCS12
listener.name.$n.ssl.keystore.location=$d/$ks.p12
listener.name.$n.ssl.keystore.password=$TLS_PASS
listener.name.$n.ssl.key.password=$TLS_PASS
listener.name.$n.ssl.truststore.type=PKCS12
listener.name.$n.ssl.truststore.location=$d/truststore.p12
listener.name.$n.ssl.truststore.password=$TLS_PASS
listener.name.$n.ssl.client.auth=requested
PROPS
}

# Adds the listeners of --tls/--sasl-scram/--bad-tls to the server.properties $1 (ports in $STATE).
add_secure_listeners() {
  local props=$1 d=$2 tls=$3 sasl=$4 bad=$5 port=$6 cport=$7 user=${8%%:*} pass=${8#*:}
  local listeners="PLAINTEXT://127.0.0.1:$port" map="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
  local extra="" name p
  add_listener() {  # add_listener NAME PROTOCOL PORT
    listeners+=",$1://127.0.0.1:$3"; map+=",$1:$2"; echo "$3" >"$STATE/port_$(echo "$1" | tr 'A-Z' 'a-z')"
  }
  if [ "$tls" = 1 ]; then add_listener SSL SSL $((port + 2)); extra+=$(ssl_listener_props ssl broker "$d")$'\n'; fi
  if [ "$sasl" = 1 ]; then
    add_listener SASL_SSL SASL_SSL $((port + 3))
    extra+=$(ssl_listener_props sasl_ssl broker "$d")$'\n'
    # PLAIN beside SCRAM-SHA-512, same user: librdkafka < 2.6.1 (Debian 12 has 2.0.2) cannot
    # complete SCRAM with Kafka >= 3.9 / 4.x (it repeats the client nonce; librdkafka PR #4895).
    extra+="sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN"$'\n'
    extra+="listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN"$'\n'
    extra+="listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;"$'\n'
    extra+="listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${user}=\"${pass}\";"$'\n'
  fi
  if [ "$bad" = 1 ]; then
    p=$((port + 4))
    for name in expired untrusted wronghost; do
      add_listener "$(echo "$name" | tr 'a-z' 'A-Z')" SSL "$p"; p=$((p + 1))
      extra+=$(ssl_listener_props "$name" "$name" "$d")$'\n'
    done
  fi
  # Clients see the listener they connected to: advertised = listeners (without the controller).
  sed -i -e "s#^listeners=.*#listeners=$listeners,CONTROLLER://127.0.0.1:$cport#" \
    -e "s#^advertised.listeners=.*#advertised.listeners=$listeners#" \
    -e "s#^listener.security.protocol.map=.*#listener.security.protocol.map=$map#" "$props"
  { echo; echo "# --tls / --sasl-scram / --bad-tls (kafka.sh)"; printf '%s' "$extra"; } >>"$props"
}

certs() {
  [ -n "$(st certs)" ] || die "no --tls broker running"
  st certs
}

# ---------------------------------------------------------------- start / stop
start() {
  local port=${LOGAGENT_KAFKA_PORT:-19092} cport="" tls=0 sasl=0 bad=0 certs=""
  local scram_user=logagent:logagent-secret
  while [ $# -gt 0 ]; do
    case $1 in
      --tls) tls=1; shift ;;
      --sasl-scram) sasl=1; shift ;;
      --bad-tls) bad=1; shift ;;
      --certs) certs=${2:?--certs needs a value}; shift 2 ;;
      --scram-user) scram_user=${2:?--scram-user needs NAME:PASSWORD}; shift 2 ;;
      --port) port=${2:?--port needs a value}; shift 2 ;;
      --port=*) port=${1#*=}; shift ;;
      --controller-port) cport=${2:?--controller-port needs a value}; shift 2 ;;
      --controller-port=*) cport=${1#*=}; shift ;;
      *) die "start: unknown argument '$1'" ;;
    esac
  done
  [ -n "$cport" ] || cport=$((port + 1))
  case "$port$cport" in *[!0-9]*) die "ports must be numbers" ;; esac

  if running; then
    if [ "$(st port)" = "$port" ]; then log "already running (pid $(st pid), 127.0.0.1:$port)"; return 0; fi
    die "already running on port $(st port) (pid $(st pid)); stop it first"
  fi
  # A stale state (crashed broker): clean its leftovers unless it was to be kept.
  if [ -f "$STATE/dir" ]; then
    if [ "$(st keep)" != 1 ]; then remove_dir "$(st dir)"; fi
    rm -rf "$STATE"
  fi
  port_in_use "$port" && die "port $port is already in use"
  port_in_use "$cport" && die "controller port $cport is already in use"
  local p secure=$((tls + sasl + bad))
  for p in $( [ "$tls" = 1 ] && echo $((port + 2)); [ "$sasl" = 1 ] && echo $((port + 3));
              [ "$bad" = 1 ] && echo $((port + 4)) $((port + 5)) $((port + 6)) ); do
    port_in_use "$p" && die "port $p (a --tls/--sasl-scram/--bad-tls listener) is already in use"
  done
  case $scram_user in *:*) ;; *) die "--scram-user must be NAME:PASSWORD" ;; esac

  fetch

  local dir created=0
  if [ -n "${LOGAGENT_KAFKA_DIR:-}" ]; then
    dir=$LOGAGENT_KAFKA_DIR; [ -d "$dir" ] || created=1; mkdir -p "$dir"
  else
    dir=$(mktemp -d "${TMPDIR:-/tmp}/logagent-kafka.XXXXXX"); created=1
  fi
  dir=$(cd "$dir" && pwd)
  mkdir -p "$dir/logs" "$STATE"
  echo "$dir" >"$STATE/dir"; echo "$created" >"$STATE/created_dir"
  echo "$port" >"$STATE/port"; echo "$cport" >"$STATE/controller_port"
  echo "$VERSION" >"$STATE/version"
  [ "${LOGAGENT_KAFKA_KEEP:-0}" = 1 ] && echo 1 >"$STATE/keep"

  sed -e "s#@DATA_DIR@#$dir/data#" -e "s#@PORT@#$port#g" -e "s#@CONTROLLER_PORT@#$cport#g" \
    "$HERE/server.properties" >"$dir/server.properties"
  local format_args=()
  if [ "$secure" -gt 0 ]; then
    [ -n "$certs" ] || certs=$dir/certs
    if [ "$bad" = 1 ]; then make_certs "$certs" --bad; else make_certs "$certs"; fi
    certs=$(cd "$certs" && pwd); echo "$certs" >"$STATE/certs"
    add_secure_listeners "$dir/server.properties" "$certs" "$tls" "$sasl" "$bad" "$port" "$cport" \
      "$scram_user"
    if [ "$sasl" = 1 ]; then
      echo "$scram_user" >"$STATE/scram_user"
      format_args=(--add-scram "SCRAM-SHA-512=[name=\"${scram_user%%:*}\",password=\"${scram_user#*:}\"]")
    fi
  fi

  local t0 cid
  t0=$(date +%s.%N)
  if [ ! -f "$dir/data/meta.properties" ]; then
    # Cluster id = base64url of 16 random bytes (what `StorageTool random-uuid` prints).
    # An id starting with '-' would be read as an option by the tool: draw again (1 in 64).
    cid=-
    while [ "${cid#-}" != "$cid" ]; do
      cid=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-22)
    done
    if ! tool kafka.tools.StorageTool format -t "$cid" -c "$dir/server.properties" \
          ${format_args[@]+"${format_args[@]}"} >"$dir/logs/format.log" 2>&1; then
      cat "$dir/logs/format.log" >&2
      die "storage format failed"
    fi
  fi

  # setsid: the broker survives the caller's process group; bash execs java, so $$ = java pid.
  # shellcheck disable=SC2086
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$STATE/pid" \
    "$JAVA" $HEAP $JVM_OPTS \
    -Dlog4j2.configurationFile="$HERE/log4j2.properties" -Dkafka.logs.dir="$dir/logs" \
    -cp "$(classpath)" kafka.Kafka "$dir/server.properties" \
    </dev/null >"$dir/kafka.out" 2>&1 &
  local i
  for i in $(seq 1 50); do [ -s "$STATE/pid" ] && break; sleep 0.1; done

  local deadline=$((SECONDS + START_TIMEOUT))
  while :; do
    if ! running; then
      print_logs "$dir" 60 >&2
      die "broker exited during startup"
    fi
    if probe "$port"; then break; fi
    if [ $SECONDS -ge $deadline ]; then
      print_logs "$dir" 60 >&2
      stop >/dev/null 2>&1 || true
      die "broker not ready after ${START_TIMEOUT} s"
    fi
    sleep 0.5
  done
  local f
  for f in "$STATE"/port_*; do
    [ -f "$f" ] && log "listener ${f##*/port_}: 127.0.0.1:$(cat "$f")"
  done
  log "Kafka $VERSION ready on 127.0.0.1:$port (controller :$cport, pid $(st pid), dir $dir) in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
}

stop() {
  local keep=${LOGAGENT_KAFKA_KEEP:-0}
  while [ $# -gt 0 ]; do
    case $1 in
      --keep) keep=1; shift ;;
      *) die "stop: unknown argument '$1'" ;;
    esac
  done
  [ -d "$STATE" ] || { log "not running"; return 0; }
  [ "$(st keep)" = 1 ] && keep=1
  local pid dir i
  pid=$(st pid); dir=$(st dir)
  if is_kafka_pid "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 60); do is_kafka_pid "$pid" || break; sleep 0.5; done
    if is_kafka_pid "$pid"; then
      log "broker did not exit 30 s after SIGTERM; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for i in $(seq 1 20); do is_kafka_pid "$pid" || break; sleep 0.25; done
    fi
    log "stopped (pid $pid)"
  else
    log "not running"
  fi
  if [ "$keep" = 1 ]; then
    [ -n "$dir" ] && log "kept data dir $dir"
  else
    remove_dir "$dir"
  fi
  rm -rf "$STATE"
}

status() {
  if running; then
    local port; port=$(st port)
    if probe "$port"; then
      echo "running: pid $(st pid), bootstrap 127.0.0.1:$port, controller 127.0.0.1:$(st controller_port), Kafka $(st version), dir $(st dir)"
      return 0
    fi
    echo "running but not answering: pid $(st pid), port $port, dir $(st dir)"; return 1
  fi
  echo "not running"; return 3
}

bootstrap() {  # bootstrap [plaintext|tls|sasl|expired|untrusted|wronghost]
  running || die "not running"
  local l=${1:-plaintext} p
  case $l in
    plaintext) p=$(st port) ;;
    tls) p=$(st port_ssl) ;;
    sasl) p=$(st port_sasl_ssl) ;;
    expired|untrusted|wronghost) p=$(st "port_$l") ;;
    *) die "bootstrap: unknown listener '$l'" ;;
  esac
  [ -n "$p" ] || die "no $l listener (start with --tls, --sasl-scram or --bad-tls)"
  echo "127.0.0.1:$p"
}

logs() {
  local follow=0 n=100
  while [ $# -gt 0 ]; do
    case $1 in -f) follow=1; shift ;; *) n=$1; shift ;; esac
  done
  local dir; dir=$(st dir)
  [ -n "$dir" ] && [ -d "$dir/logs" ] || die "no broker log (not started?)"
  if [ "$follow" = 1 ]; then exec tail -n "$n" -F "$dir/logs/server.log"; fi
  print_logs "$dir" "$n"
}

create_topic() {
  local name=${1:?create-topic NAME [PARTITIONS] [KEY=VALUE...]} parts=${2:-1}
  shift $(($# < 2 ? $# : 2))
  local configs=() kv
  for kv in "$@"; do configs+=(--config "$kv"); done
  running || die "not running"
  find_java || die "no Java 17+"
  tool org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$(st port)" \
    --create --if-not-exists --topic "$name" --partitions "$parts" --replication-factor 1 \
    "${configs[@]}"
}

usage() {
  sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'
}

cmd=${1:-}; [ $# -gt 0 ] && shift
case $cmd in
  fetch) fetch "$@" ;;
  start) start "$@" ;;
  stop) stop "$@" ;;
  status) find_java || true; status ;;
  bootstrap) bootstrap "$@" ;;
  certs) certs ;;
  make-certs) make_certs "$@" ;;
  logs) logs "$@" ;;
  create-topic) create_topic "$@" ;;
  tool) find_java || die "no Java 17+"; tool "$@" ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
