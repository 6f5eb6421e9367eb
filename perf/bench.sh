#!/usr/bin/env bash
# End-to-end throughput benchmark: see perf/bench.py (the implementation) and perf/README.md.
#   perf/bench.sh [--bytes 1GiB] [--line-bytes 200] [--files 4] [--repeat 3] [--no-build] ...
exec python3 "$(dirname "$0")/bench.py" "$@"
