/**
 * One cluster, the same node configuration on every target: rabbitmq.conf from compose, the VM bundles and
 * the Kubernetes ConfigMap carry the same keys with the same values, except where a target must differ, each
 * difference listed here with its reason. A key one target writes and another forgets fails this test.
 */
import { describe, expect, it } from 'vitest';
import { composeFiles } from '../../compose';
import { resolveCluster, type ClusterSpec } from '../../model';
import { vmBundleFiles } from '../../vm';
import { configData, synthObjects } from '../charts/manifests';
import { exampleNames, fixtureSecrets, loadExample } from '../support/fixtures';

type Target = 'compose' | 'vm' | 'kubernetes';

/** Keys only some targets write, and why. */
const TARGET_ONLY: readonly { readonly key: RegExp; readonly targets: readonly Target[]; readonly reason: string }[] = [
  { key: /^cluster_formation\.(classic_config\.|discovery_retry)/, targets: ['compose', 'vm'], reason: 'a fixed list of peers where host names are known' },
  { key: /^cluster_formation\.k8s\./, targets: ['kubernetes'], reason: 'peer discovery through the Kubernetes API or the StatefulSet ordinals' },
  { key: /^log\.(console|console\.level|file)$/, targets: ['kubernetes', 'compose'], reason: 'containers log to the console, where their runtime collects it' },
  { key: /^total_memory_available_override_value$/, targets: ['kubernetes', 'compose'], reason: 'a container limit the runtime cannot see through cgroups on every engine' },
];

/** Keys whose values each target chooses: paths (where it mounts files) and the peer discovery backend named above. */
const TARGET_VALUED = /^(load_definitions|definitions\.local\.path|(ssl_options|management\.ssl|prometheus\.ssl)\.(cacertfile|certfile|keyfile)|cluster_formation\.peer_discovery_backend)$/;

function entries(conf: string): Map<string, string> {
  return new Map(
    conf
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'))
      .map((line) => {
        const [key, ...value] = line.split(' = ');
        return [key!.trim(), value.join(' = ').trim()] as const;
      }),
  );
}

function confOf(spec: ClusterSpec): Record<Target, Map<string, string>> {
  const cluster = resolveCluster(spec);
  const secrets = fixtureSecrets(cluster);
  const compose = composeFiles(cluster, secrets).find((f) => f.path === 'compose/rabbitmq/rabbitmq.conf')!.content;
  const vm = vmBundleFiles(cluster, secrets).find((f) => f.path === `vm/${cluster.nodes[0]!.host}/etc/rabbitmq/rabbitmq.conf`)!.content;
  const data = configData(synthObjects(spec, secrets), cluster.name);
  return { compose: entries(compose), vm: entries(vm), kubernetes: entries(`${data['10-rabbitmq.conf']}\n${data['20-kubernetes.conf']}`) };
}

const shared = (key: string, target: Target) => !TARGET_ONLY.some((rule) => rule.key.test(key) && rule.targets.includes(target));

describe.each(exampleNames())('rabbitmq.conf of %s on every target', (name) => {
  const conf = confOf(loadExample(name) as ClusterSpec);

  it('GIVEN compose, VM and Kubernetes WHEN their keys are compared THEN each key is on every target, or listed as target-only with a reason', () => {
    const keys = (target: Target) => [...conf[target].keys()].filter((key) => shared(key, target)).sort();
    expect(keys('vm')).toEqual(keys('compose'));
    expect(keys('kubernetes')).toEqual(keys('compose'));
    for (const target of ['compose', 'vm', 'kubernetes'] as const) {
      const unexplained = [...conf[target].keys()].filter((key) => !shared(key, target) && !TARGET_ONLY.some((rule) => rule.key.test(key)));
      expect(unexplained, target).toEqual([]);
    }
  });

  it('GIVEN a key every target writes WHEN the values are compared THEN they are equal, but for paths each target chooses', () => {
    for (const [key, value] of conf.compose) {
      if (!shared(key, 'compose') || TARGET_VALUED.test(key)) continue;
      expect([key, conf.vm.get(key)], 'vm').toEqual([key, value]);
      expect([key, conf.kubernetes.get(key)], 'kubernetes').toEqual([key, value]);
    }
  });
});
