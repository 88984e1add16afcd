/** The generators `warren synth` knows, in the order it runs them. */
import { synthKubernetesManifests } from '../charts';
import { composeFiles } from '../compose';
import { diagramFiles } from '../graph/files';
import type { GeneratedFile, ResolvedCluster, SecretTarget, SecretValues } from '../model';
import { vmBundleFiles } from '../vm';

export interface Target {
  /** A deployment target, or the diagrams of all of them. */
  readonly name: SecretTarget | 'diagrams';
  readonly description: string;
  /** What to run next, shown after a synth; `{out}` is the output folder. */
  readonly next: string;
  readonly files: (cluster: ResolvedCluster, secrets: SecretValues) => GeneratedFile[];
}

export const TARGETS: readonly Target[] = [
  {
    name: 'compose',
    description: 'docker-compose project for a local cluster',
    next: 'docker compose -f {out}/compose/compose.yaml up -d',
    files: composeFiles,
  },
  {
    name: 'kubernetes',
    description: 'manifests of the cdk8s chart (StatefulSet, Services, Secrets, PDB, NetworkPolicy...)',
    next: 'kubectl apply -f {out}/kubernetes/',
    files: (cluster, secrets) =>
      synthKubernetesManifests(cluster, secrets).map((manifest) => ({
        path: `kubernetes/${manifest.fileName}`,
        content: manifest.content,
        // The manifests hold the cookie and definitions Secrets.
        kind: 'secret',
      })),
  },
  {
    name: 'vm',
    description: 'per-host bundles for VMs (files in place + idempotent install.sh)',
    next: 'copy {out}/vm/<host>/ to each host, then run: sudo ./install.sh',
    files: vmBundleFiles,
  },
  {
    name: 'diagrams',
    description: 'topology and deployment diagrams (Mermaid in README.md, Graphviz DOT)',
    next: 'read {out}/diagrams/README.md (Mermaid renders on GitHub), or warren graph --format svg',
    files: (cluster) => diagramFiles(cluster),
  },
];

/** The deployment targets among `targets` (what TLS names are checked for): all but the diagrams. */
export function deploymentTargetsOf(targets: readonly Target[]): SecretTarget[] {
  return targets.flatMap((t) => (t.name === 'diagrams' ? [] : [t.name]));
}
