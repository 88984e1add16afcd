/**
 * Which sources each VM host admits, as data: derived from the resolved cluster (peers, load balancers,
 * listeners, the majority agent) and the firewall's networks. vm/firewall.ts renders it as nftables; the lab's
 * scan reads the same list to know which ports must answer.
 */
import type { Listener } from '../cluster/listeners';
import { inSubnet } from '../core/network';
import type { ResolvedFirewall } from './resolve';

export type PortRange = readonly [first: number, last: number];

/**
 * Ports osiris (RabbitMQ streams) replicates on between nodes: its default `port_range`, which warren does
 * not change.
 */
export const STREAM_REPLICATION_PORTS: PortRange = [6000, 6500];

export type FirewallMatch =
  | { readonly kind: 'tcp'; readonly ports: readonly (number | PortRange)[] }
  /** IP protocol 112: Keepalived's adverts, unicast or multicast. */
  | { readonly kind: 'vrrp' };

export interface FirewallAllow {
  /** Why the rule exists, in the domain's words; becomes the rule's comment. */
  readonly purpose: string;
  /** IPv4 addresses and CIDR networks, without duplicates, in the order they were named. */
  readonly sources: readonly string[];
  readonly match: FirewallMatch;
}

export interface HostFirewall {
  readonly host: string;
  readonly role: 'node' | 'load-balancer';
  /** Admitted on top of loopback, established/related traffic and ICMP; everything else is dropped. */
  readonly allows: readonly FirewallAllow[];
}

/** What the rules are derived from: the same fields on a resolved cluster. */
export interface FirewallSource {
  readonly nodes: readonly { readonly host: string; readonly address?: string }[];
  readonly ports: { readonly epmd: number; readonly distribution: number };
  readonly listeners: readonly Listener[];
  readonly loadBalancer?: {
    readonly hosts: readonly { readonly host: string; readonly address: string }[];
    readonly virtualIp?: unknown;
    readonly haproxy: { readonly statsPort: number };
  };
  readonly majorityCheck?: { readonly agentPort: number };
  readonly firewall?: ResolvedFirewall;
}

const unique = (items: readonly string[]) => [...new Set(items)];

function allow(purpose: string, sources: readonly string[], match: FirewallMatch): FirewallAllow[] {
  const distinct = unique(sources);
  return distinct.length > 0 ? [{ purpose, sources: distinct, match }] : [];
}

const tcp = (...ports: (number | PortRange)[]): FirewallMatch => ({ kind: 'tcp', ports });

function nodeAllows(cluster: FirewallSource, firewall: ResolvedFirewall, self: string): FirewallAllow[] {
  const peers = cluster.nodes.filter((n) => n.host !== self).map((n) => n.address!);
  const balancers = (cluster.loadBalancer?.hosts ?? []).map((h) => h.address);
  const { listeners } = cluster;
  // Each family's plain and TLS ports alike (tls.listeners decides which the node opens).
  const portsOf = (family: Listener['family']) => listeners.filter((l) => l.family === family).map((l) => l.port);
  const amqpPorts = portsOf('amqp');
  const management = portsOf('management');
  const prometheus = portsOf('prometheus');
  const stream = portsOf('stream');
  return [
    ...allow('ssh from admins', firewall.admins, tcp(firewall.sshPort)),
    ...allow('epmd and Erlang distribution from the cluster\'s nodes', peers, tcp(cluster.ports.epmd, cluster.ports.distribution)),
    ...(stream.length > 0 ? allow('stream replication from the cluster\'s nodes', peers, tcp(STREAM_REPLICATION_PORTS)) : []),
    ...allow('AMQP from clients and the load balancers', [...firewall.clients, ...balancers], tcp(...amqpPorts)),
    ...(management.length > 0 ? allow('management API from the load balancers and admins', [...balancers, ...firewall.admins], tcp(...management)) : []),
    ...(prometheus.length > 0 ? allow('Prometheus metrics from monitoring', firewall.monitoring, tcp(...prometheus)) : []),
    // Stream clients reconnect to the node that leads their stream: no balancer stands in front.
    ...(stream.length > 0 ? allow('stream protocol from clients', firewall.clients, tcp(...stream)) : []),
    ...(cluster.majorityCheck ? allow('majority agent from the load balancers\' health checks', balancers, tcp(cluster.majorityCheck.agentPort)) : []),
  ];
}

function loadBalancerAllows(cluster: FirewallSource, firewall: ResolvedFirewall, self: string): FirewallAllow[] {
  const lb = cluster.loadBalancer!;
  const others = lb.hosts.filter((h) => h.host !== self).map((h) => h.address);
  const balanced = cluster.listeners.filter((l) => l.access === 'balanced');
  const forClients = balanced.filter((l) => l.audience === 'clients').map((l) => l.port);
  const forOperators = balanced.filter((l) => l.audience === 'operators').map((l) => l.port);
  return [
    ...allow('ssh from admins', firewall.admins, tcp(firewall.sshPort)),
    ...(lb.virtualIp !== undefined ? allow('VRRP adverts from the other load balancers', others, { kind: 'vrrp' }) : []),
    ...allow('HAProxy AMQP frontends from clients', firewall.clients, tcp(...forClients)),
    ...(forOperators.length > 0 ? allow('HAProxy management frontend from admins', firewall.admins, tcp(...forOperators)) : []),
    ...allow('HAProxy stats page and metrics from admins and monitoring', [...firewall.admins, ...firewall.monitoring], tcp(lb.haproxy.statsPort)),
  ];
}

/** Every VM host's admitted traffic, nodes first; none when the firewall is off. */
export function hostFirewallsOf(cluster: FirewallSource): HostFirewall[] {
  const { firewall } = cluster;
  if (!firewall) return [];
  return [
    ...cluster.nodes.map((n): HostFirewall => ({ host: n.host, role: 'node', allows: nodeAllows(cluster, firewall, n.host) })),
    ...(cluster.loadBalancer?.hosts ?? []).map((h): HostFirewall => ({ host: h.host, role: 'load-balancer', allows: loadBalancerAllows(cluster, firewall, h.host) })),
  ];
}

/** The TCP ports a host admits from `source` (an IPv4 address), in ascending order. */
export function tcpPortsOpenTo(host: HostFirewall, source: string): number[] {
  const ports = new Set<number>();
  for (const a of host.allows) {
    if (a.match.kind !== 'tcp') continue;
    if (!a.sources.some((s) => (s.includes('/') ? inSubnet(source, s) : s === source))) continue;
    for (const p of a.match.ports) {
      if (typeof p === 'number') ports.add(p);
      else for (let q = p[0]; q <= p[1]; q++) ports.add(q);
    }
  }
  return [...ports].sort((x, y) => x - y);
}
