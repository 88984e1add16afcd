/** Renders a diagram as Graphviz DOT (pure): for `dot -Tsvg`, and what warren graph lays out as SVG. */
import type { Diagram, DiagramNode, EdgeKind, NodeKind } from './diagram';

function quoted(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

const NODE_ATTRIBUTES: Record<NodeKind, string> = {
  exchange: 'shape=hexagon, style=filled, fillcolor="#fff3e0"',
  queue: 'shape=cylinder, style=filled, fillcolor="#e3f2fd"',
  remote: 'shape=box3d, style=filled, fillcolor="#ede7f6"',
  actor: 'shape=oval, style=filled, fillcolor="#f5f5f5"',
  'virtual-ip': 'shape=ellipse, peripheries=2, style=filled, fillcolor="#fffde7"',
  'load-balancer': 'shape=box, style=filled, fillcolor="#e8f5e9"',
  broker: 'shape=box, style="rounded,filled", fillcolor="#fbe9e7"',
  service: 'shape=parallelogram, style=filled, fillcolor="#e0f7fa"',
  note: 'shape=note',
};

const EDGE_ATTRIBUTES: Record<EdgeKind, string> = {
  binding: '',
  'dead-letter': 'style=dashed, color="#c62828", fontcolor="#c62828"',
  retry: 'style=dashed, color="#ef6c00", fontcolor="#ef6c00"',
  alternate: 'style=dotted, color="#757575"',
  link: 'style=bold, color="#1565c0", fontcolor="#1565c0"',
  traffic: '',
  vrrp: 'style=dashed',
};

function nodeStatement(node: DiagramNode): string {
  const label = [...node.lines, ...node.marks.map((m) => `⚠ ${m}`)].join('\n');
  const marked = node.marks.length > 0 ? ', color="#c62828", penwidth=3, fontcolor="#c62828"' : '';
  return `${node.id} [${NODE_ATTRIBUTES[node.kind]}, label=${quoted(label)}${marked}];`;
}

/**
 * Above this many nodes, dot's crossing minimisation and network simplex dominate: cap their iterations and
 * draw straight edges. Edge labels stay labels (dot ranks them as nodes of their own, so none overlaps):
 * placing them after the layout as xlabels took 2.2 s of the 2.9 s a 1,000-queue topology took and left 635
 * pairs of texts overlapping; as labels the whole drawing takes about 0.4 s (`npm run bench`, BENCH_ONLY=graph).
 */
export const LARGE_DIAGRAM_NODES = 300;
const LARGE_LAYOUT = ', mclimit=0.01, nslimit=0.1, nslimit1=0.1, remincross=false, splines=line';

export function renderDot(diagram: Diagram): string {
  const large = diagram.nodes.length > LARGE_DIAGRAM_NODES ? LARGE_LAYOUT : '';
  const out: string[] = [
    `digraph ${quoted(diagram.name)} {`,
    `  graph [rankdir=${diagram.direction}, label=${quoted(diagram.title)}, labelloc=t, fontname="Helvetica", fontsize=14${large}];`,
    '  node [fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  const emit = (group: string | undefined, indent: string) => {
    for (const node of diagram.nodes.filter((n) => n.group === group)) out.push(`${indent}${nodeStatement(node)}`);
    for (const child of diagram.groups.filter((g) => g.parent === group)) {
      out.push(`${indent}subgraph cluster_${child.id} {`, `${indent}  label=${quoted(child.label)};`, `${indent}  style=rounded;`);
      emit(child.id, `${indent}  `);
      out.push(`${indent}}`);
    }
  };
  emit(undefined, '  ');
  for (const edge of diagram.edges) {
    const attributes = [EDGE_ATTRIBUTES[edge.kind], edge.label === undefined ? '' : `label=${quoted(edge.label)}`].filter((a) => a !== '').join(', ');
    out.push(`  ${edge.from} -> ${edge.to}${attributes === '' ? '' : ` [${attributes}]`};`);
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}
