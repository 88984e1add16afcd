/** Rules of the `firewall` section: every source a rule needs must be known, and networks written as networks. */
import type { Problem } from '../core/problems';
import { error, type Rule } from '../core/rule';
import { nodeHostsOf } from '../cluster/nodes';

const NETWORK_KEYS = ['clients', 'admins', 'monitoring'] as const;

/** The network address of `cidr`, when its address has bits set beyond the prefix. */
function networkOf(cidr: string): string | undefined {
  const [address, prefixText] = cidr.split('/');
  const prefix = Number(prefixText);
  const value = address!.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const size = 2 ** (32 - prefix);
  const base = Math.floor(value / size) * size;
  if (base === value) return undefined;
  return `${[24, 16, 8, 0].map((shift) => Math.floor(base / 2 ** shift) % 256).join('.')}/${prefix}`;
}

export const firewallRule: Rule = (spec) => {
  const { firewall } = spec;
  const problems: Problem[] = [];
  for (const key of NETWORK_KEYS) {
    firewall[key].forEach((cidr, i) => {
      const network = networkOf(cidr);
      if (network) {
        problems.push(
          error(`firewall.${key}[${i}]`, cidr, `has bits set beyond its prefix length (nft would widen it to ${network}); write "${network}" for the network, or "${cidr.split('/')[0]}/32" for that one host`),
        );
      }
    });
  }
  if (!firewall.enabled) return problems;
  if (firewall.admins.length === 0) {
    problems.push(
      error('firewall.admins', [], 'is empty while firewall.enabled is true: every host would drop ssh and the management API from everyone; give the operators\' networks (e.g. ["10.0.9.0/24"])'),
    );
  }
  if (typeof spec.nodes === 'number') {
    problems.push(
      error('nodes', spec.nodes, 'is a node count, whose hosts have no addresses, while firewall.enabled is true: the rules admit cluster peers by address; list the nodes as { host, address }, or set firewall.enabled to false'),
    );
    return problems;
  }
  nodeHostsOf(spec).forEach((node, i) => {
    if (node.address !== undefined) return;
    problems.push(
      error(`nodes[${i}].address`, undefined, `is missing for ${node.host} while firewall.enabled is true: the rules admit cluster peers by address; give its IPv4 address, or set firewall.enabled to false`),
    );
  });
  return problems;
};
