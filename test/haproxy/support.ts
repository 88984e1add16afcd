/** Shared by the HAProxy and Keepalived tests: examples with a load balancer, fixture secrets, golden files. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { expect } from 'vitest';
import { resolveCluster, type ClusterSpec, type ResolvedCluster, type SecretValues } from '../../model';
import { exampleNames, fixtureSecrets, loadExample } from '../support/fixtures';

/** Every example with a loadBalancer section, resolved. */
export function loadBalancedExamples(): { name: string; cluster: ResolvedCluster }[] {
  return exampleNames()
    .map((file) => ({ name: file.replace(/\.yaml$/, ''), cluster: resolveCluster(loadExample(file) as ClusterSpec) }))
    .filter(({ cluster }) => cluster.loadBalancer !== undefined);
}

/** Obviously fake secrets; the VRRP password fits PASS's 8 characters. */
export function lbFixtureSecrets(cluster: ResolvedCluster): SecretValues {
  return { ...fixtureSecrets(cluster), 'keepalived-auth-pass': 'fakepass' };
}

/** Compares `content` with the golden file, or writes it with UPDATE_GOLDEN=1. */
export function expectGolden(path: string, content: string): void {
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  expect(existsSync(path), `${path} is missing; run UPDATE_GOLDEN=1 npx vitest run test/haproxy test/keepalived and review it`).toBe(true);
  expect(content).toBe(readFileSync(path, 'utf8'));
}
