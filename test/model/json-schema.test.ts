import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { describe, expect, it } from 'vitest';
import { renderSpecReference, specJsonSchema } from '../../model';
import { exampleNames, loadExample, ROOT } from '../support/fixtures';

const shipped = JSON.parse(readFileSync(join(ROOT, 'schema/warren.schema.json'), 'utf8'));

describe('the shipped JSON Schema', () => {
  it('is the one generated from the spec definition (run `npm run schema` after changing model/spec.ts)', () => {
    expect(shipped).toEqual(specJsonSchema());
  });

  it('and docs/spec-reference.md is the reference generated from it, with every key and default', () => {
    const reference = readFileSync(join(ROOT, 'docs/spec-reference.md'), 'utf8');
    expect(reference).toBe(renderSpecReference(specJsonSchema()));
    expect(reference).toContain('| `partitionHandling.mode` | `autoheal` \\| `pause_minority` \\| `pause_if_all_down` \\| `ignore` | "autoheal" |');
    expect(reference).toContain('| `loadBalancer.haproxy.checkIntervalMs` |');
  });

  const validate = new Ajv2020({ strict: false, allErrors: true }).compile(shipped);
  for (const example of exampleNames()) {
    it(`accepts ${example}, which references it`, () => {
      expect(readFileSync(join(ROOT, 'examples', example), 'utf8')).toMatch(/^# yaml-language-server: \$schema=\.\.\/schema\/warren\.schema\.json$/m);
      expect(validate(loadExample(example)), JSON.stringify(validate.errors)).toBe(true);
    });
  }

  it('rejects what validation rejects for shape: unknown keys and wrong types', () => {
    expect(validate({ name: 'a', nodez: 3 })).toBe(false);
    expect(validate({ name: 'a', nodes: 'three' })).toBe(false);
  });
});
