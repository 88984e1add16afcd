/**
 * One connection attempt is bounded (a lab host whose INPUT chain drops the SYNs, as a cut link or a dead virtual
 * IP holder would): without the bound, the attempt waits for the kernel's SYN retransmissions (about 2 minutes) and
 * the client retries nothing meanwhile; with it, the attempt fails after connectTimeoutMs and the next one follows.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../lab';
import { TSX } from '../reliability/broker-lab';

const APP = join(__dirname, 'connect-attempt-app.ts');

describe('a connection attempt whose SYNs are dropped (real TCP in a lab host)', () => {
  let lab: Lab | undefined;

  beforeAll(async () => {
    lab = await createLab({ hosts: [{ name: 'client' }] });
    const dropped = await lab.run('client', ['iptables', '-A', 'INPUT', '-p', 'tcp', '--dport', '5672', '-j', 'DROP']);
    expect(dropped.code, dropped.stderr).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await lab?.destroy();
  });

  const attempts = async (env: Record<string, string>) => {
    const run = await lab!.run('client', [TSX, APP], { env: { URL: 'amqp://guest:guest@127.0.0.1:5672', ...env }, timeoutMs: 120_000 });
    expect(run.code, run.stderr).toBe(0);
    return (JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { retries: { atMs: number; reason: string }[] }).retries;
  };

  it('gives up on the attempt after connectTimeoutMs and tries again', async () => {
    const retries = await attempts({ CONNECT_TIMEOUT_MS: '1500', WATCH_MS: '9000' });
    console.log(`connectTimeoutMs 1500: retries at ${retries.map((r) => `${r.atMs} ms`).join(', ')}; first reason: ${retries[0]?.reason}`);
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries[0]!.reason).toMatch(/ETIMEDOUT/);
    // tsx's start-up comes before the attempt, so the first failure lands a little after 1.5 s, never before.
    expect(retries[0]!.atMs).toBeGreaterThanOrEqual(1500);
    expect(retries[1]!.atMs - retries[0]!.atMs).toBeLessThan(1500 + 1000);
  }, 180_000);

  it('is bounded by default (5 s), not left to the kernel', async () => {
    const retries = await attempts({ WATCH_MS: '12000' });
    console.log(`default: retries at ${retries.map((r) => `${r.atMs} ms`).join(', ')}`);
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries[0]!.reason).toMatch(/ETIMEDOUT/);
    expect(retries[0]!.atMs).toBeGreaterThanOrEqual(5000);
  }, 180_000);
});
