import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ResolvedCluster, SecretValues } from '../../model';

export const ROOT = join(__dirname, '..', '..');
export const EXAMPLES_DIR = join(ROOT, 'examples');

/** Obviously fake secret values for tests and golden files; never real secrets. VRRP PASS carries 8 characters. */
export function fixtureSecrets(cluster: ResolvedCluster): SecretValues {
  return Object.fromEntries(cluster.secrets.map((ref) => [ref.id, ref.id === 'keepalived-auth-pass' ? 'fakepass' : `fake-${ref.id}`]));
}

export function exampleNames(): string[] {
  return readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.yaml')).sort();
}

export function loadExample(name: string): unknown {
  return parse(readFileSync(join(EXAMPLES_DIR, name), 'utf8'));
}
