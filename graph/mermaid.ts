/** Renders a diagram as a Mermaid flowchart (pure): what GitHub, GitLab and most Markdown viewers draw inline. */
import type { Diagram, DiagramNode, EdgeKind, NodeKind } from './diagram';

/** Mermaid reads `#name;` as an entity, quotes end a label, and `<`/`>` would be HTML. */
function text(value: string): string {
  return value.replace(/[#"<>&]/g, (c) => `#${c.charCodeAt(0)};`);
}

const SHAPES: Record<NodeKind, readonly [string, string]> = {
  exchange: ['{{', '}}'],
  queue: ['[(', ')]'],
  remote: ['[[', ']]'],
  actor: ['([', '])'],
  'virtual-ip': ['((', '))'],
  'load-balancer': ['[/', '\\]'],
  broker: ['[', ']'],
  service: ['[/', '/]'],
  note: ['>', ']'],
};

const ARROWS: Record<EdgeKind, string> = {
  binding: '-->',
  'dead-letter': '-.->',
  retry: '-.->',
  alternate: '-.->',
  link: '==>',
  traffic: '-->',
  vrrp: '-.->',
};

/** Colours for the kinds drawn apart: dead letters red, retries orange, links to other brokers blue. */
const EDGE_STYLES: Partial<Record<EdgeKind, string>> = {
  'dead-letter': 'stroke:#c62828,color:#c62828',
  retry: 'stroke:#ef6c00,color:#ef6c00',
  alternate: 'stroke:#757575',
  link: 'stroke:#1565c0,color:#1565c0',
};

function nodeLine(node: DiagramNode): string {
  const [open, close] = SHAPES[node.kind];
  const lines = [...node.lines, ...node.marks.map((m) => `⚠ ${m}`)].map(text);
  return `${node.id}${open}"${lines.join('<br/>')}"${close}`;
}

export function renderMermaid(diagram: Diagram): string {
  const out: string[] = ['---', `title: ${JSON.stringify(diagram.title)}`, '---', `flowchart ${diagram.direction}`];
  const childrenOf = (parent: string | undefined) => diagram.groups.filter((g) => g.parent === parent);
  const emit = (group: string | undefined, indent: string) => {
    for (const node of diagram.nodes.filter((n) => n.group === group)) out.push(`${indent}${nodeLine(node)}`);
    for (const child of childrenOf(group)) {
      out.push(`${indent}subgraph ${child.id}["${text(child.label)}"]`);
      emit(child.id, `${indent}  `);
      out.push(`${indent}end`);
    }
  };
  emit(undefined, '  ');
  diagram.edges.forEach((edge) => {
    out.push(`  ${edge.from} ${ARROWS[edge.kind]}${edge.label === undefined ? '' : `|"${text(edge.label)}"|`} ${edge.to}`);
  });
  for (const [kind, style] of Object.entries(EDGE_STYLES)) {
    const indexes = diagram.edges.flatMap((e, i) => (e.kind === kind ? [i] : []));
    if (indexes.length > 0) out.push(`  linkStyle ${indexes.join(',')} ${style}`);
  }
  const marked = diagram.nodes.filter((n) => n.marks.length > 0).map((n) => n.id);
  if (marked.length > 0) out.push('  classDef marked stroke:#c62828,stroke-width:3px,color:#c62828', `  class ${marked.join(',')} marked`);
  return `${out.join('\n')}\n`;
}
