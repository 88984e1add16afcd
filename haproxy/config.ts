/**
 * A typed HAProxy configuration: the parts warren uses, each field named after the directive it becomes.
 * Durations are milliseconds; the renderer writes them in HAProxy's units (`2s`, `500ms`).
 */

export interface HaproxyConfig {
  /** Comment lines at the top of the file. */
  readonly header: readonly string[];
  readonly global: HaproxyGlobal;
  readonly defaults: HaproxyDefaults;
  /** DNS resolvers servers use to find late-appearing names (compose). @default - none */
  readonly resolvers?: HaproxyResolvers;
  readonly userlists: readonly HaproxyUserlist[];
  /** `listen` sections: a frontend and its backend in one. */
  readonly listens: readonly HaproxyListen[];
}

export type LogTarget =
  | { readonly kind: 'stdout'; readonly facility: string }
  | { readonly kind: 'syslog-socket'; readonly path: string; readonly facility: string };

export interface HaproxyGlobal {
  readonly maxconn: number;
  readonly log: LogTarget;
  /** Drop privileges to this user and group after binding. @default - keep the invoking user (containers) */
  readonly runAs?: { readonly user: string; readonly group: string };
  /** The runtime API on a UNIX socket (`stats socket`), for operators on the host. @default - none */
  readonly adminSocket?: AdminSocket;
}

/**
 * `stats socket <path> mode <mode> group <group> level admin`: who can connect is decided by the file's mode and
 * group alone (the runtime API has no credentials), so the group is the access list.
 */
export interface AdminSocket {
  readonly path: string;
  /** Octal file mode, e.g. `660`. */
  readonly mode: string;
  readonly group: string;
  readonly level: 'admin';
  /** Idle time before HAProxy closes an interactive session (`stats timeout`). */
  readonly idleTimeoutMs: number;
}

export interface HaproxyTimeouts {
  readonly connectMs?: number;
  readonly clientMs?: number;
  readonly serverMs?: number;
  /** Established TCP sessions (supersedes client/server once both sides are connected). */
  readonly tunnelMs?: number;
  readonly checkMs?: number;
  readonly httpRequestMs?: number;
}

export interface HaproxyDefaults {
  readonly mode: 'tcp' | 'http';
  readonly timeouts: HaproxyTimeouts;
  readonly maxconn: number;
  /** Connection attempts to one server before giving up (`retries`). */
  readonly retries: number;
  /** `option redispatch`: a failed connection attempt may go to another server. */
  readonly redispatch: boolean;
  /** `option dontlognull`: no log lines for probes that send nothing (Keepalived's, load balancers'). */
  readonly dontLogNull: boolean;
}

export interface HaproxyResolvers {
  readonly name: string;
  readonly nameservers: readonly { readonly name: string; readonly address: string; readonly port: number }[];
  readonly resolveRetries: number;
  readonly timeoutResolveMs: number;
  readonly timeoutRetryMs: number;
  /** How long a valid answer is kept. */
  readonly holdValidMs: number;
  /** How long the last address is kept while the name does not resolve (a restarting container). */
  readonly holdNxMs: number;
  readonly acceptedPayloadSize: number;
}

export interface HaproxyUserlist {
  readonly name: string;
  /** `password` is a crypt(3) hash, never the plain password. */
  readonly users: readonly { readonly name: string; readonly passwordHash: string }[];
}

export interface TcpKeepalive {
  readonly idleSeconds: number;
  readonly intervalSeconds: number;
  readonly count: number;
}

/** A further step of a TCP check: an HTTP/1.0 GET on another port of the server, passing on one status. */
export interface HttpGetStep {
  readonly port: number;
  /**
   * The port speaks TLS (a node whose management API listens over TLS only): the step connects with `ssl`, and the
   * servers skip verifying the node's certificate (`verify none`), since HAProxy holds no CA. @default false
   */
  readonly overTls?: boolean;
  readonly path: string;
  readonly expectStatus: number;
}

/**
 * What an AMQP listen's check does on the node's AMQP port, its first step. Measured on RabbitMQ 3.10.8 and 4.3.6:
 * any connection that sends a byte is logged (`accepting AMQP connection` at info), and one that then closes
 * without a login is logged again (`client unexpectedly closed TCP connection`, a warning of two lines), so no
 * exchange that proves AMQP is served leaves the log alone. A connection that sends nothing is logged at debug only.
 */
export type AmqpPortProbe =
  /**
   * Connect, send nothing, close with a FIN (`linger`): nothing reaches RabbitMQ's log. Closed with HAProxy's usual
   * RST, about 1 in 1,000 such connections is gone before the broker reads its peer's address, and RabbitMQ logs an
   * `enotconn` error. Proves the port accepts, not that the broker answers: a later step has to.
   */
  | { readonly kind: 'silent-connect' }
  /** Send the protocol header, expect Connection.Start; RabbitMQ logs three lines per check (about 360 bytes). */
  | {
      readonly kind: 'protocol-header';
      /** Hex of the bytes sent, `AMQP\x00\x00\x09\x01`. */
      readonly sendHex: string;
      /** Regular expression over the hex dump of the answer. */
      readonly expectHexRegex: string;
    };

/** Check of an AMQP listen: the node's AMQP port, then HTTP steps on its other ports, in one `tcp-check` sequence. */
export interface AmqpHealthCheck {
  readonly kind: 'amqp';
  readonly amqpPort: AmqpPortProbe;
  /** Asked after the AMQP port, in order, within the same check: the server is up only while every step passes. */
  readonly then: readonly HttpGetStep[];
}

export interface HttpHealthCheck {
  readonly kind: 'http';
  readonly method: 'GET';
  readonly path: string;
  readonly expectStatus: number;
}

export type HealthCheck = AmqpHealthCheck | HttpHealthCheck;

export interface CheckTiming {
  readonly intervalMs: number;
  readonly fastIntervalMs: number;
  readonly rise: number;
  readonly fall: number;
}

/** Options every server of a listen shares (`default-server`). */
export interface ServerDefaults {
  readonly check: CheckTiming;
  /** `on-marked-down shutdown-sessions`: cut the sessions of a node marked down so clients reconnect elsewhere at once. */
  readonly shutdownSessionsWhenDown: boolean;
  /** Resolvers section for names that may appear late. @default - resolved once at start-up */
  readonly resolvers?: string;
  /**
   * Health checks speak TLS (`check-ssl verify none`) while traffic passes through untouched: the check proves
   * the node's TLS listener answers, without HAProxy holding the nodes' CA. @default false
   */
  readonly checkOverTls?: boolean;
}

export interface HaproxyServer {
  readonly name: string;
  /** IPv4 address or host name. */
  readonly address: string;
  readonly port: number;
  /** Port the health check connects to (`port`), when it is not the traffic port. @default - the server's port */
  readonly checkPort?: number;
  /**
   * Order of address sources at start-up (`init-addr`); `none` lets HAProxy start with the server
   * down while its name does not resolve yet. @default - libc only (a failure stops HAProxy)
   */
  readonly initAddr?: readonly ('last' | 'libc' | 'none')[];
}

export interface StatsPage {
  readonly uri: string;
  readonly refreshSeconds: number;
}

/**
 * Basic authentication for every request of a listen but its `monitor-uri` (answered before any `http-request` rule):
 * the stats page and the Prometheus exporter alike.
 */
export interface BasicAuth {
  readonly realm: string;
  /** Userlist whose users may pass. */
  readonly userlist: string;
}

export interface HaproxyListen {
  readonly name: string;
  /** Why the section exists, as comment lines. */
  readonly comment: readonly string[];
  readonly mode: 'tcp' | 'http';
  /** Address to bind; '' is every address (the virtual IP included). */
  readonly bind: { readonly address: string; readonly port: number };
  readonly balance?: 'leastconn' | 'roundrobin';
  /** `option tcplog` / `option httplog`. */
  readonly logFormat: 'tcplog' | 'httplog';
  /** Overrides of the defaults' timeouts. */
  readonly timeouts?: HaproxyTimeouts;
  /** `option clitcpka`/`srvtcpka` with their probe timings. @default - no TCP keepalive */
  readonly tcpKeepalive?: TcpKeepalive;
  readonly healthCheck?: HealthCheck;
  readonly serverDefaults?: ServerDefaults;
  readonly servers: readonly HaproxyServer[];
  /** `monitor-uri`: answers 200 without authentication, 503 when `monitorFailWithoutServersIn` has no server up. */
  readonly monitor?: { readonly uri: string; readonly failWithoutServersIn: string };
  /** Required before the Prometheus exporter and the stats page. @default - none */
  readonly auth?: BasicAuth;
  /** Path served by HAProxy's Prometheus exporter. */
  readonly prometheusPath?: string;
  readonly stats?: StatsPage;
}
