/** The real validators of a compose file: the Compose Specification JSON schema and dclint. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { ROOT } from './fixtures';

/** A copy of the Compose Specification schema (see test/schemas/SOURCES.md), so a bare clone can run the tests. */
const SCHEMA_PATH = join(ROOT, 'test', 'schemas', 'compose-spec.json');

let validator: ReturnType<Ajv['compile']> | undefined;

/** Schema errors of a parsed compose document ([] when valid). */
export function composeSchemaErrors(document: unknown): string[] {
  if (!validator) {
    const { $schema: _ignored, ...schema } = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'));
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    validator = ajv.compile(schema);
  }
  return validator(document) ? [] : (validator.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** dclint's report on a compose file, as JSON messages (errors and warnings). */
export function dclintMessages(file: string): { ruleId: string; severity: number; message: string; line: number }[] {
  let output: string;
  try {
    output = execFileSync(join(ROOT, 'node_modules', '.bin', 'dclint'), ['--formatter', 'json', file], { encoding: 'utf8' });
  } catch (error) {
    output = (error as { stdout: string }).stdout;
  }
  const results = JSON.parse(output) as { messages: { rule: string; type: string; message: string; line: number }[] }[];
  return results.flatMap((r) => r.messages.map((m) => ({ ruleId: m.rule, severity: m.type === 'error' ? 2 : 1, message: m.message, line: m.line })));
}
