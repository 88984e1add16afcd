import { existsSync, readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';

export class UsageError extends Error {}

/** Reads a YAML (or JSON) spec file into a plain object; YAML syntax errors name the line. */
export function loadSpecFile(path: string): unknown {
  if (!existsSync(path)) throw new UsageError(`spec file "${path}" does not exist; pass an existing file with --spec, or run \`warren init\` to write one`);
  const document = parseDocument(readFileSync(path, 'utf8'), { prettyErrors: true });
  if (document.errors.length > 0) {
    throw new UsageError(`${path} is not valid YAML:\n${document.errors.map((e) => `  ${e.message}`).join('\n')}`);
  }
  return document.toJS();
}
