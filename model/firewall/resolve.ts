/** The resolved firewall: present only when enabled, with the networks the spec names. */
import type { ParsedSpec } from '../spec';

export interface ResolvedFirewall {
  /** Networks of the applications (CIDR). */
  readonly clients: readonly string[];
  /** Networks of the operators (CIDR): ssh and the management API. */
  readonly admins: readonly string[];
  /** Networks of the Prometheus servers (CIDR). */
  readonly monitoring: readonly string[];
  readonly sshPort: number;
}

export function resolveFirewall(firewall: ParsedSpec['firewall']): ResolvedFirewall | undefined {
  if (!firewall.enabled) return undefined;
  return { clients: firewall.clients, admins: firewall.admins, monitoring: firewall.monitoring, sshPort: firewall.sshPort };
}
