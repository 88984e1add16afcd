/** The chart as YAML text, built in memory: what `warren synth` writes under dist/kubernetes/. */
import { App, Chart } from 'cdk8s';
import type { ResolvedCluster, SecretValues } from '../model';
import { RabbitmqCluster } from './rabbitmq-cluster';

export interface KubernetesManifest {
  readonly fileName: string;
  readonly content: string;
}

/** Pure and deterministic: the same cluster and secrets give byte-identical YAML. Nothing is written. */
export function synthKubernetesManifests(cluster: ResolvedCluster, secrets: SecretValues): KubernetesManifest[] {
  const app = new App({ recordConstructMetadata: false });
  const chart = new Chart(app, cluster.name, { disableResourceNameHashes: true });
  new RabbitmqCluster(chart, 'RabbitmqCluster', { cluster, secrets });
  return [{ fileName: `${cluster.name}.k8s.yaml`, content: app.synthYaml() }];
}
