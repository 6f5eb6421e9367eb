#!/usr/bin/env bash
# Installs every build and test dependency of logagent from Debian packages.
# Idempotent: installs only what is missing, and prints nothing when all is there.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git python3 zstd procps curl
  librdkafka-dev libzstd-dev libyaml-cpp-dev prometheus-cpp-dev libcivetweb-dev libfmt-dev doctest-dev
  libsimdjson-dev libcurl4-openssl-dev libre2-dev libcli11-dev libspdlog-dev libbenchmark-dev libjemalloc-dev clang-format
  clang libclang-rt-14-dev
  python3-yaml openssl systemd dpkg-dev adduser libsystemd-dev systemd-journal-remote
  prometheus
  tmux
)
if [ "${LOGAGENT_BOOTSTRAP_KAFKA:-0}" = 1 ]; then
  packages+=(openjdk-17-jre-headless maven kcat)
fi
# tests/system/: a minimal Debian rootfs (mmdebstrap) booted with systemd-nspawn, and the
# container image built and run by podman on base images mmdebstrap makes (runc because crun
# refuses a hybrid cgroup v1/v2 hierarchy). Not needed to build (the Dockerfile's build stage runs
# this script without it).
if [ "${LOGAGENT_BOOTSTRAP_SYSTEM:-0}" = 1 ]; then
  packages+=(systemd-container mmdebstrap podman runc)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "bootstrap: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
# prometheus is only a test tool (tests/e2e/test_prometheus.py starts its own, on a free port of
# 127.0.0.1, with its own configuration and storage): the Debian package's service, which a
# machine running systemd starts at installation, is stopped and disabled when it was installed
# here.
if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
  $sudo systemctl disable --now prometheus.service >/dev/null 2>&1 || true
fi
