/**
 * Running a bundle's real install.sh as root on this machine (or in a test root file system) while everything it
 * could change stays private: the folders and files it writes are bind-mounted copies in a private mount namespace,
 * and a fresh network namespace leaves it no network at all (not even loopback is up).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { GeneratedFile } from '../../model';

const sh = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

/** Writes a bundle to disk as `warren synth` would (kinds become modes). */
export function writeBundle(bundleFiles: readonly GeneratedFile[], into: string): void {
  for (const file of bundleFiles) {
    const path = join(into, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.content);
    chmodSync(path, file.kind === 'executable' ? 0o755 : file.kind === 'secret' ? 0o600 : 0o644);
  }
}

/** Commands that only log how they were called (one line each: `name args`), in a folder to put first on PATH. */
export function writeStubs(dir: string, names: readonly string[], log: string): void {
  mkdirSync(dir, { recursive: true });
  for (const name of names) writeFileSync(join(dir, name), `#!/bin/sh\necho "${name} $*" >> ${log}\n`, { mode: 0o755 });
}

export function loggedCalls(log: string): string[] {
  return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
}

export interface PrivateRun {
  /** The script and its arguments, as seen inside the run (under `chroot`, a path in that root). */
  readonly command: readonly string[];
  /** Path on the host (or in `chroot`) -> the private folder or file mounted over it. */
  readonly binds: Readonly<Record<string, string>>;
  /** Shell lines run first in the namespaces, e.g. creating a network interface. */
  readonly setup?: readonly string[];
  /** A folder put first on PATH (stubs). */
  readonly path?: string;
  /** A root file system to run in; `binds` targets are then paths inside it. */
  readonly chroot?: string;
}

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runPrivately(run: PrivateRun): RunResult {
  const root = run.chroot ?? '';
  const mounts = Object.entries(run.binds).map(([target, source]) => `mount --bind ${sh(source)} ${sh(`${root}${target}`)}`);
  const exec = run.chroot ? ['exec', 'chroot', sh(run.chroot), ...run.command.map(sh)] : ['exec', ...run.command.map(sh)];
  const script = [...(run.setup ?? []), ...mounts, exec.join(' ')].join(' && ');
  const env = { ...process.env, PATH: run.path ? `${run.path}:${process.env.PATH}` : process.env.PATH, LC_ALL: 'C' };
  const result = spawnSync('unshare', ['--mount', '--net', '--propagation', 'private', 'sh', '-c', script], { encoding: 'utf8', env });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Every file and symbolic link under `dir` with its mode and content: equal snapshots mean nothing changed. */
export function snapshot(dir: string): Record<string, string> {
  const entries: Record<string, string> = {};
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      const stat = lstatSync(path);
      const key = relative(dir, path);
      if (stat.isDirectory()) {
        entries[`${key}/`] = (stat.mode & 0o7777).toString(8);
        walk(path);
      } else {
        entries[key] = `${(stat.mode & 0o7777).toString(8)} ${stat.uid}:${stat.gid} ${stat.isSymbolicLink() ? '->' : readFileSync(path, 'base64')}`;
      }
    }
  };
  walk(dir);
  return entries;
}
