/**
 * The source's shape: no import cycles (a module is understood after the ones it imports, never through
 * itself), and files small enough to read in one sitting.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/fixtures';

const SOURCE_FOLDERS = ['model', 'compose', 'haproxy', 'keepalived', 'vm', 'charts', 'stacks', 'client', 'cli', 'io', 'bench'];
const MAX_LINES = 400;

function sourceFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const files = SOURCE_FOLDERS.flatMap((folder) => sourceFiles(join(ROOT, folder)));

/** Relative imports that exist at run time (`import type` and `export type` vanish when compiled). */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = [...text.matchAll(/^(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?'(\.[^']+)'/gm)].map((m) => m[1]!);
  return found.flatMap((specifier) => {
    const base = resolve(dirname(file), specifier);
    const target = [`${base}.ts`, join(base, 'index.ts')].find((candidate) => files.includes(candidate));
    return target ? [target] : [];
  });
}

/** Every cycle found by a depth-first walk, as the files around it. */
function cycles(): string[][] {
  const graph = new Map(files.map((file) => [file, runtimeImports(file)]));
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next].map((f) => relative(ROOT, f)));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of files) if (!state.has(file)) visit(file);
  return found;
}

describe('the source layout', () => {
  it('GIVEN every source file WHEN its run-time imports are followed THEN no module imports itself through others', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(cycles()).toEqual([]);
  });

  it(`GIVEN every source file WHEN its lines are counted THEN none exceeds ${MAX_LINES}`, () => {
    const long = files.map((file) => ({ file: relative(ROOT, file), lines: readFileSync(file, 'utf8').split('\n').length })).filter((f) => f.lines > MAX_LINES);
    expect(long).toEqual([]);
  });
});
