import { readFileSync, statSync } from 'node:fs';
import { isCollection, LineCounter, parseDocument, visit } from 'yaml';
import { truncateForMessage, WarrenUserError } from '../model/internal';
import { describeFsError } from './fs-errors';

/** A spec is a few kilobytes; far more is some other file given by mistake (and would be slow to parse). */
export const MAX_SPEC_BYTES = 1024 * 1024;
/** YAML aliases may expand a small file into a huge tree (an "alias bomb"); a spec needs few of them. */
const MAX_ALIAS_COUNT = 100;

const INIT_HINT = 'write a spec there, or run `warren init` to get a commented one';

/**
 * Reads a YAML (or JSON) spec file into a plain object. Every way the file can be wrong (missing, a folder,
 * unreadable, too large, binary, empty, bad YAML, aliases expanding too far) is a WarrenUserError naming it.
 */
export function loadSpecFile(path: string): unknown {
  let size: number;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw new WarrenUserError(`spec file "${path}" is a folder; pass the spec file inside it with --spec, e.g. --spec ${path.replace(/\/$/, '')}/warren.yaml`);
    size = stat.size;
  } catch (error) {
    if (error instanceof WarrenUserError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new WarrenUserError(`spec file "${path}" does not exist; pass an existing file with --spec, or run \`warren init\` to write one`);
    }
    throw new WarrenUserError(`spec file "${path}" ${describeFsError(error)}`);
  }
  if (size > MAX_SPEC_BYTES) {
    throw new WarrenUserError(`spec file "${path}" is ${size} bytes, more than a spec's ${MAX_SPEC_BYTES}; pass the spec file (YAML or JSON) with --spec`);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new WarrenUserError(`spec file "${path}" ${describeFsError(error)}`);
  }
  return parseSpecText(path, bytes);
}

/** The spec in `bytes`, read from `path` (named in every message). */
export function parseSpecText(path: string, bytes: Buffer): unknown {
  const text = bytes.toString('utf8');
  if (bytes.includes(0) || text.includes('\uFFFD')) {
    throw new WarrenUserError(`spec file "${path}" is not text (it holds binary data or is not UTF-8); pass a YAML or JSON spec with --spec`);
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { prettyErrors: true, lineCounter });
  if (document.errors.length > 0) {
    const errors = document.errors.map((e) => `  ${firstLines(e.message)}`);
    throw new WarrenUserError(`${path} is not valid YAML; fix ${errors.length === 1 ? 'this error' : `these ${errors.length} errors`}:\n${errors.join('\n')}`);
  }
  if (document.contents === null) {
    const what = text.trim() === '' ? 'is empty' : 'holds only comments';
    throw new WarrenUserError(`spec file "${path}" ${what}; ${INIT_HINT}`);
  }
  let collectionKey: number | undefined;
  visit(document, {
    Pair: (_, pair) => {
      if (!isCollection(pair.key)) return undefined;
      collectionKey = pair.key.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  if (collectionKey !== undefined) {
    const { line, col } = lineCounter.linePos(collectionKey);
    throw new WarrenUserError(`spec file "${path}" has a list or map as a key at line ${line}, column ${col}; keys of a spec are names, write one there`);
  }
  try {
    return document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // The yaml library's guard against alias bombs (a few lines that expand to billions of values).
    if (error instanceof ReferenceError) {
      throw new WarrenUserError(`spec file "${path}" has YAML aliases (*name) that expand to too many values; write the values out, or reuse fewer anchors`);
    }
    throw error;
  }
}

/** The yaml library's message (with its line and column) and code excerpt, cut so a long input line is not echoed whole. */
function firstLines(message: string): string {
  return message
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => truncateForMessage(line, i === 0 ? 300 : 100))
    .join('\n    ');
}
