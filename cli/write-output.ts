/**
 * Writes generated files without ever leaving a half-written output: everything is staged in a
 * temporary folder beside the output, then each target folder is swapped in whole. When a swap fails
 * (a folder in use, a mount point), the targets already swapped are swapped back, so the output is the
 * previous one, whole.
 */
import { accessSync, chmodSync, constants, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { WarrenUserError, type GeneratedFile } from '../model';
import { describeFsError } from '../io/fs-errors';

const MODES: Record<GeneratedFile['kind'], number> = { plain: 0o644, secret: 0o600, executable: 0o755 };

/** `onSwap` runs once everything is staged, just before the first target folder is replaced. */
export function writeOutput(outDir: string, files: readonly GeneratedFile[], onSwap: () => void = () => undefined): void {
  const out = resolve(outDir);
  const parent = dirname(out);
  mkdirSync(parent, { recursive: true });
  const staging = mkdtempSync(join(parent, '.warren-staging-'));
  const retired = mkdtempSync(join(parent, '.warren-retired-'));
  try {
    const folders = new Set<string>();
    for (const file of files) {
      const path = join(staging, file.path);
      // One mkdir per folder: most files share theirs with others.
      if (!folders.has(dirname(path))) {
        mkdirSync(dirname(path), { recursive: true });
        folders.add(dirname(path));
      }
      writeFileSync(path, file.content, { mode: MODES[file.kind] });
      chmodSync(path, MODES[file.kind]);
    }
    mkdirSync(out, { recursive: true });
    onSwap();
    const swapped: string[] = [];
    try {
      for (const top of new Set(files.map((f) => f.path.split('/')[0]!))) {
        const target = join(out, top);
        if (existsSync(target)) renameSync(target, join(retired, top));
        swapped.push(top);
        renameSync(join(staging, top), target);
      }
    } catch (error) {
      for (const top of swapped.reverse()) {
        const target = join(out, top);
        // The one that failed half-way left its new folder in the staging area: nothing new to take out.
        if (!existsSync(join(staging, top))) rmSync(target, { recursive: true, force: true });
        if (existsSync(join(retired, top))) renameSync(join(retired, top), target);
      }
      throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(retired, { recursive: true, force: true });
  }
}

/** The nearest path at or above `path` that exists, or undefined when `path` is a file or under one. */
function nearestExisting(path: string): { path: string; isFolder: boolean } {
  for (let current = path; ; current = dirname(current)) {
    if (existsSync(current)) return { path: current, isFolder: statSync(current).isDirectory() };
    if (current === dirname(current)) return { path: current, isFolder: true };
  }
}

function checkWritableFolder(folder: string, flag: string): void {
  try {
    accessSync(folder, constants.W_OK);
  } catch (error) {
    throw new WarrenUserError(`${flag}: folder ${folder} ${describeFsError(error, 'written')}`);
  }
}

/**
 * Refuses, before anything is generated, an output folder that is a file or lies under one, or that
 * warren could not create; missing folders on the way are created by writeOutput.
 */
export function checkOutputFolder(outDir: string, flag = '--out'): void {
  const existing = nearestExisting(resolve(outDir));
  if (!existing.isFolder) {
    const what = existing.path === resolve(outDir) ? `${existing.path} is a file` : `${resolve(outDir)} is under ${existing.path}, which is a file`;
    throw new WarrenUserError(`${flag}: ${what}; warren writes a folder there (one subfolder per target): pass another folder`);
  }
  checkWritableFolder(existing.path, flag);
}

/**
 * Checks an output file's path: not a folder, and its folder exists (for a single file, a missing folder
 * is more likely a typo than a wish). `example` is a file name to suggest inside a folder given by mistake.
 */
export function checkOutputFile(path: string, flag: string, example: string): void {
  const file = resolve(path);
  if (existsSync(file) && statSync(file).isDirectory()) throw new WarrenUserError(`${flag}: ${file} is a folder; name a file, e.g. ${flag} ${join(path, example)}`);
  const folder = dirname(file);
  const existing = nearestExisting(folder);
  if (!existing.isFolder) throw new WarrenUserError(`${flag}: ${existing.path} is a file, not a folder; choose a path in an existing folder`);
  if (existing.path !== folder) throw new WarrenUserError(`${flag}: folder ${folder} does not exist; create it (mkdir -p ${folder}) or choose a path in an existing folder`);
  checkWritableFolder(folder, flag);
}

/** Writes one file the user named with `flag`, after checkOutputFile; a failure is the user's to fix. */
export function writeUserFile(path: string, content: string, flag: string, example: string): void {
  checkOutputFile(path, flag, example);
  try {
    writeFileSync(resolve(path), content);
  } catch (error) {
    throw new WarrenUserError(`${flag}: ${resolve(path)} ${describeFsError(error, 'written')}`);
  }
}
