/**
 * The tables behind warren plan's verdicts: RabbitMQ's upgrade paths between every pair of lines, a classifier
 * for every part of a snapshot (so a new field of the resolved cluster cannot go unclassified), and the claim
 * that node-config changes are those that change rabbitmq.conf while live ones leave it alone.
 */
import { describe, expect, it } from 'vitest';
import { classifierFor, CLASSIFIERS } from '../../model/plan/classify';
import { UPGRADE_PATHS, upgradeChain, versionChange } from '../../model/plan/upgrade-path';
import { planChanges, planSnapshotOf, resolveCluster, SUPPORTED_LINES, type ClusterSpec } from '../../model/internal';
import { EXAMPLES_DIR, exampleNames, loadExample } from '../support/fixtures';

describe('upgrade paths', () => {
  const pairs = SUPPORTED_LINES.flatMap((from) => SUPPORTED_LINES.filter((to) => to !== from).map((to) => ({ from, to })));

  it.each(pairs)('GIVEN $from -> $to WHEN classified THEN a migration exactly where RabbitMQ supports the step, else rejected with a chain that works', ({ from, to }) => {
    const change = versionChange(from, to)!;
    const supported = UPGRADE_PATHS[from].includes(to);
    expect(change.class).toBe(supported ? 'migration' : 'rejected');
    if (supported || SUPPORTED_LINES.indexOf(to) < SUPPORTED_LINES.indexOf(from)) return;
    const chain = upgradeChain(from, to)!;
    expect(chain[0]).toBe(from);
    expect(chain.at(-1)).toBe(to);
    for (let i = 1; i < chain.length; i++) expect(UPGRADE_PATHS[chain[i - 1]!]).toContain(chain[i]);
    expect(change.fix).toContain(`upgrade one line at a time: ${chain.join(' -> ')}`);
  });

  it('GIVEN the docs table (rabbitmq-website 0acf2a4, docs/upgrade.md) WHEN compared THEN the same steps', () => {
    expect(Object.entries(UPGRADE_PATHS).flatMap(([from, tos]) => tos.map((to) => `${from} -> ${to}`))).toEqual([
      '3.10 -> 3.11',
      '3.11 -> 3.12',
      '3.12 -> 3.13',
      '3.13 -> 4.0',
      '3.13 -> 4.1',
      '3.13 -> 4.2',
      '4.0 -> 4.1',
      '4.0 -> 4.2',
      '4.1 -> 4.2',
      '4.2 -> 4.3',
    ]);
  });

  it('GIVEN the same line with and without a patch WHEN classified THEN a rolling restart that warns against a downgrade, never a rejection', () => {
    expect(versionChange('4.3', '4.3.6')!.class).toBe('rolling restart');
    expect(versionChange('4.3.6', '4.3')!.fix).toBe('make sure it is not older than the running release (RabbitMQ does not support downgrades), then restart one node at a time onto it');
    expect(versionChange('3.11', '3.12')!.reason).toContain('the nodes must run 3.11.18 or later');
  });
});

describe('classifiers', () => {
  /** Every leaf of a snapshot as pattern segments, list items as `[]`. */
  function leaves(value: unknown, at: string[] = []): string[][] {
    if (Array.isArray(value)) return value.length === 0 ? [[...at, '[]']] : value.flatMap((item) => leaves(item, [...at, '[]']));
    if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([key, child]) => leaves(child, [...at, key]));
    return [at];
  }

  it.each(exampleNames())('GIVEN example %s WHEN snapshot THEN every leaf of it has a classifier (a new field of the resolved cluster cannot go unclassified)', (name) => {
    const snapshot = planSnapshotOf(resolveCluster(loadExample(name) as ClusterSpec));
    const missing = leaves(snapshot).filter((segments) => classifierFor(segments) === undefined).map((segments) => segments.join('.'));
    expect([...new Set(missing)], `${EXAMPLES_DIR}/${name}`).toEqual([]);
  });

  it('GIVEN any path WHEN looked up THEN its nearest classified ancestor answers', () => {
    expect(classifierFor(['topology', 'queues', '[]', 'arguments', 'x-foo.bar'])).toBe(CLASSIFIERS['topology.queues[].arguments']);
    expect(classifierFor(['loadBalancer', 'haproxy', 'maxconn'])).toBe(CLASSIFIERS.loadBalancer);
    expect(classifierFor(['somethingNew'])).toBeUndefined();
  });
});

describe('node configuration versus live changes', () => {
  const BASE: ClusterSpec = { name: 'orders', rabbitmq: { version: '4.3' }, nodes: 3, loadBalancer: {} };
  const conf = (spec: ClusterSpec) => planSnapshotOf(resolveCluster(spec)).rabbitmqConf;
  const CHANGES: readonly [string, ClusterSpec][] = [
    ['heartbeat', { ...BASE, heartbeatSeconds: 30 }],
    ['memory watermark', { ...BASE, resources: { memoryHighWatermark: '2GiB' } }],
    ['disk limit', { ...BASE, resources: { diskFreeLimit: 1.5 } }],
    ['AMQP port', { ...BASE, ports: { amqp: 5673 } }],
    ['default queue type', { ...BASE, queues: { defaultType: 'classic' } }],
    ['a policy', { ...BASE, topology: { policies: [{ name: 'ttl', pattern: '.*', definition: { 'message-ttl': 1000 } }] } }],
    ['a queue', { ...BASE, topology: { queues: [{ name: 'q' }] } }],
    ['a user', { ...BASE, topology: { users: [{ name: 'app' }] } }],
    ['a plugin', { ...BASE, plugins: ['rabbitmq_management', 'rabbitmq_prometheus', 'rabbitmq_shovel'] }],
    ['the load balancer', { ...BASE, loadBalancer: { balance: 'roundrobin' } }],
  ];

  it.each(CHANGES)('GIVEN %s changed WHEN planned THEN it needs a restart exactly when it changes rabbitmq.conf', (_what, after) => {
    const changes = planChanges(planSnapshotOf(resolveCluster(BASE)), planSnapshotOf(resolveCluster(after)));
    expect(changes.length).toBeGreaterThan(0);
    const restarts = changes.some((c) => c.class === 'rolling restart');
    expect(restarts).toBe(JSON.stringify(conf(BASE)) !== JSON.stringify(conf(after)));
  });
});
