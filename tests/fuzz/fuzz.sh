#!/usr/bin/env bash
# Runs every libFuzzer target of a LOGAGENT_FUZZ build for a fixed time each (tests/run.sh's
# "fuzz" step). Each target starts from a temporary copy of its seed corpus and its past crashes
# (tests/fuzz/corpus/<target>/, tests/fuzz/regressions/<target>/), so fuzzing never grows the
# repository. A crash, a leak, a broken invariant or a slow input fails the run; the input that
# caused it is kept under BUILD_DIR/fuzz-artifacts/<target>/ and printed with what to do next.
#   usage: tests/fuzz/fuzz.sh BUILD_DIR [TARGET...]     (default: every fuzz_* binary)
#   LOGAGENT_FUZZ_SECONDS=N   time per target (default 30)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/fuzz/fuzz.sh BUILD_DIR [TARGET...]}
shift
seconds=${LOGAGENT_FUZZ_SECONDS:-30}

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for bin in "$build"/tests/fuzz/fuzz_*; do
    [ -x "$bin" ] && targets+=("$(basename "$bin" | sed 's/^fuzz_//')")
  done
fi
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no fuzz_* binaries under $build/tests/fuzz" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
for t in "${targets[@]}"; do
  bin="$build/tests/fuzz/fuzz_$t"
  corpus="$work/$t"
  artifacts="$build/fuzz-artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  for dir in tests/fuzz/corpus/"$t" tests/fuzz/regressions/"$t"; do
    [ -d "$dir" ] && cp "$dir"/* "$corpus"/ 2>/dev/null || true
  done
  max_len=4096
  [ "$t" = config ] && max_len=16384
  # A target's libFuzzer dictionary, when it has one (tests/fuzz/<target>.dict).
  dict=()
  [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
  echo "fuzz: $t for ${seconds} s (max_len $max_len)"
  log="$work/$t.log"
  if "$bin" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
       "${dict[@]}" -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1; then
    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$log" | tr '\n' ' ' || true
    echo
  else
    tail -n 60 "$log"
    crash=$(grep -oE "Test unit written to .*" "$log" | tail -n 1 | sed 's/Test unit written to //')
    echo
    echo "fuzz: $t FAILED; the input is ${crash:-in $artifacts/}"
    echo "  reproduce:  $bin ${crash:-$artifacts/<file>}"
    echo "  once fixed, keep it as a regression input (re-checked by ctest on every build):"
    echo "    mkdir -p tests/fuzz/regressions/$t && cp ${crash:-$artifacts/<file>} tests/fuzz/regressions/$t/"
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds} s each, no failure"
