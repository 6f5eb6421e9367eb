#!/usr/bin/env bash
# Quick start: build logagent, start a local Apache Kafka broker (tests/kafka/kafka.sh), generate
# demo logs, run the agent live while the logs grow and rotate, then read the topic back, count
# its lines against those written ("written N, in Kafka M"; exit 1 if they differ), show the
# metrics, and stop the agent and the broker.
#
# Without Java (no `java` on PATH) there is no broker: the agent ships to a file instead
# (config/quickstart.yaml) and the same counts are made on that file.
#
# Env: LOGAGENT_BIN (a logagent binary to use: no bootstrap, no build; default: build it in
# build/), LOGAGENT_DEMO (the demo directory, default ./demo; emptied first), LOGAGENT_METRICS
# (the agent's metrics listener, default 127.0.0.1:9464), LOGAGENT_KAFKA_PORT (the broker's
# port, default 19092; the controller takes the next one), LOGAGENT_JOBS (build jobs, default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export LOGAGENT_DEMO="${LOGAGENT_DEMO:-$root/demo}"
export LOGAGENT_METRICS="${LOGAGENT_METRICS:-127.0.0.1:9464}"
export LOGAGENT_KAFKA_PORT="${LOGAGENT_KAFKA_PORT:-19092}"
export KAFKA_BROKERS="127.0.0.1:$LOGAGENT_KAFKA_PORT"
# The broker's state and data live in the demo directory: they never meet another kafka.sh broker.
export LOGAGENT_KAFKA_STATE="$LOGAGENT_DEMO/kafka-state"
export LOGAGENT_KAFKA_DIR="$LOGAGENT_DEMO/kafka"
kafka_sh="$root/tests/kafka/kafka.sh"
topic=quickstart

if [ -n "${LOGAGENT_BIN:-}" ]; then
  bin=$LOGAGENT_BIN
else
  packaging/bootstrap.sh
  echo "== building (first time takes a few minutes)"
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j "${LOGAGENT_JOBS:-2}" --target logagent >/dev/null
  bin=build/logagent
fi

if command -v java >/dev/null 2>&1; then
  mode=kafka
  config=config/quickstart-kafka.yaml
else
  mode=file
  config=config/quickstart.yaml
  echo "== no Java on PATH: no local Kafka broker; the file-only demo instead (install"
  echo "   openjdk-17-jre-headless, or run LOGAGENT_BOOTSTRAP_KAFKA=1 packaging/bootstrap.sh, for Kafka)"
fi

agent=""
broker=0
cleanup() {  # every exit path: the agent (our only background job), then the broker
  local jobs
  jobs=$(jobs -pr)  # not $agent: a signal may come between the start and agent=$!
  if [ -n "$jobs" ]; then
    kill -TERM $jobs 2>/dev/null || true
    wait $jobs 2>/dev/null || true
  fi
  if [ "$broker" = 1 ]; then
    "$kafka_sh" stop >/dev/null 2>&1 || echo "quickstart: could not stop the broker" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
die() { echo "quickstart: $*" >&2; exit 1; }

if [ -d "$LOGAGENT_DEMO" ] && [ ! -d "$LOGAGENT_DEMO/logs" ] && [ -n "$(ls -A "$LOGAGENT_DEMO")" ]; then
  die "$LOGAGENT_DEMO is not empty and holds no earlier demo: not removing it (set LOGAGENT_DEMO)"
fi
# A broker left by an earlier run that was killed holds its state in the demo directory.
[ ! -d "$LOGAGENT_KAFKA_STATE" ] || "$kafka_sh" stop >/dev/null 2>&1 || true
rm -rf "$LOGAGENT_DEMO"
mkdir -p "$LOGAGENT_DEMO/logs" "$LOGAGENT_DEMO/out"
write_lines() {  # file first count
  python3 - "$@" <<'PY'
import sys, random, time
path, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
levels = ["INFO", "INFO", "INFO", "WARN", "ERROR", "DEBUG"]
with open(path, "a") as f:
    for i in range(first, first + count):
        f.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {random.choice(levels)} "
                f"service={path.rsplit('/',1)[-1][:-4]} seq={i} msg=\"request handled\" "
                f"latency_ms={random.randint(1, 900)}\n")
PY
}
for app in api web worker; do write_lines "$LOGAGENT_DEMO/logs/$app.log" 0 20000; done

# The sum of the samples of metric $1 whose line contains every other argument.
metric() {
  { curl -fsS "http://$LOGAGENT_METRICS/metrics" 2>/dev/null || true; } | awk -v name="$1{" \
    -v a="${2:-}" -v b="${3:-}" 'index($0, name) == 1 && index($0, a) && index($0, b) { s += $NF }
                                END { printf "%d\n", s }'
}
wait_metric() {  # wait_metric MIN WHAT METRIC [SUBSTRING...]: until the sum reaches MIN (90 s)
  local min=$1 what=$2 deadline=$((SECONDS + 90)); shift 2
  until [ "$(metric "$@")" -ge "$min" ]; do
    kill -0 "$agent" 2>/dev/null || { cat "$LOGAGENT_DEMO/agent.log" >&2; die "the agent exited"; }
    [ $SECONDS -lt $deadline ] || die "timed out waiting for $what ($1 = $(metric "$@"))"
    sleep 0.2
  done
}

if [ "$mode" = kafka ]; then
  echo "== starting Kafka on $KAFKA_BROKERS: tests/kafka/kafka.sh start (jars from Maven Central, once)"
  broker=1
  "$kafka_sh" start --port "$LOGAGENT_KAFKA_PORT" || die "the broker did not start (see above)"
fi

echo "== starting: $bin run -c $config"
"$bin" run -c "$config" 2>"$LOGAGENT_DEMO/agent.log" &
agent=$!
wait_metric 60000 "the first 60000 lines read" logagent_input_lines_total
echo "== writing more lines, with a rename rotation of api.log"
write_lines "$LOGAGENT_DEMO/logs/api.log" 20000 5000
mv "$LOGAGENT_DEMO/logs/api.log" "$LOGAGENT_DEMO/logs/api.log.1"
write_lines "$LOGAGENT_DEMO/logs/api.log" 25000 5000
written=$(cat "$LOGAGENT_DEMO"/logs/* | wc -l)
wait_metric "$written" "$written lines acknowledged by the $mode sink" \
  logagent_sink_events_total 'result="ok"' "sink=\"$mode\""

echo "== metrics (curl http://$LOGAGENT_METRICS/metrics | grep logagent_)"
curl -fsS "http://$LOGAGENT_METRICS/metrics" | grep -E '^logagent_(input_lines_total|input_bytes_total|files_open|buffer_pool_in_use|buffer_pool_capacity|sink_events_total|queue_depth|kafka_delivered_messages_total)' || true

kill -TERM "$agent"
rc=0
wait "$agent" || rc=$?
agent=""
[ "$rc" = 0 ] || { cat "$LOGAGENT_DEMO/agent.log" >&2; die "the agent exited with $rc"; }

if [ "$mode" = kafka ]; then
  out="$LOGAGENT_DEMO/out/kafka.ndjson"
  echo "== reading topic $topic back (Kafka's ConsoleConsumer)"
  "$kafka_sh" tool org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server \
    "$KAFKA_BROKERS" --topic "$topic" --from-beginning --timeout-ms 10000 >"$out" 2>/dev/null || true
  where="in Kafka"
else
  out="$LOGAGENT_DEMO/out/shipped.ndjson"
  where="in $out"
fi
shipped=$(wc -l <"$out")
echo "== written $written, $where $shipped"
head -n 2 "$out"
echo "== agent log"
cat "$LOGAGENT_DEMO/agent.log"
[ "$written" = "$shipped" ] || die "written $written lines, but $shipped $where"
