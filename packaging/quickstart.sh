#!/usr/bin/env bash
# Quick start: build logagent, generate demo logs, run the agent live while the logs grow and
# rotate, then show what it shipped and its metrics.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export LOGAGENT_DEMO="$root/demo"
export LOGAGENT_METRICS="${LOGAGENT_METRICS:-127.0.0.1:9464}"

packaging/bootstrap.sh
echo "== building (first time takes a few minutes)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "${LOGAGENT_JOBS:-2}" --target logagent >/dev/null

rm -rf "$LOGAGENT_DEMO"
mkdir -p "$LOGAGENT_DEMO/logs"
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

echo "== starting: build/logagent run -c config/quickstart.yaml"
build/logagent run -c config/quickstart.yaml 2>"$LOGAGENT_DEMO/agent.log" &
agent=$!
trap 'kill $agent 2>/dev/null || true' EXIT
sleep 1
echo "== writing more lines, with a rename rotation of api.log"
write_lines "$LOGAGENT_DEMO/logs/api.log" 20000 5000
mv "$LOGAGENT_DEMO/logs/api.log" "$LOGAGENT_DEMO/logs/api.log.1"
write_lines "$LOGAGENT_DEMO/logs/api.log" 25000 5000
sleep 2

echo "== metrics (curl http://$LOGAGENT_METRICS/metrics | grep logagent_)"
curl -fsS "http://$LOGAGENT_METRICS/metrics" | grep -E '^logagent_(input_lines_total|input_bytes_total|files_open|buffer_pool_in_use|buffer_pool_capacity|sink_events_total|queue_depth)' || true

kill -TERM $agent
wait $agent || true
trap - EXIT
out="$LOGAGENT_DEMO/out/shipped.ndjson"
written=$(cat "$LOGAGENT_DEMO"/logs/* | wc -l)
echo "== shipped to $out: $(wc -l <"$out") lines (written to the demo logs: $written)"
head -n 2 "$out"
echo "== agent log"
cat "$LOGAGENT_DEMO/agent.log"
