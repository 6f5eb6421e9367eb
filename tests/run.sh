#!/usr/bin/env bash
# Runs every test of logagent: formatting check; the RelWithDebInfo build with unit and
# end-to-end tests (ctest) and the .deb; the Release build (what perf/, the Dockerfile and
# packaging build) with a perf smoke run of perf/bench.py and perf/suite.py; a clang Debug
# build; then the tests again under ASan+UBSan (a Debug build) and the unit tests under TSan, and
# the fuzzers (clang). Every build uses the default options -- warnings are errors in all of them,
# as in a user's build.
#   LOGAGENT_SANITIZERS=0  skip the sanitizer builds (quicker local runs)
#   LOGAGENT_JOBS=N        build parallelism (default 2)
#   LOGAGENT_FUZZ_SECONDS=N  time per fuzz target (default 30; 0 skips the clang fuzz build)
#   LOGAGENT_PERF_SMOKE=0  skip the Release build, the perf smoke and the clang Debug build
#   LOGAGENT_SYSTEM_TESTS=0  skip the system tests (tests/system/: container image, systemd-nspawn)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${LOGAGENT_JOBS:-2}

step() { printf '\n=== %s\n' "$*"; }

step "dependencies"
LOGAGENT_BOOTSTRAP_KAFKA=1 LOGAGENT_BOOTSTRAP_SYSTEM=1 packaging/bootstrap.sh

step "Kafka broker for the end-to-end tests (Apache Kafka from Maven Central, cached)"
tests/kafka/kafka.sh fetch

step "format (clang-format)"
mapfile -t sources < <(git ls-files '*.cc' '*.h' 2>/dev/null || find agent plugins tests perf -name '*.cc' -o -name '*.h')
if ! clang-format --dry-run --Werror "${sources[@]}"; then
  echo "formatting differs: run clang-format -i on the files above" >&2
  exit 1
fi

step "build (RelWithDebInfo, default options)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"

step "unit and end-to-end tests"
(cd build && ctest --output-on-failure --timeout 600)

step "packaging (.deb: cpack, dpkg -i, checks, systemd-analyze verify, dpkg --purge)"
packaging/check-deb.sh build

if [ "${LOGAGENT_SYSTEM_TESTS:-1}" = 1 ]; then
  step "system tests (container image, systemd under nspawn)"
  # The .deb above, installed in a minimal Debian booted with systemd-nspawn (SKIPs, saying why,
  # where the machine cannot boot a container); its rootfs is cached in ~/.cache/logagent/.
  python3 tests/system/test_systemd_nspawn.py --build-dir build
  # The Dockerfile built by podman on local base images, run as its user against the broker.
  python3 tests/system/test_container_image.py
fi

if [ "${LOGAGENT_PERF_SMOKE:-1}" = 1 ]; then
  # Every target (tests and fuzz drivers too) at -O3: GCC's flow-based warnings differ by level.
  step "build (Release, default options: perf/bench.py's build-release/ and the Dockerfile's)"
  cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build-release -j "$jobs"

  # The benchmark scripts run end to end on small inputs so that they cannot rot. They print
  # their tables; nothing asserts a time (the figures of record are in perf/README.md).
  step "perf smoke: perf/bench.py (64 MiB, one run per case)"
  python3 perf/bench.py --no-build --build-dir build-release --bytes 64MiB --repeat 1 \
    --cases cat,wc,null,raw,json,parse-json,parse-json-ts,parse-json-file,parse-nginx
  step "perf smoke: perf/suite.py (32 MiB, one run per case, real broker, 100 idle files)"
  python3 perf/suite.py --no-build --build-dir build-release --bytes 32MiB --repeat 1 \
    --idle-files 100 --idle-seconds 2

  step "build (clang, Debug, default options)"
  CC=clang CXX=clang++ cmake -S . -B build-clang -G Ninja -DCMAKE_BUILD_TYPE=Debug >/dev/null
  cmake --build build-clang -j "$jobs"
fi

if [ "${LOGAGENT_SANITIZERS:-1}" = 1 ]; then
  step "unit and end-to-end tests under ASan+UBSan"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLOGAGENT_SANITIZE=address,undefined \
    -DLOGAGENT_BENCHMARKS=OFF >/dev/null
  cmake --build build-asan -j "$jobs" --target logagent_unit_tests logagent logagent_fuzz
  # Two at a time: the tests wait for conditions, never on timing, so a busy machine must not
  # fail them (the serial run above is the quiet one); it keeps the whole run well inside CI's
  # 90 minutes now that the system tests compile the agent a second time.
  (cd build-asan && LOGAGENT_SANITIZED=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
     ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure --timeout 600 -j "$jobs")

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
