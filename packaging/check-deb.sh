#!/usr/bin/env bash
# CI check of the Debian package: builds it with CPack from a configured build directory,
# installs it on this machine, checks what it installed, runs the installed agent the way the
# systemd unit does (as the `logagent` user with only CAP_DAC_READ_SEARCH), verifies the unit with
# systemd-analyze, and purges the package again. Works without a running systemd (a container).
#   packaging/check-deb.sh BUILD_DIR
# Needs root (or sudo). Leaves the machine as it found it, except the `logagent` system user.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(cd "${1:?usage: check-deb.sh BUILD_DIR}" && pwd)
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive

fail() { echo "check-deb: FAIL: $*" >&2; exit 1; }
say() { echo "check-deb: $*"; }

if dpkg-query -W -f='${Status}' logagent 2>/dev/null | grep -q 'ok installed'; then
  fail "a logagent package is already installed on this machine; remove it first"
fi

t0=$SECONDS
rm -f "$build"/logagent_*.deb
(cd "$build" && cpack -G DEB >/dev/null) || fail "cpack -G DEB failed"
deb=$(ls "$build"/logagent_*.deb)
say "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB) in $((SECONDS - t0)) s"

# What the package holds and declares, before installing it.
contents=$(dpkg-deb --contents "$deb")
for f in ./usr/bin/logagent ./etc/logagent/logagent.yaml ./lib/systemd/system/logagent.service \
         ./usr/lib/tmpfiles.d/logagent.conf ./var/lib/logagent/ ./usr/share/doc/logagent/README.md \
         ./usr/share/doc/logagent/DEPLOYMENT.md ./usr/share/doc/logagent/examples/kafka.yaml; do
  grep -q " $f\$" <<<"$contents" || fail "$f is not in the package"
done
[ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" = /etc/logagent/logagent.yaml ] \
  || fail "conffiles is not /etc/logagent/logagent.yaml"
depends=$(dpkg-deb --field "$deb" Depends)
for p in adduser librdkafka1 libyaml-cpp0.7 libcivetweb1 libre2-9 libjemalloc2 libsystemd0; do
  grep -q "\\b$p\\b" <<<"$depends" || fail "Depends lacks $p (dpkg-shlibdeps): $depends"
done
say "Depends: $depends"

tmp=$(mktemp -d)
agent_pid=""
cleanup() {
  [ -n "$agent_pid" ] && kill -KILL "$agent_pid" 2>/dev/null || true
  $sudo rm -f /var/log/logagent-ci-probe.log
  $sudo dpkg --purge logagent >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# Install (apt resolves missing dependencies, if any).
if ! $sudo dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1; then
  $sudo apt-get install -f -y -q >>"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log"; fail "install"; }
fi
dpkg-query -W -f='${Status}' logagent | grep -q 'ok installed' || { cat "$tmp/dpkg.log"; fail "not installed"; }

version=$(sed -n 's/^project(logagent VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
/usr/bin/logagent --version | grep -qx "logagent $version" \
  || fail "/usr/bin/logagent --version: $(/usr/bin/logagent --version 2>&1), want $version"
/usr/bin/logagent validate -c /etc/logagent/logagent.yaml || fail "the installed config is invalid"
id logagent >/dev/null || fail "no logagent user"
IFS=: read -r _ _ _ _ _ home shell < <(getent passwd logagent)
[ "$home" = /var/lib/logagent ] && [ "$shell" = /usr/sbin/nologin ] \
  || fail "logagent user: home $home shell $shell"
[ "$(stat -c '%U:%G %a' /var/lib/logagent)" = "logagent:logagent 750" ] \
  || fail "/var/lib/logagent is $(stat -c '%U:%G %a' /var/lib/logagent)"
say "installed: $(/usr/bin/logagent --version), user $(id logagent)"

# The unit, offline (no running systemd needed); it checks that ExecStart exists, hence after
# the install.
systemd-analyze verify /lib/systemd/system/logagent.service 2>"$tmp/verify.log" \
  || { cat "$tmp/verify.log"; fail "systemd-analyze verify"; }
if grep -i 'logagent' "$tmp/verify.log"; then fail "systemd-analyze verify warns about the unit"; fi
say "systemd-analyze verify: ok"

# Run the installed agent as the unit does: user logagent, CAP_DAC_READ_SEARCH as its only
# (ambient) capability, no_new_privs. A root-only (0600) file created under /var/log must be
# read and written to the default file sink under /var/lib/logagent.
if (exec 3<>/dev/tcp/127.0.0.1/9464) 2>/dev/null; then
  say "port 9464 is in use here: skipping the run of the installed agent"
else
  (cd / && exec setpriv --reuid=logagent --regid=logagent --init-groups \
      --inh-caps=-all,+dac_read_search --ambient-caps=-all,+dac_read_search \
      --bounding-set=-all,+dac_read_search --no-new-privs \
      /usr/bin/logagent run -c /etc/logagent/logagent.yaml) 2>"$tmp/agent.log" &
  agent_pid=$!
  for _ in $(seq 100); do
    curl -fsS -o /dev/null http://127.0.0.1:9464/metrics 2>/dev/null && break
    kill -0 "$agent_pid" 2>/dev/null || { cat "$tmp/agent.log"; fail "the agent exited"; }
    sleep 0.1
  done
  probe="logagent-ci-probe $(date +%s%N)"
  $sudo install -m 0600 -o root -g root /dev/null /var/log/logagent-ci-probe.log
  for i in 1 2 3; do echo "$probe line $i" | $sudo tee -a /var/log/logagent-ci-probe.log >/dev/null; done
  out=/var/lib/logagent/out/host.ndjson.zst
  for _ in $(seq 100); do
    [ "$($sudo zstd -dcq "$out" 2>/dev/null | grep -c "$probe")" = 3 ] && break
    sleep 0.1
  done
  [ "$($sudo zstd -dcq "$out" 2>/dev/null | grep -c "$probe")" = 3 ] \
    || { cat "$tmp/agent.log"; fail "the root-only probe file was not shipped to $out"; }
  kill -TERM "$agent_pid"
  rc=0; wait "$agent_pid" || rc=$?
  agent_pid=""
  [ "$rc" = 0 ] || { cat "$tmp/agent.log"; fail "the agent exited $rc after SIGTERM"; }
  say "ran as logagent with CAP_DAC_READ_SEARCH only: read a root-only 0600 file, exit 0 on SIGTERM"
fi

$sudo dpkg --purge logagent >/dev/null || fail "dpkg --purge"
[ ! -e /usr/bin/logagent ] && [ ! -e /etc/logagent/logagent.yaml ] && [ ! -e /var/lib/logagent ] \
  || fail "files left after dpkg --purge"
say "purged; all checks passed in $((SECONDS - t0)) s"
