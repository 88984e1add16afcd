/**
 * The diagrams `warren synth` writes beside the targets: text only (Mermaid inside Markdown, which renders
 * where users read Markdown, and DOT for `dot -Tsvg`), so synth never loads Graphviz.
 */
import type { GeneratedFile, ResolvedCluster } from '../model/internal';
import { marksOf, type Diagram } from './diagram';
import { deploymentDiagram, DEPLOYMENT_TARGETS } from './deployment';
import { renderDot } from './dot';
import { renderMermaid } from './mermaid';
import { topologyDiagram } from './topology';

export const DIAGRAMS_FOLDER = 'diagrams';

/** The topology, then the deployment of each target. */
export function diagramsOf(cluster: ResolvedCluster): Diagram[] {
  return [topologyDiagram(cluster), ...DEPLOYMENT_TARGETS.map((target) => deploymentDiagram(cluster, target))];
}

function markdownOf(cluster: ResolvedCluster, diagrams: readonly Diagram[]): string {
  const sections = diagrams.map((d) => {
    const marks = marksOf(d);
    const list = marks.length > 0 ? `\nMarked on the drawing:\n\n${marks.map((m) => `- ${m}`).join('\n')}\n` : '';
    return `## ${d.title}\n\n\`\`\`mermaid\n${renderMermaid(d)}\`\`\`\n${list}`;
  });
  return [
    `# Diagrams of cluster "${cluster.name}"`,
    '',
    'Written by `warren synth`; the same drawings as DOT beside this file (`dot -Tsvg topology.dot > topology.svg`),',
    'or as SVG with `warren graph --format svg`.',
    '',
    sections.join('\n'),
  ].join('\n');
}

export function diagramFiles(cluster: ResolvedCluster): GeneratedFile[] {
  const diagrams = diagramsOf(cluster);
  return [
    { path: `${DIAGRAMS_FOLDER}/README.md`, content: markdownOf(cluster, diagrams), kind: 'plain' },
    ...diagrams.map((d): GeneratedFile => ({ path: `${DIAGRAMS_FOLDER}/${d.name}.dot`, content: renderDot(d), kind: 'plain' })),
  ];
}
