/**
 * The HAProxy checker (the long-running program of warren-haproxy-check.service) and the watchdog script Keepalived
 * runs, against a small HTTP server standing in for HAProxy's monitor URI: what the checker writes and how fast (fail
 * fast on a dead HAProxy, fail on a hung one, ride out one slow answer), and that the watchdog fails on the checker's
 * verdict and on a checker that stopped writing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { haproxyProbeFromCluster, renderHaproxyChecker, renderHaproxyCheckScript, type HaproxyProbe } from '../../keepalived';
import { resolveCluster } from '../../model';

const work = mkdtempSync(join(tmpdir(), 'warren-check-script-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cluster = resolveCluster({
  name: 'probe',
  nodes: [{ host: 'rabbit-1', address: '10.0.0.11' }],
  loadBalancer: { hosts: [{ host: 'lb-1', address: '10.0.0.21' }, { host: 'lb-2', address: '10.0.0.22' }], virtualIp: '10.0.0.100/24' },
});
const defaults = haproxyProbeFromCluster(cluster);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The stand-in for HAProxy: answers `status`, or nothing while `hung`, or holds every answer until `stallUntil`. */
class StandIn {
  status = 200;
  hung = false;
  stallUntil = 0;
  private constructor(private readonly server: Server, readonly port: number) {}
  static async start(): Promise<StandIn> {
    let standIn: StandIn | undefined;
    const server = createServer((req, res) => {
      if (standIn!.hung) return;
      const answer = () => {
        res.statusCode = req.url === '/healthz' ? standIn!.status : 404;
        res.end();
      };
      const wait = standIn!.stallUntil - Date.now();
      if (wait > 0) setTimeout(answer, wait);
      else answer();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    standIn = new StandIn(server, (server.address() as { port: number }).port);
    return standIn;
  }
  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }
}

let dirs = 0;
const running: ChildProcess[] = [];
afterEach(() => {
  for (const child of running.splice(0)) child.kill('SIGKILL');
});

/** The checker on its own state folder; `passAfterMs` shortened so a test need not wait 2 s for a first verdict. */
function startChecker(port: number, probe: Partial<HaproxyProbe> = {}): { probe: HaproxyProbe; verdict: () => string | undefined; watchdog: () => Promise<number | null>; stop: () => void } {
  const stateDir = join(work, `state-${++dirs}`);
  mkdirSync(stateDir);
  const full: HaproxyProbe = { ...defaults, port, passAfterMs: 300, stateDir, ...probe };
  const checker = join(stateDir, 'checker.sh');
  const watchdog = join(stateDir, 'watchdog.sh');
  writeFileSync(checker, renderHaproxyChecker(full), { mode: 0o755 });
  writeFileSync(watchdog, renderHaproxyCheckScript(full), { mode: 0o755 });
  const child = spawn(checker, [], { stdio: 'ignore' });
  running.push(child);
  return {
    probe: full,
    verdict: () => (existsSync(join(stateDir, 'failing')) ? readFileSync(join(stateDir, 'failing'), 'utf8').trim() : undefined),
    watchdog: () => new Promise((resolve) => spawn(watchdog, [], { stdio: 'ignore' }).on('exit', resolve)),
    stop: () => child.kill('SIGKILL'),
  };
}

/** Polls the verdict every 10 ms until it is `value`; the ms it took, or undefined after `withinMs`. */
async function msUntil(verdict: () => string | undefined, value: string, withinMs: number): Promise<number | undefined> {
  const started = Date.now();
  while (Date.now() - started < withinMs) {
    if (verdict() === value) return Date.now() - started;
    await sleep(10);
  }
  return undefined;
}

describe('the HAProxy checker and the watchdog script', () => {
  it('decide from the spec: a question every 100 ms, failing after checkFailAfterMs, serving after checkRise seconds of 200s', () => {
    expect(defaults).toEqual({
      address: '127.0.0.1',
      port: 8404,
      path: '/healthz',
      probeIntervalMs: 100,
      probeTimeoutMs: 200,
      failAfterMs: 500,
      passAfterMs: 2000,
      stateDir: '/run/warren-haproxy-check',
      staleAfterMs: 1500,
    });
  });

  it('writes failing 1 at start, 0 once HAProxy answered 200 for passAfterMs, and the watchdog passes only then', async () => {
    const haproxy = await StandIn.start();
    try {
      const checker = startChecker(haproxy.port);
      expect(await msUntil(checker.verdict, '1', 1000)).toBeDefined();
      expect(await checker.watchdog()).toBe(1);
      const ms = await msUntil(checker.verdict, '0', 2000);
      expect(ms).toBeGreaterThanOrEqual(checker.probe.passAfterMs - 100);
      expect(await checker.watchdog()).toBe(0);
    } finally {
      haproxy.close();
    }
  });

  it('the watchdog passes on every run while the checker rewrites its files next to it (it never reads one half-written)', async () => {
    const haproxy = await StandIn.start();
    try {
      const checker = startChecker(haproxy.port);
      expect(await msUntil(checker.verdict, '0', 2000)).toBeDefined();
      const exits: (number | null)[] = [];
      for (let i = 0; i < 150; i++) exits.push(await checker.watchdog());
      expect(exits.filter((exit) => exit !== 0)).toEqual([]);
    } finally {
      haproxy.close();
    }
  });

  it('writes failing within about 0.2 s of HAProxy dying (two refused connections), at once rather than at a script run', async () => {
    const haproxy = await StandIn.start();
    const checker = startChecker(haproxy.port);
    expect(await msUntil(checker.verdict, '0', 2000)).toBeDefined();
    haproxy.close();
    const ms = await msUntil(checker.verdict, '1', 2000);
    expect(ms).toBeDefined();
    expect(ms!).toBeLessThan(2 * defaults.probeIntervalMs + 250);
    expect(await checker.watchdog()).toBe(1);
  });

  it('writes failing after checkFailAfterMs on 503 (no node up) and on a server that accepts but never answers (hung HAProxy)', async () => {
    for (const fault of ['503', 'hung'] as const) {
      const haproxy = await StandIn.start();
      try {
        const checker = startChecker(haproxy.port);
        expect(await msUntil(checker.verdict, '0', 2000)).toBeDefined();
        if (fault === '503') haproxy.status = 503;
        else haproxy.hung = true;
        const ms = await msUntil(checker.verdict, '1', 3000);
        expect(ms, fault).toBeGreaterThanOrEqual(defaults.failAfterMs - defaults.probeIntervalMs - defaults.probeTimeoutMs);
        expect(ms, fault).toBeLessThan(defaults.failAfterMs + defaults.probeTimeoutMs + defaults.probeIntervalMs + 300);
      } finally {
        haproxy.close();
      }
    }
  });

  it('rides out one 300 ms stall (a slow answer moves nothing), and fails on it when checkFailAfterMs is shorter', async () => {
    for (const [failAfterMs, fails] of [
      [defaults.failAfterMs, false],
      [200, true],
    ] as const) {
      const haproxy = await StandIn.start();
      try {
        const checker = startChecker(haproxy.port, { failAfterMs });
        expect(await msUntil(checker.verdict, '0', 2000)).toBeDefined();
        haproxy.stallUntil = Date.now() + 300;
        expect((await msUntil(checker.verdict, '1', 800)) !== undefined, `failAfterMs ${failAfterMs}`).toBe(fails);
      } finally {
        haproxy.close();
      }
    }
  });

  it('a restarted checker keeps a serving verdict (restarting it moves nothing); the watchdog fails once the checker stopped writing', async () => {
    const haproxy = await StandIn.start();
    try {
      const first = startChecker(haproxy.port);
      expect(await msUntil(first.verdict, '0', 2000)).toBeDefined();
      first.stop();
      const again = spawn(join(first.probe.stateDir, 'checker.sh'), [], { stdio: 'ignore' });
      running.push(again);
      expect(await msUntil(first.verdict, '1', 500)).toBeUndefined();
      again.kill('SIGKILL');
      await sleep(defaults.staleAfterMs + 200);
      expect(first.verdict()).toBe('0');
      expect(await first.watchdog()).toBe(1);
    } finally {
      haproxy.close();
    }
  });
});
