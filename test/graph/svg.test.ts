/**
 * SVG through the WebAssembly Graphviz: well-formed XML (checked by xmllint, libxml2's own parser) holding
 * every node and edge of the diagram, for every example and view; and how long 1,000 queues take to draw.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { diagramsOf, renderDot, renderMermaid, renderSvg, topologyDiagram, type Diagram } from '../../graph';
import { resolveCluster, type ClusterSpec } from '../../model';
import { exampleNames, loadExample } from '../support/fixtures';

const XMLLINT = '/usr/bin/xmllint';

function decode(text: string): string {
  return text.replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code))).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

/** The title of every node and edge group Graphviz wrote: node ids, and `from->to` for edges. */
function titlesOf(svg: string, kind: 'node' | 'edge'): string[] {
  return [...svg.matchAll(new RegExp(`<g id="${kind}\\d+" class="${kind}">\\s*<title>([^<]*)</title>`, 'g'))].map((m) => decode(m[1]!));
}

async function checkSvg(diagram: Diagram, rendered?: string): Promise<string> {
  const svg = rendered ?? (await renderSvg(renderDot(diagram)));
  execFileSync(XMLLINT, ['--noout', '--nonet', '-'], { input: svg });
  expect(titlesOf(svg, 'node').sort()).toEqual(diagram.nodes.map((n) => n.id).sort());
  expect(titlesOf(svg, 'edge').sort()).toEqual(diagram.edges.map((e) => `${e.from}->${e.to}`).sort());
  // Graphviz writes each line of a label as its own <text>.
  const texts = new Set([...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => decode(m[1]!)));
  const missing = [
    ...diagram.nodes.flatMap((n) => [...n.lines, ...n.marks.map((m) => `⚠ ${m}`)]),
    ...diagram.edges.flatMap((e) => (e.label === undefined ? [] : [e.label])),
  ].filter((line) => !texts.has(line));
  expect(missing).toEqual([]);
  return svg;
}

describe('SVG', () => {
  for (const example of exampleNames()) {
    it(`${example}: every view is well-formed XML with every node, edge and label of the diagram`, async () => {
      for (const diagram of diagramsOf(resolveCluster(loadExample(example) as ClusterSpec))) await checkSvg(diagram);
    });
  }

  it('refuses a DOT text Graphviz cannot read, with Graphviz\'s own message', async () => {
    await expect(renderSvg('digraph { a -> }')).rejects.toThrow(/^Graphviz could not lay out the diagram: .*syntax error/);
  });
});

describe('a topology of 1,000 queues', () => {
  const spec = {
    name: 'large',
    nodes: 3,
    topology: {
      vhosts: [{ name: 'orders' }],
      exchanges: [...Array.from({ length: 10 }, (_, i) => ({ name: `orders-${i}`, vhost: 'orders', type: 'topic' })), { name: 'dlx', vhost: 'orders', type: 'direct' }],
      queues: Array.from({ length: 1000 }, (_, i) => ({ name: `queue-${i}`, vhost: 'orders', deliveryLimit: 5, deadLetterExchange: 'dlx', deadLetterRoutingKey: `dead-${i % 10}` })),
      bindings: [
        ...Array.from({ length: 1000 }, (_, i) => ({ vhost: 'orders', source: `orders-${i % 10}`, destination: `queue-${i}`, routingKey: `order.${i}.*` })),
        ...Array.from({ length: 10 }, (_, i) => ({ vhost: 'orders', source: 'dlx', destination: `queue-${i}`, routingKey: `dead-${i}` })),
      ],
    },
  } as ClusterSpec;
  const cluster = resolveCluster(spec);

  it('draws as SVG with every node and edge, laid out in under 10 s of CPU (dot with its default limits takes several times that)', async () => {
    const diagram = topologyDiagram(cluster);
    expect(diagram.nodes).toHaveLength(1012);
    expect(diagram.edges).toHaveLength(2010);
    // Once: the layout blocks the test worker for as long as it runs.
    const start = process.cpuUsage();
    const svg = await renderSvg(renderDot(diagram));
    const used = process.cpuUsage(start);
    const cpuMs = (used.user + used.system) / 1000;
    console.log(`1,000 queues as SVG: ${cpuMs.toFixed(0)} ms of CPU`);
    expect(cpuMs).toBeLessThan(10_000);
    await checkSvg(diagram, svg);
  }, 120_000);

  /** Median CPU time of three runs: CPU, not wall time, since brokers and other test runs share the machine. */
  async function medianCpuMs(work: () => unknown): Promise<{ median: number; runs: number[] }> {
    const runs: number[] = [];
    for (let run = 0; run < 3; run++) {
      const start = process.cpuUsage();
      await work();
      const used = process.cpuUsage(start);
      runs.push((used.user + used.system) / 1000);
    }
    return { median: [...runs].sort((a, b) => a - b)[1]!, runs };
  }

  it('draws as text (diagram, Mermaid and DOT, what synth writes) in under 2 s of CPU', async () => {
    const { median, runs } = await medianCpuMs(() => {
      const diagram = topologyDiagram(cluster);
      return [renderMermaid(diagram), renderDot(diagram)];
    });
    console.log(`1,000 queues as Mermaid and DOT: ${runs.map((ms) => ms.toFixed(0)).join(', ')} ms of CPU`);
    expect(median).toBeLessThan(2000);
  });

});
