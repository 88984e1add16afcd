/**
 * How the lab starts a load balancer's processes from a VM bundle, as its units would on a real host: HAProxy
 * (waited for until it listens) and Keepalived with the bundle's HAProxy checker beside it. WarrenLab keeps track
 * of them.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HAPROXY_CHECKER_PATH, HAPROXY_CHECKER_STATE_DIR } from '../../keepalived';
import type { Lab, LabProcess } from '../lab';

const KEEPALIVED_SCRIPT_USER = 'keepalived_script';
/** Bound to a fresh folder per start: a stopping keepalived may still hold the previous pid files. */
const KEEPALIVED_RUN_DIR = '/run/keepalived';
/** How long a starting HAProxy may take to listen on every port of its haproxy.cfg. */
const HAPROXY_LISTEN_TIMEOUT_MS = 20_000;

/**
 * Resolves with `haproxy` once it listens on every `bind` port of `config`; throws with HAProxy's own log if it exits
 * first (`exitCode()` is no longer undefined) or does not listen within 20 s.
 */
export async function waitUntilListening(lab: Lab, host: string, haproxy: LabProcess, config: string, exitCode: () => number | null | undefined): Promise<LabProcess> {
  const ports = bindPortsOf(config);
  const deadline = Date.now() + HAPROXY_LISTEN_TIMEOUT_MS;
  for (;;) {
    const code = exitCode();
    if (code !== undefined) throw new Error(describeExit(`HAProxy on ${host}`, code, haproxy.logFile, ` before it listened on ${ports.join(', ')}`));
    const listening = (await lab.run(host, ['ss', '-ltnH'])).stdout;
    if (ports.every((port) => new RegExp(`:${port}\\s`).test(listening))) return haproxy;
    if (Date.now() > deadline) {
      throw new Error(`HAProxy on ${host} did not listen on every port of its haproxy.cfg (${ports.join(', ')}) within ${HAPROXY_LISTEN_TIMEOUT_MS} ms; listening:\n${listening}${logTail(haproxy.logFile)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Keepalived in the foreground with its own pid files, and /etc/passwd knowing the check script's user; before it, the
 * bundle's HAProxy checker (warren-haproxy-check.service on a real host: its ExecStart, as root here) writing into a
 * state folder of the host that outlives restarts, as the unit's preserved RuntimeDirectory does. `start` numbers the
 * start's own run folder.
 */
export function spawnKeepalived(lab: Lab, host: string, etcDir: string, root: string, start: number): { checker: LabProcess; keepalived: LabProcess } {
  const state = join(lab.tempDir, 'run', `${host}-haproxy-check`);
  mkdirSync(state, { recursive: true });
  mkdirSync(`${root}${HAPROXY_CHECKER_STATE_DIR}`, { recursive: true });
  const programDir = dirname(HAPROXY_CHECKER_PATH);
  mkdirSync(`${root}${programDir}`, { recursive: true });
  const spawnRoot = root === '' ? undefined : root;
  const checker = lab.spawn(host, [HAPROXY_CHECKER_PATH], {
    bindMounts: [
      { source: join(etcDir, '..', '..', programDir.slice(1)), target: programDir },
      { source: state, target: HAPROXY_CHECKER_STATE_DIR },
    ],
    root: spawnRoot,
  });
  const users = join(lab.tempDir, 'users');
  const etc = `${root}/etc`;
  mkdirSync(users, { recursive: true });
  writeFileSync(join(users, 'passwd'), `${readFileSync(`${etc}/passwd`, 'utf8')}${KEEPALIVED_SCRIPT_USER}:x:64999:64999::/nonexistent:/usr/sbin/nologin\n`);
  writeFileSync(join(users, 'group'), `${readFileSync(`${etc}/group`, 'utf8')}${KEEPALIVED_SCRIPT_USER}:x:64999:\n`);
  const run = join(lab.tempDir, 'run', `${host}-${start}`);
  mkdirSync(run, { recursive: true });
  mkdirSync(`${root}${KEEPALIVED_RUN_DIR}`, { recursive: true }); // as keepalived.service's RuntimeDirectory
  // The bundle's files placed into the package's own /etc/keepalived, as install.sh does: keepalived 2.3
  // (Debian sid) refuses to start without the package's keepalived.config-opts there.
  const installed = join(run, 'etc-keepalived');
  cpSync(`${etc}/keepalived`, installed, { recursive: true });
  cpSync(etcDir, installed, { recursive: true });
  const keepalived = lab.spawn(
    host,
    ['keepalived', '-n', '-l', '-D', '-f', '/etc/keepalived/keepalived.conf', '-p', '/run/keepalived/keepalived.pid', '-r', '/run/keepalived/vrrp.pid', '-c', '/run/keepalived/checkers.pid'],
    {
      bindMounts: [
        { source: installed, target: '/etc/keepalived' },
        { source: run, target: KEEPALIVED_RUN_DIR },
        { source: state, target: HAPROXY_CHECKER_STATE_DIR },
        { source: join(users, 'passwd'), target: '/etc/passwd' },
        { source: join(users, 'group'), target: '/etc/group' },
      ],
      root: spawnRoot,
    },
  );
  return { checker, keepalived };
}

/** The ports of every `bind` line of a haproxy.cfg (`bind :5672`, `bind 10.0.0.5:8404`). */
export function bindPortsOf(config: string): string[] {
  return [...new Set([...config.matchAll(/^\s*bind\s+\S*:(\d+)\b/gm)].map((m) => m[1]!))];
}

export function describeExit(what: string, code: number | null, logFile: string, when = ''): string {
  return `${what} exited ${code === null ? 'on a signal' : `with code ${code}`}${when}${logTail(logFile)}`;
}

function logTail(logFile: string): string {
  try {
    return `\n--- ${logFile} (tail)\n${readFileSync(logFile, 'utf8').slice(-3000)}`;
  } catch {
    return `\n--- ${logFile}: unreadable`;
  }
}
