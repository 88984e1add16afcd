/**
 * Listeners and secret consumers are decided once, in the resolved cluster; targets read them. This test fails
 * when a target decides again on its own (reading the plugin list or TLS's plain listener to pick ports, or
 * filtering the cluster's secrets), and when what a target opens or asks for differs from the model's answer.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { synthKubernetesManifests } from '../../charts';
import { composeFiles, publishedPortsOf } from '../../compose';
import { haproxyConfigFromCluster, renderHaproxyConfig } from '../../haproxy';
import { resolveCluster, secretsOfTarget, type ClusterSpec, type ResolvedCluster, type SecretValues } from '../../model';
import { vmBundleFiles } from '../../vm';
import { exampleNames, fixtureSecrets, loadExample, ROOT } from '../support/fixtures';

const TARGET_FOLDERS = ['compose', 'haproxy', 'keepalived', 'vm', 'charts', 'stacks', 'client'];

function sourceFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Lines of target code matching a pattern, as `file:line: text`. */
function offenders(pattern: RegExp): string[] {
  return TARGET_FOLDERS.flatMap((folder) =>
    sourceFiles(join(ROOT, folder)).flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) => (pattern.test(line) ? [`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`] : [])),
    ),
  );
}

/** Only the values of the secrets `target` needs: a target asking for any other fails. */
function valuesFor(cluster: ResolvedCluster, target: 'compose' | 'kubernetes' | 'vm'): SecretValues {
  const all = fixtureSecrets(cluster);
  return Object.fromEntries(secretsOfTarget(cluster, target).map((ref) => [ref.id, all[ref.id]!]));
}

const withVariants: [string, ClusterSpec][] = [
  ...exampleNames().map((name): [string, ClusterSpec] => [name, loadExample(name) as ClusterSpec]),
  ['no management, with stream', { name: 'lean', plugins: ['rabbitmq_prometheus', 'rabbitmq_stream'], loadBalancer: {} }],
  ['no plugins at all', { name: 'bare', plugins: [], loadBalancer: {} }],
];

describe('listeners and secret consumers come from the resolved cluster only', () => {
  it('GIVEN the target folders WHEN their code is read THEN none decides listeners from plugins or TLS, nor picks secrets by id', () => {
    expect(offenders(/plugins\.includes\(|\.plainListener\b/)).toEqual([]);
    expect(offenders(/\.secrets\.filter\(|placeholder.*unused|unused-by/)).toEqual([]);
  });

  describe.each(withVariants)('%s', (_name, spec) => {
    const cluster = resolveCluster(spec);
    const names = cluster.listeners.map((l) => l.name);

    it('THEN the Kubernetes containers and client Service open exactly the listeners, and the chart needs only the rabbitmq secrets', () => {
      const objects = synthKubernetesManifests(cluster, valuesFor(cluster, 'kubernetes')).flatMap((m) =>
        parseAllDocuments(m.content).map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec?: Record<string, any> }),
      );
      const statefulSet = objects.find((o) => o.kind === 'StatefulSet')!;
      const container = statefulSet.spec!.template.spec.containers.find((c: { name: string }) => c.name === 'rabbitmq');
      expect(container.ports.map((p: { name: string }) => p.name)).toEqual([...names, 'epmd', 'cluster-links']);
      const clientService = objects.find((o) => o.kind === 'Service' && o.metadata.name === cluster.kubernetes.names.clientService)!;
      expect(clientService.spec!.ports.map((p: { name: string }) => p.name)).toEqual(names);
    });

    it('THEN HAProxy fronts exactly the balanced listeners (and its stats page)', () => {
      if (!cluster.loadBalancer) return;
      const text = renderHaproxyConfig(haproxyConfigFromCluster(cluster, fixtureSecrets(cluster), { target: 'compose', serverAddress: (n) => n.host }));
      const listens = [...text.matchAll(/^listen (\S+)/gm)].map((m) => m[1]);
      expect(listens).toEqual([...cluster.listeners.filter((l) => l.access === 'balanced').map((l) => l.name), 'stats']);
    });

    it('THEN compose publishes the balanced and per-node listeners, never the advertised ones, and needs no Keepalived secret', () => {
      const published = new Set(publishedPortsOf(cluster).map((p) => p.listener));
      const expected = cluster.listeners.filter((l) => l.access !== 'advertised').map((l) => l.name);
      expect([...published].filter((l) => l !== 'stats').sort()).toEqual([...expected].sort());
      expect(() => composeFiles(cluster, valuesFor(cluster, 'compose'))).not.toThrow();
    });

    it('THEN the VM bundles need the secrets of every program they run', () => {
      expect(() => vmBundleFiles(cluster, valuesFor(cluster, 'vm'))).not.toThrow();
      expect(secretsOfTarget(cluster, 'vm')).toEqual(cluster.secrets);
    });
  });
});
