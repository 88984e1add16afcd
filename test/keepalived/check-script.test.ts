/**
 * The HAProxy check script Keepalived runs, against a small HTTP server standing in for HAProxy's monitor URI:
 * what it decides and how fast. One run must decide within the second keepalived 2.2 allows between runs,
 * fail fast on a dead HAProxy, fail on a hung one, and ride out one slow answer.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { haproxyProbeFromCluster, longestProbeRunMs, renderHaproxyCheckScript, type HaproxyProbe } from '../../keepalived';
import { resolveCluster } from '../../model';

const work = mkdtempSync(join(tmpdir(), 'warren-check-script-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** How the stand-in answers: a status, nothing at all (hung), nothing listening, or one stall of `ms` then 200. */
type Behaviour = { status: number } | { hung: true } | { closed: true } | { stallOnceMs: number };

const cluster = resolveCluster({
  name: 'probe',
  nodes: [{ host: 'rabbit-1', address: '10.0.0.11' }],
  loadBalancer: { hosts: [{ host: 'lb-1', address: '10.0.0.21' }, { host: 'lb-2', address: '10.0.0.22' }], virtualIp: '10.0.0.100/24' },
});
const defaults = haproxyProbeFromCluster(cluster);

/** Runs the script once against the stand-in; its exit code and how long the run took. */
async function runAgainst(behaviour: Behaviour, probe: Partial<HaproxyProbe> = {}): Promise<{ exit: number | null; ms: number }> {
  let server: Server | undefined;
  let port = 1;
  if (!('closed' in behaviour)) {
    let stallUntil = 0;
    let asked = 0;
    server = createServer((req, res) => {
      if ('hung' in behaviour) return;
      const answer = () => {
        res.statusCode = req.url === '/healthz' ? ('status' in behaviour ? behaviour.status : 200) : 404;
        res.end();
      };
      // The third question starts the stall: every question until it ends waits, as with a stopped process.
      if ('stallOnceMs' in behaviour && ++asked === 3) stallUntil = Date.now() + behaviour.stallOnceMs;
      const wait = stallUntil - Date.now();
      if (wait > 0) setTimeout(answer, wait);
      else answer();
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  }
  const file = join(work, `probe-${Object.keys(behaviour)[0]}.sh`);
  writeFileSync(file, renderHaproxyCheckScript({ ...defaults, port, ...probe }), { mode: 0o755 });
  const started = Date.now();
  const exit = await new Promise<number | null>((resolve) => spawn(file, [], { stdio: 'ignore' }).on('exit', resolve));
  const ms = Date.now() - started;
  server?.closeAllConnections();
  server?.close();
  return { exit, ms };
}

describe('the HAProxy check script', () => {
  it('decides from the spec: asks the monitor URI every 100 ms, fails after checkFailAfterMs, passes after most of the interval', () => {
    expect(defaults).toEqual({ address: '127.0.0.1', port: 8404, path: '/healthz', probeIntervalMs: 100, probeTimeoutMs: 200, failAfterMs: 500, passAfterMs: 650 });
    expect(longestProbeRunMs(defaults)).toBe(1450);
  });

  it('passes on 200 after asking for most of the interval, so a failure during the run is caught by the run', async () => {
    const { exit, ms } = await runAgainst({ status: 200 });
    expect(exit).toBe(0);
    expect(ms).toBeGreaterThanOrEqual(defaults.passAfterMs);
    expect(ms).toBeLessThan(defaults.passAfterMs + 700);
  });

  it('fails within about 0.1 s when nothing listens (HAProxy not running): two refused connections', async () => {
    const { exit, ms } = await runAgainst({ closed: true });
    expect(exit).toBe(1);
    expect(ms).toBeLessThan(400);
  });

  it('fails after checkFailAfterMs on 503 (no node up) and on a server that accepts but never answers (hung HAProxy)', async () => {
    for (const behaviour of [{ status: 503 }, { hung: true }] as const) {
      const { exit, ms } = await runAgainst(behaviour);
      expect(exit, JSON.stringify(behaviour)).toBe(1);
      expect(ms, JSON.stringify(behaviour)).toBeGreaterThanOrEqual(defaults.failAfterMs);
      expect(ms, JSON.stringify(behaviour)).toBeLessThan(defaults.failAfterMs + 600);
    }
  });

  it('rides out one 300 ms stall (a slow answer moves nothing), and fails on it when checkFailAfterMs is shorter', async () => {
    expect((await runAgainst({ stallOnceMs: 300 })).exit).toBe(0);
    expect((await runAgainst({ stallOnceMs: 300 }, { failAfterMs: 200 })).exit).toBe(1);
  });
});
