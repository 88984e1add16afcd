/**
 * Runs a generated admin script (bash) with a stand-in WARREN_REMOTE that logs every call as "HOST: COMMAND" and
 * answers with `answers` (the body of a bash `case "$2" in ... esac` over the command line; unmatched calls succeed
 * silently). For what the scripts decide before or without real nodes; their real runs are in test/day2/.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface StandInRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The remote calls in order, "HOST: COMMAND". */
  readonly calls: string[];
}

export function runWithStandInRemote(scratch: string, script: string, args: readonly string[], answers: string, env: Record<string, string> = {}): StandInRun {
  const path = join(scratch, `script-${Math.random().toString(16).slice(2)}.sh`);
  writeFileSync(path, script, { mode: 0o755 });
  const log = `${path}.calls`;
  const remote = `${path}.remote`;
  writeFileSync(remote, `#!/bin/bash\necho "$1: $2" >> ${log}\ncase "$2" in ${answers} esac\n`, { mode: 0o755 });
  const result = spawnSync('bash', [path, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, WARREN_REMOTE: remote, WARREN_SUDO: '', ...env } });
  let calls: string[] = [];
  try {
    calls = readFileSync(log, 'utf8').trim().split('\n');
  } catch {
    calls = [];
  }
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, calls };
}
