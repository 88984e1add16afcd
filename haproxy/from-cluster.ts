/**
 * haproxyConfigFromCluster: the resolved cluster mapped onto a typed HAProxy configuration.
 * AMQP in TCP mode with a check the broker does not log, the management UI in HTTP mode, a stats page
 * behind a hashed password, HAProxy's own Prometheus metrics, and a health URI for Keepalived.
 */
import type { ListenerName, ResolvedCluster, ResolvedHaproxy, ResolvedNode, SecretValues } from '../model/internal';
import { LISTENER_PORT_KEYS, listenerNamed, majorityLossAgentMs, secretValue } from '../model/internal';
import type { AdminSocket, AmqpHealthCheck, HaproxyConfig, HaproxyListen, HaproxyResolvers, HaproxyServer, LogTarget } from './config';
import { deterministicSalt, sha512Crypt } from './sha512-crypt';

export interface HaproxyTargetOptions {
  /** How HAProxy reaches a node: compose uses the node's host name (Docker DNS), VMs its address. */
  readonly serverAddress: (node: ResolvedNode) => string;
  /** compose: names resolve late through Docker's DNS (127.0.0.11); vm: static addresses or /etc/hosts. */
  readonly target: 'compose' | 'vm';
  /**
   * Port of a node's listener, for nodes that do not all listen on the cluster's ports (several nodes on one test host).
   * @default - the cluster's port of that listener (cluster.ports.amqp, .amqps, .management, .managementTls)
   */
  readonly serverPort?: (node: ResolvedNode, listener: BalancedListener) => number;
  /**
   * Where HAProxy logs: `stdout` (containers, or a test harness) or the host's syslog socket `/dev/log` (journald, rsyslog).
   * @default - "stdout" for compose, "syslog" for vm
   */
  readonly log?: 'stdout' | 'syslog';
}

/** The listeners HAProxy forwards to the nodes. */
export type BalancedListener = 'amqp' | 'amqps' | 'management' | 'management-tls';

/** The runtime API's socket on VM hosts, where Debian's own haproxy.cfg puts it. */
export const ADMIN_SOCKET_PATH = '/run/haproxy/admin.sock';
/** Docker's embedded DNS server, present in every container on a user-defined network. */
const DOCKER_DNS = '127.0.0.11';
const AMQP_PROTOCOL_HEADER_HEX = '414d515000000901';
/** Connection.Start: frame type 1 (method), channel 0, 4-byte size, class 10 (connection), method 10 (start). */
const CONNECTION_START_HEX_REGEX = '^010000[0-9A-F]{8}000A000A';
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * Longest time from a node's death to HAProxy marking it down: the next regular check, then `fall - 1`
 * confirmations at the fast interval. `refusedMs` when the node's port refuses connections (process killed,
 * host up); `unreachableMs` when packets vanish, or the broker stops answering while its host still accepts
 * connections (a frozen Erlang VM), and every failing check waits for its timeout.
 */
export function serverDownDetectionMs(haproxy: ResolvedHaproxy): { readonly refusedMs: number; readonly unreachableMs: number } {
  const { intervalMs, fastIntervalMs, fall, timeoutMs } = haproxy.check;
  const refusedMs = intervalMs + (fall - 1) * fastIntervalMs;
  return { refusedMs, unreachableMs: refusedMs + fall * timeoutMs };
}

/**
 * Longest time from a node losing sight of the cluster's majority to HAProxy marking it down: the agent's
 * verdict (majorityLossAgentMs), then the check failing like a killed node's (`refusedMs`).
 */
export function majorityLossDetectionMs(cluster: ResolvedCluster): number | undefined {
  const check = cluster.majorityCheck;
  const haproxy = cluster.loadBalancer?.haproxy;
  if (!check || !haproxy) return undefined;
  return majorityLossAgentMs(check) + serverDownDetectionMs(haproxy).refusedMs;
}

export function haproxyConfigFromCluster(cluster: ResolvedCluster, secrets: SecretValues, options: HaproxyTargetOptions): HaproxyConfig {
  const lb = cluster.loadBalancer;
  if (!lb) throw new Error(`cluster "${cluster.name}" has no loadBalancer section; add loadBalancer: {} to the spec to get an HAProxy configuration`);
  const h = lb.haproxy;
  const usesNames = cluster.nodes.some((node) => !IPV4.test(options.serverAddress(node)));
  // A name that does not resolve yet must not stop HAProxy (`haproxy -c` resolves names too). compose: the
  // server starts without an address and the Docker DNS resolvers find it as soon as the container exists.
  // vm: /etc/hosts or DNS at start-up, else the server stays down (with a warning) until a reload.
  const initAddr = options.target === 'compose' ? (['none'] as const) : (['libc', 'none'] as const);
  const portOf = (node: ResolvedNode, listener: BalancedListener) => options.serverPort?.(node, listener) ?? cluster.ports[LISTENER_PORT_KEYS[listener]];
  const servers = (listener: BalancedListener, checkListener?: 'amqp' | 'management'): HaproxyServer[] =>
    cluster.nodes.map((node) => {
      const address = options.serverAddress(node);
      return {
        name: node.host,
        address,
        port: portOf(node, listener),
        ...(checkListener && { checkPort: portOf(node, checkListener) }),
        ...(!IPV4.test(address) && { initAddr }),
      };
    });
  const resolvers: HaproxyResolvers | undefined =
    options.target === 'compose' && usesNames
      ? {
          name: 'docker',
          nameservers: [{ name: 'dns', address: DOCKER_DNS, port: 53 }],
          resolveRetries: 3,
          timeoutResolveMs: 1000,
          timeoutRetryMs: 1000,
          holdValidMs: 10_000,
          holdNxMs: 30_000,
          acceptedPayloadSize: 8192,
        }
      : undefined;
  const serverDefaults = {
    check: { intervalMs: h.check.intervalMs, fastIntervalMs: h.check.fastIntervalMs, rise: h.check.rise, fall: h.check.fall },
    shutdownSessionsWhenDown: true,
    ...(resolvers && { resolvers: resolvers.name }),
  };
  const idleMs = h.idleTimeoutSeconds * 1000;
  const detection = serverDownDetectionMs(h);
  const majority = cluster.majorityCheck;
  const listens = (name: ListenerName) => listenerNamed(cluster.listeners, name) !== undefined;
  const healthPath = cluster.features.httpHealthEndpoints ? '/api/health/checks/ready-to-serve-clients' : '/api/auth';
  // RabbitMQ logs every connection that sends it a byte (3 lines for an AMQP handshake that does not log in), and the
  // connection category's level cannot drop those without dropping real clients' abrupt closes: where the management
  // API can show that the broker answers, the AMQP port only gets a connection that sends nothing. The API is asked
  // on its plain port while the node keeps one, else over TLS.
  const plainManagement = listens('management');
  const quietCheck = plainManagement || listens('management-tls');
  const managementStep = plainManagement
    ? { port: cluster.ports.management, path: healthPath, expectStatus: 200 }
    : { port: cluster.ports.managementTls, overTls: true, path: healthPath, expectStatus: 200 };
  const majorityStep = majority ? [{ port: majority.agentPort, path: majority.path, expectStatus: 200 }] : [];
  const amqpCheck: AmqpHealthCheck = quietCheck
    ? { kind: 'amqp', amqpPort: { kind: 'silent-connect' }, then: [managementStep, ...majorityStep] }
    : { kind: 'amqp', amqpPort: { kind: 'protocol-header', sendHex: AMQP_PROTOCOL_HEADER_HEX, expectHexRegex: CONNECTION_START_HEX_REGEX }, then: majorityStep };
  const majorityLossMs = majorityLossDetectionMs(cluster);
  const quietCheckComment = [
    `sends nothing (RabbitMQ logs that at debug level only), then asks the management API${plainManagement ? '' : ' over TLS'}`,
    `(${healthPath}): a node is up while its AMQP port accepts and its broker`,
    `${cluster.features.httpHealthEndpoints ? 'reports that it serves clients' : 'answers'}; a frozen broker is marked down within ${detection.unreachableMs} ms.`,
  ];
  const loggedCheckComment = 'RabbitMQ logs every such check (3 lines); with rabbitmq_management the check would not speak AMQP.';
  const detectionComment = [
    `A killed node is marked down within ${detection.refusedMs} ms (inter + (fall - 1) x fastinter) and its`,
    'sessions are shut so clients reconnect at once; nothing moves them back when it returns.',
    `Idle timeouts (${h.idleTimeoutSeconds} s) exceed the AMQP heartbeat (${cluster.heartbeatSeconds} s) so quiet connections live.`,
    ...(majority
      ? [
          `The check then asks the node's majority agent (port ${majority.agentPort}): a node that cannot reach a majority`,
          `of the cluster's nodes (RabbitMQ ${cluster.version.line} keeps it serving) is marked down within ${majorityLossMs} ms, its`,
          'sessions shut, and back in rotation once it reaches them again.',
        ]
      : []),
  ];
  const amqp: HaproxyListen = {
    name: 'amqp',
    comment: [
      ...(quietCheck
        ? ['AMQP 0-9-1 over every node. The check connects to the node\'s AMQP port and', ...quietCheckComment]
        : [
            'AMQP 0-9-1 over every node. The check speaks AMQP: it sends the protocol header and expects',
            'Connection.Start, so a port that accepts TCP but is not a serving broker counts as down.',
            loggedCheckComment,
          ]),
      ...detectionComment,
    ],
    mode: 'tcp',
    bind: { address: '', port: cluster.ports.amqp },
    balance: lb.balance,
    logFormat: 'tcplog',
    tcpKeepalive: { idleSeconds: 30, intervalSeconds: 10, count: 3 },
    timeouts: { clientMs: idleMs, serverMs: idleMs, tunnelMs: idleMs },
    healthCheck: amqpCheck,
    serverDefaults,
    servers: servers('amqp'),
  };
  const plainAmqp = listens('amqp');
  // The TLS listener's own check: a TLS handshake that carries no AMQP (HAProxy's check-ssl) is not closed cleanly and
  // RabbitMQ logs its handshake timeout as an error 10 s later; a plain connection that sends nothing is not logged.
  const tlsCheck = !plainAmqp && !quietCheck;
  const amqps: HaproxyListen | undefined = listens('amqps') ? {
    ...amqp,
    name: 'amqps',
    comment: [
      'AMQP over TLS, passed through: HAProxy never decrypts, clients see the nodes\' own certificate,',
      'so it must name this load balancer\'s address or host name too.',
      ...(plainAmqp
        ? [`The check is the one of "amqp", on the node's plain port (${cluster.ports.amqp}): both listeners open and close together (boot, drain).`]
        : tlsCheck
          ? ['The check speaks AMQP inside TLS (check-ssl, no verification: traffic is never decrypted here).', loggedCheckComment]
          : ['The check connects to the node\'s TLS port without a TLS handshake and', ...quietCheckComment]),
      ...detectionComment,
    ],
    bind: { address: '', port: cluster.ports.amqps },
    serverDefaults: tlsCheck ? { ...serverDefaults, checkOverTls: true } : serverDefaults,
    servers: servers('amqps', plainAmqp ? 'amqp' : undefined),
  } : undefined;
  const clientListens = [...(plainAmqp ? [amqp] : []), ...(amqps ? [amqps] : [])];
  // Without the management plugin nothing listens there: a backend whose check can never pass would only mislead.
  const management: HaproxyListen | undefined = plainManagement ? {
    name: 'management',
    comment: [
      `Management UI and HTTP API. The check asks the API itself (${healthPath}, no credentials needed)`,
      cluster.features.httpHealthEndpoints ? 'and passes only while the node serves clients.' : 'and passes while the node\'s API answers.',
    ],
    mode: 'http',
    bind: { address: '', port: cluster.ports.management },
    balance: 'roundrobin',
    logFormat: 'httplog',
    healthCheck: { kind: 'http', method: 'GET', path: healthPath, expectStatus: 200 },
    serverDefaults,
    servers: servers('management'),
  } : undefined;
  const managementTls: HaproxyListen | undefined = listens('management-tls') ? {
    name: 'management-tls',
    comment: [
      'Management UI and HTTP API over TLS, passed through like AMQP over TLS (browsers see the nodes\' certificate).',
      plainManagement
        ? `The check is the one of "management", on the node's plain port (${cluster.ports.management}): both listeners open and close together.`
        : `The check asks the API itself over TLS (${healthPath}, check-ssl, no verification: traffic is never decrypted here).`,
    ],
    mode: 'tcp',
    bind: { address: '', port: cluster.ports.managementTls },
    balance: 'roundrobin',
    logFormat: 'tcplog',
    healthCheck: { kind: 'http', method: 'GET', path: healthPath, expectStatus: 200 },
    serverDefaults: plainManagement ? serverDefaults : { ...serverDefaults, checkOverTls: true },
    servers: servers('management-tls', plainManagement ? 'management' : undefined),
  } : undefined;
  const password = secretValue(secrets, lb.statsPassword);
  const stats: HaproxyListen = {
    name: 'stats',
    comment: [
      `Stats page (/) and HAProxy's Prometheus metrics (${h.metricsPath}), both for user "${h.statsUser}" only (basic`,
      `authentication; Prometheus: basic_auth), and ${h.healthPath} for Keepalived without credentials: 200 while`,
      'HAProxy serves and a node is up.',
      ...cluster.listeners.filter((l) => l.family === 'prometheus').map((l) => `Scrape each node's own metrics on port ${l.port}${l.tls ? ' (TLS)' : ''}, never through this load balancer.`),
    ],
    mode: 'http',
    bind: { address: '', port: h.statsPort },
    logFormat: 'httplog',
    monitor: { uri: h.healthPath, failWithoutServersIn: clientListens[0]!.name },
    auth: { realm: 'haproxy-stats', userlist: 'stats_users' },
    prometheusPath: h.metricsPath,
    stats: { uri: '/', refreshSeconds: 10 },
    servers: [],
  };
  const log: LogTarget =
    (options.log ?? (options.target === 'compose' ? 'stdout' : 'syslog')) === 'stdout'
      ? { kind: 'stdout', facility: 'local0' }
      : { kind: 'syslog-socket', path: '/dev/log', facility: 'local0' };
  // VMs: Debian's own socket (its default haproxy.cfg; the package's tmpfiles.d makes /run/haproxy 2775 haproxy:haproxy),
  // reachable by root and the haproxy group. compose: none, since the haproxy image carries no client for a UNIX
  // socket and a published admin port would give anyone who reaches it the runtime API without credentials.
  const adminSocket: AdminSocket | undefined =
    options.target === 'vm' ? { path: ADMIN_SOCKET_PATH, mode: '660', group: 'haproxy', level: 'admin', idleTimeoutMs: 30_000 } : undefined;
  return {
    header: [
      `haproxy.cfg for cluster "${cluster.name}" (RabbitMQ ${cluster.version.text}, ${options.target} target), generated by warren.`,
      'Edit the spec and synthesise again rather than this file.',
      ...(adminSocket
        ? [
            `Runtime API (root and group ${adminSocket.group}), e.g. a node in maintenance and back:`,
            `  echo "disable server ${clientListens[0]!.name}/${cluster.nodes[0]!.host}" | socat stdio ${adminSocket.path}`,
            `  echo "enable server ${clientListens[0]!.name}/${cluster.nodes[0]!.host}" | socat stdio ${adminSocket.path}`,
          ]
        : []),
    ],
    global: {
      maxconn: h.maxconn,
      log,
      ...(options.target === 'vm' && { runAs: { user: 'haproxy', group: 'haproxy' } }),
      ...(adminSocket && { adminSocket }),
    },
    defaults: {
      mode: 'tcp',
      maxconn: h.maxconn,
      retries: 3,
      redispatch: true,
      dontLogNull: true,
      timeouts: { connectMs: h.connectTimeoutMs, clientMs: 60_000, serverMs: 60_000, checkMs: h.check.timeoutMs, httpRequestMs: 10_000 },
    },
    ...(resolvers && { resolvers }),
    userlists: [
      {
        name: 'stats_users',
        users: [{ name: h.statsUser, passwordHash: sha512Crypt(password, deterministicSalt(password, `${cluster.name}/${h.statsUser}`)) }],
      },
    ],
    listens: [...clientListens, ...(management ? [management] : []), ...(managementTls ? [managementTls] : []), stats],
  };
}
