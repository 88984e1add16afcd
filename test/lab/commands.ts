/** Running host commands for the lab: plain child processes, whole process groups, no shell. */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CommandOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string;
  /** @default - no limit */
  readonly timeoutMs?: number;
  /** Called with the process group id once started, and with undefined when it ended. */
  readonly track?: (pgid: number | undefined) => void;
}

/** Exit code reported when a command ran past its timeout, as timeout(1) does. */
export const TIMED_OUT_CODE = 124;

/** Runs argv to completion in its own process group; never rejects on a non-zero exit. */
export function runCommand(argv: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new Error('runCommand: argv is empty; give at least the program'));
  return new Promise((resolve) => {
    const child = spawn(file, args, { env: options.env ?? process.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
    if (child.pid !== undefined) options.track?.(child.pid);
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
          }, options.timeoutMs);
    const finish = (code: number, extra: string): void => {
      if (timer !== undefined) clearTimeout(timer);
      options.track?.(undefined);
      const err = Buffer.concat(stderr).toString('utf8') + extra;
      resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: err });
    };
    child.on('error', (error) => finish(127, `${error.message}\n`));
    child.on('close', (code, signal) => {
      if (timedOut) finish(TIMED_OUT_CODE, `lab: ${argv.join(' ')} ran longer than ${options.timeoutMs} ms and was killed\n`);
      else finish(code ?? 128 + signalNumber(signal), '');
    });
  });
}

/** Runs argv and throws with its stderr when it fails: for the lab's own set-up steps. */
export async function mustRun(argv: readonly string[], options: CommandOptions = {}): Promise<string> {
  const result = await runCommand(argv, options);
  if (result.code !== 0) {
    throw new Error(`lab: "${argv.join(' ')}" exited with ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
  }
  return result.stdout;
}

/** Signals a whole process group; a group that is already gone is not an error. */
export function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 0 : constants.signals[signal];
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
