#!/usr/bin/env bash
# Runs `.ci/run` on a clean clone of REF inside a brand-new Debian 12 root, to prove that CI
# passes on a machine that never ran it (a used machine can hide a missing install step).
#
# A developer tool, not run by CI. Needs: root, debootstrap (`apt-get install debootstrap`),
# the Debian mirror and the npm registry, about 4 GB free under FRESH_DIR.
# Usage:  scripts/ci-fresh-machine.sh [REF]        (default HEAD; a branch, tag or commit)
#   FRESH_DIR=/work/fresh   where the base root is cached and the run happens (one run at a time)
#   FRESH_REBUILD=1         build the base root again
# Time: building the base root once takes 2 to 6 minutes; each run then copies it (under a
# minute) and runs .ci/run there: apt packages, Node 24 and `npm ci` take 2 to 5 minutes, and
# `npm test` 8 to 20 more on two cores (11 minutes in all seen here with the machine half busy;
# under heavy load the CLI-heavy tests can pass their 60 s timeout).
#
# The base root is what a new machine of our kind has before CI (see the machine description:
# Node.js with npm, python3, make, g++, git): Debian 12 minbase plus python3, make, g++ and git
# from Debian, and this machine's own Node.js and npm with its npm settings (they come from a
# source that only the machine image reaches) and certificate authorities. It is built once, cached as FRESH_DIR/base and
# never entered; each run works on a fresh copy of it, so every run starts pristine.
set -euo pipefail

ref=${1:-HEAD}
fresh=${FRESH_DIR:-/work/fresh}
mirror=http://deb.debian.org/debian
repo_dir=$(cd "$(dirname "$0")/.." && pwd)

[ "$(id -u)" = 0 ] || { echo "ci-fresh-machine: run as root (it uses debootstrap, mount and chroot)." >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "ci-fresh-machine: debootstrap is missing: apt-get install debootstrap" >&2; exit 1; }
commit=$(git -C "$repo_dir" rev-parse --verify "$ref^{commit}") ||
  { echo "ci-fresh-machine: '$ref' is not a commit in $repo_dir" >&2; exit 1; }
shared=$(cd "$repo_dir/.." && pwd)/shared
[ -d "$shared" ] || shared=/work/shared

base=$fresh/base
run=$fresh/run
mkdir -p "$fresh"
# One run at a time per FRESH_DIR: a second one would end the first one's processes and
# replace its root under it.
exec 9>"$fresh/lock"
flock -n 9 || { echo "ci-fresh-machine: another run is using $fresh; wait for it to end, or set FRESH_DIR to another folder." >&2; exit 1; }

mounts=()
# Processes left in the root (a keyring daemon, say) would keep its mounts busy: end them by id.
end_root_processes() {
  local root=$1 p
  for p in /proc/[0-9]*; do
    if [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ]; then kill -9 "${p#/proc/}" 2>/dev/null || true; fi
  done
}
unmount_all() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" || true; done
  mounts=()
}
mount_into() {
  local root=$1
  mount -t proc proc "$root/proc"; mounts+=("$root/proc")
  mount -t sysfs sysfs "$root/sys"; mounts+=("$root/sys")
  mount --bind /dev "$root/dev"; mounts+=("$root/dev")
  mount --bind /dev/pts "$root/dev/pts"; mounts+=("$root/dev/pts")
  mount -t tmpfs -o mode=1777 shm "$root/dev/shm"; mounts+=("$root/dev/shm")
}
# Never delete a root that still has something mounted in it (/dev is a bind of the real one).
remove_root() {
  local root=$1
  if grep -q " $(readlink -f "$root")/" /proc/mounts; then
    echo "ci-fresh-machine: something is still mounted under $root; unmount it first:" >&2
    grep " $(readlink -f "$root")/" /proc/mounts >&2
    exit 1
  fi
  rm -rf --one-file-system "$root"
}
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  local r
  for r in "$run" "$base.building"; do
    if [ -d "$r" ]; then end_root_processes "$(readlink -f "$r")"; fi
  done
  unmount_all
}
trap cleanup EXIT

# In a root: a clean environment, as a machine's own shell would have, with the machine's
# settings for where certificate authorities are (CI keeps the machine's environment).
ca_env=()
for v in NODE_EXTRA_CA_CERTS SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE GIT_SSL_CAINFO REQUESTS_CA_BUNDLE; do
  if [ -n "${!v:-}" ]; then ca_env+=("$v=${!v}"); fi
done
in_root() {
  local root=$1
  shift
  chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${ca_env[@]}" "$@"
}

build_base() {
  local b=$base.building
  echo "== building the base root in $base (debootstrap, a few minutes)"
  remove_root "$b"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$b" "$mirror" >"$fresh/debootstrap.log" 2>&1 ||
    { tail -20 "$fresh/debootstrap.log"; echo "ci-fresh-machine: debootstrap failed (log: $fresh/debootstrap.log)" >&2; exit 1; }
  # The same Debian sources as this machine (with updates and security), not debootstrap's one line.
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    rm -f "$b/etc/apt/sources.list"
    cp /etc/apt/sources.list.d/debian.sources "$b/etc/apt/sources.list.d/"
  fi
  cp /etc/resolv.conf "$b/etc/resolv.conf"
  # The machine's own certificate authorities (its way out to the registries checks TLS with
  # them), as every machine of this kind has them.
  if compgen -G '/usr/local/share/ca-certificates/*' >/dev/null; then
    cp -a /usr/local/share/ca-certificates/. "$b/usr/local/share/ca-certificates/"
  fi
  mount_into "$b"
  in_root "$b" update-ca-certificates >/dev/null
  in_root "$b" apt-get update -qq
  in_root "$b" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    python3 make g++ git >/dev/null
  in_root "$b" apt-get clean
  unmount_all
  # This machine's Node.js and npm (Node 20 with npm 11 and its settings, e.g. nodedir), as on
  # a new machine of this kind; Debian's nodejs and npm where this machine has none.
  if [ -x /usr/bin/node ] && [ -d /usr/lib/node_modules/npm ]; then
    mkdir -p "$b/usr/lib/node_modules" "$b/usr/include" "$b/usr/etc"
    cp -a /usr/bin/node "$b/usr/bin/node"
    cp -a /usr/lib/node_modules/npm "$b/usr/lib/node_modules/"
    [ -d /usr/include/node ] && cp -a /usr/include/node "$b/usr/include/"
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$b/usr/bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$b/usr/bin/npx"
    [ -f /usr/etc/npmrc ] && cp /usr/etc/npmrc "$b/usr/etc/npmrc"
    [ -f /root/.npmrc ] && cp /root/.npmrc "$b/root/.npmrc"
  else
    mount_into "$b"
    in_root "$b" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
    in_root "$b" apt-get clean
    unmount_all
  fi
  touch "$b/.mailroom-base-ready"
  remove_root "$base"
  mv "$b" "$base"
}

if [ -n "${FRESH_REBUILD:-}" ] || [ ! -f "$base/.mailroom-base-ready" ]; then build_base; fi

echo "== fresh copy of the base root in $run"
end_root_processes "$(readlink -f "$run" 2>/dev/null || echo "$run")"
for m in dev/shm dev/pts dev sys proc; do
  if mountpoint -q "$run/$m" 2>/dev/null; then umount "$run/$m"; fi
done
remove_root "$run"
cp -a "$base" "$run"
cp /etc/resolv.conf "$run/etc/resolv.conf"

echo "== clean clone of $ref ($commit) in /root/w/main, shared/ beside it"
mkdir -p "$run/root/w"
git clone -q --no-local --no-checkout "$(git -C "$repo_dir" rev-parse --path-format=absolute --git-common-dir)" "$run/root/w/main"
git -C "$run/root/w/main" checkout -q -B main "$commit"
cp -a "$shared" "$run/root/w/shared"
chmod -R a-w "$run/root/w/shared"

echo "== CI=true bash .ci/run in the fresh root (output: $fresh/run.log)"
mount_into "$run"
start=$(date +%s)
set +e
in_root "$run" env CI=true bash -c 'cd /root/w/main && bash .ci/run' </dev/null 2>&1 | tee "$fresh/run.log"
status=${PIPESTATUS[0]}
set -e
seconds=$(($(date +%s) - start))

# vitest's closing lines, without colours.
tests=$(sed 's/\x1b\[[0-9;]*m//g' "$fresh/run.log" | grep -E '^ *(Test Files|Tests) ' | tail -2 | sed 's/^ *//' | tr -s ' ' | awk 'NR > 1 { printf "; " } { printf "%s", $0 }' || true)
echo
echo "fresh machine: $ref ($commit): .ci/run exited $status after ${seconds}s; ${tests:-no vitest summary}"
exit "$status"
