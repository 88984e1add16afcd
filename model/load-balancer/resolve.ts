/**
 * The resolved load balancer: its hosts with their VRRP priorities, the virtual IP, and the HAProxy and
 * Keepalived settings with every default applied and every derived value computed once (idle timeout from
 * the heartbeat, router id from the cluster name).
 */
import { DEFAULT_ADVERT_INTERVAL_MS } from './schema';
import { derivedVirtualRouterId, loadBalancerPriorities, VRRP_PASS_MAX_LENGTH } from './vrrp';
import { GENERATED_LENGTH, parseSecretSource, type SecretRef } from '../secrets/secrets';
import type { ParsedSpec } from '../spec';

type LoadBalancerSpec = NonNullable<ParsedSpec['loadBalancer']>;

export { VRRP_PASS_MAX_LENGTH } from './vrrp';
/** Idle timeout when AMQP heartbeats are off: connections may be silent for long, but not forever. */
const IDLE_TIMEOUT_WITHOUT_HEARTBEAT_SECONDS = 3600;

export interface ResolvedLoadBalancerHost {
  readonly host: string;
  readonly address: string;
  /** VRRP priority: as written, or 100, 90, 80... in the order of hosts. */
  readonly priority: number;
}

export interface ResolvedLoadBalancer {
  readonly balance: 'leastconn' | 'roundrobin';
  readonly hosts: readonly ResolvedLoadBalancerHost[];
  readonly virtualIp?: { readonly address: string; readonly prefixLength: number };
  /** Password of the HAProxy stats page user `stats`. */
  readonly statsPassword: SecretRef;
  readonly haproxy: ResolvedHaproxy;
  readonly keepalived: ResolvedKeepalived;
}

export interface ResolvedHaproxy {
  /** Port of the stats page, `metricsPath` and `healthPath`. */
  readonly statsPort: number;
  readonly maxconn: number;
  readonly check: {
    readonly intervalMs: number;
    readonly fastIntervalMs: number;
    readonly rise: number;
    readonly fall: number;
    readonly timeoutMs: number;
  };
  readonly connectTimeoutMs: number;
  /** Silence allowed on an AMQP connection: as written, or 3 x heartbeat (3600 s without heartbeats). */
  readonly idleTimeoutSeconds: number;
  /** Answers 200 while HAProxy serves and at least one node is up (HAProxy `monitor-uri`); Keepalived checks it. */
  readonly healthPath: '/healthz';
  /** Prometheus exporter of HAProxy's own metrics (not the nodes'). */
  readonly metricsPath: '/metrics';
  /** User of the stats page; the password is `ResolvedLoadBalancer.statsPassword`. */
  readonly statsUser: 'stats';
}

export interface ResolvedKeepalived {
  readonly virtualRouterId: number;
  readonly vrrpVersion: 2 | 3;
  readonly advertIntervalMs: number;
  readonly peering: 'unicast' | 'multicast';
  readonly nopreempt: boolean;
  readonly interface: string;
  /** VRRPv2 PASS authentication, at most 8 characters. */
  readonly authPass?: SecretRef;
  readonly check: {
    readonly intervalSeconds: number;
    readonly rise: number;
    readonly fall: number;
    /** Time without a 200 from HAProxy before one run of the check fails (two refused connections fail it at once). */
    readonly failAfterMs: number;
    /** Priority change on failure (negative) or success (positive); 0 puts a failing host in FAULT. */
    readonly weight: number;
  };
  readonly notify: { readonly master?: string; readonly backup?: string; readonly fault?: string; readonly stop?: string; readonly any?: string };
}

export function resolveHaproxy(lb: LoadBalancerSpec, heartbeatSeconds: number): ResolvedHaproxy {
  const h = lb.haproxy;
  return {
    statsPort: h.statsPort,
    maxconn: h.maxconn,
    check: { intervalMs: h.checkIntervalMs, fastIntervalMs: h.checkFastIntervalMs, rise: h.rise, fall: h.fall, timeoutMs: h.checkTimeoutMs },
    connectTimeoutMs: h.connectTimeoutMs,
    idleTimeoutSeconds: h.idleTimeoutSeconds ?? (heartbeatSeconds > 0 ? 3 * heartbeatSeconds : IDLE_TIMEOUT_WITHOUT_HEARTBEAT_SECONDS),
    healthPath: '/healthz',
    metricsPath: '/metrics',
    statsUser: 'stats',
  };
}

export function resolveKeepalived(lb: LoadBalancerSpec, clusterName: string): ResolvedKeepalived {
  const k = lb.keepalived;
  return {
    virtualRouterId: k.virtualRouterId ?? derivedVirtualRouterId(clusterName),
    vrrpVersion: k.vrrpVersion,
    advertIntervalMs: k.advertIntervalMs ?? DEFAULT_ADVERT_INTERVAL_MS[k.vrrpVersion],
    peering: k.peering,
    nopreempt: k.nopreempt,
    interface: k.interface,
    ...(k.authPass !== undefined && {
      authPass: {
        id: 'keepalived-auth-pass',
        description: `VRRP PASS authentication of the virtual IP (at most ${VRRP_PASS_MAX_LENGTH} characters)`,
        path: 'loadBalancer.keepalived.authPass',
        source: parseSecretSource(k.authPass, VRRP_PASS_MAX_LENGTH),
        generatable: true,
        consumer: 'keepalived',
        carrier: 'config-file',
      },
    }),
    check: {
      intervalSeconds: k.checkIntervalSeconds,
      rise: k.checkRise,
      fall: k.checkFall,
      failAfterMs: k.checkFailAfterMs,
      weight: k.checkWeight ?? 0,
    },
    notify: k.notify,
  };
}

export function resolveLoadBalancer(lb: LoadBalancerSpec, clusterName: string, heartbeatSeconds: number): ResolvedLoadBalancer {
  const [address, prefix] = lb.virtualIp?.split('/') ?? [];
  const priorities = loadBalancerPriorities(lb.hosts);
  return {
    balance: lb.balance,
    hosts: lb.hosts.map((h, i) => ({ host: h.host, address: h.address, priority: priorities[i]! })),
    ...(address && { virtualIp: { address, prefixLength: Number(prefix) } }),
    statsPassword: {
      id: 'haproxy-stats-password',
      description: 'password of the HAProxy stats page user "stats"',
      path: 'loadBalancer.statsPassword',
      source: parseSecretSource(lb.statsPassword, GENERATED_LENGTH.password),
      generatable: true,
      consumer: 'haproxy',
      carrier: 'config-file',
    },
    haproxy: resolveHaproxy(lb, heartbeatSeconds),
    keepalived: resolveKeepalived(lb, clusterName),
  };
}
