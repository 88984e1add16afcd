/**
 * Which labs are alive: each lab records its owner process before it creates anything, so a new lab can
 * remove what a crashed run left behind without touching a lab that a parallel test file is using.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from './commands';
import { LAB_NETNS_PATTERN } from './lab-spec';

const REGISTRY_DIR = '/run/warren-lab';

interface LabRecord {
  readonly ownerPid: number;
  readonly ownerStartTicks: string;
  readonly tempDir: string;
}

export function registerLab(id: string, tempDir: string): void {
  mkdirSync(REGISTRY_DIR, { recursive: true });
  const record: LabRecord = { ownerPid: process.pid, ownerStartTicks: startTicks(process.pid) ?? '', tempDir };
  writeFileSync(join(REGISTRY_DIR, `${id}.json`), JSON.stringify(record));
}

export function unregisterLab(id: string): void {
  rmSync(join(REGISTRY_DIR, `${id}.json`), { force: true });
}

/** Namespace names of every lab in this machine, alive or not. */
export function listLabNamespaces(): string[] {
  const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => LAB_NETNS_PATTERN.test(name));
}

/** Synchronous, so that it also serves the process 'exit' handler. */
export function removeNamespaces(namespaces: readonly string[]): void {
  for (const ns of namespaces) {
    // Processes that left their process group (daemons) still sit in the namespace: kill them by namespace.
    for (const pid of namespacePids(ns)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      // already gone
    }
    rmSync(join('/etc/netns', ns), { recursive: true, force: true });
  }
}

/** Removes the namespaces, /etc/netns folders, temp dirs and records of labs whose owner process is gone. */
export function removeStaleLabs(): string[] {
  const live = new Set<string>();
  const stale = new Map<string, LabRecord | undefined>();
  for (const file of safeReaddir(REGISTRY_DIR).filter((f) => f.endsWith('.json'))) {
    const id = file.slice(0, -'.json'.length);
    const record = readRecord(join(REGISTRY_DIR, file));
    if (record !== undefined && isAlive(record.ownerPid) && startTicks(record.ownerPid) === record.ownerStartTicks) live.add(id);
    else stale.set(id, record);
  }
  const namespaces = listLabNamespaces();
  for (const ns of namespaces) {
    const id = LAB_NETNS_PATTERN.exec(ns)?.[1];
    if (id !== undefined && !live.has(id) && !stale.has(id)) stale.set(id, undefined);
  }
  for (const [id, record] of stale) {
    removeNamespaces(namespaces.filter((ns) => ns.startsWith(`wl-${id}-`)));
    if (record !== undefined && record.tempDir.includes('warren-lab-')) rmSync(record.tempDir, { recursive: true, force: true });
    unregisterLab(id);
  }
  for (const dir of safeReaddir('/etc/netns')) {
    const id = LAB_NETNS_PATTERN.exec(dir)?.[1];
    if (id !== undefined && !live.has(id)) rmSync(join('/etc/netns', dir), { recursive: true, force: true });
  }
  return [...stale.keys()];
}

export function namespacePids(ns: string): number[] {
  try {
    return execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => /^\d+$/.test(line))
      .map(Number);
  } catch {
    return [];
  }
}

function startTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function readRecord(path: string): LabRecord | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LabRecord;
  } catch {
    return undefined;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
