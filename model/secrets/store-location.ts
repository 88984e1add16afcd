/**
 * Where a cluster's generated secrets live: a decision both entry points (`warren synth`, `cdk8s synth` in
 * charts/) make alike. Pure: the caller says which folders exist.
 */
import { join, resolve } from 'node:path';

/** The store's folder name, in the spec's folder (or, for stores made before, beside the output folder). */
export const SECRETS_STORE_NAME = '.warren-secrets';

export interface SecretsStoreLocation {
  /** The cluster's folder, `<store>/<cluster>`. */
  readonly folder: string;
  /** Found beside the output folder, where warren kept stores before they moved next to the spec. */
  readonly legacy: boolean;
}

/**
 * `<explicit>/<cluster>` when --secrets is given; else `.warren-secrets/<cluster>` in the spec's folder (a spec
 * stays where the user keeps the project, while outputs are often temporary), unless only a store beside the
 * output folder exists from earlier runs.
 */
export function secretsStoreLocation(
  options: { readonly explicit?: string; readonly specDir: string; readonly outDir: string; readonly clusterName: string },
  exists: (path: string) => boolean,
): SecretsStoreLocation {
  if (options.explicit !== undefined) return { folder: join(resolve(options.explicit), options.clusterName), legacy: false };
  const folder = join(resolve(options.specDir), SECRETS_STORE_NAME, options.clusterName);
  const legacy = secretsFolderFor(options.outDir, options.clusterName);
  return !exists(folder) && legacy !== folder && exists(legacy) ? { folder: legacy, legacy: true } : { folder, legacy: false };
}

/** `.warren-secrets/<cluster>` beside the output folder: where stores were kept before they moved next to the spec. */
export function secretsFolderFor(outDir: string, clusterName: string): string {
  return join(resolve(outDir), '..', SECRETS_STORE_NAME, clusterName);
}
