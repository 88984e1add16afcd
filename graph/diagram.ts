/**
 * The drawing model every view builds and every renderer reads: nodes with their shape and text lines,
 * edges with their kind, groups (vhosts, targets, hosts) and marks (problems easier seen than read).
 * Views build it once from the resolved cluster; Mermaid and DOT are pure renderings of it.
 */

/** What a node stands for; each renderer gives each kind one shape. */
export type NodeKind =
  | 'exchange'
  | 'queue'
  /** A broker outside this cluster (federation upstream, shovel end). */
  | 'remote'
  /** Applications, operators, scrapers. */
  | 'actor'
  | 'virtual-ip'
  | 'load-balancer'
  /** A RabbitMQ node: a VM host, a container or a pod. */
  | 'broker'
  /** A Kubernetes Service. */
  | 'service'
  | 'note';

/** What an edge carries; each renderer draws each kind one way (dead letters distinctly). */
export type EdgeKind =
  | 'binding'
  | 'dead-letter'
  /** A message the consumer republishes for a later attempt (delay queues before 4.3). */
  | 'retry'
  /** Unroutable messages to an alternate exchange. */
  | 'alternate'
  /** Federation or shovel: messages crossing to or from another broker. */
  | 'link'
  /** Connections to a port. */
  | 'traffic'
  /** Which load balancer holds the virtual IP. */
  | 'vrrp';

export interface DiagramNode {
  /** Unique in the diagram, [a-z0-9_] only: Mermaid and DOT use it as is. */
  readonly id: string;
  readonly kind: NodeKind;
  /** First line is the name; later lines are details. */
  readonly lines: readonly string[];
  readonly group?: string;
  /** Problems to show on the node. */
  readonly marks: readonly string[];
}

export interface DiagramEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
  readonly label?: string;
}

export interface DiagramGroup {
  readonly id: string;
  readonly label: string;
  readonly parent?: string;
}

export interface Diagram {
  /** Also the graph's name in DOT. */
  readonly name: string;
  readonly title: string;
  readonly direction: 'LR' | 'TB';
  readonly groups: readonly DiagramGroup[];
  readonly nodes: readonly DiagramNode[];
  readonly edges: readonly DiagramEdge[];
}

/** Collects a diagram in the order it is built (so output is deterministic); ids are a prefix and a counter. */
export class DiagramBuilder {
  private readonly groups: DiagramGroup[] = [];
  private readonly nodes: { id: string; kind: NodeKind; lines: string[]; group?: string; marks: string[] }[] = [];
  private readonly edges: DiagramEdge[] = [];
  private readonly byKey = new Map<string, string>();
  private readonly byId = new Map<string, { marks: string[] }>();
  private readonly counters = new Map<string, number>();

  constructor(private readonly name: string, private readonly title: string, private readonly direction: 'LR' | 'TB') {}

  private nextId(prefix: string): string {
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    return `${prefix}${n}`;
  }

  group(label: string, parent?: string): string {
    const id = this.nextId('g');
    this.groups.push({ id, label, ...(parent !== undefined && { parent }) });
    return id;
  }

  /** Adds a node under `key` (or returns the one already there); `prefix` starts its id. */
  node(key: string, prefix: string, kind: NodeKind, lines: readonly string[], group?: string): string {
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    const id = this.nextId(prefix);
    this.byKey.set(key, id);
    const node = { id, kind, lines: [...lines], ...(group !== undefined && { group }), marks: [] };
    this.nodes.push(node);
    this.byId.set(id, node);
    return id;
  }

  idOf(key: string): string | undefined {
    return this.byKey.get(key);
  }

  edge(from: string, to: string, kind: EdgeKind, label?: string): void {
    this.edges.push({ from, to, kind, ...(label !== undefined && label !== '' && { label }) });
  }

  mark(id: string, text: string): void {
    const node = this.byId.get(id);
    if (node && !node.marks.includes(text)) node.marks.push(text);
  }

  build(): Diagram {
    return { name: this.name, title: this.title, direction: this.direction, groups: this.groups, nodes: this.nodes, edges: this.edges };
  }
}

/** Every mark of a diagram, as `name: problem` lines. */
export function marksOf(diagram: Diagram): string[] {
  return diagram.nodes.flatMap((n) => n.marks.map((m) => `${n.lines[0]}: ${m}`));
}
