/**
 * Writes generated files without ever leaving a half-written output: everything is staged in a
 * temporary folder beside the output, then each target folder is swapped in whole.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { GeneratedFile } from '../model';

const MODES: Record<GeneratedFile['kind'], number> = { plain: 0o644, secret: 0o600, executable: 0o755 };

export function writeOutput(outDir: string, files: readonly GeneratedFile[]): void {
  const out = resolve(outDir);
  const parent = dirname(out);
  mkdirSync(parent, { recursive: true });
  const staging = mkdtempSync(join(parent, '.warren-staging-'));
  const retired = mkdtempSync(join(parent, '.warren-retired-'));
  try {
    for (const file of files) {
      const path = join(staging, file.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, file.content, { mode: MODES[file.kind] });
      chmodSync(path, MODES[file.kind]);
    }
    mkdirSync(out, { recursive: true });
    for (const top of new Set(files.map((f) => f.path.split('/')[0]!))) {
      const target = join(out, top);
      if (existsSync(target)) renameSync(target, join(retired, top));
      renameSync(join(staging, top), target);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(retired, { recursive: true, force: true });
  }
}
