#!/usr/bin/env bash
# selftest.sh - end-to-end check of kafka.sh: fetch, start, 1000-line produce/consume round trip
# (kcat, or Kafka's console tools without kcat), stop, start on another port, stop.
# Uses ports ${1:-19092}/+1 and ${1:-19092}+10/+11. Prints "N passed, N failed".
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
K=$HERE/kafka.sh
PORT=${1:-19092}
pass=0 fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
ko() { echo "FAIL: $*"; fail=$((fail + 1)); }
tmp=$(mktemp -d)
trap '"$K" stop >/dev/null 2>&1; rm -rf "$tmp"' EXIT

roundtrip() {  # roundtrip TOPIC: produce 1000 lines, consume them back, compare
  local b t=$1; b=$("$K" bootstrap) || return 1
  seq -f "$t-%04g" 1 1000 >"$tmp/in"
  if command -v kcat >/dev/null 2>&1; then
    kcat -b "$b" -P -t "$t" -l "$tmp/in" || return 1
    timeout 60 kcat -b "$b" -C -t "$t" -o beginning -c 1000 -q >"$tmp/out" || return 1
  else
    "$K" tool org.apache.kafka.tools.ConsoleProducer --bootstrap-server "$b" --topic "$t" <"$tmp/in" || return 1
    "$K" tool org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$b" --topic "$t" \
      --from-beginning --max-messages 1000 --timeout-ms 60000 >"$tmp/out" || return 1
  fi
  cmp -s "$tmp/in" "$tmp/out"
}

"$K" fetch </dev/null && ok fetch || ko fetch
"$K" stop >/dev/null 2>&1 && ok "stop when not running" || ko "stop when not running"
if "$K" start --port "$PORT" </dev/null; then
  ok "start on $PORT"
  [ "$("$K" bootstrap)" = "127.0.0.1:$PORT" ] && ok bootstrap || ko bootstrap
  "$K" status >/dev/null && ok status || ko status
  roundtrip selftest-auto && ok "1000-line round trip (auto-created topic)" || ko "round trip (auto-created topic)"
  "$K" create-topic selftest-p3 3 >/dev/null && ok "create-topic (3 partitions)" || ko create-topic
else
  ko "start on $PORT"
fi
"$K" stop && ok stop || ko stop
"$K" status >/dev/null; [ $? = 3 ] && ok "status after stop = 3" || ko "status after stop"
P2=$((PORT + 10))
if "$K" start --port "$P2" </dev/null; then
  ok "restart on $P2"
  roundtrip selftest-again && ok "round trip after restart" || ko "round trip after restart"
else
  ko "restart on $P2"
fi
"$K" stop && ok "second stop" || ko "second stop"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
