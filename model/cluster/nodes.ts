/** Derivations shared by validation and resolution, so both see the same host names. */
import type { ParsedSpec } from '../spec';

export interface NodeHost {
  readonly host: string;
  readonly address?: string;
}

/** Hosts of the RabbitMQ nodes: the explicit list, or `<name>-1` .. `<name>-N`. */
export function nodeHostsOf(spec: Pick<ParsedSpec, 'name' | 'nodes'>): NodeHost[] {
  if (typeof spec.nodes === 'number') {
    return Array.from({ length: spec.nodes }, (_, i) => ({ host: `${spec.name}-${i + 1}` }));
  }
  return spec.nodes.map((node) => ({ ...node }));
}

/** Listener ports of one node; the CLI tools also use distribution + 10000 .. + 10010. */
export function cliPortRange(distributionPort: number): readonly [number, number] {
  return [distributionPort + 10000, distributionPort + 10010];
}
