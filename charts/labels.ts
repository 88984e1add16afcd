/** Labels every object of a cluster carries, and the immutable selector of its pods. */
import type { ResolvedCluster } from '../model';

export type Labels = Readonly<Record<string, string>>;

/** Selects the cluster's pods; a StatefulSet's selector can never change, so it stays minimal. */
export function selectorOf(cluster: ResolvedCluster): Labels {
  return { 'app.kubernetes.io/name': 'rabbitmq', 'app.kubernetes.io/instance': cluster.name };
}

/** Recommended labels; `component` says which part of the cluster an object is. */
export function labelsOf(cluster: ResolvedCluster, component: 'broker' | 'nodes' | 'clients' | 'monitoring'): Labels {
  return {
    ...selectorOf(cluster),
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/version': cluster.version.text,
    'app.kubernetes.io/managed-by': 'warren',
  };
}
