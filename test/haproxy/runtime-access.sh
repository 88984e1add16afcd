#!/bin/bash
# Runs warren's haproxy.cfg (VM target, unchanged) with the real HAProxy of one build in private network and mount
# namespaces, nodes stood in for by an HTTP server on every node address; then uses the runtime API socket and the
# stats port as an operator, Prometheus and Keepalived would. Arguments: root ('' for this machine), a folder with
# haproxy.cfg, haproxy-checker.sh, check-haproxy.sh and stand-in.cjs, the stats password, a node name, the stand-in's listeners (address:port).
set -u
root=$1 dir=$2 password=$3 node=$4
shift 4
sock=$root/run/haproxy/admin.sock
ip link set lo up
mount -t tmpfs tmpfs "$root/run"
# What Debian's tmpfiles.d/haproxy.conf makes at boot: d /run/haproxy 2775 haproxy haproxy.
if [ -z "$root" ]; then install -d -m 2775 -o haproxy -g haproxy /run/haproxy; else chroot "$root" install -d -m 2775 -o haproxy -g haproxy /run/haproxy; fi
# The nodes live in a network namespace of their own (HAProxy binds the same ports on every address of its own),
# reached over a veth pair.
addresses=$(for at in "$@"; do echo "${at%:*}"; done | sort -u)
unshare --net bash -c 'until ip link show n0 >/dev/null 2>&1; do sleep 0.05; done
  ip link set lo up; for a in $1; do ip addr add "$a/24" dev n0; done; ip link set n0 up
  shift; exec node "$@"' nodes "$addresses" "$dir/stand-in.cjs" "$@" &
nodes=$!
# The peer end goes where the nodes are only once their shell has its own network namespace.
for _ in $(seq 100); do [ "$(readlink "/proc/$nodes/ns/net")" != "$(readlink /proc/self/ns/net)" ] && break; sleep 0.05; done
ip link add lb0 type veth peer name n0 netns "$nodes"
ip addr add 10.0.0.250/24 dev lb0
ip link set lb0 up
for at in "$@"; do for _ in $(seq 100); do timeout 1 bash -c 'exec 3<>"/dev/tcp/$1/$2"' - "${at%:*}" "${at#*:}" 2>/dev/null && break; sleep 0.05; done; done
if [ -z "$root" ]; then
  haproxy -db -f "$dir/haproxy.cfg" >"$dir/haproxy.log" 2>&1 &
else
  mount --bind "$dir" "$root/mnt"
  chroot "$root" haproxy -db -f /mnt/haproxy.cfg >"$dir/haproxy.log" 2>&1 &
fi
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
api() { echo "$1" | timeout 5 socat -t 2 stdio "UNIX-CONNECT:$sock"; }
# srv_admin_state (column 7 of `show servers state`): bit 0x01 is forced maintenance.
admin_state() { api "show servers state amqp" | awk -v s="$node" '$4 == s { print $7 }'; }
group=$(if [ -z "$root" ]; then getent group haproxy; else chroot "$root" getent group haproxy; fi | cut -d: -f3)
echo "socket: $(stat -c '%a %g' "$sock") haproxy-gid $group"
for _ in $(seq 50); do [ "$(api 'show servers state amqp' | awk -v s="$node" '$4 == s { print $6 }')" = 2 ] && break; sleep 0.2; done
echo "before: admin $(admin_state) oper $(api 'show servers state amqp' | awk -v s="$node" '$4 == s { print $6 }')"
api "disable server amqp/$node"
echo "disabled: admin $(admin_state)"
echo "metrics-state: $(curl -s --max-time 5 -u "stats:$password" http://127.0.0.1:8404/metrics | grep "^haproxy_server_status{proxy=\"amqp\",server=\"$node\",state=\"MAINT\"}")"
api "enable server amqp/$node"
echo "enabled: admin $(admin_state)"
api "set server amqp/$node state maint"
echo "set-maint: admin $(admin_state)"
api "set server amqp/$node state ready"
echo "set-ready: admin $(admin_state)"
echo "group-member: $(echo 'show info' | setpriv --reuid 65534 --regid "$group" --clear-groups timeout 5 socat -t 2 stdio "UNIX-CONNECT:$sock" 2>&1 | grep -c '^Version:')"
echo "other-user: $(echo 'show info' | setpriv --reuid 65534 --regid 65534 --clear-groups timeout 5 socat -t 2 stdio "UNIX-CONNECT:$sock" 2>&1 | grep -o 'Permission denied' | head -1)"
echo "metrics-anonymous: $(curl -s --max-time 5 -o /dev/null -w '%{http_code} %header{www-authenticate}' http://127.0.0.1:8404/metrics)"
echo "metrics-wrong: $(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -u stats:wrong http://127.0.0.1:8404/metrics)"
echo "metrics-stats: $(curl -s --max-time 5 -o "$dir/metrics.txt" -w '%{http_code}|%{content_type}|' -u "stats:$password" http://127.0.0.1:8404/metrics)$(grep -c '^haproxy_' "$dir/metrics.txt")"
echo "page-anonymous: $(curl -s --max-time 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:8404/)"
echo "page-stats: $(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -u "stats:$password" http://127.0.0.1:8404/)"
echo "healthz-anonymous: $(curl -s --max-time 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:8404/healthz)"
# Keepalived's side: the HAProxy checker says 0 (serving) and the watchdog script passes on its verdict.
bash "$dir/haproxy-checker.sh" & checker=$!
for _ in $(seq 50); do [ "$(cat "$dir/failing" 2>/dev/null)" = 0 ] && break; sleep 0.1; done
kill "$checker"
bash "$dir/check-haproxy.sh"; echo "check-script: $?"
echo "haproxy-log: $(grep -c . "$dir/haproxy.log")"
