/** renderHaproxyConfig: the one place a typed HaproxyConfig becomes haproxy.cfg text. */
import type {
  AmqpPortProbe,
  HaproxyConfig,
  HaproxyDefaults,
  HaproxyGlobal,
  HaproxyListen,
  HaproxyResolvers,
  HaproxyServer,
  HaproxyTimeouts,
  HaproxyUserlist,
  HealthCheck,
  HttpGetStep,
  LogTarget,
  ServerDefaults,
  TcpKeepalive,
} from './config';

const INDENT = '    ';

/** A duration in HAProxy's units: whole seconds as `2s`, anything else as `500ms`. */
export function duration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function section(title: string, lines: readonly string[]): string {
  return [title, ...lines.map((line) => (line === '' ? '' : `${INDENT}${line}`))].join('\n');
}

const comments = (lines: readonly string[]) => lines.map((line) => `# ${line}`);

function logLine(target: LogTarget): string {
  switch (target.kind) {
    case 'stdout':
      return `log stdout format raw ${target.facility}`;
    case 'syslog-socket':
      return `log ${target.path} ${target.facility}`;
    default: {
      const unknown: never = target;
      throw new Error(`unknown log target ${JSON.stringify(unknown)}`);
    }
  }
}

function renderGlobal(global: HaproxyGlobal): string {
  return section('global', [
    `maxconn ${global.maxconn}`,
    logLine(global.log),
    ...(global.runAs ? [`user ${global.runAs.user}`, `group ${global.runAs.group}`] : []),
    ...(global.adminSocket
      ? [
          `stats socket ${global.adminSocket.path} mode ${global.adminSocket.mode} group ${global.adminSocket.group} level ${global.adminSocket.level}`,
          `stats timeout ${duration(global.adminSocket.idleTimeoutMs)}`,
        ]
      : []),
  ]);
}

function timeoutLines(timeouts: HaproxyTimeouts): string[] {
  const entries: [string, number | undefined][] = [
    ['connect', timeouts.connectMs],
    ['client', timeouts.clientMs],
    ['server', timeouts.serverMs],
    ['tunnel', timeouts.tunnelMs],
    ['check', timeouts.checkMs],
    ['http-request', timeouts.httpRequestMs],
  ];
  return entries.filter(([, ms]) => ms !== undefined).map(([name, ms]) => `timeout ${name} ${duration(ms!)}`);
}

function renderDefaults(defaults: HaproxyDefaults): string {
  return section('defaults', [
    `mode ${defaults.mode}`,
    'log global',
    ...(defaults.dontLogNull ? ['option dontlognull'] : []),
    `maxconn ${defaults.maxconn}`,
    `retries ${defaults.retries}`,
    ...(defaults.redispatch ? ['option redispatch'] : []),
    ...timeoutLines(defaults.timeouts),
  ]);
}

function renderResolvers(resolvers: HaproxyResolvers): string {
  return section(`resolvers ${resolvers.name}`, [
    ...resolvers.nameservers.map((ns) => `nameserver ${ns.name} ${ns.address}:${ns.port}`),
    `resolve_retries ${resolvers.resolveRetries}`,
    `timeout resolve ${duration(resolvers.timeoutResolveMs)}`,
    `timeout retry ${duration(resolvers.timeoutRetryMs)}`,
    `hold valid ${duration(resolvers.holdValidMs)}`,
    `hold nx ${duration(resolvers.holdNxMs)}`,
    `accepted_payload_size ${resolvers.acceptedPayloadSize}`,
  ]);
}

function renderUserlist(userlist: HaproxyUserlist): string {
  return section(
    `userlist ${userlist.name}`,
    userlist.users.map((user) => `user ${user.name} password ${user.passwordHash}`),
  );
}

function keepaliveLines(keepalive: TcpKeepalive): string[] {
  return (['cli', 'srv'] as const).flatMap((side) => [
    `option ${side}tcpka`,
    `${side}tcpka-idle ${keepalive.idleSeconds}s`,
    `${side}tcpka-intvl ${keepalive.intervalSeconds}s`,
    `${side}tcpka-cnt ${keepalive.count}`,
  ]);
}

/** A plain connection (no `ssl`, whatever the server's check-ssl) unless the step is over TLS, one request, the status line matched. */
function httpGetStepLines(step: HttpGetStep): string[] {
  return [
    `tcp-check connect port ${step.port}${step.overTls ? ' ssl' : ''}`,
    `tcp-check send "GET ${step.path} HTTP/1.0\\r\\n\\r\\n"`,
    `tcp-check expect rstring "^HTTP/1\\.[01] ${step.expectStatus}"`,
  ];
}

/** The AMQP port's step; `connect default` keeps the server's check port and check-ssl. */
function amqpPortLines(probe: AmqpPortProbe, stepsFollow: boolean): string[] {
  switch (probe.kind) {
    case 'silent-connect':
      return ['tcp-check connect default linger'];
    case 'protocol-header':
      return [
        // Once a ruleset has a `connect` step, it must start with one (HAProxy 2.6).
        ...(stepsFollow ? ['tcp-check connect default'] : []),
        `tcp-check send-binary ${probe.sendHex}`,
        `tcp-check expect rbinary ${probe.expectHexRegex}`,
      ];
    default: {
      const unknown: never = probe;
      throw new Error(`unknown AMQP port probe ${JSON.stringify(unknown)}`);
    }
  }
}

function healthCheckLines(check: HealthCheck): string[] {
  switch (check.kind) {
    case 'amqp':
      return ['option tcp-check', ...amqpPortLines(check.amqpPort, check.then.length > 0), ...check.then.flatMap(httpGetStepLines)];
    case 'http':
      return [
        'option httpchk',
        `http-check send meth ${check.method} uri ${check.path} ver HTTP/1.1 hdr Host localhost`,
        `http-check expect status ${check.expectStatus}`,
      ];
    default: {
      const unknown: never = check;
      throw new Error(`unknown health check ${JSON.stringify(unknown)}`);
    }
  }
}

/** Whether a step of the check connects over TLS: the servers then need `verify none` (HAProxy holds no CA). */
function hasTlsStep(check: HealthCheck | undefined): boolean {
  return check?.kind === 'amqp' && check.then.some((step) => step.overTls === true);
}

function defaultServerLine(defaults: ServerDefaults, tlsSteps: boolean): string {
  const { check } = defaults;
  return [
    'default-server',
    `inter ${duration(check.intervalMs)}`,
    `fastinter ${duration(check.fastIntervalMs)}`,
    `rise ${check.rise}`,
    `fall ${check.fall}`,
    ...(defaults.shutdownSessionsWhenDown ? ['on-marked-down shutdown-sessions'] : []),
    ...(defaults.resolvers ? [`resolvers ${defaults.resolvers}`, 'resolve-prefer ipv4'] : []),
    ...(defaults.checkOverTls ? ['check-ssl', 'verify none'] : tlsSteps ? ['verify none'] : []),
  ].join(' ');
}

function serverLine(server: HaproxyServer, checked: boolean): string {
  return [
    `server ${server.name} ${server.address}:${server.port}`,
    ...(checked ? ['check'] : []),
    ...(checked && server.checkPort !== undefined ? [`port ${server.checkPort}`] : []),
    ...(server.initAddr ? [`init-addr ${server.initAddr.join(',')}`] : []),
  ].join(' ');
}

function renderListen(listen: HaproxyListen): string {
  const lines = [
    ...comments(listen.comment),
    `mode ${listen.mode}`,
    `bind ${listen.bind.address}:${listen.bind.port}`,
    ...(listen.balance ? [`balance ${listen.balance}`] : []),
    `option ${listen.logFormat}`,
    ...(listen.tcpKeepalive ? keepaliveLines(listen.tcpKeepalive) : []),
    ...(listen.timeouts ? timeoutLines(listen.timeouts) : []),
    ...(listen.monitor ? [`monitor-uri ${listen.monitor.uri}`, `monitor fail if { nbsrv(${listen.monitor.failWithoutServersIn}) lt 1 }`] : []),
    ...(listen.auth ? [`http-request auth realm ${listen.auth.realm} unless { http_auth(${listen.auth.userlist}) }`] : []),
    ...(listen.prometheusPath ? [`http-request use-service prometheus-exporter if { path ${listen.prometheusPath} }`] : []),
    ...(listen.stats
      ? [
          'stats enable',
          `stats uri ${listen.stats.uri}`,
          `stats refresh ${listen.stats.refreshSeconds}s`,
        ]
      : []),
    ...(listen.healthCheck ? healthCheckLines(listen.healthCheck) : []),
    ...(listen.serverDefaults ? [defaultServerLine(listen.serverDefaults, hasTlsStep(listen.healthCheck))] : []),
    ...listen.servers.map((server) => serverLine(server, listen.healthCheck !== undefined)),
  ];
  return section(`listen ${listen.name}`, lines);
}

export function renderHaproxyConfig(config: HaproxyConfig): string {
  const blocks = [
    comments(config.header).join('\n'),
    renderGlobal(config.global),
    renderDefaults(config.defaults),
    ...(config.resolvers ? [renderResolvers(config.resolvers)] : []),
    ...config.userlists.map(renderUserlist),
    ...config.listens.map(renderListen),
  ];
  return `${blocks.join('\n\n')}\n`;
}
