/**
 * Entry point for `cdk8s synth` in charts/. Inputs:
 * - WARREN_SPEC: a spec file (YAML or JSON); without it, the built-in DEFAULT_SPEC.
 * - the secrets the chart needs: `file:` and `env:` sources read as `warren synth` reads them, generated ones
 *   from the store `warren synth` keeps (WARREN_SECRETS_DIR, or `.warren-secrets/<cluster>/` next to the spec,
 *   or one an earlier version left beside the output folder); none when kubernetes.existingSecret names a
 *   Secret you manage.
 * It never generates secrets: a second source of cookies could split a running cluster.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { App, Chart } from 'cdk8s';
import { DEFAULT_SPEC, formatProblem, resolveCluster, secretsOfTarget, secretsStoreLocation, SpecError, WarrenUserError, type ClusterSpec } from '../model';
import { readSecretsWithoutGenerating } from '../io/secrets-store';
import { loadSpecFile } from '../io/spec-file';
import { RabbitmqCluster } from './rabbitmq-cluster';

const app = new App({ recordConstructMetadata: false });
const specPath = process.env.WARREN_SPEC;
try {
  const cluster = resolveCluster(specPath ? (loadSpecFile(specPath) as ClusterSpec) : DEFAULT_SPEC);
  const specDir = specPath ? dirname(resolve(specPath)) : process.cwd();
  const folder = process.env.WARREN_SECRETS_DIR ?? secretsStoreLocation({ specDir, outDir: app.outdir, clusterName: cluster.name }, existsSync).folder;
  const refs = secretsOfTarget(cluster, 'kubernetes');
  const secrets = cluster.kubernetes.existingSecret ? undefined : readSecretsWithoutGenerating(cluster, refs, { folder, baseDir: specDir, env: process.env });
  const chart = new Chart(app, cluster.name, { disableResourceNameHashes: true });
  new RabbitmqCluster(chart, 'RabbitmqCluster', { cluster, secrets });
  app.synth();
} catch (error) {
  if (error instanceof SpecError) console.error(error.problems.map(formatProblem).join('\n'));
  else if (error instanceof WarrenUserError) console.error(error.message);
  else throw error;
  process.exit(1);
}
