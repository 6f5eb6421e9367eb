#!/usr/bin/env bash
# Runs every test of logagent: formatting check, the Release build with warnings as errors,
# unit and end-to-end tests (ctest), then the unit tests again under ASan+UBSan and under TSan.
#   LOGAGENT_SANITIZERS=0  skip the sanitizer builds (quicker local runs)
#   LOGAGENT_JOBS=N        build parallelism (default 2)
#   LOGAGENT_FUZZ_SECONDS=N  time per fuzz target (default 30; 0 skips the clang fuzz build)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${LOGAGENT_JOBS:-2}

step() { printf '\n=== %s\n' "$*"; }

step "dependencies"
LOGAGENT_BOOTSTRAP_KAFKA=1 packaging/bootstrap.sh

step "Kafka broker for the end-to-end tests (Apache Kafka from Maven Central, cached)"
tests/kafka/kafka.sh fetch

step "format (clang-format)"
mapfile -t sources < <(git ls-files '*.cc' '*.h' 2>/dev/null || find agent plugins tests perf -name '*.cc' -o -name '*.h')
if ! clang-format --dry-run --Werror "${sources[@]}"; then
  echo "formatting differs: run clang-format -i on the files above" >&2
  exit 1
fi

step "build (RelWithDebInfo, -Werror)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOGAGENT_WERROR=ON >/dev/null
cmake --build build -j "$jobs"

step "unit and end-to-end tests"
(cd build && ctest --output-on-failure --timeout 600)

step "packaging (.deb: cpack, dpkg -i, checks, systemd-analyze verify, dpkg --purge)"
packaging/check-deb.sh build

if [ "${LOGAGENT_SANITIZERS:-1}" = 1 ]; then
  step "unit and end-to-end tests under ASan+UBSan"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLOGAGENT_SANITIZE=address,undefined \
    -DLOGAGENT_BENCHMARKS=OFF >/dev/null
  cmake --build build-asan -j "$jobs" --target logagent_unit_tests logagent logagent_fuzz
  (cd build-asan && LOGAGENT_SANITIZED=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
     ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure --timeout 600)

  step "unit tests under TSan"
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOGAGENT_SANITIZE=thread \
    -DLOGAGENT_BENCHMARKS=OFF >/dev/null
  cmake --build build-tsan -j "$jobs" --target logagent_unit_tests
  # librdkafka starts its threads with C11 thrd_create, which GCC 12's TSan does not intercept:
  # any test that runs a real librdkafka client crashes inside TSan's allocator. Those tests run
  # in the two builds above; TSan covers the queue, pool, pipeline and acknowledger stress tests.
  (cd build-tsan && TSAN_OPTIONS=halt_on_error=1 \
     ctest --output-on-failure -L unit -E '^unit:kafka sink:' --timeout 600)
fi

if [ "${LOGAGENT_FUZZ_SECONDS:-30}" != 0 ]; then
  step "fuzz (libFuzzer under ASan+UBSan, ${LOGAGENT_FUZZ_SECONDS:-30} s per target)"
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DLOGAGENT_FUZZ=ON -DLOGAGENT_TESTS=OFF -DLOGAGENT_BENCHMARKS=OFF >/dev/null
  cmake --build build-fuzz -j "$jobs" --target logagent_fuzz
  tests/fuzz/fuzz.sh build-fuzz
fi
echo
echo "all tests passed"
