#!/usr/bin/env bash
# Root file systems of newer Debian suites for the real-program tests: RabbitMQ 4.x brokers, a current
# HAProxy/Keepalived, and a Docker engine with Compose v2. Debian packages only (this machine's mirror).
#
#   test/roots/roots.sh build [NAME...]   build what is missing (default: every root and the engine)
#   test/roots/roots.sh versions          print what each built root holds
#   test/roots/roots.sh path NAME         print the root's folder (fails when it is not built)
#
# Roots live in $WARREN_ROOTS (default: .roots/ in the repository, git-ignored), one folder per name, with
# NAME.versions written only when the build completed and the versions are on the expected line.
# A root is rebuilt when its recipe line below changes. Needs root (debootstrap, chroot).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOTS=${WARREN_ROOTS:-$PWD/.roots}
MIRROR=${WARREN_MIRROR:-$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

# name | suite | packages | package whose version must match | expected version (extended regex)
RECIPES=(
  "rabbitmq-4.3|forky|rabbitmq-server procps iproute2 curl ca-certificates|rabbitmq-server|^4\.3\."
  "rabbitmq-4.0|trixie|rabbitmq-server procps iproute2 curl ca-certificates|rabbitmq-server|^4\.0\."
  "lb-sid|sid|haproxy keepalived procps iproute2 curl ca-certificates|haproxy|^3\.2\."
)
# The Docker engine runs on this host (bookworm); Compose v2 is trixie's plugin .deb (needs only libc6).
ENGINE_PACKAGES=(docker.io containerd runc tini)
COMPOSE_VERSION=2.26.1-4

die() { echo "roots: $*" >&2; exit 1; }
log() { echo "roots: $*" >&2; }

recipe() { local r; for r in "${RECIPES[@]}"; do [ "${r%%|*}" = "$1" ] && { echo "$r"; return; }; done; return 1; }
names() { local r; for r in "${RECIPES[@]}"; do echo "${r%%|*}"; done; echo engine; }

need_root() { [ "$(id -u)" = 0 ] || die "building $1 needs root (debootstrap, chroot, apt-get); run as root"; }

apt_host() {  # install host packages with their services held back
  local own=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; own=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"; } \
    || { [ $own = 1 ] && rm -f /usr/sbin/policy-rc.d; die "apt-get could not install: $*"; }
  [ $own = 1 ] && rm -f /usr/sbin/policy-rc.d
  return 0
}

build_root() {
  local name=$1 line suite packages pkg expect
  line=$(recipe "$name") || die "unknown root \"$name\"; known: $(names | tr '\n' ' ')"
  IFS='|' read -r _ suite packages pkg expect <<<"$line"
  local dir=$ROOTS/$name stamp=$ROOTS/$name.versions
  if [ -f "$stamp" ] && [ "$(head -1 "$stamp")" = "# $line" ]; then prepare_root "$dir"; return 0; fi
  need_root "$name"
  [ -n "$MIRROR" ] || die "no Debian mirror found in /etc/apt/sources.list.d/debian.sources; set WARREN_MIRROR"
  command -v debootstrap >/dev/null || apt_host debootstrap
  log "building $name: Debian $suite with $packages (about a minute)"
  unmount_proc "$dir"; rm -rf "$dir" "$stamp"; mkdir -p "$ROOTS"
  # bookworm's debootstrap has no script for forky: the sid script builds every newer suite
  debootstrap --variant=minbase --keyring="$KEYRING" "$suite" "$dir" "$MIRROR" /usr/share/debootstrap/scripts/sid \
    > "$ROOTS/$name.build.log" 2>&1 || die "debootstrap of Debian $suite failed (see $ROOTS/$name.build.log)"
  # the mirror is a frozen copy whose newer Release files are past Valid-Until
  echo 'Acquire::Check-Valid-Until "false";' > "$dir/etc/apt/apt.conf.d/99no-valid-until"
  printf '#!/bin/sh\nexit 101\n' > "$dir/usr/sbin/policy-rc.d"; chmod 755 "$dir/usr/sbin/policy-rc.d"
  mount -t proc proc "$dir/proc"
  if ! chroot "$dir" env DEBIAN_FRONTEND=noninteractive sh -c \
      "apt-get update -qq && apt-get install -y -qq --no-install-recommends $packages && apt-get clean" >> "$ROOTS/$name.build.log" 2>&1; then
    unmount_proc "$dir"; die "Debian $suite could not install $packages (see $ROOTS/$name.build.log)"
  fi
  unmount_proc "$dir"
  rm -rf "$dir"/var/lib/apt/lists/*
  prepare_root "$dir"
  local got; got=$(chroot "$dir" dpkg-query -W -f '${Version}' "$pkg") || die "$name: $pkg is not installed"
  if ! [[ $got =~ $expect ]]; then
    die "$name: Debian $suite now has $pkg $got, not the line the tests are written for ($expect); update RECIPES in $0 and the tests"
  fi
  { echo "# $line"; chroot "$dir" dpkg-query -W -f '${Package} ${Version}\n' $packages erlang-base 2>/dev/null || true; } > "$stamp.tmp"
  mv "$stamp.tmp" "$stamp"
  log "$name ready: $(grep -v '^#' "$stamp" | grep -E "^($pkg|erlang-base|keepalived) " | tr '\n' ' ')"
}

prepare_root() {  # what the lab binds into a root: a hosts file, and the folders programs read their files from
  [ -e "$1/etc/hosts" ] || printf '127.0.0.1 localhost\n' > "$1/etc/hosts"
  mkdir -p "$1/etc/rabbitmq/conf.d" "$1/var/lib/rabbitmq" "$1/var/log/rabbitmq" "$1/etc/haproxy" "$1/etc/keepalived" "$1/run"
}

unmount_proc() { if mountpoint -q "$1/proc" 2>/dev/null; then umount -l "$1/proc"; fi; }

build_engine() {
  local stamp=$ROOTS/engine.versions
  if [ -f "$stamp" ] && command -v dockerd >/dev/null && [ -x /usr/libexec/docker/cli-plugins/docker-compose ]; then return 0; fi
  need_root engine
  local missing=() p
  for p in "${ENGINE_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] || { log "installing ${missing[*]}"; apt_host "${missing[@]}"; }
  if ! dpkg -s docker-compose 2>/dev/null | grep -q "^Version: $COMPOSE_VERSION\$"; then
    local x=$ROOTS/.apt-trixie; mkdir -p "$x/lists/partial" "$x/debs"
    echo "deb [signed-by=$KEYRING] $MIRROR trixie main" > "$x/sources.list"
    local a=(-o "Dir::Etc::sourcelist=$x/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$x/lists" -o Acquire::Check-Valid-Until=false)
    apt-get "${a[@]}" update -qq >/dev/null 2>&1 || die "cannot read Debian trixie's package lists from $MIRROR"
    chmod 755 "$ROOTS" "$x" "$x/debs"   # apt downloads as _apt
    (cd "$x/debs" && apt-get "${a[@]}" download "docker-compose=$COMPOSE_VERSION" >/dev/null) \
      || die "Debian trixie has no docker-compose $COMPOSE_VERSION on $MIRROR"
    apt_host "$x"/debs/docker-compose_*.deb
  fi
  [ -x /usr/libexec/docker/cli-plugins/docker-compose ] || die "docker-compose installed but /usr/libexec/docker/cli-plugins/docker-compose is missing"
  { echo "# engine"; dpkg-query -W -f '${Package} ${Version}\n' docker.io containerd runc docker-compose; } > "$stamp"
  log "engine ready: $(tr '\n' ' ' < "$stamp")"
}

build() {
  mkdir -p "$ROOTS"
  exec 9> "$ROOTS/.lock"; flock 9   # parallel test workers build each root once
  local n
  for n in "${@:-$(names)}"; do
    if [ "$n" = engine ]; then build_engine; else build_root "$n"; fi
  done
}

case "${1:-}" in
  build) shift; [ $# -gt 0 ] || set -- $(names); build "$@" ;;
  versions) for f in "$ROOTS"/*.versions; do [ -e "$f" ] && { echo "== $(basename "$f" .versions)"; grep -v '^#' "$f"; }; done ;;
  path) [ -f "$ROOTS/$2.versions" ] || die "root \"$2\" is not built; run: test/roots/roots.sh build $2"; echo "$ROOTS/$2" ;;
  *) sed -n '2,12p' "$0"; exit 2 ;;
esac
