/**
 * The publisher's timeout against a real RabbitMQ 4.3 node (lab) that stops answering: the client is connected,
 * then every process of the node's host is frozen (SIGSTOP), so no confirm comes. Each publish, sent 300 ms apart,
 * rejects with PublishTimeoutError after its own timeout, counted from its own publish (one timer serves them all
 * and re-arms for the next deadline), and none stays pending.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../lab/commands';
import { ordersSpec, startBrokerLab, TSX, type BrokerLab } from '../reliability/broker-lab';

const BENCH_APP = join(__dirname, 'bench-app.ts');

describe('the publisher when the broker stops answering (a real RabbitMQ 4.3 node, frozen)', () => {
  let broker: BrokerLab | undefined;

  beforeAll(async () => {
    broker = await startBrokerLab(ordersSpec('4.3'));
  }, 300_000);

  afterAll(async () => {
    await broker?.lab.destroy();
  });

  const signalNodeHost = async (signal: 'STOP' | 'CONT') => {
    const host = broker!.cluster.nodes[0]!.host;
    const pids = (await runCommand(['ip', 'netns', 'pids', broker!.lab.netnsOf(host)])).stdout.split('\n').filter((p) => p.trim() !== '');
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) await runCommand(['kill', `-${signal}`, pid]);
  };

  it('rejects each unconfirmed publish with PublishTimeoutError once its own timeout passed', async () => {
    const { lab } = broker!;
    const [ready, go] = [join(lab.tempDir, 'timeout.ready'), join(lab.tempDir, 'timeout.go')];
    const timeoutMs = 1500;
    const app = lab.spawn('client', [TSX, BENCH_APP], {
      env: { MODE: 'publish-timeout', URL: broker!.url, READY_FILE: ready, GO_FILE: go, TIMEOUT_MS: String(timeoutMs), COUNT: '4', GAP_MS: '300' },
    });
    try {
      for (let i = 0; i < 600 && !existsSync(ready); i++) await new Promise((r) => setTimeout(r, 100));
      expect(existsSync(ready)).toBe(true);
      await signalNodeHost('STOP');
      writeFileSync(go, 'go');
      expect(await app.exited()).toBe(0);
    } finally {
      await signalNodeHost('CONT');
    }
    const result = JSON.parse(readFileSync(app.logFile, 'utf8').trim().split('\n').pop()!);
    console.log(`frozen broker, timeout ${timeoutMs} ms: ${result.outcomes.map((o: any) => `${o.id} after ${o.settledAfterMs} ms`).join(', ')}`);
    expect(result.outcomes.map((o: any) => o.error)).toEqual(
      [0, 1, 2, 3].map((i) => `PublishTimeoutError: message timeout-${i} was not confirmed within ${timeoutMs} ms; it may still arrive, resend it with the same id`),
    );
    for (const outcome of result.outcomes) {
      expect(outcome.settledAfterMs).toBeGreaterThanOrEqual(timeoutMs);
      // Not a figure: a bound that a publish timed out from its own start, not the first one's, nor much later.
      expect(outcome.settledAfterMs).toBeLessThan(timeoutMs + 1000);
    }
    expect(result.inFlight).toBe(0);
  }, 240_000);
});
