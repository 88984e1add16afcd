/**
 * VM bundles for the end-to-end suite and the benchmark: a spec (optionally changed) synthesised by
 * `warren synth --target vm`, as an operator would, plus the secrets the synth stored next to the output.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { runCli } from '../../cli/main';
import { resolveCluster, type ClusterSpec, type ResolvedCluster } from '../../model';

export const REPO_ROOT = join(__dirname, '..', '..');

export interface VmBundles {
  readonly cluster: ResolvedCluster;
  /** `<out>/vm`: one folder per host of the spec, mirroring that host's file system. */
  readonly vmDir: string;
  readonly secrets: {
    readonly defaultUserPassword: string;
    readonly statsPassword: string;
  };
  /** The folder of one host, e.g. hostDir('lb-1') holds etc/haproxy/haproxy.cfg. */
  hostDir(host: string): string;
}

/** A changed copy of a spec: `change` gets the parsed YAML and edits it in place. */
export function specVariant(specPath: string, workDir: string, name: string, change: (spec: Record<string, any>) => void): string {
  const spec = parse(readFileSync(specPath, 'utf8')) as Record<string, any>;
  change(spec);
  mkdirSync(workDir, { recursive: true });
  const path = join(workDir, `${name}.yaml`);
  writeFileSync(path, stringify(spec));
  return path;
}

/**
 * Runs `warren synth --spec <spec> --out <outDir> --target vm --secrets <outDir>/../.warren-secrets`: output folders
 * that are siblings share the cookie and passwords, and nothing is written next to the spec (examples/ stays clean).
 */
export function synthVmBundles(specPath: string, outDir: string): VmBundles {
  const output: string[] = [];
  const code = runCli(['synth', '--spec', specPath, '--out', outDir, '--target', 'vm', '--secrets', join(outDir, '..', '.warren-secrets')], {
    stdout: (text) => output.push(text),
    stderr: (text) => output.push(text),
    env: {},
    cwd: REPO_ROOT,
  });
  if (code !== 0) throw new Error(`warren synth --spec ${specPath} failed with exit code ${code}:\n${output.join('')}`);
  const cluster = resolveCluster(parse(readFileSync(specPath, 'utf8')) as ClusterSpec);
  const secretsDir = join(outDir, '..', '.warren-secrets', cluster.name);
  const secret = (id: string) => readFileSync(join(secretsDir, id), 'utf8');
  const vmDir = join(outDir, 'vm');
  return {
    cluster,
    vmDir,
    secrets: { defaultUserPassword: secret('default-user-password'), statsPassword: secret('haproxy-stats-password') },
    hostDir: (host) => join(vmDir, host),
  };
}
