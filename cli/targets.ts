/** The generators `warren synth` knows, in the order it runs them. */
import { composeFiles } from '../compose';
import type { GeneratedFile, ResolvedCluster, SecretValues } from '../model';

export interface Target {
  readonly name: string;
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
];
