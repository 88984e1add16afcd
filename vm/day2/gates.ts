/**
 * The health gates of day-2 operations as bash functions, shared by every admin-host script (rolling restart,
 * upgrade, scale): each runs one RabbitMQ CLI check on a host through a replaceable transport and stops the
 * script on the first failure, naming the host, the gate and what to do. Facts behind each gate (checked on
 * 3.10.8 and 4.3.6): `check_local_alarms` is a no-op from 4.x, `check_alarms` reports local and cluster-wide
 * alarms on both; `await_online_synchronized_mirror` and `check_if_node_is_mirror_sync_critical` exist only
 * while classic mirroring does (< 4.0); a restart takes a node out of maintenance, `revive` makes sure of it.
 */
import type { ResolvedCluster } from '../../model/internal';

/** The runtime API socket of the VM haproxy.cfg (haproxy/from-cluster.ts ADMIN_SOCKET_PATH). */
const HAPROXY_ADMIN_SOCKET = '/run/haproxy/admin.sock';

/** Shell-quoted. */
export const shellQuote = (text: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`);

export interface GateLibraryOptions {
  /** Prefix of every line the script prints, e.g. "warren-rolling-restart". */
  readonly scriptName: string;
}

/** The transport and timeout variables, documented in each script's header. */
export const GATE_ENVIRONMENT: readonly string[] = [
  'WARREN_REMOTE   how to run a command line on a host: called as `$WARREN_REMOTE HOST "COMMAND LINE"`',
  '                (@default "ssh -o BatchMode=yes"; e.g. "ssh -l admin -i key", or a lab\'s own runner)',
  'WARREN_SUDO     prefix of every remote command line (@default "sudo -n"; "" when WARREN_REMOTE logs in as root)',
  'WARREN_TIMEOUT_SECONDS  how long each wait may take (@default 300)',
];

/**
 * Bash functions (after `set -euo pipefail`): `remote HOST CMD`, `say`, `fail HOST GATE DETAIL`, `node_of HOST`,
 * the gates `gate_healthy HOST` (alarms, partitions, every node running), `gate_safe_to_stop HOST` (quorum-critical,
 * mirror-sync-critical before 4.0, await_online_quorum_plus_one), and the steps `drain`, `stop_node`, `start_node`,
 * `await_node_back HOST` (await_startup, joined, check_running), `await_haproxy_up HOST` (every load balancer),
 * `revive`, `finish_cluster HOST` (all stable feature flags, quorum leaders rebalanced), `rebalance_leaders HOST`
 * (rebalance until the leaders per node differ by at most one).
 */
export function renderGateLibrary(cluster: ResolvedCluster, options: GateLibraryOptions): string[] {
  const nodes = cluster.nodes;
  const lbs = cluster.loadBalancer?.hosts ?? [];
  const mirroring = cluster.features.classicMirroring;
  const name = options.scriptName;
  return [
    `script=${name}`,
    'read -r -a remote_argv <<< "${WARREN_REMOTE:-ssh -o BatchMode=yes}"',
    'sudo_prefix=${WARREN_SUDO-sudo -n}',
    'timeout_s=${WARREN_TIMEOUT_SECONDS:-300}',
    `cluster_size=${nodes.length}`,
    `rabbitmq_hosts=(${nodes.map((n) => shellQuote(n.host)).join(' ')})`,
    `load_balancer_hosts=(${lbs.map((h) => shellQuote(h.host)).join(' ')})`,
    `rabbitmq_nodes=(${nodes.map((n) => shellQuote(n.nodeName)).join(' ')})`,
    // Quoted twice: each element is one word of the command line the remote shell reads.
    `vhost_words=(${cluster.topology.vhosts.map((v) => shellQuote(shellQuote(v.name))).join(' ')})`,
    '',
    'say() { echo "$script: $*"; }',
    '',
    '# remote HOST COMMAND-LINE: runs it on HOST (as root through WARREN_SUDO); its output and exit code are the command\'s.',
    'remote() {',
    '  local host=$1',
    '  shift',
    '  "${remote_argv[@]}" "$host" "${sudo_prefix:+$sudo_prefix }$*"',
    '}',
    '',
    '# fail HOST GATE DETAIL: stops the script, naming the node and the gate.',
    'fail() {',
    '  echo "$script: $1: gate \\"$2\\" failed: $3" >&2',
    '  echo "$script: stopped at $1; fix the cause, then run again with --from $1 (nodes before it are done)" >&2',
    '  exit 1',
    '}',
    '',
    '# node_of HOST: the RabbitMQ node name on HOST.',
    'node_of() {',
    '  case "$1" in',
    ...nodes.map((n) => `    ${shellQuote(n.host)}) echo ${shellQuote(n.nodeName)} ;;`),
    '    *) echo "$script: \\"$1\\" is not a RabbitMQ host of this cluster; use one of ${rabbitmq_hosts[*]}" >&2; return 1 ;;',
    '  esac',
    '}',
    '',
    '# gate HOST NAME COMMAND-LINE: passes when COMMAND-LINE succeeds on HOST, else stops the script.',
    'gate() {',
    '  local host=$1 name=$2 out',
    '  shift 2',
    '  if out=$(remote "$host" "$*" 2>&1); then',
    '    say "$host: gate $name passed"',
    '  else',
    '    fail "$host" "$name" "$(echo "$out" | tail -n 5 | tr \'\\n\' \' \')"',
    '  fi',
    '}',
    '',
    '# gate_healthy HOST: no alarm anywhere, no partition, every node of the cluster running.',
    'gate_healthy() {',
    '  local host=$1 node status',
    '  node=$(node_of "$host")',
    '  gate "$host" alarms "rabbitmq-diagnostics -q -n $node check_alarms"',
    '  status=$(remote "$host" "rabbitmq-diagnostics -q -n $node cluster_status --formatter json" 2>&1) || fail "$host" partitions "cluster_status: $status"',
    '  case "$status" in',
    '    *\'"partitions":{}\'* | *\'"partitions":[]\'*) say "$host: gate partitions passed" ;;',
    '    *) fail "$host" partitions "cluster_status reports a partition: $(echo "$status" | grep -o \'"partitions":[^]}]*[]}]\')" ;;',
    '  esac',
    '  gate "$host" "all $cluster_size nodes running" "rabbitmqctl -q -n $node await_online_nodes $cluster_size --timeout $timeout_s"',
    '}',
    '',
    '# gate_safe_to_stop HOST: stopping the node leaves every quorum queue (and stream) its quorum.',
    'gate_safe_to_stop() {',
    '  local host=$1 node',
    '  node=$(node_of "$host")',
    '  gate "$host" quorum-critical "rabbitmq-queues -q -n $node check_if_node_is_quorum_critical"',
    ...(mirroring
      ? [
          '  gate "$host" mirror-sync-critical "rabbitmq-queues -q -n $node check_if_node_is_mirror_sync_critical"',
          '  gate "$host" await_online_synchronized_mirror "rabbitmq-upgrade -q -n $node await_online_synchronized_mirror --timeout $timeout_s"',
        ]
      : []),
    '  gate "$host" await_online_quorum_plus_one "rabbitmq-upgrade -q -n $node await_online_quorum_plus_one --timeout $timeout_s"',
    '}',
    '',
    '# drain HOST: maintenance mode (listeners closed, clients disconnected, quorum leaders moved away).',
    'drain() {',
    '  gate "$1" drain "rabbitmq-upgrade -q -n $(node_of "$1") drain --timeout $timeout_s"',
    '}',
    '',
    'stop_node() {',
    '  say "$1: stopping rabbitmq-server"',
    '  gate "$1" stop "systemctl stop rabbitmq-server"',
    '}',
    '',
    'start_node() {',
    '  say "$1: starting rabbitmq-server"',
    '  gate "$1" start "systemctl start rabbitmq-server"',
    '}',
    '',
    '# await_node_back HOST: booted, joined the cluster, running.',
    'await_node_back() {',
    '  local host=$1 node',
    '  node=$(node_of "$host")',
    '  gate "$host" await_startup "rabbitmqctl -q -n $node await_startup --timeout $timeout_s"',
    '  gate "$host" "joined: all $cluster_size nodes running" "rabbitmqctl -q -n $node await_online_nodes $cluster_size --timeout $timeout_s"',
    '  gate "$host" check_running "rabbitmq-diagnostics -q -n $node check_running"',
    '}',
    '',
    `# haproxy_down_rows LB HOST: the rows of HAProxy's stats (runtime API ${HAPROXY_ADMIN_SOCKET}) where server HOST is not UP.`,
    '# UNIX-CONNECT: a bare path would make socat create a regular file when the socket is missing.',
    'haproxy_down_rows() {',
    '  local csv',
    `  csv=$(remote "$1" "echo 'show stat' | socat stdio UNIX-CONNECT:${HAPROXY_ADMIN_SOCKET}") || { echo "no answer from ${HAPROXY_ADMIN_SOCKET}: $csv"; return 0; }`,
    '  echo "$csv" | awk -F, -v server="$2" \'$2 == server { n++; if ($18 !~ /^UP/) print $1 "/" $2 " is " $18 } END { if (n == 0) print "no server " server }\'',
    '}',
    '',
    '# await_haproxy_up HOST: every load balancer sends traffic to HOST again.',
    'await_haproxy_up() {',
    '  local host=$1 lb down deadline',
    '  for lb in "${load_balancer_hosts[@]}"; do',
    '    deadline=$((SECONDS + timeout_s))',
    '    while down=$(haproxy_down_rows "$lb" "$host") && [ -n "$down" ]; do',
    '      [ "$SECONDS" -lt "$deadline" ] || fail "$host" "UP in HAProxy on $lb" "after ${timeout_s}s: $(echo "$down" | tr \'\\n\' \' \')"',
    '      sleep 1',
    '    done',
    '    say "$host: gate UP in HAProxy on $lb passed"',
    '  done',
    '}',
    '',
    'revive() {',
    '  gate "$1" revive "rabbitmq-upgrade -q -n $(node_of "$1") revive"',
    '}',
    '',
    '# finish_cluster HOST: after the last node, every stable feature flag on and quorum queue leaders spread again.',
    'finish_cluster() {',
    '  local node',
    '  node=$(node_of "$1")',
    '  gate "$1" "enable_feature_flag all" "rabbitmqctl -q -n $node enable_feature_flag all"',
    '  rebalance_leaders "$1"',
    '}',
    '',
    '# leaders_per_node HOST: "4/3/3 1": quorum queue leaders on each node of the spec (in its order) over its vhosts, and max - min.',
    'leaders_per_node() {',
    '  local node rows="" vhost',
    '  node=$(node_of "$1")',
    '  for vhost in "${vhost_words[@]}"; do',
    '    rows+=$(remote "$1" "rabbitmqctl -q -n $node list_queues -p $vhost --no-table-headers type leader") || return 1',
    '    rows+=$\'\\n\'',
    '  done',
    '  echo "$rows" | awk -v nodes="${rabbitmq_nodes[*]}" \'$1 == "quorum" { n[$2]++ } END { k = split(nodes, all, " "); for (i = 1; i <= k; i++) { c = n[all[i]] + 0; out = out (i > 1 ? "/" : "") c; if (i == 1 || c > max) max = c; if (i == 1 || c < min) min = c } print out, max - min }\'',
    '}',
    '',
    '# rebalance_leaders HOST: rabbitmq-queues rebalance quorum until the leaders per node differ by at most one (one pass',
    '# can leave 4/2/4 on 3.10: leadership moves after the command returns); after 5 passes it says so and goes on.',
    'rebalance_leaders() {',
    '  local host=$1 node pass counts',
    '  node=$(node_of "$host")',
    '  for pass in 1 2 3 4 5; do',
    '    gate "$host" "rebalance quorum" "rabbitmq-queues -q -n $node rebalance quorum"',
    '    sleep 2',
    '    counts=$(leaders_per_node "$host") || fail "$host" "leaders spread" "list_queues: $counts"',
    '    if [ "${counts##* }" -le 1 ]; then',
    '      say "$host: quorum leaders per node ${counts% *} (${rabbitmq_nodes[*]})"',
    '      return 0',
    '    fi',
    '    say "$host: quorum leaders per node ${counts% *} after rebalance $pass; again"',
    '  done',
    '  say "$host: WARNING: quorum leaders per node still ${counts% *} after 5 rebalances (queues whose members are not on every node cannot move further); run rabbitmq-queues rebalance quorum later"',
    '}',
  ];
}
