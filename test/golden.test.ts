/**
 * Golden files: every file every target writes for every example, with fixture secrets.
 * Review a diff like code; refresh with `UPDATE_GOLDEN=1 npx vitest run test/golden.test.ts`.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TARGETS } from '../cli/targets';
import { resolveCluster, type ClusterSpec } from '../model';
import { exampleNames, fixtureSecrets, loadExample, ROOT } from './support/fixtures';

const GOLDEN = join(ROOT, 'test', 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

describe('golden files', () => {
  for (const example of exampleNames()) {
    it(`${example}: every generated file matches its golden copy`, () => {
      const cluster = resolveCluster(loadExample(example) as ClusterSpec);
      const secrets = fixtureSecrets(cluster);
      const files = TARGETS.flatMap((target) => target.files(cluster, secrets));
      const folder = join(GOLDEN, example.replace(/\.yaml$/, ''));
      if (update) {
        rmSync(folder, { recursive: true, force: true });
        for (const file of files) {
          mkdirSync(dirname(join(folder, file.path)), { recursive: true });
          writeFileSync(join(folder, file.path), file.content);
        }
      }
      expect(listFiles(folder).map((f) => relative(folder, f)).sort()).toEqual(files.map((f) => f.path).sort());
      for (const file of files) expect(file.content, file.path).toBe(readFileSync(join(folder, file.path), 'utf8'));
    });
  }
});
