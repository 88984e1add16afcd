#!/usr/bin/env bash
# A private Docker engine for the compose tests, and stand-in images of the official ones it needs.
#
#   test/roots/docker-engine.sh start NAME            network namespace NAME + its own dockerd; prints DOCKER_HOST=...
#   test/roots/docker-engine.sh images NAME IMAGE...  build stand-ins for IMAGE (e.g. rabbitmq:4.3-management, haproxy:3.2)
#   test/roots/docker-engine.sh stop NAME             stop that dockerd and everything in NAME; delete NAME
#
# dockerd runs in a network namespace of its own (entered with nsenter, which keeps the host's /sys and so
# its cgroups; `ip netns exec` remounts /sys), so its bridges, iptables rules and published ports never
# touch the host: reach published ports from inside NAME (`nsenter --net=/run/netns/NAME ...`).
# Its data root $WARREN_ROOTS/docker/data keeps the images between runs and nothing else (start removes
# what an interrupted run left); dockerd's pid file there allows one engine at a time. A stand-in image is
# rebuilt when its root's versions or the files under test/roots/standin/ change (label org.warren.standin).
# Needs root, the engine and the roots of roots.sh (test/roots/roots.sh build engine rabbitmq-4.3 lb-sid).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOTS=${WARREN_ROOTS:-$PWD/.roots}
DATA=$ROOTS/docker/data
DOCKER=/usr/bin/docker   # /usr/local/bin/docker may be another CLI
STANDIN=$PWD/test/roots/standin

die() { echo "docker-engine: $*" >&2; exit 1; }
log() { echo "docker-engine: $*" >&2; }

check_name() { [[ ${1:-} =~ ^[a-z0-9][a-z0-9-]{0,14}$ ]] || die "NAME \"${1:-}\" must be 1-15 of a-z 0-9 -"; }
exec_root() { echo "/run/warren-docker/$1"; }
socket() { echo "$(exec_root "$1")/docker.sock"; }

start() {
  local name=$1 run; check_name "$name"; run=$(exec_root "$name")
  [ "$(id -u)" = 0 ] || die "the engine needs root (network namespace, dockerd)"
  test/roots/roots.sh path engine >/dev/null || die "the Docker engine is not installed; run: test/roots/roots.sh build engine"
  local binary
  for binary in /usr/sbin/dockerd "$DOCKER" /usr/libexec/docker/cli-plugins/docker-compose; do
    [ -x "$binary" ] || die "$binary is missing; run: test/roots/roots.sh build engine"
  done
  if [ -f "$DATA/dockerd.pid" ] && kill -0 "$(cat "$DATA/dockerd.pid")" 2>/dev/null; then
    die "another engine (pid $(cat "$DATA/dockerd.pid")) uses $DATA; stop it first (test/roots/docker-engine.sh stop NAME)"
  fi
  [ -e "/run/netns/$name" ] && die "network namespace $name already exists; stop it first: test/roots/docker-engine.sh stop $name"
  mkdir -p "$DATA" "$run" "$ROOTS/docker/logs"
  ip netns add "$name"
  ip -n "$name" link set lo up
  setsid nsenter --net="/run/netns/$name" /usr/sbin/dockerd --data-root "$DATA" --exec-root "$run" \
    -H "unix://$(socket "$name")" --pidfile "$DATA/dockerd.pid" \
    > "$ROOTS/docker/logs/$name.log" 2>&1 < /dev/null &
  local waited=0
  until DOCKER_HOST="unix://$(socket "$name")" "$DOCKER" version >/dev/null 2>&1; do
    kill -0 $! 2>/dev/null || { tail -20 "$ROOTS/docker/logs/$name.log" >&2; stop "$name"; die "dockerd exited at start (log above, $ROOTS/docker/logs/$name.log)"; }
    [ $waited -lt 300 ] || { stop "$name"; die "dockerd did not answer within 30 s ($ROOTS/docker/logs/$name.log)"; }
    sleep 0.1; waited=$((waited + 1))
  done
  # the data root keeps images between runs, nothing else: drop what an interrupted run left
  export DOCKER_HOST; DOCKER_HOST="unix://$(socket "$name")"
  "$DOCKER" ps -aq | xargs -r "$DOCKER" rm -f >/dev/null
  "$DOCKER" volume ls -q | xargs -r "$DOCKER" volume rm -f >/dev/null
  "$DOCKER" network prune -f >/dev/null
  echo "DOCKER_HOST=$DOCKER_HOST"
}

stop() {
  local name=$1 run pid; check_name "$name"; run=$(exec_root "$name")
  if [ -f "$DATA/dockerd.pid" ] && [ -e "/run/netns/$name" ]; then
    pid=$(cat "$DATA/dockerd.pid")
    # only the dockerd of this namespace
    if [ "$(readlink "/proc/$pid/ns/net" 2>/dev/null)" = "$(nsenter --net="/run/netns/$name" readlink /proc/self/ns/net)" ]; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  if [ -e "/run/netns/$name" ]; then
    # containerd, shims and containers started by that dockerd live in its namespace
    local left; mapfile -t left < <(ip netns pids "$name" || true)
    [ ${#left[@]} -eq 0 ] || { kill -KILL "${left[@]}" 2>/dev/null || true; sleep 0.5; }
  fi
  # mounts a killed dockerd leaves behind: container network namespaces, overlay layers
  awk -v r="$run" -v d="$DATA" '$2 ~ "^" r "/" || $2 ~ "^" d "/" {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m" || true; done
  [ -e "/run/netns/$name" ] && ip netns del "$name"
  rm -rf "$run"
  return 0
}

# IMAGE -> "kind root version management": which root a stand-in is built from, and what it must hold.
plan() {
  local image=$1 repo tag
  repo=${image%%:*}; tag=${image#*:}; [ "$tag" != "$image" ] || tag=latest
  case "$repo" in
    rabbitmq)
      [[ $tag =~ ^([0-9]+\.[0-9]+)(\.[0-9]+)?(-management)?$ ]] || die "$image: no stand-in for tag \"$tag\" (MAJOR.MINOR[.PATCH][-management])"
      echo "rabbitmq rabbitmq-${BASH_REMATCH[1]} ${BASH_REMATCH[1]}${BASH_REMATCH[2]} $([ -n "${BASH_REMATCH[3]}" ] && echo true || echo false)" ;;
    haproxy)
      [[ $tag =~ ^([0-9]+\.[0-9]+)(\.[0-9]+)?$ ]] || die "$image: no stand-in for tag \"$tag\" (MAJOR.MINOR[.PATCH])"
      echo "haproxy lb-sid $tag false" ;;
    *) die "$image: no stand-in for repository \"$repo\" (rabbitmq, haproxy)" ;;
  esac
}

image() {
  local image=$1 kind root version management dir stamp got key base
  read -r kind root version management <<<"$(plan "$image")"
  dir=$(test/roots/roots.sh path "$root") || die "$image needs root \"$root\"; run: test/roots/roots.sh build $root"
  stamp=$ROOTS/$root.versions
  got=$(awk -v p="$([ "$kind" = rabbitmq ] && echo rabbitmq-server || echo haproxy)" '$1 == p {print $2}' "$stamp")
  got=${got#*:}; got=${got%%-*}; got=${got%%+*}
  [[ $got == "$version" || $got == "$version".* ]] || die "$image: root \"$root\" holds $kind $got, not $version"
  key=$( { cat "$stamp"; echo "management=$management"; (cd "$STANDIN/$kind" && sha256sum ./*); } | sha256sum | cut -c1-16)
  if [ "$("$DOCKER" image inspect -f '{{index .Config.Labels "org.warren.standin"}}' "$image" 2>/dev/null)" = "$key" ]; then
    log "$image: cached stand-in ($kind $got from $root)"; return 0
  fi
  base=warren-root/$root:$(sha256sum "$stamp" | cut -c1-12)
  if ! "$DOCKER" image inspect "$base" >/dev/null 2>&1; then
    log "$image: importing $root as $base"
    tar -C "$dir" --numeric-owner --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' --exclude='./run/*' --exclude='./tmp/*' -c . \
      | "$DOCKER" import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$base" >/dev/null \
      || die "$image: docker import of $dir failed"
  fi
  log "$image: building the stand-in ($kind $got from $root)"
  DOCKER_BUILDKIT=0 "$DOCKER" build -q --build-arg "BASE=$base" --build-arg "MANAGEMENT=$management" \
    --label "org.warren.standin=$key" -t "$image" "$STANDIN/$kind" >/dev/null || die "$image: docker build failed"
  "$DOCKER" image prune -f >/dev/null
}

images() {
  local name=$1; shift; check_name "$name"
  [ $# -gt 0 ] || die "images: name at least one image"
  export DOCKER_HOST; DOCKER_HOST="unix://$(socket "$name")"
  "$DOCKER" version >/dev/null 2>&1 || die "no engine answers on $DOCKER_HOST; run: test/roots/docker-engine.sh start $name"
  local i; for i in "$@"; do image "$i"; done
}

case "${1:-}" in
  start) [ $# -eq 2 ] || die "usage: start NAME"; start "$2" ;;
  stop) [ $# -eq 2 ] || die "usage: stop NAME"; stop "$2" ;;
  images) [ $# -ge 3 ] || die "usage: images NAME IMAGE..."; shift; images "$@" ;;
  *) sed -n "2,15p" "$0"; exit 2 ;;
esac
