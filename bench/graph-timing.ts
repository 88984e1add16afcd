/**
 * How long `warren graph` takes to draw the large topology (1,000 queues, test/graph/large-topology.ts):
 * CPU time in this process, as SVG (WebAssembly Graphviz; the first run, which compiles the module, is not
 * counted) and as text (the diagram model, Mermaid and DOT: what `warren synth` writes).
 */
import { renderDot, renderMermaid, renderSvg, topologyDiagram } from '../graph';
import { resolveCluster } from '../model';
import { largeTopologySpec } from '../test/graph/large-topology';
import { figure, log, type Figure } from './figures';

export interface GraphFigures {
  readonly queues: number;
  readonly nodes: number;
  readonly edges: number;
  readonly svgCpuMs: Figure;
  readonly textCpuMs: Figure;
}

async function cpuMs(work: () => unknown): Promise<number> {
  const start = process.cpuUsage();
  await work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

export async function measureGraph(runs: number): Promise<GraphFigures> {
  const cluster = resolveCluster(largeTopologySpec());
  const diagram = topologyDiagram(cluster);
  await renderSvg(renderDot(diagram));
  const svg: number[] = [];
  const text: number[] = [];
  for (let run = 0; run < runs; run++) {
    svg.push(await cpuMs(() => renderSvg(renderDot(topologyDiagram(cluster)))));
    text.push(await cpuMs(() => {
      const d = topologyDiagram(cluster);
      return [renderMermaid(d), renderDot(d)];
    }));
  }
  const figures = { queues: cluster.topology.queues.length, nodes: diagram.nodes.length, edges: diagram.edges.length, svgCpuMs: figure(svg, { resolutionMs: 0.001 }), textCpuMs: figure(text, { resolutionMs: 0.001 }) }; // process.cpuUsage() counts microseconds
  log(`graph of ${figures.queues} queues (${figures.nodes} nodes, ${figures.edges} edges): SVG median ${figures.svgCpuMs.median} ms CPU (runs ${svg.map((ms) => ms.toFixed(0)).join(', ')}), text median ${figures.textCpuMs.median} ms CPU`);
  return figures;
}
