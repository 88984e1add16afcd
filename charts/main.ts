/**
 * Entry point for `cdk8s synth` in charts/. Inputs:
 * - WARREN_SPEC: a spec file (YAML or JSON); without it, the built-in DEFAULT_SPEC.
 * - the secrets `warren synth` generated once, read from WARREN_SECRETS_DIR or the store `warren synth` uses
 *   (`.warren-secrets/<cluster>/` next to the spec, or one an earlier version left beside the output folder);
 *   not needed when the spec's kubernetes.existingSecret names a Secret you manage.
 * It never generates secrets: a second source of cookies could split a running cluster.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { App, Chart } from 'cdk8s';
import { parse } from 'yaml';
import { DEFAULT_SPEC, formatProblem, resolveCluster, secretsOfTarget, secretsStoreLocation, SpecError, type ResolvedCluster, type SecretValues } from '../model';
import { RabbitmqCluster } from './rabbitmq-cluster';

function readSecrets(cluster: ResolvedCluster, folder: string): SecretValues | undefined {
  if (cluster.kubernetes.existingSecret) return undefined;
  const needed = secretsOfTarget(cluster, 'kubernetes');
  const missing = needed.filter((ref) => !existsSync(join(folder, ref.id)));
  if (missing.length > 0) {
    throw new Error(
      `${folder} lacks ${missing.map((ref) => ref.id).join(', ')}; run \`warren synth\` once to create them, ` +
        'set WARREN_SECRETS_DIR, or name a Secret you manage in kubernetes.existingSecret',
    );
  }
  return Object.fromEntries(needed.map((ref) => [ref.id, readFileSync(join(folder, ref.id), 'utf8')]));
}

const app = new App({ recordConstructMetadata: false });
const specPath = process.env.WARREN_SPEC;
let cluster: ResolvedCluster;
try {
  cluster = resolveCluster(specPath ? parse(readFileSync(specPath, 'utf8')) : DEFAULT_SPEC);
} catch (error) {
  if (!(error instanceof SpecError)) throw error;
  console.error(error.problems.map(formatProblem).join('\n'));
  process.exit(1);
}
const secretsFolder =
  process.env.WARREN_SECRETS_DIR ??
  secretsStoreLocation({ specDir: specPath ? dirname(resolve(specPath)) : process.cwd(), outDir: app.outdir, clusterName: cluster.name }, existsSync).folder;
const chart = new Chart(app, cluster.name, { disableResourceNameHashes: true });
new RabbitmqCluster(chart, 'RabbitmqCluster', { cluster, secrets: readSecrets(cluster, secretsFolder) });
app.synth();
