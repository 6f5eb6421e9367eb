#!/usr/bin/env bash
# venv.sh - prints the python of a virtualenv holding the official OTLP definitions from PyPI
# (opentelemetry-proto and the protobuf runtime, pinned), made once under
# ${LOGAGENT_OTLP_CACHE:-~/.cache/logagent/otlp-<versions>}. Like the Kafka jars, they are test
# tools fetched at test time, never build dependencies.
set -euo pipefail
PROTO_VERSION=${LOGAGENT_OTLP_PROTO_VERSION:-1.45.2}
PROTOBUF_VERSION=${LOGAGENT_PROTOBUF_VERSION:-7.36.2}
DIR=${LOGAGENT_OTLP_CACHE:-${HOME:-/tmp}/.cache/logagent/otlp-$PROTO_VERSION-$PROTOBUF_VERSION}
PY=$DIR/bin/python
check() { "$PY" -c 'from opentelemetry.proto.collector.logs.v1 import logs_service_pb2' 2>/dev/null; }
if [ -x "$PY" ] && check; then echo "$PY"; exit 0; fi
rm -rf "$DIR"
python3 -m venv "$DIR" >&2 || { echo "venv.sh: python3 -m venv failed" >&2; exit 1; }
"$DIR/bin/pip" install -q --disable-pip-version-check "opentelemetry-proto==$PROTO_VERSION" \
  "protobuf==$PROTOBUF_VERSION" </dev/null >&2 ||
  { echo "venv.sh: pip install opentelemetry-proto==$PROTO_VERSION failed" >&2; exit 1; }
check || { echo "venv.sh: the OTLP definitions do not import" >&2; exit 1; }
echo "$PY"
