/**
 * VRRP values derived from the spec, shared by the rules and the resolution so that validation and
 * output agree: priorities and the virtual router id.
 */
import type { ParsedSpec } from '../spec';

type LoadBalancerSpec = NonNullable<ParsedSpec['loadBalancer']>;

/** VRRP PASS authentication carries at most 8 characters. */
export const VRRP_PASS_MAX_LENGTH = 8;
/** Each host's VRRP priority: as written, or 100, 90, 80... in the order of hosts. */
export function loadBalancerPriorities(hosts: LoadBalancerSpec['hosts']): number[] {
  return hosts.map((h, i) => h.priority ?? 100 - 10 * i);
}

/** A virtual router id from the cluster name (FNV-1a), so two clusters on one segment rarely collide by default. */
export function derivedVirtualRouterId(clusterName: string): number {
  let hash = 0x811c9dc5;
  for (const char of clusterName) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return (hash % 255) + 1;
}
