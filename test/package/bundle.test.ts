/**
 * What the command's bundle (lib/warren.cjs, `npm run build`) relies on: cdk8s ships its own copy of yaml, which the
 * build replaces with ours (--alias:yaml) so that the bundle holds one; that is only the same program while both
 * are the same version.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/fixtures';

const versionOf = (packageJson: string) => (JSON.parse(readFileSync(join(ROOT, 'node_modules', packageJson), 'utf8')) as { version: string }).version;

describe('the bundle of the warren command', () => {
  it('GIVEN cdk8s with its own yaml WHEN the build aliases it to ours THEN both are the same version', () => {
    expect(versionOf('cdk8s/node_modules/yaml/package.json')).toBe(versionOf('yaml/package.json'));
  });
});
