/**
 * A connection setup the broker never answers is bounded (a real RabbitMQ 4.3 node in a lab host). The quorum queue's
 * Raft server is suspended (sys:suspend through rabbitmqctl eval): the node, its heartbeats and the connection stay up,
 * but the consumer's setup (passive declare, basic.consume) waits on the queue, as it does on a quorum queue whose
 * leader is across a partition. Without a bound the connection stays open and nothing consumes for as long as the
 * queue does not answer (the soak's 3.10 consumers: 60-68 s after a minority partition); with setupTimeoutMs the
 * connection is closed after it, the backoff retries, and the first attempt after the queue answers again consumes.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveCluster } from '../../model';
import { createLab, rabbitmqctl, type Lab } from '../lab';
import { ordersSpec, TSX } from '../reliability/broker-lab';
import { fixtureSecrets } from '../support/fixtures';
import { startSingleNode, type SingleNode } from '../support/real-rabbitmq';

const APP = join(__dirname, 'setup-hang-app.ts');
const SPEC = ordersSpec('4.3');
const QUEUE = 'orders.created';
const SETUP_TIMEOUT_MS = 3000;
/** How long the queue does not answer: long enough for a few bounded attempts, shorter than any broker-side timeout. */
const SUSPENDED_MS = 14_000;

interface AppRun {
  readonly startedAt: number;
  readonly retries: readonly { readonly atMs: number; readonly reason: string }[];
  readonly connected: readonly number[];
  readonly handledAtMs?: number;
  readonly connects: number;
}

describe('a connection setup the broker never answers (a real RabbitMQ 4.3 node)', () => {
  const cluster = resolveCluster(SPEC);
  const secrets = fixtureSecrets(cluster);
  const url = `amqp://${encodeURIComponent(cluster.defaultUser.name)}:${encodeURIComponent(secrets['default-user-password']!)}@${cluster.nodes[0]!.host}:${cluster.ports.amqp}/`;
  let lab: Lab | undefined;
  let node: SingleNode | undefined;

  beforeAll(async () => {
    lab = await createLab({ hosts: [{ name: cluster.nodes[0]!.host }, { name: 'client' }] });
    node = await startSingleNode(lab, cluster, secrets);
  }, 300_000);

  afterAll(async () => {
    await lab?.destroy();
  });

  const app = async (env: Record<string, string>): Promise<any> => {
    const run = await lab!.run('client', [TSX, APP], { env: { URL: url, SPEC: JSON.stringify(SPEC), QUEUE, ...env }, timeoutMs: 120_000 });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    return run.stdout.trim() ? JSON.parse(run.stdout.trim().split('\n').at(-1)!) : undefined;
  };

  /** Suspends or resumes the Raft server of QUEUE (the node's only member, so its leader). */
  const raServer = async (call: 'suspend' | 'resume') => {
    const expression = `{ok, Q} = rabbit_amqqueue:lookup(rabbit_misc:r(<<"/">>, queue, <<"${QUEUE}">>)), {Name, _} = amqqueue:get_pid(Q), sys:${call}(whereis(Name)).`;
    const result = await rabbitmqctl(lab!, node!.rabbit, ['eval', expression]);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout.trim()).toBe('ok');
  };

  it(`closes the connection after setupTimeoutMs (${SETUP_TIMEOUT_MS} ms) while the queue does not answer, retries, and consumes once it answers`, async () => {
    await app({ PUBLISH: 'stuck-1' });
    await raServer('suspend');
    let resumedAt = 0;
    const resumed = (async () => {
      await new Promise((r) => setTimeout(r, SUSPENDED_MS));
      await raServer('resume');
      resumedAt = Date.now();
    })();
    const run = (await app({ SETUP_TIMEOUT_MS: String(SETUP_TIMEOUT_MS), WATCH_MS: String(SUSPENDED_MS + 40_000) })) as AppRun;
    await resumed;
    const beforeResume = run.retries.filter((r) => run.startedAt + r.atMs < resumedAt);
    console.log(
      `queue suspended ${SUSPENDED_MS} ms: retries at ${run.retries.map((r) => `${r.atMs} ms`).join(', ') || 'none'} (${beforeResume.length} before the resume); ` +
        `connected at ${run.connected.join(', ') || 'never'} ms; handled ${run.handledAtMs === undefined ? 'never' : `${run.startedAt + run.handledAtMs - resumedAt} ms after the resume`}; first reason: ${run.retries[0]?.reason}`,
    );
    // While the queue does not answer, each attempt ends after the bound (plus connect and close) and is retried
    // (before the bound: none, the one connection waited until the queue answered again).
    expect(beforeResume.length).toBeGreaterThanOrEqual(1);
    expect(beforeResume.every((r) => r.reason.startsWith(`the connection's setups (channels, basic.qos, basic.consume) did not finish within ${SETUP_TIMEOUT_MS} ms`))).toBe(true);
    expect(run.retries[0]!.atMs).toBeGreaterThanOrEqual(SETUP_TIMEOUT_MS);
    // No `connected` while the setups hang: a connection counts only once it consumes.
    expect(run.connected.every((at) => run.startedAt + at > resumedAt)).toBe(true);
    // Once the queue answers, the next attempt (within the bound, the close and one backoff of at most 5 s) consumes.
    expect(run.handledAtMs).toBeDefined();
    expect(run.startedAt + run.handledAtMs! - resumedAt).toBeLessThan(SETUP_TIMEOUT_MS + 2000 + 5000 + 3000);
    expect(run.connects).toBe(1);
  }, 240_000);

  // The soak's 3.10 run: after a Keepalived restart, connections through the old holder stayed open on the broker side
  // (HAProxy kept the backend connection), their consumers holding 21 prefetched messages until the broker closed
  // them for "missed heartbeats from client, timeout: 60s", 136 s after their confirm. The spec's URL named
  // heartbeat=60, which overrode the client's 10 s.
  it('proposes the client\'s 10 s heartbeat on the spec\'s own URL (amqpUrlsOf), not the spec\'s 60 s', async () => {
    const run = await app({ HEARTBEAT_OF_SPEC_URL: '1', USER: cluster.defaultUser.name, PASSWORD: secrets['default-user-password']! });
    console.log(`${run.urls.join(', ')}: heartbeat ${run.heartbeat} s (the spec's heartbeatSeconds: ${cluster.heartbeatSeconds})`);
    expect(cluster.heartbeatSeconds).toBe(60);
    expect(run.heartbeat).toBe(10);
    expect(run.urls).toEqual([`amqp://${cluster.nodes[0]!.host}:${cluster.ports.amqp}/%2F`]);
  }, 120_000);
});
