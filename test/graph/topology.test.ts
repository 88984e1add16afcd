/**
 * The topology view: what it draws for the topology example (exchanges with their types, bindings with keys and
 * header matches, dead-letter routes apart, federation and shovel links) and the marks it puts on the drawing.
 */
import { describe, expect, it } from 'vitest';
import { renderDot, renderMermaid, topologyDiagram, type Diagram } from '../../graph';
import { resolveCluster, type ClusterSpec } from '../../model';
import { loadExample } from '../support/fixtures';

const nodeNamed = (d: Diagram, name: string) => {
  const found = d.nodes.filter((n) => n.lines[0] === name);
  expect(found, name).toHaveLength(1);
  return found[0]!;
};
const edgesBetween = (d: Diagram, from: string, to: string) => d.edges.filter((e) => e.from === nodeNamed(d, from).id && e.to === nodeNamed(d, to).id);

describe('topology view of examples/topology-4.3.yaml', () => {
  const diagram = topologyDiagram(resolveCluster(loadExample('topology-4.3.yaml') as ClusterSpec));

  it('draws one group per vhost, with its default queue type', () => {
    expect(diagram.groups.map((g) => g.label)).toEqual([
      'vhost / (default queue type quorum)',
      'vhost analytics (default queue type stream)',
      'vhost payments (default queue type quorum)',
      'other brokers',
    ]);
  });

  it('labels exchanges with their type and queues with their type and key arguments', () => {
    expect(nodeNamed(diagram, 'by-region').lines).toEqual(['by-region', 'headers exchange']);
    expect(nodeNamed(diagram, 'payments.authorise').lines).toEqual([
      'payments.authorise',
      'quorum queue',
      'dead-lettering at-least-once',
      'delivery limit 10',
      'overflow reject-publish',
      'policy quorum-limits',
      'operator policy no-unbounded-queues',
    ]);
    expect(diagram.nodes.find((n) => n.lines[0] === 'ledger' && n.kind === 'queue')!.lines).toEqual([
      'ledger',
      'stream',
      'max age 30D',
      'max length 20000000000 bytes',
      'policy ledger-retention',
    ]);
  });

  it('labels bindings with their routing key, or the header match of a headers exchange', () => {
    expect(edgesBetween(diagram, 'payments', 'payments.authorise')).toEqual([expect.objectContaining({ kind: 'binding', label: 'payment.*.requested' })]);
    expect(edgesBetween(diagram, 'payments', 'by-region')).toEqual([expect.objectContaining({ kind: 'binding', label: '#' })]);
    expect(edgesBetween(diagram, 'by-region', 'payments.eu')).toEqual([expect.objectContaining({ kind: 'binding', label: 'x-match any: region=eu, country=de' })]);
  });

  it('draws dead-letter routes as their own kind, from the queue arguments; the dead-letter queue\'s policy gives it none', () => {
    expect(edgesBetween(diagram, 'payments.authorise', 'payments.dlx')).toEqual([expect.objectContaining({ kind: 'dead-letter', label: 'dead letters, key authorise' })]);
    expect(nodeNamed(diagram, 'payments.authorise.dead').lines).toContain('policy dead-letter-queues');
    expect(diagram.edges.filter((e) => e.from === nodeNamed(diagram, 'payments.authorise.dead').id)).toEqual([]);
  });

  it('draws the federation upstream and the shovel as links to other brokers, naming the secret source, never a URI', () => {
    expect(nodeNamed(diagram, 'upstream us-east').lines).toEqual(['upstream us-east', 'env:US_EAST_AMQP_URI', 'max hops 2']);
    expect(edgesBetween(diagram, 'upstream us-east', 'payments')).toEqual([
      expect.objectContaining({ kind: 'link', label: 'federation from exchange payments (policy federate-payments)' }),
    ]);
    expect(edgesBetween(diagram, 'payments.eu', 'broker at file:secrets/dr-site-uri')).toEqual([
      expect.objectContaining({ kind: 'link', label: 'shovel ledger-to-dr to exchange payments' }),
    ]);
  });

  it('marks nothing: the example is a correct one (test/topology/routing.test.ts keeps its former cycle)', () => {
    expect(diagram.nodes.filter((n) => n.marks.length > 0).map((n) => [n.lines[0], n.marks])).toEqual([]);
  });
});

describe('marks', () => {
  const cluster = resolveCluster({
    name: 'marks',
    nodes: 3,
    plugins: ['rabbitmq_management', 'rabbitmq_prometheus', 'rabbitmq_federation'],
    topology: {
      federationUpstreams: [{ name: 'idle', uri: 'env:IDLE_UPSTREAM_URI' }],
      exchanges: [
        { name: 'orders', type: 'direct' },
        { name: 'retry', type: 'direct' },
        { name: 'lonely', type: 'fanout' },
      ],
      queues: [
        { name: 'work', messageTtlMs: 1000, deadLetterExchange: 'retry', deadLetterRoutingKey: 'wait' },
        { name: 'wait', messageTtlMs: 5000, deadLetterExchange: 'orders', deadLetterRoutingKey: 'work' },
        { name: 'forgotten' },
        { name: 'elsewhere', deadLetterExchange: 'orders', deadLetterRoutingKey: 'nothing-bound' },
      ],
      bindings: [
        { source: 'orders', destination: 'work', routingKey: 'work' },
        { source: 'retry', destination: 'wait', routingKey: 'wait' },
      ],
    },
  } as ClusterSpec);
  const diagram = topologyDiagram(cluster);
  const marks = Object.fromEntries(diagram.nodes.filter((n) => n.marks.length > 0).map((n) => [n.lines[0], n.marks]));

  it('marks a dead-letter cycle on every queue in it, a queue nothing routes to, an exchange without bindings and an unused upstream', () => {
    expect(marks).toEqual({
      work: ['dead-letter cycle work → wait → work'],
      wait: ['dead-letter cycle work → wait → work'],
      forgotten: ['nothing routes here: no binding, dead-letter route or link'],
      elsewhere: ['nothing routes here: no binding, dead-letter route or link'],
      lonely: ['no bindings: what is published here is dropped'],
      'upstream idle': ['no policy names this upstream: nothing is federated from it'],
    });
  });

  it('shows the marks in both renderings, the marked nodes styled apart', () => {
    const mermaid = renderMermaid(diagram);
    const dot = renderDot(diagram);
    const work = diagram.nodes.find((n) => n.lines[0] === 'work')!;
    expect(mermaid).toContain(`${work.id}[("work<br/>quorum queue<br/>TTL 1000 ms<br/>⚠ dead-letter cycle work → wait → work")]`);
    expect(mermaid).toMatch(/^ {2}class (\w+,){5}\w+ marked$/m);
    expect(dot).toContain(`${work.id} [shape=cylinder, style=filled, fillcolor="#e3f2fd", label="work\\nquorum queue\\nTTL 1000 ms\\n⚠ dead-letter cycle work → wait → work", color="#c62828", penwidth=3, fontcolor="#c62828"];`);
  });

  it('follows routing keys: a key no binding matches closes no cycle', () => {
    const open = resolveCluster({
      name: 'open',
      nodes: 3,
      topology: {
        exchanges: [{ name: 'events', type: 'topic' }],
        queues: [
          { name: 'a', deadLetterExchange: 'events', deadLetterRoutingKey: 'dead.a' },
          { name: 'b', deadLetterExchange: 'events', deadLetterRoutingKey: 'x.y' },
        ],
        bindings: [
          { source: 'events', destination: 'a', routingKey: 'live.#' },
          { source: 'events', destination: 'b', routingKey: 'dead.*' },
        ],
      },
    } as ClusterSpec);
    expect(topologyDiagram(open).nodes.flatMap((n) => n.marks)).toEqual([]);
  });
});

describe('Mermaid text', () => {
  it('escapes what Mermaid would read as syntax: quotes, #, < and >', () => {
    const cluster = resolveCluster({
      name: 'escape',
      nodes: 3,
      topology: {
        exchanges: [{ name: 'events', type: 'topic' }],
        queues: [{ name: 'all"<events>' }],
        bindings: [{ source: 'events', destination: 'all"<events>', routingKey: '#' }],
      },
    } as ClusterSpec);
    const text = renderMermaid(topologyDiagram(cluster));
    expect(text).toContain('[("all#34;#60;events#62;<br/>quorum queue")]');
    expect(text).toContain('-->|"#35;"|');
  });
});
